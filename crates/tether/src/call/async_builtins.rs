//! The core functions of the async ABI's built-ins ([`make_builtin`]): `task.return`,
//! `task.cancel`, `context.get`/`set`, `backpressure.inc`/`dec`, `thread.yield`, the
//! waitable sets' (`waitable-set.*`, `waitable.join`), `subtask.drop`, and the synchronous
//! forms of the built-ins that wait. The rules on task and waitable state live in
//! `crate::state::task` and `crate::state::waitable`; waiting runs other tasks through
//! `super::task::wait_in_place`.

use std::sync::Arc;

use anyhow::Result;
use tether_abi::{Fault, MAX_FLAT_PARAMS, SourceEncoding, TaskRule, Trap, Type};

use super::Wt;
use super::builtins::core_func_type;
use super::copy::{EndOp, run_end_builtin};
use super::cx::{Cx, Opts};
use super::error::{to_core, trap, unsupported_call};
use super::store::StoreData;
use super::task::{cancel_subtask, wait_in_place};
use crate::plan::translate::Builtin;
use crate::plan::types::FuncSig;
use crate::state::runtime::InstanceId;
use crate::state::task::ParkedOn;
use crate::state::waitable::{Event, NO_EVENT};

/// A built-in's core function, with what its instance resolved for it.
pub(crate) enum BuiltinCall {
    /// `task.return`: the signature whose one parameter is the result, its resource types
    /// in the store, and its options.
    TaskReturn {
        sig: Arc<FuncSig>,
        resources: Vec<u32>,
        opts: Opts,
    },
    /// `waitable-set.wait` (`wait`) or `waitable-set.poll`, and the memory the event's
    /// payloads go to.
    WaitableSetEvent {
        wait: bool,
        memory: wasmtime::Memory,
    },
    /// A future or stream built-in: its end kind, what it does, its type (a `Type::Future`
    /// or `Type::Stream`) and the store's resource types for the indices in it.
    End {
        end: tether_abi::EndKind,
        op: EndOp,
        ty: Type,
        resources: Arc<[u32]>,
    },
    /// `error-context.new` (`debug: false`) or `error-context.debug-message`, with the
    /// options it reads or writes the message with.
    ErrorContext { debug: bool, opts: Opts },
    /// Any other built-in translation keeps.
    Plain(Builtin),
}

/// Creates the core function of an async ABI built-in of `instance`; its core type is that
/// of core function `core_func_index` of the level's `types`.
pub(crate) fn make_builtin<T: 'static>(
    store: &mut Wt<'_, T>,
    types: &wasmparser::types::Types,
    core_func_index: u32,
    op: BuiltinCall,
    instance: InstanceId,
) -> Result<wasmtime::Func> {
    let ty = core_func_type(store, types, core_func_index, "an async ABI built-in")?;
    let op = Arc::new(op);
    Ok(wasmtime::Func::new(
        store,
        ty,
        move |mut caller: wasmtime::Caller<'_, StoreData<T>>, params, results| {
            let mut store = wasmtime::AsContextMut::as_context_mut(&mut caller);
            run_builtin(&mut store, &op, instance, params, results).map_err(to_core)
        },
    ))
}

fn run_builtin<T>(
    store: &mut Wt<'_, T>,
    op: &BuiltinCall,
    instance: InstanceId,
    params: &[wasmtime::Val],
    results: &mut [wasmtime::Val],
) -> Result<()> {
    let rt = &mut store.data_mut().rt;
    let arg = |i: usize| params.get(i).and_then(|v| v.i32()).unwrap_or(0) as u32;
    let builtin = match op {
        BuiltinCall::TaskReturn {
            sig,
            resources,
            opts,
        } => return task_return(store, sig, resources, opts, instance, params),
        BuiltinCall::WaitableSetEvent { wait, memory } => {
            let code = waitable_set_event(store, *wait, *memory, instance, arg(0), arg(1))?;
            if let Some(r) = results.first_mut() {
                *r = wasmtime::Val::I32(code as i32);
            }
            return Ok(());
        }
        BuiltinCall::End {
            end,
            op,
            ty,
            resources,
        } => {
            let args: Vec<u32> = (0..params.len()).map(arg).collect();
            let r = run_end_builtin(store, *end, op, ty, resources, instance, &args)?;
            // `{future,stream}.new` returns both ends' indices in an `i64`.
            match results.first_mut() {
                Some(slot) if matches!(op, EndOp::New) => *slot = wasmtime::Val::I64(r as i64),
                Some(slot) => *slot = wasmtime::Val::I32(r as u32 as i32),
                None => {}
            }
            return Ok(());
        }
        BuiltinCall::ErrorContext { debug, opts } => {
            let index = error_context(store, *debug, opts, instance, arg(0), arg(1))?;
            if let Some(r) = results.first_mut() {
                *r = wasmtime::Val::I32(index as i32);
            }
            return Ok(());
        }
        BuiltinCall::Plain(b) => b,
    };
    match builtin {
        Builtin::TaskReturn { .. } => Err(anyhow::anyhow!(
            "internal error: `task.return` without its resolved options"
        )),
        Builtin::TaskCancel => {
            rt.check_may_leave(instance).map_err(trap)?;
            rt.task_cancel().map_err(trap)
        }
        Builtin::ContextGet(i) => {
            let v = rt.context_get(*i as usize).ok_or_else(|| {
                unsupported_call("`context.get` outside of any task (a start function)")
            })?;
            if let Some(r) = results.first_mut() {
                *r = wasmtime::Val::I32(v as i32);
            }
            Ok(())
        }
        Builtin::ContextSet(i) => rt
            .context_set(instance, *i as usize, arg(0))
            .ok_or_else(|| {
                unsupported_call("`context.set` outside of any task (a start function)")
            }),
        Builtin::BackpressureInc => rt.backpressure_inc(instance).map_err(trap),
        Builtin::BackpressureDec => rt.backpressure_dec(instance).map_err(trap),
        Builtin::Yield => {
            rt.check_may_leave(instance).map_err(trap)?;
            // A task that may block lets each parked task that can run have a turn, keeping
            // its exclusive lock (it yields inside a core call); one that may not block, or
            // one under an `async` lower (whose caller would run on), does not yield. Either
            // way it was not cancelled.
            if rt.may_block() && rt.async_lowers == 0 {
                wait_in_place(store, instance, ParkedOn::Yield, false)?;
            }
            if let Some(r) = results.first_mut() {
                *r = wasmtime::Val::I32(0);
            }
            Ok(())
        }
        Builtin::WaitableSetNew => {
            let i = rt.waitable_set_new(instance).map_err(trap)?;
            if let Some(r) = results.first_mut() {
                *r = wasmtime::Val::I32(i as i32);
            }
            Ok(())
        }
        Builtin::WaitableSetDrop => rt.waitable_set_drop(instance, arg(0)).map_err(trap),
        Builtin::WaitableJoin => rt.waitable_join(instance, arg(0), arg(1)).map_err(trap),
        Builtin::SubtaskDrop => rt.subtask_drop(instance, arg(0)).map_err(trap),
        Builtin::SubtaskCancel { async_ } => {
            rt.check_may_leave(instance).map_err(trap)?;
            if !async_ {
                // The synchronous form may block: that is checked before the subtask.
                rt.check_may_block().map_err(trap)?;
            }
            let id = rt
                .subtask_cancel_request(instance, arg(0), !async_)
                .map_err(trap)?;
            let state = cancel_subtask(store, instance, id, *async_)?;
            if let Some(r) = results.first_mut() {
                *r = wasmtime::Val::I32(state as i32);
            }
            Ok(())
        }
        Builtin::WaitableSetEvent { .. } => Err(anyhow::anyhow!(
            "internal error: a waitable set's event without its memory"
        )),
        Builtin::ErrorContextDrop => rt.error_context_drop(instance, arg(0)).map_err(trap),
        Builtin::ErrorContextNew { .. } | Builtin::ErrorContextDebugMessage { .. } => Err(
            anyhow::anyhow!("internal error: an error-context built-in without its options"),
        ),
        Builtin::EndNew { .. }
        | Builtin::Copy { .. }
        | Builtin::CancelCopy { .. }
        | Builtin::DropEnd { .. } => Err(anyhow::anyhow!(
            "internal error: a future or stream built-in without its resolved type"
        )),
        Builtin::Blocking { what } => {
            rt.check_may_leave(instance).map_err(trap)?;
            if !rt.may_block() && rt.others_wait(instance) {
                return Err(unsupported_call(
                    "blocking in a task that may not block while other tasks of its instance wait (the specification runs them: cooperative threads)",
                ));
            }
            rt.check_may_block().map_err(trap)?;
            Err(unsupported_call(what))
        }
    }
}

/// `waitable-set.wait` (`wait`) or `waitable-set.poll` of set `si`: the event's code,
/// with its payloads written at `ptr` in `memory`. A wait is refused by a task that may not
/// block; otherwise, until the set has an event, the task waits in place, keeping its
/// exclusive lock (it waits inside a core call) while the parked tasks run.
fn waitable_set_event<T: 'static>(
    store: &mut Wt<'_, T>,
    wait: bool,
    memory: wasmtime::Memory,
    instance: InstanceId,
    si: u32,
    ptr: u32,
) -> Result<u32> {
    let rt = &store.data().rt;
    rt.check_may_leave(instance).map_err(trap)?;
    if wait {
        if !rt.may_block() && rt.others_wait(instance) {
            return Err(unsupported_call(
                "blocking in a task that may not block while other tasks of its instance wait (the specification runs them: cooperative threads)",
            ));
        }
        rt.check_may_block().map_err(trap)?;
        rt.instances[instance as usize]
            .handles
            .get_set(si)
            .map_err(trap)?;
        if !rt.set_has_event(instance, si) {
            wait_in_place(store, instance, ParkedOn::Wait(si), false)?;
        }
    }
    let event = store
        .data_mut()
        .rt
        .waitable_set_event(instance, si)
        .map_err(trap)?
        .unwrap_or(NO_EVENT);
    write_event(store, memory, ptr, event)?;
    Ok(event.0)
}

/// `error-context.new` (the message is the string of `units` code units at `a`, in the
/// options' encoding; returns the new entry's index) or, with `debug`,
/// `error-context.debug-message` of the entry at `a` (the message is stored at `b` through the
/// options' `realloc`, as a string is).
fn error_context<T>(
    store: &mut Wt<'_, T>,
    debug: bool,
    opts: &Opts,
    instance: InstanceId,
    a: u32,
    b: u32,
) -> Result<u32> {
    store.data().rt.check_may_leave(instance).map_err(trap)?;
    let copied = std::cell::Cell::new(0);
    if debug {
        let message = store
            .data()
            .rt
            .error_context_message(instance, a)
            .map_err(trap)?;
        let mut cx = Cx::counting(store, opts, instance, &[], None, &copied);
        let val = tether_abi::Val::String(message.to_string());
        tether_abi::store(&mut cx, &Type::String, &val, b).map_err(trap)?;
        return Ok(0);
    }
    let message = {
        let mut cx = Cx::counting(store, opts, instance, &[], None, &copied);
        match tether_abi::lift_flat(&mut cx, &Type::String, &[u64::from(a), u64::from(b)]) {
            Ok(tether_abi::Val::String(s)) => s,
            Ok(_) => String::new(),
            Err(f) => return Err(trap(f)),
        }
    };
    store
        .data_mut()
        .rt
        .error_context_new(instance, message.into())
        .map_err(trap)
}

/// Writes an event's two payloads at `ptr` in `memory`, as two `u32`s.
fn write_event<T>(
    store: &mut Wt<'_, T>,
    memory: wasmtime::Memory,
    ptr: u32,
    (_, p1, p2): Event,
) -> Result<()> {
    if !ptr.is_multiple_of(4) {
        return Err(trap(
            Trap::UnalignedPointer {
                of: tether_abi::PointerOf::Value,
                ptr,
                align: 4,
            }
            .into(),
        ));
    }
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&p1.to_le_bytes());
    bytes[4..].copy_from_slice(&p2.to_le_bytes());
    tether_abi::direct::write(memory.data_mut(&mut *store), ptr as usize, bytes).map_err(trap)
}

/// `task.return`: the guards (the instance may leave, the task was lifted `async`, the
/// result type and options are the task's), then the result lifted from the core
/// parameters and handed to the task's caller.
fn task_return<T>(
    store: &mut Wt<'_, T>,
    sig: &FuncSig,
    resources: &[u32],
    opts: &Opts,
    instance: InstanceId,
    params: &[wasmtime::Val],
) -> Result<()> {
    let rt = &store.data().rt;
    rt.check_may_leave(instance).map_err(trap)?;
    rt.check_async_lift("task.return").map_err(trap)?;
    let Some(task_fn) = store.data().async_lifts.last().cloned() else {
        return Err(anyhow::anyhow!(
            "internal error: a callback task without its function"
        ));
    };
    let same_type = sig.params.len() == task_fn.sig.results.len()
        && sig
            .params
            .iter()
            .zip(&task_fn.sig.results)
            .all(|(a, b)| same_type(a, resources, b, &task_fn.resources));
    if !same_type {
        return Err(trap(Trap::Task(TaskRule::ResultType).into()));
    }
    // The options must be the lift's where lifting the result uses them (wasmtime's rule,
    // which the specification's tests follow: a `task.return` of no result needs no memory
    // even when its lift has one).
    let (memory, strings) = sig
        .params
        .iter()
        .fold((sig.params_spill, false), |(m, s), t| {
            let (tm, ts) = uses_memory(t);
            (m || tm, s || ts)
        });
    let memory_of = |o: &Opts| {
        o.memory
            .as_ref()
            .map(|m| m.memory.data_ptr(&*store) as usize)
    };
    if (strings && opts.encoding != task_fn.opts.encoding)
        || (memory && memory_of(opts) != memory_of(&task_fn.opts))
    {
        return Err(trap(Trap::Task(TaskRule::Options).into()));
    }
    let scope = store.data().rt.task_scope();
    let args: Vec<u64> = params
        .iter()
        .map(|v| match v {
            wasmtime::Val::I32(x) => *x as u32 as u64,
            wasmtime::Val::I64(x) => *x as u64,
            wasmtime::Val::F32(x) => u64::from(*x),
            wasmtime::Val::F64(x) => *x,
            _ => 0,
        })
        .collect();
    let values = {
        let source = SourceEncoding::Utf8;
        let mut cx = Cx::new(store, opts, instance, resources, scope, source);
        tether_abi::lift_flat_values(&mut cx, MAX_FLAT_PARAMS, &args, &sig.params).map_err(trap)?
    };
    store
        .data_mut()
        .rt
        .task_return(values)
        .map_err(|t: Fault| trap(t))
}

/// Whether lifting a value of type `ty` reads memory beyond its flat values (a string, a
/// list, a map inside), and whether it holds a string.
fn uses_memory(ty: &Type) -> (bool, bool) {
    let all = |tys: &mut dyn Iterator<Item = &Type>| {
        tys.fold((false, false), |(m, s), t| {
            let (tm, ts) = uses_memory(t);
            (m || tm, s || ts)
        })
    };
    match ty {
        Type::String => (true, true),
        Type::List(l) => (true, uses_memory(l.elem()).1),
        Type::Map(m) => (true, uses_memory(m.key()).1 || uses_memory(m.value()).1),
        Type::FixedList(l) => uses_memory(l.elem()),
        Type::Record(r) => all(&mut r.fields().iter().map(|(_, t)| t)),
        Type::Tuple(t) => all(&mut t.types().iter()),
        Type::Variant(v) => all(&mut v.cases().iter().filter_map(|(_, t)| t.as_ref())),
        Type::Option(o) => uses_memory(o.some()),
        Type::Result(r) => all(&mut r.ok().into_iter().chain(r.err())),
        _ => (false, false),
    }
}

/// Whether two element types of futures or streams, or their absence, are the same (as
/// [`same_type`]).
pub(crate) fn same_elem(a: Option<&Type>, a_res: &[u32], b: Option<&Type>, b_res: &[u32]) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_type(a, a_res, b, b_res),
        (None, None) => true,
        _ => false,
    }
}

/// Whether `a` (whose resource types are `a_res` in the store) and `b` (`b_res`) are the
/// same type: the same structure, and the same resource types where they name one.
fn same_type(a: &Type, a_res: &[u32], b: &Type, b_res: &[u32]) -> bool {
    let res = |r: &tether_abi::ResourceIndex, of: &[u32]| of.get(r.0 as usize).copied();
    let opt = |x: Option<&Type>, y: Option<&Type>| match (x, y) {
        (Some(x), Some(y)) => same_type(x, a_res, y, b_res),
        (None, None) => true,
        _ => false,
    };
    match (a, b) {
        (Type::Own(x), Type::Own(y)) | (Type::Borrow(x), Type::Borrow(y)) => {
            res(x, a_res).is_some() && res(x, a_res) == res(y, b_res)
        }
        (Type::List(x), Type::List(y)) => same_type(x.elem(), a_res, y.elem(), b_res),
        (Type::FixedList(x), Type::FixedList(y)) => {
            x.len() == y.len() && same_type(x.elem(), a_res, y.elem(), b_res)
        }
        (Type::Map(x), Type::Map(y)) => {
            same_type(x.key(), a_res, y.key(), b_res)
                && same_type(x.value(), a_res, y.value(), b_res)
        }
        (Type::Record(x), Type::Record(y)) => {
            x.fields().len() == y.fields().len()
                && x.fields()
                    .iter()
                    .zip(y.fields())
                    .all(|((n, s), (m, t))| n == m && same_type(s, a_res, t, b_res))
        }
        (Type::Tuple(x), Type::Tuple(y)) => {
            x.types().len() == y.types().len()
                && x.types()
                    .iter()
                    .zip(y.types())
                    .all(|(s, t)| same_type(s, a_res, t, b_res))
        }
        (Type::Variant(x), Type::Variant(y)) => {
            x.cases().len() == y.cases().len()
                && x.cases()
                    .iter()
                    .zip(y.cases())
                    .all(|((n, s), (m, t))| n == m && opt(s.as_ref(), t.as_ref()))
        }
        (Type::Option(x), Type::Option(y)) => same_type(x.some(), a_res, y.some(), b_res),
        (Type::Future(x), Type::Future(y)) | (Type::Stream(x), Type::Stream(y)) => {
            same_elem(x.elem(), a_res, y.elem(), b_res)
        }
        (Type::Result(x), Type::Result(y)) => opt(x.ok(), y.ok()) && opt(x.err(), y.err()),
        // Every other type holds no resource: the same structure is the same type.
        (a, b) => a == b,
    }
}
