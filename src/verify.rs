//! `verify`: proof that the log is what it claims to be. It walks every
//! envelope (seq continuity, the hash chain, the id index, readable events)
//! and then replays the log into fresh projections and compares them with
//! the stored ones. The first problem found is reported with its seq.

use chrono::DateTime;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::projection::{self, P_META};
use crate::store::{Store, ZERO_HASH};

/// What a sound log looks like.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    pub envelopes: u64,
    pub head_hash: String,
    pub projections_checked: usize,
}

fn damaged(msg: String) -> Error {
    Error::Damaged(msg)
}

/// Check the whole log and its projections.
pub fn verify(store: &Store) -> Result<Report> {
    let head = store.head().clone();
    let backend = store.backend();
    let mut expected = 1u64;
    let mut prev = ZERO_HASH.to_string();
    let mut last_recorded: Option<DateTime<chrono::FixedOffset>> = None;
    for item in store.scan(1) {
        let raw = match item {
            Ok(raw) => raw,
            Err(Error::Damaged(m)) => return Err(damaged(m)),
            Err(e) => return Err(damaged(format!("seq {expected}: {e}"))),
        };
        let seq = expected;
        if raw.seq != seq {
            return Err(damaged(format!(
                "seq {seq}: the envelope stored there says seq {}",
                raw.seq
            )));
        }
        if raw.prev != prev {
            return Err(damaged(format!(
                "seq {seq}: prev does not match the hash of seq {} (the chain is broken)",
                seq - 1
            )));
        }
        if raw.compute_hash() != raw.hash {
            return Err(damaged(format!(
                "seq {seq}: the hash does not match the envelope's content (it was altered)"
            )));
        }
        let at = DateTime::parse_from_rfc3339(&raw.recorded_at)
            .map_err(|_| damaged(format!("seq {seq}: recorded_at is not an RFC 3339 instant")))?;
        if last_recorded.is_some_and(|l| at < l) {
            return Err(damaged(format!("seq {seq}: recorded_at goes back in time")));
        }
        last_recorded = Some(at);
        raw.decode()
            .map_err(|e| damaged(format!("seq {seq}: the event is not valid: {e}")))?;
        match store.seq_of(&raw.id)? {
            Some(s) if s == seq => {}
            Some(s) => {
                return Err(damaged(format!(
                    "seq {seq}: the id index maps \"{}\" to seq {s}",
                    raw.id
                )))
            }
            None => {
                return Err(damaged(format!(
                    "seq {seq}: id \"{}\" is missing from the id index",
                    raw.id
                )))
            }
        }
        prev = raw.hash;
        expected += 1;
    }
    if expected - 1 != head.seq {
        return Err(damaged(format!(
            "seq {expected}: missing from the log (the head says the log ends at seq {})",
            head.seq
        )));
    }
    if prev != head.hash {
        return Err(damaged(format!(
            "seq {}: the head's hash does not match the last envelope",
            head.seq
        )));
    }
    let (ids, max) = store.id_index_stats()?;
    if max > head.seq {
        return Err(damaged(format!(
            "seq {}: the id index points past the log (to seq {max})",
            head.seq + 1
        )));
    }
    if ids != head.seq {
        return Err(damaged(format!(
            "seq {}: the id index holds {ids} ids for {} envelopes",
            head.seq, head.seq
        )));
    }
    let fresh = projection::replay(store)?;
    let mut checked = 0;
    for space in projection::SPACES {
        if *space == P_META {
            continue;
        }
        let stored: Vec<_> = backend
            .scan_prefix(space, b"")
            .collect::<Result<Vec<_>>>()?;
        let replayed = fresh.dump(space);
        if stored != replayed {
            let first = stored
                .iter()
                .zip(replayed.iter())
                .position(|(a, b)| a != b)
                .unwrap_or(stored.len().min(replayed.len()));
            return Err(damaged(format!(
                "projection {space} differs from a fresh replay of the log ({} stored entries, {} replayed; first difference at entry {}); run `demarche rebuild`",
                stored.len(),
                replayed.len(),
                first + 1
            )));
        }
        checked += 1;
    }
    if projection::applied(backend)? != head.seq {
        return Err(damaged(format!(
            "projections were applied up to seq {}, the log ends at seq {}; run `demarche rebuild`",
            projection::applied(backend)?,
            head.seq
        )));
    }
    Ok(Report {
        envelopes: head.seq,
        head_hash: head.hash,
        projections_checked: checked,
    })
}
