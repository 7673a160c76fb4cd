//! [`Store`]: everything one embedding's guests and host objects live in.

use std::sync::Arc;

use crate::engine::Engine;
use crate::state::runtime::Runtime;
use crate::state::table::Slot;

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
/// through the call's [`DirectCall`](super::func_def::DirectCall).
pub(crate) type DirectHostFn<T> = dyn Fn(
        &mut wasmtime::StoreContextMut<'_, StoreData<T>>,
        &super::func_def::DirectCall<'_>,
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
    /// For a method defined with `method_or_revoked`: its `Val` form's answer for a revoked
    /// `self`, given the other parameters.
    pub revoked: Option<Arc<HostFn<T>>>,
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
    pub host_func_ids: crate::state::runtime::FastMap<usize, u32>,
    /// Host resource destructors; `Dtor::Host` indexes this.
    pub host_dtors: Vec<Arc<HostDtor<T>>>,
    /// Destructors of guest-defined resource types, core functions `(func (param i32))` of
    /// their instances; `Dtor::Guest` indexes this.
    pub guest_dtors: Vec<wasmtime::Func>,
    /// Destructor callbacks of object-backed resource types; `Dtor::Object` indexes this.
    pub object_dtors: Vec<Arc<ObjectDtor<T>>>,
    pub limiter: Limiter,
    /// The closures behind the core functions this store's instances share with other
    /// stores' (see `shared.rs`).
    pub shared: super::slots::SharedSlots<StoreData<T>>,
    /// The functions of the `async`-typed calls under way, innermost last, beside their
    /// task records (`Runtime::tasks`): `task.return` checks its type and options against
    /// its task's function.
    pub async_lifts: Vec<Arc<super::func_def::LiftedFunc>>,
    /// What resuming each parked task needs beside its state (`Runtime::parked_tasks`, by
    /// the same id).
    pub parked_calls: Vec<Option<super::task::ParkedCall<T>>>,
    /// The options of the store's future and stream reads and writes, by the key their
    /// buffers carry (`super::copy`).
    pub copy_opts: Vec<Arc<super::copy::CopyOpts>>,
    /// The readers behind the streams the host writes, by the stream's id
    /// (`Runtime::shared`).
    pub host_sources: std::collections::HashMap<u32, Box<dyn std::io::Read + Send>>,
    /// The writers behind the streams the host reads, by the stream's id.
    pub host_sinks: std::collections::HashMap<u32, Box<dyn std::io::Write + Send>>,
}

impl<T: 'static> super::slots::HasSlots for StoreData<T> {
    fn slots(&self) -> &super::slots::SharedSlots<Self> {
        &self.shared
    }

    fn slots_mut(&mut self) -> &mut super::slots::SharedSlots<Self> {
        &mut self.shared
    }
}

/// The live handles of one resource type in a store's instances ([`Store::live_handles`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveHandles {
    /// The type's full name: for a host type, the interface it was first imported through
    /// (without a version) and its own, `wasi:io/poll/pollable`; for a type a guest defines,
    /// the same after the root component's export of it. `None` for a type that no import
    /// or root export names (a type private to a component).
    pub resource: Option<Arc<str>>,
    /// Whether a guest defines the type (else the host does).
    pub guest_defined: bool,
    /// Own handles.
    pub own: usize,
    /// Borrowed handles (only while a call that lent them is under way).
    pub borrowed: usize,
    /// How many of those handles name a host object the host revoked (they stay until the
    /// guest drops them).
    pub revoked: usize,
}

/// One live handle in a store's instances ([`Store::handle_details`]).
#[derive(Clone, Debug)]
pub struct HandleDetail<'a> {
    /// The type's full name, as in [`LiveHandles::resource`].
    pub resource: Option<Arc<str>>,
    /// Whether a guest defines the type (else the host does).
    pub guest_defined: bool,
    /// The instance holding the handle, by its number in the store (as
    /// [`Instance::index`](crate::Instance::index) and `Trap::ResourceQuota` give it).
    pub instance: u32,
    /// The handle's index in that instance's table.
    pub index: u32,
    /// Own (else borrowed, for a call under way).
    pub own: bool,
    /// Whether the host revoked the object behind it.
    pub revoked: bool,
    /// For a host object, its Rust type's name.
    pub host_type: Option<&'static str>,
    /// For a host object in its slot (not lent to a method under way, not revoked), the
    /// object itself, to downcast.
    pub object: Option<&'a (dyn std::any::Any + Send)>,
    /// For a host object, how many children it has.
    pub children: u32,
    /// Where the handle was made, when the engine records provenance
    /// ([`Config::handle_provenance`](crate::Config::handle_provenance)); `None` otherwise, and
    /// for borrowed handles.
    pub origin: Option<Arc<crate::state::runtime::HandleOrigin>>,
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
    /// `cx::GuestMemory`).
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

impl<T> Store<T> {
    /// Creates a store holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let data = StoreData {
            data,
            rt: Runtime::new(
                Limits::default().copy_bytes_per_call,
                Limits::default().handles_per_instance,
                Limits::default().host_objects,
            ),
            host_funcs: Vec::new(),
            host_func_ids: Default::default(),
            shared: Default::default(),
            async_lifts: Vec::new(),
            parked_calls: Vec::new(),
            copy_opts: Vec::new(),
            host_sources: std::collections::HashMap::new(),
            host_sinks: std::collections::HashMap::new(),
            host_dtors: Vec::new(),
            guest_dtors: Vec::new(),
            object_dtors: Vec::new(),
            limiter: Limiter {
                limits: Limits::default(),
                grows: 0,
            },
        };
        let mut data = data;
        if engine.provenance() {
            data.rt.enable_provenance();
        }
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

    /// Sets a quota on the resource types named `resource` (as [`LiveHandles::resource`]
    /// names them: `wasi:io/poll/pollable`, or for a type a guest defines the root
    /// component's export of it, `my:app/things/thing`): the store's instances may hold at
    /// most `max` live handles of them, own and borrowed, all instances together. A type
    /// that no import or export names has no quota of its own.
    ///
    /// Past the quota, the handle is refused: a guest whose call would receive it (from
    /// `resource.new`, or a host function returning one) traps with
    /// [`Trap::ResourceQuota`](crate::Trap::ResourceQuota), which names the type, the
    /// quota and the instance; an embedder's call that would pass it into a guest fails
    /// with that error before the guest runs (and, as after any trap, the instance cannot be
    /// entered again). Either way a host object refused so is dropped at once, its drop
    /// callback run. Setting a quota below the handles already
    /// held refuses new ones until enough are dropped. A store with no quota counts
    /// nothing.
    ///
    /// ```
    /// let engine = tether::Engine::default();
    /// let mut store = tether::Store::new(&engine, ());
    /// store.set_resource_quota("wasi:io/poll/pollable", 50);
    /// ```
    pub fn set_resource_quota(&mut self, resource: &str, max: u32) {
        self.inner.data_mut().rt.set_quota(resource, max);
    }

    /// The handles the instances' tables hold, per resource type: one entry for each type
    /// with at least one, in the order the store met the types.
    ///
    /// ```
    /// let engine = tether::Engine::default();
    /// let store = tether::Store::new(&engine, ());
    /// assert!(store.live_handles().is_empty());
    /// ```
    pub fn live_handles(&self) -> Vec<LiveHandles> {
        let rt = &self.inner.data().rt;
        let mut counts = vec![(0usize, 0usize, 0usize); rt.resource_types.len()];
        for instance in &rt.instances {
            for slot in instance.handles.handles() {
                let (ty, rep, own) = match *slot {
                    Slot::Own { rt, rep, .. } => (rt, rep, true),
                    Slot::Borrow { rt, rep, .. } => (rt, rep, false),
                    Slot::Free { .. }
                    | Slot::WaitableSet { .. }
                    | Slot::Subtask { .. }
                    | Slot::End { .. }
                    | Slot::ErrorContext { .. } => continue,
                };
                if let Some(c) = counts.get_mut(ty as usize) {
                    if own {
                        c.0 += 1;
                    } else {
                        c.1 += 1;
                    }
                    if rt.resource_types[ty as usize].objects && rt.objects.is_revoked(rep) {
                        c.2 += 1;
                    }
                }
            }
        }
        counts
            .into_iter()
            .zip(&rt.resource_types)
            .filter(|((own, borrowed, _), _)| own + borrowed > 0)
            .map(|((own, borrowed, revoked), info)| LiveHandles {
                resource: info.name.clone(),
                guest_defined: info.implementer.is_some(),
                own,
                borrowed,
                revoked,
            })
            .collect()
    }

    /// Every live handle of the store's instances, with what it names: the instance and
    /// index, own or borrowed, the type, and for a host object its Rust type, the object
    /// itself and its children; where it was made when provenance is on. Instances in the
    /// order the store made them, handles by index.
    ///
    /// ```
    /// let mut config = tether::Config::new();
    /// config.handle_provenance(true);
    /// let engine = tether::Engine::new(&config)?;
    /// let store = tether::Store::new(&engine, ());
    /// assert!(store.handle_details().is_empty());
    /// # anyhow::Ok(())
    /// ```
    pub fn handle_details(&self) -> Vec<HandleDetail<'_>> {
        let rt = &self.inner.data().rt;
        let mut out = Vec::new();
        for (i, instance) in rt.instances.iter().enumerate() {
            for (index, slot) in instance.handles.indexed() {
                let (ty, rep, own) = match *slot {
                    Slot::Own { rt, rep, .. } => (rt, rep, true),
                    Slot::Borrow { rt, rep, .. } => (rt, rep, false),
                    Slot::Free { .. }
                    | Slot::WaitableSet { .. }
                    | Slot::Subtask { .. }
                    | Slot::End { .. }
                    | Slot::ErrorContext { .. } => continue,
                };
                let Some(info) = rt.resource_types.get(ty as usize) else {
                    continue;
                };
                let (object, children) = if info.objects {
                    rt.objects.describe(rep)
                } else {
                    (None, 0)
                };
                let origin = match (own, &rt.origins) {
                    (true, Some(o)) => o.get(&(i as u32, index)).cloned(),
                    _ => None,
                };
                out.push(HandleDetail {
                    resource: info.name.clone(),
                    guest_defined: info.implementer.is_some(),
                    instance: i as u32,
                    index,
                    own,
                    revoked: info.objects && rt.objects.is_revoked(rep),
                    host_type: info.rust_type,
                    object,
                    children,
                    origin,
                });
            }
        }
        out
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
