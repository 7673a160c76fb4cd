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
