//! Handle churn: a guest that makes a million handles of its own resource and a million of a
//! host resource, keeps them all, then drops them all. The test counts, it does not time:
//! afterwards nothing is alive, and a second round reuses the freed slots instead of growing
//! the table.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tether::{Component, Engine, Instance, Limits, Linker, Store, TypedFunc};

/// The host resource: counts its drops.
struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The store's data: the drop counter the tokens share.
struct Counts {
    dropped: Arc<AtomicUsize>,
}

/// `fill(n)` makes `n` handles of the guest's `thing` (`resource.new`) and `n` of the host's
/// `token` (its constructor), keeping them in memory (8 bytes per pair, growing the memory
/// as needed); `empty(n)` drops them all; `churn(n)` does both in one call.
const GUEST: &str = r#"(component
  (import "token" (type $token (sub resource)))
  (import "[constructor]token" (func $token-new (result (own $token))))
  (type $thing (resource (rep i32)))
  (core func $token-new (canon lower (func $token-new)))
  (core func $token-drop (canon resource.drop $token))
  (core func $thing-new (canon resource.new $thing))
  (core func $thing-drop (canon resource.drop $thing))
  (core module $m
    (import "" "token-new" (func $token-new (result i32)))
    (import "" "token-drop" (func $token-drop (param i32)))
    (import "" "thing-new" (func $thing-new (param i32) (result i32)))
    (import "" "thing-drop" (func $thing-drop (param i32)))
    (memory 1)
    (func $fill (export "fill") (param $n i32)
      (local $i i32) (local $p i32) (local $pages i32)
      ;; ceil(8n / 64 KiB) pages
      (local.set $pages (i32.shr_u (i32.add (i32.shl (local.get $n) (i32.const 3)) (i32.const 65535)) (i32.const 16)))
      (if (i32.gt_u (local.get $pages) (memory.size))
        (then
          (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
            (then unreachable))))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $p (i32.shl (local.get $i) (i32.const 3)))
          (i32.store (local.get $p) (call $thing-new (local.get $i)))
          (i32.store offset=4 (local.get $p) (call $token-new))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next))))
    (func $empty (export "empty") (param $n i32)
      (local $i i32) (local $p i32)
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $p (i32.shl (local.get $i) (i32.const 3)))
          (call $thing-drop (i32.load (local.get $p)))
          (call $token-drop (i32.load offset=4 (local.get $p)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next))))
    (func (export "churn") (param $n i32)
      (call $fill (local.get $n))
      (call $empty (local.get $n))))
  (core instance $i (instantiate $m (with "" (instance
    (export "token-new" (func $token-new)) (export "token-drop" (func $token-drop))
    (export "thing-new" (func $thing-new)) (export "thing-drop" (func $thing-drop))))))
  (func (export "fill") (param "n" u32) (canon lift (core func $i "fill")))
  (func (export "empty") (param "n" u32) (canon lift (core func $i "empty")))
  (func (export "churn") (param "n" u32) (canon lift (core func $i "churn"))))"#;

/// A store whose limits fit exactly `n` handles of each kind, so a table that did not reuse
/// its freed slots would hit them on the second round.
fn setup(n: u32) -> (Store<Counts>, Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut linker = Linker::<Counts>::new(&engine);
    let mut root = linker.root();
    root.resource_host::<Token>("token").unwrap();
    root.func_wrap("[constructor]token", |mut store, (): ()| {
        let token = Token(store.data().dropped.clone());
        Ok((store.push(token)?,))
    })
    .unwrap();
    let mut store = Store::new(
        &engine,
        Counts {
            dropped: Arc::new(AtomicUsize::new(0)),
        },
    );
    // Slot 0 of the table is reserved; the other slots hold `n` things and `n` tokens.
    store.set_limits(Limits {
        handles_per_instance: 2 * n + 1,
        host_objects: n as usize,
        ..Default::default()
    });
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

fn func(store: &mut Store<Counts>, instance: &Instance, name: &str) -> TypedFunc<(u32,), ()> {
    instance.get_typed_func(store, name).unwrap()
}

#[test]
fn a_million_handles_come_and_go_and_their_slots_are_reused() {
    const N: u32 = 1_000_000;
    let (mut store, instance) = setup(N);
    let churn = func(&mut store, &instance, "churn");
    assert_eq!((store.handles_alive(), store.host_objects()), (0, 0));

    let start = std::time::Instant::now();
    churn.call(&mut store, (N,)).unwrap();
    let first = start.elapsed();
    assert_eq!(store.handles_alive(), 0, "every handle was dropped");
    assert_eq!(store.host_objects(), 0, "every token was dropped");
    assert_eq!(
        store.data().dropped.load(Ordering::Relaxed),
        N as usize,
        "every token's `Drop` ran"
    );
    let slots = store.handle_slots();
    assert_eq!(
        slots,
        2 * N as usize + 1,
        "the table grew to hold all the handles at once"
    );

    let start = std::time::Instant::now();
    churn.call(&mut store, (N,)).unwrap();
    let second = start.elapsed();
    assert_eq!((store.handles_alive(), store.host_objects()), (0, 0));
    assert_eq!(store.data().dropped.load(Ordering::Relaxed), 2 * N as usize);
    assert_eq!(
        store.handle_slots(),
        slots,
        "the second round reused the freed slots"
    );
    eprintln!("churn({N}): {first:?}, then {second:?}");
}

#[test]
fn handles_kept_between_calls_are_counted() {
    const N: u32 = 1_000;
    let (mut store, instance) = setup(N);
    let fill = func(&mut store, &instance, "fill");
    let empty = func(&mut store, &instance, "empty");
    fill.call(&mut store, (N,)).unwrap();
    assert_eq!(
        store.handles_alive(),
        2 * N as usize,
        "the guest holds its things and tokens"
    );
    assert_eq!(store.host_objects(), N as usize);
    assert_eq!(store.data().dropped.load(Ordering::Relaxed), 0);
    empty.call(&mut store, (N,)).unwrap();
    assert_eq!((store.handles_alive(), store.host_objects()), (0, 0));
    assert_eq!(store.data().dropped.load(Ordering::Relaxed), N as usize);
    // The limits fit exactly: a second fill fits only because the slots are reused.
    fill.call(&mut store, (N,)).unwrap();
    assert_eq!(store.handle_slots(), 2 * N as usize + 1);
    // Tokens still held when the store goes are dropped with it.
    let dropped = store.data().dropped.clone();
    drop(store);
    assert_eq!(dropped.load(Ordering::Relaxed), 2 * N as usize);
}
