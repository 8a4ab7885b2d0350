//! Projections: indexes derived from the log, kept in their own spaces with
//! the last seq applied. They are one fold over the log, driven by the same
//! code for appends, catch-up on open, `rebuild` and `verify`'s replay, so
//! applying events one batch at a time equals a full replay.
//!
//! Index entries are only ever added: when a correction changes a field, the
//! event is indexed under its new values too, and readers re-check every
//! candidate against the event as it stands at the moment they ask about.
//! That keeps as-of views exact without rewriting history.

use std::collections::BTreeMap;

use foldhash::HashMap as FastMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::{ActorKind, Event, Ref};
use crate::store::{key_seq, missing, seq_key, Backend, Envelope, Store};
use crate::view::{self, LogRead};

pub mod brief;
pub mod outline;

use outline::{Outline, Outlines};

/// "applied" → last seq applied; "version" → [`VERSION`] of the layout.
pub const P_META: &str = "p_meta";
/// actor id → [`ActorRecord`] (JSON).
pub const P_ACTORS: &str = "p_actors";
/// A posting list (see [`Postings`]) per actor, keyed by actor id, 0, of
/// the events that involve it: each entry is the seq shifted left by
/// `ROLE_BITS`, the role's number in the bits below. One list per actor
/// rather than per role keeps sled's table of pages, and so every open,
/// small.
pub const P_INVOLVES: &str = "p_involves";
/// target seq, seq → kind: corrections (`c`) and retractions (`r`) of an
/// event; and under `AMENDED`, the seqs of every event that has one, as
/// a posting list (see [`Postings::encode`]).
pub const P_AMENDS: &str = "p_amends";
/// seq → stored line of every correction and retraction and of every event
/// they target, so that reading an event as corrected reads a few small
/// values instead of a log block each.
pub const P_AMENDING: &str = "p_amending";
/// Statements about events, as [`About`] buckets.
pub const P_ABOUT: &str = "p_about";
/// Statements and actions by date, as [`Timeline`] buckets: scanned in key
/// order they give the timeline.
pub const P_TIME: &str = "p_time";
/// Posting lists keyed by tag, 0.
pub const P_TAGS: &str = "p_tags";
/// Posting lists keyed by type letter.
pub const P_TYPES: &str = "p_types";

/// Statements as stored in the log, grouped by speaker in compressed
/// chunks, so that "what did X say" reads a few values (see [`Said`]).
pub const P_SAID: &str = "p_said";

/// What the relation graph reads of each statement, action and
/// affiliation as logged, in buckets of consecutive seqs (see [`outline`]).
pub const P_OUTLINE: &str = "p_outline";

/// Every projection space.
pub const SPACES: &[&str] = &[
    P_SAID, P_OUTLINE, P_META, P_ACTORS, P_INVOLVES, P_AMENDS, P_AMENDING, P_ABOUT, P_TIME, P_TAGS,
    P_TYPES,
];

const APPLIED: &[u8] = b"applied";
/// The key of the amended events in [`P_AMENDS`] (never 16 bytes long, as
/// the keys of amendments are).
const AMENDED: &[u8] = b"amended";
const VERSION_KEY: &[u8] = b"version";
/// Present while an import builds the projections beside its appending.
const FOLDING: &[u8] = b"folding";
/// The layout of the projections. Projections written with another layout
/// are dropped and replayed from the log on the next catch-up.
pub const VERSION: &[u8] = b"8";

/// Bits of a [`P_INVOLVES`] entry that hold the role.
const ROLE_BITS: u32 = 3;

/// How an actor takes part in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Said a statement.
    Speaker,
    /// Took an action.
    Actor,
    /// Was the target of an action.
    Target,
    /// Was addressed by a statement (`to`).
    Addressee,
    /// Was mentioned by a statement.
    Mention,
    /// Is the member side of an affiliation.
    Member,
    /// Is the organisation side of an affiliation.
    Org,
}

impl Role {
    /// The role's number in [`Role::ALL`], kept in the low bits of the
    /// entries of [`P_INVOLVES`].
    fn code(self) -> u64 {
        match self {
            Role::Speaker => 0,
            Role::Actor => 1,
            Role::Target => 2,
            Role::Addressee => 3,
            Role::Mention => 4,
            Role::Member => 5,
            Role::Org => 6,
        }
    }

    /// Every role.
    pub const ALL: [Role; 7] = [
        Role::Speaker,
        Role::Actor,
        Role::Target,
        Role::Addressee,
        Role::Mention,
        Role::Member,
        Role::Org,
    ];
}

/// The letter under which an event type is indexed in [`P_TYPES`].
pub fn type_letter(event: &Event) -> u8 {
    match event {
        Event::Actor(_) => b'a',
        Event::Affiliation(_) => b'f',
        Event::Statement(_) => b's',
        Event::Action(_) => b'x',
        Event::Correction(_) => b'c',
        Event::Retraction(_) => b'r',
    }
}

/// An actor's profile, merged from all its registrations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorRecord {
    pub id: String,
    pub name: String,
    pub kind: ActorKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wikidata: Option<String>,
    /// Seqs of the registrations, in log order.
    pub registrations: Vec<u64>,
}

/// The projection's last applied seq.
pub fn applied(backend: &dyn Backend) -> Result<u64> {
    Ok(backend
        .get(P_META, APPLIED)?
        .and_then(|b| key_seq(&b, false))
        .unwrap_or(0))
}

/// Bring the store's projections up to its head.
pub fn catch_up(store: &Store) -> Result<()> {
    let backend = store.backend();
    let mut from = applied(backend)? + 1;
    let head = store.head().seq;
    // Projections built beside an import that did not end (see
    // [`begin_fold`]), or past the head for any reason, may hold events the
    // log does not: start from scratch.
    if folding(backend)? || from > head.saturating_add(1) {
        clear_all(backend)?;
        from = 1;
    }
    if from > 1 && backend.get(P_META, VERSION_KEY)?.as_deref() != Some(VERSION) {
        clear_all(backend)?;
        from = 1;
    }
    if from == 1 && head > 0 {
        // Nothing applied, yet something stored: a rebuild (or a first
        // catch-up) was interrupted, and what it left is not a prefix of
        // the projections that can be added to. Start from scratch.
        for space in SPACES {
            if backend.last(space)?.is_some() {
                clear_all(backend)?;
                break;
            }
        }
    }
    if from <= head {
        apply_range(store, backend, from, head)?;
    }
    Ok(())
}

/// Drop every projection and replay the whole log into them.
pub fn rebuild(store: &Store) -> Result<()> {
    clear_all(store.backend())?;
    apply_range(store, store.backend(), 1, store.head().seq)
}

/// Empty every projection space, forgetting what was applied first and
/// whether an import was building them last: killed part way, this leaves
/// nothing applied or a build still marked unfinished, and the next
/// catch-up starts over.
pub fn clear_all(backend: &dyn Backend) -> Result<()> {
    backend.write(
        P_META,
        vec![(APPLIED.to_vec(), None), (VERSION_KEY.to_vec(), None)],
    )?;
    for space in SPACES.iter().filter(|s| **s != P_META) {
        backend.clear(space)?;
    }
    backend.clear(P_META)
}

/// Whether the projections are empty, nothing applied.
pub fn is_empty(backend: &dyn Backend) -> Result<bool> {
    for space in SPACES {
        if backend.last(space)?.is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Mark the projections as being built beside an import, before anything
/// of it is written to them: until [`end_fold`], they may hold events that
/// the log does not (yet), and an open that finds the mark clears them and
/// replays the log. Synced, so that the mark is on disk before they are.
pub fn begin_fold(backend: &dyn Backend) -> Result<()> {
    backend.put(P_META, FOLDING, b"1")?;
    backend.sync()
}

/// Remove the mark of [`begin_fold`], once the head has moved past every
/// event the projections hold.
pub fn end_fold(backend: &dyn Backend) -> Result<()> {
    backend.write(P_META, vec![(FOLDING.to_vec(), None)])
}

fn folding(backend: &dyn Backend) -> Result<bool> {
    Ok(backend.get(P_META, FOLDING)?.is_some())
}

/// The log as the projector reads it: its envelopes, lines and ids.
pub trait Source: LogRead {
    /// The seq of an event id.
    fn seq_of(&self, id: &str) -> Result<Option<u64>>;
    /// The stored line of an envelope.
    fn line(&self, seq: u64) -> Result<Option<Vec<u8>>>;
}

impl Source for Store {
    fn seq_of(&self, id: &str) -> Result<Option<u64>> {
        Store::seq_of(self, id)
    }

    fn line(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        Store::line(self, seq)
    }
}

/// Envelopes handed to the projections as an import appends them.
#[derive(Debug, Default)]
pub struct Group {
    /// Their seqs and stored lines; only those of statements, corrections
    /// and retractions are read (the others may be left empty).
    pub lines: Vec<Record>,
    pub envelopes: Vec<Envelope>,
    /// The stored lines of the events that their corrections and
    /// retractions target, which the projections keep apart: the import
    /// has read them to check the amendments, and hands them on so that
    /// they need not be read from the log again.
    pub targets: Vec<Record>,
}

/// Apply envelopes handed over in groups, in log order from the first seq
/// after what `out` holds: an import's own events, as it appends them.
pub fn apply_groups(
    log: &dyn Source,
    out: &dyn Backend,
    groups: impl IntoIterator<Item = Group>,
) -> Result<()> {
    let mut p = Projector::new(log, out, u64::MAX, Pace::default());
    let mut last = applied(out)?;
    for group in groups {
        if let Some((seq, _)) = group.lines.last() {
            last = *seq;
        }
        p.handed.extend(group.targets);
        p.take(group.lines, group.envelopes)?;
    }
    p.flush(last, true)
}

/// Replay the whole log into a fresh in-memory backend, for comparing with
/// the stored projections.
pub fn replay(store: &Store) -> Result<crate::store::MemBackend> {
    let mem = crate::store::MemBackend::default();
    apply_range(store, &mem, 1, store.head().seq)?;
    Ok(mem)
}

/// Apply the envelopes `from..=to` of `log` to the projections in `out`.
pub fn apply_range(log: &Store, out: &dyn Backend, from: u64, to: u64) -> Result<()> {
    apply_paced(log, out, from, to, Pace::default())
}

/// How often a catch-up writes what it gathered.
#[derive(Debug, Clone, Copy)]
struct Pace {
    /// Envelopes between two flushes.
    flush_every: usize,
    /// Most bytes of statement lines held back over a flush.
    hold_bytes: usize,
    /// Envelopes decoded together; a shorter run is read through the
    /// block cache and decoded on the spot.
    batch: usize,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            flush_every: 100_000,
            hold_bytes: Said::HOLD_BYTES,
            batch: DECODE_BATCH,
        }
    }
}

fn apply_paced(log: &Store, out: &dyn Backend, from: u64, to: u64, pace: Pace) -> Result<()> {
    let mut p = Projector::new(log, out, to, pace);
    if to < from.saturating_add(pace.batch as u64) {
        // A few events (a command's own): through the block cache.
        let batch = log
            .scan_lines(from)
            .take_while(|item| item.as_ref().map_or(true, |(seq, _)| *seq <= to))
            .collect::<Result<Vec<_>>>()?;
        let envelopes = crate::store::decode_many(&batch)?;
        p.take(batch, envelopes)?;
        return p.flush(to, true);
    }
    // A long run: the stored blocks are read here a few dozen at a time;
    // a thread of its own unpacks and decodes them, the next group while
    // this one is applied.
    let mut blocks = log.raw_blocks(from, to);
    let per_group = (pace.batch as u64 / crate::store::layout::BLOCK).max(1) as usize;
    let mut read = move || -> Result<Vec<Stored>> { blocks.by_ref().take(per_group).collect() };
    let unpack = |group: Vec<Stored>| -> Unpacked {
        let mut lines = Vec::new();
        for (no, bytes) in group {
            let block = crate::store::layout::Block::decode(no, &bytes)?;
            let first = block.first;
            lines.extend(
                (first..)
                    .zip(block.lines)
                    .filter(|(seq, _)| (from..=to).contains(seq)),
            );
        }
        let envelopes = lines
            .iter()
            .map(|(_, line)| crate::store::decode_stored(line))
            .collect::<Result<Vec<_>>>()?;
        Ok((lines, envelopes))
    };
    let mut next_seq = from;
    std::thread::scope(|scope| -> Result<()> {
        let (to_unpack, groups) = std::sync::mpsc::sync_channel::<Vec<Stored>>(2);
        let (unpacked_out, unpacked) = std::sync::mpsc::sync_channel::<Unpacked>(2);
        scope.spawn(move || {
            for group in groups {
                if unpacked_out.send(unpack(group)).is_err() {
                    break;
                }
            }
        });
        let lost = || Error::Storage("the decoding thread stopped".into());
        // At most two groups on their way: neither channel ever fills.
        let mut in_flight = 0;
        let mut more = true;
        loop {
            while more && in_flight < 2 {
                let group = read()?;
                if group.is_empty() {
                    more = false;
                } else {
                    to_unpack.send(group).map_err(|_| lost())?;
                    in_flight += 1;
                }
            }
            if in_flight == 0 {
                break;
            }
            let (lines, envelopes) = unpacked.recv().map_err(|_| lost())??;
            in_flight -= 1;
            for (seq, _) in &lines {
                if *seq != next_seq {
                    return Err(missing(next_seq));
                }
                next_seq += 1;
            }
            p.take(lines, envelopes)?;
        }
        Ok(())
    })?;
    if next_seq <= to {
        return Err(missing(next_seq));
    }
    p.flush(to, true)
}

/// A stored log block: its number and compressed bytes.
type Stored = (u64, Vec<u8>);

/// Lines of the log (seq and line) with their envelopes, or why they could
/// not be read.
type Unpacked = Result<(Vec<Record>, Vec<Envelope>)>;

/// Envelopes decoded together by [`apply_range`].
const DECODE_BATCH: usize = 8192;

struct Projector<'a> {
    log: &'a dyn Source,
    out: &'a dyn Backend,
    to: u64,
    pace: Pace,
    /// New seqs by space and list, each list under its base key.
    postings: FastMap<&'static str, FastMap<Vec<u8>, Vec<u64>>>,
    /// Where a list's base key is put together, to look it up without
    /// allocating one per seq.
    base: Vec<u8>,
    /// (date order key, seq) pairs by [`Timeline`] bucket.
    time: BTreeMap<u64, Vec<([u8; 17], u64)>>,
    /// (event, statement about it) pairs by [`About`] bucket.
    about: BTreeMap<u64, Vec<(u64, u64)>>,
    /// (seq, outline record) pairs by [`Outlines`] bucket.
    outlines: BTreeMap<u64, Vec<(u64, Vec<u8>)>>,
    /// Statements by speaker, for [`P_SAID`]: the new ones, and those held
    /// over a flush because they do not fill a chunk.
    said: BTreeMap<String, Vec<Stated>>,
    /// By speaker, the number of statements and the last seq of the stored
    /// last chunk when it is not full (0 when it is), as far as known.
    said_tails: FastMap<String, (usize, u64)>,
    /// Bytes of the lines in `said` (their briefs add a tenth or less).
    said_bytes: usize,
    actors: FastMap<String, ActorRecord>,
    /// Lines for [`P_AMENDING`] since the last flush, by seq.
    amending: BTreeMap<u64, Vec<u8>>,
    /// Amendments since the last flush, by target seq: the seq and kind of
    /// each, for [`P_AMENDS`] and [`AMENDED`]. Later events of the same run read them with
    /// the stored ones (see `amends_of`); they are written at the flush, as
    /// sled writes out its buffer for every single write.
    amends: FastMap<u64, Vec<(u64, u8)>>,
    /// Lines of amended events handed over with the amendments (see
    /// [`Group::targets`]), until the amendment is applied.
    handed: FastMap<u64, Vec<u8>>,
    buffered: usize,
}

impl LogRead for Projector<'_> {
    fn envelope_at(&self, seq: u64) -> Result<Option<Envelope>> {
        self.log.envelope_at(seq)
    }

    /// Amendments and their targets are read from the lines gathered for
    /// [`P_AMENDING`], or stored there, rather than from their log blocks.
    fn amendment_at(&self, seq: u64) -> Result<Option<Envelope>> {
        if let Some(line) = self.amending.get(&seq) {
            return crate::store::decode_stored(line).map(Some);
        }
        match amending_envelope(self.out, seq)? {
            Some(env) => Ok(Some(env)),
            None => self.log.envelope_at(seq),
        }
    }

    fn amends_of(&self, seq: u64) -> Result<Vec<u64>> {
        let to = self.to;
        let mut all = amends_of(self.out, seq)?;
        if let Some(new) = self.amends.get(&seq) {
            all.extend(new.iter().map(|(s, _)| *s));
            all.sort_unstable();
            all.dedup();
        }
        Ok(all.into_iter().filter(|s| *s <= to).collect())
    }
}

impl<'a> Projector<'a> {
    fn new(log: &'a dyn Source, out: &'a dyn Backend, to: u64, pace: Pace) -> Projector<'a> {
        Projector {
            log,
            out,
            to,
            pace,
            postings: FastMap::default(),
            base: Vec::new(),
            about: BTreeMap::new(),
            outlines: BTreeMap::new(),
            time: BTreeMap::new(),
            said: BTreeMap::new(),
            actors: FastMap::default(),
            said_tails: FastMap::default(),
            said_bytes: 0,
            amending: BTreeMap::new(),
            amends: FastMap::default(),
            handed: FastMap::default(),
            buffered: 0,
        }
    }

    /// Apply a batch of lines and their envelopes, flushing on the way.
    fn take(&mut self, batch: Vec<Record>, envelopes: Vec<Envelope>) -> Result<()> {
        for ((seq, line), env) in batch.into_iter().zip(envelopes) {
            self.apply(&env, &line)?;
            if let Event::Statement(s) = &env.event {
                let brief = brief::encode(&env.id, s, &line);
                self.said_bytes += line.len();
                let stated = Stated { seq, line, brief };
                match self.said.get_mut(&s.speaker) {
                    Some(lines) => lines.push(stated),
                    None => {
                        self.said.insert(s.speaker.clone(), vec![stated]);
                    }
                }
            }
            self.buffered += 1;
            // Each flush rewrites the last chunk of every list it touches:
            // flushing seldom keeps that rewriting (and sled's garbage) small.
            if self.buffered >= self.pace.flush_every {
                self.flush(seq, false)?;
            }
        }
        Ok(())
    }

    /// Add `seq` to the list of `space` whose base key `base` puts
    /// together (after clearing the buffer it is given).
    fn add(&mut self, space: &'static str, base: impl FnOnce(&mut Vec<u8>), seq: u64) {
        self.base.clear();
        base(&mut self.base);
        let lists = self.postings.entry(space).or_default();
        match lists.get_mut(self.base.as_slice()) {
            Some(seqs) => seqs.push(seq),
            None => {
                lists.insert(self.base.clone(), vec![seq]);
            }
        }
    }

    /// Write what was gathered. The last flush of a run writes everything;
    /// one on the way writes statements only in full chunks and holds the
    /// rest back (within [`Pace::hold_bytes`]), so that a chunk is written
    /// once instead of being rewritten at every flush while it fills. The
    /// applied seq then stops short of the first statement held back: a
    /// run cut short resumes from there, and what it applies again is
    /// already in the projections and skipped.
    fn flush(&mut self, applied_to: u64, last: bool) -> Result<()> {
        let mut writes: BTreeMap<&'static str, Vec<crate::store::Write>> = BTreeMap::new();
        // In key order, so that sled sees sorted inserts.
        let mut postings: Vec<_> = std::mem::take(&mut self.postings)
            .into_iter()
            .flat_map(|(space, lists)| {
                lists
                    .into_iter()
                    .map(move |(base, seqs)| ((space, base), seqs))
            })
            .collect();
        postings.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for ((space, base), seqs) in postings {
            writes
                .entry(space)
                .or_default()
                .extend(Postings::merge(self.out, space, &base, seqs)?);
        }
        for (bucket, pairs) in std::mem::take(&mut self.about) {
            let write = merge_bucket(
                self.out,
                P_ABOUT,
                bucket,
                pairs,
                About::decode,
                About::encode,
            )?;
            writes.entry(P_ABOUT).or_default().push(write);
        }
        for (bucket, pairs) in std::mem::take(&mut self.time) {
            let write = merge_bucket(
                self.out,
                P_TIME,
                bucket,
                pairs,
                Timeline::decode,
                Timeline::encode,
            )?;
            writes.entry(P_TIME).or_default().push(write);
        }
        if !self.outlines.is_empty() {
            writes.insert(P_OUTLINE, self.outline_writes()?);
        }
        if !self.amending.is_empty() {
            writes.entry(P_AMENDING).or_default().extend(
                std::mem::take(&mut self.amending)
                    .into_iter()
                    .map(|(seq, line)| (seq_key(seq).to_vec(), Some(line))),
            );
        }
        if !self.amends.is_empty() {
            let mut all = amended_seqs(self.out)?;
            all.extend(self.amends.keys());
            all.sort_unstable();
            all.dedup();
            writes
                .entry(P_AMENDS)
                .or_default()
                .push((AMENDED.to_vec(), Some(Postings::encode(&all))));
        }
        for (tseq, amends) in self.amends.drain() {
            writes.entry(P_AMENDS).or_default().extend(
                amends
                    .into_iter()
                    .map(|(seq, kind)| ([seq_key(tseq), seq_key(seq)].concat(), Some(vec![kind]))),
            );
        }
        let (said, held_from) = self.said_writes(last)?;
        if !said.is_empty() {
            writes.insert(P_SAID, said);
        }
        let applied_to = held_from.map_or(applied_to, |h| h - 1);
        for (space, entries) in writes {
            self.out.write(space, entries)?;
        }
        let actors: Vec<_> = self
            .actors
            .drain()
            .map(|(id, rec)| {
                (
                    id.into_bytes(),
                    Some(serde_json::to_vec(&rec).unwrap_or_default()),
                )
            })
            .collect();
        if !actors.is_empty() {
            self.out.write(P_ACTORS, actors)?;
        }
        self.out.write(
            P_META,
            vec![
                (VERSION_KEY.to_vec(), Some(VERSION.to_vec())),
                (APPLIED.to_vec(), Some(seq_key(applied_to).to_vec())),
            ],
        )?;
        self.out.release()?;
        self.buffered = 0;
        Ok(())
    }

    /// The writes of the outlines gathered, each bucket merged with what is
    /// stored of it (an event applied again is kept once). Buckets past the
    /// last one stored are new: nothing to read.
    fn outline_writes(&mut self) -> Result<Vec<crate::store::Write>> {
        let stored_last = self
            .out
            .last(P_OUTLINE)?
            .and_then(|(key, _)| key_seq(&key, false));
        let mut writes = Vec::with_capacity(self.outlines.len());
        for (bucket, mut records) in std::mem::take(&mut self.outlines) {
            let key = seq_key(bucket);
            if stored_last.is_some_and(|last| bucket <= last) {
                if let Some(stored) = self.out.get(P_OUTLINE, &key)? {
                    records.extend(Outlines::decode(&stored)?);
                    records.sort_by_key(|(seq, _)| *seq);
                    records.dedup_by_key(|(seq, _)| *seq);
                }
            }
            writes.push((key.to_vec(), Some(Outlines::encode(&records)?)));
        }
        Ok(writes)
    }

    /// The writes of the statements gathered for [`P_SAID`], and the first
    /// seq held back, if any (see [`Self::flush`]).
    fn said_writes(&mut self, last: bool) -> Result<(Vec<crate::store::Write>, Option<u64>)> {
        let hold = !last && self.said_bytes <= self.pace.hold_bytes;
        let mut chunks = Vec::new();
        let mut held_from: Option<u64> = None;
        let mut held_bytes = 0;
        for (speaker, mut lines) in std::mem::take(&mut self.said) {
            if !hold {
                self.said_tails.remove(&speaker);
                chunks.extend(Said::merge(self.out, &speaker, lines)?);
                continue;
            }
            let (stored, stored_last) = match self.said_tails.get(&speaker) {
                Some(t) => *t,
                None => Said::stored_tail(self.out, &speaker)?,
            };
            lines.retain(|r| r.seq > stored_last);
            // Write what fills chunks; hold the rest.
            let total = stored + lines.len();
            let now = (total - total % Said::CHUNK).saturating_sub(stored);
            let rest = lines.split_off(now);
            let tail = match lines.last() {
                Some(r) => (0, r.seq),
                None => (stored, stored_last),
            };
            self.said_tails.insert(speaker.clone(), tail);
            if let Some(first) = rest.first() {
                held_from = Some(held_from.map_or(first.seq, |h| h.min(first.seq)));
                held_bytes += rest.iter().map(|r| r.line.len()).sum::<usize>();
                self.said.insert(speaker.clone(), rest);
            }
            if !lines.is_empty() {
                chunks.extend(Said::merge(self.out, &speaker, lines)?);
            }
        }
        self.said_bytes = held_bytes;
        Ok((Said::encode_all(&chunks)?, held_from))
    }

    /// Apply one envelope; `line` is its stored line.
    fn apply(&mut self, env: &Envelope, line: &[u8]) -> Result<()> {
        let seq = env.seq;
        let letter = type_letter(&env.event);
        self.add(P_TYPES, |b| b.push(letter), seq);
        match &env.event {
            Event::Actor(a) => {
                let mut rec = match self.actors.remove(&a.id) {
                    Some(r) => Some(r),
                    None => actor(self.out, &a.id)?,
                };
                if rec
                    .as_ref()
                    .and_then(|r| r.registrations.last())
                    .is_some_and(|l| *l >= seq)
                {
                    // Already applied before an interrupted catch-up.
                    if let Some(r) = rec {
                        self.actors.insert(a.id.clone(), r);
                    }
                    return Ok(());
                }
                let rec = match rec.take() {
                    None => ActorRecord {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        kind: a.kind,
                        aliases: Vec::new(),
                        country: None,
                        description: None,
                        wikidata: None,
                        registrations: Vec::new(),
                    },
                    Some(r) => r,
                };
                let mut rec = rec;
                rec.name = a.name.clone();
                rec.kind = a.kind;
                for alias in &a.aliases {
                    if !rec.aliases.contains(alias) {
                        rec.aliases.push(alias.clone());
                    }
                }
                if a.country.is_some() {
                    rec.country = a.country.clone();
                }
                if a.description.is_some() {
                    rec.description = a.description.clone();
                }
                if a.wikidata.is_some() {
                    rec.wikidata = a.wikidata.clone();
                }
                rec.registrations.push(seq);
                self.actors.insert(a.id.clone(), rec);
            }
            Event::Correction(c) => self.amend(&c.target, seq, line, b'c', true)?,
            Event::Retraction(r) => self.amend(&r.target, seq, line, b'r', false)?,
            event => {
                let about = self.about_seqs(event)?;
                if let Some(mut outline) = Outline::of(&env.id, event) {
                    outline.set_about_seqs(&about);
                    let mut record = Vec::with_capacity(96);
                    outline.encode(&mut record);
                    self.outlines
                        .entry(seq / Outlines::BUCKET)
                        .or_default()
                        .push((seq, record));
                }
                self.index(seq, event, &about)?;
            }
        }
        Ok(())
    }

    fn amend(
        &mut self,
        target: &str,
        seq: u64,
        line: &[u8],
        kind: u8,
        reindex: bool,
    ) -> Result<()> {
        let Some(tseq) = self.log.seq_of(target)? else {
            return Err(Error::Damaged(format!(
                "seq {seq}: target \"{target}\" is not in the log"
            )));
        };
        self.amending.insert(seq, line.to_vec());
        // The target's line: handed over, or kept apart already if it was
        // amended before, else read from the log.
        let handed = self.handed.remove(&tseq);
        if !self.amending.contains_key(&tseq) {
            let target_line = match handed {
                Some(line) => Some(line),
                None => match amending_line(self.out, tseq)? {
                    Some(line) => Some(line),
                    None => self.log.line(tseq)?,
                },
            };
            if let Some(target_line) = target_line {
                self.amending.insert(tseq, target_line);
            }
        }
        self.amends.entry(tseq).or_default().push((seq, kind));
        if reindex {
            // A correction of a correction changes the event at the root.
            let mut root = tseq;
            while let Some(env) = self.amendment_at(root)? {
                match &env.event {
                    Event::Correction(c) => match self.log.seq_of(&c.target)? {
                        Some(t) => root = t,
                        None => break,
                    },
                    _ => break,
                }
            }
            if let Some(cur) = view::current(self, root, seq)? {
                let about = self.about_seqs(&cur.event)?;
                self.index(root, &cur.event, &about)?;
            }
        }
        Ok(())
    }

    /// The seqs of the events a statement is about, 0 for one not in the
    /// log (events are recorded before they are referred to, so none
    /// should be); empty for other events.
    fn about_seqs(&self, event: &Event) -> Result<Vec<u64>> {
        match event {
            Event::Statement(s) => s
                .about
                .iter()
                .map(|about| Ok(self.log.seq_of(about)?.unwrap_or(0)))
                .collect(),
            _ => Ok(Vec::new()),
        }
    }

    /// Index `event` at `seq`; `about` are its [`Self::about_seqs`].
    fn index(&mut self, seq: u64, event: &Event, about: &[u64]) -> Result<()> {
        if let Some(date) = event.date() {
            let key = date.order_key().to_bytes();
            self.time
                .entry(Timeline::bucket(&key))
                .or_default()
                .push((key, seq));
        }
        for tag in event.tags() {
            self.add(P_TAGS, |b| put_tag_base(b, tag), seq);
        }
        for (role, id) in roles(event) {
            self.add(
                P_INVOLVES,
                |b| put_involves_base(b, id),
                seq << ROLE_BITS | role.code(),
            );
        }
        for &t in about.iter().filter(|&&t| t != 0) {
            self.about
                .entry(t / About::BUCKET)
                .or_default()
                .push((t, seq));
        }
        Ok(())
    }
}

/// Each actor an event involves, with the role.
pub fn roles(event: &Event) -> Vec<(Role, &str)> {
    event
        .refs()
        .into_iter()
        .filter_map(|r| match (event, r) {
            (_, Ref::Event { .. }) => None,
            (
                Event::Statement(_),
                Ref::Actor {
                    field: "speaker",
                    id,
                },
            ) => Some((Role::Speaker, id)),
            (Event::Statement(_), Ref::Actor { field: "to", id }) => Some((Role::Addressee, id)),
            (Event::Statement(_), Ref::Actor { id, .. }) => Some((Role::Mention, id)),
            (Event::Action(_), Ref::Actor { field: "actor", id }) => Some((Role::Actor, id)),
            (Event::Action(_), Ref::Actor { id, .. }) => Some((Role::Target, id)),
            (Event::Affiliation(_), Ref::Actor { field: "actor", id }) => Some((Role::Member, id)),
            (Event::Affiliation(_), Ref::Actor { id, .. }) => Some((Role::Org, id)),
            _ => None,
        })
        .collect()
}

fn involves_base(actor: &str) -> Vec<u8> {
    let mut base = Vec::new();
    put_involves_base(&mut base, actor);
    base
}

fn put_involves_base(base: &mut Vec<u8>, actor: &str) {
    base.extend_from_slice(actor.as_bytes());
    base.push(0);
}

fn tag_base(tag: &str) -> Vec<u8> {
    let mut base = Vec::new();
    put_tag_base(&mut base, tag);
    base
}

fn put_tag_base(base: &mut Vec<u8>, tag: &str) {
    base.extend_from_slice(tag.as_bytes());
    base.push(0);
}

/// The registered actor with this id.
pub fn actor(backend: &dyn Backend, id: &str) -> Result<Option<ActorRecord>> {
    backend
        .get(P_ACTORS, id.as_bytes())?
        .map(|b| {
            serde_json::from_slice(&b)
                .map_err(|e| Error::Damaged(format!("actor record {id:?} is unreadable: {e}")))
        })
        .transpose()
}

/// Every registered actor, by id.
pub fn actors(backend: &dyn Backend) -> Result<Vec<ActorRecord>> {
    backend
        .scan_prefix(P_ACTORS, b"")
        .map(|item| {
            let (k, v) = item?;
            serde_json::from_slice(&v).map_err(|e| {
                Error::Damaged(format!(
                    "actor record {:?} is unreadable: {e}",
                    String::from_utf8_lossy(&k)
                ))
            })
        })
        .collect()
}

/// Corrections and retractions of the event at `seq`, ascending.
pub fn amends_of(backend: &dyn Backend, seq: u64) -> Result<Vec<u64>> {
    seqs_under(backend, P_AMENDS, &seq_key(seq))
}

/// Statements about the event at `seq`, ascending (candidates: re-check).
pub fn about(backend: &dyn Backend, seq: u64) -> Result<Vec<u64>> {
    About::read(backend, seq)
}

/// Events that involve `actor` in one of `roles`, ascending, without
/// repeats (candidates: re-check).
pub fn involving(backend: &dyn Backend, actor: &str, roles: &[Role]) -> Result<Vec<u64>> {
    Ok(Involving::read(backend, actor)?.of(roles))
}

/// An actor's stored list of involvements, read once for several
/// questions (see [`P_INVOLVES`]).
pub struct Involving(Vec<u64>);

impl Involving {
    pub fn read(backend: &dyn Backend, actor: &str) -> Result<Involving> {
        Postings::read(backend, P_INVOLVES, &involves_base(actor)).map(Involving)
    }

    /// The events in which the actor plays one of `roles`, ascending,
    /// without repeats (candidates: re-check).
    pub fn of(&self, roles: &[Role]) -> Vec<u64> {
        let wanted = roles.iter().fold(0u8, |bits, r| bits | 1 << r.code());
        let mut out: Vec<u64> = self
            .0
            .iter()
            .filter(|&&entry| wanted & 1 << (entry & ((1 << ROLE_BITS) - 1)) != 0)
            .map(|entry| entry >> ROLE_BITS)
            .collect();
        // Ascending already: an event with several roles repeats its seq.
        out.dedup();
        out
    }
}

/// Events carrying `tag`, ascending (candidates: re-check).
pub fn tagged(backend: &dyn Backend, tag: &str) -> Result<Vec<u64>> {
    Postings::read(backend, P_TAGS, &tag_base(tag))
}

/// Events of one type (see [`type_letter`]), ascending.
pub fn of_type(backend: &dyn Backend, letter: u8) -> Result<Vec<u64>> {
    Postings::read(backend, P_TYPES, &[letter])
}

/// Statements and actions in timeline order, each with the order key it was
/// indexed under (an event whose date was corrected appears under each of
/// its dates; keep the entry that matches its current date).
pub fn timeline(backend: &dyn Backend) -> impl Iterator<Item = Result<([u8; 17], u64)>> + '_ {
    backend
        .scan_prefix(P_TIME, b"")
        .flat_map(|item| -> Vec<Result<([u8; 17], u64)>> {
            match item.and_then(|(_, v)| Timeline::decode(&v)) {
                Ok(pairs) => pairs.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            }
        })
}

/// The date index: pairs (17-byte date order key, seq) in buckets keyed by
/// the earliest instant of the date, in spans of 2^30 ms (about 12 days),
/// so that a log of millions of events has a few hundred keys here, not one
/// per distinct date. A bucket holds its pairs sorted, each as the length
/// of the prefix shared with the previous key (one byte), the rest of the
/// key, and the seq (LEB128). The value depends only on the set of pairs.
pub struct Timeline;

impl Timeline {
    /// The bucket of an order key: the top bits of its earliest instant.
    fn bucket(key: &[u8; 17]) -> u64 {
        let mut earliest = [0u8; 8];
        earliest.copy_from_slice(&key[..8]);
        u64::from_be_bytes(earliest) >> 30
    }

    fn encode(pairs: &[([u8; 17], u64)]) -> Vec<u8> {
        let mut out = Vec::with_capacity(pairs.len() * 8);
        let mut prev = [0u8; 17];
        for (key, seq) in pairs {
            let shared = prev.iter().zip(key).take_while(|(a, b)| a == b).count();
            out.push(shared as u8);
            out.extend_from_slice(&key[shared..]);
            crate::store::layout::varint(&mut out, *seq);
            prev = *key;
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Vec<([u8; 17], u64)>> {
        let bad = || Error::Damaged("a bucket of p_time is unreadable".into());
        let mut out = Vec::new();
        let mut rest = bytes;
        let mut key = [0u8; 17];
        while let Some((&shared, r)) = rest.split_first() {
            let shared = usize::from(shared);
            let tail = r
                .get(..17usize.checked_sub(shared).ok_or_else(bad)?)
                .ok_or_else(bad)?;
            key[shared..].copy_from_slice(tail);
            let (seq, r) = crate::store::layout::read_varint(&r[tail.len()..]).ok_or_else(bad)?;
            out.push((key, seq));
            rest = r;
        }
        Ok(out)
    }
}

/// The bucket `bucket` of `space` (see [`Timeline`] and [`About`]) with
/// `new` pairs added: the stored ones and the new, sorted, without repeats.
fn merge_bucket<T: Ord>(
    backend: &dyn Backend,
    space: &str,
    bucket: u64,
    mut new: Vec<T>,
    decode: fn(&[u8]) -> Result<Vec<T>>,
    encode: fn(&[T]) -> Vec<u8>,
) -> Result<crate::store::Write> {
    let key = seq_key(bucket).to_vec();
    if let Some(stored) = backend.get(space, &key)? {
        new.extend(decode(&stored)?);
    }
    new.sort_unstable();
    new.dedup();
    Ok((key, Some(encode(&new))))
}

/// Which statements are about which event. Most events have no statement
/// about them or a few, so one posting list per event would make a key per
/// event; instead, the pairs (event seq, statement seq) are kept in buckets
/// of [`About::BUCKET`] consecutive event seqs, keyed by the bucket number
/// (8 bytes, big-endian), each the sorted pairs as LEB128 deltas. The value
/// depends only on the set of pairs, so a replay writes the same bytes.
pub struct About;

impl About {
    /// Event seqs per bucket.
    pub const BUCKET: u64 = 1024;

    fn encode(pairs: &[(u64, u64)]) -> Vec<u8> {
        let mut out = Vec::with_capacity(pairs.len() * 4);
        let mut prev = 0u64;
        for (event, statement) in pairs {
            crate::store::layout::varint(&mut out, event - prev);
            crate::store::layout::varint(&mut out, *statement);
            prev = *event;
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Vec<(u64, u64)>> {
        let bad = || Error::Damaged("a bucket of p_about is unreadable".into());
        let mut out = Vec::new();
        let mut rest = bytes;
        let mut prev = 0u64;
        while !rest.is_empty() {
            let (delta, r) = crate::store::layout::read_varint(rest).ok_or_else(bad)?;
            let (statement, r) = crate::store::layout::read_varint(r).ok_or_else(bad)?;
            prev = prev.checked_add(delta).ok_or_else(bad)?;
            out.push((prev, statement));
            rest = r;
        }
        Ok(out)
    }

    /// The statements about the event at `seq`, ascending.
    pub fn read(backend: &dyn Backend, seq: u64) -> Result<Vec<u64>> {
        let Some(stored) = backend.get(P_ABOUT, &seq_key(seq / About::BUCKET))? else {
            return Ok(Vec::new());
        };
        Ok(About::decode(&stored)?
            .into_iter()
            .filter(|(event, _)| *event == seq)
            .map(|(_, statement)| statement)
            .collect())
    }
}

/// Statements by speaker: chunks keyed by speaker, 0, first seq (8 bytes),
/// each the zstd-compressed sequence of `seq, length, envelope line,
/// length, brief` (see [`brief`]) of up to [`Said::CHUNK`] statements, in
/// log order. Statements are added in log order only, when first applied,
/// so every chunk but the last is full and the layout does not depend on
/// how appends were grouped.
pub struct Said;

/// A line of the log: its seq and stored bytes.
pub type Record = (u64, Vec<u8>);

/// A statement in [`P_SAID`]: its seq, stored line and brief.
#[derive(Debug, Clone, PartialEq)]
struct Stated {
    seq: u64,
    line: Vec<u8>,
    brief: Vec<u8>,
}

/// A chunk of statements to write: its key and statements.
type Chunk = (Vec<u8>, Vec<Stated>);

impl Said {
    /// Statements per chunk.
    pub const CHUNK: usize = 64;
    /// Most bytes of statement lines a catch-up holds back between its
    /// flushes (see `Projector::flush`).
    pub const HOLD_BYTES: usize = 128 << 20;

    /// Records in the stored last chunk of `speaker` when it is not full
    /// (else 0), and the last seq stored.
    fn stored_tail(backend: &dyn Backend, speaker: &str) -> Result<(usize, u64)> {
        let base = Said::base(speaker);
        match backend.last_in_prefix(P_SAID, &base)? {
            Some((key, value)) if key.len() == base.len() + 8 => {
                let tail = Said::decode(&value)?;
                let last = tail.last().map_or(0, |r| r.seq);
                Ok((tail.len() % Said::CHUNK, last))
            }
            _ => Ok((0, 0)),
        }
    }

    fn base(speaker: &str) -> Vec<u8> {
        [speaker.as_bytes(), &[0]].concat()
    }

    fn encode(records: &[Stated]) -> Result<Vec<u8>> {
        use crate::store::layout::varint;
        let mut raw = Vec::new();
        for r in records {
            varint(&mut raw, r.seq);
            varint(&mut raw, r.line.len() as u64);
            raw.extend_from_slice(&r.line);
            varint(&mut raw, r.brief.len() as u64);
            raw.extend_from_slice(&r.brief);
        }
        crate::store::layout::compress(&raw)
    }

    fn decode(bytes: &[u8]) -> Result<Vec<Stated>> {
        let raw = Said::unpack(bytes)?;
        Said::records(&raw)
            .map(|r| {
                r.map(|(seq, line, brief)| Stated {
                    seq,
                    line: line.to_vec(),
                    brief: brief.to_vec(),
                })
            })
            .collect()
    }

    /// The decompressed records of a stored chunk, for [`Said::records`].
    pub fn unpack(chunk: &[u8]) -> Result<Vec<u8>> {
        crate::store::layout::decompress(chunk).map_err(|_| Said::damaged())
    }

    /// The `(seq, line, brief)` records of an unpacked chunk, in log order.
    pub fn records(raw: &[u8]) -> impl Iterator<Item = Result<(u64, &[u8], &[u8])>> {
        fn bytes(from: &[u8]) -> Option<(&[u8], &[u8])> {
            let (len, r) = crate::store::layout::read_varint(from)?;
            let len = usize::try_from(len).ok()?;
            Some((r.get(..len)?, &r[len..]))
        }
        let mut rest = raw;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let next = (|| {
                let (seq, r) = crate::store::layout::read_varint(rest)?;
                let (line, r) = bytes(r)?;
                let (brief, r) = bytes(r)?;
                Some((seq, line, brief, r))
            })();
            Some(match next {
                Some((seq, line, brief, r)) => {
                    rest = r;
                    Ok((seq, line, brief))
                }
                None => {
                    rest = &[];
                    Err(Said::damaged())
                }
            })
        })
    }

    fn damaged() -> Error {
        Error::Damaged("a chunk of statements is unreadable".into())
    }

    /// The chunks to write to add `new` (ascending seqs) to the statements
    /// of `speaker`: the stored last chunk filled up first, then new ones.
    /// Each is a key and its records, for [`Said::encode_all`].
    fn merge(backend: &dyn Backend, speaker: &str, mut new: Vec<Stated>) -> Result<Vec<Chunk>> {
        let base = Said::base(speaker);
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let mut chunks = Vec::new();
        if let Some((key, value)) = backend.last_in_prefix(P_SAID, &base)? {
            if key.len() == base.len() + 8 {
                let mut tail = Said::decode(&value)?;
                // Records already applied before an interrupted catch-up.
                let last = tail.last().map_or(0, |r| r.seq);
                new.retain(|r| r.seq > last);
                if tail.len() < Said::CHUNK && !new.is_empty() {
                    let take = (Said::CHUNK - tail.len()).min(new.len());
                    tail.extend(new.drain(..take));
                    chunks.push((key, tail));
                }
            }
        }
        let mut rest = new.into_iter().peekable();
        while let Some(first) = rest.peek() {
            let key = [&base[..], &seq_key(first.seq)[..]].concat();
            chunks.push((key, rest.by_ref().take(Said::CHUNK).collect()));
        }
        Ok(chunks)
    }

    /// The writes of `chunks`, compressed on every core.
    fn encode_all(chunks: &[Chunk]) -> Result<Vec<crate::store::Write>> {
        crate::cores::map(chunks, 8, |(key, records)| {
            Ok((key.clone(), Some(Said::encode(records)?)))
        })
    }

    /// The stored lines of every statement first recorded with `speaker`
    /// as its speaker, in log order.
    pub fn read(backend: &dyn Backend, speaker: &str) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for chunk in Said::chunks(backend, speaker)? {
            let raw = Said::unpack(&chunk)?;
            for record in Said::records(&raw) {
                let (seq, line, _) = record?;
                out.push((seq, line.to_vec()));
            }
        }
        Ok(out)
    }

    /// The stored (compressed) chunks of `speaker`, in log order: see
    /// [`Said::unpack`] and [`Said::records`].
    pub fn chunks(backend: &dyn Backend, speaker: &str) -> Result<Vec<Vec<u8>>> {
        Said::chunks_from(backend, speaker, 0..u64::MAX)
    }

    /// The chunks of `speaker` whose first statement's seq is in `firsts`:
    /// consecutive ranges split the chunks between readers.
    pub fn chunks_from(
        backend: &dyn Backend,
        speaker: &str,
        firsts: std::ops::Range<u64>,
    ) -> Result<Vec<Vec<u8>>> {
        let base = Said::base(speaker);
        let start = [base.as_slice(), &seq_key(firsts.start)].concat();
        let mut out = Vec::new();
        for item in backend.scan_from(P_SAID, &start) {
            let (k, v) = item?;
            let Some(first) = k.strip_prefix(base.as_slice()) else {
                break;
            };
            let first = match <[u8; 8]>::try_from(first) {
                Ok(first) => u64::from_be_bytes(first),
                // Not a chunk's key (base and first seq): not ours to read.
                Err(_) => continue,
            };
            if first >= firsts.end {
                break;
            }
            out.push(v);
        }
        Ok(out)
    }
}

/// The stored line of the correction or retraction at `seq`.
pub fn amending_line(backend: &dyn Backend, seq: u64) -> Result<Option<Vec<u8>>> {
    backend.get(P_AMENDING, &seq_key(seq))
}

/// [`amending_line`], decoded.
pub fn amending_envelope(backend: &dyn Backend, seq: u64) -> Result<Option<Envelope>> {
    amending_line(backend, seq)?
        .map(|line| crate::store::decode_stored(&line))
        .transpose()
}

/// Every event that has a correction or a retraction.
pub fn amended(backend: &dyn Backend) -> Result<std::collections::HashSet<u64>> {
    Ok(amended_seqs(backend)?.into_iter().collect())
}

/// [`amended`], ascending, as stored.
fn amended_seqs(backend: &dyn Backend) -> Result<Vec<u64>> {
    match backend.get(P_AMENDS, AMENDED)? {
        Some(list) => Postings::decode(&list),
        None => Ok(Vec::new()),
    }
}

/// Sorted lists of seqs under a base key, stored in chunks: the key of a
/// chunk is the base followed by its first seq (8 bytes, big-endian), its
/// value the seqs as LEB128 deltas. Every chunk but the last holds exactly
/// [`Postings::CHUNK`] seqs, so the layout depends only on the set of seqs,
/// never on how the appends were grouped: a replay writes the same bytes.
pub struct Postings;

impl Postings {
    /// Seqs per chunk.
    pub const CHUNK: usize = 4096;

    /// Every seq under `base`, ascending.
    pub fn read(backend: &dyn Backend, space: &str, base: &[u8]) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for item in backend.scan_prefix(space, base) {
            let (k, v) = item?;
            if k.len() != base.len() + 8 {
                continue;
            }
            out.extend(Postings::decode(&v)?);
        }
        Ok(out)
    }

    /// Encode ascending seqs.
    pub fn encode(seqs: &[u64]) -> Vec<u8> {
        let mut out = Vec::with_capacity(seqs.len() * 2);
        let mut prev = 0u64;
        for s in seqs {
            let mut d = s - prev;
            prev = *s;
            loop {
                let byte = (d & 0x7f) as u8;
                d >>= 7;
                if d == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
        }
        out
    }

    /// Decode a chunk.
    pub fn decode(bytes: &[u8]) -> Result<Vec<u64>> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut prev = 0u64;
        let mut cur = 0u64;
        let mut shift = 0u32;
        for b in bytes {
            if shift > 63 {
                return Err(Error::Damaged("a posting list is corrupt".into()));
            }
            cur |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                prev = prev.wrapping_add(cur);
                out.push(prev);
                cur = 0;
                shift = 0;
            } else {
                shift += 7;
            }
        }
        if shift != 0 {
            return Err(Error::Damaged("a posting list is truncated".into()));
        }
        Ok(out)
    }

    fn chunk_writes(base: &[u8], seqs: &[u64]) -> Vec<crate::store::Write> {
        seqs.chunks(Postings::CHUNK)
            .map(|c| {
                (
                    [base, &seq_key(c[0])[..]].concat(),
                    Some(Postings::encode(c)),
                )
            })
            .collect()
    }

    /// The writes that add `new` seqs to the list under `base`.
    pub fn merge(
        backend: &dyn Backend,
        space: &str,
        base: &[u8],
        mut new: Vec<u64>,
    ) -> Result<Vec<crate::store::Write>> {
        new.sort_unstable();
        new.dedup();
        let Some(first_new) = new.first().copied() else {
            return Ok(Vec::new());
        };
        let last = match backend.last_in_prefix(space, base)? {
            Some((k, v)) if k.len() == base.len() + 8 => Some((k, Postings::decode(&v)?)),
            _ => None,
        };
        match last {
            None => Ok(Postings::chunk_writes(base, &new)),
            // The usual case: everything new comes after what is stored.
            Some((key, mut tail)) if tail.last().is_some_and(|l| *l < first_new) => {
                let mut writes = Vec::new();
                if tail.len() < Postings::CHUNK {
                    let room = Postings::CHUNK - tail.len();
                    let take = room.min(new.len());
                    tail.extend_from_slice(&new[..take]);
                    writes.push((key, Some(Postings::encode(&tail))));
                    new.drain(..take);
                }
                writes.extend(Postings::chunk_writes(base, &new));
                Ok(writes)
            }
            // A correction re-indexed an older event: rewrite the whole list.
            Some(_) => {
                let mut writes = Vec::new();
                let mut all = Vec::new();
                for item in backend.scan_prefix(space, base) {
                    let (k, v) = item?;
                    if k.len() != base.len() + 8 {
                        continue;
                    }
                    all.extend(Postings::decode(&v)?);
                    writes.push((k, None));
                }
                all.extend(new);
                all.sort_unstable();
                all.dedup();
                writes.extend(Postings::chunk_writes(base, &all));
                Ok(writes)
            }
        }
    }
}

fn seqs_under(backend: &dyn Backend, space: &str, prefix: &[u8]) -> Result<Vec<u64>> {
    backend
        .scan_prefix(space, prefix)
        .map(|item| {
            let (k, _) = item?;
            key_seq(&k, true).ok_or_else(|| Error::Damaged(format!("bad key in {space}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Entries, MemBackend, Mode, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Three speakers at different rates, with corrections, a retraction
    /// and statements about earlier ones.
    fn log() -> Store {
        let mut store = pinned();
        let mut batch = store.batch();
        add_all(&mut batch);
        batch.commit().expect("commit");
        store
    }

    /// An empty store whose clock stands still, so that two logs of the
    /// same events are the same bytes.
    fn pinned() -> Store {
        let mut store = Store::in_memory();
        store.set_clock(Box::new(|| chrono::DateTime::UNIX_EPOCH));
        store
    }

    fn add_all(batch: &mut crate::store::Batch<'_>) {
        let mut lines = vec![
            r#"{"type":"actor","id":"a","name":"A","kind":"person"}"#.to_string(),
            r#"{"type":"actor","id":"b","name":"B","kind":"person"}"#.to_string(),
            r#"{"type":"actor","id":"c","name":"C","kind":"state"}"#.to_string(),
        ];
        for i in 0..600 {
            let speaker = match i % 10 {
                0..=6 => "a",
                7 | 8 => "b",
                _ => "c",
            };
            let about = if i > 0 && i % 9 == 0 {
                format!(r#","about":["s{}"]"#, i - 5)
            } else {
                String::new()
            };
            lines.push(format!(
                r#"{{"type":"statement","id":"s{i}","date":"20{:02}-0{}-1{}","speaker":"{speaker}","text":"t{i}","to":["c"],"tags":["t{}"]{about}}}"#,
                i % 30,
                1 + i % 9,
                i % 10,
                i % 4
            ));
            if i % 97 == 96 {
                lines.push(format!(
                    r#"{{"type":"correction","target":"s{}","set":{{"date":"2031"}},"reason":"r"}}"#,
                    i - 3
                ));
            }
        }
        lines.push(r#"{"type":"retraction","target":"s10","reason":"r"}"#.to_string());
        // Two corrections of one statement, one of which adds a statement
        // about an earlier one, and the other corrected in turn last (which
        // moves the statement in the timeline).
        lines.push(
            r#"{"type":"correction","id":"c50","target":"s50","set":{"text":"u","date":"2032"},"reason":"r"}"#.to_string(),
        );
        lines.push(
            r#"{"type":"correction","target":"s50","set":{"about":["s3"]},"reason":"r"}"#
                .to_string(),
        );
        lines.push(
            r#"{"type":"correction","target":"c50","set":{"set":{"text":"u","date":"2033"}},"reason":"r"}"#.to_string(),
        );
        for l in &lines {
            let v = crate::event::parse_strict(l.as_bytes()).expect("json");
            let e = Event::from_value(v).expect("event");
            batch.add(e, "test", Mode::Import).expect("add");
        }
    }

    /// Every entry of every projection space.
    fn dump_all(backend: &dyn Backend) -> Vec<(&'static str, Vec<crate::store::Entry>)> {
        SPACES
            .iter()
            .map(|s| {
                let entries = backend.scan_prefix(s, b"").collect::<Result<Vec<_>>>();
                (*s, entries.expect("scan"))
            })
            .collect()
    }

    #[test]
    fn projections_built_beside_an_import_equal_those_replayed_after_it() {
        let replayed = log();
        let expected = dump_all(replayed.backend());
        assert!(expected.iter().all(|(_, entries)| !entries.is_empty()));
        for group in [1, 5, 64, 129, 4096] {
            let mut store = pinned();
            let mut batch = store.batch();
            batch.stage_at_most(group);
            assert!(batch.fold_projections().unwrap());
            add_all(&mut batch);
            assert!(batch.commit().unwrap().projected_beside);
            assert!(!folding(store.backend()).unwrap());
            for ((space, got), (_, want)) in dump_all(store.backend()).iter().zip(&expected) {
                assert!(got == want, "groups of {group}: {space} differs");
            }
        }
    }

    #[test]
    fn projections_are_built_beside_an_import_only_into_an_empty_log() {
        let mut store = log();
        let before = dump_all(store.backend());
        let mut batch = store.batch();
        assert!(!batch.fold_projections().unwrap());
        let e = Event::from_value(
            crate::event::parse_strict(
                br#"{"type":"statement","date":"2030","speaker":"a","text":"x"}"#,
            )
            .unwrap(),
        )
        .unwrap();
        batch.add(e, "test", Mode::Import).unwrap();
        drop(batch);
        assert!(dump_all(store.backend()) == before);
    }

    #[test]
    fn an_import_that_fails_leaves_no_projections_behind() {
        let mut store = Store::in_memory();
        let mut batch = store.batch();
        batch.stage_at_most(3);
        assert!(batch.fold_projections().unwrap());
        add_all(&mut batch);
        assert!(folding(batch.backend()).unwrap());
        drop(batch);
        assert!(is_empty(store.backend()).unwrap());
        assert_eq!(store.head().seq, 0);
    }

    const ONCE: Pace = Pace {
        flush_every: usize::MAX,
        hold_bytes: usize::MAX,
        batch: usize::MAX,
    };

    /// Paces that flush often and seldom, hold much or nothing, and read
    /// the log through the cache or (small batches) block by block on the
    /// decoding thread.
    const PACES: [Pace; 5] = [
        Pace {
            flush_every: 7,
            hold_bytes: usize::MAX,
            batch: 100,
        },
        Pace {
            flush_every: 50,
            hold_bytes: 2_000,
            batch: DECODE_BATCH,
        },
        Pace {
            flush_every: 13,
            hold_bytes: 0,
            batch: 300,
        },
        Pace {
            flush_every: 1,
            hold_bytes: 40_000,
            batch: 1,
        },
        Pace {
            flush_every: 200,
            hold_bytes: 10_000,
            batch: 512,
        },
    ];

    #[test]
    fn any_pace_writes_the_projections_of_one_replay() {
        let store = log();
        let head = store.head().seq;
        let once = MemBackend::default();
        apply_paced(&store, &once, 1, head, ONCE).unwrap();
        assert!(!once.dump(P_SAID).is_empty() && !once.dump(P_AMENDING).is_empty());
        for pace in PACES {
            let mem = MemBackend::default();
            apply_paced(&store, &mem, 1, head, pace).unwrap();
            assert!(dump_all(&mem) == dump_all(&once), "{pace:?}");
            let split = MemBackend::default();
            apply_paced(&store, &split, 1, head / 3, pace).unwrap();
            apply_paced(&store, &split, head / 3 + 1, head, pace).unwrap();
            assert!(dump_all(&split) == dump_all(&once), "{pace:?}, in two runs");
        }
    }

    #[test]
    fn stretches_of_the_log_split_a_speakers_chunks_without_loss_or_repeat() {
        let store = log();
        let backend = store.backend();
        let all = Said::chunks(backend, "a").unwrap();
        assert!(all.len() >= 5, "{} chunks", all.len());
        let seqs: Vec<u64> = Said::read(backend, "a")
            .unwrap()
            .iter()
            .map(|r| r.0)
            .collect();
        // Cuts before, at and inside chunks, and past the end.
        let mut cuts = vec![0, 1, store.head().seq + 1, u64::MAX];
        cuts.extend([0, 1, 63, 64, 65, 200, 419].map(|i| seqs[i]));
        for cut in cuts {
            let mut joined = Said::chunks_from(backend, "a", 0..cut).unwrap();
            joined.extend(Said::chunks_from(backend, "a", cut..u64::MAX).unwrap());
            assert!(joined == all, "cut at {cut}");
        }
        let thirds = [0..seqs[100], seqs[100]..seqs[300], seqs[300]..u64::MAX];
        let joined: Vec<_> = thirds
            .into_iter()
            .flat_map(|r| Said::chunks_from(backend, "a", r).unwrap())
            .collect();
        assert!(joined == all);
    }

    #[test]
    fn a_corrected_correction_moves_its_statement_in_the_timeline() {
        for beside in [false, true] {
            let store = if beside {
                let mut store = pinned();
                let mut batch = store.batch();
                assert!(batch.fold_projections().unwrap());
                add_all(&mut batch);
                assert!(batch.commit().unwrap().projected_beside);
                store
            } else {
                log()
            };
            let s50 = store.seq_of("s50").unwrap().unwrap();
            let keys: Vec<[u8; 17]> = store
                .backend()
                .scan_prefix(P_TIME, b"")
                .flat_map(|e| Timeline::decode(&e.unwrap().1).unwrap())
                .filter(|(_, seq)| *seq == s50)
                .map(|(key, _)| key)
                .collect();
            let want = crate::date::EdtfDate::parse("2033")
                .unwrap()
                .order_key()
                .to_bytes();
            // Every date the statement has stood at is indexed; the
            // timeline checks each against the event as it stands.
            assert!(keys.contains(&want), "built beside the import: {beside}");
        }
    }

    #[test]
    fn the_amended_list_holds_every_target_of_a_correction_or_retraction() {
        let store = log();
        let mut targets = std::collections::HashSet::new();
        for item in store.scan_lines(1) {
            let (_, line) = item.unwrap();
            match crate::store::decode_stored(&line).unwrap().event {
                Event::Correction(c) => targets.insert(store.seq_of(&c.target).unwrap().unwrap()),
                Event::Retraction(r) => targets.insert(store.seq_of(&r.target).unwrap().unwrap()),
                _ => false,
            };
        }
        assert_eq!(targets.len(), 9);
        assert_eq!(amended(store.backend()).unwrap(), targets);
        // Built up over many flushes, the same list.
        let mem = MemBackend::default();
        apply_paced(&store, &mem, 1, store.head().seq, PACES[3]).unwrap();
        assert_eq!(amended(&mem).unwrap(), targets);
    }

    #[test]
    fn a_block_missing_from_the_log_is_reported_whichever_way_it_is_read() {
        let store = log();
        let head = store.head().seq;
        let last = crate::store::layout::block_of(head);
        for gone in [1, last] {
            let copy = MemBackend::default();
            for space in crate::store::all_spaces() {
                for item in store.backend().scan_prefix(space, b"") {
                    let (k, v) = item.unwrap();
                    if space != crate::store::LOG || k != crate::store::layout::block_key(gone) {
                        copy.put(space, &k, &v).unwrap();
                    }
                }
            }
            let damaged = Store::with_backend(Box::new(copy)).unwrap();
            for pace in PACES {
                let err = apply_paced(&damaged, &MemBackend::default(), 1, head, pace).unwrap_err();
                assert!(
                    err.to_string().contains("missing from the log"),
                    "{pace:?}: {err}"
                );
            }
        }
    }

    /// A backend whose writes fail after a number of them.
    struct Failing<'a> {
        inner: &'a MemBackend,
        writes_left: AtomicUsize,
    }

    impl Backend for Failing<'_> {
        fn get(&self, space: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
            self.inner.get(space, key)
        }
        fn write(&self, space: &str, entries: Vec<Write>) -> Result<()> {
            match self.writes_left.load(Ordering::SeqCst) {
                0 => Err(Error::Storage("injected".into())),
                n => {
                    self.writes_left.store(n - 1, Ordering::SeqCst);
                    self.inner.write(space, entries)
                }
            }
        }
        fn scan_prefix<'a>(&'a self, space: &str, prefix: &[u8]) -> Entries<'a> {
            self.inner.scan_prefix(space, prefix)
        }
        fn scan_from<'a>(&'a self, space: &str, start: &[u8]) -> Entries<'a> {
            self.inner.scan_from(space, start)
        }
        fn last(&self, space: &str) -> Result<Option<crate::store::Entry>> {
            self.inner.last(space)
        }
        fn last_in_prefix(
            &self,
            space: &str,
            prefix: &[u8],
        ) -> Result<Option<crate::store::Entry>> {
            self.inner.last_in_prefix(space, prefix)
        }
        fn clear(&self, space: &str) -> Result<()> {
            self.inner.clear(space)
        }
        fn sync(&self) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_catch_up_cut_short_anywhere_resumes_to_the_same_projections() {
        let store = log();
        let head = store.head().seq;
        let once = MemBackend::default();
        apply_paced(&store, &once, 1, head, ONCE).unwrap();
        for pace in PACES {
            for cut in [3, 40, 150, 400] {
                let mem = MemBackend::default();
                let failing = Failing {
                    inner: &mem,
                    writes_left: AtomicUsize::new(cut),
                };
                if apply_paced(&store, &failing, 1, head, pace).is_ok() {
                    continue;
                }
                let from = applied(&mem).unwrap() + 1;
                assert!(from <= head + 1);
                apply_paced(&store, &mem, from, head, pace).unwrap();
                assert!(
                    dump_all(&mem) == dump_all(&once),
                    "{pace:?}, cut after {cut} writes"
                );
            }
        }
    }
}
