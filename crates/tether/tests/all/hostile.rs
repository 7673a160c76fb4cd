//! Hostile guests: components written in WAT that misuse handles on purpose. Each one must
//! trap (or, for the host's own limits, fail) with a message that names the fault, and
//! nothing may panic the host. Afterwards the instance that trapped is poisoned.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tether::{
    Borrow, Component, Engine, HandleError, Instance, Limits, Linker, Own, Store, Trap, TypedFunc,
};

/// The host's `response`.
struct Response {
    status: u16,
}

/// A stream over a response's body: a child of its response.
struct Stream;

/// The store's data: a borrow the host kept past the call that lent it.
#[derive(Default)]
struct Host {
    kept: Option<Borrow<Response>>,
}

/// A guest of the host's `response` and `stream`, with one export per misuse.
const HOST_GUEST: &str = r#"(component
  (import "response" (type $r (sub resource)))
  (import "stream" (type $s (sub resource)))
  (import "[constructor]response" (func $new (param "status" u16) (result (own $r))))
  (import "[method]response.status" (func $status (param "self" (borrow $r)) (result u16)))
  (import "[method]response.body-stream" (func $body-stream (param "self" (borrow $r)) (result (own $s))))
  (import "[static]response.consume" (func $consume (param "this" (own $r)) (result u16)))
  (import "[static]response.peek-and-take" (func $peek-and-take (param "peek" (borrow $r)) (param "take" (own $r)) (result u16)))
  (import "keep" (func $keep (param "r" (borrow $r))))
  (core func $new (canon lower (func $new)))
  (core func $status (canon lower (func $status)))
  (core func $body-stream (canon lower (func $body-stream)))
  (core func $consume (canon lower (func $consume)))
  (core func $peek-and-take (canon lower (func $peek-and-take)))
  (core func $keep (canon lower (func $keep)))
  (core func $drop-r (canon resource.drop $r))
  (core func $drop-s (canon resource.drop $s))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "status" (func $status (param i32) (result i32)))
    (import "" "body-stream" (func $body-stream (param i32) (result i32)))
    (import "" "consume" (func $consume (param i32) (result i32)))
    (import "" "peek-and-take" (func $peek-and-take (param i32 i32) (result i32)))
    (import "" "keep" (func $keep (param i32)))
    (import "" "drop-r" (func $drop-r (param i32)))
    (import "" "drop-s" (func $drop-s (param i32)))
    (func (export "status-of-new") (result i32)
      (local $h i32)
      (local.set $h (call $new (i32.const 200)))
      (call $status (local.get $h))
      (call $drop-r (local.get $h)))
    (func (export "forged-status") (param $i i32) (result i32)
      (call $status (local.get $i)))
    (func (export "forged-drop") (param $i i32)
      (call $drop-r (local.get $i)))
    (func (export "stream-as-response") (result i32)
      (local $h i32)
      (local.set $h (call $new (i32.const 200)))
      (call $status (call $body-stream (local.get $h))))
    (func (export "double-drop")
      (local $h i32)
      (local.set $h (call $new (i32.const 200)))
      (call $drop-r (local.get $h))
      (call $drop-r (local.get $h)))
    (func (export "use-after-move") (result i32)
      (local $h i32)
      (local.set $h (call $new (i32.const 200)))
      (drop (call $consume (local.get $h)))
      ;; No handle was made since: the slot is still free.
      (call $status (local.get $h)))
    (func (export "move-while-lent") (result i32)
      (local $h i32)
      (local.set $h (call $new (i32.const 200)))
      (call $peek-and-take (local.get $h) (local.get $h)))
    (func (export "child-then-parent")
      (local $h i32)
      (local.set $h (call $new (i32.const 200)))
      (call $drop-s (call $body-stream (local.get $h)))
      (call $drop-r (local.get $h)))
    (func (export "parent-then-child")
      (local $h i32) (local $s i32)
      (local.set $h (call $new (i32.const 200)))
      (local.set $s (call $body-stream (local.get $h)))
      (call $drop-r (local.get $h))
      (call $drop-s (local.get $s)))
    (func (export "make") (param $n i32)
      (block $done
        (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (drop (call $new (i32.const 1)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next))))
    (func (export "keep-then-drop")
      (local $h i32)
      (local.set $h (call $new (i32.const 200)))
      (call $keep (local.get $h))
      (call $drop-r (local.get $h))))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "status" (func $status)) (export "body-stream" (func $body-stream))
    (export "consume" (func $consume)) (export "peek-and-take" (func $peek-and-take)) (export "keep" (func $keep))
    (export "drop-r" (func $drop-r)) (export "drop-s" (func $drop-s))))))
  (func (export "status-of-new") (result u16) (canon lift (core func $i "status-of-new")))
  (func (export "forged-status") (param "i" u32) (result u16) (canon lift (core func $i "forged-status")))
  (func (export "forged-drop") (param "i" u32) (canon lift (core func $i "forged-drop")))
  (func (export "stream-as-response") (result u16) (canon lift (core func $i "stream-as-response")))
  (func (export "double-drop") (canon lift (core func $i "double-drop")))
  (func (export "use-after-move") (result u16) (canon lift (core func $i "use-after-move")))
  (func (export "move-while-lent") (result u16) (canon lift (core func $i "move-while-lent")))
  (func (export "child-then-parent") (canon lift (core func $i "child-then-parent")))
  (func (export "parent-then-child") (canon lift (core func $i "parent-then-child")))
  (func (export "make") (param "n" u32) (canon lift (core func $i "make")))
  (func (export "keep-then-drop") (canon lift (core func $i "keep-then-drop")))
  (func (export "ignore-borrow") (param "r" (borrow $r)) (canon lift (core func $i "forged-drop")))
)"#;

/// Two resource types defined by the guest itself, and a handle of one used as the other.
const TWO_TYPES_GUEST: &str = r#"(component
  (type $a (resource (rep i32)))
  (type $b (resource (rep i32)))
  (core func $a-new (canon resource.new $a))
  (core func $a-drop (canon resource.drop $a))
  (core func $b-rep (canon resource.rep $b))
  (core func $b-drop (canon resource.drop $b))
  (core module $m
    (import "" "a-new" (func $a-new (param i32) (result i32)))
    (import "" "a-drop" (func $a-drop (param i32)))
    (import "" "b-rep" (func $b-rep (param i32) (result i32)))
    (import "" "b-drop" (func $b-drop (param i32)))
    (func (export "a-as-a")
      (call $a-drop (call $a-new (i32.const 7))))
    (func (export "rep-as-b") (result i32)
      (call $b-rep (call $a-new (i32.const 7))))
    (func (export "drop-as-b")
      (call $b-drop (call $a-new (i32.const 7)))))
  (core instance $i (instantiate $m (with "" (instance
    (export "a-new" (func $a-new)) (export "a-drop" (func $a-drop))
    (export "b-rep" (func $b-rep)) (export "b-drop" (func $b-drop))))))
  (func (export "a-as-a") (canon lift (core func $i "a-as-a")))
  (func (export "rep-as-b") (result u32) (canon lift (core func $i "rep-as-b")))
  (func (export "drop-as-b") (canon lift (core func $i "drop-as-b"))))"#;

/// An outer component that lends an own handle of its resource to a nested component, which,
/// holding the borrow, calls back into the outer component to drop the handle it lent.
const LENT_DROP_GUEST: &str = r#"(component
  (type $r (resource (rep i32)))
  (core func $r-new (canon resource.new $r))
  (core func $r-drop (canon resource.drop $r))
  ;; Holds the handle in a global, and drops it on request.
  (core module $holder
    (import "" "drop" (func $drop (param i32)))
    (global $h (export "h") (mut i32) (i32.const 0))
    (func (export "drop-held") (call $drop (global.get $h))))
  (core instance $holder (instantiate $holder (with "" (instance (export "drop" (func $r-drop))))))
  (func $drop-held (canon lift (core func $holder "drop-held")))
  ;; The callee: receives a borrow and calls `drop-held` while holding it.
  (component $callee
    (import "r" (type $r (sub resource)))
    (import "drop-held" (func $drop-held))
    (core func $drop-held (canon lower (func $drop-held)))
    (core module $m
      (import "" "drop-held" (func $drop-held))
      (func (export "look") (param i32) (call $drop-held)))
    (core instance $i (instantiate $m (with "" (instance (export "drop-held" (func $drop-held))))))
    (func (export "look") (param "x" (borrow $r)) (canon lift (core func $i "look"))))
  (instance $callee (instantiate $callee (with "r" (type $r)) (with "drop-held" (func $drop-held))))
  (core func $look (canon lower (func $callee "look")))
  (core module $main
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "look" (func $look (param i32)))
    (import "holder" "h" (global $h (mut i32)))
    (func (export "run")
      (global.set $h (call $new (i32.const 1)))
      (call $look (global.get $h))))
  (core instance $main (instantiate $main
    (with "" (instance (export "new" (func $r-new)) (export "look" (func $look))))
    (with "holder" (instance $holder))))
  (func (export "run") (canon lift (core func $main "run"))))"#;

fn linker(engine: &Engine) -> Linker<Host> {
    let mut linker = Linker::<Host>::new(engine);
    let mut root = linker.root();
    root.resource_host::<Response>("response").unwrap();
    root.resource_host::<Stream>("stream").unwrap();
    root.func_wrap("[constructor]response", |mut store, (status,): (u16,)| {
        Ok((store.push(Response { status })?,))
    })
    .unwrap();
    root.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )
    .unwrap();
    root.func_wrap(
        "[method]response.body-stream",
        |mut store, (this,): (Borrow<Response>,)| Ok((store.push_child(&this, Stream)?,)),
    )
    .unwrap();
    root.func_wrap(
        "[static]response.consume",
        |mut store, (this,): (Own<Response>,)| Ok((store.take(this)?.status,)),
    )
    .unwrap();
    root.func_wrap(
        "[static]response.peek-and-take",
        |mut store, (_peek, take): (Borrow<Response>, Own<Response>)| {
            Ok((store.take(take)?.status,))
        },
    )
    .unwrap();
    root.func_wrap("keep", |mut store, (r,): (Borrow<Response>,)| {
        assert_eq!(
            store.get(&r)?.status,
            200,
            "the borrow is good during the call"
        );
        store.data_mut().kept = Some(r);
        Ok(())
    })
    .unwrap();
    linker
}

fn instantiate(wat: &str, limits: Limits) -> (Store<Host>, Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, Host::default());
    store.set_limits(limits);
    let instance = linker(&engine).instantiate(&mut store, &component).unwrap();
    (store, instance)
}

fn host_guest() -> (Store<Host>, Instance) {
    instantiate(HOST_GUEST, Limits::default())
}

fn func<P, R>(store: &mut Store<Host>, instance: &Instance, name: &str) -> TypedFunc<P, R>
where
    P: tether::ComponentNamedList,
    R: tether::ComponentNamedList,
{
    instance.get_typed_func(store, name).unwrap()
}

/// Runs `f`, which must fail without panicking, and returns its error.
fn failure<T: std::fmt::Debug>(f: impl FnOnce() -> tether::Result<T>) -> tether::Error {
    match catch_unwind(AssertUnwindSafe(f)) {
        Err(_) => panic!("the host panicked"),
        Ok(Ok(v)) => panic!("expected a failure, got {v:?}"),
        Ok(Err(e)) => e,
    }
}

/// Calls `name`, which must trap with a [`Trap`] that `want` accepts, then checks that the
/// instance is poisoned: calling it again is refused.
fn assert_traps<P, R>(
    store: &mut Store<Host>,
    instance: &Instance,
    name: &str,
    params: P,
    want: impl Fn(&Trap) -> bool,
) where
    P: tether::ComponentNamedList + Clone + std::fmt::Debug,
    R: tether::ComponentNamedList + std::fmt::Debug,
{
    let f = func::<P, R>(store, instance, name);
    let err = failure(|| f.call(&mut *store, params.clone()));
    assert!(
        err.downcast_ref::<Trap>().is_some_and(&want),
        "`{name}`: not the trap expected: {err:#}"
    );
    let again = failure(|| f.call(&mut *store, params));
    assert!(
        matches!(again.downcast_ref::<Trap>(), Some(Trap::Poisoned { .. })),
        "`{name}` again: {again:#}"
    );
}

#[test]
fn the_well_behaved_path_works() {
    let (mut store, instance) = host_guest();
    let f = func::<(), (u16,)>(&mut store, &instance, "status-of-new");
    assert_eq!(f.call(&mut store, ()).unwrap(), (200,));
    let f = func::<(), ()>(&mut store, &instance, "child-then-parent");
    f.call(&mut store, ()).unwrap();
    assert_eq!(store.host_objects(), 0);
    assert_eq!(store.handles_alive(), 0);
}

#[test]
fn a_forged_handle_index_traps() {
    let (mut store, instance) = host_guest();
    assert_traps::<(u32,), (u16,)>(&mut store, &instance, "forged-status", (42,), |t| {
        *t == Trap::UnknownHandle { index: 42 }
    });
    let (mut store, instance) = host_guest();
    assert_traps::<(u32,), ()>(&mut store, &instance, "forged-drop", (7,), |t| {
        *t == Trap::UnknownHandle { index: 7 }
    });
    // Slot 0 is reserved: never a handle.
    let (mut store, instance) = host_guest();
    assert_traps::<(u32,), ()>(&mut store, &instance, "forged-drop", (0,), |t| {
        *t == Trap::UnknownHandle { index: 0 }
    });
    let (mut store, instance) = host_guest();
    assert_traps::<(u32,), ()>(&mut store, &instance, "forged-drop", (u32::MAX,), |t| {
        matches!(t, Trap::UnknownHandle { .. })
    });
}

#[test]
fn a_handle_of_another_guest_defined_type_traps() {
    let (mut store, instance) = instantiate(TWO_TYPES_GUEST, Limits::default());
    func::<(), ()>(&mut store, &instance, "a-as-a")
        .call(&mut store, ())
        .unwrap();
    assert_traps::<(), (u32,)>(&mut store, &instance, "rep-as-b", (), |t| {
        matches!(t, Trap::WrongHandleType { .. })
    });
    let (mut store, instance) = instantiate(TWO_TYPES_GUEST, Limits::default());
    assert_traps::<(), ()>(&mut store, &instance, "drop-as-b", (), |t| {
        matches!(t, Trap::WrongHandleType { .. })
    });
}

#[test]
fn a_handle_of_another_host_type_traps() {
    // A `stream` handle passed where a `response` is expected.
    let (mut store, instance) = host_guest();
    assert_traps::<(), (u16,)>(&mut store, &instance, "stream-as-response", (), |t| {
        matches!(t, Trap::WrongHandleType { .. })
    });
}

#[test]
fn a_double_drop_traps() {
    let (mut store, instance) = host_guest();
    assert_traps::<(), ()>(&mut store, &instance, "double-drop", (), |t| {
        *t == Trap::UnknownHandle { index: 1 }
    });
    assert_eq!(store.host_objects(), 0, "the first drop dropped the object");
}

#[test]
fn a_use_after_move_traps() {
    let (mut store, instance) = host_guest();
    assert_traps::<(), (u16,)>(&mut store, &instance, "use-after-move", (), |t| {
        *t == Trap::UnknownHandle { index: 1 }
    });
    assert_eq!(store.host_objects(), 0, "the host consumed the object");
}

#[test]
fn an_own_handle_cannot_be_moved_while_it_is_lent() {
    // The same handle as `borrow` then `own` in one call: lifting the `own` finds it lent.
    let (mut store, instance) = host_guest();
    assert_traps::<(), (u16,)>(&mut store, &instance, "move-while-lent", (), |t| {
        *t == Trap::HandleLent
    });
}

#[test]
fn an_own_handle_cannot_be_dropped_while_it_is_lent() {
    let (mut store, instance) = instantiate(LENT_DROP_GUEST, Limits::default());
    assert_traps::<(), ()>(&mut store, &instance, "run", (), |t| *t == Trap::HandleLent);
}

#[test]
fn a_borrow_the_callee_drops_is_fine() {
    let (mut store, instance) = host_guest();
    let own = store.push(Response { status: 200 }).unwrap();
    let f = func::<(Borrow<Response>,), ()>(&mut store, &instance, "ignore-borrow");
    let borrow = own.borrow();
    // `ignore-borrow` reuses `forged-drop`'s code, which drops whatever index it is given:
    // given the borrow's index, it ends the borrow and the call is fine.
    f.call(&mut store, (borrow,)).unwrap();
    assert_eq!(store.handles_alive(), 0);
    assert_eq!(
        store.get(&own).unwrap().status,
        200,
        "a borrow's end leaves the object alone"
    );
}

/// A callee that receives a borrow and never drops it.
const KEEPS_BORROW_GUEST: &str = r#"(component
  (import "response" (type $r (sub resource)))
  (core module $m (func (export "hold") (param i32)))
  (core instance $i (instantiate $m))
  (func (export "hold") (param "r" (borrow $r)) (canon lift (core func $i "hold"))))"#;

#[test]
fn a_callee_that_does_not_drop_its_borrow_traps() {
    let (mut store, instance) = instantiate(KEEPS_BORROW_GUEST, Limits::default());
    let own = store.push(Response { status: 200 }).unwrap();
    assert_traps::<(Borrow<Response>,), ()>(&mut store, &instance, "hold", (own.borrow(),), |t| {
        *t == Trap::BorrowsRemain
    });
    assert_eq!(
        store.get(&own).unwrap().status,
        200,
        "the host's object is untouched"
    );
    store.delete(own).unwrap();
    assert_eq!(store.host_objects(), 0);
}

#[test]
fn a_parent_dropped_while_its_child_lives_traps() {
    let (mut store, instance) = host_guest();
    assert_traps::<(), ()>(&mut store, &instance, "parent-then-child", (), |t| {
        matches!(t, Trap::HostObject(HandleError::HasChildren { .. }))
            || matches!(t, Trap::HasChildren { .. })
    });
}

#[test]
fn the_handle_table_cap_traps() {
    let limits = Limits {
        handles_per_instance: 10,
        ..Default::default()
    };
    // The cap counts slots, reserved slot 0 included: nine handles fit.
    let (mut store, instance) = instantiate(HOST_GUEST, limits.clone());
    func::<(u32,), ()>(&mut store, &instance, "make")
        .call(&mut store, (9,))
        .unwrap();
    assert_eq!(store.handles_alive(), 9);
    let (mut store, instance) = instantiate(HOST_GUEST, limits);
    assert_traps::<(u32,), ()>(&mut store, &instance, "make", (11,), |t| {
        *t == Trap::HandleLimit { cap: 10 }
    });
}

#[test]
fn the_host_object_cap_fails_the_call() {
    let limits = Limits {
        host_objects: 5,
        ..Default::default()
    };
    let (mut store, instance) = instantiate(HOST_GUEST, limits.clone());
    func::<(u32,), ()>(&mut store, &instance, "make")
        .call(&mut store, (5,))
        .unwrap();
    assert_eq!(store.host_objects(), 5);
    let (mut store, instance) = instantiate(HOST_GUEST, limits);
    assert_traps::<(u32,), ()>(&mut store, &instance, "make", (6,), |t| {
        *t == Trap::HostObjectLimit { limit: 5 }
    });
    assert_eq!(store.host_objects(), 5);
}

#[test]
fn a_borrow_the_host_kept_goes_stale() {
    let (mut store, instance) = host_guest();
    func::<(), ()>(&mut store, &instance, "keep-then-drop")
        .call(&mut store, ())
        .unwrap();
    let kept = store.data().kept.expect("`keep` ran");
    assert_eq!(store.host_objects(), 0, "the guest dropped the response");
    let err = failure(|| store.get(&kept).map(|r| r.status));
    assert!(
        matches!(err.downcast_ref(), Some(HandleError::Stale { .. })),
        "{err:#}"
    );
    // Another object in the same slot is not reached through the old handle.
    let other = store.push(Response { status: 500 }).unwrap();
    let err = failure(|| store.get(&kept).map(|r| r.status));
    assert!(
        matches!(err.downcast_ref(), Some(HandleError::Stale { .. })),
        "{err:#}"
    );
    assert_eq!(store.get(&other).unwrap().status, 500);
    let err = failure(|| store.get_mut(&kept).map(|r| r.status));
    assert!(
        matches!(err.downcast_ref(), Some(HandleError::Stale { .. })),
        "{err:#}"
    );
}
