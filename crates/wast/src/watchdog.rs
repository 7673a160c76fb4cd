//! A time limit per directive, so that a guest that never returns cannot stall the run.
//!
//! Engines are made with epoch interruption on; a background thread moves the epoch of the
//! engine in use forward every [`TICK`], and each directive starts with a deadline
//! [`LIMIT_TICKS`] ticks away, after which the running guest traps.
//! Host code that loops forever cannot be interrupted this way.

use std::sync::Mutex;
use std::time::Duration;

use tether::Engine;

/// How often the epoch moves forward.
pub const TICK: Duration = Duration::from_millis(100);

/// How many ticks a directive may run for.
pub const LIMIT_TICKS: u64 = 600;

/// The time limit of a directive, [`LIMIT_TICKS`] ticks.
pub const LIMIT: Duration = Duration::from_millis(100 * LIMIT_TICKS);

/// The engine whose epoch the background thread moves.
static ENGINE: Mutex<Option<Engine>> = Mutex::new(None);

/// Starts the background thread.
pub fn start() {
    let spawned = std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(|| {
            loop {
                std::thread::sleep(TICK);
                let engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(engine) = engine.as_ref() {
                    engine.increment_epoch();
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("tether-wast: note: no time limit per directive: cannot start a thread: {e}");
    }
}

/// Makes `engine` the one whose epoch moves.
pub fn watch(engine: &Engine) {
    *ENGINE.lock().unwrap_or_else(|e| e.into_inner()) = Some(engine.clone());
}
