//! The faults of lifting and lowering, built out of line so that the paths that do not fail
//! stay small. Each is a [`Trap`] variant in a [`Fault`]; the variant's `Display` holds the
//! message.

use crate::fault::{Fault, PointerOf, Trap};
use crate::types::{Short, Type};
use crate::val::{Summary, Val};

#[cold]
#[inline(never)]
pub(crate) fn unaligned_string(ptr: u32, align: u32) -> Fault {
    Trap::UnalignedPointer {
        of: PointerOf::String,
        ptr,
        align,
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn unaligned(ptr: u32, align: u32) -> Fault {
    Trap::UnalignedPointer {
        of: PointerOf::Value,
        ptr,
        align,
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn out_of_bounds(ptr: u64, size: u64, memory: usize) -> Fault {
    Trap::PointerOutOfBounds { ptr, size, memory }.into()
}

#[cold]
#[inline(never)]
pub(crate) fn string_too_long(byte_len: u64) -> Fault {
    Trap::StringTooLong { byte_len }.into()
}

#[cold]
#[inline(never)]
pub(crate) fn string_out_of_bounds(ptr: u32, byte_len: u64, memory: usize) -> Fault {
    Trap::StringOutOfBounds {
        ptr,
        byte_len,
        memory,
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn bad_utf8(e: std::str::Utf8Error) -> Fault {
    // The standard library's wording, "invalid utf-8 sequence of 1 bytes from index 3", is the
    // wording wasmtime reports; a sequence cut short ("incomplete utf-8 byte sequence from
    // index 3") is said to be invalid utf-8 too, as the spec's tests expect.
    let said = e.to_string();
    let detail = if said.starts_with("invalid utf-8") {
        said
    } else {
        format!("invalid utf-8: {said}")
    };
    Trap::InvalidUtf8 {
        detail: detail.into_boxed_str(),
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn bad_utf16(surrogate: u16) -> Fault {
    Trap::InvalidUtf16 { surrogate }.into()
}

#[cold]
#[inline(never)]
pub(crate) fn list_too_long(byte_len: u64) -> Fault {
    Trap::ListTooLong { byte_len }.into()
}

#[cold]
#[inline(never)]
pub(crate) fn list_out_of_bounds(ptr: u32, byte_len: u64, memory: usize) -> Fault {
    Trap::ListOutOfBounds {
        ptr,
        byte_len,
        memory,
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn realloc_unaligned(ptr: u32, align: u32) -> Fault {
    Trap::UnalignedPointer {
        of: PointerOf::Realloc,
        ptr,
        align,
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn realloc_out_of_bounds(what: &'static str, ptr: u32, size: u32) -> Fault {
    Trap::ReallocOutOfBounds { what, ptr, size }.into()
}

#[cold]
#[inline(never)]
pub(crate) fn bad_char(bits: u32) -> Fault {
    Trap::InvalidChar { bits }.into()
}

#[cold]
#[inline(never)]
pub(crate) fn bad_discriminant(disc: u32, cases: usize) -> Fault {
    Trap::InvalidDiscriminant {
        discriminant: disc,
        cases,
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn core_count(what: &str, expected: usize, found: usize) -> Fault {
    Trap::Internal {
        message: format!(
            "wrong number of core values for {what}: expected {expected}, found {found}"
        )
        .into_boxed_str(),
    }
    .into()
}

#[cold]
#[inline(never)]
pub(crate) fn mismatch(ty: &Type, val: &Val) -> Fault {
    Fault::host_value(format!(
        "type mismatch: expected `{}`, found {}",
        Short(ty),
        Summary(val)
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn value_count(expected: usize, found: usize) -> Fault {
    Fault::host_value(format!(
        "type mismatch: expected {expected} values, found {found}"
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn host_list_too_long(len: usize) -> Fault {
    Fault::host_value(format!("list length too large: {len} elements"))
}

#[cold]
#[inline(never)]
pub(crate) fn unreachable(what: &str) -> Fault {
    Trap::Internal {
        message: what.into(),
    }
    .into()
}

/// The call copied more bytes than its budget allows.
#[cold]
pub(crate) fn copy_limit(budget: u64) -> Fault {
    Trap::CopyLimit { limit: budget }.into()
}
