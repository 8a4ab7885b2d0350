//! The examples in README.md and docs/ are run: every `$ demarche ...` line of
//! a ```console block runs through `sh` against a fresh database per file,
//! and the lines under it must match its output (stdout and stderr).
//! A line `...` stands for any number of lines.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Example {
    file: String,
    line: usize,
    command: String,
    expected: Vec<String>,
}

fn examples(path: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(path).expect("read doc");
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_block = line.trim() == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push(Example {
                file: path.display().to_string(),
                line: i + 1,
                command: cmd.to_string(),
                expected: Vec::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.expected.push(line.to_string());
        }
    }
    // Only demarche runs here; other commands (cargo, dot) are illustrations.
    out.retain(|e| e.command.contains("demarche"));
    out
}

/// One line against a pattern in which `...` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let pattern = pattern.trim_end();
    let line = line.trim_end();
    let parts: Vec<&str> = pattern.split("...").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let mut rest = line;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| line_matches(first, a) && matches(rest, more)),
    }
}

fn run_doc(path: &Path) -> usize {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_demarche"));
    let bin_dir = bin.parent().expect("bin dir").to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path_var = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let list = examples(path);
    for ex in &list {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{} 2>&1", ex.command))
            .current_dir(root)
            .env("PATH", &path_var)
            .env("DEMARCHE_DB", dir.path().join("doc.db"))
            .env("DEMARCHE_FIXED_CLOCK", "2026-11-26T12:00:00Z")
            .env("XDG_DATA_HOME", dir.path())
            .env_remove("DEMARCHE_LOCK_TIMEOUT")
            .output()
            .expect("run sh");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let actual: Vec<&str> = text.lines().collect();
        let wants_error = ex.expected.iter().any(|l| l.starts_with("error:"));
        assert_eq!(
            out.status.success(),
            !wants_error,
            "{}:{}: `{}` exited with {:?}:\n{text}",
            ex.file,
            ex.line,
            ex.command,
            out.status.code()
        );
        assert!(
            matches(&ex.expected, &actual),
            "{}:{}: `{}` printed:\n{text}\nexpected:\n{}",
            ex.file,
            ex.line,
            ex.command,
            ex.expected.join("\n")
        );
    }
    list.len()
}

#[test]
fn every_documented_example_runs_as_shown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut total = 0;
    for f in &files {
        total += run_doc(f);
    }
    assert!(total >= 10, "only {total} examples found in the docs");
}

#[test]
fn the_wildcard_matcher_means_what_it_says() {
    let exp = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&exp(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&exp(&["a", "..."]), &["a"]));
    assert!(!matches(&exp(&["a", "d"]), &["a", "b", "d"]));
    assert!(!matches(&exp(&["a"]), &[]));
    assert!(line_matches("head ...) ok", "head 12ab) ok"));
    assert!(!line_matches("head ...) ok", "head 12ab) no"));
}
