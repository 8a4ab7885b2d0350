//! Bulk input. Every format streams its records into one [`Batch`]: the
//! import of all given files is atomic (any bad record and nothing is
//! appended) and idempotent (importing the same input again appends nothing).
//! Coded event data (ICEWS, PLOVER, GDELT) may instead skip bad records and
//! report them, when asked to.

pub mod coded;
pub mod gdelt;
pub mod icews;
pub mod jsonl;
pub mod plover;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::store::{Batch, Store, Summary};

/// The input formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Event format JSON Lines: bare events and envelopes.
    Jsonl,
    /// ICEWS coded event files (tab-separated, with a header row).
    Icews,
    /// PLOVER records (a JSON array, or JSON Lines).
    Plover,
    /// The GDELT 2.0 event table (tab-separated, 61 columns, no header).
    Gdelt,
}

impl Format {
    /// Parse a format name.
    pub fn parse(name: &str) -> Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "jsonl" | "json" => Ok(Format::Jsonl),
            "icews" => Ok(Format::Icews),
            "plover" => Ok(Format::Plover),
            "gdelt" => Ok(Format::Gdelt),
            _ => Err(Error::invalid(format!(
                "unknown import format \"{name}\" (expected: jsonl, icews, plover, gdelt)"
            ))),
        }
    }

    /// Whether this is coded event data, mapped onto events by demarche.
    pub fn is_coded(self) -> bool {
        self != Format::Jsonl
    }
}

/// How to import, beyond the format.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Coded formats: import the good records, and report the bad ones
    /// instead of failing.
    pub skip_invalid: bool,
    /// Actors the log held before the import: coded formats register only
    /// actors it does not know yet (see [`known_actors`]).
    pub known_actors: HashSet<String>,
}

/// What an import of coded event data did, besides the batch's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Records imported (or found already present).
    pub records: u64,
    /// Records whose id came again with other content (a later release):
    /// each became a correction of the first version.
    pub corrections: u64,
    /// Actions of a record's further source actors that a later version of
    /// the record no longer names: each retracted.
    pub retractions: u64,
    /// Records skipped as invalid.
    pub skipped: u64,
    /// The first reasons for skipping, each `FILE:LINE: message`.
    pub problems: Vec<String>,
    /// Facts worth telling that did not stop the import.
    pub notes: Vec<String>,
    /// Notes about records beyond those kept.
    pub more_notes: u64,
}

/// The ids of every actor the log holds: read before a batch starts, since a
/// batch holds the store for itself.
pub fn known_actors(store: &Store) -> Result<HashSet<String>> {
    Ok(store.actors()?.into_iter().map(|a| a.id).collect())
}

/// One input: a name for messages and a reader.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn BufRead + Send>,
    /// Its size in bytes, when known (for progress).
    pub len: Option<u64>,
}

impl Input {
    /// Open a file, or standard input for `-`.
    pub fn open(path: &str) -> Result<Input> {
        if path == "-" {
            return Ok(Input {
                name: "stdin".into(),
                reader: Box::new(BufReader::with_capacity(1 << 16, std::io::stdin())),
                len: None,
            });
        }
        let p = Path::new(path);
        let file =
            std::fs::File::open(p).map_err(|e| Error::io(format!("cannot read {path}"), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("cannot read {path}"), e))?;
        if meta.is_dir() {
            return Err(Error::invalid(format!("{path} is a directory, not a file")));
        }
        Ok(Input {
            name: path.to_string(),
            reader: Box::new(BufReader::with_capacity(1 << 16, file)),
            len: Some(meta.len()),
        })
    }

    /// An input over bytes held in memory.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Input {
        let len = bytes.len() as u64;
        Input {
            name: name.into(),
            reader: Box::new(std::io::Cursor::new(bytes)),
            len: Some(len),
        }
    }
}

/// Read every input into the batch. `progress` is told how many bytes were
/// read so far. The caller commits (or, for a dry run, drops) the batch.
pub fn read_all(
    batch: &mut Batch<'_>,
    format: Format,
    inputs: Vec<Input>,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    read_with(batch, format, inputs, &Options::default(), progress).map(|_| ())
}

/// [`read_all`] with options; returns what coded formats have to report.
pub fn read_with(
    batch: &mut Batch<'_>,
    format: Format,
    inputs: Vec<Input>,
    options: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Report> {
    if options.skip_invalid && !format.is_coded() {
        return Err(Error::invalid(
            "--skip-invalid applies to coded event data (--format icews, plover or gdelt); JSON Lines imports are all or nothing",
        ));
    }
    let mut session = coded::Session::new(options);
    let mut done = 0u64;
    for input in inputs {
        let name = input.name.clone();
        let mut counting = Counting {
            inner: input.reader,
            read: 0,
        };
        let base = done;
        let mut tick = |n: u64| progress(base + n);
        match format {
            Format::Jsonl => jsonl::read(batch, &name, &mut counting, &mut tick)?,
            Format::Icews => icews::read(batch, &mut session, &name, &mut counting, &mut tick)?,
            Format::Plover => plover::read(batch, &mut session, &name, &mut counting, &mut tick)?,
            Format::Gdelt => gdelt::read(batch, &mut session, &name, &mut counting, &mut tick)?,
        }
        done += counting.read;
    }
    Ok(session.report)
}

/// The end of an import, for the user.
pub fn describe(summary: &Summary, dry_run: bool) -> String {
    let verb = if dry_run { "would import" } else { "imported" };
    format!(
        "{verb} {} new event{} ({} already present); the log {} at seq {}",
        summary.appended,
        if summary.appended == 1 { "" } else { "s" },
        summary.already_present,
        if dry_run { "would end" } else { "ends" },
        if dry_run {
            summary.head + summary.appended
        } else {
            summary.head
        }
    )
}

/// A reader that counts the bytes it hands out.
pub struct Counting {
    inner: Box<dyn BufRead + Send>,
    pub read: u64,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl BufRead for Counting {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.read += amt as u64;
        self.inner.consume(amt)
    }
}
