//! Bounded work: hostile components whose types are cheap to write but huge to expand
//! (fixed-length lists near the validator's size limit, in many functions, nested in lists,
//! records and variants), and guests that hand the host values as large as the canonical
//! ABI allows. Each is refused with an error or trap naming the reason, or runs, with the
//! host's heap, measured by a counting allocator, far below what expanding the types or
//! the values would take.
//!
//! The components are WAT written here. This is a test binary of its own, not a module of
//! `tests/all`, because the allocator counts the whole process: the tests here take a lock
//! so that no other test allocates while one measures.
//!
//! `BOUNDED_VERBOSE=1` prints the measured figures (with `-- --nocapture`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tether::{Component, Engine, Func, Limits, Linker, Store, Val};
use tether_test_programs::heap;

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

/// Held by each test while it measures.
static MEASURING: Mutex<()> = Mutex::new(());

fn measuring() -> std::sync::MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(|e| e.into_inner())
}

fn verbose() -> bool {
    std::env::var("BOUNDED_VERBOSE").is_ok()
}

const MIB: usize = 1 << 20;

/// What a test allows the host's heap to grow by above where it started: the host's own
/// data, never anything proportional to a type's or a value's length.
const HEAP_BOUND: usize = 256 * MIB;

/// The longest fixed-length list of bytes a component may define: its size must stay
/// under 2^28.
const N: u32 = (1 << 28) - 1;

/// A value type of a hostile component: the definitions it needs (records and variants
/// are named, as the types of imports and exports must be), its WAT, and whether it
/// flattens to a pointer pair (a list), which decides the core function types.
struct Hostile {
    prelude: String,
    wat: String,
    pair: bool,
}

/// `(type $name' def) (import "name" (type $name (eq $name')))`: a named type.
fn named(name: &str, def: &str) -> String {
    format!("(type ${name}' {def}) (import \"{name}\" (type ${name} (eq ${name}')))")
}

/// Fixed-length lists close to the validator's size limit, alone and nested in lists,
/// records, tuples, variants, options and results.
fn hostile_types() -> Vec<Hostile> {
    let plain = |wat: String, pair: bool| Hostile {
        prelude: String::new(),
        wat,
        pair,
    };
    vec![
        plain(format!("(list u8 {N})"), false),
        plain(format!("(list u32 {})", N / 4), false),
        // 2000-byte elements: its flattening has 134 million core values.
        plain("(list (list u16 1000) 134217)".into(), false),
        plain(format!("(list (list u8 {N}))"), true),
        Hostile {
            prelude: named(
                "rec",
                &format!(
                    "(record (field \"a\" (list u8 {})) (field \"b\" u64))",
                    N - 16
                ),
            ),
            wat: "$rec".into(),
            pair: false,
        },
        Hostile {
            prelude: named("rec2", &format!("(record (field \"a\" (list u8 {N})))")),
            wat: "(list $rec2)".into(),
            pair: true,
        },
        plain(format!("(tuple (list u8 {}) u32)", N - 8), false),
        Hostile {
            prelude: named(
                "var",
                &format!(
                    "(variant (case \"a\" (list u8 {})) (case \"b\" (list f64 33554430)))",
                    N - 16
                ),
            ),
            wat: "$var".into(),
            pair: false,
        },
        plain(format!("(option (list u8 {}))", N - 8), false),
        plain(
            format!("(result (list u8 {}) (error (list u8 1)))", N - 8),
            false,
        ),
        plain(format!("(list (list (list s8 {}) 2) 2)", N / 4), false),
        plain(
            format!("(list (tuple (list u8 {}) (list u8 1)))", N - 1),
            true,
        ),
    ]
}

/// A component with, for each type `t` of `types`: an import `take-i` of `(func (param t))`
/// that the guest calls with a pointer into its memory (`call-i`), an export `echo-i` of
/// `(func (param t) (result t))`, and an export `get-i` of `(func (result t))` that returns
/// a value laid out at address 0. The memory is 4097 pages, so that the largest value fits.
fn hostile_component(types: &[Hostile]) -> String {
    let mut defs = String::new();
    let mut imports = String::new();
    let mut core_imports = String::new();
    let mut core_funcs = String::new();
    let mut lowers = String::new();
    let mut instance_args = String::new();
    let mut exports = String::new();
    for (i, t) in types.iter().enumerate() {
        let params = if t.pair { "i32 i32" } else { "i32" };
        // A list's pair: one element at 16; a fixed-size value: laid out at 0.
        let args = if t.pair {
            "(i32.const 16) (i32.const 1)"
        } else {
            "(i32.const 0)"
        };
        let ty = &t.wat;
        defs += &format!("  {}\n", t.prelude);
        imports += &format!("  (import \"take-{i}\" (func $take{i} (param \"x\" {ty})))\n");
        lowers += &format!(
            "  (core func $take{i} (canon lower (func $take{i}) (memory (core memory $libc \"mem\"))))\n"
        );
        instance_args += &format!("(export \"take-{i}\" (func $take{i})) ");
        core_imports +=
            &format!("    (import \"host\" \"take-{i}\" (func $take{i} (param {params})))\n");
        core_funcs += &format!(
            "    (func (export \"call-{i}\") (call $take{i} {args}))\n    (func (export \"echo-{i}\") (param {params}) (result i32) (i32.const 0))\n"
        );
        exports += &format!(
            "  (func (export \"call-{i}\") (canon lift (core func $m \"call-{i}\")))\n  \
             (func (export \"echo-{i}\") (param \"x\" {ty}) (result {ty}) (canon lift (core func $m \"echo-{i}\") (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\"))))\n  \
             (func (export \"get-{i}\") (result {ty}) (canon lift (core func $libc \"get\") (memory (core memory $libc \"mem\"))))\n"
        );
    }
    format!(
        r#"(component
{defs}{imports}  (core module $libc
    (memory (export "mem") 4097)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
    ;; A list's pair at 0: one element at 16. As a fixed-size value, the same bytes.
    (func (export "get") (result i32)
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 1))
      (i32.const 0)))
  (core instance $libc (instantiate $libc))
{lowers}  (core module $m
{core_imports}{core_funcs}  )
  (core instance $m (instantiate $m (with "host" (instance {instance_args}))))
{exports})"#
    )
}

/// Defines every `take-i` of `count` types as a dynamic host function that records that
/// it ran (it must not: lifting its parameter is refused first).
fn hostile_linker(engine: &Engine, count: usize) -> Linker<Vec<usize>> {
    let mut linker = Linker::<Vec<usize>>::new(engine);
    let mut root = linker.root();
    for i in 0..count {
        root.func_new(&format!("take-{i}"), move |mut store, _, _| {
            store.data_mut().push(i);
            Ok(())
        })
        .unwrap();
    }
    linker
}

#[track_caller]
fn assert_contains(text: &str, needle: &str) {
    assert!(
        text.contains(needle),
        "`{text}` does not contain `{needle}`"
    );
}

#[test]
fn fixed_length_lists_near_the_size_limit_compile_and_are_refused_when_lifted() {
    let _guard = measuring();
    let types = hostile_types();
    assert!(types.len() >= 12);
    let wat = hostile_component(&types);
    let engine = Engine::default();

    let baseline = heap::start();
    let started = Instant::now();
    let component = Component::new(&engine, &wat).unwrap_or_else(|e| panic!("{e:#}\n{wat}"));
    let compiled = (started.elapsed(), heap::peak_above(baseline));
    // Instantiating creates every lowered import's core function, whose core type comes
    // from the signature.
    let linker = hostile_linker(&engine, types.len());
    let fresh = || {
        let mut store = Store::new(&engine, Vec::new());
        let instance = linker.instantiate(&mut store, &component).unwrap();
        (store, instance)
    };
    drop(fresh());
    let instantiated = heap::peak_above(baseline);
    if verbose() {
        eprintln!(
            "{} functions: compiled in {:?}, heap peak {} KiB; instantiated: {} KiB",
            3 * types.len(),
            compiled.0,
            compiled.1 >> 10,
            instantiated >> 10
        );
    }
    assert!(
        instantiated < 64 * MIB,
        "compiling and instantiating took {instantiated} bytes of heap"
    );

    for (i, t) in types.iter().enumerate() {
        // The guest passes the host a value at the largest size: the host is charged for
        // its `Val`s before making any, and refuses it. (Each refused call poisons its
        // instance: each call has one of its own.)
        let (mut store, instance) = fresh();
        let call = instance.get_func(&mut store, &format!("call-{i}")).unwrap();
        let err = call.call(&mut store, &[], &mut []).unwrap_err();
        assert_contains(&format!("{err:#}"), "copy limit exceeded");
        assert!(store.data().is_empty(), "no host function ran");
        // The guest returns one: the same.
        let (mut store, instance) = fresh();
        let get = instance.get_func(&mut store, &format!("get-{i}")).unwrap();
        let mut out = [Val::Bool(false)];
        let err = get.call(&mut store, &[], &mut out).unwrap_err();
        assert_contains(&format!("{err:#}"), "copy limit exceeded");
        if verbose() {
            eprintln!("{}: {err:#}", t.wat);
        }
        // The host passing one: the block for it in the guest, allocated with `realloc`
        // before the value is stored, is already over the limit of bytes copied in.
        let (mut store, instance) = fresh();
        let echo = instance.get_func(&mut store, &format!("echo-{i}")).unwrap();
        let err = echo
            .call(&mut store, &[Val::List(vec![Val::U8(1)])], &mut out)
            .unwrap_err();
        assert_contains(&format!("{err:#}"), "copy limit exceeded");
    }
    let peak = heap::peak_above(baseline);
    if verbose() {
        eprintln!("whole test: heap peak {} KiB", peak >> 10);
    }
    assert!(peak < HEAP_BOUND, "the host's heap grew by {peak} bytes");
}

#[test]
fn a_typed_host_function_is_refused_the_same_way() {
    let _guard = measuring();
    let types = vec![Hostile {
        prelude: String::new(),
        wat: format!("(list u8 {N})"),
        pair: false,
    }];
    let wat = hostile_component(&types);
    let engine = Engine::default();
    let component = Component::new(&engine, &wat).unwrap();
    let baseline = heap::start();
    let mut linker = Linker::<Vec<usize>>::new(&engine);
    linker
        .root()
        .func_wrap("take-0", |mut store, (x,): (Vec<u8>,)| {
            store.data_mut().push(x.len());
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(&engine, Vec::<usize>::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let call = instance.get_func(&mut store, "call-0").unwrap();
    let err = call.call(&mut store, &[], &mut []).unwrap_err();
    assert_contains(&format!("{err:#}"), "copy limit exceeded");
    assert!(store.data().is_empty());
    // A `TypedFunc` lifting the result as `Vec<u8>` is refused too: a fixed-length list is
    // charged as a whole before it is lifted, on every path.
    let mut store = Store::new(&engine, Vec::<usize>::new());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let get = instance
        .get_typed_func::<(), (Vec<u8>,)>(&mut store, "get-0")
        .unwrap();
    let err = get.call(&mut store, ()).unwrap_err();
    assert_contains(&format!("{err:#}"), "copy limit exceeded");
    let peak = heap::peak_above(baseline);
    assert!(peak < HEAP_BOUND, "the host's heap grew by {peak} bytes");
}

#[test]
fn a_nested_fixed_length_list_of_8_gib_is_refused_at_compile_time() {
    let _guard = measuring();
    let engine = Engine::default();
    let baseline = heap::start();
    for (ty, core) in [
        ("(list (list u64 32768) 32768)", "(param i32) (result i32)"),
        (
            "(list (list (list u8 65536) 65536) 65536)",
            "(param i32) (result i32)",
        ),
    ] {
        let wat = format!(
            r#"(component
  (type $t {ty})
  (core module $m
    (memory (export "mem") 1)
    (func (export "f") {core} (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (export "f") (param "x" $t) (result $t)
    (canon lift (core func $i "f") (memory (core memory $i "mem")))))"#
        );
        let err = Component::new(&engine, &wat)
            .err()
            .expect("the type is refused");
        let msg = format!("{err:#}");
        if verbose() {
            eprintln!("{ty}: {msg}");
        }
        assert_contains(&msg, "size");
    }
    let peak = heap::peak_above(baseline);
    assert!(peak < 64 * MIB, "the host's heap grew by {peak} bytes");
}

/// A component whose `bytes(n)` returns a `list<u8>` of `n` bytes at 16, in a memory of
/// 4097 pages: the longest list the canonical ABI lets a guest return.
const BYTES: &str = r#"(component
  (core module $m
    (memory (export "mem") 4097)
    (func (export "bytes") (param $n i32) (result i32)
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (local.get $n))
      (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (export "bytes") (param "n" u32) (result (list u8))
    (canon lift (core func $i "bytes") (memory (core memory $i "mem"))))
  (func (export "text") (param "n" u32) (result string)
    (canon lift (core func $i "bytes") (memory (core memory $i "mem")))))"#;

/// A fresh store with `limits` and the function `name` of an instance of `component`.
fn guest_func(
    engine: &Engine,
    component: &Component,
    limits: Limits,
    name: &str,
) -> (Store<()>, Func) {
    let mut store = Store::new(engine, ());
    store.set_limits(limits);
    let instance = Linker::new(engine)
        .instantiate(&mut store, component)
        .unwrap();
    let f = instance.get_func(&mut store, name).unwrap();
    (store, f)
}

#[test]
fn a_guest_returning_the_longest_byte_list_cannot_make_the_host_allocate_past_the_limit() {
    let _guard = measuring();
    let engine = Engine::default();
    let component = Component::new(&engine, BYTES).unwrap();
    let slot = std::mem::size_of::<Val>();

    // 2^28 - 1 bytes as `Val`s would take `size_of::<Val>()` times that: refused, at the
    // default limit, before the host allocates it.
    let baseline = heap::start();
    let (mut store, bytes) = guest_func(&engine, &component, Limits::default(), "bytes");
    let mut out = [Val::Bool(false)];
    let err = bytes
        .call(&mut store, &[Val::U32(N)], &mut out)
        .unwrap_err();
    let msg = format!("{err:#}");
    assert_contains(&msg, "copy limit exceeded");
    assert_contains(&msg, &(128u64 << 20).to_string());
    let peak = heap::peak_above(baseline);
    if verbose() {
        eprintln!(
            "2^28 - 1 bytes as Vals: {msg}; heap peak {} KiB",
            peak >> 10
        );
    }
    assert!(peak < 16 * MIB, "the host's heap grew by {peak} bytes");

    // Even with the limit raised to 1 GiB, the host allocates no more than it.
    let limits = Limits {
        copy_bytes_per_call: 1 << 30,
        ..Limits::default()
    };
    let (mut store, bytes) = guest_func(&engine, &component, limits, "bytes");
    let baseline = heap::start();
    let err = bytes
        .call(&mut store, &[Val::U32(N)], &mut out)
        .unwrap_err();
    assert_contains(&format!("{err:#}"), "copy limit exceeded");
    let peak = heap::peak_above(baseline);
    assert!(peak < 16 * MIB, "the host's heap grew by {peak} bytes");

    // A list whose bytes and `Val`s fit in the default limit runs, and takes about what was
    // charged; only its bytes count as copied.
    let (mut store, bytes) = guest_func(&engine, &component, Limits::default(), "bytes");
    let n = (100 * MIB / (slot + 1)) as u32;
    let baseline = heap::start();
    bytes.call(&mut store, &[Val::U32(n)], &mut out).unwrap();
    let peak = heap::peak_above(baseline);
    let Val::List(items) = &out[0] else {
        panic!("a list: {:?}", out[0])
    };
    assert_eq!(items.len(), n as usize);
    assert_eq!(store.bytes_copied(), u64::from(n));
    if verbose() {
        eprintln!("{n} bytes as Vals: heap peak {} KiB", peak >> 10);
    }
    assert!(
        peak < n as usize * slot + 16 * MIB,
        "the host's heap grew by {peak} bytes"
    );
    out[0] = Val::Bool(false);
    // One more element than the limit allows is refused.
    let over = ((128 * MIB) / (slot + 1) + 1) as u32;
    let err = bytes
        .call(&mut store, &[Val::U32(over)], &mut out)
        .unwrap_err();
    assert_contains(&format!("{err:#}"), "copy limit exceeded");

    // A string of 2^28 - 1 bytes (zeros: valid UTF-8) is refused before it is copied.
    let (mut store, text) = guest_func(&engine, &component, Limits::default(), "text");
    let baseline = heap::start();
    let err = text.call(&mut store, &[Val::U32(N)], &mut out).unwrap_err();
    assert_contains(&format!("{err:#}"), "copy limit exceeded");
    let peak = heap::peak_above(baseline);
    assert!(peak < 16 * MIB, "the host's heap grew by {peak} bytes");
}

/// The component of one lifted function `f` of `(func (param "x" ty) (result ty))`.
fn one_function(ty: &str) -> String {
    format!(
        r#"(component
  (type $t {ty})
  (core module $m
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
    (func (export "f") (param i32) (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (export "f") (param "x" $t) (result $t)
    (canon lift (core func $i "f") (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))"#
    )
}

/// The bytes allocated (in all), the heap's peak and the wall time of compiling `wat`.
fn compile_cost(engine: &Engine, wat: &str) -> (usize, usize, Duration) {
    let before = heap::total();
    let baseline = heap::start();
    let started = Instant::now();
    let component = Component::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap();
    instance.get_func(&mut store, "f").unwrap();
    let time = started.elapsed();
    (heap::total() - before, heap::peak_above(baseline), time)
}

#[test]
fn compiling_the_longest_fixed_length_list_costs_what_the_shortest_does() {
    let _guard = measuring();
    let engine = Engine::default();
    let long = one_function(&format!("(list u8 {N})"));
    let short = one_function("(list u8 1)");
    // Warm up whatever is done once per process or engine.
    compile_cost(&engine, &short);
    compile_cost(&engine, &long);
    let mut best = [(usize::MAX, usize::MAX, Duration::MAX); 2];
    for _ in 0..5 {
        for (b, wat) in best.iter_mut().zip([&long, &short]) {
            let (total, peak, time) = compile_cost(&engine, wat);
            *b = (b.0.min(total), b.1.min(peak), b.2.min(time));
        }
    }
    let [long, short] = best;
    if verbose() {
        eprintln!(
            "list<u8, {N}>: {} bytes allocated, peak {} bytes, {:?}; list<u8, 1>: {} bytes, peak {} bytes, {:?}",
            long.0, long.1, long.2, short.0, short.1, short.2
        );
    }
    assert!(
        long.0 <= 2 * short.0,
        "allocated {} bytes against {}",
        long.0,
        short.0
    );
    assert!(
        long.1 <= 2 * short.1,
        "peak {} bytes against {}",
        long.1,
        short.1
    );
    // Wall time is noisy on a shared machine: twice the short one's, with 50 ms of slack.
    assert!(
        long.2 <= 2 * short.2 + Duration::from_millis(50),
        "{:?} against {:?}",
        long.2,
        short.2
    );
}
