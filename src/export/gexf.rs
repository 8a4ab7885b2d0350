//! GEXF 1.3 (the format Gephi reads natively) as a dynamic graph: nodes
//! with their kind and country, edges with relation, label, count, first
//! and last dates and the events behind them, and the days each edge was
//! active as spells (month and year dates widened to their first and last
//! day, open ends left out). Every value is XML-escaped.

use std::fmt::Write;

use crate::graph::RelationGraph;

use super::xml_escape;

/// The GEXF 1.3 namespace.
pub const NAMESPACE: &str = "http://gexf.net/1.3";

/// A day as xs:date: a signed year past 9999 loses the `+` xs:date does
/// not allow.
fn xs_date(day: &str) -> String {
    day.trim_start_matches('+').to_string()
}

/// The graph as a GEXF 1.3 document.
pub fn graph(g: &RelationGraph) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<gexf xmlns=\"{NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{NAMESPACE} {NAMESPACE}/gexf.xsd\" version=\"1.3\">"
    );
    out.push_str("  <meta>\n    <creator>demarche</creator>\n    <description>Relationship graph: actors and the relations between them</description>\n  </meta>\n");
    out.push_str("  <graph mode=\"dynamic\" defaultedgetype=\"directed\" timeformat=\"date\">\n");
    out.push_str("    <attributes class=\"node\">\n");
    out.push_str("      <attribute id=\"kind\" title=\"kind\" type=\"string\"/>\n");
    out.push_str("      <attribute id=\"country\" title=\"country\" type=\"string\"/>\n");
    out.push_str("    </attributes>\n");
    out.push_str("    <attributes class=\"edge\">\n");
    out.push_str("      <attribute id=\"relation\" title=\"relation\" type=\"string\"/>\n");
    out.push_str("      <attribute id=\"label\" title=\"label\" type=\"string\"/>\n");
    out.push_str("      <attribute id=\"count\" title=\"count\" type=\"integer\"/>\n");
    out.push_str("      <attribute id=\"first\" title=\"first\" type=\"string\"/>\n");
    out.push_str("      <attribute id=\"last\" title=\"last\" type=\"string\"/>\n");
    out.push_str("      <attribute id=\"events\" title=\"events\" type=\"string\"/>\n");
    out.push_str("    </attributes>\n");
    out.push_str("    <nodes>\n");
    for n in g.nodes() {
        let _ = writeln!(
            out,
            "      <node id=\"{}\" label=\"{}\">",
            xml_escape(&n.id),
            xml_escape(&n.name)
        );
        out.push_str("        <attvalues>\n");
        let _ = writeln!(
            out,
            "          <attvalue for=\"kind\" value=\"{}\"/>",
            n.kind.as_str()
        );
        if let Some(c) = &n.country {
            let _ = writeln!(
                out,
                "          <attvalue for=\"country\" value=\"{}\"/>",
                xml_escape(c)
            );
        }
        out.push_str("        </attvalues>\n");
        out.push_str("      </node>\n");
    }
    out.push_str("    </nodes>\n");
    out.push_str("    <edges>\n");
    for (i, e) in g.edges().enumerate() {
        let _ = writeln!(
            out,
            "      <edge id=\"e{i}\" source=\"{}\" target=\"{}\" kind=\"{}\" label=\"{}\" weight=\"{}\">",
            xml_escape(&e.from),
            xml_escape(&e.to),
            e.relation.as_str(),
            xml_escape(&e.label),
            e.count()
        );
        out.push_str("        <attvalues>\n");
        let _ = writeln!(
            out,
            "          <attvalue for=\"relation\" value=\"{}\"/>",
            e.relation.as_str()
        );
        let _ = writeln!(
            out,
            "          <attvalue for=\"label\" value=\"{}\"/>",
            xml_escape(&e.label)
        );
        let _ = writeln!(
            out,
            "          <attvalue for=\"count\" value=\"{}\"/>",
            e.count()
        );
        if let Some(d) = e.first() {
            let _ = writeln!(
                out,
                "          <attvalue for=\"first\" value=\"{}\"/>",
                xml_escape(d.as_str())
            );
        }
        if let Some(d) = e.last() {
            let _ = writeln!(
                out,
                "          <attvalue for=\"last\" value=\"{}\"/>",
                xml_escape(d.as_str())
            );
        }
        let events = e.events().collect::<Vec<_>>().join(" ");
        let _ = writeln!(
            out,
            "          <attvalue for=\"events\" value=\"{}\"/>",
            xml_escape(&events)
        );
        out.push_str("        </attvalues>\n");
        let spells = e.spells();
        if !spells.is_empty() {
            out.push_str("        <spells>\n");
            for (start, end) in spells {
                out.push_str("          <spell");
                if let Some(s) = start {
                    let _ = write!(out, " start=\"{}\"", xml_escape(&xs_date(&s)));
                }
                if let Some(s) = end {
                    let _ = write!(out, " end=\"{}\"", xml_escape(&xs_date(&s)));
                }
                out.push_str("/>\n");
            }
            out.push_str("        </spells>\n");
        }
        out.push_str("      </edge>\n");
    }
    out.push_str("    </edges>\n");
    out.push_str("  </graph>\n");
    out.push_str("</gexf>\n");
    out
}
