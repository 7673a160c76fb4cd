//! The call layer: a store's data and everything that runs when the host calls a guest or a
//! guest calls out, on top of the engine-free core (`crate::state`) and the compiled plan
//! (`crate::plan`).
//!
//! - [`store`]: [`Store`](store::Store) and its contexts, what the core engine's store holds
//!   for Tether (`StoreData`), and the forms a host function is kept in;
//! - [`values`]: Rust types as component values ([`ComponentType`](values::ComponentType),
//!   [`ComponentNamedList`](values::ComponentNamedList));
//! - [`func_def`]: what a component function is at run time (lifted, lowered, host);
//! - [`cx`]: lifting and lowering against an instance's memory and handle table;
//! - [`lift`]: calls into a guest; every path opens its frame with `Runtime::open_lift` and
//!   ends with `lift::finish_lifted` and `Runtime::close_lift`;
//! - [`lower`] and [`raw`]: calls out of a guest; every path opens its frame with
//!   `Runtime::open_lower` and closes it with `Runtime::close_lower`;
//! - [`builtins`]: `resource.new`, `resource.rep`, `resource.drop`, destructors;
//! - [`task`]: calls of `async`-typed functions (the callback loop, subtasks, parked tasks
//!   and the event loop that resumes them), and [`async_builtins`], the async ABI's
//!   built-ins, with [`copy`], those of futures and streams and the copies between guests;
//! - [`origin`]: where a guest's own handle was made, when provenance is on;
//! - [`instantiate`]: filling an instance's index spaces from the plan;
//! - [`error`] and [`flat`]: errors of calls, core values in the engine's slots.
//!
//! **Layer rule:** imports `crate::state`, `crate::plan` and `crate::engine`, never the
//! public API above it (`func`, `typed`, `host`, `resources`, `instance`, `linker`).

pub(crate) mod async_builtins;
pub(crate) mod builtins;
pub(crate) mod copy;
pub(crate) mod cx;
pub(crate) mod error;
pub(crate) mod flat;
pub(crate) mod func_def;
pub(crate) mod instantiate;
pub(crate) mod lift;
pub(crate) mod lower;
pub(crate) mod origin;
pub(crate) mod raw;
pub(crate) mod shared;
pub(crate) mod slots;
pub(crate) mod store;
pub(crate) mod task;
pub(crate) mod values;

/// The core engine's view of a Tether store.
pub(crate) type Wt<'a, T> = wasmtime::StoreContextMut<'a, store::StoreData<T>>;
