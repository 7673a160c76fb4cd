//! The host's view of resources ([`Resource`], [`ResourceAny`]): typed handles to host
//! resources, and handles to guest-defined resources crossing the embedder boundary
//! (`to_embedder`, `check_from_embedder`, `from_embedder`) through the store's table of
//! host-held handles (`crate::state::host_handles`).

use std::marker::PhantomData;

use anyhow::{Result, bail};
use tether_abi::{HandleError, HandleParts, ResourceAny};

use crate::state::runtime::{ResourceType, ResourceTypeInfo};
use crate::store::AsContextMut;

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
fn same_store(rt: &crate::state::runtime::Runtime, r: &ResourceAny) -> Result<()> {
    Ok(crate::host::same_store(rt, r.parts().store)?)
}

/// The store-level resource type of a host resource type, created on first use.
pub(crate) fn host_resource_type(rt: &mut crate::state::runtime::Runtime, ty: ResourceType) -> u32 {
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

/// Whether resources of type `rt` are defined by a guest (and so pass the embedder
/// boundary through [`HostHandles`]).
fn guest_defined(rt: &crate::state::runtime::Runtime, ty: u32) -> bool {
    rt.resource_types
        .get(ty as usize)
        .is_some_and(|t| t.implementer.is_some())
}

/// Rewrites handles in values going to the embedder: each guest-defined resource gets a slot
/// in the store's host handle table. Returns the slots of borrows, to release when the call
/// that lent them ends.
pub(crate) fn to_embedder(
    rt: &mut crate::state::runtime::Runtime,
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
    rt: &crate::state::runtime::Runtime,
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
    rt: &mut crate::state::runtime::Runtime,
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
pub(crate) fn release_borrows(rt: &mut crate::state::runtime::Runtime, borrows: &[(u32, u32)]) {
    for &(slot, generation) in borrows {
        let _ = rt.host_handles.remove(slot, generation);
    }
}
