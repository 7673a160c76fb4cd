//! Waitables and waitable sets of the async ABI, entries of an instance's handle table:
//! waitable sets (`Slot::WaitableSet`), made, polled, waited on and dropped by the
//! `waitable-set.*` built-ins; and subtasks (`Slot::Subtask`), the `async`-lowered calls
//! that did not return at once, which join sets (`waitable.join`), deliver one event when
//! their callee returns, and are dropped by `subtask.drop` once that event was delivered.
//!
//! The ends of futures and streams are waitables too (`super::copy`): a set delivers their
//! events as well. A subtask is made `STARTED`: Tether starts a call only once it can
//! run, so the arguments are always read when the call returns to its caller.

use tether_abi::{Fault, Trap};

use super::runtime::{InstanceId, Runtime, free_id};
use super::table::{Slot, Waitable};

/// An event a waitable set delivers: its code and two payloads (`EventCode`, `p1`, `p2`).
pub(crate) type Event = (u32, u32, u32);

/// `EventCode::NONE`: nothing happened.
pub(crate) const NO_EVENT: Event = (0, 0, 0);

/// `EventCode::SUBTASK`: a subtask progressed; the payloads are its index and state.
const SUBTASK_EVENT: u32 = 1;

/// `Subtask.State::STARTED`: the callee has its arguments and runs.
pub(crate) const STARTED: u32 = 1;

/// `Subtask.State::RETURNED`: the callee returned its result.
pub(crate) const RETURNED: u32 = 2;

/// `Subtask.State::CANCELLED_BEFORE_RETURNED`: the callee was cancelled (`task.cancel`).
pub(crate) const CANCELLED_BEFORE_RETURNED: u32 = 4;

/// One subtask: an `async`-lowered call under way, as its caller sees it.
pub(crate) struct Subtask {
    /// The caller's instance, whose table holds the subtask.
    instance: InstanceId,
    /// Its index in that table.
    index: u32,
    state: u32,
    /// Whether a progress event waits to be delivered.
    pending: bool,
    /// Whether the caller has been told that the callee returned (`deliver_resolve`).
    delivered: bool,
    /// The set it joined in the caller's table, 0 for none.
    wset: u32,
    /// Whether the caller asked to cancel it (`subtask.cancel`, once only).
    cancel_requested: bool,
}

impl Runtime {
    /// `waitable-set.new` in `instance`: a new, empty set in its handle table.
    pub fn waitable_set_new(&mut self, instance: InstanceId) -> Result<u32, Fault> {
        self.check_may_leave(instance)?;
        self.add_handle(
            instance,
            Slot::WaitableSet {
                elems: 0,
                waiting: 0,
            },
        )
    }

    /// `waitable-set.drop` of set `i` of `instance`: it must hold no waitable and have no
    /// waiter.
    pub fn waitable_set_drop(&mut self, instance: InstanceId, i: u32) -> Result<(), Fault> {
        self.check_may_leave(instance)?;
        let table = &mut self.instances[instance as usize].handles;
        match table.get_set(i)? {
            (_, waiting) if waiting != 0 => Err(Trap::WaitableSetInUse { waiters: true }.into()),
            (elems, _) if elems != 0 => Err(Trap::WaitableSetInUse { waiters: false }.into()),
            _ => table.remove_set(i),
        }
    }

    /// Whether set `si` of `instance` has an event to deliver (false if `si` names no set).
    pub fn set_has_event(&self, instance: InstanceId, si: u32) -> bool {
        self.subtasks
            .iter()
            .flatten()
            .any(|s| s.instance == instance && s.wset == si && s.pending)
            || self.end_event_in(instance, si).is_some()
    }

    /// Takes the event set `si` of `instance` has to deliver now, if any
    /// (`waitable-set.poll`, and the end of a wait): a subtask's progress, which, once it
    /// says the callee returned, lets the subtask be dropped.
    pub fn waitable_set_event(
        &mut self,
        instance: InstanceId,
        si: u32,
    ) -> Result<Option<Event>, Fault> {
        self.instances[instance as usize].handles.get_set(si)?;
        let Some(s) = self
            .subtasks
            .iter_mut()
            .flatten()
            .find(|s| s.instance == instance && s.wset == si && s.pending)
        else {
            return Ok(self
                .end_event_in(instance, si)
                .and_then(|id| self.take_end_event(id)));
        };
        s.pending = false;
        if s.state != STARTED {
            s.delivered = true;
        }
        Ok(Some((SUBTASK_EVENT, s.index, s.state)))
    }

    /// `waitable.join` of waitable `wi` to set `si` (0: to no set) in `instance`; the
    /// waitable leaves the set it was in.
    pub fn waitable_join(&mut self, instance: InstanceId, wi: u32, si: u32) -> Result<(), Fault> {
        self.check_may_leave(instance)?;
        let table = &mut self.instances[instance as usize].handles;
        let w = table.get_waitable(wi)?;
        if si != 0 {
            table.get_set(si)?;
        }
        match w {
            Waitable::Subtask(id) => self.move_to_set(instance, id, si),
            Waitable::End(id) => self.leave_set(id, si),
        }
        Ok(())
    }

    /// Moves subtask `id` of `instance` from its set to set `si` (0: none), keeping the
    /// sets' counts.
    fn move_to_set(&mut self, instance: InstanceId, id: u32, si: u32) {
        let Some(Some(s)) = self.subtasks.get_mut(id as usize) else {
            return;
        };
        let old = std::mem::replace(&mut s.wset, si);
        let table = &mut self.instances[instance as usize].handles;
        if old != 0
            && let Ok((elems, _)) = table.get_set_mut(old)
        {
            *elems -= 1;
        }
        if si != 0
            && let Ok((elems, _)) = table.get_set_mut(si)
        {
            *elems += 1;
        }
    }

    /// A new subtask in `instance`'s table, `STARTED`: its id and its index.
    pub fn new_subtask(&mut self, instance: InstanceId) -> Result<(u32, u32), Fault> {
        let id = free_id(&mut self.subtasks)?;
        let index = self.add_handle(instance, Slot::Subtask { id })?;
        self.subtasks[id as usize] = Some(Subtask {
            instance,
            index,
            state: STARTED,
            pending: false,
            delivered: false,
            wset: 0,
            cancel_requested: false,
        });
        Ok((id, index))
    }

    /// Subtask `id`'s callee returned (`RETURNED`) or was cancelled
    /// (`CANCELLED_BEFORE_RETURNED`): its caller has an event to receive.
    pub fn subtask_resolve(&mut self, id: u32, state: u32) {
        if let Some(Some(s)) = self.subtasks.get_mut(id as usize) {
            s.state = state;
            s.pending = true;
        }
    }

    /// Whether subtask `id`'s callee returned or was cancelled.
    pub fn subtask_resolved(&self, id: u32) -> bool {
        self.subtasks
            .get(id as usize)
            .and_then(Option::as_ref)
            .is_some_and(|s| s.state != STARTED)
    }

    /// Takes the resolution of subtask `id` as `subtask.cancel` returns it: its state, now
    /// delivered.
    pub fn take_subtask_resolution(&mut self, id: u32) -> Option<u32> {
        let s = self.subtasks.get_mut(id as usize)?.as_mut()?;
        if s.state == STARTED {
            return None;
        }
        s.pending = false;
        s.delivered = true;
        Some(s.state)
    }

    /// `subtask.drop` of subtask `i` of `instance`: only once its caller was told it
    /// returned.
    pub fn subtask_drop(&mut self, instance: InstanceId, i: u32) -> Result<(), Fault> {
        self.check_may_leave(instance)?;
        let id = self.instances[instance as usize].handles.get_subtask(i)?;
        if !self.subtasks[id as usize]
            .as_ref()
            .is_some_and(|s| s.delivered)
        {
            return Err(Trap::SubtaskUnresolved.into());
        }
        self.move_to_set(instance, id, 0);
        self.instances[instance as usize].handles.remove_entry(i);
        self.subtasks[id as usize] = None;
        Ok(())
    }

    /// The checks of `subtask.cancel` of subtask `i` of `instance` before a cancellation is
    /// requested: a subtask whose return was not delivered yet, not cancelled before, and, for
    /// the synchronous form (`sync`), in no waitable set, whose events the set would take.
    /// Records the request; returns the subtask's id.
    pub fn subtask_cancel_request(
        &mut self,
        instance: InstanceId,
        i: u32,
        sync: bool,
    ) -> Result<u32, Fault> {
        let id = self.instances[instance as usize].handles.get_subtask(i)?;
        let Some(s) = self.subtasks[id as usize].as_mut() else {
            return Err(Trap::UnknownHandle { index: i }.into());
        };
        if s.delivered {
            return Err(Trap::SubtaskResolved.into());
        }
        if s.cancel_requested {
            return Err(Trap::Task(tether_abi::TaskRule::CancelledTwice).into());
        }
        if sync && s.wset != 0 {
            return Err(Trap::WaitableInSet.into());
        }
        s.cancel_requested = true;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_live_in_the_handle_table_and_drop_when_empty() {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let i = rt.new_instance(None);
        let s = rt.waitable_set_new(i).unwrap();
        assert_eq!(s, 1, "the first entry of the table");
        assert_eq!(rt.waitable_set_event(i, s).unwrap(), None);
        // A resource handle is not a set, and a set is not a resource handle.
        let h = rt
            .add_handle(
                i,
                Slot::Own {
                    rt: 0,
                    rep: 5,
                    lends: 0,
                },
            )
            .unwrap();
        assert_eq!(
            rt.waitable_set_event(i, h).unwrap_err().trap(),
            &Trap::WrongKind {
                index: h,
                expected: "waitable set"
            }
        );
        assert_eq!(
            rt.instances[i as usize].handles.get(s).unwrap_err().trap(),
            &Trap::UnknownHandle { index: s }
        );
        assert_eq!(
            rt.waitable_join(i, h, s).unwrap_err().trap(),
            &Trap::WrongKind {
                index: h,
                expected: "waitable"
            }
        );
        assert_eq!(
            rt.waitable_join(i, 9, 0).unwrap_err().trap(),
            &Trap::UnknownHandle { index: 9 }
        );
        rt.waitable_set_drop(i, s).unwrap();
        assert_eq!(
            rt.waitable_set_drop(i, s).unwrap_err().trap(),
            &Trap::UnknownHandle { index: s }
        );
    }

    #[test]
    fn a_subtask_delivers_its_return_once_and_then_drops() {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let i = rt.new_instance(None);
        let (id, index) = rt.new_subtask(i).unwrap();
        let s = rt.waitable_set_new(i).unwrap();
        assert_eq!((index, s), (1, 2));
        rt.waitable_join(i, index, s).unwrap();
        assert_eq!(
            rt.waitable_set_drop(i, s).unwrap_err().trap(),
            &Trap::WaitableSetInUse { waiters: false }
        );
        assert_eq!(
            rt.subtask_drop(i, index).unwrap_err().trap(),
            &Trap::SubtaskUnresolved
        );
        assert!(!rt.set_has_event(i, s));
        rt.subtask_resolve(id, RETURNED);
        assert!(rt.set_has_event(i, s));
        assert_eq!(
            rt.subtask_drop(i, index).unwrap_err().trap(),
            &Trap::SubtaskUnresolved,
            "returned, but not told yet"
        );
        assert_eq!(
            rt.waitable_set_event(i, s).unwrap(),
            Some((SUBTASK_EVENT, index, RETURNED))
        );
        assert_eq!(rt.waitable_set_event(i, s).unwrap(), None, "delivered once");
        assert_eq!(
            rt.subtask_cancel_request(i, index, false)
                .unwrap_err()
                .trap(),
            &Trap::SubtaskResolved
        );
        rt.subtask_drop(i, index).unwrap();
        // Dropping the subtask took it out of its set.
        rt.waitable_set_drop(i, s).unwrap();
    }

    #[test]
    fn a_cancel_is_asked_once_and_refused_synchronously_for_a_subtask_in_a_set() {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let i = rt.new_instance(None);
        let (_, index) = rt.new_subtask(i).unwrap();
        let s = rt.waitable_set_new(i).unwrap();
        rt.waitable_join(i, index, s).unwrap();
        assert_eq!(
            rt.subtask_cancel_request(i, index, true)
                .unwrap_err()
                .trap(),
            &Trap::WaitableInSet
        );
        assert_eq!(
            rt.subtask_cancel_request(i, s, true).unwrap_err().trap(),
            &Trap::WrongKind {
                index: s,
                expected: "subtask"
            }
        );
        let id = rt.subtask_cancel_request(i, index, false).unwrap();
        assert_eq!(
            rt.subtask_cancel_request(i, index, false)
                .unwrap_err()
                .trap(),
            &Trap::Task(tether_abi::TaskRule::CancelledTwice)
        );
        assert!(!rt.subtask_resolved(id));
        assert_eq!(rt.take_subtask_resolution(id), None);
        rt.subtask_resolve(id, CANCELLED_BEFORE_RETURNED);
        assert_eq!(
            rt.take_subtask_resolution(id),
            Some(CANCELLED_BEFORE_RETURNED)
        );
        assert_eq!(rt.waitable_set_event(i, s).unwrap(), None, "delivered");
        rt.subtask_drop(i, index).unwrap();
    }

    #[test]
    fn the_built_ins_check_may_leave() {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let i = rt.new_instance(None);
        rt.instances[i as usize].may_leave = false;
        assert_eq!(
            rt.waitable_set_new(i).unwrap_err().trap(),
            &Trap::CannotLeave
        );
    }
}
