//! Host objects: the Rust values a store owns on behalf of guests, in slots with generations
//! (see `crate::host` for the typed handles `Own` and `Borrow` over them).
//!
//! A slot is free, present, or in use (its object lent out to a method call under way). A
//! handle names a slot and its generation: once the object is gone the generation moves on,
//! and the handle is stale, never another object.

use std::any::Any;

use anyhow::Result;
use tether_abi::{HandleError, Trap};

/// A host object as its slot holds it: the value inside an `Option`, so that the allocation
/// can outlive the value and serve the next object of the same type that takes the slot
/// (creating and dropping objects in a loop then allocates nothing).
pub(crate) trait Object: Any + Send {
    /// Drops the value, leaving the allocation empty.
    fn clear(&mut self);
    /// Moves the value out into a box of its own (for destructor callbacks).
    fn take_boxed(&mut self) -> Option<Box<dyn Any + Send>>;
    /// The value, for reports.
    fn value(&self) -> Option<&(dyn Any + Send)>;
}

impl<R: Send + 'static> Object for Option<R> {
    fn clear(&mut self) {
        *self = None;
    }

    fn take_boxed(&mut self) -> Option<Box<dyn Any + Send>> {
        self.take().map(|r| Box::new(r) as Box<dyn Any + Send>)
    }

    fn value(&self) -> Option<&(dyn Any + Send)> {
        self.as_ref().map(|r| r as &(dyn Any + Send))
    }
}

/// The value of type `R` of a host object, if it is one.
#[inline]
pub(crate) fn object_ref<R: 'static>(o: &dyn Object) -> Option<&R> {
    let any: &dyn Any = o;
    any.downcast_ref::<Option<R>>()?.as_ref()
}

/// The value of type `R` of a host object, mutably, if it is one.
#[inline]
pub(crate) fn object_mut<R: 'static>(o: &mut dyn Object) -> Option<&mut R> {
    let any: &mut dyn Any = o;
    any.downcast_mut::<Option<R>>()?.as_mut()
}

/// Whether a host object's value is of type `R`.
#[inline]
pub(crate) fn object_is<R: 'static>(o: &dyn Object) -> bool {
    object_ref::<R>(o).is_some()
}

/// The store's table of host objects.
pub(crate) struct HostObjects {
    pub(super) slots: Vec<ObjSlot>,
    pub(super) free: Vec<u32>,
    pub(super) live: usize,
    pub cap: usize,
    /// Objects that expire (`revoke.rs`): slot, generation, when.
    pub(super) deadlines: Vec<(u32, u32, std::time::Instant)>,
    /// The earliest of `deadlines`; `None` when there is none, so that the checks on the
    /// paths that use a handle cost one test.
    pub(super) next_deadline: Option<std::time::Instant>,
}

pub(crate) struct ObjSlot {
    pub(super) generation: u32,
    pub(super) state: ObjState,
    /// The object while it is present; the emptied allocation of the object that lived here
    /// last (if any) while the slot is free; nothing while the object is lent out. The
    /// allocation stays in place, so creating and dropping objects moves no box around.
    pub(super) object: Option<Box<dyn Object>>,
    /// The store-level resource type.
    pub(super) rt: u32,
    pub(super) parent: Option<u32>,
    pub(super) children: u32,
    /// Set when the owner of a revoked object let go of it before the object was dropped
    /// (its children or a method call kept it): the slot is freed with the object.
    pub(super) owner_gone: bool,
}

/// The state of a slot. Only `Present` and `InUse` hold an object anyone may use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum ObjState {
    Present,
    /// Moved out for a method call under way.
    InUse,
    Free,
    /// Revoked while lent out: the method under way keeps it until it returns.
    InUseRevoked,
    /// Revoked, the value still here until its children are dropped.
    Revoking,
    /// Revoked and dropped: the slot stays reserved for the handle that names it until that
    /// handle is dropped.
    Revoked,
}

impl ObjState {
    #[inline]
    pub(super) fn is_live(self) -> bool {
        matches!(self, ObjState::Present | ObjState::InUse)
    }

    #[inline]
    pub(super) fn is_revoked(self) -> bool {
        matches!(
            self,
            ObjState::InUseRevoked | ObjState::Revoking | ObjState::Revoked
        )
    }
}

impl HostObjects {
    pub fn new(cap: usize) -> HostObjects {
        HostObjects {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            cap,
            deadlines: Vec::new(),
            next_deadline: None,
        }
    }

    /// How many objects are alive.
    #[inline]
    pub fn live(&self) -> usize {
        self.live
    }

    #[inline]
    pub fn insert<R: Send + 'static>(
        &mut self,
        rt: u32,
        value: R,
        parent: Option<u32>,
    ) -> Result<(u32, u32)> {
        if self.live >= self.cap {
            return Err(over_cap(self.cap));
        }
        if let Some(p) = parent {
            self.slots[p as usize].children += 1;
        }
        self.live += 1;
        if let Some(i) = self.free.pop() {
            let s = &mut self.slots[i as usize];
            let spare = s.object.as_deref_mut().and_then(|o| {
                let any: &mut dyn Any = o;
                any.downcast_mut::<Option<R>>()
            });
            match spare {
                Some(empty) => *empty = Some(value),
                None => s.object = Some(Box::new(Some(value))),
            }
            s.state = ObjState::Present;
            s.rt = rt;
            s.parent = parent;
            s.children = 0;
            s.owner_gone = false;
            return Ok((i, s.generation));
        }
        let i = u32::try_from(self.slots.len())
            .map_err(|_| anyhow::anyhow!("host object table full"))?;
        self.slots.push(ObjSlot {
            generation: 0,
            state: ObjState::Present,
            object: Some(Box::new(Some(value))),
            rt,
            parent,
            children: 0,
            owner_gone: false,
        });
        Ok((i, 0))
    }

    #[inline]
    pub fn slot(&self, index: u32, generation: u32) -> Result<&ObjSlot, HandleError> {
        match self.slots.get(index as usize) {
            Some(s) if s.generation == generation && s.state != ObjState::Free => Ok(s),
            _ => Err(stale(index)),
        }
    }

    /// The current generation of the slot a guest's handle names (guests' handles carry no
    /// generation), after expiring what is due: `None` if the slot holds no live object
    /// (see [`is_revoked`](Self::is_revoked) for why).
    #[inline]
    pub fn generation(&mut self, index: u32) -> Option<u32> {
        self.expire_due();
        match self.slots.get(index as usize) {
            Some(s) if s.state.is_live() => Some(s.generation),
            _ => None,
        }
    }

    /// Whether the slot `index` holds a revoked object that a handle still names.
    pub fn is_revoked(&self, index: u32) -> bool {
        self.slots
            .get(index as usize)
            .is_some_and(|s| s.state.is_revoked())
    }

    /// Checks that `index` holds a live object at `generation` (present or lent out).
    #[inline]
    pub fn check_live(&self, index: u32, generation: u32) -> Result<&ObjSlot, HandleError> {
        let s = self.slot(index, generation)?;
        if !s.state.is_live() {
            return Err(unusable(index, s.state));
        }
        Ok(s)
    }

    /// Checks that `index` holds a live object of resource type `rt` at `generation`.
    #[inline]
    pub fn check(&self, rt: u32, index: u32, generation: u32) -> Result<(), HandleError> {
        let s = self.check_live(index, generation)?;
        if s.rt != rt {
            return Err(wrong_type(index, rt));
        }
        Ok(())
    }

    /// The resource type of the object at `index` of `generation`, revoked or not.
    pub fn type_of(&self, index: u32, generation: u32) -> Result<u32, HandleError> {
        Ok(self.slot(index, generation)?.rt)
    }

    /// The slots of the live objects of resource type `rt` in their slots (not lent out)
    /// for which `pick` returns `true`.
    pub fn find(&self, rt: u32, mut pick: impl FnMut(&dyn Object) -> bool) -> Vec<u32> {
        let mut found = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            if s.state == ObjState::Present
                && s.rt == rt
                && let Some(o) = s.object.as_deref()
                && pick(o)
            {
                found.push(i as u32);
            }
        }
        found
    }

    /// The object in slot `index` while it is in its slot (not lent out, not revoked), and
    /// its children, for reports.
    pub fn describe(&self, index: u32) -> (Option<&(dyn Any + Send)>, u32) {
        match self.slots.get(index as usize) {
            Some(s) if s.state == ObjState::Present => {
                (s.object.as_deref().and_then(|o| o.value()), s.children)
            }
            Some(s) if s.state.is_live() => (None, s.children),
            _ => (None, 0),
        }
    }

    /// How many children the object at `index` has.
    #[inline]
    pub fn children(&self, index: u32) -> u32 {
        self.slots.get(index as usize).map_or(0, |s| s.children)
    }

    /// Removes the object at `index`, which must have no children, and hands it to `f`,
    /// which takes its value out or drops it; the emptied allocation stays in the freed slot.
    #[inline]
    pub fn remove<X>(
        &mut self,
        index: u32,
        generation: u32,
        f: impl FnOnce(&mut dyn Object) -> X,
    ) -> Result<X, HandleError> {
        self.slot(index, generation)?;
        self.remove_live(index, f)?.ok_or_else(|| stale(index))
    }

    /// [`remove`](Self::remove) for the object in slot `index` whatever its generation (a
    /// slot that a guest's handle names); `None` if the slot is free.
    #[inline]
    pub fn remove_live<X>(
        &mut self,
        index: u32,
        f: impl FnOnce(&mut dyn Object) -> X,
    ) -> Result<Option<X>, HandleError> {
        let s = match self.slots.get_mut(index as usize) {
            Some(s) if s.state != ObjState::Free => s,
            _ => return Ok(None),
        };
        if s.state.is_revoked() {
            return Err(self.release_revoked(index));
        }
        if s.children != 0 {
            return Err(has_children(index, s.children));
        }
        if s.state == ObjState::InUse {
            return Err(HandleError::Lent { index });
        }
        s.state = ObjState::Free;
        s.generation = s.generation.wrapping_add(1);
        let parent = s.parent.take();
        self.free.push(index);
        self.live -= 1;
        if let Some(p) = parent {
            let p = &mut self.slots[p as usize];
            p.children = p.children.saturating_sub(1);
        }
        // The table is consistent before the value leaves or is dropped (its `Drop` has no
        // way to reach the table, but may panic). A present object is always in its slot.
        Ok(self.slots[index as usize].object.as_deref_mut().map(f))
    }

    #[inline]
    pub fn get(&self, index: u32, generation: u32) -> Result<&dyn Object, HandleError> {
        let s = self.slot(index, generation)?;
        match (s.state, &s.object) {
            (ObjState::Present, Some(v)) => Ok(&**v),
            (state, _) => Err(unusable(index, state)),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, index: u32, generation: u32) -> Result<&mut dyn Object, HandleError> {
        self.slot(index, generation)?;
        let s = &mut self.slots[index as usize];
        match (s.state, &mut s.object) {
            (ObjState::Present, Some(v)) => Ok(&mut **v),
            (state, _) => Err(unusable(index, state)),
        }
    }

    /// Moves an object out for a method call, leaving its slot in use.
    #[inline]
    pub fn lend(&mut self, index: u32, generation: u32) -> Result<Box<dyn Object>, HandleError> {
        self.slot(index, generation)?;
        self.lend_live(index)
    }

    /// Moves the object in slot `index` out for a method call, whatever its generation: for
    /// a slot that a guest's handle names, which holds the current object or none.
    #[inline]
    pub fn lend_live(&mut self, index: u32) -> Result<Box<dyn Object>, HandleError> {
        self.expire_due();
        if let Some(s) = self.slots.get_mut(index as usize)
            && s.state == ObjState::Present
            && let Some(v) = s.object.take()
        {
            s.state = ObjState::InUse;
            return Ok(v);
        }
        Err(match self.slots.get(index as usize) {
            Some(s) if s.state != ObjState::Free => unusable(index, s.state),
            _ => stale(index),
        })
    }

    /// Puts back an object moved out by [`lend`](Self::lend); one revoked meanwhile is
    /// dropped now (see `revoke.rs`).
    #[inline]
    pub fn give_back(&mut self, index: u32, value: Box<dyn Object>) {
        if let Some(s) = self.slots.get_mut(index as usize) {
            // A slot in use holds no allocation, so there is nothing to drop.
            std::mem::forget(s.object.replace(value));
            if s.state == ObjState::InUseRevoked {
                s.state = ObjState::Revoking;
                self.finish_revoking(index);
            } else {
                s.state = ObjState::Present;
            }
        }
    }
}

#[cold]
#[inline(never)]
pub(crate) fn wrong_type(index: u32, rt: u32) -> HandleError {
    HandleError::WrongType {
        index,
        expected: format!("resource of type {rt}").into(),
    }
}

#[cold]
#[inline(never)]
fn has_children(index: u32, children: u32) -> HandleError {
    HandleError::HasChildren { index, children }
}

#[cold]
#[inline(never)]
fn over_cap(limit: usize) -> anyhow::Error {
    Trap::HostObjectLimit { limit }.into()
}

#[cold]
fn stale(index: u32) -> HandleError {
    HandleError::Stale { index }
}

/// Why the object in a slot that is neither free nor present cannot be reached.
#[cold]
fn unusable(index: u32, state: ObjState) -> HandleError {
    if state.is_revoked() {
        HandleError::Revoked { index }
    } else {
        HandleError::InUse { index }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_to_a_gone_object_is_stale_even_when_its_slot_is_reused() {
        let mut o = HostObjects::new(10);
        let (i, g) = o.insert(1, String::from("first"), None).unwrap();
        assert_eq!(object_ref::<String>(o.get(i, g).unwrap()).unwrap(), "first");
        o.remove(i, g, |x| x.clear()).unwrap();
        let (j, h) = o.insert(1, String::from("second"), None).unwrap();
        assert_eq!((j, h == g), (i, false));
        assert_eq!(o.get(i, g).err(), Some(HandleError::Stale { index: i }));
        assert_eq!(o.check(1, j, h), Ok(()));
        assert!(matches!(
            o.check(2, j, h),
            Err(HandleError::WrongType { .. })
        ));
        assert_eq!(o.live(), 1);
    }

    #[test]
    fn a_parent_with_children_stays_until_they_go() {
        let mut o = HostObjects::new(10);
        let (p, pg) = o.insert(1, 1u8, None).unwrap();
        let (c, cg) = o.insert(1, 2u8, Some(p)).unwrap();
        assert_eq!(o.children(p), 1);
        assert_eq!(
            o.remove(p, pg, |x| x.clear()).err(),
            Some(HandleError::HasChildren {
                index: p,
                children: 1
            })
        );
        o.remove(c, cg, |x| x.clear()).unwrap();
        assert_eq!(o.children(p), 0);
        o.remove(p, pg, |x| x.clear()).unwrap();
        assert_eq!(o.live(), 0);
    }

    #[test]
    fn an_object_lent_out_is_in_use_until_given_back() {
        let mut o = HostObjects::new(10);
        let (i, g) = o.insert(1, 5u32, None).unwrap();
        let lent = o.lend(i, g).unwrap();
        assert_eq!(o.get(i, g).err(), Some(HandleError::InUse { index: i }));
        assert_eq!(o.lend_live(i).err(), Some(HandleError::InUse { index: i }));
        assert_eq!(
            o.remove(i, g, |x| x.clear()).err(),
            Some(HandleError::Lent { index: i })
        );
        o.give_back(i, lent);
        assert_eq!(object_ref::<u32>(o.get(i, g).unwrap()), Some(&5));
    }

    #[test]
    fn the_store_holds_at_most_its_cap() {
        let mut o = HostObjects::new(2);
        o.insert(1, (), None).unwrap();
        o.insert(1, (), None).unwrap();
        let e = o.insert(1, (), None).unwrap_err();
        assert_eq!(
            e.downcast_ref::<Trap>(),
            Some(&Trap::HostObjectLimit { limit: 2 })
        );
    }
}
