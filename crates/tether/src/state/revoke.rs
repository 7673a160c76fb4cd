//! Revocation of host objects: the host takes back an object a guest holds.
//!
//! A revoked object is dropped (Rust's `Drop`) as soon as nothing needs it any more: at once
//! if it is in its slot, when the method call using it returns if it is lent out, and after
//! its children if it has any (revoking an object revokes its descendants, children first).
//! Its slot stays reserved, neither free nor usable, for as long as a handle names it: a
//! guest's handle keeps its index and a host's handle its generation, so every later use
//! fails as revoked rather than reaching another object, and dropping the handle releases
//! the slot.
//!
//! An object may also be given a deadline, after which it is revoked. Nothing reaches a
//! store from another thread, so deadlines are checked when a guest uses a handle to a host
//! object and when the store is entered; one test of `next_deadline` is all that costs while
//! no deadline is set.

use std::time::Instant;

use tether_abi::HandleError;

use super::objects::{HostObjects, ObjState};

impl HostObjects {
    /// Revokes the live object at `index` of `generation`, with its descendants. Revoking an
    /// object already revoked does nothing.
    pub fn revoke(&mut self, index: u32, generation: u32) -> Result<(), HandleError> {
        let s = self.slot(index, generation)?;
        if s.state.is_revoked() {
            return Ok(());
        }
        self.revoke_all(&[index]);
        Ok(())
    }

    /// Revokes the live objects among `roots` (slot indices) and their descendants, and
    /// returns how many objects that revoked.
    pub fn revoke_all(&mut self, roots: &[u32]) -> usize {
        let n = self.slots.len();
        let mut marked = vec![false; n];
        let mut order = Vec::new();
        for &i in roots {
            if let Some(s) = self.slots.get(i as usize)
                && s.state.is_live()
                && !marked[i as usize]
            {
                marked[i as usize] = true;
                order.push(i);
            }
        }
        // Descendants: a pass adds every live object whose parent is marked, after that
        // parent, so `order` lists parents before their children; passes repeat while one
        // finds more (as many as the tree is deep).
        loop {
            let before = order.len();
            for (i, s) in self.slots.iter().enumerate() {
                if !marked[i]
                    && s.state.is_live()
                    && s.parent
                        .is_some_and(|p| marked.get(p as usize).copied().unwrap_or(false))
                {
                    marked[i] = true;
                    order.push(i as u32);
                }
            }
            if order.len() == before {
                break;
            }
        }
        for &i in &order {
            let s = &mut self.slots[i as usize];
            s.state = match s.state {
                ObjState::InUse => ObjState::InUseRevoked,
                _ => ObjState::Revoking,
            };
        }
        // Children first: dropping one lets its parent go once it has no other.
        for &i in order.iter().rev() {
            self.finish_revoking(i);
        }
        self.deadlines
            .retain(|&(i, g, _)| self.slots[i as usize].generation == g && !marked[i as usize]);
        self.next_deadline = self.deadlines.iter().map(|d| d.2).min();
        order.len()
    }

    /// Drops the revoked object at `index` if nothing keeps it any more (it is in its slot
    /// and has no children), then does the same for its parent, which it no longer keeps.
    #[cold]
    #[inline(never)]
    pub(super) fn finish_revoking(&mut self, mut index: u32) {
        loop {
            let Some(s) = self.slots.get_mut(index as usize) else {
                return;
            };
            if s.state != ObjState::Revoking || s.children != 0 {
                return;
            }
            let parent = s.parent.take();
            if s.owner_gone {
                s.owner_gone = false;
                s.state = ObjState::Free;
                s.generation = s.generation.wrapping_add(1);
                self.free.push(index);
            } else {
                s.state = ObjState::Revoked;
            }
            self.live -= 1;
            if let Some(p) = parent
                && let Some(p) = self.slots.get_mut(p as usize)
            {
                p.children = p.children.saturating_sub(1);
            }
            // The table is consistent before the value is dropped (its `Drop` cannot reach
            // the table, but may panic). The emptied allocation stays for the next object.
            if let Some(o) = self.slots[index as usize].object.as_deref_mut() {
                o.clear();
            }
            match parent {
                Some(p) => index = p,
                None => return,
            }
        }
    }

    /// The owner of the revoked object at `index` lets go of it (a guest drops its handle,
    /// or the host takes or deletes it): its slot is freed, now if the object is gone, else
    /// when it goes. Returns the error that a use of the handle meets.
    #[cold]
    #[inline(never)]
    pub(crate) fn release_revoked(&mut self, index: u32) -> HandleError {
        if let Some(s) = self.slots.get_mut(index as usize) {
            match s.state {
                ObjState::Revoked => {
                    s.state = ObjState::Free;
                    s.generation = s.generation.wrapping_add(1);
                    self.free.push(index);
                }
                ObjState::Revoking | ObjState::InUseRevoked => s.owner_gone = true,
                _ => {}
            }
        }
        HandleError::Revoked { index }
    }

    /// Revokes the live object at `index` of `generation` at `at`, or at the first check
    /// after it.
    pub fn revoke_at(
        &mut self,
        index: u32,
        generation: u32,
        at: Instant,
    ) -> Result<(), HandleError> {
        self.check_live(index, generation)?;
        self.deadlines.push((index, generation, at));
        self.next_deadline = Some(self.next_deadline.map_or(at, |n| n.min(at)));
        Ok(())
    }

    /// Revokes every object whose deadline has passed.
    #[inline]
    pub fn expire_due(&mut self) {
        if self.next_deadline.is_some() {
            self.expire_now();
        }
    }

    #[cold]
    #[inline(never)]
    fn expire_now(&mut self) {
        let now = Instant::now();
        if self.next_deadline.is_some_and(|n| now < n) {
            return;
        }
        let mut due = Vec::new();
        self.deadlines.retain(|&(i, g, at)| {
            if at > now {
                return true;
            }
            due.push((i, g));
            false
        });
        let roots: Vec<u32> = due
            .into_iter()
            .filter(|&(i, g)| self.check_live(i, g).is_ok())
            .map(|(i, _)| i)
            .collect();
        self.next_deadline = self.deadlines.iter().map(|d| d.2).min();
        self.revoke_all(&roots);
    }

    /// How many slots hold a revoked object a handle still names.
    #[cfg(test)]
    pub fn revoked(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state == ObjState::Revoked)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::objects::object_ref;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops, in order.
    struct Noted(u32, Arc<std::sync::Mutex<Vec<u32>>>);
    impl Drop for Noted {
        fn drop(&mut self) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    fn log() -> Arc<std::sync::Mutex<Vec<u32>>> {
        Arc::default()
    }

    #[test]
    fn a_revoked_object_is_dropped_at_once_and_its_slot_kept_until_released() {
        let drops = log();
        let mut o = HostObjects::new(10);
        let (i, g) = o.insert(1, Noted(1, drops.clone()), None).unwrap();
        o.revoke(i, g).unwrap();
        assert_eq!(*drops.lock().unwrap(), [1]);
        assert_eq!((o.live(), o.revoked()), (0, 1));
        assert_eq!(o.generation(i), None);
        assert!(o.is_revoked(i));
        assert_eq!(o.get(i, g).err(), Some(HandleError::Revoked { index: i }));
        assert_eq!(
            o.lend_live(i).err(),
            Some(HandleError::Revoked { index: i })
        );
        // A new object does not take the slot while a handle names it.
        let (j, _) = o.insert(1, Noted(2, drops.clone()), None).unwrap();
        assert_ne!(i, j);
        assert_eq!(
            o.remove_live(i, |x| x.clear()).err(),
            Some(HandleError::Revoked { index: i })
        );
        assert_eq!(o.revoked(), 0);
        let (k, h) = o.insert(1, 7u8, None).unwrap();
        assert_eq!((k, h), (i, g + 1));
    }

    #[test]
    fn an_object_lent_out_is_dropped_when_it_is_given_back() {
        let drops = log();
        let mut o = HostObjects::new(10);
        let (i, g) = o.insert(1, Noted(1, drops.clone()), None).unwrap();
        let lent = o.lend(i, g).unwrap();
        o.revoke(i, g).unwrap();
        assert!(drops.lock().unwrap().is_empty(), "the method still has it");
        assert_eq!(o.generation(i), None);
        o.give_back(i, lent);
        assert_eq!(*drops.lock().unwrap(), [1]);
        assert_eq!(o.revoked(), 1);
    }

    #[test]
    fn revoking_a_parent_drops_its_children_first() {
        let drops = log();
        let mut o = HostObjects::new(10);
        let (p, pg) = o.insert(1, Noted(1, drops.clone()), None).unwrap();
        let (c, _) = o.insert(1, Noted(2, drops.clone()), Some(p)).unwrap();
        let (_, _) = o.insert(1, Noted(3, drops.clone()), Some(c)).unwrap();
        let (_, _) = o.insert(1, Noted(4, drops.clone()), None).unwrap();
        o.revoke(p, pg).unwrap();
        assert_eq!(*drops.lock().unwrap(), [3, 2, 1]);
        assert_eq!((o.live(), o.revoked()), (1, 3));
    }

    #[test]
    fn a_parent_waits_for_a_child_a_method_is_using() {
        let drops = log();
        let mut o = HostObjects::new(10);
        let (p, pg) = o.insert(1, Noted(1, drops.clone()), None).unwrap();
        let (c, cg) = o.insert(1, Noted(2, drops.clone()), Some(p)).unwrap();
        let lent = o.lend(c, cg).unwrap();
        o.revoke(p, pg).unwrap();
        assert!(drops.lock().unwrap().is_empty());
        // The parent's owner lets go meanwhile: its slot goes with it.
        assert_eq!(
            o.remove_live(p, |x| x.clear()).err(),
            Some(HandleError::Revoked { index: p })
        );
        o.give_back(c, lent);
        assert_eq!(*drops.lock().unwrap(), [2, 1]);
        assert_eq!(o.revoked(), 1, "the child's handle is still out");
        let (q, _) = o.insert(1, 0u8, None).unwrap();
        assert_eq!(q, p, "the parent's slot is free again");
    }

    #[test]
    fn an_object_expires_at_its_deadline_when_checked() {
        let count = Arc::new(AtomicUsize::new(0));
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let mut o = HostObjects::new(10);
        let (i, g) = o.insert(1, Counted(count.clone()), None).unwrap();
        let (j, h) = o.insert(1, Counted(count.clone()), None).unwrap();
        let now = Instant::now();
        o.revoke_at(i, g, now).unwrap();
        o.revoke_at(j, h, now + std::time::Duration::from_secs(3600))
            .unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 0, "nothing checked yet");
        assert_eq!(o.generation(i), None);
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert_eq!(o.generation(j), Some(h));
        assert!(o.next_deadline.is_some());
        assert!(object_ref::<Counted>(o.get(j, h).unwrap()).is_some());
    }
}
