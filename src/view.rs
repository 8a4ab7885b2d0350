//! Events as they currently stand: the original with every correction
//! applied in log order, and whether it was retracted, as of any point of the
//! log. Nothing here writes; every view of the product is built on this.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::event::Event;
use crate::store::Envelope;

/// Read access to the log and to the index of corrections and retractions.
pub trait LogRead {
    /// The envelope at `seq`, if the log has it.
    fn envelope_at(&self, seq: u64) -> Result<Option<Envelope>>;
    /// The seqs of corrections and retractions that target `seq`, ascending.
    fn amends_of(&self, seq: u64) -> Result<Vec<u64>>;
    /// The envelope at `seq`, known to be a correction or a retraction or
    /// an event they target: a store may keep those apart, where they are
    /// cheaper to read than from the log.
    fn amendment_at(&self, seq: u64) -> Result<Option<Envelope>> {
        self.envelope_at(seq)
    }
}

/// A retraction that applies to an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Retracted {
    pub id: String,
    pub seq: u64,
    pub recorded_at: String,
    pub reason: String,
}

/// An event as it stands at some point of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub seq: u64,
    pub id: String,
    pub recorded_at: String,
    pub v: u32,
    /// The event with every applicable correction applied.
    pub event: Event,
    /// Ids of the corrections applied, in log order.
    pub corrections: Vec<String>,
    pub retracted: Option<Retracted>,
}

/// The event at `seq` as the log stood at `as_of` (a seq): `None` when it
/// was not yet recorded then.
pub fn current(log: &dyn LogRead, seq: u64, as_of: u64) -> Result<Option<Current>> {
    if seq > as_of {
        return Ok(None);
    }
    // An amended event is read where the store keeps amended events.
    let amends = log.amends_of(seq)?;
    let env = if amends.is_empty() {
        log.envelope_at(seq)?
    } else {
        log.amendment_at(seq)?
    };
    match env {
        Some(env) => apply_amends(log, env, &amends, as_of).map(Some),
        None => Ok(None),
    }
}

/// An event that no correction or retraction touches, as it stands.
pub fn unamended(env: Envelope) -> Current {
    Current {
        seq: env.seq,
        id: env.id,
        recorded_at: env.recorded_at,
        v: env.v,
        event: env.event,
        corrections: Vec::new(),
        retracted: None,
    }
}

/// `env` with the corrections and retractions recorded up to `as_of`.
pub fn amended(log: &dyn LogRead, env: Envelope, as_of: u64) -> Result<Current> {
    let amends = log.amends_of(env.seq)?;
    apply_amends(log, env, &amends, as_of)
}

/// `env` with those of `amends` (its corrections and retractions,
/// ascending) recorded up to `as_of`.
fn apply_amends(log: &dyn LogRead, env: Envelope, amends: &[u64], as_of: u64) -> Result<Current> {
    let mut out = unamended(env);
    for &amend in amends {
        if amend > as_of {
            break;
        }
        // A correction can itself be corrected or retracted: take it as it stood.
        let Some(a) = log.amendment_at(amend)? else {
            continue;
        };
        let a = amended(log, a, as_of)?;
        if a.retracted.is_some() {
            continue;
        }
        match &a.event {
            Event::Correction(c) => {
                // A correction was checked against the event when it was
                // written; one that no longer fits (its predecessor was
                // retracted) is skipped rather than failing the whole view.
                if let Ok(e) = apply_set(&out.event, &c.set) {
                    out.event = e;
                    out.corrections.push(a.id.clone());
                }
            }
            Event::Retraction(r) => {
                out.retracted = Some(Retracted {
                    id: a.id.clone(),
                    seq: a.seq,
                    recorded_at: a.recorded_at.clone(),
                    reason: r.reason.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Replace the named fields of an event (a `null` value removes an optional
/// field); the result must still be a valid event of the same type, by the
/// rules of a recorded event (a new correction is held to every rule when
/// it is written).
pub fn apply_set(event: &Event, set: &std::collections::BTreeMap<String, Value>) -> Result<Event> {
    let mut value = event.to_value();
    let obj = value
        .as_object_mut()
        .ok_or_else(|| Error::invalid("event is not an object"))?;
    for (field, new) in set {
        if matches!(field.as_str(), "type" | "id" | "target") {
            return Err(Error::invalid(format!(
                "field \"{field}\" cannot be corrected"
            )));
        }
        if new.is_null() {
            obj.remove(field);
        } else {
            obj.insert(field.clone(), new.clone());
        }
    }
    Event::from_recorded_value(value)
}
