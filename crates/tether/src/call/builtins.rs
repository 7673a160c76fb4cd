//! The built-ins a component's core code calls besides lowered imports: `resource.new`,
//! `resource.rep`, `resource.drop` (and the destructors it runs, [`run_dtor`]), and the
//! built-ins Tether does not implement yet. The async ABI's task built-ins are in `task.rs`.

use std::mem::MaybeUninit;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use tether_abi::{Fault, HandleError, Trap};
use wasmtime::{AsContextMut as _, ValRaw};

use super::Wt;
use super::error::{from_core, poison, to_core, trap, unsupported_call, wrong_type};
use super::store::{StoreContextMut, StoreData};
use crate::plan::translate::ResourceOp;
use crate::state::runtime::{Dtor, InstanceId};
use crate::state::table::Slot;

/// The core function type of core function `core_func_index` of a level's `types`,
/// registered with the store's engine; `what` names the function if its type is not one of
/// numbers (an error starting with `unsupported:`).
pub(crate) fn core_func_type<T>(
    store: &Wt<'_, T>,
    types: &wasmparser::types::Types,
    core_func_index: u32,
    what: &str,
) -> Result<wasmtime::FuncType> {
    let id = types.as_ref().core_function_at(core_func_index);
    let wasmparser::CompositeInnerType::Func(fty) = &types[id].composite_type.inner else {
        anyhow::bail!("unsupported: {what}");
    };
    let conv = |t: &wasmparser::ValType| -> Result<wasmtime::ValType> {
        Ok(match t {
            wasmparser::ValType::I32 => wasmtime::ValType::I32,
            wasmparser::ValType::I64 => wasmtime::ValType::I64,
            wasmparser::ValType::F32 => wasmtime::ValType::F32,
            wasmparser::ValType::F64 => wasmtime::ValType::F64,
            _ => anyhow::bail!("unsupported: {what}"),
        })
    };
    let params = fty.params().iter().map(conv).collect::<Result<Vec<_>>>()?;
    let results = fty.results().iter().map(conv).collect::<Result<Vec<_>>>()?;
    Ok(wasmtime::FuncType::new(store.engine(), params, results))
}

/// Creates a core function for a built-in Tether does not implement: like every built-in it
/// first traps if the instance may not leave, and otherwise reports what is unsupported.
pub(crate) fn make_unsupported<T: 'static>(
    store: &mut Wt<'_, T>,
    types: &wasmparser::types::Types,
    core_func_index: u32,
    what: &str,
    checks_may_leave: bool,
    instance: InstanceId,
) -> Result<wasmtime::Func> {
    let ty = core_func_type(store, types, core_func_index, what)?;
    let what: Arc<str> = what.into();
    Ok(wasmtime::Func::new(
        store,
        ty,
        move |caller: wasmtime::Caller<'_, StoreData<T>>, _params, _results| {
            if checks_may_leave {
                caller
                    .data()
                    .rt
                    .check_may_leave(instance)
                    .map_err(|t| to_core(trap(t)))?;
            }
            Err(to_core(unsupported_call(&what)))
        },
    ))
}

/// Runs the destructor of resource type `rt` on `rep`, on behalf of instance `caller`
/// (or the host).
pub(crate) fn run_dtor<T>(
    mut store: Wt<'_, T>,
    caller: Option<InstanceId>,
    rt: u32,
    rep: u32,
) -> Result<()> {
    let Some(info) = store.data().rt.resource_types.get(rt as usize) else {
        return Err(anyhow!("unknown resource type {rt}"));
    };
    let (dtor, implementer) = (info.dtor.clone(), info.implementer);
    if info.objects {
        // The object leaves the table, which is consistent again before the object is
        // dropped in place (keeping its allocation for the next object) or moved out for the
        // destructor callback, which runs with the store released.
        let callback = match dtor {
            Some(Dtor::Object(i)) => Some(i),
            _ => None,
        };
        let objects = &mut store.data_mut().rt.objects;
        let object = match objects.remove_live(rep, |o| match callback {
            Some(_) => o.take_boxed(),
            None => {
                o.clear();
                None
            }
        }) {
            Ok(Some(object)) => object,
            Ok(None) => {
                return Err(trap(Fault::from(Trap::HostObject(HandleError::Stale {
                    index: rep,
                }))));
            }
            // The host revoked the object: it is gone already, and dropping its handle
            // released its slot.
            Err(HandleError::Revoked { .. }) => return Ok(()),
            Err(e) => return Err(trap(Trap::HostObject(e).into())),
        };
        return match (callback, object) {
            (Some(i), Some(object)) => {
                let f = store.data().object_dtors[i as usize].clone();
                f(StoreContextMut(store.as_context_mut()), object)
            }
            _ => Ok(()),
        };
    }
    match dtor {
        None => Ok(()),
        Some(Dtor::Host(i)) => {
            let f = store.data().host_dtors[i as usize].clone();
            f(StoreContextMut(store.as_context_mut()), rep)
        }
        Some(Dtor::Object(_)) => Ok(()),
        Some(Dtor::Guest(i)) => {
            let func = store.data().guest_dtors[i as usize];
            let implementer = implementer.expect("guest destructors belong to an instance");
            let frame = store
                .data_mut()
                .rt
                .open_lift(implementer, caller, false)
                .map_err(trap)?;
            let mut buf = [ValRaw::i32(rep as i32)];
            // SAFETY: the validator checked that a destructor has type `(func (param i32))`.
            let r = unsafe { func.call_unchecked(&mut store, &mut buf) }.map_err(from_core);
            store.data_mut().rt.close_lift(frame, poison(&r));
            r
        }
    }
}

/// Creates the core function of a `canon resource.new`, `resource.drop` or `resource.rep`;
/// `ty` is its core type (`crate::plan::types::resource_intrinsic_type`).
pub(crate) fn make_resource_intrinsic<T: 'static>(
    store: &mut Wt<'_, T>,
    place: super::slots::Place,
    ty: &wasmtime::FuncType,
    op: ResourceOp,
    rt: u32,
    instance: InstanceId,
) -> wasmtime::Func {
    /// The one `i32` parameter.
    fn arg(slots: &[MaybeUninit<ValRaw>]) -> u32 {
        match slots.first() {
            // SAFETY: the core engine initialised the parameter slot before calling.
            Some(slot) => unsafe { slot.assume_init() }.get_u32(),
            None => 0,
        }
    }
    /// Writes the one `i32` result.
    fn ret(slots: &mut [MaybeUninit<ValRaw>], v: u32) {
        if let Some(slot) = slots.first_mut() {
            *slot = MaybeUninit::new(ValRaw::u32(v));
        }
    }
    match op {
        ResourceOp::New => {
            let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                             slots: &mut [MaybeUninit<ValRaw>]|
                  -> wasmtime::Result<()> {
                let rep = arg(slots);
                let data = caller.data_mut();
                data.rt
                    .check_may_leave(instance)
                    .map_err(|t| to_core(trap(t)))?;
                let i = data
                    .rt
                    .add_handle(instance, Slot::Own { rt, rep, lends: 0 })
                    .map_err(|t| to_core(trap(t)))?;
                if data.rt.quotas.on {
                    super::origin::note(&mut caller.as_context_mut(), instance, i);
                }
                ret(slots, i);
                Ok(())
            };
            // SAFETY: the closure reads the one `i32` parameter and writes the one `i32`
            // result of `ty`.
            unsafe { place.func(store, ty, host) }
        }
        ResourceOp::Rep => {
            let host = move |caller: wasmtime::Caller<'_, StoreData<T>>,
                             slots: &mut [MaybeUninit<ValRaw>]|
                  -> wasmtime::Result<()> {
                let i = arg(slots);
                let inst = &caller.data().rt.instances[instance as usize];
                match inst.handles.get(i).map_err(|t| to_core(trap(t)))? {
                    Slot::Own { rt: have, rep, .. } | Slot::Borrow { rt: have, rep, .. }
                        if have == rt =>
                    {
                        ret(slots, rep);
                        Ok(())
                    }
                    _ => Err(to_core(trap(wrong_type(i)))),
                }
            };
            // SAFETY: the closure reads the one `i32` parameter and writes the one `i32`
            // result of `ty`.
            unsafe { place.func(store, ty, host) }
        }
        ResourceOp::Drop => {
            let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                             slots: &mut [MaybeUninit<ValRaw>]|
                  -> wasmtime::Result<()> {
                let i = arg(slots);
                resource_drop(caller.as_context_mut(), instance, rt, i).map_err(to_core)
            };
            // SAFETY: the closure reads the one `i32` parameter of `ty` and writes nothing,
            // as `ty` has no result.
            unsafe { place.func(store, ty, host) }
        }
    }
}

fn resource_drop<T>(mut store: Wt<'_, T>, instance: InstanceId, rt: u32, i: u32) -> Result<()> {
    let data = store.data_mut();
    data.rt.check_may_leave(instance).map_err(trap)?;
    let slot = data.rt.instances[instance as usize]
        .handles
        .get(i)
        .map_err(trap)?;
    match slot {
        Slot::Own { rt: have, .. } | Slot::Borrow { rt: have, .. } if have != rt => {
            return Err(trap(wrong_type(i)));
        }
        Slot::Own { lends, .. } if lends != 0 => {
            return Err(trap(Fault::from(Trap::HandleLent)));
        }
        _ => {}
    }
    data.rt.remove_handle(instance, i).map_err(trap)?;
    match slot {
        Slot::Own { rep, .. } => {
            let info = &data.rt.resource_types[rt as usize];
            if info.objects && info.dtor.is_none() {
                // A host object without a destructor callback: dropped in place, as
                // `run_dtor` does, without its detour.
                return match data.rt.objects.remove_live(rep, |o| o.clear()) {
                    Ok(Some(())) | Err(HandleError::Revoked { .. }) => Ok(()),
                    Ok(None) => Err(trap(Fault::from(Trap::HostObject(HandleError::Stale {
                        index: rep,
                    })))),
                    Err(e) => Err(trap(Trap::HostObject(e).into())),
                };
            }
            if info.implementer == Some(instance) {
                // The instance drops its own resource: the destructor runs inside it.
                let dtor = data.rt.resource_types[rt as usize].dtor.clone();
                if let Some(Dtor::Guest(i)) = dtor {
                    let func = data.guest_dtors[i as usize];
                    let mut buf = [ValRaw::i32(rep as i32)];
                    // SAFETY: the validator checked that a destructor has type `(func (param i32))`.
                    return unsafe { func.call_unchecked(&mut store, &mut buf) }.map_err(from_core);
                }
                Ok(())
            } else {
                run_dtor(store, Some(instance), rt, rep)
            }
        }
        Slot::Borrow { scope, .. } => {
            if let Some(s) = data.rt.scopes.get_mut(scope as usize) {
                s.borrows = s.borrows.saturating_sub(1);
            }
            Ok(())
        }
        Slot::Free { .. }
        | Slot::WaitableSet { .. }
        | Slot::Subtask { .. }
        | Slot::End { .. }
        | Slot::ErrorContext { .. } => Ok(()),
    }
}
