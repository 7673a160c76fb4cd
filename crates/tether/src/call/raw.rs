//! The raw path of `canon lower`: a typed host function over scalars and handles to host
//! objects, called with raw core values, the handles translated between the guest's table
//! and the objects' slots with no `Val` and no allocation.

use std::mem::MaybeUninit;
use std::sync::Arc;

use tether_abi::{CoreType, Fault, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, Trap};
use wasmtime::{AsContextMut as _, ValRaw};

use super::Wt;
use super::error::{to_core, trap, wrong_type};
use super::flat::{raw_to_u64, u64_to_raw};
use super::func_def::Lowered;
use super::slots::Place;
use super::store::{HostFuncForms, RawHostFn, RawMethodFn, StoreContextMut, StoreData};
use crate::state::runtime::{InstanceId, Runtime, dead_object, revoked};
use crate::state::table::Slot;

/// How the raw path passes one flat value.
#[derive(Clone, Copy)]
enum RawValue {
    Scalar,
    /// A handle to a host object of store-level resource type `rt`.
    Handle {
        rt: u32,
        own: bool,
    },
}

struct RawPlan {
    pub params: Vec<RawValue>,
    pub results: Vec<RawValue>,
}

/// A host function on the raw path, with what its core function needs.
struct RawFunc<T: 'static> {
    raw: Arc<RawHostFn<T>>,
    plan: RawPlan,
    instance: InstanceId,
    /// The core types of the parameters and results.
    params: Arc<[CoreType]>,
    results: Vec<CoreType>,
}

/// A method of a host object on the raw path (see `make_lowered`).
struct RawMethod<T: 'static> {
    method: Arc<RawMethodFn<T>>,
    /// The store-level resource type of `self`.
    self_ty: u32,
    instance: InstanceId,
    /// The core types of the parameters, `self` first.
    params: Arc<[CoreType]>,
    result: Option<(CoreType, RawValue)>,
}

/// The core function of a host function on the raw path (see [`RawValue`]), when the
/// function has a raw form and its signature passes only scalars and handles to host objects;
/// `ty` is its core type, `params` its core parameters.
pub(super) fn make_raw<T: 'static>(
    store: &mut Wt<'_, T>,
    place: Place,
    ty: &wasmtime::FuncType,
    forms: &HostFuncForms<T>,
    lowered: &Lowered,
    params: &Arc<[CoreType]>,
) -> Option<wasmtime::Func> {
    // A typed host function over scalars and handles to host objects: raw core values in
    // and out, with handles translated between the guest's table and the objects' slots.
    let plan = match (&forms.raw, &forms.raw_method) {
        (None, None) => None,
        _ => raw_plan(&store.data().rt, lowered),
    };
    // A method of a host object on the raw path, whose other parameters are scalars: the
    // `self` handle goes straight to the object's slot.
    if let (Some(method), Some(plan)) = (&forms.raw_method, &plan)
        && let Some(RawValue::Handle {
            rt: self_ty,
            own: false,
        }) = plan.params.first().copied()
        && plan.params[1..]
            .iter()
            .all(|h| matches!(h, RawValue::Scalar))
    {
        let m = RawMethod {
            method: method.clone(),
            self_ty,
            instance: lowered.instance,
            params: params.clone(),
            result: match (lowered.sig.flat_results.first(), plan.results.first()) {
                (Some(ty), Some(how)) => Some((*ty, *how)),
                _ => None,
            },
        };
        return Some(match params.len() {
            0 | 1 => raw_method_func::<T, 0>(store, place, ty, m),
            2 => raw_method_func::<T, 1>(store, place, ty, m),
            3 => raw_method_func::<T, 2>(store, place, ty, m),
            4 => raw_method_func::<T, 3>(store, place, ty, m),
            _ => raw_method_func::<T, MAX_FLAT_PARAMS>(store, place, ty, m),
        });
    }
    if let (Some(raw), Some(plan)) = (&forms.raw, plan) {
        let raw = RawFunc {
            raw: raw.clone(),
            plan,
            instance: lowered.instance,
            params: params.clone(),
            results: lowered.sig.flat_results.clone(),
        };
        // Monomorphic for the common parameter counts, so that the per-parameter loop is
        // unrolled and its arrays are as small as the signature.
        return Some(match params.len() {
            0 => raw_host_func::<T, 0>(store, place, ty, raw),
            1 => raw_host_func::<T, 1>(store, place, ty, raw),
            2 => raw_host_func::<T, 2>(store, place, ty, raw),
            3 => raw_host_func::<T, 3>(store, place, ty, raw),
            4 => raw_host_func::<T, 4>(store, place, ty, raw),
            _ => raw_host_func::<T, MAX_FLAT_PARAMS>(store, place, ty, raw),
        });
    }
    None
}

/// Writes the one result of a raw host function or method, `value` as the host returned it,
/// into the core result slot: a scalar as it is, an own handle lowered into the calling
/// instance's table. An object the table refuses (it is full, or the type's quota is) is
/// dropped then: the guest never got it and nothing else holds it.
fn write_raw_result<T: 'static>(
    store: &mut Wt<'_, T>,
    instance: InstanceId,
    result: Option<(CoreType, RawValue)>,
    slots: &mut [MaybeUninit<ValRaw>],
    value: u64,
) -> wasmtime::Result<()> {
    if let Some((ty, how)) = result
        && let Some(slot) = slots.first_mut()
    {
        let v = match how {
            RawValue::Scalar => value,
            RawValue::Handle { rt: rty, .. } => u64::from(raw_handle(store, instance, rty, value)?),
        };
        *slot = MaybeUninit::new(u64_to_raw(v, ty));
    }
    Ok(())
}

/// The handle branch of [`write_raw_result`]: the object's packed slot and generation
/// become an entry in the guest's table. Out of line, so that the scalar results of methods
/// take a path as short as it can be.
#[inline(never)]
fn raw_handle<T: 'static>(
    store: &mut Wt<'_, T>,
    instance: InstanceId,
    rty: u32,
    value: u64,
) -> wasmtime::Result<u32> {
    if store.data().rt.quotas.on {
        return raw_handle_counted(store, instance, rty, value);
    }
    raw_lower_own(&mut store.data_mut().rt, instance, rty, value)
        .map_err(|(fault, refused)| raw_refused(store, rty, value, fault, refused))
}

/// The handle branch of [`write_raw_result`] in a store that counts its handles (quotas or
/// provenance): out of line, so that the common path stays as it was.
#[cold]
#[inline(never)]
fn raw_handle_counted<T: 'static>(
    store: &mut Wt<'_, T>,
    instance: InstanceId,
    rty: u32,
    value: u64,
) -> wasmtime::Result<u32> {
    match raw_lower_own(&mut store.data_mut().rt, instance, rty, value) {
        Ok(i) => {
            super::origin::note(store, instance, i);
            Ok(i)
        }
        Err((fault, refused)) => Err(raw_refused(store, rty, value, fault, refused)),
    }
}

/// The error of a handle result the guest's table refused: an object refused by the table
/// (full, or over its type's quota) is dropped now, since nothing else holds it.
#[cold]
#[inline(never)]
fn raw_refused<T: 'static>(
    store: &mut Wt<'_, T>,
    rty: u32,
    value: u64,
    fault: Fault,
    refused: bool,
) -> wasmtime::Error {
    if refused {
        let _ = super::builtins::run_dtor(store.as_context_mut(), None, rty, value as u32);
    }
    to_core(trap(fault))
}

/// Creates the core function of a raw method with at most `N` flat parameters after `self`.
fn raw_method_func<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    place: Place,
    ty: &wasmtime::FuncType,
    m: RawMethod<T>,
) -> wasmtime::Func {
    let n = m.params.len().saturating_sub(1).min(N);
    let mut tys = [CoreType::I32; N];
    tys[..n].copy_from_slice(&m.params[1..1 + n]);
    let RawMethod {
        method,
        self_ty,
        instance,
        result,
        ..
    } = m;
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let rt = &mut caller.data_mut().rt;
        rt.check_may_leave(instance).map_err(|t| to_core(trap(t)))?;
        let inst = &rt.instances[instance as usize];
        // SAFETY: the core engine initialised every parameter slot before calling.
        let index = match slots.first() {
            Some(slot) => raw_to_u64(unsafe { slot.assume_init() }, CoreType::I32) as u32,
            None => 0,
        };
        // Borrowing `self` lends nothing: no later parameter is a handle (see
        // `raw_lift_handle`).
        let object = match inst.handles.get(index) {
            Ok(Slot::Own { rt: have, rep, .. } | Slot::Borrow { rt: have, rep, .. })
                if have == self_ty =>
            {
                rep
            }
            Ok(_) => return Err(to_core(trap(wrong_type(index)))),
            Err(t) => return Err(to_core(trap(t))),
        };
        let mut args = [0u64; N];
        for i in 0..N {
            if i >= n {
                break;
            }
            let Some(slot) = slots.get(i + 1) else {
                break;
            };
            // SAFETY: the core engine initialised every parameter slot before calling.
            args[i] = raw_to_u64(unsafe { slot.assume_init() }, tys[i]);
        }
        let mut out = [0u64; MAX_FLAT_RESULTS];
        if let Err(e) = method(
            &mut caller.as_context_mut(),
            object,
            &args[..n],
            &mut out[..usize::from(result.is_some())],
        ) {
            return Err(to_core(revoked_self(
                &caller.data().rt,
                e,
                instance,
                self_ty,
                slots,
            )));
        }
        write_raw_result(
            &mut caller.as_context_mut(),
            instance,
            result,
            slots,
            out[0],
        )
    };
    // SAFETY: the closure reads exactly the parameters of `ty` and writes exactly its
    // results, with the types `lower_core_type` gave both.
    unsafe { place.func(store, ty, host) }
}

/// The error `e` of a raw method of type `ty` called by `instance` with `slots`: a trap
/// naming the guest's handle if `self`'s object could not be lent because the host revoked
/// it, else `e` as it is. Everything is read again here, so that the call's path keeps no
/// more values alive across the method than it needs.
#[cold]
#[inline(never)]
fn revoked_self(
    rt: &Runtime,
    e: anyhow::Error,
    instance: InstanceId,
    ty: u32,
    slots: &[MaybeUninit<ValRaw>],
) -> anyhow::Error {
    let Some(tether_abi::HandleError::Revoked { index: object }) = e.downcast_ref() else {
        return e;
    };
    // SAFETY: the core engine initialised every parameter slot before calling.
    let Some(index) = slots
        .first()
        .map(|slot| raw_to_u64(unsafe { slot.assume_init() }, CoreType::I32) as u32)
    else {
        return e;
    };
    match rt.instances[instance as usize].handles.get(index) {
        Ok(Slot::Own { rep, .. } | Slot::Borrow { rep, .. }) if rep == *object => {
            trap(revoked(&rt.resource_types, index, ty))
        }
        _ => e,
    }
}

/// Creates the core function of a raw host function with at most `N` flat parameters.
fn raw_host_func<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    place: Place,
    ty: &wasmtime::FuncType,
    f: RawFunc<T>,
) -> wasmtime::Func {
    let n = f.params.len().min(N);
    let mut how = [RawValue::Scalar; N];
    let mut tys = [CoreType::I32; N];
    for i in 0..n {
        how[i] = f.plan.params[i];
        tys[i] = f.params[i];
    }
    let result = match (f.results.first(), f.plan.results.first()) {
        (Some(ty), Some(how)) => Some((*ty, *how)),
        _ => None,
    };
    // Whether an `own` handle follows a `borrow`: only then can a lend be seen.
    let lend = how.iter().enumerate().any(|(i, h)| {
        matches!(h, RawValue::Handle { own: false, .. })
            && how[i + 1..]
                .iter()
                .any(|h| matches!(h, RawValue::Handle { own: true, .. }))
    });
    let RawFunc { raw, instance, .. } = f;
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let rt = &mut caller.data_mut().rt;
        rt.check_may_leave(instance).map_err(|t| to_core(trap(t)))?;
        let mut args = [0u64; N];
        // Own handles lent as borrows for this call, as `lift_borrow` records them.
        let mut lent = [0u32; N];
        let mut n_lent = 0;
        let mut lifted = Ok(());
        for i in 0..N {
            if i >= n {
                break;
            }
            let Some(slot) = slots.get(i) else {
                break;
            };
            // SAFETY: the core engine initialised every parameter slot before calling.
            let v = raw_to_u64(unsafe { slot.assume_init() }, tys[i]);
            args[i] = match how[i] {
                RawValue::Scalar => v,
                RawValue::Handle { rt: ty, own } => {
                    match raw_lift_handle(rt, instance, ty, own, lend, v as u32) {
                        Ok((packed, lends)) => {
                            if lends {
                                lent[n_lent] = v as u32;
                                n_lent += 1;
                            }
                            packed
                        }
                        Err(t) => {
                            lifted = Err(t);
                            break;
                        }
                    }
                }
            };
        }
        let mut out = [0u64; MAX_FLAT_RESULTS];
        let r = match lifted {
            Ok(()) => raw(
                StoreContextMut(caller.as_context_mut()),
                &args[..n],
                &mut out[..usize::from(result.is_some())],
            ),
            Err(t) => Err(trap(t)),
        };
        if n_lent != 0 {
            let rt = &mut caller.data_mut().rt;
            for &index in &lent[..n_lent] {
                rt.give_back_lend(instance, index);
            }
        }
        r.map_err(to_core)?;
        write_raw_result(
            &mut caller.as_context_mut(),
            instance,
            result,
            slots,
            out[0],
        )
    };
    // SAFETY: the closure reads exactly the parameters of `ty` and writes exactly its
    // results, with the types `lower_core_type` gave both.
    unsafe { place.func(store, ty, host) }
}

/// Whether a lowered function can take the raw path, and how: every parameter and result is a
/// scalar or a handle to a host object, and nothing spills.
fn raw_plan(rt: &Runtime, l: &Lowered) -> Option<RawPlan> {
    if l.sig.params_spill || l.sig.results_spill {
        return None;
    }
    let classify = |ty: &tether_abi::Type, result: bool| -> Option<RawValue> {
        use tether_abi::Type as Ty;
        match ty {
            Ty::Bool
            | Ty::S8
            | Ty::U8
            | Ty::S16
            | Ty::U16
            | Ty::S32
            | Ty::U32
            | Ty::S64
            | Ty::U64
            | Ty::F32
            | Ty::F64
            | Ty::Char => Some(RawValue::Scalar),
            Ty::Own(r) | Ty::Borrow(r) => {
                let rt_id = l.resources[r.0 as usize];
                let own = matches!(ty, Ty::Own(_));
                (rt.resource_types[rt_id as usize].objects && (own || !result))
                    .then_some(RawValue::Handle { rt: rt_id, own })
            }
            _ => None,
        }
    };
    let params = l
        .sig
        .params
        .iter()
        .map(|t| classify(t, false))
        .collect::<Option<Vec<_>>>()?;
    let results = l
        .sig
        .results
        .iter()
        .map(|t| classify(t, true))
        .collect::<Option<Vec<_>>>()?;
    Some(RawPlan { params, results })
}

/// Lifts a handle to a host object for the raw path: the guest's index becomes the object's
/// slot and generation, packed. An `own` handle leaves the guest's table; with `lend`,
/// borrowing an own handle lends it for the call, as `lift_borrow` does (the second value
/// says so: the caller gives the lend back when the call ends).
///
/// A lend only keeps the handle from being dropped or moved during the call. While a host
/// function runs, no code of the calling instance can do that (the instance cannot be entered
/// again, and only its own code reaches its table); only a later parameter of the same call
/// can, an `own` of the same handle. So the raw path counts lends only for signatures with an
/// `own` handle after a `borrow`.
#[inline]
fn raw_lift_handle(
    rt: &mut Runtime,
    instance: InstanceId,
    ty: u32,
    own: bool,
    lend: bool,
    index: u32,
) -> Result<(u64, bool), Fault> {
    let (rep, is_own) = match rt.instances[instance as usize].handles.get(index)? {
        Slot::Own { rt: have, rep, .. } if have == ty => (rep, true),
        Slot::Borrow { rt: have, rep, .. } if have == ty => (rep, false),
        _ => return Err(wrong_type(index)),
    };
    if own && !is_own {
        return Err(Fault::from(Trap::OwnFromBorrow { index }));
    }
    // A revoked object traps before the handle is moved or lent.
    let generation = match rt.objects.generation(rep) {
        Some(g) => g,
        None => dead_object(&mut rt.objects, &rt.resource_types, (index, ty, rep), false)?,
    };
    let mut lent = false;
    if is_own && (own || lend) {
        let Slot::Own { lends, .. } = rt.instances[instance as usize].handles.get_mut(index)?
        else {
            return Err(wrong_type(index));
        };
        if own {
            if *lends != 0 {
                return Err(Fault::from(Trap::HandleLent));
            }
            let children = rt.objects.children(rep);
            if children != 0 {
                return Err(Fault::from(Trap::HasChildren { index, children }));
            }
            rt.remove_handle(instance, index)?;
        } else {
            *lends += 1;
            lent = true;
        }
    }
    Ok((u64::from(rep) | (u64::from(generation) << 32), lent))
}

/// Lowers an owned handle to a host object for the raw path: the packed slot and generation
/// become a new entry in the guest's table. On failure, whether the object is live and it
/// was the table that refused it.
fn raw_lower_own(
    rt: &mut Runtime,
    instance: InstanceId,
    ty: u32,
    packed: u64,
) -> Result<u32, (Fault, bool)> {
    let (index, generation) = (packed as u32, (packed >> 32) as u32);
    rt.objects.check(ty, index, generation).map_err(|e| {
        let fault = Fault::from(Trap::HostBadHandle {
            cause: e.to_string().into(),
        });
        (fault, false)
    })?;
    rt.add_handle(
        instance,
        Slot::Own {
            rt: ty,
            rep: index,
            lends: 0,
        },
    )
    .map_err(|fault| (fault, true))
}
