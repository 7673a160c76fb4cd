//! A call the runtime refuses before the guest runs takes no handle away from the embedder:
//! a poisoned instance, or an argument of the wrong type beside a handle.

use tether::{Component, Engine, Linker, ResourceAnyExt, Store, Val};

const GUEST: &str = r#"(component
  (type $r' (resource (rep i32)))
  (export $r "r" (type $r'))
  (core func $new (canon resource.new $r'))
  (core module $m
    (import "i" "new" (func $new (param i32) (result i32)))
    (func (export "make") (result i32) (call $new (i32.const 7)))
    (func (export "take") (param i32 i32))
    (func (export "trap") unreachable))
  (core instance $i (export "new" (func $new)))
  (core instance $m (instantiate $m (with "i" (instance $i))))
  (func (export "make") (result (own $r)) (canon lift (core func $m "make")))
  (func (export "take") (param "x" (own $r)) (param "n" u32) (canon lift (core func $m "take")))
  (func (export "trap") (canon lift (core func $m "trap"))))"#;

fn setup() -> (Store<()>, tether::Instance, tether::ResourceAny) {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let make = instance.get_func(&mut store, "make").unwrap();
    let mut out = [Val::Bool(false)];
    make.call(&mut store, &[], &mut out).unwrap();
    let Val::Resource(r) = out[0] else {
        panic!("`make` returned {:?}", out[0])
    };
    (store, instance, r)
}

/// Found by the `handles` fuzz target: the call into a poisoned instance was refused, but
/// only after the handle had left the embedder's table.
#[test]
fn a_call_refused_by_a_poisoned_instance_keeps_its_handles() {
    let (mut store, instance, r) = setup();
    let trap = instance.get_func(&mut store, "trap").unwrap();
    trap.call(&mut store, &[], &mut []).unwrap_err();
    let take = instance.get_func(&mut store, "take").unwrap();
    let err = take
        .call(&mut store, &[Val::Resource(r), Val::U32(1)], &mut [])
        .unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<tether::Trap>(),
            Some(tether::Trap::Poisoned { .. })
        ),
        "{err:#}"
    );
    r.resource_drop(&mut store)
        .expect("the handle a refused call was given is still the embedder's");
}

/// An argument of the wrong type beside an owned handle: refused before anything moves.
#[test]
fn a_call_refused_for_a_mistyped_argument_keeps_its_handles() {
    let (mut store, instance, r) = setup();
    let take = instance.get_func(&mut store, "take").unwrap();
    let err = take
        .call(
            &mut store,
            &[Val::Resource(r), Val::String("one".into())],
            &mut [],
        )
        .unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<tether::Trap>(),
            Some(tether::Trap::HostValue { .. })
        ),
        "{err:#}"
    );
    // The instance is not poisoned, and the handle is still the embedder's to pass.
    take.call(&mut store, &[Val::Resource(r), Val::U32(1)], &mut [])
        .expect("the same call with the right types runs");
    // Now it has moved into the guest.
    assert!(r.resource_drop(&mut store).is_err());
}

/// Found by the `handles` fuzz target once it learnt revocation: a typed call that hands a
/// host object over by value (`Own<R>`) to a poisoned instance was refused, and the object
/// stayed in the store with no handle left to reach it. It is dropped now, as any host object
/// that no one can own any more.
#[test]
fn a_host_object_passed_to_a_refused_typed_call_is_dropped() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Thing(Arc<AtomicUsize>);
    impl Drop for Thing {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let guest = r#"(component
      (import "thing" (type $t (sub resource)))
      (core func $drop (canon resource.drop $t))
      (core module $m
        (import "" "drop" (func $drop (param i32)))
        (func (export "take") (param i32) (call $drop (local.get 0)))
        (func (export "trap") unreachable))
      (core instance $m (instantiate $m (with "" (instance (export "drop" (func $drop))))))
      (func (export "take") (param "x" (own $t)) (canon lift (core func $m "take")))
      (func (export "trap") (canon lift (core func $m "trap"))))"#;
    let engine = Engine::default();
    let component = Component::new(&engine, guest).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.root().resource_host::<Thing>("thing").unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let take = instance
        .get_typed_func::<(tether::Own<Thing>,), ()>(&mut store, "take")
        .unwrap();
    let drops = Arc::new(AtomicUsize::new(0));

    // Accepted: the guest drops it.
    let t = store.push(Thing(drops.clone())).unwrap();
    take.call(&mut store, (t,)).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    // Refused at the door of a poisoned instance: dropped all the same.
    let trap = instance
        .get_typed_func::<(), ()>(&mut store, "trap")
        .unwrap();
    trap.call(&mut store, ()).unwrap_err();
    let t = store.push(Thing(drops.clone())).unwrap();
    let kept = t.borrow();
    let err = take.call(&mut store, (t,)).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<tether::Trap>(),
            Some(tether::Trap::Poisoned { .. })
        ),
        "{err:#}"
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "the refused object was dropped"
    );
    assert_eq!(store.host_objects(), 0);
    assert!(store.get(&kept).is_err(), "a kept borrow of it is stale");
}
