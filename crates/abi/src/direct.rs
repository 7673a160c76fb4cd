//! Building blocks for lifting and lowering typed values without [`Val`].
//!
//! A runtime that knows the Rust type of a value (a `Vec<u8>`, a `String`, a record of
//! scalars) can move it between a guest's memory and the host with these functions instead
//! of building one [`Val`] per element. Each function is the piece of [`load`](crate::load),
//! [`store`](crate::store), [`lift_flat`](crate::lift_flat) or
//! [`lower_flat_values`](crate::lower_flat_values) that does the same step, so the checks,
//! their order, the traps' messages, the `realloc` calls and the bytes charged through
//! [`Context::charge`] are the same on both paths.
//!
//! ```
//! use tether_abi::{direct, Context, ResourceAny, ResourceIndex, StringEncoding, Fault};
//!
//! struct Guest { memory: Vec<u8>, next: u32 }
//!
//! impl Context for Guest {
//!     fn string_encoding(&self) -> StringEncoding { StringEncoding::Utf8 }
//!     fn memory(&self) -> Result<&[u8], Fault> { Ok(&self.memory) }
//!     fn memory_mut(&mut self) -> Result<&mut [u8], Fault> { Ok(&mut self.memory) }
//!     fn realloc(&mut self, _: u32, _: u32, align: u32, size: u32) -> Result<u32, Fault> {
//!         let ptr = self.next.next_multiple_of(align);
//!         self.next = ptr + size;
//!         Ok(ptr)
//!     }
//!     fn lift_own(&mut self, _: ResourceIndex, _: u32) -> Result<ResourceAny, Fault> { unimplemented!() }
//!     fn lift_borrow(&mut self, _: ResourceIndex, _: u32) -> Result<ResourceAny, Fault> { unimplemented!() }
//!     fn lower_own(&mut self, _: ResourceIndex, _: ResourceAny) -> Result<u32, Fault> { unimplemented!() }
//!     fn lower_borrow(&mut self, _: ResourceIndex, _: ResourceAny) -> Result<u32, Fault> { unimplemented!() }
//! }
//!
//! let mut guest = Guest { memory: vec![0; 256], next: 16 };
//! let (ptr, len) = direct::lower_string(&mut guest, "héllo")?;
//! assert_eq!(direct::lift_string(&mut guest, ptr, len)?, "héllo");
//!
//! // A list of bytes: allocated with `realloc`, then copied in one piece.
//! let ptr = direct::alloc_list(&mut guest, &tether_abi::Type::U8, 3)?;
//! guest.memory[ptr as usize..][..3].copy_from_slice(b"abc");
//! direct::check_list(&mut guest, &tether_abi::Type::U8, ptr, 3)?;
//! assert_eq!(&guest.memory[ptr as usize..][..3], b"abc");
//!
//! // A pointer out of bounds traps with the same message as the `Val` path.
//! let err = direct::lift_string(&mut guest, 250, 10).unwrap_err();
//! assert!(err.to_string().starts_with("string content out-of-bounds"));
//! # Ok::<(), Fault>(())
//! ```

use crate::layout::{VariantShape, align_to_u64};
use crate::lift::check_list as check_list_range;
use crate::lower::{CxDst, Dst, alloc_list as alloc_list_in, tuple_size_align};
use crate::types::Type;
use crate::val::Val;
use crate::{Context, Fault, string, trap};

/// Reads `N` bytes at `off` of `mem`; a range outside `mem` traps as [`load`](crate::load)
/// does.
#[inline]
pub fn read<const N: usize>(mem: &[u8], off: usize) -> Result<[u8; N], Fault> {
    match mem.get(off..).and_then(|m| m.first_chunk::<N>()) {
        Some(bytes) => Ok(*bytes),
        None => Err(trap::out_of_bounds(off as u64, N as u64, mem.len())),
    }
}

/// Writes `N` bytes at `off` of `mem`; a range outside `mem` traps as
/// [`store`](crate::store) does.
#[inline]
pub fn write<const N: usize>(mem: &mut [u8], off: usize, bytes: [u8; N]) -> Result<(), Fault> {
    let len = mem.len();
    match mem.get_mut(off..).and_then(|m| m.first_chunk_mut::<N>()) {
        Some(dst) => {
            *dst = bytes;
            Ok(())
        }
        None => Err(trap::out_of_bounds(off as u64, N as u64, len)),
    }
}

/// Reads the discriminant of a variant of shape `shape` at `off`.
#[inline]
pub fn read_disc(mem: &[u8], off: usize, shape: VariantShape) -> Result<u32, Fault> {
    Ok(match shape.disc_size {
        1 => u32::from(read::<1>(mem, off)?[0]),
        2 => u32::from(u16::from_le_bytes(read(mem, off)?)),
        _ => u32::from_le_bytes(read(mem, off)?),
    })
}

/// Writes discriminant `disc` of a variant of shape `shape` at `off`.
#[inline]
pub fn write_disc(mem: &mut [u8], off: usize, shape: VariantShape, disc: u32) -> Result<(), Fault> {
    match shape.disc_size {
        1 => write(mem, off, [disc as u8]),
        2 => write(mem, off, (disc as u16).to_le_bytes()),
        _ => write(mem, off, disc.to_le_bytes()),
    }
}

/// `x`, with any NaN made the canonical NaN (as lifting and lowering do).
#[inline]
pub fn canonical_f32(x: f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(0x7fc0_0000)
    } else {
        x
    }
}

/// `x`, with any NaN made the canonical NaN (as lifting and lowering do).
#[inline]
pub fn canonical_f64(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(0x7ff8_0000_0000_0000)
    } else {
        x
    }
}

/// The `char` of `bits` (the spec's `convert_i32_to_char`), or the trap lifting gives.
#[inline]
pub fn char_from_bits(bits: u32) -> Result<char, Fault> {
    char::from_u32(bits).ok_or_else(|| trap::bad_char(bits))
}

/// The trap for discriminant `disc` of a variant with `cases` cases.
#[cold]
pub fn bad_discriminant(disc: u32, cases: usize) -> Fault {
    trap::bad_discriminant(disc, cases)
}

/// The error for a host value `val` that does not fit `ty` (a [`Trap::HostValue`](crate::Trap::HostValue)).
#[cold]
pub fn mismatch(ty: &Type, val: &Val) -> Fault {
    trap::mismatch(ty, val)
}

/// The trap for a flattened value that does not have the core values its type needs; a
/// caller that slices core values by [`Type::flat_count`] never meets it.
#[cold]
pub fn core_count(expected: usize, found: usize) -> Fault {
    trap::core_count("a value", expected, found)
}

/// Lifts the string of `len` tagged code units at `ptr` (the spec's `load_string_from_range`
/// in the context's encoding), and charges its UTF-8 length to the call, as
/// [`load`](crate::load) does: a string whose code units alone are over the budget is
/// refused before it is decoded.
pub fn lift_string<C: Context + ?Sized>(cx: &mut C, ptr: u32, len: u32) -> Result<String, Fault> {
    crate::lift::lift_string_cx(cx, ptr, len)
}

/// Lowers `s` into the guest (the spec's `store_string_into_range`, with the `realloc` calls
/// the context's encoding and [`source_encoding`](Context::source_encoding) call for) and
/// returns its pointer and tagged length.
pub fn lower_string<C: Context + ?Sized>(cx: &mut C, s: &str) -> Result<(u32, u32), Fault> {
    string::lower(&mut CxDst(cx), s)
}

/// Checks a list of `len` elements of type `elem` at `ptr` (length, alignment and bounds, as
/// `load_list_from_range` does) and charges its byte length to the call, as copied: lifted
/// straight into Rust values, a list takes about the host memory of its bytes (no `Val` per
/// element, which the `Val` path charges besides). The elements can then be read from `ptr`
/// on.
pub fn check_list<C: Context + ?Sized>(
    cx: &mut C,
    elem: &Type,
    ptr: u32,
    len: u32,
) -> Result<(), Fault> {
    check_list_range(cx.memory()?.len(), ptr, len, elem.size(), elem.align())?;
    cx.charge(u64::from(len) * u64::from(elem.size()), false)
}

/// The host memory that lifting values of types `tys` as a whole takes beyond their lists'
/// elements (their [`Type::lifted_heap`]s), as [`lift_flat_values`](crate::lift_flat_values)
/// charges it: a runtime works it out once per signature and charges it with
/// [`charge_fixed`].
pub fn values_heap(tys: &[Type]) -> u64 {
    crate::lift::values_heap(tys)
}

/// Charges `heap` bytes, a signature's [`values_heap`], to the call (nothing when zero).
#[inline]
pub fn charge_fixed<C: Context + ?Sized>(cx: &mut C, heap: u64) -> Result<(), Fault> {
    crate::lift::charge_fixed(cx, heap)
}

/// Allocates a block for `count` elements of type `elem` with the guest's `realloc` (charged
/// to the call) and checks it, as `store_list_into_range` does; returns its pointer. The
/// elements are then written from that pointer on.
pub fn alloc_list<C: Context + ?Sized>(
    cx: &mut C,
    elem: &Type,
    count: usize,
) -> Result<u32, Fault> {
    alloc_list_in(&mut CxDst(cx), count, elem.size(), elem.align())
}

/// The size and alignment of the tuple that values of types `tys` are spilled to memory as.
pub fn spilled_layout(tys: &[Type]) -> (u64, u32) {
    tuple_size_align(tys)
}

/// The offset of a value of type `ty` stored after `end`, the end of the previous value of a
/// tuple or spilled parameter list.
#[inline]
pub fn field_offset(end: u64, ty: &Type) -> u64 {
    align_to_u64(end, ty.align())
}

/// Checks a pointer to spilled values of types `tys` (alignment and bounds), as lifting
/// spilled parameters or results and lowering results into a caller's return area do.
pub fn check_spilled<C: Context + ?Sized>(cx: &mut C, tys: &[Type], ptr: u32) -> Result<(), Fault> {
    let (size, align) = tuple_size_align(tys);
    if !ptr.is_multiple_of(align) {
        return Err(trap::unaligned(ptr, align));
    }
    let memory = cx.memory()?.len();
    if u64::from(ptr) + size > memory as u64 {
        return Err(trap::out_of_bounds(u64::from(ptr), size, memory));
    }
    Ok(())
}

/// Allocates the block that values of types `tys` are spilled to when the host passes too
/// many core values to a guest, with `realloc(0, 0, align, size)` (charged to the call), and
/// checks it.
pub fn alloc_spilled<C: Context + ?Sized>(cx: &mut C, tys: &[Type]) -> Result<u32, Fault> {
    let (size, align) = tuple_size_align(tys);
    let size = u32::try_from(size).map_err(|_| trap::host_list_too_long(tys.len()))?;
    let mut d = CxDst(cx);
    let ptr = d.realloc(0, 0, align, size)?;
    d.check_realloc(ptr, align, size, "")?;
    Ok(ptr)
}

/// The `len` bytes of `mem` at `off`; a range outside `mem` traps as [`load`](crate::load)
/// does.
#[inline]
pub fn range(mem: &[u8], off: usize, len: usize) -> Result<&[u8], Fault> {
    match mem.get(off..).and_then(|m| m.get(..len)) {
        Some(bytes) => Ok(bytes),
        None => Err(trap::out_of_bounds(off as u64, len as u64, mem.len())),
    }
}

/// The `len` bytes of `mem` at `off`, for writing; a range outside `mem` traps as
/// [`store`](crate::store) does.
#[inline]
pub fn range_mut(mem: &mut [u8], off: usize, len: usize) -> Result<&mut [u8], Fault> {
    let mem_len = mem.len();
    match mem.get_mut(off..).and_then(|m| m.get_mut(..len)) {
        Some(bytes) => Ok(bytes),
        None => Err(trap::out_of_bounds(off as u64, len as u64, mem_len)),
    }
}

/// Lifts a `list<u8>` of `len` bytes at `ptr` with one borrow of memory: the checks, the
/// charge and the copy of [`check_list`] followed by a read of the bytes. The budget is
/// checked before the bytes are copied, so a list over it costs no allocation.
pub fn lift_bytes<C: Context + ?Sized>(cx: &mut C, ptr: u32, len: u32) -> Result<Vec<u8>, Fault> {
    let budget = cx.copy_budget();
    let charge = u64::from(len);
    let mem = cx.memory()?;
    check_list_range(mem.len(), ptr, len, 1, 1)?;
    let bytes = if charge <= budget {
        // The range was checked above.
        mem.get(ptr as usize..)
            .and_then(|m| m.get(..len as usize))
            .map(<[u8]>::to_vec)
    } else {
        None
    };
    cx.charge(charge, false)?;
    bytes.ok_or_else(|| trap::unreachable("a list over the copy budget was charged"))
}

/// Lowers `bytes` as a `list<u8>`: allocates the block with the guest's `realloc` (charged to
/// the call), checks it and copies the bytes in with one borrow of memory, as
/// [`alloc_list`] and a write of the bytes would; returns the block's pointer.
pub fn lower_bytes<C: Context + ?Sized>(cx: &mut C, bytes: &[u8]) -> Result<u32, Fault> {
    let len = u32::try_from(bytes.len()).map_err(|_| trap::host_list_too_long(bytes.len()))?;
    let mut d = CxDst(cx);
    let ptr = d.realloc(0, 0, 1, len)?;
    match d
        .mem()?
        .get_mut(ptr as usize..)
        .and_then(|m| m.get_mut(..len as usize))
    {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            Ok(ptr)
        }
        None => Err(trap::realloc_out_of_bounds("list content", ptr, len)),
    }
}

/// The `n` core values of `flat` from `at` (a member's share of a flattened value).
#[inline]
pub fn slots(flat: &[u64], at: usize, n: usize) -> Result<&[u64], Fault> {
    match flat.get(at..).and_then(|f| f.get(..n)) {
        Some(s) => Ok(s),
        None => Err(core_count(at + n, flat.len())),
    }
}

/// The `n` core value slots of `out` from `at`, for writing.
#[inline]
pub fn slots_mut(out: &mut [u64], at: usize, n: usize) -> Result<&mut [u64], Fault> {
    let len = out.len();
    match out.get_mut(at..).and_then(|f| f.get_mut(..n)) {
        Some(s) => Ok(s),
        None => Err(core_count(at + n, len)),
    }
}

/// The error for a typed value met with a component type it was not checked against (a
/// runtime that checks types first never meets it).
#[cold]
pub fn unexpected(ty: &Type) -> Fault {
    trap::unreachable(&format!(
        "a typed value met the component type `{ty}` it was not checked against"
    ))
}

/// Reads the bit vector of a `flags` of `size` bytes (0, 1, 2 or 4) at `off`.
#[inline]
pub fn read_flags(mem: &[u8], off: usize, size: u32) -> Result<u32, Fault> {
    Ok(match size {
        0 => 0,
        1 => u32::from(read::<1>(mem, off)?[0]),
        2 => u32::from(u16::from_le_bytes(read(mem, off)?)),
        _ => u32::from_le_bytes(read(mem, off)?),
    })
}

/// Writes the bit vector of a `flags` of `size` bytes (0, 1, 2 or 4) at `off`.
#[inline]
pub fn write_flags(mem: &mut [u8], off: usize, size: u32, bits: u32) -> Result<(), Fault> {
    match size {
        0 => Ok(()),
        1 => write(mem, off, [bits as u8]),
        2 => write(mem, off, (bits as u16).to_le_bytes()),
        _ => write(mem, off, bits.to_le_bytes()),
    }
}
