//! [`Cx`]: lifting and lowering against one instance's memory, `realloc` and handle table,
//! as `tether-abi`'s [`Context`] asks; and [`GuestMemory`], the cached view of a linear
//! memory that every access goes through.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering::Relaxed};

use tether_abi::{
    Context, CopyRule, EndKind, Fault, HandleError, HandleParts, ReadableEnd, ResourceAny,
    ResourceIndex, SourceEncoding, StringEncoding, Trap, Type,
};
use wasmtime::ValRaw;

use super::Wt;
use super::async_builtins::same_elem;
use super::error::{describe_error, wrong_type};
use crate::state::embedder::of_this_store;
use crate::state::runtime::{InstanceId, Runtime, dead_object};
use crate::state::table::Slot;

/// The canonical options of one `canon lift` or `canon lower`, resolved to core items.
#[derive(Clone)]
pub(crate) struct Opts {
    pub encoding: StringEncoding,
    pub memory: Option<GuestMemory>,
    pub realloc: Option<wasmtime::Func>,
    pub post_return: Option<wasmtime::Func>,
}

/// The linear memory that canonical options name, with its base and length as last read.
///
/// Reading a memory's extent through the core engine walks several dependent pointers (the
/// store's instance, its offsets, the memory's definition), which cost a call that copies a
/// few bytes more than its copy. The view read last stays exact until the memory grows, and
/// every growth first asks the store's limiter, which counts it (`Limiter::grows`): a view
/// read in the same store at the same count is used as it is.
pub(crate) struct GuestMemory {
    pub memory: wasmtime::Memory,
    /// The id of the store the view was read in (`u64::MAX`, which no store has: never read).
    seen_store: AtomicU64,
    /// The store's growth count when the view was read.
    seen_grows: AtomicU64,
    base: AtomicPtr<u8>,
    len: AtomicUsize,
}

impl GuestMemory {
    pub fn new(memory: wasmtime::Memory) -> GuestMemory {
        GuestMemory {
            memory,
            seen_store: AtomicU64::new(u64::MAX),
            seen_grows: AtomicU64::new(0),
            base: AtomicPtr::new(std::ptr::null_mut()),
            len: AtomicUsize::new(0),
        }
    }

    /// The memory's base and length in `store`.
    #[inline]
    fn view<T>(&self, store: &Wt<'_, T>) -> (*mut u8, usize) {
        let data = store.data();
        let (id, grows) = (data.rt.store_id, data.limiter.grows);
        if self.seen_store.load(Relaxed) == id && self.seen_grows.load(Relaxed) == grows {
            return (self.base.load(Relaxed), self.len.load(Relaxed));
        }
        let base = self.memory.data_ptr(store);
        let len = self.memory.data_size(store);
        self.base.store(base, Relaxed);
        self.len.store(len, Relaxed);
        self.seen_grows.store(grows, Relaxed);
        self.seen_store.store(id, Relaxed);
        (base, len)
    }
}

impl Clone for GuestMemory {
    fn clone(&self) -> GuestMemory {
        GuestMemory::new(self.memory)
    }
}

/// Lifting and lowering against one instance's memory, `realloc` and handle table.
pub(crate) struct Cx<'a, 'b, T: 'static> {
    /// The store, which only the context's own methods touch while it lives: so the memory's
    /// extent changes only through `realloc`, which forgets `view`.
    store: &'a mut Wt<'b, T>,
    opts: &'a Opts,
    instance: InstanceId,
    resources: &'a [u32],
    /// The scope that borrows lowered into this instance, or lent from it, belong to: every
    /// call that can lend or hand over a borrow has one.
    scope: Option<usize>,
    source: SourceEncoding,
    /// The bytes copied for the call, when the call counts them itself rather than in its
    /// scope (a typed host function's call that pushes no scope).
    copied: Option<&'a std::cell::Cell<u64>>,
    /// The memory's base and length as this context last read them (see `memory`).
    view: std::cell::Cell<Option<(*mut u8, usize)>>,
}

#[cold]
fn no_memory() -> Fault {
    Trap::MissingOption { option: "memory" }.into()
}

impl<'a, 'b, T> Cx<'a, 'b, T> {
    /// The context of a call with its own scope (or none) that counts what it copies there,
    /// reading strings in `source` encoding.
    #[inline]
    pub fn new(
        store: &'a mut Wt<'b, T>,
        opts: &'a Opts,
        instance: InstanceId,
        resources: &'a [u32],
        scope: Option<usize>,
        source: SourceEncoding,
    ) -> Self {
        Cx {
            store,
            opts,
            instance,
            resources,
            scope,
            source,
            copied: None,
            view: std::cell::Cell::new(None),
        }
    }

    /// The context of a typed host function's call that counts what it copies in `copied`
    /// rather than in a scope; it reads strings as UTF-8.
    #[inline]
    pub fn counting(
        store: &'a mut Wt<'b, T>,
        opts: &'a Opts,
        instance: InstanceId,
        resources: &'a [u32],
        scope: Option<usize>,
        copied: &'a std::cell::Cell<u64>,
    ) -> Self {
        Cx {
            copied: Some(copied),
            ..Cx::new(
                store,
                opts,
                instance,
                resources,
                scope,
                SourceEncoding::Utf8,
            )
        }
    }

    /// The memory's base and length: read once per context, and again after `realloc` (the
    /// only way guest code runs, and so the only way the memory can grow, while the context
    /// holds the store).
    #[inline]
    fn extent(&self, m: &GuestMemory) -> (*mut u8, usize) {
        if let Some(v) = self.view.get() {
            return v;
        }
        let v = m.view(self.store);
        self.view.set(Some(v));
        v
    }

    /// Adds `bytes` to what the current call has charged against its limit, and returns the
    /// total.
    fn charge_call(&mut self, bytes: u64) -> Result<u64, Fault> {
        match self.copied {
            Some(c) => {
                c.set(c.get().saturating_add(bytes));
                Ok(c.get())
            }
            None => {
                let scope = self.scope()?;
                let scope = &mut self.store.data_mut().rt.scopes[scope];
                scope.copied = scope.copied.saturating_add(bytes);
                Ok(scope.copied)
            }
        }
    }

    /// The call's scope, which a call that lends or hands over borrows always has.
    fn scope(&self) -> Result<usize, Fault> {
        self.scope.ok_or_else(|| {
            Trap::Internal {
                message: "a call without a scope met a borrow".into(),
            }
            .into()
        })
    }
}

/// Traps when a call's charges, `charged` bytes, are over the store's per-call limit.
fn check_copy_limit(rt: &Runtime, charged: u64) -> Result<(), Fault> {
    if charged > rt.copy_limit {
        return Err(Trap::CopyLimit {
            limit: rt.copy_limit,
        }
        .into());
    }
    Ok(())
}

impl<T> Context for Cx<'_, '_, T> {
    fn string_encoding(&self) -> StringEncoding {
        self.opts.encoding
    }

    fn source_encoding(&self) -> SourceEncoding {
        self.source
    }

    #[inline]
    fn memory(&self) -> Result<&[u8], Fault> {
        let Some(m) = &self.opts.memory else {
            return Err(no_memory());
        };
        let (base, len) = self.extent(m);
        // SAFETY: `extent` gives the memory's current extent in this store (`GuestMemory::view`
        // reads it again after any growth, the only change to a memory's base or length, and
        // the context forgets it after `realloc`, the only guest code it runs), and the slice
        // borrows the context, so no guest code runs and no memory grows while it lives.
        Ok(unsafe { std::slice::from_raw_parts(base, len) })
    }

    fn memory_mut(&mut self) -> Result<&mut [u8], Fault> {
        let Some(m) = &self.opts.memory else {
            return Err(no_memory());
        };
        let (base, len) = self.extent(m);
        // SAFETY: as in `memory`; the slice borrows the store mutably, so nothing else reads
        // or writes the memory while it lives.
        Ok(unsafe { std::slice::from_raw_parts_mut(base, len) })
    }

    fn realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, Fault> {
        let Some(realloc) = self.opts.realloc else {
            return Err(Trap::MissingOption { option: "realloc" }.into());
        };
        let inst = self.instance as usize;
        self.store.data_mut().rt.instances[inst].may_leave = false;
        let mut args = [
            ValRaw::i32(old_ptr as i32),
            ValRaw::i32(old_size as i32),
            ValRaw::i32(align as i32),
            ValRaw::i32(new_size as i32),
        ];
        // SAFETY: the validator checked that `realloc` has type
        // `(func (param i32 i32 i32 i32) (result i32))`, which the four-slot buffer fits, and
        // the function belongs to this store.
        let r = unsafe { realloc.call_unchecked(&mut *self.store, &mut args) };
        // The guest ran: its memory may have grown.
        self.view.set(None);
        self.store.data_mut().rt.instances[inst].may_leave = true;
        match r {
            Ok(()) => Ok(args[0].get_i32() as u32),
            Err(e) => Err(Trap::ReallocFailed {
                cause: describe_error(&e.into()).into(),
            }
            .into()),
        }
    }

    fn copy_budget(&self) -> u64 {
        let rt = &self.store.data().rt;
        let copied = match self.copied {
            Some(c) => c.get(),
            None => self.scope.map_or(0, |s| rt.scopes[s].copied),
        };
        rt.copy_limit.saturating_sub(copied)
    }

    #[inline]
    fn charge(&mut self, bytes: u64, into_guest: bool) -> Result<(), Fault> {
        let copied = self.charge_call(bytes)?;
        let rt = &mut self.store.data_mut().rt;
        // A charge may be far above any limit (a hostile list's length times a large element
        // cost): the counters saturate rather than wrap.
        rt.bytes_copied = rt.bytes_copied.saturating_add(bytes);
        let inst = &mut rt.instances[self.instance as usize];
        let counter = if into_guest {
            &mut inst.copied_in
        } else {
            &mut inst.copied_out
        };
        *counter = counter.saturating_add(bytes);
        check_copy_limit(rt, copied)
    }

    fn charge_heap(&mut self, bytes: u64) -> Result<(), Fault> {
        let charged = self.charge_call(bytes)?;
        check_copy_limit(&self.store.data().rt, charged)
    }

    fn lift_own(&mut self, resource: ResourceIndex, index: u32) -> Result<ResourceAny, Fault> {
        let rt = self.resources[resource.0 as usize];
        match self
            .store
            .data_mut()
            .rt
            .remove_handle(self.instance, index)?
        {
            Slot::Own {
                rt: have,
                rep,
                lends,
            } => {
                if have != rt {
                    return Err(wrong_type(index));
                }
                if lends != 0 {
                    return Err(Fault::from(Trap::HandleLent));
                }
                let rtd = &mut self.store.data_mut().rt;
                let mut generation = 0;
                if rtd.resource_types[rt as usize].objects {
                    generation = match rtd.objects.generation(rep) {
                        Some(g) => g,
                        None => dead_object(
                            &mut rtd.objects,
                            &rtd.resource_types,
                            (index, rt, rep),
                            true,
                        )?,
                    };
                    let children = rtd.objects.children(rep);
                    if children != 0 {
                        return Err(Fault::from(Trap::HasChildren { index, children }));
                    }
                }
                Ok(ResourceAny::from_parts(HandleParts {
                    store: self.store.data().rt.store_id,
                    ty: rt,
                    index: rep,
                    generation,
                    own: true,
                }))
            }
            Slot::Borrow { rt: have, .. } => {
                if have != rt {
                    return Err(wrong_type(index));
                }
                Err(Fault::from(Trap::OwnFromBorrow { index }))
            }
            Slot::Free { .. }
            | Slot::WaitableSet { .. }
            | Slot::Subtask { .. }
            | Slot::End { .. }
            | Slot::ErrorContext { .. } => Err(Fault::from(Trap::UnknownHandle { index })),
        }
    }

    fn lift_borrow(&mut self, resource: ResourceIndex, index: u32) -> Result<ResourceAny, Fault> {
        let scope = self.scope()?;
        let rt = self.resources[resource.0 as usize];
        let data = self.store.data_mut();
        let objects = data.rt.resource_types[rt as usize].objects;
        let slot = data.rt.instances[self.instance as usize]
            .handles
            .get_mut(index)?;
        let rep = match slot {
            Slot::Own { rt: have, rep, .. } | Slot::Borrow { rt: have, rep, .. } => {
                if *have != rt {
                    return Err(wrong_type(index));
                }
                *rep
            }
            Slot::Free { .. }
            | Slot::WaitableSet { .. }
            | Slot::Subtask { .. }
            | Slot::End { .. }
            | Slot::ErrorContext { .. } => {
                return Err(Fault::from(Trap::UnknownHandle { index }));
            }
        };
        // A revoked object traps before anything is lent.
        let generation = if objects {
            match data.rt.objects.generation(rep) {
                Some(g) => g,
                None => dead_object(
                    &mut data.rt.objects,
                    &data.rt.resource_types,
                    (index, rt, rep),
                    false,
                )?,
            }
        } else {
            0
        };
        if let Slot::Own { lends, .. } = slot {
            *lends += 1;
            data.rt.scopes[scope].lenders.push((self.instance, index));
        }
        Ok(ResourceAny::from_parts(HandleParts {
            store: data.rt.store_id,
            ty: rt,
            index: rep,
            generation,
            own: false,
        }))
    }

    fn lower_own(&mut self, resource: ResourceIndex, value: ResourceAny) -> Result<u32, Fault> {
        let rt = self.resources[resource.0 as usize];
        check_resource(rt, value, true)?;
        let data = self.store.data_mut();
        check_object(&data.rt, rt, value)?;
        let rep = value.parts().index;
        if data.rt.quotas.on {
            return self.lower_own_counted(rt, rep);
        }
        match data
            .rt
            .add_handle(self.instance, Slot::Own { rt, rep, lends: 0 })
        {
            Ok(i) => Ok(i),
            Err(fault) => Err(self.refused(rt, rep, fault)),
        }
    }

    fn lift_readable(&mut self, ty: &Type, index: u32) -> Result<ReadableEnd, Fault> {
        let (future, elem) = match ty {
            Type::Future(t) => (true, t.elem()),
            Type::Stream(t) => (false, t.elem()),
            _ => {
                return Err(Fault::other(format!(
                    "internal error: lifting {ty} as an end"
                )));
            }
        };
        let end = EndKind {
            future,
            readable: true,
        };
        let rt = &mut self.store.data_mut().rt;
        let id = rt.end_at(self.instance, index, end)?;
        let shared = rt.shared_of(id);
        if !same_elem(
            shared.elem.as_ref(),
            &shared.resources,
            elem,
            self.resources,
        ) {
            return Err(Trap::Copy {
                end,
                rule: CopyRule::WrongType,
            }
            .into());
        }
        let shared = rt.lift_end(self.instance, id)?;
        Ok(ReadableEnd::from_parts(rt.store_id, shared))
    }

    fn lift_error_context(&mut self, index: u32) -> Result<ReadableEnd, Fault> {
        let rt = &mut self.store.data_mut().rt;
        let id = rt.lift_error_context(self.instance, index)?;
        Ok(ReadableEnd::from_parts(rt.store_id, id))
    }

    fn lower_error_context(&mut self, value: ReadableEnd) -> Result<u32, Fault> {
        let rt = &mut self.store.data_mut().rt;
        let (store, id) = value.parts();
        if store != rt.store_id {
            return Err(Fault::host_value("an error-context of another store"));
        }
        rt.lower_error_context(self.instance, id)
    }

    fn lower_readable(&mut self, ty: &Type, end: ReadableEnd) -> Result<u32, Fault> {
        let rt = &mut self.store.data_mut().rt;
        let (store, shared) = end.parts();
        if store != rt.store_id {
            return Err(Fault::host_value(format!("a {ty} end of another store")));
        }
        rt.lower_end(self.instance, shared, matches!(ty, Type::Future(_)))
    }

    fn lower_borrow(&mut self, resource: ResourceIndex, value: ResourceAny) -> Result<u32, Fault> {
        let scope = self.scope()?;
        let rt = self.resources[resource.0 as usize];
        check_resource(rt, value, false)?;
        let data = self.store.data_mut();
        check_object(&data.rt, rt, value)?;
        if data.rt.resource_types[rt as usize].implementer == Some(self.instance) {
            return Ok(value.parts().index);
        }
        let i = data.rt.add_handle(
            self.instance,
            Slot::Borrow {
                rt,
                rep: value.parts().index,
                scope: scope as u32,
            },
        )?;
        data.rt.scopes[scope].borrows += 1;
        Ok(i)
    }
}

impl<T: 'static> Cx<'_, '_, T> {
    /// [`lower_own`](Context::lower_own)'s insertion in a store that counts its handles
    /// (quotas or provenance): out of line, so that the common path stays as it was.
    #[cold]
    #[inline(never)]
    fn lower_own_counted(&mut self, rt: u32, rep: u32) -> Result<u32, Fault> {
        match self
            .store
            .data_mut()
            .rt
            .add_handle(self.instance, Slot::Own { rt, rep, lends: 0 })
        {
            Ok(i) => {
                super::origin::note(self.store, self.instance, i);
                Ok(i)
            }
            Err(fault) => Err(self.refused(rt, rep, fault)),
        }
    }

    /// A host object whose own handle the guest's table refused (it is full, or the type's
    /// quota is): the guest never got it and nothing else holds it, so it is dropped now
    /// rather than with the store. Gives `fault` back.
    #[cold]
    #[inline(never)]
    fn refused(&mut self, rt: u32, rep: u32, fault: Fault) -> Fault {
        if self.store.data().rt.resource_types[rt as usize].objects {
            let store = wasmtime::AsContextMut::as_context_mut(self.store);
            let _ = super::builtins::run_dtor(store, None, rt, rep);
        }
        fault
    }
}

fn check_resource(rt: u32, value: ResourceAny, own: bool) -> Result<(), Fault> {
    if value.parts().ty != rt {
        return Err(Fault::host_value("mismatched resource types"));
    }
    if own && !value.owned() {
        return Err(Fault::host_value(
            "cannot lower a borrowed resource as `own`",
        ));
    }
    Ok(())
}

/// Checks that a handle the host hands over belongs to this store and, for object-backed
/// resource types, that its object still exists.
fn check_object(rt: &Runtime, ty: u32, value: ResourceAny) -> Result<(), Fault> {
    let h = value.parts();
    if !of_this_store(rt, h.store) {
        return Err(Fault::host_value(HandleError::OtherStore.to_string()));
    }
    if rt.resource_types[ty as usize].objects {
        rt.objects
            .check(ty, h.index, h.generation)
            .map_err(|e| Fault::host_value(e.to_string()))?;
    }
    Ok(())
}
