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
use tether_abi::{ResourceAny, Type, Val};

use crate::resources::ResourceType;
use crate::store::{Runtime, StoreContextMut};
use crate::typed::ComponentType;

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
    /// The store-level resource type.
    rt: u32,
    parent: Option<u32>,
    children: u32,
}

enum ObjState {
    Free,
    Present(Box<dyn Any + Send>),
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

    fn insert(
        &mut self,
        rt: u32,
        value: Box<dyn Any + Send>,
        parent: Option<u32>,
    ) -> Result<(u32, u32)> {
        if self.live >= self.cap {
            bail!(
                "host object limit exceeded: the store already holds {} host objects",
                self.cap
            );
        }
        if let Some(p) = parent {
            self.slots[p as usize].children += 1;
        }
        self.live += 1;
        if let Some(i) = self.free.pop() {
            let s = &mut self.slots[i as usize];
            s.state = ObjState::Present(value);
            s.rt = rt;
            s.parent = parent;
            s.children = 0;
            return Ok((i, s.generation));
        }
        let i = u32::try_from(self.slots.len())
            .map_err(|_| anyhow::anyhow!("host object table full"))?;
        self.slots.push(ObjSlot {
            generation: 0,
            state: ObjState::Present(value),
            rt,
            parent,
            children: 0,
        });
        Ok((i, 0))
    }

    fn slot(&self, index: u32, generation: u32) -> Result<&ObjSlot> {
        match self.slots.get(index as usize) {
            Some(s) if s.generation == generation && !matches!(s.state, ObjState::Free) => Ok(s),
            _ => Err(stale(index)),
        }
    }

    /// The current generation of a live slot (guests' handles carry no generation).
    pub fn generation(&self, index: u32) -> Option<u32> {
        match self.slots.get(index as usize) {
            Some(s) if !matches!(s.state, ObjState::Free) => Some(s.generation),
            _ => None,
        }
    }

    /// Checks that `index` holds a live object of resource type `rt` at `generation`.
    pub fn check(&self, rt: u32, index: u32, generation: u32) -> Result<()> {
        let s = self.slot(index, generation)?;
        if s.rt != rt {
            bail!("mismatched resource types: host object {index} is of another resource type");
        }
        Ok(())
    }

    /// How many children the object at `index` has.
    pub fn children(&self, index: u32) -> u32 {
        self.slots.get(index as usize).map_or(0, |s| s.children)
    }

    /// Removes the object at `index`, which must have no children.
    pub fn remove(&mut self, index: u32, generation: u32) -> Result<Box<dyn Any + Send>> {
        let s = self.slot(index, generation)?;
        if s.children != 0 {
            bail!(
                "cannot drop or move a resource while it has {} child resource(s) alive (host object {index})",
                s.children
            );
        }
        let s = &mut self.slots[index as usize];
        let value = match std::mem::replace(&mut s.state, ObjState::Free) {
            ObjState::Present(v) => v,
            ObjState::InUse => {
                s.state = ObjState::InUse;
                bail!("cannot drop resource {index} while a method is using it");
            }
            ObjState::Free => unreachable!("checked live above"),
        };
        s.generation = s.generation.wrapping_add(1);
        let parent = s.parent.take();
        self.free.push(index);
        self.live -= 1;
        if let Some(p) = parent {
            let p = &mut self.slots[p as usize];
            p.children = p.children.saturating_sub(1);
        }
        Ok(value)
    }

    fn get(&self, index: u32, generation: u32) -> Result<&(dyn Any + Send)> {
        match &self.slot(index, generation)?.state {
            ObjState::Present(v) => Ok(&**v),
            _ => Err(in_use(index)),
        }
    }

    fn get_mut(&mut self, index: u32, generation: u32) -> Result<&mut (dyn Any + Send)> {
        self.slot(index, generation)?;
        match &mut self.slots[index as usize].state {
            ObjState::Present(v) => Ok(&mut **v),
            _ => Err(in_use(index)),
        }
    }

    /// Moves an object out for a method call, leaving its slot in use.
    pub fn lend(&mut self, index: u32, generation: u32) -> Result<Box<dyn Any + Send>> {
        self.slot(index, generation)?;
        match std::mem::replace(&mut self.slots[index as usize].state, ObjState::InUse) {
            ObjState::Present(v) => Ok(v),
            other => {
                self.slots[index as usize].state = other;
                Err(in_use(index))
            }
        }
    }

    /// Puts back an object moved out by [`lend`](Self::lend).
    pub fn give_back(&mut self, index: u32, value: Box<dyn Any + Send>) {
        self.slots[index as usize].state = ObjState::Present(value);
    }
}

#[cold]
fn stale(index: u32) -> anyhow::Error {
    anyhow::anyhow!("stale handle: host object {index} no longer exists")
}

#[cold]
fn in_use(index: u32) -> anyhow::Error {
    anyhow::Error::new(ObjectInUse { index })
}

/// The error of [`get`](crate::StoreContextMut::get), [`get_mut`](crate::StoreContextMut::get_mut)
/// and [`lend`](crate::StoreContextMut::lend) for an object that is out of its slot, lent to
/// a method call under way.
///
/// A method receives its `self` as `&mut R`, moved out of the table; when the same object
/// also arrives as another parameter (`rename-at(new-descriptor: borrow<descriptor>)` with
/// the descriptor itself), looking that handle up fails with this error, which the method can
/// recognise (`err.is::<ObjectInUse>()`) and take as "the object is `self`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectInUse {
    /// The object's slot.
    pub index: u32,
}

impl std::fmt::Display for ObjectInUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "resource {} is already borrowed mutably in this call: two `&mut` to one object are not allowed",
            self.index
        )
    }
}

impl std::error::Error for ObjectInUse {}

#[cold]
fn wrong_rust_type<R>(index: u32) -> anyhow::Error {
    anyhow::anyhow!(
        "host object {index} is not a `{}`",
        std::any::type_name::<R>()
    )
}

/// An owned handle to a host object of type `R`.
///
/// Returning it to a guest moves ownership to the guest. A handle the host keeps is checked
/// on every use: once the object is gone, using it is an error.
pub struct Own<R> {
    /// The store the object lives in.
    pub(crate) store: u32,
    pub(crate) rt: u32,
    pub(crate) index: u32,
    pub(crate) generation: u32,
    _marker: PhantomData<fn() -> R>,
}

/// A borrowed handle to a host object of type `R`, valid for the call that received it.
pub struct Borrow<R> {
    /// The store the object lives in.
    pub(crate) store: u32,
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
    fn slot(&self) -> (u32, u32, u32);
}

impl<R> AsHandle<R> for Own<R> {
    fn slot(&self) -> (u32, u32, u32) {
        (self.store, self.index, self.generation)
    }
}

impl<R> AsHandle<R> for Borrow<R> {
    fn slot(&self) -> (u32, u32, u32) {
        (self.store, self.index, self.generation)
    }
}

/// Checks that a handle belongs to this store.
fn same_store(rt: &Runtime, store: u32) -> Result<()> {
    if store != rt.store_id && store != UNKNOWN_STORE {
        bail!(
            "handle from another store: host objects can only be used in the store that holds them"
        );
    }
    Ok(())
}

/// The store of a handle that arrived from a guest as a value: the runtime checks it
/// against the guest's handle table instead.
const UNKNOWN_STORE: u32 = u32::MAX;

fn handle_from_val(v: Val, own: bool) -> Result<(u32, u32, u32)> {
    match v {
        Val::Resource(r) if r.own == own => Ok((r.ty, r.index, r.generation)),
        Val::Resource(_) if own => {
            bail!("type mismatch: expected an owned handle, found a borrowed one")
        }
        Val::Resource(_) => bail!("type mismatch: expected a borrowed handle, found an owned one"),
        v => bail!("type mismatch: expected a resource handle, found {v:?}"),
    }
}

impl<R: Send + 'static> ComponentType for Own<R> {
    const SCALAR: Option<tether_abi::CoreType> = Some(tether_abi::CoreType::I32);
    const HANDLE: bool = true;

    fn to_flat(&self) -> u64 {
        u64::from(self.index) | (u64::from(self.generation) << 32)
    }

    fn from_flat(v: u64) -> Result<Self, tether_abi::Trap> {
        Ok(Own {
            store: UNKNOWN_STORE,
            rt: u32::MAX,
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
        Val::Resource(ResourceAny {
            ty: self.rt,
            index: self.index,
            generation: self.generation,
            own: true,
        })
    }
    fn from_val(v: Val) -> Result<Self> {
        let (rt, index, generation) = handle_from_val(v, true)?;
        Ok(Own {
            store: UNKNOWN_STORE,
            rt,
            index,
            generation,
            _marker: PhantomData,
        })
    }
}

impl<R: Send + 'static> ComponentType for Borrow<R> {
    const SCALAR: Option<tether_abi::CoreType> = Some(tether_abi::CoreType::I32);
    const HANDLE: bool = true;

    fn to_flat(&self) -> u64 {
        u64::from(self.index) | (u64::from(self.generation) << 32)
    }

    fn from_flat(v: u64) -> Result<Self, tether_abi::Trap> {
        Ok(Borrow {
            store: UNKNOWN_STORE,
            rt: u32::MAX,
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
        Val::Resource(ResourceAny {
            ty: self.rt,
            index: self.index,
            generation: self.generation,
            own: false,
        })
    }
    fn from_val(v: Val) -> Result<Self> {
        let (rt, index, generation) = handle_from_val(v, false)?;
        Ok(Borrow {
            store: UNKNOWN_STORE,
            rt,
            index,
            generation,
            _marker: PhantomData,
        })
    }
}

/// The store-level resource type of host objects of type `R`, marking it object-backed.
pub(crate) fn object_type<R: 'static>(rt: &mut Runtime) -> u32 {
    let id = crate::resources::host_resource_type(rt, ResourceType::host::<R>());
    rt.resource_types[id as usize].objects = true;
    id
}

fn push_in<R: Send + 'static>(
    rt: &mut Runtime,
    value: R,
    parent: Option<(u32, u32, u32)>,
) -> Result<Own<R>> {
    if let Some((store, index, generation)) = parent {
        same_store(rt, store)?;
        rt.objects.slot(index, generation)?;
    }
    let ty = object_type::<R>(rt);
    let (index, generation) = rt
        .objects
        .insert(ty, Box::new(value), parent.map(|p| p.1))?;
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
    rt.objects
        .get(index, generation)?
        .downcast_ref::<R>()
        .ok_or_else(|| wrong_rust_type::<R>(index))
}

fn get_mut_in<'a, R: 'static>(rt: &'a mut Runtime, h: &impl AsHandle<R>) -> Result<&'a mut R> {
    let (store, index, generation) = h.slot();
    same_store(rt, store)?;
    rt.objects
        .get_mut(index, generation)?
        .downcast_mut::<R>()
        .ok_or_else(|| wrong_rust_type::<R>(index))
}

fn take_in<R: 'static>(rt: &mut Runtime, h: Own<R>) -> Result<R> {
    same_store(rt, h.store)?;
    if !rt.objects.get(h.index, h.generation)?.is::<R>() {
        return Err(wrong_rust_type::<R>(h.index));
    }
    let boxed = rt.objects.remove(h.index, h.generation)?;
    Ok(*boxed
        .downcast::<R>()
        .map_err(|_| wrong_rust_type::<R>(h.index))?)
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
        if !rt.objects.get(index, generation)?.is::<R>() {
            return Err(wrong_rust_type::<R>(index));
        }
        let mut object = rt.objects.lend(index, generation)?;
        let r = match object.downcast_mut::<R>() {
            Some(obj) => f(obj, crate::AsContextMut::as_context_mut(self)),
            None => Err(wrong_rust_type::<R>(index)),
        };
        self.0.data_mut().rt.objects.give_back(index, object);
        r
    }
}
