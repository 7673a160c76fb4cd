//! `error-context` values of the async ABI (📝): immutable errors with a debug message,
//! shared by reference. Each instance that holds one has an entry for it in its handle table
//! (`Slot::ErrorContext`); passing one to another instance copies the handle, and the value
//! lives while a table entry names it or a call carries it from one instance to the next.

use std::sync::Arc;

use tether_abi::Fault;
#[cfg(test)]
use tether_abi::Trap;

use super::runtime::{InstanceId, Runtime, free_id};
use super::table::Slot;

/// One `error-context` value.
pub(crate) struct ErrorContext {
    message: Arc<str>,
    /// How many table entries name it.
    entries: u32,
    /// How many lifted copies are on their way to another instance.
    transit: u32,
}

impl Runtime {
    /// `error-context.new` in `instance` with `message`: its index in the instance's table.
    pub fn error_context_new(
        &mut self,
        instance: InstanceId,
        message: Arc<str>,
    ) -> Result<u32, Fault> {
        let id = free_id(&mut self.error_contexts)?;
        self.error_contexts[id as usize] = Some(ErrorContext {
            message,
            entries: 0,
            transit: 0,
        });
        let r = self.add_error_context_entry(instance, id);
        self.release_error_context(id);
        r
    }

    /// A new entry for error context `id` in `instance`'s table: its index.
    fn add_error_context_entry(&mut self, instance: InstanceId, id: u32) -> Result<u32, Fault> {
        let index = self.add_handle(instance, Slot::ErrorContext { id })?;
        if let Some(e) = self.error_contexts[id as usize].as_mut() {
            e.entries += 1;
        }
        Ok(index)
    }

    /// Frees error context `id` once nothing names it.
    fn release_error_context(&mut self, id: u32) {
        if self.error_contexts[id as usize]
            .as_ref()
            .is_some_and(|e| e.entries == 0 && e.transit == 0)
        {
            self.error_contexts[id as usize] = None;
        }
    }

    /// The debug message of the error context at `i` of `instance`
    /// (`error-context.debug-message`).
    pub fn error_context_message(&self, instance: InstanceId, i: u32) -> Result<Arc<str>, Fault> {
        let id = self.instances[instance as usize]
            .handles
            .get_error_context(i)?;
        Ok(self.error_contexts[id as usize]
            .as_ref()
            .map_or_else(|| Arc::from(""), |e| e.message.clone()))
    }

    /// `error-context.drop` of the entry at `i` of `instance`.
    pub fn error_context_drop(&mut self, instance: InstanceId, i: u32) -> Result<(), Fault> {
        self.check_may_leave(instance)?;
        let id = self.instances[instance as usize]
            .handles
            .get_error_context(i)?;
        self.instances[instance as usize].handles.remove_entry(i);
        if let Some(e) = self.error_contexts[id as usize].as_mut() {
            e.entries -= 1;
        }
        self.release_error_context(id);
        Ok(())
    }

    /// Lifts the error context at `i` of `instance`, which keeps its entry: its id, counted
    /// as in transit until it is lowered or dropped.
    pub fn lift_error_context(&mut self, instance: InstanceId, i: u32) -> Result<u32, Fault> {
        let id = self.instances[instance as usize]
            .handles
            .get_error_context(i)?;
        if let Some(e) = self.error_contexts[id as usize].as_mut() {
            e.transit += 1;
        }
        Ok(id)
    }

    /// Lowers error context `id`, in transit, into `instance`'s table: its index.
    pub fn lower_error_context(&mut self, instance: InstanceId, id: u32) -> Result<u32, Fault> {
        match self
            .error_contexts
            .get(id as usize)
            .and_then(Option::as_ref)
        {
            Some(e) if e.transit > 0 => {}
            _ => {
                return Err(Fault::host_value(
                    "an error-context that the runtime does not have in transit",
                ));
            }
        }
        let index = self.add_error_context_entry(instance, id)?;
        self.drop_error_context_transit(id);
        Ok(index)
    }

    /// A lifted error context that no guest will receive.
    pub fn drop_error_context_transit(&mut self, id: u32) {
        if let Some(Some(e)) = self.error_contexts.get_mut(id as usize)
            && e.transit > 0
        {
            e.transit -= 1;
            self.release_error_context(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_context_lives_while_an_entry_or_a_call_holds_it() {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let a = rt.new_instance(None);
        let b = rt.new_instance(None);
        let i = rt.error_context_new(a, Arc::from("boom")).unwrap();
        let id = rt.lift_error_context(a, i).unwrap();
        // The sender drops its entry before the receiver has it: the value lives on.
        rt.error_context_drop(a, i).unwrap();
        let j = rt.lower_error_context(b, id).unwrap();
        assert_eq!(&*rt.error_context_message(b, j).unwrap(), "boom");
        assert!(
            rt.lower_error_context(b, id).is_err(),
            "no longer in transit"
        );
        rt.error_context_drop(b, j).unwrap();
        assert!(rt.error_contexts.iter().all(Option::is_none), "freed");
        assert_eq!(
            rt.error_context_drop(b, j).unwrap_err().trap(),
            &Trap::UnknownHandle { index: j }
        );
    }
}
