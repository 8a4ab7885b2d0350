//! The brief of a statement: the fields the `said` table shows or filters
//! on, in a compact binary form stored next to its line in [`super::P_SAID`],
//! so that listing a speaker's statements parses no JSON.
//!
//! Layout: the envelope's id, the date as written, the form and the stance
//! (one byte each: an index into [`Form::ALL`] and 1 + an index into
//! [`Stance::ALL`], 0 for none), the text (see below), the original text
//! (a byte 0 or 1, then the text), then five lists (`to`, `mentions`, `about`, `tags`
//! and the sources' outlets), each a count and its strings. Strings and
//! counts are LEB128 lengths followed by bytes. The text, the longest field,
//! is not copied when the line holds it unescaped: a byte 1 and the offset
//! and length of its bytes in the line stand for it (else a byte 0 and the
//! string). The layout is covered by the projections' `VERSION`.

use crate::error::{Error, Result};
use crate::event::{Form, Stance, StatementMade};
use crate::store::layout::{read_varint, varint};

/// The brief of `s`, recorded under the id `id` in the stored `line`.
pub fn encode(id: &str, s: &StatementMade, line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    put(&mut out, id);
    put(&mut out, s.date.as_str());
    out.push(index_of(&Form::ALL, s.form()));
    out.push(s.stance.map_or(0, |st| 1 + index_of(&Stance::ALL, st)));
    match text_in(line, &s.text) {
        Some(at) => {
            out.push(1);
            varint(&mut out, at as u64);
            varint(&mut out, s.text.len() as u64);
        }
        None => {
            out.push(0);
            put(&mut out, &s.text);
        }
    }
    match s.original.as_ref().and_then(|o| o.text.as_deref()) {
        Some(text) => {
            out.push(1);
            put(&mut out, text);
        }
        None => out.push(0),
    }
    for list in [&s.to, &s.mentions, &s.about, &s.tags] {
        put_list(&mut out, list.iter().map(String::as_str), list.len());
    }
    put_list(
        &mut out,
        s.sources.iter().map(|src| src.outlet.as_str()),
        s.sources.len(),
    );
    out
}

/// A statement's brief, borrowed from its stored bytes.
#[derive(Debug, PartialEq)]
pub struct Brief<'a> {
    pub id: &'a str,
    pub date: &'a str,
    pub form: Form,
    pub stance: Option<Stance>,
    pub text: &'a str,
    pub original: Option<&'a str>,
    pub to: Vec<&'a str>,
    pub mentions: Vec<&'a str>,
    pub about: Vec<&'a str>,
    pub tags: Vec<&'a str>,
    pub outlets: Vec<&'a str>,
}

impl<'a> Brief<'a> {
    /// Read a brief written by [`encode`] for `line`.
    pub fn read(bytes: &'a [u8], line: &'a [u8]) -> Result<Brief<'a>> {
        let mut r = Reader::new(bytes, WHAT);
        let brief = Brief {
            id: r.str()?,
            date: r.str()?,
            form: *Form::ALL.get(usize::from(r.byte()?)).ok_or_else(damaged)?,
            stance: match r.byte()? {
                0 => None,
                n => Some(*Stance::ALL.get(usize::from(n) - 1).ok_or_else(damaged)?),
            },
            text: match r.byte()? {
                0 => r.str()?,
                1 => {
                    let at = r.len()?;
                    let len = r.len()?;
                    let bytes = at
                        .checked_add(len)
                        .and_then(|end| line.get(at..end))
                        .ok_or_else(damaged)?;
                    std::str::from_utf8(bytes).map_err(|_| damaged())?
                }
                _ => return Err(damaged()),
            },
            original: match r.byte()? {
                0 => None,
                1 => Some(r.str()?),
                _ => return Err(damaged()),
            },
            to: r.list()?,
            mentions: r.list()?,
            about: r.list()?,
            tags: r.list()?,
            outlets: r.list()?,
        };
        if r.is_done() {
            Ok(brief)
        } else {
            Err(damaged())
        }
    }
}

/// Where the bytes of `text` are in `line`, when the line holds it as
/// the plain value of a `text` field, with nothing escaped.
fn text_in(line: &[u8], text: &str) -> Option<usize> {
    const KEY: &[u8] = b"\"text\":\"";
    let text = text.as_bytes();
    memchr::memmem::find_iter(line, KEY)
        .map(|at| at + KEY.len())
        .find(|&at| {
            line.get(at..at + text.len()) == Some(text) && line.get(at + text.len()) == Some(&b'"')
        })
}

fn index_of<T: PartialEq>(all: &[T], wanted: T) -> u8 {
    all.iter().position(|x| *x == wanted).unwrap_or(0) as u8
}

/// Write `s` as its length and bytes.
pub(super) fn put(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Write `count` strings as the count and each string.
pub(super) fn put_list<'s>(out: &mut Vec<u8>, items: impl Iterator<Item = &'s str>, count: usize) {
    varint(out, count as u64);
    for item in items {
        put(out, item);
    }
}

fn damaged() -> Error {
    damaged_value(WHAT)
}

/// The error for a stored value of this kind that does not read back.
pub(super) fn damaged_value(what: &str) -> Error {
    Error::Damaged(format!("a stored {what} is unreadable"))
}

const WHAT: &str = "statement brief";

/// Reads back what [`put`] and [`put_list`] wrote; any inconsistency is a
/// damaged value, named by what it was.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { bytes, what }
    }

    pub(super) fn damaged(&self) -> Error {
        damaged_value(self.what)
    }

    /// Whether everything was read.
    pub(super) fn is_done(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(super) fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.bytes.split_first().ok_or_else(|| self.damaged())?;
        self.bytes = rest;
        Ok(b)
    }

    pub(super) fn len(&mut self) -> Result<usize> {
        let n = self.seq()?;
        usize::try_from(n).map_err(|_| self.damaged())
    }

    pub(super) fn seq(&mut self) -> Result<u64> {
        let (n, rest) = read_varint(self.bytes).ok_or_else(|| self.damaged())?;
        self.bytes = rest;
        Ok(n)
    }

    pub(super) fn str(&mut self) -> Result<&'a str> {
        let len = self.len()?;
        if len > self.bytes.len() {
            return Err(self.damaged());
        }
        let (s, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        std::str::from_utf8(s).map_err(|_| self.damaged())
    }

    pub(super) fn list(&mut self) -> Result<Vec<&'a str>> {
        let count = self.len()?;
        // Every string takes at least its length byte.
        if count > self.bytes.len() {
            return Err(self.damaged());
        }
        (0..count).map(|_| self.str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    /// A statement and a stored line that holds it.
    fn stored(json: &str) -> (StatementMade, Vec<u8>) {
        let event =
            Event::from_value(crate::event::parse_strict(json.as_bytes()).unwrap()).unwrap();
        let line = format!(r#"{{"event":{},"id":"s-1","v":1}}"#, json).into_bytes();
        match event {
            Event::Statement(s) => (s, line),
            other => panic!("not a statement: {other:?}"),
        }
    }

    const FULL: &str = r#"{"type":"statement","date":"2022-02~","speaker":"lavrov","text":"We are \"ready\".\nÜber alles","form":"indirect","stance":"denies","to":["nato","us"],"mentions":["kyiv"],"about":["a-1"],"tags":["talks"],"original":{"language":"ru","text":"Мы готовы"},"sources":[{"outlet":"TASS"},{"outlet":"Reuters","url":"https://example.org/r"}]}"#;
    const PLAIN: &str = r#"{"type":"statement","date":"1999","speaker":"x","text":"Nothing to add, in any language: ça va."}"#;

    #[test]
    fn a_brief_reads_back_every_field() {
        let (s, line) = stored(FULL);
        let bytes = encode("s-1", &s, &line);
        let b = Brief::read(&bytes, &line).unwrap();
        assert_eq!(b.id, "s-1");
        assert_eq!(b.date, "2022-02~");
        assert_eq!(b.form, Form::Indirect);
        assert_eq!(b.stance, Some(Stance::Denies));
        assert_eq!(b.text, s.text);
        assert_eq!(b.original, Some("Мы готовы"));
        assert_eq!(b.to, ["nato", "us"]);
        assert_eq!(b.mentions, ["kyiv"]);
        assert_eq!(b.about, ["a-1"]);
        assert_eq!(b.tags, ["talks"]);
        assert_eq!(b.outlets, ["TASS", "Reuters"]);
    }

    #[test]
    fn an_unescaped_text_is_read_from_the_line_not_copied() {
        let (s, line) = stored(PLAIN);
        let bytes = encode("s-2", &s, &line);
        assert!(bytes.len() < s.text.len(), "{} bytes", bytes.len());
        let b = Brief::read(&bytes, &line).unwrap();
        assert_eq!(b.text, s.text);
        assert_eq!((b.form, b.stance, b.original), (Form::Direct, None, None));
        assert!(b.to.is_empty() && b.outlets.is_empty() && b.tags.is_empty());
        // An escaped text is kept in the brief itself.
        let (s, line) = stored(FULL);
        assert!(encode("s-1", &s, &line).len() > s.text.len());
    }

    #[test]
    fn a_damaged_brief_is_an_error_not_a_panic() {
        for json in [FULL, PLAIN] {
            let (s, line) = stored(json);
            let bytes = encode("s-1", &s, &line);
            for cut in 0..bytes.len() {
                assert!(Brief::read(&bytes[..cut], &line).is_err(), "cut at {cut}");
            }
            let mut padded = bytes.clone();
            padded.push(0);
            assert!(Brief::read(&padded, &line).is_err());
            let mut bad_form = bytes.clone();
            bad_form[4 + 1 + s.date.as_str().len()] = 9;
            assert!(Brief::read(&bad_form, &line).is_err());
        }
        // A text span past the end of a shorter line.
        let (s, line) = stored(PLAIN);
        let bytes = encode("s-2", &s, &line);
        assert!(Brief::read(&bytes, &line[..line.len() / 2]).is_err());
    }
}
