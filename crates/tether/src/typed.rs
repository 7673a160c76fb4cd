//! Rust types as component values: [`ComponentType`], the typed function [`TypedFunc`], and
//! the tuples that stand for parameter and result lists ([`ComponentNamedList`]).
//!
//! A type is checked against the component type once, when a [`TypedFunc`] is made or a
//! typed host function is linked. Calls whose parameters and results are all scalars (bool,
//! integers, floats, char) then move raw core values with no [`Val`] and no heap allocation;
//! other calls convert through [`Val`].
//!
//! # Records, variants, enums and flags
//!
//! `#[derive(ComponentType)]` makes a struct with named fields stand for a WIT `record`, an
//! enum of unit variants for a WIT `enum`, and an enum with single-field tuple variants
//! (`Case(T)`) for a WIT `variant`; [`flags!`](crate::flags!) defines a bit set that stands for
//! a WIT `flags` type. Names become kebab-case labels (`status_code` is `status-code`,
//! `DarkBlue` is `dark-blue`), or take the label of `#[component(name = "...")]`, and must
//! match the component type's, in order.
//!
//! ```
//! use tether::{Component, ComponentType, Engine, Linker, Store};
//!
//! #[derive(ComponentType, Debug, PartialEq)]
//! struct Rect {
//!     width: u32,
//!     height: u32,
//! }
//!
//! #[derive(ComponentType, Debug, PartialEq, Clone, Copy)]
//! enum Unit {
//!     Pixels,
//!     Points,
//! }
//!
//! tether::flags! {
//!     Style {
//!         const BOLD;
//!         const ITALIC;
//!     }
//! }
//!
//! let engine = Engine::default();
//! let component = Component::new(&engine, r#"
//!     (component
//!       (type $rect' (record (field "width" u32) (field "height" u32)))
//!       (export $rect "rect" (type $rect'))
//!       (type $unit' (enum "pixels" "points"))
//!       (export $unit "unit" (type $unit'))
//!       (type $style' (flags "bold" "italic"))
//!       (export $style "style" (type $style'))
//!       (core module $m
//!         (func (export "area") (param i32 i32) (result i32)
//!           (i32.mul (local.get 0) (local.get 1)))
//!         (func (export "id") (param i32) (result i32) (local.get 0)))
//!       (core instance $i (instantiate $m))
//!       (func (export "area") (param "r" $rect) (result u32)
//!         (canon lift (core func $i "area")))
//!       (func (export "echo-unit") (param "u" $unit) (result $unit)
//!         (canon lift (core func $i "id")))
//!       (func (export "echo-style") (param "s" $style) (result $style)
//!         (canon lift (core func $i "id"))))
//! "#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
//!
//! let area = instance.get_typed_func::<(Rect,), (u32,)>(&mut store, "area")?;
//! assert_eq!(area.call(&mut store, (Rect { width: 6, height: 7 },))?, (42,));
//!
//! let echo = instance.get_typed_func::<(Unit,), (Unit,)>(&mut store, "echo-unit")?;
//! assert_eq!(echo.call(&mut store, (Unit::Points,))?, (Unit::Points,));
//!
//! let echo = instance.get_typed_func::<(Style,), (Style,)>(&mut store, "echo-style")?;
//! let style = Style::BOLD | Style::ITALIC;
//! assert_eq!(echo.call(&mut store, (style,))?, (style,));
//!
//! // A Rust type that does not fit is refused when the typed function is made.
//! #[derive(ComponentType)]
//! struct Size {
//!     height: u32,
//!     width: u32,
//! }
//! let err = instance.get_typed_func::<(Size,), (u32,)>(&mut store, "area").err().unwrap();
//! assert!(format!("{err:#}").contains(
//!     "the record fields of `Size` are in a different order: expected `width`, `height`, found `height`, `width`"
//! ));
//! # anyhow::Ok(())
//! ```
//!
//! Typed host functions ([`LinkerInstance::func_wrap`](crate::LinkerInstance::func_wrap)) take
//! and return these types in the same way.

use std::marker::PhantomData;

use anyhow::{Result, bail};
use tether_abi::{CoreType, Trap, Type, Val};

use crate::func::{Func, FuncDef};
use crate::store::AsContextMut;

/// A Rust type that stands for a component value type.
pub trait ComponentType: Sized + Send + Sync + 'static {
    /// For scalar types, the one core value type they flatten to.
    const SCALAR: Option<CoreType> = None;

    /// Whether this is a resource handle ([`Own`](crate::Own) or [`Borrow`](crate::Borrow)):
    /// its flat value then packs a host object's slot (low 32 bits) and generation (high 32
    /// bits), which the runtime translates to and from the guest's handle index.
    #[doc(hidden)]
    const HANDLE: bool = false;

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
    fn from_flat(_v: u64) -> Result<Self, Trap> {
        unreachable!("only scalars have a single flat value")
    }
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
    ($($rust:ty => $variant:ident, $ty:ident, $core:ident, $to:expr, $from:expr;)*) => {$(
        impl ComponentType for $rust {
            const SCALAR: Option<CoreType> = Some(CoreType::$core);
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
            fn from_flat(v: u64) -> Result<Self, Trap> {
                let f: fn(u64) -> Result<$rust, Trap> = $from;
                f(v)
            }
        }
    )*};
}

int_types! {
    bool => Bool, Bool, I32, |x| x as u64, |v| Ok(v as u32 != 0);
    u8 => U8, U8, I32, |x| x as u64, |v| Ok(v as u8);
    i8 => S8, S8, I32, |x| x as i32 as u32 as u64, |v| Ok(v as u8 as i8);
    u16 => U16, U16, I32, |x| x as u64, |v| Ok(v as u16);
    i16 => S16, S16, I32, |x| x as i32 as u32 as u64, |v| Ok(v as u16 as i16);
    u32 => U32, U32, I32, |x| x as u64, |v| Ok(v as u32);
    i32 => S32, S32, I32, |x| x as u32 as u64, |v| Ok(v as u32 as i32);
    u64 => U64, U64, I64, |x| x, Ok;
    i64 => S64, S64, I64, |x| x as u64, |v| Ok(v as i64);
    f32 => Float32, F32, F32, |x| canon_f32(x).to_bits() as u64, |v| Ok(canon_f32(f32::from_bits(v as u32)));
    f64 => Float64, F64, F64, |x| canon_f64(x).to_bits(), |v| Ok(canon_f64(f64::from_bits(v)));
    char => Char, Char, I32, |x| x as u64, |v| char::from_u32(v as u32).ok_or_else(|| Trap::guest("invalid `char` bit pattern"));
}

fn canon_f32(x: f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(0x7fc0_0000)
    } else {
        x
    }
}

fn canon_f64(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(0x7ff8_0000_0000_0000)
    } else {
        x
    }
}

impl ComponentType for String {
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
}

impl<T: ComponentType> ComponentType for Vec<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::List(l) => T::typecheck(l.elem()),
            Type::FixedList(l) => T::typecheck(l.elem()),
            _ => Err(mismatch("Vec", ty)),
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
}

impl<T: ComponentType> ComponentType for Option<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Option(o) => T::typecheck(o.some()),
            _ => Err(mismatch("Option", ty)),
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
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Result(r) => {
                payload_typecheck::<T>(r.ok())?;
                payload_typecheck::<E>(r.err())
            }
            _ => Err(mismatch("Result", ty)),
        }
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
/// `(A, B)`, ... up to 16 elements.
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
    /// Reads each scalar element from its flat value (only when `ALL_SCALAR`).
    fn from_flat(flat: &[u64]) -> Result<Self, Trap>;
}

impl ComponentType for () {
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
            #[inline]
            fn from_flat(flat: &[u64]) -> Result<Self, Trap> {
                Ok(($($t::from_flat(flat[$n])?,)*))
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
            fn to_val(&self) -> Val {
                Val::Tuple(self.to_vals())
            }
            fn from_val(v: Val) -> Result<Self> {
                match v {
                    Val::Tuple(items) => Self::from_vals(items),
                    v => Err(val_mismatch("tuple", &v)),
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

/// A component function with Rust parameter and result types, checked once when made.
///
/// ```
/// use tether::{Component, Engine, Linker, Store};
///
/// let engine = Engine::default();
/// let component = Component::new(&engine, r#"
///     (component
///       (core module $m
///         (func (export "add") (param i32 i32) (result i32)
///           (i32.add (local.get 0) (local.get 1))))
///       (core instance $i (instantiate $m))
///       (func (export "add") (param "a" u32) (param "b" u32) (result u32)
///         (canon lift (core func $i "add"))))
/// "#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
/// let add = instance.get_typed_func::<(u32, u32), (u32,)>(&mut store, "add")?;
/// assert_eq!(add.call(&mut store, (2, 40))?, (42,));
/// # anyhow::Ok(())
/// ```
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        TypedFunc {
            func: self.func.clone(),
            _marker: PhantomData,
        }
    }
}

impl<P: ComponentNamedList, R: ComponentNamedList> TypedFunc<P, R> {
    /// Checks `func`'s type against `P` and `R`.
    pub fn new(func: Func) -> Result<TypedFunc<P, R>> {
        match &func.def {
            FuncDef::Lifted(f) => {
                P::typecheck(&f.sig.params).map_err(|e| e.context("parameters do not match"))?;
                R::typecheck(&f.sig.results).map_err(|e| e.context("results do not match"))?;
            }
            FuncDef::Host(_) => bail!("a host function cannot be called as a typed function"),
            FuncDef::Unsupported(what) => bail!("unsupported: {what}"),
        }
        Ok(TypedFunc {
            func,
            _marker: PhantomData,
        })
    }

    /// The dynamically typed function.
    pub fn func(&self) -> &Func {
        &self.func
    }

    /// Calls the function.
    ///
    /// When every parameter and result is a scalar, the call moves raw core values and
    /// allocates nothing.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let mut store = store.as_context_mut();
        let FuncDef::Lifted(f) = &self.func.def else {
            unreachable!("checked in `new`")
        };
        if P::ALL_SCALAR && R::ALL_SCALAR && !f.sig.params_spill && !f.sig.results_spill {
            let mut args = [0u64; 16];
            params.to_flat(&mut args[..P::LEN]);
            return crate::func::call_lifted_scalar(
                &mut store.0,
                f,
                &args[..P::LEN],
                R::LEN,
                R::from_flat,
            )
            .map_err(|e| self.func.name_error(e));
        }
        let args = params.to_vals();
        let mut results = vec![Val::Bool(false); R::LEN];
        self.func.call(&mut store, &args, &mut results)?;
        R::from_vals(results)
    }
}
