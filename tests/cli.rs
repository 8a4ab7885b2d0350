//! The event log and "who said what when", through the real binary.

mod common;

use common::{fixture, Db};
use serde_json::Value;
use std::path::Path;

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn the_format_example_imports_as_written_and_means_what_it_says() {
    let db = Db::new();
    let out = db.import_fixture("example.jsonl");
    assert!(out.contains("imported 14 new events"), "{out}");
    let said = db.json_lines(&["said", "--by", "peskov", "--json"]);
    // The duplicate was retracted, the original corrected.
    assert_eq!(ids(&said), ["peskov-confirms-proposals"]);
    let rec = &said[0];
    assert_eq!(rec["seq"], 11);
    assert_eq!(rec["v"], 1);
    assert_eq!(rec["event"]["medium"], "conference call with reporters");
    assert_eq!(rec["corrections"].as_array().map(Vec::len), Some(1));
    let keys: Vec<&str> = rec
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    // Before the correction and retraction, the log said otherwise.
    let before = db.json_lines(&["said", "--by", "peskov", "--json", "--as-of", "12"]);
    assert_eq!(
        ids(&before),
        ["peskov-confirms-proposals", "dup-peskov-2017-09-13"]
    );
    assert_eq!(before[0]["event"]["medium"], "remarks to reporters");
}

#[test]
fn reimporting_a_file_appends_nothing() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let first = db.export();
    let again = db.import_fixture("story.jsonl");
    assert!(again.contains("imported 0 new events"), "{again}");
    assert_eq!(first, db.export());
    // Corrections and retractions without ids too.
    let example = Db::new();
    example.import_fixture("example.jsonl");
    let before = example.export();
    let again = example.import_fixture("example.jsonl");
    assert!(
        again.contains("imported 0 new events (14 already present)"),
        "{again}"
    );
    assert_eq!(before, example.export());
}

#[test]
fn reimporting_appends_nothing_when_an_event_with_an_id_precedes_one_without() {
    // The correction without an id chained on the one with an id when first
    // imported; read again, it must be found, not appended a second time.
    let lines = [
        r#"{"type":"actor","id":"a","name":"A","kind":"person"}"#,
        r#"{"type":"statement","id":"s1","date":"2020","speaker":"a","text":"x"}"#,
        r#"{"type":"correction","id":"c1","target":"s1","set":{"text":"y"},"reason":"r"}"#,
        r#"{"type":"correction","target":"s1","set":{"tags":["t"]},"reason":"r"}"#,
        r#"{"type":"correction","id":"c3","target":"s1","set":{"text":"z"},"reason":"r"}"#,
        r#"{"type":"retraction","target":"s1","reason":"r"}"#,
    ]
    .join("\n");
    let db = Db::new();
    let first = db.import_str("chain.jsonl", &lines);
    assert!(first.status.success(), "{first:?}");
    let before = db.export();
    for _ in 0..2 {
        let again = db.import_str("chain.jsonl", &lines);
        let out = String::from_utf8_lossy(&again.stdout);
        assert!(
            out.starts_with("imported 0 new events (6 already present)"),
            "{out}"
        );
    }
    assert_eq!(before, db.export());
}

#[test]
fn said_answers_who_said_what_on_the_story() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    // Names and aliases resolve case-insensitively, Cyrillic included.
    for who in ["peskov", "Dmitry Peskov", "PESKOV", "дмитрий песков"] {
        let r = db.json_lines(&["said", "--by", who, "--json"]);
        assert!(
            ids(&r).contains(&"peskov-confirms-proposals".to_string()),
            "{who}"
        );
        assert!(r.iter().all(|x| x["event"]["speaker"] == "peskov"), "{who}");
    }
    let confirms = db.json_lines(&[
        "said",
        "--about",
        "russia-normalization-proposal",
        "--stance",
        "confirms",
        "--json",
    ]);
    let got = ids(&confirms);
    assert!(got.contains(&"peskov-confirms-proposals".into()), "{got:?}");
    assert!(got.contains(&"kremlin-confirms-report".into()), "{got:?}");
    let declines = db.json_lines(&["said", "--stance", "declines", "--json"]);
    assert_eq!(ids(&declines), ["nauert-cannot-confirm"]);
    assert_eq!(declines[0]["event"]["date"], "2017-09-12");
    // Sources come with the answer, nearest to the speaker first.
    let peskov = db.json_lines(&["said", "--by", "peskov", "--search", "of course", "--json"]);
    assert_eq!(ids(&peskov), ["peskov-confirms-proposals"]);
    let outlets: Vec<&str> = peskov[0]["event"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outlet"].as_str().unwrap())
        .collect();
    assert_eq!(outlets.first(), Some(&"RIA Novosti"));
    assert_eq!(outlets.last(), Some(&"BuzzFeed News"));
    // The table says the same thing to a person.
    let table = db.ok(&["said", "--by", "Peskov"]);
    assert!(
        table.contains("Yes, of course, such proposals in various formats were passed to the US.")
    );
    assert!(table.contains("RIA Novosti > BuzzFeed News"), "{table}");
}

#[test]
fn date_ranges_overlap_and_say_certain_or_possible() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    db.ok(&[
        "say",
        "weiss",
        "--date",
        "2017-03-31",
        "--text",
        "A day at the end of March.",
        "--id",
        "late-march",
    ]);
    db.ok(&[
        "say",
        "weiss",
        "--date",
        "2017-03~",
        "--text",
        "Around March.",
        "--id",
        "about-march",
    ]);
    let march = db.json_lines(&["said", "--until", "2017-03", "--since", "2017-03", "--json"]);
    let got = ids(&march);
    // --until 2017-03 includes 31 March.
    assert!(got.contains(&"late-march".to_string()), "{got:?}");
    let within = |id: &str| {
        march
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["within"].clone())
    };
    assert_eq!(within("late-march"), Some(Value::from("certain")));
    // A qualified date is only possibly inside; an interval reaching past the range too.
    assert_eq!(within("about-march"), Some(Value::from("possible")));
    assert_eq!(within("weiss-road-map"), Some(Value::from("possible")));
    let certain = db.json_lines(&[
        "said",
        "--since",
        "2017-03",
        "--until",
        "2017-03",
        "--certain",
        "--json",
    ]);
    assert_eq!(ids(&certain), ["late-march"]);
    // September statements, none from before.
    let sept = db.json_lines(&["said", "--since", "2017-09-13", "--json"]);
    assert!(ids(&sept).contains(&"peskov-confirms-proposals".into()));
    assert!(!ids(&sept).contains(&"nauert-cannot-confirm".into()));
}

#[test]
fn said_filters_combine_with_and_and_repeat_with_or() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let both = db.json_lines(&["said", "--by", "peskov", "--by", "nauert", "--json"]);
    let speakers: std::collections::BTreeSet<&str> = both
        .iter()
        .map(|r| r["event"]["speaker"].as_str().unwrap())
        .collect();
    assert_eq!(
        speakers.into_iter().collect::<Vec<_>>(),
        ["nauert", "peskov"]
    );
    let and = db.json_lines(&["said", "--by", "nauert", "--stance", "declines", "--json"]);
    assert_eq!(ids(&and), ["nauert-cannot-confirm"]);
    let none = db.ok(&["said", "--by", "nauert", "--stance", "confirms"]);
    assert_eq!(none.trim(), "no statements match");
    let tagged = db.json_lines(&["said", "--tag", "russia-us-reset", "--json"]);
    assert!(tagged.iter().all(|r| r["event"]["tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("russia-us-reset"))));
    assert!(!tagged.is_empty());
    let mentions = db.json_lines(&["said", "--mentions", "usa", "--json"]);
    assert!(mentions.iter().all(|r| r["event"]["mentions"]
        .as_array()
        .unwrap()
        .contains(&Value::from("usa"))));
    assert!(!mentions.is_empty());
}

#[test]
fn logging_from_the_command_line_is_one_durable_event_per_call() {
    let db = Db::new();
    db.ok(&[
        "actor",
        "add",
        "peskov",
        "--name",
        "Dmitry Peskov",
        "--kind",
        "person",
        "--alias",
        "Peskov",
        "--country",
        "RUS",
    ]);
    db.ok(&[
        "actor",
        "add",
        "kremlin",
        "--name",
        "Kremlin",
        "--kind",
        "government",
    ]);
    db.ok(&[
        "actor",
        "add",
        "usa",
        "--name",
        "United States",
        "--kind",
        "state",
        "--alias",
        "US",
    ]);
    db.ok(&["affiliate", "Peskov", "kremlin", "--role", "spokesman"]);
    db.ok(&[
        "act",
        "Kremlin",
        "--date",
        "2017-03",
        "--kind",
        "proposal",
        "--summary",
        "A proposal.",
        "--target",
        "US",
        "--id",
        "proposal",
        "--cameo",
        "036",
    ]);
    let out = db.ok(&[
        "say",
        "peskov",
        "--date",
        "2017-09-13",
        "--text",
        "Yes, of course.",
        "--about",
        "proposal",
        "--stance",
        "confirms",
        "--to",
        "us",
        "--source",
        "RIA Novosti",
        "--source",
        r#"{"outlet":"BuzzFeed News","url":"https://example.org/a","published":"2017-09-13"}"#,
        "--tag",
        "reset",
    ]);
    assert!(out.starts_with("recorded statement statement-"), "{out}");
    // The same statement again is already there.
    let again = db.ok(&[
        "say",
        "peskov",
        "--date",
        "2017-09-13",
        "--text",
        "Yes, of course.",
        "--about",
        "proposal",
        "--stance",
        "confirms",
        "--to",
        "us",
        "--source",
        "RIA Novosti",
        "--source",
        r#"{"outlet":"BuzzFeed News","url":"https://example.org/a","published":"2017-09-13"}"#,
        "--tag",
        "reset",
    ]);
    assert!(again.starts_with("already recorded"), "{again}");
    let said = db.json_lines(&["said", "--to", "usa", "--json"]);
    assert_eq!(said.len(), 1);
    assert_eq!(
        said[0]["event"]["sources"][1]["url"],
        "https://example.org/a"
    );
    // Re-registering an actor updates it: later fields win, aliases accumulate.
    db.ok(&[
        "actor",
        "add",
        "peskov",
        "--name",
        "Dmitry S. Peskov",
        "--kind",
        "person",
        "--alias",
        "Песков",
    ]);
    let show = db.ok(&["actor", "show", "песков", "--json"]);
    let v: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(v["actor"]["name"], "Dmitry S. Peskov");
    assert_eq!(v["actor"]["country"], "RUS");
    assert_eq!(
        v["actor"]["aliases"],
        serde_json::json!(["Peskov", "Песков"])
    );
    let list = db.ok(&["actor", "list"]);
    assert!(
        list.contains("peskov") && list.contains("kremlin") && list.contains("usa"),
        "{list}"
    );
    let history = db.ok(&["history"]);
    assert_eq!(history.lines().count(), 7, "{history}");
}

#[test]
fn unknown_and_ambiguous_names_get_suggestions() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let e = db.fails(&["said", "--by", "peskow"]);
    assert!(
        e.contains("unknown actor \"peskow\"") && e.contains("did you mean \"peskov\""),
        "{e}"
    );
    db.ok(&[
        "actor",
        "add",
        "john-smith-a",
        "--name",
        "John Smith",
        "--kind",
        "person",
    ]);
    db.ok(&[
        "actor",
        "add",
        "john-smith-b",
        "--name",
        "John Smith",
        "--kind",
        "person",
    ]);
    let e = db.fails(&["said", "--by", "john smith"]);
    assert!(
        e.contains("ambiguous") && e.contains("john-smith-a") && e.contains("john-smith-b"),
        "{e}"
    );
}

#[test]
fn export_then_import_into_an_empty_database_is_byte_identical() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    db.ok(&[
        "say",
        "peskov",
        "--date",
        "2017-09-14",
        "--text",
        "Another day.",
    ]);
    db.ok(&[
        "correct",
        "peskov-confirms-proposals",
        "--set",
        "medium=conference call",
        "--reason",
        "agency text",
    ]);
    db.ok(&["retract", "weiss-road-map", "--reason", "test"]);
    let exported = db.export();
    let copy = Db::new();
    let file = copy.dir.path().join("backup.jsonl");
    std::fs::write(&file, &exported).unwrap();
    copy.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(copy.export(), exported);
    // Importing it again is a no-op; so is importing it into the original.
    let again = copy.ok(&["import", file.to_str().unwrap()]);
    assert!(again.contains("imported 0 new events"), "{again}");
    let onto = db.ok(&["import", file.to_str().unwrap()]);
    assert!(onto.contains("imported 0 new events"), "{onto}");
    // export -o writes the same bytes.
    let out = copy.dir.path().join("again.jsonl");
    copy.ok(&["export", "-o", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(out).unwrap(), exported);
    copy.ok(&["verify"]);
}

#[test]
fn envelopes_that_do_not_continue_the_log_are_refused() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let exported = db.export();
    let lines: Vec<&str> = exported.lines().collect();
    // A gap: seq 3 into an empty database.
    let gap = Db::new();
    let out = gap.import_str("gap.jsonl", &format!("{}\n", lines[2]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gap.jsonl:1") && err.contains("seq 3") && err.contains("gap"),
        "{err}"
    );
    // A hand-edited envelope: the hash no longer matches.
    let edited = lines[10].replace("Yes, of course", "No, of course not");
    let tampered = Db::new();
    let mut content: Vec<String> = lines[..10].iter().map(|s| s.to_string()).collect();
    content.push(edited);
    let out = tampered.import_str("edited.jsonl", &(content.join("\n") + "\n"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("edited.jsonl:11") && err.contains("seq 11") && err.contains("hash"),
        "{err}"
    );
    assert!(
        !tampered.path.exists(),
        "a failed first import leaves no database behind"
    );
}

/// Each bad input: exit 1, one error line naming what was wrong, log unchanged.
#[test]
fn bad_input_gets_one_clear_error_and_writes_nothing() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let before = db.export();
    let good =
        r#"{"type":"statement","id":"fine","date":"2017-09-14","speaker":"peskov","text":"Fine."}"#;
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("malformed JSON", "{\"type\":\"statement\",".into(), vec!["bad.jsonl:2", "invalid JSON"]),
        ("unknown field", r#"{"type":"statement","date":"2017","speaker":"peskov","text":"t","spekaer":"x"}"#.into(), vec!["bad.jsonl:2", "unknown field \"spekaer\"", "did you mean \"speaker\""]),
        ("duplicate key", r#"{"type":"statement","date":"2017","speaker":"peskov","text":"t","text":"u"}"#.into(), vec!["bad.jsonl:2", "duplicate key \"text\""]),
        ("bad slug", r#"{"type":"statement","id":"Bad Id","date":"2017","speaker":"peskov","text":"t"}"#.into(), vec!["bad.jsonl:2", "field \"id\"", "\"Bad Id\""]),
        ("month 13", r#"{"type":"statement","date":"2017-13","speaker":"peskov","text":"t"}"#.into(), vec!["bad.jsonl:2", "field \"date\"", "2017-13"]),
        ("30 February", r#"{"type":"statement","date":"2017-02-30","speaker":"peskov","text":"t"}"#.into(), vec!["bad.jsonl:2", "field \"date\"", "2017-02-30"]),
        ("yesterday", r#"{"type":"statement","date":"yesterday","speaker":"peskov","text":"t"}"#.into(), vec!["bad.jsonl:2", "field \"date\"", "yesterday"]),
        ("dangling actor", r#"{"type":"statement","date":"2017","speaker":"peskow","text":"t"}"#.into(), vec!["bad.jsonl:2", "field \"speaker\"", "unknown actor \"peskow\"", "did you mean \"peskov\""]),
        ("dangling event", r#"{"type":"statement","date":"2017","speaker":"peskov","text":"t","about":["nothing-here"]}"#.into(), vec!["bad.jsonl:2", "field \"about\"", "nothing-here"]),
        ("id reused", r#"{"type":"statement","id":"peskov-confirms-proposals","date":"2017","speaker":"peskov","text":"Other words."}"#.into(), vec!["bad.jsonl:2", "peskov-confirms-proposals", "already used"]),
        ("number for a string", r#"{"type":"statement","date":"2017","speaker":"peskov","text":5}"#.into(), vec!["bad.jsonl:2", "field \"text\""]),
        ("unknown type", r#"{"type":"rumour","date":"2017"}"#.into(), vec!["bad.jsonl:2", "unknown event type \"rumour\""]),
    ];
    for (what, line, needles) in cases {
        let out = db.import_str("bad.jsonl", &format!("{good}\n{line}\n"));
        assert_eq!(out.status.code(), Some(1), "{what}");
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        assert!(err.starts_with("error: "), "{what}: {err}");
        for n in needles {
            assert!(err.contains(n), "{what}: {err:?} should contain {n:?}");
        }
        assert_eq!(db.export(), before, "{what}: the log must be unchanged");
    }
}

#[test]
fn an_id_reused_within_one_file_names_both_lines() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let a = r#"{"type":"statement","id":"twice","date":"2017","speaker":"peskov","text":"One."}"#;
    let b = r#"{"type":"statement","id":"twice","date":"2017","speaker":"peskov","text":"Two."}"#;
    let out = db.import_str("twice.jsonl", &format!("{a}\n# comment\n\n{b}\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("twice.jsonl:4") && err.contains("twice.jsonl:1"),
        "{err}"
    );
}

#[test]
fn hostile_files_are_refused_without_panic() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let before = db.export();
    let dir = db.dir.path();
    let check = |name: &str, bytes: &[u8], needle: &str| {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        let err = db.fails(&["import", file.to_str().unwrap()]);
        assert!(err.contains(needle), "{name}: {err}");
        assert_eq!(db.export(), before, "{name}");
    };
    check("empty.jsonl", b"", "empty");
    check("blank.jsonl", &b"\n".repeat(100_000), "no events");
    check(
        "utf8.jsonl",
        b"{\"type\":\"statement\",\"date\":\"2017\",\"speaker\":\"peskov\",\"text\":\"\xff\"}\n",
        "utf8.jsonl:1: not valid UTF-8",
    );
    check("nul.jsonl", b"{\"type\":\"statement\"\0}\n", "nul.jsonl:1");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    check("deep.jsonl", deep.as_bytes(), "deep.jsonl:1");
    let long = format!(
        r#"{{"type":"statement","date":"2017","speaker":"peskov","text":"{}"}}"#,
        "x".repeat(9 << 20)
    );
    check("long.jsonl", long.as_bytes(), "longer than 8 MiB");
    let big_text = format!(
        r#"{{"type":"statement","date":"2017","speaker":"peskov","text":"{}"}}"#,
        "x".repeat(5 << 20)
    );
    check("bigtext.jsonl", big_text.as_bytes(), "at most 1 MiB");
    let missing = dir.join("missing.jsonl");
    let err = db.fails(&["import", missing.to_str().unwrap()]);
    assert!(err.contains("missing.jsonl"), "{err}");
}

#[test]
fn crlf_bom_comments_and_stdin_are_accepted() {
    let db = Db::new();
    let text = std::fs::read_to_string(fixture("example.jsonl")).unwrap();
    let crlf = format!("\u{feff}# a comment\r\n\r\n{}", text.replace('\n', "\r\n"));
    let out = db
        .cmd()
        .args(["import", "-"])
        .write_stdin(crlf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(db.export().lines().count(), 14);
}

#[test]
fn dry_run_checks_everything_and_writes_nothing() {
    let db = Db::new();
    let out = db.ok(&[
        "import",
        fixture("story.jsonl").to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(out.contains("would import"), "{out}");
    assert!(
        !db.path.exists(),
        "a dry run into a new database leaves nothing behind"
    );
}

#[test]
fn read_commands_never_create_a_database() {
    let db = Db::new();
    let e = db.fails(&["said"]);
    assert!(e.contains("no database at") && e.contains("test.db"), "{e}");
    db.fails(&["history"]);
    db.fails(&["export"]);
    assert!(!db.path.exists());
    // A write command that fails leaves no new database either.
    db.fails(&["say", "nobody", "--date", "2017", "--text", "x"]);
    assert!(!db.path.exists());
}

#[test]
fn usage_errors_exit_2_on_one_line() {
    let db = Db::new();
    // The message, and the usage clap adds when it has one.
    let cases: [(&[&str], &str, &str); 5] = [
        (
            &["said", "--no-such-flag"],
            "error: unexpected argument '--no-such-flag' found",
            "demarche said",
        ),
        (
            &["say", "peskov"],
            "error: the following required arguments were not provided: --date <DATE>, --text <TEXT>",
            "demarche say --date <DATE> --text <TEXT>",
        ),
        (
            &["timeline", "--format", "xml"],
            "error: invalid value 'xml' for '--format <FORMAT>'; possible values: text, json, timelinejs, csv, dot",
            "",
        ),
        (
            &["--lock-timeout", "-1", "said"],
            "error: --lock-timeout must be a number of seconds, 0 or more",
            "",
        ),
        (
            &["graph", "--depth", "2"],
            "error: the following required arguments were not provided: --around <ACTOR>",
            "demarche graph --around <ACTOR>",
        ),
    ];
    for (args, message, usage) in cases {
        let out = db.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        if usage.is_empty() {
            assert_eq!(err.trim_end(), message);
        } else {
            let rest = err.strip_prefix(message).unwrap_or_else(|| panic!("{err}"));
            assert!(rest.starts_with(&format!(" (usage: {usage}")), "{err}");
            assert!(rest.ends_with("; see --help)\n"), "{err}");
        }
    }
    assert!(!db.path.exists());
}

#[test]
fn the_default_database_lives_in_the_user_data_dir() {
    let home = tempfile::tempdir().unwrap();
    let mut c = assert_cmd::Command::cargo_bin("demarche").unwrap();
    c.env_remove("DEMARCHE_DB")
        .env("XDG_DATA_HOME", home.path())
        .args(["import", fixture("example.jsonl").to_str().unwrap()])
        .assert()
        .success();
    assert!(home.path().join("demarche").join("default.db").is_dir());
    // DEMARCHE_DB wins over the default.
    let other = home.path().join("other.db");
    assert_cmd::Command::cargo_bin("demarche")
        .unwrap()
        .env("DEMARCHE_DB", &other)
        .env("XDG_DATA_HOME", home.path())
        .args(["import", fixture("example.jsonl").to_str().unwrap()])
        .assert()
        .success();
    assert!(other.is_dir());
}

#[test]
fn a_held_database_makes_others_wait_then_fail_clearly() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    // An import reading an open stdin holds the database.
    let mut holder = std::process::Command::new(assert_cmd::cargo::cargo_bin("demarche"))
        .args(["--db", db.path.to_str().unwrap(), "import", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    let out = db
        .cmd()
        .args(["--lock-timeout", "0.5", "said"])
        .output()
        .unwrap();
    let waited = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        format!(
            "error: database {} is in use by another demarche process",
            db.path.display()
        )
    );
    assert!(
        waited >= std::time::Duration::from_millis(500),
        "{waited:?}"
    );
    // Once released, it opens again.
    db.ok(&["said"]);
}

#[test]
fn history_tells_one_events_story() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let story = db.ok(&["history", "peskov-confirms-proposals"]);
    assert!(
        story.contains("seq 11") && story.contains("seq 13"),
        "{story}"
    );
    assert!(
        story.contains("the agency text says conference call"),
        "{story}"
    );
    let dup = db.ok(&["history", "dup-peskov-2017-09-13"]);
    assert!(
        dup.contains("retracted") && dup.contains("logged twice"),
        "{dup}"
    );
    let all = db.json_lines(&["history", "--json"]);
    assert_eq!(all.len(), 14);
    for (i, env) in all.iter().enumerate() {
        assert_eq!(env["seq"], i as u64 + 1);
        for key in ["v", "id", "recorded_at", "prev", "hash", "event"] {
            assert!(env.get(key).is_some(), "{key}");
        }
    }
}

#[test]
fn the_demo_loads_the_story_into_the_default_database_and_shows_who_said_what() {
    // As the README runs it: no --db, so the default database under
    // $XDG_DATA_HOME; twice, as a newcomer would.
    let home = tempfile::tempdir().expect("temp dir");
    let demo = || {
        let out = assert_cmd::Command::cargo_bin("demarche")
            .expect("binary")
            .env_remove("DEMARCHE_DB")
            .env_remove("DEMARCHE_FIXED_CLOCK")
            .env("XDG_DATA_HOME", home.path())
            .env("DEMARCHE_LOCK_TIMEOUT", "1")
            .arg("demo")
            .output()
            .expect("run demarche");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "demo failed: {stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        String::from_utf8(out.stdout).expect("utf-8 output")
    };
    let first = demo();
    let db = Db {
        path: home.path().join("demarche").join("default.db"),
        dir: tempfile::tempdir().expect("temp dir"),
    };
    assert!(
        first.starts_with(&format!("database: {}\n", db.path.display())),
        "{first}"
    );
    assert!(
        first.contains("imported 69 new events (0 already present)"),
        "{first}"
    );
    // The table it shows is the one `said --about` gives.
    let said = db.ok(&["said", "--about", "russia-normalization-proposal"]);
    assert!(said.lines().count() > 10, "{said}");
    assert!(first.contains(&said), "{first}\n---\n{said}");
    let again = demo();
    assert!(
        again.contains("imported 0 new events (69 already present)"),
        "{again}"
    );
    assert!(again.contains(&said), "{again}");
    assert!(db.ok(&["verify"]).starts_with("ok: 69 envelopes"));
}

#[test]
fn closed_output_streams_end_the_command_without_a_panic() {
    use std::process::Stdio;
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let closed = || {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        Stdio::from(writer)
    };
    let run = |args: &[&str], stdout: Stdio, stderr: Stdio| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("demarche"))
            .env_remove("DEMARCHE_DB")
            .arg("--db")
            .arg(&db.path)
            .args(args)
            .stdout(stdout)
            .stderr(stderr)
            .output()
            .expect("run demarche")
    };
    // Output nobody reads (`| head` that has ended): success.
    let out = run(&["export"], closed(), Stdio::piped());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    // An error nobody reads is still an error, not a crash.
    let out = run(&["said", "--by", "nobody"], Stdio::piped(), closed());
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // Notes on stderr during an import that succeeds.
    let plover =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plover/PLOVER_GSR_CAMEO.txt");
    let plover = plover.to_str().expect("path");
    let out = run(
        &["import", "--format", "plover", plover],
        Stdio::piped(),
        closed(),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported"),
        "{out:?}"
    );
}

#[test]
fn a_directory_of_other_files_is_not_taken_for_a_database() {
    let db = Db::new();
    std::fs::create_dir(&db.path).expect("mkdir");
    std::fs::write(db.path.join("notes.txt"), "mine").expect("write");
    let listing = |p: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(p)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    for args in [
        &["history"][..],
        &["verify"],
        &["import", fixture("story.jsonl").to_str().expect("path")],
    ] {
        let e = db.fails(args);
        assert!(
            e.contains("is not a demarche database (the directory holds other files)"),
            "{e}"
        );
        assert_eq!(listing(&db.path), ["notes.txt"], "{args:?}");
    }
    // An empty directory: read commands find no database there, a write
    // that fails leaves it empty, and one that succeeds makes it one.
    std::fs::remove_file(db.path.join("notes.txt")).expect("rm");
    let e = db.fails(&["history"]);
    assert!(e.contains("no database at"), "{e}");
    db.fails(&["say", "nobody", "--date", "2017", "--text", "x"]);
    assert!(db.path.is_dir() && listing(&db.path).is_empty());
    db.import_fixture("story.jsonl");
    assert!(db.ok(&["verify"]).starts_with("ok: 69 envelopes"));
}

#[test]
fn export_to_a_path_writes_through_links_keeps_modes_and_leaves_pipes_in_place() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let whole = db.export();
    let dir = tempfile::tempdir().expect("temp dir");
    let arg = |p: &Path| p.to_str().expect("path").to_string();
    // A symlink: the file it points to is replaced, with its mode; the
    // link stays a link.
    let real = dir.path().join("real.jsonl");
    std::fs::write(&real, "old\n").expect("write");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let said = db.ok(&["export", "-o", &arg(&link)]);
    assert_eq!(
        said,
        format!("exported 69 envelopes to {}\n", link.display())
    );
    assert!(std::fs::symlink_metadata(&link)
        .expect("stat")
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&real).expect("read"), whole);
    let mode = std::fs::metadata(&real).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // A named pipe is written in place, not replaced by a file.
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the pipe"))
    };
    db.ok(&["export", "-o", &arg(&fifo)]);
    assert_eq!(reader.join().expect("reader"), whole);
    assert!(std::fs::metadata(&fifo)
        .expect("stat")
        .file_type()
        .is_fifo());
    // A directory is refused by name, and nothing is left behind.
    let e = db.fails(&["export", "-o", &arg(dir.path())]);
    assert!(e.ends_with("it is a directory"), "{e}");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["fifo", "link.jsonl", "real.jsonl"]);
}

#[test]
fn a_date_range_that_ends_before_it_starts_is_refused() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    for cmd in [&["said"][..], &["timeline"], &["graph"], &["rank"]] {
        let mut args = cmd.to_vec();
        args.extend(["--since", "2018", "--until", "2017-12"]);
        let e = db.fails(&args);
        assert_eq!(
            e,
            "error: --since 2018 is after --until 2017-12: no date lies between them"
        );
    }
    // A range within one month, and a range of one instant, are fine.
    let march = db.ok(&["said", "--since", "2017-03", "--until", "2017-03"]);
    assert!(march.contains("weiss-road-map"), "{march}");
    let t = "2017-09-13T12:59:00-04:00";
    assert!(db
        .ok(&["said", "--since", t, "--until", t])
        .contains("hudson-"));
}

#[test]
fn control_characters_are_refused_in_names_and_escaped_in_text_output() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let e = db.fails(&[
        "actor",
        "add",
        "x",
        "--name",
        "Line 1\nLine 2",
        "--kind",
        "person",
    ]);
    assert_eq!(
        e,
        "error: field \"name\": \"Line 1\\nLine 2\" contains a control character (U+000A)"
    );
    let e = db.fails(&[
        "say", "peskov", "--date", "2017", "--text", "x", "--place", "",
    ]);
    assert!(
        e.ends_with("field \"place\": \"\" must not be empty (leave the field out instead)"),
        "{e}"
    );
    // A quotation is stored as given; a terminal is shown escapes.
    let text = "Red \u{1b}[31malert\u{1b}[0m\rover";
    db.ok(&[
        "say", "peskov", "--date", "2017", "--text", text, "--id", "escape",
    ]);
    let shown = db.ok(&["said", "--search", "alert"]);
    assert!(
        shown.contains(r#""Red \x1b[31malert\x1b[0m\x0dover""#),
        "{shown}"
    );
    assert!(!shown.contains('\u{1b}') && !shown.contains('\r'));
    let history = db.ok(&["history", "escape"]);
    assert!(!history.contains('\u{1b}'), "{history}");
    let json = db.json_lines(&["said", "--search", "alert", "--json"]);
    assert_eq!(json[0]["event"]["text"], text);
    // Machine formats keep the text as it is, in their own escapes.
    let c1 = "next \u{85}line \u{9b}31m";
    db.ok(&[
        "say", "peskov", "--date", "2017", "--text", c1, "--id", "c1",
    ]);
    let timeline = db.json_lines(&["timeline", "--search", "next", "--format", "json"]);
    assert_eq!(timeline[0]["text"], c1, "{timeline:?}");
}

#[test]
fn empty_names_lists_as_sources_and_later_events_get_messages_of_their_own() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let e = db.fails(&["said", "--by", ""]);
    assert_eq!(
        e,
        "error: an actor is named by its id, a name or an alias, not \"\""
    );
    let before = db.ok(&["export"]);
    let e = db.fails(&[
        "say",
        "peskov",
        "--date",
        "2017",
        "--text",
        "x",
        "--source",
        " [\"TASS\"]",
    ]);
    assert!(e.contains("give one source per --source"), "{e}");
    assert_eq!(db.ok(&["export"]), before);
    let seq: u64 = db.json_lines(&["history", "peskov-confirms-proposals", "--json"])[0]["seq"]
        .as_u64()
        .expect("a seq");
    let earlier = (seq - 1).to_string();
    let e = db.fails(&["history", "--as-of", &earlier, "peskov-confirms-proposals"]);
    assert_eq!(
        e,
        format!(
            "error: event \"peskov-confirms-proposals\" was recorded after the --as-of point (it is seq {seq}; the view ends at seq {earlier})"
        )
    );
    for command in [
        &[
            "said",
            "--as-of",
            &earlier,
            "--about",
            "peskov-confirms-proposals",
        ][..],
        &[
            "perspectives",
            "--as-of",
            &earlier,
            "peskov-confirms-proposals",
        ],
    ] {
        let e = db.fails(command);
        assert!(e.contains("was recorded after the --as-of point"), "{e}");
    }
    let shown = db.ok(&["actor", "show", "peskov"]);
    let counts: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("  events:"))
        .collect();
    assert_eq!(counts.len(), 1, "{shown}");
    assert!(counts[0].contains("statements made 2"), "{shown}");
}

#[test]
fn said_as_of_names_speakers_as_they_were_then() {
    let db = Db::new();
    db.ok(&[
        "actor", "add", "p", "--name", "Old Name", "--kind", "person",
    ]);
    db.ok(&["say", "p", "--date", "2017-09-13", "--text", "hi"]);
    db.ok(&[
        "actor", "add", "p", "--name", "New Name", "--kind", "person",
    ]);
    let then = db.ok(&["said", "--as-of", "2"]);
    assert!(
        then.contains("Old Name") && !then.contains("New Name"),
        "{then}"
    );
    let now = db.ok(&["said"]);
    assert!(
        now.contains("New Name") && !now.contains("Old Name"),
        "{now}"
    );
}

#[test]
fn export_to_the_file_standard_output_appends_to_keeps_what_it_held() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let file = db.dir.path().join("appended");
    std::fs::write(&file, "KEEP\n").unwrap();
    let append = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("demarche"))
        .arg("--db")
        .arg(&db.path)
        .args(["export", "-o", "/dev/stdout"])
        .stdout(append)
        .status()
        .unwrap();
    assert!(status.success());
    let held = std::fs::read_to_string(&file).unwrap();
    assert_eq!(held, format!("KEEP\n{}", db.ok(&["export"])));
}

#[test]
fn an_empty_directory_is_left_empty_by_a_dry_run_or_a_failed_write() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let run = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("demarche")
            .unwrap()
            .env_remove("DEMARCHE_FIXED_CLOCK")
            .arg("--db")
            .arg(&link)
            .args(args)
            .output()
            .unwrap()
    };
    let story = fixture("story.jsonl");
    let out = run(&["import", "--dry-run", story.to_str().unwrap()]);
    assert!(out.status.success());
    let out = run(&["say", "nobody", "--date", "2017", "--text", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
}

#[test]
fn export_refuses_to_write_into_the_database() {
    let db = Db::new();
    db.import_fixture("story.jsonl");
    let inside = db.path.join("db");
    let before = db.ok(&["export"]);
    let e = db.fails(&["export", "-o", inside.to_str().unwrap()]);
    assert!(e.ends_with("it is inside the database's directory"), "{e}");
    let link = db.dir.path().join("link");
    std::os::unix::fs::symlink(db.path.join("conf"), &link).unwrap();
    let e = db.fails(&["export", "-o", link.to_str().unwrap()]);
    assert!(e.ends_with("it is inside the database's directory"), "{e}");
    assert_eq!(db.ok(&["export"]), before);
    db.ok(&["verify"]);
}

#[test]
fn country_codes_and_certain_are_checked() {
    let db = Db::new();
    let add = |code| {
        [
            "actor",
            "add",
            "x",
            "--name",
            "X",
            "--kind",
            "state",
            "--country",
            code,
        ]
    };
    let e = db.fails(&add("ZZZ"));
    assert!(
        e.contains("\"ZZZ\" expected an ISO 3166-1 alpha-3 code"),
        "{e}"
    );
    for code in ["XKX", "SUN"] {
        db.ok(&add(code));
    }
    for command in ["said", "timeline"] {
        let out = db.cmd().args([command, "--certain"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("--since <DATE>|--until <DATE>"), "{err}");
    }
}
