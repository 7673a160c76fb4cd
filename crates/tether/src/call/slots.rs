//! A store's part of the core functions shared by the instances of one `InstancePre`
//! (see `shared.rs`): the functions as put into the store, and what each slot holds, from
//! what an instantiation resolved for it to the closure built from that at its first call.
//!
//! Generic over the store's data `D`, which says where its slots are ([`HasSlots`]), so
//! that `store.rs` can hold them without this file importing it.

use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::Arc;

use wasmtime::{Caller, StoreContextMut, ValRaw};

use super::func_def::{LazyFrame, Pending};

/// What a core function made by the runtime does when the guest calls it: it reads exactly
/// the parameters of its core type from the slots and writes exactly its results.
pub(crate) type CoreFn<D> = dyn Fn(Caller<'_, D>, &mut [MaybeUninit<ValRaw>]) -> wasmtime::Result<()>
    + Send
    + Sync
    + 'static;

/// Store data that holds shared slots.
pub(crate) trait HasSlots: Sized + 'static {
    fn slots(&self) -> &SharedSlots<Self>;
    fn slots_mut(&mut self) -> &mut SharedSlots<Self>;
}

/// Where a core function that the runtime makes for an instance goes.
#[derive(Clone, Copy)]
pub(crate) enum Place {
    /// A core function of its own.
    Own,
    /// The closure of slot `.1` of the shared set `.0`, at its first call.
    Keep(u64, u32),
}

impl Place {
    /// The core function of type `ty` that runs `f`.
    ///
    /// # Safety
    ///
    /// As [`wasmtime::Func::new_unchecked`]: `f` reads exactly the parameters of `ty` and
    /// writes exactly its results; for a shared slot, `ty` is the core type of the slot's
    /// item.
    pub unsafe fn func<D: HasSlots, F>(
        self,
        store: &mut StoreContextMut<'_, D>,
        ty: &wasmtime::FuncType,
        f: F,
    ) -> wasmtime::Func
    where
        F: Fn(Caller<'_, D>, &mut [MaybeUninit<ValRaw>]) -> wasmtime::Result<()>
            + Send
            + Sync
            + 'static,
    {
        if let Place::Keep(id, slot) = self
            && let Some(func) = store.data().slots().func(id, slot)
        {
            match store
                .data_mut()
                .slots_mut()
                .put_built(id, slot, Box::new(f))
            {
                Ok(()) => return func,
                // SAFETY: the contract of this function.
                Err(f) => return unsafe { wasmtime::Func::new_unchecked(store, ty.clone(), f) },
            }
        }
        // SAFETY: the contract of this function.
        unsafe { wasmtime::Func::new_unchecked(store, ty.clone(), f) }
    }
}

/// A closure kept for a shared slot, freed with the store's data.
struct Kept<D: 'static>(NonNull<CoreFn<D>>);

// SAFETY: the pointee is a `CoreFn<D>`, which is `Send` and `Sync`, owned by this pointer.
unsafe impl<D: 'static> Send for Kept<D> {}
// SAFETY: as for `Send`.
unsafe impl<D: 'static> Sync for Kept<D> {}

/// A shared slot in a store.
enum Slot<D: 'static> {
    Free,
    Pending(Pending),
    Built(Kept<D>),
}

/// The shared functions of one `InstancePre` as put into a store, and the store's slots.
struct Set<D: 'static> {
    id: u64,
    funcs: Vec<Option<wasmtime::Func>>,
    slots: Vec<Slot<D>>,
}

/// The shared functions and slots of each `InstancePre` a store holds an instance of.
pub(crate) struct SharedSlots<D: 'static> {
    sets: Vec<Set<D>>,
    /// The index spaces lazy slots resolve from, by frame number; `None` while the
    /// instantiation that reserved the number is under way (or if it failed).
    frames: Vec<Option<Arc<LazyFrame>>>,
}

impl<D: 'static> Default for SharedSlots<D> {
    fn default() -> Self {
        SharedSlots {
            sets: Vec::new(),
            frames: Vec::new(),
        }
    }
}

impl<D: 'static> SharedSlots<D> {
    fn set(&self, id: u64) -> Option<&Set<D>> {
        self.sets.iter().find(|s| s.id == id)
    }

    fn set_mut(&mut self, id: u64) -> Option<&mut Set<D>> {
        self.sets.iter_mut().find(|s| s.id == id)
    }

    /// A frame number for an instantiation's lazy slots, whose index spaces it keeps with
    /// [`SharedSlots::publish`] when it is over.
    pub fn reserve_frame(&mut self) -> u32 {
        self.frames.push(None);
        (self.frames.len() - 1) as u32
    }

    /// Keeps the index spaces of frame `frame`.
    pub fn publish(&mut self, frame: u32, spaces: Arc<LazyFrame>) {
        if let Some(f) = self.frames.get_mut(frame as usize) {
            *f = Some(spaces);
        }
    }

    /// The index spaces of frame `frame`, once its instantiation is over.
    pub fn frame(&self, frame: u32) -> Option<Arc<LazyFrame>> {
        self.frames.get(frame as usize)?.clone()
    }

    /// Replaces what slot `slot` of set `id` holds to build its closure from, if it holds
    /// anything (an instantiation resolving a lazy slot before guest code may call it).
    pub fn replace_pending(&mut self, id: u64, slot: u32, pending: Pending) {
        if let Some(Slot::Pending(p)) = self
            .set_mut(id)
            .and_then(|set| set.slots.get_mut(slot as usize))
        {
            *p = pending;
        }
    }

    pub fn has(&self, id: u64) -> bool {
        self.set(id).is_some()
    }

    /// Adds the set `id` of shared functions, as put into this store, each slot free.
    pub fn add(&mut self, id: u64, funcs: Vec<Option<wasmtime::Func>>) {
        let slots = (0..funcs.len()).map(|_| Slot::Free).collect();
        self.sets.push(Set { id, funcs, slots });
    }

    /// The shared function of slot `slot` of set `id`, as put into this store.
    pub fn func(&self, id: u64, slot: u32) -> Option<wasmtime::Func> {
        *self.set(id)?.funcs.get(slot as usize)?
    }

    /// The built closure of slot `slot` of set `id`.
    #[inline]
    pub fn built(&self, id: u64, slot: u32) -> Option<NonNull<CoreFn<D>>> {
        match self.set(id)?.slots.get(slot as usize)? {
            Slot::Built(k) => Some(k.0),
            _ => None,
        }
    }

    /// What slot `slot` of set `id` holds to build its closure from, taken out.
    pub fn take_pending(&mut self, id: u64, slot: u32) -> Option<Pending> {
        let s = self.set_mut(id)?.slots.get_mut(slot as usize)?;
        match std::mem::replace(s, Slot::Free) {
            Slot::Pending(p) => Some(p),
            other => {
                *s = other;
                None
            }
        }
    }

    /// Gives the free slot `slot` of set `id` to the instance that resolved `pending`;
    /// `false` if the slot is taken.
    pub fn put_pending(&mut self, id: u64, slot: u32, pending: Pending) -> bool {
        match self.free_slot(id, slot) {
            Some(s) => {
                *s = Slot::Pending(pending);
                true
            }
            None => false,
        }
    }

    /// Keeps `f` as the closure of slot `slot` of set `id`, whose pending resolution was
    /// taken to build it, or gives it back if the slot holds anything else.
    pub fn put_built(
        &mut self,
        id: u64,
        slot: u32,
        f: Box<CoreFn<D>>,
    ) -> Result<(), Box<CoreFn<D>>> {
        match self.free_slot(id, slot) {
            Some(s) => {
                *s = Slot::Built(Kept(NonNull::from(Box::leak(f))));
                Ok(())
            }
            None => Err(f),
        }
    }

    /// Slot `slot` of set `id`, if it holds nothing.
    fn free_slot(&mut self, id: u64, slot: u32) -> Option<&mut Slot<D>> {
        let s = self.set_mut(id)?.slots.get_mut(slot as usize)?;
        matches!(s, Slot::Free).then_some(s)
    }
}

impl<D: 'static> Drop for SharedSlots<D> {
    fn drop(&mut self) {
        // In place: moving each slot out would copy every pending resolution.
        for set in &mut self.sets {
            for slot in &mut set.slots {
                if let Slot::Built(kept) = slot {
                    let f = kept.0;
                    *slot = Slot::Free;
                    // SAFETY: `put_built` made the pointer from a `Box`, and nothing else
                    // frees it; the slot no longer holds it.
                    drop(unsafe { Box::from_raw(f.as_ptr()) });
                }
            }
        }
    }
}
