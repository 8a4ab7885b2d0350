//! How the log sits in its two spaces.
//!
//! `log`: envelopes in blocks of [`BLOCK`] consecutive seqs, the key the block
//! number (big-endian), the value the envelope lines joined by newlines and
//! compressed with zstd. Fewer, bigger values keep imports fast, the database
//! small and opening it cheap. `ids`: event id → seq in [`ID_BUCKETS`] buckets
//! chosen by a fixed hash of the id, each a sorted list.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

thread_local! {
    // A zstd context costs more to set up than a small value costs to
    // compress: keep one of each per thread.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Most bytes a stored value may expand to (a block of the largest lines).
const MAX_EXPANDED: usize = 1 << 31;

/// zstd at level 1, the size of the input recorded in the frame.
pub fn compress(data: &[u8]) -> Result<Vec<u8>> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(
                zstd::bulk::Compressor::new(1)
                    .map_err(|e| Error::io("cannot start compression", e))?,
            );
        }
        match c.as_mut() {
            Some(c) => c
                .compress(data)
                .map_err(|e| Error::io("cannot compress", e)),
            None => Err(Error::Storage("no compressor".into())),
        }
    })
}

/// Undo [`compress`].
pub fn decompress(data: &[u8]) -> Result<Vec<u8>> {
    let size = zstd::zstd_safe::get_frame_content_size(data)
        .ok()
        .flatten()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n <= MAX_EXPANDED)
        .ok_or_else(|| Error::Damaged("a compressed value has no readable size".into()))?;
    DECOMPRESSOR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(
                zstd::bulk::Decompressor::new()
                    .map_err(|e| Error::io("cannot start decompression", e))?,
            );
        }
        match d.as_mut() {
            Some(d) => d
                .decompress(data, size)
                .map_err(|e| Error::Damaged(format!("a compressed value is unreadable: {e}"))),
            None => Err(Error::Storage("no decompressor".into())),
        }
    })
}

/// Envelopes per block.
pub const BLOCK: u64 = 128;
/// Buckets of the id index.
pub const ID_BUCKETS: u64 = 4096;

/// The block that holds `seq` (seqs start at 1).
pub fn block_of(seq: u64) -> u64 {
    seq.saturating_sub(1) / BLOCK
}

/// The first seq of a block.
pub fn block_start(block: u64) -> u64 {
    block * BLOCK + 1
}

/// The key of a block.
pub fn block_key(block: u64) -> [u8; 8] {
    block.to_be_bytes()
}

/// Consecutive envelopes, as stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The seq of the first line.
    pub first: u64,
    pub lines: Vec<Vec<u8>>,
}

impl Block {
    /// Compress for storage.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut raw = Vec::with_capacity(self.lines.iter().map(|l| l.len() + 1).sum());
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                raw.push(b'\n');
            }
            raw.extend_from_slice(line);
        }
        compress(&raw)
    }

    /// Read a stored block.
    pub fn decode(block: u64, bytes: &[u8]) -> Result<Block> {
        let unpacked = Unpacked::decode(block, bytes)?;
        Ok(Block {
            first: unpacked.first,
            lines: unpacked.lines().map(<[u8]>::to_vec).collect(),
        })
    }

    /// The seq after the last line.
    pub fn end(&self) -> u64 {
        self.first + self.lines.len() as u64
    }

    /// The stored line of `seq`, if the block holds it.
    pub fn line(&self, seq: u64) -> Option<&[u8]> {
        let i = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.lines.get(i).map(Vec::as_slice)
    }
}

/// A stored block unpacked, its lines left in place: for reading a few
/// lines of many blocks without copying each line out.
pub struct Unpacked {
    /// The seq of the first line.
    pub first: u64,
    raw: Vec<u8>,
    /// Where each line ends in `raw` (at its newline, or the end).
    ends: Vec<usize>,
}

impl Unpacked {
    /// Read a stored block.
    pub fn decode(block: u64, bytes: &[u8]) -> Result<Unpacked> {
        let raw = decompress(bytes)
            .map_err(|e| Error::Damaged(format!("log block {block} is unreadable: {e}")))?;
        let mut ends: Vec<usize> = memchr::memchr_iter(b'\n', &raw).collect();
        if !raw.is_empty() {
            ends.push(raw.len());
        }
        if ends.len() as u64 > BLOCK {
            return Err(Error::Damaged(format!(
                "log block {block} holds {} envelopes, more than {BLOCK}",
                ends.len()
            )));
        }
        Ok(Unpacked {
            first: block_start(block),
            raw,
            ends,
        })
    }

    /// Its lines, in order.
    fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.ends.len()).filter_map(|i| self.nth(i))
    }

    /// The `i`th line.
    fn nth(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] + 1,
        };
        self.raw.get(start..end)
    }

    /// The stored line of `seq`, if the block holds it.
    pub fn line(&self, seq: u64) -> Option<&[u8]> {
        self.nth(usize::try_from(seq.checked_sub(self.first)?).ok()?)
    }
}

/// The bucket of an id: FNV-1a, fixed forever since it decides where ids
/// are stored.
pub fn bucket_of(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % ID_BUCKETS
}

/// The key of a bucket.
pub fn bucket_key(bucket: u64) -> [u8; 8] {
    bucket.to_be_bytes()
}

/// One bucket of the id index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdBucket {
    pub ids: BTreeMap<String, u64>,
}

impl IdBucket {
    /// `len id seq` entries in id order, lengths and seqs as LEB128.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.ids.len() * 24);
        for (id, seq) in &self.ids {
            varint(&mut out, id.len() as u64);
            out.extend_from_slice(id.as_bytes());
            varint(&mut out, *seq);
        }
        out
    }

    /// The seq of `id` in a stored bucket, read in place: a lookup needs
    /// no map of the whole bucket, and a cache of stored buckets holds a
    /// fifth of the memory of decoded ones. Entries are stored in id order
    /// (see [`IdBucket::encode`]), so the scan stops at the first id past
    /// the one asked for.
    pub fn find(bucket: u64, bytes: &[u8], id: &str) -> Result<Option<u64>> {
        for entry in IdBucket::entries(bucket, bytes) {
            let (this, seq) = entry?;
            match this.cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Ok(Some(seq)),
                std::cmp::Ordering::Greater => return Ok(None),
            }
        }
        Ok(None)
    }

    /// A stored bucket with `changes` applied, encoded: each change sets an
    /// id's seq (`Some`) or removes the id (`None`), and `changes` are in id
    /// order without repeats. The bytes are those of decoding the bucket,
    /// applying the changes to its map and encoding it again; the stored
    /// entries and the changes are merged instead, both being in id order.
    pub fn merged<'a>(
        bucket: u64,
        stored: &[u8],
        changes: impl IntoIterator<Item = (&'a str, Option<u64>)>,
    ) -> Result<Vec<u8>> {
        let mut old: Vec<(&[u8], u64)> = Vec::new();
        for entry in IdBucket::entries(bucket, stored) {
            let (id, seq) = entry?;
            // Ids in UTF-8 and in order, or lookups would miss them.
            if std::str::from_utf8(id).is_err() || old.last().is_some_and(|(l, _)| *l >= id) {
                return Err(unreadable(bucket));
            }
            old.push((id, seq));
        }
        fn put(out: &mut Vec<u8>, id: &[u8], seq: u64) {
            varint(out, id.len() as u64);
            out.extend_from_slice(id);
            varint(out, seq);
        }
        let changes = changes.into_iter();
        let mut out = Vec::with_capacity(stored.len() + changes.size_hint().0 * 24);
        let mut old = old.into_iter().peekable();
        let mut previous: Option<&str> = None;
        for (id, change) in changes {
            debug_assert!(previous < Some(id), "changes in id order");
            previous = Some(id);
            let id = id.as_bytes();
            while let Some((o, seq)) = old.next_if(|(o, _)| *o < id) {
                put(&mut out, o, seq);
            }
            old.next_if(|(o, _)| *o == id);
            if let Some(seq) = change {
                put(&mut out, id, seq);
            }
        }
        for (o, seq) in old {
            put(&mut out, o, seq);
        }
        Ok(out)
    }

    /// Read a stored bucket.
    pub fn decode(bucket: u64, bytes: &[u8]) -> Result<IdBucket> {
        let mut ids = BTreeMap::new();
        for entry in IdBucket::entries(bucket, bytes) {
            let (id, seq) = entry?;
            let id = std::str::from_utf8(id)
                .map_err(|_| unreadable(bucket))?
                .to_string();
            ids.insert(id, seq);
        }
        Ok(IdBucket { ids })
    }

    /// The `(id, seq)` entries of a stored bucket, in stored order; a
    /// damaged entry ends them with an error.
    fn entries(bucket: u64, bytes: &[u8]) -> impl Iterator<Item = Result<(&[u8], u64)>> {
        let bad = move || unreadable(bucket);
        let mut rest = Some(bytes);
        std::iter::from_fn(move || {
            let now = rest.take().filter(|r| !r.is_empty())?;
            let entry = (|| {
                let (len, r) = read_varint(now).ok_or_else(bad)?;
                let len = usize::try_from(len).map_err(|_| bad())?;
                let id = r.get(..len).ok_or_else(bad)?;
                let (seq, r) = read_varint(&r[len..]).ok_or_else(bad)?;
                Ok((id, seq, r))
            })();
            Some(entry.map(|(id, seq, r)| {
                rest = Some(r);
                (id, seq)
            }))
        })
    }
}

/// The error for a stored id bucket that cannot be read.
fn unreadable(bucket: u64) -> Error {
    Error::Damaged(format!("id index bucket {bucket} is unreadable"))
}

/// Append `n` as LEB128.
pub fn varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Read a LEB128 number; `None` when truncated or too long.
pub fn read_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut n = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_and_index_by_seq() {
        let b = Block {
            first: block_start(2),
            lines: vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()],
        };
        let back = Block::decode(2, &b.encode().unwrap()).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.line(257), Some(&b"{\"a\":1}"[..]));
        assert_eq!(back.line(259), None);
        assert_eq!(block_of(1), 0);
        assert_eq!(block_of(128), 0);
        assert_eq!(block_of(129), 1);
        assert!(Block::decode(0, b"garbage").is_err());
    }

    proptest::proptest! {
        // Any lines, empty ones included: read in place, each seq finds the
        // line it was stored with, and nothing past the last.
        #[test]
        fn an_unpacked_block_finds_every_line_in_place(
            lines in proptest::collection::vec("[^\n]{0,40}", 1..=BLOCK as usize),
            block in 0u64..1000,
        ) {
            let b = Block {
                first: block_start(block),
                lines: lines.iter().map(|l| l.as_bytes().to_vec()).collect(),
            };
            let stored = b.encode().unwrap();
            let unpacked = Unpacked::decode(block, &stored).unwrap();
            for (i, line) in lines.iter().enumerate() {
                proptest::prop_assert_eq!(unpacked.line(b.first + i as u64), Some(line.as_bytes()));
            }
            proptest::prop_assert_eq!(unpacked.line(b.first + lines.len() as u64), None);
            proptest::prop_assert_eq!(unpacked.line(b.first.wrapping_sub(1)), None);
            proptest::prop_assert_eq!(Block::decode(block, &stored).unwrap(), b);
        }
    }

    #[test]
    fn a_block_of_too_many_lines_is_damaged_either_way() {
        let b = Block {
            first: block_start(0),
            lines: vec![b"x".to_vec(); BLOCK as usize + 1],
        };
        let stored = b.encode().unwrap();
        assert!(Unpacked::decode(0, &stored).is_err());
        assert!(Block::decode(0, &stored).is_err());
    }

    #[test]
    fn buckets_round_trip_and_reject_garbage() {
        let mut b = IdBucket::default();
        b.ids.insert("peskov-confirms".into(), 9);
        b.ids.insert("x".into(), 300_000);
        assert_eq!(IdBucket::decode(0, &b.encode()).unwrap(), b);
        assert!(IdBucket::decode(0, &[0x85]).is_err());
        assert!(IdBucket::decode(0, &[5, b'a']).is_err());
        assert!(bucket_of("peskov") < ID_BUCKETS);
        assert_eq!(bucket_of("peskov"), bucket_of("peskov"));
    }

    proptest::proptest! {
        #[test]
        fn a_merged_bucket_is_the_decoded_one_changed_and_encoded(
            stored in proptest::collection::btree_map("[a-c]{0,3}", 0u64..1_000_000, 0..24),
            changes in proptest::collection::btree_map(
                "[a-c]{0,3}",
                proptest::option::of(0u64..1_000_000),
                0..24,
            ),
        ) {
            let before = IdBucket { ids: stored };
            let mut after = before.clone();
            for (id, change) in &changes {
                match change {
                    Some(seq) => after.ids.insert(id.clone(), *seq),
                    None => after.ids.remove(id),
                };
            }
            let merged = IdBucket::merged(
                7,
                &before.encode(),
                changes.iter().map(|(id, seq)| (id.as_str(), *seq)),
            )
            .unwrap();
            proptest::prop_assert_eq!(merged, after.encode());
        }
    }

    #[test]
    fn a_bucket_out_of_order_or_cut_is_not_merged() {
        let mut unordered = Vec::new();
        for (id, seq) in [("b", 1), ("a", 2)] {
            varint(&mut unordered, 1);
            unordered.extend_from_slice(id.as_bytes());
            varint(&mut unordered, seq);
        }
        let none = std::iter::empty::<(&str, Option<u64>)>;
        for bad in [&unordered[..], &[5, b'a'], &[1, 0xff, 1]] {
            let err = IdBucket::merged(3, bad, none()).unwrap_err();
            assert_eq!(
                err.to_string(),
                IdBucket::decode(3, &[0x85]).unwrap_err().to_string()
            );
        }
    }

    #[test]
    fn an_id_is_found_in_a_stored_bucket_as_in_the_decoded_one() {
        let mut b = IdBucket::default();
        for (k, id) in ["a", "ab", "b", "peskov-confirms", "s-000001", "s-0000010"]
            .into_iter()
            .enumerate()
        {
            b.ids.insert(id.into(), 1 + 1000 * k as u64);
        }
        let stored = b.encode();
        for (id, seq) in &b.ids {
            assert_eq!(IdBucket::find(0, &stored, id).unwrap(), Some(*seq), "{id}");
        }
        for missing in ["", "s-00000", "s-000001 ", "abc", "z"] {
            assert_eq!(
                IdBucket::find(0, &stored, missing).unwrap(),
                None,
                "{missing:?}"
            );
        }
        assert_eq!(IdBucket::find(0, &[], "a").unwrap(), None);
        // Cut short or with a length past the end: an error, not a panic
        // (for an id the scan reaches).
        assert!(IdBucket::find(0, &stored[..stored.len() - 1], "s-0000010").is_err());
        assert!(IdBucket::find(0, &[0x85], "a").is_err());
        assert!(IdBucket::find(0, &[5, b'a'], "a").is_err());
    }
}
