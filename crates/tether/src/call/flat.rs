//! Core values as the core engine's untyped slots ([`ValRaw`]) and as the `u64`s the
//! canonical ABI's flat values are.

use tether_abi::CoreType;
use wasmtime::ValRaw;

/// The raw bits of a core value of type `ty`: 32-bit values in the low half, zero-extended.
///
/// Every core type is stored little-endian from the start of the slot, so this is one load
/// and a mask, with no branch on the type (a jump on the type per parameter cost more than
/// the rest of a small host call).
#[inline]
pub(super) fn raw_to_u64(raw: ValRaw, ty: CoreType) -> u64 {
    let v = raw.get_u64();
    if matches!(ty, CoreType::I32 | CoreType::F32) {
        v & 0xffff_ffff
    } else {
        v
    }
}

/// The core value of type `ty` with raw bits `v` (see [`raw_to_u64`]).
#[inline]
pub(super) fn u64_to_raw(v: u64, ty: CoreType) -> ValRaw {
    if matches!(ty, CoreType::I32 | CoreType::F32) {
        ValRaw::u64(v & 0xffff_ffff)
    } else {
        ValRaw::u64(v)
    }
}
