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
            sled::Error::Io(io) => Error::io("storage I/O", io),
            other => Error::Storage(other.to_string()),
        }
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
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(&wanted, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(wanted.chars().count()) / 3).max(2))
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
    fn closest_suggests_typos_only() {
        let ids = ["peskov", "putin", "comey"];
        assert_eq!(closest("peskow", ids), vec!["peskov"]);
        assert!(closest("zzzzzzzz", ids).is_empty());
    }
}
