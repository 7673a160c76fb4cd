//! Minimised reproducers of what the fuzz targets found in `crates/tether`, as plain tests.
//! A test is `#[ignore]`d while its fix is pending (`FUZZING.md` lists each finding, and the
//! commit that fixed it once there is one).

use tether::{Component, Engine, Linker, ResourceAnyExt, Store, Val};

/// Found by `handles` (F2, fixed in 5ef481b): a call into a poisoned instance was refused
/// ("cannot enter component instance"), but the `own` handles passed to it had already been
/// moved out of the embedder's hands (`Func::call` moved them before the call found the
/// instance poisoned), so the embedder's `ResourceAny` was stale although the call never ran.
#[test]
fn poisoned_call_keeps_handles() {
    let engine = Engine::default();
    let component = Component::new(
        &engine,
        r#"(component
          (type $r' (resource (rep i32)))
          (export $r "r" (type $r'))
          (core func $new (canon resource.new $r'))
          (core module $m
            (import "i" "new" (func $new (param i32) (result i32)))
            (func (export "make") (result i32) (call $new (i32.const 7)))
            (func (export "take") (param i32))
            (func (export "trap") unreachable))
          (core instance $i (export "new" (func $new)))
          (core instance $m (instantiate $m (with "i" (instance $i))))
          (func (export "make") (result (own $r)) (canon lift (core func $m "make")))
          (func (export "take") (param "x" (own $r)) (canon lift (core func $m "take")))
          (func (export "trap") (canon lift (core func $m "trap"))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let make = instance.get_func(&mut store, "make").unwrap();
    let take = instance.get_func(&mut store, "take").unwrap();
    let trap = instance.get_func(&mut store, "trap").unwrap();
    let mut out = [Val::Bool(false)];
    make.call(&mut store, &[], &mut out).unwrap();
    let Val::Resource(r) = out[0] else {
        panic!("`make` returned {:?}", out[0])
    };
    trap.call(&mut store, &[], &mut []).unwrap_err();
    let err = take
        .call(&mut store, &[Val::Resource(r)], &mut [])
        .unwrap_err();
    assert!(format!("{err:#}").contains("cannot enter"), "{err:#}");
    // The call never ran: the handle is still the embedder's to drop.
    r.resource_drop(&mut store)
        .expect("the handle a refused call was given is still the embedder's");
}
