//! The engine-free core of the runtime: what a store knows about its component instances
//! and resources, and the rules on that state, with no core engine and no public API inside.
//!
//! - [`table`]: one instance's handle table (`own` and `borrow` slots, the specification's
//!   reuse order, the limits);
//! - [`objects`]: host objects in slots with generations (free, present, lent out; parents
//!   and children);
//! - [`revoke`]: revoking host objects, at once or at a deadline;
//! - [`host_handles`]: handles to guest-defined resources that the embedder holds;
//! - [`runtime`]: a store's component-level state (instances and their flags, resource
//!   types, the calls under way, the store's identity) and entering and leaving instances;
//! - [`task`]: the tasks of `async`-typed calls and the rules of the async ABI's task
//!   built-ins on them;
//! - [`waitable`]: the async ABI's waitable sets and subtasks, in the handle table;
//! - [`copy`]: the async ABI's futures and streams made by guests: their ends in the handle
//!   table, reads meeting writes, and readable ends moving between instances;
//! - [`error_context`]: the async ABI's `error-context` values, shared by the table entries
//!   that name them;
//! - [`embedder`]: handles crossing to and from the embedder as `Val`s, and the store
//!   identity every handle is checked against.
//!
//! **Layer rule:** nothing here imports from the rest of the crate; the call layer above
//! (`crate::call`) and the public API build on it. Its tests need no core engine.

pub(crate) mod copy;
pub(crate) mod embedder;
pub(crate) mod error_context;
pub(crate) mod host_handles;
pub(crate) mod objects;
pub(crate) mod revoke;
pub(crate) mod runtime;
pub(crate) mod table;
pub(crate) mod task;
pub(crate) mod waitable;
