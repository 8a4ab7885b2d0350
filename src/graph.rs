//! The relationship graph: actors as nodes, and edges aggregated from the
//! log (affiliation, action, address, mention, response), as the log stood
//! at any seq and for any date window. Built on demand from the event
//! indexes and re-checked against each event as it then stood, so it is a
//! pure function of the log: the same log always gives the same graph, in
//! the same order (nodes by id, edges by from, to, relation, label).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde::Serialize;

use crate::date::{DateRange, EdtfDate, OPEN_END, OPEN_START};
use crate::error::{Error, Result};
use crate::event::{ActorKind, Event};
use crate::projection::{self, ActorRecord, Role};
use crate::store::Store;
use crate::view::{self, Current};

/// What an edge stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// Member → organisation; the label is the role.
    Affiliation,
    /// Actor → each target of an action; the label is the action's kind.
    Action,
    /// Speaker → each addressee (`to`) of a statement.
    Address,
    /// Speaker → each actor a statement mentions.
    Mention,
    /// Speaker of a statement → the actor or speaker of each event it is
    /// `about`; the label is the stance (empty when none was given).
    Response,
}

impl Relation {
    /// Every relation, in the order edges of one pair are listed.
    pub const ALL: [Relation; 5] = [
        Relation::Affiliation,
        Relation::Action,
        Relation::Address,
        Relation::Mention,
        Relation::Response,
    ];

    /// The name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Affiliation => "affiliation",
            Relation::Action => "action",
            Relation::Address => "address",
            Relation::Mention => "mention",
            Relation::Response => "response",
        }
    }
}

/// An actor of the graph, with its profile as the log stood then.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub kind: ActorKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One event behind an edge, with the time it covers: an event's date, or
/// an affiliation's `from` and `until` (`None`: open or unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub event: String,
    pub seq: u64,
    pub start: Option<EdtfDate>,
    pub end: Option<EdtfDate>,
}

impl Contribution {
    /// Earliest instant covered, ms (UTC); [`OPEN_START`] when open.
    pub fn lo(&self) -> i64 {
        self.start.as_ref().map_or(OPEN_START, EdtfDate::earliest)
    }

    /// Latest instant covered, ms (UTC); [`OPEN_END`] when open.
    pub fn hi(&self) -> i64 {
        self.end.as_ref().map_or(OPEN_END, EdtfDate::latest)
    }
}

/// An aggregated relation between two actors: every event with the same
/// `from`, `to`, relation and label counts once toward it.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub relation: Relation,
    pub label: String,
    /// The events behind the edge, in log order.
    pub contributions: Vec<Contribution>,
}

impl Edge {
    /// How many events stand behind the edge.
    pub fn count(&self) -> u64 {
        self.contributions.len() as u64
    }

    /// Event ids, in log order.
    pub fn events(&self) -> impl Iterator<Item = &str> {
        self.contributions.iter().map(|c| c.event.as_str())
    }

    /// The date with the earliest bound among the events (for an
    /// affiliation: its `from`); `None` when one of them is open at the start.
    pub fn first(&self) -> Option<&EdtfDate> {
        let mut best: Option<&Contribution> = None;
        for c in &self.contributions {
            if best.is_none_or(|b| c.lo() < b.lo()) {
                best = Some(c);
            }
        }
        best.and_then(|c| c.start.as_ref())
    }

    /// The date with the latest bound among the events (for an
    /// affiliation: its `until`); `None` when one of them is open at the end.
    pub fn last(&self) -> Option<&EdtfDate> {
        let mut best: Option<&Contribution> = None;
        for c in &self.contributions {
            if best.is_none_or(|b| c.hi() > b.hi()) {
                best = Some(c);
            }
        }
        best.and_then(|c| c.end.as_ref())
    }

    /// The periods the edge was active, as full UTC days (`None`: open),
    /// overlapping or touching periods merged, in time order. Empty when
    /// the edge is active at all times (a period open at both ends).
    pub fn spells(&self) -> Vec<(Option<String>, Option<String>)> {
        let mut spans: Vec<(i64, i64, &Contribution, &Contribution)> = self
            .contributions
            .iter()
            .map(|c| (c.lo(), c.hi(), c, c))
            .collect();
        spans.sort_by_key(|s| (s.0, s.1));
        let mut merged: Vec<(i64, i64, &Contribution, &Contribution)> = Vec::new();
        for s in spans {
            match merged.last_mut() {
                // Touching periods (the next starts the millisecond after)
                // are one spell: a day and the next day are one run of days.
                Some(m) if s.0 <= m.1.saturating_add(1) => {
                    if s.1 > m.1 {
                        m.1 = s.1;
                        m.3 = s.3;
                    }
                }
                _ => merged.push(s),
            }
        }
        if merged.iter().any(|m| m.0 == OPEN_START && m.1 == OPEN_END) {
            return Vec::new();
        }
        merged
            .into_iter()
            .map(|(lo, hi, a, b)| {
                let start = if lo == OPEN_START {
                    None
                } else {
                    a.start.as_ref().and_then(EdtfDate::first_day)
                };
                let end = if hi == OPEN_END {
                    None
                } else {
                    b.end.as_ref().and_then(EdtfDate::last_day)
                };
                (start, end)
            })
            .collect()
    }
}

/// What to build the graph from.
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// Keep events whose date overlaps the range, and affiliations whose
    /// `from`–`until` period overlaps it.
    pub range: DateRange,
    /// The seq the log is read at.
    pub as_of: u64,
}

/// The relationship graph: a petgraph directed graph whose node indices
/// follow actor ids and whose edge indices follow edge keys.
#[derive(Debug, Clone, Default)]
pub struct RelationGraph {
    graph: DiGraph<Node, Edge>,
    index: BTreeMap<String, NodeIndex>,
}

/// One step of a path: two neighbouring actors and every edge between them,
/// either way.
#[derive(Debug, Clone)]
pub struct Hop<'g> {
    pub from: &'g Node,
    pub to: &'g Node,
    pub edges: Vec<&'g Edge>,
}

/// An actor's standing in the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rank {
    /// 1 for the highest PageRank.
    pub rank: usize,
    pub id: String,
    pub name: String,
    pub kind: ActorKind,
    pub pagerank: f64,
    /// Aggregated edges pointing at the actor.
    pub in_degree: usize,
    /// Aggregated edges leaving the actor.
    pub out_degree: usize,
    /// `in_degree + out_degree`.
    pub degree: usize,
    /// Events behind the edges pointing at the actor.
    pub events_in: u64,
    /// Events behind the edges leaving the actor.
    pub events_out: u64,
}

/// Where an actor is drawn when organisations are shown as clusters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clusters {
    /// Organisation id → its members drawn inside it (the organisation
    /// itself excluded), by id.
    pub members: BTreeMap<String, Vec<String>>,
    /// Member id → the affiliation edge that placed it in a cluster (not
    /// drawn as an edge, since the cluster shows it) and that edge's
    /// most recent contribution.
    pub placed_by: BTreeMap<String, (EdgeIndex, usize)>,
}

impl RelationGraph {
    /// Build the graph of the whole log as it stood at `opts.as_of`, for the
    /// events in `opts.range`. Retracted events are left out, corrections
    /// applied.
    pub fn build(store: &Store, opts: &GraphOptions) -> Result<RelationGraph> {
        let backend = store.backend();
        let mut seqs = Vec::new();
        for letter in [b'f', b's', b'x'] {
            seqs.extend(projection::of_type(backend, letter)?);
        }
        Self::build_from(store, seqs, opts)
    }

    /// Build only what touches one actor: the events that involve it, and
    /// the statements about its own statements and actions. Its edges (see
    /// [`Self::edges_of`]) are exactly those of the full graph, at the cost
    /// of reading only its events.
    pub fn build_for(store: &Store, actor: &str, opts: &GraphOptions) -> Result<RelationGraph> {
        let backend = store.backend();
        let mut seqs = projection::involving(backend, actor, &Role::ALL)?;
        for seq in projection::involving(backend, actor, &[Role::Speaker, Role::Actor])? {
            seqs.extend(projection::about(backend, seq)?);
        }
        Self::build_from(store, seqs, opts)
    }

    fn build_from(store: &Store, mut seqs: Vec<u64>, opts: &GraphOptions) -> Result<RelationGraph> {
        seqs.sort_unstable();
        seqs.dedup();
        let (lo, hi) = opts.range.window();
        let mut edges: BTreeMap<(String, String, Relation, String), Vec<Contribution>> =
            BTreeMap::new();
        let mut about_cache: HashMap<String, Option<String>> = HashMap::new();
        for seq in seqs {
            if seq > opts.as_of {
                break;
            }
            let Some(cur) = view::current(store, seq, opts.as_of)? else {
                continue;
            };
            if cur.retracted.is_some() {
                continue;
            }
            let mut add = |from: &str,
                           to: &str,
                           relation: Relation,
                           label: &str,
                           start: Option<&EdtfDate>,
                           end: Option<&EdtfDate>| {
                let list = edges
                    .entry((
                        from.to_string(),
                        to.to_string(),
                        relation,
                        label.to_string(),
                    ))
                    .or_default();
                // An actor named twice in one event still makes one contribution.
                if list.last().is_none_or(|c| c.seq != cur.seq) {
                    list.push(Contribution {
                        event: cur.id.clone(),
                        seq: cur.seq,
                        start: start.cloned(),
                        end: end.cloned(),
                    });
                }
            };
            match &cur.event {
                Event::Affiliation(a) => {
                    let from = a.from.as_ref().map_or(OPEN_START, EdtfDate::earliest);
                    let until = a.until.as_ref().map_or(OPEN_END, EdtfDate::latest);
                    if until < lo || from > hi {
                        continue;
                    }
                    add(
                        &a.actor,
                        &a.org,
                        Relation::Affiliation,
                        &a.role,
                        a.from.as_ref(),
                        a.until.as_ref(),
                    );
                }
                Event::Action(x) => {
                    if x.date.within(&opts.range).is_none() {
                        continue;
                    }
                    for t in &x.targets {
                        add(
                            &x.actor,
                            t,
                            Relation::Action,
                            &x.kind,
                            Some(&x.date),
                            Some(&x.date),
                        );
                    }
                }
                Event::Statement(s) => {
                    if s.date.within(&opts.range).is_none() {
                        continue;
                    }
                    let d = Some(&s.date);
                    for t in &s.to {
                        add(&s.speaker, t, Relation::Address, "", d, d);
                    }
                    for m in &s.mentions {
                        add(&s.speaker, m, Relation::Mention, "", d, d);
                    }
                    let stance = s.stance.map(|st| st.as_str()).unwrap_or("");
                    for about in &s.about {
                        let who = match about_cache.get(about) {
                            Some(w) => w.clone(),
                            None => {
                                let w = responsible(store, about, opts.as_of)?;
                                about_cache.insert(about.clone(), w.clone());
                                w
                            }
                        };
                        if let Some(who) = who {
                            add(&s.speaker, &who, Relation::Response, stance, d, d);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        for (from, to, _, _) in edges.keys() {
            ids.insert(from);
            ids.insert(to);
        }
        let mut g = RelationGraph::default();
        for id in ids {
            let node = node_as_of(store, id, opts.as_of)?;
            let ix = g.graph.add_node(node);
            g.index.insert(id.to_string(), ix);
        }
        for ((from, to, relation, label), contributions) in edges {
            let (Some(&a), Some(&b)) = (g.index.get(&from), g.index.get(&to)) else {
                continue;
            };
            g.graph.add_edge(
                a,
                b,
                Edge {
                    from,
                    to,
                    relation,
                    label,
                    contributions,
                },
            );
        }
        Ok(g)
    }

    /// The underlying petgraph graph.
    pub fn petgraph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    /// Nodes, by actor id.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights()
    }

    /// Edges, by from, to, relation and label.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.graph.edge_weights()
    }

    /// Edges with their indices, in the same order as [`Self::edges`].
    pub fn indexed_edges(&self) -> impl Iterator<Item = (EdgeIndex, &Edge)> {
        self.graph
            .edge_indices()
            .filter_map(|i| self.graph.edge_weight(i).map(|e| (i, e)))
    }

    /// The node of an actor, if it has an edge in this graph.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index
            .get(id)
            .and_then(|ix| self.graph.node_weight(*ix))
    }

    /// How many actors and edges.
    pub fn len(&self) -> (usize, usize) {
        (self.graph.node_count(), self.graph.edge_count())
    }

    /// Whether the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Edges that touch an actor, either way, in edge order.
    pub fn edges_of(&self, id: &str) -> Vec<&Edge> {
        self.edges()
            .filter(|e| e.from == id || e.to == id)
            .collect()
    }

    /// The part of the graph within `depth` steps of `id`, ignoring edge
    /// direction: those actors and every edge between two of them. Empty
    /// when the actor has no edge.
    pub fn around(&self, id: &str, depth: usize) -> RelationGraph {
        let Some(&start) = self.index.get(id) else {
            return RelationGraph::default();
        };
        let mut dist: HashMap<NodeIndex, usize> = HashMap::from([(start, 0)]);
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            let d = dist.get(&n).copied().unwrap_or(0);
            if d >= depth {
                continue;
            }
            for m in self.graph.neighbors_undirected(n) {
                if let std::collections::hash_map::Entry::Vacant(v) = dist.entry(m) {
                    v.insert(d + 1);
                    queue.push_back(m);
                }
            }
        }
        let graph = self.graph.filter_map(
            |ix, n| dist.contains_key(&ix).then(|| n.clone()),
            |_, e| Some(e.clone()),
        );
        // filter_map keeps the relative order of what it keeps, so ids still
        // follow node order.
        let index = graph
            .node_indices()
            .filter_map(|ix| graph.node_weight(ix).map(|n| (n.id.clone(), ix)))
            .collect();
        RelationGraph { graph, index }
    }

    /// The shortest chain of relations from `a` to `b`, ignoring edge
    /// direction; `None` when they are not connected. Among chains of equal
    /// length the one through the smallest ids (compared hop by hop from
    /// `a`) is chosen, so the answer is stable.
    pub fn path(&self, a: &str, b: &str) -> Option<Vec<Hop<'_>>> {
        let (&start, &goal) = (self.index.get(a)?, self.index.get(b)?);
        let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut seen: BTreeSet<NodeIndex> = BTreeSet::from([start]);
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            if n == goal {
                break;
            }
            // Node indices follow ids, so sorting them visits neighbours by id.
            let mut next: Vec<NodeIndex> = self.graph.neighbors_undirected(n).collect();
            next.sort_unstable();
            next.dedup();
            for m in next {
                if seen.insert(m) {
                    prev.insert(m, n);
                    queue.push_back(m);
                }
            }
        }
        if start != goal && !prev.contains_key(&goal) {
            return None;
        }
        let mut chain = vec![goal];
        let mut at = goal;
        while let Some(&p) = prev.get(&at) {
            chain.push(p);
            at = p;
        }
        chain.reverse();
        let hops = chain
            .windows(2)
            .filter_map(|w| {
                let (x, y) = (w[0], w[1]);
                let mut edges: Vec<(EdgeIndex, &Edge)> = self
                    .graph
                    .edges_connecting(x, y)
                    .chain(self.graph.edges_connecting(y, x))
                    .map(|e| (e.id(), e.weight()))
                    .collect();
                edges.sort_by_key(|(i, _)| *i);
                Some(Hop {
                    from: self.graph.node_weight(x)?,
                    to: self.graph.node_weight(y)?,
                    edges: edges.into_iter().map(|(_, e)| e).collect(),
                })
            })
            .collect();
        Some(hops)
    }

    /// Degree and PageRank of every actor, highest PageRank first (then
    /// higher degree, then id).
    ///
    /// Degrees count aggregated edges; `events_in`/`events_out` count the
    /// events behind them. PageRank is the standard power iteration with
    /// damping 0.85 on the directed graph, each edge weighted by its event
    /// count; an actor with no outgoing edge spreads its rank evenly over
    /// everyone (the usual treatment of dangling nodes), so ranks sum to 1.
    pub fn rank(&self) -> Vec<Rank> {
        let pr = pagerank(&self.graph, 0.85);
        let mut rows: Vec<Rank> = self
            .graph
            .node_indices()
            .filter_map(|ix| {
                let n = self.graph.node_weight(ix)?;
                let ins: Vec<&Edge> = self
                    .graph
                    .edges_directed(ix, Direction::Incoming)
                    .map(|e| e.weight())
                    .collect();
                let outs: Vec<&Edge> = self
                    .graph
                    .edges_directed(ix, Direction::Outgoing)
                    .map(|e| e.weight())
                    .collect();
                Some(Rank {
                    rank: 0,
                    id: n.id.clone(),
                    name: n.name.clone(),
                    kind: n.kind,
                    pagerank: pr.get(ix.index()).copied().unwrap_or(0.0),
                    in_degree: ins.len(),
                    out_degree: outs.len(),
                    degree: ins.len() + outs.len(),
                    events_in: ins.iter().map(|e| e.count()).sum(),
                    events_out: outs.iter().map(|e| e.count()).sum(),
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            b.pagerank
                .total_cmp(&a.pagerank)
                .then(b.degree.cmp(&a.degree))
                .then(a.id.cmp(&b.id))
        });
        for (i, r) in rows.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        rows
    }

    /// Where each actor is drawn when organisations are clusters.
    ///
    /// The rule: an actor's *home* is the organisation of its most recent
    /// affiliation in the graph (the latest `from`, an affiliation without
    /// `from` counting as the oldest; ties go to the later one in the log).
    /// An organisation that is some actor's home heads a cluster. Clusters
    /// are not nested: an actor that heads a cluster stays in its own, and
    /// its membership of another organisation is drawn as an edge. Every
    /// other affiliation, ended ones included, is an edge too.
    pub fn clusters(&self) -> Clusters {
        let mut home: BTreeMap<&str, (EdgeIndex, usize, i64, u64)> = BTreeMap::new();
        for (ix, e) in self.indexed_edges() {
            if e.relation != Relation::Affiliation || e.from == e.to {
                continue;
            }
            for (ci, c) in e.contributions.iter().enumerate() {
                let key = (c.lo(), c.seq);
                let better = home.get(e.from.as_str()).is_none_or(|h| key > (h.2, h.3));
                if better {
                    home.insert(&e.from, (ix, ci, key.0, key.1));
                }
            }
        }
        let heads: BTreeSet<&str> = home
            .values()
            .filter_map(|h| self.graph.edge_weight(h.0).map(|e| e.to.as_str()))
            .collect();
        let mut out = Clusters::default();
        for (member, (ix, ci, _, _)) in &home {
            if heads.contains(member) {
                continue;
            }
            let Some(org) = self.graph.edge_weight(*ix).map(|e| e.to.clone()) else {
                continue;
            };
            out.members.entry(org).or_default().push(member.to_string());
            out.placed_by.insert(member.to_string(), (*ix, *ci));
        }
        out
    }
}

/// The actor (of an action) or speaker (of a statement) of the event with
/// this id, as it stood at `as_of`; `None` for a retracted event or an
/// event of another type.
fn responsible(store: &Store, id: &str, as_of: u64) -> Result<Option<String>> {
    let Some(seq) = store.seq_of(id)? else {
        return Ok(None);
    };
    let Some(cur) = view::current(store, seq, as_of)? else {
        return Ok(None);
    };
    Ok(match cur {
        Current {
            retracted: Some(_), ..
        } => None,
        Current {
            event: Event::Action(a),
            ..
        } => Some(a.actor),
        Current {
            event: Event::Statement(s),
            ..
        } => Some(s.speaker),
        _ => None,
    })
}

/// An actor's profile merged from its registrations up to `as_of`.
pub fn actor_as_of(store: &Store, id: &str, as_of: u64) -> Result<Option<ActorRecord>> {
    let Some(rec) = store.actor(id)? else {
        return Ok(None);
    };
    if rec.registrations.iter().all(|s| *s <= as_of) {
        return Ok(Some(rec));
    }
    // The stored profile already includes later registrations: replay the
    // earlier ones the way the projection merges them.
    let mut out: Option<ActorRecord> = None;
    for &seq in rec.registrations.iter().filter(|s| **s <= as_of) {
        let Some(cur) = view::current(store, seq, as_of)? else {
            continue;
        };
        let Event::Actor(a) = cur.event else {
            continue;
        };
        let r = out.get_or_insert_with(|| ActorRecord {
            id: a.id.clone(),
            name: a.name.clone(),
            kind: a.kind,
            aliases: Vec::new(),
            country: None,
            description: None,
            wikidata: None,
            registrations: Vec::new(),
        });
        r.name = a.name;
        r.kind = a.kind;
        for alias in a.aliases {
            if !r.aliases.contains(&alias) {
                r.aliases.push(alias);
            }
        }
        if a.country.is_some() {
            r.country = a.country;
        }
        if a.description.is_some() {
            r.description = a.description;
        }
        if a.wikidata.is_some() {
            r.wikidata = a.wikidata;
        }
        r.registrations.push(seq);
    }
    Ok(out)
}

fn node_as_of(store: &Store, id: &str, as_of: u64) -> Result<Node> {
    let rec = actor_as_of(store, id, as_of)?.ok_or_else(|| {
        Error::Damaged(format!(
            "actor \"{id}\" is referred to but not registered (run `demarche verify`)"
        ))
    })?;
    Ok(Node {
        id: rec.id,
        name: rec.name,
        kind: rec.kind,
        country: rec.country,
    })
}

/// PageRank by power iteration, weighted by event counts, in node-index
/// order. Stops when an iteration moves the ranks by less than 1e-12 in
/// total, or after 1,000 iterations.
fn pagerank(g: &DiGraph<Node, Edge>, damping: f64) -> Vec<f64> {
    let n = g.node_count();
    if n == 0 {
        return Vec::new();
    }
    let nf = n as f64;
    let out_weight: Vec<f64> = g
        .node_indices()
        .map(|ix| {
            g.edges_directed(ix, Direction::Outgoing)
                .map(|e| e.weight().count() as f64)
                .sum()
        })
        .collect();
    let mut rank = vec![1.0 / nf; n];
    for _ in 0..1000 {
        let dangling: f64 = (0..n)
            .filter(|&i| out_weight[i] == 0.0)
            .map(|i| rank[i])
            .sum();
        let base = (1.0 - damping) / nf + damping * dangling / nf;
        let mut next = vec![base; n];
        // Edge order is fixed, so the floating-point sums are too.
        for e in g.edge_references() {
            let (s, t) = (e.source().index(), e.target().index());
            if out_weight[s] > 0.0 {
                next[t] += damping * rank[s] * e.weight().count() as f64 / out_weight[s];
            }
        }
        let delta: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        rank = next;
        if delta < 1e-12 {
            break;
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> Node {
        Node {
            id: id.into(),
            name: id.to_uppercase(),
            kind: ActorKind::Person,
            country: None,
        }
    }

    fn contribution(event: &str, seq: u64, start: Option<&str>, end: Option<&str>) -> Contribution {
        let d = |s: Option<&str>| s.map(|s| EdtfDate::parse(s).expect("date"));
        Contribution {
            event: event.into(),
            seq,
            start: d(start),
            end: d(end),
        }
    }

    fn edge(from: &str, to: &str, relation: Relation, contributions: Vec<Contribution>) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            relation,
            label: String::new(),
            contributions,
        }
    }

    /// A graph from edges; nodes are the endpoints.
    fn graph(edges: Vec<Edge>) -> RelationGraph {
        let mut g = RelationGraph::default();
        let ids: BTreeSet<String> = edges
            .iter()
            .flat_map(|e| [e.from.clone(), e.to.clone()])
            .collect();
        for id in ids {
            let ix = g.graph.add_node(node(&id));
            g.index.insert(id, ix);
        }
        for e in edges {
            let (a, b) = (g.index[&e.from], g.index[&e.to]);
            g.graph.add_edge(a, b, e);
        }
        g
    }

    fn one(event: &str, seq: u64, date: &str) -> Vec<Contribution> {
        vec![contribution(event, seq, Some(date), Some(date))]
    }

    #[test]
    fn first_and_last_keep_the_widest_dates() {
        let e = edge(
            "a",
            "b",
            Relation::Mention,
            vec![
                contribution("x", 1, Some("2017-05-09"), Some("2017-05-09")),
                contribution("y", 2, Some("2017-03"), Some("2017-03")),
                contribution("z", 3, Some("2017-09-13/.."), Some("2017-09-13/..")),
            ],
        );
        assert_eq!(e.first().map(EdtfDate::as_str), Some("2017-03"));
        // The open-ended date is the latest, and its text says it is open.
        assert_eq!(e.last().map(EdtfDate::as_str), Some("2017-09-13/.."));
        let f = edge(
            "a",
            "b",
            Relation::Affiliation,
            vec![contribution("f", 1, Some("2001"), None)],
        );
        assert_eq!(
            f.last(),
            None,
            "an affiliation without until has no last date"
        );
        assert_eq!(e.count(), 3);
    }

    #[test]
    fn spells_are_full_days_merged_and_open_ends_omitted() {
        let e = edge(
            "a",
            "b",
            Relation::Action,
            vec![
                contribution("x", 1, Some("2017-03"), Some("2017-03")),
                contribution("y", 2, Some("2017-03-09"), Some("2017-03-09")),
                contribution("z", 3, Some("2017-04-01"), Some("2017-04-01")),
                contribution("w", 4, Some("2017-09-13/.."), Some("2017-09-13/..")),
            ],
        );
        assert_eq!(
            e.spells(),
            vec![
                (Some("2017-03-01".into()), Some("2017-04-01".into())),
                (Some("2017-09-13".into()), None),
            ]
        );
        let always = edge(
            "a",
            "b",
            Relation::Affiliation,
            vec![contribution("f", 1, None, None)],
        );
        assert!(always.spells().is_empty());
    }

    #[test]
    fn around_keeps_actors_within_depth_ignoring_direction() {
        let g = graph(vec![
            edge("a", "b", Relation::Mention, one("1", 1, "2017")),
            edge("c", "b", Relation::Mention, one("2", 2, "2017")),
            edge("c", "d", Relation::Mention, one("3", 3, "2017")),
        ]);
        let ids = |g: &RelationGraph| g.nodes().map(|n| n.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&g.around("b", 1)), ["a", "b", "c"]);
        assert_eq!(g.around("b", 1).len(), (3, 2));
        assert_eq!(ids(&g.around("a", 3)), ["a", "b", "c", "d"]);
        assert_eq!(ids(&g.around("a", 0)), ["a"]);
        assert!(g.around("zz", 2).is_empty());
    }

    #[test]
    fn path_is_shortest_ignores_direction_and_prefers_small_ids() {
        let g = graph(vec![
            edge("a", "c", Relation::Mention, one("1", 1, "2017")),
            edge("b", "a", Relation::Action, one("2", 2, "2017")),
            edge("b", "d", Relation::Mention, one("3", 3, "2017")),
            edge("c", "d", Relation::Mention, one("4", 4, "2017")),
            edge("x", "y", Relation::Mention, one("5", 5, "2017")),
        ]);
        let p = g.path("a", "d").expect("connected");
        let ids: Vec<(&str, &str)> = p
            .iter()
            .map(|h| (h.from.id.as_str(), h.to.id.as_str()))
            .collect();
        assert_eq!(ids, [("a", "b"), ("b", "d")]);
        assert_eq!(p[0].edges[0].relation, Relation::Action);
        assert!(g.path("a", "y").is_none());
        assert_eq!(g.path("a", "a").map(|p| p.len()), Some(0));
    }

    #[test]
    fn pagerank_sums_to_one_and_favours_the_cited() {
        let g = graph(vec![
            edge("a", "hub", Relation::Mention, one("1", 1, "2017")),
            edge("b", "hub", Relation::Mention, one("2", 2, "2017")),
            edge("c", "hub", Relation::Mention, one("3", 3, "2017")),
            edge("hub", "a", Relation::Mention, one("4", 4, "2017")),
        ]);
        let r = g.rank();
        assert_eq!(r[0].id, "hub");
        assert_eq!(r[0].in_degree, 3);
        let total: f64 = r.iter().map(|x| x.pagerank).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert_eq!(r, g.rank(), "deterministic");
    }

    #[test]
    fn clusters_follow_the_most_recent_affiliation_and_do_not_nest() {
        let g = graph(vec![
            edge(
                "p",
                "old-org",
                Relation::Affiliation,
                vec![contribution("f1", 1, Some("2001"), Some("2005"))],
            ),
            edge(
                "p",
                "org",
                Relation::Affiliation,
                vec![contribution("f2", 2, Some("2010"), None)],
            ),
            edge(
                "q",
                "org",
                Relation::Affiliation,
                vec![contribution("f3", 3, None, None)],
            ),
            edge(
                "org",
                "state",
                Relation::Affiliation,
                vec![contribution("f4", 4, None, None)],
            ),
            edge(
                "r",
                "state",
                Relation::Affiliation,
                vec![contribution("f5", 5, None, None)],
            ),
        ]);
        let c = g.clusters();
        assert_eq!(
            c.members.get("org"),
            Some(&vec!["p".to_string(), "q".to_string()])
        );
        assert_eq!(c.members.get("state"), Some(&vec!["r".to_string()]));
        assert!(
            !c.placed_by.contains_key("org"),
            "a cluster head stays in its own cluster"
        );
        assert!(!c.members.contains_key("old-org"));
    }
}
