//! GraphML with typed keys: nodes carry name, kind and country; edges carry
//! relation, label, count (an int), first and last dates (EDTF) and the
//! events behind them (space-separated ids). Every value is XML-escaped.

use std::io;

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

fn data(out: &mut dyn io::Write, key: &str, value: &str) -> io::Result<()> {
    writeln!(
        out,
        "      <data key=\"{key}\">{}</data>",
        xml_escape(value)
    )
}

/// The graph as a GraphML document, as one string; see [`write_graph`].
pub fn graph(g: &RelationGraph) -> String {
    super::in_memory(|out| write_graph(g, out))
}

/// Write the graph as a GraphML document.
pub fn write_graph(g: &RelationGraph, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        out,
        "<graphml xmlns=\"{NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"{NAMESPACE} {NAMESPACE}/1.0/graphml.xsd\">"
    )?;
    for (id, what, name, ty) in KEYS {
        writeln!(
            out,
            "  <key id=\"{id}\" for=\"{what}\" attr.name=\"{name}\" attr.type=\"{ty}\"/>"
        )?;
    }
    out.write_all(b"  <graph id=\"relations\" edgedefault=\"directed\">\n")?;
    for n in g.nodes() {
        writeln!(out, "    <node id=\"{}\">", xml_escape(&n.id))?;
        data(out, "name", &n.name)?;
        data(out, "kind", n.kind.as_str())?;
        if let Some(c) = &n.country {
            data(out, "country", c)?;
        }
        out.write_all(b"    </node>\n")?;
    }
    for (i, e) in g.edges().enumerate() {
        writeln!(
            out,
            "    <edge id=\"e{i}\" source=\"{}\" target=\"{}\">",
            xml_escape(e.from),
            xml_escape(e.to)
        )?;
        data(out, "relation", e.relation.as_str())?;
        data(out, "label", e.label)?;
        data(out, "count", &e.count().to_string())?;
        if let Some(d) = e.first() {
            data(out, "first", d.as_str())?;
        }
        if let Some(d) = e.last() {
            data(out, "last", d.as_str())?;
        }
        data(out, "events", &e.events().collect::<Vec<_>>().join(" "))?;
        out.write_all(b"    </edge>\n")?;
    }
    out.write_all(b"  </graph>\n")?;
    out.write_all(b"</graphml>\n")
}
