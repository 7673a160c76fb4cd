//! Calling exports and imports through the dynamic API.

use tether::{Component, Engine, Linker, Store, Val};

fn instantiate(wat: &str) -> (Store<()>, tether::Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, wat).expect("component compiles");
    let linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("component instantiates");
    (store, instance)
}

#[test]
fn add_two_numbers() {
    let (mut store, instance) = instantiate(
        r#"(component
          (core module $m
            (func (export "add") (param i32 i32) (result i32)
              (i32.add (local.get 0) (local.get 1))))
          (core instance $i (instantiate $m))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32)
            (canon lift (core func $i "add"))))"#,
    );
    let add = instance.get_func(&mut store, "add").unwrap();
    let mut results = [Val::U32(0)];
    add.call(&mut store, &[Val::U32(2), Val::U32(40)], &mut results)
        .unwrap();
    assert_eq!(results[0], Val::U32(42));
}

#[test]
fn strings_round_trip_between_components_with_different_encodings() {
    let (mut store, instance) = instantiate(
        r#"(component
          (component $callee
            (core module $m
              (memory (export "mem") 1)
              (global $bump (mut i32) (i32.const 1024))
              (func (export "realloc") (param i32 i32 i32 i32) (result i32)
                (local $r i32)
                ;; shrinking keeps the block where it is
                (if (i32.and (i32.ne (local.get 0) (i32.const 0)) (i32.le_u (local.get 3) (local.get 1)))
                  (then (return (local.get 0))))
                (local.set $r (global.get $bump))
                (global.set $bump (i32.add (global.get $bump) (local.get 3)))
                (local.get $r))
              (func (export "echo") (param i32 i32) (result i32)
                (i32.store (i32.const 0) (local.get 0))
                (i32.store (i32.const 4) (local.get 1))
                (i32.const 0)))
            (core instance $i (instantiate $m))
            (func (export "echo") (param "s" string) (result string)
              (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc")) string-encoding=utf16)))
          (instance $c (instantiate $callee))
          (func (export "echo") (alias export $c "echo")))"#,
    );
    let echo = instance.get_func(&mut store, "echo").unwrap();
    let mut results = [Val::Bool(false)];
    echo.call(&mut store, &[Val::String("héllo ⛳".into())], &mut results)
        .unwrap();
    assert_eq!(results[0], Val::String("héllo ⛳".into()));
}

const DOUBLE_VIA_HOST: &str = r#"(component
  (import "double" (func $double (param "x" u32) (result u32)))
  (core func $d (canon lower (func $double)))
  (core module $m
    (import "" "double" (func $double (param i32) (result i32)))
    (func (export "run") (param i32) (result i32) (call $double (local.get 0))))
  (core instance $i (instantiate $m (with "" (instance (export "double" (func $d))))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run"))))"#;

#[test]
fn typed_host_function_and_typed_export() {
    let engine = Engine::default();
    let component = Component::new(&engine, DOUBLE_VIA_HOST).unwrap();
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .root()
        .func_wrap(
            "double",
            |mut store: tether::StoreContextMut<'_, u32>, (x,): (u32,)| {
                *store.data_mut() += 1;
                Ok((x.wrapping_mul(2),))
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, 0);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let run = instance
        .get_typed_func::<(u32,), (u32,)>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, (21,)).unwrap(), (42,));
    assert_eq!(run.call(&mut store, (u32::MAX,)).unwrap(), (u32::MAX - 1,));
    assert_eq!(*store.data(), 2);
}

#[test]
fn typed_function_with_the_wrong_rust_types_is_an_error() {
    let engine = Engine::default();
    let component = Component::new(&engine, DOUBLE_VIA_HOST).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_wrap("double", |_store, (x,): (String,)| Ok((x,)))
        .unwrap();
    let mut store = Store::new(&engine, ());
    let err = linker
        .instantiate(&mut store, &component)
        .err()
        .expect("mistyped host function");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("double") && msg.contains("type mismatch"),
        "{msg}"
    );
}

#[test]
fn host_function_calling_back_into_its_caller_traps() {
    let engine = Engine::default();
    let component = Component::new(&engine, DOUBLE_VIA_HOST).unwrap();
    let mut linker = Linker::<Option<tether::Func>>::new(&engine);
    linker
        .root()
        .func_new("double", |mut store, params, results| {
            let f = store.data().clone().expect("set before the call");
            f.call(&mut store, params, results)
        })
        .unwrap();
    let mut store = Store::new(&engine, None);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let run = instance.get_func(&mut store, "run").unwrap();
    *store.data_mut() = Some(run.clone());
    let mut results = [Val::U32(0)];
    let err = run
        .call(&mut store, &[Val::U32(1)], &mut results)
        .unwrap_err();
    assert!(
        matches!(crate::trap_of(&err), Some(tether::Trap::CannotEnter)),
        "{err:#}"
    );
    // The instance trapped, so it stays closed.
    let err = run
        .call(&mut store, &[Val::U32(1)], &mut results)
        .unwrap_err();
    assert!(
        matches!(crate::trap_of(&err), Some(tether::Trap::Poisoned { .. })),
        "{err:#}"
    );
}

#[test]
fn a_function_called_with_another_store_is_an_error() {
    let wat = r#"(component
      (core module $m
        (memory (export "memory") 1)
        (func (export "len") (param i32 i32) (result i32) (local.get 1))
        (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8)))
      (core instance $i (instantiate $m))
      (func (export "len") (param "s" string) (result u32)
        (canon lift (core func $i "len") (memory (core memory $i "memory"))
          (realloc (core func $i "realloc")))))"#;
    let (mut one, instance) = instantiate(wat);
    let (mut two, _) = instantiate(wat);
    let len = instance.get_func(&mut one, "len").unwrap();
    let args = [Val::String("four".into())];
    let mut results = [Val::U32(0)];
    // A store that holds no instance, and one that holds another instance of the component.
    let mut empty = Store::new(&Engine::default(), ());
    for store in [&mut two, &mut empty] {
        let err = len.call(&mut *store, &args, &mut results).unwrap_err();
        assert!(format!("{err:#}").contains("another store"), "{err:#}");
        let typed = tether::TypedFunc::<(String,), (u32,)>::new(len.clone()).unwrap();
        let err = typed.call(&mut *store, ("four".into(),)).unwrap_err();
        assert!(format!("{err:#}").contains("another store"), "{err:#}");
    }
    len.call(&mut one, &args, &mut results).unwrap();
    assert_eq!(results, [Val::U32(4)]);
}
