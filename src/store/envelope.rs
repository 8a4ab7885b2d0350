//! The envelope: how one event sits in the log. Stored bytes are never
//! rewritten; an envelope of an older schema version is upgraded when read,
//! here and nowhere else.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::event::{canonical, hex, parse_strict, Event};

/// The event schema version written today.
pub const SCHEMA_VERSION: u32 = 1;

/// The `prev` of the first envelope.
pub const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An envelope exactly as stored and exported: the event is kept as the JSON
/// it was written with, so its hash can always be recomputed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnvelope {
    pub v: u32,
    pub seq: u64,
    pub id: String,
    pub recorded_at: String,
    pub prev: String,
    pub hash: String,
    pub event: Value,
}

/// An envelope with its event read and upgraded to today's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub v: u32,
    pub seq: u64,
    pub id: String,
    pub recorded_at: String,
    pub prev: String,
    pub hash: String,
    pub event: Event,
}

impl RawEnvelope {
    /// The hash of every field but `hash`, over canonical JSON.
    pub fn compute_hash(&self) -> String {
        hash_of(
            self.v,
            self.seq,
            &self.id,
            &self.recorded_at,
            &self.prev,
            &canonical(&self.event),
        )
    }

    /// The stored and exported line (without its newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Field order is fixed by the struct; the event's keys are sorted.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Read stored bytes back.
    pub fn from_bytes(bytes: &[u8]) -> Result<RawEnvelope> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::Damaged(format!("stored envelope is not readable: {e}")))
    }

    /// Read an envelope line given by a user, strictly.
    pub fn from_value(value: Value) -> Result<RawEnvelope> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string().replace('`', "\"");
            if path == "." {
                Error::Invalid(format!("envelope: {inner}"))
            } else {
                Error::Invalid(format!("envelope field \"{path}\": {inner}"))
            }
        })
    }

    /// Upgrade and type the event.
    pub fn decode(&self) -> Result<Envelope> {
        let event = upcast(self.v, self.event.clone())?;
        let event = Event::from_recorded_value(event)
            .map_err(|e| Error::Invalid(format!("seq {}: {e}", self.seq)))?;
        Ok(Envelope {
            v: self.v,
            seq: self.seq,
            id: self.id.clone(),
            recorded_at: self.recorded_at.clone(),
            prev: self.prev.clone(),
            hash: self.hash.clone(),
            event,
        })
    }
}

/// The hash of an envelope's fields, given the canonical bytes of its event:
/// SHA-256 over the canonical JSON of every field but `hash`.
pub fn hash_of(v: u32, seq: u64, id: &str, recorded_at: &str, prev: &str, event: &[u8]) -> String {
    // Keys in sorted order, strings escaped as JSON: the same bytes as
    // serialising the whole object canonically, without building it. The
    // fields after the event are put together in one buffer.
    let mut h = Sha256::new();
    h.update(b"{\"event\":");
    h.update(event);
    let mut rest = Vec::with_capacity(id.len() + prev.len() + recorded_at.len() + 96);
    push_fields(
        &mut rest,
        true,
        &[
            ("id", Json::Str(id)),
            ("prev", Json::Str(prev)),
            ("recorded_at", Json::Str(recorded_at)),
            ("seq", Json::Num(seq)),
            ("v", Json::Num(u64::from(v))),
        ],
    );
    rest.push(b'}');
    h.update(&rest);
    hex(&h.finalize())
}

/// The stored line of an envelope, given the canonical bytes of its event:
/// the same bytes as [`RawEnvelope::to_bytes`].
pub fn envelope_line(
    v: u32,
    seq: u64,
    id: &str,
    recorded_at: &str,
    prev: &str,
    hash: &str,
    event: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        event.len() + id.len() + recorded_at.len() + prev.len() + hash.len() + 96,
    );
    out.push(b'{');
    push_fields(
        &mut out,
        false,
        &[
            ("v", Json::Num(u64::from(v))),
            ("seq", Json::Num(seq)),
            ("id", Json::Str(id)),
            ("recorded_at", Json::Str(recorded_at)),
            ("prev", Json::Str(prev)),
            ("hash", Json::Str(hash)),
        ],
    );
    out.extend_from_slice(b",\"event\":");
    out.extend_from_slice(event);
    out.push(b'}');
    out
}

/// A field's value in an envelope.
enum Json<'a> {
    Str(&'a str),
    Num(u64),
}

/// Append `"key":value` for each field, separated by commas, with one
/// before the first when `comma`. Keys are plain ASCII; values are written
/// as serde_json writes them.
fn push_fields(out: &mut Vec<u8>, comma: bool, fields: &[(&str, Json)]) {
    for (k, (key, value)) in fields.iter().enumerate() {
        if comma || k > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        // Writing to a Vec cannot fail.
        let _ = match value {
            Json::Str(s) => serde_json::to_writer(&mut *out, s),
            Json::Num(n) => serde_json::to_writer(&mut *out, n),
        };
    }
}

/// Bring an event written under schema `v` up to today's schema.
///
/// Version 0 stored a statement's words under `quote` and knew neither
/// `form` nor `language`; every quote it held was verbatim, so it reads as
/// `text` with `form: direct`.
pub fn upcast(v: u32, mut event: Value) -> Result<Value> {
    match v {
        SCHEMA_VERSION => Ok(event),
        0 => {
            if let Some(obj) = event.as_object_mut() {
                if obj.get("type").and_then(Value::as_str) == Some("statement") {
                    if let Some(quote) = obj.remove("quote") {
                        obj.insert("text".into(), quote);
                    }
                    obj.entry("form").or_insert_with(|| Value::from("direct"));
                }
            }
            Ok(event)
        }
        other => Err(Error::Invalid(format!(
            "envelope version {other} is newer than this demarche understands (at most {SCHEMA_VERSION}); upgrade demarche"
        ))),
    }
}

/// [`decode_stored`] over many `(seq, line)` pairs, in order, spread over
/// the machine's cores when there are enough lines to be worth it.
pub fn decode_many(lines: &[(u64, Vec<u8>)]) -> Result<Vec<Envelope>> {
    crate::cores::map(lines, 2_000, |(_, line)| decode_stored(line))
}

/// A stored envelope read straight into its typed event, without first
/// building a JSON tree: the fast path of every query.
pub fn decode_stored(line: &[u8]) -> Result<Envelope> {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        v: u32,
        seq: u64,
        id: String,
        recorded_at: String,
        prev: String,
        hash: String,
        #[serde(borrow)]
        event: &'a serde_json::value::RawValue,
    }
    let b: Borrowed<'_> = serde_json::from_slice(line)
        .map_err(|e| Error::Damaged(format!("stored envelope is not readable: {e}")))?;
    if b.v != SCHEMA_VERSION {
        return RawEnvelope::from_bytes(line)?.decode();
    }
    let event = Event::from_stored_json(b.event.get())
        .map_err(|e| Error::Damaged(format!("seq {}: {e}", b.seq)))?;
    Ok(Envelope {
        v: b.v,
        seq: b.seq,
        id: b.id,
        recorded_at: b.recorded_at,
        prev: b.prev,
        hash: b.hash,
        event,
    })
}

/// Parse one line as either a bare event or an envelope (it has `seq`).
pub enum Line {
    Event(Box<Event>),
    Envelope(RawEnvelope),
}

impl Line {
    /// Read one line of JSON Lines input.
    pub fn parse(bytes: &[u8]) -> Result<Line> {
        if let Some(event) = Event::type_first(bytes) {
            event.validate()?;
            return Ok(Line::Event(Box::new(event)));
        }
        let value = parse_strict(bytes)?;
        let is_envelope = value
            .as_object()
            .is_some_and(|o| o.contains_key("seq") && o.contains_key("event"));
        if is_envelope {
            let raw = RawEnvelope::from_value(value)?;
            // The event inside must be valid too, and kept as written.
            raw.decode()?;
            Ok(Line::Envelope(raw))
        } else {
            Ok(Line::Event(Box::new(Event::from_value(value)?)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(event: Value) -> RawEnvelope {
        let mut r = RawEnvelope {
            v: 1,
            seq: 1,
            id: "a".into(),
            recorded_at: "2026-11-26T16:00:00.000000Z".into(),
            prev: ZERO_HASH.into(),
            hash: String::new(),
            event,
        };
        r.hash = r.compute_hash();
        r
    }

    #[test]
    fn hash_covers_every_field_but_itself() {
        let a = raw(serde_json::json!({"type":"actor","id":"a","name":"A","kind":"person"}));
        let mut b = a.clone();
        b.recorded_at = "2026-11-26T16:00:00.000001Z".into();
        assert_ne!(a.compute_hash(), b.compute_hash());
        let mut c = a.clone();
        c.hash = "x".into();
        assert_eq!(a.compute_hash(), c.compute_hash());
        assert_eq!(a.hash.len(), 64);
    }

    #[test]
    fn the_streamed_hash_equals_hashing_the_canonical_object() {
        let a = raw(
            serde_json::json!({"type":"statement","date":"2017","speaker":"a","text":"\"quoted\" — ü"}),
        );
        let body = serde_json::json!({
            "v": a.v, "seq": a.seq, "id": a.id, "recorded_at": a.recorded_at,
            "prev": a.prev, "event": a.event,
        });
        assert_eq!(a.compute_hash(), hex(&Sha256::digest(canonical(&body))));
    }

    #[test]
    fn the_built_line_equals_the_serialised_envelope() {
        let a = raw(
            serde_json::json!({"type":"statement","date":"2017","speaker":"a","text":"é \"x\""}),
        );
        let line = envelope_line(
            a.v,
            a.seq,
            &a.id,
            &a.recorded_at,
            &a.prev,
            &a.hash,
            &canonical(&a.event),
        );
        assert_eq!(line, a.to_bytes());
    }

    proptest::proptest! {
        // Any seq, version and strings needing escapes: the line and the
        // hash put together by hand equal those of the serialised envelope.
        #[test]
        fn the_built_line_and_hash_match_serde_for_any_fields(
            v in 0u32..=u32::MAX,
            seq in proptest::prelude::any::<u64>(),
            id in "[a-z\"\\\\\\x00-\\x1f\u{7f}é—-]{0,12}",
            recorded_at in "[0-9TZ:.\"-]{0,30}",
            text in "\\PC{0,20}",
        ) {
            let mut a = raw(serde_json::json!({"type":"statement","date":"2017","speaker":"a","text":text}));
            a.v = v;
            a.seq = seq;
            a.id = id;
            a.recorded_at = recorded_at;
            a.hash = a.compute_hash();
            let body = serde_json::json!({
                "v": a.v, "seq": a.seq, "id": a.id, "recorded_at": a.recorded_at,
                "prev": a.prev, "event": a.event,
            });
            proptest::prop_assert_eq!(&a.hash, &hex(&Sha256::digest(canonical(&body))));
            let line = envelope_line(a.v, a.seq, &a.id, &a.recorded_at, &a.prev, &a.hash, &canonical(&a.event));
            proptest::prop_assert_eq!(line, a.to_bytes());
        }
    }

    #[test]
    fn bytes_round_trip_in_field_order() {
        let a = raw(serde_json::json!({"type":"actor","kind":"person","name":"A","id":"a"}));
        let bytes = a.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"v":1,"seq":1,"id":"a","recorded_at":"#),
            "{text}"
        );
        assert!(
            text.ends_with(r#""event":{"id":"a","kind":"person","name":"A","type":"actor"}}"#),
            "{text}"
        );
        assert_eq!(RawEnvelope::from_bytes(&bytes).unwrap(), a);
    }

    #[test]
    fn version_zero_statements_are_upgraded_on_read() {
        let mut r = raw(
            serde_json::json!({"type":"statement","date":"2017","speaker":"a","quote":"Hello."}),
        );
        r.v = 0;
        let env = r.decode().unwrap();
        match env.event {
            Event::Statement(s) => {
                assert_eq!(s.text, "Hello.");
                assert_eq!(s.form, Some(crate::event::Form::Direct));
            }
            other => panic!("unexpected {other:?}"),
        }
        r.v = 7;
        assert!(r.decode().unwrap_err().to_string().contains("version 7"));
    }
}
