//! What the coded event data importers (ICEWS, PLOVER, GDELT) share: actor
//! ids, kinds and countries; CAMEO roots, quad classes and PLOVER categories;
//! line reading; and the one place a mapped record meets the batch.
//!
//! Promises: every mapping is a pure function of the record, so the same
//! record always gives the same events byte for byte (which is what makes a
//! second import append nothing); a bad record is either the error that ends
//! the import or, with `skip_invalid`, a counted reason, and a skipped record
//! writes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::date::EdtfDate;
use crate::error::{Error, Result};
use crate::event::{
    hex, is_slug, ActionTaken, ActorKind, ActorRegistered, CorrectionIssued, Event,
    RetractionIssued,
};
use crate::store::{Batch, Mode};

use super::{Options, Report};

/// Longest line (or JSON record) accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 8 << 20;

/// How many skip reasons a report keeps (the count goes on).
pub const MAX_PROBLEMS: usize = 20;

/// The id of the stand-in for a record's missing actor.
pub const UNKNOWN_ACTOR: &str = "unknown-actor";

/// A problem with one record: the message, without the file and line.
pub type RowResult<T> = std::result::Result<T, String>;

// ---------------------------------------------------------------------------
// Reading lines

/// Lines of a text input, with their numbers, read one at a time so memory
/// stays bounded whatever the size of the file.
pub struct Lines<'r> {
    reader: &'r mut dyn BufRead,
    buf: Vec<u8>,
    /// The number of the line last returned, from 1.
    pub number: u64,
    /// Bytes consumed so far.
    pub read: u64,
}

/// One line as read: its bytes without the line ending, or why it was not
/// kept.
pub enum RawLine<'a> {
    Bytes(&'a [u8]),
    TooLong(usize),
}

impl<'r> Lines<'r> {
    pub fn new(reader: &'r mut dyn BufRead) -> Lines<'r> {
        Lines {
            reader,
            buf: Vec::with_capacity(4096),
            number: 0,
            read: 0,
        }
    }

    /// The next line and its number, `None` at the end of the input. A
    /// leading BOM and the CR of a CRLF ending are removed.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, RawLine<'_>)>> {
        self.buf.clear();
        let mut total = 0usize;
        let mut too_long = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                // Room for the longest line and its ending; whether the line
                // itself fits is known once the ending has been seen.
                if self.buf.len() + take > MAX_LINE_BYTES + 2 {
                    // Read on to the end of the line, without keeping it.
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            total += take;
            self.reader.consume(take);
            if done {
                break;
            }
        }
        if total == 0 {
            return Ok(None);
        }
        self.read += total as u64;
        self.number += 1;
        if too_long {
            return Ok(Some((self.number, RawLine::TooLong(total))));
        }
        let mut bytes: &[u8] = &self.buf;
        if self.number == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.len() > MAX_LINE_BYTES {
            return Ok(Some((self.number, RawLine::TooLong(total))));
        }
        Ok(Some((self.number, RawLine::Bytes(bytes))))
    }
}

/// Show bytes on one line of a message: text as text, tabs as `\t`, other
/// control characters and bytes that are not UTF-8 as `\xNN` (`\u{NNNN}`
/// beyond ASCII), so the message names the offending value.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => out.push_str("\\t"),
                c if c.is_ascii_control() => out.push_str(&format!("\\x{:02X}", u32::from(c))),
                c if c.is_control() => out.push_str(&format!("\\u{{{:04X}}}", u32::from(c))),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Split a tab-separated line into trimmed fields; a field that is not UTF-8
/// is reported with its column.
pub fn tab_fields<'a>(
    bytes: &'a [u8],
    column_name: &dyn Fn(usize) -> String,
) -> RowResult<Vec<&'a str>> {
    bytes
        .split(|b| *b == b'\t')
        .enumerate()
        .map(|(i, field)| match std::str::from_utf8(field) {
            Ok(s) => Ok(s.trim()),
            Err(_) => Err(format!(
                "{}: not valid UTF-8: \"{}\"",
                column_name(i),
                show_bytes(field)
            )),
        })
        .collect()
}

/// Coded data marks a missing value as empty, `NA` or `(NA)`.
pub fn present(value: &str) -> Option<&str> {
    match value.trim() {
        "" | "NA" | "(NA)" | "N/A" => None,
        v => Some(v),
    }
}

/// What a line of a tab-separated file is.
pub enum Step {
    /// Not a record (a header row).
    Skip,
    /// A record, or why it is not one.
    Record(RowResult<Mapped>),
}

/// Drive a line-based file through `step`, which sees each non-blank line
/// with its number. Records go to the batch, problems to the session;
/// `step` may also end the import with an error of its own (a bad header).
/// Returns how many lines were records or problems.
pub fn each_line(
    batch: &mut Batch<'_>,
    session: &mut Session<'_>,
    name: &str,
    reader: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64),
    step: &mut dyn FnMut(u64, &[u8]) -> Result<Step>,
) -> Result<u64> {
    let mut lines = Lines::new(reader);
    let mut records = 0u64;
    loop {
        let (number, outcome) = {
            let next = lines
                .next_line()
                .map_err(|e| Error::io(format!("cannot read {name}"), e))?;
            let Some((number, line)) = next else {
                break;
            };
            match line {
                RawLine::TooLong(n) => (
                    number,
                    Step::Record(Err(format!("line is longer than 8 MiB ({n} bytes)"))),
                ),
                RawLine::Bytes(b) if b.trim_ascii().is_empty() => (number, Step::Skip),
                RawLine::Bytes(b) => (number, step(number, b)?),
            }
        };
        match outcome {
            Step::Skip => continue,
            Step::Record(Ok(mapped)) => session.emit(batch, mapped, name, number)?,
            Step::Record(Err(message)) => session.reject(name, number, &message)?,
        }
        records += 1;
        if records.is_multiple_of(4096) {
            progress(lines.read);
        }
    }
    progress(lines.read);
    Ok(records)
}

// ---------------------------------------------------------------------------
// Values

/// A day written `YYYY-MM-DD`.
pub fn iso_day(value: &str) -> RowResult<EdtfDate> {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let parsed = if shaped {
        EdtfDate::parse(value).ok()
    } else {
        None
    };
    parsed.ok_or_else(|| format!("invalid date \"{value}\" (expected YYYY-MM-DD)"))
}

/// A day written `YYYYMMDD` (GDELT).
pub fn compact_day(value: &str) -> RowResult<EdtfDate> {
    let ok = value.len() == 8 && value.bytes().all(|c| c.is_ascii_digit());
    let iso = if ok {
        format!("{}-{}-{}", &value[..4], &value[4..6], &value[6..8])
    } else {
        String::new()
    };
    match iso_day(&iso) {
        Ok(d) if ok => Ok(d),
        _ => Err(format!("invalid date \"{value}\" (expected YYYYMMDD)")),
    }
}

/// An instant written `YYYYMMDDHHMMSS` (GDELT 2.0 DATEADDED, read as UTC), or
/// a day `YYYYMMDD` (GDELT 1.0).
pub fn compact_instant(value: &str) -> RowResult<EdtfDate> {
    let digits = value.bytes().all(|c| c.is_ascii_digit());
    let bad = || format!("invalid date-time \"{value}\" (expected YYYYMMDDHHMMSS)");
    match value.len() {
        8 if digits => compact_day(value).map_err(|_| bad()),
        14 if digits => {
            let s = format!(
                "{}-{}-{}T{}:{}:{}Z",
                &value[..4],
                &value[4..6],
                &value[6..8],
                &value[8..10],
                &value[10..12],
                &value[12..14]
            );
            EdtfDate::parse(&s).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// A finite number, optionally within bounds.
pub fn number(value: &str, range: Option<(f64, f64)>) -> RowResult<f64> {
    let n: Option<f64> = value.parse().ok().filter(|n: &f64| n.is_finite());
    match (n, range) {
        (Some(n), Some((lo, hi))) if (lo..=hi).contains(&n) => Ok(n),
        (Some(n), None) => Ok(n),
        (_, Some((lo, hi))) => Err(format!(
            "invalid number \"{value}\" (expected a number from {lo} to {hi})"
        )),
        (None, None) => Err(format!("invalid number \"{value}\" (expected a number)")),
    }
}

// ---------------------------------------------------------------------------
// CAMEO and PLOVER

/// A checked CAMEO event code: 2 to 4 digits whose first two name one of the
/// twenty roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cameo {
    pub code: String,
    pub root: u8,
}

/// Check a CAMEO event code.
pub fn cameo(value: &str) -> RowResult<Cameo> {
    let digits = (2..=4).contains(&value.len()) && value.bytes().all(|c| c.is_ascii_digit());
    if !digits {
        return Err(format!(
            "invalid CAMEO code \"{value}\" (expected 2 to 4 digits)"
        ));
    }
    let root: u8 = value[..2].parse().unwrap_or(0);
    if !(1..=20).contains(&root) {
        return Err(format!(
            "invalid CAMEO code \"{value}\" (its first two digits name the root, 01 to 20)"
        ));
    }
    Ok(Cameo {
        code: value.to_string(),
        root,
    })
}

impl Cameo {
    /// The quad class of the root: 01–05 verbal cooperation, 06–08 material
    /// cooperation, 09–13 verbal conflict, 14–20 material conflict.
    pub fn quad_class(&self) -> u8 {
        quad_class(self.root)
    }

    /// The PLOVER category the PLOVER project gives this code
    /// (`cameo/CAMEO-PLOV.txt` of openeventdata/PLOVER), if any: roots 01 and
    /// 02 have none.
    pub fn plover(&self) -> Option<&'static str> {
        // The exceptions to the root's category, longest prefix first.
        const EXCEPTIONS: [(&str, &str); 10] = [
            ("0813", "RETREAT"),
            ("0814", "RETREAT"),
            ("084", "RETREAT"),
            ("085", "RETREAT"),
            ("086", "RETREAT"),
            ("087", "RETREAT"),
            ("175", "ASSAULT"),
            ("185", "THREATEN"),
            ("191", "COERCE"),
            ("192", "COERCE"),
        ];
        if let Some((_, p)) = EXCEPTIONS
            .iter()
            .find(|(pre, _)| self.code.starts_with(pre))
        {
            return Some(p);
        }
        Some(match self.root {
            3 => "AGREE",
            4 => "CONSULT",
            5 => "SUPPORT",
            6 => "COOPERATE",
            7 => "AID",
            8 => "CONCEDE",
            9 => "INVESTIGATE",
            10 => "DEMAND",
            11 => "DISAPPROVE",
            12 => "REJECT",
            13 => "THREATEN",
            14 => "PROTEST",
            15 => "MOBILIZE",
            16 => "SANCTION",
            17 => "COERCE",
            18..=20 => "ASSAULT",
            _ => return None,
        })
    }

    /// The action kind: the PLOVER category in lower case, or `statement` and
    /// `appeal` for roots 01 and 02, which PLOVER does not map.
    pub fn kind(&self) -> String {
        match self.plover() {
            Some(p) => p.to_ascii_lowercase(),
            None if self.root == 1 => "statement".into(),
            None => "appeal".into(),
        }
    }

    /// What the code means: the CAMEO codebook's name for its first three
    /// digits (a four-digit code reads as its three-digit base), else its
    /// root's.
    pub fn name(&self) -> &'static str {
        let base = &self.code[..self.code.len().min(3)];
        match CAMEO_NAMES.binary_search_by(|(code, _)| (*code).cmp(base)) {
            Ok(i) => CAMEO_NAMES[i].1,
            Err(_) => self.root_name(),
        }
    }

    /// The root's name in the CAMEO codebook.
    pub fn root_name(&self) -> &'static str {
        const NAMES: [&str; 20] = [
            "Make public statement",
            "Appeal",
            "Express intent to cooperate",
            "Consult",
            "Engage in diplomatic cooperation",
            "Engage in material cooperation",
            "Provide aid",
            "Yield",
            "Investigate",
            "Demand",
            "Disapprove",
            "Reject",
            "Threaten",
            "Protest",
            "Exhibit force posture",
            "Reduce relations",
            "Coerce",
            "Assault",
            "Fight",
            "Use unconventional mass violence",
        ];
        NAMES
            .get(usize::from(self.root).saturating_sub(1))
            .copied()
            .unwrap_or("Event")
    }
}

/// The names of the CAMEO event codes of three digits (CAMEO 1.1b3), in
/// code order.
const CAMEO_NAMES: [(&str, &str); 147] = [
    ("010", "Make statement"),
    ("011", "Decline comment"),
    ("012", "Make pessimistic comment"),
    ("013", "Make optimistic comment"),
    ("014", "Consider policy option"),
    ("015", "Acknowledge or claim responsibility"),
    ("016", "Deny responsibility"),
    ("017", "Engage in symbolic act"),
    ("018", "Make empathetic comment"),
    ("019", "Express accord"),
    ("020", "Appeal"),
    ("021", "Appeal for material cooperation"),
    ("022", "Appeal for diplomatic cooperation"),
    ("023", "Appeal for aid"),
    ("024", "Appeal for political reform"),
    ("025", "Appeal to yield"),
    ("026", "Appeal to others to meet or negotiate"),
    ("027", "Appeal to others to settle dispute"),
    ("028", "Appeal to others to engage in or accept mediation"),
    ("030", "Express intent to cooperate"),
    ("031", "Express intent to engage in material cooperation"),
    ("032", "Express intent to engage in diplomatic cooperation"),
    ("033", "Express intent to provide material aid"),
    ("034", "Express intent to institute political reform"),
    ("035", "Express intent to yield"),
    ("036", "Express intent to meet or negotiate"),
    ("037", "Express intent to settle dispute"),
    ("038", "Express intent to accept mediation"),
    ("039", "Express intent to mediate"),
    ("040", "Consult"),
    ("041", "Discuss by telephone"),
    ("042", "Make a visit"),
    ("043", "Host a visit"),
    ("044", "Meet at a third location"),
    ("045", "Mediate"),
    ("046", "Engage in negotiation"),
    ("050", "Engage in diplomatic cooperation"),
    ("051", "Praise or endorse"),
    ("052", "Defend verbally"),
    ("053", "Rally support on behalf of"),
    ("054", "Grant diplomatic recognition"),
    ("055", "Apologize"),
    ("056", "Forgive"),
    ("057", "Sign formal agreement"),
    ("060", "Engage in material cooperation"),
    ("061", "Cooperate economically"),
    ("062", "Cooperate militarily"),
    ("063", "Engage in judicial cooperation"),
    ("064", "Share intelligence or information"),
    ("070", "Provide aid"),
    ("071", "Provide economic aid"),
    ("072", "Provide military aid"),
    ("073", "Provide humanitarian aid"),
    ("074", "Provide military protection or peacekeeping"),
    ("075", "Grant asylum"),
    ("080", "Yield"),
    ("081", "Ease administrative sanctions"),
    ("082", "Ease popular dissent"),
    ("083", "Accede to requests or demands for political reform"),
    ("084", "Return, release"),
    ("085", "Ease economic sanctions, boycott, embargo"),
    ("086", "Allow international involvement"),
    ("087", "De-escalate military engagement"),
    ("090", "Investigate"),
    ("091", "Investigate crime, corruption"),
    ("092", "Investigate human rights abuses"),
    ("093", "Investigate military action"),
    ("094", "Investigate war crimes"),
    ("100", "Demand"),
    ("101", "Demand material cooperation"),
    ("102", "Demand diplomatic cooperation"),
    ("103", "Demand aid"),
    ("104", "Demand political reform"),
    ("105", "Demand that target yields"),
    ("106", "Demand meeting, negotiation"),
    ("107", "Demand settling of dispute"),
    ("108", "Demand mediation"),
    ("110", "Disapprove"),
    ("111", "Criticize or denounce"),
    ("112", "Accuse"),
    ("113", "Rally opposition against"),
    ("114", "Complain officially"),
    ("115", "Bring lawsuit against"),
    ("116", "Find guilty or liable (legally)"),
    ("120", "Reject"),
    ("121", "Reject material cooperation"),
    ("122", "Reject request or demand for material aid"),
    ("123", "Reject request or demand for political reform"),
    ("124", "Refuse to yield"),
    ("125", "Reject proposal to meet, discuss, or negotiate"),
    ("126", "Reject mediation"),
    ("127", "Reject plan, agreement to settle dispute"),
    ("128", "Defy norms, law"),
    ("129", "Veto"),
    ("130", "Threaten"),
    ("131", "Threaten non-force"),
    ("132", "Threaten with administrative sanctions"),
    ("133", "Threaten with political dissent, protest"),
    ("134", "Threaten to halt negotiations"),
    ("135", "Threaten to halt mediation"),
    ("136", "Threaten to halt international involvement"),
    ("137", "Threaten with violent repression"),
    ("138", "Threaten to use military force"),
    ("139", "Give ultimatum"),
    ("140", "Engage in political dissent"),
    ("141", "Demonstrate or rally"),
    ("142", "Conduct hunger strike"),
    ("143", "Conduct strike or boycott"),
    ("144", "Obstruct passage, block"),
    ("145", "Protest violently, riot"),
    ("150", "Demonstrate military or police power"),
    ("151", "Increase police alert status"),
    ("152", "Increase military alert status"),
    ("153", "Mobilize or increase police power"),
    ("154", "Mobilize or increase armed forces"),
    ("160", "Reduce relations"),
    ("161", "Reduce or break diplomatic relations"),
    ("162", "Reduce or stop aid"),
    ("163", "Impose embargo, boycott, or sanctions"),
    ("164", "Halt negotiations"),
    ("165", "Halt mediation"),
    ("166", "Expel or withdraw"),
    ("170", "Coerce"),
    ("171", "Seize or damage property"),
    ("172", "Impose administrative sanctions"),
    ("173", "Arrest, detain, or charge with legal action"),
    ("174", "Expel or deport individuals"),
    ("175", "Use tactics of violent repression"),
    ("180", "Use unconventional violence"),
    ("181", "Abduct, hijack, or take hostage"),
    ("182", "Physically assault"),
    ("183", "Conduct suicide, car, or other non-military bombing"),
    ("184", "Use as human shield"),
    ("185", "Attempt to assassinate"),
    ("186", "Assassinate"),
    ("190", "Use conventional military force"),
    ("191", "Impose blockade, restrict movement"),
    ("192", "Occupy territory"),
    ("193", "Fight with small arms and light weapons"),
    ("194", "Fight with artillery and tanks"),
    ("195", "Employ aerial weapons"),
    ("196", "Violate ceasefire"),
    ("200", "Use unconventional mass violence"),
    ("201", "Engage in mass expulsion"),
    ("202", "Engage in mass killings"),
    ("203", "Engage in ethnic cleansing"),
    ("204", "Use weapons of mass destruction"),
];

/// The quad class of a CAMEO root.
pub fn quad_class(root: u8) -> u8 {
    match root {
        1..=5 => 1,
        6..=8 => 2,
        9..=13 => 3,
        _ => 4,
    }
}

/// The quad class of a PLOVER category, through the CAMEO roots it covers.
pub fn plover_quad_class(category: &str) -> Option<u8> {
    Some(match category {
        "AGREE" | "CONSULT" | "SUPPORT" | "REQUEST" => 1,
        "COOPERATE" | "AID" | "CONCEDE" | "RETREAT" => 2,
        "INVESTIGATE" | "DEMAND" | "DISAPPROVE" | "ACCUSE" | "REJECT" | "THREATEN" => 3,
        "PROTEST" | "MOBILIZE" | "SANCTION" | "COERCE" | "ASSAULT" | "FIGHT" => 4,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Actors

/// An actor a record names, ready to be registered.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorSpec {
    pub id: String,
    pub name: String,
    pub kind: ActorKind,
    pub country: Option<String>,
    /// The name exactly as the source wrote it.
    pub alias: String,
}

impl ActorSpec {
    /// The registration event. The source's spelling becomes an alias when
    /// the name shown differs from it (GDELT writes names in capitals); an
    /// alias equal to the name would add nothing.
    pub fn event(&self) -> Event {
        let placeholder = self.id == UNKNOWN_ACTOR;
        Event::Actor(ActorRegistered {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.kind,
            aliases: if self.alias == self.name || placeholder {
                Vec::new()
            } else {
                vec![self.alias.clone()]
            },
            country: self.country.clone(),
            description: placeholder.then(|| {
                "Stands in for the actor of coded records that name none (empty, NA or (NA))"
                    .to_string()
            }),
            wikidata: None,
        })
    }
}

/// The stand-in for a record whose actor is missing or `(NA)`.
pub fn unknown_actor() -> ActorSpec {
    ActorSpec {
        id: UNKNOWN_ACTOR.into(),
        name: "Unknown actor".into(),
        kind: ActorKind::Group,
        country: None,
        alias: "Unknown actor".into(),
    }
}

/// An actor id: the slug of the name, then `-` and a suffix (a country code
/// or a CAMEO actor code, lower case), at most 64 characters. A name cut to
/// fit, or one with letters that have no ASCII spelling, gets a short hash of
/// the whole name so that two names never share an id.
pub fn actor_id(name: &str, suffix: &str) -> String {
    let (mut base, lossy) = slug_parts(name);
    let suffix = slug_parts(suffix).0;
    let tail = if suffix.is_empty() {
        String::new()
    } else {
        format!("-{suffix}")
    };
    let hashed = |base: &str| format!("{base}-{}", short_hash(name.as_bytes()));
    if base.is_empty() {
        base = short_hash(name.as_bytes());
    } else if lossy {
        base = hashed(&base);
    }
    if base.len() + tail.len() > 64 {
        let keep = 64usize.saturating_sub(tail.len() + 9);
        let cut = base[..keep.min(base.len())]
            .trim_end_matches('-')
            .to_string();
        base = hashed(&cut);
    }
    let id = format!("{base}{tail}");
    if id.len() > 64 || !is_slug(&id) {
        // Only a pathological suffix gets here; the hash alone is still stable.
        return short_hash(format!("{name}\0{suffix}").as_bytes());
    }
    id
}

/// An event id: a prefix and the slug of the source's record id.
pub fn event_id(prefix: &str, raw: &str) -> RowResult<String> {
    // Only ids that read one way: "a b", "a_b" and "a--b" would all become
    // "a-b", and "-5" would be "5". (Case is folded: PLOVER writes its ids
    // in capitals.)
    let plain = raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
        && !raw.contains("--");
    if !plain {
        return Err(format!(
            "record id {} cannot be made an event id (letters, digits and single '-' between them)",
            crate::event::quote(raw)
        ));
    }
    let (slug, lossy) = slug_parts(raw);
    let slug = match slug.strip_prefix(prefix).and_then(|s| s.strip_prefix('-')) {
        // PLOVER ids already start with PLOVER: no need to say it twice.
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => slug,
    };
    let id = format!("{prefix}-{slug}");
    if slug.is_empty() || lossy || id.len() > 64 {
        return Err(format!(
            "record id {} cannot be made an event id (letters, digits and '-', at most {} characters)",
            crate::event::quote(raw),
            63 - prefix.len()
        ));
    }
    Ok(id)
}

/// Lower-case ASCII letters and digits, other characters as single hyphens;
/// accented Latin letters lose their accents. The flag says whether a letter
/// or digit without an ASCII spelling was dropped.
pub fn slug_parts(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len());
    let mut lossy = false;
    let mut gap = false;
    for c in s.chars() {
        let piece: Option<std::borrow::Cow<'static, str>> = if c.is_ascii_alphanumeric() {
            Some(c.to_ascii_lowercase().to_string().into())
        } else if matches!(c, '\'' | '’' | 'ʼ' | '`') {
            // "Iran's" reads as one word.
            continue;
        } else if c.is_alphanumeric() {
            match fold(c) {
                Some(f) => Some(f.into()),
                None => {
                    lossy = true;
                    None
                }
            }
        } else {
            None
        };
        match piece {
            Some(p) => {
                if gap && !out.is_empty() {
                    out.push('-');
                }
                gap = false;
                out.push_str(&p);
            }
            None => gap = true,
        }
    }
    (out, lossy)
}

/// The ASCII spelling of an accented Latin letter, lower case.
fn fold(c: char) -> Option<&'static str> {
    const TABLE: [(&str, &str); 30] = [
        ("àáâãäåāăąǎ", "a"),
        ("ÀÁÂÃÄÅĀĂĄǍ", "a"),
        ("çćĉċčÇĆĈĊČ", "c"),
        ("ďđĎĐð", "d"),
        ("èéêëēĕėęěÈÉÊËĒĔĖĘĚ", "e"),
        ("ĝğġģĜĞĠĢ", "g"),
        ("ĥħĤĦ", "h"),
        ("ìíîïĩīĭįıÌÍÎÏĨĪĬĮİ", "i"),
        ("ĵĴ", "j"),
        ("ķĶ", "k"),
        ("ĺļľŀłĹĻĽĿŁ", "l"),
        ("ñńņňÑŃŅŇ", "n"),
        ("òóôõöøōŏőǒÒÓÔÕÖØŌŎŐǑ", "o"),
        ("ŕŗřŔŖŘ", "r"),
        ("śŝşšșŚŜŞŠȘ", "s"),
        ("ţťŧțŢŤŦȚ", "t"),
        ("ùúûüũūŭůűųǔÙÚÛÜŨŪŬŮŰŲǓ", "u"),
        ("ŵŴ", "w"),
        ("ýÿŷÝŸŶ", "y"),
        ("źżžŹŻŽ", "z"),
        ("ßẞ", "ss"),
        ("æÆ", "ae"),
        ("œŒ", "oe"),
        ("þÞ", "th"),
        ("ŋŊ", "ng"),
        ("ĳĲ", "ij"),
        ("ǆǅǄ", "dz"),
        ("ǉǈǇ", "lj"),
        ("ǌǋǊ", "nj"),
        ("ſ", "s"),
    ];
    TABLE
        .iter()
        .find(|(set, _)| set.contains(c))
        .map(|(_, f)| *f)
}

/// Eight hex digits of SHA-256: short, stable, and enough to keep cut or
/// transliterated names apart.
pub fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    hex(&digest[..4])
}

/// A name written in capitals (GDELT) in title case; any other name as is.
pub fn display_name(name: &str) -> String {
    if name.chars().any(char::is_lowercase) || !name.chars().any(char::is_uppercase) {
        return name.to_string();
    }
    const SMALL: [&str; 8] = ["of", "the", "and", "for", "in", "on", "at", "to"];
    let lower = name.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for (i, word) in lower.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i > 0 && SMALL.contains(&word) {
            out.push_str(word);
            continue;
        }
        let mut upper_next = true;
        for c in word.chars() {
            if upper_next {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper_next = matches!(c, '-' | '\'' | '.' | '(' | '/');
        }
    }
    out
}

/// The words for a CAMEO role code, for names.
pub fn role_label(code: &str) -> Option<&'static str> {
    let code = code.get(..3)?.to_ascii_uppercase();
    Some(match code.as_str() {
        "GOV" => "government",
        "MIL" => "military",
        "COP" => "police",
        "JUD" => "judiciary",
        "LEG" => "legislature",
        "PTY" => "party",
        "OPP" => "opposition",
        "REB" => "rebels",
        "INS" => "insurgents",
        "SEP" => "separatists",
        "UAF" => "armed forces",
        "SPY" => "intelligence",
        "CVL" | "CIV" => "civilians",
        "REF" => "refugees",
        "LAB" => "labour",
        "AGR" => "agriculture",
        "BUS" => "business",
        "EDU" => "education",
        "MED" | "JRN" => "media",
        "HLH" => "health",
        "HRI" => "human rights",
        "ENV" => "environment",
        "DEV" => "development",
        "ELI" => "elites",
        "CRM" => "criminals",
        "RAD" => "radicals",
        "MOD" => "moderates",
        "REL" => "religion",
        _ => return None,
    })
}

/// The name and alias of an actor coded with CAMEO codes. A name in
/// capitals reads in title case, the source's spelling kept as the alias.
/// Coders name a country's government, military or police after the
/// country ("RUSSIA" for RUSGOV): such a name gets its role
/// ("Russia (government)") and no alias, so that "Russia" still names the
/// state alone.
pub fn coded_name(raw: &str, role: Option<&str>) -> (String, String) {
    let name = display_name(raw);
    match role.and_then(role_label) {
        Some(label) if country_code(raw).is_some() => {
            let full = format!("{name} ({label})");
            (full.clone(), full)
        }
        _ => (name, raw.to_string()),
    }
}

/// How a CAMEO role code (a sector or actor type) reads as an actor kind.
pub fn role_kind(code: &str) -> Option<ActorKind> {
    let code = code.get(..3)?.to_ascii_uppercase();
    Some(match code.as_str() {
        "GOV" => ActorKind::Government,
        "LEG" => ActorKind::Legislature,
        "PTY" => ActorKind::Party,
        "MED" | "JRN" => ActorKind::Media,
        "COP" | "MIL" | "SPY" | "JUD" => ActorKind::Agency,
        "IGO" | "NGO" | "NGM" | "MNC" | "BUS" | "EDU" | "HLH" | "HRI" | "ENV" | "DEV" | "AMN"
        | "IRC" | "REL" | "CHR" | "MOS" | "JEW" | "BUD" | "HIN" => ActorKind::Organization,
        "REB" | "INS" | "SEP" | "OPP" | "RAD" | "MOD" | "CRM" | "UAF" | "IMG" => ActorKind::Group,
        "CVL" | "CIV" | "REF" | "LAB" | "AGR" | "SOC" => ActorKind::Public,
        "ELI" => ActorKind::Person,
        _ => return None,
    })
}

/// The kind of an actor coded with CAMEO codes: the first role code that
/// names a kind; else a state when the actor is a country; else a group.
pub fn coded_kind<'a>(roles: impl IntoIterator<Item = &'a str>, is_country: bool) -> ActorKind {
    roles
        .into_iter()
        .find_map(role_kind)
        .unwrap_or(if is_country {
            ActorKind::State
        } else {
            ActorKind::Group
        })
}

/// A CAMEO actor code in lower-case groups of three (`USAGOV` → `usa-gov`),
/// the suffix of ids of actors coded that way.
pub fn code_suffix(code: &str) -> String {
    let clean: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut out = String::with_capacity(clean.len() + clean.len() / 3);
    for (i, c) in clean.chars().enumerate() {
        if i > 0 && i % 3 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// The kind of an ICEWS actor, from its name and sectors:
/// 1. a name that is a country's name is a state;
/// 2. a generic actor, written `Role (Country)`, takes the kind of its first
///    sector class (see [`sector_kind`]), else public for citizens, else group;
/// 3. a named actor is an organisation when a sector says it is an
///    intergovernmental or non-governmental organisation; a person when a
///    sector marks an office (government, executive, legislative, elite,
///    ministry, cabinet, judicial), since ICEWS gives named people the
///    sectors of their office; else media, group or organisation as its
///    sectors say; else a person.
pub fn icews_kind(name: &str, sectors: &str) -> ActorKind {
    if country_code(name).is_some() {
        return ActorKind::State;
    }
    let sectors: Vec<String> = sectors
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    let generic = name.ends_with(')') && name.contains(" (");
    if generic {
        if let Some(k) = sector_kind(&sectors) {
            return k;
        }
        let role = name.to_lowercase();
        if ["citizen", "civilian", "population", "people"]
            .iter()
            .any(|w| role.contains(w))
        {
            return ActorKind::Public;
        }
        return ActorKind::Group;
    }
    let has = |words: &[&str]| sectors.iter().any(|s| words.iter().any(|w| s.contains(w)));
    // "International Government Organizations" is no office.
    if has(&[
        "international government",
        "intergovernmental",
        "non-governmental",
        "ngo",
    ]) {
        return ActorKind::Organization;
    }
    let office = has(&[
        "government",
        "executive",
        "legislative",
        "parliament",
        "elite",
        "ministry",
        "cabinet",
        "judicial",
    ]);
    if office {
        return ActorKind::Person;
    }
    if has(&["media", "news"]) {
        return ActorKind::Media;
    }
    if has(&GROUP_WORDS) {
        return ActorKind::Group;
    }
    if has(&["business", "education", "religio", "medical", "health"]) {
        return ActorKind::Organization;
    }
    ActorKind::Person
}

const GROUP_WORDS: [&str; 12] = [
    "insurgent",
    "rebel",
    "dissident",
    "separatist",
    "radical",
    "criminal",
    "protest",
    "opposition",
    "militia",
    "unidentified",
    "terror",
    "extremist",
];

/// The kind an ICEWS sector list gives a generic actor: the first class any
/// sector falls in, in this order.
pub fn sector_kind(sectors: &[String]) -> Option<ActorKind> {
    let classes: [(&[&str], ActorKind); 8] = [
        (&["legislative", "parliament"], ActorKind::Legislature),
        (&["parties", "party"], ActorKind::Party),
        (&["media", "news"], ActorKind::Media),
        (
            &[
                "international government",
                "intergovernmental",
                "non-governmental",
                "ngo",
                "business",
                "education",
                "religio",
                "medical",
                "health",
            ],
            ActorKind::Organization,
        ),
        (
            &[
                "police",
                "military",
                "army",
                "navy",
                "air force",
                "ministry",
                "judicial",
                "intelligence",
                "defense",
                "agency",
            ],
            ActorKind::Agency,
        ),
        (
            &["government", "executive", "cabinet"],
            ActorKind::Government,
        ),
        (&GROUP_WORDS, ActorKind::Group),
        (
            &[
                "civilian",
                "general population",
                "social",
                "labor",
                "refugee",
                "ethnic",
            ],
            ActorKind::Public,
        ),
    ];
    classes
        .iter()
        .find(|(words, _)| sectors.iter().any(|s| words.iter().any(|w| s.contains(w))))
        .map(|(_, k)| *k)
}

// ---------------------------------------------------------------------------
// Countries

/// ISO 3166-1 alpha-3 codes with the English names and common variants
/// (ICEWS writes country names). XKX, the code in common use for Kosovo, is
/// not ISO but stands in for one.
const COUNTRIES: &str = "\
AFG|Afghanistan
ALA|Åland Islands
ALB|Albania
DZA|Algeria
ASM|American Samoa
AND|Andorra
AGO|Angola
AIA|Anguilla
ATA|Antarctica
ATG|Antigua and Barbuda
ARG|Argentina
ARM|Armenia
ABW|Aruba
AUS|Australia
AUT|Austria
AZE|Azerbaijan
BHS|Bahamas
BHR|Bahrain
BGD|Bangladesh
BRB|Barbados
BLR|Belarus
BEL|Belgium
BLZ|Belize
BEN|Benin
BMU|Bermuda
BTN|Bhutan
BOL|Bolivia|Bolivia, Plurinational State of|Plurinational State of Bolivia
BES|Bonaire, Sint Eustatius and Saba|Caribbean Netherlands
BIH|Bosnia and Herzegovina|Bosnia|Bosnia-Herzegovina
BWA|Botswana
BVT|Bouvet Island
BRA|Brazil
IOT|British Indian Ocean Territory
BRN|Brunei|Brunei Darussalam
BGR|Bulgaria
BFA|Burkina Faso
BDI|Burundi
CPV|Cabo Verde|Cape Verde
KHM|Cambodia
CMR|Cameroon
CAN|Canada
CYM|Cayman Islands
CAF|Central African Republic
TCD|Chad
CHL|Chile
CHN|China|People's Republic of China
CXR|Christmas Island
CCK|Cocos (Keeling) Islands|Cocos Islands
COL|Colombia
COM|Comoros
COG|Congo|Republic of the Congo|Congo, Republic of|Congo, Republic of the|Congo-Brazzaville
COD|Democratic Republic of the Congo|Congo, The Democratic Republic of the|Congo, Democratic Republic of|Congo, Democratic Republic of the|DR Congo|DRC|Congo-Kinshasa|Zaire
COK|Cook Islands
CRI|Costa Rica
CIV|Côte d'Ivoire|Ivory Coast
HRV|Croatia
CUB|Cuba
CUW|Curaçao
CYP|Cyprus
CZE|Czechia|Czech Republic
DNK|Denmark
DJI|Djibouti
DMA|Dominica
DOM|Dominican Republic
ECU|Ecuador
EGY|Egypt
SLV|El Salvador
GNQ|Equatorial Guinea
ERI|Eritrea
EST|Estonia
SWZ|Eswatini|Swaziland
ETH|Ethiopia
FLK|Falkland Islands|Falkland Islands (Malvinas)
FRO|Faroe Islands
FJI|Fiji
FIN|Finland
FRA|France
GUF|French Guiana
PYF|French Polynesia
ATF|French Southern Territories
GAB|Gabon
GMB|Gambia
GEO|Georgia
DEU|Germany
GHA|Ghana
GIB|Gibraltar
GRC|Greece
GRL|Greenland
GRD|Grenada
GLP|Guadeloupe
GUM|Guam
GTM|Guatemala
GGY|Guernsey
GIN|Guinea
GNB|Guinea-Bissau
GUY|Guyana
HTI|Haiti
HMD|Heard Island and McDonald Islands
VAT|Holy See|Vatican|Vatican City|Holy See (Vatican City State)
HND|Honduras
HKG|Hong Kong
HUN|Hungary
ISL|Iceland
IND|India
IDN|Indonesia
IRN|Iran|Iran, Islamic Republic of|Islamic Republic of Iran
IRQ|Iraq
IRL|Ireland
IMN|Isle of Man
ISR|Israel
ITA|Italy
JAM|Jamaica
JPN|Japan
JEY|Jersey
JOR|Jordan
KAZ|Kazakhstan
KEN|Kenya
KIR|Kiribati
PRK|North Korea|Korea, Democratic People's Republic of|Democratic People's Republic of Korea|DPRK
KOR|South Korea|Korea, Republic of|Republic of Korea
KWT|Kuwait
KGZ|Kyrgyzstan
LAO|Laos|Lao People's Democratic Republic
LVA|Latvia
LBN|Lebanon
LSO|Lesotho
LBR|Liberia
LBY|Libya|Libyan Arab Jamahiriya
LIE|Liechtenstein
LTU|Lithuania
LUX|Luxembourg
MAC|Macao|Macau
MDG|Madagascar
MWI|Malawi
MYS|Malaysia
MDV|Maldives
MLI|Mali
MLT|Malta
MHL|Marshall Islands
MTQ|Martinique
MRT|Mauritania
MUS|Mauritius
MYT|Mayotte
MEX|Mexico
FSM|Micronesia|Micronesia, Federated States of|Federated States of Micronesia
MDA|Moldova|Moldova, Republic of|Republic of Moldova
MCO|Monaco
MNG|Mongolia
MNE|Montenegro
MSR|Montserrat
MAR|Morocco
MOZ|Mozambique
MMR|Myanmar|Burma
NAM|Namibia
NRU|Nauru
NPL|Nepal
NLD|Netherlands|Holland
NCL|New Caledonia
NZL|New Zealand
NIC|Nicaragua
NER|Niger
NGA|Nigeria
NIU|Niue
NFK|Norfolk Island
MKD|North Macedonia|Macedonia|Macedonia, the former Yugoslav Republic of|Former Yugoslav Republic of Macedonia
MNP|Northern Mariana Islands
NOR|Norway
OMN|Oman
PAK|Pakistan
PLW|Palau
PSE|Palestine|State of Palestine|Palestine, State of|Occupied Palestinian Territory|Palestinian Territory|Palestinian Territories|Palestinian Territory, Occupied
PAN|Panama
PNG|Papua New Guinea
PRY|Paraguay
PER|Peru
PHL|Philippines
PCN|Pitcairn
POL|Poland
PRT|Portugal
PRI|Puerto Rico
QAT|Qatar
REU|Réunion
ROU|Romania
RUS|Russia|Russian Federation
RWA|Rwanda
BLM|Saint Barthélemy
SHN|Saint Helena|Saint Helena, Ascension and Tristan da Cunha
KNA|Saint Kitts and Nevis
LCA|Saint Lucia
MAF|Saint Martin|Saint Martin (French part)
SPM|Saint Pierre and Miquelon
VCT|Saint Vincent and the Grenadines
WSM|Samoa
SMR|San Marino
STP|Sao Tome and Principe
SAU|Saudi Arabia
SEN|Senegal
SRB|Serbia
SYC|Seychelles
SLE|Sierra Leone
SGP|Singapore
SXM|Sint Maarten|Sint Maarten (Dutch part)
SVK|Slovakia
SVN|Slovenia
SLB|Solomon Islands
SOM|Somalia
ZAF|South Africa
SGS|South Georgia and the South Sandwich Islands
SSD|South Sudan
ESP|Spain
LKA|Sri Lanka
SDN|Sudan
SUR|Suriname
SJM|Svalbard and Jan Mayen
SWE|Sweden
CHE|Switzerland
SYR|Syria|Syrian Arab Republic
TWN|Taiwan|Taiwan, Province of China|Republic of China
TJK|Tajikistan
TZA|Tanzania|Tanzania, United Republic of|United Republic of Tanzania
THA|Thailand
TLS|Timor-Leste|East Timor
TGO|Togo
TKL|Tokelau
TON|Tonga
TTO|Trinidad and Tobago
TUN|Tunisia
TUR|Turkey|Türkiye
TKM|Turkmenistan
TCA|Turks and Caicos Islands
TUV|Tuvalu
UGA|Uganda
UKR|Ukraine
ARE|United Arab Emirates|UAE
GBR|United Kingdom|United Kingdom of Great Britain and Northern Ireland|UK|Great Britain|Britain
USA|United States|United States of America|USA|US
UMI|United States Minor Outlying Islands
URY|Uruguay
UZB|Uzbekistan
VUT|Vanuatu
VEN|Venezuela|Venezuela, Bolivarian Republic of|Bolivarian Republic of Venezuela
VNM|Vietnam|Viet Nam
VGB|British Virgin Islands|Virgin Islands, British
VIR|United States Virgin Islands|Virgin Islands, U.S.|US Virgin Islands
WLF|Wallis and Futuna
ESH|Western Sahara
YEM|Yemen
ZMB|Zambia
ZWE|Zimbabwe
XKX|Kosovo
";

/// Country codes that CAMEO dictionaries still use in place of the current
/// ISO code.
const CAMEO_COUNTRY_CODES: [(&str, &str); 3] = [("ROM", "ROU"), ("ZAR", "COD"), ("TMP", "TLS")];

struct CountryTable {
    by_name: HashMap<String, &'static str>,
    codes: HashSet<&'static str>,
}

fn countries() -> &'static CountryTable {
    static TABLE: OnceLock<CountryTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_name = HashMap::new();
        let mut codes = HashSet::new();
        for line in COUNTRIES.lines() {
            let mut parts = line.split('|');
            let Some(code) = parts.next().filter(|c| c.len() == 3) else {
                continue;
            };
            codes.insert(code);
            for name in parts {
                by_name.insert(country_key(name), code);
            }
        }
        CountryTable { by_name, codes }
    })
}

/// A country name reduced to what tells names apart: lower case, no
/// accents, punctuation as spaces, no leading "the".
fn country_key(name: &str) -> String {
    let (slug, _) = slug_parts(&name.replace('&', " and "));
    let key = slug.replace('-', " ");
    match key.strip_prefix("the ") {
        Some(rest) => rest.to_string(),
        None => key,
    }
}

/// Alpha-3 codes of countries that no longer exist, kept by ISO 3166-3:
/// the Soviet Union, Yugoslavia, Czechoslovakia, East Germany and others a
/// history of diplomacy meets.
const FORMER_COUNTRY_CODES: [&str; 18] = [
    "ANT", "BUR", "BYS", "CSK", "DDR", "DHY", "HVO", "NHB", "NTZ", "RHO", "ROM", "SCG", "SUN",
    "TMP", "VDR", "YMD", "YUG", "ZAR",
];

/// Whether a code names a country: an ISO 3166-1 alpha-3 code (or XKX), or
/// the code of a former country (ISO 3166-3).
pub fn is_country_code(code: &str) -> bool {
    countries().codes.contains(code) || FORMER_COUNTRY_CODES.contains(&code)
}

/// The ISO 3166-1 alpha-3 code of a country name, when the table knows it.
pub fn country_code(name: &str) -> Option<&'static str> {
    countries().by_name.get(&country_key(name)).copied()
}

/// A three-letter country code as the event format wants it: an ISO code as
/// is, an old CAMEO code as its ISO successor, anything else (IGO, regions,
/// typos) as no country.
pub fn iso_country(code: &str) -> Option<&'static str> {
    let upper = code.trim().to_ascii_uppercase();
    if let Some(c) = countries().codes.get(upper.as_str()) {
        return Some(c);
    }
    CAMEO_COUNTRY_CODES
        .iter()
        .find(|(old, _)| *old == upper)
        .map(|(_, new)| *new)
}

// ---------------------------------------------------------------------------
// Places and sources

/// Place parts joined with ", ", skipping missing ones and a part equal to
/// the one before it.
pub fn join_place<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    for p in parts.into_iter().flatten() {
        if kept.last() != Some(&p) {
            kept.push(p);
        }
    }
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// The host of an http(s) URL, without `www.`.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    let host = host.split(':').next()?;
    let host = host.strip_prefix("www.").unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

// ---------------------------------------------------------------------------
// Records into the batch

/// What one record becomes: the actors it names and its events.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub actors: Vec<ActorSpec>,
    pub events: Vec<ActionTaken>,
    /// How messages name the record: "ICEWS record 123".
    pub label: String,
}

/// One import over any number of files: what was registered, and the report.
pub struct Session<'o> {
    options: &'o Options,
    registered: HashSet<String>,
    pub report: Report,
}

impl<'o> Session<'o> {
    pub fn new(options: &'o Options) -> Session<'o> {
        Session {
            options,
            registered: HashSet::new(),
            report: Report::default(),
        }
    }

    /// A record that cannot be imported: skipped and counted with
    /// `skip_invalid`, otherwise the error that ends the import.
    pub fn reject(&mut self, file: &str, line: u64, message: &str) -> Result<()> {
        let at = format!("{file}:{line}: {message}");
        if !self.options.skip_invalid {
            return Err(Error::Invalid(at));
        }
        self.report.skipped += 1;
        if self.report.problems.len() < MAX_PROBLEMS {
            self.report.problems.push(at);
        }
        Ok(())
    }

    /// A fact about one record worth telling the user; past a few, only
    /// counted.
    pub fn note(&mut self, note: String) {
        if self.report.notes.len() < MAX_PROBLEMS {
            self.report.notes.push(note);
        } else {
            self.report.more_notes += 1;
        }
    }

    /// A fact about a whole file, always told.
    pub fn file_note(&mut self, note: String) {
        self.report.notes.push(note);
    }

    /// Append a mapped record: its actors first (each once, and only when
    /// the log does not know it yet), then its events. A record whose id is
    /// already in the log with other content becomes a correction of it.
    pub fn emit(
        &mut self,
        batch: &mut Batch<'_>,
        mapped: Mapped,
        file: &str,
        line: u64,
    ) -> Result<()> {
        // Check everything before writing anything, so that a skipped record
        // leaves nothing behind.
        let mut actors: Vec<Event> = Vec::new();
        let mut fresh: Vec<&str> = Vec::new();
        for spec in &mapped.actors {
            if self.options.known_actors.contains(&spec.id)
                || self.registered.contains(&spec.id)
                || fresh.contains(&spec.id.as_str())
            {
                continue;
            }
            let event = spec.event();
            if let Err(e) = event.validate() {
                return self.reject(file, line, &format!("actor \"{}\": {e}", spec.name));
            }
            fresh.push(&spec.id);
            actors.push(event);
        }
        let mut events = Vec::with_capacity(mapped.events.len());
        for action in mapped.events {
            let event = Event::Action(action);
            if let Err(e) = event.validate() {
                return self.reject(file, line, &e.to_string());
            }
            events.push(event);
        }
        let origin = format!("{file}:{line}");
        for event in actors {
            let id = match &event {
                Event::Actor(a) => a.id.clone(),
                _ => String::new(),
            };
            if let Err(e) = batch.add(event, &origin, Mode::Import) {
                return self.refused(e, file, line);
            }
            self.registered.insert(id);
        }
        self.report.records += 1;
        let count = events.len();
        let base = match events.first() {
            Some(Event::Action(a)) => a.id.clone(),
            _ => None,
        };
        let mut changed = false;
        for (i, event) in events.into_iter().enumerate() {
            let corrected = self.add_record(batch, event, &mapped.label, file, line)?;
            changed |= i == 0 && corrected;
        }
        // A later version of a record may name fewer source actors: when it
        // changed the record's first action now, the actions of the sources
        // it dropped no longer stand. (A version seen before changes nothing,
        // so importing the same files again appends nothing.)
        if let (true, Some(base)) = (changed, base) {
            self.retract_dropped(batch, &base, count, &mapped.label, file, line)?;
        }
        Ok(())
    }

    /// Retract the actions `{base}-s{n}` for n past `count` that still stand.
    fn retract_dropped(
        &mut self,
        batch: &mut Batch<'_>,
        base: &str,
        count: usize,
        label: &str,
        file: &str,
        line: u64,
    ) -> Result<()> {
        let origin = format!("{file}:{line}");
        for n in count.max(1) + 1.. {
            let id = format!("{base}-s{n}");
            match batch.standing(&id)? {
                None => break,
                Some(false) => continue,
                Some(true) => {}
            }
            let retraction = Event::Retraction(RetractionIssued {
                id: None,
                target: id.clone(),
                reason: format!("{label} no longer names this source actor in a later file"),
            });
            match batch.add(retraction, &origin, Mode::Import) {
                Ok(crate::store::Outcome::Appended { .. }) => {
                    self.report.retractions += 1;
                    self.note(format!(
                        "{file}:{line}: {label} reappears with fewer source actors: \"{id}\" retracted"
                    ));
                }
                Ok(_) => {}
                Err(e) => return self.refused(e, file, line),
            }
        }
        Ok(())
    }

    fn add_record(
        &mut self,
        batch: &mut Batch<'_>,
        event: Event,
        label: &str,
        file: &str,
        line: u64,
    ) -> Result<bool> {
        // Whether a correction of the event was appended.
        let origin = format!("{file}:{line}");
        let Event::Action(action) = &event else {
            return Ok(false);
        };
        let id = action.id.clone().unwrap_or_default();
        let changed = format!("id \"{id}\" is already used by a different event");
        let correction = match batch.add(event.clone(), &origin, Mode::Import) {
            Ok(_) => return Ok(false),
            Err(Error::Invalid(m)) if m.starts_with(&changed) => correction(action, label),
            Err(e) => return self.refused(e, file, line).map(|()| false),
        };
        match batch.add(Event::Correction(correction), &origin, Mode::Import) {
            Ok(crate::store::Outcome::Appended { .. }) => {
                self.report.corrections += 1;
                self.note(format!(
                    "{file}:{line}: {label} reappears with other content: recorded as a correction of \"{id}\""
                ));
                Ok(true)
            }
            Ok(_) => Ok(false),
            // Someone retracted the earlier version on purpose: a later
            // release does not bring it back, nor does it stop the import.
            Err(Error::Invalid(m)) if m.contains(&format!("event \"{id}\" is retracted")) => {
                self.note(format!(
                    "{file}:{line}: {label} reappears with other content, but \"{id}\" is retracted: not corrected"
                ));
                Ok(false)
            }
            Err(Error::Invalid(m)) => self
                .reject(
                    file,
                    line,
                    &format!("{label} reappears with other content, but the correction of \"{id}\" was refused: {m}"),
                )
                .map(|()| false),
            Err(e) => Err(e),
        }
    }

    /// The batch refused an event: a problem with the record, unless the
    /// store itself failed.
    fn refused(&mut self, e: Error, file: &str, line: u64) -> Result<()> {
        match e {
            Error::Invalid(m) => self.reject(file, line, &m),
            other => Err(other),
        }
    }
}

/// The fields of an action a correction may set; a field the later record
/// lacks is set to null, which removes it.
const ACTION_FIELDS: [&str; 9] = [
    "date", "actor", "kind", "summary", "targets", "codes", "place", "sources", "tags",
];

/// The correction that turns an earlier import of a record into `new`. It
/// sets every field (the earlier version cannot be read while the import is
/// in progress), and its id is derived from the target and the new content,
/// so importing the same later file again finds it already present.
pub fn correction(new: &ActionTaken, label: &str) -> CorrectionIssued {
    let target = new.id.clone().unwrap_or_default();
    let value = Event::Action(new.clone()).to_value();
    let set: BTreeMap<String, Value> = ACTION_FIELDS
        .iter()
        .map(|f| (f.to_string(), value.get(f).cloned().unwrap_or(Value::Null)))
        .collect();
    let content = serde_json::to_vec(&set).unwrap_or_default();
    let hash = short_hash(&[target.as_bytes(), b"\0", &content].concat());
    let keep = target.len().min(64 - 10);
    let base = target[..keep].trim_end_matches('-');
    CorrectionIssued {
        id: Some(format!("{base}-r{hash}")),
        target,
        set,
        reason: format!("{label} changed in a later file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Codes;

    #[test]
    fn shown_bytes_stay_on_one_line() {
        assert_eq!(
            show_bytes(b"Event ID\tDate\r\x1b[0m\xC2\x85\xFF"),
            "Event ID\\tDate\\x0D\\x1B[0m\\u{0085}\\xFF"
        );
    }

    #[test]
    fn cameo_codes_are_checked_and_mapped() {
        let c = cameo("042").unwrap();
        assert_eq!((c.root, c.quad_class()), (4, 1));
        assert_eq!(c.plover(), Some("CONSULT"));
        assert_eq!(c.kind(), "consult");
        assert_eq!(cameo("0874").unwrap().plover(), Some("RETREAT"));
        assert_eq!(cameo("0811").unwrap().plover(), Some("CONCEDE"));
        assert_eq!(cameo("0813").unwrap().plover(), Some("RETREAT"));
        assert_eq!(cameo("185").unwrap().plover(), Some("THREATEN"));
        assert_eq!(cameo("1823").unwrap().plover(), Some("ASSAULT"));
        assert_eq!(cameo("192").unwrap().plover(), Some("COERCE"));
        assert_eq!(cameo("012").unwrap().plover(), None);
        assert_eq!(cameo("012").unwrap().kind(), "statement");
        assert_eq!(cameo("0231").unwrap().kind(), "appeal");
        assert_eq!(
            cameo("20").unwrap().root_name(),
            "Use unconventional mass violence"
        );
        assert_eq!(
            cameo("20").unwrap().name(),
            "Use unconventional mass violence"
        );
        assert_eq!(
            cameo("163").unwrap().name(),
            "Impose embargo, boycott, or sanctions"
        );
        assert_eq!(
            cameo("0874").unwrap().name(),
            "De-escalate military engagement"
        );
        assert_eq!(cameo("029").unwrap().name(), "Appeal");
        // The table is in code order, which the lookup relies on.
        assert!(CAMEO_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, _) in CAMEO_NAMES {
            assert!(cameo(code).is_ok(), "{code}");
        }
        for (code, quad) in [
            ("01", 1),
            ("05", 1),
            ("06", 2),
            ("08", 2),
            ("09", 3),
            ("13", 3),
            ("14", 4),
            ("20", 4),
        ] {
            assert_eq!(cameo(code).unwrap().quad_class(), quad, "{code}");
        }
        for bad in ["13y", "1", "12345", "", "00", "21", "99", "-12", "1.5"] {
            assert!(cameo(bad).is_err(), "{bad}");
        }
        assert_eq!(
            cameo("13y").unwrap_err(),
            "invalid CAMEO code \"13y\" (expected 2 to 4 digits)"
        );
    }

    #[test]
    fn plover_categories_have_quad_classes() {
        assert_eq!(plover_quad_class("AGREE"), Some(1));
        assert_eq!(plover_quad_class("AID"), Some(2));
        assert_eq!(plover_quad_class("THREATEN"), Some(3));
        assert_eq!(plover_quad_class("ASSAULT"), Some(4));
        assert_eq!(plover_quad_class("DOCUMENT"), None);
    }

    #[test]
    fn actor_ids_come_from_name_and_suffix() {
        assert_eq!(actor_id("Dmitry Peskov", "RUS"), "dmitry-peskov-rus");
        assert_eq!(
            actor_id("Foreign Affairs (Bangladesh)", "bgd"),
            "foreign-affairs-bangladesh-bgd"
        );
        assert_eq!(actor_id("UNITED STATES", "usa"), "united-states-usa");
        assert_eq!(
            actor_id("Iran's religious leader", "irn"),
            "irans-religious-leader-irn"
        );
        assert_eq!(actor_id("Côte d'Ivoire", "civ"), "cote-divoire-civ");
        assert_eq!(actor_id("Police", ""), "police");
        // Letters without an ASCII spelling: a hash keeps names apart.
        let a = actor_id("Дмитрий Песков", "rus");
        let b = actor_id("Сергей Лавров", "rus");
        assert_ne!(a, b);
        assert!(is_slug(&a) && a.ends_with("-rus"), "{a}");
        let mixed = actor_id("Peskov Дмитрий", "rus");
        assert!(
            mixed.starts_with("peskov-") && mixed.ends_with("-rus"),
            "{mixed}"
        );
        // Long names are cut, and still told apart.
        let long1 = actor_id(&format!("{} one", "very long name ".repeat(8)), "usa");
        let long2 = actor_id(&format!("{} two", "very long name ".repeat(8)), "usa");
        assert!(long1.len() <= 64 && is_slug(&long1), "{long1}");
        assert_ne!(long1, long2);
        assert!(long1.ends_with("-usa"));
        // Stable.
        assert_eq!(
            actor_id("Dmitry Peskov", "RUS"),
            actor_id("Dmitry Peskov", "RUS")
        );
    }

    #[test]
    fn event_ids_are_prefixed_slugs() {
        assert_eq!(event_id("icews", "32889836").unwrap(), "icews-32889836");
        assert_eq!(
            event_id("plover", "PLOVER-GSR01-AGREE-0001").unwrap(),
            "plover-gsr01-agree-0001"
        );
        assert_eq!(event_id("gdelt", "1").unwrap(), "gdelt-1");
        assert!(event_id("icews", "").is_err());
        assert!(event_id("icews", "Ид").is_err());
        assert!(event_id("icews", &"9".repeat(70)).is_err());
        // Ids that two different records could share once slugged.
        for raw in ["-5", "5-", "a b", "a_b", "a--b", "5.0"] {
            let e = event_id("icews", raw).unwrap_err();
            assert!(e.contains(&format!("\"{raw}\"")), "{raw}: {e}");
        }
    }

    #[test]
    fn codes_suffixes_and_kinds() {
        assert_eq!(code_suffix("USAGOV"), "usa-gov");
        assert_eq!(code_suffix("CVLalb"), "cvl-alb");
        assert_eq!(code_suffix("IGO"), "igo");
        assert_eq!(coded_kind(["GOV"], true), ActorKind::Government);
        assert_eq!(coded_kind(["", "MIL"], true), ActorKind::Agency);
        assert_eq!(coded_kind(["***"], true), ActorKind::State);
        assert_eq!(coded_kind(Vec::<&str>::new(), false), ActorKind::Group);
        assert_eq!(coded_kind(["IGO"], false), ActorKind::Organization);
        assert_eq!(coded_kind(["REBsna"], true), ActorKind::Group);
        assert_eq!(coded_kind(["CVL"], true), ActorKind::Public);
    }

    #[test]
    fn icews_kinds_follow_the_documented_rule() {
        assert_eq!(icews_kind("Russia", ""), ActorKind::State);
        assert_eq!(icews_kind("Russian Federation", ""), ActorKind::State);
        assert_eq!(
            icews_kind(
                "Foreign Affairs (Bangladesh)",
                "Ministry,Foreign Ministry,Government"
            ),
            ActorKind::Agency
        );
        assert_eq!(
            icews_kind("Government (Nigeria)", "Government"),
            ActorKind::Government
        );
        assert_eq!(
            icews_kind("Citizen (India)", "General Population / Civilian / Social"),
            ActorKind::Public
        );
        assert_eq!(icews_kind("Citizen (India)", ""), ActorKind::Public);
        assert_eq!(
            icews_kind(
                "Protester (Ukraine)",
                "Protestors / Popular Opposition / Mobs"
            ),
            ActorKind::Group
        );
        assert_eq!(
            icews_kind(
                "Parliament (India)",
                "Legislative / Parliamentary,Government"
            ),
            ActorKind::Legislature
        );
        assert_eq!(
            icews_kind("Dmitry Peskov", "Government,Executive,Executive Office"),
            ActorKind::Person
        );
        assert_eq!(icews_kind("Dmitry Peskov", ""), ActorKind::Person);
        assert_eq!(
            icews_kind("United Nations", "International Government Organizations"),
            ActorKind::Organization
        );
        assert_eq!(icews_kind("Xinhua", "Media,News"), ActorKind::Media);
        assert_eq!(
            icews_kind(
                "Taliban",
                "Insurgents,Radicals / Extremists / Fundamentalists"
            ),
            ActorKind::Group
        );
    }

    #[test]
    fn countries_resolve_by_name_and_code() {
        assert_eq!(COUNTRIES.lines().filter(|l| l.len() > 3).count(), 250);
        assert!(is_country_code("RUS") && is_country_code("XKX") && is_country_code("SUN"));
        assert!(!is_country_code("ZZZ") && !is_country_code("rus"));
        assert_eq!(country_code("Russian Federation"), Some("RUS"));
        assert_eq!(country_code("russia"), Some("RUS"));
        assert_eq!(country_code("United States"), Some("USA"));
        assert_eq!(country_code("Cote d'Ivoire"), Some("CIV"));
        assert_eq!(country_code("Côte d’Ivoire"), Some("CIV"));
        assert_eq!(country_code("Korea, Republic of"), Some("KOR"));
        assert_eq!(country_code("Occupied Palestinian Territory"), Some("PSE"));
        assert_eq!(country_code("The Gambia"), Some("GMB"));
        assert_eq!(country_code("Bosnia & Herzegovina"), Some("BIH"));
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(iso_country("usa"), Some("USA"));
        assert_eq!(iso_country("ROM"), Some("ROU"));
        assert_eq!(iso_country("IGO"), None);
        assert_eq!(iso_country("JAP"), None);
        // The table's codes are all well formed and its names unambiguous.
        let mut seen: HashMap<String, &str> = HashMap::new();
        for line in COUNTRIES.lines() {
            let mut parts = line.split('|');
            let code = parts.next().unwrap();
            assert!(
                code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{line}"
            );
            for name in parts {
                if let Some(other) = seen.insert(country_key(name), code) {
                    assert_eq!(other, code, "{name} names two countries");
                }
            }
        }
        assert!(countries().codes.len() >= 249);
    }

    #[test]
    fn values_are_checked_with_the_expected_form() {
        assert_eq!(iso_day("2017-09-13").unwrap().as_str(), "2017-09-13");
        assert_eq!(
            iso_day("2017-02-30").unwrap_err(),
            "invalid date \"2017-02-30\" (expected YYYY-MM-DD)"
        );
        assert!(iso_day("13/09/2017").is_err());
        assert!(iso_day("2017-9-13").is_err());
        assert_eq!(compact_day("20170913").unwrap().as_str(), "2017-09-13");
        assert!(compact_day("2017091").is_err());
        assert!(compact_day("20171313").is_err());
        assert_eq!(
            compact_instant("20170913124500").unwrap().as_str(),
            "2017-09-13T12:45:00Z"
        );
        assert!(compact_instant("20170913250000").is_err());
        assert_eq!(number("-2.5", Some((-10.0, 10.0))), Ok(-2.5));
        assert!(number("11", Some((-10.0, 10.0))).is_err());
        assert!(number("NaN", None).is_err());
        assert!(number("inf", None).is_err());
        assert!(number("x", None).is_err());
        assert_eq!(present("(NA)"), None);
        assert_eq!(present(" NA "), None);
        assert_eq!(present("Russia"), Some("Russia"));
    }

    #[test]
    fn coded_names_say_the_role_of_a_country_named_actor() {
        assert_eq!(
            coded_name("RUSSIA", Some("GOV")),
            (
                "Russia (government)".to_string(),
                "Russia (government)".to_string()
            )
        );
        assert_eq!(
            coded_name("RUSSIA", None),
            ("Russia".to_string(), "RUSSIA".to_string())
        );
        assert_eq!(
            coded_name("Israeli military", Some("MIL")),
            (
                "Israeli military".to_string(),
                "Israeli military".to_string()
            )
        );
        assert_eq!(
            coded_name("Iraq", Some("***")),
            ("Iraq".to_string(), "Iraq".to_string())
        );
    }

    #[test]
    fn names_places_and_hosts() {
        assert_eq!(display_name("UNITED STATES"), "United States");
        assert_eq!(display_name("BANK OF ENGLAND"), "Bank of England");
        assert_eq!(display_name("AL-QAEDA"), "Al-Qaeda");
        assert_eq!(display_name("Dmitry Peskov"), "Dmitry Peskov");
        assert_eq!(
            join_place([Some("Moscow"), None, Some("Moskva"), Some("Russia")]),
            Some("Moscow, Moskva, Russia".into())
        );
        assert_eq!(
            join_place([Some("Kyiv"), Some("Kyiv")]),
            Some("Kyiv".into())
        );
        assert_eq!(join_place([None, None]), None);
        assert_eq!(url_host("https://www.example.com/a?b"), Some("example.com"));
        assert_eq!(
            url_host("http://news.example.org:8080/x"),
            Some("news.example.org")
        );
        assert_eq!(url_host("BBC Monitoring"), None);
    }

    #[test]
    fn a_correction_sets_every_field_so_the_event_becomes_the_new_record() {
        let old = ActionTaken {
            id: Some("icews-1".into()),
            date: EdtfDate::parse("2017-01-01").unwrap(),
            actor: "a".into(),
            kind: "consult".into(),
            summary: "old".into(),
            targets: vec!["b".into()],
            codes: Some(Codes {
                cameo: Some("040".into()),
                ..Codes::default()
            }),
            place: Some("Here".into()),
            sources: vec![],
            tags: vec!["icews".into()],
        };
        let mut new = old.clone();
        new.date = EdtfDate::parse("2017-01-02").unwrap();
        new.targets.clear();
        new.place = None;
        new.summary = "new".into();
        let c = correction(&new, "ICEWS record 1");
        let applied = crate::view::apply_set(&Event::Action(old), &c.set).unwrap();
        assert_eq!(applied, Event::Action(new.clone()));
        assert_eq!(c.target, "icews-1");
        assert_eq!(c.reason, "ICEWS record 1 changed in a later file");
        let id = c.id.clone().unwrap();
        assert!(is_slug(&id) && id.starts_with("icews-1-r"), "{id}");
        // Deterministic, and different for different content.
        assert_eq!(correction(&new, "ICEWS record 1").id, c.id);
        new.summary = "newer".into();
        assert_ne!(correction(&new, "ICEWS record 1").id, c.id);
        // Long targets still give a valid id.
        new.id = Some(format!("icews-{}", "9".repeat(58)));
        let long = correction(&new, "x").id.unwrap();
        assert!(is_slug(&long), "{long}");
        // Every field of an action is covered.
        let all = Event::Action(ActionTaken {
            codes: Some(Codes::default()),
            sources: vec![crate::event::Source {
                outlet: "o".into(),
                url: None,
                published: None,
                retrieved: None,
            }],
            place: Some("p".into()),
            ..new
        })
        .to_value();
        for key in all.as_object().unwrap().keys() {
            assert!(
                ACTION_FIELDS.contains(&key.as_str()) || key == "type" || key == "id",
                "{key} is not covered by corrections"
            );
        }
    }

    #[test]
    fn lines_strip_endings_and_report_long_ones() {
        let mut data: &[u8] = b"\xEF\xBB\xBFa\tb\r\nc\n\nlast";
        let mut lines = Lines::new(&mut data);
        let mut got = Vec::new();
        while let Some((_, line)) = lines.next_line().unwrap() {
            match line {
                RawLine::Bytes(b) => got.push(String::from_utf8(b.to_vec()).unwrap()),
                RawLine::TooLong(_) => got.push("too long".into()),
            }
        }
        assert_eq!(got, ["a\tb", "c", "", "last"]);
        assert_eq!(lines.number, 4);
        let big = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut data: &[u8] = &[big.as_slice(), b"\nok\n"].concat();
        let mut lines = Lines::new(&mut data);
        assert!(matches!(
            lines.next_line().unwrap(),
            Some((1, RawLine::TooLong(_)))
        ));
        assert!(matches!(
            lines.next_line().unwrap(),
            Some((2, RawLine::Bytes(b"ok")))
        ));
        // The limit is on the line without its ending.
        for (len, ending, fits) in [
            (MAX_LINE_BYTES, &b"\r\n"[..], true),
            (MAX_LINE_BYTES, b"", true),
            (MAX_LINE_BYTES + 1, b"", false),
            (MAX_LINE_BYTES + 1, b"\n", false),
        ] {
            let text = [vec![b'x'; len].as_slice(), ending].concat();
            let mut data: &[u8] = &text;
            let mut lines = Lines::new(&mut data);
            let got = matches!(lines.next_line().unwrap(), Some((1, RawLine::Bytes(_))));
            assert_eq!(got, fits, "{len} {ending:?}");
        }
    }

    #[test]
    fn tab_fields_name_the_column_of_bad_bytes() {
        let name = |i: usize| format!("column {}", i + 1);
        assert_eq!(tab_fields(b" a \tb", &name).unwrap(), ["a", "b"]);
        assert_eq!(
            tab_fields(b"a\tCaf\xE9", &name).unwrap_err(),
            "column 2: not valid UTF-8: \"Caf\\xE9\""
        );
    }
}
