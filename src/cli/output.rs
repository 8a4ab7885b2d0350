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

    /// Write a line of text. Control characters other than line breaks and
    /// tabs are written as visible escapes (`\x1b`), so that no stored text
    /// can move the cursor or recolour a terminal.
    pub fn line(&mut self, s: &str) -> Result<()> {
        if may_hold_controls(s.as_bytes()) {
            self.bytes(visible(s).as_bytes())?;
        } else {
            self.bytes(s.as_bytes())?;
        }
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

/// Whether `b` may hold a control character other than `\n` and `\t`: a
/// C0 control, DEL, or the lead byte of U+0080 to U+00BF (the C1 controls
/// among them). A quick pass over every line; [`visible`] decides.
fn may_hold_controls(b: &[u8]) -> bool {
    b.iter()
        .any(|&c| (c < 0x20 && c != b'\n' && c != b'\t') || c == 0x7f || c == 0xc2)
}

/// `s` with its control characters, but for `\n` and `\t`, escaped.
fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_as_escapes() {
        assert_eq!(
            visible("a\u{1b}[31mb\rc\u{0}d\u{7f}\u{9b}e"),
            "a\\x1b[31mb\\x0dc\\x00d\\x7f\\x9be"
        );
        assert_eq!(visible("line\n\ttab «ça» £"), "line\n\ttab «ça» £");
        assert!(!may_hold_controls("Песков: да, été\n\t".as_bytes()));
        assert!(may_hold_controls("«".as_bytes()));
        for s in ["\u{1b}", "\r", "\u{7f}", "\u{85}"] {
            assert!(may_hold_controls(s.as_bytes()), "{s:?}");
        }
    }
}
