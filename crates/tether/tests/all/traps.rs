//! Typed errors: every fault of a call downcasts to the [`Trap`] that names it, with its details
//! as fields; an error of the host's own passes through unchanged; a handle the host misuses
//! is a [`HandleError`].

use tether::{Component, Config, Engine, HandleError, Limits, Linker, Store, Trap, Val, WasmTrap};

/// One component with a function per fault.
const GUEST: &str = r#"(component
  (import "fail" (func $fail))
  (type $r (resource (rep i32)))
  (core func $fail (canon lower (func $fail)))
  (core func $drop (canon resource.drop $r))
  (core func $new (canon resource.new $r))
  (core module $m
    (import "" "fail" (func $fail))
    (import "" "drop" (func $drop (param i32)))
    (import "" "new" (func $new (param i32) (result i32)))
    (memory (export "mem") 1)
    (global $fuel (mut i32) (i32.const 0))
    (func (export "unreachable") unreachable)
    (func (export "drop-five") (call $drop (i32.const 5)))
    (func (export "bad-char") (result i32) (i32.const 0xd800))
    (func (export "big-string") (result i32)
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 60000))
      (i32.const 0))
    (func (export "grow") (result i32) (memory.grow (i32.const 100)))
    (func (export "spin") (loop $l (br $l)))
    (func (export "keep") (param i32 i32))
    (func (export "fail") (call $fail))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 64)))
  (core instance $i (instantiate $m (with "" (instance
    (export "fail" (func $fail)) (export "drop" (func $drop)) (export "new" (func $new))))))
  (func (export "unreachable") (canon lift (core func $i "unreachable")))
  (func (export "drop-five") (canon lift (core func $i "drop-five")))
  (func (export "bad-char") (result char) (canon lift (core func $i "bad-char")))
  (func (export "big-string") (result string)
    (canon lift (core func $i "big-string") (memory (core memory $i "mem"))))
  (func (export "grow") (result s32) (canon lift (core func $i "grow")))
  (func (export "spin") (canon lift (core func $i "spin")))
  (func (export "keep") (param "s" string) (canon lift (core func $i "keep")
    (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func (export "fail") (canon lift (core func $i "fail"))))"#;

/// The error of the host function `fail`.
#[derive(Debug, PartialEq)]
struct HostSaysNo(u32);

impl std::fmt::Display for HostSaysNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the host says no ({})", self.0)
    }
}

impl std::error::Error for HostSaysNo {}

fn setup(engine: &Engine) -> (Store<()>, tether::Instance) {
    let component = Component::new(engine, GUEST).unwrap();
    let mut linker = Linker::new(engine);
    linker
        .root()
        .func_wrap("fail", |_store, (): ()| -> anyhow::Result<()> {
            Err(HostSaysNo(7).into())
        })
        .unwrap();
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

/// Calls `name` and returns its error.
fn fails(
    store: &mut Store<()>,
    instance: &tether::Instance,
    name: &str,
    args: &[Val],
) -> tether::Error {
    let f = instance.get_func(&mut *store, name).unwrap();
    let mut results = vec![Val::Bool(false); f.result_count(&*store)];
    match f.call(&mut *store, args, &mut results) {
        Ok(()) => panic!("`{name}` did not fail"),
        Err(e) => e,
    }
}

fn trap_of(e: &tether::Error) -> &Trap {
    e.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("not a trap: {e:#}"))
}

#[test]
fn guest_faults_downcast_to_their_trap() {
    let engine = Engine::default();
    let (mut store, instance) = setup(&engine);
    let e = fails(&mut store, &instance, "unreachable", &[]);
    assert_eq!(trap_of(&e), &Trap::Wasm(WasmTrap::Unreachable));
    assert!(format!("{e:#}").contains("wasm `unreachable` instruction executed"));

    let (mut store, instance) = setup(&engine);
    let e = fails(&mut store, &instance, "drop-five", &[]);
    assert_eq!(trap_of(&e), &Trap::UnknownHandle { index: 5 });
    assert!(format!("{e:#}").contains("unknown handle index 5"), "{e:#}");

    let (mut store, instance) = setup(&engine);
    let e = fails(&mut store, &instance, "bad-char", &[]);
    assert_eq!(trap_of(&e), &Trap::InvalidChar { bits: 0xd800 });

    // An instance that trapped is poisoned, and says so with the earlier trap.
    let e = fails(&mut store, &instance, "unreachable", &[]);
    match trap_of(&e) {
        Trap::Poisoned { fault } => assert!(fault.contains("invalid `char`"), "{fault}"),
        t => panic!("expected a poisoned instance, found {t:?}"),
    }
}

#[test]
fn limits_downcast_to_their_trap_with_the_limit() {
    let engine = Engine::default();
    let (mut store, instance) = setup(&engine);
    store.set_limits(Limits {
        copy_bytes_per_call: 1000,
        ..Limits::default()
    });
    let e = fails(&mut store, &instance, "big-string", &[]);
    assert_eq!(trap_of(&e), &Trap::CopyLimit { limit: 1000 });

    let (mut store, instance) = setup(&engine);
    store.set_limits(Limits {
        memory_size: 1 << 20,
        ..Limits::default()
    });
    let e = fails(&mut store, &instance, "grow", &[]);
    assert_eq!(
        trap_of(&e),
        &Trap::MemoryLimit {
            current: 1 << 16,
            desired: 101 << 16,
            limit: 1 << 20
        }
    );

    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let (mut store, instance) = setup(&engine);
    store.set_fuel(10_000).unwrap();
    let e = fails(&mut store, &instance, "spin", &[]);
    assert_eq!(trap_of(&e), &Trap::OutOfFuel);
}

#[test]
fn a_host_value_of_the_wrong_type_is_the_hosts_fault_and_poisons_nothing() {
    let engine = Engine::default();
    let (mut store, instance) = setup(&engine);
    let e = fails(&mut store, &instance, "keep", &[Val::U32(1)]);
    let t = trap_of(&e);
    assert!(matches!(t, Trap::HostValue { .. }), "{t:?}");
    assert!(t.is_host_fault());
    // The guest never ran: the instance is still usable.
    let keep = instance.get_func(&mut store, "keep").unwrap();
    keep.call(&mut store, &[Val::String("fine".into())], &mut [])
        .unwrap();
}

#[test]
fn a_host_functions_error_passes_through_unchanged() {
    let engine = Engine::default();
    let (mut store, instance) = setup(&engine);
    let e = fails(&mut store, &instance, "fail", &[]);
    assert_eq!(e.downcast_ref::<HostSaysNo>(), Some(&HostSaysNo(7)));
    assert!(e.downcast_ref::<Trap>().is_none(), "{e:#}");
}

#[test]
fn a_handle_the_host_misuses_is_a_handle_error() {
    let engine = Engine::default();
    let mut a = Store::new(&engine, ());
    let b = Store::new(&engine, ());
    let kept = a.push(1u32).unwrap();
    let again = kept.borrow();
    a.delete(kept).unwrap();
    let e = a.get(&again).unwrap_err();
    assert!(
        matches!(e.downcast_ref(), Some(HandleError::Stale { .. })),
        "{e:#}"
    );
    let other = a.push(2u32).unwrap();
    let e = b.get(&other).unwrap_err();
    assert_eq!(e.downcast_ref(), Some(&HandleError::OtherStore));
}
