//! Projections are a pure fold over the log: applying events batch by batch,
//! in any split, gives exactly what one full replay gives.

use demarche::date::{DateRange, EdtfDate};
use demarche::event::{parse_strict, Event};
use demarche::projection::SPACES;
use demarche::query::{self, Listed, StatementFilter};
use demarche::store::{Mode, Store};
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
    Say {
        speaker: usize,
        day: u8,
        about: Option<usize>,
        tag: bool,
    },
    Act {
        actor: usize,
        target: usize,
        month: u8,
    },
    Correct {
        target: usize,
        day: u8,
        speaker: usize,
    },
    Retract {
        target: usize,
    },
    Reregister {
        actor: usize,
        alias: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 1..28u8, proptest::option::of(0..50usize), any::<bool>())
            .prop_map(|(speaker, day, about, tag)| Op::Say { speaker, day, about, tag }),
        2 => (0..4usize, 0..4usize, 1..13u8).prop_map(|(actor, target, month)| Op::Act { actor, target, month }),
        2 => (0..50usize, 1..28u8, 0..4usize).prop_map(|(target, day, speaker)| Op::Correct { target, day, speaker }),
        1 => (0..50usize).prop_map(|target| Op::Retract { target }),
        1 => (0..4usize, 0..3u8).prop_map(|(actor, alias)| Op::Reregister { actor, alias }),
    ]
}

const ACTORS: [&str; 4] = ["a", "b", "c", "d"];

/// Turn abstract operations into a valid event sequence.
fn events(ops: &[Op]) -> Vec<Event> {
    let ev = |v: serde_json::Value| {
        Event::from_value(parse_strict(v.to_string().as_bytes()).unwrap()).unwrap()
    };
    let mut out: Vec<Event> = ACTORS
        .iter()
        .map(|id| ev(json!({"type":"actor","id":id,"name":id.to_uppercase(),"kind":"person"})))
        .collect();
    let mut targets: Vec<String> = Vec::new();
    let mut retracted: Vec<String> = Vec::new();
    // Each correction and its target.
    let mut corrects: Vec<(String, String)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let live: Vec<&String> = targets.iter().filter(|t| !retracted.contains(t)).collect();
        let pick = |n: usize| live.get(n % live.len().max(1)).map(|s| s.to_string());
        match op {
            Op::Say {
                speaker,
                day,
                about,
                tag,
            } => {
                let id = format!("s{i}");
                // Some texts need unescaping, and some statements cite sources.
                let text = if i % 3 == 0 {
                    format!("words \"{i}\"\nsaid")
                } else {
                    format!("words {i}")
                };
                let mut v = json!({"type":"statement","id":id,"date":format!("2017-03-{day:02}"),
                    "speaker":ACTORS[*speaker],"text":text});
                if i % 2 == 0 {
                    v["sources"] = json!([{"outlet":"Wire"},{"outlet":format!("Paper {i}")}]);
                }
                if let Some(t) = about.and_then(|a| targets.get(a % targets.len().max(1)).cloned())
                {
                    v["about"] = json!([t]);
                    v["stance"] = json!("confirms");
                }
                if *tag {
                    v["tags"] = json!(["t"]);
                }
                out.push(ev(v));
                targets.push(id);
            }
            Op::Act {
                actor,
                target,
                month,
            } => {
                let id = format!("x{i}");
                out.push(ev(json!({"type":"action","id":id,"date":format!("2017-{month:02}"),
                    "actor":ACTORS[*actor],"targets":[ACTORS[*target]],"kind":"meeting","summary":"met"})));
                targets.push(id);
            }
            Op::Correct {
                target,
                day,
                speaker,
            } => {
                if let Some(t) = pick(*target) {
                    let set = if t.starts_with('s') {
                        json!({"date": format!("2017-04-{day:02}"), "speaker": ACTORS[*speaker]})
                    } else if t.starts_with('x') {
                        json!({"date": format!("2016-{:02}", day % 12 + 1)})
                    } else {
                        // A correction corrected in turn.
                        json!({"reason": format!("r{day}")})
                    };
                    let id = format!("c{i}");
                    out.push(ev(
                        json!({"type":"correction","id":id,"target":t,"set":set,"reason":"r"}),
                    ));
                    targets.push(id.clone());
                    corrects.push((id, t));
                }
            }
            Op::Retract { target } => {
                if let Some(t) = pick(*target) {
                    out.push(ev(json!({"type":"retraction","target":t,"reason":"r"})));
                    retracted.push(t);
                    // Nor can a correction be corrected any more once its
                    // chain of targets reaches a retracted event.
                    loop {
                        let blocked: Vec<String> = corrects
                            .iter()
                            .filter(|(c, of)| retracted.contains(of) && !retracted.contains(c))
                            .map(|(c, _)| c.clone())
                            .collect();
                        if blocked.is_empty() {
                            break;
                        }
                        retracted.extend(blocked);
                    }
                }
            }
            Op::Reregister { actor, alias } => {
                out.push(ev(json!({"type":"actor","id":ACTORS[*actor],"name":"N","kind":"person","aliases":[format!("al{alias}")]})));
            }
        }
    }
    out
}

fn projections(store: &Store) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
    SPACES
        .iter()
        .map(|s| {
            store
                .backend()
                .scan_prefix(s, b"")
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The `said` table, which reads most statements straight from their
    /// stored lines, lists exactly what the general query finds.
    #[test]
    fn said_listing_equals_the_query(
        ops in proptest::collection::vec(op(), 0..40),
        by in proptest::collection::vec(0..4usize, 0..3),
        tag in any::<bool>(),
        search in proptest::option::of(0..10u8),
        range in proptest::option::of((1..28u8, 1..28u8)),
        certain in any::<bool>(),
        as_of_back in 0..6u64,
    ) {
        let mut store = Store::in_memory();
        {
            let mut b = store.batch();
            for e in events(&ops) {
                b.add(e, "", Mode::Import).unwrap();
            }
            b.commit().unwrap();
        }
        let head = store.head().seq;
        let filter = StatementFilter {
            by: by.iter().map(|a| ACTORS[*a].to_string()).collect(),
            tags: if tag { vec!["t".into()] } else { Vec::new() },
            search: search.map(|n| format!("words {n}")),
            range: match range {
                Some((a, b)) => DateRange {
                    since: Some(EdtfDate::parse(&format!("2017-03-{:02}", a.min(b))).unwrap()),
                    until: Some(EdtfDate::parse(&format!("2017-04-{:02}", a.max(b))).unwrap()),
                },
                None => DateRange::default(),
            },
            certain,
            as_of: head.saturating_sub(as_of_back),
            ..StatementFilter::default()
        };
        let expected: Vec<Listed> = query::said(&store, &filter)
            .unwrap()
            .into_iter()
            .filter_map(Listed::of)
            .collect();
        prop_assert_eq!(query::listing(&store, &filter).unwrap(), expected);
    }

    #[test]
    fn batch_by_batch_and_beside_the_appending_equal_one_replay(ops in proptest::collection::vec(op(), 0..40), split in 1..8usize) {
        let evs = events(&ops);
        // One recording time for both, so that stored lines are identical.
        let fixed = || -> demarche::store::Clock {
            Box::new(|| chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default())
        };
        let mut whole = Store::in_memory();
        whole.set_clock(fixed());
        {
            let mut b = whole.batch();
            for e in evs.clone() {
                b.add(e, "", Mode::Import).unwrap();
            }
            b.commit().unwrap();
        }
        let mut pieces = Store::in_memory();
        pieces.set_clock(fixed());
        for chunk in evs.chunks(split) {
            let mut b = pieces.batch();
            for e in chunk.iter().cloned() {
                b.add(e, "", Mode::Import).unwrap();
            }
            b.commit().unwrap();
        }
        // Built beside the appending, into an empty log.
        let mut beside = Store::in_memory();
        beside.set_clock(fixed());
        {
            let mut b = beside.batch();
            prop_assert!(b.fold_projections().unwrap());
            for e in evs.iter().cloned() {
                b.add(e, "", Mode::Import).unwrap();
            }
            let summary = b.commit().unwrap();
            prop_assert_eq!(summary.projected_beside, summary.appended > 0);
        }
        prop_assert_eq!(whole.head().seq, pieces.head().seq);
        prop_assert_eq!(projections(&whole), projections(&pieces));
        prop_assert_eq!(projections(&whole), projections(&beside));
        demarche::verify::verify(&pieces).unwrap();
        // Rebuilding from the log alone gives the same again.
        let before = projections(&pieces);
        pieces.rebuild().unwrap();
        prop_assert_eq!(before, projections(&pieces));
    }
}
