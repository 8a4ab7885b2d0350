//! Questions asked of the log: resolving actor names, and finding the
//! statements and events that match a set of filters, as the log stood at
//! any seq. Candidates come from the projections; every candidate is checked
//! again against the event as it then stood, so answers are exact.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::date::{DateRange, Within};
use crate::error::{closest, Error, Result};
use crate::event::{Event, Stance};
use crate::projection::{self, ActorRecord, Role};
use crate::store::{Envelope, Store};
use crate::view::{self, Current};

/// Find the actor a user means: an id, a name or an alias, compared without
/// regard to case (Unicode-aware).
pub fn resolve_actor(actors: &[ActorRecord], wanted: &str) -> Result<String> {
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
    for role in Role::ALL {
        let mut n = 0;
        for seq in projection::involving(backend, actor, &[role])? {
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

/// Statements matching the filter, in timeline order.
pub fn said(store: &Store, f: &StatementFilter) -> Result<Vec<Found>> {
    let backend = store.backend();
    let mut about_seqs = Vec::new();
    for id in &f.about {
        let seq = store
            .seq_of(id)?
            .filter(|s| *s <= f.as_of)
            .ok_or_else(|| Error::NotFound(format!("unknown event \"{id}\"")))?;
        about_seqs.push(seq);
    }
    // The narrowest index the filters allow.
    let candidates: Vec<u64> = if !f.by.is_empty() {
        union(
            f.by.iter()
                .map(|a| projection::involving(backend, a, &[Role::Speaker])),
        )?
    } else if !about_seqs.is_empty() {
        union(about_seqs.iter().map(|s| projection::about(backend, *s)))?
    } else if !f.to.is_empty() {
        union(
            f.to.iter()
                .map(|a| projection::involving(backend, a, &[Role::Addressee])),
        )?
    } else if !f.mentions.is_empty() {
        union(
            f.mentions
                .iter()
                .map(|a| projection::involving(backend, a, &[Role::Mention])),
        )?
    } else if !f.tags.is_empty() {
        union(f.tags.iter().map(|t| projection::tagged(backend, t)))?
    } else {
        projection::of_type(backend, b's')?
    };
    let needle = f.search.as_ref().map(|s| s.to_lowercase());
    let about_ids: Vec<&str> = f.about.iter().map(String::as_str).collect();
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
        let cur = match bodies.remove(&seq) {
            Some(env) if amended.contains(&seq) => view::amended(store, env, f.as_of)?,
            Some(env) => view::unamended(env),
            None => match view::current(store, seq, f.as_of)? {
                Some(cur) => cur,
                None => continue,
            },
        };
        if cur.retracted.is_some() {
            continue;
        }
        let Event::Statement(s) = &cur.event else {
            continue;
        };
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
        };
        if !(f.by.is_empty() || f.by.contains(&s.speaker))
            || !any(&f.to, &s.to)
            || !any(&f.mentions, &s.mentions)
            || !any(&f.tags, &s.tags)
            || !(about_ids.is_empty() || s.about.iter().any(|a| about_ids.contains(&a.as_str())))
            || !(f.stance.is_empty() || s.stance.is_some_and(|st| f.stance.contains(&st)))
        {
            continue;
        }
        if let Some(n) = &needle {
            let in_original = s
                .original
                .as_ref()
                .and_then(|o| o.text.as_deref())
                .is_some_and(|t| text_matches(t, n));
            if !text_matches(&s.text, n) && !in_original {
                continue;
            }
        }
        let Some(within) = s.date.within(&f.range) else {
            continue;
        };
        if f.certain && within != Within::Certain {
            continue;
        }
        out.push(Found {
            current: cur,
            within,
        });
    }
    sort_by_date(&mut out);
    Ok(out)
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
