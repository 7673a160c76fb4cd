//! Calls across the component boundary: `canon lift` (calling into a guest), `canon lower`
//! (a guest calling out), the resource built-ins, and the public [`Func`].

use std::mem::MaybeUninit;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use tether_abi::{
    Context, CoreType, Fault, HandleError, HandleParts, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS,
    ResourceAny, ResourceIndex, SourceEncoding, StringEncoding, Trap, Val, WasmTrap,
};
use wasmtime::{AsContextMut as _, ValRaw};

use crate::state::runtime::{Dtor, InstanceId};
use crate::state::table::Slot;
use crate::store::{
    AsContext, AsContextMut, DirectHostFn, RawHostFn, RawMethodFn, StoreContextMut, StoreData,
};
use crate::types::FuncSig;

type Wt<'a, T> = wasmtime::StoreContextMut<'a, StoreData<T>>;

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering::Relaxed};

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

/// A component function: lifted from a guest's core function, or defined by the host.
#[derive(Clone)]
pub(crate) enum FuncDef {
    Lifted(Arc<LiftedFunc>),
    /// A host function, by index into the store's host functions.
    Host(u32),
    /// A function Tether cannot call yet (an async lift); calling it is an error that says so.
    Unsupported(Arc<str>),
}

#[cold]
fn unsupported_call(what: &str) -> anyhow::Error {
    anyhow!("unsupported: {what}")
}

/// Creates a core function for a built-in Tether does not implement: like every built-in it
/// first traps if the instance may not leave, and otherwise reports what is unsupported.
pub(crate) fn make_unsupported<T: 'static>(
    store: &mut Wt<'_, T>,
    types: &wasmparser::types::Types,
    core_func_index: u32,
    what: &str,
    checks_may_leave: bool,
    instance: InstanceId,
) -> Result<wasmtime::Func> {
    let id = types.as_ref().core_function_at(core_func_index);
    let wasmparser::CompositeInnerType::Func(fty) = &types[id].composite_type.inner else {
        anyhow::bail!("unsupported: {what}");
    };
    let conv = |t: &wasmparser::ValType| -> Result<wasmtime::ValType> {
        Ok(match t {
            wasmparser::ValType::I32 => wasmtime::ValType::I32,
            wasmparser::ValType::I64 => wasmtime::ValType::I64,
            wasmparser::ValType::F32 => wasmtime::ValType::F32,
            wasmparser::ValType::F64 => wasmtime::ValType::F64,
            _ => anyhow::bail!("unsupported: {what}"),
        })
    };
    let params = fty.params().iter().map(conv).collect::<Result<Vec<_>>>()?;
    let results = fty.results().iter().map(conv).collect::<Result<Vec<_>>>()?;
    let ty = wasmtime::FuncType::new(store.engine(), params, results);
    let what: Arc<str> = what.into();
    Ok(wasmtime::Func::new(
        store,
        ty,
        move |caller: wasmtime::Caller<'_, StoreData<T>>, _params, _results| {
            if checks_may_leave {
                caller
                    .data()
                    .rt
                    .check_may_leave(instance)
                    .map_err(|t| to_core(trap(t)))?;
            }
            Err(to_core(unsupported_call(&what)))
        },
    ))
}

/// A `canon lift`ed function of one instance.
pub(crate) struct LiftedFunc {
    pub core: wasmtime::Func,
    pub sig: Arc<FuncSig>,
    pub opts: Opts,
    pub instance: InstanceId,
    /// The store-level resource type of each of `sig.resources`.
    pub resources: Vec<u32>,
    /// Whether one of `resources` is defined by a guest: its handles reach the embedder
    /// through the store's host handle table, which only the `Val` path translates.
    pub guest_resources: bool,
}

/// What a `canon lower`ed core function calls, and how.
pub(crate) struct Lowered {
    pub callee: FuncDef,
    pub sig: Arc<FuncSig>,
    pub opts: Opts,
    pub instance: InstanceId,
    pub resources: Vec<u32>,
    /// As [`LiftedFunc::guest_resources`].
    pub guest_resources: bool,
}

/// Whether a value of type `ty` can hold a `borrow` handle.
fn has_borrow(ty: &tether_abi::Type) -> bool {
    use tether_abi::Type as Ty;
    match ty {
        Ty::Borrow(_) => true,
        Ty::List(l) => has_borrow(l.elem()),
        Ty::FixedList(l) => has_borrow(l.elem()),
        Ty::Map(m) => has_borrow(m.key()) || has_borrow(m.value()),
        Ty::Record(r) => r.fields().iter().any(|(_, t)| has_borrow(t)),
        Ty::Tuple(t) => t.types().iter().any(has_borrow),
        Ty::Variant(v) => v
            .cases()
            .iter()
            .any(|(_, t)| t.as_ref().is_some_and(has_borrow)),
        Ty::Option(o) => has_borrow(o.some()),
        Ty::Result(r) => r.ok().is_some_and(has_borrow) || r.err().is_some_and(has_borrow),
        _ => false,
    }
}

/// Whether one of the store-level resource types `resources` is defined by a guest.
pub(crate) fn any_guest_resource(rt: &crate::state::runtime::Runtime, resources: &[u32]) -> bool {
    resources
        .iter()
        .any(|&r| rt.resource_types[r as usize].implementer.is_some())
}

/// A trap, as an error of a call: the [`Trap`] under a "wasm trap" context, so that the
/// error downcasts to the `Trap` and reads "wasm trap: <the fault>" in full.
#[cold]
pub(crate) fn trap(t: Fault) -> anyhow::Error {
    anyhow::Error::new(t.into_trap()).context("wasm trap")
}

/// The trap an error of a call carries, if it is one.
pub(crate) fn trap_of(e: &anyhow::Error) -> Option<&Trap> {
    e.downcast_ref::<Trap>()
}

/// Lifting and lowering against one instance's memory, `realloc` and handle table.
pub(crate) struct Cx<'a, 'b, T: 'static> {
    pub store: &'a mut Wt<'b, T>,
    pub opts: &'a Opts,
    pub instance: InstanceId,
    pub resources: &'a [u32],
    /// The scope that borrows lowered into this instance, or lent from it, belong to: every
    /// call that can lend or hand over a borrow has one.
    pub scope: Option<usize>,
    pub source: SourceEncoding,
    /// The bytes copied for the call, when the call counts them itself rather than in its
    /// scope (a typed host function's call that pushes no scope).
    pub copied: Option<&'a std::cell::Cell<u64>>,
}

#[cold]
fn wrong_store() -> anyhow::Error {
    anyhow!("the function belongs to another store: call it with the store of its instance")
}

#[cold]
fn no_memory() -> Fault {
    Trap::MissingOption { option: "memory" }.into()
}

impl<T> Cx<'_, '_, T> {
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
fn check_copy_limit(rt: &crate::state::runtime::Runtime, charged: u64) -> Result<(), Fault> {
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

    fn memory(&self) -> Result<&[u8], Fault> {
        let Some(m) = &self.opts.memory else {
            return Err(no_memory());
        };
        let (base, len) = m.view(self.store);
        // SAFETY: `view` gives the memory's current extent in this store (it is read again
        // after any growth, the only change to a memory's base or length), and the slice
        // borrows the store, so no guest code runs and no memory grows while it lives.
        Ok(unsafe { std::slice::from_raw_parts(base, len) })
    }

    fn memory_mut(&mut self) -> Result<&mut [u8], Fault> {
        let Some(m) = &self.opts.memory else {
            return Err(no_memory());
        };
        let (base, len) = m.view(self.store);
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
        let table = &mut self.store.data_mut().rt.instances[self.instance as usize].handles;
        match table.remove(index)? {
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
                let rtd = &self.store.data().rt;
                let mut generation = 0;
                if rtd.resource_types[rt as usize].objects {
                    let children = rtd.objects.children(rep);
                    if children != 0 {
                        return Err(Fault::from(Trap::HasChildren { index, children }));
                    }
                    generation = rtd.objects.generation(rep).unwrap_or(u32::MAX);
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
            Slot::Free { .. } => Err(Fault::from(Trap::UnknownHandle { index })),
        }
    }

    fn lift_borrow(&mut self, resource: ResourceIndex, index: u32) -> Result<ResourceAny, Fault> {
        let scope = self.scope()?;
        let rt = self.resources[resource.0 as usize];
        let data = self.store.data_mut();
        let slot = data.rt.instances[self.instance as usize]
            .handles
            .get_mut(index)?;
        let rep = match slot {
            Slot::Own {
                rt: have,
                rep,
                lends,
            } => {
                if *have != rt {
                    return Err(wrong_type(index));
                }
                *lends += 1;
                *rep
            }
            Slot::Borrow { rt: have, rep, .. } => {
                if *have != rt {
                    return Err(wrong_type(index));
                }
                *rep
            }
            Slot::Free { .. } => return Err(Fault::from(Trap::UnknownHandle { index })),
        };
        if matches!(slot, Slot::Own { .. }) {
            data.rt.scopes[scope].lenders.push((self.instance, index));
        }
        let generation = if data.rt.resource_types[rt as usize].objects {
            data.rt.objects.generation(rep).unwrap_or(u32::MAX)
        } else {
            0
        };
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
        let cap = data.rt.handle_cap;
        data.rt.instances[self.instance as usize].handles.add(
            Slot::Own {
                rt,
                rep: value.parts().index,
                lends: 0,
            },
            cap,
        )
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
        let cap = data.rt.handle_cap;
        let i = data.rt.instances[self.instance as usize].handles.add(
            Slot::Borrow {
                rt,
                rep: value.parts().index,
                scope: scope as u32,
            },
            cap,
        )?;
        data.rt.scopes[scope].borrows += 1;
        Ok(i)
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
fn check_object(
    rt: &crate::state::runtime::Runtime,
    ty: u32,
    value: ResourceAny,
) -> Result<(), Fault> {
    let h = value.parts();
    if !crate::host::of_this_store(rt, h.store) {
        return Err(Fault::host_value(HandleError::OtherStore.to_string()));
    }
    if rt.resource_types[ty as usize].objects {
        rt.objects
            .check(ty, h.index, h.generation)
            .map_err(|e| Fault::host_value(e.to_string()))?;
    }
    Ok(())
}

#[cold]
fn wrong_type(index: u32) -> Fault {
    Fault::from(Trap::WrongHandleType { index })
}

/// What an instance that a call with error `e` left is poisoned with: the error, in one line.
fn poison_of(e: &anyhow::Error) -> Arc<str> {
    Arc::from(describe_error(e).as_str())
}

/// Renders an error from the core engine or a host function as one line.
pub(crate) fn describe_error(e: &anyhow::Error) -> String {
    if let Some(t) = trap_of(e) {
        return match t {
            Trap::Wasm(w) => w.to_string(),
            t => t.to_string(),
        };
    }
    if let Some(t) = e.downcast_ref::<wasmtime::Trap>() {
        return t.to_string();
    }
    if e.downcast_ref::<wasmtime::ThrownException>().is_some() {
        return Trap::UncaughtException.to_string();
    }
    format!("{e:#}")
}

/// The core engine's trap as Tether names it.
fn wasm_trap(t: wasmtime::Trap) -> Trap {
    use wasmtime::Trap as W;
    Trap::Wasm(match t {
        W::StackOverflow => WasmTrap::StackOverflow,
        W::MemoryOutOfBounds => WasmTrap::MemoryOutOfBounds,
        W::HeapMisaligned => WasmTrap::HeapMisaligned,
        W::TableOutOfBounds => WasmTrap::TableOutOfBounds,
        W::IndirectCallToNull => WasmTrap::IndirectCallToNull,
        W::BadSignature => WasmTrap::BadSignature,
        W::IntegerOverflow => WasmTrap::IntegerOverflow,
        W::IntegerDivisionByZero => WasmTrap::IntegerDivisionByZero,
        W::BadConversionToInteger => WasmTrap::BadConversionToInteger,
        W::UnreachableCodeReached => WasmTrap::Unreachable,
        W::NullReference => WasmTrap::NullReference,
        W::ArrayOutOfBounds => WasmTrap::ArrayOutOfBounds,
        W::AllocationTooLarge => WasmTrap::AllocationTooLarge,
        W::CastFailure => WasmTrap::CastFailure,
        W::OutOfFuel => return Trap::OutOfFuel,
        W::Interrupt => return Trap::DeadlineExceeded,
        _ => WasmTrap::Other,
    })
}

/// Turns a core engine error into Tether's error: a trap of the core engine becomes the
/// [`Trap`] that names it (the engine's error, with its wasm backtrace, stays underneath), a
/// trap raised by Tether or an error of a host function comes out as it went in.
pub(crate) fn from_core(e: wasmtime::Error) -> anyhow::Error {
    if e.downcast_ref::<wasmtime::ThrownException>().is_some() {
        return anyhow::Error::new(Trap::UncaughtException);
    }
    match e.downcast::<HostError>() {
        Ok(h) => h.0,
        Err(e) => {
            let core_trap = e.downcast_ref::<wasmtime::Trap>().copied();
            let e = anyhow::Error::from(e);
            match core_trap {
                Some(t) if trap_of(&e).is_none() => e.context(wasm_trap(t)),
                _ => e,
            }
        }
    }
}

/// An error returned by a host function, carried through the core engine unchanged.
struct HostError(anyhow::Error);

impl std::fmt::Debug for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for HostError {}

/// Turns Tether's error into the core engine's, for returning from a host function: it
/// comes back out of [`from_core`] as it went in.
pub(crate) fn to_core(e: anyhow::Error) -> wasmtime::Error {
    wasmtime::Error::new(HostError(e))
}

/// The raw bits of a core value of type `ty`: 32-bit values in the low half, zero-extended.
///
/// Every core type is stored little-endian from the start of the slot, so this is one load
/// and a mask, with no branch on the type (a jump on the type per parameter cost more than
/// the rest of a small host call).
#[inline]
fn raw_to_u64(raw: ValRaw, ty: CoreType) -> u64 {
    let v = raw.get_u64();
    if matches!(ty, CoreType::I32 | CoreType::F32) {
        v & 0xffff_ffff
    } else {
        v
    }
}

/// The core value of type `ty` with raw bits `v` (see [`raw_to_u64`]).
#[inline]
fn u64_to_raw(v: u64, ty: CoreType) -> ValRaw {
    if matches!(ty, CoreType::I32 | CoreType::F32) {
        ValRaw::u64(v & 0xffff_ffff)
    } else {
        ValRaw::u64(v)
    }
}

/// Calls a lifted function: enters its instance, lowers `args` into it, runs the core
/// function, lifts the results and hands them to `on_results`, then runs `post-return` and
/// checks that every borrow handed to the callee was dropped.
pub(crate) fn call_lifted<T, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    caller: Option<InstanceId>,
    source: SourceEncoding,
    args: &[Val],
    on_results: impl FnOnce(&mut Wt<'_, T>, Vec<Val>) -> Result<R>,
) -> Result<R> {
    let frame = store
        .data_mut()
        .rt
        .open_lift(f.instance, caller, true)
        .map_err(trap)?;
    let r = call_lifted_inner(store, f, frame.scope, source, args, on_results);
    store.data_mut().rt.close_lift(frame, poison(&r));
    r
}

/// The end of every call into a lifted function once its results are lifted: the function's
/// `post-return`, if it has one, run on its core results (`results`, the call's buffer) while
/// the instance may not leave; then the check that the callee dropped every borrow handed to
/// it in the call's `scope`.
#[inline]
fn finish_lifted<T>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    results: &mut [ValRaw],
) -> Result<()> {
    if let Some(post) = f.opts.post_return {
        let inst = f.instance as usize;
        store.data_mut().rt.instances[inst].may_leave = false;
        // SAFETY: the validator checked that `post-return` takes the lifted function's core
        // results, which the caller's buffer holds in order, and returns nothing; it belongs
        // to this store.
        let res = unsafe { post.call_unchecked(&mut *store, results) };
        store.data_mut().rt.instances[inst].may_leave = true;
        res.map_err(from_core)?;
    }
    if scope.is_some_and(|s| store.data().rt.scopes[s].borrows != 0) {
        return Err(trap(Fault::from(Trap::BorrowsRemain)));
    }
    Ok(())
}

/// What a call into a guest that ended with `r` poisons the instances it entered with: its
/// error, unless there was none or the call was refused before the guest ran (arguments of
/// the wrong type: only `realloc` may have run, which leaves nothing inconsistent).
#[inline]
fn poison<R>(r: &Result<R>) -> Option<Arc<str>> {
    r.as_ref()
        .err()
        .filter(|e| !e.is::<HostTypeError>())
        .map(poison_of)
}

/// Calls a lifted function whose parameters and results are all scalars, moving raw core
/// values: no [`Val`], no heap allocation.
pub(crate) fn call_lifted_scalar<T, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    args: &[u64],
    result_count: usize,
    lift: impl FnOnce(&[u64], &mut crate::typed::RawCx<'_>) -> Result<R, Fault>,
) -> Result<R> {
    // The buffer's extent comes from the function's own signature, never from the Rust
    // types' claims: a list of another length is refused before the call.
    let (flat_params, flat_results) = (&f.sig.flat_params, &f.sig.flat_results);
    if args.len() != flat_params.len()
        || result_count != flat_results.len()
        || flat_params.len() > MAX_FLAT_PARAMS
        || flat_results.len() > MAX_FLAT_RESULTS
    {
        return Err(anyhow!(
            "type mismatch: the function takes {} and returns {} core values, the Rust types have {} and {}",
            flat_params.len(),
            flat_results.len(),
            args.len(),
            result_count
        ));
    }
    let mut results = [0u64; MAX_FLAT_RESULTS];
    let results = &mut results[..flat_results.len()];
    let frame = store
        .data_mut()
        .rt
        .open_lift(f.instance, None, false)
        .map_err(trap)?;
    let mut buf = [ValRaw::i32(0); MAX_FLAT_PARAMS];
    for (i, (v, ty)) in args.iter().zip(flat_params).enumerate() {
        buf[i] = u64_to_raw(*v, *ty);
    }
    let n = flat_params.len().max(flat_results.len());
    // SAFETY: the caller checked that the function's parameters and results are scalars that
    // do not spill, so its core type is `flat_params -> flat_results`; the buffer, sized from
    // those two lists above, holds the parameters in order and has room for the results; the
    // function belongs to this store.
    let r = unsafe { f.core.call_unchecked(&mut *store, &mut buf[..n]) }.map_err(from_core);
    let r = r.and_then(|()| {
        for (i, ty) in flat_results.iter().enumerate() {
            results[i] = raw_to_u64(buf[i], *ty);
        }
        let mut cx = crate::typed::RawCx {
            rt: &mut store.data_mut().rt,
        };
        let r = lift(results, &mut cx).map_err(trap)?;
        let n_results = results.len();
        finish_lifted(store, f, None, &mut buf[..n_results])?;
        Ok(r)
    });
    store.data_mut().rt.close_lift(frame, poison(&r));
    r
}

/// Calls a lifted function whose parameter and result types all move without [`Val`]
/// (`ComponentNamedList::ALL_DIRECT`, and no handle to a guest-defined resource): the same
/// steps as [`call_lifted`], with the values lowered from and lifted into Rust directly.
pub(crate) fn call_lifted_direct<T, P, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    params: &P,
) -> Result<R>
where
    P: crate::typed::ComponentNamedList,
    R: crate::typed::ComponentNamedList,
{
    let frame = store
        .data_mut()
        .rt
        .open_lift(f.instance, None, true)
        .map_err(trap)?;
    let r = call_lifted_direct_inner(store, f, frame.scope, params);
    store.data_mut().rt.close_lift(frame, poison(&r));
    r
}

fn call_lifted_direct_inner<T, P, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    params: &P,
) -> Result<R>
where
    P: crate::typed::ComponentNamedList,
    R: crate::typed::ComponentNamedList,
{
    let sig = &*f.sig;
    let mut flat = [0u64; MAX_FLAT_PARAMS];
    let n_params = {
        let mut cx = Cx {
            store,
            opts: &f.opts,
            instance: f.instance,
            resources: &f.resources,
            scope,
            source: SourceEncoding::Utf8,
            copied: None,
        };
        if sig.params_spill {
            let ptr =
                tether_abi::direct::alloc_spilled(&mut cx, &sig.params).map_err(lower_error)?;
            params
                .store_direct_fields(&mut cx, &sig.params, ptr as usize, 0)
                .map_err(lower_error)?;
            flat[0] = u64::from(ptr);
            1
        } else {
            let n = sig.flat_params.len();
            params
                .lower_direct_flat(&mut cx, &sig.params, &mut flat[..n])
                .map_err(lower_error)?;
            n
        }
    };
    let n_results = if sig.results_spill {
        1
    } else {
        sig.flat_results.len()
    };
    let mut buf = [ValRaw::i32(0); MAX_FLAT_PARAMS];
    for i in 0..n_params {
        let ty = if sig.params_spill {
            CoreType::I32
        } else {
            sig.flat_params[i]
        };
        buf[i] = u64_to_raw(flat[i], ty);
    }
    // SAFETY: the validator checked that the lifted core function has the type that
    // `lift_core_type` computes: `n_params` parameters (the flat ones, or one pointer when
    // they spill) and `n_results` results, both at most `MAX_FLAT_PARAMS`; the buffer holds the
    // parameters in order and has room for the results; the function belongs to this store.
    unsafe {
        f.core
            .call_unchecked(&mut *store, &mut buf[..n_params.max(n_results)])
    }
    .map_err(from_core)?;
    let mut raw = [0u64; MAX_FLAT_RESULTS];
    for i in 0..n_results {
        let ty = if sig.results_spill {
            CoreType::I32
        } else {
            sig.flat_results[i]
        };
        raw[i] = raw_to_u64(buf[i], ty);
    }
    let results = {
        let mut cx = Cx {
            store,
            opts: &f.opts,
            instance: f.instance,
            resources: &f.resources,
            scope,
            source: SourceEncoding::Utf8,
            copied: None,
        };
        // The checks and charges of `lift_flat_values`, in its order.
        if sig.results_spill {
            let ptr = raw[0] as u32;
            tether_abi::direct::check_spilled(&mut cx, &sig.results, ptr)
                .and_then(|()| tether_abi::direct::charge_fixed(&mut cx, sig.results_heap))
                .and_then(|()| R::load_direct_fields(&mut cx, &sig.results, ptr as usize, 0))
        } else {
            tether_abi::direct::charge_fixed(&mut cx, sig.results_heap)
                .and_then(|()| R::lift_direct_flat(&mut cx, &sig.results, &raw[..n_results]))
        }
        .map_err(trap)?
    };
    finish_lifted(store, f, scope, &mut buf[..n_results])?;
    Ok(results)
}

/// One guest call of a typed host function on the direct path: what the function needs to
/// lift its parameters and lower its results itself.
pub(crate) struct DirectCall<'a> {
    lowered: &'a Lowered,
    /// The call's scope, when it has one (see `call_lowered_direct`).
    scope: Option<usize>,
    /// The bytes copied for the call.
    copied: std::cell::Cell<u64>,
    /// The parameters' core values: the flat values, or one pointer when they spill.
    args: &'a [u64],
    /// Where the results go when they spill: the caller's return area.
    out_ptr: Option<u32>,
}

impl DirectCall<'_> {
    fn cx<'s, 'b, T>(&'s self, store: &'s mut Wt<'b, T>) -> Cx<'s, 'b, T> {
        Cx {
            store,
            opts: &self.lowered.opts,
            instance: self.lowered.instance,
            resources: &self.lowered.resources,
            scope: self.scope,
            source: SourceEncoding::Utf8,
            copied: Some(&self.copied),
        }
    }

    /// Lifts the parameters after the first `skip` (a method's `self`) as `P`.
    #[inline]
    pub(crate) fn params<T, P: crate::typed::ComponentNamedList>(
        &self,
        store: &mut Wt<'_, T>,
        skip: usize,
    ) -> Result<P> {
        let sig = &*self.lowered.sig;
        let tys = sig.params.get(skip..).unwrap_or(&[]);
        let mut cx = self.cx(store);
        if sig.params_spill {
            // The caller checked the pointer against the whole parameter tuple.
            let mut end = 0;
            for ty in &sig.params[..skip.min(sig.params.len())] {
                end = tether_abi::direct::field_offset(end, ty) + u64::from(ty.size());
            }
            let base = self.args.first().copied().unwrap_or(0) as u32 as usize;
            P::load_direct_fields(&mut cx, tys, base, end)
        } else {
            let at: usize = sig.params[..skip.min(sig.params.len())]
                .iter()
                .map(|t| t.flat_count())
                .sum();
            P::lift_direct_flat(&mut cx, tys, self.args.get(at..).unwrap_or(&[]))
        }
        .map_err(trap)
    }

    /// Lifts a method's `self`, the first parameter, a `borrow<R>`: the object's slot and
    /// generation.
    #[inline]
    pub(crate) fn self_handle<T>(&self, store: &mut Wt<'_, T>) -> Result<ResourceAny> {
        let sig = &*self.lowered.sig;
        let Some(tether_abi::Type::Borrow(r)) = sig.params.first() else {
            return Err(anyhow!(
                "a method's first parameter must be `self: borrow<...>`"
            ));
        };
        let arg = self.args.first().copied().unwrap_or(0) as u32;
        let mut cx = self.cx(store);
        let index = if sig.params_spill {
            let mem = cx.memory().map_err(trap)?;
            u32::from_le_bytes(tether_abi::direct::read(mem, arg as usize).map_err(trap)?)
        } else {
            arg
        };
        cx.lift_borrow(*r, index).map_err(trap)
    }

    /// Lowers the results, into `out` (the flat result, if any) or the caller's return area.
    #[inline]
    pub(crate) fn results<T, R: crate::typed::ComponentNamedList>(
        &self,
        store: &mut Wt<'_, T>,
        results: &R,
        out: &mut [u64],
    ) -> Result<()> {
        let sig = &*self.lowered.sig;
        let mut cx = self.cx(store);
        let r = match self.out_ptr {
            Some(ptr) => tether_abi::direct::check_spilled(&mut cx, &sig.results, ptr)
                .and_then(|()| results.store_direct_fields(&mut cx, &sig.results, ptr as usize, 0)),
            None => {
                let n = sig.flat_results.len();
                match out.get_mut(..n) {
                    Some(out) => results.lower_direct_flat(&mut cx, &sig.results, out),
                    None => Err(Fault::from(Trap::Internal {
                        message: "no room for the results".into(),
                    })),
                }
            }
        };
        r.map_err(|t| match t.trap() {
            Trap::HostValue { message } => trap(
                Trap::HostBadResult {
                    cause: message.clone(),
                }
                .into(),
            ),
            _ => trap(t),
        })
    }
}

/// A guest's call of a typed host function on the direct path: the frame of
/// [`call_lowered`] (the `may_leave` check, the call's scope, the handles lent for it)
/// around `f`. A call whose parameters hold no `borrow` lends no handle and needs no scope:
/// it counts the bytes it copies itself.
///
/// `N` is at least the number of core parameters `params` (those of the lowered core
/// function, the return area's pointer included), so that the common small signatures get a
/// loop unrolled over an array of their size.
fn call_lowered_direct<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    params: &[CoreType; N],
    n: usize,
    slots: &mut [MaybeUninit<ValRaw>],
    f: &DirectHostFn<T>,
    scoped: bool,
) -> Result<()> {
    let frame = store
        .data_mut()
        .rt
        .open_lower(l.instance, scoped)
        .map_err(trap)?;
    let mut args = [0u64; N];
    for i in 0..N {
        if i >= n {
            break;
        }
        let Some(slot) = slots.get(i) else {
            break;
        };
        // SAFETY: the core engine initialised every parameter slot before calling.
        args[i] = raw_to_u64(unsafe { slot.assume_init() }, params[i]);
    }
    let (args, out_ptr) = if l.sig.results_spill {
        let n = n.saturating_sub(1);
        (&args[..n], Some(args[n] as u32))
    } else {
        (&args[..n], None)
    };
    let mut out = [0u64; MAX_FLAT_RESULTS];
    let call = DirectCall {
        lowered: l,
        scope: frame.scope,
        copied: std::cell::Cell::new(0),
        args,
        out_ptr,
    };
    // The checks and charges of `lift_flat_values`, in its order, before any parameter
    // (a method's `self` included) is lifted.
    let r = if l.sig.params_spill || l.sig.params_heap != 0 {
        let mut cx = call.cx(store);
        let ptr = args.first().copied().unwrap_or(0) as u32;
        if l.sig.params_spill {
            tether_abi::direct::check_spilled(&mut cx, &l.sig.params, ptr)
        } else {
            Ok(())
        }
        .and_then(|()| tether_abi::direct::charge_fixed(&mut cx, l.sig.params_heap))
        .map_err(trap)
    } else {
        Ok(())
    };
    let r = r.and_then(|()| f(store, &call, &mut out));
    store.data_mut().rt.close_lower(frame);
    r?;
    if !l.sig.results_spill {
        for ((slot, v), ty) in slots.iter_mut().zip(out).zip(&l.sig.flat_results) {
            *slot = MaybeUninit::new(u64_to_raw(v, *ty));
        }
    }
    Ok(())
}

fn call_lifted_inner<T, R>(
    store: &mut Wt<'_, T>,
    f: &LiftedFunc,
    scope: Option<usize>,
    source: SourceEncoding,
    args: &[Val],
    on_results: impl FnOnce(&mut Wt<'_, T>, Vec<Val>) -> Result<R>,
) -> Result<R> {
    let sig = &*f.sig;
    let (core_params, core_results) = sig.lift_core_type();
    let mut flat = Vec::with_capacity(core_params.len());
    {
        let mut cx = Cx {
            store,
            opts: &f.opts,
            instance: f.instance,
            resources: &f.resources,
            scope,
            source,
            copied: None,
        };
        tether_abi::lower_flat_values(&mut cx, MAX_FLAT_PARAMS, args, &sig.params, None, &mut flat)
            .map_err(lower_error)?;
    }
    let mut buf: Vec<ValRaw> = Vec::with_capacity(core_params.len().max(core_results.len()));
    for (v, ty) in flat.iter().zip(core_params) {
        buf.push(u64_to_raw(*v, *ty));
    }
    buf.resize(core_params.len().max(core_results.len()), ValRaw::i32(0));
    // SAFETY: the validator checked that the lifted core function has the type that
    // `lift_core_type` computes, the buffer holds its parameters in that order and has room
    // for its results, and the function belongs to this store.
    unsafe { f.core.call_unchecked(&mut *store, buf.as_mut_slice()) }.map_err(from_core)?;
    let raw_results: Vec<u64> = buf
        .iter()
        .zip(core_results)
        .map(|(r, ty)| raw_to_u64(*r, *ty))
        .collect();
    let results = {
        let mut cx = Cx {
            store,
            opts: &f.opts,
            instance: f.instance,
            resources: &f.resources,
            scope,
            source: SourceEncoding::Utf8,
            copied: None,
        };
        tether_abi::lift_flat_values(&mut cx, MAX_FLAT_RESULTS, &raw_results, &sig.results)
            .map_err(trap)?
    };
    let r = on_results(store, results)?;
    finish_lifted(store, f, scope, &mut buf[..core_results.len()])?;
    Ok(r)
}

/// A fault in lowering: the guest's (a trap) or the host's (a value of the wrong type, which
/// is the [`Trap::HostValue`] over a [`HostTypeError`]).
fn lower_error(t: Fault) -> anyhow::Error {
    if matches!(t.trap(), Trap::HostValue { .. }) {
        anyhow::Error::new(HostTypeError).context(t.into_trap())
    } else {
        trap(t)
    }
}

/// Marks a value the host passed that does not match its type: the host's mistake, found
/// before the guest ran, so it leaves the instance usable.
#[derive(Debug)]
pub(crate) struct HostTypeError;

impl std::fmt::Display for HostTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused before the guest ran")
    }
}

impl std::error::Error for HostTypeError {}

fn source_of(encoding: StringEncoding) -> SourceEncoding {
    match encoding {
        StringEncoding::Utf8 => SourceEncoding::Utf8,
        StringEncoding::Utf16 => SourceEncoding::Utf16,
        StringEncoding::Latin1Utf16 => SourceEncoding::Latin1Utf16 { force_utf16: false },
    }
}

/// Creates the core function that a `canon lower` produces; `ty` is its core type
/// (`FuncSig::lowered_func_type`).
pub(crate) fn make_lowered<T: 'static>(
    store: &mut Wt<'_, T>,
    ty: wasmtime::FuncType,
    lowered: Lowered,
) -> wasmtime::Func {
    let params = lowered.sig.lower_params.clone();
    if let FuncDef::Host(i) = lowered.callee {
        let forms = store.data().host_funcs[i as usize].clone();
        // A typed host function over scalars and handles to host objects: raw core values in
        // and out, with handles translated between the guest's table and the objects' slots.
        let plan = match (&forms.raw, &forms.raw_method) {
            (None, None) => None,
            _ => raw_plan(&store.data().rt, &lowered),
        };
        // A method of a host object on the raw path, whose other parameters are scalars: the
        // `self` handle goes straight to the object's slot.
        if let (Some(method), Some(plan)) = (&forms.raw_method, &plan)
            && let Some(RawValue::Handle {
                rt: self_ty,
                own: false,
            }) = plan.params.first().copied()
            && plan.params[1..]
                .iter()
                .all(|h| matches!(h, RawValue::Scalar))
        {
            let m = RawMethod {
                method: method.clone(),
                self_ty,
                instance: lowered.instance,
                params: params.clone(),
                result: match (lowered.sig.flat_results.first(), plan.results.first()) {
                    (Some(ty), Some(how)) => Some((*ty, *how)),
                    _ => None,
                },
            };
            return match params.len() {
                0 | 1 => raw_method_func::<T, 0>(store, ty, m),
                2 => raw_method_func::<T, 1>(store, ty, m),
                3 => raw_method_func::<T, 2>(store, ty, m),
                4 => raw_method_func::<T, 3>(store, ty, m),
                _ => raw_method_func::<T, MAX_FLAT_PARAMS>(store, ty, m),
            };
        }
        if let (Some(raw), Some(plan)) = (&forms.raw, plan) {
            let raw = RawFunc {
                raw: raw.clone(),
                plan,
                instance: lowered.instance,
                params: params.clone(),
                results: lowered.sig.flat_results.clone(),
            };
            // Monomorphic for the common parameter counts, so that the per-parameter loop is
            // unrolled and its arrays are as small as the signature.
            return match params.len() {
                0 => raw_host_func::<T, 0>(store, ty, raw),
                1 => raw_host_func::<T, 1>(store, ty, raw),
                2 => raw_host_func::<T, 2>(store, ty, raw),
                3 => raw_host_func::<T, 3>(store, ty, raw),
                4 => raw_host_func::<T, 4>(store, ty, raw),
                _ => raw_host_func::<T, MAX_FLAT_PARAMS>(store, ty, raw),
            };
        }
        // A typed host function whose types all move without `Val`.
        if let Some(direct) = &forms.direct
            && !lowered.guest_resources
        {
            let direct = direct.clone();
            return match params.len() {
                0..=1 => direct_host_func::<T, 1>(store, ty, lowered, direct),
                2 => direct_host_func::<T, 2>(store, ty, lowered, direct),
                3 => direct_host_func::<T, 3>(store, ty, lowered, direct),
                4 => direct_host_func::<T, 4>(store, ty, lowered, direct),
                _ => direct_host_func::<T, { MAX_FLAT_PARAMS + 1 }>(store, ty, lowered, direct),
            };
        }
    }
    let lowered = Arc::new(lowered);
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let mut store = caller.as_context_mut();
        call_lowered(&mut store, &lowered, &params, slots).map_err(to_core)
    };
    // SAFETY: `call_lowered` reads exactly the parameters of `ty` and writes exactly its
    // results, with the types `lower_core_type` gave both.
    unsafe { wasmtime::Func::new_unchecked(store, ty, host) }
}

/// Creates the core function of a typed host function on the direct path, with at most `N`
/// core parameters.
fn direct_host_func<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    ty: wasmtime::FuncType,
    lowered: Lowered,
    direct: Arc<DirectHostFn<T>>,
) -> wasmtime::Func {
    let scoped = lowered.sig.params.iter().any(has_borrow);
    let n = lowered.sig.lower_params.len().min(N);
    let mut params = [CoreType::I32; N];
    params[..n].copy_from_slice(&lowered.sig.lower_params[..n]);
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let mut store = caller.as_context_mut();
        call_lowered_direct(&mut store, &lowered, &params, n, slots, &*direct, scoped)
            .map_err(to_core)
    };
    // SAFETY: `call_lowered_direct` reads exactly the parameters of `ty` and writes exactly
    // its results, with the types `lower_core_type` gave both.
    unsafe { wasmtime::Func::new_unchecked(store, ty, host) }
}

/// How the raw path passes one flat value.
#[derive(Clone, Copy)]
enum RawValue {
    Scalar,
    /// A handle to a host object of store-level resource type `rt`.
    Handle {
        rt: u32,
        own: bool,
    },
}

struct RawPlan {
    params: Vec<RawValue>,
    results: Vec<RawValue>,
}

/// A host function on the raw path, with what its core function needs.
struct RawFunc<T: 'static> {
    raw: Arc<RawHostFn<T>>,
    plan: RawPlan,
    instance: InstanceId,
    /// The core types of the parameters and results.
    params: Arc<[CoreType]>,
    results: Vec<CoreType>,
}

/// A method of a host object on the raw path (see `make_lowered`).
struct RawMethod<T: 'static> {
    method: Arc<RawMethodFn<T>>,
    /// The store-level resource type of `self`.
    self_ty: u32,
    instance: InstanceId,
    /// The core types of the parameters, `self` first.
    params: Arc<[CoreType]>,
    result: Option<(CoreType, RawValue)>,
}

/// Writes the one result of a raw host function or method, `value` as the host returned it,
/// into the core result slot: a scalar as it is, an own handle lowered into the calling
/// instance's table.
fn write_raw_result(
    rt: &mut crate::state::runtime::Runtime,
    instance: InstanceId,
    result: Option<(CoreType, RawValue)>,
    slots: &mut [MaybeUninit<ValRaw>],
    value: u64,
) -> wasmtime::Result<()> {
    if let Some((ty, how)) = result
        && let Some(slot) = slots.first_mut()
    {
        let v = match how {
            RawValue::Scalar => value,
            RawValue::Handle { rt: rty, .. } => {
                u64::from(raw_lower_own(rt, instance, rty, value).map_err(|t| to_core(trap(t)))?)
            }
        };
        *slot = MaybeUninit::new(u64_to_raw(v, ty));
    }
    Ok(())
}

/// Creates the core function of a raw method with at most `N` flat parameters after `self`.
fn raw_method_func<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    ty: wasmtime::FuncType,
    m: RawMethod<T>,
) -> wasmtime::Func {
    let n = m.params.len().saturating_sub(1).min(N);
    let mut tys = [CoreType::I32; N];
    tys[..n].copy_from_slice(&m.params[1..1 + n]);
    let RawMethod {
        method,
        self_ty,
        instance,
        result,
        ..
    } = m;
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let rt = &mut caller.data_mut().rt;
        rt.check_may_leave(instance).map_err(|t| to_core(trap(t)))?;
        let inst = &rt.instances[instance as usize];
        // SAFETY: the core engine initialised every parameter slot before calling.
        let index = match slots.first() {
            Some(slot) => raw_to_u64(unsafe { slot.assume_init() }, CoreType::I32) as u32,
            None => 0,
        };
        // Borrowing `self` lends nothing: no later parameter is a handle (see
        // `raw_lift_handle`).
        let object = match inst.handles.get(index) {
            Ok(Slot::Own { rt: have, rep, .. } | Slot::Borrow { rt: have, rep, .. })
                if have == self_ty =>
            {
                rep
            }
            Ok(_) => return Err(to_core(trap(wrong_type(index)))),
            Err(t) => return Err(to_core(trap(t))),
        };
        let mut args = [0u64; N];
        for i in 0..N {
            if i >= n {
                break;
            }
            let Some(slot) = slots.get(i + 1) else {
                break;
            };
            // SAFETY: the core engine initialised every parameter slot before calling.
            args[i] = raw_to_u64(unsafe { slot.assume_init() }, tys[i]);
        }
        let mut out = [0u64; MAX_FLAT_RESULTS];
        method(
            &mut caller.as_context_mut(),
            object,
            &args[..n],
            &mut out[..usize::from(result.is_some())],
        )
        .map_err(to_core)?;
        write_raw_result(&mut caller.data_mut().rt, instance, result, slots, out[0])
    };
    // SAFETY: the closure reads exactly the parameters of `ty` and writes exactly its
    // results, with the types `lower_core_type` gave both.
    unsafe { wasmtime::Func::new_unchecked(store, ty, host) }
}

/// Creates the core function of a raw host function with at most `N` flat parameters.
fn raw_host_func<T: 'static, const N: usize>(
    store: &mut Wt<'_, T>,
    ty: wasmtime::FuncType,
    f: RawFunc<T>,
) -> wasmtime::Func {
    let n = f.params.len().min(N);
    let mut how = [RawValue::Scalar; N];
    let mut tys = [CoreType::I32; N];
    for i in 0..n {
        how[i] = f.plan.params[i];
        tys[i] = f.params[i];
    }
    let result = match (f.results.first(), f.plan.results.first()) {
        (Some(ty), Some(how)) => Some((*ty, *how)),
        _ => None,
    };
    // Whether an `own` handle follows a `borrow`: only then can a lend be seen.
    let lend = how.iter().enumerate().any(|(i, h)| {
        matches!(h, RawValue::Handle { own: false, .. })
            && how[i + 1..]
                .iter()
                .any(|h| matches!(h, RawValue::Handle { own: true, .. }))
    });
    let RawFunc { raw, instance, .. } = f;
    let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                     slots: &mut [MaybeUninit<ValRaw>]|
          -> wasmtime::Result<()> {
        let rt = &mut caller.data_mut().rt;
        rt.check_may_leave(instance).map_err(|t| to_core(trap(t)))?;
        let mut args = [0u64; N];
        // Own handles lent as borrows for this call, as `lift_borrow` records them.
        let mut lent = [0u32; N];
        let mut n_lent = 0;
        let mut lifted = Ok(());
        for i in 0..N {
            if i >= n {
                break;
            }
            let Some(slot) = slots.get(i) else {
                break;
            };
            // SAFETY: the core engine initialised every parameter slot before calling.
            let v = raw_to_u64(unsafe { slot.assume_init() }, tys[i]);
            args[i] = match how[i] {
                RawValue::Scalar => v,
                RawValue::Handle { rt: ty, own } => {
                    match raw_lift_handle(rt, instance, ty, own, lend, v as u32) {
                        Ok((packed, lends)) => {
                            if lends {
                                lent[n_lent] = v as u32;
                                n_lent += 1;
                            }
                            packed
                        }
                        Err(t) => {
                            lifted = Err(t);
                            break;
                        }
                    }
                }
            };
        }
        let mut out = [0u64; MAX_FLAT_RESULTS];
        let r = match lifted {
            Ok(()) => raw(
                StoreContextMut(caller.as_context_mut()),
                &args[..n],
                &mut out[..usize::from(result.is_some())],
            ),
            Err(t) => Err(trap(t)),
        };
        if n_lent != 0 {
            let rt = &mut caller.data_mut().rt;
            for &index in &lent[..n_lent] {
                rt.give_back_lend(instance, index);
            }
        }
        r.map_err(to_core)?;
        write_raw_result(&mut caller.data_mut().rt, instance, result, slots, out[0])
    };
    // SAFETY: the closure reads exactly the parameters of `ty` and writes exactly its
    // results, with the types `lower_core_type` gave both.
    unsafe { wasmtime::Func::new_unchecked(store, ty, host) }
}

/// Whether a lowered function can take the raw path, and how: every parameter and result is a
/// scalar or a handle to a host object, and nothing spills.
fn raw_plan(rt: &crate::state::runtime::Runtime, l: &Lowered) -> Option<RawPlan> {
    if l.sig.params_spill || l.sig.results_spill {
        return None;
    }
    let classify = |ty: &tether_abi::Type, result: bool| -> Option<RawValue> {
        use tether_abi::Type as Ty;
        match ty {
            Ty::Bool
            | Ty::S8
            | Ty::U8
            | Ty::S16
            | Ty::U16
            | Ty::S32
            | Ty::U32
            | Ty::S64
            | Ty::U64
            | Ty::F32
            | Ty::F64
            | Ty::Char => Some(RawValue::Scalar),
            Ty::Own(r) | Ty::Borrow(r) => {
                let rt_id = l.resources[r.0 as usize];
                let own = matches!(ty, Ty::Own(_));
                (rt.resource_types[rt_id as usize].objects && (own || !result))
                    .then_some(RawValue::Handle { rt: rt_id, own })
            }
            _ => None,
        }
    };
    let params = l
        .sig
        .params
        .iter()
        .map(|t| classify(t, false))
        .collect::<Option<Vec<_>>>()?;
    let results = l
        .sig
        .results
        .iter()
        .map(|t| classify(t, true))
        .collect::<Option<Vec<_>>>()?;
    Some(RawPlan { params, results })
}

/// Lifts a handle to a host object for the raw path: the guest's index becomes the object's
/// slot and generation, packed. An `own` handle leaves the guest's table; with `lend`,
/// borrowing an own handle lends it for the call, as `lift_borrow` does (the second value
/// says so: the caller gives the lend back when the call ends).
///
/// A lend only keeps the handle from being dropped or moved during the call. While a host
/// function runs, no code of the calling instance can do that (the instance cannot be entered
/// again, and only its own code reaches its table); only a later parameter of the same call
/// can, an `own` of the same handle. So the raw path counts lends only for signatures with an
/// `own` handle after a `borrow`.
#[inline]
fn raw_lift_handle(
    rt: &mut crate::state::runtime::Runtime,
    instance: InstanceId,
    ty: u32,
    own: bool,
    lend: bool,
    index: u32,
) -> Result<(u64, bool), Fault> {
    let table = &mut rt.instances[instance as usize].handles;
    let (rep, lent) = match table.get_mut(index)? {
        Slot::Own {
            rt: have,
            rep,
            lends,
        } if *have == ty => {
            let rep = *rep;
            if own {
                if *lends != 0 {
                    return Err(Fault::from(Trap::HandleLent));
                }
                let children = rt.objects.children(rep);
                if children != 0 {
                    return Err(Fault::from(Trap::HasChildren { index, children }));
                }
                table.remove(index)?;
                (rep, false)
            } else if lend {
                *lends += 1;
                (rep, true)
            } else {
                (rep, false)
            }
        }
        Slot::Borrow { rt: have, rep, .. } if *have == ty => {
            if own {
                return Err(Fault::from(Trap::OwnFromBorrow { index }));
            }
            (*rep, false)
        }
        _ => return Err(wrong_type(index)),
    };
    let generation = rt.objects.generation(rep).unwrap_or(u32::MAX);
    Ok((u64::from(rep) | (u64::from(generation) << 32), lent))
}

/// Lowers an owned handle to a host object for the raw path: the packed slot and generation
/// become a new entry in the guest's table.
fn raw_lower_own(
    rt: &mut crate::state::runtime::Runtime,
    instance: InstanceId,
    ty: u32,
    packed: u64,
) -> Result<u32, Fault> {
    let (index, generation) = (packed as u32, (packed >> 32) as u32);
    rt.objects.check(ty, index, generation).map_err(|e| {
        Fault::from(Trap::HostBadHandle {
            cause: e.to_string().into(),
        })
    })?;
    let cap = rt.handle_cap;
    rt.instances[instance as usize].handles.add(
        Slot::Own {
            rt: ty,
            rep: index,
            lends: 0,
        },
        cap,
    )
}

fn call_lowered<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    params: &[CoreType],
    slots: &mut [MaybeUninit<ValRaw>],
) -> Result<()> {
    let frame = store
        .data_mut()
        .rt
        .open_lower(l.instance, true)
        .map_err(trap)?;
    let args: Vec<u64> = params
        .iter()
        .zip(slots.iter())
        // SAFETY: the core engine initialised every parameter slot before calling.
        .map(|(ty, s)| raw_to_u64(unsafe { s.assume_init() }, *ty))
        .collect();
    let out_ptr = if l.sig.results_spill {
        args.last().map(|p| *p as u32)
    } else {
        None
    };
    let r = call_lowered_inner(store, l, frame.scope, &args, out_ptr);
    // Gives back every handle lent for the call, whether it returned or trapped.
    store.data_mut().rt.close_lower(frame);
    // A mistyped value here interrupted a running guest: from here on it is a trap.
    let flat = r.map_err(|e| match trap_of(&e) {
        Some(Trap::HostValue { message }) if e.is::<HostTypeError>() => trap(
            Trap::HostBadResult {
                cause: message.clone(),
            }
            .into(),
        ),
        _ => e,
    })?;
    for (i, v) in flat.iter().enumerate() {
        slots[i] = MaybeUninit::new(u64_to_raw(*v, l.sig.flat_results[i]));
    }
    Ok(())
}

fn call_lowered_inner<T: 'static>(
    store: &mut Wt<'_, T>,
    l: &Lowered,
    scope: Option<usize>,
    args: &[u64],
    out_ptr: Option<u32>,
) -> Result<Vec<u64>> {
    let params = {
        let mut cx = Cx {
            store,
            opts: &l.opts,
            instance: l.instance,
            resources: &l.resources,
            scope,
            source: SourceEncoding::Utf8,
            copied: None,
        };
        let param_args = if out_ptr.is_some() {
            &args[..args.len() - 1]
        } else {
            args
        };
        tether_abi::lift_flat_values(&mut cx, MAX_FLAT_PARAMS, param_args, &l.sig.params)
            .map_err(trap)?
    };
    let lower_results = |store: &mut Wt<'_, T>, results: Vec<Val>| -> Result<Vec<u64>> {
        let mut flat = Vec::with_capacity(1);
        let mut cx = Cx {
            store,
            opts: &l.opts,
            instance: l.instance,
            resources: &l.resources,
            scope,
            source: SourceEncoding::Utf8,
            copied: None,
        };
        tether_abi::lower_flat_values(
            &mut cx,
            MAX_FLAT_RESULTS,
            &results,
            &l.sig.results,
            out_ptr,
            &mut flat,
        )
        .map_err(lower_error)?;
        Ok(flat)
    };
    match &l.callee {
        FuncDef::Host(i) => {
            let f = store.data().host_funcs[*i as usize].dynamic.clone();
            let mut results = vec![Val::Bool(false); l.sig.results.len()];
            if l.sig.has_resources() {
                let mut params = params;
                let mut borrows = Vec::new();
                for p in &mut params {
                    crate::resources::to_embedder(&mut store.data_mut().rt, p, &mut borrows);
                }
                let r = f(
                    StoreContextMut(store.as_context_mut()),
                    &params,
                    &mut results,
                );
                crate::resources::release_borrows(&mut store.data_mut().rt, &borrows);
                r?;
                for (v, ty) in results.iter_mut().zip(&l.sig.results) {
                    crate::resources::from_embedder(&mut store.data_mut().rt, v, ty)
                        .map_err(|e| anyhow!("host function returned a bad handle: {e}"))?;
                }
            } else {
                f(
                    StoreContextMut(store.as_context_mut()),
                    &params,
                    &mut results,
                )?;
            }
            let mut cx_source = lower_results(store, results);
            if let Err(e) = &cx_source
                && trap_of(e).is_none()
            {
                cx_source = Err(trap(
                    Trap::HostBadResult {
                        cause: e.to_string().into(),
                    }
                    .into(),
                ));
            }
            cx_source
        }
        FuncDef::Lifted(f) => {
            let source = source_of(l.opts.encoding);
            call_lifted(
                store,
                f,
                Some(l.instance),
                source,
                &params,
                |store, results| lower_results(store, results),
            )
        }
        FuncDef::Unsupported(what) => Err(unsupported_call(what)),
    }
}

/// Runs the destructor of resource type `rt` on `rep`, on behalf of instance `caller`
/// (or the host).
pub(crate) fn run_dtor<T>(
    mut store: Wt<'_, T>,
    caller: Option<InstanceId>,
    rt: u32,
    rep: u32,
) -> Result<()> {
    let Some(info) = store.data().rt.resource_types.get(rt as usize) else {
        return Err(anyhow!("unknown resource type {rt}"));
    };
    let (dtor, implementer) = (info.dtor.clone(), info.implementer);
    if info.objects {
        // The object leaves the table, which is consistent again before the object is
        // dropped in place (keeping its allocation for the next object) or moved out for the
        // destructor callback, which runs with the store released.
        let callback = match dtor {
            Some(Dtor::Object(i)) => Some(i),
            _ => None,
        };
        let objects = &mut store.data_mut().rt.objects;
        let generation = objects.generation(rep).ok_or_else(|| {
            trap(Fault::from(Trap::HostObject(HandleError::Stale {
                index: rep,
            })))
        })?;
        let object = objects
            .remove(rep, generation, |o| match callback {
                Some(_) => o.take_boxed(),
                None => {
                    o.clear();
                    None
                }
            })
            .map_err(|e| trap(Trap::HostObject(e).into()))?;
        return match (callback, object) {
            (Some(i), Some(object)) => {
                let f = store.data().object_dtors[i as usize].clone();
                f(StoreContextMut(store.as_context_mut()), object)
            }
            _ => Ok(()),
        };
    }
    match dtor {
        None => Ok(()),
        Some(Dtor::Host(i)) => {
            let f = store.data().host_dtors[i as usize].clone();
            f(StoreContextMut(store.as_context_mut()), rep)
        }
        Some(Dtor::Object(_)) => Ok(()),
        Some(Dtor::Guest(i)) => {
            let func = store.data().guest_dtors[i as usize];
            let implementer = implementer.expect("guest destructors belong to an instance");
            let frame = store
                .data_mut()
                .rt
                .open_lift(implementer, caller, false)
                .map_err(trap)?;
            let mut buf = [ValRaw::i32(rep as i32)];
            // SAFETY: the validator checked that a destructor has type `(func (param i32))`.
            let r = unsafe { func.call_unchecked(&mut store, &mut buf) }.map_err(from_core);
            store.data_mut().rt.close_lift(frame, poison(&r));
            r
        }
    }
}

/// Creates the core function of a `canon resource.new`, `resource.drop` or `resource.rep`;
/// `ty` is its core type (`crate::types::resource_intrinsic_type`).
pub(crate) fn make_resource_intrinsic<T: 'static>(
    store: &mut Wt<'_, T>,
    ty: wasmtime::FuncType,
    op: crate::translate::ResourceOp,
    rt: u32,
    instance: InstanceId,
) -> wasmtime::Func {
    use crate::translate::ResourceOp;
    /// The one `i32` parameter.
    fn arg(slots: &[MaybeUninit<ValRaw>]) -> u32 {
        match slots.first() {
            // SAFETY: the core engine initialised the parameter slot before calling.
            Some(slot) => unsafe { slot.assume_init() }.get_u32(),
            None => 0,
        }
    }
    /// Writes the one `i32` result.
    fn ret(slots: &mut [MaybeUninit<ValRaw>], v: u32) {
        if let Some(slot) = slots.first_mut() {
            *slot = MaybeUninit::new(ValRaw::u32(v));
        }
    }
    match op {
        ResourceOp::New => {
            let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                             slots: &mut [MaybeUninit<ValRaw>]|
                  -> wasmtime::Result<()> {
                let rep = arg(slots);
                let data = caller.data_mut();
                data.rt
                    .check_may_leave(instance)
                    .map_err(|t| to_core(trap(t)))?;
                let cap = data.rt.handle_cap;
                let inst = &mut data.rt.instances[instance as usize];
                let i = inst
                    .handles
                    .add(Slot::Own { rt, rep, lends: 0 }, cap)
                    .map_err(|t| to_core(trap(t)))?;
                ret(slots, i);
                Ok(())
            };
            // SAFETY: the closure reads the one `i32` parameter and writes the one `i32`
            // result of `ty`.
            unsafe { wasmtime::Func::new_unchecked(store, ty, host) }
        }
        ResourceOp::Rep => {
            let host = move |caller: wasmtime::Caller<'_, StoreData<T>>,
                             slots: &mut [MaybeUninit<ValRaw>]|
                  -> wasmtime::Result<()> {
                let i = arg(slots);
                let inst = &caller.data().rt.instances[instance as usize];
                match inst.handles.get(i).map_err(|t| to_core(trap(t)))? {
                    Slot::Own { rt: have, rep, .. } | Slot::Borrow { rt: have, rep, .. }
                        if have == rt =>
                    {
                        ret(slots, rep);
                        Ok(())
                    }
                    _ => Err(to_core(trap(wrong_type(i)))),
                }
            };
            // SAFETY: the closure reads the one `i32` parameter and writes the one `i32`
            // result of `ty`.
            unsafe { wasmtime::Func::new_unchecked(store, ty, host) }
        }
        ResourceOp::Drop => {
            let host = move |mut caller: wasmtime::Caller<'_, StoreData<T>>,
                             slots: &mut [MaybeUninit<ValRaw>]|
                  -> wasmtime::Result<()> {
                let i = arg(slots);
                resource_drop(caller.as_context_mut(), instance, rt, i).map_err(to_core)
            };
            // SAFETY: the closure reads the one `i32` parameter of `ty` and writes nothing,
            // as `ty` has no result.
            unsafe { wasmtime::Func::new_unchecked(store, ty, host) }
        }
    }
}

fn resource_drop<T>(mut store: Wt<'_, T>, instance: InstanceId, rt: u32, i: u32) -> Result<()> {
    let data = store.data_mut();
    data.rt.check_may_leave(instance).map_err(trap)?;
    let inst = &mut data.rt.instances[instance as usize];
    let slot = inst.handles.get(i).map_err(trap)?;
    match slot {
        Slot::Own { rt: have, .. } | Slot::Borrow { rt: have, .. } if have != rt => {
            return Err(trap(wrong_type(i)));
        }
        Slot::Own { lends, .. } if lends != 0 => {
            return Err(trap(Fault::from(Trap::HandleLent)));
        }
        _ => {}
    }
    inst.handles.remove(i).map_err(trap)?;
    match slot {
        Slot::Own { rep, .. } => {
            let info = &data.rt.resource_types[rt as usize];
            if info.objects && info.dtor.is_none() {
                // A host object without a destructor callback: dropped in place, as
                // `run_dtor` does, without its detour.
                return match data.rt.objects.remove_live(rep, |o| o.clear()) {
                    Ok(Some(())) => Ok(()),
                    Ok(None) => Err(trap(Fault::from(Trap::HostObject(HandleError::Stale {
                        index: rep,
                    })))),
                    Err(e) => Err(trap(Trap::HostObject(e).into())),
                };
            }
            if info.implementer == Some(instance) {
                // The instance drops its own resource: the destructor runs inside it.
                let dtor = data.rt.resource_types[rt as usize].dtor.clone();
                if let Some(Dtor::Guest(i)) = dtor {
                    let func = data.guest_dtors[i as usize];
                    let mut buf = [ValRaw::i32(rep as i32)];
                    // SAFETY: the validator checked that a destructor has type `(func (param i32))`.
                    return unsafe { func.call_unchecked(&mut store, &mut buf) }.map_err(from_core);
                }
                Ok(())
            } else {
                run_dtor(store, Some(instance), rt, rep)
            }
        }
        Slot::Borrow { scope, .. } => {
            if let Some(s) = data.rt.scopes.get_mut(scope as usize) {
                s.borrows = s.borrows.saturating_sub(1);
            }
            Ok(())
        }
        Slot::Free { .. } => Ok(()),
    }
}

/// A component function that the host can call.
#[derive(Clone)]
pub struct Func {
    pub(crate) def: FuncDef,
    /// The export name it was found under, for messages.
    pub(crate) name: Arc<str>,
    /// The store that holds its instance (`Runtime::store_id`).
    pub(crate) store_id: u64,
}

impl Func {
    /// Calls the function with `params`, writing its results into `results`.
    ///
    /// Runs the function's `post-return` before returning. A trap is returned as an error
    /// that names the fault; afterwards the instance that trapped cannot be entered again.
    pub fn call(
        &self,
        store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        self.call_inner(store, params, results)
            .map_err(|e| self.name_error(e))
    }

    /// Adds the function's name to an error from calling it.
    #[cold]
    pub(crate) fn name_error(&self, e: anyhow::Error) -> anyhow::Error {
        e.context(format!(
            "error while calling component function `{}`",
            self.name
        ))
    }

    /// The name the function was exported under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Fails unless `rt` is the runtime of the store that holds the function.
    #[inline]
    pub(crate) fn check_store(&self, rt: &crate::state::runtime::Runtime) -> Result<()> {
        if rt.store_id != self.store_id {
            return Err(wrong_store());
        }
        Ok(())
    }

    fn call_inner(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let mut store = store.as_context_mut();
        self.check_store(&store.0.data().rt)?;
        match &self.def {
            FuncDef::Lifted(f) => {
                if params.len() != f.sig.params.len() {
                    anyhow::bail!(
                        "expected {} arguments, got {}",
                        f.sig.params.len(),
                        params.len()
                    );
                }
                if results.len() != f.sig.results.len() {
                    anyhow::bail!(
                        "expected {} results, got room for {}",
                        f.sig.results.len(),
                        results.len()
                    );
                }
                if !f.sig.has_resources() {
                    return call_lifted(
                        &mut store.0,
                        f,
                        None,
                        SourceEncoding::Utf8,
                        params,
                        |_, vals| {
                            for (slot, v) in results.iter_mut().zip(vals) {
                                *slot = v;
                            }
                            Ok(())
                        },
                    );
                }
                // Handles cross the embedder boundary: translate them both ways, once all of
                // them are known to fit, so that a refused call takes no handle away.
                let mut params = params.to_vec();
                let mut moved = Vec::new();
                for (p, ty) in params.iter_mut().zip(&f.sig.params) {
                    let rt = &store.0.data().rt;
                    crate::resources::check_from_embedder(rt, p, ty, &f.resources, &mut moved)?;
                }
                for (p, ty) in params.iter_mut().zip(&f.sig.params) {
                    crate::resources::from_embedder(&mut store.0.data_mut().rt, p, ty)?;
                }
                call_lifted(
                    &mut store.0,
                    f,
                    None,
                    SourceEncoding::Utf8,
                    &params,
                    |store, vals| {
                        let mut borrows = Vec::new();
                        for (slot, mut v) in results.iter_mut().zip(vals) {
                            crate::resources::to_embedder(
                                &mut store.data_mut().rt,
                                &mut v,
                                &mut borrows,
                            );
                            *slot = v;
                        }
                        Ok(())
                    },
                )
            }
            FuncDef::Host(i) => {
                let f = store.0.data().host_funcs[*i as usize].dynamic.clone();
                f(store.as_context_mut(), params, results)
            }
            FuncDef::Unsupported(what) => Err(unsupported_call(what)),
        }
    }

    /// How many parameters the function takes (for a host function, unknown: 0).
    pub fn param_count(&self, _store: impl AsContext) -> usize {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.params.len(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => 0,
        }
    }

    /// How many results the function returns (for a host function, unknown: 0).
    pub fn result_count(&self, _store: impl AsContext) -> usize {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.results.len(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => 0,
        }
    }

    /// The parameter types.
    pub fn params(&self, _store: impl AsContext) -> Vec<tether_abi::Type> {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.params.clone(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => Vec::new(),
        }
    }

    /// The result types.
    pub fn results(&self, _store: impl AsContext) -> Vec<tether_abi::Type> {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.results.clone(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => Vec::new(),
        }
    }
}
