//! Calls of the async ABI on the call layer: calling an `async`-typed function
//! ([`call_lifted_task`]: a synchronous lift of one, or an `async (callback ...)` lift and
//! its callback loop), an `async` lower of a callback lift whose callee may wait
//! ([`call_async_lowered`], which makes a subtask), and the event loop that resumes waiting
//! callback tasks ([`drive`]). The rules on task state live in `crate::state::task`.
//!
//! Tether runs this without fibers (stage 2 of `docs/async-plan.md`). A callback task that
//! waits has no core code on the stack: under an `async` lower it is *parked* and its caller
//! gets a subtask; under any other caller it waits *in place*, running the other parked
//! tasks from its own native frame until what it waits for has come, which is faithful to
//! the specification as long as no `async` lower is on the stack (whose caller would run
//! on meanwhile). What is not faithful that way is refused as `unsupported:`, and a wait that
//! nothing could ever end is a deadlock.

use std::sync::Arc;

use anyhow::Result;
use tether_abi::{SourceEncoding, TaskRule, Trap, Val};
use wasmtime::ValRaw;

use super::Wt;
use super::error::{from_core, poison, trap, unsupported_call};
use super::func_def::{LiftKind, LiftedFunc, Lowered};
use super::lift::{call_lifted_inner, lower_args};
use super::lower::lower_result_vals;
use crate::state::runtime::{InstanceId, LiftFrame};
use crate::state::task::{ParkedOn, TaskKind};
use crate::state::waitable::{CANCELLED_BEFORE_RETURNED, Event, NO_EVENT, STARTED};

/// The callback codes of an `async (callback ...)` lift, in the low four bits of what its
/// core function and its callback return.
const EXIT: u32 = 0;
const YIELD: u32 = 1;
const WAIT: u32 = 2;

/// The subtask of a task parked before its caller made it.
const NO_SUBTASK: u32 = u32::MAX;

/// The event `TASK_CANCELLED`: the task's caller cancelled it.
const TASK_CANCELLED: Event = (6, 0, 0);

/// What `subtask.cancel`'s `async` form returns while the subtask has not resolved.
const BLOCKED: u32 = u32::MAX;

/// How a parked task's result reaches its caller: lowered into the caller's memory by the
/// `async` lower that made the subtask.
pub(crate) type Deliver<T> = Box<dyn FnOnce(&mut Wt<'_, T>, Vec<Val>) -> Result<()> + Send + Sync>;

/// What the store keeps of a parked task beside its state (`Runtime::parked_tasks`, same
/// id): its function and where its result goes.
pub(crate) struct ParkedCall<T: 'static> {
    func: Arc<LiftedFunc>,
    deliver: Deliver<T>,
}

/// Where a callback task stands when its loop stops.
enum Outcome {
    /// It returned its result (in its task record, unless it returned before it was
    /// resumed), and exited, or waits parked with this id.
    Resolved(Option<u32>),
    /// It waits before returning, parked with this id.
    Parked(u32),
}

/// Calls a lifted function of an `async` type, or lifted with `async (callback ...)`: the
/// task path of [`call_lifted`](super::lift::call_lifted), with the same arguments. The
/// caller waits for the result.
pub(crate) fn call_lifted_task<T: 'static, R>(
    store: &mut Wt<'_, T>,
    f: &Arc<LiftedFunc>,
    caller: Option<InstanceId>,
    source: SourceEncoding,
    args: &[Val],
    on_results: impl FnOnce(&mut Wt<'_, T>, Vec<Val>) -> Result<R>,
) -> Result<R> {
    let frame = enter_task(store, f, caller)?;
    let scope = frame.scope;
    let r = if f.kind == LiftKind::Callback {
        start_callback(store, f, scope, source, args)
            .and_then(|packed| callback_loop(store, f, packed, None))
            .and_then(|outcome| match outcome {
                Outcome::Resolved(parked) => {
                    keep_resolved(store, parked, f);
                    take_result(store)
                }
                Outcome::Parked(_) => Err(anyhow::anyhow!(
                    "internal error: a task parked with no subtask to hold it"
                )),
            })
            .and_then(|results| on_results(store, results))
    } else {
        // A synchronous lift of an `async`-typed function: the core function returns the
        // results, as in a synchronous call, and the task has then returned.
        call_lifted_inner(store, f, scope, source, args, |store, results| {
            store.data_mut().rt.resolve_sync_task();
            on_results(store, results)
        })
    };
    leave_task(store, frame, r)
}

/// An `async` lower `l` of a callback-lifted `f` with the lifted `args`: the callee runs
/// until it returns or waits. Returns the core result: `RETURNED` once its result is in the
/// caller's memory (at `out_ptr`), or `STARTED` with the index of a new subtask in the
/// caller's table. With handles lent for the call (`lends`) the callee may not park: the
/// lends would have to outlive the call's frame.
pub(crate) fn call_async_lowered<T: 'static>(
    store: &mut Wt<'_, T>,
    f: &Arc<LiftedFunc>,
    l: &Arc<Lowered>,
    args: &[Val],
    out_ptr: Option<u32>,
    lends: bool,
) -> Result<u32> {
    let frame = enter_task(store, f, Some(l.instance))?;
    let park = (!lends).then_some(NO_SUBTASK);
    let source = super::lower::source_of(l.opts.encoding);
    let r = start_callback(store, f, frame.scope, source, args)
        .and_then(|packed| callback_loop(store, f, packed, park))
        .and_then(|outcome| match outcome {
            Outcome::Resolved(parked) => {
                keep_resolved(store, parked, f);
                let results = take_result(store)?;
                deliver_into(store, l, out_ptr, results)?;
                Ok(RETURNED)
            }
            Outcome::Parked(id) => {
                let rt = &mut store.data_mut().rt;
                let (subtask, index) = rt.new_subtask(l.instance).map_err(trap)?;
                rt.set_parked_subtask(id, subtask);
                let l = l.clone();
                let deliver: Deliver<T> =
                    Box::new(move |store, results| deliver_into(store, &l, out_ptr, results));
                keep_parked_call(store, id, f.clone(), deliver);
                Ok(STARTED | (index << 4))
            }
        });
    leave_task(store, frame, r)
}

/// The code an `async` lower returns when the callee returned before the call did.
const RETURNED: u32 = crate::state::waitable::RETURNED;

/// Lowers a callee's `results` into the memory of the caller of `async` lower `l`, at
/// `out_ptr`, in a scope of their own.
fn deliver_into<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    out_ptr: Option<u32>,
    results: Vec<Val>,
) -> Result<()> {
    let scope = store.data_mut().rt.push_scope();
    let r = lower_result_vals(store, l, Some(scope), out_ptr, &results);
    store.data_mut().rt.scopes.truncate(scope);
    r.map(|_| ())
}

/// Opens the frame and task of a call of `f` from `caller`: the instance is entered, and an
/// `async`-typed task starts if it need not wait (backpressure, another task holding the
/// instance, would make it wait: `unsupported:`).
fn enter_task<T>(
    store: &mut Wt<'_, T>,
    f: &Arc<LiftedFunc>,
    caller: Option<InstanceId>,
) -> Result<LiftFrame> {
    let rt = &mut store.data_mut().rt;
    let frame = rt.open_lift(f.instance, caller, true).map_err(trap)?;
    if rt.must_wait_to_enter(f.instance) {
        rt.close_lift(frame, None);
        return Err(unsupported_call(
            "an async-typed call that must wait to start (backpressure, or another task of the instance holds its exclusive lock)",
        ));
    }
    let kind = match f.kind {
        LiftKind::Callback => TaskKind::Callback,
        LiftKind::Sync | LiftKind::SyncAsyncTyped => TaskKind::Sync,
    };
    rt.begin_async_task(f.instance, caller, kind, frame.scope);
    store.data_mut().async_lifts.push(f.clone());
    Ok(frame)
}

/// Closes a frame of [`enter_task`] after the call's outcome `r`.
fn leave_task<T, R>(store: &mut Wt<'_, T>, frame: LiftFrame, r: Result<R>) -> Result<R> {
    store.data_mut().async_lifts.pop();
    store.data_mut().rt.close_lift(frame, poison(&r));
    r
}

/// Lowers `args` into callback-lifted `f` and calls its core function: the callback code it
/// returns.
fn start_callback<T>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    source: SourceEncoding,
    args: &[Val],
) -> Result<u32> {
    let mut buf = lower_args(store, f, scope, source, args, 1)?;
    // SAFETY: the validator checked that a callback lift's core function takes the flat
    // parameters (or one pointer) and returns one `i32`; the buffer holds the parameters
    // and has room for the result; the function belongs to this store.
    unsafe { f.core.call_unchecked(&mut *store, buf.as_mut_slice()) }.map_err(from_core)?;
    Ok(buf[0].get_u32())
}

/// Calls `f`'s callback with `event`: the callback code it returns.
fn call_callback<T>(store: &mut Wt<'_, T>, f: &LiftedFunc, (code, p1, p2): Event) -> Result<u32> {
    let Some(callback) = f.callback else {
        return Err(anyhow::anyhow!(
            "internal error: a callback lift without its callback"
        ));
    };
    let mut cb = [ValRaw::u32(code), ValRaw::u32(p1), ValRaw::u32(p2)];
    // SAFETY: the validator checked that a callback has type
    // `(func (param i32 i32 i32) (result i32))`; it belongs to this store.
    unsafe { callback.call_unchecked(&mut *store, &mut cb) }.map_err(from_core)?;
    Ok(cb[0].get_u32())
}

/// The result the task whose code ran last returned through `task.return`.
fn take_result<T>(store: &mut Wt<'_, T>) -> Result<Vec<Val>> {
    store
        .data_mut()
        .rt
        .take_result()
        .ok_or_else(|| anyhow::anyhow!("internal error: a resolved task without its result"))
}

/// The loop of a callback task in its open frame, from the code
/// `packed` its core function or callback returned: `EXIT` ends it; `YIELD` and `WAIT`
/// before the result park it when `park` says it may (the subtask its caller holds), and
/// otherwise wait in place; after the result, the task waits for good, never resumed.
fn callback_loop<T: 'static>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    mut packed: u32,
    park: Option<u32>,
) -> Result<Outcome> {
    loop {
        let rt = &mut store.data_mut().rt;
        let resolved = rt.task_resolved();
        let on = match packed & 0xf {
            EXIT if resolved => return Ok(Outcome::Resolved(None)),
            EXIT => return Err(trap(Trap::Task(TaskRule::NoResult).into())),
            YIELD => ParkedOn::Yield,
            WAIT => {
                let si = packed >> 4;
                rt.instances[f.instance as usize]
                    .handles
                    .get_set(si)
                    .map_err(trap)?;
                ParkedOn::Wait(si)
            }
            code => return Err(trap(Trap::CallbackCode { code }.into())),
        };
        if !resolved && rt.take_pending_cancel() {
            // A cancellation its caller asked for while it could not run: delivered at this
            // wait, at once.
            packed = call_callback(store, f, TASK_CANCELLED)?;
            continue;
        }
        if resolved || park.is_some() {
            if rt.task_holds_borrows() {
                return Err(unsupported_call(
                    "a callback task that waits while it holds borrowed handles (component-model async)",
                ));
            }
            // A task that returned waits for nobody: it parks, as one whose caller does not
            // wait for it does.
            let id = rt
                .park(on, park.unwrap_or(NO_SUBTASK))
                .ok_or_else(|| anyhow::anyhow!("internal error: no task to park"))?;
            return Ok(if resolved {
                Outcome::Resolved(Some(id))
            } else {
                Outcome::Parked(id)
            });
        }
        wait_in_place(store, f.instance, on, true)?;
        let event = event_of(store, f.instance, on)?;
        packed = call_callback(store, f, event)?;
    }
}

/// The task whose code runs now, of `instance`, waits on `on` with every task below it
/// waiting for it: the stack's tasks give back their instances (and the waiting task its
/// exclusive lock with `unlock`, when its callback loop waits), the parked tasks run until
/// its event has come (for `YIELD`, one round of them), and the stack takes its instances
/// back. Faithful to the specification only with no `async` lower on the stack, whose
/// caller would run on: that is `unsupported:`.
pub(crate) fn wait_in_place<T: 'static>(
    store: &mut Wt<'_, T>,
    instance: InstanceId,
    on: ParkedOn,
    unlock: bool,
) -> Result<()> {
    let rt = &mut store.data_mut().rt;
    if rt.async_lowers != 0 {
        return Err(unsupported_call(
            "a task that waits under an async-lowered call, whose caller would run on (stackful execution)",
        ));
    }
    if on != ParkedOn::Yield && rt.task_resolved() {
        return Err(unsupported_call(
            "a task that waits after returning its result, whose caller would run on (stackful execution)",
        ));
    }
    let from = rt.release_stack(unlock);
    rt.count_waiter(instance, on, true);
    let r = match on {
        ParkedOn::Yield => run_round(store),
        ParkedOn::Wait(si) => drive(store, |rt| rt.set_has_event(instance, si)),
        ParkedOn::End(id) => drive(store, |rt| rt.end_has_event(id)),
        ParkedOn::Subtask(id) => drive(store, |rt| rt.subtask_resolved(id)),
    };
    store.data_mut().rt.count_waiter(instance, on, false);
    if !store.data_mut().rt.retake_stack(unlock, from) {
        r?;
        return Err(anyhow::anyhow!(
            "internal error: a waiting task's instances were not given back"
        ));
    }
    r
}

/// The event a task of `instance` that waited on `on` receives.
fn event_of<T>(store: &mut Wt<'_, T>, instance: InstanceId, on: ParkedOn) -> Result<Event> {
    Ok(match on {
        ParkedOn::Yield | ParkedOn::End(_) | ParkedOn::Subtask(_) => NO_EVENT,
        ParkedOn::Wait(si) => store
            .data_mut()
            .rt
            .waitable_set_event(instance, si)
            .map_err(trap)?
            .unwrap_or(NO_EVENT),
    })
}

/// Runs, from the host, the parked tasks that can run, round after round until none can; a
/// round in which every task that ran had only yielded is the last (such a task could run
/// for ever).
pub(crate) fn run_pending<T: 'static>(store: &mut Wt<'_, T>) -> Result<()> {
    loop {
        let rt = &store.data().rt;
        let ready: Vec<u32> = (0..rt.parked_tasks.len() as u32)
            .filter(|&id| rt.parked_is_ready(id))
            .collect();
        if ready.is_empty() {
            return Ok(());
        }
        let only_yields = ready.iter().all(|&id| rt.parked_yields(id));
        for id in ready {
            if store.data().rt.parked_is_ready(id) {
                resume(store, id)?;
            }
        }
        if only_yields {
            return Ok(());
        }
    }
}

/// Resumes each parked task that can run now, once.
fn run_round<T: 'static>(store: &mut Wt<'_, T>) -> Result<()> {
    let n = store.data().rt.parked_tasks.len() as u32;
    for id in 0..n {
        let rt = &store.data().rt;
        if rt.ready_parked(id.wrapping_sub(1)) == Some(id) {
            resume(store, id)?;
        }
    }
    Ok(())
}

/// Runs parked tasks until `done` holds. Nothing able to run then is a deadlock, unless a
/// task that could run is kept from it by the frames on the stack, or a task that returned
/// waits (which the specification could run): those are `unsupported:`.
pub(crate) fn drive<T: 'static>(
    store: &mut Wt<'_, T>,
    done: impl Fn(&crate::state::runtime::Runtime) -> bool,
) -> Result<()> {
    let mut last = u32::MAX;
    loop {
        let rt = &store.data().rt;
        if done(rt) {
            return Ok(());
        }
        match rt.ready_parked(last) {
            Some(id) => {
                last = id;
                resume(store, id)?;
            }
            None if rt.blocked_parked() => {
                return Err(unsupported_call(
                    "waiting while the only tasks that could run are held by the frames on the stack (component-model async)",
                ));
            }
            None => return Err(trap(Trap::Deadlock.into())),
        }
    }
}

/// `subtask.cancel` of subtask `id` of `instance` (asked for and checked): its callee, a
/// parked task, receives `TASK_CANCELLED` now if it may run, otherwise at its next wait.
/// Returns the subtask's state once it resolved (`RETURNED` if the callee returned anyway,
/// `CANCELLED_BEFORE_RETURNED` if it called `task.cancel`), delivered to the caller; until
/// then the `async` form returns `BLOCKED` and the synchronous one waits in place.
pub(crate) fn cancel_subtask<T: 'static>(
    store: &mut Wt<'_, T>,
    instance: InstanceId,
    id: u32,
    async_: bool,
) -> Result<u32> {
    let rt = &mut store.data_mut().rt;
    if !rt.subtask_resolved(id) {
        let Some(callee) = rt.parked_of_subtask(id) else {
            return Err(unsupported_call(
                "cancelling a subtask whose callee runs on the stack (component-model async)",
            ));
        };
        if rt.request_cancel(callee, instance) {
            resume_with(store, callee, Some(instance))?;
        }
    }
    if !store.data().rt.subtask_resolved(id) {
        if async_ {
            return Ok(BLOCKED);
        }
        wait_in_place(store, instance, ParkedOn::Subtask(id), false)?;
    }
    store
        .data_mut()
        .rt
        .take_subtask_resolution(id)
        .ok_or_else(|| anyhow::anyhow!("internal error: a subtask resolved without its state"))
}

/// Resumes parked task `id`: enters its instance from the host, calls its callback with the
/// event it waited for, and runs its loop until it parks again or returns, when its result
/// goes to its caller and its subtask resolves.
fn resume<T: 'static>(store: &mut Wt<'_, T>, id: u32) -> Result<()> {
    resume_with(store, id, None)
}

/// [`resume`], or, with `cancelled_by` (the instance of its caller, which cancelled it),
/// entered from that instance with `TASK_CANCELLED` as the event.
fn resume_with<T: 'static>(
    store: &mut Wt<'_, T>,
    id: u32,
    cancelled_by: Option<InstanceId>,
) -> Result<()> {
    let Some((instance, call)) = take_parked_call(store, id) else {
        return Err(anyhow::anyhow!("internal error: no parked task {id}"));
    };
    let cancel = cancelled_by.is_some();
    let rt = &mut store.data_mut().rt;
    let frame = rt.open_lift(instance, cancelled_by, true).map_err(trap)?;
    let Some(parked) = rt.resume_parked(id, frame.scope) else {
        rt.close_lift(frame, None);
        return Err(anyhow::anyhow!("internal error: no parked task {id}"));
    };
    store.data_mut().async_lifts.push(call.func.clone());
    let r = (|| {
        let event = if cancel {
            TASK_CANCELLED
        } else {
            event_of(store, instance, parked.on)?
        };
        let packed = call_callback(store, &call.func, event)?;
        match callback_loop(store, &call.func, packed, Some(parked.subtask))? {
            Outcome::Parked(id) => keep_parked_call(store, id, call.func, call.deliver),
            // It had returned before: it only ran on.
            Outcome::Resolved(again) if parked.resolved => {
                if let Some(id) = again {
                    keep_parked_call(store, id, call.func, call.deliver);
                }
            }
            Outcome::Resolved(again) if store.data().rt.task_cancelled() => {
                let rt = &mut store.data_mut().rt;
                rt.subtask_resolve(parked.subtask, CANCELLED_BEFORE_RETURNED);
                keep_resolved(store, again, &call.func);
            }
            Outcome::Resolved(again) => {
                let results = take_result(store)?;
                (call.deliver)(store, results)?;
                store
                    .data_mut()
                    .rt
                    .subtask_resolve(parked.subtask, RETURNED);
                keep_resolved(store, again, &call.func);
            }
        }
        Ok(())
    })();
    leave_task(store, frame, r)
}

/// Keeps what resuming a task that returned and then parked (`parked`, if it did) needs:
/// its function; its result has gone already.
fn keep_resolved<T: 'static>(store: &mut Wt<'_, T>, parked: Option<u32>, f: &Arc<LiftedFunc>) {
    if let Some(id) = parked {
        keep_parked_call(store, id, f.clone(), Box::new(|_, _| Ok(())));
    }
}

/// Keeps what resuming parked task `id` needs beside its state.
fn keep_parked_call<T: 'static>(
    store: &mut Wt<'_, T>,
    id: u32,
    func: Arc<LiftedFunc>,
    deliver: Deliver<T>,
) {
    let calls = &mut store.data_mut().parked_calls;
    if calls.len() <= id as usize {
        calls.resize_with(id as usize + 1, || None);
    }
    calls[id as usize] = Some(ParkedCall { func, deliver });
}

/// Takes what resuming parked task `id` needs, with the task's instance.
fn take_parked_call<T: 'static>(
    store: &mut Wt<'_, T>,
    id: u32,
) -> Option<(InstanceId, ParkedCall<T>)> {
    let instance = store
        .data()
        .rt
        .parked_tasks
        .get(id as usize)?
        .as_ref()?
        .instance;
    let call = store.data_mut().parked_calls.get_mut(id as usize)?.take()?;
    Some((instance, call))
}
