//! One `InstancePre` instantiated many times, in one store and in several: the core
//! functions its instances share across stores (lowered imports, resource intrinsics) must
//! each act for the instance that calls them, with its memory, its `realloc` and its handle
//! table, whichever instance took the shared slot in the store and whichever got functions
//! of its own.

use tether::{Component, Engine, Linker, Store, Val};

/// A component that instantiates `$C` twice; each `$C` lowers two host functions with its
/// own memory and `realloc`, and makes handles to a resource type of its own.
const TWICE: &str = r#"(component
  (import "host" (instance $h
    (export "count-x" (func (param "s" string) (result u32)))
    (export "greet" (func (result string)))))
  (component $C
    (import "count-x" (func $count (param "s" string) (result u32)))
    (import "greet" (func $greet (result string)))
    (type $r (resource (rep i32)))
    (core module $libc
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 4096))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (local.set $p (global.get $bump))
        (global.set $bump (i32.add (global.get $bump) (local.get 3)))
        (local.get $p)))
    (core instance $libc (instantiate $libc))
    (core func $count_l (canon lower (func $count)
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $greet_l (canon lower (func $greet)
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $new (canon resource.new $r))
    (core func $rep (canon resource.rep $r))
    (core module $m
      (import "libc" "mem" (memory 1))
      (import "host" "count" (func $count (param i32 i32) (result i32)))
      (import "host" "greet" (func $greet (param i32)))
      (import "res" "new" (func $new (param i32) (result i32)))
      (import "res" "rep" (func $rep (param i32) (result i32)))
      (global $handle (mut i32) (i32.const 0))
      ;; 16 bytes at 100: `tag` x's, then y's; a handle to a resource whose rep is `tag`.
      (func (export "set") (param $tag i32)
        (local $i i32)
        (loop $l
          (i32.store8 (i32.add (i32.const 100) (local.get $i))
            (select (i32.const 120) (i32.const 121)
              (i32.lt_u (local.get $i) (local.get $tag))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 16))))
        (global.set $handle (call $new (local.get $tag))))
      (func (export "get") (result i32) (call $rep (global.get $handle)))
      (func (export "count") (result i32) (call $count (i32.const 100) (i32.const 16)))
      ;; The length of the string the host returns, as this instance's memory holds it.
      (func (export "greet-len") (result i32)
        (call $greet (i32.const 200))
        (i32.load (i32.const 204))))
    (core instance $i (instantiate $m
      (with "libc" (instance $libc))
      (with "host" (instance (export "count" (func $count_l)) (export "greet" (func $greet_l))))
      (with "res" (instance (export "new" (func $new)) (export "rep" (func $rep))))))
    (func (export "set") (param "tag" u32) (canon lift (core func $i "set")))
    (func (export "get") (result u32) (canon lift (core func $i "get")))
    (func (export "count") (result u32) (canon lift (core func $i "count")))
    (func (export "greet-len") (result u32) (canon lift (core func $i "greet-len"))))
  (alias export $h "count-x" (func $count))
  (alias export $h "greet" (func $greet))
  (instance $a (instantiate $C (with "count-x" (func $count)) (with "greet" (func $greet))))
  (instance $b (instantiate $C (with "count-x" (func $count)) (with "greet" (func $greet))))
  (export "a" (instance $a))
  (export "b" (instance $b)))"#;

fn call_u32(store: &mut Store<()>, inst: &tether::Instance, path: &[&str], args: &[Val]) -> u32 {
    let f = inst.get_func_at(&mut *store, path).expect("exported");
    let mut out = [Val::U32(0)];
    let n = if path.last() == Some(&"set") { 0 } else { 1 };
    f.call(&mut *store, args, &mut out[..n])
        .unwrap_or_else(|e| panic!("{path:?}: {e:#}"));
    match out[0] {
        Val::U32(v) => v,
        ref v => panic!("{path:?} returned {v:?}"),
    }
}

#[test]
fn every_instance_of_one_instance_pre_calls_with_its_own_memory_and_handles() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    let mut host = linker.instance("host").unwrap();
    // The direct path of a typed host function.
    host.func_wrap("count-x", |_, (s,): (String,)| {
        Ok((s.bytes().filter(|&b| b == b'x').count() as u32,))
    })
    .unwrap();
    // The `Val` path.
    host.func_new("greet", |_, _, results| {
        results[0] = Val::String("hello".into());
        Ok(())
    })
    .unwrap();
    let component = Component::new(&engine, TWICE).unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();

    // In the first store: the first instance is made before anything is shared, the second
    // takes the shared functions (for its first `$C`; its second `$C` gets functions of its
    // own), the third gets functions of its own. In the second store, the first instance
    // takes the shared functions again.
    let mut stores = [Store::new(&engine, ()), Store::new(&engine, ())];
    let mut instances = Vec::new();
    for s in [0, 0, 0, 1, 1] {
        let inst = pre.instantiate(&mut stores[s]).unwrap();
        instances.push((s, inst));
    }
    let tag = |i: usize, half: usize| (2 * i + half + 1) as u32;
    for (i, (s, inst)) in instances.iter().enumerate() {
        for (half, name) in ["a", "b"].into_iter().enumerate() {
            call_u32(
                &mut stores[*s],
                inst,
                &[name, "set"],
                &[Val::U32(tag(i, half))],
            );
        }
    }
    // Read back after every instance has set its own, in the opposite order.
    for (i, (s, inst)) in instances.iter().enumerate().rev() {
        for (half, name) in ["a", "b"].into_iter().enumerate() {
            let store = &mut stores[*s];
            let want = tag(i, half);
            assert_eq!(
                call_u32(store, inst, &[name, "get"], &[]),
                want,
                "instance {i} `{name}`: the handle in its own table"
            );
            assert_eq!(
                call_u32(store, inst, &[name, "count"], &[]),
                want,
                "instance {i} `{name}`: the string in its own memory"
            );
            assert_eq!(
                call_u32(store, inst, &[name, "greet-len"], &[]),
                5,
                "instance {i} `{name}`: the result written with its own realloc"
            );
        }
    }
}

/// A lowered import that a core module's start function calls, while its instance is being
/// made: the shared slot, which otherwise resolves its function only at its first call once
/// instantiation is over, must be resolved before the start function runs, in every store.
#[test]
fn a_start_function_calls_a_shared_lowered_import() {
    const STARTS: &str = r#"(component
      (import "tick" (func $tick (param "n" u32)))
      (core func $tick_l (canon lower (func $tick)))
      (core func $tick_late (canon lower (func $tick)))
      (core module $m
        (import "host" "tick" (func $t (param i32)))
        (func $start (call $t (i32.const 7)))
        (start $start)
        (func (export "again") (call $t (i32.const 8))))
      (core instance $i (instantiate $m (with "host" (instance (export "tick" (func $tick_l))))))
      (core module $n
        (import "host" "tick" (func $t (param i32)))
        (func (export "late") (call $t (i32.const 9))))
      (core instance $j (instantiate $n (with "host" (instance (export "tick" (func $tick_late))))))
      (func (export "again") (canon lift (core func $i "again")))
      (func (export "late") (canon lift (core func $j "late"))))"#;
    let engine = Engine::default();
    let mut linker = Linker::<Vec<u32>>::new(&engine);
    linker
        .root()
        .func_wrap("tick", |mut cx, (n,): (u32,)| {
            cx.data_mut().push(n);
            Ok(())
        })
        .unwrap();
    let component = Component::new(&engine, STARTS).unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    // Two instances in one store (the second takes the shared slots, or the first does),
    // then one in a store of its own.
    let mut stores = [
        Store::new(&engine, Vec::new()),
        Store::new(&engine, Vec::new()),
    ];
    for s in [0, 0, 1] {
        let store = &mut stores[s];
        let before = store.data().len();
        let inst = pre.instantiate(&mut *store).unwrap();
        assert_eq!(store.data()[before..], [7], "the start function's call");
        for (name, n) in [("again", 8), ("late", 9)] {
            let f = inst.get_func(&mut *store, name).unwrap();
            f.call(&mut *store, &[], &mut []).unwrap();
            assert_eq!(store.data().last(), Some(&n), "`{name}`");
        }
    }
}
