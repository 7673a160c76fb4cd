//! The live-handle report (`Store::live_handles`): what a guest holds at a given moment, per
//! resource type, named as the type was imported (host types) or exported (guest types).

mod common;

use std::sync::Arc;

use tether::{LiveHandles, Store, TypedFunc};
use tether_wasi::WasiCtx;

/// Takes `n` pollables from `wasi:clocks` and keeps them (`take`), makes `n` resources of a
/// type it exports (`make`) or of one it keeps to itself (`make-private`).
const GUEST: &str = include_str!("guests/live_handles.wat");

fn instantiate() -> (Store<WasiCtx>, tether::Instance) {
    common::instantiate(GUEST)
}

fn call(store: &mut Store<WasiCtx>, instance: &tether::Instance, name: &str, n: u32) {
    let f: TypedFunc<(u32,), (u32,)> = instance.get_typed_func(&mut *store, name).unwrap();
    assert_eq!(f.call(&mut *store, (n,)).unwrap(), (n,));
}

fn entry(resource: Option<&str>, guest_defined: bool, own: usize) -> LiveHandles {
    LiveHandles {
        resource: resource.map(Arc::from),
        guest_defined,
        own,
        borrowed: 0,
    }
}

#[test]
fn the_report_counts_what_the_guest_holds_per_named_type() {
    let (mut store, instance) = instantiate();
    assert_eq!(store.live_handles(), vec![]);
    call(&mut store, &instance, "take", 100);
    assert_eq!(
        store.live_handles(),
        vec![entry(Some("wasi:io/poll/pollable"), false, 100)]
    );
    call(&mut store, &instance, "make", 3);
    call(&mut store, &instance, "make-private", 2);
    let mut report = store.live_handles();
    report.sort_by_key(|l| l.own);
    assert_eq!(
        report,
        vec![
            entry(None, true, 2),
            entry(Some("my:app/things/thing"), true, 3),
            entry(Some("wasi:io/poll/pollable"), false, 100),
        ]
    );
    assert_eq!(store.handles_alive(), 105);
}
