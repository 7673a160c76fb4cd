//! What the WAT-guest tests share.

use tether::{Component, Engine, Instance, Linker, Store};
use tether_wasi::{WasiCtx, WasiCtxBuilder};

/// `guest` instantiated with WASI 0.2 and an empty context, in a store of its own.
pub fn instantiate(guest: &str) -> (Store<WasiCtx>, Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, guest).unwrap();
    let mut linker = Linker::new(&engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, WasiCtxBuilder::new().build());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}
