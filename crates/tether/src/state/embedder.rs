//! Handles crossing the embedder boundary on the `Val` path ([`ResourceAny`] in a
//! [`Val`](tether_abi::Val)), and the store identity every handle is checked against.
//!
//! A guest-defined resource reaches the embedder through the store's host handle table
//! ([`HostHandles`](super::host_handles::HostHandles)): [`to_embedder`] gives each such handle
//! a slot there, [`check_from_embedder`] checks every handle of a call's arguments before any
//! of them moves, and [`from_embedder`] turns them back into representations.

use anyhow::{Result, bail};
use tether_abi::{HandleError, HandleParts, ResourceAny};

use super::objects::wrong_type;
use super::runtime::{ResourceType, ResourceTypeInfo, Runtime};

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

/// Checks that a handle the embedder hands over was made in this store.
pub(crate) fn handle_of_this_store(rt: &Runtime, r: &ResourceAny) -> Result<()> {
    Ok(same_store(rt, r.parts().store)?)
}

/// The store-level resource type of a host resource type, created on first use.
pub(crate) fn host_resource_type(rt: &mut Runtime, ty: ResourceType) -> u32 {
    if let Some(&id) = rt.host_resource_types.get(&ty) {
        return id;
    }
    rt.resource_types.push(ResourceTypeInfo {
        implementer: None,
        dtor: None,
        objects: false,
        name: None,
        quota: None,
        live: 0,
        rust_type: None,
    });
    let id = (rt.resource_types.len() - 1) as u32;
    rt.host_resource_types.insert(ty, id);
    id
}

/// Whether resources of type `rt` are defined by a guest (and so pass the embedder
/// boundary through [`HostHandles`]).
fn guest_defined(rt: &Runtime, ty: u32) -> bool {
    rt.resource_types
        .get(ty as usize)
        .is_some_and(|t| t.implementer.is_some())
}

/// Rewrites handles in values going to the embedder: each guest-defined resource gets a slot
/// in the store's host handle table. Returns the slots of borrows, to release when the call
/// that lent them ends.
pub(crate) fn to_embedder(
    rt: &mut Runtime,
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
    rt: &Runtime,
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
        handle_of_this_store(rt, r)?;
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
    rt: &mut Runtime,
    v: &mut tether_abi::Val,
    ty: &tether_abi::Type,
) -> Result<()> {
    use tether_abi::Type;
    each_handle(v, ty, &mut |r, ty| {
        handle_of_this_store(rt, r)?;
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

/// Releases the host handle slots of borrows lent to the embedder for a call that ended.
pub(crate) fn release_borrows(rt: &mut Runtime, borrows: &[(u32, u32)]) {
    for &(slot, generation) in borrows {
        let _ = rt.host_handles.remove(slot, generation);
    }
}
