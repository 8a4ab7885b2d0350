//! Timelines: every statement and action as it stood at a seq (corrections
//! applied, retracted ones left out), in date order (earliest bound, wider
//! first, unqualified first, then log order), filtered by actor, kind, tag,
//! date range and text. Entries are handed out one at a time, in order.

use crate::date::{DateRange, Within};
use crate::error::Result;
use crate::event::Event;
use crate::projection::{self, Role};
use crate::query::{self, Found};
use crate::store::Store;
use crate::view;

/// The roles through which `--actor` matches an event: any part in a
/// statement or an action.
pub const ACTOR_ROLES: [Role; 5] = [
    Role::Speaker,
    Role::Actor,
    Role::Target,
    Role::Addressee,
    Role::Mention,
];

/// Filters of a timeline: repeated values of one filter mean any of them;
/// different filters must all hold.
#[derive(Debug, Clone, Default)]
pub struct TimelineFilter {
    /// Actor ids, in any role (speaker, actor, target, addressee, mention).
    pub actors: Vec<String>,
    /// `statement`, `action`, or an action's kind (`meeting`), compared
    /// without regard to case.
    pub kinds: Vec<String>,
    pub tags: Vec<String>,
    pub range: DateRange,
    /// Only entries certainly inside the range.
    pub certain: bool,
    /// Text contained in a statement's text (or original) or an action's
    /// summary, compared without regard to case.
    pub search: Option<String>,
    /// The seq the log is read at.
    pub as_of: u64,
}

/// The kind shown for an event: `statement`, or the action's own kind.
pub fn kind_of(event: &Event) -> &str {
    match event {
        Event::Statement(_) => "statement",
        Event::Action(a) => &a.kind,
        other => other.type_name(),
    }
}

/// Whether an event (a statement or an action) passes the filter; the
/// range is checked separately since it also says how the date lies.
fn keeps(f: &TimelineFilter, kinds: &[String], needle: Option<&str>, event: &Event) -> bool {
    let (type_name, kind, tags) = match event {
        Event::Statement(s) => ("statement", "statement", &s.tags),
        Event::Action(a) => ("action", a.kind.as_str(), &a.tags),
        _ => return false,
    };
    if !kinds.is_empty()
        && !kinds
            .iter()
            .any(|k| k == type_name || *k == kind.to_lowercase())
    {
        return false;
    }
    if !f.tags.is_empty() && !f.tags.iter().any(|t| tags.contains(t)) {
        return false;
    }
    if !f.actors.is_empty() {
        let roles = projection::roles(event);
        if !roles.iter().any(|(_, id)| f.actors.iter().any(|a| a == id)) {
            return false;
        }
    }
    if let Some(n) = needle {
        let hit = match event {
            Event::Statement(s) => {
                query::text_matches(&s.text, n)
                    || s.original
                        .as_ref()
                        .and_then(|o| o.text.as_deref())
                        .is_some_and(|t| query::text_matches(t, n))
            }
            Event::Action(a) => query::text_matches(&a.summary, n),
            _ => false,
        };
        if !hit {
            return false;
        }
    }
    true
}

/// Check one candidate against the filter, as it stood at `f.as_of`.
fn check(
    store: &Store,
    f: &TimelineFilter,
    kinds: &[String],
    needle: Option<&str>,
    seq: u64,
) -> Result<Option<Found>> {
    if seq > f.as_of {
        return Ok(None);
    }
    match view::current(store, seq, f.as_of)? {
        Some(cur) => Ok(keep_current(f, kinds, needle, cur)),
        None => Ok(None),
    }
}

/// [`check`] for an event already read as it stood at `f.as_of`.
fn keep_current(
    f: &TimelineFilter,
    kinds: &[String],
    needle: Option<&str>,
    cur: view::Current,
) -> Option<Found> {
    if cur.retracted.is_some() || !keeps(f, kinds, needle, &cur.event) {
        return None;
    }
    let within = cur.event.date()?.within(&f.range)?;
    if f.certain && within != Within::Certain {
        return None;
    }
    Some(Found {
        current: cur,
        within,
    })
}

/// Hand every entry of the timeline to `each`, in timeline order.
///
/// With actors or tags, the candidates come from those indexes and are
/// sorted (they are few); otherwise the date index is walked in order and
/// each entry is handed out as soon as it is read, so memory stays flat.
pub fn each(
    store: &Store,
    f: &TimelineFilter,
    mut each: impl FnMut(Found) -> Result<()>,
) -> Result<()> {
    let kinds: Vec<String> = f.kinds.iter().map(|k| k.to_lowercase()).collect();
    let needle = f.search.as_ref().map(|s| s.to_lowercase());
    let needle = needle.as_deref();
    let backend = store.backend();
    let narrow = if !f.actors.is_empty() {
        let mut seqs = Vec::new();
        for a in &f.actors {
            seqs.extend(projection::involving(backend, a, &ACTOR_ROLES)?);
        }
        Some(seqs)
    } else if !f.tags.is_empty() {
        let mut seqs = Vec::new();
        for t in &f.tags {
            seqs.extend(projection::tagged(backend, t)?);
        }
        Some(seqs)
    } else {
        None
    };
    if let Some(mut seqs) = narrow {
        seqs.sort_unstable();
        seqs.dedup();
        let mut found = Vec::new();
        for seq in seqs {
            if let Some(hit) = check(store, f, &kinds, needle, seq)? {
                found.push(hit);
            }
        }
        query::sort_by_date(&mut found);
        for hit in found {
            each(hit)?;
        }
        return Ok(());
    }
    // The date index is read a window at a time. Date order jumps all
    // over the log, so the lines of a window are read in log order, each
    // block of the log once, and each event is decoded as its turn comes
    // (decoding a whole window at once on every core was slower, and took
    // more memory); events with a correction or a retraction are read
    // through the view one by one.
    let (_, hi) = f.range.window();
    let amended = projection::amended(backend)?;
    let mut entries = projection::timeline(backend);
    let mut window: Vec<([u8; 17], u64)> = Vec::with_capacity(WINDOW);
    loop {
        window.clear();
        let mut last = true;
        for item in entries.by_ref() {
            let (key, seq) = item?;
            // Keys start with the earliest bound: past the window's end, no
            // later entry can overlap it.
            if crate::date::OrderKey::from_bytes(&key).is_some_and(|k| k.earliest > hi) {
                break;
            }
            if seq <= f.as_of {
                window.push((key, seq));
            }
            if window.len() == WINDOW {
                last = false;
                break;
            }
        }
        let mut plain: Vec<u64> = window
            .iter()
            .map(|(_, seq)| *seq)
            .filter(|seq| !amended.contains(seq))
            .collect();
        plain.sort_unstable();
        plain.dedup();
        let mut lines = Vec::with_capacity(plain.len());
        store.each_line(&plain, |seq, line| {
            if let Some(line) = line {
                lines.push((seq, line.to_vec()));
            }
            Ok(())
        })?;
        let mut read: std::collections::HashMap<u64, Vec<u8>> = lines.into_iter().collect();
        for (key, seq) in window.drain(..) {
            let hit = match read.remove(&seq) {
                Some(line) => {
                    let env = crate::store::decode_stored(&line)?;
                    keep_current(f, &kinds, needle, view::unamended(env))
                }
                None => check(store, f, &kinds, needle, seq)?,
            };
            let Some(hit) = hit else {
                continue;
            };
            // An event whose date was corrected is indexed under every date
            // it ever had; only the entry of the date it has now counts.
            let current_key = hit.current.event.date().map(|d| d.order_key().to_bytes());
            if current_key != Some(key) {
                continue;
            }
            each(hit)?;
        }
        if last {
            return Ok(());
        }
    }
}

/// Entries of the date index read and decoded together by [`each`].
const WINDOW: usize = 16_384;

/// The whole timeline, in order.
pub fn collect(store: &Store, f: &TimelineFilter) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    each(store, f, |hit| {
        out.push(hit);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Mode;

    fn store(lines: &[&str]) -> Store {
        let mut store = Store::in_memory();
        let mut batch = store.batch();
        for l in lines {
            let v = crate::event::parse_strict(l.as_bytes()).expect("json");
            let e = Event::from_value(v).expect("event");
            batch.add(e, "test", Mode::Import).expect("add");
        }
        batch.commit().expect("commit");
        store
    }

    const ACTORS: [&str; 3] = [
        r#"{"type":"actor","id":"a","name":"A","kind":"person"}"#,
        r#"{"type":"actor","id":"b","name":"B","kind":"state"}"#,
        r#"{"type":"actor","id":"c","name":"C","kind":"state"}"#,
    ];

    fn ids(found: &[Found]) -> Vec<String> {
        found.iter().map(|f| f.current.id.clone()).collect()
    }

    fn all(s: &Store) -> TimelineFilter {
        TimelineFilter {
            as_of: s.head().seq,
            ..TimelineFilter::default()
        }
    }

    #[test]
    fn order_is_by_date_then_seq_and_corrected_dates_move() {
        let mut lines = ACTORS.to_vec();
        lines.extend([
            r#"{"type":"statement","id":"day","date":"2017-03-09","speaker":"a","text":"t"}"#,
            r#"{"type":"action","id":"month","date":"2017-03","actor":"b","targets":["c"],"kind":"meeting","summary":"s"}"#,
            r#"{"type":"statement","id":"gone","date":"2016","speaker":"a","text":"t"}"#,
            r#"{"type":"statement","id":"moved","date":"2015","speaker":"a","text":"t"}"#,
            r#"{"type":"retraction","target":"gone","reason":"r"}"#,
            r#"{"type":"correction","target":"moved","set":{"date":"2018"},"reason":"r"}"#,
        ]);
        let s = store(&lines);
        let f = all(&s);
        assert_eq!(ids(&collect(&s, &f).unwrap()), ["month", "day", "moved"]);
        // As of before the correction and retraction.
        let before = TimelineFilter {
            as_of: 7,
            ..f.clone()
        };
        assert_eq!(
            ids(&collect(&s, &before).unwrap()),
            ["moved", "gone", "month", "day"]
        );
    }

    #[test]
    fn a_timeline_longer_than_a_window_is_whole_and_in_order() {
        // Dates in an order unrelated to the log, one corrected, one
        // retracted, and more entries than one window holds.
        let n = WINDOW + 300;
        let mut lines: Vec<String> = ACTORS.iter().map(|s| s.to_string()).collect();
        for i in 0..n {
            let day = (i * 7919) % 3650;
            let date = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
                .and_then(|d| d.checked_add_days(chrono::Days::new(day as u64)))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            lines.push(format!(
                r#"{{"type":"statement","id":"s{i}","date":"{date}","speaker":"a","text":"t"}}"#
            ));
        }
        lines.push(
            r#"{"type":"correction","target":"s5","set":{"date":"2030"},"reason":"r"}"#.into(),
        );
        lines.push(r#"{"type":"retraction","target":"s6","reason":"r"}"#.into());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let s = store(&refs);
        let found = collect(&s, &all(&s)).unwrap();
        assert_eq!(found.len(), n - 1, "every statement but the retracted one");
        let keys: Vec<_> = found
            .iter()
            .map(|f| (f.current.event.date().map(|d| d.order_key()), f.current.seq))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "in timeline order");
        assert_eq!(found.last().map(|f| f.current.id.as_str()), Some("s5"));
        assert!(!found.iter().any(|f| f.current.id == "s6"));
    }

    #[test]
    fn filters_by_actor_in_any_role_kind_tag_and_text() {
        let mut lines = ACTORS.to_vec();
        lines.extend([
            r#"{"type":"statement","id":"s1","date":"2017-01","speaker":"a","text":"Hello World","mentions":["c"],"tags":["x"]}"#,
            r#"{"type":"action","id":"x1","date":"2017-02","actor":"b","targets":["c"],"kind":"Meeting","summary":"met"}"#,
            r#"{"type":"action","id":"x2","date":"2017-03","actor":"b","kind":"call","summary":"called","tags":["x"]}"#,
        ]);
        let s = store(&lines);
        let f = all(&s);
        let run = |g: TimelineFilter| ids(&collect(&s, &g).unwrap());
        assert_eq!(
            run(TimelineFilter {
                actors: vec!["c".into()],
                ..f.clone()
            }),
            ["s1", "x1"]
        );
        assert_eq!(
            run(TimelineFilter {
                kinds: vec!["meeting".into()],
                ..f.clone()
            }),
            ["x1"]
        );
        assert_eq!(
            run(TimelineFilter {
                kinds: vec!["action".into()],
                ..f.clone()
            }),
            ["x1", "x2"]
        );
        assert_eq!(
            run(TimelineFilter {
                kinds: vec!["statement".into(), "call".into()],
                ..f.clone()
            }),
            ["s1", "x2"]
        );
        assert_eq!(
            run(TimelineFilter {
                tags: vec!["x".into()],
                ..f.clone()
            }),
            ["s1", "x2"]
        );
        assert_eq!(
            run(TimelineFilter {
                search: Some("WORLD".into()),
                ..f.clone()
            }),
            ["s1"]
        );
        assert_eq!(
            run(TimelineFilter {
                actors: vec!["b".into()],
                tags: vec!["x".into()],
                ..f.clone()
            }),
            ["x2"]
        );
        let until = DateRange {
            since: None,
            until: Some(crate::date::EdtfDate::parse("2017-02").unwrap()),
        };
        assert_eq!(
            run(TimelineFilter {
                range: until,
                ..f.clone()
            }),
            ["s1", "x1"]
        );
    }
}
