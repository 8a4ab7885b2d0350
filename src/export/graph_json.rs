//! The relationship graph as one node-link JSON document
//! (`{"nodes":[...],"edges":[...]}`), every attribute included, for D3,
//! networkx (`node_link_graph(data, edges="edges")`) and scripts.

use serde::Serialize;

use crate::graph::{Node, Relation, RelationGraph};

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

/// The document.
#[derive(Debug, Serialize)]
pub struct GraphJson<'a> {
    pub nodes: Vec<&'a Node>,
    pub edges: Vec<EdgeJson<'a>>,
}

/// The graph as a node-link document, pretty-printed.
pub fn graph(g: &RelationGraph) -> String {
    let doc = GraphJson {
        nodes: g.nodes().collect(),
        edges: g
            .edges()
            .map(|e| EdgeJson {
                source: &e.from,
                target: &e.to,
                relation: e.relation,
                label: &e.label,
                count: e.count(),
                first: e.first().map(|d| d.as_str()),
                last: e.last().map(|d| d.as_str()),
                start: e.first().and_then(|d| rfc3339(d.earliest())),
                end: e.last().and_then(|d| rfc3339(d.latest())),
                events: e.events().collect(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
