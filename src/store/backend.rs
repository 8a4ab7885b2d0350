//! The storage seam: a handful of ordered key-value spaces that the log and
//! the projections are written into. sled is the embedded default; anything
//! that offers ordered keys, prefix scans and a durable sync can stand in
//! (a server database, or the in-memory map used to replay projections).

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::Result;

/// One key and its value, as read from a space.
pub type Entry = (Vec<u8>, Vec<u8>);

/// One key to set (`Some`) or remove (`None`).
pub type Write = (Vec<u8>, Option<Vec<u8>>);

/// A fallible iterator over entries in key order.
pub type Entries<'a> = Box<dyn Iterator<Item = Result<Entry>> + 'a>;

/// Ordered key-value spaces with a durable sync, shared between threads.
pub trait Backend: Send + Sync {
    /// The value under `key` in `space`.
    fn get(&self, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Set many keys of one space; `None` removes the key.
    fn write(&self, space: &str, entries: Vec<Write>) -> Result<()>;
    /// Keys starting with `prefix`, in order.
    fn scan_prefix<'a>(&'a self, space: &str, prefix: &[u8]) -> Entries<'a>;
    /// Keys from `start` (inclusive) to the end of the space, in order.
    fn scan_from<'a>(&'a self, space: &str, start: &[u8]) -> Entries<'a>;
    /// The last entry of a space, if any.
    fn last(&self, space: &str) -> Result<Option<Entry>>;
    /// The last entry whose key starts with `prefix`, if any.
    fn last_in_prefix(&self, space: &str, prefix: &[u8]) -> Result<Option<Entry>>;
    /// Remove every key of a space.
    fn clear(&self, space: &str) -> Result<()>;
    /// Make everything written so far survive a crash or power loss.
    fn sync(&self) -> Result<()>;

    /// Hand what was written so far to the operating system, without
    /// waiting for the disk, so the backend can free its memory. Big
    /// imports call it as they go.
    fn release(&self) -> Result<()> {
        Ok(())
    }

    /// Whether this process wrote anything through the backend that a
    /// successful [`Backend::sync`] has not yet made durable (a backend
    /// that cannot tell says yes).
    fn unsynced(&self) -> bool {
        true
    }

    /// How many bytes of keys and values this process has written through
    /// the backend.
    fn written(&self) -> u64 {
        0
    }

    /// Set one key.
    fn put(&self, space: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(space, vec![(key.to_vec(), Some(value.to_vec()))])
    }
}

/// A backend held in memory: used to replay projections for `verify` and in
/// tests. Nothing it holds survives the process.
#[derive(Default)]
pub struct MemBackend {
    spaces: Mutex<Spaces>,
}

type Spaces = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

impl MemBackend {
    /// Every key and value of a space, in order.
    pub fn dump(&self, space: &str) -> Vec<Entry> {
        self.collect(space, |_| true, &[])
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Spaces> {
        // A poisoned lock only means another thread panicked mid-test; the
        // maps themselves are always consistent between calls.
        self.spaces.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn collect(&self, space: &str, keep: impl Fn(&[u8]) -> bool, start: &[u8]) -> Vec<Entry> {
        self.lock()
            .get(space)
            .map(|m| {
                m.range(start.to_vec()..)
                    .take_while(|(k, _)| keep(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Backend for MemBackend {
    fn get(&self, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.lock().get(space).and_then(|m| m.get(key).cloned()))
    }

    fn write(&self, space: &str, entries: Vec<Write>) -> Result<()> {
        let mut spaces = self.lock();
        let m = spaces.entry(space.to_string()).or_default();
        for (k, v) in entries {
            match v {
                Some(v) => m.insert(k, v),
                None => m.remove(&k),
            };
        }
        Ok(())
    }

    fn scan_prefix<'a>(&'a self, space: &str, prefix: &[u8]) -> Entries<'a> {
        let items = self.collect(space, |k| k.starts_with(prefix), prefix);
        Box::new(items.into_iter().map(Ok))
    }

    fn scan_from<'a>(&'a self, space: &str, start: &[u8]) -> Entries<'a> {
        let items = self.collect(space, |_| true, start);
        Box::new(items.into_iter().map(Ok))
    }

    fn last(&self, space: &str) -> Result<Option<Entry>> {
        Ok(self
            .lock()
            .get(space)
            .and_then(|m| m.iter().next_back().map(|(k, v)| (k.clone(), v.clone()))))
    }

    fn last_in_prefix(&self, space: &str, prefix: &[u8]) -> Result<Option<Entry>> {
        Ok(self.lock().get(space).and_then(|m| {
            m.range(prefix.to_vec()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .last()
                .map(|(k, v)| (k.clone(), v.clone()))
        }))
    }

    fn clear(&self, space: &str) -> Result<()> {
        self.lock().remove(space);
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }
}
