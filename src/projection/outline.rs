//! The outline of a statement, action or affiliation: what the relation
//! graph reads of it (its id, date, who, towards whom, how), as the event
//! was logged. Outlines are kept in [`super::P_OUTLINE`] so that a graph of
//! a few hundred events reads a few small values per event instead of a
//! log block each; an amended event is read as it stands instead.
//!
//! Record layout: a type byte (`s`, `x` or `f`), the id, then
//! - statement: date, stance (1 + an index into [`Stance::ALL`], 0 for
//!   none), speaker, the lists `to`, `mentions` and `about`, then the
//!   count of the seqs of the events it is about (0, or as many as
//!   `about`) and each seq (0 for one not in the log);
//! - action: date, actor, kind, and the list `targets`;
//! - affiliation: actor, org, role, then `from` and `until`, each a byte 0
//!   (none) or 1 and the date.
//!
//! Strings and lists are written as in [`super::brief`], counts and seqs as
//! LEB128. Dates are kept as
//! written. The layout is covered by the projections' `VERSION`.
//!
//! Stored values ([`Outlines`]) hold the records of [`Outlines::BUCKET`]
//! consecutive seqs, keyed by the bucket number (8 bytes, big-endian): the
//! zstd-compressed sequence of `seq, length, record`, ascending. A value
//! depends only on the records in it, so a replay writes the same bytes.

use super::brief::{damaged_value, put, put_list, Reader};
use crate::error::{Error, Result};
use crate::event::{Event, Stance};
use crate::store::layout::{compress, decompress, read_varint, varint};
use crate::store::{seq_key, Backend};

const WHAT: &str = "event outline";

/// What the relation graph reads of an event, borrowed from the event or
/// from a stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outline<'a> {
    Statement {
        id: &'a str,
        date: &'a str,
        speaker: &'a str,
        stance: Option<Stance>,
        to: Vec<&'a str>,
        mentions: Vec<&'a str>,
        about: Vec<&'a str>,
        /// The seqs of the events in `about`, as the projection found them
        /// when the statement was logged; empty when not known.
        about_seqs: Vec<u64>,
    },
    Action {
        id: &'a str,
        date: &'a str,
        actor: &'a str,
        kind: &'a str,
        targets: Vec<&'a str>,
    },
    Affiliation {
        id: &'a str,
        actor: &'a str,
        org: &'a str,
        role: &'a str,
        from: Option<&'a str>,
        until: Option<&'a str>,
    },
}

fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

impl<'a> Outline<'a> {
    /// The outline of `event`, logged under `id`; `None` for the types the
    /// graph does not read (actors, corrections, retractions).
    pub fn of(id: &'a str, event: &'a Event) -> Option<Outline<'a>> {
        Some(match event {
            Event::Statement(s) => Outline::Statement {
                id,
                date: s.date.as_str(),
                speaker: &s.speaker,
                stance: s.stance,
                to: strs(&s.to),
                mentions: strs(&s.mentions),
                about: strs(&s.about),
                about_seqs: Vec::new(),
            },
            Event::Action(x) => Outline::Action {
                id,
                date: x.date.as_str(),
                actor: &x.actor,
                kind: &x.kind,
                targets: strs(&x.targets),
            },
            Event::Affiliation(f) => Outline::Affiliation {
                id,
                actor: &f.actor,
                org: &f.org,
                role: &f.role,
                from: f.from.as_ref().map(|d| d.as_str()),
                until: f.until.as_ref().map(|d| d.as_str()),
            },
            Event::Actor(_) | Event::Correction(_) | Event::Retraction(_) => return None,
        })
    }

    /// Record the seqs of the events a statement is about, one for each
    /// (else nothing is recorded).
    pub fn set_about_seqs(&mut self, seqs: &[u64]) {
        if let Outline::Statement {
            about, about_seqs, ..
        } = self
        {
            if seqs.len() == about.len() {
                *about_seqs = seqs.to_vec();
            }
        }
    }

    /// The id of the event.
    pub fn id(&self) -> &'a str {
        match self {
            Outline::Statement { id, .. }
            | Outline::Action { id, .. }
            | Outline::Affiliation { id, .. } => id,
        }
    }

    /// The speaker of a statement or the actor of an action.
    pub fn responsible(&self) -> Option<&'a str> {
        match self {
            Outline::Statement { speaker, .. } => Some(speaker),
            Outline::Action { actor, .. } => Some(actor),
            Outline::Affiliation { .. } => None,
        }
    }

    /// Append the record of this outline to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let list = |out: &mut Vec<u8>, items: &[&str]| {
            put_list(out, items.iter().copied(), items.len());
        };
        match self {
            Outline::Statement {
                id,
                date,
                speaker,
                stance,
                to,
                mentions,
                about,
                about_seqs,
            } => {
                out.push(b's');
                put(out, id);
                put(out, date);
                let stance_at = stance.and_then(|st| Stance::ALL.iter().position(|x| *x == st));
                out.push(stance_at.map_or(0, |at| at as u8 + 1));
                put(out, speaker);
                list(out, to);
                list(out, mentions);
                list(out, about);
                varint(out, about_seqs.len() as u64);
                for &seq in about_seqs {
                    varint(out, seq);
                }
            }
            Outline::Action {
                id,
                date,
                actor,
                kind,
                targets,
            } => {
                out.push(b'x');
                put(out, id);
                put(out, date);
                put(out, actor);
                put(out, kind);
                list(out, targets);
            }
            Outline::Affiliation {
                id,
                actor,
                org,
                role,
                from,
                until,
            } => {
                out.push(b'f');
                put(out, id);
                put(out, actor);
                put(out, org);
                put(out, role);
                for date in [from, until] {
                    match date {
                        Some(d) => {
                            out.push(1);
                            put(out, d);
                        }
                        None => out.push(0),
                    }
                }
            }
        }
    }

    /// Read a record written by [`Outline::encode`].
    pub fn read(bytes: &'a [u8]) -> Result<Outline<'a>> {
        let mut r = Reader::new(bytes, WHAT);
        let outline = match r.byte()? {
            b's' => {
                let (id, date) = (r.str()?, r.str()?);
                let stance = match r.byte()? {
                    0 => None,
                    n => Some(
                        *Stance::ALL
                            .get(usize::from(n) - 1)
                            .ok_or_else(|| r.damaged())?,
                    ),
                };
                let (speaker, to, mentions, about) = (r.str()?, r.list()?, r.list()?, r.list()?);
                let count = r.len()?;
                if count != 0 && count != about.len() {
                    return Err(r.damaged());
                }
                let about_seqs = (0..count).map(|_| r.seq()).collect::<Result<_>>()?;
                Outline::Statement {
                    id,
                    date,
                    speaker,
                    stance,
                    to,
                    mentions,
                    about,
                    about_seqs,
                }
            }
            b'x' => Outline::Action {
                id: r.str()?,
                date: r.str()?,
                actor: r.str()?,
                kind: r.str()?,
                targets: r.list()?,
            },
            b'f' => {
                let (id, actor, org, role) = (r.str()?, r.str()?, r.str()?, r.str()?);
                let mut date = || -> Result<Option<&'a str>> {
                    match r.byte()? {
                        0 => Ok(None),
                        1 => r.str().map(Some),
                        _ => Err(r.damaged()),
                    }
                };
                let (from, until) = (date()?, date()?);
                Outline::Affiliation {
                    id,
                    actor,
                    org,
                    role,
                    from,
                    until,
                }
            }
            _ => return Err(r.damaged()),
        };
        if r.is_done() {
            Ok(outline)
        } else {
            Err(r.damaged())
        }
    }
}

/// The stored buckets of outlines (see the module's documentation).
pub struct Outlines;

/// A bucket's records, unpacked: `(seq, record)` pairs read with
/// [`Unpacked::records`].
#[derive(Debug, Default)]
pub struct Unpacked {
    raw: Vec<u8>,
}

impl Outlines {
    /// Consecutive seqs per bucket.
    pub const BUCKET: u64 = 64;

    /// The key of the bucket holding `seq`.
    pub fn key(seq: u64) -> [u8; 8] {
        seq_key(seq / Outlines::BUCKET)
    }

    /// A stored value for `records`, ascending by seq.
    pub fn encode(records: &[(u64, Vec<u8>)]) -> Result<Vec<u8>> {
        let mut raw = Vec::with_capacity(records.iter().map(|(_, r)| r.len() + 4).sum());
        for (seq, record) in records {
            varint(&mut raw, *seq);
            varint(&mut raw, record.len() as u64);
            raw.extend_from_slice(record);
        }
        compress(&raw)
    }

    /// The records of a stored value.
    pub fn decode(value: &[u8]) -> Result<Vec<(u64, Vec<u8>)>> {
        let unpacked = Outlines::unpack(value)?;
        unpacked
            .records()
            .map(|r| r.map(|(seq, record)| (seq, record.to_vec())))
            .collect()
    }

    /// Unpack a stored value.
    pub fn unpack(value: &[u8]) -> Result<Unpacked> {
        let raw = decompress(value).map_err(|_| damaged_value(WHAT))?;
        Ok(Unpacked { raw })
    }

    /// The buckets that hold `seqs`, each read once, in the order of
    /// `seqs` (ascending); a bucket not stored is left out.
    pub fn buckets(backend: &dyn Backend, seqs: &[u64]) -> Result<Vec<Unpacked>> {
        let mut keys: Vec<[u8; 8]> = seqs.iter().map(|&s| Outlines::key(s)).collect();
        keys.dedup();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(value) = backend.get(super::P_OUTLINE, &key)? {
                out.push(Outlines::unpack(&value)?);
            }
        }
        Ok(out)
    }

    /// The stored bucket that holds `seq`, if any.
    pub fn bucket(backend: &dyn Backend, seq: u64) -> Result<Option<Unpacked>> {
        backend
            .get(super::P_OUTLINE, &Outlines::key(seq))?
            .map(|value| Outlines::unpack(&value))
            .transpose()
    }
}

impl Unpacked {
    /// The record of the event at `seq`, if this bucket holds one.
    pub fn find(&self, seq: u64) -> Result<Option<&[u8]>> {
        for item in self.records() {
            let (at, record) = item?;
            if at == seq {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// The `(seq, record)` pairs, ascending.
    pub fn records(&self) -> impl Iterator<Item = Result<(u64, &[u8])>> {
        let mut rest: &[u8] = &self.raw;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let item = (|| {
                let (seq, r) = read_varint(rest)?;
                let (len, r) = read_varint(r)?;
                let len = usize::try_from(len).ok().filter(|&l| l <= r.len())?;
                let (record, r) = r.split_at(len);
                rest = r;
                Some((seq, record))
            })();
            match item {
                Some(item) => Some(Ok(item)),
                None => {
                    rest = &[];
                    Some(Err(Error::Damaged(format!(
                        "a stored bucket of {WHAT}s is unreadable"
                    ))))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_strict, Event};

    fn event(json: &str) -> Event {
        Event::from_value(parse_strict(json.as_bytes()).unwrap()).unwrap()
    }

    const EVENTS: [&str; 4] = [
        r#"{"type":"statement","date":"2022-02~","speaker":"lavrov","text":"Ready.","stance":"denies","to":["nato","us"],"mentions":["kyiv"],"about":["a-1","a-2"],"sources":[{"outlet":"TASS"}]}"#,
        r#"{"type":"statement","date":"1999","speaker":"x","text":"Nothing to add."}"#,
        r#"{"type":"action","date":"2022-02-24/2022-03","actor":"ru","kind":"military","summary":"Moved.","targets":["ua"],"sources":[{"outlet":"AP"}]}"#,
        r#"{"type":"affiliation","actor":"lavrov","org":"ru-mfa","role":"minister","from":"2004-03-09"}"#,
    ];

    #[test]
    fn an_outline_reads_back_as_it_was_taken() {
        for json in EVENTS {
            let e = event(json);
            let mut outline = Outline::of("e-1", &e).unwrap();
            let mut bytes = Vec::new();
            outline.encode(&mut bytes);
            assert_eq!(Outline::read(&bytes).unwrap(), outline, "{json}");
            // With the seqs of what a statement is about: one per id.
            outline.set_about_seqs(&[5, 0]);
            bytes.clear();
            outline.encode(&mut bytes);
            assert_eq!(Outline::read(&bytes).unwrap(), outline, "{json}");
        }
        let e = event(EVENTS[0]);
        let Some(Outline::Statement {
            date,
            stance,
            about,
            ..
        }) = Outline::of("e-1", &e)
        else {
            panic!("not a statement outline");
        };
        assert_eq!((date, stance), ("2022-02~", Some(Stance::Denies)));
        assert_eq!(about, ["a-1", "a-2"]);
        let mut outline = Outline::of("e-1", &e).unwrap();
        outline.set_about_seqs(&[5]);
        assert!(
            matches!(outline, Outline::Statement { ref about_seqs, .. } if about_seqs.is_empty())
        );
        outline.set_about_seqs(&[5, 9]);
        let mut bytes = Vec::new();
        outline.encode(&mut bytes);
        assert!(
            matches!(Outline::read(&bytes).unwrap(), Outline::Statement { about_seqs, .. } if about_seqs == [5, 9])
        );
        // A count of seqs that matches neither none nor every id.
        let count_at = bytes.len() - 3;
        assert_eq!(bytes[count_at], 2);
        bytes[count_at] = 1;
        assert!(Outline::read(&bytes[..bytes.len() - 1]).is_err());
        let e = event(r#"{"type":"actor","id":"ru","name":"Russia","kind":"state"}"#);
        assert_eq!(Outline::of("ru", &e), None);
    }

    #[test]
    fn a_damaged_outline_is_an_error_not_a_panic() {
        for json in EVENTS {
            let e = event(json);
            let mut outline = Outline::of("e-1", &e).unwrap();
            outline.set_about_seqs(&[3, 300]);
            let mut bytes = Vec::new();
            outline.encode(&mut bytes);
            for cut in 0..bytes.len() {
                assert!(Outline::read(&bytes[..cut]).is_err(), "{json} cut at {cut}");
            }
            let mut padded = bytes.clone();
            padded.push(0);
            assert!(Outline::read(&padded).is_err());
            let mut retyped = bytes.clone();
            retyped[0] = b'a';
            assert!(Outline::read(&retyped).is_err());
        }
    }

    #[test]
    fn a_bucket_keeps_its_records_in_order_and_rejects_damage() {
        let records: Vec<(u64, Vec<u8>)> = EVENTS
            .iter()
            .enumerate()
            .map(|(i, json)| {
                let e = event(json);
                let mut bytes = Vec::new();
                Outline::of("e", &e).unwrap().encode(&mut bytes);
                (64 + i as u64 * 3, bytes)
            })
            .collect();
        let value = Outlines::encode(&records).unwrap();
        assert_eq!(Outlines::decode(&value).unwrap(), records);
        assert!(Outlines::decode(&value[..value.len() - 1]).is_err());
        // A record whose length runs past the end.
        let mut raw = Vec::new();
        varint(&mut raw, 7);
        varint(&mut raw, 40);
        raw.extend_from_slice(b"short");
        let value = compress(&raw).unwrap();
        let unpacked = Outlines::unpack(&value).unwrap();
        let read: Vec<_> = unpacked.records().collect();
        assert_eq!(read.len(), 1);
        assert!(read[0].is_err());
    }
}
