//! The one place output is written. A reader that goes away (`| head`) ends
//! the command quietly and successfully.

use std::io::{BufWriter, Write};

use demarche::error::{Error, Result};

/// Buffered standard output.
pub struct Out {
    inner: BufWriter<Box<dyn Write>>,
}

impl Out {
    /// Standard output.
    pub fn stdout() -> Out {
        Out {
            inner: BufWriter::with_capacity(1 << 16, Box::new(std::io::stdout())),
        }
    }

    /// Write a line.
    pub fn line(&mut self, s: &str) -> Result<()> {
        self.bytes(s.as_bytes())?;
        self.bytes(b"\n")
    }

    /// Write raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> Result<()> {
        self.inner
            .write_all(b)
            .map_err(|e| Error::io("cannot write output", e))
    }

    /// Write with `write`, which streams into the buffer.
    pub fn stream(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        write(&mut self.inner).map_err(|e| Error::io("cannot write output", e))
    }

    /// Write one JSON value as a line.
    pub fn json<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let bytes = serde_json::to_vec(v).unwrap_or_default();
        self.bytes(&bytes)?;
        self.bytes(b"\n")
    }

    /// Flush what is buffered.
    pub fn flush(&mut self) -> Result<()> {
        self.inner
            .flush()
            .map_err(|e| Error::io("cannot write output", e))
    }
}

/// Append `n` spaces to `line`, a slice at a time.
pub fn spaces(line: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        line.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// Whether an error is a closed output pipe.
pub fn is_broken_pipe(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Pad a table: every column as wide as its widest cell, the last one free.
pub fn table(rows: &[Vec<String>]) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 < row.len() {
                    line.push_str(cell);
                    let pad = widths[i] - cell.chars().count() + 2;
                    spaces(&mut line, pad);
                } else {
                    line.push_str(cell);
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}
