//! The log: an append-only, hash-chained sequence of envelopes, and the
//! writer that appends to it.
//!
//! Promises: `seq` runs from 1 without gaps; every envelope's `prev` is the
//! hash of the one before; `recorded_at` never goes backwards; a batch of
//! appends becomes visible all at once when its head is moved, and only after
//! every byte of it was synced to disk, so a crash or a failed command leaves
//! the log exactly as the last acknowledged write left it.

mod backend;
mod envelope;
mod fault;
mod fold;
pub mod layout;
mod sled_backend;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use foldhash::{HashMap as FastMap, HashSet as FastSet};
use serde::{Deserialize, Serialize};

pub use backend::{Backend, Entries, Entry, MemBackend, Write};
pub use envelope::{
    decode_many, decode_stored, envelope_line, hash_of, upcast, Envelope, Line, RawEnvelope,
    SCHEMA_VERSION, ZERO_HASH,
};
pub use fault::{FaultPlan, FaultyBackend};
pub use sled_backend::SledBackend;

use crate::error::{closest, Error, Result};
use crate::event::{canonical, Event};
use crate::projection::{self, ActorRecord};
use crate::view::{self, apply_set, Current, LogRead};
use layout::{Block, IdBucket};

/// Blocks of envelopes (see [`layout`]).
pub const LOG: &str = "log";
/// Buckets of the event id → seq index (see [`layout`]).
pub const IDS: &str = "ids";
/// The head and the format marker.
pub const META: &str = "meta";

const HEAD_KEY: &[u8] = b"head";
/// Bytes of keys and values a process writes before its close has sled
/// record a snapshot (see [`Store::close_at_exit`]): imports of more than
/// about 40,000 events and rebuilds, not single appends. The next open
/// would read such a write back at about 0.7 ms per MiB; the extra open
/// costs 20-30 ms on a database of a million events, paid by the command
/// that wrote rather than by the next one.
const SNAPSHOT_AFTER: u64 = 16 << 20;
const FORMAT_KEY: &[u8] = b"format";
const FORMAT: &[u8] = b"demarche-log-2";
/// How far ahead of this machine's clock an imported envelope may have been
/// recorded: clocks of two machines differ by a little.
const FUTURE_SLACK_MINUTES: i64 = 10;

/// Every space the store uses, log and projections.
pub fn all_spaces() -> Vec<&'static str> {
    let mut s = vec![LOG, IDS, META];
    s.extend_from_slice(projection::SPACES);
    s
}

/// The error for a seq the head says the log holds but that is not there.
pub fn missing(seq: u64) -> Error {
    Error::Damaged(format!("seq {seq}: missing from the log"))
}

/// The key of a seq: big-endian, so keys sort in log order.
pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Read a big-endian seq from the first 8 bytes (or the last 8 with `tail`).
pub fn key_seq(key: &[u8], tail: bool) -> Option<u64> {
    let bytes = if tail {
        key.get(key.len().checked_sub(8)?..)?
    } else {
        key.get(..8)?
    };
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// The last committed envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
    pub recorded_at: String,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            seq: 0,
            hash: ZERO_HASH.into(),
            recorded_at: String::new(),
        }
    }
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Create the database when the path does not exist.
    pub create: bool,
    /// How long to wait for another process to release the database.
    pub lock_timeout: Duration,
    /// Faults to inject (tests of durability and full disks only).
    pub faults: Option<FaultPlan>,
    /// The caller is about to write: start syncing what sled's open itself
    /// wrote at once, in the background (see [`SledBackend::open`]).
    pub writing: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            create: false,
            lock_timeout: Duration::from_secs(10),
            faults: None,
            writing: false,
        }
    }
}

/// Where recording times come from; injected so tests can pin them.
pub type Clock = Box<dyn Fn() -> DateTime<Utc>>;

/// An open log.
pub struct Store {
    backend: Arc<dyn Backend>,
    head: Head,
    path: Option<PathBuf>,
    created: bool,
    clock: Clock,
    blocks: RefCell<BlockCache>,
    /// Stored buckets of the id index, as stored (see [`IdBucket::find`]).
    buckets: RefCell<HashMap<u64, Rc<Vec<u8>>>>,
}

/// The most recently read log blocks, decompressed.
#[derive(Default)]
struct BlockCache {
    entries: HashMap<u64, (u64, Rc<Block>)>,
    clock: u64,
}

impl BlockCache {
    // About 25 MiB at most: queries that jump around the log (targets of
    // "about", graph neighbourhoods) revisit blocks often.
    const SIZE: usize = 256;

    fn get(&mut self, block: u64) -> Option<Rc<Block>> {
        self.clock += 1;
        let now = self.clock;
        self.entries.get_mut(&block).map(|(used, b)| {
            *used = now;
            b.clone()
        })
    }

    fn put(&mut self, block: u64, value: Rc<Block>) {
        self.clock += 1;
        if self.entries.len() >= Self::SIZE && !self.entries.contains_key(&block) {
            // Evict the least recently used block.
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| *k)
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(block, (self.clock, value));
    }

    fn forget_from(&mut self, block: u64) {
        self.entries.retain(|b, _| *b < block);
    }
}

impl Store {
    /// Open the sled database at `path`.
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<Store> {
        let existed = path.exists();
        if existed && !path.is_dir() {
            return Err(Error::Invalid(format!(
                "{} is not a demarche database (it is not a directory)",
                path.display()
            )));
        }
        // An empty directory is a place for a new database; a directory
        // with other files in it is not one.
        let empty = existed
            && std::fs::read_dir(path)
                .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?
                .next()
                .is_none();
        if existed && !empty && !SledBackend::holds_database(path) {
            return Err(Error::Invalid(format!(
                "{} is not a demarche database (the directory holds other files)",
                path.display()
            )));
        }
        let existed = existed && !empty;
        if !existed && !opts.create {
            return Err(Error::NoDatabase(path.to_path_buf()));
        }
        if !existed {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
            }
        }
        let opened = SledBackend::open(path, &all_spaces(), opts.lock_timeout, opts.writing);
        let backend = match opened {
            Ok(b) => b,
            Err(e) => {
                if !existed {
                    let _ = std::fs::remove_dir_all(path);
                    if empty {
                        let _ = std::fs::create_dir(path);
                    }
                }
                return Err(e);
            }
        };
        let backend: Box<dyn Backend> = match &opts.faults {
            Some(plan) => Box::new(FaultyBackend::new(Box::new(backend), plan.clone())),
            None => Box::new(backend),
        };
        let mut store = Store::with_backend(backend)?;
        store.path = Some(path.to_path_buf());
        store.created = !existed;
        Ok(store)
    }

    /// A store over any backend (an in-memory one in tests).
    pub fn with_backend(backend: Box<dyn Backend>) -> Result<Store> {
        match backend.get(META, FORMAT_KEY)? {
            Some(f) if f != FORMAT => {
                return Err(Error::Damaged(format!(
                    "unknown database format {:?}",
                    String::from_utf8_lossy(&f)
                )))
            }
            Some(_) => {}
            None => {
                if backend.last(LOG)?.is_some() {
                    return Err(Error::Damaged(
                        "the database holds a log but no format marker".into(),
                    ));
                }
            }
        }
        let head = match backend.get(META, HEAD_KEY)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::Damaged(format!("the log head is not readable: {e}")))?,
            None => Head::default(),
        };
        let mut store = Store {
            backend: Arc::from(backend),
            head,
            path: None,
            created: false,
            clock: Box::new(Utc::now),
            blocks: RefCell::new(BlockCache::default()),
            buckets: RefCell::new(HashMap::new()),
        };
        store.discard_uncommitted()?;
        projection::catch_up(&store)?;
        Ok(store)
    }

    /// An empty store held in memory.
    pub fn in_memory() -> Store {
        Store::with_backend(Box::new(MemBackend::default()))
            .expect("an empty in-memory store always opens")
    }

    /// Close the store in a process that is about to exit. When everything
    /// this process wrote is already synced (or it wrote nothing), the
    /// store is left to the operating system instead of closed: sled's
    /// close flushes and syncs its whole data file again, which then only
    /// makes durable what sled's own open rewrites on every open (it zeroes
    /// its free segments), about 10 ms on a large database. A process that
    /// keeps running should drop the store.
    ///
    /// After a large write (an import, a rebuild) the store is closed and
    /// the database opened once more, so that sled records its snapshot now
    /// rather than in the next command (see [`SledBackend::record_snapshot`]).
    pub fn close_at_exit(self) {
        let reopen = match &self.path {
            Some(path) if self.backend.written() >= SNAPSHOT_AFTER => Some(path.clone()),
            _ => None,
        };
        if self.backend.unsynced() || reopen.is_some() {
            drop(self);
        } else {
            std::mem::forget(self);
        }
        if let Some(path) = reopen {
            SledBackend::record_snapshot(&path);
        }
    }

    /// Use another clock for recording times.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// Whether this open created the database (so a failed command can
    /// remove it again).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The path of the database, for sled stores.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The last committed envelope.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// The storage backend, for projections and queries.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// Envelopes written past the head by an interrupted batch are not part
    /// of the log: remove them, and their ids.
    fn discard_uncommitted(&mut self) -> Result<()> {
        let head = self.head.seq;
        let Some((last_key, _)) = self.backend.last(LOG)? else {
            return Ok(());
        };
        let last_block = key_seq(&last_key, false).unwrap_or(0);
        let mut stale_ids = Vec::new();
        let mut writes = Vec::new();
        let first_block = if head == 0 { 0 } else { layout::block_of(head) };
        for block in first_block..=last_block {
            let Some(b) = self.block(block)? else {
                continue;
            };
            if b.end() <= head + 1 {
                continue;
            }
            let keep = usize::try_from(head.saturating_sub(b.first) + 1)
                .unwrap_or(0)
                .min(b.lines.len());
            let keep = if head < b.first { 0 } else { keep };
            for line in &b.lines[keep..] {
                if let Ok(raw) = RawEnvelope::from_bytes(line) {
                    stale_ids.push(raw.id);
                }
            }
            if keep == 0 {
                writes.push((layout::block_key(block).to_vec(), None));
            } else {
                let kept = Block {
                    first: b.first,
                    lines: b.lines[..keep].to_vec(),
                };
                writes.push((layout::block_key(block).to_vec(), Some(kept.encode()?)));
            }
        }
        if writes.is_empty() {
            return Ok(());
        }
        self.remove_ids(&stale_ids)?;
        self.backend.write(LOG, writes)?;
        self.blocks.borrow_mut().forget_from(first_block);
        self.backend.sync()
    }

    /// A decompressed log block, through a small cache.
    fn block(&self, block: u64) -> Result<Option<Rc<Block>>> {
        if let Some(b) = self.blocks.borrow_mut().get(block) {
            return Ok(Some(b));
        }
        let Some(b) = read_block(self.backend.as_ref(), block)? else {
            return Ok(None);
        };
        let b = Rc::new(b);
        self.blocks.borrow_mut().put(block, b.clone());
        Ok(Some(b))
    }

    /// One bucket of the id index as stored (empty when absent), through
    /// a cache.
    fn bucket(&self, bucket: u64) -> Result<Rc<Vec<u8>>> {
        let b = self.stored_bucket(bucket)?;
        self.buckets.borrow_mut().insert(bucket, b.clone());
        Ok(b)
    }

    /// [`Self::bucket`], read from the cache but not kept in it.
    fn stored_bucket(&self, bucket: u64) -> Result<Rc<Vec<u8>>> {
        if let Some(b) = self.buckets.borrow().get(&bucket) {
            return Ok(b.clone());
        }
        Ok(Rc::new(
            self.backend
                .get(IDS, &layout::bucket_key(bucket))?
                .unwrap_or_default(),
        ))
    }

    /// Add ids to the index (written at once, visible when the head moves).
    fn insert_ids(&self, ids: &FastMap<Box<str>, u64>) -> Result<()> {
        self.change_ids(ids.iter().map(|(id, seq)| (&**id, Some(*seq))))
    }

    /// Remove ids from the index.
    fn remove_ids(&self, ids: &[String]) -> Result<()> {
        self.change_ids(ids.iter().map(|id| (id.as_str(), None)))
    }

    /// Set (`Some`) or remove (`None`) the seqs of ids in the index: each
    /// bucket touched is rewritten once, merged with its changes.
    fn change_ids<'a>(&self, changes: impl Iterator<Item = (&'a str, Option<u64>)>) -> Result<()> {
        let mut changes: Vec<(u64, &str, Option<u64>)> = changes
            .map(|(id, seq)| (layout::bucket_of(id), id, seq))
            .collect();
        changes.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        changes.dedup_by(|a, b| a.1 == b.1);
        let mut writes = Vec::new();
        let mut touched = Vec::new();
        for bucket in changes.chunk_by(|a, b| a.0 == b.0) {
            let b = bucket[0].0;
            let changes = bucket.iter().map(|&(_, id, seq)| (id, seq));
            let value = IdBucket::merged(b, &self.stored_bucket(b)?, changes)?;
            touched.push(b);
            writes.push((layout::bucket_key(b).to_vec(), value));
        }
        if writes.is_empty() {
            return Ok(());
        }
        // A big import touches most buckets: keeping them all would hold
        // the whole index in memory for nothing.
        let kept: Vec<(u64, Rc<Vec<u8>>)> = if touched.len() <= 64 {
            touched
                .iter()
                .zip(&writes)
                .map(|(b, (_, value))| (*b, Rc::new(value.clone())))
                .collect()
        } else {
            Vec::new()
        };
        let writes = writes
            .into_iter()
            .map(|(key, value)| (key, (!value.is_empty()).then_some(value)))
            .collect();
        self.backend.write(IDS, writes)?;
        let mut cache = self.buckets.borrow_mut();
        for b in &touched {
            cache.remove(b);
        }
        cache.extend(kept);
        Ok(())
    }

    /// How many ids the index holds, and the largest seq among them.
    pub fn id_index_stats(&self) -> Result<(u64, u64)> {
        let mut count = 0;
        let mut max = 0;
        for item in self.backend.scan_prefix(IDS, b"") {
            let (k, v) = item?;
            let bucket = key_seq(&k, false).unwrap_or(0);
            for seq in IdBucket::decode(bucket, &v)?.ids.values() {
                count += 1;
                max = max.max(*seq);
            }
        }
        Ok((count, max))
    }

    /// The stored envelope at `seq`, if committed.
    pub fn raw(&self, seq: u64) -> Result<Option<RawEnvelope>> {
        if seq == 0 || seq > self.head.seq {
            return Ok(None);
        }
        self.raw_any(seq)
    }

    fn raw_any(&self, seq: u64) -> Result<Option<RawEnvelope>> {
        match self.line_any(seq)? {
            Some(bytes) => Ok(Some(
                RawEnvelope::from_bytes(&bytes)
                    .map_err(|e| Error::Damaged(format!("seq {seq}: {e}")))?,
            )),
            None => Ok(None),
        }
    }

    /// The stored line of `seq`, committed or not.
    fn line_any(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        line_in(seq, |no| self.block(no))
    }

    /// The stored line of a committed `seq`: the envelope exactly as exported.
    pub fn line(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        if seq == 0 || seq > self.head.seq {
            return Ok(None);
        }
        self.line_any(seq)
    }

    /// A reader of the committed log that other threads can share.
    pub fn shared(&self) -> SharedRead<'_> {
        SharedRead {
            backend: self.backend.as_ref(),
            head: self.head.seq,
        }
    }

    /// The stored (compressed) log blocks that hold seqs `from..=to`, in
    /// order, read past the block cache: see [`layout::Block::decode`].
    pub fn raw_blocks(
        &self,
        from: u64,
        to: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>)>> + '_ {
        let (first, last) = (layout::block_of(from.max(1)), layout::block_of(to.max(1)));
        (first..=last).map(
            move |no| match self.backend.get(LOG, &layout::block_key(no))? {
                Some(bytes) => Ok((no, bytes)),
                None => Err(missing(layout::block_start(no).max(from))),
            },
        )
    }

    /// Stored lines from `from` to the head, in log order, with their seqs.
    pub fn scan_lines(&self, from: u64) -> impl Iterator<Item = Result<(u64, Vec<u8>)>> + '_ {
        let head = self.head.seq;
        let mut seq = from.max(1);
        std::iter::from_fn(move || {
            if seq > head {
                return None;
            }
            let at = seq;
            seq += 1;
            Some(match self.line_any(at) {
                Ok(Some(line)) => Ok((at, line)),
                Ok(None) => {
                    seq = u64::MAX;
                    Err(missing(at))
                }
                Err(e) => {
                    seq = u64::MAX;
                    Err(e)
                }
            })
        })
    }

    /// Call `f` with the stored line of each of `seqs` (ascending), `None`
    /// for a seq the log does not hold (or not yet: past the head). Each
    /// block is read once and not kept: unlike [`Self::line`] this leaves
    /// the block cache alone, for passes over much of the log.
    pub fn each_line(
        &self,
        seqs: &[u64],
        f: impl FnMut(u64, Option<&[u8]>) -> Result<()>,
    ) -> Result<()> {
        self.shared().each_line(seqs, f)
    }

    /// The seq of a committed event id.
    pub fn seq_of(&self, id: &str) -> Result<Option<u64>> {
        let bucket = layout::bucket_of(id);
        Ok(IdBucket::find(bucket, &self.bucket(bucket)?, id)?.filter(|s| *s <= self.head.seq))
    }

    /// The seq of the event with this id, which must have been recorded by
    /// `as_of`; the error says which of the two it is not.
    pub fn seq_as_of(&self, id: &str, as_of: u64) -> Result<u64> {
        match self.seq_of(id)? {
            Some(seq) if seq <= as_of => Ok(seq),
            Some(seq) => Err(Error::NotFound(format!(
                "event \"{id}\" was recorded after the --as-of point (it is seq {seq}; the view ends at seq {as_of})"
            ))),
            None => Err(Error::NotFound(format!("unknown event \"{id}\""))),
        }
    }

    /// The event with this id as it stands at `as_of`.
    pub fn current_by_id(&self, id: &str, as_of: u64) -> Result<Option<Current>> {
        match self.seq_of(id)? {
            Some(seq) => view::current(self, seq, as_of),
            None => Ok(None),
        }
    }

    /// Stored envelopes from `from` to the head, in log order. A seq that is
    /// missing from its block ends the scan with an error naming it.
    pub fn scan(&self, from: u64) -> impl Iterator<Item = Result<RawEnvelope>> + '_ {
        self.scan_lines(from).map(|item| {
            item.and_then(|(seq, line)| {
                RawEnvelope::from_bytes(&line)
                    .map_err(|e| Error::Damaged(format!("seq {seq}: {e}")))
            })
        })
    }

    /// The registered actor with this id.
    pub fn actor(&self, id: &str) -> Result<Option<ActorRecord>> {
        projection::actor(self.backend.as_ref(), id)
    }

    /// Every registered actor, by id.
    pub fn actors(&self) -> Result<Vec<ActorRecord>> {
        projection::actors(self.backend.as_ref())
    }

    /// Turn an `--as-of` value (a seq, or an RFC 3339 instant) into the last
    /// seq recorded at or before it. A seq past the head is refused (the log
    /// never stood there); an instant after the last recording is the head.
    pub fn resolve_as_of(&self, spec: &str) -> Result<u64> {
        if let Ok(seq) = spec.parse::<u64>() {
            if seq > self.head.seq {
                return Err(Error::invalid(format!(
                    "invalid --as-of {spec:?}: the log ends at seq {} (a time is given as an RFC 3339 instant such as 2017-09-13T12:00:00Z)",
                    self.head.seq
                )));
            }
            return Ok(seq);
        }
        let t = DateTime::parse_from_rfc3339(spec).map_err(|_| {
            Error::invalid(format!(
                "invalid --as-of {spec:?}: expected a seq such as 12 or an RFC 3339 instant such as 2017-09-13T12:00:00Z"
            ))
        })?;
        let t = t.with_timezone(&Utc);
        // recorded_at never decreases, so the answer is a binary search.
        let (mut lo, mut hi) = (0u64, self.head.seq);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let at = self.raw(mid)?.ok_or_else(|| missing(mid))?;
            let rec = DateTime::parse_from_rfc3339(&at.recorded_at)
                .map_err(|_| Error::Damaged(format!("seq {mid}: unreadable recorded_at")))?;
            if rec.with_timezone(&Utc) <= t {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Ok(lo)
    }

    /// Damage the log on purpose: replace the stored bytes of one envelope
    /// in place, as a bad disk or a hand edit of the files would. For tests
    /// of `verify`; never used by demarche itself.
    #[doc(hidden)]
    pub fn tamper_with_envelope(&self, seq: u64, line: &[u8]) -> Result<()> {
        let block_no = layout::block_of(seq);
        let mut block = (*self
            .block(block_no)?
            .ok_or_else(|| Error::NotFound(format!("seq {seq}")))?)
        .clone();
        let i = usize::try_from(seq - block.first).unwrap_or(usize::MAX);
        let slot = block
            .lines
            .get_mut(i)
            .ok_or_else(|| Error::NotFound(format!("seq {seq}")))?;
        *slot = line.to_vec();
        self.backend
            .put(LOG, &layout::block_key(block_no), &block.encode()?)?;
        self.blocks.borrow_mut().forget_from(block_no);
        self.backend.sync()
    }

    /// Damage a projection on purpose: remove its first entry. For tests of
    /// `verify`; never used by demarche itself.
    #[doc(hidden)]
    pub fn tamper_with_projection(&self, space: &str) -> Result<()> {
        if let Some(first) = self.backend.scan_prefix(space, b"").next() {
            let (k, _) = first?;
            self.backend.write(space, vec![(k, None)])?;
        }
        self.backend.sync()
    }

    /// Start appending.
    pub fn batch(&mut self) -> Batch<'_> {
        Batch::new(self)
    }

    /// Drop every projection and replay the log into them.
    pub fn rebuild(&mut self) -> Result<u64> {
        projection::rebuild(&*self)?;
        self.backend.sync()?;
        Ok(self.head.seq)
    }

    fn now(&self) -> String {
        (self.clock)().to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

/// A log block read from the backend and decompressed.
fn read_block(backend: &dyn Backend, no: u64) -> Result<Option<Block>> {
    match backend.get(LOG, &layout::block_key(no))? {
        Some(bytes) => Block::decode(no, &bytes).map(Some),
        None => Ok(None),
    }
}

/// The line of `seq` (none for 0) in the block `block` reads by its number.
fn line_in<B: std::borrow::Borrow<Block>>(
    seq: u64,
    block: impl FnOnce(u64) -> Result<Option<B>>,
) -> Result<Option<Vec<u8>>> {
    if seq == 0 {
        return Ok(None);
    }
    Ok(block(layout::block_of(seq))?.and_then(|b| b.borrow().line(seq).map(<[u8]>::to_vec)))
}

/// The committed log read straight from the backend, past the store's
/// caches, so that several threads can read it at once (see
/// [`Store::shared`]).
pub struct SharedRead<'a> {
    backend: &'a dyn Backend,
    head: u64,
}

impl SharedRead<'_> {
    /// The backend read, for the projections kept beside the log.
    pub fn backend(&self) -> &dyn Backend {
        self.backend
    }

    /// [`Store::each_line`], from any thread.
    pub fn each_line(
        &self,
        seqs: &[u64],
        mut f: impl FnMut(u64, Option<&[u8]>) -> Result<()>,
    ) -> Result<()> {
        let mut current: Option<(u64, Option<layout::Unpacked>)> = None;
        for &seq in seqs {
            if seq == 0 || seq > self.head {
                f(seq, None)?;
                continue;
            }
            let block = layout::block_of(seq);
            if current.as_ref().is_none_or(|(b, _)| *b != block) {
                let read = match self.backend.get(LOG, &layout::block_key(block))? {
                    Some(bytes) => Some(layout::Unpacked::decode(block, &bytes)?),
                    None => None,
                };
                current = Some((block, read));
            }
            let line = current
                .as_ref()
                .and_then(|(_, b)| b.as_ref())
                .and_then(|b| b.line(seq));
            f(seq, line)?;
        }
        Ok(())
    }

    /// [`Store::seq_of`], from any thread.
    pub fn seq_of(&self, id: &str) -> Result<Option<u64>> {
        let bucket = layout::bucket_of(id);
        let stored = self
            .backend
            .get(IDS, &layout::bucket_key(bucket))?
            .unwrap_or_default();
        Ok(IdBucket::find(bucket, &stored, id)?.filter(|s| *s <= self.head))
    }

    /// A committed correction or retraction, or an event they target, as
    /// the projections keep it apart from the log.
    fn kept_apart(&self, seq: u64) -> Result<Option<Envelope>> {
        if seq > self.head {
            return Ok(None);
        }
        projection::amending_envelope(self.backend, seq)
    }
}

impl LogRead for SharedRead<'_> {
    fn envelope_at(&self, seq: u64) -> Result<Option<Envelope>> {
        // The line is found in its unpacked block, not copied out.
        let mut env = None;
        self.each_line(&[seq], |_, line| {
            env = line.map(decode_stored).transpose()?;
            Ok(())
        })?;
        Ok(env)
    }

    fn amendment_at(&self, seq: u64) -> Result<Option<Envelope>> {
        match self.kept_apart(seq)? {
            Some(env) => Ok(Some(env)),
            None => self.envelope_at(seq),
        }
    }

    fn amends_of(&self, seq: u64) -> Result<Vec<u64>> {
        let mut amends = projection::amends_of(self.backend, seq)?;
        amends.retain(|s| *s <= self.head);
        Ok(amends)
    }
}

impl LogRead for Store {
    fn envelope_at(&self, seq: u64) -> Result<Option<Envelope>> {
        self.line(seq)?.map(|l| decode_stored(&l)).transpose()
    }

    fn amendment_at(&self, seq: u64) -> Result<Option<Envelope>> {
        match self.shared().kept_apart(seq)? {
            Some(env) => Ok(Some(env)),
            None => self.envelope_at(seq),
        }
    }

    fn amends_of(&self, seq: u64) -> Result<Vec<u64>> {
        self.shared().amends_of(seq)
    }
}

/// How an event without an id is matched against what the log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Re-reading a file: events about one subject are matched in order
    /// against the chain already recorded, so a second import appends nothing.
    Import,
    /// One command: a registration identical to the latest one is a no-op,
    /// anything else is a new event.
    Command,
}

/// What became of one event given to a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Appended { seq: u64, id: String },
    AlreadyPresent { seq: u64, id: String },
}

impl Outcome {
    /// The event's id.
    pub fn id(&self) -> &str {
        match self {
            Outcome::Appended { id, .. } | Outcome::AlreadyPresent { id, .. } => id,
        }
    }
}

/// Counts of a finished batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub appended: u64,
    pub already_present: u64,
    pub head: u64,
    /// Why the projections could not be brought up to date after the
    /// events were recorded (they catch up on the next open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projections_behind: Option<String>,
    /// Whether the projections were built beside the appending (see
    /// [`Batch::fold_projections`]) and kept, rather than replayed after it.
    #[serde(skip)]
    pub projected_beside: bool,
}

/// Where each event of a batch came from (a file and line), by its place
/// in the batch, for messages about duplicate ids; kept small, since a big
/// import holds one for every event.
#[derive(Default)]
struct Origins {
    /// File names, each once.
    files: Vec<String>,
    numbers: HashMap<String, u32>,
    /// For each event: its file's number plus one (0: none), and its line
    /// (0: none).
    at: Vec<(u32, u64)>,
}

impl Origins {
    /// Note where the next event came from: `FILE:LINE`, or any text.
    fn push(&mut self, origin: &str) {
        if origin.is_empty() {
            self.at.push((0, 0));
            return;
        }
        let (file, line) = match origin.rsplit_once(':') {
            Some((file, line)) => match line.parse::<u64>() {
                Ok(n) => (file, n),
                Err(_) => (origin, 0),
            },
            None => (origin, 0),
        };
        let number = match self.numbers.get(file) {
            Some(n) => *n,
            None => {
                let n = u32::try_from(self.files.len() + 1).unwrap_or(0);
                if n != 0 {
                    self.files.push(file.to_string());
                    self.numbers.insert(file.to_string(), n);
                }
                n
            }
        };
        self.at.push((number, line));
    }

    /// Where the `n`th event (from 0) came from, if known.
    fn of(&self, n: u64) -> Option<String> {
        let (file, line) = *self.at.get(usize::try_from(n).ok()?)?;
        let file = usize::try_from(file)
            .ok()
            .and_then(|f| f.checked_sub(1))
            .and_then(|f| self.files.get(f));
        match (file, line) {
            (Some(file), 0) => Some(file.clone()),
            (Some(file), line) => Some(format!("{file}:{line}")),
            (None, 0) => None,
            (None, line) => Some(format!("line {line}")),
        }
    }
}

/// An envelope ready to be written.
struct Staged {
    v: u32,
    seq: u64,
    id: String,
    hash: String,
    recorded_at: String,
    bytes: Vec<u8>,
}

/// Appends in progress. Envelopes are written past the committed head as
/// they come; `commit` syncs them and moves the head in one write. Dropping
/// a batch without committing removes what it wrote.
pub struct Batch<'s> {
    store: &'s mut Store,
    start: Head,
    next: u64,
    prev_hash: String,
    last_recorded: String,
    /// Envelope lines staged but not yet handed to the backend.
    pending: Vec<Vec<u8>>,
    /// Whether this batch's ids were written to the index.
    ids_written: bool,
    /// How many times staged envelopes were handed to the backend.
    flushes: u64,
    ids: fold::Ids,
    /// The thread building the projections as the batch appends, if any
    /// (see [`Batch::fold_projections`]).
    fold: Option<fold::Fold>,
    /// Whether the projections hold any of this batch's events.
    folded: bool,
    /// Envelopes staged before they are handed to the backend.
    pending_limit: usize,
    origins: Origins,
    actors: FastSet<String>,
    amends: FastMap<u64, Vec<u64>>,
    retracted: FastSet<u64>,
    cursors: FastMap<String, String>,
    latest: FastMap<String, String>,
    actor_ids: Option<Vec<String>>,
    summary: Summary,
    done: bool,
}

const PENDING_LIMIT: usize = 4096;

impl<'s> Batch<'s> {
    fn new(store: &'s mut Store) -> Batch<'s> {
        let start = store.head.clone();
        Batch {
            next: start.seq + 1,
            prev_hash: start.hash.clone(),
            last_recorded: start.recorded_at.clone(),
            start,
            store,
            pending: Vec::new(),
            ids_written: false,
            flushes: 0,
            ids: fold::Ids::default(),
            fold: None,
            folded: false,
            pending_limit: PENDING_LIMIT,
            origins: Origins::default(),
            actors: FastSet::default(),
            amends: FastMap::default(),
            retracted: FastSet::default(),
            cursors: FastMap::default(),
            latest: FastMap::default(),
            actor_ids: None,
            summary: Summary::default(),
            done: false,
        }
    }

    /// The head the batch started from.
    pub fn start_seq(&self) -> u64 {
        self.start.seq
    }

    /// Build the projections on a thread of their own as the events are
    /// appended, instead of reading them back from the log once the head
    /// has moved: for an import into an empty log, the one case where
    /// undoing them is clearing them (see `fold.rs`). Call before adding
    /// anything; returns whether the batch does so.
    pub fn fold_projections(&mut self) -> Result<bool> {
        let backend = self.store.backend.as_ref();
        if self.fold.is_some()
            || self.start.seq != 0
            || self.next != 1
            || !projection::is_empty(backend)?
        {
            return Ok(self.fold.is_some());
        }
        self.fold = fold::Fold::start(self.store.backend.clone(), self.ids.clone())?;
        self.folded = self.fold.is_some();
        Ok(self.folded)
    }

    /// Hand staged envelopes to the backend every `n` (tests: many small
    /// groups for the projecting thread).
    #[cfg(test)]
    pub(crate) fn stage_at_most(&mut self, n: usize) {
        self.pending_limit = n.max(1);
    }

    /// The backend the batch writes to.
    #[cfg(test)]
    pub(crate) fn backend(&self) -> &dyn Backend {
        self.store.backend.as_ref()
    }

    /// The counts so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Append one event. `origin` names where it came from (a file and line)
    /// for messages about duplicate ids.
    pub fn add(&mut self, event: Event, origin: &str, mode: Mode) -> Result<Outcome> {
        let canonical = event.canonical_bytes();
        self.add_canonical(event, canonical, origin, mode)
    }

    /// [`Self::add`] with the event's canonical bytes
    /// ([`Event::canonical_bytes`]) already worked out, as an importer's
    /// reading thread does.
    pub fn add_canonical(
        &mut self,
        event: Event,
        canonical: Vec<u8>,
        origin: &str,
        mode: Mode,
    ) -> Result<Outcome> {
        let id = match event.given_id() {
            Some(id) => {
                if let Some(seq) = self.lookup(id)? {
                    let found = self.same_content(id, seq, &canonical)?;
                    // Read again, the events after it about the same
                    // subject chained on it: the walk goes on from here.
                    if let (Mode::Import, Some(subject)) = (mode, event.subject()) {
                        self.cursors.insert(subject.to_string(), id.to_string());
                    }
                    return Ok(found);
                }
                id.to_string()
            }
            None => match event.subject().map(str::to_string) {
                None => {
                    let id = event.derive_id_from(&canonical, None);
                    if let Some(seq) = self.lookup(&id)? {
                        return self.same_content(&id, seq, &canonical);
                    }
                    id
                }
                Some(subject) => {
                    let latest = self.latest_about(&subject, &event)?;
                    let probe = match mode {
                        Mode::Import => self.cursors.get(&subject).cloned(),
                        Mode::Command => latest.clone(),
                    };
                    // The chain already holds this very event: nothing to add.
                    let candidate = match mode {
                        Mode::Import => Some(event.derive_id_from(&canonical, probe.as_deref())),
                        Mode::Command => probe,
                    };
                    if let Some(candidate) = candidate {
                        if let Some(seq) = self.lookup(&candidate)? {
                            if self.content_of(seq)? == canonical {
                                self.cursors.insert(subject, candidate.clone());
                                self.summary.already_present += 1;
                                return Ok(Outcome::AlreadyPresent { seq, id: candidate });
                            }
                        }
                    }
                    let id = event.derive_id_from(&canonical, latest.as_deref());
                    if let Some(seq) = self.lookup(&id)? {
                        let found = self.same_content(&id, seq, &canonical)?;
                        if mode == Mode::Import {
                            self.cursors.insert(subject, id);
                        }
                        return Ok(found);
                    }
                    self.check_refs(&event, false)?;
                    self.cursors.insert(subject.clone(), id.clone());
                    self.latest.insert(subject, id.clone());
                    id
                }
            },
        };
        if event.subject().is_none() || event.given_id().is_some() {
            self.check_refs(&event, false)?;
        }
        // Whatever its id, this is now the latest event about its subject:
        // a later derived id chains on it, in this batch as in the next.
        if let Some(subject) = event.subject() {
            self.latest.insert(subject.to_string(), id.clone());
        }
        let recorded_at = self.store.now().max(self.last_recorded.clone());
        let seq = self.next;
        let prev = &self.prev_hash;
        let hash = hash_of(SCHEMA_VERSION, seq, &id, &recorded_at, prev, &canonical);
        let bytes = envelope_line(
            SCHEMA_VERSION,
            seq,
            &id,
            &recorded_at,
            prev,
            &hash,
            &canonical,
        );
        self.stage(
            Staged {
                v: SCHEMA_VERSION,
                seq,
                id,
                hash,
                recorded_at,
                bytes,
            },
            event,
            origin,
        )
    }

    /// Append an envelope as exported: one already in the log must equal it
    /// exactly; one that continues the head is appended as is.
    pub fn add_envelope(&mut self, raw: RawEnvelope, origin: &str) -> Result<Outcome> {
        let seq = raw.seq;
        if raw.compute_hash() != raw.hash {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: hash does not match its content (edited by hand?)"
            )));
        }
        if seq == 0 {
            return Err(Error::invalid("envelope seq 0: seqs start at 1"));
        }
        if seq < self.next {
            let stored = self.read_any(seq)?;
            return match stored {
                Some(s) if s == raw => {
                    self.summary.already_present += 1;
                    Ok(Outcome::AlreadyPresent { seq, id: raw.id })
                }
                _ => Err(Error::invalid(format!(
                    "envelope seq {seq} differs from the one in the log (a fork)"
                ))),
            };
        }
        if seq > self.next {
            return Err(Error::invalid(format!(
                "envelope seq {seq} leaves a gap (the log continues at seq {})",
                self.next
            )));
        }
        if raw.prev != self.prev_hash {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: prev does not match the hash of seq {} (a fork)",
                seq - 1
            )));
        }
        if !crate::event::is_slug(&raw.id) {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: id {:?} is not a valid id (lowercase letters, digits and '-', starting with a letter or digit, at most 64 characters)",
                raw.id
            )));
        }
        let Ok(recorded) = DateTime::parse_from_rfc3339(&raw.recorded_at) else {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: recorded_at {:?} is not an RFC 3339 instant",
                raw.recorded_at
            )));
        };
        // Every later event is recorded no earlier than the last one: an
        // envelope from the future would date them all after it.
        let now = (self.store.clock)();
        if recorded.with_timezone(&Utc) > now + chrono::Duration::minutes(FUTURE_SLACK_MINUTES) {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: recorded_at {} is later than this machine's clock ({}); every event recorded after it would carry its time",
                raw.recorded_at,
                now.to_rfc3339_opts(SecondsFormat::Secs, true)
            )));
        }
        if raw.recorded_at < self.last_recorded {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: recorded_at {} is earlier than the previous envelope's",
                raw.recorded_at
            )));
        }
        let event = raw.decode()?.event;
        if let Some(given) = event.given_id().filter(|g| *g != raw.id) {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: id {:?} is not its event's id {given:?}",
                raw.id
            )));
        }
        // An event without an id of its own has the one derived from its
        // content (and, for a subject, the latest id about it), as when it
        // was recorded.
        if event.given_id().is_none() && raw.v == SCHEMA_VERSION {
            let prior = match event.subject() {
                Some(subject) => self.latest_about(subject, &event)?,
                None => None,
            };
            let derived = event.derive_id_from(&canonical(&raw.event), prior.as_deref());
            if derived != raw.id {
                return Err(Error::invalid(format!(
                    "envelope seq {seq}: id {:?} is not the id its event derives ({derived:?})",
                    raw.id
                )));
            }
        }
        self.check_refs(&event, true)?;
        if let Some(at) = self.lookup(&raw.id)? {
            return Err(Error::invalid(format!(
                "envelope seq {seq}: id \"{}\" is already used at seq {at}",
                raw.id
            )));
        }
        if let Some(subject) = event.subject() {
            self.latest.insert(subject.to_string(), raw.id.clone());
        }
        let staged = Staged {
            v: raw.v,
            seq: raw.seq,
            bytes: raw.to_bytes(),
            id: raw.id,
            hash: raw.hash,
            recorded_at: raw.recorded_at,
        };
        self.stage(staged, event, origin)
    }

    fn stage(&mut self, raw: Staged, event: Event, origin: &str) -> Result<Outcome> {
        let seq = raw.seq;
        let id = raw.id.clone();
        self.origins.push(origin);
        self.ids
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.as_str().into(), seq);
        match &event {
            Event::Actor(a) if self.actors.insert(a.id.clone()) => {
                if let Some(list) = self.actor_ids.as_mut() {
                    list.push(a.id.clone());
                }
            }
            Event::Correction(c) => self.note_amend(&c.target, seq)?,
            Event::Retraction(r) => {
                self.note_amend(&r.target, seq)?;
                if let Some(t) = self.lookup(&r.target)? {
                    self.retracted.insert(t);
                }
            }
            _ => {}
        }
        match self.fold.as_mut() {
            Some(fold) => {
                // The projections keep the lines of statements and of
                // amendments only.
                let line = match event {
                    Event::Statement(_) | Event::Correction(_) | Event::Retraction(_) => {
                        raw.bytes.clone()
                    }
                    _ => Vec::new(),
                };
                fold.push(
                    line,
                    Envelope {
                        v: raw.v,
                        seq,
                        id: id.clone(),
                        recorded_at: raw.recorded_at.clone(),
                        prev: std::mem::replace(&mut self.prev_hash, raw.hash.clone()),
                        hash: raw.hash,
                        event,
                    },
                );
            }
            None => self.prev_hash = raw.hash,
        }
        self.pending.push(raw.bytes);
        self.last_recorded = raw.recorded_at;
        self.next += 1;
        self.summary.appended += 1;
        if self.pending.len() >= self.pending_limit {
            self.flush_pending()?;
        }
        Ok(Outcome::Appended { seq, id })
    }

    fn note_amend(&mut self, target: &str, seq: u64) -> Result<()> {
        if let Some(t) = self.lookup(target)? {
            self.amends.entry(t).or_default().push(seq);
            if self.fold.is_some() {
                // Checking the amendment has just read the target's block.
                let line = self.line_at(t)?;
                if let (Some(fold), Some(line)) = (self.fold.as_mut(), line) {
                    fold.push_target(t, line);
                }
            }
        }
        Ok(())
    }

    /// Hand the staged envelopes to the backend, past the committed head:
    /// the last partial block is completed, further blocks are new.
    fn flush_pending(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.start.seq == 0 && self.flushes == 0 {
            // A new log: its format marker goes first, so that blocks left
            // by a batch that never committed are recognised as such (and
            // removed) when the database is opened again.
            let backend = self.store.backend.as_ref();
            if backend.get(META, FORMAT_KEY)?.is_none() {
                backend.put(META, FORMAT_KEY, FORMAT)?;
                backend.sync()?;
            }
        }
        let lines = std::mem::take(&mut self.pending);
        let first_seq = self.next - lines.len() as u64;
        let mut block_no = layout::block_of(first_seq);
        let mut current = match self.store.block(block_no)? {
            Some(b) => {
                // Keep what precedes the staged seqs; anything after them is
                // left over from an interrupted batch.
                let keep = usize::try_from(first_seq - b.first).unwrap_or(0);
                Block {
                    first: b.first,
                    lines: b.lines.iter().take(keep).cloned().collect(),
                }
            }
            None => Block {
                first: layout::block_start(block_no),
                lines: Vec::new(),
            },
        };
        let mut writes = Vec::new();
        let mut blocks = Vec::new();
        for line in lines {
            if current.lines.len() as u64 == layout::BLOCK {
                writes.push((
                    layout::block_key(block_no).to_vec(),
                    Some(current.encode()?),
                ));
                blocks.push((block_no, current));
                block_no += 1;
                current = Block {
                    first: layout::block_start(block_no),
                    lines: Vec::new(),
                };
            }
            current.lines.push(line);
        }
        writes.push((
            layout::block_key(block_no).to_vec(),
            Some(current.encode()?),
        ));
        blocks.push((block_no, current));
        self.store.backend.write(LOG, writes)?;
        {
            let mut cache = self.store.blocks.borrow_mut();
            for (no, b) in blocks {
                cache.put(no, Rc::new(b));
            }
        }
        if let Some(fold) = self.fold.as_mut() {
            fold.send();
        }
        self.flushes += 1;
        if self.flushes.is_multiple_of(16) {
            self.store.backend.release()?;
        }
        Ok(())
    }

    /// The seq of an id in the log or in this batch.
    fn lookup(&self, id: &str) -> Result<Option<u64>> {
        if let Some(seq) = fold::seq_in(&self.ids, id) {
            return Ok(Some(seq));
        }
        self.store.seq_of(id)
    }

    /// An envelope of the log or of this batch, whether or not it has been
    /// handed to the backend yet.
    fn raw_at(&self, seq: u64) -> Result<Option<RawEnvelope>> {
        if let Some(bytes) = self.pending_line(seq) {
            return RawEnvelope::from_bytes(bytes).map(Some);
        }
        self.store.raw_any(seq)
    }

    /// The stored line of `seq`, in this batch or in the log.
    fn line_at(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        match self.pending_line(seq) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => self.store.line_any(seq),
        }
    }

    /// The line of `seq` if it is staged and not yet handed to the backend.
    fn pending_line(&self, seq: u64) -> Option<&Vec<u8>> {
        let pending_from = self.next - self.pending.len() as u64;
        if seq >= pending_from && seq < self.next {
            return self.pending.get(usize::try_from(seq - pending_from).ok()?);
        }
        None
    }

    fn read_any(&mut self, seq: u64) -> Result<Option<RawEnvelope>> {
        self.raw_at(seq)
    }

    fn content_of(&mut self, seq: u64) -> Result<Vec<u8>> {
        match self.read_any(seq)? {
            Some(raw) => Ok(raw.decode()?.event.canonical_bytes()),
            None => Ok(Vec::new()),
        }
    }

    fn same_content(&mut self, id: &str, seq: u64, canonical: &[u8]) -> Result<Outcome> {
        if self.content_of(seq)? == canonical {
            self.summary.already_present += 1;
            return Ok(Outcome::AlreadyPresent {
                seq,
                id: id.to_string(),
            });
        }
        let first = seq
            .checked_sub(self.start.seq + 1)
            .and_then(|n| self.origins.of(n))
            .unwrap_or_else(|| format!("seq {seq} of the log"));
        Err(Error::invalid(format!(
            "id \"{id}\" is already used by a different event (first at {first})"
        )))
    }

    /// The id of the latest event about a subject: the actor's latest
    /// registration, or the target's latest correction or retraction.
    fn latest_about(&mut self, subject: &str, event: &Event) -> Result<Option<String>> {
        if let Some(id) = self.latest.get(subject) {
            return Ok(Some(id.clone()));
        }
        let seq = match event {
            Event::Actor(_) => self
                .store
                .actor(subject)?
                .and_then(|a| a.registrations.last().copied()),
            _ => match self.store.seq_of(subject)? {
                Some(t) => self.store.amends_of(t)?.last().copied(),
                None => None,
            },
        };
        match seq {
            Some(seq) => Ok(self.read_any(seq)?.map(|r| r.id)),
            None => Ok(None),
        }
    }

    fn actor_known(&self, id: &str) -> Result<bool> {
        Ok(self.actors.contains(id) || self.store.actor(id)?.is_some())
    }

    fn unknown_actor(&mut self, field: &str, id: &str) -> Result<Error> {
        if self.actor_ids.is_none() {
            let mut ids: Vec<String> = self.store.actors()?.into_iter().map(|a| a.id).collect();
            ids.extend(self.actors.iter().cloned());
            self.actor_ids = Some(ids);
        }
        let ids = self.actor_ids.as_deref().unwrap_or_default();
        let hint = match closest(id, ids.iter().map(String::as_str)).first() {
            Some(best) => format!(" (did you mean \"{best}\"?)"),
            None => " (register it first with an actor event or `demarche actor add`)".into(),
        };
        Ok(Error::invalid(format!(
            "field \"{field}\": unknown actor \"{id}\"{hint}"
        )))
    }

    /// Every reference must point at something recorded earlier; a
    /// correction must leave a valid event behind, by every rule unless it
    /// is `recorded` already (an imported envelope: see
    /// [`Event::validate_recorded`]).
    fn check_refs(&mut self, event: &Event, recorded: bool) -> Result<()> {
        for r in event.refs() {
            match r {
                crate::event::Ref::Actor { field, id } => {
                    if !self.actor_known(id)? {
                        return Err(self.unknown_actor(field, id)?);
                    }
                }
                crate::event::Ref::Event { field, id } => {
                    if self.lookup(id)?.is_none() {
                        return Err(Error::invalid(format!(
                            "field \"{field}\": unknown event \"{id}\" (events must be recorded before they are referred to)"
                        )));
                    }
                }
            }
        }
        let (target, set) = match event {
            Event::Correction(c) => (&c.target, Some(&c.set)),
            Event::Retraction(r) => (&r.target, None),
            _ => return Ok(()),
        };
        let seq = self.lookup(target)?.unwrap_or(0);
        let cur = self.current_any(seq)?.ok_or_else(|| {
            Error::invalid(format!("field \"target\": unknown event \"{target}\""))
        })?;
        if cur.retracted.is_some() || self.retracted.contains(&seq) {
            return Err(Error::invalid(format!(
                "field \"target\": event \"{target}\" is retracted; a retracted event cannot be corrected or retracted again"
            )));
        }
        match &cur.event {
            Event::Actor(_) => {
                return Err(Error::invalid(format!(
                    "field \"target\": \"{target}\" is an actor registration; register the actor again to change it"
                )))
            }
            Event::Retraction(_) => {
                return Err(Error::invalid(format!(
                    "field \"target\": \"{target}\" is a retraction, which cannot be corrected or retracted"
                )))
            }
            _ => {}
        }
        if let Some(set) = set {
            let corrected = apply_set(&cur.event, set)
                .and_then(|e| {
                    if !recorded {
                        e.validate()?;
                    }
                    Ok(e)
                })
                .map_err(|e| {
                    Error::invalid(format!(
                        "field \"set\": the corrected {} would be invalid: {e}",
                        cur.event.type_name()
                    ))
                })?;
            // New values may name actors or events too, but not the event
            // itself.
            if let Event::Statement(s) = &corrected {
                if !recorded && s.about.contains(target) {
                    return Err(Error::invalid(format!(
                        "field \"set\": the corrected statement would be about itself (\"{target}\")"
                    )));
                }
            }
            self.check_refs(&corrected, recorded)
                .map_err(|e| Error::invalid(format!("field \"set\": {e}")))?;
        }
        Ok(())
    }

    /// Whether the event with this id, in the log or in this batch, still
    /// stands (`Some(false)` once retracted); `None` for an unknown id.
    pub fn standing(&mut self, id: &str) -> Result<Option<bool>> {
        let Some(seq) = self.lookup(id)? else {
            return Ok(None);
        };
        if self.retracted.contains(&seq) {
            return Ok(Some(false));
        }
        Ok(Some(
            self.current_any(seq)?
                .is_some_and(|c| c.retracted.is_none()),
        ))
    }

    fn current_any(&mut self, seq: u64) -> Result<Option<Current>> {
        let reader = BatchRead { batch: self };
        view::current(&reader, seq, u64::MAX)
    }

    /// Sync what was written and move the head: from here on the events are
    /// part of the log.
    pub fn commit(mut self) -> Result<Summary> {
        self.flush_pending()?;
        if self.summary.appended == 0 {
            if let Some(fold) = self.fold.take() {
                let _ = fold.finish();
            }
            if self.folded {
                projection::clear_all(self.store.backend.as_ref())?;
            }
            self.done = true;
            self.summary.head = self.start.seq;
            return Ok(self.summary.clone());
        }
        self.done = true;
        let head = Head {
            seq: self.next - 1,
            hash: self.prev_hash.clone(),
            recorded_at: self.last_recorded.clone(),
        };
        let mut folded = None;
        let moved = (|| -> Result<()> {
            self.ids_written = true;
            self.store
                .insert_ids(&self.ids.read().unwrap_or_else(PoisonError::into_inner))?;
            // Written while the projecting thread applies the last groups.
            folded = self.fold.take().map(fold::Fold::finish);
            let backend = self.store.backend.as_ref();
            backend.sync()?;
            let head_bytes = serde_json::to_vec(&head).unwrap_or_default();
            backend.write(
                META,
                vec![
                    (HEAD_KEY.to_vec(), Some(head_bytes)),
                    (FORMAT_KEY.to_vec(), Some(FORMAT.to_vec())),
                ],
            )?;
            backend.sync()
        })();
        if let Err(e) = moved {
            self.done = false;
            return Err(e);
        }
        self.store.head = head;
        self.summary.head = self.store.head.seq;
        // What the batch kept to match and roll back its events is done
        // with: freed before the catch-up builds up its own.
        self.ids = fold::Ids::default();
        self.origins = Origins::default();
        self.cursors = FastMap::default();
        self.latest = FastMap::default();
        // The events are recorded once the head has moved. Projections are
        // derived: if bringing them up to date fails here, the next open
        // catches them up from the log, so the append still stands.
        let backend = self.store.backend.as_ref();
        self.summary.projected_beside = matches!(folded, Some(Ok(())));
        let projected = match folded {
            // Built beside the appending: up to the head now.
            Some(Ok(())) => projection::end_fold(backend),
            // Cleared, and replayed as after any other batch.
            Some(Err(_)) => projection::clear_all(backend),
            None => Ok(()),
        }
        .and_then(|()| projection::catch_up(&*self.store));
        match projected {
            Err(e) => self.summary.projections_behind = Some(e.to_string()),
            // Synced now so that the process can end without closing sled
            // (see `Store::close_at_exit`); should this fail, the close
            // syncs again.
            Ok(()) => {
                let _ = self.store.backend.sync();
            }
        }
        Ok(self.summary.clone())
    }

    fn rollback(&mut self) -> Result<()> {
        self.pending.clear();
        if let Some(fold) = self.fold.take() {
            let _ = fold.finish();
        }
        let store = &*self.store;
        let backend = store.backend.as_ref();
        if self.start.seq == 0 {
            backend.write(META, vec![(HEAD_KEY.to_vec(), None)])?;
        } else {
            let start_bytes = serde_json::to_vec(&self.start).unwrap_or_default();
            backend.put(META, HEAD_KEY, &start_bytes)?;
        }
        if self.ids_written {
            let ids: Vec<String> = self
                .ids
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .keys()
                .map(|id| id.to_string())
                .collect();
            store.remove_ids(&ids)?;
        }
        // Cut the blocks back to the committed head.
        let head = self.start.seq;
        let first_block = layout::block_of(head + 1);
        let last_block = layout::block_of(self.next.max(head + 1));
        let mut writes = Vec::new();
        for block in first_block..=last_block {
            let keep =
                usize::try_from((head + 1).saturating_sub(layout::block_start(block))).unwrap_or(0);
            if keep == 0 {
                writes.push((layout::block_key(block).to_vec(), None));
            } else if let Some(b) = store.block(block)? {
                let kept = Block {
                    first: b.first,
                    lines: b.lines.iter().take(keep).cloned().collect(),
                };
                writes.push((layout::block_key(block).to_vec(), Some(kept.encode()?)));
            }
        }
        store.blocks.borrow_mut().forget_from(first_block);
        backend.write(LOG, writes)?;
        // Last: until they are cleared, the projections keep the mark that
        // has the next catch-up clear them.
        if self.folded {
            projection::clear_all(backend)?;
        }
        Ok(())
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.rollback();
        }
    }
}

/// The log as a batch sees it: committed events plus its own.
struct BatchRead<'b, 's> {
    batch: &'b Batch<'s>,
}

impl LogRead for BatchRead<'_, '_> {
    fn envelope_at(&self, seq: u64) -> Result<Option<Envelope>> {
        self.batch.raw_at(seq)?.map(|r| r.decode()).transpose()
    }

    fn amends_of(&self, seq: u64) -> Result<Vec<u64>> {
        let mut out = self.batch.store.amends_of(seq)?;
        if let Some(more) = self.batch.amends.get(&seq) {
            out.extend(more);
        }
        Ok(out)
    }
}
