//! [`Store`]: everything one embedding's guests and host objects live in.

use std::sync::Arc;

use crate::engine::Engine;
use crate::resources::{HandleTable, ResourceTypeInfo};

/// Identifies a component instance's run-time state inside its store.
pub(crate) type InstanceId = u32;

/// A host function as the store keeps it.
pub(crate) type HostFn<T> = dyn Fn(StoreContextMut<'_, T>, &[crate::Val], &mut [crate::Val]) -> anyhow::Result<()>
    + Send
    + Sync;

/// A typed host function over scalars only, taking and returning raw core values: the path
/// with no `Val` and no allocation.
pub(crate) type RawHostFn<T> =
    dyn Fn(StoreContextMut<'_, T>, &[u64], &mut [u64]) -> anyhow::Result<()> + Send + Sync;

/// A typed host function whose parameter and result types all move without `Val`: it lifts
/// its parameters from the guest, runs, and lowers its results into the guest itself,
/// through the call's [`DirectCall`](crate::func::DirectCall).
pub(crate) type DirectHostFn<T> = dyn Fn(
        &mut wasmtime::StoreContextMut<'_, StoreData<T>>,
        &crate::func::DirectCall<'_>,
        &mut [u64],
    ) -> anyhow::Result<()>
    + Send
    + Sync;

/// The raw form of a method of a host object (`LinkerInstance::method`): it receives the
/// object's slot, which the guest's `self` handle carries, and the other parameters' raw core
/// values.
pub(crate) type RawMethodFn<T> = dyn Fn(
        &mut wasmtime::StoreContextMut<'_, StoreData<T>>,
        u32,
        &[u64],
        &mut [u64],
    ) -> anyhow::Result<()>
    + Send
    + Sync;

/// A host function as a store keeps it: the `Val` form, and the raw and direct forms when its
/// types allow them.
pub(crate) struct HostFuncForms<T: 'static> {
    pub dynamic: Arc<HostFn<T>>,
    pub raw: Option<Arc<RawHostFn<T>>>,
    pub raw_method: Option<Arc<RawMethodFn<T>>>,
    pub direct: Option<Arc<DirectHostFn<T>>>,
}

/// A destructor callback of an object-backed resource type: receives the object.
pub(crate) type ObjectDtor<T> = dyn Fn(StoreContextMut<'_, T>, Box<dyn std::any::Any + Send>) -> anyhow::Result<()>
    + Send
    + Sync;

/// A host resource destructor as the store keeps it.
pub(crate) type HostDtor<T> =
    dyn Fn(StoreContextMut<'_, T>, u32) -> anyhow::Result<()> + Send + Sync;

/// Holds component instances, their handle tables and the embedder's data `T`.
///
/// Everything a guest creates lives here and is dropped with the store.
/// A `Store` is `Send` when `T` is.
pub struct Store<T: 'static> {
    pub(crate) inner: wasmtime::Store<StoreData<T>>,
}

/// What the core engine's store holds for Tether.
pub(crate) struct StoreData<T: 'static> {
    pub data: T,
    pub rt: Runtime,
    /// Host functions reachable from this store's instances; `FuncDef::Host` indexes this.
    pub host_funcs: Vec<Arc<HostFuncForms<T>>>,
    /// Index of each host function by the address of its shared allocation, so linking the
    /// same definition twice reuses its slot.
    pub host_func_ids: crate::resources::FastMap<usize, u32>,
    /// Host resource destructors; `Dtor::Host` indexes this.
    pub host_dtors: Vec<Arc<HostDtor<T>>>,
    /// Destructor callbacks of object-backed resource types; `Dtor::Object` indexes this.
    pub object_dtors: Vec<Arc<ObjectDtor<T>>>,
    pub limiter: Limiter,
}

/// Limits a store puts on its guests. Going past one is a trap or an error that names it.
///
/// ```
/// let engine = tether::Engine::default();
/// let mut store = tether::Store::new(&engine, ());
/// store.set_limits(tether::Limits { memory_size: 16 << 20, ..Default::default() });
/// ```
#[derive(Clone, Debug)]
pub struct Limits {
    /// The most bytes any one linear memory may grow to (default: no limit beyond the
    /// memory's own maximum).
    pub memory_size: usize,
    /// The most elements any one table may grow to (default: no limit beyond the table's own
    /// maximum).
    pub table_elements: usize,
    /// The most core instances the store may hold (default 10,000).
    pub instances: usize,
    /// The most bytes one call may copy between the host and a guest, and allocate in the
    /// host for what it lifts (default 128 MiB, wasmtime's cap on what one call may make the
    /// host allocate).
    ///
    /// Into a guest, the blocks allocated with its `realloc` count. Out of a guest, the bytes
    /// copied count (a string's UTF-8 bytes, a list's or map's bytes in guest memory), and so
    /// does, on the `Val` path (`Func::call`, `func_new`), the host memory of the `Val`s they
    /// become beyond those bytes: for each element of a list, map or fixed-length list the
    /// `Val` that holds it (`size_of::<Val>()` bytes) and what a `Val` of its type owns
    /// besides (a record's field names, a variant's case name, ...;
    /// `tether_abi::Type::lifted_heap`). Everything is charged before it is allocated, so a
    /// guest cannot make the host allocate much more than this in one call. A `list<u8>` of
    /// `n` bytes counts `n` on the typed path (`TypedFunc`, `func_wrap`, which lift it into a
    /// `Vec<u8>`) and `n * (1 + size_of::<Val>())` as `Val`s. Only the bytes copied count in
    /// [`Store::bytes_copied`] and [`Instance::bytes_copied`](crate::Instance::bytes_copied).
    pub copy_bytes_per_call: u64,
    /// The most handle slots one component instance's table may have (default 1,000,000).
    pub handles_per_instance: u32,
    /// The most host objects the store may hold at once (default 1,000,000).
    pub host_objects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_size: usize::MAX,
            table_elements: usize::MAX,
            instances: 10_000,
            copy_bytes_per_call: 128 << 20,
            handles_per_instance: 1_000_000,
            host_objects: 1_000_000,
        }
    }
}

/// The core engine's view of [`Limits`].
pub(crate) struct Limiter {
    pub limits: Limits,
    /// How many times a linear memory of this store has asked to grow. The core engine asks
    /// the limiter before every growth, and growing is the only way a memory's base or length
    /// changes, so a view of a memory read at the same count is still exact (see
    /// `func::GuestMemory`).
    pub grows: u64,
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grows = self.grows.wrapping_add(1);
        if desired > self.limits.memory_size {
            return Err(wasmtime::Error::new(tether_abi::Trap::MemoryLimit {
                current,
                desired,
                limit: self.limits.memory_size,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.table_elements {
            return Err(wasmtime::Error::new(tether_abi::Trap::TableLimit {
                current,
                desired,
                limit: self.limits.table_elements,
            }));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.limits.instances
    }

    fn tables(&self) -> usize {
        usize::MAX
    }

    fn memories(&self) -> usize {
        usize::MAX
    }
}

/// The component-level state of a store, independent of the embedder's data type.
pub(crate) struct Runtime {
    pub instances: Vec<InstanceState>,
    pub resource_types: Vec<ResourceTypeInfo>,
    /// The store-level resource type of each host resource type seen so far.
    pub host_resource_types: crate::resources::FastMap<crate::resources::ResourceType, u32>,
    /// The Rust type and store-level resource type of the host objects created last.
    pub last_object_type: Option<(std::any::TypeId, u32)>,
    /// The calls under way, innermost last: borrows lent and borrowed per call.
    pub scopes: Vec<Scope>,
    /// Bytes copied between the host and guests so far.
    pub bytes_copied: u64,
    /// A copy of `Limits::copy_bytes_per_call`, where lifting and lowering can see it.
    pub copy_limit: u64,
    /// A copy of `Limits::handles_per_instance`.
    pub handle_cap: u32,
    /// The host objects (see `crate::host`).
    pub objects: crate::host::HostObjects,
    /// Handles to guest-defined resources held by the embedder.
    pub host_handles: crate::resources::HostHandles,
    /// This store's identity, which every handle the embedder holds carries: 64 bits, taken
    /// from a counter that never wraps in practice (one new store per nanosecond would take
    /// 584 years), so no two stores of a process share one.
    pub store_id: u64,
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

impl Runtime {
    fn new() -> Runtime {
        Runtime {
            instances: Vec::new(),
            resource_types: Vec::new(),
            host_resource_types: Default::default(),
            last_object_type: None,
            scopes: Vec::new(),
            bytes_copied: 0,
            copy_limit: Limits::default().copy_bytes_per_call,
            handle_cap: Limits::default().handles_per_instance,
            objects: crate::host::HostObjects::new(Limits::default().host_objects),
            host_handles: Default::default(),
            store_id: NEXT_STORE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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
        });
        (self.instances.len() - 1) as InstanceId
    }

    /// Whether `i` is `of` or one of its ancestors.
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
    pub fn enter(
        &mut self,
        callee: InstanceId,
        caller: Option<InstanceId>,
    ) -> Result<(), tether_abi::Fault> {
        if !self.instances[callee as usize].ready {
            return Err(tether_abi::Trap::NotInstantiated.into());
        }
        let mut cur = Some(callee);
        while let Some(i) = cur {
            if caller.is_some_and(|c| self.is_self_or_ancestor(i, c)) {
                break;
            }
            let inst = &self.instances[i as usize];
            if let Some(fault) = &inst.poisoned {
                return Err(tether_abi::Trap::Poisoned {
                    fault: fault.clone(),
                }
                .into());
            }
            if !inst.may_enter {
                return Err(tether_abi::Fault::from(tether_abi::Trap::CannotEnter));
            }
            cur = inst.parent;
        }
        self.set_entered(callee, caller, false, None);
        Ok(())
    }

    /// Leaves `callee` back to `caller`; after a trap, poisons what the call entered.
    pub fn leave(
        &mut self,
        callee: InstanceId,
        caller: Option<InstanceId>,
        trap: Option<&anyhow::Error>,
    ) {
        let poison = trap.map(|e| Arc::from(crate::func::describe_error(e).as_str()));
        self.set_entered(callee, caller, true, poison);
    }

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

impl<T> Store<T> {
    /// Creates a store holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let data = StoreData {
            data,
            rt: Runtime::new(),
            host_funcs: Vec::new(),
            host_func_ids: Default::default(),
            host_dtors: Vec::new(),
            object_dtors: Vec::new(),
            limiter: Limiter {
                limits: Limits::default(),
                grows: 0,
            },
        };
        let mut inner = wasmtime::Store::new(engine.core(), data);
        inner.limiter(|d| &mut d.limiter);
        Store { inner }
    }

    /// Sets the limits on this store's guests.
    pub fn set_limits(&mut self, limits: Limits) {
        let data = self.inner.data_mut();
        data.rt.copy_limit = limits.copy_bytes_per_call;
        data.rt.handle_cap = limits.handles_per_instance;
        data.rt.objects.cap = limits.host_objects;
        data.limiter.limits = limits;
        // The core engine reads the instance, memory and table counts once, when the limiter
        // is installed: install it again so the new ones apply.
        self.inner.limiter(|d| &mut d.limiter);
    }

    /// How many host objects the store holds (see [`Own`](crate::Own)).
    pub fn host_objects(&self) -> usize {
        self.inner.data().rt.objects.live()
    }

    /// How many handles to guest-defined resources the embedder holds.
    pub fn host_handles(&self) -> usize {
        self.inner.data().rt.host_handles.live()
    }

    /// How many handles the instances' tables hold in all.
    pub fn handles_alive(&self) -> usize {
        self.inner
            .data()
            .rt
            .instances
            .iter()
            .map(|i| i.handles.live() as usize)
            .sum()
    }

    /// How many handle slots the instances' tables hold in all, slot 0 and free slots
    /// included (a measure of table growth).
    pub fn handle_slots(&self) -> usize {
        self.inner
            .data()
            .rt
            .instances
            .iter()
            .map(|i| i.handles.len())
            .sum()
    }

    /// How many bytes have been copied between the host and this store's guests, in both
    /// directions, as [`Limits::copy_bytes_per_call`] counts them (blocks allocated in
    /// guests; the host memory taken by values lifted out of them).
    pub fn bytes_copied(&self) -> u64 {
        self.inner.data().rt.bytes_copied
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.inner.data().data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner.data_mut().data
    }

    /// Consumes the store and returns the embedder's data.
    pub fn into_data(self) -> T {
        self.inner.into_data().data
    }

    /// Sets the fuel left, when the engine counts fuel ([`Config::consume_fuel`](crate::Config::consume_fuel)).
    pub fn set_fuel(&mut self, fuel: u64) -> anyhow::Result<()> {
        self.inner.set_fuel(fuel).map_err(anyhow::Error::from)
    }

    /// The fuel left.
    pub fn get_fuel(&self) -> anyhow::Result<u64> {
        self.inner.get_fuel().map_err(anyhow::Error::from)
    }

    /// Sets the deadline, in epochs from now, past which a running guest traps, when the
    /// engine has epoch interruption on ([`Config::epoch_interruption`](crate::Config::epoch_interruption)).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.inner.set_epoch_deadline(ticks);
    }
}

/// A borrowed store, as host functions receive it.
pub struct StoreContextMut<'a, T: 'static>(pub(crate) wasmtime::StoreContextMut<'a, StoreData<T>>);

/// A shared borrow of a store.
pub struct StoreContext<'a, T: 'static>(pub(crate) wasmtime::StoreContext<'a, StoreData<T>>);

impl<T> StoreContextMut<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.0.data().data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data_mut().data
    }
}

impl<T> StoreContext<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.0.data().data
    }
}

/// Anything that can lend a store for reading.
pub trait AsContext {
    /// The embedder's data type.
    type Data: 'static;
    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything that can lend a store for writing.
pub trait AsContextMut: AsContext {
    /// Borrows the store mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(wasmtime::AsContext::as_context(&self.inner))
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(wasmtime::AsContextMut::as_context_mut(&mut self.inner))
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(wasmtime::AsContext::as_context(&self.0))
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(wasmtime::AsContextMut::as_context_mut(&mut self.0))
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(wasmtime::AsContext::as_context(&self.0))
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}
