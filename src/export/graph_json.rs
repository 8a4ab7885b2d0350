//! The relationship graph as one node-link JSON document
//! (`{"nodes":[...],"edges":[...]}`), every attribute included, for D3,
//! networkx (`node_link_graph(data, edges="edges")`) and scripts.

use std::io;

use serde::{Serialize, Serializer};

use crate::graph::{Edge, Relation, RelationGraph};

use super::rfc3339;

/// One edge with every attribute.
#[derive(Debug, Serialize)]
pub struct EdgeJson<'a> {
    pub source: &'a str,
    pub target: &'a str,
    pub relation: Relation,
    /// The role (affiliation), kind (action) or stance (response); empty
    /// for address and mention.
    pub label: &'a str,
    pub count: u64,
    /// The date with the earliest bound (EDTF); null when open.
    pub first: Option<&'a str>,
    /// The date with the latest bound (EDTF); null when open.
    pub last: Option<&'a str>,
    /// Earliest instant of `first` (RFC 3339, UTC); null when open.
    pub start: Option<String>,
    /// Latest instant of `last`; null when open.
    pub end: Option<String>,
    /// The events behind the edge, in log order.
    pub events: Vec<&'a str>,
}

/// The document. Nodes and edges are serialized straight from the graph,
/// one at a time.
#[derive(Debug, Serialize)]
pub struct GraphJson<'a> {
    pub nodes: Nodes<'a>,
    pub edges: Edges<'a>,
}

/// The nodes of a graph, serialized as a list.
#[derive(Debug, Clone, Copy)]
pub struct Nodes<'a>(pub &'a RelationGraph);

impl Serialize for Nodes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.nodes())
    }
}

/// The edges of a graph, serialized as a list of [`EdgeJson`].
#[derive(Debug, Clone, Copy)]
pub struct Edges<'a>(pub &'a RelationGraph);

impl Serialize for Edges<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.edges().map(|e| edge_json(&e)))
    }
}

/// One edge with every attribute.
pub fn edge_json<'a>(e: &Edge<'a>) -> EdgeJson<'a> {
    let (first, last) = (e.first(), e.last());
    EdgeJson {
        source: e.from,
        target: e.to,
        relation: e.relation,
        label: e.label,
        count: e.count(),
        first: first.map(|d| d.as_str()),
        last: last.map(|d| d.as_str()),
        start: first.and_then(|d| rfc3339(d.earliest())),
        end: last.and_then(|d| rfc3339(d.latest())),
        events: e.events().collect(),
    }
}

/// The graph as a node-link document, pretty-printed, as one string; see
/// [`write_graph`].
pub fn graph(g: &RelationGraph) -> String {
    super::in_memory(|out| write_graph(g, out))
}

/// Write the graph as a node-link document, pretty-printed.
pub fn write_graph(g: &RelationGraph, out: &mut dyn io::Write) -> io::Result<()> {
    let doc = GraphJson {
        nodes: Nodes(g),
        edges: Edges(g),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
