//! Commands that record one event each: actors, affiliations, statements,
//! actions, corrections and retractions. Each is durable when it returns.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use serde_json::Value;

use demarche::date::EdtfDate;
use demarche::error::{Error, Result};
use demarche::event::{
    ActionTaken, ActorKind, ActorRegistered, AffiliationDeclared, Codes, CorrectionIssued, Event,
    Form, Original, RetractionIssued, Source, Stance, StatementMade,
};
use demarche::projection::Role;
use demarche::store::{Mode, Outcome, Store};

use super::output::table;
use super::{date_arg, resolve_all, Context, Out};

#[derive(Debug, Subcommand)]
pub enum ActorCommand {
    /// Register an actor, or update a registered one (later fields win,
    /// aliases accumulate).
    Add(ActorAddArgs),
    /// List registered actors.
    List {
        /// Only actors of this kind.
        #[arg(long)]
        kind: Option<ActorKind>,
        /// JSON Lines output.
        #[arg(long)]
        json: bool,
    },
    /// Show an actor's profile and what the log holds about it.
    Show {
        /// Id, name or alias.
        actor: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ActorAddArgs {
    /// The actor's id (a slug such as "peskov").
    id: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// person, state, government, agency, legislature, party, organization, media, group or public.
    #[arg(long)]
    kind: ActorKind,
    /// Another name it goes by (repeatable).
    #[arg(long = "alias")]
    aliases: Vec<String>,
    /// ISO 3166-1 alpha-3 country code.
    #[arg(long)]
    country: Option<String>,
    /// One line saying who or what the actor is.
    #[arg(long)]
    description: Option<String>,
    /// Wikidata item id, such as Q159.
    #[arg(long)]
    wikidata: Option<String>,
}

#[derive(Debug, Args)]
pub struct AffiliateArgs {
    /// The member (id, name or alias).
    actor: String,
    /// The organisation (id, name or alias).
    org: String,
    /// The member's role in the organisation (spokesman, minister, ...).
    #[arg(long)]
    role: String,
    /// Since when (a date in the event format).
    #[arg(long)]
    from: Option<String>,
    /// Until when.
    #[arg(long)]
    until: Option<String>,
    #[command(flatten)]
    common: Common,
}

/// Flags shared by events that carry an id, sources and tags.
#[derive(Debug, Args)]
pub struct Common {
    /// The event's id (derived from its content when omitted).
    #[arg(long)]
    id: Option<String>,
    /// A source: an outlet name, or a JSON object
    /// {"outlet":..,"url":..,"published":..}; repeat for a chain of sources,
    /// the one nearest to the speaker or actor first.
    #[arg(long = "source", value_name = "OUTLET|JSON")]
    sources: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SayArgs {
    /// Who spoke (id, name or alias).
    speaker: String,
    /// When (event date format: 2017, 2017-03, 2017-09-13, 2017-03/2017-05, ...).
    #[arg(long)]
    date: String,
    /// What was said, verbatim for a direct quote.
    #[arg(long)]
    text: String,
    /// direct (default), partial, indirect or paraphrase.
    #[arg(long)]
    form: Option<Form>,
    /// Language of the text (e.g. en).
    #[arg(long)]
    language: Option<String>,
    /// Language of the original, when the text is a translation.
    #[arg(long)]
    original_language: Option<String>,
    /// The original text, when the text is a translation.
    #[arg(long)]
    original_text: Option<String>,
    /// How it was said (interview, press conference, ...).
    #[arg(long)]
    medium: Option<String>,
    /// Addressee (repeatable).
    #[arg(long = "to")]
    to: Vec<String>,
    /// An actor mentioned (repeatable).
    #[arg(long = "mention")]
    mentions: Vec<String>,
    /// Id of an event the statement is about (repeatable).
    #[arg(long = "about")]
    about: Vec<String>,
    /// Position toward the events it is about.
    #[arg(long)]
    stance: Option<Stance>,
    /// Where it was said.
    #[arg(long)]
    place: Option<String>,
    /// A tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct ActArgs {
    /// Who acted (id, name or alias).
    actor: String,
    /// When.
    #[arg(long)]
    date: String,
    /// What kind of action (proposal, meeting, visit, call, agreement, dismissal, ...).
    #[arg(long)]
    kind: String,
    /// One sentence saying what happened.
    #[arg(long)]
    summary: String,
    /// Who it was done to (repeatable).
    #[arg(long = "target")]
    targets: Vec<String>,
    /// CAMEO event code.
    #[arg(long)]
    cameo: Option<String>,
    /// PLOVER event category.
    #[arg(long)]
    plover: Option<String>,
    /// Quad class, 1 to 4.
    #[arg(long)]
    quad_class: Option<u8>,
    /// Goldstein scale score (-10 most conflictual to +10 most cooperative).
    #[arg(long, allow_negative_numbers = true)]
    goldstein: Option<f64>,
    /// Intensity score, as a coded dataset gives it (ICEWS: -10 to +10).
    #[arg(long, allow_negative_numbers = true)]
    intensity: Option<f64>,
    /// Where it happened.
    #[arg(long)]
    place: Option<String>,
    /// A tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct CorrectArgs {
    /// The id of the event to correct.
    target: String,
    /// FIELD=VALUE; VALUE is read as JSON when it is a list, an object, a
    /// quoted string or null (which removes an optional field), else as text,
    /// so date=2018 is the year (repeatable).
    #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
    set: Vec<String>,
    /// Why.
    #[arg(long)]
    reason: String,
    /// The correction's own id.
    #[arg(long)]
    id: Option<String>,
}

#[derive(Debug, Args)]
pub struct RetractArgs {
    /// The id of the event to retract.
    target: String,
    /// Why.
    #[arg(long)]
    reason: String,
    /// The retraction's own id.
    #[arg(long)]
    id: Option<String>,
}

fn sources(raw: &[String]) -> Result<Vec<Source>> {
    raw.iter()
        .map(|s| {
            if s.trim_start().starts_with('[') {
                Err(Error::invalid(format!(
                    "--source {s:?}: give one source per --source, an outlet's name or a JSON object"
                )))
            } else if s.trim_start().starts_with('{') {
                let v = demarche::event::parse_strict(s.as_bytes())
                    .map_err(|e| Error::invalid(format!("--source {s:?}: {e}")))?;
                serde_json::from_value(v)
                    .map_err(|e| Error::invalid(format!("--source {s:?}: {e}")))
            } else {
                Ok(Source {
                    outlet: s.clone(),
                    url: None,
                    published: None,
                    retrieved: None,
                })
            }
        })
        .collect()
}

/// Validate, append, sync, and say what happened.
fn record(ctx: &Context, out: &mut Out, build: impl FnOnce(&Store) -> Result<Event>) -> Result<()> {
    let (outcome, kind) = ctx.write(|store| {
        let event = build(store)?;
        event.validate()?;
        let kind = event.type_name();
        let mut batch = store.batch();
        let outcome = batch.add(event, "", Mode::Command)?;
        super::warn_if_behind(&batch.commit()?);
        Ok((outcome, kind))
    })?;
    match outcome {
        Outcome::Appended { seq, id } => out.line(&format!("recorded {kind} {id} (seq {seq})")),
        Outcome::AlreadyPresent { seq, id } => out.line(&format!(
            "already recorded: {kind} {id} (seq {seq}); nothing appended"
        )),
    }
}

fn one(store: &Store, name: &str) -> Result<String> {
    Ok(resolve_all(store, &[name.to_string()])?.remove(0))
}

pub fn actor(cmd: ActorCommand, ctx: &Context, out: &mut Out) -> Result<()> {
    match cmd {
        ActorCommand::Add(a) => record(ctx, out, |_| {
            Ok(Event::Actor(ActorRegistered {
                id: a.id,
                name: a.name,
                kind: a.kind,
                aliases: a.aliases,
                country: a.country,
                description: a.description,
                wikidata: a.wikidata,
            }))
        }),
        ActorCommand::List { kind, json } => {
            let store = ctx.open_read()?;
            let actors: Vec<_> = store
                .actors()?
                .into_iter()
                .filter(|a| kind.is_none_or(|k| a.kind == k))
                .collect();
            if json {
                for a in &actors {
                    out.json(&serde_json::to_value(a).unwrap_or(Value::Null))?;
                }
                return Ok(());
            }
            let mut rows = vec![vec![
                "ID".into(),
                "KIND".into(),
                "COUNTRY".into(),
                "NAME".into(),
            ]];
            for a in &actors {
                let mut name = a.name.clone();
                if !a.aliases.is_empty() {
                    name.push_str(&format!(" (also: {})", a.aliases.join(", ")));
                }
                rows.push(vec![
                    a.id.clone(),
                    a.kind.as_str().into(),
                    a.country.clone().unwrap_or_default(),
                    name,
                ]);
            }
            for line in table(&rows) {
                out.line(&line)?;
            }
            Ok(())
        }
        ActorCommand::Show { actor, json } => {
            let store = ctx.open_read()?;
            let id = one(&store, &actor)?;
            show_actor(&store, &id, json, out)
        }
    }
}

/// Actors involved in more events than this get counts, not a listing of
/// every relation, from `actor show`.
const RELATIONS_LIMIT: u64 = 2000;

fn show_actor(store: &Store, id: &str, json: bool, out: &mut Out) -> Result<()> {
    let rec = store
        .actor(id)?
        .ok_or_else(|| Error::NotFound(format!("unknown actor \"{id}\"")))?;
    let head = store.head().seq;
    let involvement = demarche::query::involvement(store, id, head)?;
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (role, n) in &involvement.counts {
        let label = match role {
            Role::Speaker => "statements made",
            Role::Addressee => "statements addressed to",
            Role::Mention => "statements mentioning",
            Role::Actor => "actions taken",
            Role::Target => "actions targeting",
            Role::Member => "affiliations",
            Role::Org => "members",
        };
        counts.insert(label, *n);
    }
    let affiliations: Vec<(String, demarche::event::AffiliationDeclared)> = involvement
        .affiliations
        .iter()
        .filter_map(|c| match &c.event {
            Event::Affiliation(a) => Some((c.id.clone(), a.clone())),
            _ => None,
        })
        .collect();
    // The relations come from the graph around the actor, which reads every
    // event that involves it: listed in full for all but the busiest actors.
    let relations = if involvement.events <= RELATIONS_LIMIT {
        super::views::actor_relations(store, id)?
    } else {
        super::views::ActorRelations {
            lines: vec![format!(
                "  relations:   {} events; see `demarche graph --around {id}`",
                involvement.events
            )],
            json: Value::Null,
        }
    };
    if json {
        let v = serde_json::json!({
            "actor": rec,
            "counts": counts,
            "relations": relations.json,
            "affiliations": affiliations.iter().map(|(id, a)| {
                let mut v = Event::Affiliation(a.clone()).to_value();
                v["event_id"] = Value::from(id.clone());
                v
            }).collect::<Vec<_>>(),
        });
        return out.json(&v);
    }
    out.line(&format!("{} ({})", rec.name, rec.id))?;
    out.line(&format!("  kind:        {}", rec.kind.as_str()))?;
    if !rec.aliases.is_empty() {
        out.line(&format!("  aliases:     {}", rec.aliases.join(", ")))?;
    }
    if let Some(c) = &rec.country {
        out.line(&format!("  country:     {c}"))?;
    }
    if let Some(d) = &rec.description {
        out.line(&format!("  description: {d}"))?;
    }
    if let Some(q) = &rec.wikidata {
        out.line(&format!("  wikidata:    {q}"))?;
    }
    out.line(&format!(
        "  registered:  seq {}",
        rec.registrations
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    for (_, a) in &affiliations {
        let span = match (&a.from, &a.until) {
            (None, None) => String::new(),
            // A date that is itself an interval has a dash of its own.
            (f, u) if f.iter().chain(u).any(EdtfDate::is_interval) => {
                let ends = [("from", f), ("until", u)]
                    .into_iter()
                    .filter_map(|(w, d)| d.as_ref().map(|d| format!("{w} {}", d.display())))
                    .collect::<Vec<_>>();
                format!(" ({})", ends.join("; "))
            }
            (f, u) => format!(
                " ({} – {})",
                f.as_ref().map(|d| d.display()).unwrap_or_default(),
                u.as_ref().map(|d| d.display()).unwrap_or_default()
            ),
        };
        let named = |other: &str| match store.actor(other) {
            Ok(Some(r)) => format!("{} ({other})", r.name),
            _ => other.to_string(),
        };
        if a.actor == id {
            out.line(&format!(
                "  member of:   {} as {}{span}",
                named(&a.org),
                a.role
            ))?;
        } else {
            out.line(&format!(
                "  has member:  {} as {}{span}",
                named(&a.actor),
                a.role
            ))?;
        }
    }
    if !counts.is_empty() {
        let listed: Vec<String> = counts
            .iter()
            .map(|(label, n)| format!("{label} {n}"))
            .collect();
        out.line(&format!("  events:      {}", listed.join(", ")))?;
    }
    for line in &relations.lines {
        out.line(line)?;
    }
    Ok(())
}

pub fn affiliate(a: AffiliateArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    record(ctx, out, |store| {
        Ok(Event::Affiliation(AffiliationDeclared {
            id: a.common.id,
            actor: one(store, &a.actor)?,
            org: one(store, &a.org)?,
            role: a.role,
            from: a.from.map(|d| date_arg("--from", &d)).transpose()?,
            until: a.until.map(|d| date_arg("--until", &d)).transpose()?,
            sources: sources(&a.common.sources)?,
        }))
    })
}

pub fn say(a: SayArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    record(ctx, out, |store| {
        let original = match (a.original_language, a.original_text) {
            (None, None) => None,
            (language, text) => Some(Original { language, text }),
        };
        Ok(Event::Statement(StatementMade {
            id: a.common.id,
            date: date_arg("--date", &a.date)?,
            speaker: one(store, &a.speaker)?,
            text: a.text,
            form: a.form,
            language: a.language,
            original,
            medium: a.medium,
            to: resolve_all(store, &a.to)?,
            mentions: resolve_all(store, &a.mentions)?,
            about: a.about,
            stance: a.stance,
            place: a.place,
            sources: sources(&a.common.sources)?,
            tags: a.tags,
        }))
    })
}

pub fn act(a: ActArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    record(ctx, out, |store| {
        let codes = Codes {
            cameo: a.cameo,
            plover: a.plover,
            quad_class: a.quad_class,
            goldstein: a.goldstein,
            intensity: a.intensity,
        };
        Ok(Event::Action(ActionTaken {
            id: a.common.id,
            date: date_arg("--date", &a.date)?,
            actor: one(store, &a.actor)?,
            kind: a.kind,
            summary: a.summary,
            targets: resolve_all(store, &a.targets)?,
            codes: (codes != Codes::default()).then_some(codes),
            place: a.place,
            sources: sources(&a.common.sources)?,
            tags: a.tags,
        }))
    })
}

/// `FIELD=VALUE`, VALUE as JSON when it parses as a list, an object, a
/// string or null, else as text: every field that holds a single value
/// holds text, so `date=2018` means the year, not a number.
fn parse_set(items: &[String]) -> Result<BTreeMap<String, Value>> {
    let mut set = BTreeMap::new();
    for item in items {
        let (field, value) = item
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("--set {item:?}: expected FIELD=VALUE")))?;
        let field = field.trim();
        if field.is_empty() {
            return Err(Error::invalid(format!(
                "--set {item:?}: the field name is empty"
            )));
        }
        let value = match serde_json::from_str(value) {
            Ok(Value::Number(_) | Value::Bool(_)) | Err(_) => Value::String(value.into()),
            Ok(v) => v,
        };
        if set.insert(field.to_string(), value).is_some() {
            return Err(Error::invalid(format!(
                "--set: field \"{field}\" given twice"
            )));
        }
    }
    Ok(set)
}

pub fn correct(a: CorrectArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let set = parse_set(&a.set)?;
    record(ctx, out, |_| {
        Ok(Event::Correction(CorrectionIssued {
            id: a.id,
            target: a.target,
            set,
            reason: a.reason,
        }))
    })
}

pub fn retract(a: RetractArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    record(ctx, out, |_| {
        Ok(Event::Retraction(RetractionIssued {
            id: a.id,
            target: a.target,
            reason: a.reason,
        }))
    })
}
