//! Handles to guest-defined resources that the embedder holds: a table of slots with
//! generations, through which such handles cross the embedder boundary (`ResourceAny`).

use anyhow::Result;
use tether_abi::HandleError;

/// Handles to guest-defined resources that the embedder holds, by slot and generation, so a
/// handle kept after its resource is gone is detected ("stale handle") instead of reaching
/// whatever reuses the representation.
#[derive(Default)]
pub(crate) struct HostHandles {
    slots: Vec<HostHandle>,
    free: Vec<u32>,
}

struct HostHandle {
    generation: u32,
    /// The resource type and representation, or `None` when free.
    entry: Option<(u32, u32)>,
}

impl HostHandles {
    #[inline]
    pub fn insert(&mut self, rt: u32, rep: u32) -> (u32, u32) {
        if let Some(i) = self.free.pop() {
            let h = &mut self.slots[i as usize];
            h.entry = Some((rt, rep));
            return (i, h.generation);
        }
        self.slots.push(HostHandle {
            generation: 0,
            entry: Some((rt, rep)),
        });
        ((self.slots.len() - 1) as u32, 0)
    }

    #[inline]
    pub fn get(&self, slot: u32, generation: u32) -> Result<(u32, u32)> {
        match self.slots.get(slot as usize) {
            Some(HostHandle {
                generation: g,
                entry: Some(e),
            }) if *g == generation => Ok(*e),
            _ => Err(HandleError::Stale { index: slot }.into()),
        }
    }

    #[inline]
    pub fn remove(&mut self, slot: u32, generation: u32) -> Result<(u32, u32)> {
        let e = self.get(slot, generation)?;
        let h = &mut self.slots[slot as usize];
        h.entry = None;
        h.generation = h.generation.wrapping_add(1);
        self.free.push(slot);
        Ok(e)
    }

    /// How many handles the embedder holds.
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_goes_stale_when_its_slot_is_freed_and_reused() {
        let mut h = HostHandles::default();
        let (slot, generation) = h.insert(7, 100);
        assert_eq!(h.get(slot, generation).unwrap(), (7, 100));
        assert_eq!(h.remove(slot, generation).unwrap(), (7, 100));
        assert_eq!(h.live(), 0);
        let (again, newer) = h.insert(7, 200);
        assert_eq!(again, slot, "the slot is reused");
        assert_ne!(newer, generation);
        for r in [h.get(slot, generation), h.remove(slot, generation)] {
            let e = r.unwrap_err();
            assert!(
                matches!(e.downcast_ref(), Some(HandleError::Stale { .. })),
                "{e}"
            );
        }
        assert_eq!(h.get(again, newer).unwrap(), (7, 200));
    }
}
