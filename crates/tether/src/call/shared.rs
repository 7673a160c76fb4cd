//! Core functions shared by the instances of one [`InstancePre`](crate::InstancePre).
//!
//! A `canon lower` or a resource intrinsic becomes a core function per instance, and making
//! a core function in a store (`Func::new_unchecked`) allocates and registers a host function
//! each time; for a server that instantiates per request, that was much of instantiation.
//! Instead, an `InstancePre` defines each such core function once, store-independent, in a
//! core [`wasmtime::Linker`] ([`SharedFuncs`]); putting them into a store is a pass over the
//! linker. What differs between instances (the memory, the callee, the instance's handle
//! table) the store keeps under the function's slot (`slots.rs`): first as what the
//! instantiation resolved (`Pending`), and from the function's first call as the closure
//! that `Place::func` builds from it, the one a core function of its own would run. Most
//! imports of a request handler are never called in a given request, and their closures
//! are never built.
//!
//! A store runs each slot for one instance only: the first instance of the `InstancePre`
//! in a store (and the first of each nested component in it) takes the shared functions,
//! and any later one gets core functions of its own.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Result, anyhow};
use wasmtime::{AsContextMut as _, Caller, ValRaw};

use super::Wt;
use super::error::to_core;
use super::func_def::Pending;
use super::slots::Place;
use super::store::StoreData;
use crate::plan::translate::{ComponentDef, Item};

/// Builds the closure of a slot from what the instantiation resolved, and keeps it in the
/// store.
fn build<T: 'static>(
    pending: Pending,
    store: &mut Wt<'_, T>,
    ty: &wasmtime::FuncType,
    keep: Place,
) {
    match pending {
        Pending::Lower(l) => {
            super::lower::make_lowered(store, keep, ty, l);
        }
        Pending::Intrinsic { op, rt, instance } => {
            super::builtins::make_resource_intrinsic(store, keep, ty, op, rt, instance);
        }
        Pending::Lazy { frame, item } => {
            // Without its frame (an instantiation that failed) or resolution, the slot
            // stays without a closure, and the call traps saying so.
            let data = store.data();
            if let Some(spaces) = data.shared.frame(frame)
                && let Ok(l) = spaces.resolve(&data.rt, item)
            {
                super::lower::make_lowered(store, keep, ty, l);
            }
        }
    }
}

/// The core functions one `InstancePre` shares across stores, one per slot: the item at
/// position `i` of a component definition whose slots start at `base` has slot `base + i`.
pub(crate) struct SharedFuncs<T: 'static> {
    /// Tells this set's slots apart from another's in a store.
    id: u64,
    linker: wasmtime::Linker<StoreData<T>>,
    /// The name of each slot's function in `linker` (`None` for items that make none).
    names: Vec<Option<Box<str>>>,
    /// The first slot of each component definition (by address) the root may instantiate.
    bases: Vec<(usize, u32)>,
}

impl<T: 'static> SharedFuncs<T> {
    /// Defines the shared core functions of `root` and of the components nested in it.
    pub fn new(engine: &wasmtime::Engine, root: &ComponentDef) -> Result<SharedFuncs<T>> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut shared = SharedFuncs {
            id,
            linker: wasmtime::Linker::new(engine),
            names: Vec::new(),
            bases: Vec::new(),
        };
        shared.define(root)?;
        Ok(shared)
    }

    fn define(&mut self, def: &ComponentDef) -> Result<()> {
        let key = def as *const ComponentDef as usize;
        if self.bases.iter().any(|&(k, _)| k == key) {
            return Ok(());
        }
        let base = u32::try_from(self.names.len())
            .map_err(|_| anyhow!("implementation limit: too many component items"))?;
        self.bases.push((key, base));
        for (i, item) in def.items.iter().enumerate() {
            let ty = match item {
                Item::Lower { core_ty, .. } | Item::ResourceIntrinsic { core_ty, .. } => core_ty,
                _ => {
                    self.names.push(None);
                    continue;
                }
            };
            let slot = base + i as u32;
            let name = slot.to_string();
            let id = self.id;
            let core_ty = ty.clone();
            let forward = move |mut caller: Caller<'_, StoreData<T>>,
                                slots: &mut [MaybeUninit<ValRaw>]|
                  -> wasmtime::Result<()> {
                let mut f = caller.data().shared.built(id, slot);
                if f.is_none()
                    && let Some(pending) = caller.data_mut().shared.take_pending(id, slot)
                {
                    build(
                        pending,
                        &mut caller.as_context_mut(),
                        &core_ty,
                        Place::Keep(id, slot),
                    );
                    f = caller.data().shared.built(id, slot);
                }
                let f = f.ok_or_else(|| {
                    to_core(anyhow!(
                        "internal error: shared core function {slot} has no closure"
                    ))
                })?;
                // SAFETY: the closure stays allocated until the store's data is dropped
                // (`SharedSlots` frees it then, and never replaces a built closure), which
                // cannot happen while a guest of the store is running.
                let f = unsafe { f.as_ref() };
                f(caller, slots)
            };
            // SAFETY: `forward` runs the closure built for this slot, from this item, whose
            // core type is `ty`: it reads exactly the parameters of `ty` and writes exactly
            // its results.
            unsafe {
                self.linker
                    .func_new_unchecked("", &name, ty.clone(), forward)
                    .map_err(anyhow::Error::from)?;
            }
            self.names.push(Some(name.into()));
        }
        for nested in &def.components {
            self.define(nested)?;
        }
        Ok(())
    }

    /// What tells this set's slots apart from another's in a store.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The first slot of the component definition `def`, if this set covers it.
    pub fn base(&self, def: &ComponentDef) -> Option<u32> {
        let key = def as *const ComponentDef as usize;
        self.bases.iter().find(|&&(k, _)| k == key).map(|&(_, b)| b)
    }

    /// Puts every shared function into `store` at once, by slot: one pass over the linker,
    /// where looking each function up by name would hash the name.
    fn materialize(&self, store: &mut Wt<'_, T>) {
        let mut funcs = vec![None; self.names.len()];
        for (_, name, item) in self.linker.iter(&mut *store) {
            if let (Ok(slot), wasmtime::Extern::Func(f)) = (name.parse::<usize>(), item)
                && let Some(s) = funcs.get_mut(slot)
            {
                *s = Some(f);
            }
        }
        store.data_mut().shared.add(self.id, funcs);
    }

    /// The shared function of `slot` in `store`, which builds its closure from `pending`,
    /// if the slot has one and the store has not given it to another instance; `None`
    /// otherwise, and the caller makes a core function of its own.
    pub fn defer(
        &self,
        store: &mut Wt<'_, T>,
        slot: u32,
        pending: Pending,
    ) -> Option<wasmtime::Func> {
        if !matches!(self.names.get(slot as usize), Some(Some(_))) {
            return None;
        }
        if !store.data().shared.has(self.id) {
            self.materialize(store);
        }
        let Some(func) = store.data().shared.func(self.id, slot) else {
            // Every named slot was defined as a function: out of memory is the one failure.
            return None;
        };
        let taken = store.data_mut().shared.put_pending(self.id, slot, pending);
        taken.then_some(func)
    }
}
