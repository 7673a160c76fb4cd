//! Calls into a guest (`canon lift`): every path (`Val`, scalar, direct) opens its call frame
//! with `Runtime::open_lift`, lowers the arguments, runs the core function, lifts the
//! results, and ends with [`finish_lifted`] (post-return, the borrow check) and
//! `Runtime::close_lift`.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use tether_abi::{CoreType, Fault, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, SourceEncoding, Trap, Val};
use wasmtime::ValRaw;

use super::Wt;
use super::cx::Cx;
use super::error::{from_core, lower_error, poison, trap};
use super::flat::{raw_to_u64, u64_to_raw};
use super::func_def::{LiftKind, LiftedFunc};
use super::values::{ComponentNamedList, RawCx};
use crate::state::runtime::InstanceId;

/// Calls a lifted function: enters its instance, lowers `args` into it, runs the core
/// function, lifts the results and hands them to `on_results`, then runs `post-return` and
/// checks that every borrow handed to the callee was dropped.
pub(crate) fn call_lifted<T, R>(
    store: &mut Wt<'_, T>,
    f: &Arc<LiftedFunc>,
    caller: Option<InstanceId>,
    source: SourceEncoding,
    args: &[Val],
    on_results: impl FnOnce(&mut Wt<'_, T>, Vec<Val>) -> Result<R>,
) -> Result<R> {
    if f.kind != LiftKind::Sync {
        return super::task::call_lifted_task(store, f, caller, source, args, on_results);
    }
    let frame = store
        .data_mut()
        .rt
        .open_lift(f.instance, caller, true)
        .map_err(trap)?;
    let r = call_lifted_inner(store, f, frame.scope, source, args, on_results);
    store.data_mut().rt.close_lift(frame, poison(&r));
    r
}

/// The end of every call into a lifted function once its results are lifted: the function's
/// `post-return`, if it has one, run on its core results (`results`, the call's buffer) while
/// the instance may not leave; then the check that the callee dropped every borrow handed to
/// it in the call's `scope`.
#[inline]
pub(super) fn finish_lifted<T>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    results: &mut [ValRaw],
) -> Result<()> {
    if let Some(post) = f.opts.post_return {
        let inst = f.instance as usize;
        store.data_mut().rt.instances[inst].may_leave = false;
        // SAFETY: the validator checked that `post-return` takes the lifted function's core
        // results, which the caller's buffer holds in order, and returns nothing; it belongs
        // to this store.
        let res = unsafe { post.call_unchecked(&mut *store, results) };
        store.data_mut().rt.instances[inst].may_leave = true;
        res.map_err(from_core)?;
    }
    if scope.is_some_and(|s| store.data().rt.scopes[s].borrows != 0) {
        return Err(trap(Fault::from(Trap::BorrowsRemain)));
    }
    Ok(())
}

/// Calls a lifted function whose parameters and results are all scalars, moving raw core
/// values: no [`Val`], no heap allocation.
pub(crate) fn call_lifted_scalar<T, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    args: &[u64],
    result_count: usize,
    lift: impl FnOnce(&[u64], &mut RawCx<'_>) -> Result<R, Fault>,
) -> Result<R> {
    // The buffer's extent comes from the function's own signature, never from the Rust
    // types' claims: a list of another length is refused before the call.
    let (flat_params, flat_results) = (&f.sig.flat_params, &f.sig.flat_results);
    if args.len() != flat_params.len()
        || result_count != flat_results.len()
        || flat_params.len() > MAX_FLAT_PARAMS
        || flat_results.len() > MAX_FLAT_RESULTS
    {
        return Err(anyhow!(
            "type mismatch: the function takes {} and returns {} core values, the Rust types have {} and {}",
            flat_params.len(),
            flat_results.len(),
            args.len(),
            result_count
        ));
    }
    let mut results = [0u64; MAX_FLAT_RESULTS];
    let results = &mut results[..flat_results.len()];
    let frame = store
        .data_mut()
        .rt
        .open_lift(f.instance, None, false)
        .map_err(trap)?;
    let mut buf = [ValRaw::i32(0); MAX_FLAT_PARAMS];
    for (i, (v, ty)) in args.iter().zip(flat_params).enumerate() {
        buf[i] = u64_to_raw(*v, *ty);
    }
    let n = flat_params.len().max(flat_results.len());
    // SAFETY: the caller checked that the function's parameters and results are scalars that
    // do not spill, so its core type is `flat_params -> flat_results`; the buffer, sized from
    // those two lists above, holds the parameters in order and has room for the results; the
    // function belongs to this store.
    let r = unsafe { f.core.call_unchecked(&mut *store, &mut buf[..n]) }.map_err(from_core);
    let r = r.and_then(|()| {
        for (i, ty) in flat_results.iter().enumerate() {
            results[i] = raw_to_u64(buf[i], *ty);
        }
        let mut cx = RawCx {
            rt: &mut store.data_mut().rt,
        };
        let r = lift(results, &mut cx).map_err(trap)?;
        let n_results = results.len();
        finish_lifted(store, f, None, &mut buf[..n_results])?;
        Ok(r)
    });
    store.data_mut().rt.close_lift(frame, poison(&r));
    r
}

/// Calls a lifted function whose parameter and result types all move without [`Val`]
/// (`ComponentNamedList::ALL_DIRECT`, and no handle to a guest-defined resource): the same
/// steps as [`call_lifted`], with the values lowered from and lifted into Rust directly.
pub(crate) fn call_lifted_direct<T, P, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    params: &P,
) -> Result<R>
where
    P: ComponentNamedList,
    R: ComponentNamedList,
{
    let rt = &mut store.data_mut().rt;
    let frame = match rt.open_lift(f.instance, None, true) {
        Ok(frame) => frame,
        Err(fault) => return Err(trap(rt.refused(None, fault))),
    };
    let r = call_lifted_direct_inner(store, f, frame.scope, params);
    store.data_mut().rt.close_lift(frame, poison(&r));
    r
}

fn call_lifted_direct_inner<T, P, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    params: &P,
) -> Result<R>
where
    P: ComponentNamedList,
    R: ComponentNamedList,
{
    let sig = &*f.sig;
    let mut flat = [0u64; MAX_FLAT_PARAMS];
    let n_params = {
        let mut cx = Cx::new(
            store,
            &f.opts,
            f.instance,
            &f.resources,
            scope,
            SourceEncoding::Utf8,
        );
        if sig.params_spill {
            let ptr =
                tether_abi::direct::alloc_spilled(&mut cx, &sig.params).map_err(lower_error)?;
            params
                .store_direct_fields(&mut cx, &sig.params, ptr as usize, 0)
                .map_err(lower_error)?;
            flat[0] = u64::from(ptr);
            1
        } else {
            let n = sig.flat_params.len();
            params
                .lower_direct_flat(&mut cx, &sig.params, &mut flat[..n])
                .map_err(lower_error)?;
            n
        }
    };
    let n_results = if sig.results_spill {
        1
    } else {
        sig.flat_results.len()
    };
    let mut buf = [ValRaw::i32(0); MAX_FLAT_PARAMS];
    for i in 0..n_params {
        let ty = if sig.params_spill {
            CoreType::I32
        } else {
            sig.flat_params[i]
        };
        buf[i] = u64_to_raw(flat[i], ty);
    }
    // SAFETY: the validator checked that the lifted core function has the type that
    // `lift_core_type` computes: `n_params` parameters (the flat ones, or one pointer when
    // they spill) and `n_results` results, both at most `MAX_FLAT_PARAMS`; the buffer holds the
    // parameters in order and has room for the results; the function belongs to this store.
    unsafe {
        f.core
            .call_unchecked(&mut *store, &mut buf[..n_params.max(n_results)])
    }
    .map_err(from_core)?;
    let mut raw = [0u64; MAX_FLAT_RESULTS];
    for i in 0..n_results {
        let ty = if sig.results_spill {
            CoreType::I32
        } else {
            sig.flat_results[i]
        };
        raw[i] = raw_to_u64(buf[i], ty);
    }
    let results = {
        let mut cx = Cx::new(
            store,
            &f.opts,
            f.instance,
            &f.resources,
            scope,
            SourceEncoding::Utf8,
        );
        // The checks and charges of `lift_flat_values`, in its order.
        if sig.results_spill {
            let ptr = raw[0] as u32;
            tether_abi::direct::check_spilled(&mut cx, &sig.results, ptr)
                .and_then(|()| tether_abi::direct::charge_fixed(&mut cx, sig.results_heap))
                .and_then(|()| R::load_direct_fields(&mut cx, &sig.results, ptr as usize, 0))
        } else {
            tether_abi::direct::charge_fixed(&mut cx, sig.results_heap)
                .and_then(|()| R::lift_direct_flat(&mut cx, &sig.results, &raw[..n_results]))
        }
        .map_err(trap)?
    };
    finish_lifted(store, f, scope, &mut buf[..n_results])?;
    Ok(results)
}

pub(super) fn call_lifted_inner<T, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    source: SourceEncoding,
    args: &[Val],
    on_results: impl FnOnce(&mut Wt<'_, T>, Vec<Val>) -> Result<R>,
) -> Result<R> {
    let sig = &*f.sig;
    let (_, core_results) = sig.lift_core_type();
    let mut buf = lower_args(store, f, scope, source, args, core_results.len())?;
    // SAFETY: the validator checked that the lifted core function has the type that
    // `lift_core_type` computes, the buffer holds its parameters in that order and has room
    // for its results, and the function belongs to this store.
    unsafe { f.core.call_unchecked(&mut *store, buf.as_mut_slice()) }.map_err(from_core)?;
    let raw_results: Vec<u64> = buf
        .iter()
        .zip(core_results)
        .map(|(r, ty)| raw_to_u64(*r, *ty))
        .collect();
    let results = {
        let mut cx = Cx::new(
            store,
            &f.opts,
            f.instance,
            &f.resources,
            scope,
            SourceEncoding::Utf8,
        );
        tether_abi::lift_flat_values(&mut cx, MAX_FLAT_RESULTS, &raw_results, &sig.results)
            .map_err(trap)?
    };
    let r = on_results(store, results)?;
    finish_lifted(store, f, scope, &mut buf[..core_results.len()])?;
    Ok(r)
}

/// Lowers `args` into the callee `f` as the core parameters of its lifted core function, in a
/// buffer with room for `n_results` core results.
pub(super) fn lower_args<T>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    source: SourceEncoding,
    args: &[Val],
    n_results: usize,
) -> Result<Vec<ValRaw>> {
    let sig = &*f.sig;
    let (core_params, _) = sig.lift_core_type();
    let mut flat = Vec::with_capacity(core_params.len());
    {
        let mut cx = Cx::new(store, &f.opts, f.instance, &f.resources, scope, source);
        tether_abi::lower_flat_values(&mut cx, MAX_FLAT_PARAMS, args, &sig.params, None, &mut flat)
            .map_err(lower_error)?;
    }
    let mut buf: Vec<ValRaw> = Vec::with_capacity(core_params.len().max(n_results));
    for (v, ty) in flat.iter().zip(core_params) {
        buf.push(u64_to_raw(*v, *ty));
    }
    buf.resize(core_params.len().max(n_results), ValRaw::i32(0));
    Ok(buf)
}
