//! The roundtrip guests (`guests/roundtrip` in Rust, `guests/roundtrip-c` in C,
//! `guests/roundtrip-go` in Go) through the typed API: host imports defined with `func_wrap`
//! over Rust types, exports called through `TypedFunc`. Every check runs against each guest:
//! `guest_typed::rust::NAME`, `guest_typed::c::NAME` and `guest_typed::go::NAME`.

use crate::guest::Lang;
use tether::{Component, ComponentNamedList, Engine, Linker, Store, TypedFunc, Val};

#[derive(tether::ComponentType, Debug, Clone, PartialEq)]
struct Mixed {
    a: u8,
    b: i64,
    c: String,
    d: f32,
    e: Vec<u16>,
    f: bool,
    g: Option<char>,
}

#[derive(tether::ComponentType, Debug, Clone, PartialEq)]
enum Value {
    Nothing,
    Int(i64),
    Float(f64),
    Text(String),
    Pair((u8, u16)),
    Bytes(Vec<u8>),
    Small(f32),
}

#[derive(tether::ComponentType, Debug, Clone, Copy, PartialEq)]
enum Color {
    Red,
    Green,
    Blue,
    Cyan,
    Magenta,
    Yellow,
    Black,
    White,
}

tether::flags! {
    Perms {
        const READ; const WRITE; const EXEC; const SEARCH; const CREATE; const DELETE;
        const RENAME; const CHMOD; const CHOWN; const LINK; const UNLINK; const ADMIN;
    }
}

#[derive(tether::ComponentType, Debug, Clone, PartialEq)]
struct Big {
    a1: u8,
    a2: i8,
    a3: u16,
    a4: i16,
    a5: u32,
    a6: i32,
    a7: u64,
    a8: i64,
    a9: f32,
    a10: f64,
    a11: char,
    a12: bool,
    a13: String,
    a14: Vec<u8>,
    a15: Option<u32>,
    a16: Color,
    a17: Perms,
}

const HOST: &str = "tether:roundtrip/host";
const GUEST: &str = "tether:roundtrip/guest";

/// The store's data: how many times the guest called the host, and WASI for the Go guest's
/// runtime (nothing granted).
struct Calls {
    n: u32,
    wasi: tether_wasi::WasiCtx,
}

impl tether_wasi::WasiView for Calls {
    fn ctx(&mut self) -> &mut tether_wasi::WasiCtx {
        &mut self.wasi
    }
}

/// A linker whose host imports are all typed echo functions counting their calls.
fn linker(engine: &Engine) -> Linker<Calls> {
    let mut linker = Linker::new(engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    let mut host = linker.instance(HOST).unwrap();
    macro_rules! echo {
        ($($name:literal: $ty:ty),* $(,)?) => {$(
            host.func_wrap($name, |mut store: tether::StoreContextMut<'_, Calls>, (x,): ($ty,)| {
                store.data_mut().n += 1;
                Ok((x,))
            }).unwrap();
        )*};
    }
    echo! {
        "echo-bool": bool, "echo-s8": i8, "echo-u8": u8, "echo-s16": i16, "echo-u16": u16,
        "echo-s32": i32, "echo-u32": u32, "echo-s64": i64, "echo-u64": u64, "echo-f32": f32,
        "echo-f64": f64, "echo-char": char, "echo-string": String, "echo-bytes": Vec<u8>,
        "echo-strings": Vec<String>, "echo-nested": Vec<Vec<u32>>, "echo-mixed": Mixed,
        "echo-mixed-list": Vec<Mixed>, "echo-tuple": (u8, String, f64, bool), "echo-value": Value,
        "echo-color": Color, "echo-option": Option<String>, "echo-option-option": Option<Option<u32>>,
        "echo-result": Result<String, u32>, "echo-perms": Perms, "echo-big": Big,
    }
    host.func_wrap("make-big", |_, (seed,): (u32,)| Ok((big(seed),)))
        .unwrap();
    host.func_wrap(
        "ping",
        |mut store: tether::StoreContextMut<'_, Calls>, (): ()| {
            store.data_mut().n += 1;
            Ok(())
        },
    )
    .unwrap();
    // Seventeen parameters are more than a Rust tuple list holds here: dynamic, as the
    // typed API's limit of sixteen elements requires.
    host.func_new("many-args", |_, params, results| {
        let Val::U32(seed) = params[4] else {
            anyhow::bail!("a5 is a u32")
        };
        results[0] = tether::ComponentType::to_val(&big(seed));
        Ok(())
    })
    .unwrap();
    linker
}

fn big(seed: u32) -> Big {
    Big {
        a1: seed as u8,
        a2: -(seed as i8),
        a3: seed as u16,
        a4: -(seed as i16),
        a5: seed,
        a6: -(seed as i32),
        a7: u64::from(seed) << 32,
        a8: -(i64::from(seed) << 32),
        a9: seed as f32 / 2.0,
        a10: f64::from(seed) / 4.0,
        a11: char::from_u32(0x1F600 + seed % 16).unwrap(),
        a12: seed.is_multiple_of(2),
        a13: format!("big {seed}"),
        a14: vec![seed as u8; 3],
        a15: Some(seed),
        a16: Color::Cyan,
        a17: Perms::READ | Perms::ADMIN,
    }
}

struct Guest {
    store: Store<Calls>,
    instance: tether::Instance,
}

impl Guest {
    /// An instance of `lang`'s guest, in an engine of its own.
    fn new(lang: Lang) -> Guest {
        let engine = Engine::default();
        let bytes = std::fs::read(lang.path())
            .unwrap_or_else(|e| panic!("the {lang:?} roundtrip guest was built: {e}"));
        let component = Component::new(&engine, bytes).unwrap();
        let calls = Calls {
            n: 0,
            wasi: tether_wasi::WasiCtxBuilder::new().build(),
        };
        let mut store = Store::new(&engine, calls);
        let instance = linker(&engine).instantiate(&mut store, &component).unwrap();
        Guest { store, instance }
    }

    fn func<P: ComponentNamedList, R: ComponentNamedList>(
        &mut self,
        name: &str,
    ) -> TypedFunc<P, R> {
        let f = self
            .instance
            .get_func_at(&mut self.store, &[GUEST, name])
            .unwrap_or_else(|| panic!("no `{name}`"));
        TypedFunc::new(f).unwrap_or_else(|e| panic!("`{name}`: {e:#}"))
    }

    /// Calls `name` with `x` and checks that the value comes back and that the host was
    /// called once.
    fn echo<X: tether::ComponentType + Clone + PartialEq + std::fmt::Debug>(
        &mut self,
        name: &str,
        x: X,
    ) {
        let f = self.func::<(X,), (X,)>(name);
        let before = self.store.data().n;
        let (back,) = f
            .call(&mut self.store, (x.clone(),))
            .unwrap_or_else(|e| panic!("`{name}`: {e:#}"));
        assert_eq!(back, x, "`{name}`");
        assert_eq!(
            self.store.data().n,
            before + 1,
            "`{name}` called the host once"
        );
    }
}

tests_of_each_guest!(
    Lang { rust: Rust, c: C, go: Go };
    [
        scalars_round_trip_typed,
        strings_lists_and_options_round_trip_typed,
        records_variants_enums_and_flags_round_trip_typed,
        spilled_results_and_guest_side_functions_typed,
        mistyped_typed_functions_are_refused,
    ]
);

fn scalars_round_trip_typed(lang: Lang) {
    let mut g = Guest::new(lang);
    for x in [true, false] {
        g.echo("echo-bool", x);
    }
    for x in [i8::MIN, -1, 0, i8::MAX] {
        g.echo("echo-s8", x);
    }
    for x in [0u8, 1, u8::MAX] {
        g.echo("echo-u8", x);
    }
    for x in [i16::MIN, 0, i16::MAX] {
        g.echo("echo-s16", x);
    }
    for x in [0u16, u16::MAX] {
        g.echo("echo-u16", x);
    }
    for x in [i32::MIN, 0, i32::MAX] {
        g.echo("echo-s32", x);
    }
    for x in [0u32, u32::MAX] {
        g.echo("echo-u32", x);
    }
    for x in [i64::MIN, 0, i64::MAX] {
        g.echo("echo-s64", x);
    }
    for x in [0u64, u64::MAX] {
        g.echo("echo-u64", x);
    }
    for x in [
        0.0f32,
        -0.0,
        1.5,
        f32::MIN_POSITIVE,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ] {
        g.echo("echo-f32", x);
    }
    for x in [0.0f64, -0.0, 1e300, f64::NEG_INFINITY] {
        g.echo("echo-f64", x);
    }
    for x in ['\0', 'a', 'é', '⛳', '\u{10FFFF}'] {
        g.echo("echo-char", x);
    }
    let f = g.func::<(f32,), (f32,)>("echo-f32");
    assert!(f.call(&mut g.store, (f32::NAN,)).unwrap().0.is_nan());
}

fn strings_lists_and_options_round_trip_typed(lang: Lang) {
    let mut g = Guest::new(lang);
    for s in ["", "hello", "héllo ⛳ 🎉", &"long ".repeat(2000)] {
        g.echo("echo-string", s.to_string());
    }
    g.echo("echo-bytes", Vec::<u8>::new());
    g.echo("echo-bytes", (0..=255u8).collect::<Vec<_>>());
    g.echo(
        "echo-strings",
        vec!["a".to_string(), String::new(), "ü".to_string()],
    );
    g.echo(
        "echo-nested",
        vec![vec![], vec![1u32], vec![2, 3, u32::MAX]],
    );
    g.echo("echo-option", None::<String>);
    g.echo("echo-option", Some("x".to_string()));
    for x in [None, Some(None), Some(Some(7u32))] {
        g.echo("echo-option-option", x);
    }
    g.echo("echo-result", Ok::<String, u32>("fine".into()));
    g.echo("echo-result", Err::<String, u32>(404));
    g.echo("echo-tuple", (7u8, "seven".to_string(), 7.5f64, true));
}

fn records_variants_enums_and_flags_round_trip_typed(lang: Lang) {
    let mut g = Guest::new(lang);
    let mixed = Mixed {
        a: 1,
        b: -2,
        c: "three".into(),
        d: 4.5,
        e: vec![5, 6],
        f: true,
        g: Some('7'),
    };
    g.echo("echo-mixed", mixed.clone());
    g.echo(
        "echo-mixed-list",
        vec![
            mixed.clone(),
            Mixed {
                g: None,
                e: vec![],
                ..mixed
            },
        ],
    );
    for v in [
        Value::Nothing,
        Value::Int(i64::MIN),
        Value::Float(-1.25),
        Value::Text("text".into()),
        Value::Pair((1, 65535)),
        Value::Bytes(vec![1, 2, 3]),
        Value::Small(0.5),
    ] {
        g.echo("echo-value", v);
    }
    for c in [
        Color::Red,
        Color::Green,
        Color::Blue,
        Color::Cyan,
        Color::Magenta,
        Color::Yellow,
        Color::Black,
        Color::White,
    ] {
        g.echo("echo-color", c);
    }
    for p in [
        Perms::empty(),
        Perms::all(),
        Perms::READ,
        Perms::ADMIN,
        Perms::LINK | Perms::EXEC,
    ] {
        g.echo("echo-perms", p);
    }
    g.echo("echo-big", big(9));
}

fn spilled_results_and_guest_side_functions_typed(lang: Lang) {
    let mut g = Guest::new(lang);
    let make_big = g.func::<(u32,), (Big,)>("make-big");
    assert_eq!(make_big.call(&mut g.store, (3,)).unwrap().0, big(3));
    let concat = g.func::<(Vec<String>,), (String,)>("concat");
    assert_eq!(
        concat
            .call(&mut g.store, (vec!["ab".into(), "cd".into()],))
            .unwrap()
            .0,
        "abcd"
    );
    let sum = g.func::<(Vec<u32>,), (u64,)>("sum");
    assert_eq!(
        sum.call(&mut g.store, (vec![u32::MAX, u32::MAX],))
            .unwrap()
            .0,
        2 * u64::from(u32::MAX)
    );
    let count = g.func::<(Perms,), (u32,)>("count-perms");
    assert_eq!(count.call(&mut g.store, (Perms::all(),)).unwrap().0, 12);
    let ping = g.func::<(), ()>("ping");
    ping.call(&mut g.store, ()).unwrap();
    let pings = g.func::<(), (u32,)>("pings");
    assert_eq!(pings.call(&mut g.store, ()).unwrap().0, 1);
}

fn mistyped_typed_functions_are_refused(lang: Lang) {
    let mut g = Guest::new(lang);
    let f = g
        .instance
        .get_func_at(&mut g.store, &[GUEST, "echo-mixed"])
        .unwrap();
    let err = TypedFunc::<(Value,), (Value,)>::new(f)
        .err()
        .expect("a record is not a variant");
    assert!(format!("{err:#}").contains("type mismatch"), "{err:#}");
}
