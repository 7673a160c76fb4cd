//! A counting global allocator, for tests that bound the host's heap while a guest moves a
//! lot of data. A test binary makes it its allocator:
//!
//! ```
//! #[global_allocator]
//! static ALLOCATOR: tether_test_programs::heap::Counting = tether_test_programs::heap::Counting;
//!
//! let baseline = tether_test_programs::heap::start();
//! let v = vec![0u8; 1 << 20];
//! drop(v);
//! assert!(tether_test_programs::heap::peak_above(baseline) >= 1 << 20);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes allocated now and the most at once.
pub struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which is the system allocator's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
            TOTAL.fetch_add(layout.size(), Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above, that is by the system allocator,
        // with this layout.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

/// Starts a measurement: the bytes allocated now, which [`peak_above`] measures from.
pub fn start() -> usize {
    let now = CURRENT.load(Ordering::SeqCst);
    PEAK.store(now, Ordering::SeqCst);
    now
}

/// The most bytes allocated at once since [`start`], above what it returned.
pub fn peak_above(baseline: usize) -> usize {
    PEAK.load(Ordering::SeqCst).saturating_sub(baseline)
}

/// The bytes allocated since the process started, freed or not (the work a step did, where
/// [`peak_above`] is its footprint); a step's share is the difference of two readings.
pub fn total() -> usize {
    TOTAL.load(Ordering::SeqCst)
}
