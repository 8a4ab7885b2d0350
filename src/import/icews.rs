//! ICEWS coded event files (the `events.*.tab` files of the Harvard
//! Dataverse release): tab-separated, a header row naming the columns in any
//! order, one coded event per row. Each row becomes the action
//! `icews-<Event ID>`; see docs/import-icews.md for the whole mapping.

use std::io::BufRead;

use crate::error::{Error, Result};
use crate::event::{ActionTaken, Codes, Source};
use crate::store::Batch;

use super::coded::{self, ActorSpec, Mapped, RowResult, Session, Step};

/// The columns demarche reads, as the header names them, and whether a file
/// must have them. Other columns are ignored.
const COLUMNS: [(&str, bool); 20] = [
    ("Event ID", true),
    ("Event Date", true),
    ("Source Name", true),
    ("Source Sectors", false),
    ("Source Country", false),
    ("Event Text", false),
    ("CAMEO Code", true),
    ("Intensity", false),
    ("Target Name", true),
    ("Target Sectors", false),
    ("Target Country", false),
    ("Story ID", false),
    ("Sentence Number", false),
    ("Publisher", false),
    ("City", false),
    ("District", false),
    ("Province", false),
    ("Country", false),
    ("Latitude", false),
    ("Longitude", false),
];

const EVENT_ID: usize = 0;
const EVENT_DATE: usize = 1;
const SOURCE_NAME: usize = 2;
const SOURCE_SECTORS: usize = 3;
const SOURCE_COUNTRY: usize = 4;
const EVENT_TEXT: usize = 5;
const CAMEO_CODE: usize = 6;
const INTENSITY: usize = 7;
const TARGET_NAME: usize = 8;
const TARGET_SECTORS: usize = 9;
const TARGET_COUNTRY: usize = 10;
const STORY_ID: usize = 11;
const PUBLISHER: usize = 13;
const CITY: usize = 14;
const DISTRICT: usize = 15;
const PROVINCE: usize = 16;
const COUNTRY: usize = 17;

/// Where each known column sits in this file.
#[derive(Debug)]
struct Header {
    position: [Option<usize>; COLUMNS.len()],
    names: Vec<String>,
}

impl Header {
    fn parse(name: &str, number: u64, bytes: &[u8]) -> Result<Header> {
        let at = |m: String| Error::invalid(format!("{name}:{number}: {m}"));
        let text = std::str::from_utf8(bytes)
            .map_err(|_| at("the header row is not valid UTF-8".into()))?;
        let names: Vec<String> = text.split('\t').map(|c| c.trim().to_string()).collect();
        let mut position = [None; COLUMNS.len()];
        for (i, cell) in names.iter().enumerate() {
            let key = normalize(cell);
            if let Some(c) = COLUMNS.iter().position(|(n, _)| normalize(n) == key) {
                if position[c].is_some() {
                    return Err(at(format!("the header names column \"{cell}\" twice")));
                }
                position[c] = Some(i);
            }
        }
        if position.iter().all(Option::is_none) {
            return Err(at(format!(
                "expected the ICEWS header row (Event ID, Event Date, Source Name, ...), found \"{}\"",
                coded::show_bytes(&bytes[..bytes.len().min(80)])
            )));
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(position)
            .filter(|((_, required), p)| *required && p.is_none())
            .map(|((n, _), _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(at(format!(
                "the header lacks column{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|m| format!("\"{m}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(Header { position, names })
    }

    /// How messages name the column at an index of the row.
    fn column_name(&self, i: usize) -> String {
        match self.names.get(i) {
            Some(n) if !n.is_empty() => format!("column \"{n}\""),
            _ => format!("column {}", i + 1),
        }
    }
}

/// Header names compare without case, spaces or underscores, so
/// `event_id` (as some tools rewrite it) matches `Event ID`.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '"'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Read one ICEWS file into the batch.
pub fn read(
    batch: &mut Batch<'_>,
    session: &mut Session<'_>,
    name: &str,
    reader: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let mut header: Option<Header> = None;
    let records = coded::each_line(
        batch,
        session,
        name,
        reader,
        progress,
        &mut |number, bytes| match &header {
            None => {
                header = Some(Header::parse(name, number, bytes)?);
                Ok(Step::Skip)
            }
            Some(h) => Ok(Step::Record(row(h, bytes))),
        },
    )?;
    if header.is_none() {
        return Err(Error::invalid(format!(
            "{name}: the file is empty (expected an ICEWS header row and events)"
        )));
    }
    if records == 0 {
        return Err(Error::invalid(format!(
            "{name}: no events found (only the header row)"
        )));
    }
    Ok(())
}

/// One data row.
fn row(h: &Header, bytes: &[u8]) -> RowResult<Mapped> {
    let fields = coded::tab_fields(bytes, &|i| h.column_name(i))?;
    if fields.len() != h.names.len() {
        return Err(format!(
            "expected {} tab-separated columns (as in the header), found {}",
            h.names.len(),
            fields.len()
        ));
    }
    let get = |c: usize| h.position[c].and_then(|i| coded::present(fields[i]));
    let col = |c: usize, m: String| format!("column \"{}\": {m}", COLUMNS[c].0);
    let required = |c: usize| get(c).ok_or_else(|| col(c, "missing value".into()));

    let raw_id = required(EVENT_ID)?;
    let id = coded::event_id("icews", raw_id).map_err(|m| col(EVENT_ID, m))?;
    let date = coded::iso_day(required(EVENT_DATE)?).map_err(|m| col(EVENT_DATE, m))?;
    let cameo = coded::cameo(required(CAMEO_CODE)?).map_err(|m| col(CAMEO_CODE, m))?;
    let intensity = get(INTENSITY)
        .map(|v| coded::number(v, Some((-10.0, 10.0))))
        .transpose()
        .map_err(|m| col(INTENSITY, m))?;

    let source = get(SOURCE_NAME)
        .map(|n| actor(n, get(SOURCE_SECTORS), get(SOURCE_COUNTRY)))
        .unwrap_or_else(coded::unknown_actor);
    let target = get(TARGET_NAME).map(|n| actor(n, get(TARGET_SECTORS), get(TARGET_COUNTRY)));

    let what = get(EVENT_TEXT)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{} (CAMEO {})", cameo.name(), cameo.code));
    let summary = match &target {
        Some(t) => format!("{} → {}: {what}", source.name, t.name),
        None => format!("{}: {what}", source.name),
    };
    let mut sources: Vec<Source> = get(PUBLISHER).map(outlet).into_iter().collect();
    sources.push(outlet("ICEWS"));
    let mut tags = vec!["icews".to_string()];
    if let Some(story) = get(STORY_ID) {
        tags.push(format!("story:{story}"));
    }
    let action = ActionTaken {
        id: Some(id),
        date,
        actor: source.id.clone(),
        kind: cameo.kind(),
        summary,
        targets: target.iter().map(|t| t.id.clone()).collect(),
        codes: Some(Codes {
            plover: cameo.plover().map(str::to_string),
            quad_class: Some(cameo.quad_class()),
            intensity,
            cameo: Some(cameo.code),
            goldstein: None,
        }),
        place: coded::join_place([get(CITY), get(DISTRICT), get(PROVINCE), get(COUNTRY)]),
        sources,
        tags,
    };
    let mut actors = vec![source];
    actors.extend(target);
    Ok(Mapped {
        actors,
        events: vec![action],
        label: format!("ICEWS record {raw_id}"),
    })
}

/// An ICEWS actor. Its id is the name and the country's ISO code (or, for a
/// country the table does not know, the country's name); a name that is a
/// country's own is a state of that country.
fn actor(name: &str, sectors: Option<&str>, country: Option<&str>) -> ActorSpec {
    let code = country
        .and_then(coded::country_code)
        .or_else(|| coded::country_code(name));
    let suffix = match (code, country) {
        (Some(c), _) => c.to_ascii_lowercase(),
        (None, Some(n)) => n.to_string(),
        (None, None) => String::new(),
    };
    ActorSpec {
        id: coded::actor_id(name, &suffix),
        name: name.to_string(),
        kind: coded::icews_kind(name, sectors.unwrap_or("")),
        country: code.map(str::to_string),
        alias: name.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ActorKind;

    const HEADER: &str = "Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\tEvent Text\tCAMEO Code\tIntensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\tSentence Number\tPublisher\tCity\tDistrict\tProvince\tCountry\tLatitude\tLongitude";

    fn header() -> Header {
        Header::parse("f", 1, HEADER.as_bytes()).unwrap()
    }

    #[test]
    fn a_row_maps_onto_an_action_and_its_actors() {
        let line = "926686\t2014-01-01\tDmitry Peskov\tGovernment,Executive,Executive Office\tRussian Federation\tMake pessimistic comment\t012\t-0.4\tUkraine\t\tUkraine\t28235806\t2\tInterfax\tMoscow\t\tMoskva\tRussian Federation\t55.75\t37.62";
        let m = row(&header(), line.as_bytes()).unwrap();
        let a = &m.events[0];
        assert_eq!(a.id.as_deref(), Some("icews-926686"));
        assert_eq!(a.actor, "dmitry-peskov-rus");
        assert_eq!(a.targets, ["ukraine-ukr"]);
        assert_eq!(a.kind, "statement");
        assert_eq!(
            a.summary,
            "Dmitry Peskov → Ukraine: Make pessimistic comment"
        );
        let codes = a.codes.as_ref().unwrap();
        assert_eq!(codes.cameo.as_deref(), Some("012"));
        assert_eq!(codes.plover, None);
        assert_eq!(codes.quad_class, Some(1));
        assert_eq!(codes.intensity, Some(-0.4));
        assert_eq!(
            a.place.as_deref(),
            Some("Moscow, Moskva, Russian Federation")
        );
        assert_eq!(a.tags, ["icews", "story:28235806"]);
        let outlets: Vec<&str> = a.sources.iter().map(|s| s.outlet.as_str()).collect();
        assert_eq!(outlets, ["Interfax", "ICEWS"]);
        assert_eq!(m.actors[0].kind, ActorKind::Person);
        assert_eq!(m.actors[0].country.as_deref(), Some("RUS"));
        assert_eq!(m.actors[1].kind, ActorKind::State);
        assert_eq!(m.label, "ICEWS record 926686");
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let h = Header::parse(
            "f",
            1,
            b"cameo_code\tevent_id\tevent_date\tsource_name\ttarget_name\textra",
        )
        .unwrap();
        let m = row(&h, b"043\t7\t2015-06-01\tNA\t(NA)\tx").unwrap();
        assert_eq!(m.events[0].actor, "unknown-actor");
        assert!(m.events[0].targets.is_empty());
        assert_eq!(
            m.events[0].summary,
            "Unknown actor: Host a visit (CAMEO 043)"
        );
        let e = Header::parse("f", 1, b"Event ID\tEvent Date").unwrap_err();
        assert!(
            e.to_string()
                .contains("lacks columns \"Source Name\", \"CAMEO Code\", \"Target Name\""),
            "{e}"
        );
        let e = Header::parse("f", 1, b"1\t2\t3").unwrap_err();
        assert!(
            e.to_string().contains("expected the ICEWS header row"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_their_column() {
        let h = header();
        let good = "1\t2014-01-01\tA\t\t\tx\t042\t1\tB\t\t\t\t\t\t\t\t\t\t\t";
        assert!(row(&h, good.as_bytes()).is_ok());
        for (bad, message) in [
            (
                good.replace("042", "13y"),
                "column \"CAMEO Code\": invalid CAMEO code \"13y\" (expected 2 to 4 digits)",
            ),
            (
                good.replace("2014-01-01", "2014-13-01"),
                "column \"Event Date\": invalid date \"2014-13-01\" (expected YYYY-MM-DD)",
            ),
            (
                good.replace("\t1\tB", "\thigh\tB"),
                "column \"Intensity\": invalid number \"high\" (expected a number from -10 to 10)",
            ),
            (
                good.replacen("\t", "", 1),
                "expected 20 tab-separated columns (as in the header), found 19",
            ),
        ] {
            assert_eq!(row(&h, bad.as_bytes()).unwrap_err(), message);
        }
        let mut bytes = good.as_bytes().to_vec();
        bytes.splice(18..18, [0xE9]);
        let e = row(&h, &bytes).unwrap_err();
        assert!(
            e.starts_with("column \"Event Text\": not valid UTF-8"),
            "{e}"
        );
    }
}
