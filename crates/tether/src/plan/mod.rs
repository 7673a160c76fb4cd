//! The compiled plan of a component: what [`Component::new`](component::Component::new)
//! works out once, immutable afterwards.
//!
//! - [`types`]: component function signatures (`FuncSig`) and the core function types of
//!   lifts, lowers and built-ins;
//! - [`translate`]: a component binary, validated and turned into a list of items to
//!   instantiate in order (`ComponentDef`);
//! - [`spaces`]: one level's index spaces, modelled once: their sizes, and where each core
//!   import and aliased core export is found;
//! - [`component`]: [`Component`](component::Component) and [`Module`](component::Module),
//!   the public handles on a compiled plan.
//!
//! **Layer rule:** imports only `crate::engine`; nothing here knows a store or a call.

pub(crate) mod component;
pub(crate) mod spaces;
pub(crate) mod translate;
pub(crate) mod types;
