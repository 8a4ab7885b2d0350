//! PLOVER records (openeventdata/PLOVER): a JSON array of records, or JSON
//! Lines, read one record at a time so memory stays bounded. Each record
//! becomes one action per source actor, `plover-<id>`; DOCUMENT records are
//! skipped. See docs/import-plover.md for the whole mapping.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::date::EdtfDate;
use crate::error::{Error, Result};
use crate::event::{ActionTaken, Codes, Source, StrictValue};
use crate::store::Batch;

use super::coded::{self, ActorSpec, Mapped, RowResult, Session, MAX_LINE_BYTES};

/// Read one PLOVER file into the batch.
pub fn read(
    batch: &mut Batch<'_>,
    session: &mut Session<'_>,
    name: &str,
    reader: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(format!("cannot read {name}"), e);
    let mut sc = Scanner::new(reader);
    let first = sc.skip_ws().map_err(io)?;
    let array = first == Some(b'[');
    if array {
        sc.bump().map_err(io)?;
    }
    let mut buf = Vec::new();
    let mut records = 0u64;
    let mut documents = 0u64;
    let mut after_record = false;
    loop {
        let next = sc.skip_ws().map_err(io)?;
        let line = sc.line;
        let fatal = |m: &str| Error::invalid(format!("{name}:{line}: {m}"));
        if array {
            match next {
                None => return Err(fatal("the file ends before the array is closed with ]")),
                Some(b']') => {
                    sc.bump().map_err(io)?;
                    break;
                }
                Some(b',') if after_record => {
                    sc.bump().map_err(io)?;
                    after_record = false;
                    if sc.skip_ws().map_err(io)? == Some(b']') {
                        return Err(Error::invalid(format!(
                            "{name}:{}: a comma before ] (remove the trailing comma)",
                            sc.line
                        )));
                    }
                    continue;
                }
                Some(b',') => return Err(fatal("expected a record, found a comma")),
                Some(_) if after_record => {
                    return Err(fatal("expected a comma or ] after the record"))
                }
                Some(_) => {}
            }
        } else if next.is_none() {
            break;
        }
        let start = sc.line;
        let taken = sc.take_value(&mut buf).map_err(io)?;
        after_record = true;
        let outcome = match taken {
            Taken::Unterminated => {
                return Err(Error::invalid(format!(
                    "{name}:{start}: the record that starts here is not closed before the end of the file"
                )))
            }
            Taken::TooLong(n) => Err((start, format!("record is longer than 8 MiB ({n} bytes)"))),
            Taken::Complete => record(&buf, start),
        };
        match outcome {
            Ok(None) => {
                documents += 1;
                continue;
            }
            Ok(Some((mapped, notes))) => {
                for n in notes {
                    session.note(format!("{name}:{start}: {n}"));
                }
                session.emit(batch, mapped, name, start)?;
            }
            Err((line, message)) => session.reject(name, line, &message)?,
        }
        records += 1;
        if records.is_multiple_of(1024) {
            progress(sc.read);
        }
    }
    if array && sc.skip_ws().map_err(io)?.is_some() {
        return Err(Error::invalid(format!(
            "{name}:{}: unexpected text after the closing ] of the array",
            sc.line
        )));
    }
    progress(sc.read);
    if documents > 0 {
        session.file_note(format!(
            "{name}: skipped {documents} DOCUMENT record{} (documentation of the file, not events)",
            if documents == 1 { "" } else { "s" }
        ));
    }
    if records == 0 {
        return Err(Error::invalid(format!(
            "{name}: no event records found{}",
            if documents > 0 {
                " (only DOCUMENT records)"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// Parse one record; `None` for a DOCUMENT record. Errors carry the line
/// they are about.
type Parsed = std::result::Result<Option<(Mapped, Vec<String>)>, (u64, String)>;

fn record(bytes: &[u8], start: u64) -> Parsed {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = start
            + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
        (line, "not valid UTF-8".to_string())
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictValue::deserialize(&mut de)
        .and_then(|v| de.end().map(|_| v.0))
        .map_err(|e| {
            let line = start + (e.line() as u64).saturating_sub(1);
            let msg = e.to_string();
            let msg = msg
                .rsplit_once(" at line ")
                .map_or(msg.as_str(), |(m, _)| m);
            (line, format!("invalid JSON: {msg} (column {})", e.column()))
        })?;
    map(&value).map_err(|m| (start, m))
}

/// One record, as a JSON value.
fn map(value: &Value) -> RowResult<Option<(Mapped, Vec<String>)>> {
    let obj = value.as_object().ok_or_else(|| {
        format!(
            "expected a JSON object (a PLOVER record), found {}",
            kind_of(value)
        )
    })?;
    let event = string(obj, "event")?.ok_or("missing field \"event\" (the PLOVER category)")?;
    if event == "DOCUMENT" {
        return Ok(None);
    }
    let category_ok = event
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-')
        && event.len() <= 32;
    if !category_ok {
        return Err(format!(
            "field \"event\": invalid PLOVER category \"{event}\" (expected capitals, such as AGREE)"
        ));
    }
    let raw_id = match obj.get("id") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) => return Err("missing field \"id\"".into()),
        Some(other) => {
            return Err(format!(
                "field \"id\": expected a string, found {}",
                kind_of(other)
            ))
        }
    };
    let base = coded::event_id("plover", &raw_id).map_err(|m| format!("field \"id\": {m}"))?;
    // "-s2", "-s3"... name the actions of a record's further source actors.
    if let Some((_, n)) = base.rsplit_once("-s") {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "field \"id\": record id {} ends the way the actions of a record's further source actors do (-s2, -s3...)",
                crate::event::quote(&raw_id)
            ));
        }
    }
    let date = string(obj, "date")?.ok_or("missing field \"date\"")?;
    let date = EdtfDate::parse(date).map_err(|e| format!("field \"date\": {e}"))?;

    let mut notes = Vec::new();
    let mut sources = side(obj, "source", "actor", &mut notes)?;
    let targets = side(obj, "target", "recipient", &mut notes)?;
    if sources.is_empty() {
        sources.push(coded::unknown_actor());
    }
    let summary = string(obj, "text")?
        .or(string(obj, "eventText")?)
        .map(str::to_string)
        .unwrap_or_else(|| format!("PLOVER {event}"));
    let place = place(obj)?;
    let mut tags = vec!["plover".to_string()];
    tags.extend(context(obj)?.into_iter().map(|c| format!("context:{c}")));
    if let Some(mode) = string(obj, "mode")? {
        tags.push(format!("mode:{mode}"));
    }
    tags.dedup();
    let mut outlets: Vec<Source> = string(obj, "publication")?
        .map(outlet)
        .into_iter()
        .collect();
    outlets.push(outlet("PLOVER"));
    let codes = Codes {
        plover: Some(event.to_string()),
        quad_class: coded::plover_quad_class(event),
        ..Codes::default()
    };

    // One action per source actor. Several sources and no target is PLOVER's
    // compound actor ("Hungarian and Romanian officials agreed"): each side
    // acts toward the others.
    let compound = targets.is_empty() && sources.len() > 1;
    let mut events = Vec::with_capacity(sources.len());
    for (i, s) in sources.iter().enumerate() {
        let id = if i == 0 {
            base.clone()
        } else {
            format!("{base}-s{}", i + 1)
        };
        if id.len() > 64 {
            return Err(format!(
                "field \"id\": \"{raw_id}\" is too long to be an event id"
            ));
        }
        let pool = if compound { &sources } else { &targets };
        let mut ids: Vec<String> = Vec::new();
        for t in pool {
            let itself = compound && t.id == s.id;
            if !itself && !ids.contains(&t.id) {
                ids.push(t.id.clone());
            }
        }
        events.push(ActionTaken {
            id: Some(id),
            date: date.clone(),
            actor: s.id.clone(),
            kind: event.to_ascii_lowercase(),
            summary: summary.clone(),
            targets: ids,
            codes: Some(codes.clone()),
            place: place.clone(),
            sources: outlets.clone(),
            tags: tags.clone(),
        });
    }
    let mut actors = sources;
    actors.extend(targets);
    Ok(Some((
        Mapped {
            actors,
            events,
            label: format!("PLOVER record {raw_id}"),
        },
        notes,
    )))
}

/// The actors of one side, under the 0.5 name (`source`, `target`) or the
/// newer one (`actor`, `recipient`).
fn side(
    obj: &Map<String, Value>,
    key: &'static str,
    newer: &'static str,
    notes: &mut Vec<String>,
) -> RowResult<Vec<ActorSpec>> {
    let given = |k: &'static str| obj.get(k).filter(|v| !is_empty(v)).map(|v| (k, v));
    let (field, value) = match (given(key), given(newer)) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "fields \"{key}\" and \"{newer}\" both name actors (give one of them)"
            ))
        }
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => return Ok(Vec::new()),
    };
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![value],
        // A newer record may name the actor by a plain string.
        Value::String(_) if field == newer => vec![value],
        Value::String(s) => {
            notes.push(format!(
                "field \"{field}\": \"{s}\" is not a list of actors; read as none"
            ));
            return Ok(Vec::new());
        }
        other => {
            return Err(format!(
                "field \"{field}\": expected a list of actors, found {}",
                kind_of(other)
            ))
        }
    };
    let mut out: Vec<ActorSpec> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if let Some(a) = actor(item).map_err(|m| format!("field \"{field}[{i}]\": {m}"))? {
            if !out.iter().any(|o| o.id == a.id) {
                out.push(a);
            }
        }
    }
    Ok(out)
}

/// One actor: `{actorText, code, sector}` (or `text`/`name` for the name),
/// or a plain name. `None` when it names nobody.
fn actor(value: &Value) -> RowResult<Option<ActorSpec>> {
    let (name, code, sector) = match value {
        Value::String(s) => (coded::present(s), None, None),
        Value::Object(o) => {
            let name = ["actorText", "text", "name"]
                .iter()
                .find_map(|k| string(o, k).transpose())
                .transpose()?;
            (name, string(o, "code")?, string(o, "sector")?)
        }
        Value::Null => return Ok(None),
        other => {
            return Err(format!(
                "expected an actor object, found {}",
                kind_of(other)
            ))
        }
    };
    let sector = sector.filter(|s| s.bytes().any(|b| b.is_ascii_alphanumeric()));
    let Some(raw_name) = name.or(code) else {
        return Ok(None);
    };
    let suffix: Vec<String> = [code, sector]
        .into_iter()
        .flatten()
        .map(coded::code_suffix)
        .filter(|s| !s.is_empty())
        .collect();
    let is_country = code.is_some_and(|c| coded::role_kind(c).is_none());
    let (name, alias) = coded::coded_name(raw_name, sector);
    Ok(Some(ActorSpec {
        id: coded::actor_id(raw_name, &suffix.join("-")),
        name,
        kind: coded::coded_kind(sector.into_iter().chain(code), is_country),
        country: code.and_then(coded::iso_country).map(str::to_string),
        alias,
    }))
}

/// `eventLoc` as text: `{"name": "Geneva", "country code": "CH"}` reads
/// "Geneva, CH".
fn place(obj: &Map<String, Value>) -> RowResult<Option<String>> {
    match obj.get("eventLoc") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(coded::present(s).map(str::to_string)),
        Some(Value::Object(o)) => {
            let name = string(o, "name")?;
            let country = string(o, "country code")?.or(string(o, "country")?);
            Ok(coded::join_place([name, country]))
        }
        Some(other) => Err(format!(
            "field \"eventLoc\": expected an object or a string, found {}",
            kind_of(other)
        )),
    }
}

/// `context`: one string of comma-separated contexts, or a list of them.
fn context(obj: &Map<String, Value>) -> RowResult<Vec<String>> {
    let parts: Vec<&str> = match obj.get("context") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split(',').collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    format!("field \"context\": expected strings, found {}", kind_of(v))
                })
            })
            .collect::<RowResult<_>>()?,
        Some(other) => {
            return Err(format!(
                "field \"context\": expected a string, found {}",
                kind_of(other)
            ))
        }
    };
    Ok(parts
        .into_iter()
        .filter_map(coded::present)
        .map(str::to_string)
        .collect())
}

/// A string field; empty and `NA` read as absent.
fn string<'v>(obj: &'v Map<String, Value>, key: &str) -> RowResult<Option<&'v str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(coded::present(s)),
        Some(other) => Err(format!(
            "field \"{key}\": expected a string, found {}",
            kind_of(other)
        )),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn outlet(name: &str) -> Source {
    Source {
        outlet: name.to_string(),
        url: None,
        published: None,
        retrieved: None,
    }
}

/// How a value read by [`Scanner::take_value`] ended.
#[derive(Debug, PartialEq, Eq)]
enum Taken {
    Complete,
    TooLong(usize),
    Unterminated,
}

/// Finds where each top-level JSON value (or each element of a top-level
/// array) starts and ends without parsing it, counting lines, so records
/// can be parsed one at a time and named by line.
struct Scanner<'r> {
    reader: &'r mut dyn BufRead,
    /// The line of the next byte, from 1.
    line: u64,
    read: u64,
    bom_checked: bool,
}

impl<'r> Scanner<'r> {
    fn new(reader: &'r mut dyn BufRead) -> Scanner<'r> {
        Scanner {
            reader,
            line: 1,
            read: 0,
            bom_checked: false,
        }
    }

    fn bump(&mut self) -> std::io::Result<()> {
        let buf = self.reader.fill_buf()?;
        if let Some(b) = buf.first() {
            if *b == b'\n' {
                self.line += 1;
            }
            self.reader.consume(1);
            self.read += 1;
        }
        Ok(())
    }

    /// Skip white space; the next byte, not consumed.
    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        if !self.bom_checked {
            self.bom_checked = true;
            let buf = self.reader.fill_buf()?;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                self.reader.consume(3);
                self.read += 3;
            }
        }
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let n = buf
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(buf.len());
            self.line += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            let next = buf.get(n).copied();
            self.reader.consume(n);
            self.read += n as u64;
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// Read one value, from its first byte to its last, into `out`.
    fn take_value(&mut self, out: &mut Vec<u8>) -> std::io::Result<Taken> {
        out.clear();
        let mut depth = 0usize;
        let mut in_str = false;
        let mut escaped = false;
        let mut started = false;
        let mut total = 0usize;
        let mut too_long = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                // A bare scalar may end with the file; nothing else may.
                let done = started && depth == 0 && !in_str;
                return Ok(match (done, too_long) {
                    (false, _) => Taken::Unterminated,
                    (true, true) => Taken::TooLong(total),
                    (true, false) => Taken::Complete,
                });
            }
            let mut end = None;
            for (i, &b) in buf.iter().enumerate() {
                if !started {
                    started = true;
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth = 1,
                        _ => {}
                    }
                    continue;
                }
                if in_str {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_str = false;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    continue;
                }
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let n = end.unwrap_or(buf.len());
            let chunk = &buf[..n];
            self.line += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            if !too_long {
                if out.len() + n > MAX_LINE_BYTES {
                    too_long = true;
                    out.clear();
                    out.shrink_to_fit();
                } else {
                    out.extend_from_slice(chunk);
                }
            }
            total += n;
            self.reader.consume(n);
            self.read += n as u64;
            if end.is_some() {
                return Ok(if too_long {
                    Taken::TooLong(total)
                } else {
                    Taken::Complete
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ActorKind;

    fn values(text: &str) -> Vec<(u64, String)> {
        let mut data = text.as_bytes();
        let mut sc = Scanner::new(&mut data);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            match sc.skip_ws().unwrap() {
                None => break,
                Some(b'[' | b',' | b']') => sc.bump().unwrap(),
                Some(_) => {
                    let line = sc.line;
                    assert_eq!(sc.take_value(&mut buf).unwrap(), Taken::Complete);
                    out.push((line, String::from_utf8(buf.clone()).unwrap()));
                }
            }
        }
        out
    }

    #[test]
    fn the_scanner_splits_values_and_counts_lines() {
        let got = values("[\n{\"a\": \"x]}\\\"\"},\n {\"b\": [1, {\"c\": 2}]}\n, 3, \"s\"]");
        assert_eq!(
            got,
            [
                (2, "{\"a\": \"x]}\\\"\"}".to_string()),
                (3, "{\"b\": [1, {\"c\": 2}]}".to_string()),
                (4, "3".to_string()),
                (4, "\"s\"".to_string()),
            ]
        );
        let lines = values("{\"a\":1}\n{\"b\":\n2}\n");
        assert_eq!(lines[1].0, 2);
        let mut data: &[u8] = b"{\"a\": [1, 2}";
        let mut sc = Scanner::new(&mut data);
        sc.skip_ws().unwrap();
        assert_eq!(sc.take_value(&mut Vec::new()).unwrap(), Taken::Unterminated);
    }

    #[test]
    fn a_record_maps_onto_one_action_per_source() {
        let rec = r#"{"id": "PLOVER-GSR01-AGREE-0001", "date": "2000-01-01",
            "source": [{"actorText": "Hungarian", "code": "HUN", "sector": "GOV"},
                       {"actorText": "Romanian", "code": "ROU", "sector": "GOV"}],
            "event": "AGREE", "context": "refugees, political", "text": "They agreed.",
            "publication": "OEDA", "eventLoc": {"name": "Geneva", "country code": "CH"}}"#;
        let (m, notes) = record(rec.as_bytes(), 1).unwrap().unwrap();
        assert!(notes.is_empty());
        assert_eq!(m.events.len(), 2);
        let (a, b) = (&m.events[0], &m.events[1]);
        assert_eq!(a.id.as_deref(), Some("plover-gsr01-agree-0001"));
        assert_eq!(b.id.as_deref(), Some("plover-gsr01-agree-0001-s2"));
        assert_eq!(a.actor, "hungarian-hun-gov");
        assert_eq!(a.targets, ["romanian-rou-gov"]);
        assert_eq!(b.actor, "romanian-rou-gov");
        assert_eq!(b.targets, ["hungarian-hun-gov"]);
        assert_eq!(a.kind, "agree");
        let codes = a.codes.as_ref().unwrap();
        assert_eq!(
            (codes.plover.as_deref(), codes.quad_class),
            (Some("AGREE"), Some(1))
        );
        assert_eq!(a.tags, ["plover", "context:refugees", "context:political"]);
        assert_eq!(a.place.as_deref(), Some("Geneva, CH"));
        assert_eq!(m.actors[0].kind, ActorKind::Government);
        assert_eq!(m.actors[0].country.as_deref(), Some("HUN"));
    }

    #[test]
    fn sides_take_either_spelling_and_odd_values() {
        let rec = r#"{"id": "x-1", "date": "2020-05", "event": "ASSAULT",
            "recipient": [{"actorText": "Iraqi civilians", "code": "IRQ", "sector": "CVL"}]}"#;
        let (m, _) = record(rec.as_bytes(), 1).unwrap().unwrap();
        assert_eq!(m.events[0].actor, "unknown-actor");
        assert_eq!(m.events[0].targets, ["iraqi-civilians-irq-cvl"]);
        assert_eq!(m.events[0].id.as_deref(), Some("plover-x-1"));
        let rec = r#"{"id": "x-2", "date": "2000-01-01", "event": "AGREE",
            "source": [{"actorText": "Asia-Pacific Economic Cooperation", "code": "IGO"}],
            "target": "diplomatic"}"#;
        let (m, notes) = record(rec.as_bytes(), 1).unwrap().unwrap();
        assert!(m.events[0].targets.is_empty());
        assert_eq!(m.actors[0].kind, ActorKind::Organization);
        assert_eq!(m.actors[0].id, "asia-pacific-economic-cooperation-igo");
        assert_eq!(m.actors[0].country, None);
        assert_eq!(
            notes,
            ["field \"target\": \"diplomatic\" is not a list of actors; read as none"]
        );
        let both = r#"{"id": "x", "date": "2000", "event": "AID", "source": [{"actorText": "A"}], "actor": "B"}"#;
        assert!(record(both.as_bytes(), 1)
            .unwrap_err()
            .1
            .contains("both name actors"));
        let doc = r#"{"id": "D", "event": "DOCUMENT"}"#;
        assert!(record(doc.as_bytes(), 1).unwrap().is_none());
    }

    #[test]
    fn bad_records_name_field_and_line() {
        for (rec, line, message) in [
            (
                "{\"id\": \"x\",\n\"date\": \"2000-13-01\", \"event\": \"AID\"}",
                1,
                "field \"date\"",
            ),
            (
                "{\"id\": \"x\", \"date\": \"2000\", \"event\": \"aid\"}",
                1,
                "invalid PLOVER category \"aid\"",
            ),
            (
                "{\"id\": \"x\", \"date\": \"2000\"}",
                1,
                "missing field \"event\"",
            ),
            (
                "{\"id\": \"x\",\n\"date\": 2000, \"event\": \"AID\"}",
                1,
                "field \"date\": expected a string, found a number",
            ),
            (
                "{\"id\": \"x\",\n\"date\" \"2000\"}",
                2,
                "invalid JSON: expected `:`",
            ),
            ("{\"id\": \"x\", \"id\": \"y\"}", 1, "duplicate key"),
            ("[1]", 1, "expected a JSON object"),
        ] {
            let (at, m) = record(rec.as_bytes(), 1).unwrap_err();
            assert_eq!(at, line, "{rec}: {m}");
            assert!(m.contains(message), "{rec}: {m}");
        }
    }
}
