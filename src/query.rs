//! Questions asked of the log: resolving actor names, and finding the
//! statements and events that match a set of filters, as the log stood at
//! any seq. Candidates come from the projections; every candidate is checked
//! again against the event as it then stood, so answers are exact.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::date::{DateRange, EdtfDate, Within};
use crate::error::{closest, Error, Result};
use crate::event::{Event, Form, Stance, StatementMade};
use crate::projection::{self, ActorRecord, Role};
use crate::store::{Envelope, Store};
use crate::view::{self, Current};

/// Find the actor a user means: an id, a name or an alias, compared without
/// regard to case (Unicode-aware).
pub fn resolve_actor(actors: &[ActorRecord], wanted: &str) -> Result<String> {
    if wanted.trim().is_empty() {
        return Err(Error::invalid(format!(
            "an actor is named by its id, a name or an alias, not {wanted:?}"
        )));
    }
    if let Some(a) = actors.iter().find(|a| a.id == wanted) {
        return Ok(a.id.clone());
    }
    let folded = wanted.to_lowercase();
    let mut hits: Vec<&ActorRecord> = actors
        .iter()
        .filter(|a| {
            a.id.to_lowercase() == folded
                || a.name.to_lowercase() == folded
                || a.aliases.iter().any(|al| al.to_lowercase() == folded)
        })
        .collect();
    hits.dedup_by(|a, b| a.id == b.id);
    match hits.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => {
            let names: Vec<&str> = actors
                .iter()
                .flat_map(|a| {
                    std::iter::once(a.id.as_str())
                        .chain(std::iter::once(a.name.as_str()))
                        .chain(a.aliases.iter().map(String::as_str))
                })
                .collect();
            let mut ids: Vec<String> = Vec::new();
            for name in closest(wanted, names) {
                if let Some(a) = actors
                    .iter()
                    .find(|a| a.id == name || a.name == name || a.aliases.iter().any(|x| x == name))
                {
                    if !ids.contains(&a.id) {
                        ids.push(a.id.clone());
                    }
                }
            }
            let hint = if ids.is_empty() {
                String::from(" (see `demarche actor list`)")
            } else {
                format!(
                    " (did you mean {}?)",
                    ids.iter()
                        .map(|i| format!("\"{i}\""))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            };
            Err(Error::NotFound(format!("unknown actor \"{wanted}\"{hint}")))
        }
        many => Err(Error::invalid(format!(
            "\"{wanted}\" is ambiguous: it may mean {} (use an id)",
            many.iter()
                .map(|a| format!("\"{}\" ({})", a.id, a.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Filters of `said`: repeated values of one filter mean any of them;
/// different filters must all hold.
#[derive(Debug, Clone, Default)]
pub struct StatementFilter {
    pub by: Vec<String>,
    pub to: Vec<String>,
    pub about: Vec<String>,
    pub stance: Vec<Stance>,
    pub mentions: Vec<String>,
    pub tags: Vec<String>,
    pub range: DateRange,
    pub certain: bool,
    pub search: Option<String>,
    /// The seq the log is read at.
    pub as_of: u64,
}

/// One answer: the event as it stood, and where it lies in the range.
#[derive(Debug, Clone)]
pub struct Found {
    pub current: Current,
    pub within: Within,
}

impl Found {
    /// The JSON Lines record of `said --json` and `perspectives --json`.
    pub fn to_json(&self, with_within: bool) -> Record {
        Record::new(&self.current, with_within.then_some(self.within))
    }
}

/// The envelope-shaped record of an event as it stands:
/// `{"seq","id","recorded_at","v","event","corrections"}` (and `within`
/// when a date range was asked for), written in that order.
#[derive(Debug, Serialize)]
pub struct Record {
    pub seq: u64,
    pub id: String,
    pub recorded_at: String,
    pub v: u32,
    pub event: Value,
    pub corrections: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
}

impl Record {
    /// The record of an event as it stands.
    pub fn new(c: &Current, within: Option<Within>) -> Record {
        Record {
            seq: c.seq,
            id: c.id.clone(),
            recorded_at: c.recorded_at.clone(),
            v: c.v,
            event: c.event.to_value(),
            corrections: c.corrections.clone(),
            within,
        }
    }
}

/// How an actor takes part in the log: events per role, and its
/// affiliations, as the log stands at `as_of`.
#[derive(Debug, Clone, Default)]
pub struct Involvement {
    pub counts: std::collections::BTreeMap<Role, u64>,
    /// Affiliations where the actor is the member or the organisation.
    pub affiliations: Vec<Current>,
    /// Events involving the actor in any role.
    pub events: u64,
}

/// Count an actor's events by role. The index lists are exact for events
/// that no correction or retraction touched, so only those few are read.
pub fn involvement(store: &Store, actor: &str, as_of: u64) -> Result<Involvement> {
    let backend = store.backend();
    let amended = projection::amended(backend)?;
    let mut out = Involvement::default();
    let mut all = HashSet::new();
    let involving = projection::Involving::read(backend, actor)?;
    for role in Role::ALL {
        let mut n = 0;
        for seq in involving.of(&[role]) {
            if seq > as_of {
                break;
            }
            let holds = if amended.contains(&seq) || matches!(role, Role::Member | Role::Org) {
                match view::current(store, seq, as_of)? {
                    Some(cur) if cur.retracted.is_none() => {
                        let holds = projection::roles(&cur.event)
                            .iter()
                            .any(|(r, who)| *r == role && *who == actor);
                        if holds
                            && matches!(role, Role::Member | Role::Org)
                            && !out.affiliations.iter().any(|a| a.seq == cur.seq)
                        {
                            out.affiliations.push(cur);
                        }
                        holds
                    }
                    _ => false,
                }
            } else {
                true
            };
            if holds {
                n += 1;
                all.insert(seq);
            }
        }
        if n > 0 {
            out.counts.insert(role, n);
        }
    }
    out.affiliations.sort_by_key(|a| a.seq);
    out.events = all.len() as u64;
    Ok(out)
}

/// Case-insensitive (Unicode-aware) substring search.
pub fn text_matches(haystack: &str, needle_lower: &str) -> bool {
    haystack.to_lowercase().contains(needle_lower)
}

/// The facts of a statement the filters of `said` look at, borrowed from
/// a typed event or from a stored brief.
struct Facts<'a, S> {
    speaker: &'a str,
    to: &'a [S],
    mentions: &'a [S],
    about: &'a [S],
    tags: &'a [S],
    stance: Option<Stance>,
    text: &'a str,
    original: Option<&'a str>,
    date: &'a EdtfDate,
}

impl<'a> Facts<'a, String> {
    fn of(s: &'a StatementMade) -> Self {
        Facts {
            speaker: &s.speaker,
            to: &s.to,
            mentions: &s.mentions,
            about: &s.about,
            tags: &s.tags,
            stance: s.stance,
            text: &s.text,
            original: s.original.as_ref().and_then(|o| o.text.as_deref()),
            date: &s.date,
        }
    }
}

impl StatementFilter {
    /// Where a statement lies in the date range, when it passes every
    /// filter. `needle` is the lowercased search text.
    fn admits<S: AsRef<str>>(&self, s: &Facts<'_, S>, needle: Option<&str>) -> Option<Within> {
        let has = |have: &[S], w: &str| have.iter().any(|h| h.as_ref() == w);
        let any = |wanted: &[String], have: &[S]| {
            wanted.is_empty() || wanted.iter().any(|w| has(have, w))
        };
        if !(self.by.is_empty() || self.by.iter().any(|b| b == s.speaker))
            || !any(&self.to, s.to)
            || !any(&self.mentions, s.mentions)
            || !any(&self.tags, s.tags)
            || !any(&self.about, s.about)
            || !(self.stance.is_empty() || s.stance.is_some_and(|st| self.stance.contains(&st)))
        {
            return None;
        }
        if let Some(n) = needle {
            if !text_matches(s.text, n) && !s.original.is_some_and(|t| text_matches(t, n)) {
                return None;
            }
        }
        let within = s.date.within(&self.range)?;
        (!self.certain || within == Within::Certain).then_some(within)
    }

    /// Seqs of the events that may match, from the narrowest index the
    /// filters allow, ascending.
    fn candidates(&self, store: &Store) -> Result<Vec<u64>> {
        let backend = store.backend();
        let mut about_seqs = Vec::new();
        for id in &self.about {
            about_seqs.push(store.seq_as_of(id, self.as_of)?);
        }
        let involving = |actors: &[String], role: Role| {
            union(
                actors
                    .iter()
                    .map(|a| projection::involving(backend, a, &[role])),
            )
        };
        if !self.by.is_empty() {
            involving(&self.by, Role::Speaker)
        } else if !about_seqs.is_empty() {
            union(about_seqs.iter().map(|s| projection::about(backend, *s)))
        } else if !self.to.is_empty() {
            involving(&self.to, Role::Addressee)
        } else if !self.mentions.is_empty() {
            involving(&self.mentions, Role::Mention)
        } else if !self.tags.is_empty() {
            union(self.tags.iter().map(|t| projection::tagged(backend, t)))
        } else {
            projection::of_type(backend, b's')
        }
    }

    /// The statement at `seq` as it stood, when it passes every filter.
    fn check(&self, store: &Store, seq: u64, needle: Option<&str>) -> Result<Option<Found>> {
        match view::current(store, seq, self.as_of)? {
            Some(cur) => Ok(self.keep(cur, needle)),
            None => Ok(None),
        }
    }

    /// `cur`, when it is a standing statement that passes every filter.
    fn keep(&self, cur: Current, needle: Option<&str>) -> Option<Found> {
        if cur.retracted.is_some() {
            return None;
        }
        let Event::Statement(s) = &cur.event else {
            return None;
        };
        let within = self.admits(&Facts::of(s), needle)?;
        Some(Found {
            current: cur,
            within,
        })
    }
}

/// Statements matching the filter, in timeline order.
pub fn said(store: &Store, f: &StatementFilter) -> Result<Vec<Found>> {
    let backend = store.backend();
    let candidates = f.candidates(store)?;
    let needle = f.search.as_ref().map(|s| s.to_lowercase());
    let needle = needle.as_deref();
    // Asked by speaker, the statements come from the speaker's own chunks,
    // read in a few values; only events with corrections or retractions
    // go through the general path.
    let mut bodies: HashMap<u64, Envelope> = HashMap::new();
    let mut amended = HashSet::new();
    if !f.by.is_empty() {
        amended = projection::amended(backend)?;
        let mut lines = Vec::new();
        for speaker in &f.by {
            lines.extend(projection::Said::read(backend, speaker)?);
        }
        let decoded = crate::store::decode_many(&lines)?;
        bodies = decoded.into_iter().map(|env| (env.seq, env)).collect();
    }
    let mut out = Vec::new();
    for seq in candidates {
        if seq > f.as_of {
            break;
        }
        let found = match bodies.remove(&seq) {
            Some(env) if amended.contains(&seq) => {
                f.keep(view::amended(store, env, f.as_of)?, needle)
            }
            Some(env) => f.keep(view::unamended(env), needle),
            None => f.check(store, seq, needle)?,
        };
        out.extend(found);
    }
    sort_by_date(&mut out);
    Ok(out)
}

/// What the `said` table shows of a statement as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub seq: u64,
    pub id: String,
    /// Whether corrections were applied.
    pub corrected: bool,
    pub within: Within,
    pub date: EdtfDate,
    pub speaker: String,
    pub form: Form,
    pub stance: Option<Stance>,
    /// The outlets of its sources, in order.
    pub outlets: Vec<String>,
    pub text: String,
}

impl Listed {
    /// The row of a statement found by [`said`] (`None` for another event).
    pub fn of(found: Found) -> Option<Listed> {
        let c = found.current;
        let Event::Statement(s) = c.event else {
            return None;
        };
        Some(Listed {
            seq: c.seq,
            id: c.id,
            corrected: !c.corrections.is_empty(),
            within: found.within,
            form: s.form(),
            stance: s.stance,
            outlets: s.sources.into_iter().map(|src| src.outlet).collect(),
            date: s.date,
            speaker: s.speaker,
            text: s.text,
        })
    }
}

/// The statements of [`said`] as the `said` table shows them, the same
/// ones in the same order. Asked by speaker, each core reads the speaker's
/// stored chunks for its own stretch of the log; the statements no
/// correction or retraction touches are read from their briefs (see
/// [`projection::brief`]) without building their events, the others as
/// their amendments leave them.
pub fn listing(store: &Store, f: &StatementFilter) -> Result<Vec<Listed>> {
    if f.by.is_empty() {
        return Ok(said(store, f)?.into_iter().filter_map(Listed::of).collect());
    }
    let backend = store.backend();
    let candidates = f.candidates(store)?;
    let amended = projection::amended(backend)?;
    let needle = f.search.as_ref().map(|s| s.to_lowercase());
    let needle = needle.as_deref();
    // Each core reads and scans the chunks of its own stretch of the log,
    // the stretches cut where they hold as many candidates each.
    let cores = crate::cores::threads();
    let mut cuts: Vec<u64> = (1..cores)
        .filter_map(|k| candidates.get(k * candidates.len() / cores).copied())
        .collect();
    cuts.dedup();
    let bounds: Vec<u64> = std::iter::once(0)
        .chain(cuts)
        .chain(std::iter::once(u64::MAX))
        .collect();
    let speakers: std::collections::BTreeSet<&String> = f.by.iter().collect();
    let parts: Vec<_> = bounds
        .windows(2)
        .flat_map(|w| speakers.iter().map(move |s| (s.as_str(), w[0]..w[1])))
        .collect();
    let log = store.shared();
    let scan = |part: &[(&str, std::ops::Range<u64>)]| -> Result<Scanned> {
        let mut chunks = Vec::new();
        for (speaker, firsts) in part {
            for chunk in projection::Said::chunks_from(backend, speaker, firsts.clone())? {
                chunks.push((*speaker, chunk));
            }
        }
        let mut out = Scanned::default();
        // Room for every statement of the chunks: growing would copy the
        // rows into fresh memory again.
        out.rows.reserve(chunks.len() * projection::Said::CHUNK);
        for (speaker, chunk) in &chunks {
            let raw = projection::Said::unpack(chunk)?;
            for record in projection::Said::records(&raw) {
                let (seq, line, brief) = record?;
                if seq > f.as_of || candidates.binary_search(&seq).is_err() {
                    continue;
                }
                out.seen.push(seq);
                if amended.contains(&seq) {
                    // Corrected or retracted: read the general way.
                    let env = crate::store::decode_stored(line)?;
                    out.rows.extend(
                        f.keep(view::amended(&log, env, f.as_of)?, needle)
                            .and_then(Listed::of),
                    );
                    continue;
                }
                let brief = projection::brief::Brief::read(brief, line)?;
                out.rows.extend(listed(seq, speaker, brief, f, needle)?);
            }
        }
        Ok(out)
    };
    let parts = crate::cores::split(&parts, 2, scan)?;
    let mut scanned = Scanned::default();
    scanned
        .rows
        .reserve(parts.iter().map(|p| p.rows.len()).sum());
    for part in parts {
        scanned.rows.extend(part.rows);
        scanned.seen.extend(part.seen);
    }
    let mut out = scanned.rows;
    // Statements whose speaker was corrected to the one asked for.
    scanned.seen.sort_unstable();
    for seq in candidates {
        if seq > f.as_of {
            break;
        }
        if scanned.seen.binary_search(&seq).is_err() {
            out.extend(f.check(store, seq, needle)?.and_then(Listed::of));
        }
    }
    out.sort_by_cached_key(|l| (l.date.order_key(), l.seq));
    Ok(out)
}

/// What one core found in its share of a speaker's chunks.
#[derive(Default)]
struct Scanned {
    rows: Vec<Listed>,
    /// Candidate seqs met in the chunks.
    seen: Vec<u64>,
}

/// The row of the statement at `seq` with `brief`, when it passes `f`.
fn listed(
    seq: u64,
    speaker: &str,
    brief: projection::brief::Brief<'_>,
    f: &StatementFilter,
    needle: Option<&str>,
) -> Result<Option<Listed>> {
    let date: EdtfDate = brief.date.parse().map_err(|_| {
        Error::Damaged(format!(
            "a stored statement brief has the date {:?}",
            brief.date
        ))
    })?;
    let facts = Facts {
        speaker,
        to: &brief.to,
        mentions: &brief.mentions,
        about: &brief.about,
        tags: &brief.tags,
        stance: brief.stance,
        text: brief.text,
        original: brief.original,
        date: &date,
    };
    let Some(within) = f.admits(&facts, needle) else {
        return Ok(None);
    };
    Ok(Some(Listed {
        seq,
        id: brief.id.to_string(),
        corrected: false,
        within,
        form: brief.form,
        stance: brief.stance,
        outlets: brief.outlets.iter().map(|o| o.to_string()).collect(),
        speaker: speaker.to_string(),
        text: brief.text.to_string(),
        date,
    }))
}

/// Timeline order: by date (see the date module), then log order.
pub fn sort_by_date(found: &mut [Found]) {
    found.sort_by_cached_key(|f| (f.current.event.date().map(|d| d.order_key()), f.current.seq));
}

fn union(lists: impl Iterator<Item = Result<Vec<u64>>>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for l in lists {
        out.extend(l?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A short human summary of an event, for listings.
pub fn headline(event: &Event) -> String {
    match event {
        Event::Actor(a) => format!("{} ({}, {})", a.name, a.id, a.kind.as_str()),
        Event::Affiliation(a) => format!("{} is {} of {}", a.actor, a.role, a.org),
        Event::Statement(s) => format!("{} {}: \"{}\"", s.date, s.speaker, s.text),
        Event::Action(a) => format!("{} {} [{}]: {}", a.date, a.actor, a.kind, a.summary),
        Event::Correction(c) => format!(
            "correct {}: {} (reason: {})",
            c.target,
            c.set
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            c.reason
        ),
        Event::Retraction(r) => format!("retract {} (reason: {})", r.target, r.reason),
    }
}

/// Serialisable shape of an actor for `--json` listings.
#[derive(Debug, Serialize)]
pub struct ActorJson<'a> {
    #[serde(flatten)]
    pub actor: &'a ActorRecord,
}
