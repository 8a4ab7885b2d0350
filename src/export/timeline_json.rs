//! `timeline --format json`: one JSON object per line and per entry, the
//! envelope's `seq`, `id`, `recorded_at` and `v` and the event as corrected,
//! beside display fields computed from it. Keys are always in the same order.

use serde::Serialize;
use serde_json::Value;

use crate::date::Within;
use crate::event::Source;
use crate::query::Found;

use super::{body, headline, involved, rfc3339, role_name, Names};

/// An actor taking part in an entry.
#[derive(Debug, Serialize)]
pub struct Involved<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// speaker, addressee, mention, actor or target.
    pub roles: Vec<&'static str>,
}

/// One timeline entry.
#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    pub seq: u64,
    pub id: &'a str,
    pub recorded_at: &'a str,
    pub v: u32,
    /// `statement` or `action`.
    #[serde(rename = "type")]
    pub type_name: &'static str,
    /// `statement`, or the action's kind.
    pub kind: &'a str,
    /// The date as written (EDTF).
    pub date: &'a str,
    /// The date in words.
    pub display_date: String,
    /// Earliest instant the date covers (RFC 3339, UTC); null when open.
    pub earliest: Option<String>,
    /// Latest instant the date covers; null when open.
    pub latest: Option<String>,
    pub headline: String,
    /// A statement's text, an action's summary.
    pub text: &'a str,
    pub actors: Vec<Involved<'a>>,
    pub sources: &'a [Source],
    pub tags: &'a [String],
    /// How the date lies in the requested range; only when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
    /// Ids of the corrections applied, in log order.
    pub corrections: &'a [String],
    /// The event as it currently stands.
    pub event: Value,
}

/// The entry of one timeline hit; `ranged` says whether a date range was
/// asked for (and so whether `within` is written).
pub fn entry<'a>(found: &'a Found, names: &'a Names, ranged: bool) -> Entry<'a> {
    let cur = &found.current;
    let e = &cur.event;
    let date = e.date();
    Entry {
        seq: cur.seq,
        id: &cur.id,
        recorded_at: &cur.recorded_at,
        v: cur.v,
        type_name: e.type_name(),
        kind: crate::timeline::kind_of(e),
        date: date.map_or("", |d| d.as_str()),
        display_date: date.map(|d| d.display()).unwrap_or_default(),
        earliest: date.and_then(|d| rfc3339(d.earliest())),
        latest: date.and_then(|d| rfc3339(d.latest())),
        headline: headline(e, names),
        text: body(e),
        actors: involved(e)
            .into_iter()
            .map(|(id, roles)| Involved {
                id,
                name: names.name(id),
                roles: roles.into_iter().map(role_name).collect(),
            })
            .collect(),
        sources: e.sources(),
        tags: e.tags(),
        within: ranged.then_some(found.within),
        corrections: &cur.corrections,
        event: e.to_value(),
    }
}

/// One line of `timeline --format json` (without its newline).
pub fn line(found: &Found, names: &Names, ranged: bool) -> String {
    serde_json::to_string(&entry(found, names, ranged)).unwrap_or_default()
}
