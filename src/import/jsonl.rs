//! JSON Lines in the event format: one bare event or envelope per line,
//! UTF-8 (a leading BOM is tolerated), LF or CRLF; blank lines and lines
//! starting with `#` are skipped; a line is at most 8 MiB.

use std::io::BufRead;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::store::{Batch, Line, Mode, RawEnvelope};

/// Longest line accepted, in bytes, without its line ending.
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// How much longer than [`MAX_LINE_BYTES`] an envelope line may be. An
/// envelope wraps an event in its own fields (seq, id, recording time, two
/// hashes), so an event that filled a line of its own still exports to a
/// line that imports again: a backup is lossless at the limit too.
pub const ENVELOPE_EXTRA_BYTES: usize = 1024;

/// What the reading thread makes of one line.
enum Parsed {
    /// Blank or a comment.
    Skip,
    /// An event, with its canonical bytes.
    Event(Box<Event>, Vec<u8>),
    Envelope(Box<RawEnvelope>),
    Bad(Error),
}

/// Lines handed from the reading thread to the writer, in input order,
/// with the number of the first and how many bytes were read so far.
struct Chunk {
    first: u64,
    lines: Vec<Parsed>,
    read: u64,
}

const CHUNK_LINES: usize = 512;

/// Read one input into the batch. A second thread reads and parses the
/// lines while this one checks references and appends, in input order, so
/// the first bad line reported is always the first bad line of the input.
pub fn read(
    batch: &mut Batch<'_>,
    name: &str,
    reader: &mut (dyn BufRead + Send),
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(8);
        let producer = scope.spawn(move || produce(name, reader, tx));
        let consumed = consume(batch, name, rx, progress);
        // The reader stops at its next send once the receiver is gone.
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(Error::Storage("the reading thread failed".into())));
        let (events, lines) = match (consumed, produced) {
            (Err(e), _) => return Err(e),
            (Ok(_), Err(e)) => return Err(e),
            (Ok(events), Ok(lines)) => (events, lines),
        };
        if events == 0 {
            return Err(Error::invalid(format!(
                "{name}: no events found ({})",
                if lines == 0 {
                    "the file is empty"
                } else {
                    "only blank or comment lines"
                }
            )));
        }
        Ok(())
    })
}

/// Append the parsed lines in order; returns how many events there were.
fn consume(
    batch: &mut Batch<'_>,
    name: &str,
    rx: std::sync::mpsc::Receiver<Chunk>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let mut events = 0u64;
    for chunk in rx {
        for (i, parsed) in chunk.lines.into_iter().enumerate() {
            let at = || format!("{name}:{}", chunk.first + i as u64);
            match parsed {
                Parsed::Skip => {}
                Parsed::Bad(e) => return Err(e),
                Parsed::Event(event, canonical) => {
                    let at = at();
                    batch
                        .add_canonical(*event, canonical, &at, Mode::Import)
                        .map_err(|e| e.at(&at))?;
                    events += 1;
                }
                Parsed::Envelope(raw) => {
                    let at = at();
                    batch.add_envelope(*raw, &at).map_err(|e| e.at(&at))?;
                    events += 1;
                }
            }
        }
        progress(chunk.read);
    }
    Ok(events)
}

/// Read and parse lines, sending them on in chunks; returns how many lines
/// there were. Stops early when the receiver is gone.
fn produce(
    name: &str,
    reader: &mut (dyn BufRead + Send),
    tx: std::sync::mpsc::SyncSender<Chunk>,
) -> Result<u64> {
    let mut line = Vec::with_capacity(1024);
    let mut number = 0u64;
    let mut read = 0u64;
    let mut chunk = Chunk {
        first: 1,
        lines: Vec::with_capacity(CHUNK_LINES),
        read: 0,
    };
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
        let parsed = parse_line(name, number, &line, n, overflow);
        let stop = matches!(parsed, Parsed::Bad(_));
        chunk.lines.push(parsed);
        if chunk.lines.len() == CHUNK_LINES || stop {
            chunk.read = read;
            let next = Chunk {
                first: number + 1,
                lines: Vec::with_capacity(CHUNK_LINES),
                read,
            };
            if tx.send(std::mem::replace(&mut chunk, next)).is_err() || stop {
                return Ok(number);
            }
        }
    }
    chunk.read = read;
    let _ = tx.send(chunk);
    Ok(number)
}

/// One line of input, as read (with its ending).
fn parse_line(name: &str, number: u64, line: &[u8], n: usize, overflow: bool) -> Parsed {
    let at = || format!("{name}:{number}");
    let too_long = || Error::invalid(format!("{}: line is longer than 8 MiB ({n} bytes)", at()));
    if overflow {
        return Parsed::Bad(too_long());
    }
    let mut bytes: &[u8] = line;
    if number == 1 {
        bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    }
    bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        return Parsed::Bad(Error::invalid(format!(
            "{}: not valid UTF-8 (bad byte at column {})",
            at(),
            e.valid_up_to() + 1
        )));
    }
    let trimmed = bytes.trim_ascii_start();
    if trimmed.is_empty() || trimmed.starts_with(b"#") || trimmed.trim_ascii().is_empty() {
        return Parsed::Skip;
    }
    let parsed = Line::parse(bytes);
    if bytes.len() > MAX_LINE_BYTES {
        let envelope = matches!(parsed, Ok(Line::Envelope(_)));
        if !envelope || bytes.len() > MAX_LINE_BYTES + ENVELOPE_EXTRA_BYTES {
            return Parsed::Bad(too_long());
        }
    }
    match parsed {
        Ok(Line::Event(event)) => {
            let canonical = event.canonical_bytes();
            Parsed::Event(event, canonical)
        }
        Ok(Line::Envelope(raw)) => Parsed::Envelope(Box::new(raw)),
        Err(e) => Parsed::Bad(e.at(&at())),
    }
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
