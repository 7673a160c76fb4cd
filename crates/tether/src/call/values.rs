//! Rust types as component values: the [`ComponentType`] trait, its implementations for
//! Rust's scalars, strings, lists, options, results and tuples, and [`ComponentNamedList`],
//! the tuples that stand for parameter and result lists. The typed function that uses them
//! is `TypedFunc` (`typed.rs`).

use anyhow::{Result, bail};
use tether_abi::direct::{slots as sub, slots_mut as sub_mut, unexpected};
use tether_abi::{Context, CoreType, Fault, Trap, Type, Val, direct};

use crate::state::runtime::Runtime;

/// What lifting a flat value on the raw path knows besides the value: the store it arrives
/// in, so that a handle carries that store and its resource type like a handle lifted on any
/// other path.
#[doc(hidden)]
pub struct RawCx<'a> {
    pub(crate) rt: &'a mut Runtime,
}

/// What [`ComponentType::host_handles`] reports each handle to: its resource index in the
/// signature and the Rust type of its host objects.
#[doc(hidden)]
pub type HostHandleCheck<'a> =
    dyn FnMut(tether_abi::ResourceIndex, crate::ResourceType) -> Result<()> + 'a;

/// A Rust type that stands for a component value type.
///
/// Besides the conversions to and from [`Val`] that every implementation provides, a type can
/// move straight between a guest's memory and Rust (`DIRECT` and the `*_direct` methods,
/// hidden from the documentation): the runtime then lifts and lowers it with no [`Val`] in
/// between, following the same canonical-ABI rules. Scalars, `String`, `Vec<T>`, `Option<T>`,
/// `Result<T, E>`, tuples, [`Own`](crate::Own), [`Borrow`](crate::Borrow) and the derived
/// records, variants, enums and flags do; the defaults go through [`Val`].
///
/// The trait is safe to implement: no `unsafe` code trusts what an implementation claims
/// (`SCALAR`, `HANDLE`, [`ComponentNamedList::LEN`] and the rest only choose a path). Every
/// buffer the runtime hands the core engine is sized from the function's signature, and a
/// path is taken only when the signature allows it, so an implementation that claims wrongly
/// gets an error or wrong values of its own type, never undefined behaviour.
pub trait ComponentType: Sized + Send + Sync + 'static {
    /// For scalar types, the one core value type they flatten to.
    const SCALAR: Option<CoreType> = None;

    /// Whether this is a resource handle ([`Own`](crate::Own) or [`Borrow`](crate::Borrow)):
    /// its flat value then packs a host object's slot (low 32 bits) and generation (high 32
    /// bits), which the runtime translates to and from the guest's handle index.
    #[doc(hidden)]
    const HANDLE: bool = false;

    /// Whether the `*_direct` methods move values without [`Val`] (and without any handle to
    /// a guest-defined resource, which only [`ResourceAny`](crate::ResourceAny) carries).
    #[doc(hidden)]
    const DIRECT: bool = false;

    /// Checks that this Rust type fits the component type `ty`.
    fn typecheck(ty: &Type) -> Result<()>;

    /// The value as a dynamically typed [`Val`].
    fn to_val(&self) -> Val;

    /// The value from a [`Val`] of a type that passed [`typecheck`](Self::typecheck).
    fn from_val(v: Val) -> Result<Self>;

    /// A scalar's flat core value (raw bits). Only called when `SCALAR` is `Some`.
    fn to_flat(&self) -> u64 {
        unreachable!("only scalars have a single flat value")
    }

    /// A scalar from its flat core value, applying the canonical ABI's rules (truncation,
    /// NaN canonicalisation, `char` validation). Only called when `SCALAR` is `Some`.
    fn from_flat(_v: u64) -> Result<Self, Fault> {
        Err(Trap::Internal {
            message: format!(
                "`{}` has no single flat value",
                std::any::type_name::<Self>()
            )
            .into(),
        }
        .into())
    }

    /// Reports each handle to a host object that a value of this Rust type holds where the
    /// component type `ty` (which passed [`typecheck`](Self::typecheck)) has a handle: `f`
    /// gets the handle's resource index in the signature and the Rust host type that stands
    /// for it (`Own<R>`, `Borrow<R>`, and those nested in lists, options, results, tuples and
    /// derived records and variants). Linking checks each against the host type that fills
    /// the import's resource type.
    #[doc(hidden)]
    fn host_handles(_ty: &Type, _f: &mut HostHandleCheck<'_>) -> Result<()> {
        Ok(())
    }

    /// [`from_flat`](Self::from_flat) on the raw path, where a handle also learns the store
    /// it lives in and its resource type from `cx`. Only called when `SCALAR` is `Some`.
    #[doc(hidden)]
    #[inline]
    fn from_flat_in(v: u64, _cx: &mut RawCx<'_>) -> Result<Self, Fault> {
        Self::from_flat(v)
    }

    /// Lifts a value of type `ty` (which passed [`typecheck`](Self::typecheck)) from its
    /// core values `flat`, exactly `ty.flat_count()` of them, as [`tether_abi::lift_flat`]
    /// does.
    #[doc(hidden)]
    fn lift_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        flat: &[u64],
    ) -> Result<Self, Fault> {
        let v = tether_abi::lift_flat(cx, ty, flat)?;
        Self::from_val(v).map_err(host_type)
    }

    /// Loads a value of type `ty` from the guest's memory at `off`, as [`tether_abi::load`]
    /// does; the caller checked that the value lies inside memory.
    #[doc(hidden)]
    fn load_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<Self, Fault> {
        let v = tether_abi::load(cx, ty, off as u32)?;
        Self::from_val(v).map_err(host_type)
    }

    /// Lowers the value as type `ty` into its core values, writing all `ty.flat_count()`
    /// slots of `out`, as [`tether_abi::lower_flat`] does.
    #[doc(hidden)]
    fn lower_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        out: &mut [u64],
    ) -> Result<(), Fault> {
        let mut flat = Vec::with_capacity(out.len());
        tether_abi::lower_flat(cx, ty, &self.to_val(), &mut flat)?;
        if flat.len() != out.len() {
            return Err(direct::core_count(out.len(), flat.len()));
        }
        out.copy_from_slice(&flat);
        Ok(())
    }

    /// Stores the value as type `ty` into the guest's memory at `off`, as
    /// [`tether_abi::store`] does.
    #[doc(hidden)]
    fn store_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<(), Fault> {
        tether_abi::store(cx, ty, &self.to_val(), off as u32)
    }

    /// Loads `len` consecutive values of type `elem` from `base`, whose range the caller
    /// checked (the contents of a list).
    #[doc(hidden)]
    fn load_list_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        elem: &Type,
        base: usize,
        len: usize,
    ) -> Result<Vec<Self>, Fault> {
        let size = elem.size() as usize;
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            out.push(Self::load_direct(cx, elem, base + i * size)?);
        }
        Ok(out)
    }

    /// Stores `items` as consecutive values of type `elem` from `base` (the contents of a
    /// list, in a block the caller allocated).
    #[doc(hidden)]
    fn store_list_direct<Ctx: Context + ?Sized>(
        items: &[Self],
        cx: &mut Ctx,
        elem: &Type,
        base: usize,
    ) -> Result<(), Fault> {
        let size = elem.size() as usize;
        for (i, x) in items.iter().enumerate() {
            x.store_direct(cx, elem, base + i * size)?;
        }
        Ok(())
    }

    /// Lifts the `len` values of a `list<elem>` at `ptr`: checks and charges the range, then
    /// loads the values.
    #[doc(hidden)]
    #[inline]
    fn lift_list_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        elem: &Type,
        ptr: u32,
        len: u32,
    ) -> Result<Vec<Self>, Fault> {
        direct::check_list(cx, elem, ptr, len)?;
        Self::load_list_direct(cx, elem, ptr as usize, len as usize)
    }

    /// Lowers `items` as a `list<elem>`: allocates its block in the guest and stores the
    /// values; returns the block's pointer.
    #[doc(hidden)]
    #[inline]
    fn lower_list_direct<Ctx: Context + ?Sized>(
        items: &[Self],
        cx: &mut Ctx,
        elem: &Type,
    ) -> Result<u32, Fault> {
        let ptr = direct::alloc_list(cx, elem, items.len())?;
        Self::store_list_direct(items, cx, elem, ptr as usize)?;
        Ok(ptr)
    }
}

/// A [`Val`] that does not convert to the Rust type: the host's fault.
#[cold]
fn host_type(e: anyhow::Error) -> Fault {
    Fault::host_value(format!("{e:#}"))
}

/// The one core value of a scalar.
#[inline]
fn one(flat: &[u64]) -> Result<u64, Fault> {
    match flat {
        [x] => Ok(*x),
        _ => Err(direct::core_count(1, flat.len())),
    }
}

/// The pointer and length of a string or list.
#[inline]
fn pair(flat: &[u64]) -> Result<(u32, u32), Fault> {
    match flat {
        [p, n] => Ok((*p as u32, *n as u32)),
        _ => Err(direct::core_count(2, flat.len())),
    }
}

/// Writes the pointer and length of a string or list into its two core value slots.
#[inline]
fn put_pair(out: &mut [u64], (ptr, len): (u32, u32)) -> Result<(), Fault> {
    match out {
        [p, n] => {
            *p = u64::from(ptr);
            *n = u64::from(len);
            Ok(())
        }
        _ => Err(direct::core_count(2, out.len())),
    }
}

/// Reads the pointer and length of a string or list at `off`.
#[inline]
fn load_pair<Ctx: Context + ?Sized>(cx: &mut Ctx, off: usize) -> Result<(u32, u32), Fault> {
    let mem = cx.memory()?;
    Ok((
        u32::from_le_bytes(direct::read(mem, off)?),
        u32::from_le_bytes(direct::read(mem, off + 4)?),
    ))
}

/// Writes the pointer and length of a string or list at `off`.
#[inline]
fn store_pair<Ctx: Context + ?Sized>(
    cx: &mut Ctx,
    off: usize,
    (ptr, len): (u32, u32),
) -> Result<(), Fault> {
    let mem = cx.memory_mut()?;
    direct::write(mem, off, ptr.to_le_bytes())?;
    direct::write(mem, off + 4, len.to_le_bytes())
}

#[cold]
fn mismatch(want: &str, ty: &Type) -> anyhow::Error {
    anyhow::anyhow!("type mismatch: expected `{ty}`, found Rust type `{want}`")
}

#[cold]
fn val_mismatch(want: &str, v: &Val) -> anyhow::Error {
    anyhow::anyhow!("type mismatch: expected a `{want}` value, found {v:?}")
}

macro_rules! int_types {
    ($($rust:ty => $variant:ident, $ty:ident, $core:ident, $size:literal, $to:expr, $from:expr, $to_bytes:expr, $from_bytes:expr;)*) => {$(
        impl ComponentType for $rust {
            const SCALAR: Option<CoreType> = Some(CoreType::$core);
            const DIRECT: bool = true;
            fn typecheck(ty: &Type) -> Result<()> {
                if let Type::$ty = ty { Ok(()) } else { Err(mismatch(stringify!($rust), ty)) }
            }
            fn to_val(&self) -> Val {
                Val::$variant(*self)
            }
            fn from_val(v: Val) -> Result<Self> {
                if let Val::$variant(x) = v { Ok(x) } else { Err(val_mismatch(stringify!($rust), &v)) }
            }
            #[inline]
            fn to_flat(&self) -> u64 {
                let f: fn($rust) -> u64 = $to;
                f(*self)
            }
            #[inline]
            fn from_flat(v: u64) -> Result<Self, Fault> {
                let f: fn(u64) -> Result<$rust, Fault> = $from;
                f(v)
            }
            #[inline]
            fn lift_direct<Ctx: Context + ?Sized>(_cx: &mut Ctx, _ty: &Type, flat: &[u64]) -> Result<Self, Fault> {
                Self::from_flat(one(flat)?)
            }
            #[inline]
            fn load_direct<Ctx: Context + ?Sized>(cx: &mut Ctx, _ty: &Type, off: usize) -> Result<Self, Fault> {
                let f: fn([u8; $size]) -> Result<$rust, Fault> = $from_bytes;
                f(direct::read(cx.memory()?, off)?)
            }
            #[inline]
            fn lower_direct<Ctx: Context + ?Sized>(&self, _cx: &mut Ctx, _ty: &Type, out: &mut [u64]) -> Result<(), Fault> {
                match out {
                    [slot] => {
                        *slot = self.to_flat();
                        Ok(())
                    }
                    _ => Err(direct::core_count(out.len(), 1)),
                }
            }
            #[inline]
            fn store_direct<Ctx: Context + ?Sized>(&self, cx: &mut Ctx, _ty: &Type, off: usize) -> Result<(), Fault> {
                let f: fn($rust) -> [u8; $size] = $to_bytes;
                direct::write(cx.memory_mut()?, off, f(*self))
            }
            fn load_list_direct<Ctx: Context + ?Sized>(
                cx: &mut Ctx,
                _elem: &Type,
                base: usize,
                len: usize,
            ) -> Result<Vec<Self>, Fault> {
                let f: fn([u8; $size]) -> Result<$rust, Fault> = $from_bytes;
                let bytes = direct::range(cx.memory()?, base, len * $size)?;
                bytes
                    .chunks_exact($size)
                    .map(|c| f(c.try_into().unwrap_or([0; $size])))
                    .collect()
            }
            fn store_list_direct<Ctx: Context + ?Sized>(
                items: &[Self],
                cx: &mut Ctx,
                _elem: &Type,
                base: usize,
            ) -> Result<(), Fault> {
                let f: fn($rust) -> [u8; $size] = $to_bytes;
                let dst = direct::range_mut(cx.memory_mut()?, base, items.len() * $size)?;
                for (out, x) in dst.chunks_exact_mut($size).zip(items) {
                    out.copy_from_slice(&f(*x));
                }
                Ok(())
            }
        }
    )*};
}

int_types! {
    bool => Bool, Bool, I32, 1, |x| x as u64, |v| Ok(v as u32 != 0), |x| [u8::from(x)], |b| Ok(b[0] != 0);
    i8 => S8, S8, I32, 1, |x| x as i32 as u32 as u64, |v| Ok(v as u8 as i8), |x| x.to_le_bytes(), |b| Ok(i8::from_le_bytes(b));
    u16 => U16, U16, I32, 2, |x| x as u64, |v| Ok(v as u16), |x| x.to_le_bytes(), |b| Ok(u16::from_le_bytes(b));
    i16 => S16, S16, I32, 2, |x| x as i32 as u32 as u64, |v| Ok(v as u16 as i16), |x| x.to_le_bytes(), |b| Ok(i16::from_le_bytes(b));
    u32 => U32, U32, I32, 4, |x| x as u64, |v| Ok(v as u32), |x| x.to_le_bytes(), |b| Ok(u32::from_le_bytes(b));
    i32 => S32, S32, I32, 4, |x| x as u32 as u64, |v| Ok(v as u32 as i32), |x| x.to_le_bytes(), |b| Ok(i32::from_le_bytes(b));
    u64 => U64, U64, I64, 8, |x| x, Ok, |x| x.to_le_bytes(), |b| Ok(u64::from_le_bytes(b));
    i64 => S64, S64, I64, 8, |x| x as u64, |v| Ok(v as i64), |x| x.to_le_bytes(), |b| Ok(i64::from_le_bytes(b));
    f32 => Float32, F32, F32, 4, |x| direct::canonical_f32(x).to_bits() as u64, |v| Ok(direct::canonical_f32(f32::from_bits(v as u32))),
        |x| direct::canonical_f32(x).to_bits().to_le_bytes(), |b| Ok(direct::canonical_f32(f32::from_le_bytes(b)));
    f64 => Float64, F64, F64, 8, |x| direct::canonical_f64(x).to_bits(), |v| Ok(direct::canonical_f64(f64::from_bits(v))),
        |x| direct::canonical_f64(x).to_bits().to_le_bytes(), |b| Ok(direct::canonical_f64(f64::from_le_bytes(b)));
    char => Char, Char, I32, 4, |x| x as u64, |v| direct::char_from_bits(v as u32), |x| u32::from(x).to_le_bytes(),
        |b| direct::char_from_bits(u32::from_le_bytes(b));
}

/// `u8` is `int_types!` but for lists, whose contents are one copy of the bytes.
impl ComponentType for u8 {
    const SCALAR: Option<CoreType> = Some(CoreType::I32);
    const DIRECT: bool = true;
    fn typecheck(ty: &Type) -> Result<()> {
        if let Type::U8 = ty {
            Ok(())
        } else {
            Err(mismatch("u8", ty))
        }
    }
    fn to_val(&self) -> Val {
        Val::U8(*self)
    }
    fn from_val(v: Val) -> Result<Self> {
        if let Val::U8(x) = v {
            Ok(x)
        } else {
            Err(val_mismatch("u8", &v))
        }
    }
    #[inline]
    fn to_flat(&self) -> u64 {
        u64::from(*self)
    }
    #[inline]
    fn from_flat(v: u64) -> Result<Self, Fault> {
        Ok(v as u8)
    }
    #[inline]
    fn lift_direct<Ctx: Context + ?Sized>(
        _cx: &mut Ctx,
        _ty: &Type,
        flat: &[u64],
    ) -> Result<Self, Fault> {
        Ok(one(flat)? as u8)
    }
    #[inline]
    fn load_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        _ty: &Type,
        off: usize,
    ) -> Result<Self, Fault> {
        Ok(direct::read::<1>(cx.memory()?, off)?[0])
    }
    #[inline]
    fn lower_direct<Ctx: Context + ?Sized>(
        &self,
        _cx: &mut Ctx,
        _ty: &Type,
        out: &mut [u64],
    ) -> Result<(), Fault> {
        match out {
            [slot] => {
                *slot = u64::from(*self);
                Ok(())
            }
            _ => Err(direct::core_count(out.len(), 1)),
        }
    }
    #[inline]
    fn store_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        _ty: &Type,
        off: usize,
    ) -> Result<(), Fault> {
        direct::write(cx.memory_mut()?, off, [*self])
    }
    #[inline]
    fn load_list_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        _elem: &Type,
        base: usize,
        len: usize,
    ) -> Result<Vec<Self>, Fault> {
        Ok(direct::range(cx.memory()?, base, len)?.to_vec())
    }
    #[inline]
    fn store_list_direct<Ctx: Context + ?Sized>(
        items: &[Self],
        cx: &mut Ctx,
        _elem: &Type,
        base: usize,
    ) -> Result<(), Fault> {
        direct::range_mut(cx.memory_mut()?, base, items.len())?.copy_from_slice(items);
        Ok(())
    }
    #[inline]
    fn lift_list_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        _elem: &Type,
        ptr: u32,
        len: u32,
    ) -> Result<Vec<Self>, Fault> {
        direct::lift_bytes(cx, ptr, len)
    }
    #[inline]
    fn lower_list_direct<Ctx: Context + ?Sized>(
        items: &[Self],
        cx: &mut Ctx,
        _elem: &Type,
    ) -> Result<u32, Fault> {
        direct::lower_bytes(cx, items)
    }
}

impl ComponentType for String {
    const DIRECT: bool = true;
    fn typecheck(ty: &Type) -> Result<()> {
        if let Type::String = ty {
            Ok(())
        } else {
            Err(mismatch("String", ty))
        }
    }
    fn to_val(&self) -> Val {
        Val::String(self.clone())
    }
    fn from_val(v: Val) -> Result<Self> {
        if let Val::String(s) = v {
            Ok(s)
        } else {
            Err(val_mismatch("string", &v))
        }
    }
    fn lift_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        _ty: &Type,
        flat: &[u64],
    ) -> Result<Self, Fault> {
        let (ptr, len) = pair(flat)?;
        direct::lift_string(cx, ptr, len)
    }
    fn load_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        _ty: &Type,
        off: usize,
    ) -> Result<Self, Fault> {
        let (ptr, len) = load_pair(cx, off)?;
        direct::lift_string(cx, ptr, len)
    }
    fn lower_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        _ty: &Type,
        out: &mut [u64],
    ) -> Result<(), Fault> {
        let p = direct::lower_string(cx, self)?;
        put_pair(out, p)
    }
    fn store_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        _ty: &Type,
        off: usize,
    ) -> Result<(), Fault> {
        let p = direct::lower_string(cx, self)?;
        store_pair(cx, off, p)
    }
}

impl<T: ComponentType> ComponentType for Vec<T> {
    const DIRECT: bool = T::DIRECT;
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::List(l) => T::typecheck(l.elem()),
            Type::FixedList(l) => T::typecheck(l.elem()),
            _ => Err(mismatch("Vec", ty)),
        }
    }
    fn host_handles(ty: &Type, f: &mut HostHandleCheck<'_>) -> Result<()> {
        match ty {
            Type::List(l) => T::host_handles(l.elem(), f),
            Type::FixedList(l) => T::host_handles(l.elem(), f),
            _ => Ok(()),
        }
    }
    fn to_val(&self) -> Val {
        Val::List(self.iter().map(T::to_val).collect())
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::List(items) => items.into_iter().map(T::from_val).collect(),
            v => Err(val_mismatch("list", &v)),
        }
    }
    fn lift_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        flat: &[u64],
    ) -> Result<Self, Fault> {
        match ty {
            Type::List(l) => {
                let (ptr, len) = pair(flat)?;
                T::lift_list_direct(cx, l.elem(), ptr, len)
            }
            Type::FixedList(l) => {
                let n = l.elem().flat_count();
                let mut out = Vec::with_capacity(l.len() as usize);
                for i in 0..l.len() as usize {
                    out.push(T::lift_direct(cx, l.elem(), sub(flat, i * n, n)?)?);
                }
                Ok(out)
            }
            _ => Err(unexpected(ty)),
        }
    }
    fn load_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<Self, Fault> {
        match ty {
            Type::List(l) => {
                let (ptr, len) = load_pair(cx, off)?;
                T::lift_list_direct(cx, l.elem(), ptr, len)
            }
            Type::FixedList(l) => T::load_list_direct(cx, l.elem(), off, l.len() as usize),
            _ => Err(unexpected(ty)),
        }
    }
    fn lower_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        out: &mut [u64],
    ) -> Result<(), Fault> {
        match ty {
            Type::List(l) => {
                let ptr = T::lower_list_direct(self, cx, l.elem())?;
                put_pair(out, (ptr, self.len() as u32))
            }
            Type::FixedList(l) => {
                if self.len() != l.len() as usize {
                    return Err(direct::mismatch(ty, &self.to_val()));
                }
                let n = l.elem().flat_count();
                for (i, x) in self.iter().enumerate() {
                    x.lower_direct(cx, l.elem(), sub_mut(out, i * n, n)?)?;
                }
                Ok(())
            }
            _ => Err(unexpected(ty)),
        }
    }
    fn store_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<(), Fault> {
        match ty {
            Type::List(l) => {
                let ptr = T::lower_list_direct(self, cx, l.elem())?;
                store_pair(cx, off, (ptr, self.len() as u32))
            }
            Type::FixedList(l) => {
                if self.len() != l.len() as usize {
                    return Err(direct::mismatch(ty, &self.to_val()));
                }
                T::store_list_direct(self, cx, l.elem(), off)
            }
            _ => Err(unexpected(ty)),
        }
    }
}

impl<T: ComponentType> ComponentType for Option<T> {
    const DIRECT: bool = T::DIRECT;
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Option(o) => T::typecheck(o.some()),
            _ => Err(mismatch("Option", ty)),
        }
    }
    fn host_handles(ty: &Type, f: &mut HostHandleCheck<'_>) -> Result<()> {
        match ty {
            Type::Option(o) => T::host_handles(o.some(), f),
            _ => Ok(()),
        }
    }
    fn to_val(&self) -> Val {
        Val::Option(self.as_ref().map(|x| Box::new(x.to_val())))
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::Option(o) => o.map(|x| T::from_val(*x)).transpose(),
            v => Err(val_mismatch("option", &v)),
        }
    }
    fn lift_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        flat: &[u64],
    ) -> Result<Self, Fault> {
        let Type::Option(o) = ty else {
            return Err(unexpected(ty));
        };
        let disc = disc_of(flat, ty)?;
        match disc {
            0 => Ok(None),
            1 => {
                let some = o.some();
                Ok(Some(T::lift_direct(
                    cx,
                    some,
                    sub(flat, 1, some.flat_count())?,
                )?))
            }
            _ => Err(direct::bad_discriminant(disc, 2)),
        }
    }
    fn load_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<Self, Fault> {
        let Type::Option(o) = ty else {
            return Err(unexpected(ty));
        };
        let shape = o.shape();
        match direct::read_disc(cx.memory()?, off, shape)? {
            0 => Ok(None),
            1 => Ok(Some(T::load_direct(
                cx,
                o.some(),
                off + shape.payload_offset as usize,
            )?)),
            disc => Err(direct::bad_discriminant(disc, 2)),
        }
    }
    fn lower_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        out: &mut [u64],
    ) -> Result<(), Fault> {
        let Type::Option(o) = ty else {
            return Err(unexpected(ty));
        };
        let used = match self {
            None => lower_case(out, 0, 0)?,
            Some(x) => {
                let n = o.some().flat_count();
                lower_case(out, 1, n)?;
                x.lower_direct(cx, o.some(), sub_mut(out, 1, n)?)?;
                n
            }
        };
        out[1 + used..].fill(0);
        Ok(())
    }
    fn store_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<(), Fault> {
        let Type::Option(o) = ty else {
            return Err(unexpected(ty));
        };
        let shape = o.shape();
        match self {
            None => direct::write_disc(cx.memory_mut()?, off, shape, 0),
            Some(x) => {
                direct::write_disc(cx.memory_mut()?, off, shape, 1)?;
                x.store_direct(cx, o.some(), off + shape.payload_offset as usize)
            }
        }
    }
}

/// The discriminant of a variant-like value from its first core value.
#[inline]
fn disc_of(flat: &[u64], ty: &Type) -> Result<u32, Fault> {
    match flat.first() {
        Some(&d) => Ok(d as u32),
        None => Err(direct::core_count(ty.flat_count(), 0)),
    }
}

/// Writes discriminant `disc` of a variant-like value into its first core value and checks
/// that `payload` more slots follow; returns `payload`.
#[inline]
fn lower_case(out: &mut [u64], disc: u32, payload: usize) -> Result<usize, Fault> {
    if out.len() <= payload {
        return Err(direct::core_count(payload + 1, out.len()));
    }
    out[0] = u64::from(disc);
    Ok(payload)
}

/// A payload that may be absent: `()` stands for a `result` case without a payload.
fn payload_typecheck<T: ComponentType>(ty: Option<&Type>) -> Result<()> {
    match ty {
        Some(t) => T::typecheck(t),
        None if std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>() => Ok(()),
        None => bail!(
            "type mismatch: expected no payload, found Rust type `{}`",
            std::any::type_name::<T>()
        ),
    }
}

fn payload_to_val<T: ComponentType>(x: &T) -> Option<Box<Val>> {
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>() {
        None
    } else {
        Some(Box::new(x.to_val()))
    }
}

fn payload_from_val<T: ComponentType>(v: Option<Box<Val>>) -> Result<T> {
    match v {
        Some(v) => T::from_val(*v),
        None => T::from_val(Val::Tuple(Vec::new())),
    }
}

impl<T: ComponentType, E: ComponentType> ComponentType for Result<T, E> {
    const DIRECT: bool = T::DIRECT && E::DIRECT;
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Result(r) => {
                payload_typecheck::<T>(r.ok())?;
                payload_typecheck::<E>(r.err())
            }
            _ => Err(mismatch("Result", ty)),
        }
    }
    fn host_handles(ty: &Type, f: &mut HostHandleCheck<'_>) -> Result<()> {
        if let Type::Result(r) = ty {
            if let Some(ok) = r.ok() {
                T::host_handles(ok, f)?;
            }
            if let Some(err) = r.err() {
                E::host_handles(err, f)?;
            }
        }
        Ok(())
    }
    fn to_val(&self) -> Val {
        Val::Result(match self {
            Ok(x) => Ok(payload_to_val(x)),
            Err(e) => Err(payload_to_val(e)),
        })
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::Result(Ok(x)) => Ok(Ok(payload_from_val(x)?)),
            Val::Result(Err(e)) => Ok(Err(payload_from_val(e)?)),
            v => Err(val_mismatch("result", &v)),
        }
    }
    fn lift_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        flat: &[u64],
    ) -> Result<Self, Fault> {
        let Type::Result(r) = ty else {
            return Err(unexpected(ty));
        };
        match disc_of(flat, ty)? {
            0 => Ok(Ok(payload_lift(cx, r.ok(), flat)?)),
            1 => Ok(Err(payload_lift(cx, r.err(), flat)?)),
            disc => Err(direct::bad_discriminant(disc, 2)),
        }
    }
    fn load_direct<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<Self, Fault> {
        let Type::Result(r) = ty else {
            return Err(unexpected(ty));
        };
        let shape = r.shape();
        let at = off + shape.payload_offset as usize;
        match direct::read_disc(cx.memory()?, off, shape)? {
            0 => Ok(Ok(payload_load(cx, r.ok(), at)?)),
            1 => Ok(Err(payload_load(cx, r.err(), at)?)),
            disc => Err(direct::bad_discriminant(disc, 2)),
        }
    }
    fn lower_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        out: &mut [u64],
    ) -> Result<(), Fault> {
        let Type::Result(r) = ty else {
            return Err(unexpected(ty));
        };
        let used = match self {
            Ok(x) => payload_lower(x, cx, r.ok(), 0, out)?,
            Err(e) => payload_lower(e, cx, r.err(), 1, out)?,
        };
        out[1 + used..].fill(0);
        Ok(())
    }
    fn store_direct<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        ty: &Type,
        off: usize,
    ) -> Result<(), Fault> {
        let Type::Result(r) = ty else {
            return Err(unexpected(ty));
        };
        let shape = r.shape();
        let at = off + shape.payload_offset as usize;
        let (disc, pty) = match self {
            Ok(_) => (0, r.ok()),
            Err(_) => (1, r.err()),
        };
        direct::write_disc(cx.memory_mut()?, off, shape, disc)?;
        match (self, pty) {
            (Ok(x), Some(pty)) => x.store_direct(cx, pty, at),
            (Err(e), Some(pty)) => e.store_direct(cx, pty, at),
            (_, None) => Ok(()),
        }
    }
}

/// Lifts a `result` case's payload of type `ty` (none: `()`) from the variant's core values.
#[inline]
fn payload_lift<T: ComponentType, Ctx: Context + ?Sized>(
    cx: &mut Ctx,
    ty: Option<&Type>,
    flat: &[u64],
) -> Result<T, Fault> {
    match ty {
        Some(t) => T::lift_direct(cx, t, sub(flat, 1, t.flat_count())?),
        None => T::from_val(Val::Tuple(Vec::new())).map_err(host_type),
    }
}

/// Loads a `result` case's payload of type `ty` (none: `()`) at `at`.
#[inline]
fn payload_load<T: ComponentType, Ctx: Context + ?Sized>(
    cx: &mut Ctx,
    ty: Option<&Type>,
    at: usize,
) -> Result<T, Fault> {
    match ty {
        Some(t) => T::load_direct(cx, t, at),
        None => T::from_val(Val::Tuple(Vec::new())).map_err(host_type),
    }
}

/// Lowers a `result` case: its discriminant and its payload of type `ty`, if any; returns
/// how many payload slots it used.
#[inline]
fn payload_lower<T: ComponentType, Ctx: Context + ?Sized>(
    x: &T,
    cx: &mut Ctx,
    ty: Option<&Type>,
    disc: u32,
    out: &mut [u64],
) -> Result<usize, Fault> {
    match ty {
        Some(t) => {
            let n = t.flat_count();
            lower_case(out, disc, n)?;
            x.lower_direct(cx, t, sub_mut(out, 1, n)?)?;
            Ok(n)
        }
        None => lower_case(out, disc, 0),
    }
}

impl ComponentType for tether_abi::ResourceAny {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Own(_) | Type::Borrow(_) => Ok(()),
            _ => Err(mismatch("ResourceAny", ty)),
        }
    }
    fn to_val(&self) -> Val {
        Val::Resource(*self)
    }
    fn from_val(v: Val) -> Result<Self> {
        match v {
            Val::Resource(r) => Ok(r),
            v => Err(val_mismatch("resource", &v)),
        }
    }
}

/// A list of values standing for a function's parameters or results: `()`, `(A,)`,
/// `(A, B)`, ... up to 16 elements. Safe to implement, as [`ComponentType`] is.
pub trait ComponentNamedList: Sized + Send + Sync + 'static {
    /// Whether every element is a scalar.
    const ALL_SCALAR: bool;
    /// Whether every element is a scalar or a resource handle: the raw path of host
    /// functions takes these.
    #[doc(hidden)]
    const ALL_RAW: bool;
    /// How many elements.
    const LEN: usize;
    /// Checks every element against `tys`.
    fn typecheck(tys: &[Type]) -> Result<()>;
    /// The elements as [`Val`]s.
    fn to_vals(&self) -> Vec<Val>;
    /// The elements from [`Val`]s.
    fn from_vals(vals: Vec<Val>) -> Result<Self>;
    /// Writes each scalar element's flat value (only when `ALL_SCALAR`).
    fn to_flat(&self, out: &mut [u64]);
    /// [`ComponentType::host_handles`] of each element, with the element's type in `tys`;
    /// `f` also gets the element's position.
    #[doc(hidden)]
    fn host_handles(
        tys: &[Type],
        f: &mut dyn FnMut(usize, tether_abi::ResourceIndex, crate::ResourceType) -> Result<()>,
    ) -> Result<()>;
    /// Reads each element from its flat value (only when `ALL_RAW`), in the store of `cx`.
    #[doc(hidden)]
    fn from_flat(flat: &[u64], cx: &mut RawCx<'_>) -> Result<Self, Fault>;

    /// Whether every element moves without [`Val`] (`ComponentType::DIRECT`).
    #[doc(hidden)]
    const ALL_DIRECT: bool;

    /// Lifts the elements, of types `tys`, from their core values `flat` in order.
    #[doc(hidden)]
    fn lift_direct_flat<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        tys: &[Type],
        flat: &[u64],
    ) -> Result<Self, Fault>;

    /// Loads the elements, of types `tys`, laid out as a tuple in memory from `base`, whose
    /// first element follows a previous one ending at byte `start` of the tuple (0 for none).
    #[doc(hidden)]
    fn load_direct_fields<Ctx: Context + ?Sized>(
        cx: &mut Ctx,
        tys: &[Type],
        base: usize,
        start: u64,
    ) -> Result<Self, Fault>;

    /// Lowers the elements, of types `tys`, into their core values in order, filling `out`.
    #[doc(hidden)]
    fn lower_direct_flat<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        tys: &[Type],
        out: &mut [u64],
    ) -> Result<(), Fault>;

    /// Stores the elements, of types `tys`, as a tuple in memory from `base` (see
    /// [`load_direct_fields`](Self::load_direct_fields) for `start`).
    #[doc(hidden)]
    fn store_direct_fields<Ctx: Context + ?Sized>(
        &self,
        cx: &mut Ctx,
        tys: &[Type],
        base: usize,
        start: u64,
    ) -> Result<(), Fault>;
}

/// Element `i` of a list of types that passed a tuple's check.
#[inline]
fn elem_ty(tys: &[Type], i: usize) -> Result<&Type, Fault> {
    match tys.get(i) {
        Some(t) => Ok(t),
        None => Err(direct::core_count(i + 1, tys.len())),
    }
}

impl ComponentType for () {
    const DIRECT: bool = true;
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Tuple(t) if t.types().is_empty() => Ok(()),
            _ => Err(mismatch("()", ty)),
        }
    }
    fn to_val(&self) -> Val {
        Val::Tuple(Vec::new())
    }
    fn from_val(_v: Val) -> Result<Self> {
        Ok(())
    }
    fn lift_direct<Ctx: Context + ?Sized>(
        _cx: &mut Ctx,
        _ty: &Type,
        _flat: &[u64],
    ) -> Result<Self, Fault> {
        Ok(())
    }
    fn load_direct<Ctx: Context + ?Sized>(
        _cx: &mut Ctx,
        _ty: &Type,
        _off: usize,
    ) -> Result<Self, Fault> {
        Ok(())
    }
    fn lower_direct<Ctx: Context + ?Sized>(
        &self,
        _cx: &mut Ctx,
        _ty: &Type,
        _out: &mut [u64],
    ) -> Result<(), Fault> {
        Ok(())
    }
    fn store_direct<Ctx: Context + ?Sized>(
        &self,
        _cx: &mut Ctx,
        _ty: &Type,
        _off: usize,
    ) -> Result<(), Fault> {
        Ok(())
    }
}

macro_rules! tuples {
    ($(($($n:tt $t:ident),*))*) => {$(
        impl<$($t: ComponentType),*> ComponentNamedList for ($($t,)*) {
            const ALL_SCALAR: bool = true $(&& $t::SCALAR.is_some() && !$t::HANDLE)*;
            const ALL_RAW: bool = true $(&& $t::SCALAR.is_some())*;
            const LEN: usize = 0 $(+ { let _ = $n; 1 })*;
            #[allow(unused_variables)]
            fn typecheck(tys: &[Type]) -> Result<()> {
                if tys.len() != Self::LEN {
                    bail!("type mismatch: expected {} values, the Rust type has {}", tys.len(), Self::LEN);
                }
                $($t::typecheck(&tys[$n])?;)*
                Ok(())
            }
            fn to_vals(&self) -> Vec<Val> {
                vec![$(self.$n.to_val()),*]
            }
            #[allow(unused_mut, unused_variables)]
            fn from_vals(vals: Vec<Val>) -> Result<Self> {
                let mut it = vals.into_iter();
                Ok(($($t::from_val(it.next().ok_or_else(|| anyhow::anyhow!("too few values"))?)?,)*))
            }
            #[allow(unused_variables)]
            #[inline]
            fn to_flat(&self, out: &mut [u64]) {
                $(out[$n] = self.$n.to_flat();)*
            }
            #[allow(unused_variables)]
            fn host_handles(
                tys: &[Type],
                f: &mut dyn FnMut(usize, tether_abi::ResourceIndex, crate::ResourceType) -> Result<()>,
            ) -> Result<()> {
                $(if let Some(ty) = tys.get($n) {
                    $t::host_handles(ty, &mut |r, rust| f($n, r, rust))?;
                })*
                Ok(())
            }
            #[allow(unused_variables)]
            #[inline]
            fn from_flat(flat: &[u64], cx: &mut RawCx<'_>) -> Result<Self, Fault> {
                Ok(($($t::from_flat_in(flat[$n], cx)?,)*))
            }

            const ALL_DIRECT: bool = true $(&& $t::DIRECT)*;

            #[allow(unused_variables, unused_mut, unused_assignments)]
            #[inline]
            fn lift_direct_flat<Ctx: Context + ?Sized>(cx: &mut Ctx, tys: &[Type], flat: &[u64]) -> Result<Self, Fault> {
                let mut at = 0;
                Ok(($({
                    let ty = elem_ty(tys, $n)?;
                    let n = ty.flat_count();
                    let v = $t::lift_direct(cx, ty, sub(flat, at, n)?)?;
                    at += n;
                    v
                },)*))
            }

            #[allow(unused_variables, unused_mut, unused_assignments)]
            #[inline]
            fn load_direct_fields<Ctx: Context + ?Sized>(
                cx: &mut Ctx,
                tys: &[Type],
                base: usize,
                start: u64,
            ) -> Result<Self, Fault> {
                let mut end = start;
                Ok(($({
                    let ty = elem_ty(tys, $n)?;
                    let off = direct::field_offset(end, ty);
                    end = off + u64::from(ty.size());
                    $t::load_direct(cx, ty, base + off as usize)?
                },)*))
            }

            #[allow(unused_variables, unused_mut, unused_assignments)]
            #[inline]
            fn lower_direct_flat<Ctx: Context + ?Sized>(&self, cx: &mut Ctx, tys: &[Type], out: &mut [u64]) -> Result<(), Fault> {
                let mut at = 0;
                $({
                    let ty = elem_ty(tys, $n)?;
                    let n = ty.flat_count();
                    self.$n.lower_direct(cx, ty, sub_mut(out, at, n)?)?;
                    at += n;
                })*
                Ok(())
            }

            #[allow(unused_variables, unused_mut, unused_assignments)]
            #[inline]
            fn store_direct_fields<Ctx: Context + ?Sized>(
                &self,
                cx: &mut Ctx,
                tys: &[Type],
                base: usize,
                start: u64,
            ) -> Result<(), Fault> {
                let mut end = start;
                $({
                    let ty = elem_ty(tys, $n)?;
                    let off = direct::field_offset(end, ty);
                    end = off + u64::from(ty.size());
                    self.$n.store_direct(cx, ty, base + off as usize)?;
                })*
                Ok(())
            }
        }
    )*};
}

macro_rules! tuple_types {
    ($(($($n:tt $t:ident),*))*) => {$(
        impl<$($t: ComponentType),*> ComponentType for ($($t,)*) {
            fn typecheck(ty: &Type) -> Result<()> {
                match ty {
                    Type::Tuple(t) => <Self as ComponentNamedList>::typecheck(t.types()),
                    _ => Err(mismatch("tuple", ty)),
                }
            }
            fn host_handles(ty: &Type, f: &mut HostHandleCheck<'_>) -> Result<()> {
                match ty {
                    Type::Tuple(t) => {
                        <Self as ComponentNamedList>::host_handles(t.types(), &mut |_, r, rust| f(r, rust))
                    }
                    _ => Ok(()),
                }
            }
            fn to_val(&self) -> Val {
                Val::Tuple(self.to_vals())
            }
            fn from_val(v: Val) -> Result<Self> {
                match v {
                    Val::Tuple(items) => Self::from_vals(items),
                    v => Err(val_mismatch("tuple", &v)),
                }
            }

            const DIRECT: bool = <Self as ComponentNamedList>::ALL_DIRECT;

            fn lift_direct<Ctx: Context + ?Sized>(cx: &mut Ctx, ty: &Type, flat: &[u64]) -> Result<Self, Fault> {
                match ty {
                    Type::Tuple(t) => Self::lift_direct_flat(cx, t.types(), flat),
                    _ => Err(unexpected(ty)),
                }
            }

            fn load_direct<Ctx: Context + ?Sized>(cx: &mut Ctx, ty: &Type, off: usize) -> Result<Self, Fault> {
                match ty {
                    Type::Tuple(t) => Self::load_direct_fields(cx, t.types(), off, 0),
                    _ => Err(unexpected(ty)),
                }
            }

            fn lower_direct<Ctx: Context + ?Sized>(&self, cx: &mut Ctx, ty: &Type, out: &mut [u64]) -> Result<(), Fault> {
                match ty {
                    Type::Tuple(t) => self.lower_direct_flat(cx, t.types(), out),
                    _ => Err(unexpected(ty)),
                }
            }

            fn store_direct<Ctx: Context + ?Sized>(&self, cx: &mut Ctx, ty: &Type, off: usize) -> Result<(), Fault> {
                match ty {
                    Type::Tuple(t) => self.store_direct_fields(cx, t.types(), off, 0),
                    _ => Err(unexpected(ty)),
                }
            }
        }
    )*};
}

tuples! {
    ()
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O, 15 P)
}

tuple_types! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
}
