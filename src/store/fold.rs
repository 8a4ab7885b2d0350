//! Projections built beside an import into an empty log.
//!
//! An import that starts from an empty log hands each group of envelopes
//! it appends, already typed, to a thread of its own that applies them to
//! the projections, instead of reading the whole log back and decoding it
//! again once the head has moved. The projections then run ahead of the
//! head, so they are marked first ([`projection::begin_fold`]): should the
//! import fail, the batch clears them, and should the process die, the next
//! open finds the mark, clears them and replays the log. Only an empty log
//! qualifies, so that clearing is all it takes to undo them.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, PoisonError, RwLock};
use std::thread::JoinHandle;

use foldhash::HashMap as FastMap;

use super::layout::{self, Block};
use super::{decode_stored, Backend, Envelope};
use crate::error::{Error, Result};
use crate::projection::{self, Group, Source};
use crate::view::LogRead;

/// A batch's ids and their seqs, shared with the projecting thread.
pub(super) type Ids = Arc<RwLock<FastMap<Box<str>, u64>>>;

/// The seq of an id in a batch's map.
pub(super) fn seq_in(ids: &Ids, id: &str) -> Option<u64> {
    ids.read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(id)
        .copied()
}

/// Groups of envelopes on their way to the projecting thread.
const IN_FLIGHT: usize = 2;

/// The projecting thread, and the group being gathered for it.
pub(super) struct Fold {
    to_worker: Option<SyncSender<Group>>,
    worker: JoinHandle<Result<()>>,
    group: Group,
}

impl Fold {
    /// Start projecting into `backend`, whose log and projections are
    /// empty; `None` when no thread can be started (the batch then catches
    /// up after its commit, as any other).
    pub(super) fn start(backend: Arc<dyn Backend>, ids: Ids) -> Result<Option<Fold>> {
        let (to_worker, groups) = sync_channel(IN_FLIGHT);
        let out = backend.clone();
        let spawned = std::thread::Builder::new()
            .name("projections".into())
            .spawn(move || {
                let log = Appended {
                    backend: out.as_ref(),
                    ids,
                    block: RefCell::new(None),
                };
                projection::apply_groups(&log, out.as_ref(), groups)
            });
        let Ok(worker) = spawned else {
            return Ok(None);
        };
        let fold = Fold {
            to_worker: Some(to_worker),
            worker,
            group: Group::default(),
        };
        // Marked before anything is written to the projections.
        if let Err(e) = projection::begin_fold(backend.as_ref()) {
            let _ = fold.finish();
            return Err(e);
        }
        Ok(Some(fold))
    }

    /// Add an envelope to the group being gathered.
    pub(super) fn push(&mut self, line: Vec<u8>, envelope: Envelope) {
        self.group.lines.push((envelope.seq, line));
        self.group.envelopes.push(envelope);
    }

    /// Add the stored line of an event that a correction or retraction of
    /// the group targets.
    pub(super) fn push_target(&mut self, seq: u64, line: Vec<u8>) {
        self.group.targets.push((seq, line));
    }

    /// Hand the group to the thread, once its envelopes are in the
    /// backend's log, where the thread reads them again should a later one
    /// correct them. A thread that stopped is not fed any more: its error
    /// is told by [`Fold::finish`].
    pub(super) fn send(&mut self) {
        if self.group.lines.is_empty() {
            return;
        }
        let group = std::mem::take(&mut self.group);
        if let Some(tx) = &self.to_worker {
            if tx.send(group).is_err() {
                self.to_worker = None;
            }
        }
    }

    /// Wait for the thread to apply everything it was handed, and tell how
    /// that went.
    pub(super) fn finish(mut self) -> Result<()> {
        self.send();
        drop(self.to_worker.take());
        self.worker
            .join()
            .unwrap_or_else(|_| Err(Error::Storage("the projecting thread failed".into())))
    }
}

/// The log as an import into an empty log has written it so far: every id
/// is in the batch's map, every envelope handed over is in the backend.
struct Appended<'a> {
    backend: &'a dyn Backend,
    ids: Ids,
    /// The last block read, decompressed.
    block: RefCell<Option<Rc<Block>>>,
}

impl Appended<'_> {
    fn block(&self, no: u64) -> Result<Option<Rc<Block>>> {
        let full = |b: &Rc<Block>| {
            b.first == layout::block_start(no) && b.lines.len() as u64 == layout::BLOCK
        };
        if let Some(b) = self.block.borrow().as_ref().filter(|b| full(b)) {
            return Ok(Some(b.clone()));
        }
        let block = super::read_block(self.backend, no)?.map(Rc::new);
        self.block.borrow_mut().clone_from(&block);
        Ok(block)
    }
}

impl LogRead for Appended<'_> {
    fn envelope_at(&self, seq: u64) -> Result<Option<Envelope>> {
        self.line(seq)?.map(|l| decode_stored(&l)).transpose()
    }

    fn amends_of(&self, seq: u64) -> Result<Vec<u64>> {
        projection::amends_of(self.backend, seq)
    }
}

impl Source for Appended<'_> {
    fn seq_of(&self, id: &str) -> Result<Option<u64>> {
        Ok(seq_in(&self.ids, id))
    }

    fn line(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        super::line_in(seq, |no| self.block(no))
    }
}
