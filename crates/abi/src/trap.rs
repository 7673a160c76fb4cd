//! The traps and errors of lifting and lowering, built out of line.
//!
//! Messages use wasmtime's wording where wasmtime has one, because conformance suites match on
//! it.

use crate::Trap;
use crate::types::{Short, Type};
use crate::val::{Summary, Val};

#[cold]
#[inline(never)]
pub(crate) fn unaligned_string(ptr: u32, align: u32) -> Trap {
    Trap::guest(format!(
        "unaligned pointer: string pointer not aligned to {align} ({ptr:#x})"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn unaligned(ptr: u32, align: u32) -> Trap {
    Trap::guest(format!(
        "unaligned pointer: {ptr:#x} is not a multiple of {align}"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn out_of_bounds(ptr: u64, size: u64, memory: usize) -> Trap {
    Trap::guest(format!(
        "pointer out of bounds of memory: {size} bytes at {ptr:#x} do not fit in {memory} bytes"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn string_too_long(byte_len: u64) -> Trap {
    Trap::guest(format!(
        "string content out-of-bounds: string length too large: {byte_len} bytes, the most is {}",
        crate::layout::MAX_STRING_BYTE_LENGTH
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn string_out_of_bounds(ptr: u32, byte_len: u64, memory: usize) -> Trap {
    Trap::guest(format!(
        "string content out-of-bounds: string pointer/length out of bounds of memory ({byte_len} bytes at {ptr:#x} do not fit in {memory} bytes)"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn bad_utf8(e: std::str::Utf8Error) -> Trap {
    // The standard library's wording, "invalid utf-8 sequence of 1 bytes from index 3", is the
    // wording wasmtime reports; a sequence cut short ("incomplete utf-8 byte sequence from
    // index 3") is said to be invalid utf-8 too, as the spec's tests expect.
    let said = e.to_string();
    if said.starts_with("invalid utf-8") {
        Trap::guest(said)
    } else {
        Trap::guest(format!("invalid utf-8: {said}"))
    }
}

#[cold]
#[inline(never)]
pub(crate) fn bad_utf16(surrogate: u16) -> Trap {
    Trap::guest(format!(
        "invalid utf-16: unpaired surrogate {surrogate:#06x}"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn list_too_long(byte_len: u64) -> Trap {
    Trap::guest(format!("list length too large: {byte_len} bytes"))
}

#[cold]
#[inline(never)]
pub(crate) fn list_out_of_bounds(ptr: u32, byte_len: u64, memory: usize) -> Trap {
    Trap::guest(format!(
        "list content out-of-bounds: {byte_len} bytes at {ptr:#x} do not fit in {memory} bytes"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn realloc_unaligned(ptr: u32, align: u32) -> Trap {
    Trap::guest(format!(
        "unaligned pointer: realloc return: result not aligned ({ptr:#x} is not a multiple of {align})"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn realloc_out_of_bounds(what: &str, ptr: u32, size: u32) -> Trap {
    let what = match what {
        "" => String::new(),
        what => format!("{what} out-of-bounds: "),
    };
    Trap::guest(format!(
        "{what}realloc return: beyond end of memory ({size} bytes at {ptr:#x})"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn bad_char(bits: u32) -> Trap {
    Trap::guest(format!("invalid `char` bit pattern: {bits:#x}"))
}

#[cold]
#[inline(never)]
pub(crate) fn bad_discriminant(disc: u32, cases: usize) -> Trap {
    Trap::guest(format!(
        "invalid variant discriminant: discriminant {disc} out of range [0..{cases})"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn core_count(what: &str, expected: usize, found: usize) -> Trap {
    Trap::guest(format!(
        "wrong number of core values for {what}: expected {expected}, found {found}"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn mismatch(ty: &Type, val: &Val) -> Trap {
    Trap::host_type(format!(
        "type mismatch: expected `{}`, found {}",
        Short(ty),
        Summary(val)
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn value_count(expected: usize, found: usize) -> Trap {
    Trap::host_type(format!(
        "type mismatch: expected {expected} values, found {found}"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn host_list_too_long(len: usize) -> Trap {
    Trap::host_type(format!("list length too large: {len} elements"))
}

#[cold]
#[inline(never)]
pub(crate) fn unreachable(what: &str) -> Trap {
    Trap::guest(format!("internal error: {what}"))
}

/// The call copied more bytes than its budget allows.
#[cold]
pub(crate) fn copy_limit(budget: u64) -> Trap {
    Trap::guest(format!(
        "copy limit exceeded: the call would copy more than {budget} bytes between host and guest"
    ))
}
