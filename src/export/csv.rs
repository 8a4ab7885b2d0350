//! `timeline --format csv`: a header row, then one row per entry, RFC 4180
//! (CRLF line ends, fields with commas, quotes or line breaks quoted, quotes
//! doubled). A cell that a spreadsheet would run as a formula (one starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`.

use crate::event::Event;
use crate::query::Found;

use super::{body, chain, counterparts, principal, rfc3339, Names};

/// The columns, in order.
pub const COLUMNS: [&str; 20] = [
    "seq",
    "id",
    "date",
    "display_date",
    "earliest",
    "latest",
    "type",
    "kind",
    "speaker_or_actor",
    "speaker_or_actor_name",
    "targets_or_to",
    "mentions",
    "about",
    "stance",
    "form",
    "text_or_summary",
    "place",
    "sources",
    "tags",
    "corrections",
];

/// One cell, neutralised and quoted as needed.
pub fn cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

fn row(cells: &[String]) -> String {
    let mut line = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// The header row, with its line end.
pub fn header() -> String {
    row(&COLUMNS.map(String::from))
}

/// The row of one timeline entry, with its line end.
pub fn record(found: &Found, names: &Names) -> String {
    let cur = &found.current;
    let e = &cur.event;
    let date = e.date();
    let list = |v: &[String]| v.join("; ");
    let (mentions, about, stance, form, place) = match e {
        Event::Statement(s) => (
            list(&s.mentions),
            list(&s.about),
            s.stance.map(|x| x.as_str().to_string()).unwrap_or_default(),
            s.form().as_str().to_string(),
            s.place.clone().unwrap_or_default(),
        ),
        Event::Action(a) => (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            a.place.clone().unwrap_or_default(),
        ),
        _ => Default::default(),
    };
    let who = principal(e).unwrap_or("");
    row(&[
        cur.seq.to_string(),
        cur.id.clone(),
        date.map(|d| d.as_str().to_string()).unwrap_or_default(),
        date.map(|d| d.display()).unwrap_or_default(),
        date.and_then(|d| rfc3339(d.earliest())).unwrap_or_default(),
        date.and_then(|d| rfc3339(d.latest())).unwrap_or_default(),
        e.type_name().to_string(),
        crate::timeline::kind_of(e).to_string(),
        who.to_string(),
        names.name(who).to_string(),
        list(counterparts(e)),
        mentions,
        about,
        stance,
        form,
        body(e).to_string(),
        place,
        chain(e.sources()),
        list(e.tags()),
        list(&cur.corrections),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_quotes_doubled() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+7"), "'+7");
        assert_eq!(cell("-x"), "'-x");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=a,\"b\"\n"), "\"'=a,\"\"b\"\"\n\"");
        assert_eq!(cell("a=b"), "a=b");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn header_lists_the_columns() {
        assert!(header().starts_with("seq,id,date,"));
        assert!(header().ends_with("corrections\r\n"));
    }
}
