//! GEXF 1.3 (the format Gephi reads natively) as a dynamic graph: nodes
//! with their kind and country, edges with relation, label, count, first
//! and last dates and the events behind them, and the days each edge was
//! active as spells (month and year dates widened to their first and last
//! day, open ends left out). Every value is XML-escaped.

use std::io;

use crate::graph::RelationGraph;

use super::xml_escape;

/// The GEXF 1.3 namespace.
pub const NAMESPACE: &str = "http://gexf.net/1.3";

/// A day as xs:date: a signed year past 9999 loses the `+` xs:date does
/// not allow.
fn xs_date(day: &str) -> String {
    day.trim_start_matches('+').to_string()
}

/// The graph as a GEXF 1.3 document, as one string; see [`write_graph`].
pub fn graph(g: &RelationGraph) -> String {
    super::in_memory(|out| write_graph(g, out))
}

/// Write the graph as a GEXF 1.3 document.
pub fn write_graph(g: &RelationGraph, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        out,
        "<gexf xmlns=\"{NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{NAMESPACE} {NAMESPACE}/gexf.xsd\" version=\"1.3\">"
    )?;
    out.write_all(b"  <meta>\n    <creator>demarche</creator>\n    <description>Relationship graph: actors and the relations between them</description>\n  </meta>\n")?;
    out.write_all(
        b"  <graph mode=\"dynamic\" defaultedgetype=\"directed\" timeformat=\"date\">\n",
    )?;
    let attributes: [(&str, &[(&str, &str)]); 2] = [
        ("node", &[("kind", "string"), ("country", "string")]),
        (
            "edge",
            &[
                ("relation", "string"),
                ("label", "string"),
                ("count", "integer"),
                ("first", "string"),
                ("last", "string"),
                ("events", "string"),
            ],
        ),
    ];
    for (class, declared) in attributes {
        writeln!(out, "    <attributes class=\"{class}\">")?;
        for (id, kind) in declared {
            writeln!(
                out,
                "      <attribute id=\"{id}\" title=\"{id}\" type=\"{kind}\"/>"
            )?;
        }
        out.write_all(b"    </attributes>\n")?;
    }
    out.write_all(b"    <nodes>\n")?;
    for n in g.nodes() {
        writeln!(
            out,
            "      <node id=\"{}\" label=\"{}\">",
            xml_escape(&n.id),
            xml_escape(&n.name)
        )?;
        out.write_all(b"        <attvalues>\n")?;
        writeln!(
            out,
            "          <attvalue for=\"kind\" value=\"{}\"/>",
            n.kind.as_str()
        )?;
        if let Some(c) = &n.country {
            writeln!(
                out,
                "          <attvalue for=\"country\" value=\"{}\"/>",
                xml_escape(c)
            )?;
        }
        out.write_all(b"        </attvalues>\n")?;
        out.write_all(b"      </node>\n")?;
    }
    out.write_all(b"    </nodes>\n")?;
    out.write_all(b"    <edges>\n")?;
    for (i, e) in g.edges().enumerate() {
        writeln!(
            out,
            "      <edge id=\"e{i}\" source=\"{}\" target=\"{}\" kind=\"{}\" label=\"{}\" weight=\"{}\">",
            xml_escape(e.from),
            xml_escape(e.to),
            e.relation.as_str(),
            xml_escape(e.label),
            e.count()
        )?;
        out.write_all(b"        <attvalues>\n")?;
        writeln!(
            out,
            "          <attvalue for=\"relation\" value=\"{}\"/>",
            e.relation.as_str()
        )?;
        writeln!(
            out,
            "          <attvalue for=\"label\" value=\"{}\"/>",
            xml_escape(e.label)
        )?;
        writeln!(
            out,
            "          <attvalue for=\"count\" value=\"{}\"/>",
            e.count()
        )?;
        if let Some(d) = e.first() {
            writeln!(
                out,
                "          <attvalue for=\"first\" value=\"{}\"/>",
                xml_escape(d.as_str())
            )?;
        }
        if let Some(d) = e.last() {
            writeln!(
                out,
                "          <attvalue for=\"last\" value=\"{}\"/>",
                xml_escape(d.as_str())
            )?;
        }
        let events = e.events().collect::<Vec<_>>().join(" ");
        writeln!(
            out,
            "          <attvalue for=\"events\" value=\"{}\"/>",
            xml_escape(&events)
        )?;
        out.write_all(b"        </attvalues>\n")?;
        let spells = e.spells();
        if !spells.is_empty() {
            out.write_all(b"        <spells>\n")?;
            for (start, end) in spells {
                out.write_all(b"          <spell")?;
                if let Some(s) = start {
                    write!(out, " start=\"{}\"", xml_escape(&xs_date(&s)))?;
                }
                if let Some(s) = end {
                    write!(out, " end=\"{}\"", xml_escape(&xs_date(&s)))?;
                }
                out.write_all(b"/>\n")?;
            }
            out.write_all(b"        </spells>\n")?;
        }
        out.write_all(b"      </edge>\n")?;
    }
    out.write_all(b"    </edges>\n")?;
    out.write_all(b"  </graph>\n")?;
    out.write_all(b"</gexf>\n")
}
