//! The live-handle report (`Store::live_handles`): what a guest holds at a given moment, per
//! resource type, named as the type was imported (host types) or exported (guest types); and
//! the quotas on those names (`Store::set_resource_quota`).

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
        revoked: 0,
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

/// The quota trap an error carries, as (type, quota, instance).
fn quota_trap(e: &anyhow::Error) -> Option<(String, u32, u32)> {
    e.chain()
        .find_map(|c| match c.downcast_ref::<tether::Trap>() {
            Some(tether::Trap::ResourceQuota {
                resource,
                quota,
                instance,
            }) => Some((resource.to_string(), *quota, *instance)),
            _ => None,
        })
}

fn try_call(
    store: &mut Store<WasiCtx>,
    instance: &tether::Instance,
    name: &str,
    n: u32,
) -> anyhow::Result<u32> {
    let f: TypedFunc<(u32,), (u32,)> = instance.get_typed_func(&mut *store, name)?;
    Ok(f.call(&mut *store, (n,))?.0)
}

#[test]
fn a_guest_over_a_host_types_quota_traps_naming_it() {
    let (mut store, instance) = instantiate();
    store.set_resource_quota("wasi:io/poll/pollable", 50);
    call(&mut store, &instance, "take", 50);
    let err = try_call(&mut store, &instance, "take", 1).unwrap_err();
    assert_eq!(
        quota_trap(&err),
        Some(("wasi:io/poll/pollable".into(), 50, 0)),
        "{err:#}"
    );
    assert!(
        format!("{err:#}").contains("at most 50 live `wasi:io/poll/pollable` handles"),
        "{err:#}"
    );
    // The pollable the host made for the refused handle did not stay behind.
    assert_eq!(store.host_objects(), 50);
    assert_eq!(store.handles_alive(), 50);
}

#[test]
fn a_guest_over_its_own_types_quota_traps_and_unnamed_types_have_none() {
    let (mut store, instance) = instantiate();
    store.set_resource_quota("my:app/things/thing", 2);
    // The quota is on the name: a private type of the guest's has none.
    call(&mut store, &instance, "make-private", 10);
    call(&mut store, &instance, "make", 2);
    let err = try_call(&mut store, &instance, "make", 1).unwrap_err();
    assert_eq!(
        quota_trap(&err),
        Some(("my:app/things/thing".into(), 2, 0)),
        "{err:#}"
    );
}

#[test]
fn a_quota_counts_every_instance_of_the_store_and_handles_held_before_it() {
    let engine = tether::Engine::default();
    let component = tether::Component::new(&engine, GUEST).unwrap();
    let mut linker = tether::Linker::new(&engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, tether_wasi::WasiCtxBuilder::new().build());
    let a = linker.instantiate(&mut store, &component).unwrap();
    let b = linker.instantiate(&mut store, &component).unwrap();
    // Held before the quota is set, and counted when it is.
    call(&mut store, &a, "take", 40);
    store.set_resource_quota("wasi:io/poll/pollable", 60);
    call(&mut store, &b, "take", 20);
    let err = try_call(&mut store, &b, "take", 1).unwrap_err();
    assert_eq!(
        quota_trap(&err),
        Some(("wasi:io/poll/pollable".into(), 60, 1)),
        "{err:#}"
    );
    // Raising the quota lets the other instance take more.
    store.set_resource_quota("wasi:io/poll/pollable", 61);
    call(&mut store, &a, "take", 1);
    assert!(try_call(&mut store, &a, "take", 1).is_err());
}
