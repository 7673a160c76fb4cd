//! The async ABI's scenarios: one component, written here in WAT, run by both runtimes.
//!
//! - `calls(n)`: `n` calls through an `async` lower of a callback-lifted `answer(x)`, which
//!   returns `x + 1` through `task.return` at once (`RETURNED`, no subtask); returns the sum
//!   of the answers.
//! - `pump(n)`: `n` times, a `stream<u8>` from the producer component `$P` carries 1 MiB to
//!   the consumer in 16 copies of 64 KiB: the consumer's `async` read waits, `$P`'s write of
//!   64 KiB meets it, and a waitable set reports the read. Returns the sum of one byte of
//!   each copy (the producer writes 7s).
//!
//! Both are synchronous exports of `$D`, which imports `$C`'s and `$P`'s functions (siblings
//! rather than parent and child, whose calls wasmtime refuses): the host calls them as it
//! calls any function, and what is measured is the async ABI between the guests.

use anyhow::{Result, ensure};

/// The component.
pub const WAT: &str = r#"(component
  (component $C
    (core func $ret (canon task.return (result u32)))
    (core module $m
      (import "" "ret" (func $ret (param i32)))
      (func (export "answer") (param i32) (result i32)
        (call $ret (i32.add (local.get 0) (i32.const 1)))
        (i32.const 0 (; EXIT ;)))
      (func (export "cb") (param i32 i32 i32) (result i32) unreachable))
    (core instance $i (instantiate $m (with "" (instance (export "ret" (func $ret))))))
    (func (export "answer") async (param "x" u32) (result u32)
      (canon lift (core func $i "answer") async (callback (core func $i "cb")))))
  (component $P
    (type $st (stream u8))
    (core module $mem (memory (export "mem") 1))
    (core instance $mem (instantiate $mem))
    (core func $new (canon stream.new $st))
    (core func $write (canon stream.write $st async (memory (core memory $mem "mem"))))
    (core func $dropw (canon stream.drop-writable $st))
    (core module $m
      (import "" "new" (func $new (result i64)))
      (import "" "write" (func $write (param i32 i32 i32) (result i32)))
      (import "" "dropw" (func $dropw (param i32)))
      (import "" "mem" (memory 1))
      (global $tx (mut i32) (i32.const 0))
      (func (export "open") (result i32)
        (local $e i64)
        (memory.fill (i32.const 0) (i32.const 7) (i32.const 65536))
        (local.set $e (call $new))
        (global.set $tx (i32.wrap_i64 (i64.shr_u (local.get $e) (i64.const 32))))
        (i32.wrap_i64 (local.get $e)))
      (func (export "chunk")
        ;; COMPLETED with 65536 copied: 65536 << 4.
        (if (i32.ne (call $write (global.get $tx) (i32.const 0) (i32.const 65536))
                    (i32.const 0x100000))
          (then unreachable)))
      (func (export "close") (call $dropw (global.get $tx))))
    (core instance $i (instantiate $m (with "" (instance
      (export "new" (func $new)) (export "write" (func $write)) (export "dropw" (func $dropw))
      (export "mem" (memory $mem "mem"))))))
    (func (export "open") (result (stream u8)) (canon lift (core func $i "open")))
    (func (export "chunk") (canon lift (core func $i "chunk")))
    (func (export "close") (canon lift (core func $i "close"))))
  (component $D
    (import "answer" (func $answer-f async (param "x" u32) (result u32)))
    (import "open" (func $open-f (result (stream u8))))
    (import "chunk" (func $chunk-f))
    (import "close" (func $close-f))
    (type $st (stream u8))
    (core module $mem (memory (export "mem") 2))
    (core instance $mem (instantiate $mem))
    (core func $answer (canon lower (func $answer-f) async (memory (core memory $mem "mem"))))
    (core func $open (canon lower (func $open-f)))
    (core func $chunk (canon lower (func $chunk-f)))
    (core func $close (canon lower (func $close-f)))
    (core func $read (canon stream.read $st async (memory (core memory $mem "mem"))))
    (core func $dropr (canon stream.drop-readable $st))
    (core func $set-new (canon waitable-set.new))
    (core func $join (canon waitable.join))
    (core func $poll (canon waitable-set.poll (memory (core memory $mem "mem"))))
    (core module $m
      (import "" "answer" (func $answer (param i32 i32) (result i32)))
      (import "" "open" (func $open (result i32)))
      (import "" "chunk" (func $chunk))
      (import "" "close" (func $close))
      (import "" "read" (func $read (param i32 i32 i32) (result i32)))
      (import "" "dropr" (func $dropr (param i32)))
      (import "" "set-new" (func $set-new (result i32)))
      (import "" "join" (func $join (param i32 i32)))
      (import "" "poll" (func $poll (param i32 i32) (result i32)))
      (import "" "mem" (memory 2))
      (func (export "calls") (param $n i32) (result i32)
        (local $i i32) (local $sum i32)
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (if (i32.ne (call $answer (local.get $i) (i32.const 65536)) (i32.const 2 (; RETURNED ;)))
              (then unreachable))
            (local.set $sum (i32.add (local.get $sum) (i32.load (i32.const 65536))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (local.get $sum))
      (func (export "pump") (param $n i32) (result i32)
        (local $i i32) (local $k i32) (local $rx i32) (local $set i32) (local $sum i32)
        (local.set $set (call $set-new))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $rx (call $open))
            (call $join (local.get $rx) (local.get $set))
            (local.set $k (i32.const 0))
            (block $mib
              (loop $copy
                (br_if $mib (i32.ge_u (local.get $k) (i32.const 16)))
                (if (i32.ne (call $read (local.get $rx) (i32.const 0) (i32.const 65536))
                            (i32.const -1 (; BLOCKED ;)))
                  (then unreachable))
                (call $chunk)
                (if (i32.ne (call $poll (local.get $set) (i32.const 65536))
                            (i32.const 2 (; STREAM_READ ;)))
                  (then unreachable))
                (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.const 100))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $copy)))
            (call $join (local.get $rx) (i32.const 0))
            (call $dropr (local.get $rx))
            (call $close)
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (local.get $sum)))
    (core instance $i (instantiate $m (with "" (instance
      (export "answer" (func $answer)) (export "open" (func $open))
      (export "chunk" (func $chunk)) (export "close" (func $close))
      (export "read" (func $read)) (export "dropr" (func $dropr))
      (export "set-new" (func $set-new)) (export "join" (func $join))
      (export "poll" (func $poll)) (export "mem" (memory $mem "mem"))))))
    (func (export "calls") (param "n" u32) (result u32) (canon lift (core func $i "calls")))
    (func (export "pump") (param "n" u32) (result u32) (canon lift (core func $i "pump"))))
  (instance $c (instantiate $C))
  (instance $p (instantiate $P))
  (instance $d (instantiate $D
    (with "answer" (func $c "answer")) (with "open" (func $p "open"))
    (with "chunk" (func $p "chunk")) (with "close" (func $p "close"))))
  (func (export "calls") (alias export $d "calls"))
  (func (export "pump") (alias export $d "pump")))"#;

/// What `name(n)` returns.
pub fn expected(name: &str, n: u32) -> u32 {
    match name {
        "calls" => (1..=n).fold(0u32, |s, x| s.wrapping_add(x)),
        _ => n.wrapping_mul(16 * 7),
    }
}

/// The component on Tether.
pub struct TetherSide {
    store: tether::Store<()>,
    calls: tether::TypedFunc<(u32,), (u32,)>,
    pump: tether::TypedFunc<(u32,), (u32,)>,
}

impl TetherSide {
    pub fn new() -> Result<TetherSide> {
        let engine = tether::Engine::default();
        let component = tether::Component::new(&engine, WAT)?;
        let mut store = tether::Store::new(&engine, ());
        let instance = tether::Linker::new(&engine).instantiate(&mut store, &component)?;
        let calls = instance.get_typed_func(&mut store, "calls")?;
        let pump = instance.get_typed_func(&mut store, "pump")?;
        Ok(TetherSide { store, calls, pump })
    }

    /// `name(n)` once, checked.
    pub fn run(&mut self, name: &str, n: u32) -> Result<()> {
        let f = if name == "calls" {
            &self.calls
        } else {
            &self.pump
        };
        let (sum,) = f.call(&mut self.store, (n,))?;
        ensure!(
            sum == expected(name, n),
            "Tether: `{name}({n})` returned {sum}"
        );
        Ok(())
    }
}

/// The component on wasmtime, with its component-model async support on.
pub struct WasmtimeSide {
    store: wasmtime::Store<()>,
    calls: wasmtime::component::TypedFunc<(u32,), (u32,)>,
    pump: wasmtime::component::TypedFunc<(u32,), (u32,)>,
}

impl WasmtimeSide {
    pub fn new() -> Result<WasmtimeSide> {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model_async(true);
        let engine = wasmtime::Engine::new(&config)?;
        let component = wasmtime::component::Component::new(&engine, WAT)?;
        let mut store = wasmtime::Store::new(&engine, ());
        let instance =
            wasmtime::component::Linker::new(&engine).instantiate(&mut store, &component)?;
        let calls = instance.get_typed_func(&mut store, "calls")?;
        let pump = instance.get_typed_func(&mut store, "pump")?;
        Ok(WasmtimeSide { store, calls, pump })
    }

    /// `name(n)` once, checked. wasmtime runs the async ABI only under `call_async` (its
    /// synchronous `call` of a function whose callees use it panics), whose future is ready
    /// at the first poll here: nothing waits on the host.
    pub fn run(&mut self, name: &str, n: u32) -> Result<()> {
        let f = if name == "calls" {
            &self.calls
        } else {
            &self.pump
        };
        let (sum,) = block_on(f.call_async(&mut self.store, (n,)))?;
        ensure!(
            sum == expected(name, n),
            "wasmtime: `{name}({n})` returned {sum}"
        );
        Ok(())
    }
}

/// Polls `f` until it is ready, with a waker that does nothing: for futures that never wait
/// on anything outside the store.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
