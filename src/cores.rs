//! Work spread over the machine's cores, for the few passes that are worth
//! it: decoding and encoding thousands of stored lines at once.

use crate::error::{Error, Result};

/// Most threads a pass uses.
const MOST: usize = 4;

/// How many threads [`split`] uses: one per core, at most four. Worked out
/// once: the standard library reads the process's cgroup files each time.
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(MOST)))
}

/// `f` over `items` split into one contiguous part per core (at most
/// four), when there are at least `min` items; else over all of them here.
/// The results come back in the order of the parts; the first error wins.
pub fn split<T: Sync, R: Send>(
    items: &[T],
    min: usize,
    f: impl Fn(&[T]) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = threads();
    if threads < 2 || items.len() < min.max(2) {
        return Ok(vec![f(items)?]);
    }
    let per = items.len().div_ceil(threads);
    let (first, rest) = items.split_at(per);
    std::thread::scope(|scope| {
        // The first share runs on the calling thread, whose allocator
        // already holds memory to reuse.
        let handles: Vec<_> = rest
            .chunks(per)
            .map(|part| scope.spawn(|| f(part)))
            .collect();
        let mut out = vec![f(first)];
        out.extend(handles.into_iter().map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(Error::Storage("a worker thread failed".into())))
        }));
        out.into_iter().collect()
    })
}

/// [`split`] for a function of one item: the results, in order.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    min: usize,
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let parts = split(items, min, |part| {
        part.iter().map(&f).collect::<Result<Vec<R>>>()
    })?;
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..10_000).collect();
        let doubled = map(&items, 10, |n| Ok(n * 2)).unwrap();
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_in_any_part_is_returned() {
        let items: Vec<u64> = (0..1000).collect();
        let err = map(&items, 10, |n| {
            if *n == 999 {
                Err(Error::invalid("nine hundred and ninety-nine"))
            } else {
                Ok(*n)
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("ninety-nine"), "{err}");
    }
}
