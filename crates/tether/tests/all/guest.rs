//! A real guest, from three toolchains: the Rust crate `guests/roundtrip`, built with
//! `wit-bindgen` for `wasm32-unknown-unknown`, the same guest in C, `guests/roundtrip-c`, over
//! the bindings of `wit-bindgen c`, compiled by clang, and in Go, `guests/roundtrip-go`, over the
//! bindings of `wit-bindgen go`, compiled by Go's toolchain; each made a component by
//! `wit-component` (see `crates/test-programs`). Go's runtime calls WASI, so the linker defines
//! WASI too, with nothing granted.
//!
//! Each `echo-*` export of `tether:roundtrip/guest` hands its argument to the host's import of
//! the same name in `tether:roundtrip/host` and returns what the host gave back, so a value
//! crosses the boundary four times: host to guest, guest to host and back twice over.
//! The host here echoes (or, for `many-args` and `make-big`, builds a record), and records what
//! it was given in the store, so each test checks both what came back and what the host saw.
//!
//! Every check runs against each guest: `guest::rust::NAME` against the Rust one,
//! `guest::c::NAME` against the C one, `guest::go::NAME` against the Go one, with the same body
//! and the same expectations (`guest_typed.rs` does the same through the typed API).

use std::sync::OnceLock;

use tether::{Component, Engine, Instance, Linker, Store, Val};

const GUEST: &str = "tether:roundtrip/guest";
const HOST: &str = "tether:roundtrip/host";

/// The host imports that return their argument.
const ECHOES: &[&str] = &[
    "echo-bool",
    "echo-s8",
    "echo-u8",
    "echo-s16",
    "echo-u16",
    "echo-s32",
    "echo-u32",
    "echo-s64",
    "echo-u64",
    "echo-f32",
    "echo-f64",
    "echo-char",
    "echo-string",
    "echo-bytes",
    "echo-strings",
    "echo-nested",
    "echo-mixed",
    "echo-mixed-list",
    "echo-tuple",
    "echo-value",
    "echo-color",
    "echo-option",
    "echo-option-option",
    "echo-result",
    "echo-perms",
    "echo-big",
];

const COLORS: &[&str] = &[
    "red", "green", "blue", "cyan", "magenta", "yellow", "black", "white",
];
const PERMS: &[&str] = &[
    "read", "write", "exec", "search", "create", "delete", "rename", "chmod", "chown", "link",
    "unlink", "admin",
];

/// What the host saw: every call of an import, with its arguments, in order.
struct Seen {
    calls: Vec<(String, Vec<Val>)>,
    /// WASI for the Go guest's runtime: no arguments, no variables, no folders, stdio closed.
    wasi: tether_wasi::WasiCtx,
}

impl Default for Seen {
    fn default() -> Seen {
        Seen {
            calls: Vec::new(),
            wasi: tether_wasi::WasiCtxBuilder::new().build(),
        }
    }
}

impl tether_wasi::WasiView for Seen {
    fn ctx(&mut self) -> &mut tether_wasi::WasiCtx {
        &mut self.wasi
    }
}

/// The roundtrip guest a check runs against: three builds of one program, from three
/// toolchains.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lang {
    /// `guests/roundtrip`: Rust, over the bindings of `wit-bindgen`'s `generate!`.
    Rust,
    /// `guests/roundtrip-c`: C, over the bindings of `wit-bindgen c`, compiled by clang.
    C,
    /// `guests/roundtrip-go`: Go, over the bindings of `wit-bindgen go`, compiled by Go's
    /// toolchain, with WASI preview 1 adapted.
    Go,
}

impl Lang {
    /// The path of the guest's component.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Lang::Rust => tether_test_programs::ROUNDTRIP,
            Lang::C => tether_test_programs::ROUNDTRIP_C,
            Lang::Go => tether_test_programs::ROUNDTRIP_GO,
        }
    }
}

/// The engine and the guest's compiled component, shared by every test of that guest.
fn compiled(lang: Lang) -> &'static (Engine, Component) {
    static RUST: OnceLock<(Engine, Component)> = OnceLock::new();
    static C: OnceLock<(Engine, Component)> = OnceLock::new();
    static GO: OnceLock<(Engine, Component)> = OnceLock::new();
    let compiled = match lang {
        Lang::Rust => &RUST,
        Lang::C => &C,
        Lang::Go => &GO,
    };
    compiled.get_or_init(|| {
        let engine = Engine::default();
        let bytes = std::fs::read(lang.path())
            .unwrap_or_else(|e| panic!("the {lang:?} roundtrip guest was built: {e}"));
        let component = Component::new(&engine, bytes)
            .unwrap_or_else(|e| panic!("the {lang:?} roundtrip guest compiles: {e:#}"));
        (engine, component)
    })
}

/// How the host misbehaves in one of its functions.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// It returns an error.
    Error,
    /// It returns a value of the wrong type.
    WrongType,
}

/// A host that echoes and records each call, and misbehaves in `fault`'s function, if any,
/// in the engine of `lang`'s guest.
fn linker(lang: Lang, fault: Option<(&'static str, Fault)>) -> Linker<Seen> {
    let (engine, _) = compiled(lang);
    let mut linker = Linker::<Seen>::new(engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    let mut host = linker.instance(HOST).unwrap();
    let record =
        move |store: &mut tether::StoreContextMut<'_, Seen>, name: &str, params: &[Val]| {
            store
                .data_mut()
                .calls
                .push((name.to_string(), params.to_vec()));
            if fault == Some((name, Fault::Error)) {
                Err(anyhow::anyhow!("the host refuses `{name}`"))
            } else {
                Ok(())
            }
        };
    for &name in ECHOES {
        host.func_new(name, move |mut store, params, results| {
            record(&mut store, name, params)?;
            assert_eq!(params.len(), 1, "`{name}` takes one argument");
            assert_eq!(results.len(), 1, "`{name}` returns one result");
            results[0] = params[0].clone();
            if fault == Some((name, Fault::WrongType)) {
                results[0] = Val::Tuple(vec![params[0].clone()]);
            }
            Ok(())
        })
        .unwrap();
    }
    host.func_new("many-args", move |mut store, params, results| {
        record(&mut store, "many-args", params)?;
        assert_eq!(params.len(), 17);
        results[0] = Val::Record(
            (1..=17)
                .map(|i| format!("a{i}"))
                .zip(params.iter().cloned())
                .collect(),
        );
        Ok(())
    })
    .unwrap();
    host.func_new("make-big", move |mut store, params, results| {
        record(&mut store, "make-big", params)?;
        let Val::U32(seed) = params[0] else {
            panic!("`make-big` was given {:?}", params[0])
        };
        results[0] = big_from_seed(seed);
        Ok(())
    })
    .unwrap();
    host.func_new("ping", move |mut store, params, results| {
        record(&mut store, "ping", params)?;
        assert!(params.is_empty() && results.is_empty());
        Ok(())
    })
    .unwrap();
    linker
}

/// An instance of the guest with its store.
struct Guest {
    store: Store<Seen>,
    instance: Instance,
}

impl Guest {
    fn new(lang: Lang) -> Guest {
        Guest::with_linker(lang, &linker(lang, None))
    }

    /// An instance of `lang`'s guest linked by `linker`, which must be of its engine.
    fn with_linker(lang: Lang, linker: &Linker<Seen>) -> Guest {
        let (engine, component) = compiled(lang);
        let mut store = Store::new(engine, Seen::default());
        let instance = linker
            .instantiate(&mut store, component)
            .unwrap_or_else(|e| panic!("the {lang:?} roundtrip guest instantiates: {e:#}"));
        Guest { store, instance }
    }

    /// Calls the export `name` of the guest interface and returns its results.
    fn try_call(&mut self, name: &str, params: &[Val]) -> tether::Result<Vec<Val>> {
        let func = self
            .instance
            .get_func_at(&mut self.store, &[GUEST, name])
            .unwrap_or_else(|| panic!("the guest exports `{name}` from `{GUEST}`"));
        let mut results = vec![Val::Bool(false); func.result_count(&self.store)];
        func.call(&mut self.store, params, &mut results)?;
        Ok(results)
    }

    /// Calls the export `name`, which returns one value.
    fn call(&mut self, name: &str, params: &[Val]) -> Val {
        let mut results = self
            .try_call(name, params)
            .unwrap_or_else(|e| panic!("calling `{name}` failed: {e:?}"));
        assert_eq!(results.len(), 1, "`{name}` returns one value");
        results.pop().unwrap()
    }

    /// Calls the export `name` with `params`, checks that the guest called the host's import
    /// of the same name once with the same arguments, and returns the result.
    fn through_host(&mut self, name: &str, params: &[Val]) -> Val {
        self.store.data_mut().calls.clear();
        let result = self.call(name, params);
        let calls = &self.store.data().calls;
        assert_eq!(calls.len(), 1, "`{name}` calls the host once: {calls:?}");
        assert_eq!(calls[0].0, name, "`{name}` calls the host's `{name}`");
        assert_eq!(calls[0].1, params, "the host's `{name}` sees the arguments");
        result
    }

    /// Checks that each value comes back from the export `name` unchanged, through the host.
    fn roundtrips(&mut self, name: &str, values: impl IntoIterator<Item = Val>) {
        for v in values {
            let back = self.through_host(name, std::slice::from_ref(&v));
            assert_eq!(back, v, "`{name}` returns its argument");
        }
    }
}

fn string(s: &str) -> Val {
    Val::String(s.to_string())
}

fn some(v: Val) -> Val {
    Val::Option(Some(Box::new(v)))
}

fn list<T>(items: impl IntoIterator<Item = T>, f: impl Fn(T) -> Val) -> Val {
    Val::List(items.into_iter().map(f).collect())
}

fn record(fields: Vec<(&str, Val)>) -> Val {
    Val::Record(
        fields
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
    )
}

fn flags(names: &[&str]) -> Val {
    Val::Flags(names.iter().map(|n| n.to_string()).collect())
}

tests_of_each_guest!(
    Lang { rust: Rust, c: C, go: Go };
    [
    component_has_the_worlds_imports_and_exports,
    echo_bool,
    echo_s8,
    echo_u8,
    echo_s16,
    echo_u16,
    echo_s32,
    echo_u32,
    echo_s64,
    echo_u64,
    echo_f32,
    echo_f64,
    echo_char,
    echo_string,
    list_of_u8,
    list_of_strings,
    list_of_lists,
    echo_record,
    list_of_records,
    echo_tuple,
    variant_every_case,
    enum_every_case,
    echo_option,
    option_of_option,
    echo_result,
    flags_none_all_and_each,
    many_arguments_pass_in_memory,
    large_record_result,
    large_record_argument_and_result,
    no_arguments_and_no_results,
    guest_side_functions,
    host_sees_every_call_in_order,
    many_calls_on_one_instance,
    instances_are_independent,
    host_error_fails_the_call,
    host_result_of_the_wrong_type_fails_the_call,
    types_instance_may_be_defined,
    wrong_arguments_are_refused,
    instance_stays_usable_after_wrong_arguments,
    missing_import_is_refused,
    ]
);

/// Strings that stress lengths and encodings.
fn strings() -> Vec<String> {
    vec![
        String::new(),
        "a".into(),
        "hello, world".into(),
        "héllo ⛳ 🦀 日本語".into(),
        "\0".into(),
        "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}".into(),
        "x".repeat(1000),
        "🦀".repeat(3000),
    ]
}

/// The `mixed` records the tests send.
fn mixeds() -> Vec<Val> {
    let mixed = |a, b, c: &str, d, e: &[u16], f, g: Option<char>| {
        record(vec![
            ("a", Val::U8(a)),
            ("b", Val::S64(b)),
            ("c", string(c)),
            ("d", Val::Float32(d)),
            ("e", list(e.iter().copied(), Val::U16)),
            ("f", Val::Bool(f)),
            ("g", Val::Option(g.map(|c| Box::new(Val::Char(c))))),
        ])
    };
    vec![
        mixed(0, 0, "", 0.0, &[], false, None),
        mixed(
            u8::MAX,
            i64::MIN,
            "héllo ⛳",
            -0.0,
            &[0, 1, u16::MAX],
            true,
            Some('🦀'),
        ),
        mixed(7, i64::MAX, "x", f32::NAN, &[42; 100], false, Some('\0')),
        mixed(
            1,
            -1,
            "infinite",
            f32::NEG_INFINITY,
            &[9],
            true,
            Some('\u{10ffff}'),
        ),
    ]
}

/// The `big` record the host's `make-big` builds from `seed`.
fn big_from_seed(seed: u32) -> Val {
    let set: Vec<&str> = PERMS
        .iter()
        .enumerate()
        .filter(|(i, _)| seed & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    record(vec![
        ("a1", Val::U8(seed as u8)),
        ("a2", Val::S8((seed as i8).wrapping_neg())),
        ("a3", Val::U16(seed as u16 ^ 0xffff)),
        ("a4", Val::S16(-(seed as i16 & 0x7fff))),
        ("a5", Val::U32(seed.wrapping_mul(3))),
        ("a6", Val::S32(!(seed as i32))),
        ("a7", Val::U64((u64::from(seed) << 32) | u64::from(seed))),
        ("a8", Val::S64(-i64::from(seed))),
        ("a9", Val::Float32(seed as f32 / 4.0)),
        ("a10", Val::Float64(-(seed as f64) / 8.0)),
        (
            "a11",
            Val::Char(char::from_u32(0x1f600 + seed % 64).unwrap()),
        ),
        ("a12", Val::Bool(seed % 2 == 1)),
        ("a13", string(&format!("big {seed} ⛳"))),
        ("a14", list(0..(seed % 200) as u8, Val::U8)),
        (
            "a15",
            if seed.is_multiple_of(3) {
                Val::Option(None)
            } else {
                some(Val::U32(seed))
            },
        ),
        (
            "a16",
            Val::Enum(COLORS[seed as usize % COLORS.len()].to_string()),
        ),
        ("a17", flags(&set)),
    ])
}

/// The fields of a `big` record, as the 17 arguments of `many-args`.
fn fields(big: Val) -> Vec<Val> {
    let Val::Record(fields) = big else {
        panic!("not a record: {big:?}")
    };
    fields.into_iter().map(|(_, v)| v).collect()
}

fn component_has_the_worlds_imports_and_exports(lang: Lang) {
    let (_, component) = compiled(lang);
    let (wasi, imports): (Vec<&str>, Vec<&str>) = component
        .import_names()
        .partition(|name| name.starts_with("wasi:"));
    // `types` holds types only: the host need not define it.
    assert_eq!(imports, ["tether:roundtrip/types", HOST]);
    // Only Go's runtime calls WASI.
    assert_eq!(wasi.is_empty(), !matches!(lang, Lang::Go), "{wasi:?}");
    let exports: Vec<&str> = component.export_names().collect();
    assert_eq!(exports, [GUEST]);
    let guest = Guest::new(lang);
    assert_eq!(guest.instance.export_names(), [GUEST]);
}

fn echo_bool(lang: Lang) {
    Guest::new(lang).roundtrips("echo-bool", [Val::Bool(false), Val::Bool(true)]);
}

fn echo_s8(lang: Lang) {
    Guest::new(lang).roundtrips("echo-s8", [0, 1, -1, i8::MIN, i8::MAX].map(Val::S8));
}

fn echo_u8(lang: Lang) {
    Guest::new(lang).roundtrips("echo-u8", [0, 1, 0x7f, 0x80, u8::MAX].map(Val::U8));
}

fn echo_s16(lang: Lang) {
    Guest::new(lang).roundtrips(
        "echo-s16",
        [0, 1, -1, 0xff, i16::MIN, i16::MAX].map(Val::S16),
    );
}

fn echo_u16(lang: Lang) {
    Guest::new(lang).roundtrips("echo-u16", [0, 1, 0xff, 0x8000, u16::MAX].map(Val::U16));
}

fn echo_s32(lang: Lang) {
    Guest::new(lang).roundtrips(
        "echo-s32",
        [0, 1, -1, 0xffff, i32::MIN, i32::MAX].map(Val::S32),
    );
}

fn echo_u32(lang: Lang) {
    Guest::new(lang).roundtrips("echo-u32", [0, 1, 0x8000_0000, u32::MAX].map(Val::U32));
}

fn echo_s64(lang: Lang) {
    Guest::new(lang).roundtrips(
        "echo-s64",
        [0, 1, -1, 1 << 32, i64::MIN, i64::MAX].map(Val::S64),
    );
}

fn echo_u64(lang: Lang) {
    Guest::new(lang).roundtrips("echo-u64", [0, 1, 1 << 32, 1 << 63, u64::MAX].map(Val::U64));
}

fn echo_f32(lang: Lang) {
    let values = [
        0.0,
        -0.0,
        1.5,
        -1.0,
        f32::MIN,
        f32::MAX,
        f32::MIN_POSITIVE,
        f32::from_bits(1), // the smallest subnormal
        f32::EPSILON,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let mut guest = Guest::new(lang);
    guest.roundtrips("echo-f32", values.map(Val::Float32));
    // Any NaN may come back as any NaN.
    for nan in [f32::NAN, -f32::NAN, f32::from_bits(0x7f80_0001)] {
        let Val::Float32(back) = guest.through_host("echo-f32", &[Val::Float32(nan)]) else {
            panic!("not an f32")
        };
        assert!(back.is_nan(), "NaN came back as {back}");
    }
}

fn echo_f64(lang: Lang) {
    let values = [
        0.0,
        -0.0,
        1.5,
        -1.0,
        f64::MIN,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::EPSILON,
        f64::INFINITY,
        f64::NEG_INFINITY,
        std::f64::consts::PI,
    ];
    let mut guest = Guest::new(lang);
    guest.roundtrips("echo-f64", values.map(Val::Float64));
    for nan in [f64::NAN, -f64::NAN, f64::from_bits(0x7ff0_0000_0000_0001)] {
        let Val::Float64(back) = guest.through_host("echo-f64", &[Val::Float64(nan)]) else {
            panic!("not an f64")
        };
        assert!(back.is_nan(), "NaN came back as {back}");
    }
}

fn echo_char(lang: Lang) {
    let chars = [
        '\0',
        'a',
        '\u{7f}',
        'é',
        '⛳',
        '\u{d7ff}',
        '\u{e000}',
        '\u{fffd}',
        '🦀',
        char::MAX,
    ];
    Guest::new(lang).roundtrips("echo-char", chars.map(Val::Char));
}

fn echo_string(lang: Lang) {
    Guest::new(lang).roundtrips("echo-string", strings().iter().map(|s| string(s)));
}

fn list_of_u8(lang: Lang) {
    let lists: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0, 1, 0x7f, 0x80, 0xff],
        (0..=255).collect(),
        vec![0xab; 100_000],
    ];
    Guest::new(lang).roundtrips("echo-bytes", lists.into_iter().map(|l| list(l, Val::U8)));
}

fn list_of_strings(lang: Lang) {
    let lists = [
        vec![],
        vec![String::new()],
        vec![String::new(), String::new()],
        strings(),
    ];
    Guest::new(lang).roundtrips("echo-strings", lists.iter().map(|l| list(l, |s| string(s))));
}

fn list_of_lists(lang: Lang) {
    let lists: Vec<Vec<Vec<u32>>> = vec![
        vec![],
        vec![vec![]],
        vec![vec![], vec![]],
        vec![vec![1, 2, 3], vec![], vec![u32::MAX], vec![0; 500]],
        (0..100).map(|i| (0..i).collect()).collect(),
    ];
    Guest::new(lang).roundtrips(
        "echo-nested",
        lists
            .into_iter()
            .map(|l| list(l, |inner| list(inner, Val::U32))),
    );
}

fn echo_record(lang: Lang) {
    Guest::new(lang).roundtrips("echo-mixed", mixeds());
}

fn list_of_records(lang: Lang) {
    let mut guest = Guest::new(lang);
    guest.roundtrips(
        "echo-mixed-list",
        [
            Val::List(vec![]),
            Val::List(mixeds()),
            Val::List(std::iter::repeat_n(mixeds(), 50).flatten().collect()),
        ],
    );
}

fn echo_tuple(lang: Lang) {
    let tuple =
        |a, b: &str, c, d| Val::Tuple(vec![Val::U8(a), string(b), Val::Float64(c), Val::Bool(d)]);
    Guest::new(lang).roundtrips(
        "echo-tuple",
        [
            tuple(0, "", 0.0, false),
            tuple(u8::MAX, "héllo ⛳", -0.0, true),
            tuple(1, "nan", f64::NAN, true),
            tuple(2, &"long".repeat(500), f64::NEG_INFINITY, false),
        ],
    );
}

fn variant_every_case(lang: Lang) {
    let case =
        |name: &str, payload: Option<Val>| Val::Variant(name.to_string(), payload.map(Box::new));
    let values = vec![
        case("nothing", None),
        case("int", Some(Val::S64(0))),
        case("int", Some(Val::S64(i64::MIN))),
        case("int", Some(Val::S64(i64::MAX))),
        case("float", Some(Val::Float64(0.0))),
        case("float", Some(Val::Float64(-0.0))),
        case("float", Some(Val::Float64(f64::MAX))),
        case("float", Some(Val::Float64(f64::NEG_INFINITY))),
        case("float", Some(Val::Float64(f64::NAN))),
        case("text", Some(string(""))),
        case("text", Some(string("héllo ⛳"))),
        case("pair", Some(Val::Tuple(vec![Val::U8(0), Val::U16(0)]))),
        case(
            "pair",
            Some(Val::Tuple(vec![Val::U8(u8::MAX), Val::U16(u16::MAX)])),
        ),
        case("bytes", Some(list([], Val::U8))),
        case("bytes", Some(list([1, 2, 3, 255], Val::U8))),
        case("small", Some(Val::Float32(0.0))),
        case("small", Some(Val::Float32(-0.0))),
        case("small", Some(Val::Float32(f32::MIN_POSITIVE))),
        case("small", Some(Val::Float32(f32::INFINITY))),
        case("small", Some(Val::Float32(f32::NAN))),
        case("nothing", None),
    ];
    Guest::new(lang).roundtrips("echo-value", values);
}

fn enum_every_case(lang: Lang) {
    Guest::new(lang).roundtrips(
        "echo-color",
        COLORS.iter().map(|c| Val::Enum(c.to_string())),
    );
}

fn echo_option(lang: Lang) {
    let values = [
        Val::Option(None),
        some(string("")),
        some(string("héllo ⛳")),
        some(string(&"y".repeat(5000))),
    ];
    Guest::new(lang).roundtrips("echo-option", values);
}

fn option_of_option(lang: Lang) {
    let values = [
        Val::Option(None),
        some(Val::Option(None)),
        some(some(Val::U32(0))),
        some(some(Val::U32(u32::MAX))),
    ];
    Guest::new(lang).roundtrips("echo-option-option", values);
}

fn echo_result(lang: Lang) {
    let ok = |v: Val| Val::Result(Ok(Some(Box::new(v))));
    let err = |v: Val| Val::Result(Err(Some(Box::new(v))));
    let values = [
        ok(string("")),
        ok(string("héllo ⛳")),
        err(Val::U32(0)),
        err(Val::U32(u32::MAX)),
        ok(string(&"z".repeat(3000))),
    ];
    Guest::new(lang).roundtrips("echo-result", values);
}

fn flags_none_all_and_each(lang: Lang) {
    let mut values = vec![flags(&[]), flags(PERMS)];
    values.extend(PERMS.iter().map(|p| flags(&[p])));
    values.push(flags(&[
        "read", "exec", "create", "rename", "chown", "unlink",
    ]));
    values.push(flags(&[
        "write", "search", "delete", "chmod", "link", "admin",
    ]));
    // Both bytes: the last flag of the first byte and the first of the second.
    values.push(flags(&["chmod", "chown"]));
    Guest::new(lang).roundtrips("echo-perms", values);
}

fn many_arguments_pass_in_memory(lang: Lang) {
    let mut guest = Guest::new(lang);
    for seed in [0, 1, 5, 255, 1000, 0x0fff, u32::MAX] {
        let big = big_from_seed(seed);
        let back = guest.through_host("many-args", &fields(big.clone()));
        assert_eq!(
            back, big,
            "`many-args` builds the record of its arguments (seed {seed})"
        );
    }
}

fn large_record_result(lang: Lang) {
    let mut guest = Guest::new(lang);
    for seed in [0, 1, 5, 255, 1000, 0x0fff, u32::MAX] {
        assert_eq!(
            guest.through_host("make-big", &[Val::U32(seed)]),
            big_from_seed(seed),
            "seed {seed}"
        );
    }
}

fn large_record_argument_and_result(lang: Lang) {
    let values = [0, 7, 299, 0xabcd, u32::MAX].map(big_from_seed);
    Guest::new(lang).roundtrips("echo-big", values);
}

fn no_arguments_and_no_results(lang: Lang) {
    let mut guest = Guest::new(lang);
    for i in 0..3 {
        assert_eq!(guest.call("pings", &[]), Val::U32(i));
        assert!(guest.try_call("ping", &[]).unwrap().is_empty());
    }
    assert_eq!(guest.call("pings", &[]), Val::U32(3));
    let calls = &guest.store.data().calls;
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .iter()
            .all(|(name, params)| name == "ping" && params.is_empty()),
        "{calls:?}"
    );
}

fn guest_side_functions(lang: Lang) {
    let mut guest = Guest::new(lang);
    let strs = |ss: &[&str]| list(ss.iter().copied(), string);
    assert_eq!(guest.call("concat", &[strs(&[])]), string(""));
    assert_eq!(guest.call("concat", &[strs(&["", ""])]), string(""));
    assert_eq!(
        guest.call("concat", &[strs(&["héllo", ", ", "⛳", "🦀"])]),
        string("héllo, ⛳🦀")
    );
    assert_eq!(
        guest.call(
            "concat",
            &[Val::List(strings().iter().map(|s| string(s)).collect())]
        ),
        string(&strings().concat())
    );

    assert_eq!(guest.call("sum", &[list([], Val::U32)]), Val::U64(0));
    assert_eq!(guest.call("sum", &[list([1, 2, 3], Val::U32)]), Val::U64(6));
    assert_eq!(
        guest.call("sum", &[list([u32::MAX; 3], Val::U32)]),
        Val::U64(3 * u64::from(u32::MAX))
    );
    assert_eq!(
        guest.call("sum", &[list(0..10_000, Val::U32)]),
        Val::U64(49_995_000)
    );

    assert_eq!(guest.call("reverse", &[string("")]), string(""));
    assert_eq!(guest.call("reverse", &[string("abc")]), string("cba"));
    assert_eq!(
        guest.call("reverse", &[string("héllo ⛳🦀")]),
        string("🦀⛳ olléh")
    );

    assert_eq!(guest.call("count-perms", &[flags(&[])]), Val::U32(0));
    assert_eq!(
        guest.call("count-perms", &[flags(PERMS)]),
        Val::U32(PERMS.len() as u32)
    );
    assert_eq!(
        guest.call("count-perms", &[flags(&["read", "admin"])]),
        Val::U32(2)
    );

    assert!(
        guest.store.data().calls.is_empty(),
        "the guest-side functions call no import"
    );
}

fn host_sees_every_call_in_order(lang: Lang) {
    let mut guest = Guest::new(lang);
    guest.call("echo-u8", &[Val::U8(1)]);
    guest.call("echo-string", &[string("two")]);
    guest.call("concat", &[list(["a", "b"], string)]);
    guest.call("echo-color", &[Val::Enum("blue".into())]);
    guest.try_call("ping", &[]).unwrap();
    guest.call("echo-u8", &[Val::U8(5)]);
    let calls = &guest.store.data().calls;
    let expected = [
        ("echo-u8", vec![Val::U8(1)]),
        ("echo-string", vec![string("two")]),
        ("echo-color", vec![Val::Enum("blue".into())]),
        ("ping", vec![]),
        ("echo-u8", vec![Val::U8(5)]),
    ];
    assert_eq!(calls.len(), expected.len(), "{calls:?}");
    for ((name, params), (want_name, want_params)) in calls.iter().zip(expected) {
        assert_eq!((name.as_str(), params), (want_name, &want_params));
    }
}

fn many_calls_on_one_instance(lang: Lang) {
    // Every call allocates in the guest's memory, for the arguments and for what the host
    // returns: a thousand calls check that nothing leaks or is freed twice along the way.
    let mut guest = Guest::new(lang);
    for i in 0..1000u32 {
        let s = format!("call {i} ⛳");
        assert_eq!(guest.call("echo-string", &[string(&s)]), string(&s));
        let l = list(0..i % 50, Val::U32);
        assert_eq!(
            guest.call("echo-nested", &[Val::List(vec![l.clone(), l.clone()])]),
            Val::List(vec![l.clone(), l])
        );
    }
    assert_eq!(guest.store.data().calls.len(), 2000);
}

fn instances_are_independent(lang: Lang) {
    let linker = linker(lang, None);
    let mut a = Guest::with_linker(lang, &linker);
    let mut b = Guest::with_linker(lang, &linker);
    a.try_call("ping", &[]).unwrap();
    a.try_call("ping", &[]).unwrap();
    b.try_call("ping", &[]).unwrap();
    assert_eq!(a.call("pings", &[]), Val::U32(2));
    assert_eq!(b.call("pings", &[]), Val::U32(1));
    assert_eq!(a.store.data().calls.len(), 2);
    assert_eq!(b.store.data().calls.len(), 1);
}

fn host_error_fails_the_call(lang: Lang) {
    let mut guest = Guest::with_linker(lang, &linker(lang, Some(("echo-string", Fault::Error))));
    let err = guest
        .try_call("echo-string", &[string("no")])
        .expect_err("the host's error fails the call");
    assert!(
        format!("{err:?}").contains("the host refuses `echo-string`"),
        "the error names the host's: {err:?}"
    );
    assert_eq!(guest.store.data().calls.len(), 1);
}

/// Arguments that do not match the parameters, each with what is wrong with them.
fn wrong_arguments() -> Vec<(&'static str, &'static str, Vec<Val>)> {
    vec![
        ("a u32 for a u8", "echo-u8", vec![Val::U32(1)]),
        ("no argument", "echo-u8", vec![]),
        ("two arguments", "echo-u8", vec![Val::U8(1), Val::U8(2)]),
        (
            "an unknown enum case",
            "echo-color",
            vec![Val::Enum("purple".into())],
        ),
        ("an unknown flag", "echo-perms", vec![flags(&["fly"])]),
        (
            "a case without the payload it needs",
            "echo-value",
            vec![Val::Variant("int".into(), None)],
        ),
        (
            "a record without a field",
            "echo-mixed",
            vec![record(vec![("a", Val::U8(1))])],
        ),
        (
            "a list of the wrong element type",
            "echo-bytes",
            vec![list([1, 2], Val::U32)],
        ),
        (
            "a string in a list of the wrong element type",
            "echo-strings",
            vec![list([1], Val::U8)],
        ),
    ]
}

fn host_result_of_the_wrong_type_fails_the_call(lang: Lang) {
    let mut guest = Guest::with_linker(lang, &linker(lang, Some(("echo-u32", Fault::WrongType))));
    let err = guest
        .try_call("echo-u32", &[Val::U32(7)])
        .expect_err("the host's result is refused");
    assert!(
        format!("{err:?}").contains("u32"),
        "the error names the expected type: {err:?}"
    );
    assert_eq!(guest.store.data().calls.len(), 1);
}

fn types_instance_may_be_defined(lang: Lang) {
    // Hosts generated by bindings generators define an (empty) instance for every imported
    // interface, including those with types only.
    let mut linker = linker(lang, None);
    linker.instance("tether:roundtrip/types").unwrap();
    let mut guest = Guest::with_linker(lang, &linker);
    assert_eq!(
        guest.through_host("echo-s32", &[Val::S32(-5)]),
        Val::S32(-5)
    );
}

fn wrong_arguments_are_refused(lang: Lang) {
    for (what, name, params) in wrong_arguments() {
        let mut guest = Guest::new(lang);
        assert!(
            guest.try_call(name, &params).is_err(),
            "`{name}` refuses {what}"
        );
        assert!(
            guest.store.data().calls.is_empty(),
            "the guest never ran with {what}"
        );
    }
}

fn instance_stays_usable_after_wrong_arguments(lang: Lang) {
    // A value of the wrong type is the host's mistake, found before the guest runs: the call
    // fails, and the instance stays usable, as in wasmtime, which type-checks arguments
    // before entering the instance.
    let mut guest = Guest::new(lang);
    for (what, name, params) in wrong_arguments() {
        let err = guest.try_call(name, &params).expect_err("the call fails");
        let after = guest.try_call("echo-u8", &[Val::U8(3)]);
        assert!(
            matches!(after.as_deref(), Ok([Val::U8(3)])),
            "the instance is still usable after {what} (which failed with `{err:#}`): {after:?}"
        );
    }
}

fn missing_import_is_refused(lang: Lang) {
    let (engine, component) = compiled(lang);
    let mut linker = Linker::<Seen>::new(engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    linker
        .instance(HOST)
        .unwrap()
        .func_new("echo-bool", |_, p, r| {
            r[0] = p[0].clone();
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(engine, Seen::default());
    let err = linker
        .instantiate(&mut store, component)
        .err()
        .expect("instantiating without every import fails");
    assert!(
        format!("{err:?}").contains("echo-"),
        "the error names a missing import: {err:?}"
    );
}
