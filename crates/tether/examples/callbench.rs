//! A quick look at per-call costs on Tether's paths (not the issue's benchmark, which
//! compares with wasmtime in `compare/`): a guest loop calling a host `noop`, `add`, and a
//! resource method `status`, through the raw and the dynamic paths.
//!
//! ```text
//! cargo run -p tether --release --example callbench
//! ```

use std::time::Instant;

use tether::{Component, Engine, Linker, Store, Val};

struct Response {
    status: u16,
}

const GUEST: &str = r#"(component
  (import "noop" (func $noop))
  (import "add" (func $add (param "a" u32) (param "b" u32) (result u32)))
  (import "noop-dyn" (func $noop-dyn))
  (import "response" (type $r (sub resource)))
  (import "[constructor]response" (func $new (param "status" u16) (result (own $r))))
  (import "[method]response.status" (func $status (param "self" (borrow $r)) (result u16)))
  (core func $noop (canon lower (func $noop)))
  (core func $add (canon lower (func $add)))
  (core func $noop-dyn (canon lower (func $noop-dyn)))
  (core func $new (canon lower (func $new)))
  (core func $status (canon lower (func $status)))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "" "noop" (func $noop))
    (import "" "add" (func $add (param i32 i32) (result i32)))
    (import "" "noop-dyn" (func $noop-dyn))
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "status" (func $status (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "noop") (param $n i32)
      (loop $l (call $noop) (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "add") (param $n i32) (result i32)
      (local $acc i32)
      (loop $l
        (local.set $acc (call $add (local.get $acc) (local.get $n)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.get $acc))
    (func (export "noop-dyn") (param $n i32)
      (loop $l (call $noop-dyn) (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "status") (param $n i32) (result i32)
      (local $h i32) (local $acc i32)
      (local.set $h (call $new (i32.const 200)))
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (call $status (local.get $h))))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (call $drop (local.get $h))
      (local.get $acc))
    (func (export "construct-drop") (param $n i32)
      (loop $l
        (call $drop (call $new (i32.const 200)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
  (core instance $i (instantiate $m (with "" (instance
    (export "noop" (func $noop)) (export "add" (func $add)) (export "noop-dyn" (func $noop-dyn))
    (export "new" (func $new)) (export "status" (func $status)) (export "drop" (func $drop))))))
  (func (export "noop") (param "n" u32) (canon lift (core func $i "noop")))
  (func (export "add") (param "n" u32) (result u32) (canon lift (core func $i "add")))
  (func (export "noop-dyn") (param "n" u32) (canon lift (core func $i "noop-dyn")))
  (func (export "status") (param "n" u32) (result u32) (canon lift (core func $i "status")))
  (func (export "construct-drop") (param "n" u32) (canon lift (core func $i "construct-drop"))))"#;

fn main() -> anyhow::Result<()> {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST)?;
    let mut linker = Linker::<()>::new(&engine);
    let mut root = linker.root();
    root.func_wrap("noop", |_, (): ()| Ok(()))?;
    root.func_wrap("add", |_, (a, b): (u32, u32)| Ok((a.wrapping_add(b),)))?;
    root.func_new("noop-dyn", |_, _, _| Ok(()))?;
    root.resource_host::<Response>("response")?;
    root.func_wrap("[constructor]response", |mut store, (status,): (u16,)| {
        Ok((store.push(Response { status })?,))
    })?;
    root.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )?;
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component)?;
    let n = 2_000_000u32;
    for name in ["noop", "add", "noop-dyn", "status", "construct-drop"] {
        let f = instance.get_func(&mut store, name).unwrap();
        let mut results = vec![Val::U32(0); f.result_count(&store)];
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            f.call(&mut store, &[Val::U32(n)], &mut results)?;
            best = best.min(start.elapsed().as_nanos() as f64 / f64::from(n));
        }
        println!("{name:>16}: {best:7.1} ns per call");
    }
    println!("host objects alive: {}", store.host_objects());
    Ok(())
}
