//! Resources defined by a guest, seen from the host: the host calls the guest's constructor,
//! holds the `ResourceAny` it gets, lends it to a method, gives it back to a static function
//! that consumes it, and drops another one itself; the guest's destructor counts the drops.

use tether::{Component, Engine, Instance, Linker, ResourceAny, ResourceAnyExt, Store, Val};

/// The resource `thing` and its functions, exported at the root under the names WIT gives
/// them (`[constructor]thing`, `[method]thing.get`, ...). A thing's representation is its
/// value; the destructor counts into a global that `dropped` returns.
const GUEST: &str = r#"(component
  (core module $counter
    (global $dropped (mut i32) (i32.const 0))
    (func (export "dtor") (param i32)
      (global.set $dropped (i32.add (global.get $dropped) (i32.const 1))))
    (func (export "dropped") (result i32) (global.get $dropped)))
  (core instance $counter (instantiate $counter))
  (core func $dtor (alias core export $counter "dtor"))
  (type $thing (resource (rep i32) (dtor (core func $dtor))))
  (core func $new (canon resource.new $thing))
  (core func $rep (canon resource.rep $thing))
  (core func $drop (canon resource.drop $thing))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "rep" (func $rep (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "ctor") (param $v i32) (result i32) (call $new (local.get $v)))
    ;; A borrow handed to the instance that defines the resource arrives as its representation.
    (func (export "get") (param $rep i32) (result i32) (local.get $rep))
    (func (export "make") (param $v i32) (result i32) (call $new (i32.mul (local.get $v) (i32.const 10))))
    (func (export "consume") (param $h i32) (result i32)
      (local $rep i32)
      (local.set $rep (call $rep (local.get $h)))
      (call $drop (local.get $h))
      (local.get $rep)))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
  ;; Functions must name the exported type (a fresh alias of `$thing`), not `$thing` itself.
  (export $t "thing" (type $thing))
  (func (export "[constructor]thing") (param "v" u32) (result (own $t)) (canon lift (core func $i "ctor")))
  (func (export "[method]thing.get") (param "self" (borrow $t)) (result u32) (canon lift (core func $i "get")))
  (func (export "[static]thing.make") (param "v" u32) (result (own $t)) (canon lift (core func $i "make")))
  (func (export "[static]thing.consume") (param "this" (own $t)) (result u32) (canon lift (core func $i "consume")))
  (func (export "dropped") (result u32) (canon lift (core func $counter "dropped"))))"#;

/// [`GUEST`] as a nested component whose instance is exported as `tether:test/things`, the
/// way a WIT interface export appears; `dropped` is also aliased to the root.
fn guest_in_instance() -> String {
    format!(
        r#"(component
  (component $things {body})
  (instance $things (instantiate $things))
  (export "tether:test/things" (instance $things))
  (alias export $things "dropped" (func $dropped))
  (export "dropped" (func $dropped)))"#,
        body = GUEST
            .strip_prefix("(component")
            .unwrap()
            .strip_suffix(')')
            .unwrap()
    )
}

fn setup() -> (Store<()>, Instance) {
    setup_with(GUEST)
}

fn setup_with(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::<()>::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    (store, instance)
}

/// Calls `path` (a root name, or an instance name then a function name) with `params`,
/// returning its one result.
fn call(
    store: &mut Store<()>,
    instance: &Instance,
    path: &[&str],
    params: &[Val],
) -> tether::Result<Val> {
    let f = instance
        .get_func_at(&mut *store, path)
        .unwrap_or_else(|| panic!("{path:?} is exported"));
    let mut results = [Val::Bool(false)];
    f.call(&mut *store, params, &mut results)?;
    Ok(results[0].clone())
}

fn resource(v: Val) -> ResourceAny {
    match v {
        Val::Resource(r) => r,
        v => panic!("expected a resource, got {v:?}"),
    }
}

fn dropped(store: &mut Store<()>, instance: &Instance) -> u32 {
    match call(store, instance, &["dropped"], &[]).unwrap() {
        Val::U32(n) => n,
        v => panic!("`dropped` returned {v:?}"),
    }
}

#[test]
fn names_appear_as_exported() {
    let (_store, instance) = setup();
    let names = instance.export_names();
    for name in [
        "thing",
        "[constructor]thing",
        "[method]thing.get",
        "[static]thing.make",
        "dropped",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "`{name}` is among the root exports: {names:?}"
        );
    }
    let (_store, instance) = setup_with(&guest_in_instance());
    assert_eq!(instance.export_names(), ["tether:test/things", "dropped"]);
}

#[test]
fn the_host_holds_lends_and_gives_back_a_guest_resource() {
    let (mut store, instance) = setup();
    let thing = resource(
        call(
            &mut store,
            &instance,
            &["[constructor]thing"],
            &[Val::U32(5)],
        )
        .unwrap(),
    );
    assert!(thing.owned(), "the constructor returns an owned handle");
    assert_eq!(store.host_handles(), 1, "the host holds one handle");
    assert_eq!(
        store.handles_alive(),
        0,
        "the guest's table no longer holds it: it moved out"
    );

    // Lent to a method as a borrow, twice: the host keeps ownership.
    for _ in 0..2 {
        let got = call(
            &mut store,
            &instance,
            &["[method]thing.get"],
            &[Val::Resource(thing.borrowed())],
        )
        .unwrap();
        assert_eq!(got, Val::U32(5));
    }
    assert_eq!(
        store.host_handles(),
        1,
        "lending does not give the handle away"
    );

    // Given back as `own` to a static function that consumes it: the destructor runs.
    assert_eq!(dropped(&mut store, &instance), 0);
    let rep = call(
        &mut store,
        &instance,
        &["[static]thing.consume"],
        &[Val::Resource(thing)],
    )
    .unwrap();
    assert_eq!(rep, Val::U32(5));
    assert_eq!(
        dropped(&mut store, &instance),
        1,
        "the guest's destructor ran"
    );
    assert_eq!((store.host_handles(), store.handles_alive()), (0, 0));

    // The handle was moved: using it again is an error, not another thing.
    let err = call(
        &mut store,
        &instance,
        &["[method]thing.get"],
        &[Val::Resource(thing.borrowed())],
    )
    .unwrap_err();
    assert!(
        matches!(
            crate::handle_error(&err),
            Some(tether::HandleError::Stale { .. })
        ),
        "{err:#}"
    );
    let err = call(
        &mut store,
        &instance,
        &["[static]thing.consume"],
        &[Val::Resource(thing)],
    )
    .unwrap_err();
    assert!(
        matches!(
            crate::handle_error(&err),
            Some(tether::HandleError::Stale { .. })
        ),
        "{err:#}"
    );
    assert_eq!(
        dropped(&mut store, &instance),
        1,
        "the errors reached no guest code"
    );
}

#[test]
fn the_host_drops_a_guest_resource_and_the_destructor_runs() {
    let (mut store, instance) = setup();
    let made = resource(
        call(
            &mut store,
            &instance,
            &["[static]thing.make"],
            &[Val::U32(4)],
        )
        .unwrap(),
    );
    let got = call(
        &mut store,
        &instance,
        &["[method]thing.get"],
        &[Val::Resource(made.borrowed())],
    )
    .unwrap();
    assert_eq!(
        got,
        Val::U32(40),
        "`make` made a thing of ten times its argument"
    );
    assert_eq!(dropped(&mut store, &instance), 0);
    made.resource_drop(&mut store).unwrap();
    assert_eq!(
        dropped(&mut store, &instance),
        1,
        "dropping the host's handle ran the guest's destructor"
    );
    assert_eq!(store.host_handles(), 0);

    // Dropping it again is an error; dropping a borrow does nothing.
    let err = made.resource_drop(&mut store).unwrap_err();
    assert!(
        matches!(
            crate::handle_error(&err),
            Some(tether::HandleError::Stale { .. })
        ),
        "{err:#}"
    );
    made.borrowed().resource_drop(&mut store).unwrap();
    assert_eq!(dropped(&mut store, &instance), 1);
}

#[test]
fn a_borrow_that_outlives_its_owner_is_stale() {
    let (mut store, instance) = setup();
    let thing = resource(
        call(
            &mut store,
            &instance,
            &["[constructor]thing"],
            &[Val::U32(1)],
        )
        .unwrap(),
    );
    let borrow = thing.borrowed();
    thing.resource_drop(&mut store).unwrap();
    // A new thing may take the old one's slot; the old borrow must not reach it.
    let other = resource(
        call(
            &mut store,
            &instance,
            &["[constructor]thing"],
            &[Val::U32(2)],
        )
        .unwrap(),
    );
    let err = call(
        &mut store,
        &instance,
        &["[method]thing.get"],
        &[Val::Resource(borrow)],
    )
    .unwrap_err();
    assert!(
        matches!(
            crate::handle_error(&err),
            Some(tether::HandleError::Stale { .. })
        ),
        "{err:#}"
    );
    let got = call(
        &mut store,
        &instance,
        &["[method]thing.get"],
        &[Val::Resource(other.borrowed())],
    )
    .unwrap();
    assert_eq!(got, Val::U32(2));
}

#[test]
fn the_same_functions_inside_an_exported_instance() {
    const THINGS: &str = "tether:test/things";
    let (mut store, instance) = setup_with(&guest_in_instance());
    assert!(
        instance.get_func(&mut store, THINGS).is_none(),
        "an instance is not a function"
    );
    assert!(
        instance
            .get_func(&mut store, "[constructor]thing")
            .is_none(),
        "not at the root"
    );
    let thing = resource(
        call(
            &mut store,
            &instance,
            &[THINGS, "[constructor]thing"],
            &[Val::U32(9)],
        )
        .unwrap(),
    );
    let got = call(
        &mut store,
        &instance,
        &[THINGS, "[method]thing.get"],
        &[Val::Resource(thing.borrowed())],
    )
    .unwrap();
    assert_eq!(got, Val::U32(9));
    let made = resource(
        call(
            &mut store,
            &instance,
            &[THINGS, "[static]thing.make"],
            &[Val::U32(2)],
        )
        .unwrap(),
    );
    let rep = call(
        &mut store,
        &instance,
        &[THINGS, "[static]thing.consume"],
        &[Val::Resource(thing)],
    )
    .unwrap();
    assert_eq!(rep, Val::U32(9));
    assert_eq!(dropped(&mut store, &instance), 1);
    made.resource_drop(&mut store).unwrap();
    assert_eq!(dropped(&mut store, &instance), 2);
    assert_eq!((store.host_handles(), store.handles_alive()), (0, 0));
}

#[test]
fn a_borrow_given_where_own_is_expected_is_refused() {
    let (mut store, instance) = setup();
    let thing = resource(
        call(
            &mut store,
            &instance,
            &["[constructor]thing"],
            &[Val::U32(3)],
        )
        .unwrap(),
    );
    let err = call(
        &mut store,
        &instance,
        &["[static]thing.consume"],
        &[Val::Resource(thing.borrowed())],
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("borrowed"), "{err:#}");
    // The host's mistake does not poison the instance, and the host still owns the thing.
    let got = call(
        &mut store,
        &instance,
        &["[method]thing.get"],
        &[Val::Resource(thing.borrowed())],
    )
    .unwrap();
    assert_eq!(got, Val::U32(3));
    assert_eq!(dropped(&mut store, &instance), 0);
}

#[test]
fn a_handle_of_one_store_is_refused_by_another() {
    // Two stores with the same component: each makes a thing, so the two handles have the
    // same type, slot and generation in their own stores, and only the store tells them apart.
    let (mut a, in_a) = setup();
    let (mut b, in_b) = setup();
    let make = |store: &mut Store<()>, instance: &Instance, v| {
        resource(call(store, instance, &["[static]thing.make"], &[Val::U32(v)]).unwrap())
    };
    let from_a = make(&mut a, &in_a, 1);
    let from_b = make(&mut b, &in_b, 2);

    for (what, result) in [
        (
            "lent",
            call(
                &mut b,
                &in_b,
                &["[method]thing.get"],
                &[Val::Resource(from_a.borrowed())],
            ),
        ),
        (
            "given",
            call(
                &mut b,
                &in_b,
                &["[static]thing.consume"],
                &[Val::Resource(from_a)],
            ),
        ),
    ] {
        let err = result.expect_err(what);
        assert!(
            format!("{err:#}").contains("another store"),
            "{what}: {err:#}"
        );
    }
    let err = from_a.resource_drop(&mut b).unwrap_err();
    assert!(format!("{err:#}").contains("another store"), "{err:#}");

    // Nothing was taken or dropped on either side: each store's thing still works there.
    assert_eq!((a.host_handles(), b.host_handles()), (1, 1));
    assert_eq!(dropped(&mut b, &in_b), 0);
    let got = call(
        &mut b,
        &in_b,
        &["[method]thing.get"],
        &[Val::Resource(from_b.borrowed())],
    );
    assert_eq!(got.unwrap(), Val::U32(20));
    from_a.resource_drop(&mut a).unwrap();
    assert_eq!((dropped(&mut a, &in_a), dropped(&mut b, &in_b)), (1, 0));
}
