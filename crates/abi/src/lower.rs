//! Lowering: writing values into a guest's memory (`store`) and into core values
//! (`lower_flat`).
//!
//! One recursion serves two destinations through the private [`Dst`] trait: the
//! [`Context`] itself, and a plain byte slice for the parts of a value that hold neither
//! pointers nor handles, so those are written with a single borrow of memory.

use crate::layout::{VariantShape, align_to_u64, flat_count_all};
use crate::string::{self, SourceEncoding, StringEncoding};
use crate::types::{MapType, TupleType, Type};
use crate::val::{ReadableEnd, ResourceAny, Val};
use crate::{Context, Fault, ResourceIndex, trap};

/// Where lowering writes: the guest behind a [`Context`], or a slice of its memory.
pub(crate) trait Dst {
    /// Whether this destination is a plain memory slice (which cannot call `realloc` or
    /// lower handles).
    const SLICE: bool;

    /// The memory, for writing.
    fn mem(&mut self) -> Result<&mut [u8], Fault>;

    /// The destination's string encoding.
    fn encoding(&self) -> StringEncoding;

    /// The encoding the strings being lowered came from.
    fn source_encoding(&self) -> SourceEncoding;

    /// Calls the guest's `realloc`, unchecked.
    fn realloc(&mut self, old: u32, old_size: u32, align: u32, size: u32) -> Result<u32, Fault>;

    /// Lowers a handle.
    fn lower_resource(
        &mut self,
        own: bool,
        ty: ResourceIndex,
        r: ResourceAny,
    ) -> Result<u32, Fault>;

    /// Lowers the readable end of a `future` or `stream` of type `ty`.
    fn lower_readable(&mut self, ty: &Type, end: ReadableEnd) -> Result<u32, Fault>;

    /// Stores a value of a plain type (no pointers, no handles) through a single borrow of
    /// memory.
    fn store_plain(&mut self, ty: &Type, val: &Val, off: usize) -> Result<(), Fault>;

    /// Stores plain elements through a single borrow of memory.
    fn store_plain_elems(&mut self, elem: &Type, vals: &[Val], base: usize) -> Result<(), Fault>;

    /// Checks a pointer returned by `realloc` for a block of `size` bytes aligned to `align`.
    /// `what` names the block for messages: "string content", "list content" or "".
    fn check_realloc(
        &mut self,
        ptr: u32,
        align: u32,
        size: u32,
        what: &'static str,
    ) -> Result<(), Fault> {
        if !ptr.is_multiple_of(align) {
            return Err(trap::realloc_unaligned(ptr, align));
        }
        if u64::from(ptr) + u64::from(size) > self.mem()?.len() as u64 {
            return Err(trap::realloc_out_of_bounds(what, ptr, size));
        }
        Ok(())
    }
}

/// Lowering into the guest behind a [`Context`].
pub(crate) struct CxDst<'a, C: ?Sized>(pub(crate) &'a mut C);

impl<C: Context + ?Sized> Dst for CxDst<'_, C> {
    const SLICE: bool = false;

    #[inline]
    fn mem(&mut self) -> Result<&mut [u8], Fault> {
        self.0.memory_mut()
    }

    #[inline]
    fn encoding(&self) -> StringEncoding {
        self.0.string_encoding()
    }

    #[inline]
    fn source_encoding(&self) -> SourceEncoding {
        self.0.source_encoding()
    }

    #[inline]
    fn realloc(&mut self, old: u32, old_size: u32, align: u32, size: u32) -> Result<u32, Fault> {
        self.0.charge(
            u64::from(size.saturating_sub(if old == 0 { 0 } else { old_size })),
            true,
        )?;
        self.0.realloc(old, old_size, align, size)
    }

    #[inline]
    fn lower_resource(
        &mut self,
        own: bool,
        ty: ResourceIndex,
        r: ResourceAny,
    ) -> Result<u32, Fault> {
        if own {
            self.0.lower_own(ty, r)
        } else {
            self.0.lower_borrow(ty, r)
        }
    }

    #[inline]
    fn lower_readable(&mut self, ty: &Type, end: ReadableEnd) -> Result<u32, Fault> {
        match ty {
            Type::ErrorContext => self.0.lower_error_context(end),
            _ => self.0.lower_readable(ty, end),
        }
    }

    #[inline]
    fn store_plain(&mut self, ty: &Type, val: &Val, off: usize) -> Result<(), Fault> {
        store_in(&mut SliceDst(self.0.memory_mut()?), ty, val, off)
    }

    #[inline]
    fn store_plain_elems(&mut self, elem: &Type, vals: &[Val], base: usize) -> Result<(), Fault> {
        store_elems(&mut SliceDst(self.0.memory_mut()?), elem, vals, base)
    }
}

/// Lowering plain values into a slice of memory.
struct SliceDst<'a>(&'a mut [u8]);

impl Dst for SliceDst<'_> {
    const SLICE: bool = true;

    #[inline]
    fn mem(&mut self) -> Result<&mut [u8], Fault> {
        Ok(self.0)
    }

    fn encoding(&self) -> StringEncoding {
        StringEncoding::Utf8
    }

    fn source_encoding(&self) -> SourceEncoding {
        SourceEncoding::Utf8
    }

    fn realloc(&mut self, _: u32, _: u32, _: u32, _: u32) -> Result<u32, Fault> {
        Err(trap::unreachable("a plain value called `realloc`"))
    }

    fn lower_resource(&mut self, _: bool, _: ResourceIndex, _: ResourceAny) -> Result<u32, Fault> {
        Err(trap::unreachable("a plain value holds a handle"))
    }

    fn lower_readable(&mut self, _: &Type, _: ReadableEnd) -> Result<u32, Fault> {
        Err(trap::unreachable("a plain value holds a handle"))
    }

    fn store_plain(&mut self, ty: &Type, val: &Val, off: usize) -> Result<(), Fault> {
        store_in(self, ty, val, off)
    }

    fn store_plain_elems(&mut self, elem: &Type, vals: &[Val], base: usize) -> Result<(), Fault> {
        store_elems(self, elem, vals, base)
    }
}

/// Writes `N` bytes at `off`.
#[inline]
fn put<const N: usize>(mem: &mut [u8], off: usize, bytes: [u8; N]) -> Result<(), Fault> {
    match mem.get_mut(off..).and_then(|m| m.first_chunk_mut::<N>()) {
        Some(dst) => {
            *dst = bytes;
            Ok(())
        }
        None => Err(trap::out_of_bounds(off as u64, N as u64, mem.len())),
    }
}

/// The bits of `x`, with any NaN made the canonical NaN.
#[inline]
fn f32_bits(x: f32) -> u32 {
    if x.is_nan() { 0x7fc0_0000 } else { x.to_bits() }
}

/// The bits of `x`, with any NaN made the canonical NaN.
#[inline]
fn f64_bits(x: f64) -> u64 {
    if x.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        x.to_bits()
    }
}

/// Writes the `(pointer, length)` pair of a string or list at `off`.
fn put_pair<D: Dst>(d: &mut D, off: usize, (ptr, len): (u32, u32)) -> Result<(), Fault> {
    let mem = d.mem()?;
    put(mem, off, ptr.to_le_bytes())?;
    put(mem, off + 4, len.to_le_bytes())
}

/// Writes a discriminant of `shape.disc_size` bytes at `off`.
#[inline]
fn put_disc(mem: &mut [u8], off: usize, shape: VariantShape, disc: usize) -> Result<(), Fault> {
    let disc = disc as u32;
    match shape.disc_size {
        1 => put(mem, off, [disc as u8]),
        2 => put(mem, off, (disc as u16).to_le_bytes()),
        _ => put(mem, off, disc.to_le_bytes()),
    }
}

/// The bit vector of `names` for flags type `ty`.
pub(crate) fn flag_bits(
    ty: &Type,
    labels: &[String],
    names: &[String],
    val: &Val,
) -> Result<u32, Fault> {
    let mut bits = 0u32;
    for name in names {
        match labels.iter().position(|l| l == name) {
            Some(i) => bits |= 1 << i,
            None => return Err(trap::mismatch(ty, val)),
        }
    }
    Ok(bits)
}

/// The case index and payload type of a variant-like value, checking that the value's
/// payload matches the case.
pub(crate) struct Case<'a> {
    pub index: usize,
    pub ty: Option<&'a Type>,
    pub payload: Option<&'a Val>,
}

/// Resolves the case of `val` for a variant-like `ty`, or `None` if it does not match.
pub(crate) fn case_of<'a>(ty: &'a Type, val: &'a Val) -> Option<(VariantShape, Case<'a>)> {
    let (shape, index, case_ty, payload) = match (ty, val) {
        (Type::Variant(t), Val::Variant(name, payload)) => {
            let index = t.find(name)?;
            (
                t.shape(),
                index,
                t.cases()[index].1.as_ref(),
                payload.as_deref(),
            )
        }
        (Type::Enum(t), Val::Enum(name)) => (t.shape(), t.find(name)?, None, None),
        (Type::Option(t), Val::Option(None)) => (t.shape(), 0, None, None),
        (Type::Option(t), Val::Option(Some(v))) => (t.shape(), 1, Some(t.some()), Some(&**v)),
        (Type::Result(t), Val::Result(Ok(v))) => (t.shape(), 0, t.ok(), v.as_deref()),
        (Type::Result(t), Val::Result(Err(v))) => (t.shape(), 1, t.err(), v.as_deref()),
        _ => return None,
    };
    if case_ty.is_some() != payload.is_some() {
        return None;
    }
    Some((
        shape,
        Case {
            index,
            ty: case_ty,
            payload,
        },
    ))
}

/// Checks that record `val` has the fields of `ty`, with the same names in the same order.
pub(crate) fn record_fields(
    ty: &Type,
    fields: &[(String, Type)],
    vals: &[(String, Val)],
    val: &Val,
) -> Result<(), Fault> {
    if fields.len() != vals.len() || fields.iter().zip(vals).any(|((a, _), (b, _))| a != b) {
        return Err(trap::mismatch(ty, val));
    }
    Ok(())
}

/// The spec's `store`: writes `val` of type `ty` at offset `off`.
fn store_in<D: Dst>(d: &mut D, ty: &Type, val: &Val, off: usize) -> Result<(), Fault> {
    if !D::SLICE && ty.is_plain() {
        return d.store_plain(ty, val, off);
    }
    match (ty, val) {
        (Type::Bool, Val::Bool(x)) => put(d.mem()?, off, [u8::from(*x)]),
        (Type::S8, Val::S8(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::U8, Val::U8(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::S16, Val::S16(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::U16, Val::U16(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::S32, Val::S32(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::U32, Val::U32(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::S64, Val::S64(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::U64, Val::U64(x)) => put(d.mem()?, off, x.to_le_bytes()),
        (Type::F32, Val::Float32(x)) => put(d.mem()?, off, f32_bits(*x).to_le_bytes()),
        (Type::F64, Val::Float64(x)) => put(d.mem()?, off, f64_bits(*x).to_le_bytes()),
        (Type::Char, Val::Char(x)) => put(d.mem()?, off, u32::from(*x).to_le_bytes()),
        (Type::String, Val::String(s)) => {
            let pair = string::lower(d, s)?;
            put_pair(d, off, pair)
        }
        (Type::List(t), Val::List(vals)) => {
            let pair = store_list(d, t.elem(), vals)?;
            put_pair(d, off, pair)
        }
        (Type::Map(t), Val::Map(entries)) => {
            let pair = store_map(d, ty, t, entries, val)?;
            put_pair(d, off, pair)
        }
        (Type::FixedList(t), Val::List(vals)) if vals.len() == t.len() as usize => {
            store_elems(d, t.elem(), vals, off)
        }
        (Type::Record(t), Val::Record(vals)) => {
            record_fields(ty, t.fields(), vals, val)?;
            for (((_, fty), (_, v)), &o) in t.fields().iter().zip(vals).zip(t.offsets()) {
                store_in(d, fty, v, off + o as usize)?;
            }
            Ok(())
        }
        (Type::Tuple(t), Val::Tuple(vals)) if vals.len() == t.types().len() => {
            store_tuple(d, t, vals, off)
        }
        (Type::Flags(t), Val::Flags(names)) => {
            let bits = flag_bits(ty, t.names(), names, val)?;
            let mem = d.mem()?;
            match t.size() {
                0 => Ok(()),
                1 => put(mem, off, [bits as u8]),
                2 => put(mem, off, (bits as u16).to_le_bytes()),
                _ => put(mem, off, bits.to_le_bytes()),
            }
        }
        (Type::Own(r), Val::Resource(x)) => {
            let index = d.lower_resource(true, *r, *x)?;
            put(d.mem()?, off, index.to_le_bytes())
        }
        (Type::Borrow(r), Val::Resource(x)) => {
            let index = d.lower_resource(false, *r, *x)?;
            put(d.mem()?, off, index.to_le_bytes())
        }
        (Type::Future(_), Val::Future(x))
        | (Type::Stream(_), Val::Stream(x))
        | (Type::ErrorContext, Val::ErrorContext(x)) => {
            let index = d.lower_readable(ty, *x)?;
            put(d.mem()?, off, index.to_le_bytes())
        }
        (Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_), _) => {
            let Some((shape, case)) = case_of(ty, val) else {
                return Err(trap::mismatch(ty, val));
            };
            put_disc(d.mem()?, off, shape, case.index)?;
            match (case.ty, case.payload) {
                (Some(pty), Some(p)) => store_in(d, pty, p, off + shape.payload_offset as usize),
                _ => Ok(()),
            }
        }
        _ => Err(trap::mismatch(ty, val)),
    }
}

/// Stores the elements of a tuple at `off`.
fn store_tuple<D: Dst>(d: &mut D, t: &TupleType, vals: &[Val], off: usize) -> Result<(), Fault> {
    for ((ety, v), &o) in t.types().iter().zip(vals).zip(t.offsets()) {
        store_in(d, ety, v, off + o as usize)?;
    }
    Ok(())
}

/// Stores consecutive elements of type `elem` from `base`, in bulk for primitives.
fn store_elems<D: Dst>(d: &mut D, elem: &Type, vals: &[Val], base: usize) -> Result<(), Fault> {
    if !D::SLICE && elem.is_plain() {
        return d.store_plain_elems(elem, vals, base);
    }
    let size = elem.size() as usize;
    if D::SLICE {
        let mem = d.mem()?;
        let mem_len = mem.len();
        let Some(dst) = mem
            .get_mut(base..)
            .and_then(|m| m.get_mut(..size * vals.len()))
        else {
            return Err(trap::out_of_bounds(
                base as u64,
                (size * vals.len()) as u64,
                mem_len,
            ));
        };
        macro_rules! bulk {
            ($($ty:ident => $val:ident($x:ident) => $bytes:expr),* $(,)?) => {
                match elem {
                    $(Type::$ty => {
                        for (out, v) in dst.chunks_exact_mut(size).zip(vals) {
                            match v {
                                Val::$val($x) => out.copy_from_slice(&$bytes),
                                _ => return Err(trap::mismatch(elem, v)),
                            }
                        }
                        return Ok(());
                    })*
                    _ => {}
                }
            };
        }
        bulk! {
            Bool => Bool(x) => [u8::from(*x)],
            S8 => S8(x) => x.to_le_bytes(),
            U8 => U8(x) => x.to_le_bytes(),
            S16 => S16(x) => x.to_le_bytes(),
            U16 => U16(x) => x.to_le_bytes(),
            S32 => S32(x) => x.to_le_bytes(),
            U32 => U32(x) => x.to_le_bytes(),
            S64 => S64(x) => x.to_le_bytes(),
            U64 => U64(x) => x.to_le_bytes(),
            F32 => Float32(x) => f32_bits(*x).to_le_bytes(),
            F64 => Float64(x) => f64_bits(*x).to_le_bytes(),
            Char => Char(x) => u32::from(*x).to_le_bytes(),
        }
    }
    for (i, v) in vals.iter().enumerate() {
        store_in(d, elem, v, base + i * size)?;
    }
    Ok(())
}

/// Allocates a block for `count` elements of `size` bytes aligned to `align` and checks it
/// (the first half of the spec's `store_list_into_range`).
pub(crate) fn alloc_list<D: Dst>(
    d: &mut D,
    count: usize,
    size: u32,
    align: u32,
) -> Result<u32, Fault> {
    let byte_len = (count as u64)
        .checked_mul(u64::from(size))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| trap::host_list_too_long(count))?;
    let ptr = d.realloc(0, 0, align, byte_len)?;
    d.check_realloc(ptr, align, byte_len, "list content")?;
    Ok(ptr)
}

/// The spec's `store_list_into_range`: allocates and fills a list, and returns its pointer
/// and length.
fn store_list<D: Dst>(d: &mut D, elem: &Type, vals: &[Val]) -> Result<(u32, u32), Fault> {
    let ptr = alloc_list(d, vals.len(), elem.size(), elem.align())?;
    store_elems(d, elem, vals, ptr as usize)?;
    Ok((ptr, vals.len() as u32))
}

/// Stores a map as a list of `tuple<K, V>` and returns its pointer and length.
fn store_map<D: Dst>(
    d: &mut D,
    ty: &Type,
    t: &MapType,
    entries: &[(Val, Val)],
    val: &Val,
) -> Result<(u32, u32), Fault> {
    let entry = t.entry();
    let size = entry.size() as usize;
    let ptr = alloc_list(d, entries.len(), entry.size(), entry.align())?;
    let (koff, voff) = match entry.offsets() {
        [k, v] => (*k as usize, *v as usize),
        _ => return Err(trap::mismatch(ty, val)),
    };
    for (i, (k, v)) in entries.iter().enumerate() {
        let at = ptr as usize + i * size;
        store_in(d, t.key(), k, at + koff)?;
        store_in(d, t.value(), v, at + voff)?;
    }
    Ok((ptr, entries.len() as u32))
}

/// The spec's `lower_flat`: appends the core values of `val` to `out`.
fn lower_flat_in<D: Dst>(d: &mut D, ty: &Type, val: &Val, out: &mut Vec<u64>) -> Result<(), Fault> {
    match (ty, val) {
        (Type::Bool, Val::Bool(x)) => out.push(u64::from(*x)),
        (Type::S8, Val::S8(x)) => out.push(u64::from(i32::from(*x) as u32)),
        (Type::U8, Val::U8(x)) => out.push(u64::from(*x)),
        (Type::S16, Val::S16(x)) => out.push(u64::from(i32::from(*x) as u32)),
        (Type::U16, Val::U16(x)) => out.push(u64::from(*x)),
        (Type::S32, Val::S32(x)) => out.push(u64::from(*x as u32)),
        (Type::U32, Val::U32(x)) => out.push(u64::from(*x)),
        (Type::S64, Val::S64(x)) => out.push(*x as u64),
        (Type::U64, Val::U64(x)) => out.push(*x),
        (Type::F32, Val::Float32(x)) => out.push(u64::from(f32_bits(*x))),
        (Type::F64, Val::Float64(x)) => out.push(f64_bits(*x)),
        (Type::Char, Val::Char(x)) => out.push(u64::from(u32::from(*x))),
        (Type::String, Val::String(s)) => {
            let (ptr, len) = string::lower(d, s)?;
            out.extend([u64::from(ptr), u64::from(len)]);
        }
        (Type::List(t), Val::List(vals)) => {
            let (ptr, len) = store_list(d, t.elem(), vals)?;
            out.extend([u64::from(ptr), u64::from(len)]);
        }
        (Type::Map(t), Val::Map(entries)) => {
            let (ptr, len) = store_map(d, ty, t, entries, val)?;
            out.extend([u64::from(ptr), u64::from(len)]);
        }
        (Type::FixedList(t), Val::List(vals)) if vals.len() == t.len() as usize => {
            for v in vals {
                lower_flat_in(d, t.elem(), v, out)?;
            }
        }
        (Type::Record(t), Val::Record(vals)) => {
            record_fields(ty, t.fields(), vals, val)?;
            for ((_, fty), (_, v)) in t.fields().iter().zip(vals) {
                lower_flat_in(d, fty, v, out)?;
            }
        }
        (Type::Tuple(t), Val::Tuple(vals)) if vals.len() == t.types().len() => {
            for (ety, v) in t.types().iter().zip(vals) {
                lower_flat_in(d, ety, v, out)?;
            }
        }
        (Type::Flags(t), Val::Flags(names)) => {
            let bits = flag_bits(ty, t.names(), names, val)?;
            if !t.names().is_empty() {
                out.push(u64::from(bits));
            }
        }
        (Type::Own(r), Val::Resource(x)) => out.push(u64::from(d.lower_resource(true, *r, *x)?)),
        (Type::Borrow(r), Val::Resource(x)) => {
            out.push(u64::from(d.lower_resource(false, *r, *x)?));
        }
        (Type::Future(_), Val::Future(x))
        | (Type::Stream(_), Val::Stream(x))
        | (Type::ErrorContext, Val::ErrorContext(x)) => {
            out.push(u64::from(d.lower_readable(ty, *x)?));
        }
        (Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_), _) => {
            let Some((_, case)) = case_of(ty, val) else {
                return Err(trap::mismatch(ty, val));
            };
            out.push(case.index as u64);
            let start = out.len();
            if let (Some(pty), Some(p)) = (case.ty, case.payload) {
                // Raw bits need no coercion into the joined slots: an `f32` or `i32` payload
                // is its 32 bits zero-extended, an `f64` its 64 bits.
                lower_flat_in(d, pty, p, out)?;
            }
            // Slots the case does not use are zero.
            out.resize(start + ty.flat_count().saturating_sub(1), 0);
        }
        _ => return Err(trap::mismatch(ty, val)),
    }
    Ok(())
}

/// Writes `val` of type `ty` into memory at `ptr` (the spec's `store`).
///
/// Strings and lists inside the value are allocated with the guest's `realloc` and
/// transcoded to its string encoding, following the spec's algorithms exactly.
/// `ptr` should be aligned for `ty`; a slot that does not fit in memory is a trap, never a
/// panic.
/// On error, memory may have been partly written.
pub fn store<C: Context + ?Sized>(cx: &mut C, ty: &Type, val: &Val, ptr: u32) -> Result<(), Fault> {
    let memory = cx.memory()?.len();
    if u64::from(ptr) + u64::from(ty.size()) > memory as u64 {
        return Err(trap::out_of_bounds(
            u64::from(ptr),
            u64::from(ty.size()),
            memory,
        ));
    }
    store_in(&mut CxDst(cx), ty, val, ptr as usize)
}

/// Appends the core values that carry `val` of type `ty` to `out` (the spec's
/// `lower_flat`), one `u64` per core value of the type's flattening ([`Type::flat_count`] of
/// them, which may be more than [`Type::flat`] keeps), holding the raw bits: an `i32` or
/// `f32` in the low 32 bits (zero-extended), an `i64` or `f64` in all 64.
///
/// On error, `out` may hold some of the values.
pub fn lower_flat<C: Context + ?Sized>(
    cx: &mut C,
    ty: &Type,
    val: &Val,
    out: &mut Vec<u64>,
) -> Result<(), Fault> {
    lower_flat_in(&mut CxDst(cx), ty, val, out)
}

/// Lowers the values of a function's parameters or results (the spec's `lower_flat_values`).
///
/// If their flattening has at most `max_flat` core values, they are appended to `out`.
/// Otherwise they are stored in memory as a tuple: at `out_ptr` if it is given (a caller's
/// return area; nothing is appended), or else in a block from
/// `realloc(0, 0, align, size)`, whose pointer is appended.
/// The pointer is checked for alignment and bounds first.
pub fn lower_flat_values<C: Context + ?Sized>(
    cx: &mut C,
    max_flat: usize,
    vals: &[Val],
    tys: &[Type],
    out_ptr: Option<u32>,
    out: &mut Vec<u64>,
) -> Result<(), Fault> {
    if vals.len() != tys.len() {
        return Err(trap::value_count(tys.len(), vals.len()));
    }
    let mut d = CxDst(cx);
    let flat = flat_count_all(tys);
    if flat <= max_flat {
        for (ty, val) in tys.iter().zip(vals) {
            lower_flat_in(&mut d, ty, val, out)?;
        }
        return Ok(());
    }
    let (size, align) = tuple_size_align(tys);
    let size = u32::try_from(size).map_err(|_| trap::host_list_too_long(tys.len()))?;
    let ptr = match out_ptr {
        Some(ptr) => {
            if !ptr.is_multiple_of(align) {
                return Err(trap::unaligned(ptr, align));
            }
            let memory = d.mem()?.len();
            if u64::from(ptr) + u64::from(size) > memory as u64 {
                return Err(trap::out_of_bounds(u64::from(ptr), u64::from(size), memory));
            }
            ptr
        }
        None => {
            let ptr = d.realloc(0, 0, align, size)?;
            d.check_realloc(ptr, align, size, "")?;
            out.push(u64::from(ptr));
            ptr
        }
    };
    let mut off = 0u64;
    for (ty, val) in tys.iter().zip(vals) {
        off = align_to_u64(off, ty.align());
        store_in(&mut d, ty, val, ptr as usize + off as usize)?;
        off += u64::from(ty.size());
    }
    Ok(())
}

/// The size and alignment of `tuple<tys...>`, computed without building the tuple type.
pub(crate) fn tuple_size_align(tys: &[Type]) -> (u64, u32) {
    let mut size = 0u64;
    let mut align = 1;
    for ty in tys {
        size = align_to_u64(size, ty.align()).saturating_add(u64::from(ty.size()));
        align = align.max(ty.align());
    }
    (align_to_u64(size, align), align)
}
