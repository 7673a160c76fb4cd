//! The last line of defence: a panic while running a directive becomes that directive's
//! failure instead of ending the run.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// How many [`guarded`] calls are under way on this thread.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The message and location of the last panic caught by [`guarded`].
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs a panic hook that records, rather than prints, panics inside [`guarded`].
/// Panics elsewhere are printed as usual.
pub fn install_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if DEPTH.with(Cell::get) == 0 {
            default(info);
            return;
        }
        let mut message = payload_message(info.payload());
        if let Some(at) = info.location() {
            message.push_str(&format!(" (at {at})"));
        }
        LAST.with(|last| *last.borrow_mut() = Some(message));
    }));
}

/// Runs `f`, turning a panic into `Err` with its message.
pub fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|payload| {
        LAST.with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| payload_message(&*payload))
    })
}

fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        install_hook();
        assert_eq!(guarded(|| 3), Ok(3));
        let err = guarded(|| -> u32 { panic!("boom {}", 7) }).unwrap_err();
        assert!(err.starts_with("boom 7 (at "), "{err}");
        let err =
            guarded(|| guarded(|| panic!("inner")).unwrap_or_else(|e| panic!("outer after {e}")));
        assert!(err.unwrap_err().starts_with("outer after inner"));
    }
}
