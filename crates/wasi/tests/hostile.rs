//! WASI guests that ask for too much or misuse the interfaces, written in WAT: each call fails
//! with a message that names the fault, and the host does not panic.

mod common;

use tether::{Store, TypedFunc};
use tether_wasi::WasiCtx;

const GUEST: &str = r#"(component
  (import "wasi:random/random@0.2.0" (instance $random
    (export "get-random-bytes" (func (param "len" u64) (result (list u8))))))
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "poll" (func (param "in" (list (borrow $p))) (result (list u32))))))
  (alias export $random "get-random-bytes" (func $bytes))
  (alias export $poll "poll" (func $poll))
  (core module $mem
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.add (global.get $bump) (local.get 3)))
      (local.get $p)))
  (core instance $mem (instantiate $mem))
  (core func $bytes (canon lower (func $bytes)
    (memory (core memory $mem "memory")) (realloc (core func $mem "realloc"))))
  (core func $poll (canon lower (func $poll)
    (memory (core memory $mem "memory")) (realloc (core func $mem "realloc"))))
  (core module $m
    (import "" "bytes" (func $bytes (param i64 i32)))
    (import "" "poll" (func $poll (param i32 i32 i32)))
    (import "" "memory" (memory 1))
    (func (export "random") (param i64) (result i32)
      (call $bytes (local.get 0) (i32.const 16))
      (i32.load (i32.const 20)))
    (func (export "poll-nothing")
      (call $poll (i32.const 0) (i32.const 0) (i32.const 16))))
  (core instance $i (instantiate $m (with "" (instance
    (export "bytes" (func $bytes))
    (export "poll" (func $poll))
    (export "memory" (memory $mem "memory"))))))
  (func (export "random") (param "len" u64) (result u32) (canon lift (core func $i "random")))
  (func (export "poll-nothing") (canon lift (core func $i "poll-nothing"))))"#;

fn instantiate() -> (Store<WasiCtx>, tether::Instance) {
    common::instantiate(GUEST)
}

#[test]
fn random_bytes_within_the_limit_and_beyond_it() {
    let (mut store, instance) = instantiate();
    let random: TypedFunc<(u64,), (u32,)> = instance.get_typed_func(&mut store, "random").unwrap();
    assert_eq!(random.call(&mut store, (32,)).unwrap(), (32,));
    let (mut store, instance) = instantiate();
    let random: TypedFunc<(u64,), (u32,)> = instance.get_typed_func(&mut store, "random").unwrap();
    let err = random.call(&mut store, (1 << 40,)).unwrap_err();
    assert!(
        format!("{err:#}").contains(
            "get-random-bytes: 1099511627776 bytes asked for, more than the host's limit"
        ),
        "{err:#}"
    );
}

#[test]
fn polling_an_empty_list_traps() {
    let (mut store, instance) = instantiate();
    let f: TypedFunc<(), ()> = instance.get_typed_func(&mut store, "poll-nothing").unwrap();
    let err = f.call(&mut store, ()).unwrap_err();
    assert!(
        format!("{err:#}").contains("poll: the list of pollables is empty"),
        "{err:#}"
    );
}
