//! Commands over the whole log: import, history, export.

use std::io::Write;
use std::path::Path;

use clap::Args;

use demarche::error::{Error, Result};
use demarche::import::{self, Format, Input};
use demarche::query::headline;
use demarche::store::{Store, Summary};
use demarche::view;

use super::{as_of, Context, Out};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import; - reads standard input.
    #[arg(value_name = "FILE|-", default_value = "-")]
    files: Vec<String>,
    /// Input format: jsonl (the event format), or coded event data: icews,
    /// plover, gdelt (see docs/import-*.md).
    #[arg(long, default_value = "jsonl", value_name = "FORMAT")]
    format: String,
    /// Check everything and report what would be imported, without writing.
    #[arg(long)]
    dry_run: bool,
    /// Coded event data: import the valid records, skip the invalid ones and
    /// list them on standard error (exit 0), instead of importing nothing.
    #[arg(long)]
    skip_invalid: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Show one event's story: the original, its corrections and retraction.
    id: Option<String>,
    /// JSON Lines output (stored envelopes).
    #[arg(long)]
    json: bool,
    /// Read the log as it stood at this seq or RFC 3339 recording time.
    #[arg(long, value_name = "SEQ|TIME")]
    as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// Export the log as it stood at this seq or RFC 3339 recording time.
    #[arg(long, value_name = "SEQ|TIME")]
    as_of: Option<String>,
}

pub fn import(a: ImportArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let format = Format::parse(&a.format)?;
    if a.skip_invalid && !format.is_coded() {
        return Err(Error::invalid(
            "--skip-invalid applies to coded event data (--format icews, plover or gdelt); JSON Lines imports are all or nothing",
        ));
    }
    if a.files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(Error::invalid("standard input (-) can be read only once"));
    }
    // Open every input first: a missing file fails before anything is written.
    let inputs = a
        .files
        .iter()
        .map(|f| Input::open(f))
        .collect::<Result<Vec<_>>>()?;
    let total: Option<u64> = inputs.iter().map(|i| i.len).sum();
    let bar = progress_bar(total);
    let run = |store: &mut Store| {
        // Coded formats register an actor only when the log does not know it
        // yet; the batch holds the store, so ask before it starts.
        let options = import::Options {
            skip_invalid: a.skip_invalid,
            known_actors: if format.is_coded() {
                import::known_actors(store)?
            } else {
                Default::default()
            },
        };
        let mut batch = store.batch();
        if !a.dry_run {
            // Into an empty log: projections built as the events go in.
            batch.fold_projections()?;
        }
        let report = import::read_with(&mut batch, format, inputs, &options, &mut |n| {
            bar.set_position(n)
        })?;
        if a.dry_run {
            // Dropping the batch removes what it wrote.
            let mut s = batch.summary().clone();
            s.head = store_head(&batch);
            return Ok((s, report));
        }
        Ok((batch.commit()?, report))
    };
    // A dry run against a database that does not exist yet checks the input
    // against an empty log held in memory, so nothing is created on disk.
    let summary = if a.dry_run && !ctx.db_exists() {
        let mut store = Store::in_memory();
        super::fixed_clock(&mut store);
        run(&mut store)
    } else {
        ctx.write(run)
    };
    bar.finish_and_clear();
    let (summary, report) = summary?;
    out.line(&import::describe(&summary, a.dry_run))?;
    if report.corrections > 0 {
        let one = report.corrections == 1;
        out.line(&format!(
            "{} record{} came again with other content: {} as {} of the first version",
            report.corrections,
            if one { "" } else { "s" },
            if a.dry_run {
                "would be recorded"
            } else {
                "recorded"
            },
            if one { "a correction" } else { "corrections" },
        ))?;
    }
    if report.retractions > 0 {
        let one = report.retractions == 1;
        out.line(&format!(
            "{} action{} of source actors that later records no longer name: {}",
            report.retractions,
            if one { "" } else { "s" },
            if a.dry_run {
                "would be retracted"
            } else {
                "retracted"
            },
        ))?;
    }
    // What follows is diagnostics, on standard error, after the result.
    out.flush()?;
    for note in &report.notes {
        report!("note: {note}");
    }
    if report.more_notes > 0 {
        report!("note: ... and {} more", report.more_notes);
    }
    if report.skipped > 0 {
        report!(
            "skipped {} invalid record{}:",
            report.skipped,
            if report.skipped == 1 { "" } else { "s" }
        );
        for problem in &report.problems {
            report!("  {problem}");
        }
        let more = report.skipped - report.problems.len() as u64;
        if more > 0 {
            report!("  ... and {more} more");
        }
    }
    Ok(())
}

/// In a dry run nothing is committed: the head is where it was.
fn store_head(batch: &demarche::store::Batch<'_>) -> u64 {
    batch.start_seq()
}

fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = match total {
        Some(n) if n > 4 << 20 => ProgressBar::new(n),
        _ => return ProgressBar::hidden(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left) {wide_bar}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

pub fn history(a: HistoryArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let at = as_of(&store, a.as_of.as_deref())?;
    if let Some(id) = a.id {
        return story(&store, &id, at, a.json, out);
    }
    for raw in store.scan(1) {
        let raw = raw?;
        if raw.seq > at {
            break;
        }
        if a.json {
            out.bytes(&raw.to_bytes())?;
            out.bytes(b"\n")?;
        } else {
            let env = raw.decode()?;
            out.line(&format!(
                "{:>6}  {}  {:<11}  {:<28}  {}",
                env.seq,
                env.recorded_at,
                env.event.type_name(),
                env.id,
                headline(&env.event).replace('\n', " ")
            ))?;
        }
    }
    Ok(())
}

/// One event's story: the original, each correction, the retraction.
fn story(store: &Store, id: &str, at: u64, json: bool, out: &mut Out) -> Result<()> {
    let seq = store.seq_as_of(id, at)?;
    let mut chapters = vec![seq];
    let mut i = 0;
    // Corrections of corrections belong to the story too.
    while i < chapters.len() {
        for a in demarche::projection::amends_of(store.backend(), chapters[i])? {
            if a <= at && !chapters.contains(&a) {
                chapters.push(a);
            }
        }
        i += 1;
    }
    chapters.sort_unstable();
    for s in chapters {
        let raw = store.raw(s)?.ok_or_else(|| demarche::store::missing(s))?;
        if json {
            out.bytes(&raw.to_bytes())?;
            out.bytes(b"\n")?;
            continue;
        }
        let env = raw.decode()?;
        let label = if s == seq {
            "recorded"
        } else {
            env.event.type_name()
        };
        out.line(&format!(
            "seq {}  {}  {}  {}",
            env.seq, env.recorded_at, label, env.id
        ))?;
        out.line(&format!("    {}", headline(&env.event).replace('\n', " ")))?;
    }
    if !json {
        let cur = view::current(store, seq, at)?
            .ok_or_else(|| Error::NotFound(format!("unknown event \"{id}\"")))?;
        if let Some(r) = &cur.retracted {
            out.line(&format!("now: retracted by {} ({})", r.id, r.reason))?;
        } else if cur.corrections.is_empty() {
            out.line(&format!("now: {}", headline(&cur.event).replace('\n', " ")))?;
        } else {
            let json = serde_json::to_string(&cur.event.to_value()).unwrap_or_default();
            out.line(&format!("now (as corrected): {json}"))?;
        }
    }
    Ok(())
}

pub fn export(a: ExportArgs, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let at = as_of(&store, a.as_of.as_deref())?;
    let write = |w: &mut dyn Write| -> std::io::Result<u64> {
        let mut n = 0;
        for raw in store.scan(1) {
            let raw = raw.map_err(std::io::Error::other)?;
            if raw.seq > at {
                break;
            }
            w.write_all(&raw.to_bytes())?;
            w.write_all(b"\n")?;
            n += 1;
        }
        Ok(n)
    };
    // `-o /dev/stdout` (or a path to the file standard output already goes
    // to) is written there, at its position, like no `-o`.
    match a.output.filter(|p| !is_open_as(p, &std::io::stdout())) {
        None => {
            let mut w = OutWriter(out);
            write(&mut w).map_err(unwrap_io)?;
            Ok(())
        }
        Some(path) if is_open_as(&path, &std::io::stderr()) => {
            out.flush()?;
            let mut w = std::io::BufWriter::new(std::io::stderr());
            write(&mut w)
                .and_then(|_| w.flush())
                .map_err(|e| Error::io("cannot write to standard error", e))
        }
        Some(path) => {
            if ctx.inside_db(&path) {
                return Err(Error::invalid(format!(
                    "cannot write {}: it is inside the database's directory",
                    path.display()
                )));
            }
            let n = write_file(&path, write)?;
            out.line(&format!("exported {n} envelopes to {}", path.display()))
        }
    }
}

/// Whether `path` names the file (or pipe, or terminal) that `stream` is
/// already open on.
fn is_open_as(path: &Path, stream: &impl std::os::fd::AsFd) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(target) = std::fs::metadata(path) else {
        return false;
    };
    let Ok(fd) = stream.as_fd().try_clone_to_owned() else {
        return false;
    };
    match std::fs::File::from(fd).metadata() {
        Ok(open) => open.dev() == target.dev() && open.ino() == target.ino(),
        Err(_) => false,
    }
}

/// Standard output as an [`std::io::Write`], for writers shared with files.
struct OutWriter<'a>(&'a mut Out);

impl Write for OutWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.bytes(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The library's error inside an I/O error, back out; other I/O errors as
/// they are.
fn unwrap_io(e: std::io::Error) -> Error {
    match e.downcast::<Error>() {
        Ok(inner) => inner,
        Err(e) => Error::io("cannot write the output".to_string(), e),
    }
}

/// Write a file through `write`. A regular file (new, or there already,
/// through any symlinks) is written beside itself and renamed over, with the
/// old file's permissions, so that a failed write leaves it as it was; a
/// device or pipe is written in place.
fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<u64>,
) -> Result<u64> {
    let cannot = |e: std::io::Error| match e.downcast::<Error>() {
        Ok(inner) => inner,
        Err(e) => Error::io(format!("cannot write {}", path.display()), e),
    };
    let existing = std::fs::metadata(path).ok();
    if existing.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(Error::invalid(format!(
            "cannot write {}: it is a directory",
            path.display()
        )));
    }
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(cannot)?;
        let mut w = std::io::BufWriter::new(file);
        let n = write(&mut w).map_err(cannot)?;
        w.flush().map_err(cannot)?;
        return Ok(n);
    }
    // The file a symlink points to is the one replaced, not the link.
    let target = match existing {
        Some(_) => std::fs::canonicalize(path).map_err(cannot)?,
        None => path.to_path_buf(),
    };
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<u64> {
        let file = std::fs::File::create(&tmp)?;
        if let Some(m) = &existing {
            file.set_permissions(m.permissions())?;
        }
        let mut w = std::io::BufWriter::new(file);
        let n = write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &target)?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(cannot)
}

pub fn verify(json: bool, ctx: &Context, out: &mut Out) -> Result<()> {
    let store = ctx.open_read()?;
    let report = demarche::verify::verify(&store)?;
    if json {
        return out.json(&report);
    }
    out.line(&format!(
        "ok: {} envelopes, hash chain intact (head {}), id index and {} projections match a fresh replay",
        report.envelopes,
        &report.head_hash[..16.min(report.head_hash.len())],
        report.projections_checked
    ))
}

pub fn rebuild(ctx: &Context, out: &mut Out) -> Result<()> {
    let mut store = ctx.open_read()?;
    let started = std::time::Instant::now();
    let n = store.rebuild()?;
    out.line(&format!(
        "rebuilt projections from {n} envelopes in {:.2} s",
        started.elapsed().as_secs_f64()
    ))
}

/// Import the built-in story (idempotent) and show who said what about the
/// Russian proposal, with the commands to go further.
pub fn demo(ctx: &Context, out: &mut Out) -> Result<()> {
    // The import and the query share one open: a store that has written
    // keeps its lock until the process ends.
    let shown = ctx.write(|store| {
        let mut batch = store.batch();
        let input = Input::from_bytes("story", demarche::STORY.as_bytes().to_vec());
        import::read_all(&mut batch, Format::Jsonl, vec![input], &mut |_| {})?;
        let summary = batch.commit()?;
        // What follows the commit only reads: its failure (a closed pipe)
        // must not undo the import.
        Ok(show_demo(ctx, store, &summary, out))
    })?;
    shown
}

fn show_demo(ctx: &Context, store: &Store, summary: &Summary, out: &mut Out) -> Result<()> {
    out.line(&format!("database: {}", ctx.db.display()))?;
    out.line(&format!(
        "{} (the story: BuzzFeed News, 13 September 2017, \"Putin Spokesman Confirms Russia Offered A Reset With Trump\")",
        import::describe(summary, false)
    ))?;
    out.line("")?;
    out.line("Who said what about the March 2017 proposal (demarche said --about russia-normalization-proposal):")?;
    out.line("")?;
    super::said::said_in(
        super::said::SaidArgs::about("russia-normalization-proposal"),
        store,
        out,
    )?;
    out.line("")?;
    out.line("Next, try: demarche said --by Peskov --json; demarche history peskov-confirms-proposals; demarche verify")
}
