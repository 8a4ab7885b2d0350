//! `said`: who said what, when, with sources.

use clap::Args;

use demarche::date::{DateRange, Within};
use demarche::error::Result;
use demarche::event::Stance;
use demarche::query::{self, StatementFilter};

use super::{as_of, date_arg, resolve_all, Context, Out};

#[derive(Debug, Args)]
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
    /// Only statements certainly inside the range (not merely overlapping it).
    #[arg(long)]
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
    Ok(DateRange {
        since: since.map(|d| date_arg("--since", d)).transpose()?,
        until: until.map(|d| date_arg("--until", d)).transpose()?,
    })
}

pub fn said(a: SaidArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let filter = StatementFilter {
        by: resolve_all(&store, &a.by)?,
        to: resolve_all(&store, &a.to)?,
        about: a.about,
        stance: a.stance,
        mentions: resolve_all(&store, &a.mentions)?,
        tags: a.tags,
        range: range(a.since.as_deref(), a.until.as_deref())?,
        certain: a.certain,
        search: a.search,
        as_of: as_of(&store, a.as_of.as_deref())?,
    };
    let ranged = !filter.range.is_unbounded();
    if a.json {
        for f in &query::said(&store, &filter)? {
            out.json(&f.to_json(ranged))?;
        }
        return Ok(());
    }
    let found = query::listing(&store, &filter)?;
    if found.is_empty() {
        return out.line("no statements match");
    }
    // The names of the speakers listed, one lookup each.
    let mut names: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for l in &found {
        if !names.contains_key(l.speaker.as_str()) {
            let name = store
                .actor(&l.speaker)?
                .map_or_else(|| l.speaker.clone(), |a| a.name);
            names.insert(&l.speaker, name);
        }
    }
    // The table is written row by row: the widths come from a first pass,
    // and the text, the last and longest column, is never copied.
    let cells = |l: &query::Listed| -> [String; 6] {
        let mut date = l.date.as_str().to_string();
        if ranged && l.within == Within::Possible {
            date.push_str(" (possibly)");
        }
        let mut id = l.id.clone();
        if l.corrected {
            id.push_str(" (corrected)");
        }
        [
            date,
            names.get(l.speaker.as_str()).cloned().unwrap_or_default(),
            l.form.as_str().into(),
            l.stance.map(|st| st.as_str()).unwrap_or("-").into(),
            id,
            if l.outlets.is_empty() {
                "-".into()
            } else {
                l.outlets.join(" > ")
            },
        ]
    };
    let rows: Vec<[String; 6]> = found.iter().map(cells).collect();
    let header = ["DATE", "SPEAKER", "FORM", "STANCE", "ID", "VIA"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = String::new();
    let mut write_row = |row: &[String; 6], text: &str, quoted: bool| -> Result<()> {
        line.clear();
        for (cell, w) in row.iter().zip(&widths) {
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
        }
        if !quoted {
            line.push_str(text);
        } else if text.contains('\n') {
            line.push_str(&format!("\"{}\"", text.replace('\n', " ")));
        } else {
            line.push('"');
            line.push_str(text);
            line.push('"');
        }
        out.line(&line)
    };
    write_row(&header, "TEXT", false)?;
    for (row, l) in rows.iter().zip(&found) {
        write_row(row, &l.text, true)?;
    }
    Ok(())
}
