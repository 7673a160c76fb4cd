//! Linking: names, versions, kinds, shadowing and pre-instantiation.

use tether::{Component, Engine, Linker, Store, Val};

const IMPORTS_VERSIONED: &str = r#"(component
  (import "wasi:io/streams@0.2.6" (instance $s
    (export "answer" (func (result u32)))))
  (alias export $s "answer" (func $answer))
  (core func $a (canon lower (func $answer)))
  (core module $m
    (import "" "answer" (func $answer (result i32)))
    (func (export "run") (result i32) (call $answer)))
  (core instance $i (instantiate $m (with "" (instance (export "answer" (func $a))))))
  (func (export "run") (result u32) (canon lift (core func $i "run"))))"#;

fn run(linker: &Linker<()>, engine: &Engine) -> anyhow::Result<u32> {
    let component = Component::new(engine, IMPORTS_VERSIONED)?;
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &component)?;
    let f = instance.get_typed_func::<(), (u32,)>(&mut store, "run")?;
    Ok(f.call(&mut store, ())?.0)
}

#[test]
fn newer_compatible_version_satisfies_an_import() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .instance("wasi:io/streams@0.2.12")
        .unwrap()
        .func_wrap("answer", |_, (): ()| Ok((12u32,)))
        .unwrap();
    assert_eq!(run(&linker, &engine).unwrap(), 12);
}

#[test]
fn highest_compatible_version_wins_and_incompatible_ones_do_not_count() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .instance("wasi:io/streams@0.2.3")
        .unwrap()
        .func_wrap("answer", |_, (): ()| Ok((3u32,)))
        .unwrap();
    linker
        .instance("wasi:io/streams@0.2.9")
        .unwrap()
        .func_wrap("answer", |_, (): ()| Ok((9u32,)))
        .unwrap();
    linker
        .instance("wasi:io/streams@0.3.0")
        .unwrap()
        .func_wrap("answer", |_, (): ()| Ok((30u32,)))
        .unwrap();
    assert_eq!(run(&linker, &engine).unwrap(), 9);

    let mut only_incompatible = Linker::<()>::new(&engine);
    only_incompatible
        .instance("wasi:io/streams@0.3.0")
        .unwrap()
        .func_wrap("answer", |_, (): ()| Ok((30u32,)))
        .unwrap();
    let err = run(&only_incompatible, &engine).unwrap_err();
    assert!(format!("{err:#}").contains("was not found"), "{err:#}");
}

#[test]
fn defining_a_name_twice_is_an_error_unless_shadowing_is_allowed() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.root().func_new("f", |_, _, _| Ok(())).unwrap();
    let err = linker.root().func_new("f", |_, _, _| Ok(())).unwrap_err();
    assert!(err.to_string().contains("already defined"), "{err}");
    linker.allow_shadowing(true);
    linker.root().func_new("f", |_, _, _| Ok(())).unwrap();
}

#[test]
fn instance_pre_links_once_and_instantiates_many_times() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .instance("wasi:io/streams@0.2.12")
        .unwrap()
        .func_wrap("answer", |_, (): ()| Ok((7u32,)))
        .unwrap();
    let component = Component::new(&engine, IMPORTS_VERSIONED).unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    for _ in 0..3 {
        let mut store = Store::new(&engine, ());
        let instance = pre.instantiate(&mut store).unwrap();
        let f = instance.get_func(&mut store, "run").unwrap();
        let mut out = [Val::U32(0)];
        f.call(&mut store, &[], &mut out).unwrap();
        assert_eq!(out[0], Val::U32(7));
    }
}

#[test]
fn store_and_compiled_items_are_send() {
    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<Store<()>>();
    assert_send_sync::<Engine>();
    assert_send_sync::<Component>();
    assert_send_sync::<Linker<()>>();
}

/// An async `canon lift` takes a place in the function index space like any other: an
/// export of the function after it is not mistaken for the import before it, and calling it
/// runs its own core function (the index
/// spaces are modelled once, in translation; a second model that skipped unsupported
/// functions refused this component as re-exporting its import).
#[test]
fn an_async_lift_counts_in_the_function_index_space() {
    let engine = Engine::default();
    let component = Component::new(
        &engine,
        r#"(component
            (core module $m
              (func (export "a") (result i32) i32.const 0)
              (func (export "cb") (param i32 i32 i32) (result i32) i32.const 0)
              (func (export "b") (result i32) i32.const 7))
            (core instance $i (instantiate $m))
            (func $async async (result u32)
              (canon lift (core func $i "a") async (callback (core func $i "cb"))))
            (import "f" (func $f (result u32)))
            (func $b (result u32) (canon lift (core func $i "b")))
            (export "async" (func $async))
            (export "b" (func $b)))"#,
    )
    .expect("the export of the async lift is not the import");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_wrap("f", |_, (): ()| Ok((1u32,)))
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let b = instance
        .get_typed_func::<(), (u32,)>(&mut store, "b")
        .unwrap();
    assert_eq!(b.call(&mut store, ()).unwrap(), (7,));
    let err = instance
        .get_func(&mut store, "async")
        .unwrap()
        .call(&mut store, &[], &mut [tether::Val::U32(0)])
        .unwrap_err();
    // The async function runs its own core function, which returns `EXIT` without calling
    // `task.return`.
    assert_eq!(
        err.downcast_ref::<tether::Trap>(),
        Some(&tether::Trap::Task(tether::TaskRule::NoResult)),
        "{err:#}"
    );
}

/// A module the component defines has its imports found by position, worked out when the
/// component was compiled; a module it imports has them found by name at instantiation.
/// Both link the same core instances, instantiation after instantiation.
#[test]
fn core_imports_of_defined_and_imported_modules_link_alike() {
    let engine = Engine::default();
    let wat = |module_def: &str| {
        format!(
            r#"(component
                {module_def}
                (core module $lib
                  (func (export "seven") (result i32) i32.const 7)
                  (func (export "other") (result i32) i32.const 1))
                (core instance $lib (instantiate $lib))
                (core instance $bag (export "six" (func $lib "seven")))
                (core instance $user (instantiate $user
                  (with "lib" (instance $lib))
                  (with "bag" (instance $bag))))
                (func (export "sum") (result u32) (canon lift (core func $user "sum"))))"#
        )
    };
    let user = r#"(core module $user
          (import "lib" "other" (func $o (result i32)))
          (import "bag" "six" (func $s (result i32)))
          (import "lib" "seven" (func $v (result i32)))
          (func (export "sum") (result i32)
            (i32.add (call $v) (i32.add (call $s) (call $o)))))"#;
    let defined = Component::new(&engine, wat(user)).unwrap();
    let user_ty = r#"(import "user" (core module $user
          (import "lib" "other" (func (result i32)))
          (import "bag" "six" (func (result i32)))
          (import "lib" "seven" (func (result i32)))
          (export "sum" (func (result i32)))))"#;
    let imported = Component::new(&engine, wat(user_ty)).unwrap();
    let module =
        tether::Module::new(&engine, user.replacen("(core module $user", "(module", 1)).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.root().module("user", &module).unwrap();
    for component in [&defined, &imported] {
        for _ in 0..2 {
            let mut store = Store::new(&engine, ());
            let instance = linker.instantiate(&mut store, component).unwrap();
            let sum = instance
                .get_typed_func::<(), (u32,)>(&mut store, "sum")
                .unwrap();
            assert_eq!(sum.call(&mut store, ()).unwrap(), (15,));
        }
    }
}
