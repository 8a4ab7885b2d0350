//! The GDELT 2.0 event table (`*.export.CSV`, which is tab-separated): 61
//! columns in a fixed order, no header row, one coded event per row. Each
//! row becomes the action `gdelt-<GLOBALEVENTID>`; see docs/import-gdelt.md
//! for the whole mapping.

use std::io::BufRead;

use crate::date::EdtfDate;
use crate::error::{Error, Result};
use crate::event::{ActionTaken, Codes, Source};
use crate::store::Batch;

use super::coded::{self, ActorSpec, Mapped, RowResult, Session, Step};

/// The columns of the GDELT 2.0 event table, in order (the GDELT Event
/// Codebook 2.0).
pub const COLUMNS: [&str; 61] = [
    "GLOBALEVENTID",
    "SQLDATE",
    "MonthYear",
    "Year",
    "FractionDate",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor1KnownGroupCode",
    "Actor1EthnicCode",
    "Actor1Religion1Code",
    "Actor1Religion2Code",
    "Actor1Type1Code",
    "Actor1Type2Code",
    "Actor1Type3Code",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "Actor2KnownGroupCode",
    "Actor2EthnicCode",
    "Actor2Religion1Code",
    "Actor2Religion2Code",
    "Actor2Type1Code",
    "Actor2Type2Code",
    "Actor2Type3Code",
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    "Actor1Geo_Type",
    "Actor1Geo_FullName",
    "Actor1Geo_CountryCode",
    "Actor1Geo_ADM1Code",
    "Actor1Geo_ADM2Code",
    "Actor1Geo_Lat",
    "Actor1Geo_Long",
    "Actor1Geo_FeatureID",
    "Actor2Geo_Type",
    "Actor2Geo_FullName",
    "Actor2Geo_CountryCode",
    "Actor2Geo_ADM1Code",
    "Actor2Geo_ADM2Code",
    "Actor2Geo_Lat",
    "Actor2Geo_Long",
    "Actor2Geo_FeatureID",
    "ActionGeo_Type",
    "ActionGeo_FullName",
    "ActionGeo_CountryCode",
    "ActionGeo_ADM1Code",
    "ActionGeo_ADM2Code",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "ActionGeo_FeatureID",
    "DATEADDED",
    "SOURCEURL",
];

const GLOBALEVENTID: usize = 0;
const SQLDATE: usize = 1;
const ACTOR1: usize = 5;
const ACTOR2: usize = 15;
const EVENT_CODE: usize = 26;
const QUAD_CLASS: usize = 29;
const GOLDSTEIN: usize = 30;
const ACTION_GEO_FULLNAME: usize = 52;
const DATEADDED: usize = 59;
const SOURCEURL: usize = 60;

/// Read one GDELT event file into the batch.
pub fn read(
    batch: &mut Batch<'_>,
    session: &mut Session<'_>,
    name: &str,
    reader: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let records = coded::each_line(
        batch,
        session,
        name,
        reader,
        progress,
        &mut |number, bytes| {
            // The raw files have no header, but tables exported from
            // elsewhere often add one: skip it.
            if number == 1
                && bytes.len() >= 13
                && bytes[..13].eq_ignore_ascii_case(b"GLOBALEVENTID")
            {
                return Ok(Step::Skip);
            }
            Ok(Step::Record(row(bytes)))
        },
    )?;
    if records == 0 {
        return Err(Error::invalid(format!(
            "{name}: no events found (the file is empty)"
        )));
    }
    Ok(())
}

fn column_name(i: usize) -> String {
    match COLUMNS.get(i) {
        Some(n) => format!("column \"{n}\""),
        None => format!("column {}", i + 1),
    }
}

/// One row.
fn row(bytes: &[u8]) -> RowResult<Mapped> {
    let fields = coded::tab_fields(bytes, &column_name)?;
    if fields.len() != COLUMNS.len() {
        return Err(format!(
            "expected {} tab-separated columns (the GDELT 2.0 event table), found {}",
            COLUMNS.len(),
            fields.len()
        ));
    }
    let get = |c: usize| coded::present(fields[c]);
    let col = |c: usize, m: String| format!("{}: {m}", column_name(c));
    let required = |c: usize| get(c).ok_or_else(|| col(c, "missing value".into()));

    let raw_id = required(GLOBALEVENTID)?;
    if !raw_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(col(
            GLOBALEVENTID,
            format!("invalid event id \"{raw_id}\" (expected digits)"),
        ));
    }
    let id = coded::event_id("gdelt", raw_id).map_err(|m| col(GLOBALEVENTID, m))?;
    let date = coded::compact_day(required(SQLDATE)?).map_err(|m| col(SQLDATE, m))?;
    let cameo = coded::cameo(required(EVENT_CODE)?).map_err(|m| col(EVENT_CODE, m))?;
    let quad_class = match get(QUAD_CLASS) {
        None => cameo.quad_class(),
        Some(q) => match q.parse::<u8>() {
            Ok(n @ 1..=4) => n,
            _ => {
                return Err(col(
                    QUAD_CLASS,
                    format!("invalid quad class \"{q}\" (expected 1, 2, 3 or 4)"),
                ))
            }
        },
    };
    let goldstein = get(GOLDSTEIN)
        .map(|v| coded::number(v, Some((-10.0, 10.0))))
        .transpose()
        .map_err(|m| col(GOLDSTEIN, m))?;
    let added = get(DATEADDED)
        .map(coded::compact_instant)
        .transpose()
        .map_err(|m| col(DATEADDED, m))?;

    let actor1 = actor(&fields[ACTOR1..ACTOR1 + 10]).unwrap_or_else(coded::unknown_actor);
    let actor2 = actor(&fields[ACTOR2..ACTOR2 + 10]);
    let what = format!("{} (CAMEO {})", cameo.name(), cameo.code);
    let summary = match &actor2 {
        Some(t) => format!("{} → {}: {what}", actor1.name, t.name),
        None => format!("{}: {what}", actor1.name),
    };
    let action = ActionTaken {
        id: Some(id),
        date,
        actor: actor1.id.clone(),
        kind: cameo.kind(),
        summary,
        targets: actor2.iter().map(|t| t.id.clone()).collect(),
        codes: Some(Codes {
            plover: cameo.plover().map(str::to_string),
            quad_class: Some(quad_class),
            goldstein,
            cameo: Some(cameo.code),
            intensity: None,
        }),
        place: get(ACTION_GEO_FULLNAME).map(str::to_string),
        sources: sources(get(SOURCEURL), added),
        tags: vec!["gdelt".to_string()],
    };
    let mut actors = vec![actor1];
    actors.extend(actor2);
    Ok(Mapped {
        actors,
        events: vec![action],
        label: format!("GDELT event {raw_id}"),
    })
}

/// One side's ten columns: Code, Name, CountryCode, KnownGroupCode,
/// EthnicCode, Religion1Code, Religion2Code, Type1Code, Type2Code,
/// Type3Code. `None` when both code and name are missing.
fn actor(side: &[&str]) -> Option<ActorSpec> {
    let get = |i: usize| side.get(i).copied().and_then(coded::present);
    let code = get(0);
    let raw_name = get(1).or(code)?;
    let country = get(2);
    let iso = country.and_then(coded::iso_country);
    let suffix = match (code, country) {
        (Some(c), _) => coded::code_suffix(c),
        (None, Some(c)) => c.to_ascii_lowercase(),
        (None, None) => String::new(),
    };
    let types = [get(7), get(8), get(9)];
    let mut kind = coded::coded_kind(types.iter().flatten().copied(), country.is_some());
    // A known group (UNO, NATO, Hamas...) with no type is an organisation.
    if types.iter().all(Option::is_none) && country.is_none() && get(3).is_some() {
        kind = crate::event::ActorKind::Organization;
    }
    let (name, alias) = coded::coded_name(raw_name, types[0]);
    Some(ActorSpec {
        id: coded::actor_id(raw_name, &suffix),
        name,
        kind,
        country: iso.map(str::to_string),
        alias,
    })
}

/// The article (its site as the outlet, retrieved when GDELT added it),
/// then GDELT. A SOURCEURL that is not a web address names its source
/// ("BBC Monitoring").
fn sources(url: Option<&str>, added: Option<EdtfDate>) -> Vec<Source> {
    let mut out = Vec::with_capacity(2);
    if let Some(url) = url {
        let (outlet, link) = match coded::url_host(url) {
            Some(host) => (host.to_string(), Some(url.to_string())),
            None => (url.to_string(), None),
        };
        out.push(Source {
            outlet,
            url: link,
            published: None,
            retrieved: added,
        });
    }
    out.push(Source {
        outlet: "GDELT".into(),
        url: None,
        published: None,
        retrieved: None,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ActorKind;

    fn line(edit: &[(usize, &str)]) -> String {
        let mut f = vec![""; 61];
        for (i, v) in [
            (0, "1084937441"),
            (1, "20230207"),
            (2, "202302"),
            (3, "2023"),
            (4, "2023.1014"),
            (5, "RUSGOV"),
            (6, "RUSSIA"),
            (7, "RUS"),
            (12, "GOV"),
            (15, "UKR"),
            (16, "UKRAINE"),
            (17, "UKR"),
            (25, "1"),
            (26, "0874"),
            (27, "087"),
            (28, "08"),
            (29, "2"),
            (30, "5.0"),
            (52, "Kyiv, Kyyiv, Misto, Ukraine"),
            (59, "20230207101500"),
            (60, "https://www.example.org/news/1"),
        ]
        .into_iter()
        .chain(edit.iter().copied())
        {
            f[i] = v;
        }
        f.join("\t")
    }

    #[test]
    fn a_row_maps_onto_an_action_and_its_actors() {
        let m = row(line(&[]).as_bytes()).unwrap();
        let a = &m.events[0];
        assert_eq!(a.id.as_deref(), Some("gdelt-1084937441"));
        assert_eq!(a.date.as_str(), "2023-02-07");
        assert_eq!(a.actor, "russia-rus-gov");
        assert_eq!(a.targets, ["ukraine-ukr"]);
        assert_eq!(a.kind, "retreat");
        assert_eq!(
            a.summary,
            "Russia (government) → Ukraine: De-escalate military engagement (CAMEO 0874)"
        );
        let c = a.codes.as_ref().unwrap();
        assert_eq!((c.quad_class, c.goldstein), (Some(2), Some(5.0)));
        assert_eq!(c.plover.as_deref(), Some("RETREAT"));
        assert_eq!(a.place.as_deref(), Some("Kyiv, Kyyiv, Misto, Ukraine"));
        assert_eq!(a.sources[0].outlet, "example.org");
        assert_eq!(
            a.sources[0].retrieved.as_ref().map(|d| d.as_str()),
            Some("2023-02-07T10:15:00Z")
        );
        assert_eq!(a.sources[1].outlet, "GDELT");
        assert_eq!(m.actors[0].kind, ActorKind::Government);
        assert_eq!(m.actors[0].name, "Russia (government)");
        assert_eq!(m.actors[1].name, "Ukraine");
        assert_eq!(m.actors[1].alias, "UKRAINE");
        assert_eq!(m.actors[1].kind, ActorKind::State);
    }

    #[test]
    fn missing_actors_and_values() {
        let m = row(line(&[(5, ""), (6, ""), (7, ""), (12, ""), (29, ""), (30, "")]).as_bytes())
            .unwrap();
        let a = &m.events[0];
        assert_eq!(a.actor, "unknown-actor");
        assert_eq!(a.codes.as_ref().unwrap().quad_class, Some(2));
        assert_eq!(a.codes.as_ref().unwrap().goldstein, None);
        let m =
            row(line(&[(15, ""), (16, ""), (17, ""), (60, "BBC Monitoring")]).as_bytes()).unwrap();
        assert!(m.events[0].targets.is_empty());
        assert_eq!(m.events[0].sources[0].outlet, "BBC Monitoring");
        assert_eq!(m.events[0].sources[0].url, None);
        let m = row(line(&[
            (15, "IGOUNO"),
            (16, "UNITED NATIONS"),
            (17, ""),
            (18, "UNO"),
        ])
        .as_bytes())
        .unwrap();
        assert_eq!(m.actors[1].id, "united-nations-igo-uno");
        assert_eq!(m.actors[1].kind, ActorKind::Organization);
    }

    #[test]
    fn bad_values_name_their_column() {
        for (edit, message) in [
            ((26, "13y"), "column \"EventCode\": invalid CAMEO code \"13y\" (expected 2 to 4 digits)"),
            ((1, "2023-02-07"), "column \"SQLDATE\": invalid date \"2023-02-07\" (expected YYYYMMDD)"),
            ((30, "strong"), "column \"GoldsteinScale\": invalid number \"strong\" (expected a number from -10 to 10)"),
            ((29, "5"), "column \"QuadClass\": invalid quad class \"5\" (expected 1, 2, 3 or 4)"),
            ((0, "12a"), "column \"GLOBALEVENTID\": invalid event id \"12a\" (expected digits)"),
            ((59, "yesterday"), "column \"DATEADDED\": invalid date-time \"yesterday\" (expected YYYYMMDDHHMMSS)"),
        ] {
            assert_eq!(row(line(&[edit]).as_bytes()).unwrap_err(), message);
        }
        let short = line(&[]).replacen('\t', "", 3);
        assert_eq!(
            row(short.as_bytes()).unwrap_err(),
            "expected 61 tab-separated columns (the GDELT 2.0 event table), found 58"
        );
    }
}
