//! Tether: a WebAssembly component runtime for hosts that hand objects to guests.
//!
//! Tether loads components, links their imports against the host's definitions, and calls
//! their exports, implementing the component model's synchronous canonical ABI itself on top
//! of a core WebAssembly engine (wasmtime's core API).
//!
//! ```
//! use tether::{Component, Engine, Linker, Store, Val};
//!
//! let engine = Engine::default();
//! let component = Component::new(&engine, r#"
//!     (component
//!       (core module $m
//!         (func (export "add") (param i32 i32) (result i32)
//!           (i32.add (local.get 0) (local.get 1))))
//!       (core instance $i (instantiate $m))
//!       (func (export "add") (param "a" u32) (param "b" u32) (result u32)
//!         (canon lift (core func $i "add"))))
//! "#)?;
//! let linker = Linker::<()>::new(&engine);
//! let mut store = Store::new(&engine, ());
//! let instance = linker.instantiate(&mut store, &component)?;
//! let add = instance.get_func(&mut store, "add").unwrap();
//! let mut results = [Val::U32(0)];
//! add.call(&mut store, &[Val::U32(2), Val::U32(40)], &mut results)?;
//! assert_eq!(results[0], Val::U32(42));
//! # anyhow::Ok(())
//! ```
#![deny(missing_docs)]

// The layers, from the bottom (ARCHITECTURE.md draws them; `tests/layers.rs` holds the
// imports to them): `engine`; `state`, the engine-free core; `plan`, the compiled plan;
// `call`, the store and the call paths; then the public API, the modules below `call`'s
// line here.
mod call;
mod engine;
mod plan;
mod state;

mod func;
mod host;
mod instance;
mod linker;
mod resources;
mod streams;
mod typed;

pub use anyhow::{Error, Result};
pub use call::store::{
    AsContext, AsContextMut, HandleDetail, Limits, LiveHandles, Store, StoreContext,
    StoreContextMut,
};
#[doc(hidden)]
pub use call::values::HostHandleCheck;
pub use call::values::{ComponentNamedList, ComponentType};
pub use engine::{Config, Engine};
pub use func::Func;
pub use host::{AsHandle, Borrow, Own};
pub use instance::{BytesCopied, Instance};
pub use linker::{InstancePre, Linker, LinkerInstance};
pub use plan::component::{Component, Module};
pub use resources::{Resource, ResourceAnyExt};
pub use state::runtime::{HandleOrigin, ResourceType};
/// The canonical ABI crate (`tether-abi`): [`ComponentType`]'s methods that lift and lower a
/// value without [`Val`] are written against its [`Context`](abi::Context) and
/// [`direct`](abi::direct) building blocks.
pub use tether_abi as abi;
pub use tether_abi::{
    CopyRule, EndKind, HandleError, ResourceAny, TaskRule, Trap, Type, Val, WasmTrap,
};
pub use tether_macro::{ComponentType, bindgen, flags};
pub use typed::TypedFunc;

/// The guide `docs/resources.md`: its examples run as doc tests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/resources.md")]
pub struct ResourcesGuide;
