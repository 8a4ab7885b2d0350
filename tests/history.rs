//! Corrections, retractions, as-of views, verify and schema versions,
//! through the real binary.

mod common;

use common::{fixture, Db};
use demarche::store::{OpenOptions, Store};
use serde_json::{json, Value};

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn story() -> Db {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    db
}

#[test]
fn a_corrected_statement_shows_its_new_value_now_and_its_old_value_before() {
    let db = story();
    let before = db.json_lines(&["history", "--json"]).len().to_string();
    db.ok(&[
        "correct",
        "nauert-cannot-confirm",
        "--set",
        "medium=State Department press briefing",
        "--set",
        "stance=denies",
        "--reason",
        "the transcript",
    ]);
    let now = db.json_lines(&[
        "said",
        "--by",
        "nauert",
        "--search",
        "private diplomatic",
        "--json",
    ]);
    assert_eq!(now[0]["event"]["medium"], "State Department press briefing");
    assert_eq!(now[0]["event"]["stance"], "denies");
    assert_eq!(now[0]["corrections"].as_array().map(Vec::len), Some(1));
    let then = db.json_lines(&[
        "said",
        "--by",
        "nauert",
        "--search",
        "private diplomatic",
        "--json",
        "--as-of",
        &before,
    ]);
    assert_eq!(then[0]["event"]["stance"], "declines");
    assert!(then[0]["event"].get("medium").is_none());
    assert_eq!(then[0]["corrections"], serde_json::json!([]));
    // The stance filter follows the correction, and the old one as-of.
    assert!(
        ids(&db.json_lines(&["said", "--stance", "denies", "--json"]))
            .contains(&"nauert-cannot-confirm".into())
    );
    assert!(
        !ids(&db.json_lines(&["said", "--stance", "declines", "--json"]))
            .contains(&"nauert-cannot-confirm".into())
    );
    assert!(
        ids(&db.json_lines(&["said", "--stance", "declines", "--json", "--as-of", &before]))
            .contains(&"nauert-cannot-confirm".into())
    );
    // A corrected date moves the statement in the timeline.
    db.ok(&[
        "correct",
        "nauert-cannot-confirm",
        "--set",
        "date=2017-09-11",
        "--reason",
        "it was Monday",
    ]);
    let sept11 = db.json_lines(&[
        "said",
        "--since",
        "2017-09-11",
        "--until",
        "2017-09-11",
        "--certain",
        "--json",
    ]);
    assert_eq!(ids(&sept11), ["nauert-cannot-confirm"]);
    db.ok(&["verify"]);
}

#[test]
fn a_retracted_statement_is_gone_from_views_but_not_from_history() {
    let db = story();
    let before = db.json_lines(&["history", "--json"]).len().to_string();
    db.ok(&[
        "retract",
        "peskov-confirms-proposals",
        "--reason",
        "attributed to the wrong speaker",
    ]);
    let said = ids(&db.json_lines(&["said", "--by", "peskov", "--json"]));
    assert!(
        !said.contains(&"peskov-confirms-proposals".into()),
        "{said:?}"
    );
    let timeline = db.ok(&["timeline", "--format", "json"]);
    assert!(!timeline.contains("\"peskov-confirms-proposals\""));
    let graph = db.ok(&["graph", "--format", "json"]);
    assert!(!graph.contains("peskov-confirms-proposals"));
    let perspectives = db.ok(&["perspectives", "russia-normalization-proposal", "--json"]);
    assert!(!perspectives.contains("peskov-confirms-proposals"));
    // As the log stood before the retraction, it is there in every view.
    let then = ids(&db.json_lines(&["said", "--by", "peskov", "--json", "--as-of", &before]));
    assert!(then.contains(&"peskov-confirms-proposals".into()));
    assert!(db
        .ok(&["timeline", "--format", "json", "--as-of", &before])
        .contains("\"peskov-confirms-proposals\""));
    assert!(db
        .ok(&["graph", "--format", "json", "--as-of", &before])
        .contains("peskov-confirms-proposals"));
    assert!(db
        .ok(&[
            "perspectives",
            "russia-normalization-proposal",
            "--json",
            "--as-of",
            &before
        ])
        .contains("peskov-confirms-proposals"));
    let story = db.ok(&["history", "peskov-confirms-proposals"]);
    assert!(
        story.contains("attributed to the wrong speaker") && story.contains("now: retracted"),
        "{story}"
    );
    // And it cannot be changed any more.
    let e = db.fails(&[
        "correct",
        "peskov-confirms-proposals",
        "--set",
        "medium=x",
        "--reason",
        "r",
    ]);
    assert!(e.contains("retracted"), "{e}");
    let e = db.fails(&["retract", "peskov-confirms-proposals", "--reason", "again"]);
    assert!(e.contains("retracted"), "{e}");
}

#[test]
fn a_correction_that_would_leave_an_invalid_event_is_refused() {
    let db = story();
    let before = db.export();
    for (set, needle) in [
        ("date=2017-02-30", "2017-02-30"),
        ("speaker=peskow", "unknown actor \"peskow\""),
        ("type=action", "cannot be corrected"),
        ("text=null", "missing field \"text\""),
        ("stance=agrees", "agrees"),
        ("tone=warm", "unknown field \"tone\""),
    ] {
        let e = db.fails(&[
            "correct",
            "peskov-confirms-proposals",
            "--set",
            set,
            "--reason",
            "r",
        ]);
        assert!(e.contains(needle), "{set}: {e}");
        assert_eq!(db.export(), before, "{set}");
    }
    let e = db.fails(&["correct", "peskov", "--set", "name=x", "--reason", "r"]);
    assert!(e.contains("unknown event \"peskov\""), "{e}");
    // A bare number or true is text: every single-valued field holds text.
    db.ok(&[
        "correct",
        "peskov-confirms-proposals",
        "--set",
        "date=2018",
        "--set",
        "medium=true",
        "--reason",
        "r",
    ]);
    let now = db.json_lines(&["said", "--by", "peskov", "--json"]);
    let corrected = now
        .iter()
        .find(|r| r["id"] == "peskov-confirms-proposals")
        .expect("still listed");
    assert_eq!(corrected["event"]["date"], "2018");
    assert_eq!(corrected["event"]["medium"], "true");
    let e = db.fails(&[
        "correct",
        "no-such-event",
        "--set",
        "medium=x",
        "--reason",
        "r",
    ]);
    assert!(e.contains("no-such-event"), "{e}");
}

#[test]
fn corrections_of_corrections_and_their_retraction_apply_in_log_order() {
    let db = story();
    db.ok(&[
        "correct",
        "weiss-road-map",
        "--set",
        "medium=phone interview",
        "--reason",
        "r1",
        "--id",
        "fix-1",
    ]);
    db.ok(&[
        "correct",
        "fix-1",
        "--set",
        "set={\"medium\":\"email\"}",
        "--reason",
        "r2",
        "--id",
        "fix-2",
    ]);
    let now = db.json_lines(&["said", "--by", "weiss", "--search", "road map", "--json"]);
    assert_eq!(now[0]["event"]["medium"], "email");
    db.ok(&["retract", "fix-1", "--reason", "no correction was needed"]);
    let now = db.json_lines(&["said", "--by", "weiss", "--search", "road map", "--json"]);
    assert!(now[0]["event"].get("medium").is_none(), "{}", now[0]);
    let story = db.ok(&["history", "weiss-road-map"]);
    assert!(
        story.contains("fix-1") && story.contains("fix-2"),
        "{story}"
    );
    db.ok(&["verify"]);
}

#[test]
fn as_of_accepts_a_recording_time() {
    let db = Db::new();
    let clock = |t: &str, args: &[&str]| {
        let out = db
            .cmd()
            .env("DEMARCHE_FIXED_CLOCK", t)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    clock(
        "2017-09-12T21:00:00Z",
        &["import", fixture("example.jsonl").to_str().unwrap()],
    );
    clock(
        "2017-09-14T09:00:00Z",
        &["say", "peskov", "--date", "2017-09-14", "--text", "Later."],
    );
    let then = db.json_lines(&[
        "said",
        "--by",
        "peskov",
        "--json",
        "--as-of",
        "2017-09-13T00:00:00Z",
    ]);
    assert!(then.iter().all(|r| r["event"]["text"] != "Later."));
    let now = db.json_lines(&[
        "said",
        "--by",
        "peskov",
        "--json",
        "--as-of",
        "2017-09-14T09:00:00Z",
    ]);
    assert!(now.iter().any(|r| r["event"]["text"] == "Later."));
    let before_all = db.ok(&["said", "--as-of", "2017-01-01T00:00:00Z"]);
    assert_eq!(before_all.trim(), "no statements match");
    let e = db.fails(&["said", "--as-of", "yesterday"]);
    assert!(e.contains("--as-of") && e.contains("yesterday"), "{e}");
    // export --as-of writes the log as it stood.
    assert_eq!(db.ok(&["export", "--as-of", "14"]).lines().count(), 14);
    // The log never stood at a seq past its head; a year is not a seq.
    let head = db.export().lines().count();
    assert_eq!(
        db.ok(&["export", "--as-of", &head.to_string()]),
        db.export()
    );
    for past in [head + 1, 2017] {
        let e = db.fails(&["said", "--as-of", &past.to_string()]);
        assert!(e.contains(&format!("the log ends at seq {head}")), "{e}");
    }
}

#[test]
fn verify_passes_on_a_sound_log_and_names_the_first_bad_seq_otherwise() {
    let db = story();
    let ok = db.ok(&["verify"]);
    assert!(ok.starts_with("ok: 69 envelopes"), "{ok}");
    let original = db.export();
    let line11: String = original.lines().nth(10).unwrap().to_string();

    // An envelope altered in place: its hash no longer matches.
    {
        let store = Store::open(&db.path, &OpenOptions::default()).unwrap();
        let altered = line11.replace("\"kind\":\"", "\"kind\":\"x");
        assert_ne!(altered, line11);
        store.tamper_with_envelope(11, altered.as_bytes()).unwrap();
    }
    let e = db.fails(&["verify"]);
    assert!(e.contains("seq 11") && e.contains("hash"), "{e}");

    // Put it back, then break the chain: a valid envelope in the wrong place.
    {
        let store = Store::open(&db.path, &OpenOptions::default()).unwrap();
        store.tamper_with_envelope(11, line11.as_bytes()).unwrap();
    }
    db.ok(&["verify"]);
    {
        let store = Store::open(&db.path, &OpenOptions::default()).unwrap();
        let line12 = original.lines().nth(11).unwrap();
        store.tamper_with_envelope(11, line12.as_bytes()).unwrap();
    }
    let e = db.fails(&["verify"]);
    assert!(e.contains("seq 11"), "{e}");
    {
        let store = Store::open(&db.path, &OpenOptions::default()).unwrap();
        store.tamper_with_envelope(11, line11.as_bytes()).unwrap();
    }

    // A projection entry lost: verify compares with a fresh replay. (The
    // story corrects nothing, so the two spaces of corrections are empty.)
    use demarche::projection::{P_AMENDING, P_AMENDS, P_META};
    for space in demarche::projection::SPACES {
        if [P_META, P_AMENDS, P_AMENDING].contains(space) {
            continue;
        }
        let d = story();
        {
            let store = Store::open(&d.path, &OpenOptions::default()).unwrap();
            store.tamper_with_projection(space).unwrap();
        }
        let e = d.fails(&["verify"]);
        assert!(e.contains(&format!("projection {space}")), "{space}: {e}");
        d.ok(&["rebuild"]);
        d.ok(&["verify"]);
    }
}

#[test]
fn an_edited_export_is_refused_naming_the_seq() {
    let db = story();
    let exported = db.export();
    let edited = exported.replacen("Yes, of course", "No, of course not", 1);
    assert_ne!(edited, exported);
    let fresh = Db::new();
    let out = fresh.import_str("edited.jsonl", &edited);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hash does not match") && err.contains("envelope seq"),
        "{err}"
    );
    assert!(!fresh.path.exists());
}

#[test]
fn envelopes_with_a_bad_id_or_a_time_ahead_of_the_clock_are_refused() {
    // Envelopes whose hashes were computed again after the edit: only the
    // checks of the fields themselves can tell.
    let db = story();
    let exported = db.export();
    let last: Value = serde_json::from_str(exported.lines().last().expect("a line")).unwrap();
    let rehashed = |id: &str, recorded_at: &str| {
        let mut env = last.clone();
        env["id"] = json!(id);
        env["recorded_at"] = json!(recorded_at);
        let event = serde_json::to_vec(&env["event"]).unwrap();
        let v = env["v"].as_u64().unwrap() as u32;
        let seq = env["seq"].as_u64().unwrap();
        let prev = env["prev"].as_str().unwrap().to_string();
        env["hash"] = json!(demarche::store::hash_of(
            v,
            seq,
            id,
            recorded_at,
            &prev,
            &event
        ));
        let mut lines: Vec<&str> = exported.lines().collect();
        lines.pop();
        format!("{}\n{env}\n", lines.join("\n"))
    };
    let id = last["id"].as_str().unwrap();
    let at = last["recorded_at"].as_str().unwrap();
    // The unedited envelope, hashed again, imports.
    let fresh = Db::new();
    let out = fresh.import_str("same.jsonl", &rehashed(id, at));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (edited, needle) in [
        (
            rehashed("Not A Slug", at),
            "id \"Not A Slug\" is not a valid id",
        ),
        (
            rehashed("another-id", at),
            &format!("id \"another-id\" is not its event's id \"{id}\""),
        ),
        (
            rehashed(id, "2999-01-01T00:00:00.000000Z"),
            "recorded_at 2999-01-01T00:00:00.000000Z is later than this machine's clock",
        ),
    ] {
        let fresh = Db::new();
        let out = fresh.import_str("edited.jsonl", &edited);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.contains("envelope seq"),
            "{err}"
        );
        assert!(!fresh.path.exists());
    }
}

#[test]
fn a_log_written_in_schema_version_0_reads_upgraded_and_still_verifies() {
    let db = Db::new();
    db.import_fixture("schema-v0.jsonl");
    db.ok(&["verify"]);
    let said = db.json_lines(&["said", "--by", "peskov", "--json"]);
    assert_eq!(said.len(), 1);
    assert_eq!(said[0]["v"], 0);
    assert_eq!(said[0]["event"]["form"], "direct");
    assert_eq!(
        said[0]["event"]["text"],
        "Yes, of course, such proposals in various formats were passed to the US."
    );
    // Stored bytes are never rewritten: the export is the fixture itself.
    let original = std::fs::read_to_string(fixture("schema-v0.jsonl")).unwrap();
    assert_eq!(db.export(), original);
    // New events continue the chain in today's version.
    db.ok(&[
        "say",
        "peskov",
        "--date",
        "2017-09-14",
        "--text",
        "Nothing to add.",
    ]);
    let last = db.json_lines(&["history", "--json"]).pop().unwrap();
    assert_eq!(last["v"], 1);
    db.ok(&["verify"]);
}

#[test]
fn export_keeps_corrections_and_retractions_byte_for_byte() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    db.ok(&[
        "correct",
        "peskov-confirms-proposals",
        "--set",
        "stance=supports",
        "--reason",
        "r",
    ]);
    let exported = db.export();
    assert!(
        exported.contains("\"type\":\"correction\"")
            && exported.contains("\"type\":\"retraction\"")
    );
    let copy = Db::new();
    copy.import_str("backup.jsonl", &exported);
    assert_eq!(copy.export(), exported);
    assert_eq!(
        copy.ok(&["said", "--json"]),
        db.ok(&["said", "--json"]),
        "the copy answers exactly as the original"
    );
}

#[test]
fn actor_show_counts_follow_corrections_and_retractions() {
    let db = story();
    let made = |who: &str| -> u64 {
        let v: Value = serde_json::from_str(&db.ok(&["actor", "show", who, "--json"])).unwrap();
        v["counts"]["statements made"].as_u64().unwrap_or(0)
    };
    let (peskov, kremlin) = (made("peskov"), made("kremlin"));
    assert_eq!(peskov, 2);
    db.ok(&[
        "correct",
        "peskov-no-reciprocity",
        "--set",
        "speaker=kremlin",
        "--reason",
        "the Kremlin's statement",
    ]);
    assert_eq!(made("peskov"), peskov - 1);
    assert_eq!(made("kremlin"), kremlin + 1);
    db.ok(&["retract", "peskov-confirms-proposals", "--reason", "r"]);
    assert_eq!(made("peskov"), peskov - 2);
    db.ok(&["verify"]);
}

#[test]
fn self_references_and_repeated_ids_are_refused() {
    let db = story();
    let before = db.export();
    let e = db.fails(&[
        "say", "peskov", "--date", "2017", "--text", "x", "--to", "usa", "--to", "usa",
    ]);
    assert!(e.contains("\"usa\" is listed twice"), "{e}");
    let e = db.fails(&["affiliate", "peskov", "peskov", "--role", "self"]);
    assert!(e.contains("is the actor itself"), "{e}");
    let e = db.fails(&[
        "correct",
        "peskov-confirms-proposals",
        "--set",
        r#"about=["peskov-confirms-proposals"]"#,
        "--reason",
        "r",
    ]);
    assert!(
        e.contains("the corrected statement would be about itself"),
        "{e}"
    );
    assert_eq!(db.export(), before);
}

/// A log written before today's rules, built as an export would hold it.
fn older_log(events: &[Value]) -> String {
    let mut prev = demarche::store::ZERO_HASH.to_string();
    let mut out = String::new();
    for (i, event) in events.iter().enumerate() {
        let seq = i as u64 + 1;
        let bytes = serde_json::to_vec(event).unwrap();
        // An actor's first registration has an id derived from its content.
        let id = if event["type"] == "actor" {
            let typed = demarche::event::Event::from_recorded_value(event.clone()).unwrap();
            typed.derive_id_from(&bytes, None)
        } else {
            event["id"].as_str().expect("an id").to_string()
        };
        let at = format!("2026-01-0{seq}T12:00:00.000000Z");
        let hash = demarche::store::hash_of(1, seq, &id, &at, &prev, &bytes);
        let env = json!({"v": 1, "seq": seq, "id": id, "recorded_at": at, "prev": prev,
            "hash": hash, "event": event});
        out.push_str(&format!("{env}\n"));
        prev = hash;
    }
    out
}

#[test]
fn a_log_recorded_under_earlier_rules_imports_reads_and_corrects_again() {
    let statement = json!({"type": "statement", "id": "s1", "speaker": "p", "date": "2017",
        "text": "hi", "to": ["o", "o"], "place": " "});
    let log = older_log(&[
        json!({"type": "actor", "id": "p", "name": "Line 1\nLine 2", "kind": "person",
            "country": "ZZZ"}),
        json!({"type": "actor", "id": "o", "name": "O", "kind": "state"}),
        json!({"type": "affiliation", "id": "a1", "actor": "p", "org": "p", "role": "self"}),
        statement.clone(),
        json!({"type": "correction", "id": "c1", "target": "s1", "set": {"date": "2018"},
            "reason": "r"}),
    ]);
    let db = Db::new();
    let out = db.import_str("older.jsonl", &log);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = |text: &str| -> Vec<Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    assert_eq!(lines(&db.export()), lines(&log));
    db.ok(&["verify"]);
    let said = db.json_lines(&["said", "--json"]);
    assert_eq!(said[0]["event"]["date"], "2018");
    assert_eq!(said[0]["corrections"], json!(["c1"]));
    // A new correction of it is held to today's rules, which it names.
    let e = db.fails(&["correct", "s1", "--set", "date=2019", "--reason", "r"]);
    assert!(e.contains("\"o\" is listed twice"), "{e}");
    db.ok(&[
        "correct",
        "s1",
        "--set",
        "date=2019",
        "--set",
        r#"to=["o"]"#,
        "--set",
        "place=null",
        "--reason",
        "r",
    ]);
    // The same statement given bare is new, and refused.
    let bare = Db::new();
    bare.ok(&["actor", "add", "p", "--name", "P", "--kind", "person"]);
    bare.ok(&["actor", "add", "o", "--name", "O", "--kind", "state"]);
    let out = bare.import_str("bare.jsonl", &format!("{statement}\n"));
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("\"o\" is listed twice"), "{e}");
}

#[test]
fn an_envelope_of_an_event_without_an_id_carries_the_derived_one() {
    let db = Db::new();
    db.ok(&["actor", "add", "p", "--name", "P", "--kind", "person"]);
    let mut env: Value = serde_json::from_str(db.export().trim_end()).unwrap();
    let at = env["recorded_at"].as_str().unwrap().to_string();
    let event = serde_json::to_vec(&env["event"]).unwrap();
    let other = "actor-0000000000000000";
    env["id"] = json!(other);
    env["hash"] = json!(demarche::store::hash_of(
        1,
        1,
        other,
        &at,
        demarche::store::ZERO_HASH,
        &event
    ));
    let fresh = Db::new();
    let out = fresh.import_str("renamed.jsonl", &format!("{env}\n"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "envelope seq 1: id \"actor-0000000000000000\" is not the id its event derives"
        ),
        "{err}"
    );
}
