//! One component instance's handle table, exactly the specification's: slot 0 is reserved,
//! freed slots are reused last-in-first-out, and indices carry no generation, so a guest
//! index whose slot was reused refers to the new resource, as the specification says.

use tether_abi::{Fault, MAX_HANDLES, Trap};

#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    Free {
        next: u32,
    },
    Own {
        rt: u32,
        rep: u32,
        lends: u32,
    },
    Borrow {
        rt: u32,
        rep: u32,
        scope: u32,
    },
    /// A waitable set of the async ABI: how many waitables it holds, and how many tasks
    /// wait on it.
    WaitableSet {
        elems: u32,
        waiting: u32,
    },
    /// A subtask of the async ABI: an `async`-lowered call that did not return at once, by
    /// index into `Runtime::subtasks`.
    Subtask {
        id: u32,
    },
    /// One end of a future or stream of the async ABI, by index into `Runtime::ends`.
    End {
        id: u32,
    },
    /// An `error-context`, by index into `Runtime::error_contexts`.
    ErrorContext {
        id: u32,
    },
}

/// A waitable entry of a handle table: a subtask or a future's or stream's end, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waitable {
    Subtask(u32),
    End(u32),
}

/// One component instance's handles.
pub(crate) struct HandleTable {
    slots: Vec<Slot>,
    /// The most recently freed slot, or 0 when none is free.
    free: u32,
    /// How many slots hold a handle.
    live: u32,
}

impl HandleTable {
    pub fn new() -> HandleTable {
        HandleTable {
            slots: vec![Slot::Free { next: 0 }],
            free: 0,
            live: 0,
        }
    }

    /// Adds a handle; `cap` is the most slots the table may have.
    #[inline]
    pub fn add(&mut self, slot: Slot, cap: u32) -> Result<u32, Fault> {
        if self.free != 0 {
            let i = self.free;
            let Slot::Free { next } = self.slots[i as usize] else {
                unreachable!("free list entry is free")
            };
            self.free = next;
            self.slots[i as usize] = slot;
            self.live += 1;
            return Ok(i);
        }
        let i = self.slots.len() as u32;
        if i > MAX_HANDLES || i >= cap {
            return Err(table_full(cap));
        }
        self.slots.push(slot);
        self.live += 1;
        Ok(i)
    }

    #[inline]
    pub fn get(&self, i: u32) -> Result<Slot, Fault> {
        match self.slots.get(i as usize) {
            Some(s @ (Slot::Own { .. } | Slot::Borrow { .. })) => Ok(*s),
            _ => Err(unknown_handle(i)),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, i: u32) -> Result<&mut Slot, Fault> {
        match self.slots.get_mut(i as usize) {
            Some(s @ (Slot::Own { .. } | Slot::Borrow { .. })) => Ok(s),
            _ => Err(unknown_handle(i)),
        }
    }

    #[inline]
    pub fn remove(&mut self, i: u32) -> Result<Slot, Fault> {
        let slot = self.get(i)?;
        self.slots[i as usize] = Slot::Free { next: self.free };
        self.free = i;
        self.live -= 1;
        Ok(slot)
    }

    /// The waitable set at `i`: `(elems, waiting)`.
    pub fn get_set(&self, i: u32) -> Result<(u32, u32), Fault> {
        match self.slots.get(i as usize) {
            Some(Slot::WaitableSet { elems, waiting }) => Ok((*elems, *waiting)),
            Some(Slot::Free { .. }) | None => Err(unknown_handle(i)),
            Some(_) => Err(wrong_kind(i, "waitable set")),
        }
    }

    /// The counts of the waitable set at `i`, to change.
    pub fn get_set_mut(&mut self, i: u32) -> Result<(&mut u32, &mut u32), Fault> {
        match self.slots.get_mut(i as usize) {
            Some(Slot::WaitableSet { elems, waiting }) => Ok((elems, waiting)),
            Some(Slot::Free { .. }) | None => Err(unknown_handle(i)),
            Some(_) => Err(wrong_kind(i, "waitable set")),
        }
    }

    /// The waitable at `i`.
    pub fn get_waitable(&self, i: u32) -> Result<Waitable, Fault> {
        match self.slots.get(i as usize) {
            Some(Slot::Subtask { id }) => Ok(Waitable::Subtask(*id)),
            Some(Slot::End { id }) => Ok(Waitable::End(*id)),
            Some(Slot::Free { .. }) | None => Err(unknown_handle(i)),
            Some(_) => Err(wrong_kind(i, "waitable")),
        }
    }

    /// The subtask at `i`: its id.
    pub fn get_subtask(&self, i: u32) -> Result<u32, Fault> {
        match self.slots.get(i as usize) {
            Some(Slot::Subtask { id }) => Ok(*id),
            Some(Slot::Free { .. }) | None => Err(unknown_handle(i)),
            Some(_) => Err(wrong_kind(i, "subtask")),
        }
    }

    /// The future's or stream's end at `i`: its id.
    pub fn get_end(&self, i: u32) -> Result<u32, Fault> {
        match self.slots.get(i as usize) {
            Some(Slot::End { id }) => Ok(*id),
            Some(Slot::Free { .. }) | None => Err(unknown_handle(i)),
            Some(_) => Err(wrong_kind(i, "future or stream end")),
        }
    }

    /// The `error-context` at `i`: its id.
    pub fn get_error_context(&self, i: u32) -> Result<u32, Fault> {
        match self.slots.get(i as usize) {
            Some(Slot::ErrorContext { id }) => Ok(*id),
            Some(Slot::Free { .. }) | None => Err(unknown_handle(i)),
            Some(_) => Err(wrong_kind(i, "error-context")),
        }
    }

    /// Removes the entry at `i`, a waitable set, subtask, end or error context (checked by
    /// the caller).
    pub fn remove_entry(&mut self, i: u32) {
        self.slots[i as usize] = Slot::Free { next: self.free };
        self.free = i;
        self.live -= 1;
    }

    /// Removes the waitable set at `i`.
    pub fn remove_set(&mut self, i: u32) -> Result<(), Fault> {
        self.get_set(i)?;
        self.remove_entry(i);
        Ok(())
    }

    /// The slots that hold a handle.
    pub fn handles(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Own { .. } | Slot::Borrow { .. }))
    }

    /// The slots that hold a handle, with their indices.
    pub fn indexed(&self) -> impl Iterator<Item = (u32, &Slot)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Slot::Own { .. } | Slot::Borrow { .. }))
            .map(|(i, s)| (i as u32, s))
    }

    /// How many slots hold a handle.
    pub fn live(&self) -> u32 {
        self.live
    }

    /// How many slots the table has, free or not, slot 0 included.
    pub fn len(&self) -> usize {
        self.slots.len()
    }
}

#[cold]
fn table_full(cap: u32) -> Fault {
    if cap > MAX_HANDLES {
        Fault::from(Trap::HandleTableFull)
    } else {
        Fault::from(Trap::HandleLimit { cap })
    }
}

#[cold]
fn wrong_kind(index: u32, expected: &'static str) -> Fault {
    Fault::from(Trap::WrongKind { index, expected })
}

#[cold]
fn unknown_handle(i: u32) -> Fault {
    Fault::from(Trap::UnknownHandle { index: i })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(rep: u32) -> Slot {
        Slot::Own {
            rt: 0,
            rep,
            lends: 0,
        }
    }

    #[test]
    fn slot_zero_is_reserved_and_freed_slots_are_reused_last_in_first_out() {
        let mut t = HandleTable::new();
        assert_eq!(t.add(own(10), 100).unwrap(), 1);
        assert_eq!(t.add(own(11), 100).unwrap(), 2);
        assert_eq!(t.add(own(12), 100).unwrap(), 3);
        t.remove(1).unwrap();
        t.remove(3).unwrap();
        assert_eq!(t.live(), 1);
        assert_eq!(t.add(own(13), 100).unwrap(), 3);
        assert_eq!(t.add(own(14), 100).unwrap(), 1);
        assert_eq!(t.add(own(15), 100).unwrap(), 4);
        assert!(matches!(t.get(1).unwrap(), Slot::Own { rep: 14, .. }));
    }

    #[test]
    fn a_free_or_reserved_index_is_an_unknown_handle() {
        let mut t = HandleTable::new();
        for i in [0, 1, u32::MAX] {
            assert_eq!(
                t.get(i).unwrap_err().trap(),
                &Trap::UnknownHandle { index: i }
            );
        }
        t.add(own(1), 100).unwrap();
        t.remove(1).unwrap();
        assert_eq!(
            t.remove(1).unwrap_err().trap(),
            &Trap::UnknownHandle { index: 1 }
        );
    }

    #[test]
    fn the_limit_counts_slot_zero() {
        let mut t = HandleTable::new();
        for _ in 0..3 {
            t.add(own(1), 4).unwrap();
        }
        assert_eq!(
            t.add(own(1), 4).unwrap_err().trap(),
            &Trap::HandleLimit { cap: 4 }
        );
        // A freed slot is reused under the limit.
        t.remove(2).unwrap();
        assert_eq!(t.add(own(1), 4).unwrap(), 2);
        assert_eq!(t.len(), 4);
    }
}
