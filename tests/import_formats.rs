//! Coded event data (ICEWS, PLOVER, GDELT) through the real binary, on
//! temporary databases: what each record becomes, idempotence, corrections
//! from later releases, and malformed input, atomic or skipped.

mod common;

use std::path::Path;
use std::process::Output;

use common::Db;
use serde_json::Value;

/// Run from the repository root, so that files are named as in the docs.
fn run(db: &Db, args: &[&str]) -> Output {
    db.cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run demarche")
}

fn ok(db: &Db, args: &[&str]) -> (String, String) {
    let out = run(db, args);
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert!(out.status.success(), "demarche {args:?} failed: {stderr}");
    (String::from_utf8(out.stdout).expect("utf-8 stdout"), stderr)
}

/// Expect exit 1 and exactly one `error:` line; return it.
fn fails(db: &Db, args: &[&str]) -> String {
    let out = run(db, args);
    let err = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(out.status.code(), Some(1), "demarche {args:?}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one error line expected, got: {err}");
    lines[0].to_string()
}

fn import(db: &Db, format: &str, files: &[&str]) -> (String, String) {
    let mut args = vec!["import", "--format", format];
    args.extend_from_slice(files);
    ok(db, &args)
}

/// Every event of the log, by id (actors by actor id).
fn events(db: &Db) -> Vec<Value> {
    db.export()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("an envelope");
            v["event"].clone()
        })
        .collect()
}

fn event(db: &Db, id: &str) -> Value {
    events(db)
        .into_iter()
        .find(|e| e["type"] != "actor" && e["id"] == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}

fn actors(db: &Db) -> Vec<Value> {
    let (out, _) = ok(db, &["actor", "list", "--json"]);
    out.lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn actor(db: &Db, id: &str) -> Value {
    actors(db)
        .into_iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no actor {id}"))
}

const ICEWS1: &str = "tests/fixtures/icews/release1.tab";
const ICEWS2: &str = "tests/fixtures/icews/release2.tab";
const GDELT: &str = "tests/fixtures/gdelt/events.export.tsv";
const PLOVER: &str = "tests/fixtures/plover/PLOVER_GSR_CAMEO.txt";

#[test]
fn icews_rows_become_actions_with_their_actors_codes_sources_and_places() {
    let db = Db::new();
    let (out, _) = import(&db, "icews", &[ICEWS1]);
    // 12 rows, 12 distinct actors (the placeholder among them).
    assert_eq!(
        out,
        "imported 24 new events (0 already present); the log ends at seq 24\n"
    );
    let ids: Vec<String> = actors(&db)
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "citizen-ukraine-ukr",
            "dmitry-peskov-rus",
            "foreign-affairs-united-states-usa",
            "government-abkhazia-abkhazia",
            "government-ukraine-ukr",
            "police-ukraine-ukr",
            "rex-tillerson-usa",
            "russia-rus",
            "sergey-lavrov-rus",
            "united-nations",
            "united-states-usa",
            "unknown-actor",
        ]
    );
    let peskov = actor(&db, "dmitry-peskov-rus");
    assert_eq!(peskov["name"], "Dmitry Peskov");
    assert_eq!(peskov["kind"], "person");
    assert_eq!(peskov["country"], "RUS");
    for (id, kind, country) in [
        ("russia-rus", "state", Some("RUS")),
        ("foreign-affairs-united-states-usa", "agency", Some("USA")),
        ("government-ukraine-ukr", "government", Some("UKR")),
        ("citizen-ukraine-ukr", "public", Some("UKR")),
        ("police-ukraine-ukr", "agency", Some("UKR")),
        ("united-nations", "organization", None),
        ("government-abkhazia-abkhazia", "government", None),
        ("unknown-actor", "group", None),
    ] {
        let a = actor(&db, id);
        assert_eq!(a["kind"], kind, "{id}");
        assert_eq!(a["country"].as_str(), country, "{id}");
    }

    let e = event(&db, "icews-20150004");
    assert_eq!(e["type"], "action");
    assert_eq!(e["date"], "2017-09-13");
    assert_eq!(e["actor"], "dmitry-peskov-rus");
    assert_eq!(e["targets"], serde_json::json!(["united-states-usa"]));
    assert_eq!(e["kind"], "statement");
    assert_eq!(
        e["summary"],
        "Dmitry Peskov → United States: Make optimistic comment"
    );
    assert_eq!(
        e["codes"],
        serde_json::json!({"cameo": "013", "quad_class": 1, "intensity": 0.4})
    );
    assert_eq!(
        e["sources"],
        serde_json::json!([{"outlet": "RIA Novosti"}, {"outlet": "ICEWS"}])
    );
    assert_eq!(e["place"], "Moscow, Moskva, Russian Federation");
    assert_eq!(e["tags"], serde_json::json!(["icews", "story:41000003"]));

    let sanction = event(&db, "icews-20150006");
    assert_eq!(
        sanction["codes"],
        serde_json::json!({"cameo": "163", "plover": "SANCTION", "quad_class": 4, "intensity": -8.0})
    );
    assert_eq!(sanction["kind"], "sanction");
    // (NA) as the source: the placeholder acts.
    assert_eq!(event(&db, "icews-20150009")["actor"], "unknown-actor");
    // No target at all.
    let un = event(&db, "icews-20150010");
    assert!(un.get("targets").is_none(), "{un}");
    assert_eq!(un["codes"]["quad_class"], 1);
    // A mirrored pair from one sentence stays two events.
    let visit = event(&db, "icews-20150002");
    let host = event(&db, "icews-20150003");
    assert_eq!(visit["actor"], host["targets"][0]);
    assert_eq!(host["actor"], visit["targets"][0]);
    assert_eq!(visit["tags"], host["tags"]);
    ok(&db, &["verify"]);
}

#[test]
fn reimporting_coded_files_appends_nothing() {
    for (format, file, count) in [("icews", ICEWS1, 12), ("gdelt", GDELT, 6)] {
        let db = Db::new();
        import(&db, format, &[file]);
        let before = db.export();
        let (out, _) = import(&db, format, &[file]);
        assert_eq!(
            out,
            format!(
                "imported 0 new events ({count} already present); the log ends at seq {}\n",
                before.lines().count()
            ),
            "{format}"
        );
        assert_eq!(before, db.export(), "{format}");
    }
    let db = Db::new();
    import(&db, "plover", &[PLOVER]);
    let before = db.export();
    let (out, _) = import(&db, "plover", &[PLOVER]);
    assert!(out.starts_with("imported 0 new events"), "{out}");
    assert_eq!(before, db.export());
}

#[test]
fn a_record_changed_in_a_later_release_becomes_a_correction() {
    let db = Db::new();
    import(&db, "icews", &[ICEWS1]);
    let (out, err) = import(&db, "icews", &[ICEWS2]);
    // The changed record's correction, one new record and its new target.
    assert_eq!(
        out,
        "imported 3 new events (11 already present); the log ends at seq 27\n\
         1 record came again with other content: recorded as a correction of the first version\n"
    );
    assert_eq!(
        err,
        format!("note: {ICEWS2}:5: ICEWS record 20150004 reappears with other content: recorded as a correction of \"icews-20150004\"\n")
    );
    let (story, _) = ok(&db, &["history", "icews-20150004"]);
    assert!(story.contains("recorded  icews-20150004"), "{story}");
    assert!(story.contains("correction  icews-20150004-r"), "{story}");
    assert!(
        story.contains("(reason: ICEWS record 20150004 changed in a later file)"),
        "{story}"
    );
    assert!(
        story.contains("Dmitry Peskov → United States: Express accord"),
        "{story}"
    );
    // The log keeps the original; the event as it stands has the new codes.
    assert_eq!(event(&db, "icews-20150004")["codes"]["cameo"], "013");
    let (json, _) = ok(&db, &["history", "icews-20150004", "--json"]);
    let last: Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"]["type"], "correction");
    assert_eq!(last["event"]["set"]["codes"]["cameo"], "019");
    assert_eq!(last["event"]["set"]["codes"]["intensity"], 3.4);
    // Release 2 again, and release 1 again: nothing new.
    let before = db.export();
    let (again, _) = import(&db, "icews", &[ICEWS2]);
    assert!(
        again.starts_with("imported 0 new events (13 already present)"),
        "{again}"
    );
    let (older, _) = import(&db, "icews", &[ICEWS1]);
    assert!(older.starts_with("imported 0 new events"), "{older}");
    assert_eq!(before, db.export());
    ok(&db, &["verify"]);
}

#[test]
fn a_record_that_changes_within_one_import_is_corrected_there() {
    let db = Db::new();
    let (out, _) = import(&db, "icews", &[ICEWS1, ICEWS2]);
    assert!(
        out.starts_with("imported 27 new events (11 already present)"),
        "{out}"
    );
    assert!(
        out.contains("1 record came again with other content"),
        "{out}"
    );
}

#[test]
fn icews_columns_are_found_by_name_and_stdin_works() {
    let db = Db::new();
    import(&db, "icews", &["tests/fixtures/icews/reordered.tab"]);
    // The same three records, read from the usual column order.
    let (out, _) = import(&db, "icews", &[ICEWS1]);
    assert!(out.contains("(3 already present)"), "{out}");

    let piped = Db::new();
    let text = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(ICEWS1)).unwrap();
    let out = piped
        .cmd()
        .args(["import", "--format", "icews", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(out.status.success());
    let fresh = Db::new();
    import(&fresh, "icews", &[ICEWS1]);
    assert_eq!(events(&piped), events(&fresh));
}

#[test]
fn malformed_icews_rows_fail_the_whole_import_naming_file_line_and_column() {
    for (file, message) in [
        (
            "bad-cameo.tab",
            "bad-cameo.tab:3: column \"CAMEO Code\": invalid CAMEO code \"13y\" (expected 2 to 4 digits)",
        ),
        (
            "bad-date.tab",
            "bad-date.tab:2: column \"Event Date\": invalid date \"2017-02-30\" (expected YYYY-MM-DD)",
        ),
        (
            "bad-columns.tab",
            "bad-columns.tab:3: expected 20 tab-separated columns (as in the header), found 19",
        ),
        (
            "bad-intensity.tab",
            "bad-intensity.tab:4: column \"Intensity\": invalid number \"high\" (expected a number from -10 to 10)",
        ),
        (
            "bad-utf8.tab",
            "bad-utf8.tab:3: column \"Source Name\": not valid UTF-8: \"Jos\\xE9 Serra\"",
        ),
    ] {
        let path = format!("tests/fixtures/icews/{file}");
        // Into an empty database: none is left behind.
        let db = Db::new();
        let err = fails(&db, &["import", "--format", "icews", &path]);
        assert_eq!(err, format!("error: tests/fixtures/icews/{message}"));
        assert!(!db.path.exists(), "{file}");
        // Into a log that holds something: it is left as it was.
        let db = Db::new();
        import(&db, "icews", &["tests/fixtures/icews/reordered.tab"]);
        let before = db.export();
        fails(&db, &["import", "--format", "icews", ICEWS2, &path]);
        assert_eq!(before, db.export(), "{file}");
    }
}

#[test]
fn skip_invalid_imports_the_good_rows_and_reports_the_others() {
    let db = Db::new();
    let files: Vec<String> = ["cameo", "date", "columns", "intensity", "utf8"]
        .iter()
        .map(|f| format!("tests/fixtures/icews/bad-{f}.tab"))
        .collect();
    let mut args = vec!["import", "--format", "icews", "--skip-invalid"];
    args.extend(files.iter().map(String::as_str));
    let (out, err) = ok(&db, &args);
    // 8 good rows over the five files.
    assert!(out.starts_with("imported "), "{out}");
    let actions = events(&db).iter().filter(|e| e["type"] == "action").count();
    assert_eq!(actions, 8);
    assert_eq!(
        err,
        "skipped 5 invalid records:\n\
         \x20 tests/fixtures/icews/bad-cameo.tab:3: column \"CAMEO Code\": invalid CAMEO code \"13y\" (expected 2 to 4 digits)\n\
         \x20 tests/fixtures/icews/bad-date.tab:2: column \"Event Date\": invalid date \"2017-02-30\" (expected YYYY-MM-DD)\n\
         \x20 tests/fixtures/icews/bad-columns.tab:3: expected 20 tab-separated columns (as in the header), found 19\n\
         \x20 tests/fixtures/icews/bad-intensity.tab:4: column \"Intensity\": invalid number \"high\" (expected a number from -10 to 10)\n\
         \x20 tests/fixtures/icews/bad-utf8.tab:3: column \"Source Name\": not valid UTF-8: \"Jos\\xE9 Serra\"\n"
    );
    // The skipped rows wrote nothing: not even their actors.
    assert!(actors(&db).iter().all(|a| a["id"] != "jos-serra-rus"));
    ok(&db, &["verify"]);
}

#[test]
fn a_file_that_is_not_icews_is_refused_as_a_whole() {
    let db = Db::new();
    let err = fails(
        &db,
        &["import", "--format", "icews", "--skip-invalid", GDELT],
    );
    assert!(
        err.starts_with(
            "error: tests/fixtures/gdelt/events.export.tsv:1: expected the ICEWS header row"
        ),
        "{err}"
    );
    assert!(!db.path.exists());
}

#[test]
fn gdelt_rows_become_actions() {
    let db = Db::new();
    let (out, _) = import(&db, "gdelt", &[GDELT]);
    // Six rows, nine actors.
    assert!(
        out.starts_with("imported 15 new events (0 already present)"),
        "{out}"
    );
    let russia = actor(&db, "russia-rus-gov");
    // GDELT names the government after the country: the name says which.
    assert_eq!(russia["name"], "Russia (government)");
    assert_eq!(russia["kind"], "government");
    assert_eq!(russia["country"], "RUS");
    assert!(russia.get("aliases").is_none(), "{russia}");
    let state = actor(&db, "russia-rus");
    assert_eq!(state["name"], "Russia");
    assert_eq!(state["kind"], "state");
    assert_eq!(state["aliases"], serde_json::json!(["RUSSIA"]));
    // "Russia" names the state alone.
    let (timeline, _) = ok(&db, &["timeline", "--actor", "Russia"]);
    assert!(timeline.contains("gdelt-1084937450"), "{timeline}");
    assert!(!timeline.contains("gdelt-1084937441"), "{timeline}");
    assert_eq!(actor(&db, "civilian-ukr-cvl")["kind"], "public");
    let un = actor(&db, "united-nations-igo-uno");
    assert_eq!(un["kind"], "organization");
    assert!(un.get("country").is_none());

    let talks = event(&db, "gdelt-1084937441");
    assert_eq!(talks["date"], "2023-02-07");
    assert_eq!(talks["actor"], "russia-rus-gov");
    assert_eq!(talks["targets"], serde_json::json!(["ukraine-ukr-gov"]));
    assert_eq!(talks["kind"], "agree");
    assert_eq!(
        talks["codes"],
        serde_json::json!({"cameo": "036", "plover": "AGREE", "quad_class": 1, "goldstein": 4.0})
    );
    assert_eq!(talks["place"], "Moscow, Moskva, Russia");
    assert_eq!(
        talks["sources"],
        serde_json::json!([
            {"outlet": "example.com", "url": "https://www.example.com/world/2023/02/07/moscow-offers-talks", "retrieved": "2023-02-07T10:15:00Z"},
            {"outlet": "GDELT"}
        ])
    );
    assert_eq!(talks["tags"], serde_json::json!(["gdelt"]));
    // The mirrored record is its own event.
    assert_eq!(event(&db, "gdelt-1084937442")["actor"], "ukraine-ukr-gov");
    // No Actor1: the placeholder; a SOURCEURL that is no URL names the outlet.
    let shelling = event(&db, "gdelt-1084937460");
    assert_eq!(shelling["actor"], "unknown-actor");
    assert_eq!(shelling["sources"][0]["outlet"], "BBC Monitoring");
    assert!(shelling["sources"][0].get("url").is_none());
    ok(&db, &["verify"]);
}

#[test]
fn malformed_gdelt_rows_fail_with_their_line_or_are_skipped() {
    let cases = [
        (
            "bad-columns.tsv",
            "bad-columns.tsv:2: expected 61 tab-separated columns (the GDELT 2.0 event table), found 58",
        ),
        (
            "bad-cameo.tsv",
            "bad-cameo.tsv:3: column \"EventCode\": invalid CAMEO code \"13y\" (expected 2 to 4 digits)",
        ),
        (
            "bad-goldstein.tsv",
            "bad-goldstein.tsv:1: column \"GoldsteinScale\": invalid number \"strong\" (expected a number from -10 to 10)",
        ),
        (
            "bad-date.tsv",
            "bad-date.tsv:2: column \"SQLDATE\": invalid date \"2023-02-07\" (expected YYYYMMDD)",
        ),
    ];
    for (file, message) in cases {
        let db = Db::new();
        let path = format!("tests/fixtures/gdelt/{file}");
        let err = fails(&db, &["import", "--format", "gdelt", &path]);
        assert_eq!(err, format!("error: tests/fixtures/gdelt/{message}"));
        assert!(!db.path.exists());
    }
    let db = Db::new();
    let mut args = vec!["import", "--format", "gdelt", "--skip-invalid"];
    let paths: Vec<String> = cases
        .iter()
        .map(|(f, _)| format!("tests/fixtures/gdelt/{f}"))
        .collect();
    args.extend(paths.iter().map(String::as_str));
    let (_, err) = ok(&db, &args);
    assert!(err.starts_with("skipped 4 invalid records:\n"), "{err}");
    let actions: Vec<String> = events(&db)
        .iter()
        .filter(|e| e["type"] == "action")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "gdelt-1084937441",
            "gdelt-1084937442",
            "gdelt-1084937470",
            "gdelt-1084937480"
        ]
    );
}

#[test]
fn the_plover_gold_standard_file_imports() {
    let db = Db::new();
    let (out, err) = import(&db, "plover", &[PLOVER]);
    assert!(out.starts_with("imported "), "{out}");
    assert!(
        err.contains(&format!("note: {PLOVER}: skipped 1 DOCUMENT record")),
        "{err}"
    );
    // The stray target of AGREE-0007 is read as none, and said so.
    assert!(
        err.contains("field \"target\": \"diplomatic\" is not a list of actors; read as none"),
        "{err}"
    );
    let all = events(&db);
    let actions: Vec<&Value> = all.iter().filter(|e| e["type"] == "action").collect();
    // 322 records, one action per source: the 21 with two sources give two
    // actions each. The file numbers two records PLOVER-GSR01-COERCE-0004:
    // the second becomes a correction of the first.
    assert_eq!(actions.len(), 322 + 21 - 1);
    assert!(
        out.contains("1 record came again with other content"),
        "{out}"
    );
    assert!(
        err.contains("PLOVER record PLOVER-GSR01-COERCE-0004 reappears with other content: recorded as a correction of \"plover-gsr01-coerce-0004\""),
        "{err}"
    );
    assert!(all.iter().all(|e| e["id"] != "plover-gsr01-document-0001"));

    let agree = event(&db, "plover-gsr01-agree-0001");
    assert_eq!(agree["kind"], "agree");
    assert_eq!(agree["date"], "2000-01-01");
    assert_eq!(
        agree["codes"],
        serde_json::json!({"plover": "AGREE", "quad_class": 1})
    );
    assert_eq!(agree["actor"], "hungarian-hun-gov");
    assert_eq!(agree["targets"], serde_json::json!(["romanian-rou-gov"]));
    assert_eq!(
        agree["tags"],
        serde_json::json!(["plover", "context:refugees"])
    );
    assert_eq!(
        agree["sources"],
        serde_json::json!([{"outlet": "OEDA team from CAMEO 1.1b3 manual"}, {"outlet": "PLOVER"}])
    );
    assert!(agree["summary"]
        .as_str()
        .unwrap()
        .starts_with("Senior Hungarian and Romanian officials agreed"));
    let other = event(&db, "plover-gsr01-agree-0001-s2");
    assert_eq!(other["actor"], "romanian-rou-gov");
    assert_eq!(other["targets"], serde_json::json!(["hungarian-hun-gov"]));
    let hungarian = actor(&db, "hungarian-hun-gov");
    assert_eq!(hungarian["kind"], "government");
    assert_eq!(hungarian["country"], "HUN");
    assert_eq!(actor(&db, "tokyo-jap")["kind"], "state");
    assert!(actor(&db, "tokyo-jap").get("country").is_none());
    // The record without a source.
    assert_eq!(
        event(&db, "plover-gsr01-assault-0009")["actor"],
        "unknown-actor"
    );
    ok(&db, &["verify"]);
}

#[test]
fn plover_json_lines_with_the_newer_names_and_bad_records() {
    let db = Db::new();
    import(&db, "plover", &["tests/fixtures/plover/newer.jsonl"]);
    let talks = event(&db, "plover-t-0001");
    assert_eq!(talks["actor"], "russian-delegation-rus-gov");
    assert_eq!(
        talks["targets"],
        serde_json::json!(["ukrainian-delegation-ukr-gov"])
    );
    assert_eq!(talks["place"], "Istanbul, TR");
    assert_eq!(
        talks["tags"],
        serde_json::json!(["plover", "context:diplomatic", "mode:third-party"])
    );
    assert_eq!(talks["codes"]["quad_class"], 1);
    let kremlin = event(&db, "plover-t-0002");
    assert_eq!(kremlin["actor"], "kremlin");
    assert_eq!(kremlin["codes"]["quad_class"], 3);

    let bad = "tests/fixtures/plover/bad-date.json";
    let db = Db::new();
    let err = fails(&db, &["import", "--format", "plover", bad]);
    assert!(
        err.starts_with(&format!("error: {bad}:5: field \"date\": ")),
        "{err}"
    );
    assert!(err.contains("2022-02-30"), "{err}");
    let (out, err) = ok(
        &db,
        &["import", "--format", "plover", "--skip-invalid", bad],
    );
    assert!(out.starts_with("imported 2 new events"), "{out}");
    assert!(err.starts_with("skipped 1 invalid record:\n"), "{err}");
}

#[test]
fn formats_and_options_are_checked() {
    let db = Db::new();
    let err = fails(&db, &["import", "--format", "cameo", ICEWS1]);
    assert_eq!(
        err,
        "error: unknown import format \"cameo\" (expected: jsonl, icews, plover, gdelt)"
    );
    let err = fails(&db, &["import", "--skip-invalid", "events/example.jsonl"]);
    assert!(
        err.contains("--skip-invalid applies to coded event data"),
        "{err}"
    );
    // A dry run writes nothing and creates no database.
    let (out, _) = ok(&db, &["import", "--dry-run", "--format", "icews", ICEWS1]);
    assert!(out.starts_with("would import 24 new events"), "{out}");
    assert!(!db.path.exists());
}

#[test]
fn actors_already_in_the_log_are_not_registered_again() {
    let db = Db::new();
    ok(
        &db,
        &[
            "actor",
            "add",
            "russia-rus",
            "--name",
            "Russian Federation",
            "--kind",
            "state",
            "--country",
            "RUS",
        ],
    );
    import(&db, "icews", &[ICEWS1]);
    let russia = actor(&db, "russia-rus");
    assert_eq!(russia["name"], "Russian Federation");
    let before = db.export();
    let (out, _) = import(&db, "icews", &[ICEWS1]);
    assert!(out.starts_with("imported 0 new events"), "{out}");
    assert_eq!(before, db.export());
}

#[test]
fn a_retracted_record_stays_retracted_when_a_later_release_changes_it() {
    let db = Db::new();
    import(&db, "icews", &[ICEWS1]);
    ok(
        &db,
        &[
            "retract",
            "icews-20150004",
            "--reason",
            "miscoded: Peskov said no such thing",
        ],
    );
    let (out, err) = import(&db, "icews", &[ICEWS2]);
    assert!(out.starts_with("imported 2 new events"), "{out}");
    assert_eq!(
        err,
        format!("note: {ICEWS2}:5: ICEWS record 20150004 reappears with other content, but \"icews-20150004\" is retracted: not corrected\n")
    );
    let (story, _) = ok(&db, &["history", "icews-20150004"]);
    assert!(story.contains("retracted"), "{story}");
}

#[test]
fn a_correction_that_cannot_apply_is_a_bad_record() {
    // The id names a statement recorded by hand: an action cannot replace it.
    let db = Db::new();
    ok(
        &db,
        &[
            "actor", "add", "someone", "--name", "Someone", "--kind", "person",
        ],
    );
    ok(
        &db,
        &[
            "say",
            "someone",
            "--date",
            "2017-01-01",
            "--text",
            "Hello.",
            "--id",
            "icews-20150001",
        ],
    );
    let err = fails(&db, &["import", "--format", "icews", ICEWS1]);
    assert!(
        err.starts_with(&format!("error: {ICEWS1}:2: ICEWS record 20150001 reappears with other content, but the correction of \"icews-20150001\" was refused: ")),
        "{err}"
    );
    let (_, err) = ok(
        &db,
        &["import", "--format", "icews", "--skip-invalid", ICEWS1],
    );
    assert!(err.starts_with("skipped 1 invalid record:"), "{err}");
}

#[test]
fn a_later_plover_record_with_fewer_sources_retracts_the_dropped_ones() {
    let db = Db::new();
    let record = |sources: &[&str], text: &str| {
        let sources: Vec<Value> = sources
            .iter()
            .map(|s| serde_json::json!({"actorText": s, "code": "USA", "sector": "GOV"}))
            .collect();
        serde_json::json!({
            "id": "X-1", "date": "2020-01-01", "event": "AGREE", "source": sources,
            "target": [{"actorText": "Gamma", "code": "FRA"}], "text": text,
        })
        .to_string()
    };
    let first = db.dir.path().join("first.jsonl");
    let later = db.dir.path().join("later.jsonl");
    std::fs::write(
        &first,
        record(&["Alpha", "Beta", "Delta"], "All three agreed."),
    )
    .unwrap();
    std::fs::write(&later, record(&["Alpha"], "Alpha agreed.")).unwrap();
    let (first, later) = (first.to_str().unwrap(), later.to_str().unwrap());
    import(&db, "plover", &[first]);
    let actors = |db: &Db| -> Vec<String> {
        let (out, _) = ok(db, &["timeline", "--format", "csv"]);
        out.lines()
            .skip(1)
            .map(|l| l.split(',').nth(8).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        actors(&db),
        ["alpha-usa-gov", "beta-usa-gov", "delta-usa-gov"]
    );

    let (out, err) = import(&db, "plover", &[later]);
    assert!(
        out.contains("2 actions of source actors that later records no longer name: retracted"),
        "{out}"
    );
    for dropped in ["plover-x-1-s2", "plover-x-1-s3"] {
        assert!(err.contains(&format!("\"{dropped}\" retracted")), "{err}");
        let (story, _) = ok(&db, &["history", dropped]);
        assert!(story.contains("now: retracted by"), "{story}");
    }
    assert_eq!(actors(&db), ["alpha-usa-gov"]);
    let (dot, _) = ok(&db, &["graph", "--format", "dot"]);
    assert!(
        dot.contains("alpha-usa-gov") && !dot.contains("beta-usa-gov\" ->"),
        "{dot}"
    );

    // Again: nothing new; the same as the later record imported alone.
    let (out, _) = import(&db, "plover", &[later]);
    assert!(
        out.starts_with("imported 0 new events (1 already present)"),
        "{out}"
    );
    let alone = Db::new();
    import(&alone, "plover", &[later]);
    assert_eq!(actors(&alone), actors(&db));
    ok(&db, &["verify"]);
}
