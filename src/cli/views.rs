//! The views users publish and analyse: `timeline`, `graph`, `path`, `rank`
//! and `perspectives`. Each turns its flags into a filter, makes one library
//! call and hands the result to an exporter; nothing here writes the log.

use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;

use demarche::date::Within;
use demarche::error::{Error, Result};
use demarche::event::{Event, Stance};
use demarche::export::{self, dot, Names};
use demarche::graph::{DateRef, Edge, GraphOptions, RelationGraph};
use demarche::query::{self, Found, Record, StatementFilter};
use demarche::store::Store;
use demarche::timeline::{self, TimelineFilter};

use super::output::table;
use super::said::range;
use super::{as_of, resolve_all, Context, Out};

/// How `timeline` writes its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormat {
    /// A readable listing.
    Text,
    /// JSON Lines, one entry per line (documented in docs/formats.md).
    Json,
    /// A Knight Lab TimelineJS3 document.
    Timelinejs,
    /// CSV with a header row, safe to open in a spreadsheet.
    Csv,
    /// Graphviz DOT, left to right in date order.
    Dot,
}

/// How `graph` writes the relationship graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT, organisations as clusters.
    Dot,
    /// Node-link JSON: {"nodes":[...],"edges":[...]}.
    Json,
    /// GEXF 1.3, a dynamic graph (Gephi).
    Gexf,
    /// GraphML with typed keys.
    Graphml,
}

/// The date window and log position shared by the graph commands.
#[derive(Debug, Args)]
pub struct Window {
    /// Keep events whose date overlaps the range starting at this date (and
    /// affiliations whose period overlaps it).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Keep events whose date overlaps the range ending with this date.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Read the log as it stood at this seq or RFC 3339 recording time.
    #[arg(long, value_name = "SEQ|TIME")]
    as_of: Option<String>,
}

impl Window {
    fn options(&self, store: &Store) -> Result<GraphOptions> {
        Ok(GraphOptions {
            range: range(self.since.as_deref(), self.until.as_deref())?,
            as_of: as_of(store, self.as_of.as_deref())?,
        })
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("bounds").args(["since", "until"]).multiple(true)))]
pub struct TimelineArgs {
    /// An actor in any role: speaker, actor, target, addressee or mention
    /// (id, name or alias; repeatable: any of them).
    #[arg(long = "actor", value_name = "ACTOR")]
    actors: Vec<String>,
    /// `statement`, `action`, or an action kind such as `meeting`
    /// (repeatable).
    #[arg(long = "kind")]
    kinds: Vec<String>,
    /// Tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Keep entries whose date overlaps the range starting at this date.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Keep entries whose date overlaps the range ending with this date.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only entries certainly inside the range (not merely overlapping it);
    /// needs --since or --until.
    #[arg(long, requires = "bounds")]
    certain: bool,
    /// Text contained in a statement or an action's summary (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Read the log as it stood at this seq or RFC 3339 recording time.
    #[arg(long, value_name = "SEQ|TIME")]
    as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TimelineFormat::Text)]
    format: TimelineFormat,
    /// Title of the TimelineJS document.
    #[arg(long)]
    title: Option<String>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Only the part of the graph around this actor (id, name or alias).
    #[arg(long, value_name = "ACTOR")]
    around: Option<String>,
    /// How many steps from --around, ignoring edge direction.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "around",
        allow_negative_numbers = true
    )]
    depth: usize,
    #[command(flatten)]
    window: Window,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Where the chain starts (id, name or alias).
    from: String,
    /// Where it ends.
    to: String,
    #[command(flatten)]
    window: Window,
    /// One JSON object on one line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RankArgs {
    /// Show only the first N actors.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    #[command(flatten)]
    window: Window,
    /// JSON Lines output, one actor per line.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct PerspectivesArgs {
    /// The event the statements are about.
    id: String,
    /// Read the log as it stood at this seq or RFC 3339 recording time.
    #[arg(long, value_name = "SEQ|TIME")]
    as_of: Option<String>,
    /// JSON Lines output: one statement per line, with its stance and speaker.
    #[arg(long)]
    json: bool,
}

pub fn timeline(a: TimelineArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let filter = TimelineFilter {
        actors: resolve_all(&store, &a.actors)?,
        kinds: a.kinds,
        tags: a.tags,
        range: range(a.since.as_deref(), a.until.as_deref())?,
        certain: a.certain,
        search: a.search,
        as_of: as_of(&store, a.as_of.as_deref())?,
    };
    let names = Names::load(&store, filter.as_of)?;
    let ranged = !filter.range.is_unbounded();
    match a.format {
        TimelineFormat::Json => timeline::each(&store, &filter, |f| {
            // JSON, written as it is: its own escapes keep it on one line.
            out.bytes(export::timeline_json::line(&f, &names, ranged).as_bytes())?;
            out.bytes(b"\n")
        }),
        TimelineFormat::Csv => {
            out.bytes(export::csv::header().as_bytes())?;
            timeline::each(&store, &filter, |f| {
                out.bytes(export::csv::record(&f, &names).as_bytes())
            })
        }
        TimelineFormat::Timelinejs => {
            let found = timeline::collect(&store, &filter)?;
            out.bytes(export::timelinejs::document(&found, &names, a.title.as_deref()).as_bytes())
        }
        TimelineFormat::Dot => {
            let found = timeline::collect(&store, &filter)?;
            out.bytes(dot::timeline(&found, &names).as_bytes())
        }
        TimelineFormat::Text => {
            let mut any = false;
            timeline::each(&store, &filter, |f| {
                any = true;
                text_entry(out, &f, &names, ranged)
            })?;
            if !any {
                out.line("no entries match")?;
            }
            Ok(())
        }
    }
}

/// One entry of the text timeline: the date and id, who did or said what
/// to whom, the text, and where it comes from.
fn text_entry(out: &mut Out, f: &Found, names: &Names, ranged: bool) -> Result<()> {
    let cur = &f.current;
    let e = &cur.event;
    let Some(date) = e.date() else {
        return Ok(());
    };
    let display = date.display();
    let mut first = if display == date.as_str() {
        format!("{}  {}", date.as_str(), cur.id)
    } else {
        format!("{}  ({display})  {}", date.as_str(), cur.id)
    };
    if !cur.corrections.is_empty() {
        first.push_str("  [corrected]");
    }
    if ranged && f.within == Within::Possible {
        first.push_str("  [possibly in range]");
    }
    out.line(&first)?;
    let list = |ids: &[String]| {
        ids.iter()
            .map(|i| names.name(i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e {
        Event::Statement(s) => {
            let mut who = format!("  {} said ({}", names.name(&s.speaker), s.form().as_str());
            if let Some(st) = s.stance {
                who.push_str(", ");
                who.push_str(st.as_str());
            }
            who.push(')');
            if !s.to.is_empty() {
                who.push_str(" to ");
                who.push_str(&list(&s.to));
            }
            if let Some(m) = &s.medium {
                who.push_str(", ");
                who.push_str(m);
            }
            out.line(&one_line(&format!("{who}:")))?;
            out.line(&format!("    \u{201c}{}\u{201d}", one_line(&s.text)))?;
            if !s.about.is_empty() {
                out.line(&format!("    about: {}", s.about.join(", ")))?;
            }
        }
        Event::Action(x) => {
            let mut who = format!("  {} [{}]", names.name(&x.actor), x.kind);
            if !x.targets.is_empty() {
                who.push_str(" \u{2192} ");
                who.push_str(&list(&x.targets));
            }
            out.line(&one_line(&who))?;
            out.line(&format!("    {}", one_line(&x.summary)))?;
        }
        _ => {}
    }
    if !e.sources().is_empty() {
        out.line(&format!(
            "    via {}",
            one_line(&export::chain(e.sources()))
        ))?;
    }
    out.line("")
}

/// Text on one indented line: a line break in user text must not break the
/// listing's layout.
fn one_line(s: &str) -> String {
    s.replace("\r\n", " / ").replace(['\n', '\r'], " / ")
}

fn load_graph(store: &Store, window: &Window) -> Result<RelationGraph> {
    RelationGraph::build(store, &window.options(store)?)
}

pub fn graph(a: GraphArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let mut g = load_graph(&store, &a.window)?;
    if let Some(center) = &a.around {
        let id = one(&store, center)?;
        if g.node(&id).is_none() {
            // The output stays a valid, empty graph; the hint goes to stderr
            // so that a pipe into Graphviz is not disturbed.
            report!("warning: \"{id}\" has no relations in this view");
        }
        g = g.around(&id, a.depth);
    }
    // Written as it is made: the document can be much larger than the graph.
    out.stream(|w| match a.format {
        GraphFormat::Dot => dot::write_graph(&g, w),
        GraphFormat::Json => export::graph_json::write_graph(&g, w),
        GraphFormat::Gexf => export::gexf::write_graph(&g, w),
        GraphFormat::Graphml => export::graphml::write_graph(&g, w),
    })
}

fn one(store: &Store, name: &str) -> Result<String> {
    resolve_all(store, &[name.to_string()])?
        .pop()
        .ok_or_else(|| Error::invalid("an actor is required"))
}

/// An edge as JSON, with every attribute.
#[derive(Debug, Serialize)]
struct EdgeOut<'a> {
    source: &'a str,
    target: &'a str,
    relation: &'static str,
    label: &'a str,
    count: u64,
    first: Option<&'a str>,
    last: Option<&'a str>,
    events: Vec<&'a str>,
}

fn edge_out<'g>(e: &Edge<'g>) -> EdgeOut<'g> {
    EdgeOut {
        source: e.from,
        target: e.to,
        relation: e.relation.as_str(),
        label: e.label,
        count: e.count(),
        first: e.first().map(|d| d.as_str()),
        last: e.last().map(|d| d.as_str()),
        events: e.events().collect(),
    }
}

/// What an edge is, in words: `mention ×2`, `affiliation: spokesman`,
/// `response: confirms`, with its dates.
fn describe(e: &Edge<'_>) -> String {
    let mut s = e.relation.as_str().to_string();
    if !e.label.is_empty() {
        s.push_str(": ");
        s.push_str(&one_line(e.label));
    }
    if e.count() > 1 {
        s.push_str(&format!(" \u{d7}{}", e.count()));
    }
    // A date that is itself an interval has a dash of its own.
    let interval = |d: &DateRef<'_>| d.date().is_some_and(|d| d.is_interval());
    let dates = match (e.first(), e.last()) {
        (Some(a), Some(b)) if a == b => a.display(),
        (Some(a), Some(b)) if interval(&a) || interval(&b) => {
            format!("first {}; last {}", a.display(), b.display())
        }
        (Some(a), Some(b)) => format!("{} \u{2013} {}", a.display(), b.display()),
        (Some(a), None) => format!("from {}", a.display()),
        (None, Some(b)) => format!("until {}", b.display()),
        (None, None) => String::new(),
    };
    if !dates.is_empty() {
        s.push_str(&format!(" ({dates})"));
    }
    s
}

/// Most event ids listed after a hop in text; JSON has them all.
const EVENTS_SHOWN: usize = 8;

fn event_list(e: &Edge<'_>) -> String {
    let ids: Vec<&str> = e.events().collect();
    if ids.len() > EVENTS_SHOWN {
        format!(
            "{} and {} more",
            ids[..EVENTS_SHOWN].join(", "),
            ids.len() - EVENTS_SHOWN
        )
    } else {
        ids.join(", ")
    }
}

/// An actor named in `path --json`.
#[derive(Debug, Serialize)]
struct ActorRef<'a> {
    id: &'a str,
    name: &'a str,
}

fn actor_ref<'a>(g: &'a RelationGraph, id: &'a str) -> ActorRef<'a> {
    ActorRef {
        id,
        name: g.node(id).map_or(id, |n| n.name.as_str()),
    }
}

/// One hop of `path --json`.
#[derive(Debug, Serialize)]
struct HopOut<'a> {
    from: ActorRef<'a>,
    to: ActorRef<'a>,
    edges: Vec<EdgeOut<'a>>,
}

/// `path --json`: the whole chain on one line.
#[derive(Debug, Serialize)]
struct PathOut<'a> {
    from: ActorRef<'a>,
    to: ActorRef<'a>,
    length: usize,
    hops: Vec<HopOut<'a>>,
}

pub fn path(a: PathArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let from = one(&store, &a.from)?;
    let to = one(&store, &a.to)?;
    let g = load_graph(&store, &a.window)?;
    for id in [&from, &to] {
        if g.node(id).is_none() {
            return Err(Error::NotFound(format!(
                "no path from \"{from}\" to \"{to}\": \"{id}\" has no relations in this view"
            )));
        }
    }
    let hops = g.path(&from, &to).ok_or_else(|| {
        Error::NotFound(format!(
            "no path from \"{from}\" to \"{to}\": they are not connected, even ignoring direction"
        ))
    })?;
    if a.json {
        let actor = |id| actor_ref(&g, id);
        return out.json(&PathOut {
            from: actor(&from),
            to: actor(&to),
            length: hops.len(),
            hops: hops
                .iter()
                .map(|h| HopOut {
                    from: actor(&h.from.id),
                    to: actor(&h.to.id),
                    edges: h.edges.iter().map(|e| edge_out(e)).collect(),
                })
                .collect(),
        });
    }
    let start = g.node(&from).map_or(from.as_str(), |n| n.name.as_str());
    out.line(&format!(
        "{} hop{} from {} to {}",
        hops.len(),
        if hops.len() == 1 { "" } else { "s" },
        start,
        g.node(&to).map_or(to.as_str(), |n| n.name.as_str())
    ))?;
    out.line(&format!("{start} ({from})"))?;
    for h in &hops {
        for e in &h.edges {
            let arrow = if e.from == h.from.id {
                "\u{2192}"
            } else {
                "\u{2190}"
            };
            out.line(&format!("  {arrow} {}", describe(e)))?;
            out.line(&format!("      events: {}", event_list(e)))?;
        }
        out.line(&format!("{} ({})", h.to.name, h.to.id))?;
    }
    Ok(())
}

pub fn rank(a: RankArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let g = load_graph(&store, &a.window)?;
    if g.is_empty() && !a.json {
        return out.line("no relations in this view");
    }
    let mut rows = g.rank();
    if let Some(n) = a.top {
        rows.truncate(n);
    }
    if a.json {
        for r in &mut rows {
            // Eight decimals are more than any reading needs and keep the
            // output stable against the last bits of floating point.
            r.pagerank = (r.pagerank * 1e8).round() / 1e8;
            out.json(r)?;
        }
        return Ok(());
    }
    let mut t = vec![vec![
        "RANK".to_string(),
        "ACTOR".into(),
        "PAGERANK".into(),
        "IN".into(),
        "OUT".into(),
        "DEGREE".into(),
        "EVENTS".into(),
        "NAME".into(),
    ]];
    for r in &rows {
        t.push(vec![
            r.rank.to_string(),
            r.id.clone(),
            format!("{:.6}", r.pagerank),
            r.in_degree.to_string(),
            r.out_degree.to_string(),
            r.degree.to_string(),
            (r.events_in + r.events_out).to_string(),
            one_line(&r.name),
        ]);
    }
    for line in table(&t) {
        out.line(&line)?;
    }
    Ok(())
}

/// A `perspectives --json` line: the `said --json` record, plus the
/// stance and the speaker.
#[derive(Debug, Serialize)]
struct PerspectiveOut<'a> {
    #[serde(flatten)]
    record: Record,
    stance: Option<&'static str>,
    speaker: &'a str,
    speaker_name: &'a str,
}

pub fn perspectives(a: PerspectivesArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let at = as_of(&store, a.as_of.as_deref())?;
    let seq = store.seq_as_of(&a.id, at)?;
    let target = demarche::view::current(&*store, seq, at)?
        .ok_or_else(|| Error::NotFound(format!("unknown event \"{}\"", a.id)))?;
    let found = query::said(
        &store,
        &StatementFilter {
            about: vec![a.id.clone()],
            as_of: at,
            ..StatementFilter::default()
        },
    )?;
    let names = Names::load(&store, at)?;
    // Stance::ALL order, then statements that took no stance.
    let mut groups: Vec<(Option<Stance>, Vec<&Found>)> = Stance::ALL
        .iter()
        .map(|s| (Some(*s), Vec::new()))
        .chain(std::iter::once((None, Vec::new())))
        .collect();
    for f in &found {
        let Event::Statement(s) = &f.current.event else {
            continue;
        };
        if let Some(g) = groups.iter_mut().find(|(st, _)| *st == s.stance) {
            g.1.push(f);
        }
    }
    if a.json {
        for (_, list) in &groups {
            for f in list {
                let Event::Statement(s) = &f.current.event else {
                    continue;
                };
                out.json(&PerspectiveOut {
                    record: f.to_json(false),
                    stance: s.stance.map(Stance::as_str),
                    speaker: &s.speaker,
                    speaker_name: names.name(&s.speaker),
                })?;
            }
        }
        return Ok(());
    }
    let mut title = format!(
        "Perspectives on {} ({})",
        target.id,
        target.event.date().map(|d| d.display()).unwrap_or_default()
    );
    if target.retracted.is_some() {
        title.push_str(" [retracted]");
    }
    out.line(&title)?;
    out.line(&format!(
        "  {}",
        one_line(&export::headline(&target.event, &names))
    ))?;
    if found.is_empty() {
        return out.line("no statements about it");
    }
    for (stance, list) in &groups {
        if list.is_empty() {
            continue;
        }
        out.line("")?;
        out.line(&format!(
            "{} ({})",
            stance.map_or("no stance", Stance::as_str),
            list.len()
        ))?;
        for f in list {
            let Event::Statement(s) = &f.current.event else {
                continue;
            };
            let mut head = format!(
                "  {} \u{2014} {} ({}",
                names.name(&s.speaker),
                s.date.display(),
                s.form().as_str()
            );
            if let Some(m) = &s.medium {
                head.push_str(", ");
                head.push_str(m);
            }
            head.push_str(&format!(")  {}", f.current.id));
            if !f.current.corrections.is_empty() {
                head.push_str("  [corrected]");
            }
            out.line(&one_line(&head))?;
            out.line(&format!("    \u{201c}{}\u{201d}", one_line(&s.text)))?;
            if !s.sources.is_empty() {
                out.line(&format!("    via {}", one_line(&export::chain(&s.sources))))?;
            }
        }
    }
    Ok(())
}

/// The relations of one actor for `actor show`: a summary line per
/// relation and one line per edge, or the edges as JSON.
pub struct ActorRelations {
    pub lines: Vec<String>,
    pub json: Value,
}

/// What the relationship graph says about one actor, as the log stands.
pub fn actor_relations(store: &Store, id: &str) -> Result<ActorRelations> {
    let opts = GraphOptions {
        as_of: store.head().seq,
        ..GraphOptions::default()
    };
    let g = RelationGraph::build_for(store, id, &opts)?;
    let edges = g.edges_of(id);
    let mut lines = Vec::new();
    let mut counts: Vec<String> = Vec::new();
    for rel in demarche::graph::Relation::ALL {
        let outs: u64 = edges
            .iter()
            .filter(|e| e.relation == rel && e.from == id)
            .map(|e| e.count())
            .sum();
        let ins: u64 = edges
            .iter()
            .filter(|e| e.relation == rel && e.to == id && e.from != id)
            .map(|e| e.count())
            .sum();
        if outs + ins > 0 {
            counts.push(format!("{} {outs} out, {ins} in", rel.as_str()));
        }
    }
    if !counts.is_empty() {
        lines.push(format!("  relations:   {}", counts.join("; ")));
    }
    for e in &edges {
        let (arrow, other) = if e.from == id {
            ("\u{2192}", e.to)
        } else {
            ("\u{2190}", e.from)
        };
        let name = g.node(other).map_or(other, |n| n.name.as_str());
        lines.push(one_line(&format!(
            "    {arrow} {name} ({other}): {}",
            describe(e)
        )));
    }
    let json = serde_json::to_value(edges.iter().map(|e| edge_out(e)).collect::<Vec<_>>())
        .unwrap_or(Value::Null);
    Ok(ActorRelations { lines, json })
}
