//! The host's view of a guest's linear memory follows the memory as it grows: while a call
//! lowers into it (its `realloc` grows it), and between calls (the guest grows it itself).
//! Each pointer below lies in a page that did not exist when the host last looked.

use tether::{Component, Engine, Linker, Store};

const WAT: &str = r#"(component
  (import "put" (func $put (param "bytes" (list u8)) (result u32)))
  (core module $libc
    (memory (export "memory") 1)
    ;; Every allocation is a new page at the end of memory.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (i32.mul (memory.grow (i32.const 1)) (i32.const 65536))))
  (core instance $libc (instantiate $libc))
  (core func $put (canon lower (func $put) (memory (core memory $libc "memory"))))
  (core module $main
    (import "libc" "memory" (memory 1))
    (import "host" "put" (func $put (param i32 i32) (result i32)))
    ;; Grows memory by a page, fills its first `n` bytes with `n`, hands them to the host.
    (func (export "grow-and-put") (param $n i32) (result i32)
      (local $p i32)
      (local.set $p (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
      (memory.fill (local.get $p) (local.get $n) (local.get $n))
      (call $put (local.get $p) (local.get $n)))
    ;; Returns the string it was given (which `realloc` put in a new page).
    (func (export "echo") (param $p i32) (param $n i32) (result i32)
      (i32.store (i32.const 8) (local.get $p))
      (i32.store (i32.const 12) (local.get $n))
      (i32.const 8)))
  (core instance $main (instantiate $main
    (with "libc" (instance $libc))
    (with "host" (instance (export "put" (func $put))))))
  (func (export "grow-and-put") (param "n" u32) (result u32)
    (canon lift (core func $main "grow-and-put")))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $main "echo") (memory (core memory $libc "memory"))
      (realloc (core func $libc "realloc")))))"#;

fn instance() -> (Store<()>, tether::Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, WAT).unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .root()
        .func_wrap("put", |_, (bytes,): (Vec<u8>,)| {
            let n = bytes.len();
            assert!(bytes.iter().all(|&b| usize::from(b) == n), "{bytes:?}");
            Ok((n as u32,))
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

#[test]
fn lifting_reads_pages_the_guest_grew_between_calls() {
    let (mut store, instance) = instance();
    let f = instance
        .get_typed_func::<(u32,), (u32,)>(&mut store, "grow-and-put")
        .unwrap();
    for n in [1, 200, 3, 255] {
        assert_eq!(f.call(&mut store, (n,)).unwrap(), (n,));
    }
}

#[test]
fn lowering_writes_pages_that_realloc_grew_during_the_call() {
    let (mut store, instance) = instance();
    let echo = instance
        .get_typed_func::<(String,), (String,)>(&mut store, "echo")
        .unwrap();
    for s in ["a", "grown", &"x".repeat(1000)] {
        assert_eq!(
            echo.call(&mut store, (s.to_string(),)).unwrap(),
            (s.to_string(),)
        );
    }
    // The dynamic path sees the same.
    let f = instance.get_func(&mut store, "echo").unwrap();
    let mut out = [tether::Val::Bool(false)];
    f.call(
        &mut store,
        &[tether::Val::String("dynamic".into())],
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], tether::Val::String("dynamic".into()));
}

#[test]
fn a_second_store_reads_its_own_memory() {
    let (mut a, ia) = instance();
    let (mut b, ib) = instance();
    let fa = ia
        .get_typed_func::<(u32,), (u32,)>(&mut a, "grow-and-put")
        .unwrap();
    let fb = ib
        .get_typed_func::<(u32,), (u32,)>(&mut b, "grow-and-put")
        .unwrap();
    for n in 1..6 {
        assert_eq!(fa.call(&mut a, (n,)).unwrap(), (n,));
        assert_eq!(fb.call(&mut b, (n * 2,)).unwrap(), (n * 2,));
    }
}
