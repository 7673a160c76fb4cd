//! The live-handle report in detail (`Store::handle_details`): what a guest that leaks still
//! holds, and where each handle was made when provenance is on.

use tether::{Borrow, Component, Config, Engine, Linker, Store};

/// A host socket.
struct Socket(u32);

/// A stream, the child of a socket.
struct Stream;

/// A guest whose `leak` opens two sockets and a stream on the first, and drops none of them;
/// `tidy` opens one and drops it. Its core functions are named (`$leak`), so backtraces name
/// them.
const GUEST: &str = r#"(component
  (import "socket" (type $s (sub resource)))
  (import "stream" (type $t (sub resource)))
  (import "[constructor]socket" (func $new (param "id" u32) (result (own $s))))
  (import "[method]socket.open" (func $open (param "self" (borrow $s)) (result (own $t))))
  (core func $new (canon lower (func $new)))
  (core func $open (canon lower (func $open)))
  (core func $drop (canon resource.drop $s))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "open" (func $open (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func $leak (export "leak")
      (local $a i32)
      (local.set $a (call $new (i32.const 1)))
      (drop (call $new (i32.const 2)))
      (drop (call $open (local.get $a))))
    (func $tidy (export "tidy")
      (call $drop (call $new (i32.const 3)))))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "open" (func $open)) (export "drop" (func $drop))))))
  (func (export "leak") (canon lift (core func $i "leak")))
  (func (export "tidy") (canon lift (core func $i "tidy"))))"#;

fn run(provenance: bool) -> Store<()> {
    let mut config = Config::new();
    config.handle_provenance(provenance);
    let engine = Engine::new(&config).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    let mut root = linker.root();
    root.resource_host::<Socket>("socket").unwrap();
    root.resource_host::<Stream>("stream").unwrap();
    root.func_wrap("[constructor]socket", |mut store, (id,): (u32,)| {
        Ok((store.push(Socket(id))?,))
    })
    .unwrap();
    root.func_wrap(
        "[method]socket.open",
        |mut store, (this,): (Borrow<Socket>,)| Ok((store.push_child(&this, Stream)?,)),
    )
    .unwrap();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    for name in ["tidy", "leak"] {
        let f = instance.get_typed_func::<(), ()>(&mut store, name).unwrap();
        f.call(&mut store, ()).unwrap();
    }
    assert_eq!(instance.index(), 0);
    store
}

#[test]
fn the_report_names_each_leaked_handle_its_holder_type_object_and_children() {
    let store = run(false);
    let details = store.handle_details();
    assert_eq!(details.len(), 3, "{details:?}");
    let sockets: Vec<_> = details
        .iter()
        .filter(|d| d.resource.as_deref() == Some("socket"))
        .collect();
    assert_eq!(sockets.len(), 2);
    for d in &details {
        assert_eq!(d.instance, 0);
        assert!(d.own && !d.revoked && !d.guest_defined);
        assert!(d.origin.is_none(), "provenance is off");
    }
    // The first socket is the stream's parent; each object is there to inspect.
    let ids: Vec<(u32, u32)> = sockets
        .iter()
        .map(|d| {
            let s = d.object.unwrap().downcast_ref::<Socket>().unwrap();
            (s.0, d.children)
        })
        .collect();
    assert_eq!(ids, [(1, 1), (2, 0)]);
    assert!(sockets[0].host_type.unwrap().ends_with("report::Socket"));
    let stream = details
        .iter()
        .find(|d| d.resource.as_deref() == Some("stream"))
        .unwrap();
    assert!(stream.object.unwrap().is::<Stream>());
    // `tidy`'s socket was dropped: the leaked handles are the table's live ones.
    let indices: Vec<u32> = details.iter().map(|d| d.index).collect();
    assert_eq!(indices, [1, 2, 3]);
}

#[test]
fn with_provenance_each_handle_says_which_guest_function_made_it() {
    let store = run(true);
    let details = store.handle_details();
    assert_eq!(details.len(), 3);
    for d in &details {
        let origin = d.origin.as_ref().expect("provenance is on");
        assert_eq!(origin.function.as_deref(), Some("leak"), "{origin:?}");
        assert!(origin.backtrace.contains("leak"), "{}", origin.backtrace);
    }
}
