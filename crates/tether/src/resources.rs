//! Resources: run-time resource types, per-instance handle tables, and the host's view of
//! resources ([`ResourceType`], [`Resource`], [`ResourceAny`]).
//!
//! A handle table follows `CanonicalABI.md`: slot 0 is reserved, freed slots are reused
//! last-in-first-out, and indices carry no generation, so a guest index whose slot was reused
//! refers to the new resource, as the specification says.

use std::any::TypeId;
use std::marker::PhantomData;

use anyhow::{Result, bail};
use tether_abi::{ResourceAny, Trap};

use crate::store::{AsContextMut, InstanceId};

/// The most entries a handle table may hold, per the specification.
pub(crate) const MAX_HANDLES: u32 = (1 << 28) - 1;

/// A run-time resource type of a store.
pub(crate) struct ResourceTypeInfo {
    /// The instance that defined it, or `None` for a host resource type.
    pub implementer: Option<InstanceId>,
    pub dtor: Option<Dtor>,
    /// Whether representations are slots of the store's host objects (see `crate::host`).
    pub objects: bool,
}

/// A destructor.
#[derive(Clone)]
pub(crate) enum Dtor {
    /// A core function `(func (param i32))` of the defining instance.
    Guest(wasmtime::Func),
    /// An index into the store's host destructors.
    Host(u32),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    Free { next: u32 },
    Own { rt: u32, rep: u32, lends: u32 },
    Borrow { rt: u32, rep: u32, scope: u32 },
}

/// One component instance's handles.
pub(crate) struct HandleTable {
    slots: Vec<Slot>,
    /// The most recently freed slot, or 0 when none is free.
    free: u32,
    /// How many slots hold a handle.
    live: u32,
}

impl HandleTable {
    pub fn new() -> HandleTable {
        HandleTable { slots: vec![Slot::Free { next: 0 }], free: 0, live: 0 }
    }

    /// Adds a handle; `cap` is the most slots the table may have.
    pub fn add(&mut self, slot: Slot, cap: u32) -> Result<u32, Trap> {
        if self.free != 0 {
            let i = self.free;
            let Slot::Free { next } = self.slots[i as usize] else { unreachable!("free list entry is free") };
            self.free = next;
            self.slots[i as usize] = slot;
            self.live += 1;
            return Ok(i);
        }
        let i = self.slots.len() as u32;
        if i > MAX_HANDLES {
            return Err(Trap::guest(format!("handle table full: more than {MAX_HANDLES} handles")));
        }
        if i >= cap {
            return Err(Trap::guest(format!(
                "handle table limit exceeded: an instance may hold at most {cap} handle slots (`Limits::handles_per_instance`)"
            )));
        }
        self.slots.push(slot);
        self.live += 1;
        Ok(i)
    }

    pub fn get(&self, i: u32) -> Result<Slot, Trap> {
        match self.slots.get(i as usize) {
            Some(s @ (Slot::Own { .. } | Slot::Borrow { .. })) => Ok(*s),
            _ => Err(unknown_handle(i)),
        }
    }

    pub fn get_mut(&mut self, i: u32) -> Result<&mut Slot, Trap> {
        match self.slots.get_mut(i as usize) {
            Some(s @ (Slot::Own { .. } | Slot::Borrow { .. })) => Ok(s),
            _ => Err(unknown_handle(i)),
        }
    }

    pub fn remove(&mut self, i: u32) -> Result<Slot, Trap> {
        let slot = self.get(i)?;
        self.slots[i as usize] = Slot::Free { next: self.free };
        self.free = i;
        self.live -= 1;
        Ok(slot)
    }

    /// How many slots hold a handle.
    pub fn live(&self) -> u32 {
        self.live
    }

    /// How many slots the table has, free or not, slot 0 included.
    pub fn len(&self) -> usize {
        self.slots.len()
    }
}

#[cold]
fn unknown_handle(i: u32) -> Trap {
    Trap::guest(format!("unknown handle index {i}"))
}

/// The type of a host-defined resource, as the embedder names it on a
/// [`Linker`](crate::Linker).
///
/// Two `ResourceType`s are equal when they name the same host type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    id: TypeId,
    name: &'static str,
}

impl ResourceType {
    /// The resource type backed by the host type `T`.
    pub fn host<T: 'static>() -> ResourceType {
        ResourceType { id: TypeId::of::<T>(), name: std::any::type_name::<T>() }
    }

    /// The name of the host type, for messages.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A typed handle to a host-defined resource: its representation and whether it is owned.
pub struct Resource<T> {
    rep: u32,
    own: bool,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for Resource<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Resource<T> {}

impl<T> std::fmt::Debug for Resource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource").field("rep", &self.rep).field("own", &self.own).finish()
    }
}

impl<T: 'static> Resource<T> {
    /// An owned handle with representation `rep`.
    pub fn new_own(rep: u32) -> Resource<T> {
        Resource { rep, own: true, _marker: PhantomData }
    }

    /// A borrowed handle with representation `rep`.
    pub fn new_borrow(rep: u32) -> Resource<T> {
        Resource { rep, own: false, _marker: PhantomData }
    }

    /// The representation.
    pub fn rep(&self) -> u32 {
        self.rep
    }

    /// Whether the handle is owned.
    pub fn owned(&self) -> bool {
        self.own
    }
}

/// Operations on [`ResourceAny`] that need the store.
pub trait ResourceAnyExt: Sized {
    /// Turns a typed host resource into a dynamically typed one.
    fn try_from_resource<T: 'static>(r: Resource<T>, store: impl AsContextMut) -> Result<ResourceAny>;
    /// Turns a dynamically typed resource into a typed host resource, checking its type.
    fn try_into_resource<T: 'static>(self, store: impl AsContextMut) -> Result<Resource<T>>;
    /// Drops an owned resource, running its destructor.
    fn resource_drop(self, store: impl AsContextMut) -> Result<()>;
}

impl ResourceAnyExt for ResourceAny {
    fn try_from_resource<T: 'static>(r: Resource<T>, mut store: impl AsContextMut) -> Result<ResourceAny> {
        let mut store = store.as_context_mut();
        let rt = host_resource_type(&mut store.0.data_mut().rt, ResourceType::host::<T>());
        Ok(ResourceAny { ty: rt, index: r.rep, generation: 0, own: r.own })
    }

    fn try_into_resource<T: 'static>(self, mut store: impl AsContextMut) -> Result<Resource<T>> {
        let mut store = store.as_context_mut();
        let rt = host_resource_type(&mut store.0.data_mut().rt, ResourceType::host::<T>());
        if rt != self.ty {
            bail!("mismatched resource types: expected `{}`", std::any::type_name::<T>());
        }
        Ok(Resource { rep: self.index, own: self.own, _marker: PhantomData })
    }

    fn resource_drop(self, mut store: impl AsContextMut) -> Result<()> {
        let store = store.as_context_mut();
        if !self.own {
            return Ok(());
        }
        crate::func::run_dtor(store.0, None, self.ty, self.index)
    }
}

/// The store-level resource type of a host resource type, created on first use.
pub(crate) fn host_resource_type(rt: &mut crate::store::Runtime, ty: ResourceType) -> u32 {
    if let Some(&id) = rt.host_resource_types.get(&ty) {
        return id;
    }
    rt.resource_types.push(ResourceTypeInfo { implementer: None, dtor: None, objects: false });
    let id = (rt.resource_types.len() - 1) as u32;
    rt.host_resource_types.insert(ty, id);
    id
}
