//! `verify`: proof that the log is what it claims to be. It walks every
//! envelope (seq continuity, the hash chain, the id index, readable events)
//! and then replays the log into fresh projections and compares them with
//! the stored ones. The first problem found is reported with its seq.

use chrono::DateTime;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::projection::{self, P_META};
use crate::store::{key_seq, seq_key, Store, IDS, LOG, ZERO_HASH};

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
    for item in backend.scan_from(LOG, &seq_key(1)) {
        let (key, bytes) = item?;
        let seq = key_seq(&key, false).ok_or_else(|| damaged("a log key is not a seq".into()))?;
        if seq > head.seq {
            break;
        }
        if seq != expected {
            return Err(damaged(format!(
                "seq {expected}: missing from the log (the next stored envelope is seq {seq})"
            )));
        }
        let raw = crate::store::RawEnvelope::from_bytes(&bytes)
            .map_err(|e| damaged(format!("seq {seq}: {e}")))?;
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
        match backend
            .get(IDS, raw.id.as_bytes())?
            .and_then(|b| key_seq(&b, false))
        {
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
    let mut ids = 0u64;
    for item in backend.scan_prefix(IDS, b"") {
        let (k, v) = item?;
        let s = key_seq(&v, false).unwrap_or(0);
        if s == 0 || s > head.seq {
            return Err(damaged(format!(
                "seq {}: the id index holds \"{}\", which points past the log",
                head.seq + 1,
                String::from_utf8_lossy(&k)
            )));
        }
        ids += 1;
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
