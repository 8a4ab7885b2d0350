//! Reliability, proven on the real binary and temporary databases: the log
//! survives being killed at any moment, serialises concurrent writers, never
//! acknowledges a write before it was synced, and answers a read-only or full
//! disk with one clear error and an unchanged log.
//!
//! Randomised tests print their seed; `DEMARCHE_TEST_SEED=N` replays one.
//! The long variants are ignored by default:
//! `cargo test --release --test reliability -- --ignored`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{fixture, Db};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Helpers

/// splitmix64: a tiny deterministic generator for kill moments.
struct Rng(u64);

impl Rng {
    /// The seed is fixed per test unless `DEMARCHE_TEST_SEED` overrides it;
    /// it is printed so that a failure names it.
    fn new(test: &str, default: u64) -> Rng {
        let seed = std::env::var("DEMARCHE_TEST_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(default);
        eprintln!("{test}: seed {seed} (replay with DEMARCHE_TEST_SEED={seed})");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A moment between zero and `max`.
    fn delay(&mut self, max: Duration) -> Duration {
        let micros = max.as_micros().max(1) as u64;
        Duration::from_micros(self.next() % (micros + 1))
    }
}

/// The binary against a database, with a clean environment and a generous
/// lock timeout.
fn demarche(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_demarche"));
    c.env_remove("DEMARCHE_DB")
        .env_remove("DEMARCHE_FIXED_CLOCK")
        .env_remove("DEMARCHE_FAULT")
        .env("DEMARCHE_LOCK_TIMEOUT", "120")
        .arg("--db")
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// How a process that may have been killed ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// Exited 0: whatever it printed is acknowledged.
    Acknowledged(String),
    /// Killed by SIGKILL before it exited.
    Killed,
}

/// Start a command, kill it after `delay` (SIGKILL), and say how it ended.
/// A command that failed on its own is a test failure.
fn run_and_kill(mut cmd: Command, delay: Duration, what: &str) -> Ending {
    let mut child = cmd.spawn().expect("start demarche");
    std::thread::sleep(delay);
    // SIGKILL; an already exited child is simply reaped below.
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait for demarche");
    if out.status.success() {
        return Ending::Acknowledged(text(&out.stdout));
    }
    assert_eq!(
        out.status.signal(),
        Some(9),
        "{what} failed on its own ({:?}): {}",
        out.status,
        text(&out.stderr)
    );
    Ending::Killed
}

/// The database opens, `verify` passes (hash chain, seq continuity, id index,
/// projections equal a fresh replay after catch-up), and the exported log
/// runs from seq 1 without gaps. Returns the envelopes.
fn sound_log(db: &Path, context: &str) -> Vec<Value> {
    sound_export(db, context).1
}

/// [`sound_log`], with the exported bytes.
fn sound_export(db: &Path, context: &str) -> (Vec<u8>, Vec<Value>) {
    let out = demarche(db).arg("verify").output().expect("run verify");
    assert!(
        out.status.success(),
        "{context}: verify failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).starts_with("ok: "), "{context}");
    let out = demarche(db).arg("export").output().expect("run export");
    assert!(out.status.success(), "{context}: {}", text(&out.stderr));
    let envelopes: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an exported envelope"))
        .collect();
    for (i, env) in envelopes.iter().enumerate() {
        assert_eq!(env["seq"], json!(i + 1), "{context}: seqs must be gap-free");
    }
    (out.stdout, envelopes)
}

/// How many times each statement text occurs in the log.
fn statement_texts(envelopes: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for env in envelopes {
        if env["event"]["type"] == "statement" {
            let t = env["event"]["text"].as_str().expect("text").to_string();
            *counts.entry(t).or_insert(0) += 1;
        }
    }
    counts
}

/// Exported log as bytes, for "unchanged" checks.
fn export_bytes(db: &Path) -> Vec<u8> {
    let out = demarche(db).arg("export").output().expect("run export");
    assert!(out.status.success(), "{}", text(&out.stderr));
    out.stdout
}

/// Expect exit 1 and exactly one `error:` line; return it.
fn one_error(out: &Output, what: &str) -> String {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: expected exit 1; stdout {:?}, stderr {err:?}",
        text(&out.stdout)
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one error line expected: {err:?}");
    assert!(lines[0].starts_with("error: "), "{what}: {err:?}");
    lines[0].to_string()
}

/// Run attempts (numbered from 1) until `kills` of them report that their
/// command was killed; returns how many it took. Twenty attempts a kill at
/// most: a command that always finishes first fails the test.
fn until_killed(test: &str, kills: usize, mut attempt: impl FnMut(usize) -> bool) -> usize {
    let mut killed = 0;
    let mut attempts = 0;
    while killed < kills {
        attempts += 1;
        assert!(
            attempts < kills * 20,
            "{test}: only {killed} of {attempts} attempts were killed"
        );
        if attempt(attempts) {
            killed += 1;
        }
    }
    attempts
}

/// A command that failed with one clear error line: the disk was full
/// (ENOSPC, from the fault seam).
fn failed_for_want_of_space(out: &Output, context: &str) {
    let err = one_error(out, context);
    assert!(
        err.contains("No space left on device (os error 28)"),
        "{context}: {err}"
    );
}

/// Import a file, which must succeed, and say how long it took.
fn timed_import(db: &Path, file: &Path) -> Duration {
    let started = Instant::now();
    let out = demarche(db)
        .arg("import")
        .arg(file)
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", text(&out.stderr));
    started.elapsed()
}

fn add_witness(db: &Path) {
    let out = demarche(db)
        .args([
            "actor", "add", "witness", "--name", "Witness", "--kind", "person",
        ])
        .output()
        .expect("run actor add");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn say(db: &Path, what: &str) -> Command {
    let mut c = demarche(db);
    c.args(["say", "witness", "--date", "2017-09-13", "--text", what]);
    c
}

const CRASH_ACTORS: usize = 8;

/// A self-contained import file for one round: the actors it needs, then
/// `events` statements and corrections that all carry the round number, so
/// the events of one file can be counted in the log.
fn round_file(round: usize, events: usize) -> String {
    let mut s = String::with_capacity(events * 260);
    for a in 0..CRASH_ACTORS {
        s.push_str(
            &json!({"type":"actor","id":format!("crash-{a}"),"name":format!("Crash Actor {a}"),"kind":"person"})
                .to_string(),
        );
        s.push('\n');
    }
    for i in 0..events {
        let line = if i % 100 == 99 {
            // Corrects the statement with an explicit id nine lines up.
            json!({"type":"correction","target":format!("r{round}-s{}", i - 9),
                   "set":{"medium":"wire"},"reason":format!("round {round} correction {i}")})
        } else {
            let mut st = json!({
                "type":"statement",
                "date": match i % 3 {
                    0 => format!("20{:02}-{:02}", 10 + i % 10, 1 + i % 12),
                    1 => format!("20{:02}-{:02}-{:02}", 10 + i % 10, 1 + i % 12, 1 + i % 28),
                    _ => format!("20{:02}~", 10 + i % 10),
                },
                "speaker": format!("crash-{}", i % CRASH_ACTORS),
                "text": format!("round {round} statement {i}: such proposals in various formats were passed on"),
                "mentions": [format!("crash-{}", (i + 1) % CRASH_ACTORS)],
                "tags": [format!("round-{round}")],
            });
            if i % 10 == 0 {
                st["id"] = json!(format!("r{round}-s{i}"));
            }
            if i % 10 == 5 {
                st["about"] = json!([format!("r{round}-s{}", i - 5)]);
                st["stance"] = json!("confirms");
            }
            st
        };
        s.push_str(&line.to_string());
        s.push('\n');
    }
    s
}

/// How many events of a round file the log holds.
fn round_events(envelopes: &[Value], round: usize) -> usize {
    let tag = json!(format!("round-{round}"));
    let reason = format!("round {round} correction ");
    envelopes
        .iter()
        .filter(|env| {
            let e = &env["event"];
            (e["type"] == "statement" && e["tags"].as_array().is_some_and(|t| t.contains(&tag)))
                || (e["type"] == "correction"
                    && e["reason"].as_str().is_some_and(|r| r.starts_with(&reason)))
        })
        .count()
}

// ---------------------------------------------------------------------------
// Crash loops

/// Import large files and kill the import at random moments; between rounds
/// one `say` is acknowledged. After every kill the log verifies, every
/// acknowledged append is there once, and each interrupted file left either
/// nothing or all of its events. A fresh database starts every `per_db`
/// rounds so that the log stays small enough to verify quickly.
fn import_crash_loop(test: &str, seed: u64, rounds: usize, per_db: usize, events: usize) {
    let mut rng = Rng::new(test, seed);
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut kills = 0;
    let mut round = 0;
    while round < rounds {
        let db = scratch.path().join(format!("crash-{round}.db"));
        add_witness(&db);
        // One uninterrupted import measures how long a file takes.
        let calibration = scratch.path().join("calibration.jsonl");
        std::fs::write(&calibration, round_file(100_000 + round, events)).expect("write");
        let took = timed_import(&db, &calibration);
        let mut acknowledged_files = vec![100_000 + round];
        let mut interrupted_files = Vec::new();
        let mut acknowledged_says = Vec::new();
        for _ in 0..per_db.min(rounds - round) {
            let said = format!("acknowledged before round {round}");
            let out = say(&db, &said).output().expect("say");
            assert!(out.status.success(), "{}", text(&out.stderr));
            acknowledged_says.push(said);

            let file = scratch.path().join(format!("round-{round}.jsonl"));
            std::fs::write(&file, round_file(round, events)).expect("write");
            // Every other round aims at the end of the import, where the
            // batch is synced, the head moved and the projections caught up.
            let delay = if round % 2 == 0 {
                rng.delay(took.mul_f64(1.2))
            } else {
                took.mul_f64(0.75) + rng.delay(took.mul_f64(0.4))
            };
            let mut cmd = demarche(&db);
            cmd.arg("import").arg(&file);
            let context = format!("{test}: round {round}, import killed after {delay:?}");
            let ending = run_and_kill(cmd, delay, &context);
            eprintln!("{context} (an import takes {took:?}): {ending:?}");
            match ending {
                Ending::Acknowledged(out) => {
                    assert!(out.contains("imported"), "{context}: {out}");
                    acknowledged_files.push(round);
                }
                Ending::Killed => {
                    kills += 1;
                    interrupted_files.push(round);
                }
            }

            let log = sound_log(&db, &context);
            for r in &acknowledged_files {
                assert_eq!(
                    round_events(&log, *r),
                    events,
                    "{context}: acknowledged file of round {r}"
                );
            }
            for r in &interrupted_files {
                let n = round_events(&log, *r);
                assert!(
                    n == 0 || n == events,
                    "{context}: the file of round {r} is half imported ({n} of {events} events)"
                );
            }
            let texts = statement_texts(&log);
            for s in &acknowledged_says {
                assert_eq!(texts.get(s), Some(&1), "{context}: {s:?}");
            }
            assert!(texts.values().all(|n| *n == 1), "{context}: a duplicate");
            let actors: BTreeMap<&str, usize> = log
                .iter()
                .filter(|e| e["event"]["type"] == "actor")
                .fold(BTreeMap::new(), |mut m, e| {
                    *m.entry(e["event"]["id"].as_str().unwrap_or(""))
                        .or_default() += 1;
                    m
                });
            assert!(
                actors.values().all(|n| *n == 1),
                "{context}: actors {actors:?}"
            );
            round += 1;
        }
    }
    eprintln!("{test}: {kills} of {rounds} imports killed");
    assert!(
        kills * 4 >= rounds,
        "only {kills} of {rounds} imports were killed before they finished"
    );
}

#[test]
fn killed_imports_leave_nothing_or_the_whole_file() {
    import_crash_loop(
        "killed_imports_leave_nothing_or_the_whole_file",
        0x5EED_0001,
        6,
        6,
        1500,
    );
}

#[test]
#[ignore = "long: 40 kills of 30,000-event imports; run with --release --ignored"]
fn killed_imports_leave_nothing_or_the_whole_file_long() {
    import_crash_loop(
        "killed_imports_leave_nothing_or_the_whole_file_long",
        0x5EED_1001,
        40,
        8,
        30_000,
    );
}

/// A stream of single `say` appends, each killed at a random moment. Every
/// acknowledged one is in the log exactly once after every kill.
fn say_crash_loop(test: &str, seed: u64, kills: usize) {
    let mut rng = Rng::new(test, seed);
    let db = Db::new();
    add_witness(&db.path);
    let started = Instant::now();
    for i in 0..3 {
        let out = say(&db.path, &format!("calibration {i}")).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let took = started.elapsed() / 3;
    let mut acknowledged: Vec<String> = (0..3).map(|i| format!("calibration {i}")).collect();
    let attempts = until_killed(test, kills, |attempt| {
        let what = format!("stream {attempt}");
        let delay = rng.delay(took.mul_f64(1.3));
        let context = format!("{test}: append {attempt} killed after {delay:?}");
        let ending = run_and_kill(say(&db.path, &what), delay, &context);
        if let Ending::Acknowledged(out) = &ending {
            assert!(out.starts_with("recorded statement"), "{context}: {out}");
            acknowledged.push(what);
        }
        let log = sound_log(&db.path, &context);
        let texts = statement_texts(&log);
        for a in &acknowledged {
            assert_eq!(texts.get(a), Some(&1), "{context}: acknowledged {a:?}");
        }
        assert!(texts.values().all(|n| *n == 1), "{context}: a duplicate");
        ending == Ending::Killed
    });
    eprintln!(
        "{test}: {kills} kills in {attempts} appends, {} acknowledged",
        acknowledged.len()
    );
}

#[test]
fn killed_appends_never_lose_an_acknowledged_one() {
    say_crash_loop(
        "killed_appends_never_lose_an_acknowledged_one",
        0x5EED_0002,
        12,
    );
}

#[test]
#[ignore = "long: 100 kills of single appends"]
fn killed_appends_never_lose_an_acknowledged_one_long() {
    say_crash_loop(
        "killed_appends_never_lose_an_acknowledged_one_long",
        0x5EED_1002,
        100,
    );
}

/// The first import into a new database builds the projections as it
/// appends, ahead of the head (see `docs/architecture.md`). Kill it at
/// random moments: the next open finds the projections marked unfinished,
/// clears them and replays the log, so `verify` passes and the file is
/// there whole or not at all.
fn first_import_crash_loop(test: &str, seed: u64, kills: usize, events: usize) {
    let mut rng = Rng::new(test, seed);
    let scratch = tempfile::tempdir().expect("temp dir");
    let file = scratch.path().join("first.jsonl");
    std::fs::write(&file, round_file(7, events)).expect("write");
    let calibration = scratch.path().join("calibration.db");
    let took = timed_import(&calibration, &file);
    let whole = sound_log(&calibration, test);
    assert_eq!(round_events(&whole, 7), events);
    until_killed(test, kills, |attempt| {
        let db = scratch.path().join(format!("first-{attempt}.db"));
        let delay = rng.delay(took.mul_f64(1.1));
        let mut cmd = demarche(&db);
        cmd.arg("import").arg(&file);
        let context = format!("{test}: first import killed after {delay:?}");
        let ending = run_and_kill(cmd, delay, &context);
        eprintln!("{context} (an import takes {took:?}): {ending:?}");
        if db.exists() {
            let n = round_events(&sound_log(&db, &context), 7);
            assert!(
                n == 0 || n == events,
                "{context}: half imported ({n} of {events} events)"
            );
        }
        ending == Ending::Killed
    });
}

#[test]
fn killed_first_imports_leave_projections_that_match_the_log() {
    first_import_crash_loop(
        "killed_first_imports_leave_projections_that_match_the_log",
        0x5EED_0004,
        6,
        4000,
    );
}

#[test]
#[ignore = "long: 12 kills of a 30,000-event first import"]
fn killed_first_imports_leave_projections_that_match_the_log_long() {
    first_import_crash_loop(
        "killed_first_imports_leave_projections_that_match_the_log_long",
        0x5EED_1004,
        12,
        30_000,
    );
}

/// `rebuild` killed at random moments: the next open catches the
/// projections up and they equal a fresh replay again.
fn rebuild_crash_loop(test: &str, seed: u64, kills: usize, events: usize) {
    let mut rng = Rng::new(test, seed);
    let db = Db::new();
    let file = db.dir.path().join("data.jsonl");
    std::fs::write(&file, round_file(1, events)).unwrap();
    db.ok(&["import", file.to_str().unwrap()]);
    let before = export_bytes(&db.path);
    let started = Instant::now();
    db.ok(&["rebuild"]);
    let took = started.elapsed();
    until_killed(test, kills, |_| {
        let delay = rng.delay(took.mul_f64(1.1));
        let mut cmd = demarche(&db.path);
        cmd.arg("rebuild");
        let context = format!("{test}: rebuild killed after {delay:?}");
        let ending = run_and_kill(cmd, delay, &context);
        sound_log(&db.path, &context);
        assert_eq!(export_bytes(&db.path), before, "{context}");
        ending == Ending::Killed
    });
}

#[test]
fn killed_rebuilds_leave_projections_that_catch_up() {
    rebuild_crash_loop(
        "killed_rebuilds_leave_projections_that_catch_up",
        0x5EED_0003,
        3,
        1500,
    );
}

#[test]
#[ignore = "long: 12 kills of a 30,000-event rebuild"]
fn killed_rebuilds_leave_projections_that_catch_up_long() {
    rebuild_crash_loop(
        "killed_rebuilds_leave_projections_that_catch_up_long",
        0x5EED_1003,
        12,
        30_000,
    );
}

/// What a `rebuild` killed while it empties the projections leaves behind:
/// nothing recorded as applied (that is forgotten first), and a space
/// emptied only in part: here the first of a speaker's two chunks of
/// statements is gone and the second is not. The next open starts the
/// projections over, and they equal a fresh replay again. (The kill loop
/// above reaches such states at random; this one, every time.)
#[test]
fn a_rebuild_interrupted_while_clearing_is_redone_on_the_next_open() {
    use demarche::projection::{P_META, P_SAID};
    use demarche::store::{OpenOptions, Store};
    let db = Db::new();
    let file = db.dir.path().join("data.jsonl");
    // Over 256 statements per speaker: two chunks each.
    std::fs::write(&file, round_file(1, 2200)).unwrap();
    db.ok(&["import", file.to_str().unwrap()]);
    let before = export_bytes(&db.path);
    {
        let store = Store::open(&db.path, &OpenOptions::default()).expect("open");
        let b = store.backend();
        b.clear(P_META).unwrap();
        let first = b
            .scan_prefix(P_SAID, b"")
            .next()
            .expect("a chunk")
            .expect("entry")
            .0;
        b.write(P_SAID, vec![(first, None)]).unwrap();
        b.sync().unwrap();
    }
    sound_log(&db.path, "after an interrupted rebuild");
    assert_eq!(export_bytes(&db.path), before);
    // Queries answer from the projections again.
    let log = sound_log(&db.path, "said");
    let by = log
        .iter()
        .filter(|e| e["event"]["type"] == "statement" && e["event"]["speaker"] == "crash-3")
        .count();
    let said = db.json_lines(&["said", "--by", "crash-3", "--json"]);
    assert_eq!(said.len(), by);
}

/// What a crash (or a full disk) in the middle of sled writing a snapshot
/// leaves behind: an unfinished `snap.N.generating` file, newer than the last
/// complete snapshot. sled 0.34 reads it on open and refuses the database as
/// corrupted; the store must open it, with the log intact.
#[test]
fn an_interrupted_snapshot_does_not_keep_the_database_closed() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let before = export_bytes(&db.path);
    for (name, content) in [
        ("snap.7FFFFFFFFFFFFFF0.generating", &b""[..]),
        ("snap.7FFFFFFFFFFFFFF1.generating", &[0x5a; 300][..]),
    ] {
        let unfinished = db.path.join(name);
        std::fs::write(&unfinished, content).unwrap();
        sound_log(&db.path, name);
        assert!(!unfinished.exists(), "{name} is cleaned up");
        assert_eq!(export_bytes(&db.path), before, "{name}");
    }
    let out = say_as(&db.path, "peskov", "Still writable.")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The names of sled's finished snapshot files in a database.
fn snapshots(db: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(db)
        .unwrap()
        .map(|item| item.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("snap.") && !name.ends_with(".generating"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_large_import_leaves_a_snapshot_and_a_small_one_does_not() {
    // A small import: no second open.
    let small = Db::new();
    small.import_fixture("example.jsonl");
    assert_eq!(snapshots(&small.path), Vec::<String>::new());

    // About 24 MB of statement text, which compresses poorly: the log's
    // blocks and the speaker's chunks each hold it.
    let mut file = String::from(
        "{\"type\":\"actor\",\"id\":\"verbose\",\"name\":\"Verbose\",\"kind\":\"person\"}\n",
    );
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..24 {
        let text: String = (0..1_000_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b"abcdefghijklmnopqrstuvwxyz  "[(state % 28) as usize])
            })
            .collect();
        let line = json!({"type":"statement","id":format!("long-{i}"),"date":"2017-09-13",
                          "speaker":"verbose","text":text});
        file.push_str(&line.to_string());
        file.push('\n');
    }
    let large = Db::new();
    let out = large.import_str("long.jsonl", &file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let recorded = snapshots(&large.path);
    assert_eq!(recorded.len(), 1, "{recorded:?}");

    // The next open reads the same snapshot back and has nothing to add.
    let listed = large.ok(&["said", "--by", "verbose", "--json"]);
    assert_eq!(listed.lines().count(), 24);
    assert_eq!(snapshots(&large.path), recorded);
    large.ok(&["verify"]);
}

// ---------------------------------------------------------------------------
// Concurrent writers

#[test]
fn four_writers_of_fifty_appends_each_all_succeed_and_none_is_lost() {
    const WRITERS: usize = 4;
    const CALLS: usize = 50;
    let db = Db::new();
    add_witness(&db.path);
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let path = db.path.clone();
            std::thread::spawn(move || {
                for i in 0..CALLS {
                    let out = say(&path, &format!("writer {w} call {i}"))
                        .output()
                        .expect("say");
                    assert!(
                        out.status.success(),
                        "writer {w} call {i}: {}",
                        text(&out.stderr)
                    );
                    assert!(text(&out.stdout).starts_with("recorded statement"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a writer failed");
    }
    let log = sound_log(&db.path, "after the writers");
    assert_eq!(log.len(), 1 + WRITERS * CALLS);
    let texts = statement_texts(&log);
    assert_eq!(texts.len(), WRITERS * CALLS);
    for w in 0..WRITERS {
        for i in 0..CALLS {
            assert_eq!(texts.get(&format!("writer {w} call {i}")), Some(&1));
        }
    }
    // The projections saw every append too.
    let said = db.json_lines(&["said", "--by", "witness", "--json"]);
    assert_eq!(said.len(), WRITERS * CALLS);
}

/// Start `import -` with an open stdin: it holds the database until its
/// input ends. Returns once the lock is really held.
fn hold(db: &Path) -> std::process::Child {
    let mut holder = demarche(db)
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("start the holder");
    if held_by_another(db) {
        return holder;
    }
    let _ = holder.kill();
    let _ = holder.wait();
    panic!("the holder never took the database");
}

/// Whether, within a minute, another process is seen to hold the database.
fn held_by_another(db: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let probe = demarche(db)
            .args(["--lock-timeout", "0", "said"])
            .output()
            .expect("probe");
        if text(&probe.stderr).contains("in use by another demarche process") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_writer_that_waits_too_long_fails_clearly_and_writes_nothing() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let before = export_bytes(&db.path);
    let mut holder = hold(&db.path);
    let started = Instant::now();
    let out = demarche(&db.path)
        .args(["--lock-timeout", "0.3"])
        .args(["say", "peskov", "--date", "2017", "--text", "Too late."])
        .output()
        .unwrap();
    let waited = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: database {} is in use by another demarche process\n",
            db.path.display()
        )
    );
    assert!(out.stdout.is_empty());
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert_eq!(export_bytes(&db.path), before, "nothing was written");
    sound_log(&db.path, "after the timeout");
}

#[test]
fn a_waiting_writer_proceeds_when_the_holder_finishes() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let mut holder = hold(&db.path);
    let waiter = say_as(&db.path, "peskov", "Waited my turn.")
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let line = r#"{"type":"statement","id":"held-import","date":"2017-09-14","speaker":"peskov","text":"Imported while another waited."}"#;
    let mut stdin = holder.stdin.take().unwrap();
    writeln!(stdin, "{line}").unwrap();
    drop(stdin);
    let held = holder.wait_with_output().unwrap();
    assert!(held.status.success(), "{}", text(&held.stderr));
    let waited = waiter.wait_with_output().unwrap();
    assert!(waited.status.success(), "{}", text(&waited.stderr));
    assert!(text(&waited.stdout).contains("(seq 16)"), "{waited:?}");
    let log = sound_log(&db.path, "after both");
    assert_eq!(log.len(), 16);
    assert_eq!(log[14]["id"], "held-import");
    assert_eq!(log[15]["event"]["text"], "Waited my turn.");
}

fn say_as(db: &Path, speaker: &str, what: &str) -> Command {
    let mut c = demarche(db);
    c.args(["say", speaker, "--date", "2017-09-13", "--text", what]);
    c
}

// ---------------------------------------------------------------------------
// Durability, through the fault seam (DEMARCHE_FAULT)

fn with_fault(mut cmd: Command, plan: &str) -> Command {
    cmd.env("DEMARCHE_FAULT", plan);
    cmd
}

#[test]
fn an_acknowledged_append_was_synced_before_the_command_returned() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let cases: Vec<(&str, Command)> = vec![
        ("say", say_as(&db.path, "peskov", "Synced.")),
        ("import", {
            let file = db.dir.path().join("synced.jsonl");
            std::fs::write(&file, round_file(5, 50)).unwrap();
            let mut c = demarche(&db.path);
            c.arg("import").arg(file);
            c
        }),
        ("actor add", {
            let mut c = demarche(&db.path);
            c.args([
                "actor", "add", "nauert-2", "--name", "N2", "--kind", "person",
            ]);
            c
        }),
    ];
    for (what, cmd) in cases {
        let log = db
            .dir
            .path()
            .join(format!("syncs-{}", what.replace(' ', "-")));
        let out = with_fault(cmd, &format!("sync-log={}", log.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{what}: {}", text(&out.stderr));
        // The seam writes a line after each completed sync: when the command
        // has returned, the data sync and the head sync both happened.
        let syncs = std::fs::read_to_string(&log).unwrap_or_default();
        let n = syncs.lines().count();
        assert!(n >= 2, "{what}: {n} syncs before acknowledging: {syncs:?}");
        assert_eq!(syncs.lines().last(), Some(format!("sync {n}").as_str()));
    }
    // A command that writes nothing need not sync.
    let log = db.dir.path().join("syncs-read");
    let mut c = demarche(&db.path);
    c.args(["said", "--by", "peskov"]);
    assert!(with_fault(c, &format!("sync-log={}", log.display()))
        .output()
        .unwrap()
        .status
        .success());
    assert!(!log.exists() || std::fs::read_to_string(&log).unwrap().is_empty());
    sound_log(&db.path, "after the synced appends");
}

/// A command whose Nth sync fails must fail, and leave the head (so the
/// whole exported log) where it was; the next append continues the log.
#[test]
fn a_failed_sync_fails_the_command_and_leaves_the_head_where_it_was() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let big = db.dir.path().join("big.jsonl");
    std::fs::write(&big, round_file(7, 300)).unwrap();
    for n in [1, 2] {
        let before = export_bytes(&db.path);
        let commands: Vec<(&str, Command)> = vec![
            (
                "say",
                say_as(&db.path, "peskov", &format!("Sync {n} fails.")),
            ),
            ("import", {
                let mut c = demarche(&db.path);
                c.arg("import").arg(&big);
                c
            }),
        ];
        for (what, cmd) in commands {
            let out = with_fault(cmd, &format!("sync-fail={n}")).output().unwrap();
            let err = one_error(&out, &format!("{what} with sync {n} failing"));
            assert!(err.contains("cannot sync the database to disk"), "{err}");
            assert!(out.stdout.is_empty(), "{what}: nothing acknowledged");
            assert_eq!(export_bytes(&db.path), before, "{what}, sync {n}");
            sound_log(&db.path, &format!("{what}, sync {n}"));
        }
    }
    // The log goes on from where it was.
    let out = say_as(&db.path, "peskov", "After the failures.")
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("(seq 15)"), "{out:?}");
    let out = demarche(&db.path).arg("import").arg(&big).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(round_events(&sound_log(&db.path, "end"), 7), 300);
}

/// Whatever write fails (ENOSPC through the seam), the command either fails
/// with one clear error and leaves the log as it was, or it succeeded and its
/// events are all there: never an error for something that was recorded,
/// never an acknowledgement for something that was not.
fn failed_writes(test: &str, writes: std::ops::RangeInclusive<u64>, events: usize) {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let file = db.dir.path().join("writes.jsonl");
    let mut failures = 0;
    let mut before = export_bytes(&db.path);
    for n in writes.clone() {
        let round = 1000 + n as usize;
        std::fs::write(&file, round_file(round, events)).unwrap();
        let said = format!("Write {n} fails.");
        let commands: Vec<(&str, Command)> = vec![
            ("say", say_as(&db.path, "peskov", &said)),
            ("import", {
                let mut c = demarche(&db.path);
                c.arg("import").arg(&file);
                c
            }),
        ];
        for (what, cmd) in commands {
            let context = format!("{test}: {what} with write {n} failing");
            let out = with_fault(cmd, &format!("write-fail={n}"))
                .output()
                .unwrap();
            let (after, log) = sound_export(&db.path, &context);
            let present = match what {
                "say" => statement_texts(&log).get(&said).copied().unwrap_or(0),
                _ => round_events(&log, round),
            };
            if out.status.success() {
                let expected = if what == "say" { 1 } else { events };
                assert_eq!(present, expected, "{context}: acknowledged but missing");
            } else {
                failures += 1;
                failed_for_want_of_space(&out, &context);
                assert_eq!(present, 0, "{context}: failed but recorded");
                assert_eq!(after, before, "{context}");
            }
            before = after;
        }
    }
    // The very first write is the log's own: that one always fails.
    assert!(failures > 0 || !writes.contains(&1), "{test}");
}

#[test]
fn a_failed_write_fails_the_command_or_the_events_are_all_recorded() {
    failed_writes(
        "a_failed_write_fails_the_command_or_the_events_are_all_recorded",
        1..=8,
        100,
    );
}

#[test]
#[ignore = "long: every write of an import that spans several pending flushes"]
fn a_failed_write_fails_the_command_or_the_events_are_all_recorded_long() {
    failed_writes(
        "a_failed_write_fails_the_command_or_the_events_are_all_recorded_long",
        1..=24,
        9000,
    );
}

/// A first import into a new database, which builds the projections as it
/// appends on a thread of its own, with each of its writes failing in
/// turn (the thread's writes included): it fails with one clear error and
/// leaves no database behind, or it succeeded and the database is sound.
fn failed_first_import_writes(test: &str, writes: std::ops::RangeInclusive<u64>, events: usize) {
    let scratch = tempfile::tempdir().expect("temp dir");
    let file = scratch.path().join("first.jsonl");
    std::fs::write(&file, round_file(9, events)).unwrap();
    let mut failures = 0;
    for n in writes {
        let db = scratch.path().join(format!("first-{n}.db"));
        let context = format!("{test}: write {n} failing");
        let mut cmd = demarche(&db);
        cmd.arg("import").arg(&file);
        let out = with_fault(cmd, &format!("write-fail={n}"))
            .output()
            .unwrap();
        eprintln!("{context}: {:?}", out.status);
        if out.status.success() {
            assert_eq!(
                round_events(&sound_log(&db, &context), 9),
                events,
                "{context}"
            );
        } else {
            failures += 1;
            failed_for_want_of_space(&out, &context);
            assert!(
                !db.exists(),
                "{context}: a failed first import left a database"
            );
        }
    }
    assert!(failures > 0, "{test}: no write failed");
}

#[test]
fn a_failed_write_fails_a_first_import_or_its_events_are_all_recorded() {
    failed_first_import_writes(
        "a_failed_write_fails_a_first_import_or_its_events_are_all_recorded",
        1..=10,
        5000,
    );
}

/// Where strace runs and may trace, confirm at the system-call level what
/// the seam shows: the envelope, then the head, reach the disk (fsync)
/// before the acknowledgement is written to stdout.
#[test]
fn strace_confirms_data_then_head_are_fsynced_before_the_acknowledgement() {
    let usable = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !usable {
        eprintln!("skipped: strace is not installed or ptrace is not permitted here");
        return;
    }
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let trace = db.dir.path().join("trace");
    let out = Command::new("strace")
        .args(["-f", "-s", "256", "-o"])
        .arg(&trace)
        .args(["-e", "trace=fsync,fdatasync,pwrite64,write"])
        .arg(env!("CARGO_BIN_EXE_demarche"))
        .env_remove("DEMARCHE_FAULT")
        .arg("--db")
        .arg(&db.path)
        .args(["say", "peskov", "--date", "2017", "--text", "Traced."])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(seq 15)"));
    let trace = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = trace.lines().collect();
    // The first line at which a system call that started on `start` (a
    // line index) has completed.
    let completed = |start: usize| -> usize {
        if !lines[start].contains("<unfinished ...>") {
            return start;
        }
        let pid = lines[start].split_whitespace().next().unwrap_or("");
        let call = lines[start]
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.split('(').next())
            .unwrap_or("");
        (start + 1..lines.len())
            .find(|&i| {
                lines[i].starts_with(pid) && lines[i].contains(&format!("<... {call} resumed>"))
            })
            .expect("a resumed call")
    };
    let find = |from: usize, pred: &dyn Fn(&str) -> bool| -> Option<usize> {
        (from..lines.len()).find(|&i| pred(lines[i]))
    };
    let ack = find(0, &|l| l.contains("write(1, \"recorded statement"))
        .expect("the acknowledgement in the trace");
    let is_fsync = |l: &str| {
        let call = l.split_whitespace().nth(1).unwrap_or("");
        call.starts_with("fsync(") || call.starts_with("fdatasync(")
    };
    // Log blocks are compressed, so the envelope cannot be recognised in the
    // trace: the data are the first write to the database, before the head.
    let data = find(0, &|l| l.contains("pwrite64(")).expect("the envelope's write in the trace");
    let data_synced = find(completed(data) + 1, &is_fsync).expect("an fsync after the envelope");
    let head = find(data_synced, &|l| {
        l.contains("pwrite64(") && l.contains(r#"head"#) && l.contains(r#"{\"seq\":15"#)
    })
    .expect("the head's write after the envelope was synced");
    let head_synced = find(completed(head) + 1, &is_fsync).expect("an fsync after the head");
    assert!(
        head_synced < ack,
        "the head must be fsynced before the acknowledgement:\n{trace}"
    );
}

// ---------------------------------------------------------------------------
// Resource faults

fn running_as_root() -> bool {
    let probe = tempfile::NamedTempFile::new().expect("temp file");
    probe
        .as_file()
        .metadata()
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// A mount made for one test, undone when dropped.
struct Mount(PathBuf);

impl Mount {
    fn run(args: &[&str], dir: &Path) -> Result<(), String> {
        let out = Command::new("mount")
            .args(args)
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(text(&out.stderr).trim().to_string())
        }
    }

    fn tmpfs(dir: &Path, size: &str) -> Result<Mount, String> {
        Mount::run(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            dir,
        )?;
        Ok(Mount(dir.to_path_buf()))
    }

    /// Bind `dir` onto itself, read-only.
    fn read_only(dir: &Path) -> Result<Mount, String> {
        Mount::run(&["--bind", dir.to_str().unwrap()], dir)?;
        let mount = Mount(dir.to_path_buf());
        Mount::run(&["-o", "remount,bind,ro"], dir)?;
        Ok(mount)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

#[test]
fn a_read_only_database_gives_a_clear_error_and_stays_as_it_was() {
    let db = Db::new();
    db.import_fixture("example.jsonl");
    let before = export_bytes(&db.path);
    let root = running_as_root();
    let _mount = if root {
        // Permission bits do not stop root: make the file system read-only.
        match Mount::read_only(&db.path) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!(
                    "skipped: running as root and a read-only bind mount is not permitted: {e}"
                );
                return;
            }
        }
    } else {
        let ok = Command::new("chmod")
            .args(["-R", "a-w"])
            .arg(&db.path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chmod -R a-w");
        None
    };
    let out = say_as(&db.path, "peskov", "Cannot be written.")
        .output()
        .unwrap();
    let err = one_error(&out, "say on a read-only database");
    assert!(
        err.contains(&format!("cannot open database {}", db.path.display())),
        "{err}"
    );
    assert!(
        err.contains("Read-only file system") || err.contains("Permission denied"),
        "{err}"
    );
    let mut import = demarche(&db.path);
    import.arg("import").arg(fixture("story.jsonl"));
    let err = one_error(&import.output().unwrap(), "import on a read-only database");
    assert!(err.contains("cannot open database"), "{err}");
    drop(_mount);
    if !root {
        let _ = Command::new("chmod")
            .args(["-R", "u+w"])
            .arg(&db.path)
            .status();
    }
    assert_eq!(export_bytes(&db.path), before);
    sound_log(&db.path, "after the read-only attempts");
}

#[test]
fn a_full_disk_gives_a_clear_error_and_leaves_no_half_import() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("small");
    std::fs::create_dir(&dir).unwrap();
    // A few segments of sled's log: room for a small database, not more.
    let mount = match Mount::tmpfs(&dir, "8m") {
        Ok(m) => m,
        Err(e) => {
            eprintln!(
                "skipped: cannot mount a small tmpfs here ({e}); the seam tests cover ENOSPC"
            );
            return;
        }
    };
    let db = dir.join("full.db");
    let out = demarche(&db)
        .arg("import")
        .arg(fixture("example.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = export_bytes(&db);
    // Far more than 8 MiB of log.
    let file = scratch.path().join("too-big.jsonl");
    std::fs::write(&file, round_file(3, 80_000)).unwrap();
    let out = demarche(&db).arg("import").arg(&file).output().unwrap();
    failed_for_want_of_space(&out, "import onto a full disk");
    let err = one_error(&out, "import onto a full disk");
    assert!(!err.contains("Os {"), "a raw debug message: {err}");
    // While the disk is still full, the database either opens or says
    // clearly why it cannot (sled needs room to open).
    let out = demarche(&db).arg("verify").output().unwrap();
    if !out.status.success() {
        let err = one_error(&out, "verify on a full disk");
        assert!(err.contains("No space left on device"), "{err}");
    }
    // Given room again, the log is exactly as it was.
    Mount::run(&["-o", "remount,size=64m"], &dir).expect("grow the tmpfs");
    let log = sound_log(&db, "after the full disk");
    assert_eq!(round_events(&log, 3), 0, "no half-written import");
    assert_eq!(export_bytes(&db), before);
    let out = say_as(&db, "peskov", "Room again.").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    sound_log(&db, "after an append with room again");
    drop(mount);
}
