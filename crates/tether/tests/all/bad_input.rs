//! Hostile guests and bad input: each case gets an error that says what went wrong, and
//! none panics the host.

use tether::{Component, Config, Engine, Limits, Linker, Store, Val};

use crate::rng::Rng;

fn engine() -> Engine {
    Engine::default()
}

/// Compiles `wat`, which must fail, and returns the error's full message.
fn compile_error(bytes: impl AsRef<[u8]>) -> String {
    match Component::new(&engine(), bytes) {
        Ok(_) => panic!("expected a compile error"),
        Err(e) => format!("{e:#}"),
    }
}

/// Instantiates `wat` with no imports and calls its export `f` with `params`, which must
/// trap; returns the error's full message.
fn call_error(wat: &str, params: &[Val], results: usize) -> String {
    let engine = engine();
    let component = Component::new(&engine, wat).expect("component compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("component instantiates");
    let f = instance.get_func(&mut store, "f").expect("export `f`");
    let mut out = vec![Val::Bool(false); results];
    match f.call(&mut store, params, &mut out) {
        Ok(()) => panic!("expected a trap, got {out:?}"),
        Err(e) => format!("{e:#}"),
    }
}

fn assert_contains(msg: &str, want: &str) {
    assert!(
        msg.contains(want),
        "expected the error to contain {want:?}, got: {msg}"
    );
}

/// A component exporting `f: func() -> <ty>` whose core function returns a pointer to the
/// 8 bytes `lo`, `hi` (two i32s) at offset 16 of a one-page memory, with `data` at offset 64.
fn returns_pair(ty: &str, lo: i64, hi: i64, data: &str, encoding: &str) -> String {
    format!(
        r#"(component
          (core module $m
            (memory (export "mem") 1)
            (data (i32.const 64) "{data}")
            (func (export "f") (result i32)
              (i32.store (i32.const 16) (i32.const {lo}))
              (i32.store (i32.const 20) (i32.const {hi}))
              (i32.const 16)))
          (core instance $i (instantiate $m))
          (func (export "f") (result {ty})
            (canon lift (core func $i "f") (memory (core memory $i "mem")) {encoding})))"#
    )
}

#[test]
fn empty_input() {
    assert_contains(&compile_error(b""), "expected");
    assert_contains(
        &compile_error(b"\xff\xfe"),
        "neither a wasm binary nor UTF-8 text",
    );
}

#[test]
fn truncated_binary() {
    let full = wat::parse_str("(component (core module (func (export \"f\"))))").unwrap();
    let msg = compile_error(&full[..full.len() - 3]);
    assert_contains(&msg, "offset");
}

#[test]
fn core_module_is_not_a_component() {
    let module = wat::parse_str("(module)").unwrap();
    assert_contains(
        &compile_error(module),
        "expected a component, found a core module",
    );
}

#[test]
fn bad_magic_and_version() {
    let msg = compile_error(b"\0asm\x0d\x00\x99\x99garbage");
    assert_contains(&msg, "offset");
}

#[test]
fn malformed_text() {
    assert_contains(
        &compile_error("(component (func (export \"f\")"),
        "expected",
    );
}

#[test]
fn invalid_lift_type() {
    let msg = compile_error(
        r#"(component
          (core module $m (func (export "f") (param i64)))
          (core instance $i (instantiate $m))
          (func (export "f") (param "x" u32) (canon lift (core func $i "f"))))"#,
    );
    assert_contains(&msg, "invalid component");
}

#[test]
fn missing_import() {
    let engine = engine();
    let component = Component::new(&engine, r#"(component (import "needed" (func)))"#).unwrap();
    let mut store = Store::new(&engine, ());
    let err = Linker::<()>::new(&engine)
        .instantiate(&mut store, &component)
        .err()
        .unwrap();
    let msg = format!("{err:#}");
    assert_contains(&msg, "needed");
    assert_contains(&msg, "was not found");
}

#[test]
fn import_of_the_wrong_kind() {
    let engine = engine();
    let component = Component::new(&engine, r#"(component (import "x" (instance)))"#).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.root().func_new("x", |_, _, _| Ok(())).unwrap();
    let mut store = Store::new(&engine, ());
    let err = linker.instantiate(&mut store, &component).err().unwrap();
    assert_contains(&format!("{err:#}"), "expected instance found func");
}

#[test]
fn string_out_of_bounds() {
    let msg = call_error(&returns_pair("string", 65530, 100, "", ""), &[], 1);
    assert_contains(&msg, "out-of-bounds");
}

#[test]
fn misaligned_utf16_string() {
    let msg = call_error(
        &returns_pair("string", 65, 2, "", "string-encoding=utf16"),
        &[],
        1,
    );
    assert_contains(&msg, "not aligned");
}

#[test]
fn invalid_utf8() {
    let msg = call_error(&returns_pair("string", 64, 2, "\\c3\\28", ""), &[], 1);
    assert_contains(&msg, "utf-8");
}

#[test]
fn list_out_of_bounds() {
    let msg = call_error(&returns_pair("(list u32)", 65532, 100, "", ""), &[], 1);
    assert_contains(&msg, "list content out-of-bounds");
}

#[test]
fn misaligned_list() {
    let msg = call_error(&returns_pair("(list u32)", 66, 1, "", ""), &[], 1);
    assert_contains(&msg, "unaligned pointer");
}

fn returns_i32(ty: &str, value: i64) -> String {
    format!(
        r#"(component
          (core module $m (func (export "f") (result i32) (i32.const {value})))
          (core instance $i (instantiate $m))
          (type $t {ty})
          (export $t2 "t" (type $t))
          (func (export "f") (result $t2) (canon lift (core func $i "f"))))"#
    )
}

#[test]
fn invalid_variant_discriminant() {
    let msg = call_error(&returns_i32("(enum \"a\" \"b\")", 2), &[], 1);
    assert_contains(&msg, "invalid variant discriminant");
}

#[test]
fn invalid_char() {
    let msg = call_error(&returns_i32("char", 0xd800), &[], 1);
    assert_contains(&msg, "invalid `char` bit pattern");
}

/// A component exporting `f: func(s: string)` whose `realloc` returns `ptr`.
fn bad_realloc(ptr: i64) -> String {
    format!(
        r#"(component
          (core module $m
            (memory (export "mem") 1)
            (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const {ptr}))
            (func (export "f") (param i32 i32)))
          (core instance $i (instantiate $m))
          (func (export "f") (param "s" string)
            (canon lift (core func $i "f") (memory (core memory $i "mem"))
              (realloc (core func $i "realloc")) string-encoding=utf16)))"#
    )
}

#[test]
fn realloc_returns_out_of_bounds_pointer() {
    let msg = call_error(&bad_realloc(65534), &[Val::String("hello".into())], 0);
    assert_contains(&msg, "realloc return: beyond end of memory");
}

#[test]
fn realloc_returns_misaligned_pointer() {
    let msg = call_error(&bad_realloc(3), &[Val::String("hello".into())], 0);
    assert_contains(&msg, "realloc return: result not aligned");
}

#[test]
fn host_passes_a_value_of_the_wrong_type() {
    let msg = call_error(&bad_realloc(16), &[Val::U32(1)], 0);
    assert_contains(&msg, "type mismatch");
}

#[test]
fn host_passes_the_wrong_number_of_arguments() {
    let msg = call_error(&bad_realloc(16), &[], 0);
    assert_contains(&msg, "expected 1 arguments");
}

#[test]
fn forged_handle_is_an_unknown_index() {
    let wat = r#"(component
      (type $r (resource (rep i32)))
      (core func $drop (canon resource.drop $r))
      (core module $m
        (import "" "drop" (func $drop (param i32)))
        (func (export "f") (call $drop (i32.const 7))))
      (core instance $i (instantiate $m (with "" (instance (export "drop" (func $drop))))))
      (func (export "f") (canon lift (core func $i "f"))))"#;
    assert_contains(&call_error(wat, &[], 0), "unknown handle index 7");
}

#[test]
fn calling_out_during_post_return_traps() {
    let wat = r#"(component
      (import "g" (func $g))
      (core func $g (canon lower (func $g)))
      (core module $m
        (import "" "g" (func $g))
        (func (export "f") (result i32) (i32.const 0))
        (func (export "post") (param i32) (call $g)))
      (core instance $i (instantiate $m (with "" (instance (export "g" (func $g))))))
      (func (export "f") (result u32)
        (canon lift (core func $i "f") (post-return (core func $i "post")))))"#;
    let engine = engine();
    let component = Component::new(&engine, wat).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.root().func_new("g", |_, _, _| Ok(())).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let err = f.call(&mut store, &[], &mut [Val::U32(0)]).unwrap_err();
    assert_contains(&format!("{err:#}"), "cannot leave component instance");
}

const SPIN: &str = r#"(component
  (core module $m (func (export "f") (loop (br 0))))
  (core instance $i (instantiate $m))
  (func (export "f") (canon lift (core func $i "f"))))"#;

#[test]
fn fuel_runs_out() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let component = Component::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_fuel(10_000).unwrap();
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let err = f.call(&mut store, &[], &mut []).unwrap_err();
    assert_contains(&format!("{err:#}"), "fuel exhausted");
}

#[test]
fn epoch_deadline_interrupts_a_runaway_loop() {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let component = Component::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let ticker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            for _ in 0..100 {
                std::thread::sleep(std::time::Duration::from_millis(10));
                engine.increment_epoch();
            }
        })
    };
    let err = f.call(&mut store, &[], &mut []).unwrap_err();
    ticker.join().unwrap();
    assert_contains(&format!("{err:#}"), "deadline exceeded");
}

#[test]
fn memory_growth_past_the_limit() {
    let wat = r#"(component
      (core module $m
        (memory 1)
        (func (export "f") (result i32) (memory.grow (i32.const 100))))
      (core instance $i (instantiate $m))
      (func (export "f") (result s32) (canon lift (core func $i "f"))))"#;
    let engine = engine();
    let component = Component::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(Limits {
        memory_size: 1 << 20,
        ..Limits::default()
    });
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let err = f.call(&mut store, &[], &mut [Val::S32(0)]).unwrap_err();
    assert_contains(&format!("{err:#}"), "memory limit exceeded");
}

#[test]
fn table_growth_past_the_limit() {
    let wat = r#"(component
      (core module $m
        (table 1 funcref)
        (func (export "f") (result i32) (table.grow (ref.null func) (i32.const 1000))))
      (core instance $i (instantiate $m))
      (func (export "f") (result s32) (canon lift (core func $i "f"))))"#;
    let engine = engine();
    let component = Component::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(Limits {
        table_elements: 100,
        ..Limits::default()
    });
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let err = f.call(&mut store, &[], &mut [Val::S32(0)]).unwrap_err();
    assert_contains(&format!("{err:#}"), "table limit exceeded");
}

#[test]
fn one_call_copying_past_the_limit() {
    // A list of 1000 strings that all point at the same 1000 bytes: one call would copy
    // a million bytes out of a 64 KiB memory.
    let wat = r#"(component
      (core module $m
        (memory (export "mem") 1)
        (func (export "f") (result i32)
          (local $i i32)
          (loop $l
            (i32.store (i32.add (i32.const 8192) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0))
            (i32.store (i32.add (i32.const 8196) (i32.mul (local.get $i) (i32.const 8))) (i32.const 1000))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
          (i32.store (i32.const 4096) (i32.const 8192))
          (i32.store (i32.const 4100) (i32.const 1000))
          (i32.const 4096)))
      (core instance $i (instantiate $m))
      (func (export "f") (result (list string))
        (canon lift (core func $i "f") (memory (core memory $i "mem")))))"#;
    let engine = engine();
    let component = Component::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(Limits {
        copy_bytes_per_call: 100_000,
        ..Limits::default()
    });
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let err = f
        .call(&mut store, &[], &mut [Val::Bool(false)])
        .unwrap_err();
    assert_contains(&format!("{err:#}"), "copy limit exceeded");
    // Within the limit, the same call works and is counted.
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let f = instance.get_func(&mut store, "f").unwrap();
    let mut out = [Val::Bool(false)];
    f.call(&mut store, &[], &mut out).unwrap();
    assert!(
        store.bytes_copied() >= 1_000_000,
        "counted {}",
        store.bytes_copied()
    );
}

#[test]
fn too_many_core_instances() {
    let wat = r#"(component
      (core module $m)
      (core instance (instantiate $m))
      (core instance (instantiate $m))
      (core instance (instantiate $m)))"#;
    let engine = engine();
    let component = Component::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(Limits {
        instances: 2,
        ..Limits::default()
    });
    let err = Linker::<()>::new(&engine)
        .instantiate(&mut store, &component)
        .err()
        .expect("the third instance is refused");
    assert_contains(&format!("{err:#}"), "instance");
    assert_contains(&format!("{err:#}"), "limit");
}

/// `bytes` with one random change: bytes overwritten, a cut, a range deleted or repeated.
fn mutate(bytes: &[u8], rng: &mut Rng) -> (Vec<u8>, String) {
    let mut out = bytes.to_vec();
    let at = rng.below(out.len() as u64) as usize;
    let what = match rng.below(4) {
        0 => {
            let n = 1 + rng.below(4) as usize;
            for i in at..(at + n).min(out.len()) {
                out[i] = rng.next() as u8;
            }
            format!("{n} byte(s) overwritten at {at}")
        }
        1 => {
            out.truncate(at);
            format!("cut at {at}")
        }
        2 => {
            let n = 1 + rng.below(16) as usize;
            out.drain(at..(at + n).min(out.len()));
            format!("{n} byte(s) deleted at {at}")
        }
        _ => {
            let n = 1 + rng.below(16) as usize;
            let range: Vec<u8> = out[at..(at + n).min(out.len())].to_vec();
            out.splice(at..at, range);
            format!("{n} byte(s) repeated at {at}")
        }
    };
    (out, what)
}

/// Components with nested components, aliases, resources, lifts and lowers, and no imports,
/// so that a mutant that still validates is instantiated too.
const SELF_CONTAINED: &str = r#"(component
  (type $r (resource (rep i32)))
  (core func $new (canon resource.new $r))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (memory (export "mem") 1)
    (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
    (func (export "discard") (param i32) (call $drop (local.get 0)))
    (func (export "echo") (param i32 i32) (result i32) (local.get 0))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 64)))
  (core instance $i (instantiate $m
    (with "" (instance (export "new" (func $new)) (export "drop" (func $drop))))))
  (func $make (param "x" u32) (result (own $r)) (canon lift (core func $i "make")))
  (func $discard (param "r" (own $r)) (canon lift (core func $i "discard")))
  (func $echo (param "s" string) (result u32)
    (canon lift (core func $i "echo") (memory (core memory $i "mem"))
      (realloc (core func $i "realloc"))))
  (component $inner
    (import "echo" (func $e (param "s" string) (result u32)))
    (core module $n (func (export "g") (result i32) (i32.const 7)))
    (core instance $j (instantiate $n))
    (func (export "g") (result u32) (canon lift (core func $j "g"))))
  (instance $c (instantiate $inner (with "echo" (func $echo))))
  (export "g" (func $c "g"))
  (export "echo" (func $echo)))"#;

/// Mutated components (bytes overwritten, cut, deleted or repeated, from a fixed seed) are
/// each refused with an error or compiled (and then instantiated); none panics the host.
/// 400 mutants of each input; `TETHER_MUTANTS=N` runs N (a longer run by hand).
#[test]
fn mutated_components_never_panic() {
    let mutants: u64 = std::env::var("TETHER_MUTANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    let engine = engine();
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        (
            "self-contained",
            wat::parse_str(SELF_CONTAINED).expect("the self-contained component parses"),
        ),
        (
            "ROUNDTRIP",
            std::fs::read(tether_test_programs::ROUNDTRIP).expect("the roundtrip guest was built"),
        ),
        (
            "ARTICLE_C",
            std::fs::read(tether_test_programs::ARTICLE_C).expect("the C article guest was built"),
        ),
    ];
    Component::new(&engine, &inputs[0].1).expect("the self-contained component compiles");
    let mut panics = Vec::new();
    let (mut refused, mut compiled) = (0, 0);
    for (name, bytes) in &inputs {
        for seed in 1..=mutants {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let (mutant, what) = mutate(bytes, &mut rng);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let Ok(component) = Component::new(&engine, &mutant) else {
                    return false;
                };
                let mut store = Store::new(&engine, ());
                let _ = Linker::new(&engine).instantiate(&mut store, &component);
                true
            }));
            match outcome {
                Ok(true) => compiled += 1,
                Ok(false) => refused += 1,
                Err(_) => panics.push(format!("{name}, seed {seed}: {what}")),
            }
        }
    }
    assert!(panics.is_empty(), "the host panicked on: {panics:#?}");
    // The mutations reach past the first check: some mutants still validate.
    assert!(
        refused > 0 && compiled > 0,
        "refused {refused}, compiled {compiled}"
    );
    eprintln!("{refused} mutants refused, {compiled} compiled");
}
