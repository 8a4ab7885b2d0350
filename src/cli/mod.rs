//! The command line: one file per group of subcommands, each turning its
//! arguments into library calls. Output goes through [`Out`], which treats a
//! closed pipe as success.

/// A line on stderr. Unlike `eprintln!`, a closed stderr is no reason to
/// panic: the command's result is in its exit code.
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod history;
mod log;
mod output;
mod said;
mod views;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};

use demarche::error::{Error, Result};
use demarche::store::{FaultPlan, OpenOptions, Store};

pub use output::Out;

/// An event-sourced tracker of diplomatic timelines: who said what, when, to
/// whom, about what, according to whom; and who did what to whom.
#[derive(Debug, Parser)]
#[command(name = "demarche", version, max_term_width = 100)]
pub struct Cli {
    /// The database (a directory). Default: $DEMARCHE_DB, else
    /// $XDG_DATA_HOME/demarche/default.db (~/.local/share/demarche/default.db).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,

    /// Seconds to wait for another demarche process to release the database.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        env = "DEMARCHE_LOCK_TIMEOUT",
        default_value_t = 10.0,
        allow_negative_numbers = true
    )]
    lock_timeout: f64,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load the model story (a news article of 13 September 2017, built in)
    /// into the database and show who said what about its central event.
    Demo,
    /// Register, list and show actors.
    #[command(subcommand)]
    Actor(log::ActorCommand),
    /// Record that an actor belongs (or belonged) to an organisation.
    Affiliate(log::AffiliateArgs),
    /// Record a statement.
    Say(log::SayArgs),
    /// Record an action.
    Act(log::ActArgs),
    /// Correct fields of an earlier event (the original stays in the log).
    Correct(log::CorrectArgs),
    /// Retract an earlier event (it stays in the log and in history).
    Retract(log::RetractArgs),
    /// Import events, atomically: JSON Lines in the event format (bare events
    /// or exported envelopes), or ICEWS, PLOVER and GDELT coded event data.
    Import(history::ImportArgs),
    /// Who said what, when: statements matching filters.
    Said(said::SaidArgs),
    /// The log in append order, or the story of one event.
    History(history::HistoryArgs),
    /// Write the whole log as envelopes (a lossless backup).
    Export(history::ExportArgs),
    /// Statements and actions in date order, as text, JSON Lines, TimelineJS, CSV or DOT.
    Timeline(views::TimelineArgs),
    /// The relationship graph between actors, as DOT, JSON, GEXF or GraphML.
    Graph(views::GraphArgs),
    /// The shortest chain of relations between two actors (ignoring direction).
    Path(views::PathArgs),
    /// Actors by PageRank and degree in the relationship graph.
    Rank(views::RankArgs),
    /// Every statement about one event, grouped by stance.
    Perspectives(views::PerspectivesArgs),
    /// Check the hash chain, the id index and that every projection equals a
    /// fresh replay of the log. Exits 1 naming the first bad seq.
    Verify {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Recreate every projection from the log alone.
    Rebuild,
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// A store opened by a command that reads: closed with
/// [`Store::close_at_exit`], as the process ends with the command.
pub struct Reading(Option<Store>);

impl std::ops::Deref for Reading {
    type Target = Store;

    fn deref(&self) -> &Store {
        // Only `drop` takes the store out.
        self.0
            .as_ref()
            .expect("the store is held until the guard is dropped")
    }
}

impl std::ops::DerefMut for Reading {
    fn deref_mut(&mut self) -> &mut Store {
        self.0
            .as_mut()
            .expect("the store is held until the guard is dropped")
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            store.close_at_exit();
        }
    }
}

/// Shared state of one invocation.
pub struct Context {
    db: PathBuf,
    lock_timeout: Duration,
    faults: Option<FaultPlan>,
}

impl Context {
    /// Whether the database exists yet.
    /// (An empty directory is a place for a new one, not a database.)
    pub fn db_exists(&self) -> bool {
        match std::fs::read_dir(&self.db) {
            Ok(mut entries) => entries.next().is_some(),
            Err(_) => self.db.exists(),
        }
    }

    /// Whether a file at `path` would land inside the database's directory,
    /// where writing it would damage the database.
    pub fn inside_db(&self, path: &Path) -> bool {
        let Ok(db) = std::fs::canonicalize(&self.db) else {
            return false;
        };
        // The file itself when it exists (through any link), else the
        // deepest directory of the path that exists, canonical.
        if let Ok(c) = std::fs::canonicalize(path) {
            return c.starts_with(&db);
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            let d = if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            };
            if let Ok(c) = std::fs::canonicalize(d) {
                return c.starts_with(&db);
            }
            dir = d.parent();
        }
        false
    }

    /// Open the database for reading: it must exist.
    pub fn open_read(&self) -> Result<Reading> {
        Store::open(
            &self.db,
            &OpenOptions {
                create: false,
                lock_timeout: self.lock_timeout,
                faults: self.faults.clone(),
                writing: false,
            },
        )
        .map(|store| Reading(Some(store)))
    }

    /// Open the database for a command that writes, creating it if needed,
    /// run `f`, and remove the database again if this command created it and
    /// then failed.
    pub fn write<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        // An empty directory given for a new database stays as it was.
        let was_dir = self.db.is_dir();
        let mut store = Store::open(
            &self.db,
            &OpenOptions {
                create: true,
                lock_timeout: self.lock_timeout,
                faults: self.faults.clone(),
                writing: true,
            },
        )?;
        fixed_clock(&mut store);
        let created = store.created();
        let result = f(&mut store);
        if result.is_err() && created {
            drop(store);
            if was_dir {
                // Emptied, not removed: the directory (or the link to it)
                // keeps its place and its mode.
                if let Ok(entries) = std::fs::read_dir(&self.db) {
                    for entry in entries.flatten() {
                        let path = entry.path();
                        let _ = match entry.file_type() {
                            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                            _ => std::fs::remove_file(&path),
                        };
                    }
                }
            } else {
                let _ = std::fs::remove_dir_all(&self.db);
            }
        } else {
            store.close_at_exit();
        }
        result
    }
}

/// `DEMARCHE_FIXED_CLOCK`, an RFC 3339 instant, is the recording time of
/// every event (so that the documentation's examples print the same output
/// on every run).
pub fn fixed_clock(store: &mut Store) {
    if let Ok(fixed) = std::env::var("DEMARCHE_FIXED_CLOCK") {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&fixed) {
            let t = t.with_timezone(&chrono::Utc);
            store.set_clock(Box::new(move || t));
        }
    }
}

fn default_db() -> PathBuf {
    if let Some(p) = std::env::var_os("DEMARCHE_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let base = dirs::data_dir().unwrap_or_else(|| PathBuf::from("."));
    base.join("demarche").join("default.db")
}

/// Run the command line; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = e.exit_code();
            match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                }
                _ => report!("{}", usage_error(&e.render().to_string())),
            }
            return code;
        }
    };
    if !(cli.lock_timeout.is_finite() && cli.lock_timeout >= 0.0) {
        report!("error: --lock-timeout must be a number of seconds, 0 or more");
        return 2;
    }
    // A seam for durability tests: inject sync and write failures.
    let faults = match std::env::var("DEMARCHE_FAULT") {
        Ok(spec) if !spec.is_empty() => match FaultPlan::parse(&spec) {
            Ok(plan) => Some(plan),
            Err(e) => {
                report!("error: {e}");
                return 2;
            }
        },
        _ => None,
    };
    let ctx = Context {
        db: cli.db.clone().unwrap_or_else(default_db),
        lock_timeout: Duration::from_secs_f64(cli.lock_timeout.min(86_400.0)),
        faults,
    };
    let mut out = Out::stdout();
    let result = run(cli.command, &ctx, &mut out).and_then(|_| out.flush());
    match result {
        Ok(()) => 0,
        Err(e) if output::is_broken_pipe(&e) => 0,
        Err(e) => {
            report!("error: {}", one_line(&e.to_string()));
            1
        }
    }
}

/// A command-line error as one line: clap's message, its tips and the
/// possible values, then the usage it prints below them.
fn usage_error(rendered: &str) -> String {
    let mut msg = String::new();
    let mut usage = None;
    // Lines after one that ends in a colon are the items of a list.
    let mut listing = false;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u);
            continue;
        }
        if line.starts_with("For more information") {
            continue;
        }
        let line = line.trim_start_matches('[').trim_end_matches(']');
        listing = listing && !line.starts_with("tip:");
        if !msg.is_empty() {
            msg.push_str(match (listing, msg.ends_with(':')) {
                (_, true) => " ",
                (true, false) => ", ",
                (false, false) => "; ",
            });
        }
        listing = listing || line.ends_with(':');
        msg.push_str(line);
    }
    if !msg.starts_with("error:") {
        msg.insert_str(0, "error: ");
    }
    if let Some(u) = usage {
        msg.push_str(&format!(" (usage: {u}; see --help)"));
    }
    msg
}

/// Messages are one line: a newline inside a quoted value would break that.
fn one_line(msg: &str) -> String {
    msg.replace('\n', "\\n")
}

fn run(command: Command, ctx: &Context, out: &mut Out) -> Result<()> {
    match command {
        Command::Demo => history::demo(ctx, out),
        Command::Actor(c) => log::actor(c, ctx, out),
        Command::Affiliate(a) => log::affiliate(a, ctx, out),
        Command::Say(a) => log::say(a, ctx, out),
        Command::Act(a) => log::act(a, ctx, out),
        Command::Correct(a) => log::correct(a, ctx, out),
        Command::Retract(a) => log::retract(a, ctx, out),
        Command::Import(a) => history::import(a, ctx, out),
        Command::Said(a) => said::said(a, ctx, out),
        Command::History(a) => history::history(a, ctx, out),
        Command::Export(a) => history::export(a, ctx, out),
        Command::Timeline(a) => views::timeline(a, ctx, out),
        Command::Graph(a) => views::graph(a, ctx, out),
        Command::Path(a) => views::path(a, ctx, out),
        Command::Rank(a) => views::rank(a, ctx, out),
        Command::Perspectives(a) => views::perspectives(a, ctx, out),
        Command::Verify { json } => history::verify(json, ctx, out),
        Command::Rebuild => history::rebuild(ctx, out),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "demarche", &mut buf);
            out.bytes(&buf)
        }
    }
}

/// Say so when events were recorded but the projections could not follow.
pub fn warn_if_behind(summary: &demarche::store::Summary) {
    if let Some(why) = &summary.projections_behind {
        report!(
            "warning: recorded, but the indexes could not be updated ({}); they catch up on the next command",
            one_line(why)
        );
    }
}

/// Resolve an `--as-of` value against a store (the head when absent).
pub fn as_of(store: &Store, spec: Option<&str>) -> Result<u64> {
    match spec {
        Some(s) => store.resolve_as_of(s),
        None => Ok(store.head().seq),
    }
}

/// Resolve actor names given on the command line.
pub fn resolve_all(store: &Store, names: &[String]) -> Result<Vec<String>> {
    // An exact id is one lookup; anything else is matched against every
    // actor, loaded once.
    let mut actors = None;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if store.actor(name)?.is_some() {
            out.push(name.clone());
            continue;
        }
        let all = match &actors {
            Some(all) => all,
            None => actors.insert(store.actors()?),
        };
        out.push(demarche::query::resolve_actor(all, name)?);
    }
    Ok(out)
}

/// Parse a date given on the command line, naming the flag.
pub fn date_arg(flag: &str, value: &str) -> Result<demarche::date::EdtfDate> {
    demarche::date::EdtfDate::parse(value).map_err(|e| Error::invalid(format!("{flag}: {e}")))
}
