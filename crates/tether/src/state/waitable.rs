//! Waitable sets of the async ABI: entries of an instance's handle table
//! (`Slot::WaitableSet`), made, polled, waited on and dropped by the `waitable-set.*`
//! built-ins, and joined by waitables (`waitable.join`).
//!
//! No waitable exists yet (subtasks that outlive their call, stream and future ends come in
//! later stages of `docs/async-plan.md`), so every set is empty: polling one finds no event,
//! and waiting on one can only end when something else runs, which the call layer decides.

use tether_abi::{Fault, Trap};

use super::runtime::{InstanceId, Runtime};
use super::table::Slot;

/// An event a waitable set delivers: its code and two payloads (`EventCode`, `p1`, `p2`).
pub(crate) type Event = (u32, u32, u32);

/// `EventCode::NONE`: nothing happened.
pub(crate) const NO_EVENT: Event = (0, 0, 0);

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

    /// The event set `si` of `instance` has to deliver now, if any (`waitable-set.poll`,
    /// and the first step of waiting): none, as no set holds a waitable yet.
    pub fn waitable_set_event(
        &self,
        instance: InstanceId,
        si: u32,
    ) -> Result<Option<Event>, Fault> {
        let (elems, _) = self.instances[instance as usize].handles.get_set(si)?;
        debug_assert_eq!(elems, 0, "no waitable can join a set yet");
        Ok(None)
    }

    /// `waitable.join` of waitable `wi` to a set (or to none) in `instance`. The
    /// specification looks the waitable up before the set, and no waitable exists yet, so
    /// `wi` names none and the set is never looked at.
    pub fn waitable_join(&mut self, instance: InstanceId, wi: u32) -> Result<(), Fault> {
        self.check_may_leave(instance)?;
        Err(self.instances[instance as usize].handles.not_a_waitable(wi))
    }

    /// Whether any instance of the store has tasks that wait to be resumed: something other
    /// than the caller could still run.
    pub fn any_parked(&self) -> bool {
        self.instances.iter().any(|i| i.parked != 0)
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
        // Nothing can join a set yet.
        assert_eq!(
            rt.waitable_join(i, h).unwrap_err().trap(),
            &Trap::WrongKind {
                index: h,
                expected: "waitable"
            }
        );
        assert_eq!(
            rt.waitable_join(i, 9).unwrap_err().trap(),
            &Trap::UnknownHandle { index: 9 }
        );
        rt.waitable_set_drop(i, s).unwrap();
        assert_eq!(
            rt.waitable_set_drop(i, s).unwrap_err().trap(),
            &Trap::UnknownHandle { index: s }
        );
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
