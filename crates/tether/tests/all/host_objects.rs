//! Host objects: resources backed by Rust values, reached through typed handles.

use tether::{Component, Engine, Linker, Own, Store};

/// The article's `response`, as a host object.
#[derive(Debug)]
struct Response {
    status: u16,
    body: Vec<u8>,
}

/// A guest that builds a response, reads its status through a borrow, consumes it for its
/// body, and returns the status plus the body's length; `twice` passes the same response as
/// both `self` and `other` to a method.
const GUEST: &str = r#"(component
  (import "response" (type $r (sub resource)))
  (import "[constructor]response" (func $new (param "status" u16) (result (own $r))))
  (import "[method]response.status" (func $status (param "self" (borrow $r)) (result u16)))
  (import "[method]response.same" (func $same (param "self" (borrow $r)) (param "other" (borrow $r)) (result bool)))
  (import "[static]response.body-len" (func $body-len (param "this" (own $r)) (result u32)))
  (core func $new (canon lower (func $new)))
  (core func $status (canon lower (func $status)))
  (core func $same (canon lower (func $same)))
  (core func $body-len (canon lower (func $body-len)))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "status" (func $status (param i32) (result i32)))
    (import "" "same" (func $same (param i32 i32) (result i32)))
    (import "" "body-len" (func $body-len (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "run") (result i32)
      (local $h i32)
      (local.set $h (call $new (i32.const 404)))
      (i32.add (call $status (local.get $h)) (call $body-len (local.get $h))))
    (func (export "leak-then-drop")
      (call $drop (call $new (i32.const 1))))
    (func (export "consume") (param i32) (result i32)
      (call $body-len (local.get 0)))
    (func (export "keep-two")
      (drop (call $new (i32.const 1)))
      (drop (call $new (i32.const 2))))
    (func (export "twice") (result i32)
      (local $h i32)
      (local.set $h (call $new (i32.const 7)))
      (call $same (local.get $h) (local.get $h))))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "status" (func $status)) (export "same" (func $same))
    (export "body-len" (func $body-len)) (export "drop" (func $drop))))))
  (func (export "run") (result u32) (canon lift (core func $i "run")))
  (func (export "leak-then-drop") (canon lift (core func $i "leak-then-drop")))
  (func (export "keep-two") (canon lift (core func $i "keep-two")))
  (func (export "consume") (param "r" (own $r)) (result u32) (canon lift (core func $i "consume")))
  (func (export "twice") (result bool) (canon lift (core func $i "twice"))))"#;

fn linker(engine: &Engine) -> Linker<()> {
    let mut linker = Linker::new(engine);
    let mut root = linker.root();
    root.resource_host::<Response>("response").unwrap();
    root.func_wrap("[constructor]response", |mut store, (status,): (u16,)| {
        Ok((store.push(Response {
            status,
            body: vec![0; 100],
        })?,))
    })
    .unwrap();
    root.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )
    .unwrap();
    root.method(
        "[method]response.same",
        |_r: &mut Response, mut store, (other,): (tether::Borrow<Response>,)| {
            // The object behind `self` is in use: reaching it again through `other` is refused.
            store.get_mut(&other).map(|_| (false,))
        },
    )
    .unwrap();
    root.func_wrap(
        "[static]response.body-len",
        |mut store, (this,): (Own<Response>,)| {
            let response = store.take(this)?;
            Ok((response.body.len() as u32,))
        },
    )
    .unwrap();
    linker
}

#[test]
fn methods_receive_the_object_and_consuming_functions_move_it_out() {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker(&engine).instantiate(&mut store, &component).unwrap();
    let run = instance
        .get_typed_func::<(), (u32,)>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), (504,));
    assert_eq!(store.host_objects(), 0, "the consumed response was dropped");
    let drop_it = instance
        .get_typed_func::<(), ()>(&mut store, "leak-then-drop")
        .unwrap();
    drop_it.call(&mut store, ()).unwrap();
    assert_eq!(
        store.host_objects(),
        0,
        "the guest's resource.drop dropped the object"
    );
}

#[test]
fn the_same_object_borrowed_twice_in_one_call_is_refused() {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker(&engine).instantiate(&mut store, &component).unwrap();
    let twice = instance
        .get_typed_func::<(), (bool,)>(&mut store, "twice")
        .unwrap();
    let err = twice.call(&mut store, ()).unwrap_err();
    assert!(
        matches!(
            crate::handle_error(&err),
            Some(tether::HandleError::InUse { .. })
        ),
        "{err:#}"
    );
}

#[test]
fn a_kept_handle_goes_stale_when_its_object_is_gone() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let own = store
        .push(Response {
            status: 200,
            body: vec![],
        })
        .unwrap();
    let borrow = own.borrow();
    assert_eq!(store.get(&borrow).unwrap().status, 200);
    let response = store.take(own).unwrap();
    assert_eq!(response.status, 200);
    let err = store.get(&borrow).unwrap_err();
    assert!(
        matches!(
            crate::handle_error(&err),
            Some(tether::HandleError::Stale { .. })
        ),
        "{err}"
    );
    // A new object in the same slot does not revive the old handle.
    let _other = store
        .push(Response {
            status: 500,
            body: vec![],
        })
        .unwrap();
    assert!(store.get(&borrow).is_err());
}

#[test]
fn a_parent_with_children_cannot_be_taken() {
    struct Body;
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let parent = store
        .push(Response {
            status: 200,
            body: vec![],
        })
        .unwrap();
    let child = store.push_child(&parent, Body).unwrap();
    let parent_borrow = parent.borrow();
    let err = store.take(parent).unwrap_err();
    assert!(
        matches!(
            crate::handle_error(&err),
            Some(tether::HandleError::HasChildren { .. })
        ),
        "{err:#}"
    );
    store.delete(child).unwrap();
    assert_eq!(store.host_objects(), 1);
    let _ = parent_borrow;
}

#[test]
fn dropping_the_store_drops_every_object() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    for _ in 0..10 {
        store.push(Counted(drops.clone())).unwrap();
    }
    assert_eq!(store.host_objects(), 10);
    drop(store);
    assert_eq!(drops.load(Ordering::SeqCst), 10);
}

#[test]
fn the_host_object_cap_is_a_clear_error() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    store.set_limits(tether::Limits {
        host_objects: 3,
        ..Default::default()
    });
    for _ in 0..3 {
        store.push(1u32).unwrap();
    }
    let err = store.push(1u32).unwrap_err();
    assert!(
        matches!(
            crate::trap_of(&err),
            Some(tether::Trap::HostObjectLimit { limit: 3 })
        ),
        "{err}"
    );
}

/// The linker of [`linker`], with a drop callback that records each dropped response's
/// status in the store's data.
fn linker_with_drop(engine: &Engine) -> Linker<Vec<u16>> {
    let mut linker = Linker::<Vec<u16>>::new(engine);
    let mut root = linker.root();
    root.resource_host_with_drop::<Response>("response", |mut store, r: Response| {
        store.data_mut().push(r.status);
        Ok(())
    })
    .unwrap();
    root.func_wrap("[constructor]response", |mut store, (status,): (u16,)| {
        Ok((store.push(Response {
            status,
            body: vec![],
        })?,))
    })
    .unwrap();
    root.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )
    .unwrap();
    root.method(
        "[method]response.same",
        |_r: &mut Response, _store, (_other,): (tether::Borrow<Response>,)| Ok((true,)),
    )
    .unwrap();
    root.func_wrap(
        "[static]response.body-len",
        |mut store, (this,): (Own<Response>,)| Ok((store.take(this)?.body.len() as u32,)),
    )
    .unwrap();
    linker
}

#[test]
fn a_drop_callback_receives_each_object_the_guest_drops() {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let linker = linker_with_drop(&engine);
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let f = instance
        .get_typed_func::<(), ()>(&mut store, "leak-then-drop")
        .unwrap();
    f.call(&mut store, ()).unwrap();
    assert_eq!(store.data(), &vec![1]);
    assert_eq!(store.host_objects(), 0);
}

#[test]
fn an_object_over_the_quota_is_dropped_not_kept() {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    // Without a drop callback: the refused object is dropped in place.
    let mut store = Store::new(&engine, ());
    store.set_resource_quota("response", 1);
    let instance = linker(&engine).instantiate(&mut store, &component).unwrap();
    let f = instance
        .get_typed_func::<(), ()>(&mut store, "keep-two")
        .unwrap();
    let err = f.call(&mut store, ()).unwrap_err();
    assert!(
        matches!(
            crate::trap_of(&err),
            Some(tether::Trap::ResourceQuota { resource, quota: 1, instance: 0 }) if &**resource == "response"
        ),
        "{err:#}"
    );
    assert_eq!((store.host_objects(), store.handles_alive()), (1, 1));
    // With one: the callback receives it.
    let mut store = Store::new(&engine, Vec::new());
    store.set_resource_quota("response", 1);
    let instance = linker_with_drop(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let f = instance
        .get_typed_func::<(), ()>(&mut store, "keep-two")
        .unwrap();
    assert!(f.call(&mut store, ()).is_err());
    assert_eq!(store.data(), &vec![2]);
    assert_eq!((store.host_objects(), store.handles_alive()), (1, 1));
}

#[test]
fn bytes_copied_are_counted_per_instance_and_direction() {
    let wat = r#"(component
      (core module $m
        (memory (export "mem") 1)
        (global $bump (mut i32) (i32.const 1024))
        (func (export "realloc") (param i32 i32 i32 i32) (result i32)
          (local $r i32)
          (local.set $r (global.get $bump))
          (global.set $bump (i32.add (global.get $bump) (local.get 3)))
          (local.get $r))
        (func (export "echo") (param i32 i32) (result i32)
          (i32.store (i32.const 0) (local.get 0))
          (i32.store (i32.const 4) (local.get 1))
          (i32.const 0)))
      (core instance $i (instantiate $m))
      (func (export "echo") (param "s" string) (result string)
        (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))"#;
    let engine = Engine::default();
    let component = Component::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let echo = instance
        .get_typed_func::<(String,), (String,)>(&mut store, "echo")
        .unwrap();
    assert_eq!(
        echo.call(&mut store, ("x".repeat(1000),)).unwrap().0.len(),
        1000
    );
    let copied = instance.bytes_copied(&store);
    assert_eq!(
        copied,
        tether::BytesCopied {
            into_guest: 1000,
            out_of_guest: 1000
        }
    );
}

#[test]
fn a_handle_from_another_store_is_refused() {
    let engine = Engine::default();
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let from_a = a.push(1u32).unwrap();
    b.push(2u32).unwrap();
    let err = b.get(&from_a).unwrap_err();
    assert!(err.to_string().contains("another store"), "{err}");
    assert_eq!(*a.get(&from_a).unwrap(), 1);
}

#[test]
fn an_embedder_passing_an_object_over_the_quota_gets_an_error_and_the_guest_does_not_run() {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker_with_drop(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let consume = instance
        .get_typed_func::<(Own<Response>,), (u32,)>(&mut store, "consume")
        .unwrap();
    let response = |store: &mut Store<Vec<u16>>, status| {
        store
            .push(Response {
                status,
                body: vec![0; 3],
            })
            .unwrap()
    };
    store.set_resource_quota("response", 0);
    let r = response(&mut store, 7);
    let err = consume.call(&mut store, (r,)).unwrap_err();
    assert!(
        matches!(
            crate::trap_of(&err),
            Some(tether::Trap::ResourceQuota { quota: 0, .. })
        ),
        "{err:#}"
    );
    // The guest never ran (it would have taken the object for its body); the object moved
    // into the call, and the call dropped it.
    assert_eq!(store.data(), &vec![7]);
    assert_eq!((store.host_objects(), store.handles_alive()), (0, 0));
    // As after any trap, the instance cannot be entered again; in a new one, within the
    // quota, the guest runs and takes the object for its body's length.
    let mut store = Store::new(&engine, Vec::new());
    store.set_resource_quota("response", 1);
    let instance = linker_with_drop(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let consume = instance
        .get_typed_func::<(Own<Response>,), (u32,)>(&mut store, "consume")
        .unwrap();
    let r = response(&mut store, 8);
    assert_eq!(consume.call(&mut store, (r,)).unwrap(), (3,));
    assert_eq!(store.host_objects(), 0);
}
