//! `timeline --format timelinejs`: one Knight Lab TimelineJS3 JSON document.
//! Dates keep their real precision (a month is a year and a month, no day),
//! intervals with a known end get an `end_date`, and every piece of user
//! text is HTML-escaped, since TimelineJS renders these fields as HTML.

use serde::Serialize;

use crate::date::{DateParts, EdtfDate};
use crate::event::{Event, Source};
use crate::query::Found;

use super::{body, headline, html_escape, principal, Names};

/// A TimelineJS date: only the parts the event's date really has.
#[derive(Debug, Serialize, PartialEq)]
pub struct TjsDate {
    pub year: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hour: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<u32>,
}

impl From<DateParts> for TjsDate {
    fn from(p: DateParts) -> TjsDate {
        TjsDate {
            year: p.year,
            month: p.month,
            day: p.day,
            hour: p.hour,
            minute: p.minute,
            second: p.second,
        }
    }
}

/// Headline and body of a slide (HTML).
#[derive(Debug, Serialize)]
pub struct Text {
    pub headline: String,
    pub text: String,
}

/// The title slide.
#[derive(Debug, Serialize)]
pub struct Title {
    pub text: Text,
}

/// One event slide.
#[derive(Debug, Serialize)]
pub struct Slide {
    pub start_date: TjsDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<TjsDate>,
    pub display_date: String,
    pub text: Text,
    pub group: String,
    pub unique_id: String,
}

/// The whole document.
#[derive(Debug, Serialize)]
pub struct Document {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Title>,
    pub events: Vec<Slide>,
}

/// Start and end of a date for TimelineJS. A date whose start is open or
/// unknown (`../2017`) is shown at its end, the only point it has; an open
/// or unknown end gives no `end_date`.
pub fn dates(date: &EdtfDate) -> Option<(TjsDate, Option<TjsDate>)> {
    let start = date.start();
    let end = date.end();
    match (start.point(), end.point()) {
        (Some(s), Some(e)) if date.is_interval() => {
            Some((s.parts().into(), Some(e.parts().into())))
        }
        (Some(s), _) => Some((s.parts().into(), None)),
        (None, Some(e)) => Some((e.parts().into(), None)),
        (None, None) => None,
    }
}

/// A source as HTML: a link when it has a web address.
fn source_html(s: &Source) -> String {
    let outlet = html_escape(&s.outlet);
    match s.url.as_deref() {
        // Only web addresses become links: a `javascript:` URL in a source
        // must not turn into something a reader can click.
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
            format!("<a href=\"{}\">{outlet}</a>", html_escape(u))
        }
        _ => outlet,
    }
}

/// User text as HTML, line breaks kept.
fn paragraph(text: &str) -> String {
    html_escape(text)
        .replace("\r\n", "\n")
        .replace('\n', "<br>")
}

/// The body of a slide: the text, who said or did it to whom, and where it
/// comes from.
fn slide_text(e: &Event, names: &Names) -> String {
    let mut html = format!("<p>{}</p>", paragraph(body(e)));
    let mut about = Vec::new();
    match e {
        Event::Statement(s) => {
            let mut who = format!("{} ({})", names.name(&s.speaker), s.form().as_str());
            if !s.to.is_empty() {
                who.push_str(" to ");
                who.push_str(
                    &s.to
                        .iter()
                        .map(|t| names.name(t))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            about.push(who);
            if let Some(m) = &s.medium {
                about.push(m.clone());
            }
            if let Some(st) = s.stance {
                about.push(st.as_str().to_string());
            }
            if let Some(p) = &s.place {
                about.push(p.clone());
            }
        }
        Event::Action(a) => {
            let mut who = names.name(&a.actor).to_string();
            if !a.targets.is_empty() {
                who.push_str(" \u{2192} ");
                who.push_str(
                    &a.targets
                        .iter()
                        .map(|t| names.name(t))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            about.push(who);
            if let Some(p) = &a.place {
                about.push(p.clone());
            }
        }
        _ => {}
    }
    if !about.is_empty() {
        html.push_str(&format!(
            "<p><em>{}</em></p>",
            html_escape(&about.join(" · "))
        ));
    }
    let sources = e.sources();
    if !sources.is_empty() {
        html.push_str(&format!(
            "<p>Source: {}</p>",
            sources
                .iter()
                .map(source_html)
                .collect::<Vec<_>>()
                .join(" &gt; ")
        ));
    }
    html
}

/// The slide of one timeline entry; `None` for an event without a date.
pub fn slide(found: &Found, names: &Names) -> Option<Slide> {
    let e = &found.current.event;
    let date = e.date()?;
    let (start_date, end_date) = dates(date)?;
    let display_date = date.display();
    Some(Slide {
        start_date,
        end_date,
        display_date: html_escape(&display_date),
        text: Text {
            headline: html_escape(&headline(e, names)),
            text: slide_text(e, names),
        },
        group: html_escape(principal(e).map(|p| names.name(p)).unwrap_or("")),
        unique_id: found.current.id.clone(),
    })
}

/// The TimelineJS3 document of a timeline, pretty-printed.
pub fn document(found: &[Found], names: &Names, title: Option<&str>) -> String {
    let doc = Document {
        title: title.map(|t| Title {
            text: Text {
                headline: html_escape(t),
                text: String::new(),
            },
        }),
        events: found.iter().filter_map(|f| slide(f, names)).collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> EdtfDate {
        EdtfDate::parse(s).expect("date")
    }

    #[test]
    fn dates_keep_their_precision() {
        let (s, e) = dates(&d("2017-03")).unwrap();
        assert_eq!((s.year, s.month, s.day), (2017, Some(3), None));
        assert!(e.is_none());
        let (s, _) = dates(&d("2017")).unwrap();
        assert_eq!((s.year, s.month), (2017, None));
        let (s, e) = dates(&d("2017-03/2017-09-13")).unwrap();
        assert_eq!(s.month, Some(3));
        assert_eq!(e.map(|e| (e.month, e.day)), Some((Some(9), Some(13))));
        let (s, e) = dates(&d("2017-09-13/..")).unwrap();
        assert_eq!(s.day, Some(13));
        assert!(e.is_none(), "an open end has no end_date");
        let (s, e) = dates(&d("../2016")).unwrap();
        assert_eq!((s.year, s.month), (2016, None));
        assert!(e.is_none());
        let (s, _) = dates(&d("2017-09-13T12:59:00-04:00")).unwrap();
        assert_eq!((s.hour, s.minute), (Some(16), Some(59)));
    }

    #[test]
    fn only_web_links_are_links() {
        let src = |u: &str| Source {
            outlet: "O<b>".into(),
            url: Some(u.into()),
            published: None,
            retrieved: None,
        };
        assert_eq!(
            source_html(&src("https://x.org/?a=1&b")),
            "<a href=\"https://x.org/?a=1&amp;b\">O&lt;b&gt;</a>"
        );
        assert_eq!(source_html(&src("javascript:alert(1)")), "O&lt;b&gt;");
    }
}
