//! The host's view of resources ([`Resource`], [`ResourceAny`]): typed handles to host
//! resources, and handles to guest-defined resources crossing the embedder boundary
//! (`to_embedder`, `check_from_embedder`, `from_embedder`) through the store's table of
//! host-held handles (`crate::state::host_handles`).

use std::marker::PhantomData;

use anyhow::{Result, bail};
use tether_abi::{HandleError, HandleParts, ResourceAny};

use crate::call::store::AsContextMut;
use crate::state::embedder::{
    check_from_embedder, from_embedder, handle_of_this_store, host_resource_type,
};
use crate::state::runtime::ResourceType;

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
        handle_of_this_store(&store.0.data().rt, &self)?;
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
        handle_of_this_store(rt, &self)?;
        let h = self.parts();
        let Some(info) = rt.resource_types.get(h.ty as usize) else {
            bail!("unknown resource type {} of a handle", h.ty);
        };
        if info.objects {
            // A host object: its slot's generation must still be the handle's, so a handle
            // dropped twice is stale the second time instead of dropping the slot's next
            // object. Dropping one the host revoked succeeds, and frees its slot.
            if let Err(e) = rt.objects.check(h.ty, h.index, h.generation) {
                if matches!(e, tether_abi::HandleError::Revoked { .. }) {
                    rt.objects.release_revoked(h.index);
                    return Ok(());
                }
                return Err(e.into());
            }
            return crate::call::builtins::run_dtor(store.0, None, h.ty, h.index);
        }
        let mut v = tether_abi::Val::Resource(self);
        let ty = tether_abi::Type::Own(tether_abi::ResourceIndex(0));
        check_from_embedder(rt, &mut v, &ty, &[h.ty], &mut Vec::new())?;
        from_embedder(rt, &mut v, &ty)?;
        let tether_abi::Val::Resource(r) = v else {
            unreachable!("still a resource")
        };
        crate::call::builtins::run_dtor(store.0, None, h.ty, r.parts().index)
    }
}
