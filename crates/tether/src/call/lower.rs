//! Calls out of a guest (`canon lower`): the core function a lowered import becomes, on the
//! `Val` path ([`call_lowered`]) or the direct path of typed host functions
//! ([`DirectCall`]); the raw path is in `raw.rs`. Every path opens its frame with
//! `Runtime::open_lower` (the `may_leave` check, the call's scope) and closes it with
//! `Runtime::close_lower` (lends given back).

use std::mem::MaybeUninit;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use tether_abi::{
    Context, CoreType, Fault, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, ResourceAny, SourceEncoding,
    StringEncoding, Trap, Val,
};
use wasmtime::{AsContextMut as _, ValRaw};

use super::Wt;
use super::cx::Cx;
use super::error::{HostTypeError, lower_error, to_core, trap, trap_of, unsupported_call};
use super::flat::{raw_to_u64, u64_to_raw};
use super::func_def::{DirectCall, FuncDef, LiftKind, Lowered};
use super::lift::call_lifted;
use super::raw::make_raw;
use super::slots::Place;
use super::store::{DirectHostFn, HostFn, StoreContextMut, StoreData};
use super::task::call_async_lowered;
use super::values::ComponentNamedList;
use crate::state::embedder;

/// Whether a value of type `ty` can hold a `borrow` handle.
fn has_borrow(ty: &tether_abi::Type) -> bool {
    use tether_abi::Type as Ty;
    match ty {
        Ty::Borrow(_) => true,
        Ty::List(l) => has_borrow(l.elem()),
        Ty::FixedList(l) => has_borrow(l.elem()),
        Ty::Map(m) => has_borrow(m.key()) || has_borrow(m.value()),
        Ty::Record(r) => r.fields().iter().any(|(_, t)| has_borrow(t)),
        Ty::Tuple(t) => t.types().iter().any(has_borrow),
        Ty::Variant(v) => v
            .cases()
            .iter()
            .any(|(_, t)| t.as_ref().is_some_and(has_borrow)),
        Ty::Option(o) => has_borrow(o.some()),
        Ty::Result(r) => r.ok().is_some_and(has_borrow) || r.err().is_some_and(has_borrow),
        _ => false,
    }
}

impl DirectCall<'_> {
    fn cx<'s, 'b, T>(&'s self, store: &'s mut Wt<'b, T>) -> Cx<'s, 'b, T> {
        Cx::counting(
            store,
            &self.lowered.opts,
            self.lowered.instance,
            &self.lowered.resources,
            self.scope,
            &self.copied,
        )
    }

    /// Lifts the parameters after the first `skip` (a method's `self`) as `P`.
    #[inline]
    pub(crate) fn params<T, P: ComponentNamedList>(
        &self,
        store: &mut Wt<'_, T>,
        skip: usize,
    ) -> Result<P> {
        let sig = &*self.lowered.sig;
        let tys = sig.params.get(skip..).unwrap_or(&[]);
        let mut cx = self.cx(store);
        if sig.params_spill {
            // The caller checked the pointer against the whole parameter tuple.
            let mut end = 0;
            for ty in &sig.params[..skip.min(sig.params.len())] {
                end = tether_abi::direct::field_offset(end, ty) + u64::from(ty.size());
            }
            let base = self.args.first().copied().unwrap_or(0) as u32 as usize;
            P::load_direct_fields(&mut cx, tys, base, end)
        } else {
            let at: usize = sig.params[..skip.min(sig.params.len())]
                .iter()
                .map(|t| t.flat_count())
                .sum();
            P::lift_direct_flat(&mut cx, tys, self.args.get(at..).unwrap_or(&[]))
        }
        .map_err(trap)
    }

    /// Lifts a method's `self`, the first parameter, a `borrow<R>`: the object's slot and
    /// generation.
    #[inline]
    pub(crate) fn self_handle<T>(&self, store: &mut Wt<'_, T>) -> Result<ResourceAny> {
        let sig = &*self.lowered.sig;
        let Some(tether_abi::Type::Borrow(r)) = sig.params.first() else {
            return Err(anyhow!(
                "a method's first parameter must be `self: borrow<...>`"
            ));
        };
        let arg = self.args.first().copied().unwrap_or(0) as u32;
        let mut cx = self.cx(store);
        let index = if sig.params_spill {
            let mem = cx.memory().map_err(trap)?;
            u32::from_le_bytes(tether_abi::direct::read(mem, arg as usize).map_err(trap)?)
        } else {
            arg
        };
        cx.lift_borrow(*r, index).map_err(trap)
    }

    /// Lowers the results, into `out` (the flat result, if any) or the caller's return area.
    #[inline]
    pub(crate) fn results<T, R: ComponentNamedList>(
        &self,
        store: &mut Wt<'_, T>,
        results: &R,
        out: &mut [u64],
    ) -> Result<()> {
        let sig = &*self.lowered.sig;
        let mut cx = self.cx(store);
        let r = match self.out_ptr {
            Some(ptr) => tether_abi::direct::check_spilled(&mut cx, &sig.results, ptr)
                .and_then(|()| results.store_direct_fields(&mut cx, &sig.results, ptr as usize, 0)),
            None => {
                let n = sig.flat_results.len();
                match out.get_mut(..n) {
                    Some(out) => results.lower_direct_flat(&mut cx, &sig.results, out),
                    None => Err(Fault::from(Trap::Internal {
                        message: "no room for the results".into(),
                    })),
                }
            }
        };
        r.map_err(|t| match t.trap() {
            Trap::HostValue { message } => trap(
                Trap::HostBadResult {
                    cause: message.clone(),
                }
                .into(),
            ),
            _ => trap(t),
        })
    }
}

/// A guest's call of a typed host function on the direct path: the frame of
/// [`call_lowered`] (the `may_leave` check, the call's scope, the handles lent for it)
/// around `f`. A call whose parameters hold no `borrow` lends no handle and needs no scope:
/// it counts the bytes it copies itself.
///
/// `N` is at least the number of core parameters `params` (those of the lowered core
/// function, the return area's pointer included), so that the common small signatures get a
/// loop unrolled over an array of their size.
fn call_lowered_direct<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    params: &[CoreType; N],
    n: usize,
    slots: &mut [MaybeUninit<ValRaw>],
    f: &DirectHostFn<T>,
    scoped: bool,
) -> Result<()> {
    let frame = store
        .data_mut()
        .rt
        .open_lower(l.instance, scoped)
        .map_err(trap)?;
    let mut args = [0u64; N];
    for i in 0..N {
        if i >= n {
            break;
        }
        let Some(slot) = slots.get(i) else {
            break;
        };
        // SAFETY: the core engine initialised every parameter slot before calling.
        args[i] = raw_to_u64(unsafe { slot.assume_init() }, params[i]);
    }
    let (args, out_ptr) = if l.sig.results_spill {
        let n = n.saturating_sub(1);
        (&args[..n], Some(args[n] as u32))
    } else {
        (&args[..n], None)
    };
    let mut out = [0u64; MAX_FLAT_RESULTS];
    let call = DirectCall {
        lowered: l,
        scope: frame.scope,
        copied: std::cell::Cell::new(0),
        args,
        out_ptr,
    };
    // The checks and charges of `lift_flat_values`, in its order, before any parameter
    // (a method's `self` included) is lifted.
    let r = if l.sig.params_spill || l.sig.params_heap != 0 {
        let mut cx = call.cx(store);
        let ptr = args.first().copied().unwrap_or(0) as u32;
        if l.sig.params_spill {
            tether_abi::direct::check_spilled(&mut cx, &l.sig.params, ptr)
        } else {
            Ok(())
        }
        .and_then(|()| tether_abi::direct::charge_fixed(&mut cx, l.sig.params_heap))
        .map_err(trap)
    } else {
        Ok(())
    };
    let r = r.and_then(|()| f(store, &call, &mut out));
    store.data_mut().rt.close_lower(frame);
    r?;
    if !l.sig.results_spill {
        for ((slot, v), ty) in slots.iter_mut().zip(out).zip(&l.sig.flat_results) {
            *slot = MaybeUninit::new(u64_to_raw(v, *ty));
        }
    }
    Ok(())
}

pub(super) fn source_of(encoding: StringEncoding) -> SourceEncoding {
    match encoding {
        StringEncoding::Utf8 => SourceEncoding::Utf8,
        StringEncoding::Utf16 => SourceEncoding::Utf16,
        StringEncoding::Latin1Utf16 => SourceEncoding::Latin1Utf16 { force_utf16: false },
    }
}

/// Creates the core function that a `canon lower` produces; `ty` is its core type
/// (`FuncSig::lowered_func_type`).
pub(crate) fn make_lowered<T: 'static>(
    store: &mut Wt<'_, T>,
    place: Place,
    ty: &wasmtime::FuncType,
    lowered: Lowered,
) -> wasmtime::Func {
    let params = if lowered.async_ {
        let (params, _) = tether_abi::flatten_async_func(
            &lowered.sig.params,
            &lowered.sig.results,
            tether_abi::FlattenContext::Lower,
            false,
        );
        params.into()
    } else {
        lowered.sig.lower_params.clone()
    };
    // The async ABI's lowers (the `async` option, or a callee of an `async` type, which
    // may block) take the `Val` path.
    let plain = !lowered.async_ && !lowered.ft_async && !lowered.sig.has_async_values();
    if let FuncDef::Host(i) = lowered.callee
        && plain
    {
        let forms = store.data().host_funcs[i as usize].clone();
        if let Some(f) = make_raw(store, place, ty, &forms, &lowered, &params) {
            return f;
        }
        // A typed host function whose types all move without `Val`.
        if let Some(direct) = &forms.direct
            && !lowered.guest_resources
        {
            let direct = direct.clone();
            return match params.len() {
                0..=1 => direct_host_func::<T, 1>(store, place, ty, lowered, direct),
                2 => direct_host_func::<T, 2>(store, place, ty, lowered, direct),
                3 => direct_host_func::<T, 3>(store, place, ty, lowered, direct),
                4 => direct_host_func::<T, 4>(store, place, ty, lowered, direct),
                _ => direct_host_func::<T, { MAX_FLAT_PARAMS + 1 }>(
                    store, place, ty, lowered, direct,
                ),
            };
        }
    }
    let lowered = Arc::new(lowered);
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let mut store = caller.as_context_mut();
        call_lowered(&mut store, &lowered, &params, slots).map_err(to_core)
    };
    // SAFETY: `call_lowered` reads exactly the parameters of `ty` and writes exactly its
    // results, with the types `lower_core_type` gave both.
    unsafe { place.func(store, ty, host) }
}

/// Creates the core function of a typed host function on the direct path, with at most `N`
/// core parameters.
fn direct_host_func<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    place: Place,
    ty: &wasmtime::FuncType,
    lowered: Lowered,
    direct: Arc<DirectHostFn<T>>,
) -> wasmtime::Func {
    let scoped = lowered.sig.params.iter().any(has_borrow);
    let n = lowered.sig.lower_params.len().min(N);
    let mut params = [CoreType::I32; N];
    params[..n].copy_from_slice(&lowered.sig.lower_params[..n]);
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let mut store = caller.as_context_mut();
        call_lowered_direct(&mut store, &lowered, &params, n, slots, &*direct, scoped)
            .map_err(to_core)
    };
    // SAFETY: `call_lowered_direct` reads exactly the parameters of `ty` and writes exactly
    // its results, with the types `lower_core_type` gave both.
    unsafe { place.func(store, ty, host) }
}

fn call_lowered<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Arc<Lowered>,
    params: &[CoreType],
    slots: &mut [MaybeUninit<ValRaw>],
) -> Result<()> {
    let frame = store
        .data_mut()
        .rt
        .open_lower(l.instance, true)
        .map_err(trap)?;
    // A synchronous call of an `async`-typed function may block: only a task that may
    // block can make it, which is checked before the call as wasmtime does.
    if l.ft_async
        && !l.async_
        && let Err(fault) = store.data().rt.check_may_block()
    {
        store.data_mut().rt.close_lower(frame);
        return Err(trap(fault));
    }
    let args: Vec<u64> = params
        .iter()
        .zip(slots.iter())
        // SAFETY: the core engine initialised every parameter slot before calling.
        .map(|(ty, s)| raw_to_u64(unsafe { s.assume_init() }, *ty))
        .collect();
    let out_ptr = if l.async_ {
        // The async ABI passes a pointer to the results' buffer whenever there are results.
        if l.sig.results.is_empty() {
            None
        } else {
            args.last().map(|p| *p as u32)
        }
    } else if l.sig.results_spill {
        args.last().map(|p| *p as u32)
    } else {
        None
    };
    // While an `async` lower's callee runs, its caller would run on if the callee waited:
    // the tasks below count it (`Runtime::async_lowers`).
    if l.async_ {
        store.data_mut().rt.async_lowers += 1;
    }
    let r = call_lowered_inner(store, l, frame.scope, &args, out_ptr);
    if l.async_ {
        store.data_mut().rt.async_lowers -= 1;
    }
    // Gives back every handle lent for the call, whether it returned or trapped.
    store.data_mut().rt.close_lower(frame);
    // A mistyped value here interrupted a running guest: from here on it is a trap.
    let flat = r.map_err(|e| match trap_of(&e) {
        Some(Trap::HostValue { message }) if e.is::<HostTypeError>() => trap(
            Trap::HostBadResult {
                cause: message.clone(),
            }
            .into(),
        ),
        _ => e,
    })?;
    if l.async_ {
        // The code `RETURNED` when the callee returned before the call did (the results
        // are in the caller's memory), or the subtask's state and index.
        let code = flat.first().map_or(RETURNED, |c| *c as u32 as i32);
        if let Some(slot) = slots.first_mut() {
            *slot = MaybeUninit::new(ValRaw::i32(code));
        }
        return Ok(());
    }
    for (i, v) in flat.iter().enumerate() {
        slots[i] = MaybeUninit::new(u64_to_raw(*v, l.sig.flat_results[i]));
    }
    Ok(())
}

/// The subtask state an `async` lower returns when the callee returned before the call did.
const RETURNED: i32 = 2;

/// How many core values a lowered call's parameters and results pass flat: the synchronous
/// ABI's limits, or the `async` option's (at most four parameters, results always through
/// memory).
fn flat_limits(l: &Lowered) -> (usize, usize) {
    if l.async_ {
        (tether_abi::MAX_FLAT_ASYNC_PARAMS, 0)
    } else {
        (MAX_FLAT_PARAMS, MAX_FLAT_RESULTS)
    }
}

/// A `Val`-path call whose parameters could not be lifted: if the fault is that the host
/// revoked the object behind `self` and the method has an answer for that
/// (`LinkerInstance::method_or_revoked`), the other parameters are lifted and handed to it,
/// and its results are the call's; otherwise the fault is the call's trap.
#[cold]
#[inline(never)]
fn revoked_self<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    scope: Option<usize>,
    args: &[u64],
    out_ptr: Option<u32>,
    fault: Fault,
) -> Result<Vec<u64>> {
    let fallback = match (fault.trap(), &l.callee) {
        (Trap::Revoked { index, .. }, &FuncDef::Host(i))
            if !l.sig.params_spill && args.first() == Some(&u64::from(*index)) =>
        {
            store.data().host_funcs[i as usize].revoked.clone()
        }
        _ => None,
    };
    let Some(fallback) = fallback else {
        return Err(trap(fault));
    };
    // `self` is a handle, one core value: the others follow it.
    let rest_args = args
        .get(1..args.len() - usize::from(out_ptr.is_some()))
        .unwrap_or(&[]);
    let rest_tys = l.sig.params.get(1..).unwrap_or(&[]);
    let params = {
        let max_params = flat_limits(l).0;
        let mut cx = lowered_cx(store, l, scope);
        tether_abi::lift_flat_values(&mut cx, max_params, rest_args, rest_tys).map_err(trap)?
    };
    let results = call_host_vals(store, l, &*fallback, params)?;
    lower_result_vals(store, l, scope, out_ptr, &results)
}

/// The lifting and lowering context of a lowered function's call, whose guest side is `l`'s
/// instance, memory and resource types.
fn lowered_cx<'a, 'b, T: 'static>(
    store: &'a mut Wt<'b, T>,
    l: &'a Lowered,
    scope: Option<usize>,
) -> Cx<'a, 'b, T> {
    Cx::new(
        store,
        &l.opts,
        l.instance,
        &l.resources,
        scope,
        SourceEncoding::Utf8,
    )
}

/// Calls a host function's `Val` form for a guest whose signature holds handles: the handles
/// cross to the embedder's side for the call and back for the results.
fn call_host_vals<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    f: &HostFn<T>,
    mut params: Vec<Val>,
) -> Result<Vec<Val>> {
    let mut results = vec![Val::Bool(false); l.sig.results.len()];
    let mut borrows = Vec::new();
    for p in &mut params {
        embedder::to_embedder(&mut store.data_mut().rt, p, &mut borrows);
    }
    let r = f(
        StoreContextMut(store.as_context_mut()),
        &params,
        &mut results,
    );
    embedder::release_borrows(&mut store.data_mut().rt, &borrows);
    r?;
    for (v, ty) in results.iter_mut().zip(&l.sig.results) {
        embedder::from_embedder(&mut store.data_mut().rt, v, ty)
            .map_err(|e| anyhow!("host function returned a bad handle: {e}"))?;
    }
    Ok(results)
}

/// Lowers a `Val`-path call's results into the guest: its flat results, or into its return
/// area at `out_ptr`.
pub(super) fn lower_result_vals<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    scope: Option<usize>,
    out_ptr: Option<u32>,
    results: &[Val],
) -> Result<Vec<u64>> {
    let mut flat = Vec::with_capacity(1);
    let max_results = flat_limits(l).1;
    let mut cx = lowered_cx(store, l, scope);
    tether_abi::lower_flat_values(
        &mut cx,
        max_results,
        results,
        &l.sig.results,
        out_ptr,
        &mut flat,
    )
    .map_err(lower_error)?;
    Ok(flat)
}

fn call_lowered_inner<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Arc<Lowered>,
    scope: Option<usize>,
    args: &[u64],
    out_ptr: Option<u32>,
) -> Result<Vec<u64>> {
    if l.sig.has_async_values()
        && matches!(l.callee, FuncDef::Host(_))
        && !l.sig.params.iter().all(crate::plan::types::host_may_take)
    {
        return Err(unsupported_call(
            "a host function that takes a future, an error-context or a stream of other than `u8` (component-model async)",
        ));
    }
    let params = {
        let mut cx = lowered_cx(store, l, scope);
        let param_args = if out_ptr.is_some() {
            &args[..args.len() - 1]
        } else {
            args
        };
        let max_params = flat_limits(l).0;
        match tether_abi::lift_flat_values(&mut cx, max_params, param_args, &l.sig.params) {
            Ok(params) => params,
            Err(fault) => return revoked_self(store, l, scope, args, out_ptr, fault),
        }
    };
    let lower_results = |store: &mut Wt<'_, T>, results: Vec<Val>| -> Result<Vec<u64>> {
        lower_result_vals(store, l, scope, out_ptr, &results)
    };
    match &l.callee {
        FuncDef::Host(i) => {
            let f = store.data().host_funcs[*i as usize].dynamic.clone();
            let results = if l.sig.has_resources() {
                call_host_vals(store, l, &*f, params)?
            } else {
                let mut results = vec![Val::Bool(false); l.sig.results.len()];
                f(
                    StoreContextMut(store.as_context_mut()),
                    &params,
                    &mut results,
                )?;
                results
            };
            let mut cx_source = lower_results(store, results);
            if let Err(e) = &cx_source
                && trap_of(e).is_none()
            {
                cx_source = Err(trap(
                    Trap::HostBadResult {
                        cause: e.to_string().into(),
                    }
                    .into(),
                ));
            }
            cx_source
        }
        FuncDef::Lifted(f) if l.async_ && f.kind == LiftKind::Callback => {
            // The callee may wait: its caller then gets a subtask, unless it lent handles
            // for the call, which would have to outlive this frame.
            let lends = scope.is_some_and(|s| !store.data().rt.scopes[s].lenders.is_empty());
            let code = call_async_lowered(store, f, l, &params, out_ptr, lends)?;
            Ok(if code == RETURNED as u32 {
                Vec::new()
            } else {
                vec![u64::from(code)]
            })
        }
        FuncDef::Lifted(f) => {
            let source = source_of(l.opts.encoding);
            call_lifted(
                store,
                f,
                Some(l.instance),
                source,
                &params,
                |store, results| lower_results(store, results),
            )
        }
        FuncDef::Unsupported(what) => Err(unsupported_call(what)),
    }
}
