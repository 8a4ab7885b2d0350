//! The command's allocator: mimalloc, except for large zeroed blocks, which
//! are mapped from the kernel and handed back to it when freed.
//!
//! sled's page table starts with a zeroed 4 MiB root at every open, of which
//! an open touches a few pages. mimalloc served it from memory it had used
//! before and so cleared every byte, touching every page: about 1,000 page
//! faults and 4 MiB of memory for each command. A fresh mapping reads as
//! zeroes, and only the pages written are ever given memory.
//!
//! Only zeroed blocks of at least `LARGE` bytes are mapped, and only
//! `SLOTS` at once: a mapped block is known by its address, kept in a slot
//! until it is freed. Smaller blocks that are filled whole, such as the 2
//! MiB buffers sled reads its log into or writes over free segments from,
//! cost less from memory mimalloc has already touched, and stay with it.

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;

pub struct Allocator;

// SAFETY: a block is freed or resized by the allocator that made it: a
// mapped block is recognised by its slot, which holds its address from its
// mapping to its unmapping, and the slots change under one lock.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        MiMalloc.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if let Some(ptr) = mapped::alloc_zeroed(layout) {
            return ptr;
        }
        MiMalloc.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !mapped::dealloc(ptr, layout) {
            MiMalloc.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match mapped::realloc(ptr, layout, new_size) {
            Some(moved) => moved,
            None => MiMalloc.realloc(ptr, layout, new_size),
        }
    }
}

#[cfg(target_os = "linux")]
mod mapped {
    use std::alloc::{GlobalAlloc, Layout};
    use std::sync::{Mutex, PoisonError};

    use mimalloc::MiMalloc;

    /// Zeroed blocks of this size or more, aligned to a page at most, are
    /// mapped.
    pub const LARGE: usize = 4 << 20;

    /// How many mapped blocks may be live at once; past that, mimalloc
    /// serves.
    pub const SLOTS: usize = 8;

    /// The addresses of the live mapped blocks (0: a free slot). Only
    /// blocks of `LARGE` bytes or more look here, a few per command.
    static MAPPED: Mutex<[usize; SLOTS]> = Mutex::new([0; SLOTS]);

    fn slots() -> std::sync::MutexGuard<'static, [usize; SLOTS]> {
        // Nothing panics while holding the lock.
        MAPPED.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `ptr` is a live mapped block.
    #[cfg(test)]
    pub fn is_mapped(ptr: *mut u8) -> bool {
        slots().contains(&(ptr as usize))
    }

    /// A fresh mapping for a zeroed block, if it is large and a slot is
    /// free.
    pub unsafe fn alloc_zeroed(layout: Layout) -> Option<*mut u8> {
        if layout.size() < LARGE || layout.align() > 4096 {
            return None;
        }
        let mut slots = slots();
        let slot = slots.iter_mut().find(|s| **s == 0)?;
        let ptr = libc::mmap(
            std::ptr::null_mut(),
            layout.size(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if ptr == libc::MAP_FAILED {
            return None;
        }
        *slot = ptr as usize;
        Some(ptr.cast())
    }

    /// Unmap `ptr` if it is a mapped block; false if it is mimalloc's.
    pub unsafe fn dealloc(ptr: *mut u8, layout: Layout) -> bool {
        if layout.size() < LARGE {
            return false;
        }
        let mut slots = slots();
        let Some(slot) = slots.iter_mut().find(|s| **s == ptr as usize) else {
            return false;
        };
        *slot = 0;
        libc::munmap(ptr.cast(), layout.size());
        true
    }

    /// Resize `ptr` if it is a mapped block (`None` if it is mimalloc's):
    /// by the kernel while it stays large, else into a block of mimalloc's.
    /// On failure the old block is left as it was, and null returned.
    pub unsafe fn realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> Option<*mut u8> {
        if layout.size() < LARGE {
            return None;
        }
        let mut slots = slots();
        let slot = slots.iter_mut().find(|s| **s == ptr as usize)?;
        if new_size >= LARGE {
            let moved = libc::mremap(ptr.cast(), layout.size(), new_size, libc::MREMAP_MAYMOVE);
            if moved == libc::MAP_FAILED {
                return Some(std::ptr::null_mut());
            }
            *slot = moved as usize;
            return Some(moved.cast());
        }
        // A block that shrinks below `LARGE` would be freed with a layout
        // that never looks for a slot: it moves to mimalloc.
        let small = Layout::from_size_align_unchecked(new_size, layout.align());
        let moved = MiMalloc.alloc(small);
        if !moved.is_null() {
            std::ptr::copy_nonoverlapping(ptr, moved, new_size);
            *slot = 0;
            libc::munmap(ptr.cast(), layout.size());
        }
        Some(moved)
    }
}

/// No block is mapped elsewhere.
#[cfg(not(target_os = "linux"))]
mod mapped {
    use std::alloc::Layout;

    pub unsafe fn alloc_zeroed(_: Layout) -> Option<*mut u8> {
        None
    }

    pub unsafe fn dealloc(_: *mut u8, _: Layout) -> bool {
        false
    }

    pub unsafe fn realloc(_: *mut u8, _: Layout, _: usize) -> Option<*mut u8> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::mapped::{is_mapped, LARGE, SLOTS};
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    /// One test, so that no other takes the slots meanwhile.
    #[test]
    fn large_zeroed_blocks_are_mapped_and_every_other_block_is_mimallocs() {
        let a = Allocator;
        unsafe {
            // A large zeroed block: mapped, zero, its bytes kept when it
            // grows, and when it shrinks below the threshold into mimalloc.
            let big = layout(LARGE + 4096);
            let p = a.alloc_zeroed(big);
            assert!(!p.is_null() && is_mapped(p));
            let bytes = std::slice::from_raw_parts_mut(p, big.size());
            assert!(bytes.iter().all(|b| *b == 0));
            bytes[0] = 1;
            bytes[big.size() - 1] = 2;
            let grown = a.realloc(p, big, 2 * LARGE);
            assert!(!grown.is_null() && is_mapped(grown));
            assert_eq!((*grown, *grown.add(big.size() - 1)), (1, 2));
            let shrunk = a.realloc(grown, layout(2 * LARGE), 4096);
            assert!(!shrunk.is_null() && !is_mapped(shrunk));
            assert_eq!(*shrunk, 1);
            a.dealloc(shrunk, layout(4096));
            assert!(!is_mapped(grown));

            // Large but not zeroed, and small zeroed: mimalloc's.
            let q = a.alloc(big);
            let r = a.alloc_zeroed(layout(64));
            assert!(!is_mapped(q) && !is_mapped(r));
            assert!(std::slice::from_raw_parts(r, 64).iter().all(|b| *b == 0));
            a.dealloc(q, big);
            a.dealloc(r, layout(64));

            // Past the slots, mimalloc serves large zeroed blocks too; all
            // read as zeroes and are freed by the one that made them.
            let blocks: Vec<*mut u8> = (0..SLOTS + 4).map(|_| a.alloc_zeroed(big)).collect();
            assert_eq!(blocks.iter().filter(|p| is_mapped(**p)).count(), SLOTS);
            for p in &blocks {
                assert!(!p.is_null());
                let bytes = std::slice::from_raw_parts_mut(*p, big.size());
                assert!(bytes.iter().step_by(4096).all(|b| *b == 0));
                bytes[4096] = 7;
            }
            for p in blocks {
                a.dealloc(p, big);
            }
        }
    }
}
