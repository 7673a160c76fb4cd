//! Streams of the async ABI between two guests (stages 3 and 4 of `docs/async-plan.md`): a
//! `stream<string>` whose strings are lifted out of the writer and lowered into the reader
//! through its `realloc`, its events in a waitable set, and what a hostile or unlucky caller
//! gets: a trap that names the broken rule, or `unsupported:` where the host would have to
//! hold an end.

use tether::{CopyRule, EndKind, Engine, Store, Trap, Val};

use super::async_abi::{instantiate, trap};

/// `$C` makes a `stream<string>` (`start`, keeping the writable end) and writes to it; `$D`
/// (the top level's own core instance) reads from it; `$H` hands a readable end to the
/// host. The top level exports `$D`'s functions, `$H`'s and two of `$C`'s.
const STREAMS: &str = r#"(component
  (type $ST (stream string))
  (component $C
    (type $ST (stream string))
    (core module $mem (memory (export "mem") 1))
    (core instance $mem (instantiate $mem))
    (core func $new (canon stream.new $ST))
    (core func $write (canon stream.write $ST async (memory (core memory $mem "mem"))))
    (core func $drop-r (canon stream.drop-readable $ST))
    (core module $m
      (import "" "new" (func $new (result i64)))
      (import "" "write" (func $write (param i32 i32 i32) (result i32)))
      (import "" "drop-r" (func $drop-r (param i32)))
      (import "" "mem" (memory 1))
      (global $tx (mut i32) (i32.const 0))
      (data (i32.const 64) "\64\00\00\00\02\00\00\00\6e\00\00\00\06\00\00\00")
      (data (i32.const 100) "hi")
      (data (i32.const 110) "tether")
      (func (export "start") (result i32)
        (local $ends i64)
        (local.set $ends (call $new))
        (global.set $tx (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))))
        (i32.wrap_i64 (local.get $ends)))
      ;; Two strings, read at once by a pending read: COMPLETED with 2 copied.
      (func (export "write2")
        (if (i32.ne (call $write (global.get $tx) (i32.const 64) (i32.const 2)) (i32.const 0x20))
          (then unreachable)))
      ;; The code of a write after the reader went away.
      (func (export "write-dropped") (result i32)
        (call $write (global.get $tx) (i32.const 64) (i32.const 1)))
      (func (export "write-oob") (result i32)
        (call $write (global.get $tx) (i32.const 65532) (i32.const 2)))
      (func (export "write-long") (result i32)
        (call $write (global.get $tx) (i32.const 64) (i32.const 0x10000000)))
      (func (export "drop-writer-as-reader") (call $drop-r (global.get $tx))))
    (core instance $i (instantiate $m (with "" (instance
      (export "new" (func $new)) (export "write" (func $write)) (export "drop-r" (func $drop-r))
      (export "mem" (memory $mem "mem"))))))
    (func (export "start") (result (stream string)) (canon lift (core func $i "start")))
    (func (export "write2") (canon lift (core func $i "write2")))
    (func (export "write-dropped") (result u32) (canon lift (core func $i "write-dropped")))
    (func (export "write-oob") (result u32) (canon lift (core func $i "write-oob")))
    (func (export "write-long") (result u32) (canon lift (core func $i "write-long")))
    (func (export "drop-writer-as-reader") (canon lift (core func $i "drop-writer-as-reader"))))
  (instance $c (instantiate $C))
  ;; Hands `$C`'s readable end to the host, from an instance of its own (the refusal
  ;; poisons it, not `$C`).
  (component $H
    (type $ST (stream string))
    (import "start" (func $start (result (stream string))))
    (core func $s (canon lower (func $start)))
    (core module $h
      (import "" "start" (func $start (result i32)))
      (func (export "hand-over") (result i32) (call $start)))
    (core instance $hi (instantiate $h (with "" (instance (export "start" (func $s))))))
    (func (export "hand-over") (result (stream string)) (canon lift (core func $hi "hand-over"))))
  (instance $h (instantiate $H (with "start" (func $c "start"))))

  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core module $alloc
    (import "" "mem" (memory 1))
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $next))
      (global.set $next (i32.add (local.get $p)
        (i32.and (i32.add (local.get 3) (i32.const 7)) (i32.const -8))))
      (local.get $p)))
  (core instance $alloc (instantiate $alloc (with "" (instance (export "mem" (memory $mem "mem"))))))
  (core func $start (canon lower (func $c "start")))
  (core func $write2 (canon lower (func $c "write2")))
  (core func $oob (canon lower (func $c "write-oob")))
  (core func $long (canon lower (func $c "write-long")))
  (core func $read (canon stream.read $ST async
    (memory (core memory $mem "mem")) (realloc (core func $alloc "realloc"))))
  (core func $drop-rx (canon stream.drop-readable $ST))
  (core func $set-new (canon waitable-set.new))
  (core func $join (canon waitable.join))
  (core func $poll (canon waitable-set.poll (memory (core memory $mem "mem"))))
  (core module $d
    (import "" "start" (func $start (result i32)))
    (import "" "write2" (func $write2))
    (import "" "oob" (func $oob (result i32)))
    (import "" "long" (func $long (result i32)))
    (import "" "read" (func $read (param i32 i32 i32) (result i32)))
    (import "" "drop-rx" (func $drop-rx (param i32)))
    (import "" "set-new" (func $set-new (result i32)))
    (import "" "join" (func $join (param i32 i32)))
    (import "" "poll" (func $poll (param i32 i32) (result i32)))
    (import "" "mem" (memory 1))
    ;; Reads two strings into the tuple at 16: the read waits, `$C` writes, and the set's
    ;; poll reports the read with 2 copied.
    (func (export "run") (result i32)
      (local $rx i32) (local $set i32)
      (local.set $rx (call $start))
      (if (i32.ne (call $read (local.get $rx) (i32.const 16) (i32.const 2)) (i32.const -1))
        (then unreachable))
      (call $write2)
      (local.set $set (call $set-new))
      (call $join (local.get $rx) (local.get $set))
      (if (i32.ne (call $poll (local.get $set) (i32.const 8)) (i32.const 2 (; STREAM_READ ;)))
        (then unreachable))
      (if (i32.ne (i32.load (i32.const 8)) (local.get $rx)) (then unreachable))
      (if (i32.ne (i32.load (i32.const 12)) (i32.const 0x20)) (then unreachable))
      (i32.const 16))
    (func (export "start-and-drop") (call $drop-rx (call $start)))
    (func (export "oob") (result i32) (drop (call $start)) (call $oob))
    (func (export "long") (result i32) (drop (call $start)) (call $long)))
  (core instance $d (instantiate $d (with "" (instance
    (export "start" (func $start)) (export "write2" (func $write2))
    (export "oob" (func $oob)) (export "long" (func $long))
    (export "read" (func $read)) (export "drop-rx" (func $drop-rx))
    (export "set-new" (func $set-new))
    (export "join" (func $join)) (export "poll" (func $poll))
    (export "mem" (memory $mem "mem"))))))
  (func (export "run") (result (tuple string string))
    (canon lift (core func $d "run") (memory (core memory $mem "mem"))
      (realloc (core func $alloc "realloc"))))
  (func (export "hand-over") (alias export $h "hand-over"))
  (func (export "start-and-drop") (canon lift (core func $d "start-and-drop")))
  (func (export "oob") (result u32) (canon lift (core func $d "oob")))
  (func (export "long") (result u32) (canon lift (core func $d "long")))
  (func (export "write-dropped") (alias export $c "write-dropped"))
  (func (export "drop-writer-as-reader") (alias export $c "drop-writer-as-reader")))"#;

fn fresh(engine: &Engine) -> (Store<()>, tether::Instance) {
    instantiate(engine, STREAMS)
}

fn call(
    store: &mut Store<()>,
    instance: &tether::Instance,
    name: &str,
) -> tether::Result<Vec<Val>> {
    super::async_abi::call(store, instance, name, &[])
}

const WRITER: EndKind = EndKind {
    future: false,
    readable: false,
};

#[test]
fn strings_stream_from_one_guest_into_another() {
    let engine = Engine::default();
    let (mut store, i) = fresh(&engine);
    assert_eq!(
        call(&mut store, &i, "run").unwrap(),
        [Val::Tuple(vec![
            Val::String("hi".into()),
            Val::String("tether".into())
        ])]
    );
}

#[test]
fn a_dropped_reader_is_reported_to_the_writer_once() {
    let engine = Engine::default();
    let (mut store, i) = fresh(&engine);
    call(&mut store, &i, "start-and-drop").unwrap();
    // The reader is gone: the writer learns it at once, and its end is done.
    assert_eq!(
        call(&mut store, &i, "write-dropped").unwrap(),
        [Val::U32(1)]
    );
    let e = call(&mut store, &i, "write-dropped").unwrap_err();
    assert_eq!(
        trap(&e),
        &Trap::Copy {
            end: WRITER,
            rule: CopyRule::Done
        }
    );
    assert!(
        format!("{e:#}")
            .contains("cannot write to stream after being notified that the readable end dropped")
    );
}

#[test]
fn an_end_handed_to_the_host_is_unsupported() {
    let engine = Engine::default();
    let (mut store, i) = fresh(&engine);
    let e = call(&mut store, &i, "hand-over").unwrap_err();
    assert!(format!("{e:#}").contains("unsupported:"), "{e:#}");
}

#[test]
fn hostile_buffers_and_ends_trap_with_their_rule() {
    let engine = Engine::default();
    let (mut store, i) = fresh(&engine);
    let e = call(&mut store, &i, "oob").unwrap_err();
    assert!(
        matches!(
            trap(&e),
            Trap::PointerOutOfBounds {
                ptr: 65532,
                size: 16,
                ..
            }
        ),
        "{e:#}"
    );
    let (mut store, i) = fresh(&engine);
    let e = call(&mut store, &i, "long").unwrap_err();
    assert_eq!(
        trap(&e),
        &Trap::Copy {
            end: WRITER,
            rule: CopyRule::TooLong { len: 1 << 28 }
        }
    );
    let (mut store, i) = fresh(&engine);
    call(&mut store, &i, "start-and-drop").unwrap();
    let e = call(&mut store, &i, "drop-writer-as-reader").unwrap_err();
    assert!(
        matches!(
            trap(&e),
            Trap::WrongKind {
                expected: "readable end of a stream",
                ..
            }
        ),
        "{e:#}"
    );
}

/// `$A` makes an `error-context` with the message "disk on fire" and hands it to `$B`, which
/// reads the message back through `error-context.debug-message`.
const ERRORS: &str = r#"(component
  (component $B
    (core module $mem
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 256)))
    (core instance $mem (instantiate $mem))
    (core func $debug (canon error-context.debug-message
      (memory (core memory $mem "mem")) (realloc (core func $mem "realloc"))))
    (core func $drop (canon error-context.drop))
    (core module $m
      (import "" "debug" (func $debug (param i32 i32)))
      (import "" "drop" (func $drop (param i32)))
      (import "" "mem" (memory 1))
      (func (export "message") (param $e i32) (result i32)
        (call $debug (local.get $e) (i32.const 16))
        (call $drop (local.get $e))
        (i32.const 16)))
    (core instance $i (instantiate $m (with "" (instance
      (export "debug" (func $debug)) (export "drop" (func $drop))
      (export "mem" (memory $mem "mem"))))))
    (func (export "message") (param "e" error-context) (result string)
      (canon lift (core func $i "message") (memory (core memory $mem "mem")))))
  (instance $b (instantiate $B))
  (core module $mem (memory (export "mem") 1) (data (i32.const 100) "disk on fire"))
  (core instance $mem (instantiate $mem))
  (core module $alloc
    (import "" "mem" (memory 1))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 512)))
  (core instance $alloc (instantiate $alloc (with "" (instance (export "mem" (memory $mem "mem"))))))
  (core func $new (canon error-context.new (memory (core memory $mem "mem"))))
  (core func $message (canon lower (func $b "message")
    (memory (core memory $mem "mem")) (realloc (core func $alloc "realloc"))))
  (core module $a
    (import "" "new" (func $new (param i32 i32) (result i32)))
    (import "" "message" (func $message (param i32 i32)))
    (func (export "run") (result i32)
      (call $message (call $new (i32.const 100) (i32.const 12)) (i32.const 32))
      (i32.const 32)))
  (core instance $a (instantiate $a (with "" (instance
    (export "new" (func $new)) (export "message" (func $message))))))
  (func (export "run") (result string)
    (canon lift (core func $a "run") (memory (core memory $mem "mem")))))"#;

#[test]
fn an_error_context_carries_its_message_from_one_guest_to_another() {
    let mut config = tether::Config::new();
    config
        .wasm_feature("component_model_error_context", true)
        .unwrap();
    let engine = Engine::new(&config).unwrap();
    let (mut store, i) = instantiate(&engine, ERRORS);
    assert_eq!(
        call(&mut store, &i, "run").unwrap(),
        [Val::String("disk on fire".into())]
    );
    // Off by default, as in wasmtime: such a component does not validate.
    let Err(e) = tether::Component::new(&Engine::default(), ERRORS) else {
        panic!("an error-context validated with the feature off");
    };
    assert!(format!("{e:#}").contains("error-context"), "{e:#}");
}

/// A guest that fetches a body as a `stream<u8>` from the host (`fetch`) and reads its first
/// `n` bytes in one read, then drops the stream: `head(n)` returns how many came.
const FETCH: &str = r#"(component
  (type $st (stream u8))
  (import "fetch" (func $fetch (result (stream u8))))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $fetch (canon lower (func $fetch)))
  (core func $read (canon stream.read $st async (memory (core memory $mem "mem"))))
  (core func $drop (canon stream.drop-readable $st))
  (core module $m
    (import "" "fetch" (func $fetch (result i32)))
    (import "" "read" (func $read (param i32 i32 i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "head") (param $n i32) (result i32)
      (local $s i32) (local $r i32)
      (local.set $s (call $fetch))
      (local.set $r (call $read (local.get $s) (i32.const 0) (local.get $n)))
      (call $drop (local.get $s))
      (i32.shr_u (local.get $r) (i32.const 4))))
  (core instance $i (instantiate $m (with "" (instance
    (export "fetch" (func $fetch)) (export "read" (func $read)) (export "drop" (func $drop))))))
  (func (export "head") (param "n" u32) (result u32) (canon lift (core func $i "head"))))"#;

/// A body of `left` bytes that counts what it hands out and whether it was dropped.
struct Body {
    left: u64,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    dropped: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::io::Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        buf[..n].fill(b'a');
        self.left -= n as u64;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        self.dropped
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn a_host_stream_is_read_only_as_far_as_the_guest_reads() {
    use std::sync::atomic::Ordering::Relaxed;
    let engine = Engine::default();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let size = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1 << 30));
    let mut linker = tether::Linker::new(&engine);
    let (r, d, z) = (read.clone(), dropped.clone(), size.clone());
    linker
        .root()
        .func_new("fetch", move |mut store, _, results| {
            let body = Body {
                left: z.load(Relaxed),
                read: r.clone(),
                dropped: d.clone(),
            };
            results[0] = store.stream_from_reader(body)?;
            Ok(())
        })
        .unwrap();
    let component = tether::Component::new(&engine, FETCH).unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &component).unwrap();
    let f = i.get_func(&mut store, "head").unwrap();
    let mut out = [Val::U32(0)];
    // The guest reads 1 KiB of a 1 GiB body.
    f.call(&mut store, &[Val::U32(1024)], &mut out).unwrap();
    assert_eq!(out, [Val::U32(1024)]);
    assert_eq!(
        read.load(Relaxed),
        1024,
        "the host read what the guest asked for"
    );
    assert!(
        dropped.load(Relaxed),
        "dropping the stream dropped the body"
    );
    // A zero-length read takes nothing; a 10-byte body gives 10 of the 1,024 asked for.
    f.call(&mut store, &[Val::U32(0)], &mut out).unwrap();
    assert_eq!((out[0].clone(), read.load(Relaxed)), (Val::U32(0), 1024));
    size.store(10, Relaxed);
    f.call(&mut store, &[Val::U32(1024)], &mut out).unwrap();
    assert_eq!((out[0].clone(), read.load(Relaxed)), (Val::U32(10), 1034));
    assert_eq!(store.handles_alive(), 0, "every stream end was dropped");
}

/// A guest whose streams the host reads: `render` returns a `stream<u8>` it wrote "hello" to
/// (the write waits for a reader), `finish` checks that write's event in a set, writes
/// " world" and drops its end; `log` hands "abc" to the host's `log`; `produce` (a callback
/// task) returns a stream, writes "x", waits, then writes "y" and ends.
const SINKS: &str = r#"(component
  (type $st (stream u8))
  (import "log" (func $log (param "s" (stream u8))))
  (core module $mem (memory (export "mem") 1)
    (data (i32.const 100) "hello world")
    (data (i32.const 120) "abc")
    (data (i32.const 130) "xy"))
  (core instance $mem (instantiate $mem))
  (core func $new (canon stream.new $st))
  (core func $write (canon stream.write $st async (memory (core memory $mem "mem"))))
  (core func $dropw (canon stream.drop-writable $st))
  (core func $set-new (canon waitable-set.new))
  (core func $join (canon waitable.join))
  (core func $poll (canon waitable-set.poll (memory (core memory $mem "mem"))))
  (core func $ret (canon task.return (result (stream u8))))
  (core func $log (canon lower (func $log)))
  (core module $m
    (import "" "new" (func $new (result i64)))
    (import "" "write" (func $write (param i32 i32 i32) (result i32)))
    (import "" "dropw" (func $dropw (param i32)))
    (import "" "set-new" (func $set-new (result i32)))
    (import "" "join" (func $join (param i32 i32)))
    (import "" "poll" (func $poll (param i32 i32) (result i32)))
    (import "" "ret" (func $ret (param i32)))
    (import "" "log" (func $log (param i32)))
    (import "" "mem" (memory 1))
    (global $tx (mut i32) (i32.const 0))
    (global $set (mut i32) (i32.const 0))
    (func $open (result i32)
      (local $e i64)
      (local.set $e (call $new))
      (global.set $tx (i32.wrap_i64 (i64.shr_u (local.get $e) (i64.const 32))))
      (i32.wrap_i64 (local.get $e)))
    (func (export "render") (result i32)
      (local $rx i32)
      (local.set $rx (call $open))
      (if (i32.ne (call $write (global.get $tx) (i32.const 100) (i32.const 5)) (i32.const -1))
        (then unreachable))
      (local.get $rx))
    (func (export "finish") (result i32)
      (local $set i32) (local $code i32)
      (local.set $set (call $set-new))
      (call $join (global.get $tx) (local.get $set))
      (local.set $code (call $poll (local.get $set) (i32.const 0)))
      (call $join (global.get $tx) (i32.const 0))
      (if (i32.ne (call $write (global.get $tx) (i32.const 105) (i32.const 6)) (i32.const 0x60))
        (then unreachable))
      (call $dropw (global.get $tx))
      ;; STREAM_WRITE (3), then its payload: COMPLETED with 5 written.
      (i32.or (i32.shl (local.get $code) (i32.const 16)) (i32.load (i32.const 4))))
    (func (export "log") (result i32)
      (local $rx i32) (local $r i32)
      (local.set $rx (call $open))
      (call $log (local.get $rx))
      (local.set $r (call $write (global.get $tx) (i32.const 120) (i32.const 3)))
      (call $dropw (global.get $tx))
      (local.get $r))
    (func (export "produce") (result i32)
      (call $ret (call $open))
      (if (i32.ne (call $write (global.get $tx) (i32.const 130) (i32.const 1)) (i32.const -1))
        (then unreachable))
      (global.set $set (call $set-new))
      (call $join (global.get $tx) (global.get $set))
      (i32.or (i32.const 2 (; WAIT ;)) (i32.shl (global.get $set) (i32.const 4))))
    (func (export "produce-cb") (param $code i32) (param i32 i32) (result i32)
      (if (i32.ne (local.get $code) (i32.const 3 (; STREAM_WRITE ;))) (then unreachable))
      (call $join (global.get $tx) (i32.const 0))
      (if (i32.ne (call $write (global.get $tx) (i32.const 131) (i32.const 1)) (i32.const 0x10))
        (then unreachable))
      (call $dropw (global.get $tx))
      (i32.const 0 (; EXIT ;))))
  (core instance $i (instantiate $m (with "" (instance
    (export "new" (func $new)) (export "write" (func $write)) (export "dropw" (func $dropw))
    (export "set-new" (func $set-new)) (export "join" (func $join)) (export "poll" (func $poll))
    (export "ret" (func $ret)) (export "log" (func $log)) (export "mem" (memory $mem "mem"))))))
  (func (export "render") (result (stream u8)) (canon lift (core func $i "render")))
  (func (export "finish") (result u32) (canon lift (core func $i "finish")))
  (func (export "log") (result u32) (canon lift (core func $i "log")))
  (func (export "produce") async (result (stream u8))
    (canon lift (core func $i "produce") async (callback (core func $i "produce-cb")))))"#;

/// A writer the test can look into.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn the_host_reads_a_guests_stream_as_the_guest_writes_it() {
    let engine = Engine::default();
    let logged = Shared::default();
    let mut linker = tether::Linker::new(&engine);
    let sink = logged.clone();
    linker
        .root()
        .func_new("log", move |mut store, params, _| {
            store.stream_into_writer(&params[0], sink.clone())
        })
        .unwrap();
    let component = tether::Component::new(&engine, SINKS).unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &component).unwrap();
    let call = |store: &mut Store<()>, name: &str| {
        let f = i.get_func(&mut *store, name).unwrap();
        let mut out = [Val::Bool(false)];
        f.call(&mut *store, &[], &mut out).map(|()| out[0].clone())
    };

    // An export's result: "hello" was written before the host read; " world" after.
    let stream = call(&mut store, "render").unwrap();
    let out = Shared::default();
    store.stream_into_writer(&stream, out.clone()).unwrap();
    assert_eq!(out.text(), "hello");
    assert_eq!(
        call(&mut store, "finish").unwrap(),
        Val::U32((3 << 16) | 0x50),
        "the guest's set reported its write, 5 bytes"
    );
    assert_eq!(out.text(), "hello world");
    assert!(
        store.stream_into_writer(&stream, out.clone()).is_err(),
        "read once"
    );

    // A host function's argument: each write completes at once.
    assert_eq!(call(&mut store, "log").unwrap(), Val::U32(0x30));
    assert_eq!(logged.text(), "abc");

    // A callback task waiting on its write runs on once the host has read it.
    let stream = call(&mut store, "produce").unwrap();
    let out = Shared::default();
    store.stream_into_writer(&stream, out.clone()).unwrap();
    assert_eq!(out.text(), "x");
    store.run_pending().unwrap();
    assert_eq!(out.text(), "xy");
}
