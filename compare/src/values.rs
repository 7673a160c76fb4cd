//! The values differential: random types and values through a generated component, on
//! Tether's dynamic API (`tether::Val`) and on wasmtime's (`wasmtime::component::Val`), one
//! case at a time ([`case`]), for the test `tests/values.rs` and the fuzz target
//! `compare/fuzz` (`differential`).
//!
//! For each random type `T`, one component (see [`component`]) exports
//!
//! - `echo(x: T) -> T`, whose core function passes its flat arguments straight on to the
//!   host's import `echo(x: T) -> T` and returns what it returned: a value crosses the
//!   boundary four times (lowered into the guest, lifted out to the host, lowered back, lifted
//!   out);
//! - `raw() -> T`, whose core function calls the host's import with core values it reads
//!   from its memory, and returns either what the import returned or a core value (or
//!   pointer) read from memory: random bits, so the lifts meet invalid discriminants, chars,
//!   pointers, lengths and UTF-8;
//! - `poke(addr: u32, bytes: list<u8>)`, which the test uses to fill that memory.
//!
//! Both runtimes must agree on every result, on what the host import received, and on
//! whether a call trapped; `echo` must also return its argument.

use crate::{Core, Outcome, Rng, Ty, V};

/// Where the lowered result of a call to the import goes (the guest's return area).
const RETAREA: u32 = 16;
/// The core arguments `raw` passes to the import, one 8-byte slot each.
const ARGS: u32 = 2048;
/// `raw`'s choice: 0 returns the import's result, 1 the core value (or pointer) at `RES`.
const MODE: u32 = 2304;
const RES: u32 = 2312;
/// The random bytes pointers are aimed at.
const DATA: u32 = 4096;
const DATA_LEN: u32 = 1024;
/// Where the guest's allocator starts.
const HEAP: u32 = 8192;

const MAX_FLAT_PARAMS: usize = 16;
const MAX_FLAT_RESULTS: usize = 1;

/// The component for `ty`, as WAT.
pub fn component(ty: &Ty) -> String {
    let mut defs = Vec::new();
    let t = ty.wat(&mut defs);
    let flat = ty.flat();
    let core_params: Vec<Core> = if flat.len() <= MAX_FLAT_PARAMS {
        flat.clone()
    } else {
        vec![Core::I32]
    };
    let spills = flat.len() > MAX_FLAT_RESULTS;
    let core_results: Vec<Core> = if spills {
        vec![Core::I32]
    } else {
        flat.clone()
    };
    let list = |tys: &[Core]| tys.iter().map(|c| c.wat()).collect::<Vec<_>>().join(" ");
    let mut import_params = list(&core_params);
    if spills {
        import_params += " i32";
    }
    let import_results = if spills { String::new() } else { list(&flat) };
    let export_params = list(&core_params);
    let export_results = list(&core_results);

    let mut echo = String::new();
    for i in 0..core_params.len() {
        echo += &format!("(local.get {i}) ");
    }
    let mut raw = String::new();
    for (i, c) in core_params.iter().enumerate() {
        raw += &format!("({} (i32.const {})) ", c.load(), ARGS + 8 * i as u32);
    }
    if spills {
        echo += &format!("(i32.const {RETAREA}) (call $host) (i32.const {RETAREA})");
        raw += &format!(
            "(i32.const {RETAREA}) (call $host) \
             (if (result i32) (i32.load (i32.const {MODE})) (then (i32.load (i32.const {RES}))) (else (i32.const {RETAREA})))"
        );
    } else {
        let c = core_results[0];
        echo += "(call $host)";
        raw += &format!(
            "(call $host) (local.set $r) \
             (if (result {c}) (i32.load (i32.const {MODE})) (then ({load} (i32.const {RES}))) (else (local.get $r)))",
            c = c.wat(),
            load = c.load()
        );
    }
    let raw_local = if spills {
        String::new()
    } else {
        format!("(local $r {})", core_results[0].wat())
    };
    format!(
        r#"(component
  {defs}
  (import "echo" (func $host (param "x" {t}) (result {t})))
  (core module $libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const {HEAP}))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32) (local $end i32)
      (if (i32.and (i32.ne (local.get $old) (i32.const 0)) (i32.le_u (local.get $size) (local.get $old_size)))
        (then (return (local.get $old))))
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (local.set $end (i32.add (local.get $p) (local.get $size)))
      (if (i32.lt_u (local.get $end) (local.get $p)) (then unreachable))
      (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
        (then
          (if (i32.eq (memory.grow (i32.sub (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)) (memory.size)))
                      (i32.const -1))
            (then unreachable))))
      (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
      (global.set $bump (local.get $end))
      (local.get $p))
    (func (export "poke") (param $addr i32) (param $ptr i32) (param $len i32)
      (memory.copy (local.get $addr) (local.get $ptr) (local.get $len))))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $host (canon lower (func $host) (memory $mem) (realloc $realloc)))
  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "echo" (func $host (param {import_params}) (result {import_results})))
    (func (export "echo") (param {export_params}) (result {export_results})
      {echo})
    (func (export "raw") (result {export_results}) {raw_local}
      {raw}))
  (core instance $i (instantiate $m (with "libc" (instance $libc)) (with "host" (instance (export "echo" (func $host))))))
  (func (export "echo") (param "x" {t}) (result {t}) (canon lift (core func $i "echo") (memory $mem) (realloc $realloc)))
  (func (export "raw") (result {t}) (canon lift (core func $i "raw") (memory $mem) (realloc $realloc)))
  (func (export "poke") (param "addr" u32) (param "bytes" (list u8))
    (canon lift (core func $libc "poke") (memory $mem) (realloc $realloc))))"#,
        defs = defs.join("\n  "),
    )
}

/// What one call did on one runtime: the outcome, and the values the host import received.
#[derive(Debug)]
struct Run {
    outcome: Outcome<V>,
    received: Vec<V>,
}

impl Run {
    fn agrees(&self, other: &Run) -> bool {
        self.outcome.agrees(&other.outcome) && self.received == other.received
    }
}

/// Random bytes for `raw` to read: a poke of the data area, the arguments and the result.
struct RawCase {
    data: Vec<u8>,
    args: Vec<u8>,
    mode_res: Vec<u8>,
}

fn random_i32(rng: &mut Rng, align: u32) -> u32 {
    match rng.below(12) {
        0..=3 => rng.below(4) as u32,
        4 => rng.below(300) as u32,
        5..=7 => DATA + (rng.below(DATA_LEN as u64 / align as u64) as u32) * align,
        8 => DATA + rng.below(DATA_LEN as u64) as u32,
        9 => *rng.pick(&[
            0xffff_ffff,
            0x8000_0000,
            65536,
            65535,
            0xd800,
            0x11_0000,
            0x10_ffff,
            RETAREA,
        ]),
        _ => rng.u32(),
    }
}

impl RawCase {
    fn random(rng: &mut Rng, ty: &Ty) -> RawCase {
        let mut data = Vec::with_capacity(DATA_LEN as usize);
        while data.len() < DATA_LEN as usize {
            let word = match rng.below(4) {
                0 | 1 => {
                    let max = if rng.bool() { 4 } else { 300 };
                    rng.below(max) as u32
                }
                2 => random_i32(rng, ty.align().max(1)),
                _ => rng.u32(),
            };
            data.extend_from_slice(&word.to_le_bytes());
        }
        let flat = ty.flat();
        let params: Vec<Core> = if flat.len() <= MAX_FLAT_PARAMS {
            flat.clone()
        } else {
            vec![Core::I32]
        };
        let mut args = Vec::new();
        for c in &params {
            let bits: u64 = match c {
                Core::I32 if flat.len() > MAX_FLAT_PARAMS => random_i32(rng, ty.align()) as u64,
                Core::I32 => random_i32(rng, 4) as u64,
                Core::I64 => match rng.below(3) {
                    0 => rng.below(4),
                    1 => random_i32(rng, 4) as u64,
                    _ => rng.u64(),
                },
                Core::F32 => rng.u32() as u64,
                Core::F64 => rng.u64(),
            };
            args.extend_from_slice(&bits.to_le_bytes());
        }
        let mode: u32 = rng.below(2) as u32;
        let res: u64 = if flat.len() > MAX_FLAT_RESULTS {
            random_i32(rng, ty.align()) as u64
        } else {
            match flat[0] {
                Core::I32 => random_i32(rng, 4) as u64,
                _ => rng.u64(),
            }
        };
        let mut mode_res = mode.to_le_bytes().to_vec();
        mode_res.extend_from_slice(&[0; 4]);
        mode_res.extend_from_slice(&res.to_le_bytes());
        RawCase {
            data,
            args,
            mode_res,
        }
    }
}

mod on_tether {
    use super::*;
    use tether::{Component, Engine, Instance, Linker, Store, Val};

    pub struct Runtime {
        engine: Engine,
        component: Component,
        linker: Linker<Vec<V>>,
    }

    pub struct Inst {
        store: Store<Vec<V>>,
        instance: Instance,
    }

    impl Runtime {
        pub fn new(engine: &Engine, wat: &str) -> anyhow::Result<Runtime> {
            let component = Component::new(engine, wat)?;
            let mut linker = Linker::<Vec<V>>::new(engine);
            linker
                .root()
                .func_new("echo", |mut store, params, results| {
                    store.data_mut().push(V::from_tether(&params[0]));
                    results[0] = params[0].clone();
                    Ok(())
                })?;
            Ok(Runtime {
                engine: engine.clone(),
                component,
                linker,
            })
        }

        pub fn instantiate(&self) -> anyhow::Result<Inst> {
            let mut store = Store::new(&self.engine, Vec::new());
            let instance = self.linker.instantiate(&mut store, &self.component)?;
            Ok(Inst { store, instance })
        }
    }

    impl Inst {
        fn call(&mut self, name: &str, params: &[Val]) -> Run {
            self.store.data_mut().clear();
            let func = self
                .instance
                .get_func(&mut self.store, name)
                .expect("the export exists");
            let mut results = [Val::Bool(false)];
            let outcome = func
                .call(&mut self.store, params, &mut results)
                .map(|()| V::from_tether(&results[0]));
            Run {
                outcome: outcome.into(),
                received: std::mem::take(self.store.data_mut()),
            }
        }

        pub fn echo(&mut self, v: &V) -> Run {
            self.call("echo", &[v.to_tether()])
        }

        pub fn poke(&mut self, addr: u32, bytes: &[u8]) -> anyhow::Result<()> {
            let func = self
                .instance
                .get_func(&mut self.store, "poke")
                .expect("the export exists");
            let bytes = Val::List(bytes.iter().map(|b| Val::U8(*b)).collect());
            func.call(&mut self.store, &[Val::U32(addr), bytes], &mut [])
        }

        pub fn raw(&mut self, case: &RawCase) -> anyhow::Result<Run> {
            self.poke(DATA, &case.data)?;
            self.poke(ARGS, &case.args)?;
            self.poke(MODE, &case.mode_res)?;
            Ok(self.call("raw", &[]))
        }
    }
}

mod on_wasmtime {
    use super::*;
    use wasmtime::component::{Component, Instance, Linker, Val};
    use wasmtime::{Engine, Store};

    pub struct Runtime {
        engine: Engine,
        component: Component,
        linker: Linker<Vec<V>>,
    }

    pub struct Inst {
        store: Store<Vec<V>>,
        instance: Instance,
    }

    impl Runtime {
        pub fn new(engine: &Engine, wat: &str) -> anyhow::Result<Runtime> {
            let component = Component::new(engine, wat).map_err(anyhow::Error::from)?;
            let mut linker = Linker::<Vec<V>>::new(engine);
            linker
                .root()
                .func_new("echo", |mut store, _ty, params, results| {
                    store.data_mut().push(V::from_wasmtime(&params[0]));
                    results[0] = params[0].clone();
                    Ok(())
                })
                .map_err(anyhow::Error::from)?;
            Ok(Runtime {
                engine: engine.clone(),
                component,
                linker,
            })
        }

        pub fn instantiate(&self) -> anyhow::Result<Inst> {
            let mut store = Store::new(&self.engine, Vec::new());
            let instance = self
                .linker
                .instantiate(&mut store, &self.component)
                .map_err(anyhow::Error::from)?;
            Ok(Inst { store, instance })
        }
    }

    impl Inst {
        fn call(&mut self, name: &str, params: &[Val]) -> Run {
            self.store.data_mut().clear();
            let func = self
                .instance
                .get_func(&mut self.store, name)
                .expect("the export exists");
            let mut results = [Val::Bool(false)];
            let outcome = func
                .call(&mut self.store, params, &mut results)
                .map(|()| V::from_wasmtime(&results[0]));
            Run {
                outcome: Outcome::from_wasmtime(outcome),
                received: std::mem::take(self.store.data_mut()),
            }
        }

        pub fn echo(&mut self, v: &V) -> Run {
            self.call("echo", &[v.to_wasmtime()])
        }

        pub fn poke(&mut self, addr: u32, bytes: &[u8]) -> anyhow::Result<()> {
            let func = self
                .instance
                .get_func(&mut self.store, "poke")
                .expect("the export exists");
            let bytes = Val::List(bytes.iter().map(|b| Val::U8(*b)).collect());
            func.call(&mut self.store, &[Val::U32(addr), bytes], &mut [])
                .map_err(anyhow::Error::from)
        }

        pub fn raw(&mut self, case: &RawCase) -> anyhow::Result<Run> {
            self.poke(DATA, &case.data)?;
            self.poke(ARGS, &case.args)?;
            self.poke(MODE, &case.mode_res)?;
            Ok(self.call("raw", &[]))
        }
    }
}

fn describe(run: &Run) -> String {
    let outcome = match &run.outcome {
        Outcome::Ok(v) => format!("returned {v}"),
        Outcome::Trap(e) => format!("trapped: {e}"),
    };
    let received: Vec<String> = run.received.iter().map(|v| v.to_string()).collect();
    format!(
        "{outcome}; the host import received [{}]",
        received.join(", ")
    )
}

/// What the cases run so far did.
#[derive(Debug, Default)]
pub struct Stats {
    /// Types drawn.
    pub types: u64,
    /// Types whose component both runtimes refused.
    pub rejected: u64,
    /// `echo` calls.
    pub echoes: u64,
    /// `raw` calls.
    pub raws: u64,
    /// `raw` calls that trapped on wasmtime.
    pub raw_traps: u64,
}

/// Runs one case drawn from `rng`: a random type, its component compiled on both runtimes,
/// eight `echo` calls and six `raw` calls. Returns the first disagreement, described.
/// `verbose` prints every raw call's outcome on both runtimes.
pub fn case(
    rng: &mut Rng,
    tether_engine: &tether::Engine,
    wasmtime_engine: &wasmtime::Engine,
    stats: &mut Stats,
    verbose: bool,
) -> Option<String> {
    let ty = Ty::random(rng, 3);
    if ty.size() > 1500 {
        return None;
    }
    let wat = component(&ty);
    stats.types += 1;
    let t = on_tether::Runtime::new(tether_engine, &wat);
    let w = on_wasmtime::Runtime::new(wasmtime_engine, &wat);
    let (t, w) = match (t, w) {
        (Ok(t), Ok(w)) => (t, w),
        (Err(_), Err(_)) => {
            stats.rejected += 1;
            return None;
        }
        (t, w) => {
            return Some(format!(
                "type {ty}: compiling: Tether {:?}, wasmtime {:?}\n{wat}",
                t.err().map(|e| format!("{e:#}")),
                w.err().map(|e| format!("{e:#}"))
            ));
        }
    };
    // Echo: every value comes back unchanged on both.
    let mut ti = t.instantiate().expect("Tether instantiates");
    let mut wi = w.instantiate().expect("wasmtime instantiates");
    for _ in 0..8 {
        let v = V::random(rng, &ty);
        let (a, b) = (ti.echo(&v), wi.echo(&v));
        stats.echoes += 1;
        let expected = Run {
            outcome: Outcome::Ok(v.clone()),
            received: vec![v.clone()],
        };
        if !a.agrees(&b) || !a.agrees(&expected) || matches!(a.outcome, Outcome::Trap(_)) {
            return Some(format!(
                "type {ty}: echo({v}):\n  Tether: {}\n  wasmtime: {}\n{wat}",
                describe(&a),
                describe(&b)
            ));
        }
    }
    // Raw: random core values; a fresh instance each time, since a trap poisons one.
    for _ in 0..6 {
        let case = RawCase::random(rng, &ty);
        let mut ti = t.instantiate().expect("Tether instantiates");
        let mut wi = w.instantiate().expect("wasmtime instantiates");
        let a = ti.raw(&case).expect("poking Tether's guest");
        let b = wi.raw(&case).expect("poking wasmtime's guest");
        stats.raws += 1;
        if verbose {
            println!(
                "raw {ty}:\n  Tether: {}\n  wasmtime: {}",
                describe(&a),
                describe(&b)
            );
        }
        if matches!(b.outcome, Outcome::Trap(_)) {
            stats.raw_traps += 1;
        }
        if !a.agrees(&b) {
            return Some(format!(
                "type {ty}: raw() with args {:02x?}, mode/res {:02x?}:\n  Tether: {}\n  wasmtime: {}\n{wat}",
                case.args,
                case.mode_res,
                describe(&a),
                describe(&b)
            ));
        }
    }
    None
}
