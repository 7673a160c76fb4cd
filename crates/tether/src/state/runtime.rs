//! The component-level state of a store, with no core engine inside: its instances (with
//! their flags and handle tables), its resource types, the calls under way, its host objects
//! and the handles its embedder holds, and its identity. The rules of entering and leaving
//! instances live here; every call path of the layers above goes through them.

use std::any::TypeId;
use std::sync::Arc;

use tether_abi::{Fault, Trap};

use super::host_handles::HostHandles;
use super::objects::HostObjects;
use super::table::{HandleTable, Slot};

/// The generation to give a guest's handle `index` (of resource type `rt`) to the host
/// object in slot `rep` that is not live: a trap naming the handle if the host revoked the
/// object, else a generation no slot has, so that the handle is stale where it is used.
/// `consumed`: the handle has left the guest's table (an `own` lifted), so it no longer keeps
/// a revoked object's slot.
#[cold]
#[inline(never)]
pub(crate) fn dead_object(
    objects: &mut HostObjects,
    types: &[ResourceTypeInfo],
    (index, rt, rep): (u32, u32, u32),
    consumed: bool,
) -> Result<u32, Fault> {
    if objects.is_revoked(rep) {
        if consumed {
            objects.release_revoked(rep);
        }
        Err(revoked(types, index, rt))
    } else {
        Ok(u32::MAX)
    }
}

/// The trap of a guest's use of its handle `index`, of type `rt`, to a revoked host object.
#[cold]
pub(crate) fn revoked(types: &[ResourceTypeInfo], index: u32, rt: u32) -> Fault {
    let resource = types
        .get(rt as usize)
        .and_then(|t| t.name.clone())
        .unwrap_or_else(|| Arc::from("?"));
    Fault::from(Trap::Revoked { index, resource })
}

/// An instance of a store, by index into `Runtime::instances`.
pub(crate) type InstanceId = u32;

/// The component-level state of a store, independent of the embedder's data type.
pub(crate) struct Runtime {
    pub instances: Vec<InstanceState>,
    pub resource_types: Vec<ResourceTypeInfo>,
    /// The store-level resource type of each host resource type seen so far.
    pub host_resource_types: FastMap<ResourceType, u32>,
    /// The Rust type and store-level resource type of the host objects created last.
    pub last_object_type: Option<(std::any::TypeId, u32)>,
    /// The calls under way, innermost last: borrows lent and borrowed per call.
    pub scopes: Vec<Scope>,
    /// How many calls into guests are under way (frames opened by `open_lift` and not
    /// closed yet): the depth a built-in's task is found at (see `super::task`).
    pub depth: u32,
    /// The records of the tasks under way that have one, innermost last (`super::task`).
    pub tasks: Vec<super::task::Task>,
    /// The subtasks of the instances' tables, by id (`super::waitable`).
    pub subtasks: Vec<Option<super::waitable::Subtask>>,
    /// The futures and streams guests made, by id (`super::copy`).
    pub shared: Vec<Option<super::copy::Shared>>,
    /// Their ends, entries of the instances' tables, by id (`super::copy`).
    pub ends: Vec<Option<super::copy::End>>,
    /// The `error-context` values, by id (`super::error_context`).
    pub error_contexts: Vec<Option<super::error_context::ErrorContext>>,
    /// The tasks waiting to be resumed (`super::task`), by id.
    pub parked_tasks: Vec<Option<super::task::Parked>>,
    /// How many of `tasks`, from the bottom, a task waiting in place has let leave their
    /// instances (`super::task`).
    pub released_tasks: usize,
    /// How many `async`-lowered calls are under way: a task below one of them that had to
    /// wait would let that call's caller run on, which needs stackful execution.
    pub async_lowers: u32,
    /// Bytes copied between the host and guests so far.
    pub bytes_copied: u64,
    /// A copy of `Limits::copy_bytes_per_call`, where lifting and lowering can see it.
    pub copy_limit: u64,
    /// A copy of `Limits::handles_per_instance`.
    pub handle_cap: u32,
    /// The host objects (see `crate::host`).
    pub objects: HostObjects,
    /// Handles to guest-defined resources held by the embedder.
    pub host_handles: HostHandles,
    /// The quotas on live handles per resource type.
    pub quotas: Quotas,
    /// Where each own handle of the instances' tables was made, by instance and index, when
    /// provenance is on (`enable_provenance`); the handles are then counted as under a
    /// quota, so the same cold paths keep this map.
    pub origins: Option<FastMap<(InstanceId, u32), Arc<HandleOrigin>>>,
    /// This store's identity, which every handle the embedder holds carries: 64 bits, taken
    /// from a counter that never wraps in practice (one new store per nanosecond would take
    /// 584 years), so no two stores of a process share one.
    pub store_id: u64,
    /// Set when a call from the host was refused before it entered the instance (poisoned,
    /// not ready, already on the stack), so that nothing was passed in; a typed call takes
    /// it (`TypedFunc::call`) to drop the host objects it was handed by value.
    pub refused_entry: bool,
}

/// Gives each store its own identity.
static NEXT_STORE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One component instance's run-time state.
pub(crate) struct InstanceState {
    pub parent: Option<InstanceId>,
    pub may_enter: bool,
    pub may_leave: bool,
    /// Set, to the fault, when a trap left the instance in an unknown state; it can never be
    /// entered again.
    pub poisoned: Option<Arc<str>>,
    /// Cleared while the instance is being instantiated: until then it cannot be entered.
    pub ready: bool,
    /// Bytes copied into this instance's memory and out of it.
    pub copied_in: u64,
    pub copied_out: u64,
    pub handles: HandleTable,
    /// The async ABI's backpressure counter (`backpressure.inc`/`dec`).
    pub backpressure: u16,
    /// Whether a task holds the instance's exclusive lock (`super::task`).
    pub exclusive: bool,
}

/// The borrow bookkeeping of one call: as a callee (`borrows` handed to it that it has not
/// dropped yet) and as a caller (handles it lent, to be released when the call returns).
#[derive(Default)]
pub(crate) struct Scope {
    pub borrows: u32,
    pub lenders: Vec<(InstanceId, u32)>,
    /// Bytes copied for this call.
    pub copied: u64,
}

/// A call under way into an instance's lifted function, from the host or from another
/// instance: opened by [`Runtime::open_lift`], which enters the instance, and closed by
/// [`Runtime::close_lift`], which leaves it. Every path that calls into a guest (`Val`,
/// direct, raw; destructors) goes through the two.
#[must_use = "a frame must be closed with `Runtime::close_lift`"]
pub(crate) struct LiftFrame {
    callee: InstanceId,
    caller: Option<InstanceId>,
    /// The call's scope (`Runtime::scopes`), for calls that can hand the callee borrows or
    /// copy values; a call of scalars alone needs none.
    pub scope: Option<usize>,
}

/// A guest's call out of an instance through a `canon lower` (to the host or to another
/// instance): opened by [`Runtime::open_lower`], which checks that the instance may leave,
/// and closed by [`Runtime::close_lower`], which gives back what the call lent.
#[must_use = "a frame must be closed with `Runtime::close_lower`"]
pub(crate) struct LowerFrame {
    /// The call's scope, for calls whose parameters can lend handles (a `borrow`) or whose
    /// values are copied through it.
    pub scope: Option<usize>,
}

impl Runtime {
    /// Opens the frame of a call into `callee` from `caller` (`None`: the host): enters the
    /// instance ([`enter`](Self::enter)) and, with `scoped`, pushes the call's scope.
    #[inline]
    pub fn open_lift(
        &mut self,
        callee: InstanceId,
        caller: Option<InstanceId>,
        scoped: bool,
    ) -> Result<LiftFrame, Fault> {
        // Entering the store is one of the moments objects with a deadline expire.
        self.objects.expire_due();
        self.enter(callee, caller)?;
        self.depth += 1;
        Ok(LiftFrame {
            callee,
            caller,
            scope: scoped.then(|| self.push_scope()),
        })
    }

    /// A typed call from the host refused at the instance's door: notes it (see
    /// `refused_entry`).
    #[cold]
    #[inline(never)]
    pub fn refused(&mut self, caller: Option<InstanceId>, fault: Fault) -> Fault {
        if caller.is_none() {
            self.refused_entry = true;
        }
        fault
    }

    /// Closes a frame of [`open_lift`](Self::open_lift): pops its scope and leaves the
    /// instance, poisoning what the call entered with `poison` if the call trapped.
    #[inline(always)]
    pub fn close_lift(&mut self, frame: LiftFrame, poison: Option<Arc<str>>) {
        self.end_task();
        self.depth -= 1;
        if let Some(scope) = frame.scope {
            self.scopes.truncate(scope);
        }
        self.leave(frame.callee, frame.caller, poison);
    }

    /// Opens the frame of a guest's call out of `instance`: checks that the instance may
    /// leave (not from its `realloc` or `post-return`) and, with `scoped`, pushes the call's
    /// scope.
    #[inline]
    pub fn open_lower(&mut self, instance: InstanceId, scoped: bool) -> Result<LowerFrame, Fault> {
        self.check_may_leave(instance)?;
        Ok(LowerFrame {
            scope: scoped.then(|| self.push_scope()),
        })
    }

    /// Closes a frame of [`open_lower`](Self::open_lower), whether the call returned or
    /// trapped: gives back every handle lent for it and pops its scope.
    #[inline]
    pub fn close_lower(&mut self, frame: LowerFrame) {
        let Some(scope) = frame.scope else { return };
        let lenders = std::mem::take(&mut self.scopes[scope].lenders);
        for (instance, index) in lenders {
            self.give_back_lend(instance, index);
        }
        self.scopes.truncate(scope);
    }

    /// Ends one lend of the own handle `index` of `instance`, lent as a borrow for a call
    /// that ended.
    #[inline]
    pub fn give_back_lend(&mut self, instance: InstanceId, index: u32) {
        if let Ok(super::table::Slot::Own { lends, .. }) =
            self.instances[instance as usize].handles.get_mut(index)
        {
            *lends = lends.saturating_sub(1);
        }
    }

    /// Traps unless `instance` may call out (`may_leave`).
    #[inline]
    pub fn check_may_leave(&self, instance: InstanceId) -> Result<(), Fault> {
        if self.instances[instance as usize].may_leave {
            Ok(())
        } else {
            Err(Trap::CannotLeave.into())
        }
    }

    /// Adds `slot` to the handle table of `instance`, within the table's limit and the
    /// quota of the handle's type.
    #[inline(always)]
    pub fn add_handle(&mut self, instance: InstanceId, slot: Slot) -> Result<u32, Fault> {
        if self.quotas.on {
            return self.add_counted(instance, slot);
        }
        self.instances[instance as usize]
            .handles
            .add(slot, self.handle_cap)
    }

    /// Removes the handle `index` from the table of `instance`.
    #[inline(always)]
    pub fn remove_handle(&mut self, instance: InstanceId, index: u32) -> Result<Slot, Fault> {
        if self.quotas.on {
            return self.remove_counted(instance, index);
        }
        self.instances[instance as usize].handles.remove(index)
    }

    /// [`add_handle`](Self::add_handle) in a store with quotas.
    #[cold]
    #[inline(never)]
    fn add_counted(&mut self, instance: InstanceId, slot: Slot) -> Result<u32, Fault> {
        self.charge_handle(instance, &slot)?;
        let added = self.instances[instance as usize]
            .handles
            .add(slot, self.handle_cap);
        if added.is_err() {
            self.uncharge_handle(&slot);
        }
        added
    }

    /// [`remove_handle`](Self::remove_handle) in a store with quotas.
    #[cold]
    #[inline(never)]
    fn remove_counted(&mut self, instance: InstanceId, index: u32) -> Result<Slot, Fault> {
        let slot = self.instances[instance as usize].handles.remove(index)?;
        self.uncharge_handle(&slot);
        if let Some(origins) = &mut self.origins {
            origins.remove(&(instance, index));
        }
        Ok(slot)
    }

    /// Records where own handles are made from now on (see [`HandleOrigin`]).
    pub fn enable_provenance(&mut self) {
        if self.origins.is_none() {
            self.origins = Some(FastMap::default());
            self.count_handles();
        }
    }

    fn charge_handle(&mut self, instance: InstanceId, slot: &Slot) -> Result<(), Fault> {
        let Some(info) = slot_type(slot).and_then(|t| self.resource_types.get_mut(t as usize))
        else {
            return Ok(());
        };
        if let Some(quota) = info.quota
            && info.live >= quota
        {
            return Err(Fault::from(Trap::ResourceQuota {
                resource: info.name.clone().unwrap_or_else(|| Arc::from("?")),
                quota,
                instance,
            }));
        }
        info.live += 1;
        Ok(())
    }

    fn uncharge_handle(&mut self, slot: &Slot) {
        if let Some(info) = slot_type(slot).and_then(|t| self.resource_types.get_mut(t as usize)) {
            info.live = info.live.saturating_sub(1);
        }
    }

    /// Sets the quota of the resource types named `name`: at most `quota` live handles of
    /// them in the store's instances. From the first quota on, handles are counted per type.
    pub fn set_quota(&mut self, name: &str, quota: u32) {
        match self.quotas.by_name.iter_mut().find(|(n, _)| **n == *name) {
            Some((_, q)) => *q = quota,
            None => self.quotas.by_name.push((Arc::from(name), quota)),
        }
        for info in &mut self.resource_types {
            if info.name.as_deref() == Some(name) {
                info.quota = Some(quota);
            }
        }
        self.count_handles();
    }

    /// Starts counting live handles per type, if the store does not already.
    fn count_handles(&mut self) {
        if !self.quotas.on {
            self.quotas.on = true;
            for info in &mut self.resource_types {
                info.live = 0;
            }
            for instance in &self.instances {
                for slot in instance.handles.handles() {
                    if let Some(info) =
                        slot_type(slot).and_then(|t| self.resource_types.get_mut(t as usize))
                    {
                        info.live += 1;
                    }
                }
            }
        }
    }

    /// Names the resource type `ty` (unless it has a name already), which gives it the
    /// quota set for that name.
    pub fn name_type(&mut self, ty: u32, name: impl FnOnce() -> Arc<str>) {
        let Some(info) = self.resource_types.get_mut(ty as usize) else {
            return;
        };
        if info.name.is_some() {
            return;
        }
        let name = name();
        info.quota = self
            .quotas
            .by_name
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, q)| q);
        info.name = Some(name);
    }

    #[inline]
    pub(crate) fn push_scope(&mut self) -> usize {
        self.scopes.push(Scope::default());
        self.scopes.len() - 1
    }

    /// A runtime with the given limits: bytes charged per call, handle slots per instance, and
    /// host objects.
    pub fn new(copy_limit: u64, handle_cap: u32, host_objects: usize) -> Runtime {
        Runtime {
            instances: Vec::new(),
            resource_types: Vec::new(),
            host_resource_types: Default::default(),
            last_object_type: None,
            scopes: Vec::new(),
            depth: 0,
            tasks: Vec::new(),
            async_lowers: 0,
            released_tasks: 0,
            subtasks: Vec::new(),
            shared: Vec::new(),
            ends: Vec::new(),
            error_contexts: Vec::new(),
            parked_tasks: Vec::new(),
            bytes_copied: 0,
            copy_limit,
            handle_cap,
            objects: HostObjects::new(host_objects),
            host_handles: Default::default(),
            quotas: Quotas::default(),
            origins: None,
            store_id: NEXT_STORE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            refused_entry: false,
        }
    }

    pub fn new_instance(&mut self, parent: Option<InstanceId>) -> InstanceId {
        self.instances.push(InstanceState {
            parent,
            may_enter: true,
            may_leave: true,
            poisoned: None,
            ready: false,
            copied_in: 0,
            copied_out: 0,
            handles: HandleTable::new(),
            backpressure: 0,
            exclusive: false,
        });
        (self.instances.len() - 1) as InstanceId
    }

    /// Whether `i` is `of` or nested in it.
    pub fn is_within(&self, i: InstanceId, of: InstanceId) -> bool {
        self.is_self_or_ancestor(of, i)
    }

    /// Whether `i` is `of` or one of its ancestors.
    #[inline]
    fn is_self_or_ancestor(&self, i: InstanceId, of: InstanceId) -> bool {
        let mut cur = Some(of);
        while let Some(c) = cur {
            if c == i {
                return true;
            }
            cur = self.instances[c as usize].parent;
        }
        false
    }

    /// Enters `callee` from `caller` (`None` for the host): checks, then clears, `may_enter`
    /// on `callee` and its ancestors, less those the caller is already inside, as
    /// `may_enter_from` and `enter_from` in the specification do.
    #[inline]
    pub fn enter(&mut self, callee: InstanceId, caller: Option<InstanceId>) -> Result<(), Fault> {
        self.check_enter(callee, caller)?;
        self.set_entered(callee, caller, false, None);
        Ok(())
    }

    /// Whether a call from `caller` (`None`: the host) may enter `callee` now: the fault
    /// [`enter`](Self::enter) would return, without entering.
    pub fn check_enter(&self, callee: InstanceId, caller: Option<InstanceId>) -> Result<(), Fault> {
        if !self.instances[callee as usize].ready {
            return Err(Trap::NotInstantiated.into());
        }
        let mut cur = Some(callee);
        while let Some(i) = cur {
            if caller.is_some_and(|c| self.is_self_or_ancestor(i, c)) {
                break;
            }
            let inst = &self.instances[i as usize];
            if let Some(fault) = &inst.poisoned {
                return Err(Trap::Poisoned {
                    fault: fault.clone(),
                }
                .into());
            }
            if !inst.may_enter {
                return Err(Fault::from(Trap::CannotEnter));
            }
            cur = inst.parent;
        }
        Ok(())
    }

    /// Leaves `callee` back to `caller`; after a trap (`poison`, its description), poisons
    /// what the call entered.
    #[inline]
    pub fn leave(
        &mut self,
        callee: InstanceId,
        caller: Option<InstanceId>,
        poison: Option<Arc<str>>,
    ) {
        self.set_entered(callee, caller, true, poison);
    }

    #[inline]
    fn set_entered(
        &mut self,
        callee: InstanceId,
        caller: Option<InstanceId>,
        may_enter: bool,
        poison: Option<Arc<str>>,
    ) {
        let mut cur = Some(callee);
        while let Some(i) = cur {
            if caller.is_some_and(|c| self.is_self_or_ancestor(i, c)) {
                break;
            }
            let inst = &mut self.instances[i as usize];
            inst.may_enter = may_enter;
            if poison.is_some() && inst.poisoned.is_none() {
                inst.poisoned = poison.clone();
            }
            cur = inst.parent;
        }
    }
}

/// The resource type of a handle slot.
fn slot_type(slot: &Slot) -> Option<u32> {
    match *slot {
        Slot::Own { rt, .. } | Slot::Borrow { rt, .. } => Some(rt),
        Slot::Free { .. }
        | Slot::WaitableSet { .. }
        | Slot::Subtask { .. }
        | Slot::End { .. }
        | Slot::ErrorContext { .. } => None,
    }
}

/// A run-time resource type of a store.
pub(crate) struct ResourceTypeInfo {
    /// The instance that defined it, or `None` for a host resource type.
    pub implementer: Option<InstanceId>,
    pub dtor: Option<Dtor>,
    /// Whether representations are slots of the store's host objects (see `crate::host`).
    pub objects: bool,
    /// The name the type was first imported under (`wasi:io/poll/pollable`), for reports;
    /// `None` for a type no import names.
    pub name: Option<Arc<str>>,
    /// The most live handles of the type the store's instances may hold, if the embedder
    /// set a quota for its name.
    pub quota: Option<u32>,
    /// How many live handles of the type the instances hold, counted only once a quota is
    /// set in the store (`Quotas::on`).
    pub live: u32,
    /// The Rust type of the objects of an object-backed host type, for reports.
    pub rust_type: Option<&'static str>,
}

/// Where a guest's handle was made, recorded when the engine's configuration turns
/// provenance on (`Config::handle_provenance`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandleOrigin {
    /// The guest function that was running: the innermost frame of the backtrace. `None`
    /// when the host passed the handle in with no guest code on the stack, or when the
    /// guest's module carries no names.
    pub function: Option<Arc<str>>,
    /// The guest's wasm backtrace at that moment, as the core engine renders it (empty when
    /// no guest code was on the stack).
    pub backtrace: Arc<str>,
}

/// The quotas a store's embedder set, by resource type name.
#[derive(Default)]
pub(crate) struct Quotas {
    /// Whether any quota is set: only then are live handles counted per type, so that a
    /// store without quotas pays one test per handle added or removed.
    pub on: bool,
    /// Each quota, by the full name of its type.
    pub by_name: Vec<(Arc<str>, u32)>,
}

/// A destructor.
#[derive(Clone)]
pub(crate) enum Dtor {
    /// A core function `(func (param i32))` of the defining instance, by index into the
    /// store's guest destructors (the core engine's functions live above this layer).
    Guest(u32),
    /// An index into the store's host destructors.
    Host(u32),
    /// An index into the store's host object destructors (callbacks receiving the object).
    Object(u32),
}

/// The type of a host-defined resource, as the embedder names it on a
/// [`Linker`](crate::Linker).
///
/// Two `ResourceType`s are equal when they name the same host type.
#[derive(Clone, Copy, Debug)]
pub struct ResourceType {
    id: TypeId,
    name: &'static str,
}

// The name follows from the type: equality and hashing look at the type's identity only.
impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for ResourceType {}

impl std::hash::Hash for ResourceType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// A fast hash for small keys that no guest chooses (type ids, resource ids, addresses): it
/// folds the key's words together with a multiplication, as FxHash does. The maps it serves
/// are looked up on every instantiation and on every object a host function creates.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// A hash map with [`FastHasher`].
pub(crate) type FastMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

impl ResourceType {
    /// The resource type backed by the host type `T`.
    pub fn host<T: 'static>() -> ResourceType {
        ResourceType {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }

    /// The name of the host type, for messages.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A free id in `v` (the first empty place, made if there is none), for the store's lists of
/// async ABI records that table entries name by id.
pub(super) fn free_id<X>(v: &mut Vec<Option<X>>) -> Result<u32, Fault> {
    let i = match v.iter().position(Option::is_none) {
        Some(i) => i,
        None => {
            v.push(None);
            v.len() - 1
        }
    };
    u32::try_from(i).map_err(|_| Fault::from(Trap::HandleTableFull))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> Runtime {
        Runtime::new(1 << 20, 100, 100)
    }

    #[test]
    fn an_instance_cannot_be_entered_twice_or_before_it_is_ready() {
        let mut rt = runtime();
        let a = rt.new_instance(None);
        assert_eq!(
            rt.enter(a, None).unwrap_err().trap(),
            &Trap::NotInstantiated
        );
        rt.instances[a as usize].ready = true;
        rt.enter(a, None).unwrap();
        assert_eq!(rt.enter(a, None).unwrap_err().trap(), &Trap::CannotEnter);
        rt.leave(a, None, None);
        rt.enter(a, None).unwrap();
        rt.leave(a, None, None);
    }

    #[test]
    fn a_parent_may_call_into_its_child_and_nothing_else_may_meanwhile() {
        let mut rt = runtime();
        let parent = rt.new_instance(None);
        let child = rt.new_instance(Some(parent));
        let other = rt.new_instance(None);
        for i in [parent, child, other] {
            rt.instances[i as usize].ready = true;
        }
        rt.enter(parent, None).unwrap();
        rt.enter(child, Some(parent)).unwrap();
        for (callee, caller) in [(child, None), (child, Some(other)), (parent, Some(other))] {
            assert_eq!(
                rt.enter(callee, caller).unwrap_err().trap(),
                &Trap::CannotEnter
            );
        }
        rt.leave(child, Some(parent), None);
        rt.leave(parent, None, None);
        rt.enter(child, None).unwrap();
    }

    #[test]
    fn a_trap_poisons_what_the_call_entered() {
        let mut rt = runtime();
        let parent = rt.new_instance(None);
        let child = rt.new_instance(Some(parent));
        for i in [parent, child] {
            rt.instances[i as usize].ready = true;
        }
        rt.enter(child, None).unwrap();
        rt.leave(child, None, Some(Arc::from("unreachable")));
        for i in [child, parent] {
            assert_eq!(
                rt.enter(i, None).unwrap_err().trap(),
                &Trap::Poisoned {
                    fault: Arc::from("unreachable")
                }
            );
        }
    }

    #[test]
    fn every_store_has_its_own_identity() {
        let ids: std::collections::HashSet<u64> = (0..100).map(|_| runtime().store_id).collect();
        assert_eq!(ids.len(), 100);
    }
}
