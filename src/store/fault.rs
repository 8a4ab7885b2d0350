//! A seam for testing durability and resource errors: a backend wrapper that
//! counts syncs and writes, can record each completed sync in a file, and
//! fails the Nth sync or write as a plan says. The binary installs it only
//! when the `DEMARCHE_FAULT` variable asks for it.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::store::backend::{Backend, Entries, Entry, Write};

/// Which operations to fail, and where to log syncs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Fail the Nth sync (counted from 1 in this process).
    pub fail_sync: Option<u64>,
    /// Fail the Nth write with "no space left on device".
    pub fail_write: Option<u64>,
    /// Append a line to this file after every completed sync.
    pub sync_log: Option<PathBuf>,
}

impl FaultPlan {
    /// Read a plan such as `sync-fail=2,write-fail=5,sync-log=/tmp/syncs`.
    pub fn parse(spec: &str) -> Result<FaultPlan> {
        let mut plan = FaultPlan::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let number = || {
                value.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Error::invalid(format!(
                        "DEMARCHE_FAULT: {key} needs a count from 1, got {value:?}"
                    ))
                })
            };
            match key {
                "sync-fail" => plan.fail_sync = Some(number()?),
                "write-fail" => plan.fail_write = Some(number()?),
                "sync-log" if !value.is_empty() => plan.sync_log = Some(PathBuf::from(value)),
                _ => {
                    return Err(Error::invalid(format!(
                        "DEMARCHE_FAULT: unknown item {part:?} (expected sync-fail=N, write-fail=N or sync-log=PATH)"
                    )))
                }
            }
        }
        Ok(plan)
    }
}

/// A backend that injects the faults of a plan into another.
pub struct FaultyBackend {
    inner: Box<dyn Backend>,
    plan: FaultPlan,
    syncs: AtomicU64,
    writes: AtomicU64,
}

impl FaultyBackend {
    /// Wrap a backend.
    pub fn new(inner: Box<dyn Backend>, plan: FaultPlan) -> FaultyBackend {
        FaultyBackend {
            inner,
            plan,
            syncs: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }
}

impl Backend for FaultyBackend {
    fn get(&self, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(space, key)
    }

    fn unsynced(&self) -> bool {
        self.inner.unsynced()
    }

    fn write(&self, space: &str, entries: Vec<Write>) -> Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if self.plan.fail_write == Some(n) {
            return Err(Error::io(
                "cannot write to the database",
                std::io::Error::from_raw_os_error(28),
            ));
        }
        self.inner.write(space, entries)
    }

    fn scan_prefix<'a>(&'a self, space: &str, prefix: &[u8]) -> Entries<'a> {
        self.inner.scan_prefix(space, prefix)
    }

    fn scan_from<'a>(&'a self, space: &str, start: &[u8]) -> Entries<'a> {
        self.inner.scan_from(space, start)
    }

    fn last(&self, space: &str) -> Result<Option<Entry>> {
        self.inner.last(space)
    }

    fn last_in_prefix(&self, space: &str, prefix: &[u8]) -> Result<Option<Entry>> {
        self.inner.last_in_prefix(space, prefix)
    }

    fn clear(&self, space: &str) -> Result<()> {
        self.inner.clear(space)
    }

    fn release(&self) -> Result<()> {
        self.inner.release()
    }

    fn written(&self) -> u64 {
        self.inner.written()
    }

    fn sync(&self) -> Result<()> {
        let n = self.syncs.fetch_add(1, Ordering::SeqCst) + 1;
        if self.plan.fail_sync == Some(n) {
            return Err(Error::io(
                "cannot sync the database to disk",
                std::io::Error::other("injected sync failure"),
            ));
        }
        self.inner.sync()?;
        if let Some(path) = &self.plan.sync_log {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "sync {n}"))
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemBackend;

    #[test]
    fn plans_parse_and_reject_nonsense() {
        let p = FaultPlan::parse("sync-fail=2, write-fail=5,sync-log=/tmp/x").unwrap();
        assert_eq!(p.fail_sync, Some(2));
        assert_eq!(p.fail_write, Some(5));
        assert_eq!(p.sync_log, Some(PathBuf::from("/tmp/x")));
        assert!(FaultPlan::parse("sync-fail=0").is_err());
        assert!(FaultPlan::parse("explode").is_err());
    }

    #[test]
    fn the_nth_operation_fails_once() {
        let b = FaultyBackend::new(
            Box::new(MemBackend::default()),
            FaultPlan::parse("sync-fail=2,write-fail=1").unwrap(),
        );
        assert!(b.put("s", b"k", b"v").is_err());
        assert!(b.put("s", b"k", b"v").is_ok());
        assert!(b.sync().is_ok());
        assert!(b.sync().is_err());
        assert!(b.sync().is_ok());
    }
}
