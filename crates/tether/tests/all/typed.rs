//! Typed compound values: records, variants and enums derived with `#[derive(ComponentType)]`
//! and flags types made by `flags!`, through `TypedFunc` exports and `func_wrap` imports.

use tether::{Component, ComponentType, Engine, Linker, Store, StoreContextMut, Type, Val};

#[derive(ComponentType, Debug, Clone, PartialEq)]
struct Response {
    status_code: u16,
    body: String,
}

#[derive(ComponentType, Debug, Clone, Copy, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(ComponentType, Debug, Clone, PartialEq)]
struct Doc {
    title: String,
    origin: Point,
    tags: Vec<String>,
    path: Vec<Point>,
    note: Option<String>,
    #[component(name = "limit")]
    max_len: Option<u32>,
}

#[derive(ComponentType, Debug, Clone, PartialEq)]
enum Shape {
    Circle(f64),
    Rect(Point),
    Empty,
    Label(String),
}

#[derive(ComponentType, Debug, Clone, Copy, PartialEq)]
enum Color {
    Red,
    Green,
    DarkBlue,
}

tether::flags! {
    /// Three labels: one byte.
    Perms {
        const READ = "read";
        const WRITE = "write";
        const EXEC = "exec";
    }

    /// Twelve labels: two bytes.
    Months {
        const JAN; const FEB; const MAR; const APR; const MAY; const JUN;
        const JUL; const AUG; const SEP; const OCT; const NOV; const DEC;
    }
}

/// The core module every component here gets its memory and `realloc` from: a bump
/// allocator from 1024 on, the first 1024 bytes being room for results.
const LIBC: &str = r#"
  (core module $libc
    (memory (export "mem") 2)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $r) (local.get 3)))
      (local.get $r)))
  (core instance $libc (instantiate $libc))"#;

/// The WIT types of this file, defined as `$name'` and exported or imported (by `verb`) as
/// `$name`.
fn types(verb: &str) -> String {
    let defs = [
        ("point", r#"(record (field "x" s32) (field "y" s32))"#),
        (
            "response",
            r#"(record (field "status-code" u16) (field "body" string))"#,
        ),
        (
            "doc",
            r#"(record (field "title" string) (field "origin" $point) (field "tags" (list string))
                (field "path" (list $point)) (field "note" (option string)) (field "limit" (option u32)))"#,
        ),
        (
            "shape",
            r#"(variant (case "circle" f64) (case "rect" $point) (case "empty") (case "label" string))"#,
        ),
        ("color", r#"(enum "red" "green" "dark-blue")"#),
        ("perms", r#"(flags "read" "write" "exec")"#),
        (
            "months",
            r#"(flags "jan" "feb" "mar" "apr" "may" "jun" "jul" "aug" "sep" "oct" "nov" "dec")"#,
        ),
    ];
    let mut out = String::new();
    for (name, def) in defs {
        out.push_str(&format!("\n  (type ${name}' {def})"));
        match verb {
            "export" => out.push_str(&format!("\n  (export ${name} \"{name}\" (type ${name}'))")),
            _ => out.push_str(&format!(
                "\n  (import \"{name}\" (type ${name} (eq ${name}')))"
            )),
        }
    }
    out
}

const OPTS: &str = r#"(memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))"#;

/// A component whose exports echo their argument, each core function writing the flat
/// parameters back out in the memory layout of the result.
fn echo_component() -> String {
    let types = types("export");
    format!(
        r#"(component {LIBC} {types}
  (core module $m
    (import "libc" "mem" (memory 1))
    ;; response: status-code @0, body @4
    (func (export "echo-response") (param i32 i32 i32) (result i32)
      (i32.store16 (i32.const 0) (local.get 0))
      (i32.store (i32.const 4) (local.get 1))
      (i32.store (i32.const 8) (local.get 2))
      (i32.const 0))
    ;; doc: title @0, origin @8, tags @16, path @24, note @32 (payload @36), limit @44 (payload @48)
    (func (export "echo-doc") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
      (i32.store (i32.const 0) (local.get 0))
      (i32.store (i32.const 4) (local.get 1))
      (i32.store (i32.const 8) (local.get 2))
      (i32.store (i32.const 12) (local.get 3))
      (i32.store (i32.const 16) (local.get 4))
      (i32.store (i32.const 20) (local.get 5))
      (i32.store (i32.const 24) (local.get 6))
      (i32.store (i32.const 28) (local.get 7))
      (i32.store8 (i32.const 32) (local.get 8))
      (i32.store (i32.const 36) (local.get 9))
      (i32.store (i32.const 40) (local.get 10))
      (i32.store8 (i32.const 44) (local.get 11))
      (i32.store (i32.const 48) (local.get 12))
      (i32.const 0))
    ;; shape: case @0, payload @8; flat (case, i64 joined, i32)
    (func (export "echo-shape") (param i32 i64 i32) (result i32)
      (i32.store8 (i32.const 0) (local.get 0))
      (i64.store (i32.const 8) (local.get 1))
      (if (i32.ne (local.get 0) (i32.const 0))
        (then (i32.store (i32.const 12) (local.get 2))))
      (i32.const 0))
    (func (export "id") (param i32) (result i32) (local.get 0)))
  (core instance $i (instantiate $m (with "libc" (instance $libc))))
  (func (export "echo-response") (param "x" $response) (result $response)
    (canon lift (core func $i "echo-response") {OPTS}))
  (func (export "echo-doc") (param "x" $doc) (result $doc)
    (canon lift (core func $i "echo-doc") {OPTS}))
  (func (export "echo-shape") (param "x" $shape) (result $shape)
    (canon lift (core func $i "echo-shape") {OPTS}))
  (func (export "echo-color") (param "x" $color) (result $color)
    (canon lift (core func $i "id")))
  (func (export "echo-perms") (param "x" $perms) (result $perms)
    (canon lift (core func $i "id")))
  (func (export "echo-months") (param "x" $months) (result $months)
    (canon lift (core func $i "id"))))"#
    )
}

/// A component importing a host function for each type and exporting `run-*` functions that
/// pass their argument to it and return what it returns.
fn via_host_component() -> String {
    let types = types("import");
    format!(
        r#"(component {types}
  (import "edit-response" (func $edit-response (param "x" $response) (result $response)))
  (import "edit-doc" (func $edit-doc (param "x" $doc) (result $doc)))
  (import "edit-shape" (func $edit-shape (param "x" $shape) (result $shape)))
  (import "mix" (func $mix (param "c" $color) (param "p" $perms) (param "m" $months) (result $color)))
  (import "grant" (func $grant (param "p" $perms) (result $perms)))
  {LIBC}
  (core func $edit-response (canon lower (func $edit-response) {OPTS}))
  (core func $edit-doc (canon lower (func $edit-doc) {OPTS}))
  (core func $edit-shape (canon lower (func $edit-shape) {OPTS}))
  (core func $mix (canon lower (func $mix)))
  (core func $grant (canon lower (func $grant)))
  (core module $m
    (import "host" "edit-response" (func $edit-response (param i32 i32 i32 i32)))
    (import "host" "edit-doc" (func $edit-doc (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
    (import "host" "edit-shape" (func $edit-shape (param i32 i64 i32 i32)))
    (import "host" "mix" (func $mix (param i32 i32 i32) (result i32)))
    (import "host" "grant" (func $grant (param i32) (result i32)))
    (func (export "run-response") (param i32 i32 i32) (result i32)
      (call $edit-response (local.get 0) (local.get 1) (local.get 2) (i32.const 0))
      (i32.const 0))
    (func (export "run-doc") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
      (call $edit-doc (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
        (local.get 6) (local.get 7) (local.get 8) (local.get 9) (local.get 10) (local.get 11) (local.get 12)
        (i32.const 0))
      (i32.const 0))
    (func (export "run-shape") (param i32 i64 i32) (result i32)
      (call $edit-shape (local.get 0) (local.get 1) (local.get 2) (i32.const 0))
      (i32.const 0))
    (func (export "run-mix") (param i32 i32 i32) (result i32)
      (call $mix (local.get 0) (local.get 1) (local.get 2)))
    (func (export "run-grant") (param i32) (result i32)
      (call $grant (local.get 0))))
  (core instance $i (instantiate $m (with "host" (instance
    (export "edit-response" (func $edit-response))
    (export "edit-doc" (func $edit-doc))
    (export "edit-shape" (func $edit-shape))
    (export "mix" (func $mix))
    (export "grant" (func $grant))))))
  (func (export "run-response") (param "x" $response) (result $response)
    (canon lift (core func $i "run-response") {OPTS}))
  (func (export "run-doc") (param "x" $doc) (result $doc)
    (canon lift (core func $i "run-doc") {OPTS}))
  (func (export "run-shape") (param "x" $shape) (result $shape)
    (canon lift (core func $i "run-shape") {OPTS}))
  (func (export "run-mix") (param "c" $color) (param "p" $perms) (param "m" $months) (result $color)
    (canon lift (core func $i "run-mix")))
  (func (export "run-grant") (param "p" $perms) (result $perms)
    (canon lift (core func $i "run-grant"))))"#
    )
}

fn echo_instance() -> (Store<()>, tether::Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, echo_component()).expect("the echo component compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("it instantiates");
    (store, instance)
}

fn sample_doc() -> Doc {
    Doc {
        title: "map ⛳".into(),
        origin: Point { x: -3, y: 7 },
        tags: vec!["a".into(), "".into(), "longer tag".into()],
        path: vec![
            Point { x: 1, y: 2 },
            Point {
                x: i32::MIN,
                y: i32::MAX,
            },
        ],
        note: Some("note".into()),
        max_len: Some(99),
    }
}

#[test]
fn echo_record() {
    let (mut store, instance) = echo_instance();
    let echo = instance
        .get_typed_func::<(Response,), (Response,)>(&mut store, "echo-response")
        .unwrap();
    let r = Response {
        status_code: 404,
        body: "not found: héllo".into(),
    };
    assert_eq!(echo.call(&mut store, (r.clone(),)).unwrap(), (r,));
    let r = Response {
        status_code: u16::MAX,
        body: String::new(),
    };
    assert_eq!(echo.call(&mut store, (r.clone(),)).unwrap(), (r,));
}

#[test]
fn echo_nested_record_with_lists_and_options() {
    let (mut store, instance) = echo_instance();
    let echo = instance
        .get_typed_func::<(Doc,), (Doc,)>(&mut store, "echo-doc")
        .unwrap();
    let doc = sample_doc();
    assert_eq!(echo.call(&mut store, (doc.clone(),)).unwrap(), (doc,));
    let bare = Doc {
        title: String::new(),
        origin: Point { x: 0, y: 0 },
        tags: Vec::new(),
        path: Vec::new(),
        note: None,
        max_len: None,
    };
    assert_eq!(echo.call(&mut store, (bare.clone(),)).unwrap(), (bare,));
}

#[test]
fn echo_variant_every_case() {
    let (mut store, instance) = echo_instance();
    let echo = instance
        .get_typed_func::<(Shape,), (Shape,)>(&mut store, "echo-shape")
        .unwrap();
    for shape in [
        Shape::Circle(2.5),
        Shape::Circle(f64::MAX),
        Shape::Rect(Point { x: -1, y: 40 }),
        Shape::Empty,
        Shape::Label("label".into()),
    ] {
        assert_eq!(echo.call(&mut store, (shape.clone(),)).unwrap(), (shape,));
    }
}

#[test]
fn echo_enum() {
    let (mut store, instance) = echo_instance();
    let echo = instance
        .get_typed_func::<(Color,), (Color,)>(&mut store, "echo-color")
        .unwrap();
    for color in [Color::Red, Color::Green, Color::DarkBlue] {
        assert_eq!(echo.call(&mut store, (color,)).unwrap(), (color,));
    }
    assert_eq!(Color::DarkBlue.to_val(), Val::Enum("dark-blue".into()));
}

#[test]
fn echo_flags() {
    let (mut store, instance) = echo_instance();
    let echo = instance
        .get_typed_func::<(Perms,), (Perms,)>(&mut store, "echo-perms")
        .unwrap();
    for perms in [
        Perms::empty(),
        Perms::READ,
        Perms::WRITE | Perms::EXEC,
        Perms::all(),
    ] {
        assert_eq!(echo.call(&mut store, (perms,)).unwrap(), (perms,));
    }

    let echo = instance
        .get_typed_func::<(Months,), (Months,)>(&mut store, "echo-months")
        .unwrap();
    for months in [
        Months::empty(),
        Months::JAN | Months::DEC,
        Months::all() - Months::JUN,
        Months::all(),
    ] {
        assert_eq!(echo.call(&mut store, (months,)).unwrap(), (months,));
    }
    assert_eq!(
        (Months::FEB | Months::NOV).to_val(),
        Val::Flags(vec!["feb".into(), "nov".into()]),
        "labels are listed in declaration order",
    );
}

#[test]
fn host_functions_over_derived_types() {
    let engine = Engine::default();
    let component = Component::new(&engine, via_host_component()).expect("the component compiles");
    let mut linker = Linker::<u32>::new(&engine);
    let mut root = linker.root();
    root.func_wrap(
        "edit-response",
        |mut store: StoreContextMut<'_, u32>, (r,): (Response,)| {
            *store.data_mut() += 1;
            Ok((Response {
                status_code: r.status_code + 1,
                body: r.body.to_uppercase(),
            },))
        },
    )
    .unwrap();
    root.func_wrap("edit-doc", |_, (mut d,): (Doc,)| {
        d.tags.push(d.title.clone());
        d.path.reverse();
        d.note = d.note.map(|n| format!("{n}!"));
        d.max_len = d.max_len.map_or(Some(0), |_| None);
        Ok((d,))
    })
    .unwrap();
    root.func_wrap("edit-shape", |_, (s,): (Shape,)| {
        Ok((match s {
            Shape::Circle(r) => Shape::Circle(r * 2.0),
            Shape::Rect(p) => Shape::Rect(Point { x: p.y, y: p.x }),
            Shape::Empty => Shape::Label("was empty".into()),
            Shape::Label(_) => Shape::Empty,
        },))
    })
    .unwrap();
    root.func_wrap("mix", |_, (c, p, m): (Color, Perms, Months)| {
        Ok((if p.contains(Perms::WRITE) && m.contains(Months::DEC) {
            Color::DarkBlue
        } else if c == Color::Red {
            Color::Green
        } else {
            Color::Red
        },))
    })
    .unwrap();
    root.func_wrap("grant", |_, (p,): (Perms,)| Ok((p | Perms::READ,)))
        .unwrap();

    let mut store = Store::new(&engine, 0);
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("the host functions fit their imports");

    let run = instance
        .get_typed_func::<(Response,), (Response,)>(&mut store, "run-response")
        .unwrap();
    let out = run
        .call(
            &mut store,
            (Response {
                status_code: 199,
                body: "ok".into(),
            },),
        )
        .unwrap();
    assert_eq!(
        out,
        (Response {
            status_code: 200,
            body: "OK".into()
        },)
    );
    assert_eq!(*store.data(), 1);

    let run = instance
        .get_typed_func::<(Doc,), (Doc,)>(&mut store, "run-doc")
        .unwrap();
    let (out,) = run.call(&mut store, (sample_doc(),)).unwrap();
    let mut want = sample_doc();
    want.tags.push(want.title.clone());
    want.path.reverse();
    want.note = Some("note!".into());
    want.max_len = None;
    assert_eq!(out, want);

    let run = instance
        .get_typed_func::<(Shape,), (Shape,)>(&mut store, "run-shape")
        .unwrap();
    assert_eq!(
        run.call(&mut store, (Shape::Circle(1.25),)).unwrap(),
        (Shape::Circle(2.5),)
    );
    assert_eq!(
        run.call(&mut store, (Shape::Rect(Point { x: 1, y: 2 }),))
            .unwrap(),
        (Shape::Rect(Point { x: 2, y: 1 }),)
    );
    assert_eq!(
        run.call(&mut store, (Shape::Empty,)).unwrap(),
        (Shape::Label("was empty".into()),)
    );
    assert_eq!(
        run.call(&mut store, (Shape::Label("x".into()),)).unwrap(),
        (Shape::Empty,)
    );

    let run = instance
        .get_typed_func::<(Color, Perms, Months), (Color,)>(&mut store, "run-mix")
        .unwrap();
    assert_eq!(
        run.call(&mut store, (Color::Red, Perms::WRITE, Months::DEC))
            .unwrap(),
        (Color::DarkBlue,)
    );
    assert_eq!(
        run.call(&mut store, (Color::Red, Perms::READ, Months::all()))
            .unwrap(),
        (Color::Green,)
    );
    assert_eq!(
        run.call(
            &mut store,
            (Color::DarkBlue, Perms::empty(), Months::empty())
        )
        .unwrap(),
        (Color::Red,)
    );

    let run = instance
        .get_typed_func::<(Perms,), (Perms,)>(&mut store, "run-grant")
        .unwrap();
    assert_eq!(
        run.call(&mut store, (Perms::EXEC,)).unwrap(),
        (Perms::READ | Perms::EXEC,)
    );
}

/// The error of `get_typed_func::<(T,), (T,)>` on export `name` of the echo component.
fn typed_func_error<T: ComponentType>(name: &str) -> String {
    let (mut store, instance) = echo_instance();
    match instance.get_typed_func::<(T,), (T,)>(&mut store, name) {
        Ok(_) => panic!(
            "`{name}` accepted the wrong Rust type `{}`",
            std::any::type_name::<T>()
        ),
        Err(e) => format!("{e:#}"),
    }
}

#[track_caller]
fn assert_contains(msg: &str, want: &str) {
    assert!(
        msg.contains(want),
        "expected the error to contain {want:?}, got: {msg}"
    );
}

#[test]
fn record_with_a_wrong_field_name_is_an_error() {
    #[derive(ComponentType, Debug)]
    struct Misnamed {
        status_code: u16,
        content: String,
    }
    let msg = typed_func_error::<Misnamed>("echo-response");
    assert_contains(&msg, "exported function `echo-response` has the wrong type");
    assert_contains(&msg, "parameters do not match");
    assert_contains(
        &msg,
        "type mismatch: record field `content` of `Misnamed` is not in the component type: \
         expected `record { status-code: u16, body: string }`",
    );
}

#[test]
fn record_with_fields_in_the_wrong_order_is_an_error() {
    #[derive(ComponentType, Debug)]
    struct Swapped {
        body: String,
        status_code: u16,
    }
    let msg = typed_func_error::<Swapped>("echo-response");
    assert_contains(
        &msg,
        "type mismatch: the record fields of `Swapped` are in a different order: \
         expected `status-code`, `body`, found `body`, `status-code`",
    );
}

#[test]
fn record_with_a_missing_field_is_an_error() {
    #[derive(ComponentType, Debug)]
    struct Short {
        status_code: u16,
    }
    let msg = typed_func_error::<Short>("echo-response");
    assert_contains(
        &msg,
        "type mismatch: record field `body` is missing from Rust type `Short`",
    );
}

#[test]
fn record_field_of_the_wrong_type_is_an_error() {
    #[derive(ComponentType, Debug)]
    struct Wide {
        status_code: u32,
        body: String,
    }
    let msg = typed_func_error::<Wide>("echo-response");
    assert_contains(
        &msg,
        "type mismatch: record field `status-code` of `Wide`: expected `u16`, found Rust type `u32`",
    );

    // Nested members name the whole path.
    #[derive(ComponentType, Debug)]
    struct BadPoint {
        x: i32,
        y: u8,
    }
    #[derive(ComponentType, Debug)]
    struct BadDoc {
        title: String,
        origin: Point,
        tags: Vec<String>,
        path: Vec<BadPoint>,
        note: Option<String>,
        limit: Option<u32>,
    }
    let msg = typed_func_error::<BadDoc>("echo-doc");
    assert_contains(
        &msg,
        "type mismatch: record field `path` of `BadDoc`: record field `y` of `BadPoint`: \
         expected `s32`, found Rust type `u8`",
    );
}

#[test]
fn variant_with_the_wrong_cases_is_an_error() {
    #[derive(ComponentType, Debug)]
    enum NoLabel {
        Circle(f64),
        Rect(Point),
        Empty,
    }
    let msg = typed_func_error::<NoLabel>("echo-shape");
    assert_contains(
        &msg,
        "type mismatch: variant case `label` is missing from Rust type `NoLabel`",
    );

    #[derive(ComponentType, Debug)]
    enum Extra {
        Circle(f64),
        Rect(Point),
        Empty,
        Label(String),
        Triangle(f64),
    }
    let msg = typed_func_error::<Extra>("echo-shape");
    assert_contains(
        &msg,
        "type mismatch: variant case `triangle` of `Extra` is not in the component type",
    );

    #[derive(ComponentType, Debug)]
    enum Reordered {
        Rect(Point),
        Circle(f64),
        Empty,
        Label(String),
    }
    let msg = typed_func_error::<Reordered>("echo-shape");
    assert_contains(
        &msg,
        "the variant cases of `Reordered` are in a different order",
    );
}

#[test]
fn variant_with_the_wrong_payloads_is_an_error() {
    #[derive(ComponentType, Debug)]
    enum PayloadOnEmpty {
        Circle(f64),
        Rect(Point),
        Empty(u32),
        Label(String),
    }
    let msg = typed_func_error::<PayloadOnEmpty>("echo-shape");
    assert_contains(
        &msg,
        "type mismatch: variant case `empty` of `PayloadOnEmpty`: expected no payload, found Rust type `u32`",
    );

    #[derive(ComponentType, Debug)]
    enum NoRadius {
        Circle,
        Rect(Point),
        Empty,
        Label(String),
    }
    let msg = typed_func_error::<NoRadius>("echo-shape");
    assert_contains(
        &msg,
        "type mismatch: variant case `circle` of `NoRadius`: expected a payload of type `f64`, found none",
    );

    #[derive(ComponentType, Debug)]
    enum F32Circle {
        Circle(f32),
        Rect(Point),
        Empty,
        Label(String),
    }
    let msg = typed_func_error::<F32Circle>("echo-shape");
    assert_contains(
        &msg,
        "type mismatch: variant case `circle` of `F32Circle`: expected `f64`, found Rust type `f32`",
    );
}

#[test]
fn enum_with_the_wrong_cases_is_an_error() {
    #[derive(ComponentType, Debug)]
    enum Rgb {
        Red,
        Green,
        Blue,
    }
    let msg = typed_func_error::<Rgb>("echo-color");
    assert_contains(
        &msg,
        "type mismatch: enum case `blue` of `Rgb` is not in the component type: \
         expected `enum { red, green, dark-blue }`",
    );

    // A Rust enum of unit variants is a WIT enum, not a variant, unless it says so.
    #[derive(ComponentType, Debug)]
    enum NotAVariant {
        Circle,
        Rect,
        Empty,
        Label,
    }
    let msg = typed_func_error::<NotAVariant>("echo-shape");
    assert_contains(
        &msg,
        "found Rust type `NotAVariant` (a Rust enum of unit variants stands for a WIT `enum`",
    );

    // And a WIT enum is no record.
    let msg = typed_func_error::<Response>("echo-color");
    assert_contains(
        &msg,
        "type mismatch: expected `enum { red, green, dark-blue }`, found Rust type `Response`",
    );
}

#[test]
fn flags_with_the_wrong_labels_are_an_error() {
    tether::flags! {
        WrongPerms { const READ; const WRITE; const RUN; }
        ShuffledPerms { const WRITE; const READ; const EXEC; }
        FewerPerms { const READ; const WRITE; }
    }
    let msg = typed_func_error::<WrongPerms>("echo-perms");
    assert_contains(
        &msg,
        "type mismatch: flag `run` of `WrongPerms` is not in the component type: \
         expected `flags { read, write, exec }`",
    );
    let msg = typed_func_error::<ShuffledPerms>("echo-perms");
    assert_contains(
        &msg,
        "type mismatch: the flags of `ShuffledPerms` are in a different order: \
         expected `read`, `write`, `exec`, found `write`, `read`, `exec`",
    );
    let msg = typed_func_error::<FewerPerms>("echo-perms");
    assert_contains(
        &msg,
        "type mismatch: flag `exec` is missing from Rust type `FewerPerms`",
    );
    let msg = typed_func_error::<Perms>("echo-months");
    assert_contains(
        &msg,
        "type mismatch: flag `read` of `Perms` is not in the component type",
    );
}

#[test]
fn mistyped_host_function_fails_instantiation() {
    #[derive(ComponentType, Debug)]
    enum Rgb {
        Red,
        Green,
        Blue,
    }
    tether::flags! {
        Rw { const READ; const WRITE; }
    }
    let engine = Engine::default();
    let component = Component::new(&engine, via_host_component()).unwrap();
    let instantiate = |mix_colors: bool| {
        let mut linker = Linker::<()>::new(&engine);
        let mut root = linker.root();
        root.func_wrap("edit-response", |_, r: (Response,)| Ok(r))
            .unwrap();
        root.func_wrap("edit-doc", |_, d: (Doc,)| Ok(d)).unwrap();
        root.func_wrap("edit-shape", |_, s: (Shape,)| Ok(s))
            .unwrap();
        if mix_colors {
            root.func_wrap("mix", |_, (_, _, _): (Rgb, Perms, Months)| {
                Ok((Color::Red,))
            })
            .unwrap();
            root.func_wrap("grant", |_, p: (Perms,)| Ok(p)).unwrap();
        } else {
            root.func_wrap("mix", |_, (c, _, _): (Color, Perms, Months)| Ok((c,)))
                .unwrap();
            root.func_wrap("grant", |_, (_,): (Perms,)| Ok((Rw::READ,)))
                .unwrap();
        }
        let mut store = Store::new(&engine, ());
        match linker.instantiate(&mut store, &component) {
            Ok(_) => panic!("a mistyped host function was accepted"),
            Err(e) => format!("{e:#}"),
        }
    };
    let msg = instantiate(true);
    assert_contains(&msg, "mix");
    assert_contains(
        &msg,
        "type mismatch: enum case `blue` of `Rgb` is not in the component type",
    );
    let msg = instantiate(false);
    assert_contains(&msg, "grant");
    assert_contains(&msg, "results do not match");
    assert_contains(
        &msg,
        "type mismatch: flag `exec` is missing from Rust type `Rw`",
    );
}

#[test]
fn values_convert_both_ways() {
    let doc = sample_doc();
    let val = doc.to_val();
    let Val::Record(fields) = &val else {
        panic!("not a record: {val:?}")
    };
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["title", "origin", "tags", "path", "note", "limit"]);
    assert_eq!(Doc::from_val(val).unwrap(), doc);

    assert_eq!(Shape::Empty.to_val(), Val::Variant("empty".into(), None));
    assert_eq!(
        Shape::from_val(Val::Variant(
            "circle".into(),
            Some(Box::new(Val::Float64(1.0)))
        ))
        .unwrap(),
        Shape::Circle(1.0)
    );
    assert_eq!(
        Color::from_val(Val::Enum("green".into())).unwrap(),
        Color::Green
    );
    assert_eq!(
        Perms::from_val(Val::Flags(vec!["exec".into(), "read".into()])).unwrap(),
        Perms::READ | Perms::EXEC
    );

    // Values that do not fit say why.
    let err = Color::from_val(Val::Enum("blue".into())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "type mismatch: `Color` has no enum case `blue`"
    );
    let err = Perms::from_val(Val::Flags(vec!["sudo".into()])).unwrap_err();
    assert_eq!(err.to_string(), "type mismatch: `Perms` has no flag `sudo`");
    let err =
        Shape::from_val(Val::Variant("empty".into(), Some(Box::new(Val::U32(1))))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "type mismatch: `Shape` has no variant case with payload `empty`"
    );
    let err = Response::from_val(Val::Record(vec![("status".into(), Val::U16(1))])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "type mismatch: expected record field `status-code` of `Response`, found field `status`"
    );
    let err = Response::from_val(Val::Record(vec![
        ("status-code".into(), Val::String("x".into())),
        ("body".into(), Val::String("x".into())),
    ]))
    .unwrap_err();
    assert_contains(
        &err.to_string(),
        "type mismatch: record field `status-code` of `Response`:",
    );
    let err = Response::from_val(Val::U32(3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "type mismatch: expected a record value for `Response`, found U32(3)"
    );
}

#[test]
fn names_attributes_and_generics() {
    #[derive(ComponentType, Debug, PartialEq)]
    struct Entry {
        r#type: String,
        #[component(name = "ID")]
        id: u64,
        field_2: bool,
    }
    let ty = Type::record(vec![
        ("type".into(), Type::String),
        ("ID".into(), Type::U64),
        ("field-2".into(), Type::Bool),
    ]);
    Entry::typecheck(&ty).unwrap();

    #[derive(ComponentType, Debug, PartialEq)]
    #[component(variant)]
    enum Unit {
        #[component(name = "first-one")]
        First,
        HTTPError,
    }
    let ty = Type::variant(vec![
        ("first-one".into(), None),
        ("http-error".into(), None),
    ]);
    Unit::typecheck(&ty).unwrap();
    assert_eq!(
        Unit::HTTPError.to_val(),
        Val::Variant("http-error".into(), None)
    );
    assert!(Unit::typecheck(&Type::enum_(vec!["first-one".into(), "http-error".into()])).is_err());

    #[derive(ComponentType, Debug, PartialEq)]
    #[component(crate = ::tether)]
    struct Pair<T> {
        first: T,
        second: T,
    }
    let ty = Type::record(vec![
        ("first".into(), Type::U8),
        ("second".into(), Type::U8),
    ]);
    Pair::<u8>::typecheck(&ty).unwrap();
    let msg = Pair::<u16>::typecheck(&ty).unwrap_err().to_string();
    assert_eq!(
        msg,
        "type mismatch: record field `first` of `Pair`: expected `u8`, found Rust type `u16`"
    );
    assert_eq!(
        Pair::<u8>::from_val(
            Pair {
                first: 1u8,
                second: 2
            }
            .to_val()
        )
        .unwrap(),
        Pair {
            first: 1,
            second: 2
        }
    );

    #[derive(ComponentType, Debug, PartialEq)]
    #[component(crate = "tether")]
    enum Wrapped<T> {
        Some(Vec<T>),
        Nothing,
    }
    let ty = Type::variant(vec![
        ("some".into(), Some(Type::list(Type::Char))),
        ("nothing".into(), None),
    ]);
    Wrapped::<char>::typecheck(&ty).unwrap();
    let v = Wrapped::Some(vec!['a', 'b']);
    assert_eq!(Wrapped::<char>::from_val(v.to_val()).unwrap(), v);
}

#[test]
fn flags_operations() {
    let rw = Perms::READ | Perms::WRITE;
    assert!(rw.contains(Perms::READ) && rw.contains(Perms::WRITE) && !rw.contains(Perms::EXEC));
    assert!(rw.intersects(Perms::READ | Perms::EXEC));
    assert_eq!(rw & Perms::WRITE, Perms::WRITE);
    assert_eq!(rw ^ Perms::all(), Perms::EXEC);
    assert_eq!(!rw, Perms::EXEC);
    assert_eq!(Perms::all() - Perms::READ, Perms::WRITE | Perms::EXEC);
    assert_eq!(Perms::default(), Perms::empty());
    assert!(Perms::empty().is_empty() && Perms::all().is_all());
    assert_eq!(Perms::all().bits(), 0b111);
    assert_eq!(Perms::from_bits(0b101), Some(Perms::READ | Perms::EXEC));
    assert_eq!(Perms::from_bits(0b1000), None);
    assert_eq!(Perms::from_bits_truncate(0b1010), Perms::WRITE);
    assert_eq!(Months::all().bits(), 0xfff);

    let mut p = Perms::empty();
    p |= Perms::EXEC;
    p.insert(Perms::READ);
    p.set(Perms::WRITE, true);
    p.remove(Perms::READ);
    p.toggle(Perms::EXEC);
    assert_eq!(p, Perms::WRITE);
    p &= Perms::READ;
    assert!(p.is_empty());
    let collected: Perms = [Perms::READ, Perms::EXEC].into_iter().collect();
    assert_eq!(collected, Perms::READ | Perms::EXEC);

    assert_eq!(
        format!("{:?}", Perms::READ | Perms::EXEC),
        "Perms(READ | EXEC)"
    );
    assert_eq!(format!("{:?}", Perms::empty()), "Perms(empty)");
    assert_eq!(
        (Months::MAR | Months::OCT).labels().collect::<Vec<_>>(),
        ["mar", "oct"]
    );
    Months::typecheck(&Type::flags(
        [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ]
        .map(String::from)
        .to_vec(),
    ))
    .unwrap();
}

#[test]
fn flags_with_thirty_two_labels() {
    tether::flags! {
        pub(crate) struct Wide {
            const F0; const F1; const F2; const F3; const F4; const F5; const F6; const F7;
            const F8; const F9; const F10; const F11; const F12; const F13; const F14; const F15;
            const F16; const F17; const F18; const F19; const F20; const F21; const F22; const F23;
            const F24; const F25; const F26; const F27; const F28; const F29; const F30; const F31;
        }
    }
    assert_eq!(Wide::all().bits(), u32::MAX);
    assert_eq!(!Wide::F31, Wide::from_bits(u32::MAX >> 1).unwrap());
    let ty = Type::flags((0..32).map(|i| format!("f{i}")).collect());
    Wide::typecheck(&ty).unwrap();
    let v = (Wide::F0 | Wide::F31).to_val();
    assert_eq!(v, Val::Flags(vec!["f0".into(), "f31".into()]));
    assert_eq!(Wide::from_val(v).unwrap(), Wide::F0 | Wide::F31);
}
