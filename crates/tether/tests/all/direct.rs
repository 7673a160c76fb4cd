//! The direct path of typed functions (values lifted into and lowered from Rust types with no
//! `Val` in between) against the `Val` path, which the conformance suites check: the same
//! guest, once with a typed host function (`func_wrap`) or `TypedFunc` and once with a
//! dynamic one (`func_new`) or `Func::call`, must see the same values, traps (with the same
//! messages), `realloc` calls, memory and bytes copied, for core values and memory contents
//! drawn at random around the edges (bad pointers, unaligned pointers, huge lengths, bad
//! UTF-8 and UTF-16, bad discriminants, `realloc` returning bad blocks).
//!
//! `DIRECT_VERBOSE=1` prints every outcome (with `-- --nocapture`).

use tether::{
    Component, ComponentType, Engine, Limits, Linker, Store, StoreContextMut, TypedFunc, Val,
};

use crate::rng::Rng;

impl Rng {
    /// A 32-bit value biased towards what makes lifting interesting.
    fn word(&mut self) -> u32 {
        match self.below(12) {
            // A pointer into the data region, with any alignment.
            0..=3 => REGION_START + self.below(u64::from(REGION_LEN)) as u32,
            // A pointer into the data region, aligned to 8.
            4 | 5 => (REGION_START + self.below(u64::from(REGION_LEN)) as u32) & !7,
            // Small counts and discriminants.
            6..=8 => self.below(6) as u32,
            9 => [u32::MAX, 0x8000_0000, 0x8000_0003, 0x1000_0000, 0xfffc][self.below(5) as usize],
            10 => 0xfff0 + self.below(16) as u32,
            _ => self.next() as u32,
        }
    }
}

/// Where the random data lives in the guest's memory.
const REGION_START: u32 = 1024;
const REGION_LEN: u32 = 3072;

/// One type under test: its WAT text, its flattening (as core types, or `None` for
/// parameters that spill to memory) and a Rust type.
struct Case {
    /// Named types the type refers to: `(type $x' ...) (import "x" (type $x (eq $x')))`.
    prelude: &'static str,
    wat: &'static str,
    flat: &'static [&'static str],
}

/// The guest: `run` calls the import `f` (lowered with `enc`) with core values, its result
/// spilled to a return area at 16; `get` returns a pointer chosen with `set-ret`, lifted as
/// `ty`; `take` receives `ty` lowered into it; `poke` writes bytes into memory; `set-mode`
/// makes `realloc` misbehave (1: unaligned blocks, 2: blocks beyond memory); `dump` returns
/// the whole memory.
fn component(case: &Case, enc: &str) -> String {
    let ty = case.wat;
    let prelude = case.prelude;
    let params: Vec<&str> = case.flat.to_vec();
    let params = if params.is_empty() {
        "i32".to_string()
    } else {
        params.join(" ")
    };
    let n = params.split(' ').count();
    let args: String = (0..n).map(|i| format!("(local.get {i}) ")).collect();
    // The lifted `run` takes each core value as the component type that lifts to it as is.
    let run_params: String = params
        .split(' ')
        .enumerate()
        .map(|(i, t)| {
            let cty = match t {
                "i32" => "u32",
                "i64" => "u64",
                "f32" => "f32",
                _ => "f64",
            };
            format!("(param \"p{i}\" {cty}) ")
        })
        .collect();
    format!(
        r#"(component
  {prelude}
  (type $t' {ty})
  (import "t" (type $t (eq $t')))
  (import "f" (func $f (param "x" $t) (result $t)))
  (core module $libc
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 8192))
    (global $mode (mut i32) (i32.const 0))
    (global $ret (mut i32) (i32.const 0))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (if (i32.and (i32.ne (local.get $old) (i32.const 0)) (i32.le_u (local.get $size) (local.get $old_size)))
        (then (return (local.get $old))))
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (if (i32.gt_u (i32.add (local.get $p) (local.get $size)) (i32.const 65536))
        (then (return (i32.const 0xfff8))))
      (global.set $next (i32.add (local.get $p) (local.get $size)))
      (if (i32.ne (local.get $old) (i32.const 0))
        (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
      (if (i32.eq (global.get $mode) (i32.const 1)) (then (return (i32.add (local.get $p) (i32.const 1)))))
      (if (i32.eq (global.get $mode) (i32.const 2)) (then (return (i32.const 0xfff0))))
      (local.get $p))
    (func (export "set-mode") (param i32) (param i32)
      (global.set $mode (local.get 0))
      (global.set $ret (local.get 1))
      (global.set $next (i32.const 8192)))
    (func (export "poke") (param $addr i32) (param $ptr i32) (param $len i32)
      (memory.copy (local.get $addr) (local.get $ptr) (local.get $len)))
    (func (export "get") (result i32) (global.get $ret))
    (func (export "dump") (result i32)
      (i32.store (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (i32.const 65536))
      (i32.const 32)))
  (core instance $libc (instantiate $libc))
  (core func $f (canon lower (func $f) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")) {enc}))
  (core module $m
    (import "host" "f" (func $f (param {params} i32)))
    (func (export "run") (param {params})
      (call $f {args}(i32.const 16)))
    (func (export "take") (param {params})))
  (core instance $m (instantiate $m (with "host" (instance (export "f" (func $f))))))
  (func (export "run") {run_params}
    (canon lift (core func $m "run")))
  (func (export "take") (param "x" $t)
    (canon lift (core func $m "take") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")) {enc}))
  (func (export "get") (result $t)
    (canon lift (core func $libc "get") (memory (core memory $libc "mem")) {enc}))
  (func (export "set-mode") (param "mode" u32) (param "ret" u32)
    (canon lift (core func $libc "set-mode")))
  (func (export "poke") (param "addr" u32) (param "bytes" (list u8))
    (canon lift (core func $libc "poke") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (func (export "dump") (result (list u8))
    (canon lift (core func $libc "dump") (memory (core memory $libc "mem")))))"#
    )
}

/// What one side of a comparison observed.
#[derive(Debug, PartialEq)]
struct Seen {
    /// The call's outcome: `Ok` or the error's message.
    outcome: Result<(), String>,
    /// What the host function received, as a `Val`.
    received: Option<Val>,
    /// What a lifted result came out as, as a `Val`.
    lifted: Option<Val>,
    /// The guest's memory after the call, when it did not trap.
    memory: Option<Vec<u8>>,
    bytes_copied: u64,
}

/// Checks that the typed path (`seen[0]`) and the `Val` path (`seen[1]`) lifted alike. Under
/// a copy limit they may differ in one way: the `Val` path charges the `Val`s it builds besides
/// the bytes it copies, so it can trap on the limit where the typed path, which builds none,
/// goes on (to succeed or to meet a later fault).
fn assert_same_lift(seen: &[Seen], limit: Option<u64>, what: &str) {
    let val_over_limit = seen[1]
        .outcome
        .as_ref()
        .is_err_and(|e| e.contains("copy limit exceeded"));
    if limit.is_some() && val_over_limit && seen[0] != seen[1] {
        return;
    }
    assert_eq!(seen[0], seen[1], "{what}");
}

/// The store's data: what the host function received.
#[derive(Default)]
struct Data {
    received: Option<Val>,
}

fn linker<T: ComponentType + Clone>(engine: &Engine, typed: bool) -> Linker<Data> {
    let mut linker = Linker::new(engine);
    let mut root = linker.root();
    if typed {
        root.func_wrap("f", |mut store: StoreContextMut<'_, Data>, (x,): (T,)| {
            store.data_mut().received = Some(x.to_val());
            Ok((x,))
        })
        .unwrap();
    } else {
        root.func_new("f", |mut store, params, results| {
            store.data_mut().received = Some(params[0].clone());
            results[0] = params[0].clone();
            Ok(())
        })
        .unwrap();
    }
    linker
}

/// A fresh instance with `region` written at `REGION_START` and `realloc` in `mode`.
fn setup(
    engine: &Engine,
    component: &Component,
    linker: &Linker<Data>,
    region: &[u8],
    mode: u32,
    ret: u32,
    limit: Option<u64>,
) -> (Store<Data>, tether::Instance) {
    let mut store = Store::new(engine, Data::default());
    let instance = linker.instantiate(&mut store, component).unwrap();
    let poke = instance
        .get_typed_func::<(u32, Vec<u8>), ()>(&mut store, "poke")
        .unwrap();
    poke.call(&mut store, (REGION_START, region.to_vec()))
        .unwrap();
    let set = instance
        .get_typed_func::<(u32, u32), ()>(&mut store, "set-mode")
        .unwrap();
    set.call(&mut store, (mode, ret)).unwrap();
    if let Some(limit) = limit {
        store.set_limits(Limits {
            copy_bytes_per_call: limit,
            ..Limits::default()
        });
    }
    (store, instance)
}

fn dump(store: &mut Store<Data>, instance: &tether::Instance) -> Vec<u8> {
    let dump = instance
        .get_typed_func::<(), (Vec<u8>,)>(&mut *store, "dump")
        .unwrap();
    dump.call(&mut *store, ()).unwrap().0
}

fn finish(
    mut store: Store<Data>,
    instance: &tether::Instance,
    outcome: anyhow::Result<()>,
    lifted: Option<Val>,
    before: u64,
) -> Seen {
    let bytes_copied = store.bytes_copied() - before;
    store.set_limits(Limits::default());
    let memory = outcome.is_ok().then(|| dump(&mut store, instance));
    Seen {
        outcome: outcome.map_err(|e| format!("{e:#}")),
        received: store.data_mut().received.take(),
        lifted,
        memory,
        bytes_copied,
    }
}

/// Core values for `run`, as the `Val`s its lifted parameters take.
fn core_args(rng: &mut Rng, flat: &[&str]) -> Vec<Val> {
    let flat: Vec<&str> = if flat.is_empty() {
        vec!["i32"]
    } else {
        flat.to_vec()
    };
    flat.iter()
        .map(|t| match *t {
            "i32" => Val::U32(rng.word()),
            "i64" => Val::U64(if rng.below(2) == 0 {
                u64::from(rng.word())
            } else {
                rng.next()
            }),
            "f32" => Val::Float32(f32::from_bits(rng.word())),
            _ => Val::Float64(f64::from_bits(rng.next())),
        })
        .collect()
}

/// Random memory contents for the data region.
fn region(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(REGION_LEN as usize);
    while out.len() < REGION_LEN as usize {
        match rng.below(8) {
            // Text: ASCII, Latin-1 and multi-byte UTF-8.
            0 => out.extend_from_slice("hé€x😀".as_bytes()),
            1 => out.extend_from_slice(&[b'a', 0, b'b', 0, 0x3d, 0xd8, 0x00, 0xde]),
            _ => out.extend_from_slice(&rng.word().to_le_bytes()),
        }
    }
    out.truncate(REGION_LEN as usize);
    out
}

/// Runs `cases` random cases of `T` (the Rust type for `case.wat`) in string encoding `enc`,
/// comparing the direct and the `Val` path; returns how many calls succeeded.
fn differential<T: ComponentType + Clone + PartialEq + std::fmt::Debug>(
    case: &Case,
    enc: &str,
    seed: u64,
    cases: usize,
) -> usize {
    let engine = Engine::default();
    let wat = component(case, enc);
    let component = Component::new(&engine, &wat)
        .unwrap_or_else(|e| panic!("the test component compiles: {e:#}\n{wat}"));
    let typed = linker::<T>(&engine, true);
    let dynamic = linker::<T>(&engine, false);
    let mut rng = Rng(seed);
    let mut ok = 0;
    let mut values: Vec<T> = Vec::new();
    for i in 0..cases {
        let data = region(&mut rng);
        let mode = match rng.below(10) {
            0 => 1,
            1 => 2,
            _ => 0,
        };
        let ret = rng.word();
        let limit = (rng.below(8) == 0).then(|| rng.below(64));
        let args = core_args(&mut rng, case.flat);
        let what = format!("{} ({enc}), case {i}: args {args:?}, mode {mode}", case.wat);

        // A guest calling the host: `func_wrap` against `func_new`.
        let mut seen = Vec::new();
        for linker in [&typed, &dynamic] {
            let (mut store, instance) = setup(&engine, &component, linker, &data, mode, ret, limit);
            let before = store.bytes_copied();
            let run = instance.get_func(&mut store, "run").unwrap();
            let r = run.call(&mut store, &args, &mut []);
            seen.push(finish(store, &instance, r, None, before));
        }
        assert_same_lift(&seen, limit, &format!("host import, {what}"));
        if std::env::var("DIRECT_VERBOSE").is_ok() {
            eprintln!(
                "import {}: {:?} {:?}",
                case.wat, seen[0].outcome, seen[0].received
            );
        }
        if seen[0].outcome.is_ok() {
            ok += 1;
            if let Some(v) = &seen[0].received {
                values.push(T::from_val(v.clone()).unwrap());
            }
        }

        // The host lifting a guest's result: `TypedFunc` against `Func::call`.
        let mut seen = Vec::new();
        for typed_call in [true, false] {
            let (mut store, instance) =
                setup(&engine, &component, &dynamic, &data, mode, ret, limit);
            let before = store.bytes_copied();
            let (r, lifted) = if typed_call {
                let get = instance
                    .get_typed_func::<(), (T,)>(&mut store, "get")
                    .unwrap();
                match get.call(&mut store, ()) {
                    Ok((x,)) => (Ok(()), Some(x.to_val())),
                    Err(e) => (Err(e), None),
                }
            } else {
                let get = instance.get_func(&mut store, "get").unwrap();
                let mut out = [Val::Bool(false)];
                match get.call(&mut store, &[], &mut out) {
                    Ok(()) => (Ok(()), Some(out[0].clone())),
                    Err(e) => (Err(e), None),
                }
            };
            seen.push(finish(store, &instance, r, lifted, before));
        }
        assert_same_lift(
            &seen,
            limit,
            &format!("lifted result, {what}, ret {ret:#x}"),
        );
        if std::env::var("DIRECT_VERBOSE").is_ok() {
            eprintln!(
                "get {}: {:?} {:?}",
                case.wat, seen[0].outcome, seen[0].lifted
            );
        }
        if seen[0].outcome.is_ok() {
            ok += 1;
            if let Some(v) = &seen[0].lifted {
                values.push(T::from_val(v.clone()).unwrap());
            }
        }

        // The host lowering a value into a guest: `TypedFunc` against `Func::call`.
        if let Some(value) = values.get(rng.below(values.len() as u64 + 1) as usize) {
            let mut seen = Vec::new();
            for typed_call in [true, false] {
                let (mut store, instance) =
                    setup(&engine, &component, &dynamic, &data, mode, ret, limit);
                let before = store.bytes_copied();
                let r = if typed_call {
                    let take: TypedFunc<(T,), ()> =
                        instance.get_typed_func(&mut store, "take").unwrap();
                    take.call(&mut store, (value.clone(),))
                } else {
                    let take = instance.get_func(&mut store, "take").unwrap();
                    take.call(&mut store, &[value.to_val()], &mut [])
                };
                seen.push(finish(store, &instance, r, None, before));
            }
            assert_eq!(seen[0], seen[1], "lowered parameter {value:?}, {what}");
            if std::env::var("DIRECT_VERBOSE").is_ok() {
                eprintln!(
                    "take {}: {:?} {}",
                    case.wat, seen[0].outcome, seen[0].bytes_copied
                );
            }
            if seen[0].outcome.is_ok() {
                ok += 1;
            }
        }
    }
    ok
}

/// A record whose fields are named like the generated code's locals.
#[derive(ComponentType, Clone, Debug, PartialEq)]
struct Rec {
    at: u8,
    cx: String,
    flat: Vec<u16>,
    ty: Option<char>,
}

#[derive(ComponentType, Clone, Debug, PartialEq)]
enum Var {
    None,
    Num(u64),
    Text(String),
    Pair((u8, f32)),
}

#[derive(ComponentType, Clone, Copy, Debug, PartialEq)]
enum En {
    A,
    B,
    C,
}

tether::flags! {
    Fl {
        const X;
        const Y;
        const Z;
    }
}

#[derive(ComponentType, Clone, Debug, PartialEq)]
struct Mixed {
    e: En,
    f: Fl,
    v: Var,
}

const ENCODINGS: [&str; 3] = [
    "string-encoding=utf8",
    "string-encoding=utf16",
    "string-encoding=latin1+utf16",
];

macro_rules! differential_tests {
    ($($name:ident: $(types $prelude:literal,)? $wat:literal as $rust:ty, flat [$($flat:literal)*];)*) => {$(
        #[test]
        fn $name() {
            let case = Case { prelude: concat!("", $($prelude)?), wat: $wat, flat: &[$($flat),*] };
            for (i, enc) in ENCODINGS.iter().enumerate() {
                let ok = differential::<$rust>(&case, enc, 0x5eed_0000 + i as u64, 100);
                assert!(ok > 0, "{}: no case succeeded in {enc}", case.wat);
            }
        }
    )*};
}

differential_tests! {
    direct_string: "string" as String, flat ["i32" "i32"];
    direct_bytes: "(list u8)" as Vec<u8>, flat ["i32" "i32"];
    direct_u32s: "(list u32)" as Vec<u32>, flat ["i32" "i32"];
    direct_chars: "(list char)" as Vec<char>, flat ["i32" "i32"];
    direct_strings: "(list string)" as Vec<String>, flat ["i32" "i32"];
    direct_option_list: "(option (list u16))" as Option<Vec<u16>>, flat ["i32" "i32" "i32"];
    direct_result_string: "(result string (error u8))" as Result<String, u8>, flat ["i32" "i32" "i32"];
    direct_result_join: "(result u64 (error f32))" as Result<u64, f32>, flat ["i32" "i64"];
    direct_tuple: "(tuple u8 string (list s16))" as (u8, String, Vec<i16>), flat ["i32" "i32" "i32" "i32" "i32"];
    direct_list_of_tuples: "(list (tuple bool f64))" as Vec<(bool, f64)>, flat ["i32" "i32"];
    direct_list_of_options: "(list (option string))" as Vec<Option<String>>, flat ["i32" "i32"];
    direct_nested_lists: "(list (list u8))" as Vec<Vec<u8>>, flat ["i32" "i32"];
    direct_record: r#"(record (field "at" u8) (field "cx" string) (field "flat" (list u16)) (field "ty" (option char)))"#
        as Rec, flat ["i32" "i32" "i32" "i32" "i32" "i32" "i32"];
    direct_variant: r#"(variant (case "none") (case "num" u64) (case "text" string) (case "pair" (tuple u8 f32)))"#
        as Var, flat ["i32" "i64" "i32"];
    direct_enum_flags_variant: types r#"
        (type $e' (enum "a" "b" "c")) (import "e" (type $e (eq $e')))
        (type $f' (flags "x" "y" "z")) (import "f-ty" (type $f (eq $f')))
        (type $v' (variant (case "none") (case "num" u64) (case "text" string) (case "pair" (tuple u8 f32))))
        (import "v" (type $v (eq $v')))"#,
        r#"(record (field "e" $e) (field "f" $f) (field "v" $v))"#
        as Mixed, flat ["i32" "i32" "i32" "i64" "i32"];
    direct_list_of_records: types r#"
        (type $r' (record (field "at" u8) (field "cx" string) (field "flat" (list u16)) (field "ty" (option char))))
        (import "r" (type $r (eq $r')))"#,
        "(list $r)" as Vec<Rec>, flat ["i32" "i32"];
    direct_spilled: "(tuple string string string string string string string string string)"
        as (String, String, String, String, String, String, String, String, String), flat [];
}

/// Calls `run` of the component for `case` with `args` after writing `data` at
/// `REGION_START`, on a typed host function receiving `T`; returns the outcome, what the host
/// received and the bytes copied into and out of the guest.
fn run_typed<T: ComponentType + Clone>(
    case: &Case,
    enc: &str,
    data: &[u8],
    args: &[Val],
) -> (Result<(), String>, Option<Val>, tether::BytesCopied) {
    let engine = Engine::default();
    let component = Component::new(&engine, component(case, enc)).unwrap();
    let linker = linker::<T>(&engine, true);
    let (mut store, instance) = setup(&engine, &component, &linker, data, 0, 0, None);
    let before = instance.bytes_copied(&store);
    let run = instance.get_func(&mut store, "run").unwrap();
    let r = run.call(&mut store, args, &mut []);
    let after = instance.bytes_copied(&store);
    let copied = tether::BytesCopied {
        into_guest: after.into_guest - before.into_guest,
        out_of_guest: after.out_of_guest - before.out_of_guest,
    };
    (
        r.map_err(|e| format!("{e:#}")),
        store.data_mut().received.take(),
        copied,
    )
}

#[test]
fn typed_strings_cross_in_each_encoding() {
    let case = Case {
        prelude: "",
        wat: "string",
        flat: &["i32", "i32"],
    };
    let text = "héllo wörld";
    let ptr = Val::U32(REGION_START);
    // UTF-8: 13 bytes out, 13 bytes back in.
    let (r, received, copied) = run_typed::<String>(
        &case,
        "string-encoding=utf8",
        text.as_bytes(),
        &[ptr.clone(), Val::U32(13)],
    );
    assert_eq!(r, Ok(()));
    assert_eq!(received, Some(Val::String(text.into())));
    assert_eq!((copied.out_of_guest, copied.into_guest), (13, 13));
    // UTF-16: 11 code units; 13 bytes of UTF-8 on the host; back in, the spec's worst case
    // of two bytes per UTF-8 byte is allocated (26 bytes), then shrunk to 22.
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let (r, received, copied) = run_typed::<String>(
        &case,
        "string-encoding=utf16",
        &utf16,
        &[ptr.clone(), Val::U32(11)],
    );
    assert_eq!(r, Ok(()));
    assert_eq!(received, Some(Val::String(text.into())));
    assert_eq!((copied.out_of_guest, copied.into_guest), (13, 26));
    // Latin-1 (untagged length): 11 bytes, the same string; lowered back as Latin-1 after
    // the spec's optimistic allocation of one byte per UTF-8 byte, then shrunk.
    let latin1: Vec<u8> = text.chars().map(|c| c as u8).collect();
    let (r, received, copied) = run_typed::<String>(
        &case,
        "string-encoding=latin1+utf16",
        &latin1,
        &[ptr.clone(), Val::U32(11)],
    );
    assert_eq!(r, Ok(()));
    assert_eq!(received, Some(Val::String(text.into())));
    assert_eq!((copied.out_of_guest, copied.into_guest), (13, 13));
    // Tagged UTF-16 in `latin1+utf16`.
    let (r, received, _) = run_typed::<String>(
        &case,
        "string-encoding=latin1+utf16",
        &utf16,
        &[ptr.clone(), Val::U32(11 | 1 << 31)],
    );
    assert_eq!(r, Ok(()));
    assert_eq!(received, Some(Val::String(text.into())));
    // Bad text traps with the `Val` path's messages.
    let (r, _, _) = run_typed::<String>(
        &case,
        "string-encoding=utf8",
        &[0xff, 0xfe],
        &[ptr.clone(), Val::U32(2)],
    );
    assert!(
        r.as_ref()
            .unwrap_err()
            .contains("invalid utf-8 sequence of 1 bytes from index 0"),
        "{r:?}"
    );
    let (r, _, _) = run_typed::<String>(
        &case,
        "string-encoding=utf16",
        &[0x00, 0xd8, 0x41, 0x00],
        &[ptr.clone(), Val::U32(2)],
    );
    assert!(
        r.as_ref()
            .unwrap_err()
            .contains("invalid utf-16: unpaired surrogate 0xd800"),
        "{r:?}"
    );
    let (r, _, _) = run_typed::<String>(
        &case,
        "string-encoding=utf16",
        b"ab",
        &[Val::U32(REGION_START + 1), Val::U32(1)],
    );
    assert!(
        r.as_ref()
            .unwrap_err()
            .contains("unaligned pointer: string pointer not aligned to 2 (0x401)"),
        "{r:?}"
    );
    let (r, _, _) = run_typed::<String>(
        &case,
        "string-encoding=utf8",
        b"ab",
        &[Val::U32(0xfff0), Val::U32(100)],
    );
    assert!(
        r.as_ref().unwrap_err().contains(
            "string content out-of-bounds: string pointer/length out of bounds of memory (100 bytes at 0xfff0 do not fit in 65536 bytes)"
        ),
        "{r:?}"
    );
}

#[test]
fn typed_lists_trap_on_bad_pointers_as_the_val_path_does() {
    let case = Case {
        prelude: "",
        wat: "(list u32)",
        flat: &["i32", "i32"],
    };
    let enc = "string-encoding=utf8";
    let data: Vec<u8> = (1u32..=4).flat_map(u32::to_le_bytes).collect();
    let (r, received, copied) =
        run_typed::<Vec<u32>>(&case, enc, &data, &[Val::U32(REGION_START), Val::U32(4)]);
    assert_eq!(r, Ok(()));
    assert_eq!(received, Some(Val::List((1..=4).map(Val::U32).collect())));
    assert_eq!((copied.out_of_guest, copied.into_guest), (16, 16));
    let (r, _, _) = run_typed::<Vec<u32>>(
        &case,
        enc,
        &data,
        &[Val::U32(REGION_START + 2), Val::U32(1)],
    );
    assert!(
        r.as_ref()
            .unwrap_err()
            .contains("unaligned pointer: 0x402 is not a multiple of 4"),
        "{r:?}"
    );
    let (r, _, _) = run_typed::<Vec<u32>>(&case, enc, &data, &[Val::U32(0xfff0), Val::U32(8)]);
    assert!(
        r.as_ref()
            .unwrap_err()
            .contains("list content out-of-bounds: 32 bytes at 0xfff0 do not fit in 65536 bytes"),
        "{r:?}"
    );
    let (r, _, _) = run_typed::<Vec<u32>>(&case, enc, &data, &[Val::U32(0), Val::U32(1 << 27)]);
    assert!(
        r.as_ref()
            .unwrap_err()
            .contains("list length too large: 536870912 bytes"),
        "{r:?}"
    );
    // Bytes: one copy each way, charged against the call's copy limit.
    let case = Case {
        prelude: "",
        wat: "(list u8)",
        flat: &["i32", "i32"],
    };
    let data = vec![7u8; 1000];
    let (r, received, copied) =
        run_typed::<Vec<u8>>(&case, enc, &data, &[Val::U32(REGION_START), Val::U32(1000)]);
    assert_eq!(r, Ok(()));
    assert_eq!(received, Some(Val::List(vec![Val::U8(7); 1000])));
    assert_eq!((copied.out_of_guest, copied.into_guest), (1000, 1000));
    let engine = Engine::default();
    let component = Component::new(&engine, component(&case, enc)).unwrap();
    let linker = linker::<Vec<u8>>(&engine, true);
    let (mut store, instance) = setup(&engine, &component, &linker, &data, 0, 0, Some(999));
    let run = instance.get_func(&mut store, "run").unwrap();
    let err = run
        .call(
            &mut store,
            &[Val::U32(REGION_START), Val::U32(1000)],
            &mut [],
        )
        .unwrap_err();
    assert!(
        format!("{err:#}").contains(
            "copy limit exceeded: the call would copy more than 999 bytes between host and guest"
        ),
        "{err:#}"
    );
    assert!(store.data_mut().received.is_none(), "the host never ran");
}
