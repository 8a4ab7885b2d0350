//! Shared helpers for the integration tests: a temporary database and the
//! real `demarche` binary run against it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A temporary directory holding one database.
pub struct Db {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        Db { dir, path }
    }

    /// The binary, pointed at this database, with a clean environment.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("demarche").expect("binary");
        c.env_remove("DEMARCHE_DB")
            .env_remove("DEMARCHE_FIXED_CLOCK")
            .env("DEMARCHE_LOCK_TIMEOUT", "10")
            .arg("--db")
            .arg(&self.path);
        c
    }

    /// Run with arguments; return the output whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run demarche")
    }

    /// Run, expect success, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "demarche {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Run, expect failure with exit code 1 and exactly one `error:` line;
    /// return that line.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "demarche {args:?} should fail with 1; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8(out.stderr).expect("utf-8 stderr");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "one error line expected, got: {err}");
        assert!(lines[0].starts_with("error: "), "{err}");
        lines[0].to_string()
    }

    /// Import a file of the repository's events/ directory.
    pub fn import_fixture(&self, name: &str) -> String {
        let path = fixture(name);
        self.ok(&["import", path.to_str().expect("path")])
    }

    /// Import JSON Lines given as a string, through a temporary file.
    pub fn import_str(&self, name: &str, content: &str) -> Output {
        let file = self.dir.path().join(name);
        std::fs::write(&file, content).expect("write input");
        self.run(&["import", file.to_str().expect("path")])
    }

    /// The whole log as exported.
    pub fn export(&self) -> String {
        self.ok(&["export"])
    }

    /// Parse JSON Lines output.
    pub fn json_lines(&self, args: &[&str]) -> Vec<serde_json::Value> {
        self.ok(args)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }
}

/// The path of a file under events/.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name)
}
