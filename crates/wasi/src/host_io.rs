//! Streams and pollables of other host interfaces: what a host crate (such as
//! `tether-wasi-http`, whose bodies are `wasi:io` streams) implements to put its own byte
//! sources, byte sinks and events behind this crate's [`InputStream`], [`OutputStream`] and
//! [`Pollable`].
//!
//! A source of events is a [`HostReady`]: it says whether it is ready now, and names the
//! [`Signal`] it notifies whenever that may have changed, so `wasi:io/poll.poll` can sleep
//! until then instead of spinning.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use tether_wasi::host_io::{HostReady, Signal};
//!
//! /// Ready once `done` is set; whoever sets it notifies the signal.
//! struct Flag {
//!     done: AtomicBool,
//!     signal: Arc<Signal>,
//! }
//!
//! impl HostReady for Flag {
//!     fn is_ready(&self) -> bool {
//!         self.done.load(Ordering::Acquire)
//!     }
//!     fn signal(&self) -> &Arc<Signal> {
//!         &self.signal
//!     }
//! }
//!
//! let flag = Arc::new(Flag { done: AtomicBool::new(false), signal: Signal::new() });
//! let pollable = tether_wasi::Pollable::host(flag.clone());
//! let setter = flag.clone();
//! std::thread::spawn(move || {
//!     setter.done.store(true, Ordering::Release);
//!     setter.signal.notify();
//! });
//! pollable.block();
//! assert!(flag.is_ready());
//! ```
//!
//! [`InputStream`]: crate::InputStream
//! [`OutputStream`]: crate::OutputStream
//! [`Pollable`]: crate::Pollable

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

/// Something a guest can wait for through `wasi:io/poll`.
pub trait HostReady: Send + Sync + 'static {
    /// Whether it is ready now. Once ready, it stays ready.
    fn is_ready(&self) -> bool;

    /// The signal notified after every change that may make this ready. Sources that share
    /// one signal (a store's HTTP futures and bodies, say) are waited on together without
    /// polling.
    fn signal(&self) -> &Arc<Signal>;
}

/// A wake-up call between the threads that make sources ready and a guest waiting on them: a
/// counter of notifications behind a condition variable.
#[derive(Default)]
pub struct Signal {
    count: Mutex<u64>,
    changed: Condvar,
}

impl Signal {
    /// A signal no one has notified yet.
    pub fn new() -> Arc<Signal> {
        Arc::new(Signal::default())
    }

    /// Wakes every guest waiting on a source of this signal, which then looks again.
    pub fn notify(&self) {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.changed.notify_all();
    }

    /// How many times it was notified: read before looking at the sources, then passed to
    /// [`Signal::wait`], so that no notification between the two is missed.
    pub(crate) fn seen(&self) -> u64 {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until notified after `seen` was read, or until `deadline`.
    pub(crate) fn wait(&self, seen: u64, deadline: Option<Instant>) {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        while *count == seen {
            match deadline {
                None => {
                    count = self
                        .changed
                        .wait(count)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return;
                    }
                    count = self
                        .changed
                        .wait_timeout(count, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
    }
}

/// Why a host stream cannot go on: what `wasi:io/streams.stream-error` tells the guest.
pub enum StreamFailure {
    /// The stream ended (`closed`).
    Closed,
    /// An operation failed (`last-operation-failed`): the guest gets an `io-error` with this
    /// message, and with `detail` for the interface that made the stream to read back
    /// ([`IoError::detail`](crate::IoError::detail)), as `wasi:http/types.http-error-code`
    /// does.
    Failed {
        /// What `io-error.to-debug-string` returns.
        message: String,
        /// Anything the stream's own interface wants to find in the error again.
        detail: Option<Arc<dyn Any + Send + Sync>>,
    },
}

impl StreamFailure {
    /// A failure with only a message.
    pub fn failed(message: impl Into<String>) -> StreamFailure {
        StreamFailure::Failed {
            message: message.into(),
            detail: None,
        }
    }
}

impl fmt::Debug for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamFailure::Closed => f.write_str("Closed"),
            StreamFailure::Failed { message, .. } => write!(f, "Failed({message:?})"),
        }
    }
}

/// A host's source of bytes behind an `input-stream`.
pub trait HostInputStream: Send + 'static {
    /// At most `len` bytes. With `block` false it returns at once, with no bytes when none
    /// are ready; with `block` true it waits until at least one byte is, or the stream ends.
    /// An `Err` of the outer result traps the guest.
    fn read(&mut self, len: usize, block: bool) -> anyhow::Result<Result<Vec<u8>, StreamFailure>>;

    /// What the stream's pollable waits for: a byte to read, or the end.
    fn ready(&self) -> Arc<dyn HostReady>;
}

/// A host's sink of bytes behind an `output-stream`.
pub trait HostOutputStream: Send + 'static {
    /// How many bytes a `write` may take now (`check-write`); 0 when the sink is full.
    fn check_write(&mut self) -> Result<usize, StreamFailure>;

    /// Takes `bytes`, which `check_write` allowed. A write of more than it allowed is an
    /// `Err` of the outer result, which traps the guest, as the interface says.
    fn write(&mut self, bytes: Vec<u8>) -> anyhow::Result<Result<(), StreamFailure>>;

    /// Starts sending what was written (`flush`); a sink that sends as it takes needs to do
    /// nothing.
    fn flush(&mut self) -> Result<(), StreamFailure> {
        Ok(())
    }

    /// What the stream's pollable waits for: room to write.
    fn ready(&self) -> Arc<dyn HostReady>;
}

/// How a thread blocks: a function that runs the blocking wait it is given, and may first
/// tell whoever else relies on the thread (an async runtime's scheduler) to go elsewhere.
pub type BlockingHook = fn(&mut dyn FnMut());

thread_local! {
    static HOOK: Cell<Option<BlockingHook>> = const { Cell::new(None) };
}

/// Runs `f` with `hook` around every wait of a guest's host calls on this thread that may
/// block: `wasi:io/poll`, and blocking reads and writes of streams. A server that runs
/// guests on its async runtime's threads passes `tokio::task::block_in_place` this way, so
/// that a waiting guest never stalls the other tasks of its thread.
pub fn with_blocking_hook<R>(hook: BlockingHook, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<BlockingHook>);
    impl Drop for Restore {
        fn drop(&mut self) {
            HOOK.set(self.0);
        }
    }
    let _restore = Restore(HOOK.replace(Some(hook)));
    f()
}

/// Runs `wait`, which may block the thread, through this thread's [`BlockingHook`] if it has
/// one.
pub(crate) fn blocking<R>(wait: impl FnOnce() -> R) -> R {
    let Some(hook) = HOOK.get() else {
        return wait();
    };
    let mut wait = Some(wait);
    let mut out = None;
    hook(&mut || {
        if let Some(w) = wait.take() {
            out = Some(w());
        }
    });
    match (out, wait) {
        (Some(r), _) => r,
        // A hook that did not run the wait: run it here.
        (None, Some(w)) => w(),
        (None, None) => unreachable!("the wait ran but left no result"),
    }
}
