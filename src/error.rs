//! The one error type of the library. Every message is meant to be read by a
//! person at a terminal: it names the input (file, line, field, value) and
//! says what would be accepted instead.

use std::path::PathBuf;

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in demarche.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that does not follow the event format or a command's rules.
    #[error("{0}")]
    Invalid(String),
    /// Something the user asked for does not exist (an actor, an event).
    #[error("{0}")]
    NotFound(String),
    /// The database is held by another process for longer than the timeout.
    #[error("database {} is in use by another demarche process", .0.display())]
    Locked(PathBuf),
    /// A read command was pointed at a path that holds no database.
    #[error("no database at {} (commands that write create one; pass --db or set DEMARCHE_DB to use another)", .0.display())]
    NoDatabase(PathBuf),
    /// The log or a projection does not match what it should be.
    #[error("{0}")]
    Damaged(String),
    /// An operating-system error, with what we were doing when it happened.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// An error reported by the storage engine.
    #[error("storage: {0}")]
    Storage(String),
}

impl Error {
    /// An `Invalid` error from anything printable.
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// Attach a location (a file and line, say) in front of an input error.
    pub fn at(self, location: &str) -> Self {
        match self {
            Error::Invalid(m) => Error::Invalid(format!("{location}: {m}")),
            Error::NotFound(m) => Error::NotFound(format!("{location}: {m}")),
            other => other,
        }
    }

    /// Wrap an I/O error with what we were doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => Error::io("storage I/O", os_error(io)),
            other => Error::Storage(sled_message(&other)),
        }
    }
}

/// sled's error as one plain sentence: its corruption error otherwise
/// prints debug text (`Some(Inline(1622)) backtrace ()`).
pub fn sled_message(e: &sled::Error) -> String {
    match e {
        sled::Error::Corruption { .. } => {
            "the database's files are damaged (sled read corrupt data); \
             a copy made with `demarche export` can be imported into a new database"
                .to_owned()
        }
        other => other.to_string(),
    }
}

/// sled hands out copies of an I/O error that carry only the original's
/// debug text (`Os { code: 28, kind: StorageFull, .. }`): recover the OS
/// error, so that a full disk reads "No space left on device (os error 28)".
fn os_error(io: std::io::Error) -> std::io::Error {
    if io.raw_os_error().is_some() {
        return io;
    }
    let code = io
        .to_string()
        .strip_prefix("Os { code: ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|code| code.parse::<i32>().ok());
    match code {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => io,
    }
}

/// Edit distance between two strings, counted in characters; used to suggest
/// the closest known name when the user mistypes one.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// Up to three candidates closest to `wanted`, nearest first, among those
/// close enough to be a plausible typo.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    if wanted.trim().is_empty() {
        return Vec::new();
    }
    let wanted = wanted.to_lowercase();
    let wanted_len = wanted.chars().count();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let limit = (c.chars().count().max(wanted_len) / 3).max(2);
            let lower = c.to_lowercase();
            // The distance is at least the difference in length: a value of
            // megabytes is never compared character by character.
            if lower.chars().count().abs_diff(wanted_len) > limit {
                return None;
            }
            let d = edit_distance(&wanted, &lower);
            (d <= limit).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("peskow", "peskov"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("Песков", "Пёсков"), 1);
    }

    #[test]
    fn sled_io_errors_read_as_os_errors() {
        let full = std::io::Error::from_raw_os_error(28);
        // What sled's Clone of an I/O error produces.
        let copy = std::io::Error::new(full.kind(), format!("{full:?}"));
        let e = Error::from(sled::Error::Io(copy));
        assert_eq!(
            e.to_string(),
            "storage I/O: No space left on device (os error 28)"
        );
        let other = Error::from(sled::Error::Io(std::io::Error::other("odd")));
        assert_eq!(other.to_string(), "storage I/O: odd");
    }

    #[test]
    fn closest_skips_candidates_too_different_in_length() {
        let huge = "y".repeat(1 << 20);
        assert!(closest(&huge, ["speaker", "yyy"]).is_empty());
        assert_eq!(closest("yyyy", ["yyy", "y"]), vec!["yyy"]);
        assert!(closest("", ["us", "x"]).is_empty());
    }

    #[test]
    fn closest_suggests_typos_only() {
        let ids = ["peskov", "putin", "comey"];
        assert_eq!(closest("peskow", ids), vec!["peskov"]);
        assert!(closest("zzzzzzzz", ids).is_empty());
    }
}
