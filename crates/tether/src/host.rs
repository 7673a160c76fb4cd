//! Host objects: Rust values that a store owns on behalf of guests, reached through typed
//! handles ([`Own`], [`Borrow`]).
//!
//! A resource type defined with [`LinkerInstance::resource_host`](crate::LinkerInstance::resource_host)
//! is backed by a Rust type `R`. Each resource of it is an `R` kept in the store's object
//! table; the guest's handle carries the object's slot as its representation.
//!
//! # Destruction of an object
//!
//! An object is dropped (Rust's `Drop`) when the last owner lets it go: a guest drops its
//! own handle, the host calls [`StoreContextMut::take`] or [`StoreContextMut::delete`], or
//! the store itself is dropped. An object with live children cannot be dropped or moved out
//! of the table: that is an error (a trap for the guest that tried).
//!
//! # Staleness
//!
//! A handle the host keeps holds the slot and the slot's generation; once the object is
//! gone, using the handle is an error ("stale handle"), never another object.
//!
//! # Revocation
//!
//! The host can take back an object a guest holds ([`StoreContextMut::revoke`]; by
//! contents with `revoke_where`, everything an instance holds of a type with `revoke_held`,
//! or after a duration with `revoke_after`). The object is dropped (Rust's `Drop`; the
//! `on_drop` callback of [`resource_host_with_drop`](crate::LinkerInstance::resource_host_with_drop)
//! is for guests' drops and does not run) as soon as nothing has it in use: at once, or when
//! the method call that has it as `&mut R` returns. Revoking an object revokes its children
//! first. The guest's handle stays in its table: any use of it but `resource.drop` traps with
//! [`Trap::Revoked`](crate::Trap::Revoked), naming the handle and its type, unless the method
//! was defined with [`method_or_revoked`](crate::LinkerInstance::method_or_revoked), which
//! returns a result of the host's choosing instead; dropping it succeeds. A handle the host
//! kept meets [`HandleError::Revoked`], and [`delete`](StoreContextMut::delete) of one
//! succeeds.
//!
//! A store is never reached from another thread, so a deadline set with `revoke_after` is
//! checked when a guest uses a handle to a host object and when the store is entered; the
//! object is dropped then.
//!
//! ```
//! # use tether::{Engine, Store};
//! struct Socket;
//! let mut store = Store::new(&Engine::default(), ());
//! let socket = store.push(Socket)?;
//! let kept = socket.borrow(); // what the host keeps to name the object later
//! store.revoke(&kept)?;
//! assert_eq!(store.host_objects(), 0);
//! assert!(store.get(&kept).is_err());
//! store.delete(socket)?; // the owner lets go of the revoked object
//! # Ok::<(), tether::Error>(())
//! ```
//!
//! # Borrows and `&mut`
//!
//! A method defined with [`LinkerInstance::method`](crate::LinkerInstance::method) receives
//! `&mut R`: the object is moved out of its slot for the duration of the call, so the store
//! stays usable, and a second borrow of the same object in the same call finds the slot in use
//! and is refused. Two `&mut R` to one object can never exist.

use std::any::Any;
use std::marker::PhantomData;

use anyhow::{Result, bail};
use tether_abi::{Context, Fault, HandleError, ResourceAny, Trap, Type, Val, direct};

use crate::call::store::StoreContextMut;
use crate::call::values::{ComponentType, HostHandleCheck, RawCx};
use crate::state::embedder::same_store;
use crate::state::objects::{Object, object_is, object_mut, object_ref};
use crate::state::runtime::ResourceType;
use crate::state::runtime::Runtime;

#[cold]
fn wrong_rust_type<R>(index: u32) -> HandleError {
    HandleError::WrongType {
        index,
        expected: format!("`{}`", std::any::type_name::<R>()).into(),
    }
}

/// An owned handle to a host object of type `R`.
///
/// Returning it to a guest moves ownership to the guest. A handle the host keeps is checked
/// on every use: once the object is gone, using it is an error.
pub struct Own<R> {
    /// The store the object lives in.
    pub(crate) store: u64,
    pub(crate) rt: u32,
    pub(crate) index: u32,
    pub(crate) generation: u32,
    _marker: PhantomData<fn() -> R>,
}

/// A borrowed handle to a host object of type `R`, valid for the call that received it.
pub struct Borrow<R> {
    /// The store the object lives in.
    pub(crate) store: u64,
    pub(crate) rt: u32,
    pub(crate) index: u32,
    pub(crate) generation: u32,
    _marker: PhantomData<fn() -> R>,
}

impl<R> Clone for Borrow<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Borrow<R> {}

impl<R> std::fmt::Debug for Own<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Own<{}>({}#{})",
            std::any::type_name::<R>(),
            self.index,
            self.generation
        )
    }
}

impl<R> std::fmt::Debug for Borrow<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Borrow<{}>({}#{})",
            std::any::type_name::<R>(),
            self.index,
            self.generation
        )
    }
}

impl<R> Own<R> {
    /// A borrow of the same object.
    pub fn borrow(&self) -> Borrow<R> {
        Borrow {
            store: self.store,
            rt: self.rt,
            index: self.index,
            generation: self.generation,
            _marker: PhantomData,
        }
    }
}

/// A handle to a host object of type `R`: [`Own`] or [`Borrow`].
pub trait AsHandle<R> {
    /// The store, slot and generation.
    #[doc(hidden)]
    fn slot(&self) -> (u64, u32, u32);
}

impl<R> AsHandle<R> for Own<R> {
    fn slot(&self) -> (u64, u32, u32) {
        (self.store, self.index, self.generation)
    }
}

impl<R> AsHandle<R> for Borrow<R> {
    fn slot(&self) -> (u64, u32, u32) {
        (self.store, self.index, self.generation)
    }
}

fn handle_from_val(v: Val, own: bool) -> Result<ResourceAny> {
    match v {
        Val::Resource(r) if r.owned() == own => Ok(r),
        Val::Resource(_) if own => {
            bail!("type mismatch: expected an owned handle, found a borrowed one")
        }
        Val::Resource(_) => bail!("type mismatch: expected a borrowed handle, found an owned one"),
        v => bail!("type mismatch: expected a resource handle, found {v:?}"),
    }
}

/// The direct lifting and lowering of a typed handle (`Own` or `Borrow`): the component
/// type's variant, and the `Context` methods that lift and lower it.
macro_rules! handle_direct_methods {
    ($variant:ident, $lift:ident, $lower:ident) => {
        fn lift_direct<C: Context + ?Sized>(
            cx: &mut C,
            ty: &Type,
            flat: &[u64],
        ) -> Result<Self, Fault> {
            match (ty, flat) {
                (Type::$variant(r), [index]) => Ok(Self::from_any(cx.$lift(*r, *index as u32)?)),
                _ => Err(handle_mismatch(ty)),
            }
        }

        fn load_direct<C: Context + ?Sized>(
            cx: &mut C,
            ty: &Type,
            off: usize,
        ) -> Result<Self, Fault> {
            let Type::$variant(r) = ty else {
                return Err(handle_mismatch(ty));
            };
            let index = u32::from_le_bytes(direct::read(cx.memory()?, off)?);
            Ok(Self::from_any(cx.$lift(*r, index)?))
        }

        fn lower_direct<C: Context + ?Sized>(
            &self,
            cx: &mut C,
            ty: &Type,
            out: &mut [u64],
        ) -> Result<(), Fault> {
            match (ty, out) {
                (Type::$variant(r), [slot]) => {
                    *slot = u64::from(cx.$lower(*r, self.as_resource())?);
                    Ok(())
                }
                _ => Err(handle_mismatch(ty)),
            }
        }

        fn store_direct<C: Context + ?Sized>(
            &self,
            cx: &mut C,
            ty: &Type,
            off: usize,
        ) -> Result<(), Fault> {
            let Type::$variant(r) = ty else {
                return Err(handle_mismatch(ty));
            };
            let index = cx.$lower(*r, self.as_resource())?;
            direct::write(cx.memory_mut()?, off, index.to_le_bytes())
        }
    };
}

impl<R: Send + 'static> ComponentType for Own<R> {
    const SCALAR: Option<tether_abi::CoreType> = Some(tether_abi::CoreType::I32);
    const HANDLE: bool = true;
    const DIRECT: bool = true;

    handle_direct_methods!(Own, lift_own, lower_own);

    fn host_handles(ty: &Type, f: &mut HostHandleCheck<'_>) -> Result<()> {
        match ty {
            Type::Own(r) | Type::Borrow(r) => f(*r, ResourceType::host::<R>()),
            _ => Ok(()),
        }
    }

    fn to_flat(&self) -> u64 {
        u64::from(self.index) | (u64::from(self.generation) << 32)
    }

    fn from_flat_in(v: u64, cx: &mut RawCx<'_>) -> Result<Self, tether_abi::Fault> {
        Ok(Own {
            store: cx.rt.store_id,
            rt: object_type::<R>(cx.rt),
            index: v as u32,
            generation: (v >> 32) as u32,
            _marker: PhantomData,
        })
    }

    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Own(_) => Ok(()),
            _ => bail!(
                "type mismatch: expected `{ty}`, found Rust type `Own<{}>`",
                std::any::type_name::<R>()
            ),
        }
    }
    fn to_val(&self) -> Val {
        Val::Resource(self.as_resource())
    }
    fn from_val(v: Val) -> Result<Self> {
        Ok(Self::from_any(handle_from_val(v, true)?))
    }
}

impl<R: Send + 'static> ComponentType for Borrow<R> {
    const SCALAR: Option<tether_abi::CoreType> = Some(tether_abi::CoreType::I32);
    const HANDLE: bool = true;
    const DIRECT: bool = true;

    handle_direct_methods!(Borrow, lift_borrow, lower_borrow);

    fn host_handles(ty: &Type, f: &mut HostHandleCheck<'_>) -> Result<()> {
        match ty {
            Type::Own(r) | Type::Borrow(r) => f(*r, ResourceType::host::<R>()),
            _ => Ok(()),
        }
    }

    fn to_flat(&self) -> u64 {
        u64::from(self.index) | (u64::from(self.generation) << 32)
    }

    fn from_flat_in(v: u64, cx: &mut RawCx<'_>) -> Result<Self, tether_abi::Fault> {
        Ok(Borrow {
            store: cx.rt.store_id,
            rt: object_type::<R>(cx.rt),
            index: v as u32,
            generation: (v >> 32) as u32,
            _marker: PhantomData,
        })
    }

    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Borrow(_) => Ok(()),
            _ => bail!(
                "type mismatch: expected `{ty}`, found Rust type `Borrow<{}>`",
                std::any::type_name::<R>()
            ),
        }
    }
    fn to_val(&self) -> Val {
        Val::Resource(self.as_resource())
    }
    fn from_val(v: Val) -> Result<Self> {
        Ok(Self::from_any(handle_from_val(v, false)?))
    }
}

impl<R> Own<R> {
    /// The handle a `ResourceAny` names: one lifted from a guest's handle, or one given as a
    /// value (`rt`, the object's slot and generation, and the store, if known).
    fn from_any(a: ResourceAny) -> Self {
        let a = a.parts();
        Own {
            store: a.store,
            rt: a.ty,
            index: a.index,
            generation: a.generation,
            _marker: PhantomData,
        }
    }

    /// The handle as the canonical ABI lowers it.
    fn as_resource(&self) -> ResourceAny {
        ResourceAny::from_parts(tether_abi::HandleParts {
            store: self.store,
            ty: self.rt,
            index: self.index,
            generation: self.generation,
            own: true,
        })
    }
}

impl<R> Borrow<R> {
    /// The handle a `ResourceAny` names: one lifted from a guest's handle, or one given as a
    /// value (`rt`, the object's slot and generation, and the store, if known).
    fn from_any(a: ResourceAny) -> Self {
        let a = a.parts();
        Borrow {
            store: a.store,
            rt: a.ty,
            index: a.index,
            generation: a.generation,
            _marker: PhantomData,
        }
    }

    /// The handle as the canonical ABI lowers it.
    fn as_resource(&self) -> ResourceAny {
        ResourceAny::from_parts(tether_abi::HandleParts {
            store: self.store,
            ty: self.rt,
            index: self.index,
            generation: self.generation,
            own: false,
        })
    }
}

/// A handle type met a component type other than a handle: the typed path's checks keep
/// this from happening.
#[cold]
fn handle_mismatch(ty: &Type) -> Fault {
    Trap::Internal {
        message: format!("a typed handle met the component type `{ty}` it was not checked against")
            .into(),
    }
    .into()
}

/// The store-level resource type of host objects of type `R`, marking it object-backed.
pub(crate) fn object_type<R: 'static>(rt: &mut Runtime) -> u32 {
    let key = std::any::TypeId::of::<R>();
    // Most hosts create objects of one or two types in a row: remember the last one.
    if let Some((last, id)) = rt.last_object_type
        && last == key
    {
        return id;
    }
    let id = crate::state::embedder::host_resource_type(rt, ResourceType::host::<R>());
    rt.resource_types[id as usize].objects = true;
    rt.resource_types[id as usize].rust_type = Some(std::any::type_name::<R>());
    rt.last_object_type = Some((key, id));
    id
}

fn push_in<R: Send + 'static>(
    rt: &mut Runtime,
    value: R,
    parent: Option<(u64, u32, u32)>,
) -> Result<Own<R>> {
    if let Some((store, index, generation)) = parent {
        same_store(rt, store)?;
        rt.objects.check_live(index, generation)?;
    }
    let ty = object_type::<R>(rt);
    let (index, generation) = rt.objects.insert(ty, value, parent.map(|p| p.1))?;
    Ok(Own {
        store: rt.store_id,
        rt: ty,
        index,
        generation,
        _marker: PhantomData,
    })
}

fn get_in<'a, R: 'static>(rt: &'a Runtime, h: &impl AsHandle<R>) -> Result<&'a R> {
    let (store, index, generation) = h.slot();
    same_store(rt, store)?;
    object_ref::<R>(rt.objects.get(index, generation)?)
        .ok_or_else(|| wrong_rust_type::<R>(index).into())
}

fn get_mut_in<'a, R: 'static>(rt: &'a mut Runtime, h: &impl AsHandle<R>) -> Result<&'a mut R> {
    let (store, index, generation) = h.slot();
    same_store(rt, store)?;
    object_mut::<R>(rt.objects.get_mut(index, generation)?)
        .ok_or_else(|| wrong_rust_type::<R>(index).into())
}

fn take_in<R: 'static>(rt: &mut Runtime, h: Own<R>) -> Result<R> {
    same_store(rt, h.store)?;
    let object = match rt.objects.get(h.index, h.generation) {
        Ok(o) => o,
        // The handle is consumed: a revoked object's slot is released.
        Err(HandleError::Revoked { index }) => {
            return Err(rt.objects.release_revoked(index).into());
        }
        Err(e) => return Err(e.into()),
    };
    if !object_is::<R>(object) {
        return Err(wrong_rust_type::<R>(h.index).into());
    }
    rt.objects
        .remove(h.index, h.generation, |o| {
            let any: &mut dyn Any = o;
            any.downcast_mut::<Option<R>>().and_then(Option::take)
        })?
        .ok_or_else(|| wrong_rust_type::<R>(h.index).into())
}

fn revoke_in<R: 'static>(
    rt: &mut Runtime,
    h: &impl AsHandle<R>,
    after: Option<std::time::Duration>,
) -> Result<()> {
    let (store, index, generation) = h.slot();
    same_store(rt, store)?;
    let ty = object_type::<R>(rt);
    if rt.objects.type_of(index, generation)? != ty {
        return Err(wrong_rust_type::<R>(index).into());
    }
    match after {
        None => rt.objects.revoke(index, generation)?,
        Some(d) => {
            let at = std::time::Instant::now()
                .checked_add(d)
                .ok_or_else(|| anyhow::anyhow!("revocation deadline out of range: {d:?}"))?;
            rt.objects.revoke_at(index, generation, at)?;
        }
    }
    Ok(())
}

fn revoke_where_in<R: 'static>(rt: &mut Runtime, mut pick: impl FnMut(&R) -> bool) -> usize {
    let ty = object_type::<R>(rt);
    let picked = rt
        .objects
        .find(ty, |o| object_ref::<R>(o).is_some_and(&mut pick));
    rt.objects.revoke_all(&picked)
}

fn revoke_held_in<R: 'static>(rt: &mut Runtime, instance: &crate::Instance) -> Result<usize> {
    same_store(rt, instance.store_id)?;
    let ty = object_type::<R>(rt);
    let mut held = Vec::new();
    for (i, state) in rt.instances.iter().enumerate() {
        if !rt.is_within(i as u32, instance.id) {
            continue;
        }
        for slot in state.handles.handles() {
            if let crate::state::table::Slot::Own { rt: t, rep, .. } = *slot
                && t == ty
            {
                held.push(rep);
            }
        }
    }
    Ok(rt.objects.revoke_all(&held))
}

macro_rules! object_methods {
    ($($ty:ty => |$s:ident| ($rt:expr, $rt_mut:expr);)*) => {$(
        impl<T> $ty {
            /// Moves `value` into the store as a new host object and returns an owned handle
            /// to it.
            pub fn push<R: Send + 'static>(&mut self, value: R) -> Result<Own<R>> {
                let $s = self;
                push_in($rt_mut, value, None)
            }

            /// Like `push`, registering the new object as a child of `parent`: the parent
            /// cannot be dropped or moved out while the child lives.
            pub fn push_child<R: Send + 'static, P>(&mut self, parent: &impl AsHandle<P>, value: R) -> Result<Own<R>> {
                let $s = self;
                push_in($rt_mut, value, Some(parent.slot()))
            }

            /// The object behind a handle.
            pub fn get<R: 'static>(&self, h: &impl AsHandle<R>) -> Result<&R> {
                let $s = self;
                get_in($rt, h)
            }

            /// The object behind a handle, mutably.
            pub fn get_mut<R: 'static>(&mut self, h: &impl AsHandle<R>) -> Result<&mut R> {
                let $s = self;
                get_mut_in($rt_mut, h)
            }

            /// Moves the object out of the store, consuming the handle. Fails if the object
            /// has children alive or the handle is stale.
            pub fn take<R: 'static>(&mut self, h: Own<R>) -> Result<R> {
                let $s = self;
                take_in($rt_mut, h)
            }

            /// Drops the object, consuming the handle. Deleting an object the host revoked
            /// succeeds: it is gone already.
            pub fn delete<R: 'static>(&mut self, h: Own<R>) -> Result<()> {
                match self.take(h) {
                    Ok(r) => {
                        drop(r);
                        Ok(())
                    }
                    Err(e) if matches!(e.downcast_ref(), Some(HandleError::Revoked { .. })) => Ok(()),
                    Err(e) => Err(e),
                }
            }

            /// Revokes the object behind `h`, which a guest may hold. The object is dropped
            /// (Rust's `Drop`; a `resource_host_with_drop` callback is for guests' drops and
            /// does not run) as soon as no method call has it as `&mut R`, its children
            /// first. A guest's handle to it stays in its table: any use of it but
            /// `resource.drop` traps with [`Trap::Revoked`](crate::Trap::Revoked), unless the
            /// method was defined with
            /// [`method_or_revoked`](crate::LinkerInstance::method_or_revoked); dropping it
            /// succeeds. A handle the host kept meets [`HandleError::Revoked`](crate::HandleError::Revoked),
            /// and deleting one succeeds. Revoking twice does nothing more.
            /// `docs/resources.md` in the repository has a worked example.
            pub fn revoke<R: 'static>(&mut self, h: &impl AsHandle<R>) -> Result<()> {
                let $s = self;
                revoke_in::<R>($rt_mut, h, None)
            }

            /// Revokes the object behind `h` once `after` has passed, at the first moment
            /// the store checks (a guest's use of a handle to a host object, or a call into
            /// the store), as [`revoke`](Self::revoke) does. A store is never reached from
            /// another thread, so nothing happens before then.
            pub fn revoke_after<R: 'static>(&mut self, h: &impl AsHandle<R>, after: std::time::Duration) -> Result<()> {
                let $s = self;
                revoke_in::<R>($rt_mut, h, Some(after))
            }

            /// Revokes every object of type `R` for which `pick` returns `true`, and returns
            /// how many objects that revoked, their descendants included. An object lent out
            /// to a method call under way is not offered to `pick`.
            pub fn revoke_where<R: 'static>(&mut self, pick: impl FnMut(&R) -> bool) -> usize {
                let $s = self;
                revoke_where_in($rt_mut, pick)
            }

            /// Revokes every object of type `R` that `instance`, or an instance nested in
            /// it, holds an owned handle to (closing a tenant's connections), and returns
            /// how many objects that revoked, their descendants included.
            pub fn revoke_held<R: 'static>(&mut self, instance: &crate::Instance) -> Result<usize> {
                let $s = self;
                revoke_held_in::<R>($rt_mut, instance)
            }
        }
    )*};
}

object_methods! {
    StoreContextMut<'_, T> => |s| (&s.0.data().rt, &mut s.0.data_mut().rt);
    crate::call::store::Store<T> => |s| (&s.inner.data().rt, &mut s.inner.data_mut().rt);
}

impl<T> StoreContextMut<'_, T> {
    /// Calls `f` with the object behind `h` and the store, both mutable: the object is moved
    /// out of its slot for the call (as [`LinkerInstance::method`](crate::LinkerInstance::method)
    /// does), so a nested `lend` or `get` of the same object is refused instead of aliasing.
    ///
    /// ```
    /// # use tether::{AsContextMut, Engine, Store};
    /// struct Counter(u32);
    /// let mut store = Store::new(&Engine::default(), 10u32);
    /// let c = store.push(Counter(1))?;
    /// let mut cx = store.as_context_mut();
    /// let sum = cx.lend(&c, |counter: &mut Counter, mut cx| {
    ///     counter.0 += *cx.data();
    ///     assert!(cx.get(&c).is_err(), "the object is out of its slot");
    ///     Ok(counter.0)
    /// })?;
    /// assert_eq!(sum, 11);
    /// assert_eq!(store.get(&c)?.0, 11);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn lend<R: 'static, X>(
        &mut self,
        h: &impl AsHandle<R>,
        f: impl FnOnce(&mut R, StoreContextMut<'_, T>) -> Result<X>,
    ) -> Result<X> {
        let (store, index, generation) = h.slot();
        let rt = &mut self.0.data_mut().rt;
        same_store(rt, store)?;
        let object = rt.objects.lend(index, generation)?;
        use_lent(&mut self.0, index, object, f)
    }
}

/// Calls `f` with `object`, lent out of slot `index` of the store's objects, as an `R`, and
/// with the store; then puts the object back, whatever `f` returned. Every call that lends an
/// object (`StoreContextMut::lend`, the forms of `LinkerInstance::method`) goes through here.
#[inline]
pub(crate) fn use_lent<T, R: 'static, X>(
    store: &mut wasmtime::StoreContextMut<'_, crate::call::store::StoreData<T>>,
    index: u32,
    mut object: Box<dyn Object>,
    f: impl FnOnce(&mut R, StoreContextMut<'_, T>) -> Result<X>,
) -> Result<X> {
    let r = match object_mut::<R>(&mut *object) {
        Some(obj) => f(
            obj,
            StoreContextMut(wasmtime::AsContextMut::as_context_mut(store)),
        ),
        None => Err(wrong_rust_type::<R>(index).into()),
    };
    store.data_mut().rt.objects.give_back(index, object);
    r
}
