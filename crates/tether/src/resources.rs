//! Resources: run-time resource types, per-instance handle tables, and the host's view of
//! resources ([`ResourceType`], [`Resource`], [`ResourceAny`]).
//!
//! A handle table follows `CanonicalABI.md`: slot 0 is reserved, freed slots are reused
//! last-in-first-out, and indices carry no generation, so a guest index whose slot was reused
//! refers to the new resource, as the specification says.

use std::any::TypeId;
use std::marker::PhantomData;

use anyhow::{Result, bail};
use tether_abi::{Fault, HandleError, HandleParts, ResourceAny, Trap};

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
    /// An index into the store's host object destructors (callbacks receiving the object).
    Object(u32),
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
        HandleTable {
            slots: vec![Slot::Free { next: 0 }],
            free: 0,
            live: 0,
        }
    }

    /// Adds a handle; `cap` is the most slots the table may have.
    #[inline]
    pub fn add(&mut self, slot: Slot, cap: u32) -> Result<u32, Fault> {
        if self.free != 0 {
            let i = self.free;
            let Slot::Free { next } = self.slots[i as usize] else {
                unreachable!("free list entry is free")
            };
            self.free = next;
            self.slots[i as usize] = slot;
            self.live += 1;
            return Ok(i);
        }
        let i = self.slots.len() as u32;
        if i > MAX_HANDLES || i >= cap {
            return Err(table_full(cap));
        }
        self.slots.push(slot);
        self.live += 1;
        Ok(i)
    }

    #[inline]
    pub fn get(&self, i: u32) -> Result<Slot, Fault> {
        match self.slots.get(i as usize) {
            Some(s @ (Slot::Own { .. } | Slot::Borrow { .. })) => Ok(*s),
            _ => Err(unknown_handle(i)),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, i: u32) -> Result<&mut Slot, Fault> {
        match self.slots.get_mut(i as usize) {
            Some(s @ (Slot::Own { .. } | Slot::Borrow { .. })) => Ok(s),
            _ => Err(unknown_handle(i)),
        }
    }

    #[inline]
    pub fn remove(&mut self, i: u32) -> Result<Slot, Fault> {
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
fn table_full(cap: u32) -> Fault {
    if cap > MAX_HANDLES {
        Fault::from(Trap::HandleTableFull)
    } else {
        Fault::from(Trap::HandleLimit { cap })
    }
}

#[cold]
fn unknown_handle(i: u32) -> Fault {
    Fault::from(Trap::UnknownHandle { index: i })
}

/// The type of a host-defined resource, as the embedder names it on a
/// [`Linker`](crate::Linker).
///
/// Two `ResourceType`s are equal when they name the same host type.
#[derive(Clone, Copy, Debug)]
pub struct ResourceType {
    id: TypeId,
    name: &'static str,
}

// The name follows from the type: equality and hashing look at the type's identity only.
impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for ResourceType {}

impl std::hash::Hash for ResourceType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// A fast hash for small keys that no guest chooses (type ids, resource ids, addresses): it
/// folds the key's words together with a multiplication, as FxHash does. The maps it serves
/// are looked up on every instantiation and on every object a host function creates.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// A hash map with [`FastHasher`].
pub(crate) type FastMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

impl ResourceType {
    /// The resource type backed by the host type `T`.
    pub fn host<T: 'static>() -> ResourceType {
        ResourceType {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
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
        f.debug_struct("Resource")
            .field("rep", &self.rep)
            .field("own", &self.own)
            .finish()
    }
}

impl<T: 'static> Resource<T> {
    /// An owned handle with representation `rep`.
    pub fn new_own(rep: u32) -> Resource<T> {
        Resource {
            rep,
            own: true,
            _marker: PhantomData,
        }
    }

    /// A borrowed handle with representation `rep`.
    pub fn new_borrow(rep: u32) -> Resource<T> {
        Resource {
            rep,
            own: false,
            _marker: PhantomData,
        }
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
    fn try_from_resource<T: 'static>(
        r: Resource<T>,
        store: impl AsContextMut,
    ) -> Result<ResourceAny>;
    /// Turns a dynamically typed resource into a typed host resource, checking its type.
    fn try_into_resource<T: 'static>(self, store: impl AsContextMut) -> Result<Resource<T>>;
    /// Drops an owned resource, running its destructor.
    fn resource_drop(self, store: impl AsContextMut) -> Result<()>;
}

impl ResourceAnyExt for ResourceAny {
    fn try_from_resource<T: 'static>(
        r: Resource<T>,
        mut store: impl AsContextMut,
    ) -> Result<ResourceAny> {
        let mut store = store.as_context_mut();
        let rt = host_resource_type(&mut store.0.data_mut().rt, ResourceType::host::<T>());
        Ok(ResourceAny::from_parts(HandleParts {
            store: store.0.data().rt.store_id,
            ty: rt,
            index: r.rep,
            generation: 0,
            own: r.own,
        }))
    }

    fn try_into_resource<T: 'static>(self, mut store: impl AsContextMut) -> Result<Resource<T>> {
        let mut store = store.as_context_mut();
        same_store(&store.0.data().rt, &self)?;
        let rt = host_resource_type(&mut store.0.data_mut().rt, ResourceType::host::<T>());
        let h = self.parts();
        if rt != h.ty {
            return Err(HandleError::WrongType {
                index: h.index,
                expected: format!("`{}`", std::any::type_name::<T>()).into(),
            }
            .into());
        }
        Ok(Resource {
            rep: h.index,
            own: h.own,
            _marker: PhantomData,
        })
    }

    fn resource_drop(self, mut store: impl AsContextMut) -> Result<()> {
        let mut store = store.as_context_mut();
        if !self.owned() {
            return Ok(());
        }
        let rt = &mut store.0.data_mut().rt;
        same_store(rt, &self)?;
        let h = self.parts();
        let Some(info) = rt.resource_types.get(h.ty as usize) else {
            bail!("unknown resource type {} of a handle", h.ty);
        };
        if info.objects {
            // A host object: its slot's generation must still be the handle's, so a handle
            // dropped twice is stale the second time instead of dropping the slot's next
            // object.
            rt.objects.check(h.ty, h.index, h.generation)?;
            return crate::func::run_dtor(store.0, None, h.ty, h.index);
        }
        let mut v = tether_abi::Val::Resource(self);
        let ty = tether_abi::Type::Own(tether_abi::ResourceIndex(0));
        check_from_embedder(rt, &mut v, &ty, &[h.ty], &mut Vec::new())?;
        from_embedder(rt, &mut v, &ty)?;
        let tether_abi::Val::Resource(r) = v else {
            unreachable!("still a resource")
        };
        crate::func::run_dtor(store.0, None, h.ty, r.parts().index)
    }
}

/// Checks that a handle the embedder hands over was made in this store.
fn same_store(rt: &crate::store::Runtime, r: &ResourceAny) -> Result<()> {
    Ok(crate::host::same_store(rt, r.parts().store)?)
}

/// The store-level resource type of a host resource type, created on first use.
pub(crate) fn host_resource_type(rt: &mut crate::store::Runtime, ty: ResourceType) -> u32 {
    if let Some(&id) = rt.host_resource_types.get(&ty) {
        return id;
    }
    rt.resource_types.push(ResourceTypeInfo {
        implementer: None,
        dtor: None,
        objects: false,
    });
    let id = (rt.resource_types.len() - 1) as u32;
    rt.host_resource_types.insert(ty, id);
    id
}

/// Handles to guest-defined resources that the embedder holds, by slot and generation, so a
/// handle kept after its resource is gone is detected ("stale handle") instead of reaching
/// whatever reuses the representation.
#[derive(Default)]
pub(crate) struct HostHandles {
    slots: Vec<HostHandle>,
    free: Vec<u32>,
}

struct HostHandle {
    generation: u32,
    /// The resource type and representation, or `None` when free.
    entry: Option<(u32, u32)>,
}

impl HostHandles {
    fn insert(&mut self, rt: u32, rep: u32) -> (u32, u32) {
        if let Some(i) = self.free.pop() {
            let h = &mut self.slots[i as usize];
            h.entry = Some((rt, rep));
            return (i, h.generation);
        }
        self.slots.push(HostHandle {
            generation: 0,
            entry: Some((rt, rep)),
        });
        ((self.slots.len() - 1) as u32, 0)
    }

    fn get(&self, slot: u32, generation: u32) -> Result<(u32, u32)> {
        match self.slots.get(slot as usize) {
            Some(HostHandle {
                generation: g,
                entry: Some(e),
            }) if *g == generation => Ok(*e),
            _ => Err(HandleError::Stale { index: slot }.into()),
        }
    }

    fn remove(&mut self, slot: u32, generation: u32) -> Result<(u32, u32)> {
        let e = self.get(slot, generation)?;
        let h = &mut self.slots[slot as usize];
        h.entry = None;
        h.generation = h.generation.wrapping_add(1);
        self.free.push(slot);
        Ok(e)
    }

    /// How many handles the embedder holds.
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

/// Whether resources of type `rt` are defined by a guest (and so pass the embedder
/// boundary through [`HostHandles`]).
fn guest_defined(rt: &crate::store::Runtime, ty: u32) -> bool {
    rt.resource_types
        .get(ty as usize)
        .is_some_and(|t| t.implementer.is_some())
}

/// Rewrites handles in values going to the embedder: each guest-defined resource gets a slot
/// in the store's host handle table. Returns the slots of borrows, to release when the call
/// that lent them ends.
pub(crate) fn to_embedder(
    rt: &mut crate::store::Runtime,
    v: &mut tether_abi::Val,
    borrows: &mut Vec<(u32, u32)>,
) {
    use tether_abi::Val;
    match v {
        Val::Resource(r) if guest_defined(rt, r.parts().ty) => {
            let h = r.parts();
            let (slot, generation) = rt.host_handles.insert(h.ty, h.index);
            if !h.own {
                borrows.push((slot, generation));
            }
            *r = ResourceAny::from_parts(HandleParts {
                index: slot,
                generation,
                ..h
            });
        }
        Val::List(items) | Val::Tuple(items) => {
            items.iter_mut().for_each(|x| to_embedder(rt, x, borrows))
        }
        Val::Record(fields) => fields
            .iter_mut()
            .for_each(|(_, x)| to_embedder(rt, x, borrows)),
        Val::Variant(_, Some(x))
        | Val::Option(Some(x))
        | Val::Result(Ok(Some(x)) | Err(Some(x))) => to_embedder(rt, x, borrows),
        Val::Map(entries) => entries.iter_mut().for_each(|(k, x)| {
            to_embedder(rt, k, borrows);
            to_embedder(rt, x, borrows);
        }),
        _ => {}
    }
}

/// Calls `f` on each resource handle in `v`, with the type (`own` or `borrow`) the value's type
/// `ty` gives it there.
fn each_handle(
    v: &mut tether_abi::Val,
    ty: &tether_abi::Type,
    f: &mut dyn FnMut(&mut ResourceAny, &tether_abi::Type) -> Result<()>,
) -> Result<()> {
    use tether_abi::{Type, Val};
    match (v, ty) {
        (Val::Resource(r), Type::Own(_) | Type::Borrow(_)) => f(r, ty)?,
        (Val::List(items), Type::List(l)) => {
            for x in items {
                each_handle(x, l.elem(), f)?;
            }
        }
        (Val::List(items), Type::FixedList(l)) => {
            for x in items {
                each_handle(x, l.elem(), f)?;
            }
        }
        (Val::Tuple(items), Type::Tuple(t)) => {
            for (x, t) in items.iter_mut().zip(t.types()) {
                each_handle(x, t, f)?;
            }
        }
        (Val::Record(fields), Type::Record(r)) => {
            for ((_, x), (_, t)) in fields.iter_mut().zip(r.fields()) {
                each_handle(x, t, f)?;
            }
        }
        (Val::Variant(name, Some(x)), Type::Variant(v)) => {
            if let Some((_, Some(t))) = v.cases().iter().find(|(n, _)| n == name) {
                each_handle(x, t, f)?;
            }
        }
        (Val::Option(Some(x)), Type::Option(o)) => each_handle(x, o.some(), f)?,
        (Val::Result(Ok(Some(x))), Type::Result(r)) => {
            if let Some(t) = r.ok() {
                each_handle(x, t, f)?;
            }
        }
        (Val::Result(Err(Some(x))), Type::Result(r)) => {
            if let Some(t) = r.err() {
                each_handle(x, t, f)?;
            }
        }
        (Val::Map(entries), Type::Map(m)) => {
            for (k, x) in entries {
                each_handle(k, m.key(), f)?;
                each_handle(x, m.value(), f)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks the handles of arguments from the embedder before any of them moves (see
/// [`from_embedder`]): each is of this store, live, of the resource type its parameter's type
/// names (`resources` maps the call's resource indices to store-level types), and no owned
/// handle is passed twice where `own` is expected (`moved` collects the owned ones, by
/// resource type, slot and generation). A call refused here leaves every handle the embedder
/// holds as it was.
pub(crate) fn check_from_embedder(
    rt: &crate::store::Runtime,
    v: &mut tether_abi::Val,
    ty: &tether_abi::Type,
    resources: &[u32],
    moved: &mut Vec<(u32, u32, u32)>,
) -> Result<()> {
    use tether_abi::Type;
    each_handle(v, ty, &mut |r, ty| {
        let (Type::Own(index) | Type::Borrow(index)) = ty else {
            return Ok(());
        };
        same_store(rt, r)?;
        let h = r.parts();
        if let Some(&expected) = resources.get(index.0 as usize)
            && expected != h.ty
        {
            return Err(wrong_type(h.index, expected).into());
        }
        let Some(info) = rt.resource_types.get(h.ty as usize) else {
            bail!("unknown resource type {} of a handle", h.ty);
        };
        if info.objects {
            rt.objects.check(h.ty, h.index, h.generation)?;
        } else if info.implementer.is_some() {
            let (ty_id, _) = rt.host_handles.get(h.index, h.generation)?;
            if ty_id != h.ty {
                return Err(wrong_type(h.index, h.ty).into());
            }
        } else {
            // A host resource whose representation the embedder chose (`Resource<T>`): the
            // embedder keeps its own table, and moves are its to track.
            return Ok(());
        }
        if matches!(ty, Type::Own(_)) && h.own {
            let key = (h.ty, h.index, h.generation);
            if moved.contains(&key) {
                return Err(HandleError::PassedTwice { index: h.index }.into());
            }
            moved.push(key);
        }
        Ok(())
    })
}

/// Rewrites handles in values coming from the embedder back to representations, following
/// the values' type `ty`: a handle passed where `own` is expected leaves the host handle
/// table; one passed where `borrow` is expected stays the embedder's, even if it is owned.
pub(crate) fn from_embedder(
    rt: &mut crate::store::Runtime,
    v: &mut tether_abi::Val,
    ty: &tether_abi::Type,
) -> Result<()> {
    use tether_abi::Type;
    each_handle(v, ty, &mut |r, ty| {
        same_store(rt, r)?;
        let h = r.parts();
        if !guest_defined(rt, h.ty) {
            return Ok(());
        }
        let moves = matches!(ty, Type::Own(_)) && h.own;
        let (ty_id, rep) = if moves {
            rt.host_handles.remove(h.index, h.generation)?
        } else {
            rt.host_handles.get(h.index, h.generation)?
        };
        if ty_id != h.ty {
            return Err(wrong_type(h.index, h.ty).into());
        }
        *r = ResourceAny::from_parts(HandleParts {
            index: rep,
            generation: 0,
            ..h
        });
        Ok(())
    })
}

/// The error for a handle `index` that is not of the resource type `expected`.
#[cold]
fn wrong_type(index: u32, expected: u32) -> HandleError {
    HandleError::WrongType {
        index,
        expected: format!("resource of type {expected}").into(),
    }
}

/// Releases the host handle slots of borrows lent to the embedder for a call that ended.
pub(crate) fn release_borrows(rt: &mut crate::store::Runtime, borrows: &[(u32, u32)]) {
    for &(slot, generation) in borrows {
        let _ = rt.host_handles.remove(slot, generation);
    }
}
