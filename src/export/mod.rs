//! Exporters: pure functions from a timeline or a relationship graph to the
//! text other tools read (JSON Lines, TimelineJS, CSV, Graphviz DOT, GEXF,
//! GraphML, node-link JSON). Same input, byte-identical output; user text is
//! escaped for each format and never trusted as markup.

pub mod csv;
pub mod dot;
pub mod gexf;
pub mod graph_json;
pub mod graphml;
pub mod timeline_json;
pub mod timelinejs;

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat};

use crate::date::{OPEN_END, OPEN_START};
use crate::error::Result;
use crate::event::{Event, Source};
use crate::projection::{ActorRecord, Role};
use crate::store::Store;

/// Actor profiles for display, by id.
#[derive(Debug, Clone, Default)]
pub struct Names {
    actors: BTreeMap<String, ActorRecord>,
}

impl Names {
    /// Profiles from a list of actors.
    pub fn new(actors: impl IntoIterator<Item = ActorRecord>) -> Names {
        Names {
            actors: actors.into_iter().map(|a| (a.id.clone(), a)).collect(),
        }
    }

    /// Every actor's profile as the log stood at `as_of`.
    pub fn load(store: &Store, as_of: u64) -> Result<Names> {
        let mut actors = Vec::new();
        for rec in store.actors()? {
            if rec.registrations.iter().all(|s| *s <= as_of) {
                actors.push(rec);
            } else if let Some(r) = crate::graph::actor_as_of(&store.shared(), &rec.id, as_of)? {
                actors.push(r);
            }
        }
        Ok(Names::new(actors))
    }

    /// The display name of an actor, its id when unknown.
    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.actors.get(id).map_or(id, |a| a.name.as_str())
    }

    /// The profile of an actor.
    pub fn get(&self, id: &str) -> Option<&ActorRecord> {
        self.actors.get(id)
    }
}

/// Who speaks or acts in an event.
pub fn principal(event: &Event) -> Option<&str> {
    match event {
        Event::Statement(s) => Some(&s.speaker),
        Event::Action(a) => Some(&a.actor),
        _ => None,
    }
}

/// Who an event is directed at: an action's targets, a statement's addressees.
pub fn counterparts(event: &Event) -> &[String] {
    match event {
        Event::Statement(s) => &s.to,
        Event::Action(a) => &a.targets,
        _ => &[],
    }
}

/// The text of a statement or the summary of an action.
pub fn body(event: &Event) -> &str {
    match event {
        Event::Statement(s) => &s.text,
        Event::Action(a) => &a.summary,
        _ => "",
    }
}

/// Longest snippet of a statement shown in a headline, in characters.
const SNIPPET: usize = 80;

/// A one-line summary: `Speaker: "what was said…"` for a statement,
/// `Actor: kind → Target, Target` for an action.
pub fn headline(event: &Event, names: &Names) -> String {
    match event {
        Event::Statement(s) => {
            let flat = s.text.split_whitespace().collect::<Vec<_>>().join(" ");
            let snippet = match flat.char_indices().nth(SNIPPET) {
                Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
                None => flat,
            };
            format!("{}: \u{201c}{snippet}\u{201d}", names.name(&s.speaker))
        }
        Event::Action(a) => {
            let mut h = format!("{}: {}", names.name(&a.actor), a.kind);
            if !a.targets.is_empty() {
                h.push_str(" \u{2192} ");
                h.push_str(
                    &a.targets
                        .iter()
                        .map(|t| names.name(t))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            h
        }
        other => crate::query::headline(other),
    }
}

/// The name of a role in every output format.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Speaker => "speaker",
        Role::Actor => "actor",
        Role::Target => "target",
        Role::Addressee => "addressee",
        Role::Mention => "mention",
        Role::Member => "member",
        Role::Org => "org",
    }
}

/// The actors an event involves, each once, with its roles, in the order
/// the event names them.
pub fn involved(event: &Event) -> Vec<(&str, Vec<Role>)> {
    let mut out: Vec<(&str, Vec<Role>)> = Vec::new();
    for (role, id) in crate::projection::roles(event) {
        match out.iter_mut().find(|(i, _)| *i == id) {
            Some((_, roles)) => {
                if !roles.contains(&role) {
                    roles.push(role);
                }
            }
            None => out.push((id, vec![role])),
        }
    }
    out
}

/// An instant bound as RFC 3339 UTC with milliseconds; `None` when open.
pub fn rfc3339(ms: i64) -> Option<String> {
    if ms == OPEN_START || ms == OPEN_END {
        return None;
    }
    DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// An attribution chain on one line: `Outlet (url) > Outlet`.
pub fn chain(sources: &[Source]) -> String {
    sources
        .iter()
        .map(|s| match &s.url {
            Some(u) => format!("{} ({u})", s.outlet),
            None => s.outlet.clone(),
        })
        .collect::<Vec<_>>()
        .join(" > ")
}

/// Escape text for XML content and attribute values. Characters XML 1.0
/// cannot carry at all (most controls, U+FFFE, U+FFFF) become U+FFFD;
/// line breaks and tabs are written as references so attribute values keep
/// them.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for HTML (TimelineJS renders its text fields as HTML).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What `write` writes, as a string. Writing to memory cannot fail, and the
/// exports write only UTF-8.
pub(crate) fn in_memory(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> String {
    let mut out = Vec::new();
    let _ = write(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_keeps_text_and_drops_what_xml_cannot_hold() {
        assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml_escape("l1\nl2\u{1}"), "l1&#10;l2\u{fffd}");
        assert_eq!(xml_escape("Песков"), "Песков");
    }

    #[test]
    fn html_escape_covers_the_five() {
        assert_eq!(
            html_escape("<script>'&\""),
            "&lt;script&gt;&#39;&amp;&quot;"
        );
    }

    #[test]
    fn open_bounds_have_no_instant() {
        assert_eq!(rfc3339(OPEN_START), None);
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
    }
}
