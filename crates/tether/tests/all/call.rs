//! Calling exports and imports through the dynamic API.

use tether::{Component, Engine, Linker, Store, Val};

fn instantiate(wat: &str) -> (Store<()>, tether::Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, wat).expect("component compiles");
    let linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).expect("component instantiates");
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
    add.call(&mut store, &[Val::U32(2), Val::U32(40)], &mut results).unwrap();
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
    echo.call(&mut store, &[Val::String("héllo ⛳".into())], &mut results).unwrap();
    assert_eq!(results[0], Val::String("héllo ⛳".into()));
}
