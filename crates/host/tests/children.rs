//! A `body-stream` is a child of its response through the generated glue (the `children`
//! option of `bindgen!`): the guest cannot drop the response while a stream of it lives.

use tether::{Component, Engine, Linker, Store, TypedFunc};
use tether_host::{HttpClient, HttpPolicy};

/// A guest of `tether:http/http` that makes a response and a stream of it, then drops them
/// in either order.
const GUEST: &str = r#"(component
  (import "tether:http/http" (instance $http
    (export "response" (type $r (sub resource)))
    (export "body-stream" (type $s (sub resource)))
    (export "[static]response.not-found" (func (result (own $r))))
    (export "[method]response.status" (func (param "self" (borrow $r)) (result u16)))
    (export "[method]response.body-stream" (func (param "self" (borrow $r)) (result (own $s))))
  ))
  (alias export $http "response" (type $r))
  (alias export $http "body-stream" (type $s))
  (alias export $http "[static]response.not-found" (func $not-found))
  (alias export $http "[method]response.status" (func $status))
  (alias export $http "[method]response.body-stream" (func $body-stream))
  (core func $not-found (canon lower (func $not-found)))
  (core func $status (canon lower (func $status)))
  (core func $body-stream (canon lower (func $body-stream)))
  (core func $drop-r (canon resource.drop $r))
  (core func $drop-s (canon resource.drop $s))
  (core module $m
    (import "" "not-found" (func $not-found (result i32)))
    (import "" "status" (func $status (param i32) (result i32)))
    (import "" "body-stream" (func $body-stream (param i32) (result i32)))
    (import "" "drop-r" (func $drop-r (param i32)))
    (import "" "drop-s" (func $drop-s (param i32)))
    (func (export "child-first") (result i32)
      (local $r i32) (local $s i32) (local $status i32)
      (local.set $r (call $not-found))
      (local.set $s (call $body-stream (local.get $r)))
      (local.set $status (call $status (local.get $r)))
      (call $drop-s (local.get $s))
      (call $drop-r (local.get $r))
      (local.get $status))
    (func (export "parent-first")
      (local $r i32)
      (local.set $r (call $not-found))
      (drop (call $body-stream (local.get $r)))
      (call $drop-r (local.get $r))))
  (core instance $i (instantiate $m (with "" (instance
    (export "not-found" (func $not-found))
    (export "status" (func $status))
    (export "body-stream" (func $body-stream))
    (export "drop-r" (func $drop-r))
    (export "drop-s" (func $drop-s))))))
  (func (export "child-first") (result u16) (canon lift (core func $i "child-first")))
  (func (export "parent-first") (canon lift (core func $i "parent-first"))))"#;

fn instantiate() -> (Store<HttpClient>, tether::Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut linker = Linker::new(&engine);
    tether_host::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, HttpClient::new(HttpPolicy::new()));
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

#[test]
fn a_stream_dropped_before_its_response_is_fine() {
    let (mut store, instance) = instantiate();
    let f: TypedFunc<(), (u16,)> = instance.get_typed_func(&mut store, "child-first").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), (404,));
    assert_eq!(store.host_objects(), 0);
}

#[test]
fn a_response_cannot_be_dropped_while_its_stream_lives() {
    let (mut store, instance) = instantiate();
    let f: TypedFunc<(), ()> = instance.get_typed_func(&mut store, "parent-first").unwrap();
    let err = f.call(&mut store, ()).unwrap_err();
    assert!(
        format!("{err:#}").contains("child resource(s) alive"),
        "unexpected error: {err:#}"
    );
    drop(store);
}
