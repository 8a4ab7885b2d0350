//! Hostile input: the JSON Lines importer and the date parser answer any
//! bytes with a value or one clear error naming the line, never a panic and
//! never a half-written log; and the limits of the event format are enforced
//! exactly at their edges. Property tests go through the library (fast);
//! the named cases and the limits go through the real binary.

mod common;

use std::time::Instant;

use common::{fixture, Db};
use demarche::import::{self, Format, Input};
use demarche::store::Store;
use proptest::prelude::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Property tests, through the library

/// Import `bytes` as one input named `name` into `store` and commit. On
/// failure, check that the store is exactly as it was and still verifies,
/// and return the message.
fn import_into(store: &mut Store, name: &str, bytes: Vec<u8>) -> Result<u64, String> {
    let head = store.head().clone();
    let result = {
        let mut batch = store.batch();
        match import::read_all(
            &mut batch,
            Format::Jsonl,
            vec![Input::from_bytes(name, bytes)],
            &mut |_| {},
        ) {
            Ok(()) => batch
                .commit()
                .map(|s| s.appended)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    };
    if result.is_err() {
        assert_eq!(store.head(), &head, "a failed import moved the head");
    }
    if let Err(e) = demarche::verify::verify(store) {
        panic!("the log does not verify after {result:?}: {e}");
    }
    result
}

/// The line number a message names as `NAME:LINE: `, if any.
fn named_line(msg: &str, name: &str) -> Option<u64> {
    let rest = msg.strip_prefix(name)?.strip_prefix(':')?;
    let (n, rest) = rest.split_once(':')?;
    if !rest.starts_with(' ') {
        return None;
    }
    n.parse().ok()
}

/// A rejection either names a line of the input or says the input held no
/// event at all; it is one line of text.
fn check_rejection(msg: &str, name: &str, bytes: &[u8]) -> Option<u64> {
    assert!(!msg.contains('\n'), "a message of several lines: {msg:?}");
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    match named_line(msg, name) {
        Some(n) => {
            assert!((1..=lines).contains(&n), "line {n} of {lines}: {msg}");
            Some(n)
        }
        None => {
            assert!(
                msg.starts_with(&format!("{name}: no events found")),
                "the message names no line: {msg:?}"
            );
            None
        }
    }
}

fn example_lines() -> Vec<String> {
    std::fs::read_to_string(fixture("example.jsonl"))
        .expect("example.jsonl")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Bits of JSON and of the event format, to build inputs that get past the
/// JSON parser more often than random bytes do.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("#".to_string()),
        Just("null".to_string()),
        Just("\"type\"".to_string()),
        Just("\"statement\"".to_string()),
        Just("\"actor\"".to_string()),
        Just("\"correction\"".to_string()),
        Just("\"id\"".to_string()),
        Just("\"date\"".to_string()),
        Just("\"2017-03\"".to_string()),
        Just("\"speaker\"".to_string()),
        Just("\"text\"".to_string()),
        Just("\"seq\"".to_string()),
        Just("\"event\"".to_string()),
        Just("\"kind\"".to_string()),
        Just("\"person\"".to_string()),
        "-?[0-9]{1,20}(\\.[0-9]{1,5})?(e[+-]?[0-9]{1,4})?",
        "\"[a-z0-9-]{0,70}\"",
        "\"(\\\\u[0-9a-fA-F]{4}|\\\\.|[^\"\\\\])*\"",
    ]
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::from),
        "[a-z0-9-]{0,70}".prop_map(Value::from),
        "[0-9X?~%/.-]{0,14}".prop_map(Value::from),
        Just(json!("peskov")),
        Just(json!("russia-normalization-proposal")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One byte-level change to a line.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 1..40usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), token()).prop_map(|(i, t)| Mutation::Insert(i, t.into_bytes())),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1..60usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(line: &mut Vec<u8>, m: &Mutation) {
    let len = line.len().max(1);
    match m {
        Mutation::Set(i, b) => {
            if !line.is_empty() {
                line[i % len] = *b;
            }
        }
        Mutation::Delete(i, n) => {
            let at = i % len;
            let end = (at + n).min(line.len());
            if at < end {
                line.drain(at..end);
            }
        }
        Mutation::Insert(i, bytes) => {
            let at = i % (line.len() + 1);
            line.splice(at..at, bytes.iter().copied());
        }
        Mutation::Truncate(i) => line.truncate(i % len),
        Mutation::Duplicate(i, n) => {
            let at = i % len;
            let end = (at + n).min(line.len());
            let copy = line[at..end].to_vec();
            line.splice(at..at, copy);
        }
    }
}

/// The date fields of the format, each as a path into a valid line.
const DATE_FIELDS: &[(&str, &str)] = &[
    ("statement", "date"),
    ("action", "date"),
    ("affiliation", "from"),
    ("affiliation", "until"),
    ("statement", "sources[0].published"),
    ("statement", "sources[0].retrieved"),
];

fn dated_line(kind: &str, field: &str, date: &str) -> Value {
    let mut v = match kind {
        "statement" => json!({"type":"statement","date":"2017","speaker":"peskov","text":"t",
                              "sources":[{"outlet":"RIA Novosti"}]}),
        "action" => {
            json!({"type":"action","date":"2017","actor":"russia","kind":"proposal","summary":"s"})
        }
        _ => json!({"type":"affiliation","actor":"peskov","org":"kremlin","role":"spokesman"}),
    };
    match field.strip_prefix("sources[0].") {
        Some(f) => v["sources"][0][f] = json!(date),
        None => v[field] = json!(date),
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any bytes at all: a value or a message naming a line, and an
    /// unchanged log.
    #[test]
    fn arbitrary_bytes_never_panic_and_rejections_name_the_line(
        bytes in prop::collection::vec(any::<u8>(), 0..600)
    ) {
        let mut store = Store::in_memory();
        if let Err(msg) = import_into(&mut store, "fuzz.jsonl", bytes.clone()) {
            check_rejection(&msg, "fuzz.jsonl", &bytes);
        }
    }

    /// Sequences of JSON tokens, which reach deeper than random bytes.
    #[test]
    fn json_token_soup_never_panics_and_rejections_name_the_line(
        tokens in prop::collection::vec(token(), 0..60)
    ) {
        let bytes = tokens.concat().into_bytes();
        let mut store = Store::in_memory();
        if let Err(msg) = import_into(&mut store, "soup.jsonl", bytes.clone()) {
            check_rejection(&msg, "soup.jsonl", &bytes);
        }
    }

    /// The format's example with one line damaged: the lines before it are
    /// as good as they were, so a rejection names that line or a later one;
    /// whatever is accepted makes a log that verifies.
    #[test]
    fn a_damaged_line_is_refused_at_or_after_it(
        which in 0..14usize,
        mutations in prop::collection::vec(mutation(), 1..4)
    ) {
        let lines = example_lines();
        let mut damaged = lines[which].clone().into_bytes();
        for m in &mutations {
            mutate(&mut damaged, m);
        }
        let mut bytes = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if i == which {
                bytes.extend_from_slice(&damaged);
            } else {
                bytes.extend_from_slice(l.as_bytes());
            }
            bytes.push(b'\n');
        }
        let mut store = Store::in_memory();
        match import_into(&mut store, "damaged.jsonl", bytes.clone()) {
            Ok(n) => prop_assert!(n <= 16),
            Err(msg) => {
                let line = check_rejection(&msg, "damaged.jsonl", &bytes);
                prop_assert!(line.is_some_and(|n| n > which as u64), "{msg}");
            }
        }
    }

    /// Any JSON value in any field of a line (numbers where strings belong,
    /// objects for dates, nulls for required fields...), or a new field.
    #[test]
    fn any_value_in_any_field_is_accepted_or_refused_by_line(
        which in 0..14usize,
        key in prop_oneof![any::<usize>().prop_map(Ok), "[a-z_]{1,12}".prop_map(Err)],
        value in any_json()
    ) {
        let lines = example_lines();
        let mut event: Value = serde_json::from_str(&lines[which]).unwrap();
        let obj = event.as_object_mut().unwrap();
        let key = match key {
            Ok(i) => obj.keys().nth(i % obj.len()).unwrap().clone(),
            Err(name) => name,
        };
        obj.insert(key, value);
        let mut bytes = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if i == which {
                bytes.extend_from_slice(event.to_string().as_bytes());
            } else {
                bytes.extend_from_slice(l.as_bytes());
            }
            bytes.push(b'\n');
        }
        let mut store = Store::in_memory();
        if let Err(msg) = import_into(&mut store, "typed.jsonl", bytes.clone()) {
            let line = check_rejection(&msg, "typed.jsonl", &bytes);
            prop_assert!(line.is_some_and(|n| n > which as u64), "{msg}");
        }
    }

    /// Arbitrary strings in every date field of the format: parsed, or
    /// refused naming the line and the field.
    #[test]
    fn any_string_in_any_date_field_is_parsed_or_refused_by_line_and_field(
        field in 0..DATE_FIELDS.len(),
        date in prop_oneof![
            any::<String>(),
            "[0-9X?~%/.TZ:+ -]{0,40}",
            "(\\.\\.)?/?[0-9]{1,6}(-[0-9X]{1,3}){0,2}(T[0-9:]{1,12}(Z|[+-][0-9:]{1,6})?)?[?~%]?(/(\\.\\.)?[0-9-]{0,12})?",
        ]
    ) {
        let (kind, name) = DATE_FIELDS[field];
        let mut text = String::new();
        for l in example_lines().iter().take(9) {
            text.push_str(l);
            text.push('\n');
        }
        text.push_str(&dated_line(kind, name, &date).to_string());
        text.push('\n');
        let bytes = text.into_bytes();
        let mut store = Store::in_memory();
        if let Err(msg) = import_into(&mut store, "dates.jsonl", bytes.clone()) {
            prop_assert_eq!(check_rejection(&msg, "dates.jsonl", &bytes), Some(10), "{}", msg);
            let last = name.rsplit('.').next().unwrap_or(name);
            prop_assert!(msg.contains(last), "{} should name the field {}", msg, name);
        } else {
            prop_assert!(demarche::date::EdtfDate::parse(&date).is_ok());
        }
    }
}

// ---------------------------------------------------------------------------
// Named hostile cases, through the binary

/// A database holding the format's example, and its export.
fn example_db() -> (Db, String) {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let before = db.export();
    (db, before)
}

const GOOD: &str =
    r#"{"type":"statement","id":"fine","date":"2017-09-14","speaker":"peskov","text":"Fine."}"#;

/// Import `bytes` from a file named `name`: exit 1, one short error line,
/// and the log unchanged. Returns the error line.
fn refused_any(db: &Db, before: &str, name: &str, bytes: &[u8]) -> String {
    let file = db.dir.path().join(name);
    std::fs::write(&file, bytes).expect("write input");
    let err = db.fails(&["import", file.to_str().expect("path")]);
    assert!(
        err.len() <= 1024,
        "{name}: an error line of {} bytes: {err:.300}",
        err.len()
    );
    assert_eq!(db.export(), before, "{name}: the log must be unchanged");
    let _ = std::fs::remove_file(&file);
    err
}

/// [`refused_any`], and the error names `FILE:LINE:`.
fn refused(db: &Db, before: &str, name: &str, bytes: &[u8], line: u64) -> String {
    let err = refused_any(db, before, name, bytes);
    let at = format!("error: {}:{line}: ", db.dir.path().join(name).display());
    assert!(
        err.starts_with(&at),
        "{name}: {err:.300} should start with {at}"
    );
    err
}

/// Import `bytes` from a file named `name` and expect success.
fn accepted(db: &Db, name: &str, bytes: &[u8]) -> String {
    let file = db.dir.path().join(name);
    std::fs::write(&file, bytes).expect("write input");
    let out = db.ok(&["import", file.to_str().expect("path")]);
    let _ = std::fs::remove_file(&file);
    out
}

fn lines(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

#[test]
fn a_50_mb_line_is_refused_naming_it() {
    let (db, before) = example_db();
    let mut bytes = format!("{GOOD}\n").into_bytes();
    bytes.extend_from_slice(br#"{"type":"statement","date":"2017","speaker":"peskov","text":""#);
    bytes.resize(bytes.len() + 50_000_000, b'x');
    bytes.extend_from_slice(b"\"}\n");
    bytes.extend_from_slice(GOOD.as_bytes());
    let err = refused(&db, &before, "huge-line.jsonl", &bytes, 2);
    assert!(err.contains("line is longer than 8 MiB"), "{err}");
    // Without a single newline, too.
    let err = refused(
        &db,
        &before,
        "huge-no-newline.jsonl",
        &vec![b'{'; 50_000_000],
        1,
    );
    assert!(err.contains("line is longer than 8 MiB"), "{err}");
}

#[test]
fn a_million_blank_lines_are_skipped_and_still_counted() {
    let (db, before) = example_db();
    let blank = "\n".repeat(1_000_000);
    let err = refused_any(&db, &before, "blank.jsonl", blank.as_bytes());
    assert!(
        err.contains("blank.jsonl: no events found (only blank or comment lines)"),
        "{err}"
    );
    // Blank lines still count: an error after them names the right line.
    let bad = format!("{blank}{{\"type\":\"statement\"}}\n");
    let err = refused(
        &db,
        &before,
        "blank-then-bad.jsonl",
        bad.as_bytes(),
        1_000_001,
    );
    assert!(err.contains("missing field"), "{err}");
    // Blank lines of spaces, tabs and CRs are blank too.
    let good = format!("{}{GOOD}\n", " \t\r\n".repeat(1_000_000));
    let out = accepted(&db, "blank-then-good.jsonl", good.as_bytes());
    assert!(out.contains("imported 1 new event"), "{out}");
}

#[test]
fn crlf_endings_and_a_leading_bom_keep_line_numbers_and_values() {
    let (db, before) = example_db();
    let crlf = lines(&[
        "\u{feff}# a comment\r",
        "\r",
        r#"{"type":"statement","date":"2017","speaker":"peskov","text":"t","stance":"agrees"}"#,
    ]);
    let err = refused(&db, &before, "crlf.jsonl", &crlf, 3);
    assert!(err.contains("field \"stance\""), "{err}");
    // A BOM anywhere but at the very start is not tolerated.
    let late_bom = format!("{GOOD}\n\u{feff}{GOOD}\n");
    refused(&db, &before, "late-bom.jsonl", late_bom.as_bytes(), 2);
    // CR alone does not end a line.
    let cr_only = format!("{GOOD}\r{GOOD}\n");
    refused(&db, &before, "cr.jsonl", cr_only.as_bytes(), 1);
    // A CRLF file imports, and no CR ends up in a value.
    let text = r#"{"type":"statement","id":"crlf-ok","date":"2017","speaker":"peskov","text":"Ends here."}"#;
    let good = format!("\u{feff}{text}\r\n");
    accepted(&db, "crlf-ok.jsonl", good.as_bytes());
    let said = db.json_lines(&["said", "--search", "Ends here", "--json"]);
    assert_eq!(said.len(), 1);
    assert_eq!(said[0]["event"]["text"], "Ends here.");
}

#[test]
fn duplicate_keys_are_refused_at_every_depth() {
    let (db, before) = example_db();
    let cases = [
        r#"{"type":"statement","type":"statement","date":"2017","speaker":"peskov","text":"t"}"#,
        r#"{"type":"statement","date":"2017","speaker":"peskov","text":"t","sources":[{"outlet":"a","outlet":"b"}]}"#,
        r#"{"type":"statement","date":"2017","speaker":"peskov","text":"t","original":{"text":"a","text":"b"}}"#,
        r#"{"type":"action","date":"2017","actor":"russia","kind":"call","summary":"s","codes":{"cameo":"01","cameo":"02"}}"#,
        r#"{"type":"correction","target":"peskov-confirms-proposals","set":{"medium":"a","medium":"b"},"reason":"r"}"#,
    ];
    for (i, case) in cases.iter().enumerate() {
        let bytes = lines(&[GOOD, case]);
        let err = refused(&db, &before, &format!("dup-{i}.jsonl"), &bytes, 2);
        assert!(err.contains("duplicate key"), "{case}: {err}");
    }
}

#[test]
fn values_of_the_wrong_type_are_refused_naming_the_field() {
    let (db, before) = example_db();
    let base = json!({"type":"statement","date":"2017","speaker":"peskov","text":"t",
                      "sources":[{"outlet":"RIA Novosti"}],"original":{"text":"o"}});
    let cases: Vec<(&str, Value)> = vec![
        ("type", json!(1)),
        ("id", json!(12)),
        ("speaker", json!(5)),
        ("date", json!(2017)),
        ("date", json!({"year":2017})),
        ("text", json!(5)),
        ("text", json!(true)),
        ("text", json!(null)),
        ("text", json!(["a"])),
        ("tags", json!([1])),
        ("tags", json!("one")),
        ("mentions", json!([["usa"]])),
        ("stance", json!(0)),
        ("sources", json!([{"outlet":5}])),
        ("original", json!({"text":1.5})),
    ];
    for (i, (field, value)) in cases.into_iter().enumerate() {
        let mut line = base.clone();
        line[field] = value.clone();
        let bytes = lines(&[GOOD, &line.to_string()]);
        let err = refused(&db, &before, &format!("type-{i}.jsonl"), &bytes, 2);
        assert!(err.contains(field), "{field} = {value}: {err}");
    }
    // Strings where numbers belong.
    let action =
        json!({"type":"action","date":"2017","actor":"russia","kind":"call","summary":"s"});
    for (field, value) in [
        ("goldstein", json!("high")),
        ("quad_class", json!("1")),
        ("quad_class", json!(7)),
    ] {
        let mut line = action.clone();
        line["codes"] = json!({ field: value });
        let bytes = lines(&[GOOD, &line.to_string()]);
        let err = refused(&db, &before, "codes.jsonl", &bytes, 2);
        assert!(err.contains(field), "{field} = {value}: {err}");
    }
}

#[test]
fn nul_bytes_are_refused_raw_and_kept_escaped() {
    let (db, before) = example_db();
    let raw_in_string =
        b"{\"type\":\"statement\",\"date\":\"2017\",\"speaker\":\"peskov\",\"text\":\"a\0b\"}\n";
    refused(&db, &before, "nul-string.jsonl", raw_in_string, 1);
    refused(&db, &before, "nul-only.jsonl", &vec![0u8; 1 << 20], 1);
    let mut after_good = format!("{GOOD}\n").into_bytes();
    after_good.extend_from_slice(b"\0\n");
    refused(&db, &before, "nul-line.jsonl", &after_good, 2);
    // Escaped, a NUL is just a character: kept, and exported as written.
    let escaped = r#"{"type":"statement","id":"with-nul","date":"2017","speaker":"peskov","text":"a\u0000b"}"#;
    accepted(&db, "nul-escaped.jsonl", lines(&[escaped]).as_slice());
    let said = db.json_lines(&["said", "--search", "a", "--json"]);
    let rec = said
        .iter()
        .find(|r| r["id"] == "with-nul")
        .expect("imported");
    assert_eq!(rec["event"]["text"], "a\u{0}b");
    db.ok(&["verify"]);
}

#[test]
fn invalid_utf8_is_refused_naming_line_and_column() {
    let (db, before) = example_db();
    let prefix = br#"{"type":"statement","date":"2017","speaker":"peskov","text":""#;
    // Each with the column of its first bad byte.
    let cases: Vec<(&str, &[u8], usize)> = vec![
        ("latin-1", b"caf\xe9", 4),
        ("overlong", b"\xc0\xaf", 1),
        ("surrogate", b"\xed\xa0\x80", 1),
        ("truncated", b"\xe2\x82", 1),
        ("continuation", b"\x80", 1),
    ];
    for (what, bad, at) in cases {
        let mut bytes = format!("{GOOD}\n").into_bytes();
        bytes.extend_from_slice(prefix);
        bytes.extend_from_slice(bad);
        bytes.extend_from_slice(b"\"}\n");
        let err = refused(&db, &before, &format!("{what}.jsonl"), &bytes, 2);
        let column = format!("not valid UTF-8 (bad byte at column {})", prefix.len() + at);
        assert!(err.contains(&column), "{what}: {err}");
    }
    // At the very end of a file without a newline.
    let mut bytes = format!("{GOOD}\n").into_bytes();
    bytes.extend_from_slice(b"\xf0\x9f");
    refused(&db, &before, "eof.jsonl", &bytes, 2);
    // A lone surrogate escaped in JSON is not a character either.
    let escaped = r#"{"type":"statement","date":"2017","speaker":"peskov","text":"\ud800"}"#;
    refused(&db, &before, "lone.jsonl", &lines(&[GOOD, escaped]), 2);
}

#[test]
fn ten_thousand_nested_values_are_refused_wherever_they_are() {
    let (db, before) = example_db();
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let cases = [
        format!(
            r#"{{"type":"statement","date":"2017","speaker":"peskov","text":"t","tags":{arrays}}}"#
        ),
        format!(
            r#"{{"type":"correction","target":"peskov-confirms-proposals","set":{{"medium":{objects}}},"reason":"r"}}"#
        ),
        arrays.clone(),
        objects,
        // Unbalanced: only openings.
        "[".repeat(10_000),
    ];
    for (i, case) in cases.iter().enumerate() {
        refused(
            &db,
            &before,
            &format!("deep-{i}.jsonl"),
            &lines(&[GOOD, GOOD, case]),
            3,
        );
    }
}

#[test]
fn a_5_mb_text_in_any_long_field_is_refused_naming_the_field() {
    let (db, before) = example_db();
    let big = "x".repeat(5_000_000);
    let cases = [
        (
            "summary",
            json!({"type":"action","date":"2017","actor":"russia","kind":"call","summary":big}),
        ),
        (
            "description",
            json!({"type":"actor","id":"big","name":"Big","kind":"person","description":big}),
        ),
        (
            "reason",
            json!({"type":"retraction","target":"peskov-confirms-proposals","reason":big}),
        ),
        (
            "original.text",
            json!({"type":"statement","date":"2017","speaker":"peskov","text":"t","original":{"text":big}}),
        ),
        (
            "text",
            json!({"type":"statement","date":"2017","speaker":"peskov","text":big}),
        ),
    ];
    for (field, line) in cases {
        let err = refused(
            &db,
            &before,
            "big.jsonl",
            &lines(&[GOOD, &line.to_string()]),
            2,
        );
        assert!(err.contains(&format!("field \"{field}\"")), "{err:.300}");
        assert!(err.contains("is too long (at most 1 MiB)"), "{err:.300}");
    }
}

/// Huge values where a short one is expected: the error quotes a short
/// prefix of them, and answers quickly.
#[test]
fn huge_wrong_values_get_short_errors() {
    let (db, before) = example_db();
    let huge = "y".repeat(4 << 20);
    let cases = [
        (
            "unknown key",
            format!(
                r#"{{"type":"statement","date":"2017","speaker":"peskov","text":"t","{huge}":1}}"#
            ),
        ),
        (
            "unknown type",
            format!(r#"{{"type":"{huge}","date":"2017"}}"#),
        ),
        (
            "unknown stance",
            format!(
                r#"{{"type":"statement","date":"2017","speaker":"peskov","text":"t","stance":"{huge}"}}"#
            ),
        ),
        (
            "unknown speaker",
            format!(r#"{{"type":"statement","date":"2017","speaker":"{huge}","text":"t"}}"#),
        ),
        (
            "bad date",
            format!(r#"{{"type":"statement","date":"{huge}","speaker":"peskov","text":"t"}}"#),
        ),
        (
            "string for a number",
            format!(
                r#"{{"type":"action","date":"2017","actor":"russia","kind":"call","summary":"s","codes":{{"goldstein":"{huge}"}}}}"#
            ),
        ),
        (
            "bad country",
            format!(r#"{{"type":"actor","id":"x","name":"X","kind":"state","country":"{huge}"}}"#),
        ),
    ];
    for (what, line) in cases {
        let started = Instant::now();
        let err = refused(&db, &before, "huge.jsonl", &lines(&[GOOD, &line]), 2);
        let took = started.elapsed();
        assert!(err.contains("yyyy"), "{what}: the value is quoted: {err}");
        assert!(took.as_secs() < 10, "{what}: {took:?} to refuse one line");
    }
}

// ---------------------------------------------------------------------------
// The limits of the event format, at the edge and one past it

/// A statement line padded with spaces inside the object to exactly `len`
/// bytes (without its line ending).
fn padded_line(len: usize) -> String {
    let head =
        r#"{"type":"statement","id":"padded","date":"2017","speaker":"peskov","text":"Padded.""#;
    let pad = len - head.len() - 1;
    format!("{head}{}}}", " ".repeat(pad))
}

#[test]
fn lines_of_8_mib_are_read_and_longer_ones_refused() {
    const LIMIT: usize = 8 << 20;
    let (db, before) = example_db();
    for ending in ["\n", "\r\n", ""] {
        let over = format!("{}{ending}", padded_line(LIMIT + 1));
        let err = refused(&db, &before, "over.jsonl", over.as_bytes(), 1);
        assert!(
            err.contains("line is longer than 8 MiB"),
            "{ending:?}: {err}"
        );
    }
    for ending in ["\n", "\r\n", ""] {
        let db = Db::new();
        db.import_fixture("example.jsonl");
        let at = format!("{}{ending}", padded_line(LIMIT));
        let out = accepted(&db, "at-limit.jsonl", at.as_bytes());
        assert!(out.contains("imported 1 new event"), "{ending:?}: {out}");
    }
}

#[test]
fn long_text_fields_of_1_mib_are_accepted_and_longer_ones_refused() {
    const LIMIT: usize = 1 << 20;
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let at = "x".repeat(LIMIT);
    // 524,288 two-byte characters: the limit counts bytes.
    let wide = "é".repeat(LIMIT / 2);
    let fits = [
        json!({"type":"statement","id":"text-at-limit","date":"2017","speaker":"peskov","text":at}),
        json!({"type":"statement","id":"wide-at-limit","date":"2017","speaker":"peskov","text":wide}),
        json!({"type":"action","id":"summary-at-limit","date":"2017","actor":"russia","kind":"call","summary":at}),
        json!({"type":"actor","id":"described","name":"D","kind":"person","description":at}),
        json!({"type":"retraction","target":"text-at-limit","reason":at}),
    ];
    for line in &fits {
        let out = accepted(&db, "fits.jsonl", &lines(&[&line.to_string()]));
        assert!(out.contains("imported 1 new event"), "{out}");
    }
    let before = db.export();
    let over = format!("{at}x");
    let wide_over = format!("{wide}é");
    let refusals = [
        (
            "text",
            json!({"type":"statement","date":"2017","speaker":"peskov","text":over}),
        ),
        (
            "text",
            json!({"type":"statement","date":"2017","speaker":"peskov","text":wide_over}),
        ),
        (
            "summary",
            json!({"type":"action","date":"2017","actor":"russia","kind":"call","summary":over}),
        ),
        (
            "description",
            json!({"type":"actor","id":"described-2","name":"D","kind":"person","description":over}),
        ),
        (
            "reason",
            json!({"type":"retraction","target":"peskov-confirms-proposals","reason":over}),
        ),
    ];
    for (field, line) in refusals {
        let err = refused(&db, &before, "over.jsonl", &lines(&[&line.to_string()]), 1);
        assert!(
            err.contains(&format!("field \"{field}\"")) && err.contains("at most 1 MiB"),
            "{err}"
        );
    }
    db.ok(&["verify"]);
}

#[test]
fn lists_of_1000_entries_are_accepted_and_longer_ones_refused() {
    let db = Db::new();
    // 1001 actors to mention and address.
    let mut setup: Vec<String> = (0..=1000)
        .map(|i| {
            json!({"type":"actor","id":format!("a{i}"),"name":format!("A {i}"),"kind":"person"})
                .to_string()
        })
        .collect();
    setup.push(json!({"type":"actor","id":"speaker","name":"S","kind":"person"}).to_string());
    let refs: Vec<&str> = setup.iter().map(String::as_str).collect();
    accepted(&db, "actors.jsonl", &lines(&refs));
    let ids = |n: usize| (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>();
    let tags = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    let sources = |n: usize| {
        (0..n)
            .map(|i| json!({"outlet":format!("o{i}")}))
            .collect::<Vec<_>>()
    };
    let aliases = |n: usize| (0..n).map(|i| format!("alias {i}")).collect::<Vec<_>>();
    let statement = |field: &str, value: Value, id: &str| {
        let mut s =
            json!({"type":"statement","id":id,"date":"2017","speaker":"speaker","text":"t"});
        s[field] = value;
        s
    };
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "tags",
            statement("tags", json!(tags(1000)), "l-tags"),
            statement("tags", json!(tags(1001)), "l-tags-2"),
        ),
        (
            "mentions",
            statement("mentions", json!(ids(1000)), "l-mentions"),
            statement("mentions", json!(ids(1001)), "l-mentions-2"),
        ),
        (
            "to",
            statement("to", json!(ids(1000)), "l-to"),
            statement("to", json!(ids(1001)), "l-to-2"),
        ),
        (
            "sources",
            statement("sources", json!(sources(1000)), "l-sources"),
            statement("sources", json!(sources(1001)), "l-sources-2"),
        ),
        (
            "targets",
            json!({"type":"action","id":"l-targets","date":"2017","actor":"speaker","kind":"call","summary":"s","targets":ids(1000)}),
            json!({"type":"action","id":"l-targets-2","date":"2017","actor":"speaker","kind":"call","summary":"s","targets":ids(1001)}),
        ),
        (
            "aliases",
            json!({"type":"actor","id":"many-names","name":"M","kind":"person","aliases":aliases(1000)}),
            json!({"type":"actor","id":"too-many-names","name":"M","kind":"person","aliases":aliases(1001)}),
        ),
    ];
    for (field, at, over) in cases {
        let out = accepted(&db, "at.jsonl", &lines(&[&at.to_string()]));
        assert!(out.contains("imported 1 new event"), "{field}: {out}");
        let before = db.export();
        let err = refused(&db, &before, "over.jsonl", &lines(&[&over.to_string()]), 1);
        assert!(
            err.contains(&format!("field \"{field}\"")) && err.contains("at most 1000 entries"),
            "{field}: {err}"
        );
    }
    db.ok(&["verify"]);
}

#[test]
fn ids_of_64_characters_are_accepted_and_longer_ones_refused() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let at = format!("a{}", "-b".repeat(31) + "c");
    assert_eq!(at.len(), 64);
    let over = format!("{at}d");
    let fits = [
        json!({"type":"actor","id":at,"name":"Long","kind":"person"}),
        json!({"type":"statement","id":at,"date":"2017","speaker":at,"text":"t"}),
    ];
    for line in fits {
        let out = accepted(&db, "ids.jsonl", &lines(&[&line.to_string()]));
        assert!(out.contains("imported 1 new event"), "{out}");
    }
    let before = db.export();
    for (field, line) in [
        (
            "id",
            json!({"type":"actor","id":over,"name":"Longer","kind":"person"}),
        ),
        (
            "id",
            json!({"type":"statement","id":over,"date":"2017","speaker":"peskov","text":"t"}),
        ),
        (
            "speaker",
            json!({"type":"statement","date":"2017","speaker":over,"text":"t"}),
        ),
        (
            "about",
            json!({"type":"statement","date":"2017","speaker":"peskov","text":"t","about":[over]}),
        ),
    ] {
        let err = refused(&db, &before, "ids.jsonl", &lines(&[&line.to_string()]), 1);
        assert!(
            err.contains(&format!("field \"{field}")) && err.contains("at most 64 characters"),
            "{err}"
        );
    }
}

/// Short fields (names, roles, places, outlets, urls, tags...) are capped
/// at 4096 bytes, beyond the limits EVENTS.md names.
#[test]
fn short_fields_of_4096_bytes_are_accepted_and_longer_ones_refused() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let at = "n".repeat(4096);
    let over = format!("{at}n");
    let cases = [
        (
            "name",
            json!({"type":"actor","id":"short-a","name":at,"kind":"person"}),
            json!({"type":"actor","id":"short-b","name":over,"kind":"person"}),
        ),
        (
            "role",
            json!({"type":"affiliation","actor":"peskov","org":"kremlin","role":at}),
            json!({"type":"affiliation","actor":"peskov","org":"kremlin","role":over}),
        ),
        (
            "sources[0].outlet",
            json!({"type":"statement","date":"2017","speaker":"peskov","text":"a","sources":[{"outlet":at}]}),
            json!({"type":"statement","date":"2017","speaker":"peskov","text":"b","sources":[{"outlet":over}]}),
        ),
        (
            "tags[0]",
            json!({"type":"statement","date":"2017","speaker":"peskov","text":"c","tags":[at]}),
            json!({"type":"statement","date":"2017","speaker":"peskov","text":"d","tags":[over]}),
        ),
    ];
    for (field, fits, too_long) in cases {
        let out = accepted(&db, "short.jsonl", &lines(&[&fits.to_string()]));
        assert!(out.contains("imported 1 new event"), "{field}: {out}");
        let before = db.export();
        let err = refused(
            &db,
            &before,
            "short.jsonl",
            &lines(&[&too_long.to_string()]),
            1,
        );
        assert!(
            err.contains(&format!(
                "field \"{field}\": \"4097 bytes\" is too long (at most 4096 bytes)"
            )),
            "{err}"
        );
    }
}

/// An event as large as a line may be still makes an export line that
/// imports again: the backup stays lossless at the limit.
#[test]
fn an_event_at_the_line_limit_survives_export_and_import() {
    const LIMIT: usize = 8 << 20;
    let db = Db::new();
    db.import_fixture("example.jsonl");
    // Dense content, no padding: 1 MiB of text, 1 MiB of original text and
    // 1000 sources with long outlets and urls, grown to exactly the limit.
    let mut event = json!({"type":"statement","id":"largest","date":"2017","speaker":"peskov",
                           "text":"x".repeat(1 << 20),
                           "original":{"language":"ru","text":"y".repeat(1 << 20)}});
    let sources: Vec<Value> = (0..1000)
        .map(|i| json!({"outlet": format!("outlet {i:04} {}", "o".repeat(3500)), "url": "u"}))
        .collect();
    event["sources"] = json!(sources);
    let mut short = LIMIT - event.to_string().len();
    for i in 0..1000 {
        let grow = short.min(4095);
        event["sources"][i]["url"] = json!("u".repeat(1 + grow));
        short -= grow;
    }
    let line = event.to_string();
    assert_eq!(line.len(), LIMIT);
    let out = accepted(&db, "largest.jsonl", &lines(&[&line]));
    assert!(out.contains("imported 1 new event"), "{out}");
    let export = db.export();
    let copy = Db::new();
    let file = copy.dir.path().join("backup.jsonl");
    std::fs::write(&file, &export).unwrap();
    let out = copy.run(&["import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "the export of a {LIMIT}-byte event line does not import again: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(copy.export(), export);
    // The allowance is for an envelope's own fields, not for more event:
    // padded past it, the envelope line is refused.
    let envelope = export.lines().last().unwrap();
    let padded = format!("{} }}", &envelope[..envelope.len() - 1]);
    let over = format!(
        "{}{}}}",
        &padded[..padded.len() - 1],
        " ".repeat(LIMIT + 1024 - padded.len() + 1)
    );
    assert_eq!(over.len(), LIMIT + 1025);
    let other = Db::new();
    other.import_fixture("example.jsonl");
    let before = other.export();
    let err = refused(&other, &before, "padded.jsonl", &lines(&[&over]), 1);
    assert!(err.contains("line is longer than 8 MiB"), "{err}");
}
