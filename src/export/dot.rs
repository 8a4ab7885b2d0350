//! Graphviz DOT, written by hand: the timeline as a left-to-right chain of
//! dates with the events of each date and the actors involved, and the
//! relationship graph with organisations drawn as clusters. Ids are stable
//! (actor and event slugs, quoted) and every label is escaped, so any text
//! renders as written.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::io;

use crate::event::ActorKind;
use crate::graph::{Edge, Node, Relation, RelationGraph};
use crate::query::Found;

use super::{body, headline, involved, role_name, Names};

/// The longest quoted string written, quotes included: under Graphviz's
/// limit of 16,384 bytes.
const QUOTED_MAX: usize = 16_000;

/// A DOT double-quoted string. Backslashes and quotes are escaped, line
/// breaks become `\n` (a centred line in a label), other control characters
/// a space; `&` is written as `&amp;` because Graphviz reads HTML entities
/// even in plain labels. Everything else, non-ASCII included, stays as is.
/// Graphviz refuses a string of more than 16,384 bytes, so a longer one (a
/// long quotation in a tooltip) is cut there and ends with `…`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(QUOTED_MAX) + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        // Room for the longest escape, `…` and the closing quote.
        if out.len() + 6 + '…'.len_utf8() + 1 > QUOTED_MAX {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Break text into lines of at most about `width` characters at spaces, so
/// that long quotations make readable boxes. Existing line breaks stay.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (i, para) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut len = 0;
        for (j, word) in para.split(' ').enumerate() {
            let w = word.chars().count();
            if j > 0 {
                if len > 0 && len + 1 + w > width {
                    out.push('\n');
                    len = 0;
                } else {
                    out.push(' ');
                    len += 1;
                }
            }
            out.push_str(word);
            len += w;
        }
    }
    out
}

const LABEL_WIDTH: usize = 40;
const FONT: &str = "Helvetica";

fn header(out: &mut String, name: &str) {
    let _ = writeln!(out, "digraph {} {{", quote(name));
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, fontname={f}, nodesep=0.3, ranksep=0.6];",
        f = quote(FONT)
    );
    let _ = writeln!(out, "  node [fontname={f}, fontsize=10];", f = quote(FONT));
    let _ = writeln!(out, "  edge [fontname={f}, fontsize=9];", f = quote(FONT));
}

/// The timeline: a chain of date nodes left to right, each date's events
/// stacked in its column (`rank=same`), and the actors involved linked to
/// their events, the edge labelled with the role.
pub fn timeline(found: &[Found], names: &Names) -> String {
    let mut out = String::new();
    header(&mut out, "timeline");
    // One column per distinct date, in timeline order.
    let mut columns: Vec<(String, Vec<&Found>)> = Vec::new();
    for f in found {
        let Some(date) = f.current.event.date() else {
            continue;
        };
        match columns.last_mut() {
            Some((d, list)) if d == date.as_str() => list.push(f),
            _ => columns.push((date.as_str().to_string(), vec![f])),
        }
    }
    let _ = writeln!(out, "  node [shape=plaintext, fontsize=11];");
    for (i, (_, list)) in columns.iter().enumerate() {
        let display = list
            .first()
            .and_then(|f| f.current.event.date())
            .map(|d| d.display())
            .unwrap_or_default();
        // An interval reads best with each end on its own line.
        let display = display.replace(" \u{2013} ", " \u{2013}\n");
        let _ = writeln!(
            out,
            "  {} [label={}];",
            quote(&format!("date:{i}")),
            quote(&display)
        );
    }
    if columns.len() > 1 {
        let axis: Vec<String> = (0..columns.len())
            .map(|i| quote(&format!("date:{i}")))
            .collect();
        let _ = writeln!(out, "  {} [style=bold, arrowhead=vee];", axis.join(" -> "));
    }
    let _ = writeln!(out, "  node [shape=box, style=rounded, fontsize=10];");
    let mut actors: BTreeSet<&str> = BTreeSet::new();
    for (i, (_, list)) in columns.iter().enumerate() {
        let mut same = vec![quote(&format!("date:{i}"))];
        for f in list {
            let e = &f.current.event;
            let id = quote(&format!("event:{}", f.current.id));
            let label = format!(
                "{}\n{}",
                wrap(&headline(e, names), LABEL_WIDTH),
                f.current.id
            );
            let _ = writeln!(
                out,
                "  {id} [label={}, tooltip={}];",
                quote(&label),
                quote(body(e))
            );
            same.push(id);
            for (actor, _) in involved(e) {
                actors.insert(actor);
            }
        }
        let _ = writeln!(out, "  {{ rank=same; {}; }}", same.join("; "));
    }
    let _ = writeln!(
        out,
        "  node [shape=ellipse, style=filled, fillcolor=\"#eeeeee\", fontsize=10];"
    );
    for a in &actors {
        let _ = writeln!(
            out,
            "  {} [label={}];",
            quote(&format!("actor:{a}")),
            quote(names.name(a))
        );
    }
    for f in found {
        let e = &f.current.event;
        let id = quote(&format!("event:{}", f.current.id));
        for (actor, roles) in involved(e) {
            let label = roles
                .iter()
                .map(|r| role_name(*r))
                .collect::<Vec<_>>()
                .join(", ");
            let style = if roles.iter().any(|r| {
                matches!(
                    r,
                    crate::projection::Role::Speaker | crate::projection::Role::Actor
                )
            }) {
                "solid"
            } else if roles.contains(&crate::projection::Role::Mention) && roles.len() == 1 {
                "dotted"
            } else {
                "dashed"
            };
            let _ = writeln!(
                out,
                "  {} -> {id} [label={}, style={style}, color=\"#777777\", fontcolor=\"#555555\"];",
                quote(&format!("actor:{actor}")),
                quote(&label)
            );
        }
    }
    out.push_str("}\n");
    out
}

fn shape(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Person => "ellipse",
        ActorKind::State => "box3d",
        ActorKind::Government => "box",
        ActorKind::Agency => "box",
        ActorKind::Legislature => "house",
        ActorKind::Party => "hexagon",
        ActorKind::Organization => "component",
        ActorKind::Media => "note",
        ActorKind::Group => "folder",
        ActorKind::Public => "egg",
    }
}

fn node_line(
    out: &mut dyn io::Write,
    indent: &str,
    n: &Node,
    extra: Option<&str>,
) -> io::Result<()> {
    let mut label = n.name.clone();
    if let Some(x) = extra {
        label.push('\n');
        label.push_str(x);
    }
    let mut tooltip = format!("{} ({}, {}", n.name, n.id, n.kind.as_str());
    if let Some(c) = &n.country {
        tooltip.push_str(", ");
        tooltip.push_str(c);
    }
    tooltip.push(')');
    writeln!(
        out,
        "{indent}{} [label={}, shape={}, tooltip={}];",
        quote(&n.id),
        quote(&label),
        shape(n.kind),
        quote(&tooltip)
    )
}

/// The label of an edge: what the relation is, how many events stand
/// behind it, and for an affiliation when it ended.
pub fn edge_label(e: &Edge<'_>) -> String {
    let mut label = match e.relation {
        Relation::Affiliation => e.label.to_string(),
        Relation::Action => e.label.to_string(),
        Relation::Address => "addresses".to_string(),
        Relation::Mention => "mentions".to_string(),
        Relation::Response if e.label.is_empty() => "responds".to_string(),
        Relation::Response => e.label.to_string(),
    };
    if e.relation == Relation::Affiliation {
        if let Some(until) = e.last() {
            label.push_str(&format!("\nuntil {}", until.display()));
        }
    } else if e.count() > 1 {
        label.push_str(&format!(" \u{d7}{}", e.count()));
    }
    label
}

fn edge_style(e: &Edge<'_>) -> &'static str {
    match e.relation {
        Relation::Affiliation => "style=dashed, arrowhead=empty, color=\"#888888\"",
        Relation::Action => "penwidth=1.5, color=\"#000000\"",
        Relation::Address => "color=\"#1f4e99\"",
        Relation::Mention => "style=dotted, color=\"#888888\"",
        Relation::Response => match e.label {
            "confirms" | "supports" => "color=\"#2e7d32\"",
            "denies" | "opposes" | "criticizes" => "color=\"#c62828\"",
            "declines" | "questions" => "color=\"#ef6c00\"",
            _ => "color=\"#555555\"",
        },
    }
}

/// The relationship graph as one string; see [`write_graph`].
pub fn graph(g: &RelationGraph) -> String {
    super::in_memory(|out| write_graph(g, out))
}

/// Write the relationship graph. Organisations are clusters of their
/// affiliates (see [`RelationGraph::clusters`] for who sits where); a
/// member drawn inside a cluster shows its role under its name, and that
/// affiliation is not repeated as an edge.
pub fn write_graph(g: &RelationGraph, out: &mut dyn io::Write) -> io::Result<()> {
    let mut head = String::new();
    header(&mut head, "relations");
    out.write_all(head.as_bytes())?;
    let clusters = g.clusters();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    for (org, members) in &clusters.members {
        let Some(head) = g.node(org) else {
            continue;
        };
        writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{org}")))?;
        writeln!(
            out,
            "    graph [label={}, style=\"rounded,filled\", fillcolor=\"#f5f5f5\", color=\"#bbbbbb\"];",
            quote(&head.name)
        )?;
        node_line(out, "    ", head, None)?;
        placed.insert(org.as_str());
        for m in members {
            let Some(n) = g.node(m) else {
                continue;
            };
            let role = clusters.placed_by.get(m).and_then(|(ix, ci)| {
                let e = g.edge(*ix)?;
                let c = e.contribution(*ci)?;
                Some(match c.end {
                    Some(until) => format!("{}, until {}", e.label, until.display()),
                    None => e.label.to_string(),
                })
            });
            node_line(out, "    ", n, role.as_deref())?;
            placed.insert(m.as_str());
        }
        out.write_all(b"  }\n")?;
    }
    for n in g.nodes() {
        if !placed.contains(n.id.as_str()) {
            node_line(out, "  ", n, None)?;
        }
    }
    let hidden: BTreeSet<_> = clusters.placed_by.values().map(|(ix, _)| *ix).collect();
    let mut events = String::new();
    for (ix, e) in g.indexed_edges() {
        if hidden.contains(&ix) {
            continue;
        }
        events.clear();
        for (i, id) in e.events().enumerate() {
            if i > 0 {
                events.push_str(", ");
            }
            events.push_str(id);
        }
        let tooltip = format!(
            "{} {} \u{2192} {}: {}",
            e.relation.as_str(),
            e.from,
            e.to,
            events
        );
        writeln!(
            out,
            "  {} -> {} [label={}, {}, tooltip={}];",
            quote(e.from),
            quote(e.to),
            quote(&edge_label(&e)),
            edge_style(&e),
            quote(&tooltip)
        )?;
    }
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_what_dot_would_read() {
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quote("l1\nl2\r\nl3\rl4"), r#""l1\nl2\nl3\nl4""#);
        assert_eq!(quote("\"];<script>&"), r#""\"];<script>&amp;""#);
        assert_eq!(quote("Песков\u{7}"), "\"Песков \"");
    }

    #[test]
    fn quote_cuts_what_graphviz_could_not_read() {
        for (unit, escaped) in [("a", 1), ("&", 5), ("é", 2), ("\n", 2)] {
            let long = unit.repeat(20_000);
            let q = quote(&long);
            assert!(q.len() <= QUOTED_MAX, "{unit:?}: {}", q.len());
            assert!(q.len() > QUOTED_MAX - 10, "{unit:?}: {}", q.len());
            assert!(q.ends_with("…\""), "{unit:?}");
            assert_eq!((q.len() - 2 - '…'.len_utf8()) % escaped, 0, "{unit:?}");
        }
        let fits = "a".repeat(15_000);
        assert_eq!(quote(&fits), format!("\"{fits}\""));
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            "averyveryverylongword\nx"
        );
        assert_eq!(wrap("a\nb", 10), "a\nb");
    }
}
