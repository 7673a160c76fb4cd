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

use crate::resources::ResourceType;
use crate::store::{Runtime, StoreContextMut};
use crate::typed::{ComponentType, RawCx};

/// A host object as its slot holds it: the value inside an `Option`, so that the allocation
/// can outlive the value and serve the next object of the same type that takes the slot
/// (creating and dropping objects in a loop then allocates nothing).
pub(crate) trait Object: Any + Send {
    /// Drops the value, leaving the allocation empty.
    fn clear(&mut self);
    /// Moves the value out into a box of its own (for destructor callbacks).
    fn take_boxed(&mut self) -> Option<Box<dyn Any + Send>>;
}

impl<R: Send + 'static> Object for Option<R> {
    fn clear(&mut self) {
        *self = None;
    }

    fn take_boxed(&mut self) -> Option<Box<dyn Any + Send>> {
        self.take().map(|r| Box::new(r) as Box<dyn Any + Send>)
    }
}

/// The value of type `R` of a host object, if it is one.
#[inline]
pub(crate) fn object_ref<R: 'static>(o: &dyn Object) -> Option<&R> {
    let any: &dyn Any = o;
    any.downcast_ref::<Option<R>>()?.as_ref()
}

/// The value of type `R` of a host object, mutably, if it is one.
#[inline]
pub(crate) fn object_mut<R: 'static>(o: &mut dyn Object) -> Option<&mut R> {
    let any: &mut dyn Any = o;
    any.downcast_mut::<Option<R>>()?.as_mut()
}

/// Whether a host object's value is of type `R`.
#[inline]
fn object_is<R: 'static>(o: &dyn Object) -> bool {
    object_ref::<R>(o).is_some()
}

/// The store's table of host objects.
pub(crate) struct HostObjects {
    slots: Vec<ObjSlot>,
    free: Vec<u32>,
    live: usize,
    pub cap: usize,
}

struct ObjSlot {
    generation: u32,
    state: ObjState,
    /// The object while it is present; the emptied allocation of the object that lived here
    /// last (if any) while the slot is free; nothing while the object is lent out. The
    /// allocation stays in place, so creating and dropping objects moves no box around.
    object: Option<Box<dyn Object>>,
    /// The store-level resource type.
    rt: u32,
    parent: Option<u32>,
    children: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ObjState {
    Free,
    Present,
    /// Moved out for a method call under way.
    InUse,
}

impl HostObjects {
    pub fn new(cap: usize) -> HostObjects {
        HostObjects {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            cap,
        }
    }

    /// How many objects are alive.
    pub fn live(&self) -> usize {
        self.live
    }

    fn insert<R: Send + 'static>(
        &mut self,
        rt: u32,
        value: R,
        parent: Option<u32>,
    ) -> Result<(u32, u32)> {
        if self.live >= self.cap {
            return Err(Trap::HostObjectLimit { limit: self.cap }.into());
        }
        if let Some(p) = parent {
            self.slots[p as usize].children += 1;
        }
        self.live += 1;
        if let Some(i) = self.free.pop() {
            let s = &mut self.slots[i as usize];
            let spare = s.object.as_deref_mut().and_then(|o| {
                let any: &mut dyn Any = o;
                any.downcast_mut::<Option<R>>()
            });
            match spare {
                Some(empty) => *empty = Some(value),
                None => s.object = Some(Box::new(Some(value))),
            }
            s.state = ObjState::Present;
            s.rt = rt;
            s.parent = parent;
            s.children = 0;
            return Ok((i, s.generation));
        }
        let i = u32::try_from(self.slots.len())
            .map_err(|_| anyhow::anyhow!("host object table full"))?;
        self.slots.push(ObjSlot {
            generation: 0,
            state: ObjState::Present,
            object: Some(Box::new(Some(value))),
            rt,
            parent,
            children: 0,
        });
        Ok((i, 0))
    }

    #[inline]
    fn slot(&self, index: u32, generation: u32) -> Result<&ObjSlot, HandleError> {
        match self.slots.get(index as usize) {
            Some(s) if s.generation == generation && s.state != ObjState::Free => Ok(s),
            _ => Err(stale(index)),
        }
    }

    /// The current generation of a live slot (guests' handles carry no generation).
    #[inline]
    pub fn generation(&self, index: u32) -> Option<u32> {
        match self.slots.get(index as usize) {
            Some(s) if s.state != ObjState::Free => Some(s.generation),
            _ => None,
        }
    }

    /// Checks that `index` holds a live object of resource type `rt` at `generation`.
    #[inline]
    pub fn check(&self, rt: u32, index: u32, generation: u32) -> Result<(), HandleError> {
        let s = self.slot(index, generation)?;
        if s.rt != rt {
            return Err(HandleError::WrongType {
                index,
                expected: format!("resource of type {rt}").into(),
            });
        }
        Ok(())
    }

    /// How many children the object at `index` has.
    #[inline]
    pub fn children(&self, index: u32) -> u32 {
        self.slots.get(index as usize).map_or(0, |s| s.children)
    }

    /// Removes the object at `index`, which must have no children, and hands it to `f`,
    /// which takes its value out or drops it; the emptied allocation stays in the freed slot.
    pub fn remove<X>(
        &mut self,
        index: u32,
        generation: u32,
        f: impl FnOnce(&mut dyn Object) -> X,
    ) -> Result<X, HandleError> {
        self.slot(index, generation)?;
        self.remove_live(index, f)?.ok_or_else(|| stale(index))
    }

    /// [`remove`](Self::remove) for the object in slot `index` whatever its generation (a
    /// slot that a guest's handle names); `None` if the slot is free.
    pub fn remove_live<X>(
        &mut self,
        index: u32,
        f: impl FnOnce(&mut dyn Object) -> X,
    ) -> Result<Option<X>, HandleError> {
        let s = match self.slots.get_mut(index as usize) {
            Some(s) if s.state != ObjState::Free => s,
            _ => return Ok(None),
        };
        if s.children != 0 {
            return Err(HandleError::HasChildren {
                index,
                children: s.children,
            });
        }
        if s.state == ObjState::InUse {
            return Err(HandleError::Lent { index });
        }
        s.state = ObjState::Free;
        s.generation = s.generation.wrapping_add(1);
        let parent = s.parent.take();
        self.free.push(index);
        self.live -= 1;
        if let Some(p) = parent {
            let p = &mut self.slots[p as usize];
            p.children = p.children.saturating_sub(1);
        }
        // The table is consistent before the value leaves or is dropped (its `Drop` has no
        // way to reach the table, but may panic). A present object is always in its slot.
        Ok(self.slots[index as usize].object.as_deref_mut().map(f))
    }

    fn get(&self, index: u32, generation: u32) -> Result<&dyn Object, HandleError> {
        let s = self.slot(index, generation)?;
        match (s.state, &s.object) {
            (ObjState::Present, Some(v)) => Ok(&**v),
            _ => Err(in_use(index)),
        }
    }

    fn get_mut(&mut self, index: u32, generation: u32) -> Result<&mut dyn Object, HandleError> {
        self.slot(index, generation)?;
        let s = &mut self.slots[index as usize];
        match (s.state, &mut s.object) {
            (ObjState::Present, Some(v)) => Ok(&mut **v),
            _ => Err(in_use(index)),
        }
    }

    /// Moves an object out for a method call, leaving its slot in use.
    #[inline]
    pub fn lend(&mut self, index: u32, generation: u32) -> Result<Box<dyn Object>, HandleError> {
        self.slot(index, generation)?;
        self.lend_live(index)
    }

    /// Moves the object in slot `index` out for a method call, whatever its generation: for
    /// a slot that a guest's handle names, which holds the current object or none.
    #[inline]
    pub fn lend_live(&mut self, index: u32) -> Result<Box<dyn Object>, HandleError> {
        if let Some(s) = self.slots.get_mut(index as usize)
            && s.state == ObjState::Present
            && let Some(v) = s.object.take()
        {
            s.state = ObjState::InUse;
            return Ok(v);
        }
        Err(match self.slots.get(index as usize) {
            Some(s) if s.state != ObjState::Free => in_use(index),
            _ => stale(index),
        })
    }

    /// Puts back an object moved out by [`lend`](Self::lend).
    #[inline]
    pub fn give_back(&mut self, index: u32, value: Box<dyn Object>) {
        if let Some(s) = self.slots.get_mut(index as usize) {
            s.state = ObjState::Present;
            // A slot in use holds no allocation, so there is nothing to drop.
            std::mem::forget(s.object.replace(value));
        }
    }
}

#[cold]
fn stale(index: u32) -> HandleError {
    HandleError::Stale { index }
}

#[cold]
fn in_use(index: u32) -> HandleError {
    HandleError::InUse { index }
}

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

/// Checks that a handle belongs to this store (`store` is the store it was made in).
pub(crate) fn same_store(rt: &Runtime, store: u64) -> Result<(), HandleError> {
    if !of_this_store(rt, store) {
        return Err(HandleError::OtherStore);
    }
    Ok(())
}

/// Whether a handle made in `store` may be used in the store of `rt`.
#[inline]
pub(crate) fn of_this_store(rt: &Runtime, store: u64) -> bool {
    store == rt.store_id
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

    fn host_resource() -> Option<ResourceType> {
        Some(ResourceType::host::<R>())
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

    fn host_resource() -> Option<ResourceType> {
        Some(ResourceType::host::<R>())
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
    let id = crate::resources::host_resource_type(rt, ResourceType::host::<R>());
    rt.resource_types[id as usize].objects = true;
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
        rt.objects.slot(index, generation)?;
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
    if !object_is::<R>(rt.objects.get(h.index, h.generation)?) {
        return Err(wrong_rust_type::<R>(h.index).into());
    }
    rt.objects
        .remove(h.index, h.generation, |o| {
            let any: &mut dyn Any = o;
            any.downcast_mut::<Option<R>>().and_then(Option::take)
        })?
        .ok_or_else(|| wrong_rust_type::<R>(h.index).into())
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

            /// Drops the object, consuming the handle.
            pub fn delete<R: 'static>(&mut self, h: Own<R>) -> Result<()> {
                self.take(h).map(drop)
            }
        }
    )*};
}

object_methods! {
    StoreContextMut<'_, T> => |s| (&s.0.data().rt, &mut s.0.data_mut().rt);
    crate::store::Store<T> => |s| (&s.inner.data().rt, &mut s.inner.data_mut().rt);
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
    store: &mut wasmtime::StoreContextMut<'_, crate::store::StoreData<T>>,
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
