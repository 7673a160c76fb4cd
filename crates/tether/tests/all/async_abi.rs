//! The async ABI as far as Tether runs it (stage 1 of `docs/async-plan.md`): `async`-typed
//! functions lifted synchronously or with `async (callback ...)`, called by the host and by
//! guests through synchronous and `async` lowers; `task.return`, `context.get`/`set`,
//! `backpressure.*`, `thread.yield`, waitable sets; and what is not run yet refused as
//! `unsupported:`, never as a wrong answer.

use tether::{Component, Engine, Linker, Store, TaskRule, Trap, Val};

/// One component whose core module `$m` exports a function per case, most of them
/// callback-lifted. Their callback `cb` passes context slot 0 to `task.return` and exits.
const CALLEE: &str = r#"(component
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $ret (canon task.return (result u32)))
  (core func $ret-none (canon task.return))
  (core func $ret-string (canon task.return (result string) (memory (core memory $mem "mem"))))
  (core func $get (canon context.get i32 0))
  (core func $set (canon context.set i32 0))
  (core func $bp-inc (canon backpressure.inc))
  (core func $bp-dec (canon backpressure.dec))
  (core func $yield (canon thread.yield))
  (core module $m
    (import "" "ret" (func $ret (param i32)))
    (import "" "ret-none" (func $ret-none))
    (import "" "ret-string" (func $ret-string (param i32 i32)))
    (import "" "get" (func $get (result i32)))
    (import "" "set" (func $set (param i32)))
    (import "" "bp-inc" (func $bp-inc))
    (import "" "bp-dec" (func $bp-dec))
    (import "" "yield" (func $yield (result i32)))
    (import "" "mem" (memory 1))
    (func (export "answer") (result i32) (call $ret (i32.const 42)) (i32.const 0))
    (func (export "add") (param i32 i32) (result i32)
      (call $ret (i32.add (local.get 0) (local.get 1))) (i32.const 0))
    (func (export "yield-then-answer") (result i32)
      (call $set (i32.const 7))
      (i32.or (i32.const 1) (i32.shl (i32.const 0xbeef) (i32.const 4))))
    (func (export "cb") (param i32 i32 i32) (result i32)
      (if (i32.ne (local.get 0) (i32.const 0)) (then unreachable))
      (call $ret (call $get))
      (i32.const 0))
    (func (export "exit-early") (result i32) (i32.const 0))
    (func (export "bad-code") (result i32) (call $ret (i32.const 1)) (i32.const 3))
    (func (export "twice") (result i32) (call $ret (i32.const 1)) (call $ret (i32.const 2)) (i32.const 0))
    (func (export "wrong-type") (result i32) (call $ret-none) (i32.const 0))
    (func (export "sync-ret") (result i32) (call $ret (i32.const 1)) (i32.const 5))
    (func (export "bp-on") (call $bp-inc))
    (func (export "bp-off") (call $bp-dec))
    (func (export "yielding") (result i32) (call $yield))
    (func (export "greet") (result i32)
      (i32.store8 (i32.const 100) (i32.const 104))
      (i32.store8 (i32.const 101) (i32.const 105))
      (call $ret-string (i32.const 100) (i32.const 2))
      (i32.const 0))
    (func (export "sync-answer") (result i32) (i32.const 9)))
  (core instance $i (instantiate $m (with "" (instance
    (export "ret" (func $ret)) (export "ret-none" (func $ret-none))
    (export "ret-string" (func $ret-string))
    (export "get" (func $get)) (export "set" (func $set))
    (export "bp-inc" (func $bp-inc)) (export "bp-dec" (func $bp-dec))
    (export "yield" (func $yield))
    (export "mem" (memory $mem "mem"))))))
  (func (export "answer") async (result u32)
    (canon lift (core func $i "answer") async (callback (core func $i "cb"))))
  (func (export "add") async (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add") async (callback (core func $i "cb"))))
  (func (export "yield-then-answer") async (result u32)
    (canon lift (core func $i "yield-then-answer") async (callback (core func $i "cb"))))
  (func (export "exit-early") async (result u32)
    (canon lift (core func $i "exit-early") async (callback (core func $i "cb"))))
  (func (export "bad-code") async (result u32)
    (canon lift (core func $i "bad-code") async (callback (core func $i "cb"))))
  (func (export "twice") async (result u32)
    (canon lift (core func $i "twice") async (callback (core func $i "cb"))))
  (func (export "wrong-type") async (result u32)
    (canon lift (core func $i "wrong-type") async (callback (core func $i "cb"))))
  (func (export "sync-ret") (result u32) (canon lift (core func $i "sync-ret")))
  (func (export "bp-on") (canon lift (core func $i "bp-on")))
  (func (export "bp-off") (canon lift (core func $i "bp-off")))
  (func (export "yielding") (result u32) (canon lift (core func $i "yielding")))
  (func (export "greet") async (result string)
    (canon lift (core func $i "greet") async (callback (core func $i "cb"))
      (memory (core memory $mem "mem"))))
  (func (export "sync-answer") async (result u32) (canon lift (core func $i "sync-answer"))))"#;

pub(crate) fn instantiate(engine: &Engine, wat: &str) -> (Store<()>, tether::Instance) {
    let component = Component::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, &component)
        .unwrap();
    (store, instance)
}

pub(crate) fn call(
    store: &mut Store<()>,
    instance: &tether::Instance,
    name: &str,
    args: &[Val],
) -> tether::Result<Vec<Val>> {
    let f = instance.get_func(&mut *store, name).unwrap();
    let mut results = vec![Val::Bool(false); f.result_count(&*store)];
    f.call(&mut *store, args, &mut results)?;
    Ok(results)
}

pub(crate) fn trap(e: &tether::Error) -> &Trap {
    e.downcast_ref::<Trap>()
        .unwrap_or_else(|| panic!("not a trap: {e:#}"))
}

#[test]
fn the_host_calls_callback_lifted_functions() {
    let engine = Engine::default();
    let (mut store, i) = instantiate(&engine, CALLEE);
    assert_eq!(call(&mut store, &i, "answer", &[]).unwrap(), [Val::U32(42)]);
    assert_eq!(
        call(&mut store, &i, "add", &[Val::U32(40), Val::U32(2)]).unwrap(),
        [Val::U32(42)]
    );
    assert_eq!(
        call(&mut store, &i, "greet", &[]).unwrap(),
        [Val::String("hi".into())]
    );
    // A synchronous lift of an `async`-typed function returns as any other.
    assert_eq!(
        call(&mut store, &i, "sync-answer", &[]).unwrap(),
        [Val::U32(9)]
    );
    // Typed calls take the task path too.
    let add = i
        .get_typed_func::<(u32, u32), (u32,)>(&mut store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (1, 2)).unwrap(), (3,));
    let answer = i
        .get_typed_func::<(), (u32,)>(&mut store, "sync-answer")
        .unwrap();
    assert_eq!(answer.call(&mut store, ()).unwrap(), (9,));
}

#[test]
fn a_yield_calls_the_callback_with_the_task_context_kept() {
    let engine = Engine::default();
    let (mut store, i) = instantiate(&engine, CALLEE);
    // The core function sets context slot 0 to 7 and yields (with junk in the upper bits,
    // which YIELD ignores); the callback returns the slot.
    assert_eq!(
        call(&mut store, &i, "yield-then-answer", &[]).unwrap(),
        [Val::U32(7)]
    );
    // `thread.yield` in a task that may not block does not yield, and is not cancelled.
    assert_eq!(
        call(&mut store, &i, "yielding", &[]).unwrap(),
        [Val::U32(0)]
    );
}

#[test]
fn the_task_rules_trap_with_their_names() {
    let engine = Engine::default();
    let cases: [(&str, Trap); 5] = [
        ("exit-early", Trap::Task(TaskRule::NoResult)),
        ("bad-code", Trap::CallbackCode { code: 3 }),
        ("twice", Trap::Task(TaskRule::AlreadyResolved)),
        ("wrong-type", Trap::Task(TaskRule::ResultType)),
        (
            "sync-ret",
            Trap::Task(TaskRule::NotAsyncLift {
                builtin: "task.return",
            }),
        ),
    ];
    for (name, want) in cases {
        let (mut store, i) = instantiate(&engine, CALLEE);
        let e = call(&mut store, &i, name, &[]).unwrap_err();
        assert_eq!(trap(&e), &want, "{name}: {e:#}");
        // The trap poisons the instance, as any other.
        let e = call(&mut store, &i, "answer", &[]).unwrap_err();
        assert!(matches!(trap(&e), Trap::Poisoned { .. }), "{e:#}");
    }
}

#[test]
fn what_would_wait_is_unsupported_not_wrong() {
    let engine = Engine::default();
    // With backpressure on, an `async`-typed call would wait to start.
    let (mut store, i) = instantiate(&engine, CALLEE);
    call(&mut store, &i, "bp-on", &[]).unwrap();
    let e = call(&mut store, &i, "answer", &[]).unwrap_err();
    assert!(format!("{e:#}").contains("unsupported:"), "{e:#}");
    // A sync-typed function ignores backpressure, and turning it off lets calls start.
    call(&mut store, &i, "bp-off", &[]).unwrap();
    assert_eq!(call(&mut store, &i, "answer", &[]).unwrap(), [Val::U32(42)]);
    let e = call(&mut store, &i, "bp-off", &[]).unwrap_err();
    assert_eq!(trap(&e), &Trap::Task(TaskRule::BackpressureUnderflow));
}

/// Waitable sets: `poll` and `wait` write the event's payloads at `ptr` (8) and return its
/// code; the callback lift `wait-cb` returns `WAIT` on a new set.
const WAITABLES: &str = r#"(component
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $new (canon waitable-set.new))
  (core func $drop (canon waitable-set.drop))
  (core func $join (canon waitable.join))
  (core func $poll (canon waitable-set.poll (memory (core memory $mem "mem"))))
  (core func $wait (canon waitable-set.wait (memory (core memory $mem "mem"))))
  (core module $m
    (import "" "new" (func $new (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (import "" "join" (func $join (param i32 i32)))
    (import "" "poll" (func $poll (param i32 i32) (result i32)))
    (import "" "wait" (func $wait (param i32 i32) (result i32)))
    (import "" "mem" (memory 1))
    (func (export "poll") (result i32)
      (i64.store (i32.const 8) (i64.const -1))
      (if (call $poll (call $new) (i32.const 8)) (then unreachable))
      (i32.add (i32.load (i32.const 8)) (i32.load (i32.const 12))))
    (func (export "poll-bad-ptr") (result i32) (call $poll (call $new) (i32.const 65534)))
    (func (export "sync-wait") (result i32) (call $wait (call $new) (i32.const 8)))
    (func (export "drop-twice") (result i32)
      (local $s i32)
      (local.set $s (call $new))
      (call $drop (local.get $s))
      (call $drop (local.get $s))
      (i32.const 0))
    (func (export "join-a-set") (result i32)
      (call $join (call $new) (i32.const 0))
      (i32.const 0))
    (func (export "wait-cb") (result i32)
      (i32.or (i32.const 2) (i32.shl (call $new) (i32.const 4))))
    (func (export "wait-nothing") (result i32) (i32.const 2))
    (func (export "cb") (param i32 i32 i32) (result i32) unreachable))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "drop" (func $drop)) (export "join" (func $join))
    (export "poll" (func $poll)) (export "wait" (func $wait))
    (export "mem" (memory $mem "mem"))))))
  (func (export "poll") (result u32) (canon lift (core func $i "poll")))
  (func (export "poll-bad-ptr") (result u32) (canon lift (core func $i "poll-bad-ptr")))
  (func (export "sync-wait") (result u32) (canon lift (core func $i "sync-wait")))
  (func (export "async-wait") async (result u32) (canon lift (core func $i "sync-wait")))
  (func (export "drop-twice") (result u32) (canon lift (core func $i "drop-twice")))
  (func (export "join-a-set") (result u32) (canon lift (core func $i "join-a-set")))
  (func (export "wait-cb") async (result u32)
    (canon lift (core func $i "wait-cb") async (callback (core func $i "cb"))))
  (func (export "wait-nothing") async (result u32)
    (canon lift (core func $i "wait-nothing") async (callback (core func $i "cb")))))"#;

#[test]
fn waitable_sets_poll_wait_and_drop_by_the_rules() {
    let engine = Engine::default();
    let cases: [(&str, Option<Trap>); 7] = [
        // Nothing has happened: `NONE`, and zeros over the -1s at `ptr`.
        ("poll", None),
        (
            "poll-bad-ptr",
            Some(Trap::UnalignedPointer {
                of: tether::abi::PointerOf::Value,
                ptr: 65534,
                align: 4,
            }),
        ),
        // A sync-typed task may not wait.
        ("sync-wait", Some(Trap::CannotBlock)),
        // An `async`-typed one may, but no event can come: nothing else can run.
        ("async-wait", Some(Trap::Deadlock)),
        ("drop-twice", Some(Trap::UnknownHandle { index: 1 })),
        (
            "join-a-set",
            Some(Trap::WrongKind {
                index: 1,
                expected: "waitable",
            }),
        ),
        // A callback task that waits on an empty set, with its caller (the host) waiting on
        // it.
        ("wait-cb", Some(Trap::Deadlock)),
    ];
    for (name, want) in cases {
        let (mut store, i) = instantiate(&engine, WAITABLES);
        match (call(&mut store, &i, name, &[]), want) {
            (Ok(results), None) => assert_eq!(results, [Val::U32(0)], "{name}"),
            (Err(e), Some(want)) => assert_eq!(trap(&e), &want, "{name}: {e:#}"),
            (r, want) => panic!("{name}: {r:?}, expected {want:?}"),
        }
    }
    // `WAIT` on index 0, which names no set.
    let (mut store, i) = instantiate(&engine, WAITABLES);
    let e = call(&mut store, &i, "wait-nothing", &[]).unwrap_err();
    assert_eq!(trap(&e), &Trap::UnknownHandle { index: 0 });
}

/// A caller component whose core code calls the callee's `add` through a synchronous lower
/// and an `async` lower, and its sync-typed `blocks` calls the `async`-typed `add`
/// synchronously.
const CALLER: &str = r#"(component
  (component $callee
    (core func $ret (canon task.return (result u32)))
    (core module $m
      (import "" "ret" (func $ret (param i32)))
      (func (export "add") (param i32 i32) (result i32)
        (call $ret (i32.add (local.get 0) (local.get 1))) (i32.const 0))
      (func (export "cb") (param i32 i32 i32) (result i32) unreachable))
    (core instance $i (instantiate $m (with "" (instance (export "ret" (func $ret))))))
    (func (export "add") async (param "a" u32) (param "b" u32) (result u32)
      (canon lift (core func $i "add") async (callback (core func $i "cb")))))
  (instance $callee (instantiate $callee))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $add-sync (canon lower (func $callee "add")))
  (core func $add-async (canon lower (func $callee "add") async (memory (core memory $mem "mem"))))
  (core module $m
    (import "" "add-sync" (func $add-sync (param i32 i32) (result i32)))
    (import "" "add-async" (func $add-async (param i32 i32 i32) (result i32)))
    (import "" "mem" (memory 1))
    (func (export "via-sync") (result i32) (call $add-sync (i32.const 20) (i32.const 22)))
    (func (export "via-async") (result i32)
      (if (i32.ne (call $add-async (i32.const 30) (i32.const 3) (i32.const 64)) (i32.const 2))
        (then unreachable))
      (i32.load (i32.const 64))))
  (core instance $i (instantiate $m (with "" (instance
    (export "add-sync" (func $add-sync)) (export "add-async" (func $add-async))
    (export "mem" (memory $mem "mem"))))))
  (func (export "via-sync") async (result u32) (canon lift (core func $i "via-sync")))
  (func (export "blocks") (result u32) (canon lift (core func $i "via-sync")))
  (func (export "via-async") (result u32) (canon lift (core func $i "via-async"))))"#;

#[test]
fn guests_call_async_functions_through_sync_and_async_lowers() {
    let engine = Engine::default();
    let (mut store, i) = instantiate(&engine, CALLER);
    assert_eq!(
        call(&mut store, &i, "via-sync", &[]).unwrap(),
        [Val::U32(42)]
    );
    // The async lower returns RETURNED (2), the callee having returned at once, and the
    // result is in the caller's memory.
    assert_eq!(
        call(&mut store, &i, "via-async", &[]).unwrap(),
        [Val::U32(33)]
    );
    // A sync-typed task may not block: its synchronous call of an `async`-typed function
    // traps before the call.
    let e = call(&mut store, &i, "blocks", &[]).unwrap_err();
    assert_eq!(trap(&e), &Trap::CannotBlock, "{e:#}");
}

/// The callee of the subtask tests: `slow` yields until `go` was called, then returns 7.
const SLOW: &str = r#"
  (component $slow
    (core func $ret (canon task.return (result u32)))
    (core module $m
      (import "" "ret" (func $ret (param i32)))
      (global $go (mut i32) (i32.const 0))
      (func (export "slow") (result i32) (i32.const 1))
      (func (export "slow-cb") (param i32 i32 i32) (result i32)
        (if (i32.ne (local.get 0) (i32.const 0)) (then unreachable))
        (if (i32.eqz (global.get $go)) (then (return (i32.const 1))))
        (call $ret (i32.const 7))
        (i32.const 0))
      (func (export "go") (global.set $go (i32.const 1))))
    (core instance $i (instantiate $m (with "" (instance (export "ret" (func $ret))))))
    (func (export "slow") async (result u32)
      (canon lift (core func $i "slow") async (callback (core func $i "slow-cb"))))
    (func (export "go") async (canon lift (core func $i "go"))))
"#;

/// A caller whose `async` lower of `slow` gets a subtask: `slow` yields until the caller's
/// synchronous call of `go` lets it return 7, which reaches the caller's memory (at 16) only
/// then. `run` waits for it in a core call (`waitable-set.wait`), `run-cb` from its callback
/// loop (`WAIT`); `drop-early` drops the subtask before it returned.
fn subtasks() -> String {
    format!(
        r#"(component
  {SLOW}
  (instance $callee (instantiate $slow))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $slow (canon lower (func $callee "slow") async (memory (core memory $mem "mem"))))
  (core func $go (canon lower (func $callee "go")))
  (core func $new (canon waitable-set.new))
  (core func $join (canon waitable.join))
  (core func $wait (canon waitable-set.wait (memory (core memory $mem "mem"))))
  (core func $drop (canon subtask.drop))
  (core func $ret (canon task.return (result u32)))
  (core func $yield (canon thread.yield))
  (core func $poll (canon waitable-set.poll (memory (core memory $mem "mem"))))
  (core module $m
    (import "" "yield" (func $yield (result i32)))
    (import "" "poll" (func $poll (param i32 i32) (result i32)))
    (import "" "slow" (func $slow (param i32) (result i32)))
    (import "" "go" (func $go))
    (import "" "new" (func $new (result i32)))
    (import "" "join" (func $join (param i32 i32)))
    (import "" "wait" (func $wait (param i32 i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (import "" "ret" (func $ret (param i32)))
    (import "" "mem" (memory 1))
    (global $sub (mut i32) (i32.const 0))
    (func $start (result i32)
      (local $code i32)
      (i32.store (i32.const 16) (i32.const 0))
      (local.set $code (call $slow (i32.const 16)))
      ;; STARTED, and no result yet.
      (if (i32.ne (i32.and (local.get $code) (i32.const 0xf)) (i32.const 1)) (then unreachable))
      (if (i32.load (i32.const 16)) (then unreachable))
      (global.set $sub (i32.shr_u (local.get $code) (i32.const 4)))
      (call $go)
      (local.get $code))
    (func (export "run") (result i32)
      (local $ws i32)
      (drop (call $start))
      (local.set $ws (call $new))
      (call $join (global.get $sub) (local.get $ws))
      ;; SUBTASK, with the subtask's index and RETURNED.
      (if (i32.ne (call $wait (local.get $ws) (i32.const 0)) (i32.const 1)) (then unreachable))
      (if (i32.ne (i32.load (i32.const 0)) (global.get $sub)) (then unreachable))
      (if (i32.ne (i32.load (i32.const 4)) (i32.const 2)) (then unreachable))
      (call $drop (global.get $sub))
      (i32.load (i32.const 16)))
    (func (export "run-cb") (result i32)
      (local $ws i32)
      (drop (call $start))
      (local.set $ws (call $new))
      (call $join (global.get $sub) (local.get $ws))
      (i32.or (i32.const 2) (i32.shl (local.get $ws) (i32.const 4))))
    (func (export "run-cb-cb") (param i32 i32 i32) (result i32)
      (if (i32.ne (local.get 0) (i32.const 1)) (then unreachable))
      (if (i32.ne (local.get 1) (global.get $sub)) (then unreachable))
      (if (i32.ne (local.get 2) (i32.const 2)) (then unreachable))
      (call $drop (global.get $sub))
      (call $ret (i32.load (i32.const 16)))
      (i32.const 0))
    (func (export "drop-early") (result i32)
      (call $drop (i32.shr_u (call $slow (i32.const 16)) (i32.const 4)))
      (i32.const 0))
    (func (export "yield-run") (result i32)
      (local $ws i32)
      (local.set $ws (call $new))
      (call $join (i32.shr_u (call $slow (i32.const 16)) (i32.const 4)) (local.get $ws))
      (call $go)
      (if (call $poll (local.get $ws) (i32.const 0)) (then unreachable))
      ;; The yield lets `slow` run: it returns, and the set has its event.
      (drop (call $yield))
      (call $poll (local.get $ws) (i32.const 0)))
    (func (export "wait-on-subtask") (result i32)
      (i32.or (i32.const 2) (i32.and (call $slow (i32.const 16)) (i32.const -16))))
    (func (export "bad-retptr") (result i32)
      (local $ws i32)
      (local.set $ws (call $new))
      (call $join (i32.shr_u (call $slow (i32.const 65534)) (i32.const 4)) (local.get $ws))
      (call $go)
      (call $wait (local.get $ws) (i32.const 0))))
  (core instance $i (instantiate $m (with "" (instance
    (export "slow" (func $slow)) (export "go" (func $go)) (export "new" (func $new))
    (export "join" (func $join)) (export "wait" (func $wait)) (export "drop" (func $drop))
    (export "ret" (func $ret)) (export "mem" (memory $mem "mem"))
    (export "yield" (func $yield)) (export "poll" (func $poll))))))
  (func (export "run") async (result u32) (canon lift (core func $i "run")))
  (func (export "yield-run") async (result u32) (canon lift (core func $i "yield-run")))
  (func (export "run-cb") async (result u32)
    (canon lift (core func $i "run-cb") async (callback (core func $i "run-cb-cb"))))
  (func (export "drop-early") async (result u32) (canon lift (core func $i "drop-early")))
  (func (export "wait-on-subtask") async (result u32)
    (canon lift (core func $i "wait-on-subtask") async (callback (core func $i "run-cb-cb"))))
  (func (export "bad-retptr") async (result u32) (canon lift (core func $i "bad-retptr"))))"#
    )
}

#[test]
fn an_async_lower_gets_a_subtask_whose_result_comes_later() {
    let engine = Engine::default();
    for name in ["run", "run-cb"] {
        let (mut store, i) = instantiate(&engine, &subtasks());
        assert_eq!(
            call(&mut store, &i, name, &[]).unwrap(),
            [Val::U32(7)],
            "{name}"
        );
    }
    let (mut store, i) = instantiate(&engine, &subtasks());
    let e = call(&mut store, &i, "drop-early", &[]).unwrap_err();
    assert_eq!(trap(&e), &Trap::SubtaskUnresolved, "{e:#}");
    // `thread.yield` in a task that may block gives the parked task its turn: SUBTASK (1).
    let (mut store, i) = instantiate(&engine, &subtasks());
    assert_eq!(
        call(&mut store, &i, "yield-run", &[]).unwrap(),
        [Val::U32(1)]
    );
}

#[test]
fn hostile_callers_of_subtasks_trap() {
    let engine = Engine::default();
    // A callback task that waits on a subtask's index, which is not a set.
    let (mut store, i) = instantiate(&engine, &subtasks());
    let e = call(&mut store, &i, "wait-on-subtask", &[]).unwrap_err();
    assert_eq!(
        trap(&e),
        &Trap::WrongKind {
            index: 1,
            expected: "waitable set"
        },
        "{e:#}"
    );
    // A return area the result cannot be written to, found when the callee returns, while
    // its caller waits for it.
    let (mut store, i) = instantiate(&engine, &subtasks());
    let e = call(&mut store, &i, "bad-retptr", &[]).unwrap_err();
    assert!(
        matches!(trap(&e), Trap::UnalignedPointer { ptr: 65534, .. }),
        "{e:#}"
    );
    // Every instance the failed call went through is poisoned, not the store's host.
    let e = call(&mut store, &i, "run", &[]).unwrap_err();
    assert!(matches!(trap(&e), Trap::Poisoned { .. }), "{e:#}");
}

/// Waits inside waits: the root's task waits on its subtask of `mid`; `mid`, resumed by that
/// wait, lets `slow` go and waits for it in a core call of its own; `slow`, resumed by the
/// inner wait, returns 7, and `mid` returns 8.
fn nested() -> String {
    format!(
        r#"(component
  {SLOW}
  (instance $leaf (instantiate $slow))
  (component $mid
    (import "slow" (func $slow-f async (result u32)))
    (import "go" (func $go-f async))
    (core module $mem (memory (export "mem") 1))
    (core instance $mem (instantiate $mem))
    (core func $slow (canon lower (func $slow-f) async (memory (core memory $mem "mem"))))
    (core func $go (canon lower (func $go-f)))
    (core func $new (canon waitable-set.new))
    (core func $join (canon waitable.join))
    (core func $wait (canon waitable-set.wait (memory (core memory $mem "mem"))))
    (core func $ret (canon task.return (result u32)))
    (core module $m
      (import "" "slow" (func $slow (param i32) (result i32)))
      (import "" "go" (func $go))
      (import "" "new" (func $new (result i32)))
      (import "" "join" (func $join (param i32 i32)))
      (import "" "wait" (func $wait (param i32 i32) (result i32)))
      (import "" "ret" (func $ret (param i32)))
      (import "" "mem" (memory 1))
      (global $sub (mut i32) (i32.const 0))
      (func (export "mid") (result i32)
        (global.set $sub (i32.shr_u (call $slow (i32.const 16)) (i32.const 4)))
        (i32.const 1))
      (func (export "mid-cb") (param i32 i32 i32) (result i32)
        (local $ws i32)
        (call $go)
        (local.set $ws (call $new))
        (call $join (global.get $sub) (local.get $ws))
        (if (i32.ne (call $wait (local.get $ws) (i32.const 0)) (i32.const 1)) (then unreachable))
        (call $ret (i32.add (i32.load (i32.const 16)) (i32.const 1)))
        (i32.const 0)))
    (core instance $i (instantiate $m (with "" (instance
      (export "slow" (func $slow)) (export "go" (func $go)) (export "new" (func $new))
      (export "join" (func $join)) (export "wait" (func $wait)) (export "ret" (func $ret))
      (export "mem" (memory $mem "mem"))))))
    (func (export "mid") async (result u32)
      (canon lift (core func $i "mid") async (callback (core func $i "mid-cb")))))
  (instance $mid (instantiate $mid
    (with "slow" (func $leaf "slow")) (with "go" (func $leaf "go"))))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $mid (canon lower (func $mid "mid") async (memory (core memory $mem "mem"))))
  (core func $new (canon waitable-set.new))
  (core func $join (canon waitable.join))
  (core func $wait (canon waitable-set.wait (memory (core memory $mem "mem"))))
  (core module $m
    (import "" "mid" (func $mid (param i32) (result i32)))
    (import "" "new" (func $new (result i32)))
    (import "" "join" (func $join (param i32 i32)))
    (import "" "wait" (func $wait (param i32 i32) (result i32)))
    (import "" "mem" (memory 1))
    (func (export "nest") (result i32)
      (local $ws i32)
      (local.set $ws (call $new))
      (call $join (i32.shr_u (call $mid (i32.const 16)) (i32.const 4)) (local.get $ws))
      (if (i32.ne (call $wait (local.get $ws) (i32.const 0)) (i32.const 1)) (then unreachable))
      (i32.load (i32.const 16))))
  (core instance $i (instantiate $m (with "" (instance
    (export "mid" (func $mid)) (export "new" (func $new)) (export "join" (func $join))
    (export "wait" (func $wait)) (export "mem" (memory $mem "mem"))))))
  (func (export "nest") async (result u32) (canon lift (core func $i "nest"))))"#
    )
}

#[test]
fn a_task_resumed_by_a_wait_may_wait_in_turn() {
    let engine = Engine::default();
    let (mut store, i) = instantiate(&engine, &nested());
    assert_eq!(call(&mut store, &i, "nest", &[]).unwrap(), [Val::U32(8)]);
    // Every instance was given back: the call can be made again (`slow` now returns at once).
    let (mut store2, i2) = instantiate(&engine, &nested());
    assert_eq!(call(&mut store2, &i2, "nest", &[]).unwrap(), [Val::U32(8)]);
    assert_eq!(call(&mut store, &i, "nest", &[]).unwrap(), [Val::U32(8)]);
}

/// `$A`'s `ret-then-yield` returns 1 and then yields; its callback counts its runs in `ran`
/// and exits. `$B`'s `yield-once` yields in core code, which lets parked tasks run.
const RESOLVED_THEN_YIELD: &str = r#"(component
  (component $A
    (core func $ret (canon task.return (result u32)))
    (core module $m
      (import "" "ret" (func $ret (param i32)))
      (global $ran (mut i32) (i32.const 0))
      (func (export "ret-then-yield") (result i32) (call $ret (i32.const 1)) (i32.const 1))
      (func (export "cb") (param i32 i32 i32) (result i32)
        (global.set $ran (i32.add (global.get $ran) (i32.const 1)))
        (i32.const 0))
      (func (export "ran") (result i32) (global.get $ran)))
    (core instance $i (instantiate $m (with "" (instance (export "ret" (func $ret))))))
    (func (export "ret-then-yield") async (result u32)
      (canon lift (core func $i "ret-then-yield") async (callback (core func $i "cb"))))
    (func (export "ran") (result u32) (canon lift (core func $i "ran"))))
  (component $B
    (core func $yield (canon thread.yield))
    (core module $m
      (import "" "yield" (func $yield (result i32)))
      (func (export "yield-once") (result i32) (call $yield)))
    (core instance $i (instantiate $m (with "" (instance (export "yield" (func $yield))))))
    (func (export "yield-once") async (result u32) (canon lift (core func $i "yield-once"))))
  (instance $a (instantiate $A))
  (instance $b (instantiate $B))
  (func (export "ret-then-yield") (alias export $a "ret-then-yield"))
  (func (export "ran") (alias export $a "ran"))
  (func (export "yield-once") (alias export $b "yield-once")))"#;

#[test]
fn a_task_that_returned_and_then_yields_runs_on_when_another_waits() {
    let engine = Engine::default();
    let (mut store, i) = instantiate(&engine, RESOLVED_THEN_YIELD);
    assert_eq!(
        call(&mut store, &i, "ret-then-yield", &[]).unwrap(),
        [Val::U32(1)]
    );
    assert_eq!(call(&mut store, &i, "ran", &[]).unwrap(), [Val::U32(0)]);
    assert_eq!(
        call(&mut store, &i, "yield-once", &[]).unwrap(),
        [Val::U32(0)]
    );
    assert_eq!(call(&mut store, &i, "ran", &[]).unwrap(), [Val::U32(1)]);
    // It exited: it never runs again.
    call(&mut store, &i, "yield-once", &[]).unwrap();
    assert_eq!(call(&mut store, &i, "ran", &[]).unwrap(), [Val::U32(1)]);
}

/// `$Callee.waits(mode)` waits on an empty set; on `TASK_CANCELLED` it calls `task.cancel`
/// (mode 0), returns 7 (mode 1) or waits again (mode 2). The top level calls it through an
/// `async` lower and cancels the subtask it gets: `cancel` with the `async` form (returning
/// the state, with the result at 16 in the bits above 8), `cancel-twice`, and `sync-cancel`
/// with the synchronous form from an `async`-typed function.
const CANCELLING: &str = r#"(component
  (component $Callee
    (core func $ret (canon task.return (result u32)))
    (core func $cancel (canon task.cancel))
    (core func $new (canon waitable-set.new))
    (core module $m
      (import "" "ret" (func $ret (param i32)))
      (import "" "cancel" (func $cancel))
      (import "" "new" (func $new (result i32)))
      (global $mode (mut i32) (i32.const 0))
      (global $set (mut i32) (i32.const 0))
      (func (export "waits") (param $mode i32) (result i32)
        (global.set $mode (local.get $mode))
        (global.set $set (call $new))
        (i32.or (i32.const 2) (i32.shl (global.get $set) (i32.const 4))))
      (func (export "cb") (param $code i32) (param i32 i32) (result i32)
        (if (i32.ne (local.get $code) (i32.const 6)) (then unreachable))
        (if (i32.eqz (global.get $mode)) (then (call $cancel) (return (i32.const 0))))
        (if (i32.eq (global.get $mode) (i32.const 1))
          (then (call $ret (i32.const 7)) (return (i32.const 0))))
        (i32.or (i32.const 2) (i32.shl (global.get $set) (i32.const 4)))))
    (core instance $i (instantiate $m (with "" (instance
      (export "ret" (func $ret)) (export "cancel" (func $cancel)) (export "new" (func $new))))))
    (func (export "waits") async (param "mode" u32) (result u32)
      (canon lift (core func $i "waits") async (callback (core func $i "cb")))))
  (instance $callee (instantiate $Callee))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $waits (canon lower (func $callee "waits") async (memory (core memory $mem "mem"))))
  (core func $cancel (canon subtask.cancel async))
  (core func $sync-cancel (canon subtask.cancel))
  (core func $drop (canon subtask.drop))
  (core module $m
    (import "" "waits" (func $waits (param i32 i32) (result i32)))
    (import "" "cancel" (func $cancel (param i32) (result i32)))
    (import "" "sync-cancel" (func $sync-cancel (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (import "" "mem" (memory 1))
    (func $start (param $mode i32) (result i32)
      (local $r i32)
      (i32.store (i32.const 16) (i32.const 0))
      (local.set $r (call $waits (local.get $mode) (i32.const 16)))
      (if (i32.ne (i32.and (local.get $r) (i32.const 0xf)) (i32.const 1 (; STARTED ;)))
        (then unreachable))
      (i32.shr_u (local.get $r) (i32.const 4)))
    (func (export "cancel") (param $mode i32) (result i32)
      (local $st i32) (local $r i32)
      (local.set $st (call $start (local.get $mode)))
      (local.set $r (call $cancel (local.get $st)))
      (if (i32.lt_u (local.get $mode) (i32.const 2)) (then (call $drop (local.get $st))))
      (i32.or (local.get $r) (i32.shl (i32.load (i32.const 16)) (i32.const 8))))
    (func (export "cancel-twice") (result i32)
      (local $st i32)
      (local.set $st (call $start (i32.const 2)))
      (drop (call $cancel (local.get $st)))
      (call $cancel (local.get $st)))
    (func (export "sync-cancel") (param $mode i32) (result i32)
      (call $sync-cancel (call $start (local.get $mode)))))
  (core instance $i (instantiate $m (with "" (instance
    (export "waits" (func $waits)) (export "cancel" (func $cancel))
    (export "sync-cancel" (func $sync-cancel)) (export "drop" (func $drop))
    (export "mem" (memory $mem "mem"))))))
  (func (export "cancel") (param "mode" u32) (result u32) (canon lift (core func $i "cancel")))
  (func (export "cancel-twice") (result u32) (canon lift (core func $i "cancel-twice")))
  (func (export "sync-cancel") async (param "mode" u32) (result u32)
    (canon lift (core func $i "sync-cancel"))))"#;

#[test]
fn a_cancelled_subtask_resolves_as_its_callee_answers() {
    let engine = Engine::default();
    let run = |name: &str, mode: u32| {
        let (mut store, i) = instantiate(&engine, CANCELLING);
        let args = if name == "cancel-twice" {
            vec![]
        } else {
            vec![Val::U32(mode)]
        };
        call(&mut store, &i, name, &args)
    };
    // `task.cancel`: CANCELLED_BEFORE_RETURNED, no result; `task.return`: RETURNED, with it.
    assert_eq!(run("cancel", 0).unwrap(), [Val::U32(4)]);
    assert_eq!(run("cancel", 1).unwrap(), [Val::U32(2 | (7 << 8))]);
    // A callee that waits on: BLOCKED, and asking again traps.
    assert_eq!(run("cancel", 2).unwrap(), [Val::U32(u32::MAX)]);
    let e = run("cancel-twice", 0).unwrap_err();
    assert_eq!(trap(&e), &Trap::Task(TaskRule::CancelledTwice));
    // The synchronous form waits for the resolution; nothing could end that wait: deadlock.
    assert_eq!(run("sync-cancel", 0).unwrap(), [Val::U32(4)]);
    let e = run("sync-cancel", 2).unwrap_err();
    assert_eq!(trap(&e), &Trap::Deadlock);
}
