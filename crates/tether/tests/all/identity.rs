//! One identity for every handle: a handle the embedder holds names its store, its resource
//! type and its object's generation on every path (raw, direct, `Val`), so using it twice,
//! after its object is gone, with another store or as the wrong type is an error that says
//! which, never another object and never a panic.

use tether::{
    AsContextMut, Component, ComponentType, Engine, HandleError, Linker, Own, ResourceAnyExt,
    Store, Val,
};

/// A host object.
#[derive(Debug)]
struct Response {
    status: u16,
}

/// Another host object type, of another resource type.
#[derive(Debug)]
struct Socket;

/// A guest that hands host objects to the host (`make` takes the raw path: its only parameter
/// and result are scalars and a host-object handle) and takes them back (`consume`, `two`).
const GUEST: &str = r#"(component
  (import "response" (type $r (sub resource)))
  (import "[constructor]response" (func $new (param "status" u16) (result (own $r))))
  (import "keep" (func $keep (param "r" (own $r))))
  (import "[method]response.status" (func $status (param "self" (borrow $r)) (result u16)))
  (core func $new (canon lower (func $new)))
  (core func $keep (canon lower (func $keep)))
  (core func $status (canon lower (func $status)))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "keep" (func $keep (param i32)))
    (import "" "status" (func $status (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "make-and-give") (param i32)
      (call $keep (call $new (local.get 0))))
    (func (export "make") (param i32) (result i32)
      (call $new (local.get 0)))
    (func (export "status") (param i32) (result i32)
      (local $s i32)
      (local.set $s (call $status (local.get 0)))
      (call $drop (local.get 0))
      (local.get $s))
    (func (export "two") (param i32 i32) (result i32)
      (local $s i32)
      (local.set $s (i32.add (call $status (local.get 0)) (call $status (local.get 1))))
      (call $drop (local.get 0))
      (call $drop (local.get 1))
      (local.get $s)))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "keep" (func $keep))
    (export "status" (func $status)) (export "drop" (func $drop))))))
  (func (export "make-and-give") (param "status" u16) (canon lift (core func $i "make-and-give")))
  (func (export "make") (param "status" u16) (result (own $r)) (canon lift (core func $i "make")))
  (func (export "status") (param "r" (borrow $r)) (result u16) (canon lift (core func $i "status")))
  (func (export "two") (param "a" (own $r)) (param "b" (own $r)) (result u16)
    (canon lift (core func $i "two"))))"#;

/// What the host keeps of the handles guests give it.
type Kept = Vec<Own<Response>>;

fn linker(engine: &Engine) -> Linker<Kept> {
    let mut linker = resource_linker(engine);
    let mut root = linker.root();
    // Every parameter a scalar or a host-object handle: the raw path.
    root.func_wrap("keep", |mut store, (r,): (Own<Response>,)| {
        store.data_mut().push(r);
        Ok(())
    })
    .unwrap();
    root.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )
    .unwrap();
    linker
}

fn setup(engine: &Engine) -> (Store<Kept>, tether::Instance) {
    let component = Component::new(engine, GUEST).unwrap();
    let mut store = Store::new(engine, Vec::new());
    let instance = linker(engine).instantiate(&mut store, &component).unwrap();
    (store, instance)
}

fn call(
    store: &mut Store<Kept>,
    instance: &tether::Instance,
    name: &str,
    params: &[Val],
) -> anyhow::Result<Option<Val>> {
    let f = instance.get_func(&mut *store, name).unwrap();
    let mut results = vec![Val::Bool(false); f.result_count(&*store)];
    f.call(store.as_context_mut(), params, &mut results)?;
    Ok(results.pop())
}

fn make(store: &mut Store<Kept>, instance: &tether::Instance, status: u16) -> tether::ResourceAny {
    match call(store, instance, "make", &[Val::U16(status)]) {
        Ok(Some(Val::Resource(r))) => r,
        other => panic!("`make` returned {other:?}"),
    }
}

fn status(store: &mut Store<Kept>, instance: &tether::Instance, r: tether::ResourceAny) -> Val {
    call(store, instance, "status", &[Val::Resource(r.borrowed())])
        .unwrap()
        .unwrap()
}

#[test]
fn a_host_object_dropped_twice_by_the_embedder_is_stale_the_second_time() {
    let engine = Engine::default();
    let (mut store, instance) = setup(&engine);
    let first = make(&mut store, &instance, 1);
    first.resource_drop(&mut store).unwrap();
    // The next object takes the freed slot.
    let second = make(&mut store, &instance, 2);
    let err = first.resource_drop(&mut store).unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(HandleError::Stale { .. })),
        "{err:#}"
    );
    assert_eq!(store.host_objects(), 1, "the second object is still there");
    assert_eq!(status(&mut store, &instance, second), Val::U16(2));
}

#[test]
fn one_owned_host_handle_given_twice_in_one_call_is_refused_before_the_guest_runs() {
    let engine = Engine::default();
    let (mut store, instance) = setup(&engine);
    let r = make(&mut store, &instance, 7);
    let err = call(
        &mut store,
        &instance,
        "two",
        &[Val::Resource(r), Val::Resource(r)],
    )
    .unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(HandleError::PassedTwice { .. })),
        "{err:#}"
    );
    // Nothing moved: the object is there, the handle still the embedder's, the instance usable.
    assert_eq!(store.host_objects(), 1);
    assert_eq!(status(&mut store, &instance, r), Val::U16(7));
    let other = make(&mut store, &instance, 8);
    let sum = call(
        &mut store,
        &instance,
        "two",
        &[Val::Resource(r), Val::Resource(other)],
    );
    assert_eq!(sum.unwrap(), Some(Val::U16(15)));
    assert_eq!(store.host_objects(), 0);
}

#[test]
fn a_handle_received_on_the_raw_path_knows_its_store_and_type() {
    let engine = Engine::default();
    let (mut a, in_a) = setup(&engine);
    let (mut b, in_b) = setup(&engine);
    // Each store's guest gives the host an object through `keep`, a raw host function: the
    // two handles have the same slot and generation, each in its own store.
    call(&mut a, &in_a, "make-and-give", &[Val::U16(1)]).unwrap();
    call(&mut b, &in_b, "make-and-give", &[Val::U16(2)]).unwrap();
    let from_a = a.data_mut().pop().unwrap();
    assert_eq!(a.get(&from_a).unwrap().status, 1);
    let err = b.get(&from_a).unwrap_err();
    assert_eq!(err.downcast_ref(), Some(&HandleError::OtherStore));

    // As a dynamically typed handle, it names the same store and type: another store refuses
    // it, and its own drops the object (no panic on a type the raw path did not know).
    let any = match from_a.to_val() {
        Val::Resource(r) => r,
        v => panic!("an `Own` became {v:?}"),
    };
    let err = any.resource_drop(&mut b).unwrap_err();
    assert_eq!(err.downcast_ref(), Some(&HandleError::OtherStore));
    assert_eq!(b.host_objects(), 1);
    let err = any.try_into_resource::<Socket>(&mut a).unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(HandleError::WrongType { .. })),
        "{err:#}"
    );
    any.resource_drop(&mut a).unwrap();
    assert_eq!((a.host_objects(), b.host_objects()), (0, 1));
}

#[test]
fn an_instance_of_one_store_cannot_satisfy_imports_in_another() {
    let engine = Engine::default();
    let (mut a, in_a) = setup(&engine);
    let importer = Component::new(
        &engine,
        r#"(component
          (import "dep" (instance $d
            (export "make-and-give" (func (param "status" u16)))))
          (alias export $d "make-and-give" (func $f))
          (export "f" (func $f)))"#,
    )
    .unwrap();
    let mut linker = Linker::<Kept>::new(&engine);
    linker.instance_exports("dep", &in_a).unwrap();
    // In its own store the instance links.
    let again = linker.instantiate(&mut a, &importer).unwrap();
    let f = again.get_func(&mut a, "f").unwrap();
    f.call(&mut a, &[Val::U16(3)], &mut []).unwrap();
    assert_eq!(a.data().len(), 1);
    // In another store it is refused, naming the reason, before anything runs.
    let mut b = Store::new(&engine, Vec::new());
    let err = match linker.instantiate(&mut b, &importer) {
        Ok(_) => panic!("an instance of store A filled an import in store B"),
        Err(e) => e,
    };
    assert!(format!("{err:#}").contains("another store"), "{err:#}");
}

/// A linker with the guest's resource bound to `Response` and its constructor: each case adds
/// `keep` and the method.
fn resource_linker(engine: &Engine) -> Linker<Kept> {
    let mut linker = Linker::<Kept>::new(engine);
    let mut root = linker.root();
    root.resource_host::<Response>("response").unwrap();
    root.func_wrap("[constructor]response", |mut store, (status,): (u16,)| {
        Ok((store.push(Response { status })?,))
    })
    .unwrap();
    linker
}

/// The error of linking `GUEST` against `linker`, which must fail.
fn link_error(linker: &Linker<Kept>, engine: &Engine, what: &str) -> String {
    let component = Component::new(engine, GUEST).unwrap();
    match linker.instantiate_pre(&component) {
        Ok(_) => panic!("{what} linked where `Response` is bound"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn a_method_on_the_wrong_rust_type_is_refused_when_linking() {
    let engine = Engine::default();
    let mut linker = resource_linker(&engine);
    let mut root = linker.root();
    root.func_wrap("keep", |_store, (_r,): (Own<Response>,)| Ok(()))
        .unwrap();
    // `self` is a `Socket` here, but the import's resource is bound to `Response`.
    root.method(
        "[method]response.status",
        |_s: &mut Socket, _store, (): ()| Ok((0u16,)),
    )
    .unwrap();
    let msg = link_error(&linker, &engine, "a method of `Socket`");
    assert!(msg.contains("[method]response.status"), "{msg}");
    assert!(msg.contains("Socket") && msg.contains("Response"), "{msg}");

    // A typed handle parameter of the wrong Rust type is refused the same way.
    let mut linker = resource_linker(&engine);
    let mut root = linker.root();
    root.func_wrap("keep", |_store, (_r,): (Own<Socket>,)| Ok(()))
        .unwrap();
    root.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )
    .unwrap();
    let msg = link_error(&linker, &engine, "`Own<Socket>`");
    assert!(msg.contains("keep") && msg.contains("Socket"), "{msg}");
}

#[test]
fn a_component_instantiates_only_with_the_engine_it_was_compiled_with() {
    let a = Engine::default();
    let b = Engine::default();
    let component = Component::new(&a, GUEST).unwrap();
    let mut store = Store::new(&b, Vec::new());
    let err = match linker(&b).instantiate(&mut store, &component) {
        Ok(_) => panic!("a component of engine A instantiated in a store of engine B"),
        Err(e) => e,
    };
    assert!(format!("{err:#}").contains("another engine"), "{err:#}");
    // In a store of its own engine it instantiates, twice, with the core types computed once.
    let mut store = Store::new(&a, Vec::new());
    let linker = linker(&a);
    linker.instantiate(&mut store, &component).unwrap();
    linker.instantiate(&mut store, &component).unwrap();
}

/// A record holding a handle, as `#[derive(ComponentType)]` makes one.
#[derive(ComponentType)]
#[component(bound = "R: Send + 'static")]
struct Tagged<R: Send + 'static> {
    r: Own<R>,
    n: u32,
}

/// Handles nested in lists, options, results, tuples and derived records are checked when
/// linking too, and the error says where the handle is.
#[test]
fn a_nested_handle_of_the_wrong_rust_type_is_refused_when_linking() {
    const NESTED: &str = r#"(component
      (import "response" (type $r (sub resource)))
      (type $tagged (record (field "r" (own $r)) (field "n" u32)))
      (import "tagged" (type $tagged' (eq $tagged)))
      (import "all" (func (param "rs" (list (own $r)))))
      (import "maybe" (func (param "n" u32) (param "r" (option (borrow $r)))))
      (import "pair" (func (result (tuple u32 (result (own $r) (error u8))))))
      (import "tag" (func (param "t" $tagged'))))"#;
    let engine = Engine::default();
    let component = Component::new(&engine, NESTED).unwrap();
    type Pair<R> = ((u32, Result<Own<R>, u8>),);
    let link = |wrong: &str| {
        let mut linker = Linker::<()>::new(&engine);
        let mut root = linker.root();
        root.resource_host::<Response>("response").unwrap();
        if wrong == "all" {
            root.func_wrap("all", |_, (_,): (Vec<Own<Socket>>,)| Ok(()))
        } else {
            root.func_wrap("all", |_, (_,): (Vec<Own<Response>>,)| Ok(()))
        }
        .unwrap();
        if wrong == "maybe" {
            root.func_wrap(
                "maybe",
                |_, (_, _): (u32, Option<tether::Borrow<Socket>>)| Ok(()),
            )
        } else {
            root.func_wrap(
                "maybe",
                |_, (_, _): (u32, Option<tether::Borrow<Response>>)| Ok(()),
            )
        }
        .unwrap();
        if wrong == "pair" {
            root.func_wrap("pair", |_, (): ()| -> anyhow::Result<Pair<Socket>> {
                anyhow::bail!("not called")
            })
        } else {
            root.func_wrap("pair", |_, (): ()| -> anyhow::Result<Pair<Response>> {
                anyhow::bail!("not called")
            })
        }
        .unwrap();
        if wrong == "tag" {
            root.func_wrap("tag", |_, (_,): (Tagged<Socket>,)| Ok(()))
        } else {
            root.func_wrap("tag", |_, (_,): (Tagged<Response>,)| Ok(()))
        }
        .unwrap();
        linker.instantiate_pre(&component).map(|_| ())
    };
    link("").expect("the right Rust types link");
    for (wrong, place) in [
        ("all", "inside parameter 0"),
        ("maybe", "inside parameter 1"),
        ("pair", "inside result 0"),
        ("tag", "inside parameter 0"),
    ] {
        let err = link(wrong).expect_err(wrong);
        let msg = format!("{err:#}");
        assert!(
            msg.contains(place) && msg.contains("Socket") && msg.contains("Response"),
            "{wrong}: {msg}"
        );
    }
}
