//! The library's global allocator: the system allocator, counting the octets the library holds,
//! so that embedders can report the native memory in use (and tests can see it return to its
//! baseline when connections close). One relaxed atomic add per allocation; the engine does not
//! allocate per frame once a connection is warm, so this is off the hot path.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

static IN_USE: AtomicUsize = AtomicUsize::new(0);

/// Octets currently allocated by this library (all connections, buffers and tables).
pub fn allocated_bytes() -> usize {
    IN_USE.load(Relaxed)
}

pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees hold; the counter is bookkeeping only and never affects the pointers.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            IN_USE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            IN_USE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_add(new_size, Relaxed);
            IN_USE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_held() {
        // The counter is global and the other unit tests run on parallel threads, allocating
        // and freeing as they go; a block far larger than anything they hold keeps the check
        // exact in what it proves without racing them. The pages are never touched, so the
        // reservation costs address space only.
        const BIG: usize = 512 << 20;
        const NOISE: usize = 64 << 20;
        let before = allocated_bytes();
        let v: Vec<u8> = Vec::with_capacity(BIG);
        let held = allocated_bytes();
        assert!(held + NOISE >= before + BIG, "{before} -> {held}");
        drop(v);
        let after = allocated_bytes();
        assert!(after < before + NOISE, "{before} -> {after}");
    }
}
