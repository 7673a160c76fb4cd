//! Tasks: the state of one call of an `async`-typed function, or of any call that uses a
//! task's own state (its `context` slots), and the rules of the async ABI's task built-ins
//! on it (`task.return`, `context.get`/`set`, `backpressure.inc`/`dec`, whether a task may
//! block).
//!
//! A call of a function that is not `async`-typed needs no task record of its own: it
//! cannot block, it returns by returning, and its context slots start at zero. Such a call
//! gets a record only when its code sets a context slot ([`Runtime::context_set`]). The
//! record of a task lives while its call frame does: [`Runtime::close_lift`] ends it. A
//! built-in finds the task it runs for by the lift depth (`Runtime::depth`): the innermost
//! record, if it was made at the current depth. Core code runs only inside a lift of its own
//! instance, so that record is the calling instance's.
//!
//! What the specification lets a task do that Tether does not run yet (waiting, a subtask
//! that does not resolve at once, cancellation) is refused by the call layer as
//! `unsupported:`, before any of this state changes; see `docs/async-plan.md`.

use tether_abi::{Fault, TaskRule, Trap, Val};

use super::runtime::{InstanceId, Runtime};

/// How a task's function was lifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskKind {
    /// Without the `async` option: the task returns by returning from its core function.
    Sync,
    /// `async (callback ...)`: the task returns through `task.return`, and its core function
    /// and its callback return codes (`EXIT`, `YIELD`, `WAIT`).
    Callback,
}

/// What a parked task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParkedOn {
    /// Its callback returned `YIELD`: it may run again at once.
    Yield,
    /// Its callback returned `WAIT` on this set of its instance.
    Wait(u32),
    /// A synchronous read, write or cancel waits for this end's event (by id; only a task
    /// waiting in place waits on one).
    End(u32),
    /// A synchronous `subtask.cancel` waits for this subtask (by id) to resolve.
    Subtask(u32),
}

/// Where a task stands with a cancellation its caller asked for (`Task.State`'s
/// `PENDING_CANCEL` and `CANCEL_DELIVERED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cancel {
    None,
    /// Asked for, to be delivered at the task's next wait.
    Pending,
    /// Delivered (`TASK_CANCELLED`): the task may call `task.cancel`.
    Delivered,
}

/// A callback task that has not returned and waits with no core code on the stack, until
/// its callback is called again: its call returned to an `async` lower as a subtask.
pub(crate) struct Parked {
    pub instance: InstanceId,
    pub on: ParkedOn,
    storage: [u32; 2],
    /// The subtask its caller holds, which the task's return resolves.
    pub subtask: u32,
    /// Whether it returned its result before it waited (its caller has it; nothing waits
    /// for it).
    pub resolved: bool,
    /// A cancellation its caller asked for.
    pub cancel: Cancel,
}

/// One task: a call under way, as the async ABI's built-ins see it.
pub(crate) struct Task {
    pub instance: InstanceId,
    /// The instance the task's frame was entered from (`None`: the host).
    caller: Option<InstanceId>,
    /// The lift depth the task's core code runs at.
    depth: u32,
    /// Whether the task's function is `async`-typed (it may block).
    pub ft_async: bool,
    pub kind: TaskKind,
    /// Whether the task holds its instance's exclusive lock (an `async`-typed task that is
    /// not stackful holds it while its core code runs).
    exclusive: bool,
    /// Whether the task has returned its result (`task.return`, or its core function
    /// returned).
    pub resolved: bool,
    /// The two `context` slots, zero at the start.
    storage: [u32; 2],
    /// The call's scope, whose borrows must all be dropped before the task returns.
    scope: Option<usize>,
    /// The values `task.return` lifted, until the caller takes them.
    result: Option<Vec<Val>>,
    /// A cancellation its caller asked for.
    cancel: Cancel,
    /// Whether it resolved by `task.cancel` (with no result).
    cancelled: bool,
}

impl Runtime {
    /// Whether an `async`-typed task starting in `instance` would have to wait before its
    /// core code runs: the instance's backpressure is on, or another task holds the
    /// instance's exclusive lock and this one needs it (both kinds of lift Tether runs do).
    pub fn must_wait_to_enter(&self, instance: InstanceId) -> bool {
        let inst = &self.instances[instance as usize];
        inst.backpressure > 0 || inst.exclusive
    }

    /// Starts the task of an `async`-typed call into `instance`, just after its frame was
    /// opened (`open_lift`); the caller has checked [`must_wait_to_enter`](Self::must_wait_to_enter).
    /// The task takes the instance's exclusive lock, which [`close_lift`](Self::close_lift)
    /// gives back.
    pub fn begin_async_task(
        &mut self,
        instance: InstanceId,
        caller: Option<InstanceId>,
        kind: TaskKind,
        scope: Option<usize>,
    ) {
        debug_assert!(!self.must_wait_to_enter(instance));
        self.instances[instance as usize].exclusive = true;
        self.tasks.push(Task {
            instance,
            caller,
            depth: self.depth,
            ft_async: true,
            kind,
            exclusive: true,
            resolved: false,
            cancel: Cancel::None,
            cancelled: false,
            storage: [0; 2],
            scope,
            result: None,
        });
    }

    /// The task whose code runs now, if it has a record.
    #[inline]
    fn current_task(&self) -> Option<&Task> {
        self.tasks.last().filter(|t| t.depth == self.depth)
    }

    #[inline]
    fn current_task_mut(&mut self) -> Option<&mut Task> {
        let depth = self.depth;
        self.tasks.last_mut().filter(|t| t.depth == depth)
    }

    /// Ends the record of the task at the current depth, if there is one: called when its
    /// frame closes, whether the call returned or trapped.
    #[inline(always)]
    pub(super) fn end_task(&mut self) {
        // Synchronous calls have no record: one test of an empty list.
        if !self.tasks.is_empty() {
            self.end_task_cold();
        }
    }

    #[cold]
    #[inline(never)]
    fn end_task_cold(&mut self) {
        if self.tasks.last().is_some_and(|t| t.depth == self.depth)
            && let Some(task) = self.tasks.pop()
            && task.exclusive
        {
            self.instances[task.instance as usize].exclusive = false;
        }
    }

    /// Whether the task whose code runs now may block: its function is `async`-typed, or it
    /// has already returned its result (`may_block` in wasmtime, which the specification's
    /// tests follow). Code outside any task (a start function) may not.
    pub fn may_block(&self) -> bool {
        self.current_task()
            .is_some_and(|t| t.ft_async || t.resolved)
    }

    /// Traps unless the task whose code runs now may block.
    pub fn check_may_block(&self) -> Result<(), Fault> {
        if self.may_block() {
            Ok(())
        } else {
            Err(Trap::CannotBlock.into())
        }
    }

    /// The checks `task.return` and `task.cancel` (`builtin`) make before anything else:
    /// the task whose code runs now was lifted with `async`. Returns the task's kind.
    pub fn check_async_lift(&self, builtin: &'static str) -> Result<(), Fault> {
        match self.current_task() {
            Some(t) if t.kind == TaskKind::Callback => Ok(()),
            _ => Err(Trap::Task(TaskRule::NotAsyncLift { builtin }).into()),
        }
    }

    /// `task.return` with the values it lifted: the task has not returned yet and holds no
    /// borrow handed to it; the values wait for the caller ([`take_result`](Self::take_result)).
    pub fn task_return(&mut self, values: Vec<Val>) -> Result<(), Fault> {
        self.check_async_lift("task.return")?;
        let scope = match self.current_task() {
            Some(t) if t.resolved => return Err(Trap::Task(TaskRule::AlreadyResolved).into()),
            Some(t) => t.scope,
            None => None,
        };
        if scope.is_some_and(|s| self.scopes[s].borrows != 0) {
            return Err(Trap::BorrowsRemain.into());
        }
        if let Some(t) = self.current_task_mut() {
            t.resolved = true;
            t.result = Some(values);
        }
        Ok(())
    }

    /// `task.cancel`: Tether never delivers a cancellation yet, so after its guards it always
    /// traps.
    pub fn task_cancel(&mut self) -> Result<(), Fault> {
        self.check_async_lift("task.cancel")?;
        let holds_borrows = self.task_holds_borrows();
        let Some(t) = self.current_task_mut() else {
            return Err(Trap::Task(TaskRule::NotAsyncLift {
                builtin: "task.cancel",
            })
            .into());
        };
        if t.resolved {
            return Err(Trap::Task(TaskRule::AlreadyResolved).into());
        }
        if t.cancel != Cancel::Delivered {
            return Err(Trap::Task(TaskRule::NotCancelled).into());
        }
        if holds_borrows {
            return Err(Trap::BorrowsRemain.into());
        }
        t.resolved = true;
        t.cancelled = true;
        Ok(())
    }

    /// Whether the task whose code runs now resolved by `task.cancel`.
    pub fn task_cancelled(&self) -> bool {
        self.current_task().is_some_and(|t| t.cancelled)
    }

    /// Delivers the cancellation asked for the task whose code runs now, if one waits to be:
    /// true if the task is to receive `TASK_CANCELLED` now, at a wait.
    pub fn take_pending_cancel(&mut self) -> bool {
        match self.current_task_mut() {
            Some(t) if t.cancel == Cancel::Pending => {
                t.cancel = Cancel::Delivered;
                true
            }
            _ => false,
        }
    }

    /// The parked task that has not returned whose caller holds subtask `subtask`.
    pub fn parked_of_subtask(&self, subtask: u32) -> Option<u32> {
        self.parked_tasks
            .iter()
            .position(|p| {
                p.as_ref()
                    .is_some_and(|p| p.subtask == subtask && !p.resolved)
            })
            .map(|i| i as u32)
    }

    /// Asks parked task `id` to cancel, for its caller `caller`: delivered now (true: resume
    /// it from `caller` with `TASK_CANCELLED`) if it may run entered from there, otherwise at
    /// its next wait.
    pub fn request_cancel(&mut self, id: u32, caller: InstanceId) -> bool {
        let now = self.parked_tasks[id as usize].as_ref().is_some_and(|p| {
            self.check_enter(p.instance, Some(caller)).is_ok()
                && !self.instances[p.instance as usize].exclusive
        });
        if let Some(p) = self.parked_tasks[id as usize].as_mut() {
            p.cancel = if now {
                Cancel::Delivered
            } else {
                Cancel::Pending
            };
        }
        now
    }

    /// The call scope of the task whose code runs now, which its values are charged to.
    pub fn task_scope(&self) -> Option<usize> {
        self.current_task().and_then(|t| t.scope)
    }

    /// Whether the task whose code runs now has returned its result.
    pub fn task_resolved(&self) -> bool {
        self.current_task().is_some_and(|t| t.resolved)
    }

    /// The result the task whose code runs now returned through `task.return`, taken once.
    pub fn take_result(&mut self) -> Option<Vec<Val>> {
        self.current_task_mut().and_then(|t| t.result.take())
    }

    /// Marks the task whose code runs now as returned by its core function (a synchronous
    /// lift of an `async`-typed function): from then on it may block.
    pub fn resolve_sync_task(&mut self) {
        if let Some(t) = self.current_task_mut() {
            t.resolved = true;
        }
    }

    /// Parks the task whose code runs now, a callback task, to wait on `on`: for the caller
    /// of `subtask` if it has not returned, else for nobody. Its record ends with its frame,
    /// and the id returned resumes it ([`resume_parked`](Self::resume_parked)).
    pub fn park(&mut self, on: ParkedOn, subtask: u32) -> Option<u32> {
        let t = self.current_task()?;
        let parked = Parked {
            instance: t.instance,
            on,
            storage: t.storage,
            subtask,
            resolved: t.resolved,
            cancel: t.cancel,
        };
        self.count_waiter(parked.instance, on, true);
        let id = match self.parked_tasks.iter().position(Option::is_none) {
            Some(i) => {
                self.parked_tasks[i] = Some(parked);
                i
            }
            None => {
                self.parked_tasks.push(Some(parked));
                self.parked_tasks.len() - 1
            }
        };
        u32::try_from(id).ok()
    }

    /// Counts a task that starts (`add`) or stops waiting on `on` among its set's waiters,
    /// which keep the set from being dropped.
    pub fn count_waiter(&mut self, instance: InstanceId, on: ParkedOn, add: bool) {
        if let ParkedOn::Wait(si) = on
            && let Ok((_, waiting)) = self.instances[instance as usize].handles.get_set_mut(si)
        {
            *waiting = if add {
                waiting.saturating_add(1)
            } else {
                waiting.saturating_sub(1)
            };
        }
    }

    /// Links parked task `id` to the subtask its caller received.
    pub fn set_parked_subtask(&mut self, id: u32, subtask: u32) {
        if let Some(Some(p)) = self.parked_tasks.get_mut(id as usize) {
            p.subtask = subtask;
        }
    }

    /// Whether parked task `p` has what it waits for.
    fn parked_has_event(&self, p: &Parked) -> bool {
        match p.on {
            ParkedOn::Yield => true,
            ParkedOn::Wait(si) => self.set_has_event(p.instance, si),
            ParkedOn::End(id) => self.end_has_event(id),
            ParkedOn::Subtask(id) => self.subtask_resolved(id),
        }
    }

    /// Whether parked task `p` may run now: its instance may be entered from the host (no
    /// frame below holds it) and no other task holds its exclusive lock.
    fn parked_may_run(&self, p: &Parked) -> bool {
        self.check_enter(p.instance, None).is_ok() && !self.instances[p.instance as usize].exclusive
    }

    /// Whether parked task `id` can run now: what it waits for has come and it may enter.
    pub fn parked_is_ready(&self, id: u32) -> bool {
        self.parked_tasks
            .get(id as usize)
            .and_then(Option::as_ref)
            .is_some_and(|p| self.parked_has_event(p) && self.parked_may_run(p))
    }

    /// Whether parked task `id` only yielded (it can always run).
    pub fn parked_yields(&self, id: u32) -> bool {
        self.parked_tasks
            .get(id as usize)
            .and_then(Option::as_ref)
            .is_some_and(|p| p.on == ParkedOn::Yield)
    }

    /// A parked task that can run now, looking from just after id `after` round the list,
    /// so that tasks take turns.
    pub fn ready_parked(&self, after: u32) -> Option<u32> {
        let n = self.parked_tasks.len();
        (1..=n)
            .map(|k| (after as usize + k) % n)
            .find(|&i| {
                self.parked_tasks[i]
                    .as_ref()
                    .is_some_and(|p| self.parked_has_event(p) && self.parked_may_run(p))
            })
            .map(|i| i as u32)
    }

    /// Whether a parked task has what it waits for but cannot run because of the frames on
    /// the stack (its instance entered, or its lock held, below).
    pub fn blocked_parked(&self) -> bool {
        self.parked_tasks
            .iter()
            .flatten()
            .any(|p| self.parked_has_event(p) && !self.parked_may_run(p) && !self.dead(p.instance))
    }

    /// Whether `instance` or an instance it is nested in trapped: its tasks never run again.
    fn dead(&self, instance: InstanceId) -> bool {
        let mut cur = Some(instance);
        while let Some(i) = cur {
            let inst = &self.instances[i as usize];
            if inst.poisoned.is_some() {
                return true;
            }
            cur = inst.parent;
        }
        false
    }

    /// Resumes parked task `id` in the frame just opened for it: a task record with its
    /// context slots, holding its instance's exclusive lock. Returns what it waited on.
    pub fn resume_parked(&mut self, id: u32, scope: Option<usize>) -> Option<Parked> {
        let p = self.parked_tasks.get_mut(id as usize)?.take()?;
        self.count_waiter(p.instance, p.on, false);
        self.instances[p.instance as usize].exclusive = true;
        self.tasks.push(Task {
            instance: p.instance,
            caller: None,
            depth: self.depth,
            ft_async: true,
            kind: TaskKind::Callback,
            exclusive: true,
            resolved: p.resolved,
            cancel: p.cancel,
            cancelled: false,
            storage: p.storage,
            scope,
            result: None,
        });
        Some(p)
    }

    /// Lets other tasks run while the task whose code runs now waits in place, with every
    /// task below it on the stack waiting for the one above (a synchronous call of an
    /// `async`-typed function): each leaves its instance, as the specification's tasks do
    /// when they block, and the waiting task gives back its exclusive lock with `unlock`
    /// (its callback loop waits; code that waits inside a core call keeps it). Tasks an
    /// enclosing wait released already (below `released_tasks`) are left as they are.
    /// Returns what [`retake_stack`](Self::retake_stack) needs to undo it.
    pub fn release_stack(&mut self, unlock: bool) -> usize {
        if unlock && let Some(t) = self.current_task() {
            let i = t.instance as usize;
            self.instances[i].exclusive = false;
        }
        // Only `async`-typed tasks: a synchronous task's record (made for its context slots)
        // does not know its caller, and a synchronous task cannot be waiting below.
        let from = self.released_tasks;
        for k in (from..self.tasks.len()).rev() {
            let t = &self.tasks[k];
            if t.ft_async {
                let (instance, caller) = (t.instance, t.caller);
                self.leave(instance, caller, None);
            }
        }
        self.released_tasks = self.tasks.len();
        from
    }

    /// Enters again the instances [`release_stack`](Self::release_stack) let go (`from` is
    /// what it returned), and takes the waiting task's lock back with `unlock`; false if
    /// another task kept an instance or the lock.
    pub fn retake_stack(&mut self, unlock: bool, from: usize) -> bool {
        self.released_tasks = from;
        for k in from..self.tasks.len() {
            let t = &self.tasks[k];
            if t.ft_async {
                let (instance, caller) = (t.instance, t.caller);
                if self.enter(instance, caller).is_err() {
                    return false;
                }
            }
        }
        if unlock && let Some(t) = self.current_task() {
            let i = t.instance as usize;
            if self.instances[i].exclusive {
                return false;
            }
            self.instances[i].exclusive = true;
        }
        true
    }

    /// Whether the task whose code runs now holds borrows handed to it.
    pub fn task_holds_borrows(&self) -> bool {
        self.task_scope()
            .is_some_and(|s| self.scopes[s].borrows != 0)
    }

    /// Whether tasks of `instance` wait to be resumed: a task of it that may not block and
    /// tries to would, by the specification, let them run (or detect a deadlock), which
    /// needs cooperative threads.
    pub fn others_wait(&self, instance: InstanceId) -> bool {
        self.parked_tasks
            .iter()
            .flatten()
            .any(|p| p.instance == instance && p.resolved)
    }

    /// `context.get` of slot `i`: the task's slot, zero if the task never set one. `None`
    /// outside of any call (a start function).
    pub fn context_get(&self, i: usize) -> Option<u32> {
        if self.depth == 0 {
            return None;
        }
        Some(self.current_task().map_or(0, |t| t.storage[i]))
    }

    /// `context.set` of slot `i` of the task of `instance` whose code runs now, giving a
    /// synchronous task a record of its own if it has none. `None` outside of any call.
    pub fn context_set(&mut self, instance: InstanceId, i: usize, v: u32) -> Option<()> {
        if self.depth == 0 {
            return None;
        }
        if self.current_task().is_none() {
            self.tasks.push(Task {
                instance,
                caller: None,
                depth: self.depth,
                ft_async: false,
                kind: TaskKind::Sync,
                exclusive: false,
                resolved: false,
                cancel: Cancel::None,
                cancelled: false,
                storage: [0; 2],
                scope: None,
                result: None,
            });
        }
        if let Some(t) = self.current_task_mut() {
            t.storage[i] = v;
        }
        Some(())
    }

    /// `backpressure.inc` in `instance`.
    pub fn backpressure_inc(&mut self, instance: InstanceId) -> Result<(), Fault> {
        let bp = &mut self.instances[instance as usize].backpressure;
        *bp = bp
            .checked_add(1)
            .ok_or(Fault::from(Trap::Task(TaskRule::BackpressureOverflow)))?;
        Ok(())
    }

    /// `backpressure.dec` in `instance`.
    pub fn backpressure_dec(&mut self, instance: InstanceId) -> Result<(), Fault> {
        let bp = &mut self.instances[instance as usize].backpressure;
        *bp = bp
            .checked_sub(1)
            .ok_or(Fault::from(Trap::Task(TaskRule::BackpressureUnderflow)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime_with_instance() -> (Runtime, InstanceId) {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let i = rt.new_instance(None);
        rt.instances[i as usize].ready = true;
        (rt, i)
    }

    #[test]
    fn a_sync_task_may_not_block_and_an_async_one_may() {
        let (mut rt, i) = runtime_with_instance();
        assert!(!rt.may_block(), "outside of any call");
        let frame = rt.open_lift(i, None, false).unwrap();
        assert!(!rt.may_block(), "a sync-typed call");
        assert_eq!(rt.check_may_block().unwrap_err().trap(), &Trap::CannotBlock);
        rt.close_lift(frame, None);

        let frame = rt.open_lift(i, None, false).unwrap();
        assert!(!rt.must_wait_to_enter(i));
        rt.begin_async_task(i, None, TaskKind::Sync, None);
        assert!(rt.may_block());
        assert!(
            rt.must_wait_to_enter(i),
            "the task holds the exclusive lock"
        );
        rt.close_lift(frame, None);
        assert!(
            !rt.must_wait_to_enter(i),
            "closing the frame gave the lock back"
        );
        assert!(rt.tasks.is_empty());
    }

    #[test]
    fn task_return_needs_an_async_lift_and_works_once() {
        let (mut rt, i) = runtime_with_instance();
        let frame = rt.open_lift(i, None, false).unwrap();
        rt.begin_async_task(i, None, TaskKind::Sync, None);
        assert_eq!(
            rt.task_return(vec![]).unwrap_err().trap(),
            &Trap::Task(TaskRule::NotAsyncLift {
                builtin: "task.return"
            })
        );
        rt.close_lift(frame, None);

        let frame = rt.open_lift(i, None, true).unwrap();
        rt.begin_async_task(i, None, TaskKind::Callback, frame.scope);
        assert!(!rt.task_resolved());
        rt.task_return(vec![Val::U32(7)]).unwrap();
        assert!(rt.task_resolved());
        assert_eq!(
            rt.task_return(vec![]).unwrap_err().trap(),
            &Trap::Task(TaskRule::AlreadyResolved)
        );
        assert_eq!(rt.take_result(), Some(vec![Val::U32(7)]));
        assert_eq!(rt.take_result(), None);
        rt.close_lift(frame, None);
    }

    #[test]
    fn task_return_traps_while_borrows_remain() {
        let (mut rt, i) = runtime_with_instance();
        let frame = rt.open_lift(i, None, true).unwrap();
        rt.begin_async_task(i, None, TaskKind::Callback, frame.scope);
        rt.scopes[frame.scope.unwrap()].borrows = 1;
        assert_eq!(
            rt.task_return(vec![]).unwrap_err().trap(),
            &Trap::BorrowsRemain
        );
        rt.close_lift(frame, None);
    }

    #[test]
    fn context_slots_belong_to_the_task_and_start_at_zero() {
        let (mut rt, i) = runtime_with_instance();
        assert_eq!(rt.context_get(0), None, "outside of any call");
        let outer = rt.open_lift(i, None, false).unwrap();
        assert_eq!(rt.context_get(1), Some(0));
        rt.context_set(i, 1, 42).unwrap();
        assert_eq!(rt.context_get(1), Some(42));
        // A nested call (a destructor, say) has slots of its own.
        let (j, _) = (rt.new_instance(None), ());
        rt.instances[j as usize].ready = true;
        let inner = rt.open_lift(j, Some(i), false).unwrap();
        assert_eq!(rt.context_get(1), Some(0));
        rt.close_lift(inner, None);
        assert_eq!(rt.context_get(1), Some(42));
        rt.close_lift(outer, None);
        assert!(rt.tasks.is_empty());
    }

    #[test]
    fn a_waiting_stack_leaves_its_instances_and_takes_them_back() {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let root = rt.new_instance(None);
        let a = rt.new_instance(Some(root));
        let b = rt.new_instance(Some(root));
        let c = rt.new_instance(Some(root));
        for i in [root, a, b, c] {
            rt.instances[i as usize].ready = true;
        }
        // The host calls `a`, which calls `b` synchronously; `b` waits.
        let fa = rt.open_lift(a, None, false).unwrap();
        rt.begin_async_task(a, None, TaskKind::Sync, None);
        let fb = rt.open_lift(b, Some(a), false).unwrap();
        rt.begin_async_task(b, Some(a), TaskKind::Callback, None);
        assert!(rt.check_enter(a, None).is_err());
        let from = rt.release_stack(true);
        // Everything on the stack may be entered again, and `b`'s lock is free; `a`'s is not.
        assert!(rt.check_enter(a, None).is_ok() && rt.check_enter(b, None).is_ok());
        assert!(!rt.instances[b as usize].exclusive);
        assert!(rt.instances[a as usize].exclusive);
        // A task of `c` resumed meanwhile that waits in turn releases only itself.
        let fc = rt.open_lift(c, None, false).unwrap();
        rt.begin_async_task(c, None, TaskKind::Callback, None);
        assert!(rt.check_enter(a, None).is_err(), "`c` entered the root");
        let inner = rt.release_stack(true);
        assert!(rt.check_enter(a, None).is_ok() && rt.check_enter(c, None).is_ok());
        assert!(rt.retake_stack(true, inner));
        assert!(rt.check_enter(c, None).is_err());
        rt.close_lift(fc, None);
        assert!(
            rt.check_enter(a, None).is_ok(),
            "the stack below stays released"
        );
        assert!(rt.retake_stack(true, from));
        assert!(rt.check_enter(a, None).is_err() && rt.check_enter(b, Some(a)).is_err());
        assert!(rt.instances[b as usize].exclusive);
        rt.close_lift(fb, None);
        rt.close_lift(fa, None);
        assert!(rt.check_enter(a, None).is_ok());
        assert!(!rt.instances[a as usize].exclusive && !rt.instances[b as usize].exclusive);
    }

    #[test]
    fn a_parked_task_runs_when_its_instance_is_free_and_never_once_it_trapped() {
        let (mut rt, i) = runtime_with_instance();
        let frame = rt.open_lift(i, None, false).unwrap();
        rt.begin_async_task(i, None, TaskKind::Callback, None);
        let id = rt.park(ParkedOn::Yield, 0).unwrap();
        rt.close_lift(frame, None);
        assert_eq!(rt.ready_parked(u32::MAX), Some(id));
        // Entered (a frame below holds it): not ready, but kept out by the stack.
        let frame = rt.open_lift(i, None, false).unwrap();
        assert_eq!(rt.ready_parked(u32::MAX), None);
        assert!(rt.blocked_parked());
        rt.close_lift(frame, Some("trapped".into()));
        // Poisoned: it never runs again, and does not count as kept out.
        assert_eq!(rt.ready_parked(u32::MAX), None);
        assert!(!rt.blocked_parked());
    }

    #[test]
    fn backpressure_counts_within_sixteen_bits() {
        let (mut rt, i) = runtime_with_instance();
        assert_eq!(
            rt.backpressure_dec(i).unwrap_err().trap(),
            &Trap::Task(TaskRule::BackpressureUnderflow)
        );
        for _ in 0..u16::MAX {
            rt.backpressure_inc(i).unwrap();
        }
        assert!(rt.must_wait_to_enter(i));
        assert_eq!(
            rt.backpressure_inc(i).unwrap_err().trap(),
            &Trap::Task(TaskRule::BackpressureOverflow)
        );
        rt.backpressure_dec(i).unwrap();
    }
}
