//! The relationship graph: actors as nodes, and edges aggregated from the
//! log (affiliation, action, address, mention, response), as the log stood
//! at any seq and for any date window. Built on demand from the event
//! indexes and re-checked against each event as it then stood, so it is a
//! pure function of the log: the same log always gives the same graph, in
//! the same order (nodes by id, edges by from, to, relation, label).
//!
//! The graph is compact: an edge stores its relation, its label and where
//! its events sit in one shared list; events, dates and labels are kept
//! once in tables the edges refer to by index. [`Edge`] and
//! [`Contribution`] are read-only views over those tables.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde::Serialize;

use crate::date::{utc_day, EdtfDate, OPEN_END, OPEN_START};
use crate::error::{Error, Result};
use crate::event::{ActorKind, Event};
use crate::projection::outline::{Outline, Outlines, Unpacked};
use crate::projection::{self, ActorRecord, Role};
use crate::store::{SharedRead, Store};
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

/// Marks a missing entry in the graph's tables: an open date, or an event
/// with no actor or speaker.
const NONE: u32 = u32::MAX;

/// Reads worth a thread of their own (events of a neighbourhood, the
/// actors of a graph): each costs a value read from sled, some tens of
/// microseconds.
const NEIGHBOURS_PER_CORE: usize = 64;

/// What the graph reads of an event, as it stood at the moment asked about.
enum Seen<'a> {
    /// Not in the log: a placeholder that nothing links to.
    Missing,
    /// Retracted, or of a type that makes no relation: its id.
    Inert(&'a str),
    Outline(Outline<'a>),
}

impl<'a> Seen<'a> {
    /// What the graph reads of an event as [`view::current`] gives it.
    fn of(cur: Option<&'a Current>) -> Seen<'a> {
        match cur {
            None => Seen::Missing,
            Some(c) if c.retracted.is_some() => Seen::Inert(&c.id),
            Some(c) => Outline::of(&c.id, &c.event).map_or(Seen::Inert(&c.id), Seen::Outline),
        }
    }
}

/// A table position as the `u32` the graph stores; an error past what fits.
fn position(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n)
        .ok()
        .filter(|&i| i != NONE)
        .ok_or_else(|| Error::invalid(format!("too many {what} for one graph")))
}

/// What the edges of a graph refer to, shared by the graph and every
/// neighbourhood cut from it: the events read (in log order), their dates,
/// the edge labels, and the events behind each edge.
#[derive(Debug, Default)]
struct Tables {
    /// Per event: its seq.
    seqs: Vec<u64>,
    /// Per event: where its id ends in `ids` (it starts where the one
    /// before ends).
    id_ends: Vec<u32>,
    /// Every event id, one after the other.
    ids: String,
    /// Per event: the start and end of the time it covers, as positions in
    /// `dates` ([`NONE`]: open).
    spans: Vec<[u32; 2]>,
    /// Distinct dates (almost: see [`Builder::date`]).
    dates: Vec<DateEntry>,
    /// The text of every date, one after the other.
    date_texts: String,
    /// Distinct edge labels, sorted.
    labels: Vec<String>,
    /// Event positions, edge after edge, each edge's in log order.
    contributions: Vec<u32>,
}

impl Tables {
    /// The id of an event.
    fn id(&self, event: u32) -> &str {
        let i = event as usize;
        let end = self.id_ends.get(i).map_or(0, |&e| e as usize);
        let start = match i.checked_sub(1) {
            Some(prev) => self.id_ends.get(prev).map_or(0, |&e| e as usize),
            None => 0,
        };
        self.ids.get(start..end).unwrap_or("")
    }

    /// A date by position; `None` for [`NONE`].
    fn date(&self, at: u32) -> Option<DateRef<'_>> {
        let i = at as usize;
        let entry = *self.dates.get(i)?;
        let start = match i.checked_sub(1) {
            Some(prev) => self.dates.get(prev).map_or(0, |d| d.text_end as usize),
            None => 0,
        };
        Some(DateRef {
            text: self.date_texts.get(start..entry.text_end as usize)?,
            entry,
        })
    }

    /// One event behind an edge, with its dates.
    fn contribution(&self, event: u32) -> Contribution<'_> {
        let [start, end] = self.spans.get(event as usize).copied().unwrap_or([NONE; 2]);
        Contribution {
            event: self.id(event),
            seq: self.seqs.get(event as usize).copied().unwrap_or(0),
            start: self.date(start),
            end: self.date(end),
        }
    }
}

/// A date as the graph stores it: its bounds, where its text ends, and
/// whether it has a first and a last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DateEntry {
    earliest: i64,
    latest: i64,
    text_end: u32,
    has_first_day: bool,
    has_last_day: bool,
}

impl DateEntry {
    fn of(date: &EdtfDate, text_end: u32) -> DateEntry {
        DateEntry {
            earliest: date.earliest(),
            latest: date.latest(),
            text_end,
            has_first_day: date.first_day().is_some(),
            has_last_day: date.last_day().is_some(),
        }
    }
}

/// A date of the graph, read from its table: the text as written and its
/// bounds, as [`EdtfDate`] gives them; [`DateRef::date`] parses it again
/// for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRef<'g> {
    text: &'g str,
    entry: DateEntry,
}

impl<'g> DateRef<'g> {
    /// The original string, byte for byte.
    pub fn as_str(&self) -> &'g str {
        self.text
    }

    /// Ms since the epoch (UTC); [`OPEN_START`] when the start is open or unknown.
    pub fn earliest(&self) -> i64 {
        self.entry.earliest
    }

    /// Ms since the epoch (UTC); [`OPEN_END`] when the end is open or unknown.
    pub fn latest(&self) -> i64 {
        self.entry.latest
    }

    /// As [`EdtfDate::first_day`].
    pub fn first_day(&self) -> Option<String> {
        self.entry
            .has_first_day
            .then(|| utc_day(self.entry.earliest))
            .flatten()
    }

    /// As [`EdtfDate::last_day`].
    pub fn last_day(&self) -> Option<String> {
        self.entry
            .has_last_day
            .then(|| utc_day(self.entry.latest))
            .flatten()
    }

    /// The date, parsed again from its text.
    pub fn date(&self) -> Option<EdtfDate> {
        EdtfDate::parse(self.text).ok()
    }

    /// As [`EdtfDate::display`]; the text itself should it no longer parse.
    pub fn display(&self) -> String {
        self.date()
            .map_or_else(|| self.text.to_string(), |d| d.display())
    }
}

/// One event behind an edge, with the time it covers: an event's date, or
/// an affiliation's `from` and `until` (`None`: open or unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution<'g> {
    pub event: &'g str,
    pub seq: u64,
    pub start: Option<DateRef<'g>>,
    pub end: Option<DateRef<'g>>,
}

impl Contribution<'_> {
    /// Earliest instant covered, ms (UTC); [`OPEN_START`] when open.
    pub fn lo(&self) -> i64 {
        self.start.map_or(OPEN_START, |d| d.earliest())
    }

    /// Latest instant covered, ms (UTC); [`OPEN_END`] when open.
    pub fn hi(&self) -> i64 {
        self.end.map_or(OPEN_END, |d| d.latest())
    }
}

/// An edge as the graph stores it: the relation, the label's position in
/// the label table and where its events sit in the shared list. Read it
/// through [`Edge`] (see [`RelationGraph::edge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeWeight {
    relation: Relation,
    label: u32,
    first: u32,
    count: u32,
}

impl EdgeWeight {
    /// What the edge stands for.
    pub fn relation(&self) -> Relation {
        self.relation
    }

    /// How many events stand behind the edge.
    pub fn count(&self) -> u64 {
        u64::from(self.count)
    }
}

/// An aggregated relation between two actors: every event with the same
/// `from`, `to`, relation and label counts once toward it. A view into the
/// graph it comes from.
#[derive(Clone, Copy)]
pub struct Edge<'g> {
    pub from: &'g str,
    pub to: &'g str,
    pub relation: Relation,
    pub label: &'g str,
    /// The events behind the edge, in log order, as positions in `tables`.
    events: &'g [u32],
    tables: &'g Tables,
}

impl fmt::Debug for Edge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Edge")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("relation", &self.relation)
            .field("label", &self.label)
            .field("events", &self.events().collect::<Vec<_>>())
            .finish()
    }
}

impl<'g> Edge<'g> {
    /// How many events stand behind the edge.
    pub fn count(&self) -> u64 {
        self.events.len() as u64
    }

    /// The events behind the edge with their dates, in log order.
    pub fn contributions(&self) -> impl Iterator<Item = Contribution<'g>> + 'g {
        let tables = self.tables;
        self.events.iter().map(move |&e| tables.contribution(e))
    }

    /// The `i`-th event behind the edge (in log order).
    pub fn contribution(&self, i: usize) -> Option<Contribution<'g>> {
        self.events.get(i).map(|&e| self.tables.contribution(e))
    }

    /// Event ids, in log order.
    pub fn events(&self) -> impl Iterator<Item = &'g str> + 'g {
        let tables = self.tables;
        self.events.iter().map(move |&e| tables.id(e))
    }

    /// The date with the earliest bound among the events (for an
    /// affiliation: its `from`); `None` when one of them is open at the start.
    pub fn first(&self) -> Option<DateRef<'g>> {
        let mut best: Option<Contribution<'g>> = None;
        for c in self.contributions() {
            if best.is_none_or(|b| c.lo() < b.lo()) {
                best = Some(c);
            }
        }
        best.and_then(|c| c.start)
    }

    /// The date with the latest bound among the events (for an
    /// affiliation: its `until`); `None` when one of them is open at the end.
    pub fn last(&self) -> Option<DateRef<'g>> {
        let mut best: Option<Contribution<'g>> = None;
        for c in self.contributions() {
            if best.is_none_or(|b| c.hi() > b.hi()) {
                best = Some(c);
            }
        }
        best.and_then(|c| c.end)
    }

    /// The periods the edge was active, as full UTC days (`None`: open),
    /// overlapping or touching periods merged, in time order. Empty when
    /// the edge is active at all times (a period open at both ends).
    pub fn spells(&self) -> Vec<(Option<String>, Option<String>)> {
        type Span<'g> = (i64, i64, Contribution<'g>, Contribution<'g>);
        let mut spans: Vec<Span<'g>> = self
            .contributions()
            .map(|c| (c.lo(), c.hi(), c, c))
            .collect();
        spans.sort_by_key(|s| (s.0, s.1));
        let mut merged: Vec<Span<'g>> = Vec::new();
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
                    a.start.and_then(|d| d.first_day())
                };
                let end = if hi == OPEN_END {
                    None
                } else {
                    b.end.and_then(|d| d.last_day())
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
    pub range: crate::date::DateRange,
    /// The seq the log is read at.
    pub as_of: u64,
}

/// The relationship graph: a petgraph directed graph whose node indices
/// follow actor ids and whose edge indices follow edge keys.
#[derive(Debug, Clone, Default)]
pub struct RelationGraph {
    graph: DiGraph<Node, EdgeWeight>,
    index: BTreeMap<String, NodeIndex>,
    tables: Arc<Tables>,
}

/// One step of a path: two neighbouring actors and every edge between them,
/// either way.
#[derive(Debug, Clone)]
pub struct Hop<'g> {
    pub from: &'g Node,
    pub to: &'g Node,
    pub edges: Vec<Edge<'g>>,
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

/// One relation found while reading the log, before the graph is ordered:
/// actors and labels by their position in the builder's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Link {
    from: u32,
    to: u32,
    relation: Relation,
    label: u32,
    event: u32,
}

/// Strings numbered in the order they are first seen.
#[derive(Debug, Default)]
struct Interner {
    names: Vec<String>,
    positions: HashMap<String, u32>,
}

impl Interner {
    /// The number of `name`, given one if it is new.
    fn get(&mut self, name: &str) -> Result<u32> {
        if let Some(&at) = self.positions.get(name) {
            return Ok(at);
        }
        let at = position(self.names.len(), "names")?;
        self.names.push(name.to_string());
        self.positions.insert(name.to_string(), at);
        Ok(at)
    }

    /// For each number, its rank when the names are sorted, and the names
    /// in sorted order. Only names for which `keep` holds are ranked; the
    /// others get [`NONE`].
    fn ranks(self, keep: impl Fn(usize) -> bool) -> (Vec<u32>, Vec<String>) {
        let Interner { names, positions } = self;
        drop(positions);
        let mut order: Vec<usize> = (0..names.len()).filter(|&i| keep(i)).collect();
        order.sort_unstable_by(|&a, &b| names[a].cmp(&names[b]));
        let mut rank = vec![NONE; names.len()];
        for (r, &i) in order.iter().enumerate() {
            // `order` has fewer entries than `names`, whose numbers fit.
            rank[i] = r as u32;
        }
        let mut names: Vec<Option<String>> = names.into_iter().map(Some).collect();
        let sorted = order
            .iter()
            .map(|&i| names[i].take().unwrap_or_default())
            .collect();
        (rank, sorted)
    }
}

/// Collects the events read and the relations they make, then turns them
/// into a [`RelationGraph`] in its fixed order.
#[derive(Debug, Default)]
struct Builder {
    tables: Tables,
    /// Dates by a hash of their text.
    dates: HashMap<u64, u32>,
    actors: Interner,
    labels: Interner,
    links: Vec<Link>,
}

impl Builder {
    /// Add the next event read (events come in log order, one for each seq
    /// given to [`Builder::finish`]); its position. Its dates are open until
    /// [`Builder::span`] sets them.
    fn event(&mut self, id: &str) -> Result<u32> {
        let at = position(self.tables.id_ends.len(), "events")?;
        self.tables.ids.push_str(id);
        let end = position(self.tables.ids.len(), "event ids")?;
        self.tables.id_ends.push(end);
        self.tables.spans.push([NONE; 2]);
        Ok(at)
    }

    /// The position of a date, given as written, in the table, added if
    /// new ([`NONE`] for `None`). Dates are found by a hash of their text;
    /// should two texts share a hash, the second is stored again each time,
    /// which changes nothing but the table's size.
    fn date(&mut self, date: Option<&str>) -> Result<u32> {
        let Some(text) = date else {
            return Ok(NONE);
        };
        let mut hasher = std::hash::DefaultHasher::new();
        text.hash(&mut hasher);
        let key = hasher.finish();
        let known = self.dates.get(&key).copied();
        if let Some(at) = known {
            if self.tables.date(at).is_some_and(|d| d.as_str() == text) {
                return Ok(at);
            }
        }
        let parsed = EdtfDate::parse(text)
            .map_err(|e| Error::Damaged(format!("the stored date {text:?} is unreadable: {e}")))?;
        let at = position(self.tables.dates.len(), "dates")?;
        self.tables.date_texts.push_str(text);
        let end = position(self.tables.date_texts.len(), "date texts")?;
        self.tables.dates.push(DateEntry::of(&parsed, end));
        if known.is_none() {
            self.dates.insert(key, at);
        }
        Ok(at)
    }

    /// Whether the time from the date at `start` to the one at `end` (open
    /// where [`NONE`]) meets the window `lo..=hi`.
    fn meets(&self, start: u32, end: u32, lo: i64, hi: i64) -> bool {
        let bound = |at: u32| self.tables.dates.get(at as usize);
        let from = bound(start).map_or(OPEN_START, |d| d.earliest);
        let until = bound(end).map_or(OPEN_END, |d| d.latest);
        until >= lo && from <= hi
    }

    /// Set the time an event covers, as positions of dates.
    fn span(&mut self, event: u32, start: u32, end: u32) {
        if let Some(s) = self.tables.spans.get_mut(event as usize) {
            *s = [start, end];
        }
    }

    fn actor(&mut self, id: &str) -> Result<u32> {
        self.actors.get(id)
    }

    fn label(&mut self, label: &str) -> Result<u32> {
        self.labels.get(label)
    }

    /// Record that `event` stands behind the edge `from → to`.
    fn link(
        &mut self,
        from: &str,
        to: &str,
        relation: Relation,
        label: &str,
        event: u32,
    ) -> Result<()> {
        let link = Link {
            from: self.actor(from)?,
            to: self.actor(to)?,
            relation,
            label: self.label(label)?,
            event,
        };
        self.links.push(link);
        Ok(())
    }

    /// The graph: actors with an edge as nodes in id order (each made by
    /// `node_of`), edges by from, to, relation and label, each edge's
    /// events in log order, an event counted once per edge. `seqs` are
    /// those of the events added, in order.
    fn finish(
        self,
        seqs: Vec<u64>,
        node_of: impl Fn(&str) -> Result<Node> + Sync,
    ) -> Result<RelationGraph> {
        let Builder {
            mut tables,
            dates,
            actors,
            labels,
            mut links,
        } = self;
        drop(dates);
        if seqs.len() != tables.id_ends.len() {
            return Err(Error::Damaged(format!(
                "graph: {} events read for {} seqs",
                tables.id_ends.len(),
                seqs.len()
            )));
        }
        tables.seqs = seqs;
        let mut used = vec![false; actors.names.len()];
        for l in &links {
            for a in [l.from, l.to] {
                if let Some(u) = used.get_mut(a as usize) {
                    *u = true;
                }
            }
        }
        let (actor_rank, ids) = actors.ranks(|i| used.get(i).copied().unwrap_or(false));
        let (label_rank, label_names) = labels.ranks(|_| true);
        tables.labels = label_names;
        let rank_of = |ranks: &[u32], at: u32| ranks.get(at as usize).copied().unwrap_or(NONE);
        for l in &mut links {
            l.from = rank_of(&actor_rank, l.from);
            l.to = rank_of(&actor_rank, l.to);
            l.label = rank_of(&label_rank, l.label);
        }
        // Sorted, links follow node order then relation, label and log
        // order; an event naming the same actor twice links once.
        links.sort_unstable();
        links.dedup();
        let same_edge = |a: &Link, b: &Link| {
            (a.from, a.to, a.relation, a.label) == (b.from, b.to, b.relation, b.label)
        };
        // Every edge's events, edge after edge.
        tables.contributions = links.iter().map(|l| l.event).collect();
        // Then, in place, the first link of each edge, its `event` now where
        // the edge's events start: the rest of the links can go.
        let mut edges = 0;
        let mut prev: Option<Link> = None;
        for i in 0..links.len() {
            let l = links[i];
            if prev.is_none_or(|p| !same_edge(&p, &l)) {
                links[edges] = Link {
                    event: position(i, "contributions")?,
                    ..l
                };
                edges += 1;
            }
            prev = Some(l);
        }
        links.truncate(edges);
        links.shrink_to_fit();
        let mut g = RelationGraph {
            graph: DiGraph::with_capacity(ids.len(), edges),
            index: BTreeMap::new(),
            tables: Arc::default(),
        };
        let nodes = crate::cores::map(&ids, NEIGHBOURS_PER_CORE, |id| node_of(id))?;
        for (id, node) in ids.into_iter().zip(nodes) {
            let ix = g.graph.add_node(node);
            g.index.insert(id, ix);
        }
        let total = position(tables.contributions.len(), "contributions")?;
        for (i, head) in links.iter().enumerate() {
            let end = links.get(i + 1).map_or(total, |next| next.event);
            let (a, b) = (
                NodeIndex::new(head.from as usize),
                NodeIndex::new(head.to as usize),
            );
            if g.graph.node_weight(a).is_none() || g.graph.node_weight(b).is_none() {
                continue;
            }
            g.graph.add_edge(
                a,
                b,
                EdgeWeight {
                    relation: head.relation,
                    label: head.label,
                    first: head.event,
                    count: end.saturating_sub(head.event),
                },
            );
        }
        drop(links);
        g.tables = Arc::new(tables);
        Ok(g)
    }
}

/// A statement's `about`, resolved once every event has been read.
#[derive(Debug, Clone, Copy)]
struct Pending {
    event: u32,
    speaker: u32,
    stance: u32,
    /// The seq of the event it is about, 0 when not known: then its id
    /// ends at `about_end` in the list of such ids.
    target: u64,
    about_end: usize,
}

impl RelationGraph {
    /// Build the graph of the whole log as it stood at `opts.as_of`, for the
    /// events in `opts.range`. Retracted events are left out, corrections
    /// applied.
    pub fn build(store: &Store, opts: &GraphOptions) -> Result<RelationGraph> {
        Self::build_from(store, None, opts, None)
    }

    /// Build only the edges of one actor and their other ends, from the
    /// events that involve it and the statements about its own statements
    /// and actions. Its edges (see [`Self::edges_of`]) are exactly those of
    /// the full graph, at the cost of reading only its events.
    pub fn build_for(store: &Store, actor: &str, opts: &GraphOptions) -> Result<RelationGraph> {
        let backend = store.backend();
        let involving = projection::Involving::read(backend, actor)?;
        let mut seqs = involving.of(&Role::ALL);
        let own = involving.of(&[Role::Speaker, Role::Actor]);
        let about = crate::cores::map(&own, NEIGHBOURS_PER_CORE, |&seq| {
            projection::about(backend, seq)
        })?;
        seqs.extend(about.into_iter().flatten());
        seqs.sort_unstable();
        seqs.dedup();
        Self::build_from(store, Some(seqs), opts, Some(actor))
    }

    /// Build from the statements, actions and affiliations at `seqs`
    /// (ascending; `None`: all of them), keeping only the edges of `only`
    /// when given. Each event is read from its outline as logged, or as it
    /// stood at `opts.as_of` when it has been amended.
    fn build_from(
        store: &Store,
        seqs: Option<Vec<u64>>,
        opts: &GraphOptions,
        only: Option<&str>,
    ) -> Result<RelationGraph> {
        let backend = store.backend();
        let amended = projection::amended(backend)?;
        let log = store.shared();
        let (lo, hi) = opts.range.window();
        let mut b = Builder::default();
        // Per event read: its actor or speaker (NONE: neither, or retracted).
        let mut responsible_for: Vec<u32> = Vec::new();
        // Responses are linked once every event has been read, when the
        // actor of what they are about is known.
        let mut pending: Vec<Pending> = Vec::new();
        let mut about_ids = String::new();
        let mut visit = |seen: Seen<'_>| -> Result<()> {
            let outline = match seen {
                Seen::Missing => {
                    b.event("")?;
                    responsible_for.push(NONE);
                    return Ok(());
                }
                Seen::Inert(id) => {
                    b.event(id)?;
                    responsible_for.push(NONE);
                    return Ok(());
                }
                Seen::Outline(outline) => outline,
            };
            let ev = b.event(outline.id())?;
            match outline {
                Outline::Affiliation {
                    actor,
                    org,
                    role,
                    from,
                    until,
                    ..
                } => {
                    responsible_for.push(NONE);
                    let (from, until) = (b.date(from)?, b.date(until)?);
                    if b.meets(from, until, lo, hi) {
                        b.span(ev, from, until);
                        b.link(actor, org, Relation::Affiliation, role, ev)?;
                    }
                }
                Outline::Action {
                    date,
                    actor,
                    kind,
                    targets,
                    ..
                } => {
                    responsible_for.push(b.actor(actor)?);
                    let at = b.date(Some(date))?;
                    if b.meets(at, at, lo, hi) {
                        b.span(ev, at, at);
                        for t in targets {
                            b.link(actor, t, Relation::Action, kind, ev)?;
                        }
                    }
                }
                Outline::Statement {
                    date,
                    speaker: speaker_id,
                    stance,
                    to,
                    mentions,
                    about,
                    about_seqs,
                    ..
                } => {
                    let speaker = b.actor(speaker_id)?;
                    responsible_for.push(speaker);
                    let at = b.date(Some(date))?;
                    if !b.meets(at, at, lo, hi) {
                        return Ok(());
                    }
                    b.span(ev, at, at);
                    for t in to {
                        b.link(speaker_id, t, Relation::Address, "", ev)?;
                    }
                    for m in mentions {
                        b.link(speaker_id, m, Relation::Mention, "", ev)?;
                    }
                    let stance = b.label(stance.map(|st| st.as_str()).unwrap_or(""))?;
                    for (i, about) in about.iter().enumerate() {
                        let target = about_seqs.get(i).copied().unwrap_or(0);
                        if target == 0 {
                            about_ids.push_str(about);
                        }
                        pending.push(Pending {
                            event: ev,
                            speaker,
                            stance,
                            target,
                            about_end: about_ids.len(),
                        });
                    }
                }
            }
            Ok(())
        };
        let seqs = match seqs {
            // Every event, bucket by bucket in log order.
            None => {
                let mut read = Vec::new();
                'scan: for item in backend.scan_prefix(projection::P_OUTLINE, b"") {
                    let (_, value) = item?;
                    let bucket = Outlines::unpack(&value)?;
                    for record in bucket.records() {
                        let (seq, record) = record?;
                        if seq > opts.as_of {
                            break 'scan;
                        }
                        if amended.contains(&seq) {
                            visit(Seen::of(view::current(store, seq, opts.as_of)?.as_ref()))?;
                        } else {
                            visit(Seen::Outline(Outline::read(record)?))?;
                        }
                        read.push(seq);
                    }
                }
                read
            }
            // A neighbourhood: the buckets that hold it read on every
            // core, and the amended events as they stood.
            Some(mut seqs) => {
                seqs.truncate(seqs.partition_point(|&s| s <= opts.as_of));
                let (changed, plain): (Vec<u64>, Vec<u64>) =
                    seqs.iter().partition(|seq| amended.contains(seq));
                let buckets: Vec<Unpacked> =
                    crate::cores::split(&plain, NEIGHBOURS_PER_CORE, |part| {
                        Outlines::buckets(backend, part)
                    })?
                    .into_iter()
                    .flatten()
                    .collect();
                let mut records: HashMap<u64, &[u8]> = HashMap::with_capacity(plain.len());
                for bucket in &buckets {
                    for record in bucket.records() {
                        let (seq, record) = record?;
                        records.insert(seq, record);
                    }
                }
                let currents = crate::cores::map(&changed, NEIGHBOURS_PER_CORE, |&seq| {
                    view::current(&log, seq, opts.as_of)
                })?;
                let mut currents = currents.iter();
                for &seq in &seqs {
                    if amended.contains(&seq) {
                        visit(Seen::of(currents.next().and_then(Option::as_ref)))?;
                    } else {
                        let record = records.get(&seq).ok_or_else(|| no_outline(seq))?;
                        visit(Seen::Outline(Outline::read(record)?))?;
                    }
                }
                seqs
            }
        };
        // The events the statements are about: their seqs as recorded in
        // the outlines, or (for statements read as amended) found by id.
        let mut about_start = 0;
        let abouts: Vec<&str> = pending
            .iter()
            .map(|p| {
                let about = about_ids.get(about_start..p.about_end).unwrap_or("");
                about_start = p.about_end;
                about
            })
            .collect();
        let mut by_id: Vec<&str> = pending
            .iter()
            .zip(&abouts)
            .filter(|(p, _)| p.target == 0)
            .map(|(_, about)| *about)
            .collect();
        by_id.sort_unstable();
        by_id.dedup();
        let id_seqs = crate::cores::map(&by_id, NEIGHBOURS_PER_CORE, |id| log.seq_of(id))?;
        let targets: Vec<Option<u64>> = pending
            .iter()
            .zip(&abouts)
            .map(|(p, about)| match p.target {
                0 => by_id
                    .binary_search(about)
                    .ok()
                    .and_then(|i| id_seqs.get(i).copied().flatten()),
                seq => Some(seq),
            })
            .collect();
        // Who did or said each: found among the events read, else (another
        // type, or outside an actor's neighbourhood) looked up once, on
        // every core.
        let mut unread: Vec<u64> = targets
            .iter()
            .flatten()
            .filter(|t| seqs.binary_search(t).is_err())
            .copied()
            .collect();
        unread.sort_unstable();
        unread.dedup();
        let unread_by = crate::cores::map(&unread, NEIGHBOURS_PER_CORE, |&seq| {
            responsible(&log, &amended, seq, opts.as_of)
        })?;
        for (p, target) in pending.iter().zip(targets) {
            let Some(target) = target else {
                continue;
            };
            let who = match seqs.binary_search(&target) {
                Ok(i) => responsible_for.get(i).copied().unwrap_or(NONE),
                Err(_) => {
                    let actor = unread
                        .binary_search(&target)
                        .ok()
                        .and_then(|i| unread_by.get(i))
                        .and_then(Option::as_deref);
                    match actor {
                        Some(actor) => b.actor(actor)?,
                        None => NONE,
                    }
                }
            };
            if who != NONE {
                b.links.push(Link {
                    from: p.speaker,
                    to: who,
                    relation: Relation::Response,
                    label: p.stance,
                    event: p.event,
                });
            }
        }
        if let Some(actor) = only {
            let at = b.actors.positions.get(actor).copied().unwrap_or(NONE);
            b.links.retain(|l| l.from == at || l.to == at);
        }
        drop((unread_by, unread, abouts, by_id, id_seqs));
        drop((about_ids, responsible_for, pending));
        b.finish(seqs, |id| node_as_of(&log, id, opts.as_of))
    }

    /// The underlying petgraph graph; read its edges through [`Self::edge`].
    pub fn petgraph(&self) -> &DiGraph<Node, EdgeWeight> {
        &self.graph
    }

    /// An edge as seen from its endpoints.
    fn view(&self, from: NodeIndex, to: NodeIndex, w: &EdgeWeight) -> Edge<'_> {
        let id = |ix: NodeIndex| self.graph.node_weight(ix).map_or("", |n| n.id.as_str());
        let tables = &*self.tables;
        let first = w.first as usize;
        Edge {
            from: id(from),
            to: id(to),
            relation: w.relation,
            label: tables
                .labels
                .get(w.label as usize)
                .map_or("", String::as_str),
            events: tables
                .contributions
                .get(first..first.saturating_add(w.count as usize))
                .unwrap_or(&[]),
            tables,
        }
    }

    /// The edge at `ix`.
    pub fn edge(&self, ix: EdgeIndex) -> Option<Edge<'_>> {
        let (a, b) = self.graph.edge_endpoints(ix)?;
        let w = self.graph.edge_weight(ix)?;
        Some(self.view(a, b, w))
    }

    /// Nodes, by actor id.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights()
    }

    /// Edges, by from, to, relation and label.
    pub fn edges(&self) -> impl Iterator<Item = Edge<'_>> {
        self.graph
            .edge_references()
            .map(|e| self.view(e.source(), e.target(), e.weight()))
    }

    /// Edges with their indices, in the same order as [`Self::edges`].
    pub fn indexed_edges(&self) -> impl Iterator<Item = (EdgeIndex, Edge<'_>)> {
        self.graph
            .edge_references()
            .map(|e| (e.id(), self.view(e.source(), e.target(), e.weight())))
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
    pub fn edges_of(&self, id: &str) -> Vec<Edge<'_>> {
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
            |_, e| Some(*e),
        );
        // filter_map keeps the relative order of what it keeps, so ids still
        // follow node order.
        let index = graph
            .node_indices()
            .filter_map(|ix| graph.node_weight(ix).map(|n| (n.id.clone(), ix)))
            .collect();
        // The edges kept still point into the same tables.
        RelationGraph {
            graph,
            index,
            tables: Arc::clone(&self.tables),
        }
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
                let mut edges: Vec<(EdgeIndex, Edge<'_>)> = self
                    .graph
                    .edges_connecting(x, y)
                    .chain(self.graph.edges_connecting(y, x))
                    .map(|e| (e.id(), self.view(e.source(), e.target(), e.weight())))
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
                let (mut in_degree, mut events_in) = (0, 0);
                for e in self.graph.edges_directed(ix, Direction::Incoming) {
                    in_degree += 1;
                    events_in += e.weight().count();
                }
                let (mut out_degree, mut events_out) = (0, 0);
                for e in self.graph.edges_directed(ix, Direction::Outgoing) {
                    out_degree += 1;
                    events_out += e.weight().count();
                }
                Some(Rank {
                    rank: 0,
                    id: n.id.clone(),
                    name: n.name.clone(),
                    kind: n.kind,
                    pagerank: pr.get(ix.index()).copied().unwrap_or(0.0),
                    in_degree,
                    out_degree,
                    degree: in_degree + out_degree,
                    events_in,
                    events_out,
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
            for (ci, c) in e.contributions().enumerate() {
                let key = (c.lo(), c.seq);
                let better = home.get(e.from).is_none_or(|h| key > (h.2, h.3));
                if better {
                    home.insert(e.from, (ix, ci, key.0, key.1));
                }
            }
        }
        let heads: BTreeSet<&str> = home
            .values()
            .filter_map(|h| self.edge(h.0).map(|e| e.to))
            .collect();
        let mut out = Clusters::default();
        for (member, (ix, ci, _, _)) in &home {
            if heads.contains(member) {
                continue;
            }
            let Some(org) = self.edge(*ix).map(|e| e.to.to_string()) else {
                continue;
            };
            out.members.entry(org).or_default().push(member.to_string());
            out.placed_by.insert(member.to_string(), (*ix, *ci));
        }
        out
    }
}

/// The actor (of an action) or speaker (of a statement) of the event at
/// `seq`, as it stood at `as_of`; `None` for a retracted event or an event
/// of another type. `amended` holds the seqs of amended events.
fn responsible(
    log: &SharedRead<'_>,
    amended: &HashSet<u64>,
    seq: u64,
    as_of: u64,
) -> Result<Option<String>> {
    if seq > as_of {
        return Ok(None);
    }
    if amended.contains(&seq) {
        let cur = view::current(log, seq, as_of)?;
        return Ok(match Seen::of(cur.as_ref()) {
            Seen::Outline(o) => o.responsible().map(str::to_string),
            Seen::Missing | Seen::Inert(_) => None,
        });
    }
    // Other types have no outline.
    let Some(bucket) = Outlines::bucket(log.backend(), seq)? else {
        return Ok(None);
    };
    Ok(match bucket.find(seq)? {
        Some(record) => Outline::read(record)?.responsible().map(str::to_string),
        None => None,
    })
}

/// The error for an event the graph reads whose outline is not stored.
fn no_outline(seq: u64) -> Error {
    Error::Damaged(format!(
        "seq {seq}: its outline is missing from the projections (run `demarche rebuild`)"
    ))
}

/// An actor's profile merged from its registrations up to `as_of`.
pub fn actor_as_of(log: &SharedRead<'_>, id: &str, as_of: u64) -> Result<Option<ActorRecord>> {
    let Some(rec) = projection::actor(log.backend(), id)? else {
        return Ok(None);
    };
    if rec.registrations.iter().all(|s| *s <= as_of) {
        return Ok(Some(rec));
    }
    // The stored profile already includes later registrations: replay the
    // earlier ones the way the projection merges them.
    let mut out: Option<ActorRecord> = None;
    for &seq in rec.registrations.iter().filter(|s| **s <= as_of) {
        let Some(cur) = view::current(log, seq, as_of)? else {
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

fn node_as_of(log: &SharedRead<'_>, id: &str, as_of: u64) -> Result<Node> {
    let rec = actor_as_of(log, id, as_of)?.ok_or_else(|| {
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
fn pagerank(g: &DiGraph<Node, EdgeWeight>, damping: f64) -> Vec<f64> {
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

    /// One event behind a test edge: id, seq, start and end.
    type TestContribution = (
        &'static str,
        u64,
        Option<&'static str>,
        Option<&'static str>,
    );

    /// An edge to build a test graph from.
    struct TestEdge {
        from: &'static str,
        to: &'static str,
        relation: Relation,
        label: &'static str,
        contributions: Vec<TestContribution>,
    }

    fn contribution(
        event: &'static str,
        seq: u64,
        start: Option<&'static str>,
        end: Option<&'static str>,
    ) -> TestContribution {
        (event, seq, start, end)
    }

    fn edge(
        from: &'static str,
        to: &'static str,
        relation: Relation,
        contributions: Vec<TestContribution>,
    ) -> TestEdge {
        TestEdge {
            from,
            to,
            relation,
            label: "",
            contributions,
        }
    }

    /// A graph from edges, through the same builder as the log's; nodes
    /// are the endpoints, events are read in seq order.
    fn graph(edges: Vec<TestEdge>) -> RelationGraph {
        let mut b = Builder::default();
        let mut events: BTreeMap<u64, TestContribution> = BTreeMap::new();
        for e in &edges {
            for c in &e.contributions {
                events.insert(c.1, *c);
            }
        }
        let mut position_of = HashMap::new();
        let seqs: Vec<u64> = events.keys().copied().collect();
        for (seq, (id, _, start, end)) in events {
            let ev = b.event(id).expect("event");
            let (start, end) = (b.date(start).expect("date"), b.date(end).expect("date"));
            b.span(ev, start, end);
            position_of.insert(seq, ev);
        }
        for e in &edges {
            for c in &e.contributions {
                b.link(e.from, e.to, e.relation, e.label, position_of[&c.1])
                    .expect("link");
            }
        }
        b.finish(seqs, |id| Ok(node(id))).expect("graph")
    }

    /// The only edge of a graph.
    fn only(g: &RelationGraph) -> Edge<'_> {
        g.edges().next().expect("an edge")
    }

    fn one(event: &'static str, seq: u64, date: &'static str) -> Vec<TestContribution> {
        vec![contribution(event, seq, Some(date), Some(date))]
    }

    #[test]
    fn first_and_last_keep_the_widest_dates() {
        let g = graph(vec![edge(
            "a",
            "b",
            Relation::Mention,
            vec![
                contribution("x", 1, Some("2017-05-09"), Some("2017-05-09")),
                contribution("y", 2, Some("2017-03"), Some("2017-03")),
                contribution("z", 3, Some("2017-09-13/.."), Some("2017-09-13/..")),
            ],
        )]);
        let e = only(&g);
        assert_eq!(e.first().map(|d| d.as_str()), Some("2017-03"));
        // The open-ended date is the latest, and its text says it is open.
        assert_eq!(e.last().map(|d| d.as_str()), Some("2017-09-13/.."));
        let g = graph(vec![edge(
            "a",
            "b",
            Relation::Affiliation,
            vec![contribution("f", 1, Some("2001"), None)],
        )]);
        assert_eq!(
            only(&g).last(),
            None,
            "an affiliation without until has no last date"
        );
        assert_eq!(e.count(), 3);
    }

    #[test]
    fn spells_are_full_days_merged_and_open_ends_omitted() {
        let g = graph(vec![edge(
            "a",
            "b",
            Relation::Action,
            vec![
                contribution("x", 1, Some("2017-03"), Some("2017-03")),
                contribution("y", 2, Some("2017-03-09"), Some("2017-03-09")),
                contribution("z", 3, Some("2017-04-01"), Some("2017-04-01")),
                contribution("w", 4, Some("2017-09-13/.."), Some("2017-09-13/..")),
            ],
        )]);
        assert_eq!(
            only(&g).spells(),
            vec![
                (Some("2017-03-01".into()), Some("2017-04-01".into())),
                (Some("2017-09-13".into()), None),
            ]
        );
        let always = graph(vec![edge(
            "a",
            "b",
            Relation::Affiliation,
            vec![contribution("f", 1, None, None)],
        )]);
        assert!(only(&always).spells().is_empty());
    }

    #[test]
    fn edges_follow_key_order_and_count_each_event_once() {
        let mut labelled = edge("b", "a", Relation::Action, one("3", 3, "2017"));
        labelled.label = "visit";
        let g = graph(vec![
            edge("b", "c", Relation::Mention, one("1", 1, "2017")),
            // The same event naming the same actor twice is one contribution.
            edge(
                "b",
                "a",
                Relation::Mention,
                vec![
                    contribution("2", 2, Some("2017"), Some("2017")),
                    contribution("2", 2, Some("2017"), Some("2017")),
                    contribution("4", 4, Some("2018"), Some("2018")),
                ],
            ),
            labelled,
            edge("a", "c", Relation::Address, one("5", 5, "2019")),
        ]);
        let keys: Vec<(&str, &str, Relation, &str)> = g
            .edges()
            .map(|e| (e.from, e.to, e.relation, e.label))
            .collect();
        assert_eq!(
            keys,
            [
                ("a", "c", Relation::Address, ""),
                ("b", "a", Relation::Action, "visit"),
                ("b", "a", Relation::Mention, ""),
                ("b", "c", Relation::Mention, ""),
            ]
        );
        let ids: Vec<&str> = g.nodes().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        for e in g.edges() {
            let events: Vec<&str> = e.events().collect();
            let seqs: Vec<u64> = e.contributions().map(|c| c.seq).collect();
            assert_eq!(e.count(), events.len() as u64);
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "log order, no repeat");
        }
        let mention = g
            .edges()
            .find(|e| e.relation == Relation::Mention && e.to == "a")
            .expect("edge");
        assert_eq!(mention.events().collect::<Vec<_>>(), ["2", "4"]);
        assert_eq!(mention.first().map(|d| d.as_str()), Some("2017"));
        assert_eq!(mention.last().map(|d| d.as_str()), Some("2018"));
        let total: u64 = g.rank().iter().map(|r| r.events_in).sum();
        assert_eq!(total, 5, "every (edge, event) pair counted once");
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
        let near = g.around("d", 1);
        let kept: Vec<(&str, &str, Vec<&str>)> = near
            .edges()
            .map(|e| (e.from, e.to, e.events().collect()))
            .collect();
        assert_eq!(kept, [("c", "d", vec!["3"])]);
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
        let (ix, ci) = c.placed_by["p"];
        let placed = g.edge(ix).and_then(|e| e.contribution(ci)).expect("edge");
        assert_eq!(placed.event, "f2");
    }
}
