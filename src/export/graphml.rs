//! GraphML with typed keys: nodes carry name, kind and country; edges carry
//! relation, label, count (an int), first and last dates (EDTF) and the
//! events behind them (space-separated ids). Every value is XML-escaped.

use std::fmt::Write;

use crate::graph::RelationGraph;

use super::xml_escape;

/// The GraphML namespace.
pub const NAMESPACE: &str = "http://graphml.graphdrawing.org/xmlns";

/// (id, for, name, type) of every key, in the order they are declared.
pub const KEYS: [(&str, &str, &str, &str); 9] = [
    ("name", "node", "name", "string"),
    ("kind", "node", "kind", "string"),
    ("country", "node", "country", "string"),
    ("relation", "edge", "relation", "string"),
    ("label", "edge", "label", "string"),
    ("count", "edge", "count", "int"),
    ("first", "edge", "first", "string"),
    ("last", "edge", "last", "string"),
    ("events", "edge", "events", "string"),
];

fn data(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(
        out,
        "      <data key=\"{key}\">{}</data>",
        xml_escape(value)
    );
}

/// The graph as a GraphML document.
pub fn graph(g: &RelationGraph) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<graphml xmlns=\"{NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{NAMESPACE} {NAMESPACE}/1.0/graphml.xsd\">"
    );
    for (id, what, name, ty) in KEYS {
        let _ = writeln!(
            out,
            "  <key id=\"{id}\" for=\"{what}\" attr.name=\"{name}\" attr.type=\"{ty}\"/>"
        );
    }
    out.push_str("  <graph id=\"relations\" edgedefault=\"directed\">\n");
    for n in g.nodes() {
        let _ = writeln!(out, "    <node id=\"{}\">", xml_escape(&n.id));
        data(&mut out, "name", &n.name);
        data(&mut out, "kind", n.kind.as_str());
        if let Some(c) = &n.country {
            data(&mut out, "country", c);
        }
        out.push_str("    </node>\n");
    }
    for (i, e) in g.edges().enumerate() {
        let _ = writeln!(
            out,
            "    <edge id=\"e{i}\" source=\"{}\" target=\"{}\">",
            xml_escape(&e.from),
            xml_escape(&e.to)
        );
        data(&mut out, "relation", e.relation.as_str());
        data(&mut out, "label", &e.label);
        data(&mut out, "count", &e.count().to_string());
        if let Some(d) = e.first() {
            data(&mut out, "first", d.as_str());
        }
        if let Some(d) = e.last() {
            data(&mut out, "last", d.as_str());
        }
        data(
            &mut out,
            "events",
            &e.events().collect::<Vec<_>>().join(" "),
        );
        out.push_str("    </edge>\n");
    }
    out.push_str("  </graph>\n");
    out.push_str("</graphml>\n");
    out
}
