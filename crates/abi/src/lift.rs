//! Lifting: reading values out of a guest's memory (`load`) and out of core values
//! (`lift_flat`).
//!
//! One recursion serves two sources through the private [`Src`] trait: the [`Context`]
//! itself, and a slice of its memory for the parts of a value that hold no handles, so those
//! are read with a single borrow of memory.

use crate::layout::{
    ENTRY_SLOT, MAX_LIST_BYTE_LENGTH, VAL_SLOT, VariantShape, align_to_u64, flat_count_all,
};
use crate::lower::tuple_size_align;
use crate::string::{self, StringEncoding};
use crate::types::{MapType, Type};
use crate::val::{ReadableEnd, ResourceAny, Val};
use crate::{Context, Fault, ResourceIndex, trap};

/// Where lifting reads from: the guest behind a [`Context`], or a slice of its memory.
trait Src {
    /// Whether this source is a plain memory slice (which cannot lift handles).
    const SLICE: bool;

    /// The memory.
    fn mem(&mut self) -> Result<&[u8], Fault>;

    /// The source's string encoding.
    fn encoding(&self) -> StringEncoding;

    /// Lifts a handle.
    fn lift_resource(
        &mut self,
        own: bool,
        ty: ResourceIndex,
        index: u32,
    ) -> Result<ResourceAny, Fault>;

    /// Lifts the readable end of a `future` or `stream` of type `ty`.
    fn lift_readable(&mut self, ty: &Type, index: u32) -> Result<ReadableEnd, Fault>;

    /// Loads a value whose type holds no handles through a single borrow of memory.
    fn load_plain(&mut self, ty: &Type, off: usize) -> Result<Val, Fault>;

    /// Loads elements whose type holds no handles through a single borrow of memory.
    fn load_plain_elems(&mut self, elem: &Type, base: usize, len: usize)
    -> Result<Vec<Val>, Fault>;

    /// Counts `bytes` about to be copied out of the guest against the call's budget.
    fn charge(&mut self, bytes: u64) -> Result<(), Fault>;

    /// Counts `bytes` of host memory that `Val`s take beyond the bytes copied against the
    /// call's budget ([`Context::charge_heap`]).
    fn charge_heap(&mut self, bytes: u64) -> Result<(), Fault>;
}

/// Lifting from the guest behind a [`Context`].
struct CxSrc<'a, C: ?Sized>(&'a mut C);

impl<C: Context + ?Sized> CxSrc<'_, C> {
    /// Runs `f` over a slice of the guest's memory (for a part of a value that holds no
    /// handles, read with one borrow of memory), then charges what it copied and the host
    /// memory of its `Val`s.
    #[inline]
    fn on_slice<X>(
        &mut self,
        f: impl FnOnce(&mut SliceSrc<'_>) -> Result<X, Fault>,
    ) -> Result<X, Fault> {
        let encoding = self.0.string_encoding();
        let budget = self.0.copy_budget();
        let mut src = SliceSrc {
            mem: self.0.memory()?,
            encoding,
            budget,
            used: 0,
            heap: 0,
        };
        let v = f(&mut src);
        let (used, heap) = (src.used, src.heap);
        if used != 0 {
            self.0.charge(used, false)?;
        }
        if heap != 0 {
            self.0.charge_heap(heap)?;
        }
        v
    }
}

impl<C: Context + ?Sized> Src for CxSrc<'_, C> {
    const SLICE: bool = false;

    #[inline]
    fn mem(&mut self) -> Result<&[u8], Fault> {
        self.0.memory()
    }

    #[inline]
    fn encoding(&self) -> StringEncoding {
        self.0.string_encoding()
    }

    #[inline]
    fn lift_resource(
        &mut self,
        own: bool,
        ty: ResourceIndex,
        index: u32,
    ) -> Result<ResourceAny, Fault> {
        if own {
            self.0.lift_own(ty, index)
        } else {
            self.0.lift_borrow(ty, index)
        }
    }

    #[inline]
    fn lift_readable(&mut self, ty: &Type, index: u32) -> Result<ReadableEnd, Fault> {
        match ty {
            Type::ErrorContext => self.0.lift_error_context(index),
            _ => self.0.lift_readable(ty, index),
        }
    }

    #[inline]
    fn load_plain(&mut self, ty: &Type, off: usize) -> Result<Val, Fault> {
        self.on_slice(|src| load_in(src, ty, off))
    }

    #[inline]
    fn load_plain_elems(
        &mut self,
        elem: &Type,
        base: usize,
        len: usize,
    ) -> Result<Vec<Val>, Fault> {
        self.on_slice(|src| load_elems(src, elem, base, len))
    }

    #[inline]
    fn charge(&mut self, bytes: u64) -> Result<(), Fault> {
        self.0.charge(bytes, false)
    }

    #[inline]
    fn charge_heap(&mut self, bytes: u64) -> Result<(), Fault> {
        self.0.charge_heap(bytes)
    }
}

/// Lifting values without handles from a slice of memory.
struct SliceSrc<'a> {
    mem: &'a [u8],
    encoding: StringEncoding,
    /// How many bytes may be charged; `used` counts those copied out, `heap` the host memory
    /// their `Val`s take beyond them.
    budget: u64,
    used: u64,
    heap: u64,
}

impl SliceSrc<'_> {
    fn check_budget(&self) -> Result<(), Fault> {
        if self.used.saturating_add(self.heap) > self.budget {
            return Err(trap::copy_limit(self.budget));
        }
        Ok(())
    }
}

impl Src for SliceSrc<'_> {
    const SLICE: bool = true;

    #[inline]
    fn mem(&mut self) -> Result<&[u8], Fault> {
        Ok(self.mem)
    }

    #[inline]
    fn encoding(&self) -> StringEncoding {
        self.encoding
    }

    fn lift_resource(&mut self, _: bool, _: ResourceIndex, _: u32) -> Result<ResourceAny, Fault> {
        Err(trap::unreachable("a value without handles holds a handle"))
    }

    fn lift_readable(&mut self, _: &Type, _: u32) -> Result<ReadableEnd, Fault> {
        Err(trap::unreachable("a value without handles holds a handle"))
    }

    fn load_plain(&mut self, ty: &Type, off: usize) -> Result<Val, Fault> {
        load_in(self, ty, off)
    }

    fn load_plain_elems(
        &mut self,
        elem: &Type,
        base: usize,
        len: usize,
    ) -> Result<Vec<Val>, Fault> {
        load_elems(self, elem, base, len)
    }

    fn charge(&mut self, bytes: u64) -> Result<(), Fault> {
        self.used = self.used.saturating_add(bytes);
        self.check_budget()
    }

    fn charge_heap(&mut self, bytes: u64) -> Result<(), Fault> {
        self.heap = self.heap.saturating_add(bytes);
        self.check_budget()
    }
}

/// Lifts the string at `ptr` and charges its UTF-8 bytes. A string whose code units alone
/// (the fewest UTF-8 bytes it can take) are over the budget is charged, and so refused,
/// before it is decoded, so that the host never allocates it.
fn lift_string<S: Src>(s: &mut S, ptr: u32, len: u32) -> Result<String, Fault> {
    let encoding = s.encoding();
    // The fewest UTF-8 bytes the string can take are charged before it is decoded, so one over
    // the budget is never allocated; what non-ASCII text takes beyond them, after.
    let span = string::span(s.mem()?.len(), encoding, ptr, len)?;
    let least = span.least_utf8_len();
    s.charge(least)?;
    let text = string::decode(s.mem()?, encoding, span)?;
    let more = (text.len() as u64).saturating_sub(least);
    if more != 0 {
        s.charge(more)?;
    }
    Ok(text)
}

/// [`lift_string`] from the guest behind a [`Context`], for the direct path.
pub(crate) fn lift_string_cx<C: Context + ?Sized>(
    cx: &mut C,
    ptr: u32,
    len: u32,
) -> Result<String, Fault> {
    lift_string(&mut CxSrc(cx), ptr, len)
}

/// Reads `N` bytes at `off`.
#[inline]
fn get<const N: usize>(mem: &[u8], off: usize) -> Result<[u8; N], Fault> {
    match mem.get(off..).and_then(|m| m.first_chunk::<N>()) {
        Some(bytes) => Ok(*bytes),
        None => Err(trap::out_of_bounds(off as u64, N as u64, mem.len())),
    }
}

#[inline]
fn get_u32(mem: &[u8], off: usize) -> Result<u32, Fault> {
    get(mem, off).map(u32::from_le_bytes)
}

/// `f32` from its bits, with any NaN made the canonical NaN.
#[inline]
fn f32_from(bits: u32) -> f32 {
    let x = f32::from_bits(bits);
    if x.is_nan() {
        f32::from_bits(0x7fc0_0000)
    } else {
        x
    }
}

/// `f64` from its bits, with any NaN made the canonical NaN.
#[inline]
fn f64_from(bits: u64) -> f64 {
    let x = f64::from_bits(bits);
    if x.is_nan() {
        f64::from_bits(0x7ff8_0000_0000_0000)
    } else {
        x
    }
}

/// The spec's `convert_i32_to_char`.
#[inline]
fn char_from(bits: u32) -> Result<char, Fault> {
    char::from_u32(bits).ok_or_else(|| trap::bad_char(bits))
}

/// Reads a discriminant of `shape.disc_size` bytes at `off`.
#[inline]
fn get_disc(mem: &[u8], off: usize, shape: VariantShape) -> Result<u32, Fault> {
    Ok(match shape.disc_size {
        1 => u32::from(get::<1>(mem, off)?[0]),
        2 => u32::from(u16::from_le_bytes(get(mem, off)?)),
        _ => get_u32(mem, off)?,
    })
}

/// The names of the flags set in `bits`; bits beyond the labels are ignored.
fn flags_from(names: &[String], bits: u32) -> Val {
    let set = names
        .iter()
        .enumerate()
        .filter(|&(i, _)| bits & (1 << i) != 0);
    Val::Flags(set.map(|(_, n)| n.clone()).collect())
}

/// Builds a variant-like value of type `ty` from its case index and payload, where the index
/// was checked against the case count.
fn case_val(ty: &Type, index: usize, payload: Option<Val>) -> Val {
    let payload = payload.map(Box::new);
    match ty {
        Type::Variant(t) => Val::Variant(t.cases()[index].0.clone(), payload),
        Type::Enum(t) => Val::Enum(t.names()[index].clone()),
        Type::Option(_) if index == 0 => Val::Option(None),
        Type::Option(_) => Val::Option(payload),
        Type::Result(_) if index == 0 => Val::Result(Ok(payload)),
        _ => Val::Result(Err(payload)),
    }
}

/// The shape, case count and payload type of case `index` of a variant-like type.
fn variant_parts(ty: &Type) -> Option<(VariantShape, usize)> {
    Some(match ty {
        Type::Variant(t) => (t.shape(), t.cases().len()),
        Type::Enum(t) => (t.shape(), t.names().len()),
        Type::Option(t) => (t.shape(), 2),
        Type::Result(t) => (t.shape(), 2),
        _ => return None,
    })
}

/// The payload type of case `index` (checked to be in range) of a variant-like type.
fn payload_type(ty: &Type, index: usize) -> Option<&Type> {
    match ty {
        Type::Variant(t) => t.cases()[index].1.as_ref(),
        Type::Option(t) if index == 1 => Some(t.some()),
        Type::Result(t) if index == 0 => t.ok(),
        Type::Result(t) => t.err(),
        _ => None,
    }
}

/// The spec's `load`: reads a value of type `ty` at offset `off`.
fn load_in<S: Src>(s: &mut S, ty: &Type, off: usize) -> Result<Val, Fault> {
    if !S::SLICE && !ty.has_resource() {
        return s.load_plain(ty, off);
    }
    Ok(match ty {
        Type::Bool => Val::Bool(get::<1>(s.mem()?, off)?[0] != 0),
        Type::S8 => Val::S8(i8::from_le_bytes(get(s.mem()?, off)?)),
        Type::U8 => Val::U8(u8::from_le_bytes(get(s.mem()?, off)?)),
        Type::S16 => Val::S16(i16::from_le_bytes(get(s.mem()?, off)?)),
        Type::U16 => Val::U16(u16::from_le_bytes(get(s.mem()?, off)?)),
        Type::S32 => Val::S32(i32::from_le_bytes(get(s.mem()?, off)?)),
        Type::U32 => Val::U32(u32::from_le_bytes(get(s.mem()?, off)?)),
        Type::S64 => Val::S64(i64::from_le_bytes(get(s.mem()?, off)?)),
        Type::U64 => Val::U64(u64::from_le_bytes(get(s.mem()?, off)?)),
        Type::F32 => Val::Float32(f32_from(get_u32(s.mem()?, off)?)),
        Type::F64 => Val::Float64(f64_from(u64::from_le_bytes(get(s.mem()?, off)?))),
        Type::Char => Val::Char(char_from(get_u32(s.mem()?, off)?)?),
        Type::String => {
            let mem = s.mem()?;
            let (ptr, len) = (get_u32(mem, off)?, get_u32(mem, off + 4)?);
            Val::String(lift_string(s, ptr, len)?)
        }
        Type::List(t) => {
            let mem = s.mem()?;
            let (ptr, len) = (get_u32(mem, off)?, get_u32(mem, off + 4)?);
            Val::List(load_list(s, t.elem(), ptr, len)?)
        }
        Type::Map(t) => {
            let mem = s.mem()?;
            let (ptr, len) = (get_u32(mem, off)?, get_u32(mem, off + 4)?);
            Val::Map(load_map(s, t, ptr, len)?)
        }
        Type::FixedList(t) => Val::List(load_elems(s, t.elem(), off, t.len() as usize)?),
        Type::Record(t) => {
            let mut fields = Vec::with_capacity(t.fields().len());
            for ((name, fty), &o) in t.fields().iter().zip(t.offsets()) {
                fields.push((name.clone(), load_in(s, fty, off + o as usize)?));
            }
            Val::Record(fields)
        }
        Type::Tuple(t) => {
            let mut vals = Vec::with_capacity(t.types().len());
            for (ety, &o) in t.types().iter().zip(t.offsets()) {
                vals.push(load_in(s, ety, off + o as usize)?);
            }
            Val::Tuple(vals)
        }
        Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_) => {
            let Some((shape, cases)) = variant_parts(ty) else {
                return Err(trap::unreachable("a variant without cases"));
            };
            let disc = get_disc(s.mem()?, off, shape)?;
            let index = disc as usize;
            if index >= cases {
                return Err(trap::bad_discriminant(disc, cases));
            }
            let payload = match payload_type(ty, index) {
                Some(pty) => Some(load_in(s, pty, off + shape.payload_offset as usize)?),
                None => None,
            };
            case_val(ty, index, payload)
        }
        Type::Flags(t) => {
            let mem = s.mem()?;
            let bits = match t.size() {
                0 => 0,
                1 => u32::from(get::<1>(mem, off)?[0]),
                2 => u32::from(u16::from_le_bytes(get(mem, off)?)),
                _ => get_u32(mem, off)?,
            };
            flags_from(t.names(), bits)
        }
        Type::Own(r) => {
            let index = get_u32(s.mem()?, off)?;
            Val::Resource(s.lift_resource(true, *r, index)?)
        }
        Type::Borrow(r) => {
            let index = get_u32(s.mem()?, off)?;
            Val::Resource(s.lift_resource(false, *r, index)?)
        }
        Type::Future(_) => {
            let index = get_u32(s.mem()?, off)?;
            Val::Future(s.lift_readable(ty, index)?)
        }
        Type::Stream(_) => {
            let index = get_u32(s.mem()?, off)?;
            Val::Stream(s.lift_readable(ty, index)?)
        }
        Type::ErrorContext => {
            let index = get_u32(s.mem()?, off)?;
            Val::ErrorContext(s.lift_readable(ty, index)?)
        }
    })
}

/// Checks the range of a list of `len` elements of `size` bytes aligned to `align` at `ptr`
/// (the checks of the spec's `load_list_from_range`).
pub(crate) fn check_list(
    mem_len: usize,
    ptr: u32,
    len: u32,
    size: u32,
    align: u32,
) -> Result<(), Fault> {
    // Elements of no size (not valid in a component) count as one byte, to bound the length.
    let byte_len = u64::from(len) * u64::from(size.max(1));
    if byte_len > u64::from(MAX_LIST_BYTE_LENGTH) {
        return Err(trap::list_too_long(byte_len));
    }
    if !ptr.is_multiple_of(align) {
        return Err(trap::unaligned(ptr, align));
    }
    if u64::from(ptr) + u64::from(len) * u64::from(size) > mem_len as u64 {
        return Err(trap::list_out_of_bounds(ptr, byte_len, mem_len));
    }
    Ok(())
}

/// The host memory that lifting a list of `len` elements of type `elem` into [`Val`]s takes
/// (one `Val` slot and the element type's [`Type::lifted_heap`] each), which is charged
/// before it is allocated.
pub(crate) fn list_heap(elem: &Type, len: u32) -> u64 {
    u64::from(len).saturating_mul(VAL_SLOT.saturating_add(elem.lifted_heap()))
}

/// Charges to the call the [`Type::lifted_heap`] of values of types `tys` about to be lifted
/// as a whole (parameters or results), before any of it is allocated.
pub(crate) fn charge_values<C: Context + ?Sized>(cx: &mut C, tys: &[Type]) -> Result<(), Fault> {
    charge_fixed(cx, values_heap(tys))
}

/// The [`Type::lifted_heap`] of values of types `tys` together.
pub(crate) fn values_heap(tys: &[Type]) -> u64 {
    tys.iter()
        .fold(0u64, |n, t| n.saturating_add(t.lifted_heap()))
}

/// Charges `heap` bytes of host memory, the [`values_heap`] of a signature's parameters or
/// results worked out once, to the call; nothing when it is zero.
#[inline]
pub(crate) fn charge_fixed<C: Context + ?Sized>(cx: &mut C, heap: u64) -> Result<(), Fault> {
    if heap == 0 {
        return Ok(());
    }
    cx.charge_heap(heap)
}

/// The spec's `load_list_from_range`: the list's bytes are charged as copied, and the `Val`s
/// they become as host memory, before anything is allocated.
fn load_list<S: Src>(s: &mut S, elem: &Type, ptr: u32, len: u32) -> Result<Vec<Val>, Fault> {
    check_list(s.mem()?.len(), ptr, len, elem.size(), elem.align())?;
    s.charge(u64::from(len) * u64::from(elem.size()))?;
    s.charge_heap(list_heap(elem, len))?;
    load_elems(s, elem, ptr as usize, len as usize)
}

/// Loads a map laid out as a list of `tuple<K, V>`.
fn load_map<S: Src>(s: &mut S, t: &MapType, ptr: u32, len: u32) -> Result<Vec<(Val, Val)>, Fault> {
    let entry = t.entry();
    check_list(s.mem()?.len(), ptr, len, entry.size(), entry.align())?;
    let each = ENTRY_SLOT
        .saturating_add(t.key().lifted_heap())
        .saturating_add(t.value().lifted_heap());
    s.charge(u64::from(len) * u64::from(entry.size()))?;
    s.charge_heap(u64::from(len).saturating_mul(each))?;
    let [koff, voff] = match entry.offsets() {
        &[k, v] => [k as usize, v as usize],
        _ => return Err(trap::unreachable("a map entry without two fields")),
    };
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len as usize {
        let at = ptr as usize + i * entry.size() as usize;
        out.push((
            load_in(s, t.key(), at + koff)?,
            load_in(s, t.value(), at + voff)?,
        ));
    }
    Ok(out)
}

/// Loads `len` consecutive elements of type `elem` from `base`, in bulk for primitives.
fn load_elems<S: Src>(s: &mut S, elem: &Type, base: usize, len: usize) -> Result<Vec<Val>, Fault> {
    if !S::SLICE && !elem.has_resource() {
        return s.load_plain_elems(elem, base, len);
    }
    let size = elem.size() as usize;
    if S::SLICE {
        let mem = s.mem()?;
        let Some(bytes) = mem.get(base..).and_then(|m| m.get(..size * len)) else {
            return Err(trap::out_of_bounds(
                base as u64,
                (size * len) as u64,
                mem.len(),
            ));
        };
        macro_rules! bulk {
            ($($ty:ident => |$b:ident| $val:expr),* $(,)?) => {
                match elem {
                    $(Type::$ty => {
                        return Ok(bytes
                            .chunks_exact(size)
                            .map(|$b| $val)
                            .collect());
                    })*
                    Type::Char => {
                        return bytes
                            .chunks_exact(4)
                            .map(|b| Ok(Val::Char(char_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))?)))
                            .collect();
                    }
                    _ => {}
                }
            };
        }
        bulk! {
            Bool => |b| Val::Bool(b[0] != 0),
            S8 => |b| Val::S8(b[0] as i8),
            U8 => |b| Val::U8(b[0]),
            S16 => |b| Val::S16(i16::from_le_bytes([b[0], b[1]])),
            U16 => |b| Val::U16(u16::from_le_bytes([b[0], b[1]])),
            S32 => |b| Val::S32(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            U32 => |b| Val::U32(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            S64 => |b| Val::S64(i64::from_le_bytes(b.try_into().unwrap_or_default())),
            U64 => |b| Val::U64(u64::from_le_bytes(b.try_into().unwrap_or_default())),
            F32 => |b| Val::Float32(f32_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            F64 => |b| Val::Float64(f64_from(u64::from_le_bytes(b.try_into().unwrap_or_default()))),
        }
    }
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        out.push(load_in(s, elem, base + i * size)?);
    }
    Ok(out)
}

/// The spec's `lift_flat`, where `flat` holds exactly the core values of `ty`.
fn lift_flat_in<S: Src>(s: &mut S, ty: &Type, flat: &[u64]) -> Result<Val, Fault> {
    // A 32-bit core value is its low 32 bits; this also wraps an `i64` join slot that carries
    // an `i32` or `f32` payload, as the spec's `CoerceValueIter` does.
    let one = || match flat {
        [x] => Ok(*x),
        _ => Err(trap::core_count("a value", 1, flat.len())),
    };
    let pair = || match flat {
        [a, b] => Ok((*a as u32, *b as u32)),
        _ => Err(trap::core_count("a pointer and length", 2, flat.len())),
    };
    Ok(match ty {
        Type::Bool => Val::Bool(one()? as u32 != 0),
        Type::S8 => Val::S8(one()? as i8),
        Type::U8 => Val::U8(one()? as u8),
        Type::S16 => Val::S16(one()? as i16),
        Type::U16 => Val::U16(one()? as u16),
        Type::S32 => Val::S32(one()? as i32),
        Type::U32 => Val::U32(one()? as u32),
        Type::S64 => Val::S64(one()? as i64),
        Type::U64 => Val::U64(one()?),
        Type::F32 => Val::Float32(f32_from(one()? as u32)),
        Type::F64 => Val::Float64(f64_from(one()?)),
        Type::Char => Val::Char(char_from(one()? as u32)?),
        Type::String => {
            let (ptr, len) = pair()?;
            Val::String(lift_string(s, ptr, len)?)
        }
        Type::List(t) => {
            let (ptr, len) = pair()?;
            Val::List(load_list(s, t.elem(), ptr, len)?)
        }
        Type::Map(t) => {
            let (ptr, len) = pair()?;
            Val::Map(load_map(s, t, ptr, len)?)
        }
        Type::FixedList(t) => {
            let n = t.elem().flat_count();
            let mut vals = Vec::with_capacity(t.len() as usize);
            for i in 0..t.len() as usize {
                vals.push(lift_flat_in(s, t.elem(), slots(flat, i * n, n)?)?);
            }
            Val::List(vals)
        }
        Type::Record(t) => {
            let mut fields = Vec::with_capacity(t.fields().len());
            let mut at = 0;
            for (name, fty) in t.fields() {
                let n = fty.flat_count();
                fields.push((name.clone(), lift_flat_in(s, fty, slots(flat, at, n)?)?));
                at += n;
            }
            Val::Record(fields)
        }
        Type::Tuple(t) => {
            let mut vals = Vec::with_capacity(t.types().len());
            let mut at = 0;
            for ety in t.types() {
                let n = ety.flat_count();
                vals.push(lift_flat_in(s, ety, slots(flat, at, n)?)?);
                at += n;
            }
            Val::Tuple(vals)
        }
        Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_) => {
            let Some((_, cases)) = variant_parts(ty) else {
                return Err(trap::unreachable("a variant without cases"));
            };
            let Some(&disc) = flat.first() else {
                return Err(trap::core_count("a variant", ty.flat_count(), 0));
            };
            let disc = disc as u32;
            let index = disc as usize;
            if index >= cases {
                return Err(trap::bad_discriminant(disc, cases));
            }
            let payload = match payload_type(ty, index) {
                // The payload's core values come first in the joined slots; the raw bits need
                // no other coercion.
                Some(pty) => Some(lift_flat_in(s, pty, slots(flat, 1, pty.flat_count())?)?),
                None => None,
            };
            case_val(ty, index, payload)
        }
        Type::Flags(t) if t.names().is_empty() => Val::Flags(Vec::new()),
        Type::Flags(t) => flags_from(t.names(), one()? as u32),
        Type::Own(r) => Val::Resource(s.lift_resource(true, *r, one()? as u32)?),
        Type::Borrow(r) => Val::Resource(s.lift_resource(false, *r, one()? as u32)?),
        Type::Future(_) => Val::Future(s.lift_readable(ty, one()? as u32)?),
        Type::Stream(_) => Val::Stream(s.lift_readable(ty, one()? as u32)?),
        Type::ErrorContext => Val::ErrorContext(s.lift_readable(ty, one()? as u32)?),
    })
}

/// The `n` core values of `flat` from `at`.
#[inline]
fn slots(flat: &[u64], at: usize, n: usize) -> Result<&[u64], Fault> {
    flat.get(at..)
        .and_then(|f| f.get(..n))
        .ok_or_else(|| trap::core_count("a value", at.saturating_add(n), flat.len()))
}

/// Reads a value of type `ty` from memory at `ptr` (the spec's `load`).
///
/// `ptr` should be aligned for `ty` (the spec's callers check it); a slot that does not fit in
/// memory is a trap, never a panic.
pub fn load<C: Context + ?Sized>(cx: &mut C, ty: &Type, ptr: u32) -> Result<Val, Fault> {
    let memory = cx.memory()?.len();
    if u64::from(ptr) + u64::from(ty.size()) > memory as u64 {
        return Err(trap::out_of_bounds(
            u64::from(ptr),
            u64::from(ty.size()),
            memory,
        ));
    }
    charge_values(cx, std::slice::from_ref(ty))?;
    load_in(&mut CxSrc(cx), ty, ptr as usize)
}

/// Lifts a value of type `ty` from its core values (the spec's `lift_flat`).
///
/// `flat` holds one `u64` per core value of the type's flattening ([`Type::flat_count`] of
/// them, which may be more than [`Type::flat`] keeps), with the raw bits of each core value:
/// an `i32` or `f32` in the low 32 bits, an `i64` or `f64` in all 64.
pub fn lift_flat<C: Context + ?Sized>(cx: &mut C, ty: &Type, flat: &[u64]) -> Result<Val, Fault> {
    if flat.len() != ty.flat_count() {
        return Err(trap::core_count("a value", ty.flat_count(), flat.len()));
    }
    charge_values(cx, std::slice::from_ref(ty))?;
    lift_flat_in(&mut CxSrc(cx), ty, flat)
}

/// Lifts the values of a function's parameters or results (the spec's `lift_flat_values`).
///
/// If their flattening has at most `max_flat` core values, `args` holds those values.
/// Otherwise `args[0]` points to them in memory, stored as a tuple: the pointer must be
/// aligned and the tuple must fit in memory.
pub fn lift_flat_values<C: Context + ?Sized>(
    cx: &mut C,
    max_flat: usize,
    args: &[u64],
    tys: &[Type],
) -> Result<Vec<Val>, Fault> {
    let flat = flat_count_all(tys);
    let mut vals = Vec::with_capacity(tys.len());
    if flat <= max_flat {
        if args.len() != flat {
            return Err(trap::core_count("the values", flat, args.len()));
        }
        charge_values(cx, tys)?;
        let mut s = CxSrc(cx);
        let mut at = 0;
        for ty in tys {
            let n = ty.flat_count();
            vals.push(lift_flat_in(&mut s, ty, slots(args, at, n)?)?);
            at += n;
        }
        return Ok(vals);
    }
    let [ptr] = *args else {
        return Err(trap::core_count("a pointer to the values", 1, args.len()));
    };
    let ptr = ptr as u32;
    let (size, align) = tuple_size_align(tys);
    if !ptr.is_multiple_of(align) {
        return Err(trap::unaligned(ptr, align));
    }
    let memory = cx.memory()?.len();
    if u64::from(ptr) + size > memory as u64 {
        return Err(trap::out_of_bounds(u64::from(ptr), size, memory));
    }
    charge_values(cx, tys)?;
    let mut s = CxSrc(cx);
    let mut off = 0u64;
    for ty in tys {
        off = align_to_u64(off, ty.align());
        vals.push(load_in(&mut s, ty, ptr as usize + off as usize)?);
        off += u64::from(ty.size());
    }
    Ok(vals)
}
