//! The views and their exports, run through the real binary on temporary
//! databases: snapshots of every format on the model story, Graphviz
//! rendering of every DOT output, XML parsing of GEXF and GraphML, TimelineJS
//! checked field by field, CSV parsed back, and hostile labels that must
//! leave every format valid and show the text as written.
//!
//! Snapshots live in tests/snapshots/; `UPDATE_SNAPSHOTS=1 cargo test --test
//! views` rewrites them (then read the diff before committing).

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};

use assert_cmd::Command;
use serde_json::{json, Value};

/// Recording times are pinned so that outputs carrying them are stable.
const CLOCK: &str = "2026-11-26T12:00:00Z";

struct Db {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("views.db");
        Db { dir, path }
    }

    /// A database holding the model story.
    fn story() -> Db {
        let db = Db::new();
        db.ok(&["import", &fixture("story.jsonl")]);
        db
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("demarche").expect("binary");
        c.env_remove("DEMARCHE_LOCK_TIMEOUT")
            .env("DEMARCHE_FIXED_CLOCK", CLOCK)
            .env("DEMARCHE_DB", &self.path);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run demarche")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "demarche {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Run, expect exit code 1 with one `error:` line; return it.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "demarche {args:?} should fail; stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8(out.stderr).expect("utf-8 stderr");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
        err
    }

    /// Import JSON Lines written from values.
    fn import_values(&self, name: &str, events: &[Value]) {
        let text: String = events.iter().map(|e| format!("{e}\n")).collect();
        let file = self.dir.path().join(name);
        std::fs::write(&file, text).expect("write input");
        self.ok(&["import", file.to_str().expect("path")]);
    }

    fn json_lines(&self, args: &[&str]) -> Vec<Value> {
        self.ok(args)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Compare with tests/snapshots/NAME, or rewrite it with UPDATE_SNAPSHOTS=1.
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its snapshot at line {}:\nexpected: {:?}\nactual:   {:?}\n(UPDATE_SNAPSHOTS=1 rewrites it)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

/// Render DOT with Graphviz; the test fails when `dot` fails or is missing.
fn render(dot: &str) -> String {
    let mut child = StdCommand::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` must be installed to run these tests (apt-get install graphviz)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(dot.as_bytes()).expect("write to dot");
    }
    let out = child.wait_with_output().expect("dot runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dot failed: {stderr}\n{dot}");
    assert!(
        !stderr.contains("Error") && !stderr.contains("syntax error"),
        "dot complained: {stderr}"
    );
    String::from_utf8(out.stdout).expect("utf-8 svg")
}

/// The text lines Graphviz drew, from its SVG.
fn svg_texts(svg: &str) -> Vec<String> {
    // Graphviz starts its SVG with a DOCTYPE.
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc =
        roxmltree::Document::parse_with_options(svg, opts).expect("Graphviz writes valid SVG");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

/// RFC 4180 parsing, written out so the test does not trust the writer.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(cell.is_empty(), "a quote inside an unquoted cell: {cell:?}");
                quoted = true;
            }
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR must start a CRLF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            '\n' => panic!("a bare LF ends a record; RFC 4180 wants CRLF"),
            c => cell.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted cell");
    assert!(
        cell.is_empty() && row.is_empty(),
        "the last record lacks its CRLF"
    );
    rows
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap_or("").to_string())
        .collect()
}

// ---- snapshots of every format on the story ------------------------------

#[test]
fn every_format_matches_its_snapshot_on_the_story() {
    let db = Db::story();
    let cases: [(&str, &[&str]); 18] = [
        ("timeline.txt", &["timeline"]),
        ("timeline.jsonl", &["timeline", "--format", "json"]),
        (
            "timeline-ranged.jsonl",
            &[
                "timeline", "--format", "json", "--since", "2017-05", "--until", "2017-07",
            ],
        ),
        (
            "timeline.timelinejs.json",
            &[
                "timeline",
                "--format",
                "timelinejs",
                "--title",
                "Russia offered a reset",
            ],
        ),
        ("timeline.csv", &["timeline", "--format", "csv"]),
        ("timeline.dot", &["timeline", "--format", "dot"]),
        ("graph.dot", &["graph"]),
        ("graph.json", &["graph", "--format", "json"]),
        ("graph.gexf", &["graph", "--format", "gexf"]),
        ("graph.graphml", &["graph", "--format", "graphml"]),
        (
            "graph-around-peskov.dot",
            &["graph", "--around", "Peskov", "--depth", "1"],
        ),
        ("path-peskov-comey.txt", &["path", "peskov", "comey"]),
        (
            "path-peskov-comey.json",
            &["path", "peskov", "comey", "--json"],
        ),
        ("rank.txt", &["rank"]),
        ("rank-top5.jsonl", &["rank", "--top", "5", "--json"]),
        (
            "perspectives.txt",
            &["perspectives", "russia-normalization-proposal"],
        ),
        (
            "perspectives.jsonl",
            &["perspectives", "russia-normalization-proposal", "--json"],
        ),
        (
            "timeline-comey-firing.dot",
            &["timeline", "--format", "dot", "--tag", "comey-firing"],
        ),
    ];
    for (name, args) in cases {
        snapshot(name, &db.ok(args));
    }
}

#[test]
fn the_same_log_gives_byte_identical_output() {
    let (a, b) = (Db::story(), Db::story());
    for args in [
        &["timeline", "--format", "json"][..],
        &["timeline", "--format", "timelinejs"],
        &["timeline", "--format", "csv"],
        &["timeline", "--format", "dot"],
        &["graph"],
        &["graph", "--format", "json"],
        &["graph", "--format", "gexf"],
        &["graph", "--format", "graphml"],
        &["rank", "--json"],
        &["path", "peskov", "comey", "--json"],
        &["perspectives", "russia-normalization-proposal", "--json"],
    ] {
        let first = a.ok(args);
        assert_eq!(first, a.ok(args), "{args:?} twice on one database");
        assert_eq!(
            first,
            b.ok(args),
            "{args:?} on two databases of the same log"
        );
    }
}

// ---- timeline -------------------------------------------------------------

#[test]
fn the_month_precision_proposal_comes_before_every_day_of_march() {
    let db = Db::story();
    // The story has no day-precision event in March 2017: add two.
    db.import_values(
        "march.jsonl",
        &[
            json!({"type":"statement","id":"march-9","date":"2017-03-09","speaker":"peskov","text":"A day in March."}),
            json!({"type":"action","id":"march-1","date":"2017-03-01","actor":"putin","kind":"call","summary":"A call on the first of March.","targets":["trump"]}),
            json!({"type":"action","id":"march-31","date":"2017-03-31T23:00:00Z","actor":"lavrov","kind":"visit","summary":"Late on the last day of March."}),
        ],
    );
    let entries = db.json_lines(&["timeline", "--format", "json"]);
    let order = ids(&entries);
    let pos = |id: &str| {
        order
            .iter()
            .position(|x| x == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let proposal = pos("russia-normalization-proposal");
    for day in ["march-1", "march-9", "march-31"] {
        assert!(
            proposal < pos(day),
            "the month must precede {day}: {order:?}"
        );
    }
    // The whole timeline is in date order: earliest bound, then wider first.
    let bounds: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
            // An open start sorts first; an open end is the widest.
            (
                if e["earliest"].is_null() {
                    String::new()
                } else {
                    s("earliest")
                },
                if e["latest"].is_null() {
                    "~".to_string()
                } else {
                    s("latest")
                },
            )
        })
        .collect();
    for w in bounds.windows(2) {
        assert!(w[0].0 <= w[1].0, "earliest bounds out of order: {w:?}");
        if w[0].0 == w[1].0 {
            assert!(w[0].1 >= w[1].1, "wider dates come first: {w:?}");
        }
    }
    // Every statement and action of the story is there, retracted none.
    let story_entries = std::fs::read_to_string(fixture("story.jsonl"))
        .expect("story")
        .lines()
        .filter(|l| l.contains("\"type\":\"statement\"") || l.contains("\"type\":\"action\""))
        .count();
    assert_eq!(entries.len(), story_entries + 3);
}

#[test]
fn timeline_json_carries_the_documented_schema() {
    let db = Db::story();
    let entries = db.json_lines(&["timeline", "--format", "json"]);
    let peskov = entries
        .iter()
        .find(|e| e["id"] == "peskov-confirms-proposals")
        .expect("Peskov's confirmation");
    // Keys come in a fixed order: read them from the raw line.
    let raw = db.ok(&["timeline", "--format", "json", "--actor", "peskov"]);
    let line = raw.lines().next().expect("a line");
    let at = |k: &str| {
        line.find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("no {k}"))
    };
    let order = [
        "seq",
        "id",
        "recorded_at",
        "v",
        "type",
        "kind",
        "date",
        "display_date",
        "earliest",
        "latest",
        "headline",
        "text",
        "actors",
        "sources",
        "tags",
        "corrections",
        "event",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{line}");
    assert_eq!(peskov.as_object().map(|o| o.len()), Some(order.len()));
    assert_eq!(peskov["type"], "statement");
    assert_eq!(peskov["kind"], "statement");
    assert_eq!(peskov["date"], "2017-09-13");
    assert_eq!(peskov["display_date"], "13 September 2017");
    assert_eq!(peskov["earliest"], "2017-09-13T00:00:00.000Z");
    assert_eq!(peskov["latest"], "2017-09-13T23:59:59.999Z");
    assert_eq!(peskov["event"]["speaker"], "peskov");
    assert_eq!(peskov["text"], peskov["event"]["text"]);
    assert_eq!(
        peskov["actors"][0],
        json!({"id":"peskov","name":"Dmitry Peskov","roles":["speaker"]})
    );
    assert_eq!(
        peskov["actors"][1],
        json!({"id":"usa","name":"United States","roles":["mention"]})
    );
    assert_eq!(peskov["sources"][0]["outlet"], "RIA Novosti");
    assert!(
        peskov.get("within").is_none(),
        "within only when a range is given"
    );
    let reader = entries
        .iter()
        .find(|e| e["id"] == "reader-1-perspective")
        .expect("reader");
    assert!(
        reader["latest"].is_null(),
        "an open end has no latest instant"
    );
    let proposal = entries
        .iter()
        .find(|e| e["id"] == "russia-normalization-proposal")
        .expect("proposal");
    assert_eq!(proposal["kind"], "proposal");
    assert_eq!(proposal["type"], "action");

    let ranged = db.json_lines(&[
        "timeline", "--format", "json", "--since", "2017-03", "--until", "2017-03",
    ]);
    let within = |id: &str| {
        ranged
            .iter()
            .find(|e| e["id"] == id)
            .map(|e| e["within"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(within("russia-normalization-proposal"), "certain");
    assert_eq!(within("us-severs-channels"), "possible");
    let certain = db.json_lines(&[
        "timeline",
        "--format",
        "json",
        "--since",
        "2017-03",
        "--until",
        "2017-03",
        "--certain",
    ]);
    assert_eq!(ids(&certain), ["russia-normalization-proposal"]);
}

#[test]
fn timeline_filters_combine() {
    let db = Db::story();
    let run = |args: &[&str]| {
        let mut all = vec!["timeline", "--format", "json"];
        all.extend_from_slice(args);
        ids(&db.json_lines(&all))
    };
    // An actor in any role, by alias: Peskov speaks; Lavrov is a target.
    assert_eq!(
        run(&["--actor", "Дмитрий Песков"]),
        ["peskov-confirms-proposals", "peskov-no-reciprocity"]
    );
    assert_eq!(run(&["--actor", "lavrov"]), ["trump-lavrov-meeting"]);
    // Repeated actors mean any of them.
    assert_eq!(
        run(&["--actor", "lavrov", "--actor", "nauert"]),
        [
            "trump-lavrov-meeting",
            "nauert-cannot-confirm",
            "nauert-supports-improvement"
        ]
    );
    // Kinds: an action kind, or the event type.
    assert_eq!(
        run(&["--kind", "meeting"]),
        [
            "proposed-meetings-partly-held",
            "trump-lavrov-meeting",
            "putin-trump-first-meeting"
        ]
    );
    assert!(run(&["--kind", "statement"])
        .iter()
        .all(|id| !id.contains("meeting")));
    assert_eq!(
        run(&[
            "--kind",
            "action",
            "--actor",
            "trump",
            "--tag",
            "comey-firing"
        ]),
        ["comey-fired", "trump-lavrov-meeting"]
    );
    assert_eq!(run(&["--search", "RECIPROCITY"]), ["peskov-no-reciprocity"]);
    assert_eq!(
        run(&[
            "--tag",
            "comey-firing",
            "--since",
            "2017-05-10",
            "--until",
            "2017-05-10",
            "--certain"
        ]),
        ["trump-lavrov-meeting"]
    );
    assert_eq!(
        db.ok(&["timeline", "--search", "nothing like this"]),
        "no entries match\n"
    );
    let err = db.fails(&["timeline", "--actor", "peskow"]);
    assert!(err.contains("did you mean \"peskov\""), "{err}");
}

#[test]
fn corrections_move_and_retractions_remove_entries_with_as_of() {
    let db = Db::story();
    let before = db.json_lines(&["timeline", "--format", "json"]);
    db.ok(&[
        "correct",
        "comey-fired",
        "--set",
        "date=2017-05-11",
        "--reason",
        "test: a later day",
    ]);
    db.ok(&[
        "retract",
        "nauert-cannot-confirm",
        "--reason",
        "test: withdrawn",
    ]);
    let after = ids(&db.json_lines(&["timeline", "--format", "json"]));
    assert!(!after.contains(&"nauert-cannot-confirm".to_string()));
    let pos = |id: &str| after.iter().position(|x| x == id).unwrap_or(usize::MAX);
    assert!(
        pos("trump-lavrov-meeting") < pos("comey-fired"),
        "the corrected date moves it: {after:?}"
    );
    assert_eq!(
        after.iter().filter(|x| *x == "comey-fired").count(),
        1,
        "indexed under two dates, listed once"
    );
    let fired = db
        .json_lines(&["timeline", "--format", "json", "--kind", "dismissal"])
        .remove(0);
    assert_eq!(fired["date"], "2017-05-11");
    assert_eq!(fired["corrections"].as_array().map(Vec::len), Some(1));
    // As of the story alone, nothing changed.
    let story_seq = "69";
    assert_eq!(
        ids(&db.json_lines(&["timeline", "--format", "json", "--as-of", story_seq])),
        ids(&before)
    );
    // The graph and perspectives forget the retracted statement too.
    let persp = ids(&db.json_lines(&["perspectives", "russia-normalization-proposal", "--json"]));
    assert!(!persp.contains(&"nauert-cannot-confirm".to_string()));
    let old = ids(&db.json_lines(&[
        "perspectives",
        "russia-normalization-proposal",
        "--json",
        "--as-of",
        story_seq,
    ]));
    assert!(old.contains(&"nauert-cannot-confirm".to_string()));
    let graph = db.json(&["graph", "--format", "json"]);
    let events: Vec<&str> = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .flat_map(|e| {
            e["events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
        })
        .collect();
    assert!(!events.contains(&"nauert-cannot-confirm"));
    let old_graph = db.json(&["graph", "--format", "json", "--as-of", story_seq]);
    assert!(old_graph.to_string().contains("nauert-cannot-confirm"));
}

#[test]
fn timelinejs_is_a_valid_document_field_by_field() {
    let db = Db::story();
    let doc = db.json(&[
        "timeline",
        "--format",
        "timelinejs",
        "--title",
        "Reset <2017>",
    ]);
    assert_eq!(doc["title"]["text"]["headline"], "Reset &lt;2017&gt;");
    let events = doc["events"].as_array().expect("events");
    let timeline = db.json_lines(&["timeline", "--format", "json"]);
    assert_eq!(events.len(), timeline.len());
    let slide = |id: &str| {
        events
            .iter()
            .find(|e| e["unique_id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    for e in events {
        let start = e["start_date"].as_object().expect("start_date");
        assert!(start["year"].is_i64(), "{e}");
        assert!(e["text"]["headline"].is_string() && e["text"]["text"].is_string());
        assert!(e["display_date"].is_string() && e["group"].is_string());
        // Text is escaped: no markup but the slide's own.
        let body = e["text"]["text"].as_str().unwrap_or("");
        let stripped = body
            .replace("<p>", "")
            .replace("</p>", "")
            .replace("<em>", "")
            .replace("</em>", "")
            .replace("<br>", "")
            .replace("</a>", "");
        let stripped: String = stripped
            .split("<a href=")
            .map(|p| p.split_once('>').map_or(p, |x| x.1))
            .collect();
        assert!(
            !stripped.contains('<') && !stripped.contains('"'),
            "unescaped text: {body}"
        );
    }
    // Month precision: a year and a month, no day.
    let proposal = slide("russia-normalization-proposal");
    assert_eq!(proposal["start_date"], json!({"year": 2017, "month": 3}));
    assert!(proposal.get("end_date").is_none());
    assert_eq!(proposal["display_date"], "March 2017");
    assert_eq!(proposal["group"], "Russia");
    assert_eq!(
        proposal["text"]["headline"],
        "Russia: proposal → Trump administration"
    );
    // Year precision.
    assert_eq!(
        slide("russia-2016-election-interference")["start_date"],
        json!({"year": 2016})
    );
    // An interval has an end_date at its own precision.
    let severed = slide("us-severs-channels");
    assert_eq!(severed["start_date"], json!({"year": 2014, "month": 2}));
    assert_eq!(severed["end_date"], json!({"year": 2017, "month": 3}));
    // An open-ended interval: start only.
    let reader = slide("reader-1-perspective");
    assert_eq!(
        reader["start_date"],
        json!({"year": 2017, "month": 9, "day": 13})
    );
    assert!(reader.get("end_date").is_none());
    // A date-time keeps its time of day (in UTC).
    let hudson = slide("hudson-kremlin-underestimated");
    assert_eq!(
        hudson["start_date"],
        json!({"year": 2017, "month": 9, "day": 13, "hour": 16, "minute": 59, "second": 0})
    );
    // HTML escaping of user text: the apostrophe in Nauert's quote.
    let nauert = slide("nauert-cannot-confirm");
    assert_eq!(nauert["group"], "Heather Nauert");
    assert!(nauert["text"]["text"]
        .as_str()
        .unwrap_or("")
        .contains("can&#39;t confirm"));
    assert!(nauert["text"]["headline"]
        .as_str()
        .unwrap_or("")
        .contains("can&#39;t"));
}

#[test]
fn csv_parses_back_with_one_row_per_entry() {
    let db = Db::story();
    let rows = parse_csv(&db.ok(&["timeline", "--format", "csv"]));
    let timeline = db.json_lines(&["timeline", "--format", "json"]);
    assert_eq!(rows.len(), timeline.len() + 1);
    let header = &rows[0];
    for col in [
        "seq",
        "id",
        "date",
        "kind",
        "speaker_or_actor",
        "targets_or_to",
        "stance",
        "text_or_summary",
        "sources",
        "tags",
    ] {
        assert!(header.iter().any(|h| h == col), "missing column {col}");
    }
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(usize::MAX);
    for (row, entry) in rows[1..].iter().zip(&timeline) {
        assert_eq!(row[col("id")], entry["id"].as_str().unwrap_or(""));
        assert_eq!(
            row[col("text_or_summary")],
            entry["text"].as_str().unwrap_or("")
        );
    }
    let nauert = rows
        .iter()
        .find(|r| r[col("id")] == "nauert-cannot-confirm")
        .expect("row");
    assert_eq!(nauert[col("stance")], "declines");
    assert_eq!(nauert[col("speaker_or_actor")], "nauert");
    assert_eq!(nauert[col("kind")], "statement");
    let lavrov = rows
        .iter()
        .find(|r| r[col("id")] == "trump-lavrov-meeting")
        .expect("row");
    assert_eq!(lavrov[col("targets_or_to")], "lavrov");
    assert_eq!(lavrov[col("tags")], "russia-us-reset; comey-firing");
}

#[test]
fn every_dot_output_renders_with_graphviz() {
    let db = Db::story();
    for args in [
        &["timeline", "--format", "dot"][..],
        &["timeline", "--format", "dot", "--actor", "peskov"],
        &["timeline", "--format", "dot", "--search", "no such text"],
        &["graph"],
        &["graph", "--around", "comey", "--depth", "2"],
        &["graph", "--since", "2017-05", "--until", "2017-05"],
    ] {
        let svg = render(&db.ok(args));
        assert!(svg.contains("<svg"), "{args:?}");
    }
    let texts = svg_texts(&render(&db.ok(&["graph"])));
    for label in [
        "Dmitry Peskov",
        "spokesman",
        "Kremlin",
        "director, until 9 May 2017",
        "confirms",
        "declines",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "{label:?} not drawn: {texts:?}"
        );
    }
}

#[test]
fn dot_of_long_texts_and_busy_edges_still_renders() {
    // A quotation of 40 KB (the limit is 1 MiB) and an edge of 400 events
    // go into tooltips; Graphviz reads no string over 16 KiB.
    let db = Db::new();
    let mut lines = vec![
        json!({"type":"actor","id":"a","name":"A & Co","kind":"organization"}),
        json!({"type":"actor","id":"b","name":"B","kind":"person"}),
        json!({"type":"statement","id":"long","date":"2017-01-02","speaker":"a",
               "text":"Words & more words. ".repeat(2_000)}),
    ];
    lines.extend((0..400).map(|i| {
        json!({"type":"statement","id":format!("a-rather-long-event-id-for-one-of-the-mentions-{i:03}"),"date":"2018-01-02",
               "speaker":"a","mentions":["b"],"text":format!("mention {i}")})
    }));
    db.import_values("long.jsonl", &lines);
    for args in [
        &["timeline", "--format", "dot", "--until", "2017"][..],
        &["graph"],
    ] {
        let dot = db.ok(args);
        assert!(
            dot.lines().any(|l| l.len() > 16_000),
            "{args:?}: nothing long"
        );
        render(&dot);
    }
}

#[test]
fn graph_clusters_members_by_their_most_recent_affiliation() {
    let db = Db::story();
    // Comey joins a law firm later: he moves to its cluster; the FBI
    // directorship, ended, stays as an edge.
    db.import_values(
        "later.jsonl",
        &[
            json!({"type":"actor","id":"law-firm","name":"A Law Firm","kind":"organization"}),
            json!({"type":"affiliation","id":"comey-law-firm","actor":"comey","org":"law-firm","role":"partner","from":"2018-01"}),
        ],
    );
    let dot = db.ok(&["graph"]);
    render(&dot);
    let cluster = |org: &str| {
        let start = dot
            .find(&format!("subgraph \"cluster_{org}\" {{"))
            .unwrap_or_else(|| panic!("no cluster {org}"));
        let end = dot[start..]
            .find("\n  }\n")
            .map_or(dot.len(), |e| start + e);
        dot[start..end].to_string()
    };
    assert!(cluster("law-firm").contains("\"comey\" [label=\"James Comey\\npartner\""));
    assert!(
        !dot.contains("subgraph \"cluster_fbi\""),
        "the FBI has no member left to cluster"
    );
    assert!(
        cluster("usa").contains("\"fbi\""),
        "so it sits in its own organisation's"
    );
    assert!(dot.contains("\"comey\" -> \"fbi\" [label=\"director\\nuntil 9 May 2017\""));
    assert!(
        !dot.contains("\"comey\" -> \"law-firm\""),
        "the cluster shows the affiliation"
    );
    // Clusters are not nested: the Kremlin heads its own cluster and its
    // place in Russia is an edge.
    assert!(cluster("kremlin").contains("\"peskov\""));
    assert!(!cluster("russia").contains("\"kremlin\""));
    assert!(dot.contains("\"kremlin\" -> \"russia\" [label=\"government\""));
    assert_eq!(
        dot.matches("subgraph").count(),
        dot.matches("cluster_").count()
    );
}

#[test]
fn graph_json_has_every_relation_with_counts_and_dates() {
    let db = Db::story();
    let g = db.json(&["graph", "--format", "json"]);
    let nodes = g["nodes"].as_array().expect("nodes");
    let edges = g["edges"].as_array().expect("edges");
    let edge = |s: &str, t: &str, rel: &str, label: &str| {
        edges
            .iter()
            .find(|e| {
                e["source"] == s && e["target"] == t && e["relation"] == rel && e["label"] == label
            })
            .unwrap_or_else(|| panic!("no {rel} edge {s} -> {t} ({label})"))
            .clone()
    };
    let aff = edge("peskov", "kremlin", "affiliation", "spokesman");
    assert_eq!(aff["count"], 1);
    assert_eq!(aff["events"], json!(["peskov-kremlin-spokesman"]));
    let comey = edge("comey", "fbi", "affiliation", "director");
    assert_eq!(
        (comey["first"].clone(), comey["last"].clone()),
        (json!("2013-09-04"), json!("2017-05-09"))
    );
    let proposal = edge("russia", "trump-administration", "action", "proposal");
    assert_eq!(proposal["first"], "2017-03");
    assert_eq!(proposal["start"], "2017-03-01T00:00:00.000Z");
    assert_eq!(proposal["end"], "2017-03-31T23:59:59.999Z");
    let mention = edge("peskov", "usa", "mention", "");
    assert_eq!(mention["count"], 2);
    assert_eq!(
        mention["events"],
        json!(["peskov-confirms-proposals", "peskov-no-reciprocity"])
    );
    // Responses point at the actor of the event they are about, with the stance.
    edge("peskov", "russia", "response", "confirms");
    edge("nauert", "russia", "response", "declines");
    edge("kremlin", "buzzfeed-news", "response", "confirms");
    let reader = edge("reader-1", "russia", "response", "criticizes");
    assert_eq!(reader["first"], "2017-09-13/..");
    assert!(reader["end"].is_null());
    // Nodes: exactly the actors with an edge, sorted, with their profile.
    let node_ids: Vec<&str> = nodes.iter().filter_map(|n| n["id"].as_str()).collect();
    let mut sorted = node_ids.clone();
    sorted.sort_unstable();
    assert_eq!(node_ids, sorted);
    for e in edges {
        assert!(node_ids.contains(&e["source"].as_str().unwrap_or("")));
        assert!(node_ids.contains(&e["target"].as_str().unwrap_or("")));
    }
    let peskov = nodes.iter().find(|n| n["id"] == "peskov").expect("peskov");
    assert_eq!(
        *peskov,
        json!({"id":"peskov","name":"Dmitry Peskov","kind":"person","country":"RUS"})
    );

    // A window keeps the events overlapping it and the affiliations whose
    // period overlaps it.
    let may = db.json(&[
        "graph",
        "--format",
        "json",
        "--since",
        "2017-05-09",
        "--until",
        "2017-05-09",
    ]);
    let may_events: Vec<&str> = may["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .flat_map(|e| {
            e["events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
        })
        .collect();
    assert!(may_events.contains(&"comey-fired"));
    assert!(
        may_events.contains(&"comey-fbi-director"),
        "ended that day: overlaps"
    );
    assert!(!may_events.contains(&"trump-lavrov-meeting"));
    assert!(!may_events.contains(&"peskov-confirms-proposals"));
    let later = db.json(&["graph", "--format", "json", "--since", "2017-06"]);
    assert!(
        !later.to_string().contains("comey-fbi-director"),
        "ended before the window"
    );

    // Around an actor, ignoring direction.
    let around = db.json(&["graph", "--format", "json", "--around", "comey"]);
    let ids: Vec<&str> = around["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert_eq!(ids, ["comey", "fbi", "trump"]);
    let deeper = db.json(&[
        "graph", "--format", "json", "--around", "comey", "--depth", "2",
    ]);
    assert!(deeper["nodes"].as_array().map_or(0, Vec::len) > 3);
    let out = db.run(&["graph", "--depth", "2"]);
    assert_eq!(out.status.code(), Some(2), "--depth needs --around");
}

#[test]
fn gexf_is_dynamic_gexf_1_3_with_day_spells() {
    let db = Db::story();
    let text = db.ok(&["graph", "--format", "gexf"]);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    let ns = "http://gexf.net/1.3";
    assert!(root.has_tag_name((ns, "gexf")));
    assert_eq!(root.attribute("version"), Some("1.3"));
    let graph = root
        .children()
        .find(|n| n.has_tag_name((ns, "graph")))
        .expect("graph");
    assert_eq!(graph.attribute("mode"), Some("dynamic"));
    assert_eq!(graph.attribute("timeformat"), Some("date"));
    assert_eq!(graph.attribute("defaultedgetype"), Some("directed"));
    // GEXF 1.3 dropped `mode` on <attributes>: the graph's own mode rules.
    assert!(graph
        .children()
        .filter(|n| n.has_tag_name((ns, "attributes")))
        .all(|n| n.attribute("mode").is_none()));
    let declared: Vec<(&str, &str)> = graph
        .descendants()
        .filter(|n| n.has_tag_name((ns, "attribute")))
        .filter_map(|n| Some((n.attribute("id")?, n.attribute("type")?)))
        .collect();
    for want in [
        ("relation", "string"),
        ("label", "string"),
        ("count", "integer"),
    ] {
        assert!(
            declared.contains(&want),
            "{want:?} not declared: {declared:?}"
        );
    }
    let json = db.json(&["graph", "--format", "json"]);
    let nodes: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ns, "node")))
        .collect();
    let edges: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ns, "edge")))
        .collect();
    assert_eq!(nodes.len(), json["nodes"].as_array().map_or(0, Vec::len));
    assert_eq!(edges.len(), json["edges"].as_array().map_or(0, Vec::len));
    let node_ids: Vec<&str> = nodes.iter().filter_map(|n| n.attribute("id")).collect();
    let is_day = |s: &str| {
        s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    let mut spells = 0;
    for e in &edges {
        assert!(node_ids.contains(&e.attribute("source").unwrap_or("")));
        assert!(node_ids.contains(&e.attribute("target").unwrap_or("")));
        for s in e.descendants().filter(|n| n.has_tag_name((ns, "spell"))) {
            spells += 1;
            let (start, end) = (s.attribute("start"), s.attribute("end"));
            assert!(start.is_some() || end.is_some(), "an empty spell");
            for d in [start, end].into_iter().flatten() {
                assert!(is_day(d), "spell bound {d:?} is not a full day");
            }
            if let (Some(a), Some(b)) = (start, end) {
                assert!(a <= b, "{a} after {b}");
            }
        }
    }
    assert!(spells > 0);
    // The month-precision proposal spans March 2017, day by day.
    let proposal = edges
        .iter()
        .find(|e| {
            e.attribute("source") == Some("russia") && e.attribute("label") == Some("proposal")
        })
        .expect("proposal edge");
    let spell = proposal
        .descendants()
        .find(|n| n.has_tag_name((ns, "spell")))
        .expect("spell");
    assert_eq!(
        (spell.attribute("start"), spell.attribute("end")),
        (Some("2017-03-01"), Some("2017-03-31"))
    );
    let count = proposal
        .descendants()
        .find(|n| n.has_tag_name((ns, "attvalue")) && n.attribute("for") == Some("count"))
        .and_then(|n| n.attribute("value"));
    assert_eq!(count, Some("1"));
    // An open-ended statement: a start and no end.
    let reader = edges
        .iter()
        .find(|e| {
            e.attribute("source") == Some("reader-1") && e.attribute("kind") == Some("response")
        })
        .expect("reader edge");
    let spell = reader
        .descendants()
        .find(|n| n.has_tag_name((ns, "spell")))
        .expect("spell");
    assert_eq!(
        (spell.attribute("start"), spell.attribute("end")),
        (Some("2017-09-13"), None)
    );
}

#[test]
fn graphml_has_typed_keys_and_every_node_and_edge() {
    let db = Db::story();
    let text = db.ok(&["graph", "--format", "graphml"]);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let ns = "http://graphml.graphdrawing.org/xmlns";
    assert!(doc.root_element().has_tag_name((ns, "graphml")));
    let keys: Vec<(&str, &str, &str)> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ns, "key")))
        .filter_map(|n| {
            Some((
                n.attribute("for")?,
                n.attribute("attr.name")?,
                n.attribute("attr.type")?,
            ))
        })
        .collect();
    for want in [
        ("node", "name", "string"),
        ("node", "kind", "string"),
        ("node", "country", "string"),
        ("edge", "relation", "string"),
        ("edge", "label", "string"),
        ("edge", "count", "int"),
        ("edge", "first", "string"),
        ("edge", "last", "string"),
        ("edge", "events", "string"),
    ] {
        assert!(keys.contains(&want), "{want:?} not declared: {keys:?}");
    }
    let graph = doc
        .descendants()
        .find(|n| n.has_tag_name((ns, "graph")))
        .expect("graph");
    assert_eq!(graph.attribute("edgedefault"), Some("directed"));
    let json = db.json(&["graph", "--format", "json"]);
    let count = |tag: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name((ns, tag)))
            .count()
    };
    assert_eq!(count("node"), json["nodes"].as_array().map_or(0, Vec::len));
    assert_eq!(count("edge"), json["edges"].as_array().map_or(0, Vec::len));
    let key_ids: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ns, "key")))
        .filter_map(|n| n.attribute("id"))
        .collect();
    for d in doc.descendants().filter(|n| n.has_tag_name((ns, "data"))) {
        assert!(
            key_ids.contains(&d.attribute("key").unwrap_or("")),
            "data refers to an undeclared key"
        );
    }
    let counts_are_ints = doc
        .descendants()
        .filter(|n| n.has_tag_name((ns, "data")) && n.attribute("key") == Some("count"))
        .all(|n| n.text().is_some_and(|t| t.parse::<u64>().is_ok()));
    assert!(counts_are_ints);
}

// ---- path, rank, perspectives ----------------------------------------------

#[test]
fn path_connects_peskov_and_comey() {
    let db = Db::story();
    let p = db.json(&["path", "Peskov", "James Comey", "--json"]);
    assert_eq!(p["from"]["id"], "peskov");
    assert_eq!(p["to"]["id"], "comey");
    let hops = p["hops"].as_array().expect("hops");
    assert_eq!(p["length"], hops.len());
    assert!(!hops.is_empty());
    assert_eq!(hops[0]["from"]["id"], "peskov");
    assert_eq!(hops[hops.len() - 1]["to"]["id"], "comey");
    for w in hops.windows(2) {
        assert_eq!(w[0]["to"], w[1]["from"], "hops chain up");
    }
    for h in hops {
        let edges = h["edges"].as_array().expect("edges");
        assert!(!edges.is_empty());
        for e in edges {
            // Each edge joins the two actors of its hop, either way.
            let ends = [e["source"].clone(), e["target"].clone()];
            assert!(
                ends.contains(&h["from"]["id"]) && ends.contains(&h["to"]["id"]),
                "{e}"
            );
            assert!(!e["events"].as_array().is_none_or(Vec::is_empty));
        }
    }
    // The text form names every actor along the way.
    let text = db.ok(&["path", "peskov", "comey"]);
    assert!(
        text.starts_with(&format!(
            "{} hops from Dmitry Peskov to James Comey\n",
            hops.len()
        )),
        "{text}"
    );
    assert!(text.contains("events: comey-fbi-director"), "{text}");
}

#[test]
fn path_fails_clearly_without_a_connection() {
    let db = Db::story();
    db.import_values(
        "island.jsonl",
        &[
            json!({"type":"actor","id":"island-a","name":"Island A","kind":"state"}),
            json!({"type":"actor","id":"island-b","name":"Island B","kind":"state"}),
            json!({"type":"actor","id":"hermit","name":"Hermit","kind":"person"}),
            json!({"type":"action","id":"island-talks","date":"2020","actor":"island-a","targets":["island-b"],"kind":"call","summary":"They talked."}),
        ],
    );
    let err = db.fails(&["path", "peskov", "island-b"]);
    assert!(err.contains("not connected"), "{err}");
    let err = db.fails(&["path", "hermit", "peskov"]);
    assert!(err.contains("\"hermit\" has no relations"), "{err}");
    let err = db.fails(&["path", "peskov", "nobody-at-all"]);
    assert!(err.contains("unknown actor"), "{err}");
    // Within a window that leaves out every relation between them.
    let err = db.fails(&["path", "peskov", "comey", "--until", "2010"]);
    assert!(err.contains("no relations in this view"), "{err}");
    assert_eq!(db.ok(&["path", "island-a", "island-b"]).lines().count(), 5);
}

#[test]
fn rank_gives_degree_and_pagerank() {
    let db = Db::story();
    let rows = db.json_lines(&["rank", "--json"]);
    let graph = db.json(&["graph", "--format", "json"]);
    assert_eq!(rows.len(), graph["nodes"].as_array().map_or(0, Vec::len));
    let total: f64 = rows.iter().filter_map(|r| r["pagerank"].as_f64()).sum();
    assert!((total - 1.0).abs() < 1e-6, "PageRank sums to 1: {total}");
    for w in rows.windows(2) {
        assert!(w[0]["pagerank"].as_f64() >= w[1]["pagerank"].as_f64());
    }
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["rank"], i + 1);
        assert_eq!(
            r["degree"],
            r["in_degree"].as_u64().unwrap_or(0) + r["out_degree"].as_u64().unwrap_or(0)
        );
    }
    // Russia is what everyone talks about.
    assert_eq!(rows[0]["id"], "russia");
    let edges = graph["edges"].as_array().expect("edges");
    let into_russia = edges.iter().filter(|e| e["target"] == "russia").count();
    assert_eq!(rows[0]["in_degree"], into_russia);
    assert_eq!(db.json_lines(&["rank", "--json", "--top", "3"]).len(), 3);
    let table = db.ok(&["rank", "--top", "2"]);
    assert_eq!(table.lines().count(), 3);
    assert!(table.starts_with("RANK  ACTOR"), "{table}");
}

#[test]
fn perspectives_group_the_story_by_stance() {
    let db = Db::story();
    let text = db.ok(&["perspectives", "russia-normalization-proposal"]);
    let section = |stance: &str| {
        let start = text
            .find(&format!("\n{stance} ("))
            .unwrap_or_else(|| panic!("no {stance} section:\n{text}"));
        let rest = &text[start + 1..];
        let end = rest.find("\n\n").unwrap_or(rest.len());
        rest[..end].to_string()
    };
    let confirms = section("confirms");
    assert!(confirms.starts_with("confirms (2)"), "{confirms}");
    assert!(confirms.contains("kremlin-confirms-report") && confirms.contains("Kremlin"));
    assert!(confirms.contains("peskov-confirms-proposals") && confirms.contains("Dmitry Peskov"));
    assert!(confirms.contains("via RIA Novosti > BuzzFeed News"));
    let declines = section("declines");
    assert!(declines.starts_with("declines (1)"), "{declines}");
    assert!(declines.contains("Heather Nauert") && declines.contains("nauert-cannot-confirm"));
    assert!(declines.contains("(partial)"));
    assert!(declines.contains("can't confirm any of the details"));
    // Readers are there, and stances come in the documented order.
    assert!(section("questions").contains("Reader 3"));
    let order: Vec<usize> = [
        "confirms (",
        "declines (",
        "supports (",
        "criticizes (",
        "questions (",
        "neutral (",
    ]
    .iter()
    .map(|s| text.find(&format!("\n{s}")).unwrap_or(usize::MAX))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

    let lines = db.json_lines(&["perspectives", "russia-normalization-proposal", "--json"]);
    let said = db.json_lines(&["said", "--about", "russia-normalization-proposal", "--json"]);
    assert_eq!(lines.len(), said.len());
    let stances: Vec<&str> = lines
        .iter()
        .map(|l| l["stance"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(&stances[..3], ["confirms", "confirms", "declines"]);
    for l in &lines {
        // The said --json record, plus stance and speaker.
        let same = said.iter().find(|s| s["id"] == l["id"]).expect("in said");
        for k in ["seq", "id", "recorded_at", "v", "event", "corrections"] {
            assert_eq!(l[k], same[k], "{k}");
        }
        assert_eq!(l["speaker"], l["event"]["speaker"]);
        assert_eq!(l["stance"], l["event"]["stance"]);
    }
    let err = db.fails(&["perspectives", "no-such-event"]);
    assert!(err.contains("unknown event \"no-such-event\""), "{err}");
    assert_eq!(
        db.ok(&["perspectives", "comey-fired"]),
        "Perspectives on comey-fired (9 May 2017)\n  Donald Trump: dismissal → James Comey\nno statements about it\n"
    );
}

#[test]
fn actor_show_adds_relations_from_the_graph() {
    let db = Db::story();
    let text = db.ok(&["actor", "show", "comey"]);
    assert!(
        text.contains("member of:   FBI (fbi) as director"),
        "{text}"
    );
    assert!(
        text.contains("relations:   affiliation 1 out, 0 in; action 0 out, 1 in"),
        "{text}"
    );
    assert!(
        text.contains("← Donald Trump (trump): action: dismissal (9 May 2017)"),
        "{text}"
    );
    let v = db.json(&["actor", "show", "russia", "--json"]);
    let relations = v["relations"].as_array().expect("relations");
    let graph = db.json(&["graph", "--format", "json"]);
    let touching = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["source"] == "russia" || e["target"] == "russia")
        .count();
    assert_eq!(
        relations.len(),
        touching,
        "the same edges as the full graph"
    );
}

#[test]
fn actor_show_spans_of_interval_dates_read_one_way() {
    // An edge's first and last dates, or an affiliation's ends, that are
    // themselves intervals: "A – B – C" would read two ways.
    let db = Db::new();
    let mut lines: Vec<Value> = ["x", "y", "org"]
        .iter()
        .map(|id| json!({"type":"actor","id":id,"name":id.to_uppercase(),"kind":"person"}))
        .collect();
    lines.extend([
        json!({"type":"statement","id":"s1","date":"2001-06-05/2001-07-13","speaker":"x",
               "mentions":["y"],"text":"one"}),
        json!({"type":"statement","id":"s2","date":"2002-11-21","speaker":"x",
               "mentions":["y"],"text":"two"}),
        json!({"type":"statement","id":"s3","date":"2003-01-02","speaker":"y",
               "to":["x"],"text":"three"}),
        json!({"type":"statement","id":"s4","date":"2004-05-06","speaker":"y",
               "to":["x"],"text":"four"}),
        json!({"type":"affiliation","actor":"x","org":"org","role":"envoy",
               "from":"2001/2002","until":"2005-03"}),
        json!({"type":"affiliation","actor":"y","org":"org","role":"clerk",
               "from":"2001-02","until":"2005-03"}),
    ]);
    db.import_values("intervals.jsonl", &lines);
    let x = db.ok(&["actor", "show", "x"]);
    for expected in [
        "→ Y (y): mention ×2 (first 5 June 2001 – 13 July 2001; last 21 November 2002)",
        "← Y (y): address ×2 (2 January 2003 – 6 May 2004)",
        "member of:   ORG (org) as envoy (from 2001 – 2002; until March 2005)",
    ] {
        assert!(x.contains(expected), "{expected}\n{x}");
    }
    let y = db.ok(&["actor", "show", "y"]);
    let expected = "member of:   ORG (org) as clerk (February 2001 – March 2005)";
    assert!(y.contains(expected), "{expected}\n{y}");
}

#[test]
fn actor_show_of_a_busy_actor_lists_the_edges_of_the_full_graph() {
    // Enough events around one actor that its neighbourhood is read on
    // several threads, with corrections and retractions among them.
    let db = Db::new();
    let mut lines: Vec<Value> = (0..6)
        .map(|i| json!({"type":"actor","id":format!("a{i}"),"name":format!("Actor {i}"),"kind":"person"}))
        .collect();
    lines.push(json!({"type":"actor","id":"hub","name":"Hub","kind":"state"}));
    for i in 0..240 {
        let other = format!("a{}", i % 6);
        let date = format!("20{:02}-{:02}-{:02}", 10 + i % 9, 1 + i % 12, 1 + i % 27);
        lines.push(match i % 4 {
            0 => json!({"type":"statement","id":format!("s{i}"),"date":date,"speaker":"hub",
                        "to":[other],"text":format!("statement {i}")}),
            1 => json!({"type":"statement","id":format!("s{i}"),"date":date,"speaker":other,
                        "mentions":["hub"],"about":[format!("s{}", i - 1)],
                        "stance":"confirms","text":format!("reply {i}")}),
            2 => json!({"type":"action","id":format!("x{i}"),"date":date,"actor":other,
                        "kind":"sanction","targets":["hub"],"summary":format!("action {i}")}),
            _ => json!({"type":"statement","id":format!("s{i}"),"date":date,"speaker":"hub",
                        "about":[format!("x{}", i - 1)],"stance":"denies","text":format!("denial {i}")}),
        });
    }
    // Responses of the hub to events outside its neighbourhood, some of
    // them retracted or given another actor.
    for k in 0..80 {
        let (actor, target) = (format!("a{}", k % 6), format!("a{}", (k + 1) % 6));
        lines.push(
            json!({"type":"action","id":format!("far{k}"),"date":"2015-05-05","actor":actor,
                          "kind":"visit","targets":[target],"summary":format!("far action {k}")}),
        );
        lines.push(
            json!({"type":"statement","id":format!("on-far{k}"),"date":"2015-05-06",
                          "speaker":"hub","about":[format!("far{k}")],"stance":"criticizes",
                          "text":format!("on far action {k}")}),
        );
    }
    for k in (0..80).step_by(7) {
        lines.push(
            json!({"type":"retraction","target":format!("far{k}"),"reason":"never happened"}),
        );
        lines.push(json!({"type":"correction","target":format!("far{}", k + 1),
                          "set":{"actor":"a0"},"reason":"another actor"}));
    }
    // A statement of the hub given to another speaker, and one of
    // another speaker given to the hub.
    lines.push(
        json!({"type":"correction","target":"s4","set":{"speaker":"a2"},"reason":"a2 said it"}),
    );
    lines.push(json!({"type":"correction","target":"s9","set":{"speaker":"hub"},"reason":"the hub said it"}));
    for i in (0..240).step_by(20) {
        lines.push(json!({"type":"correction","target":format!("s{i}"),
                          "set":{"to":["a5"],"date":"2009-01-02"},"reason":"another addressee"}));
        lines
            .push(json!({"type":"retraction","target":format!("s{}", i + 1),"reason":"withdrawn"}));
        lines.push(json!({"type":"correction","target":format!("s{}", i + 3),
                          "set":{"stance":"confirms"},"reason":"read again"}));
    }
    db.import_values("busy.jsonl", &lines);

    let shown = db.json(&["actor", "show", "hub", "--json"]);
    let mut relations: Vec<Value> = shown["relations"].as_array().expect("relations").clone();
    let graph = db.json(&["graph", "--format", "json"]);
    let mut touching: Vec<Value> = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["source"] == "hub" || e["target"] == "hub")
        .map(|e| {
            let mut e = e.clone();
            let fields = e.as_object_mut().expect("an edge object");
            fields.remove("start");
            fields.remove("end");
            e
        })
        .collect();
    let key = |e: &Value| e.to_string();
    relations.sort_by_key(key);
    touching.sort_by_key(key);
    assert_eq!(relations, touching);
    // What the corrections changed is there: addresses to a5, dated 2009,
    // and responses to far actions now by a0.
    let to_a0 = relations
        .iter()
        .find(|e| e["relation"] == "response" && e["target"] == "a0" && e["label"] == "criticizes")
        .expect("responses to a0");
    assert!(to_a0["count"].as_u64().unwrap() > 80 / 6, "{to_a0}");
    assert!(
        relations.iter().any(|e| e["relation"] == "address"
            && e["target"] == "a5"
            && e["first"] == "2009-01-02"),
        "{relations:?}"
    );
}

// ---- hostile labels --------------------------------------------------------

// One-line fields refuse control characters; the long texts carry line breaks.
const EVIL_NAME: &str = "Evil \"Quote\" \\ Back\"]; second part";
const SCRIPT_NAME: &str = "<script>alert('x')</script> & Co";
const CYRILLIC: &str = "Дмитрий Песков";
const FORMULA_NAME: &str = "=HYPERLINK(\"http://x\",\"y\")";
const ROLE: &str = "boss \"big\" <chief> & \\ ok";
const KIND: &str = "meet\"ing];<b>";
const SUMMARY: &str = "-2+3 \"];\n<script>alert(1)</script> \\ Ünïcödé";
const TEXT: &str = "@SUM(A1) says \"hi\" \r\n next line ]; -- Привет";

fn hostile() -> Db {
    let db = Db::new();
    db.import_values(
        "hostile.jsonl",
        &[
            json!({"type":"actor","id":"evil","name":EVIL_NAME,"kind":"organization","aliases":["Злодей"]}),
            json!({"type":"actor","id":"script","name":SCRIPT_NAME,"kind":"person"}),
            json!({"type":"actor","id":"cyr","name":CYRILLIC,"kind":"person","country":"RUS"}),
            json!({"type":"actor","id":"formula","name":FORMULA_NAME,"kind":"person"}),
            json!({"type":"affiliation","id":"hostile-aff","actor":"script","org":"evil","role":ROLE,"from":"2017-01"}),
            json!({"type":"action","id":"hostile-act","date":"2017-03","actor":"evil","targets":["cyr"],"kind":KIND,"summary":SUMMARY,
                   "sources":[{"outlet":"<i>Outlet</i>","url":"javascript:alert(1)"}],"tags":["=tag"]}),
            json!({"type":"statement","id":"hostile-say","date":"2017-03-09","speaker":"script","text":TEXT,"to":["cyr"],
                   "mentions":["evil","formula"],"about":["hostile-act"],"stance":"denies"}),
            json!({"type":"statement","id":"formula-say","date":"2017-04","speaker":"formula","text":"=1+1","about":["hostile-act"]}),
        ],
    );
    db
}

#[test]
fn hostile_labels_keep_every_format_valid_and_show_the_text_as_written() {
    let db = hostile();

    // JSON Lines and node-link JSON: exact text.
    let entries = db.json_lines(&["timeline", "--format", "json"]);
    assert_eq!(ids(&entries), ["hostile-act", "hostile-say", "formula-say"]);
    assert_eq!(entries[0]["text"], SUMMARY);
    assert_eq!(entries[0]["kind"], KIND);
    assert_eq!(entries[1]["text"], TEXT);
    assert_eq!(entries[1]["actors"][0]["name"], SCRIPT_NAME);
    let graph = db.json(&["graph", "--format", "json"]);
    let names: Vec<&str> = graph["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, [CYRILLIC, EVIL_NAME, FORMULA_NAME, SCRIPT_NAME]);
    let labels: Vec<&str> = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["label"].as_str())
        .collect();
    assert!(
        labels.contains(&ROLE) && labels.contains(&KIND),
        "{labels:?}"
    );

    // DOT: Graphviz renders both, and draws the names as written.
    for args in [&["graph"][..], &["timeline", "--format", "dot"]] {
        let texts = svg_texts(&render(&db.ok(args)));
        for want in [EVIL_NAME, SCRIPT_NAME, CYRILLIC, FORMULA_NAME] {
            assert!(
                texts.iter().any(|t| t == want),
                "{args:?}: {want:?} not drawn as written: {texts:?}"
            );
        }
    }
    let texts = svg_texts(&render(&db.ok(&["graph"])));
    for want in [ROLE, KIND] {
        assert!(
            texts.iter().any(|t| t == want),
            "{want:?} not drawn: {texts:?}"
        );
    }

    // GEXF and GraphML parse, and hold the text exactly.
    let gexf = db.ok(&["graph", "--format", "gexf"]);
    let doc = roxmltree::Document::parse(&gexf).expect("GEXF parses");
    let labels: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("node"))
        .filter_map(|n| n.attribute("label"))
        .collect();
    assert_eq!(labels, [CYRILLIC, EVIL_NAME, FORMULA_NAME, SCRIPT_NAME]);
    assert!(doc
        .descendants()
        .any(|n| n.has_tag_name("edge") && n.attribute("label") == Some(ROLE)));
    let graphml = db.ok(&["graph", "--format", "graphml"]);
    let doc = roxmltree::Document::parse(&graphml).expect("GraphML parses");
    let data: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("data"))
        .filter_map(|n| n.text())
        .collect();
    for want in [EVIL_NAME, SCRIPT_NAME, CYRILLIC, ROLE, KIND] {
        assert!(data.contains(&want), "{want:?} not kept: {data:?}");
    }

    // TimelineJS: valid JSON, every user string HTML-escaped.
    let doc = db.json(&[
        "timeline",
        "--format",
        "timelinejs",
        "--title",
        "<b>Title</b>",
    ]);
    let events = doc["events"].as_array().expect("events");
    let act = &events[0];
    assert_eq!(
        act["group"].as_str().map(html_unescape).as_deref(),
        Some(EVIL_NAME)
    );
    assert!(!act["group"].as_str().unwrap_or("<").contains(['<', '"']));
    let body = act["text"]["text"].as_str().unwrap_or("");
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert!(
        !body.contains("<script>") && !body.contains("javascript:"),
        "{body}"
    );
    assert!(body.contains("&lt;i&gt;Outlet&lt;/i&gt;"), "{body}");
    let say = &events[1];
    let headline = say["text"]["headline"].as_str().unwrap_or("");
    assert!(!headline.contains(['<', '>', '"', '\'']), "{headline}");
    assert!(
        html_unescape(headline).starts_with(&format!("{SCRIPT_NAME}: ")),
        "{headline}"
    );
    assert_eq!(doc["title"]["text"]["headline"], "&lt;b&gt;Title&lt;/b&gt;");

    // CSV: parses back; formulas neutralised; everything else as written.
    let rows = parse_csv(&db.ok(&["timeline", "--format", "csv"]));
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(usize::MAX);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1][col("text_or_summary")], format!("'{SUMMARY}"));
    assert_eq!(rows[1][col("kind")], KIND);
    assert_eq!(rows[1][col("tags")], "'=tag");
    assert_eq!(rows[1][col("speaker_or_actor_name")], EVIL_NAME);
    assert_eq!(rows[2][col("text_or_summary")], format!("'{TEXT}"));
    assert_eq!(rows[3][col("text_or_summary")], "'=1+1");
    assert_eq!(
        rows[3][col("speaker_or_actor_name")],
        format!("'{FORMULA_NAME}")
    );
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula left live: {cell:?}"
            );
        }
    }

    // Text views stay one entry per block, and name the actors as written.
    let persp = db.ok(&["perspectives", "hostile-act"]);
    assert!(
        persp.contains("denies (1)") && persp.contains(SCRIPT_NAME),
        "{persp}"
    );
    assert!(persp.contains("no stance (1)"), "{persp}");
    let persp = db.json_lines(&["perspectives", "hostile-act", "--json"]);
    assert_eq!(persp[0]["event"]["text"], TEXT);
    assert_eq!(persp[1]["stance"], Value::Null);
    let path = db.json(&["path", "script", "formula", "--json"]);
    assert_eq!(path["from"]["name"], SCRIPT_NAME);
    let rank = db.json_lines(&["rank", "--json"]);
    assert!(rank.iter().any(|r| r["name"] == EVIL_NAME));
    let text = db.ok(&["timeline"]);
    assert!(text.contains(EVIL_NAME), "{text}");
}
