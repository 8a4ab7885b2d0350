//! JSON Lines in the event format: one bare event or envelope per line,
//! UTF-8 (a leading BOM is tolerated), LF or CRLF; blank lines and lines
//! starting with `#` are skipped; a line is at most 8 MiB.

use std::io::BufRead;

use crate::error::{Error, Result};
use crate::store::{Batch, Line, Mode};

/// Longest line accepted, in bytes, without its line ending.
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// How much longer than [`MAX_LINE_BYTES`] an envelope line may be. An
/// envelope wraps an event in its own fields (seq, id, recording time, two
/// hashes), so an event that filled a line of its own still exports to a
/// line that imports again: a backup is lossless at the limit too.
pub const ENVELOPE_EXTRA_BYTES: usize = 1024;

/// Read one input into the batch.
pub fn read(
    batch: &mut Batch<'_>,
    name: &str,
    reader: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let mut line = Vec::with_capacity(1024);
    let mut number = 0u64;
    let mut read = 0u64;
    let mut events = 0u64;
    loop {
        line.clear();
        let keep = MAX_LINE_BYTES + ENVELOPE_EXTRA_BYTES + 2;
        let (n, overflow) = read_line(reader, &mut line, keep)
            .map_err(|e| Error::io(format!("cannot read {name}"), e))?;
        if n == 0 {
            break;
        }
        read += n as u64;
        number += 1;
        let at = format!("{name}:{number}");
        let too_long = || Error::invalid(format!("{at}: line is longer than 8 MiB ({n} bytes)"));
        if overflow {
            return Err(too_long());
        }
        let mut bytes: &[u8] = &line;
        if number == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if let Err(e) = std::str::from_utf8(bytes) {
            return Err(Error::invalid(format!(
                "{at}: not valid UTF-8 (bad byte at column {})",
                e.valid_up_to() + 1
            )));
        }
        let trimmed = bytes.trim_ascii_start();
        if trimmed.is_empty() || trimmed.starts_with(b"#") || trimmed.trim_ascii().is_empty() {
            if number % 65_536 == 0 {
                progress(read);
            }
            continue;
        }
        let parsed = Line::parse(bytes);
        if bytes.len() > MAX_LINE_BYTES {
            let envelope = matches!(parsed, Ok(Line::Envelope(_)));
            if !envelope || bytes.len() > MAX_LINE_BYTES + ENVELOPE_EXTRA_BYTES {
                return Err(too_long());
            }
        }
        match parsed.map_err(|e| e.at(&at))? {
            Line::Event(event) => batch.add(*event, &at, Mode::Import),
            Line::Envelope(raw) => batch.add_envelope(raw, &at),
        }
        .map_err(|e| e.at(&at))?;
        events += 1;
        if events % 4096 == 0 {
            progress(read);
        }
    }
    progress(read);
    if events == 0 {
        return Err(Error::invalid(format!(
            "{name}: no events found ({})",
            if number == 0 {
                "the file is empty"
            } else {
                "only blank or comment lines"
            }
        )));
    }
    Ok(())
}

/// Read up to and including the next newline, keeping at most `keep`
/// bytes. Past that, the rest of the line is consumed but not kept, and the
/// line is reported as overflowing.
fn read_line(
    reader: &mut dyn BufRead,
    out: &mut Vec<u8>,
    keep: usize,
) -> std::io::Result<(usize, bool)> {
    let mut total = 0usize;
    let mut overflow = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((total, overflow));
        }
        let (chunk, done) = match memchr(buf) {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        if !overflow {
            if out.len() + n > keep {
                overflow = true;
                out.clear();
            } else {
                out.extend_from_slice(chunk);
            }
        }
        total += n;
        reader.consume(n);
        if done {
            return Ok((total, overflow));
        }
    }
}

fn memchr(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|b| *b == b'\n')
}
