//! The floor: a core module calling a core host function (`Linker::func_wrap`, typed
//! `(i32) -> i32`) in a loop, on wasmtime's core API, on the engine of the wasmtime side.

use anyhow::{Result, ensure};
use wasmtime::{Engine, Linker, Module, Store, TypedFunc};

const LOOP: &str = r#"(module
  (import "host" "f" (func $f (param i32) (result i32)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $f (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))"#;

pub struct Floor {
    store: Store<()>,
    run: TypedFunc<i32, i32>,
}

impl Floor {
    pub fn new(engine: &Engine) -> Result<Floor> {
        let module = Module::new(engine, LOOP)?;
        let mut linker = Linker::<()>::new(engine);
        linker.func_wrap("host", "f", |x: i32| x.wrapping_add(1))?;
        let mut store = Store::new(engine, ());
        let instance = linker.instantiate(&mut store, &module)?;
        let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
        Ok(Floor { store, run })
    }

    /// `iters` core calls into the host.
    pub fn run(&mut self, iters: u32) -> Result<()> {
        let sum = self.run.call(&mut self.store, iters as i32)?;
        let expected = (0..iters).fold(0i32, |acc, i| acc.wrapping_add((i as i32).wrapping_add(1)));
        ensure!(
            sum == expected,
            "core floor: checksum {sum}, expected {expected}"
        );
        Ok(())
    }
}
