//! `said`: who said what, when, with sources.

use clap::Args;

use demarche::date::{DateRange, Within};
use demarche::error::{Error, Result};
use demarche::event::Stance;
use demarche::query::{self, StatementFilter};
use demarche::store::Store;

use super::{as_of, date_arg, resolve_all, Context, Out};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("bounds").args(["since", "until"]).multiple(true)))]
pub struct SaidArgs {
    /// Speaker: id, name or alias (repeatable: any of them).
    #[arg(long = "by", value_name = "ACTOR")]
    by: Vec<String>,
    /// Addressee (repeatable).
    #[arg(long = "to", value_name = "ACTOR")]
    to: Vec<String>,
    /// Id of the event the statements are about (repeatable).
    #[arg(long = "about", value_name = "ID")]
    about: Vec<String>,
    /// Stance toward what they are about (repeatable).
    #[arg(long = "stance")]
    stance: Vec<Stance>,
    /// An actor the statement mentions (repeatable).
    #[arg(long = "mentions", value_name = "ACTOR")]
    mentions: Vec<String>,
    /// Tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// Keep statements whose date overlaps the range starting at this date.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Keep statements whose date overlaps the range ending with this date.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only statements certainly inside the range (not merely overlapping it);
    /// needs --since or --until.
    #[arg(long, requires = "bounds")]
    certain: bool,
    /// Text contained in the statement (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Read the log as it stood at this seq or RFC 3339 recording time.
    #[arg(long, value_name = "SEQ|TIME")]
    as_of: Option<String>,
    /// JSON Lines output: one envelope-shaped record per statement.
    #[arg(long)]
    json: bool,
}

impl SaidArgs {
    /// Every statement about one event, as a table.
    pub fn about(id: &str) -> SaidArgs {
        SaidArgs {
            by: Vec::new(),
            to: Vec::new(),
            about: vec![id.to_string()],
            stance: Vec::new(),
            mentions: Vec::new(),
            tags: Vec::new(),
            since: None,
            until: None,
            certain: false,
            search: None,
            as_of: None,
            json: false,
        }
    }
}

/// Parse `--since`/`--until`.
pub fn range(since: Option<&str>, until: Option<&str>) -> Result<DateRange> {
    let range = DateRange {
        since: since.map(|d| date_arg("--since", d)).transpose()?,
        until: until.map(|d| date_arg("--until", d)).transpose()?,
    };
    let (lo, hi) = range.window();
    if lo > hi {
        return Err(Error::invalid(format!(
            "--since {} is after --until {}: no date lies between them",
            since.unwrap_or_default(),
            until.unwrap_or_default()
        )));
    }
    Ok(range)
}

pub fn said(a: SaidArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    said_in(a, &*ctx.open_read()?, out)
}

/// `said` on a store already open.
pub fn said_in(a: SaidArgs, store: &Store, out: &mut Out) -> Result<()> {
    let filter = StatementFilter {
        by: resolve_all(store, &a.by)?,
        to: resolve_all(store, &a.to)?,
        about: a.about,
        stance: a.stance,
        mentions: resolve_all(store, &a.mentions)?,
        tags: a.tags,
        range: range(a.since.as_deref(), a.until.as_deref())?,
        certain: a.certain,
        search: a.search,
        as_of: as_of(store, a.as_of.as_deref())?,
    };
    let ranged = !filter.range.is_unbounded();
    if a.json {
        for f in &query::said(store, &filter)? {
            out.json(&f.to_json(ranged))?;
        }
        return Ok(());
    }
    let found = query::listing(store, &filter)?;
    if found.is_empty() {
        return out.line("no statements match");
    }
    // The names of the speakers listed as they stood at --as-of, one lookup
    // each.
    let log = store.shared();
    let mut names: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for l in &found {
        if !names.contains_key(l.speaker.as_str()) {
            let name = demarche::graph::actor_as_of(&log, &l.speaker, filter.as_of)?
                .map_or_else(|| l.speaker.clone(), |a| a.name);
            names.insert(&l.speaker, name);
        }
    }
    // The table is written row by row: the widths come from a first pass
    // that builds no cells.
    let name = |l: &query::Listed| names.get(l.speaker.as_str()).map_or("", String::as_str);
    let possibly = |l: &query::Listed| ranged && l.within == Within::Possible;
    let stance = |l: &query::Listed| l.stance.map_or("-", |st| st.as_str());
    let header = ["DATE", "SPEAKER", "FORM", "STANCE", "ID", "VIA"];
    let mut widths = header.map(width);
    for l in &found {
        let row = [
            width(l.date.as_str()) + if possibly(l) { POSSIBLY.len() } else { 0 },
            width(name(l)),
            l.form.as_str().len(),
            stance(l).len(),
            l.id.len() + if l.corrected { CORRECTED.len() } else { 0 },
            via(l).map(width).sum(),
        ];
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell);
        }
    }
    let cell = |line: &mut String, column: usize, parts: &mut dyn Iterator<Item = &str>| {
        let start = line.len();
        for part in parts {
            line.push_str(part);
        }
        let used = width(&line[start..]);
        super::output::spaces(line, widths[column] - used + 2);
    };
    let mut line = String::new();
    for (column, h) in header.iter().enumerate() {
        cell(&mut line, column, &mut std::iter::once(*h));
    }
    line.push_str("TEXT");
    out.line(&line)?;
    for l in &found {
        line.clear();
        let date = [l.date.as_str(), if possibly(l) { POSSIBLY } else { "" }];
        cell(&mut line, 0, &mut date.into_iter());
        cell(&mut line, 1, &mut std::iter::once(name(l)));
        cell(&mut line, 2, &mut std::iter::once(l.form.as_str()));
        cell(&mut line, 3, &mut std::iter::once(stance(l)));
        let id = [l.id.as_str(), if l.corrected { CORRECTED } else { "" }];
        cell(&mut line, 4, &mut id.into_iter());
        cell(&mut line, 5, &mut via(l));
        line.push('"');
        if l.text.contains('\n') {
            line.push_str(&l.text.replace('\n', " "));
        } else {
            line.push_str(&l.text);
        }
        line.push('"');
        out.line(&line)?;
    }
    // The rows were built on several threads: freeing them one by one
    // costs milliseconds, and the process ends once the table is written.
    std::mem::forget(found);
    Ok(())
}

const POSSIBLY: &str = " (possibly)";
const CORRECTED: &str = " (corrected)";

/// The pieces of the VIA cell: the outlets in order, "A > B", or "-".
fn via(l: &query::Listed) -> impl Iterator<Item = &str> {
    let none = l.outlets.is_empty().then_some("-");
    let outlets = l
        .outlets
        .iter()
        .enumerate()
        .flat_map(|(k, outlet)| [if k > 0 { " > " } else { "" }, outlet.as_str()]);
    none.into_iter().chain(outlets)
}

/// Width of a cell in characters.
fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}
