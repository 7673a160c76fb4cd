//! Errors of calls: a canonical-ABI fault as a [`Trap`] error, the core engine's errors and
//! traps translated both ways, and what an instance that a failed call left is poisoned with.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use tether_abi::{Fault, Trap, WasmTrap};

#[cold]
pub(crate) fn unsupported_call(what: &str) -> anyhow::Error {
    anyhow!("unsupported: {what}")
}

/// A trap, as an error of a call: the [`Trap`] under a "wasm trap" context, so that the
/// error downcasts to the `Trap` and reads "wasm trap: <the fault>" in full.
#[cold]
pub(crate) fn trap(t: Fault) -> anyhow::Error {
    anyhow::Error::new(t.into_trap()).context("wasm trap")
}

/// The trap an error of a call carries, if it is one.
pub(crate) fn trap_of(e: &anyhow::Error) -> Option<&Trap> {
    e.downcast_ref::<Trap>()
}

#[cold]
pub(super) fn wrong_type(index: u32) -> Fault {
    Fault::from(Trap::WrongHandleType { index })
}

/// What an instance that a call with error `e` left is poisoned with: the error, in one line.
fn poison_of(e: &anyhow::Error) -> Arc<str> {
    Arc::from(describe_error(e).as_str())
}

/// Renders an error from the core engine or a host function as one line.
pub(crate) fn describe_error(e: &anyhow::Error) -> String {
    if let Some(t) = trap_of(e) {
        return match t {
            Trap::Wasm(w) => w.to_string(),
            t => t.to_string(),
        };
    }
    if let Some(t) = e.downcast_ref::<wasmtime::Trap>() {
        return t.to_string();
    }
    if e.downcast_ref::<wasmtime::ThrownException>().is_some() {
        return Trap::UncaughtException.to_string();
    }
    format!("{e:#}")
}

/// The core engine's trap as Tether names it.
fn wasm_trap(t: wasmtime::Trap) -> Trap {
    use wasmtime::Trap as W;
    Trap::Wasm(match t {
        W::StackOverflow => WasmTrap::StackOverflow,
        W::MemoryOutOfBounds => WasmTrap::MemoryOutOfBounds,
        W::HeapMisaligned => WasmTrap::HeapMisaligned,
        W::TableOutOfBounds => WasmTrap::TableOutOfBounds,
        W::IndirectCallToNull => WasmTrap::IndirectCallToNull,
        W::BadSignature => WasmTrap::BadSignature,
        W::IntegerOverflow => WasmTrap::IntegerOverflow,
        W::IntegerDivisionByZero => WasmTrap::IntegerDivisionByZero,
        W::BadConversionToInteger => WasmTrap::BadConversionToInteger,
        W::UnreachableCodeReached => WasmTrap::Unreachable,
        W::NullReference => WasmTrap::NullReference,
        W::ArrayOutOfBounds => WasmTrap::ArrayOutOfBounds,
        W::AllocationTooLarge => WasmTrap::AllocationTooLarge,
        W::CastFailure => WasmTrap::CastFailure,
        W::OutOfFuel => return Trap::OutOfFuel,
        W::Interrupt => return Trap::DeadlineExceeded,
        _ => WasmTrap::Other,
    })
}

/// Turns a core engine error into Tether's error: a trap of the core engine becomes the
/// [`Trap`] that names it (the engine's error, with its wasm backtrace, stays underneath), a
/// trap raised by Tether or an error of a host function comes out as it went in.
pub(crate) fn from_core(e: wasmtime::Error) -> anyhow::Error {
    if e.downcast_ref::<wasmtime::ThrownException>().is_some() {
        return anyhow::Error::new(Trap::UncaughtException);
    }
    match e.downcast::<HostError>() {
        Ok(h) => h.0,
        Err(e) => {
            let core_trap = e.downcast_ref::<wasmtime::Trap>().copied();
            let e = anyhow::Error::from(e);
            match core_trap {
                Some(t) if trap_of(&e).is_none() => e.context(wasm_trap(t)),
                _ => e,
            }
        }
    }
}

/// An error returned by a host function, carried through the core engine unchanged.
struct HostError(anyhow::Error);

impl std::fmt::Debug for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for HostError {}

/// Turns Tether's error into the core engine's, for returning from a host function: it
/// comes back out of [`from_core`] as it went in.
pub(crate) fn to_core(e: anyhow::Error) -> wasmtime::Error {
    wasmtime::Error::new(HostError(e))
}

/// What a call into a guest that ended with `r` poisons the instances it entered with: its
/// error, unless there was none or the call was refused before the guest ran (arguments of
/// the wrong type: only `realloc` may have run, which leaves nothing inconsistent).
#[inline]
pub(super) fn poison<R>(r: &Result<R>) -> Option<Arc<str>> {
    r.as_ref()
        .err()
        .filter(|e| !e.is::<HostTypeError>())
        .map(poison_of)
}

/// A fault in lowering: the guest's (a trap) or the host's (a value of the wrong type, which
/// is the [`Trap::HostValue`] over a [`HostTypeError`]).
pub(crate) fn lower_error(t: Fault) -> anyhow::Error {
    if matches!(t.trap(), Trap::HostValue { .. }) {
        anyhow::Error::new(HostTypeError).context(t.into_trap())
    } else {
        trap(t)
    }
}

/// Marks a value the host passed that does not match its type: the host's mistake, found
/// before the guest ran, so it leaves the instance usable.
#[derive(Debug)]
pub(crate) struct HostTypeError;

impl std::fmt::Display for HostTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused before the guest ran")
    }
}

impl std::error::Error for HostTypeError {}
