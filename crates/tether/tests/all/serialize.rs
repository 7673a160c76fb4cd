//! Serializing compiled components and loading them back.

use tether::{Component, Engine, Linker, Store, Val};

const NESTED: &str = r#"(component
  (core module $a (func (export "one") (result i32) (i32.const 1)))
  (component $inner
    (core module $b (func (export "two") (result i32) (i32.const 2)))
    (core instance $b (instantiate $b))
    (func (export "two") (result u32) (canon lift (core func $b "two"))))
  (instance $inner (instantiate $inner))
  (core module $c (func (export "three") (result i32) (i32.const 3)))
  (core instance $a (instantiate $a))
  (core instance $c (instantiate $c))
  (func (export "one") (result u32) (canon lift (core func $a "one")))
  (func (export "two") (alias export $inner "two"))
  (func (export "three") (result u32) (canon lift (core func $c "three"))))"#;

fn call_all(engine: &Engine, component: &Component) -> Vec<Val> {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, component)
        .unwrap();
    ["one", "two", "three"]
        .iter()
        .map(|name| {
            let f = instance.get_func(&mut store, name).unwrap();
            let mut out = [Val::U32(0)];
            f.call(&mut store, &[], &mut out).unwrap();
            out[0].clone()
        })
        .collect()
}

#[test]
fn round_trip_keeps_behaviour_and_module_order() {
    let engine = Engine::default();
    let component = Component::new(&engine, NESTED).unwrap();
    let bytes = component.serialize().unwrap();
    // SAFETY: the bytes come from `serialize` with the same engine.
    let again = unsafe { Component::deserialize(&engine, &bytes) }.unwrap();
    assert_eq!(
        call_all(&engine, &again),
        vec![Val::U32(1), Val::U32(2), Val::U32(3)]
    );
}

#[test]
fn damaged_framing_is_an_error() {
    let engine = Engine::default();
    let bytes = Component::new(&engine, NESTED)
        .unwrap()
        .serialize()
        .unwrap();
    for bad in [
        &b""[..],
        &bytes[..4],
        &bytes[..20],
        &bytes[..bytes.len() - 1],
        b"TETHERC1\xff\xff\xff\xff\xff\xff\xff\xff",
    ] {
        // SAFETY: framing errors are detected before any compiled code is trusted.
        assert!(unsafe { Component::deserialize(&engine, bad) }.is_err());
    }
    let mut extra = bytes.clone();
    extra.push(0);
    // SAFETY: as above.
    let err = unsafe { Component::deserialize(&engine, &extra) }
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("trailing"), "{err:#}");
}
