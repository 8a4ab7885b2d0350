//! The embedded default backend: one sled tree per space.
//!
//! Guarantees: a second process waits for the database lock up to a timeout
//! and then fails with a clear message; `sync` makes every file sled wrote
//! reach the disk (sled's own flush only issues `sync_file_range`, and never
//! syncs its blob files), so an acknowledged write survives power loss.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{sled_message, Error, Result};
use crate::store::backend::{Backend, Entries, Entry, Write};

/// Opens and holds a sled database.
pub struct SledBackend {
    db: sled::Db,
    trees: HashMap<&'static str, sled::Tree>,
    path: PathBuf,
    /// Files not modified since a moment before this open were synced by
    /// the process that wrote them (every write is synced before it is
    /// acknowledged), or hold only writes that were never acknowledged.
    synced_before: std::time::SystemTime,
    /// Whether this process wrote or created anything since the last sync.
    unsynced: AtomicBool,
    /// Bytes of keys and values written by this process.
    written: AtomicU64,
    /// The sync of the data file started right after the open, which the
    /// next [`Backend::sync`] waits for and whose failure it reports.
    early: Mutex<Option<JoinHandle<std::io::Result<()>>>>,
}

impl SledBackend {
    /// Whether the directory at `path` holds a sled database (its data
    /// file), rather than only other files.
    pub fn holds_database(path: &Path) -> bool {
        path.join("db").is_file()
    }

    /// Open the database at `path`, waiting up to `lock_timeout` for another
    /// process to release it. `spaces` are the trees to open.
    ///
    /// sled's open writes over every free segment of its data file (10-170
    /// MiB on a database of a million events), and every open syncs the
    /// file, as does the first sync of a write: both wait for those zeroes
    /// to reach the disk. While sled opens, a thread keeps asking the kernel
    /// to start writing them out (`Writeback`). Once the open returns,
    /// with `writing`, a thread of its own syncs the file while the caller
    /// prepares its writes; without, the kernel is asked once more to start
    /// writing out what is left.
    pub fn open(
        path: &Path,
        spaces: &[&'static str],
        lock_timeout: Duration,
        writing: bool,
    ) -> Result<Self> {
        let started = Instant::now();
        // A margin for coarse file times: anything touched around the open
        // is synced again.
        let synced_before = std::time::SystemTime::now()
            .checked_sub(Duration::from_secs(2))
            .unwrap_or(std::time::UNIX_EPOCH);
        let mut cleaned = false;
        let segment_size = segment_size(path);
        let watcher = Writeback::watch(path.join("db"));
        let db = loop {
            // A small page cache: the CLI opens the database on every call,
            // and most commands read a small part of it.
            let config = sled::Config::new()
                .path(path)
                .cache_capacity(64 * 1024 * 1024)
                .segment_size(segment_size)
                .flush_every_ms(None);
            match config.open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if is_lock_error(&e) => {
                    if started.elapsed() >= lock_timeout {
                        return Err(Error::Locked(path.to_path_buf()));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(sled::Error::Io(e)) => {
                    return Err(Error::io(
                        format!("cannot open database {}", path.display()),
                        e,
                    ))
                }
                Err(e @ sled::Error::Corruption { .. }) if !cleaned => {
                    let removed = remove_unfinished_snapshots(path).map_err(|io| {
                        Error::io(format!("cannot open database {}", path.display()), io)
                    })?;
                    match removed {
                        Some(0) => {
                            return Err(Error::Storage(format!(
                                "cannot open database {}: {}",
                                path.display(),
                                sled_message(&e)
                            )))
                        }
                        Some(_) => cleaned = true,
                        // Another process took the database meanwhile: the
                        // next attempt waits for it like any other.
                        None => {}
                    }
                }
                Err(e) => {
                    return Err(Error::Storage(format!(
                        "cannot open database {}: {}",
                        path.display(),
                        sled_message(&e)
                    )))
                }
            }
        };
        drop(watcher);
        let early = if writing {
            let file = path.join("db");
            Some(std::thread::spawn(move || File::open(file)?.sync_data()))
        } else {
            // A command that only reads never syncs, but the next command's
            // open will (sled's recovery syncs the data file), and would
            // wait there for these zeroes: start sending them now.
            start_writeback(&path.join("db"));
            None
        };
        // Opening a tree that does not exist yet creates it.
        let existing = db.tree_names();
        let created = spaces
            .iter()
            .any(|name| !existing.iter().any(|t| t.as_ref() == name.as_bytes()));
        let mut trees = HashMap::new();
        for name in spaces {
            trees.insert(*name, db.open_tree(name)?);
        }
        Ok(SledBackend {
            db,
            trees,
            path: path.to_path_buf(),
            synced_before,
            unsynced: AtomicBool::new(created),
            written: AtomicU64::new(0),
            early: Mutex::new(early),
        })
    }

    /// Open the database at `path` once more and leave it open, for a
    /// process about to exit that has just closed it after a large write.
    ///
    /// sled records the place of every page (its snapshot) only while it
    /// opens, and every open reads back the log written since the last
    /// snapshot. After an import of a million events that is all of it:
    /// the next command's open took 0.3 s instead of 0.05 s, and 1 s instead
    /// of 0.2 s with a cold file cache. Opening here moves that wait into the
    /// command that wrote. Nothing is done when another process has taken
    /// the database meanwhile, or when the open fails: the next open reads
    /// the log back as before. A database gone in the meantime is not
    /// created again.
    pub fn record_snapshot(path: &Path) {
        if !path.join("conf").is_file() {
            return;
        }
        if let Ok(reopened) = SledBackend::open(path, &[], Duration::ZERO, false) {
            // The snapshot is written and synced by the open; closing would
            // only flush the file again.
            std::mem::forget(reopened);
        }
    }

    /// Wait for the sync started by the open, if any: an error it met
    /// (which the kernel reports to one sync only) fails this sync.
    fn wait_early(&self) -> Result<()> {
        let early = self.early.lock().ok().and_then(|mut e| e.take());
        match early.map(|handle| handle.join()) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(Error::io("cannot sync the database to disk", e)),
            Some(Err(_)) => Err(Error::Storage(
                "the thread syncing the database failed".into(),
            )),
        }
    }

    fn tree(&self, space: &str) -> Result<&sled::Tree> {
        self.trees
            .get(space)
            .ok_or_else(|| Error::Storage(format!("unknown space {space}")))
    }
}

/// The segment size of new databases. sled writes a value larger than a
/// quarter of a segment (with its node, up to 16 of them) to a file of its
/// own; at 2 MiB a node of log blocks or of statement chunks stays in the
/// log, and an open reads a page table a quarter the size of that of 512
/// KiB segments, sled's default.
const SEGMENT_SIZE: usize = 2 << 20;

/// The segment size to open `path` with: the one it was created with (sled
/// refuses any other), else [`SEGMENT_SIZE`].
fn segment_size(path: &Path) -> usize {
    // The file ends with a binary checksum: read it as bytes.
    std::fs::read(path.join("conf"))
        .ok()
        .and_then(|conf| {
            String::from_utf8_lossy(&conf)
                .lines()
                .find_map(|l| l.strip_prefix("segment_size:")?.trim().parse().ok())
        })
        .unwrap_or(SEGMENT_SIZE)
}

/// sled 0.34 writes a snapshot to `snap.N.generating` and renames it once
/// complete, but on open it reads the newest `snap.*` file, finished or not:
/// a crash or a full disk during that write leaves a database sled refuses
/// to open ("Read corrupted data"). An unfinished snapshot is never needed,
/// as sled rebuilds its state from the previous snapshot and the log. Remove
/// such files while holding sled's own lock on the data file, so that none is
/// removed under a process that is writing it. Returns how many were
/// removed, or `None` when another process holds the lock.
fn remove_unfinished_snapshots(path: &Path) -> std::io::Result<Option<usize>> {
    use fs2::FileExt;
    let data = File::open(path.join("db"))?;
    if data.try_lock_exclusive().is_err() {
        return Ok(None);
    }
    let mut removed = 0;
    for item in std::fs::read_dir(path)? {
        let item = item?;
        let name = item.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(item.path())?;
            removed += 1;
        }
    }
    if removed > 0 {
        File::open(path)?.sync_all()?;
    }
    Ok(Some(removed))
}

/// Ask the kernel to start writing out the file's dirty pages, without
/// waiting for them (best effort: nothing depends on it).
fn start_writeback(file: &Path) {
    if let Ok(f) = File::open(file) {
        start_writeback_of(&f);
    }
}

/// Ask the kernel to start writing out the dirty pages of `f`, without
/// waiting for them (Linux only; elsewhere nothing).
fn start_writeback_of(f: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open for the whole call; the call only
        // starts writeback of the whole file (offset 0, length 0 = to the end).
        unsafe {
            libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = f;
}

/// A thread that keeps asking the kernel to start writing out the data
/// file while sled opens it, so that the zeroes sled writes over free
/// segments are on their way to the disk before the open returns, and the
/// syncs that follow, this command's and the next one's, wait less.
struct Writeback {
    stop: std::sync::Arc<AtomicBool>,
}

impl Writeback {
    /// How long the thread sleeps between two requests.
    const EVERY: Duration = Duration::from_micros(500);

    /// Start watching `file` (on Linux; elsewhere there is nothing to ask).
    fn watch(file: PathBuf) -> Option<Writeback> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        // The thread is not waited for: a request can take a few
        // milliseconds when the disk's queue is full, and nothing depends on
        // it (the syncs after it report any error). Without a thread, the
        // open is only slower.
        std::thread::Builder::new()
            .name("writeback".into())
            .spawn(move || {
                // A database being created has no file yet: nothing to send.
                let Ok(f) = File::open(&file) else { return };
                while !stopped.load(Ordering::Relaxed) {
                    start_writeback_of(&f);
                    std::thread::sleep(Self::EVERY);
                }
            })
            .ok()?;
        Some(Writeback { stop })
    }
}

/// The thread ends after its current request once the watch is dropped,
/// on every way out of the open.
impl Drop for Writeback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn is_lock_error(e: &std::io::Error) -> bool {
    e.to_string().contains("could not acquire lock")
}

fn entry(r: sled::Result<(sled::IVec, sled::IVec)>) -> Result<Entry> {
    let (k, v) = r?;
    Ok((k.to_vec(), v.to_vec()))
}

/// fsync every file below `dir` modified since `since`, and every
/// directory an entry came into or left since then. A large database holds
/// thousands of blob files that never change once written, in a directory
/// that rarely changes; an fsync costs a device flush even for a clean
/// file, so those are left alone. So are sled's finished snapshots: sled
/// syncs each before renaming it into place.
fn sync_dir(dir: &Path, since: std::time::SystemTime) -> std::io::Result<()> {
    let modified = |m: std::fs::Metadata| m.modified().map_or(true, |t| t >= since);
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        let path = item.path();
        let ty = item.file_type()?;
        if ty.is_dir() {
            sync_dir(&path, since)?;
        } else if ty.is_file() && !is_finished_snapshot(&item.file_name()) {
            // sled replaces snapshot files as it goes: one that vanished
            // between listing and syncing has nothing left to sync. The
            // time is read without opening the file: a large database has
            // a thousand blob files, and few of them change.
            let changed = match item.metadata() {
                Ok(m) => modified(m),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if !changed {
                continue;
            }
            match File::open(&path) {
                Ok(file) => file.sync_all()?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
    }
    // A directory's time moves when an entry is created, removed or
    // renamed in it.
    if std::fs::metadata(dir).map_or(true, modified) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Whether `name` is one of sled's snapshot files, complete and in place
/// (`snap.` and the log position in hex; `.generating` while written).
fn is_finished_snapshot(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .and_then(|n| n.strip_prefix("snap."))
        .is_some_and(|lsn| !lsn.is_empty() && lsn.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Backend for SledBackend {
    fn get(&self, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tree(space)?.get(key)?.map(|v| v.to_vec()))
    }

    fn write(&self, space: &str, entries: Vec<Write>) -> Result<()> {
        let tree = self.tree(space)?;
        self.unsynced.store(true, Ordering::Relaxed);
        let mut batch = sled::Batch::default();
        let mut bytes = 0;
        for (k, v) in entries {
            bytes += k.len() + v.as_ref().map_or(0, Vec::len);
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        tree.apply_batch(batch)?;
        self.written.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(())
    }

    fn scan_prefix<'a>(&'a self, space: &str, prefix: &[u8]) -> Entries<'a> {
        match self.tree(space) {
            Ok(t) => Box::new(t.scan_prefix(prefix).map(entry)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn scan_from<'a>(&'a self, space: &str, start: &[u8]) -> Entries<'a> {
        match self.tree(space) {
            Ok(t) => Box::new(t.range(start.to_vec()..).map(entry)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn last(&self, space: &str) -> Result<Option<Entry>> {
        Ok(self
            .tree(space)?
            .last()?
            .map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    fn last_in_prefix(&self, space: &str, prefix: &[u8]) -> Result<Option<Entry>> {
        self.tree(space)?
            .scan_prefix(prefix)
            .next_back()
            .map(entry)
            .transpose()
    }

    fn clear(&self, space: &str) -> Result<()> {
        self.unsynced.store(true, Ordering::Relaxed);
        self.tree(space)?.clear()?;
        Ok(())
    }

    fn unsynced(&self) -> bool {
        self.unsynced.load(Ordering::Relaxed)
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    fn release(&self) -> Result<()> {
        // sled keeps every write in memory until it is flushed.
        self.db.flush()?;
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        // Cleared first: a write racing with this sync sets it again.
        let was = self.unsynced.swap(false, Ordering::SeqCst);
        let synced = self
            .wait_early()
            .and_then(|_| self.db.flush().map_err(Error::from))
            .and_then(|_| {
                sync_dir(&self.path, self.synced_before)
                    .map_err(|e| Error::io("cannot sync the database to disk", e))
            });
        if synced.is_err() && was {
            self.unsynced.store(true, Ordering::SeqCst);
        }
        synced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_finished_snapshots_are_left_to_sled() {
        for name in ["snap.0000000057D3D3C6", "snap.E1805347"] {
            assert!(is_finished_snapshot(std::ffi::OsStr::new(name)), "{name}");
        }
        for name in [
            "snap.0000000057D751D6.generating",
            "snap.",
            "snap.xyz",
            "db",
            "conf",
            "blobs",
            "1234",
        ] {
            assert!(!is_finished_snapshot(std::ffi::OsStr::new(name)), "{name}");
        }
    }
}
