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
use tether_abi::Val;

use crate::call::func_def::{FuncDef, LiftKind};
use crate::call::lift::{call_lifted_direct, call_lifted_scalar};
use crate::call::store::AsContextMut;
use crate::call::values::ComponentNamedList;
use crate::func::Func;

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
    /// allocates nothing; when every one is a type that moves without [`Val`] (strings,
    /// lists, options, results, tuples, derived types and host-object handles of those), it
    /// is lowered from and lifted into Rust directly.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let mut store = store.as_context_mut();
        let r = self.call_paths(&mut store, &params);
        if r.is_err() {
            self.refused(&mut store, &params);
        }
        r
    }

    /// After a failed call: if the instance refused it at the door, nothing was passed in,
    /// and the host objects handed over by value (`Own`, anywhere in the parameters) would
    /// have no owner left; they are dropped, as a refused object is.
    #[cold]
    #[inline(never)]
    fn refused<T>(&self, store: &mut crate::StoreContextMut<'_, T>, params: &P) {
        let rt = &mut store.0.data_mut().rt;
        if !std::mem::take(&mut rt.refused_entry) {
            return;
        }
        let mut owned = Vec::new();
        for v in params.to_vals() {
            owned_handles(&v, &mut owned);
        }
        for h in owned {
            let h = h.parts();
            if h.store == rt.store_id
                && rt
                    .resource_types
                    .get(h.ty as usize)
                    .is_some_and(|t| t.objects)
            {
                let _ = rt.objects.remove(h.index, h.generation, |o| o.clear());
            }
        }
    }

    fn call_paths<T>(&self, store: &mut crate::StoreContextMut<'_, T>, params: &P) -> Result<R> {
        self.func
            .check_store(&store.0.data().rt)
            .map_err(|e| self.func.name_error(e))?;
        let FuncDef::Lifted(f) = &self.func.def else {
            unreachable!("checked in `new`")
        };
        // A call of an `async`-typed or `async`-lifted function is a task: the `Val` path.
        let sync = f.kind == LiftKind::Sync;
        if sync && P::ALL_SCALAR && R::ALL_SCALAR && !f.sig.params_spill && !f.sig.results_spill {
            let mut args = [0u64; 16];
            // `LEN` is the Rust type's claim: a list longer than any flat parameter list is
            // refused here, one of another length by `call_lifted_scalar`.
            let Some(args) = args.get_mut(..P::LEN) else {
                bail!(
                    "type mismatch: the Rust parameter types have {} core values",
                    P::LEN
                );
            };
            params.to_flat(args);
            return call_lifted_scalar(&mut store.0, f, args, R::LEN, R::from_flat)
                .map_err(|e| self.func.name_error(e));
        }
        if sync && P::ALL_DIRECT && R::ALL_DIRECT && !f.guest_resources {
            return call_lifted_direct(&mut store.0, f, params)
                .map_err(|e| self.func.name_error(e));
        }
        let args = params.to_vals();
        let mut results = vec![Val::Bool(false); R::LEN];
        self.func
            .call_inner(&mut *store, &args, &mut results)
            .map_err(|e| self.func.name_error(e))?;
        R::from_vals(results)
    }
}

/// The owned handles in `v`, at any depth.
fn owned_handles(v: &Val, out: &mut Vec<tether_abi::ResourceAny>) {
    match v {
        Val::Resource(r) if r.owned() => out.push(*r),
        Val::List(vs) | Val::Tuple(vs) => vs.iter().for_each(|v| owned_handles(v, out)),
        Val::Record(fields) => fields.iter().for_each(|(_, v)| owned_handles(v, out)),
        Val::Variant(_, Some(v)) | Val::Option(Some(v)) => owned_handles(v, out),
        Val::Result(Ok(Some(v)) | Err(Some(v))) => owned_handles(v, out),
        Val::Map(entries) => entries.iter().for_each(|(k, v)| {
            owned_handles(k, out);
            owned_handles(v, out);
        }),
        _ => {}
    }
}
