//! The `tether` binary, run as a user runs it: on WAT components written to a temporary
//! folder, on the guests built from source, and the demo (loopback only).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A component exporting functions over numbers, strings, lists, records and an enum, plus a
/// `run` and a function that traps. Its named types are imported, as `wit-component` writes
/// a world's types, so that `tether wit` can print its world.
const VALUES: &str = r#"
(component
  (type $rect' (record (field "width" u32) (field "height" u32)))
  (import "rect" (type $rect (eq $rect')))
  (type $person' (record (field "name" string) (field "age" u8)))
  (import "person" (type $person (eq $person')))
  (type $color' (enum "red" "green" "blue"))
  (import "color" (type $color (eq $color')))
  (core module $m
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $ptr i32)
      (local.set $ptr
        (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                 (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $ptr) (local.get 3)))
      (local.get $ptr))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "neg") (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0)))
    (func (export "half") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 0.5)))
    ;; (ptr, len) -> a pointer to (ptr, len): the same string or list back.
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 8) (local.get 0))
      (i32.store (i32.const 12) (local.get 1))
      (i32.const 8))
    (func (export "sum") (param $p i32) (param $n i32) (result i64)
      (local $acc i64)
      (block $done
        (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
      (local.get $acc))
    (func (export "area") (param i32 i32) (result i32) (i32.mul (local.get 0) (local.get 1)))
    (func (export "swap") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 1))
      (i32.store (i32.const 20) (local.get 0))
      (i32.const 16))
    ;; person (name ptr, name len, age) -> its name
    (func (export "name-of") (param i32 i32 i32) (result i32)
      (i32.store (i32.const 24) (local.get 0))
      (i32.store (i32.const 28) (local.get 1))
      (i32.const 24))
    (func (export "id") (param i32) (result i32) (local.get 0))
    (func (export "seven") (result i32) (i32.const 7))
    (func (export "boom") unreachable))
  (core instance $i (instantiate $m))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func (export "neg") (param "x" s64) (result s64) (canon lift (core func $i "neg")))
  (func (export "half") (param "x" f64) (result f64) (canon lift (core func $i "half")))
  (func (export "echo-string") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func (export "echo-list") (param "xs" (list u32)) (result (list u32))
    (canon lift (core func $i "echo") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func (export "sum") (param "xs" (list u32)) (result u64)
    (canon lift (core func $i "sum") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func (export "area") (param "r" $rect) (result u32) (canon lift (core func $i "area")))
  (func (export "swap") (param "r" $rect) (result $rect)
    (canon lift (core func $i "swap") (memory (core memory $i "memory"))))
  (func (export "name-of") (param "p" $person) (result string)
    (canon lift (core func $i "name-of") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func (export "echo-color") (param "c" $color) (result $color) (canon lift (core func $i "id")))
  (func (export "run") (result u32) (canon lift (core func $i "seven")))
  (func (export "boom") (canon lift (core func $i "boom"))))
"#;

/// A temporary folder of this test's own, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tether-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tether(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tether"))
        .args(args)
        .env("CARGO_BUILD_JOBS", "1")
        .output()
        .expect("run `tether`")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `tether` and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let o = tether(args);
    assert!(
        o.status.success(),
        "`tether {}` failed: {}{}",
        args.join(" "),
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Runs `tether` and expects a failure reported as one line on stderr, with no panic and
/// no backtrace; returns that line.
fn fails(args: &[&str]) -> String {
    let o = tether(args);
    let err = stderr(&o);
    assert!(
        !o.status.success(),
        "`tether {}` succeeded: {}",
        args.join(" "),
        stdout(&o)
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "`tether {}`: {err}",
        args.join(" ")
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace") && !err.contains("internal error"),
        "{err}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "`tether {}` printed more than one line: {err}",
        args.join(" ")
    );
    assert!(lines[0].starts_with("error: "), "{err}");
    lines[0].to_string()
}

#[test]
fn invoke_with_numbers_strings_lists_records_and_enums() {
    let dir = TempDir::new("invoke");
    let c = dir.write("values.wat", VALUES);
    let c = p(&c);
    let invoke = |call: &str| ok(&["run", "--invoke", call, c]);
    assert_eq!(invoke("add(1, 2)"), "3\n");
    assert_eq!(invoke("neg(5)"), "-5\n");
    assert_eq!(invoke("half(3)"), "1.5\n");
    assert_eq!(
        invoke(r#"echo-string("héllo, \"wave\"")"#),
        "\"héllo, \\\"wave\\\"\"\n"
    );
    assert_eq!(invoke("echo-list([1, 2, 3])"), "[1, 2, 3]\n");
    assert_eq!(invoke("echo-list([])"), "[]\n");
    assert_eq!(invoke("sum([1, 2, 3, 4000000000])"), "4000000006\n");
    assert_eq!(invoke("area({width: 6, height: 7})"), "42\n");
    assert_eq!(
        invoke("swap({width: 1, height: 2})"),
        "{width: 2, height: 1}\n"
    );
    assert_eq!(invoke(r#"name-of({name: "ada", age: 36})"#), "\"ada\"\n");
    assert_eq!(invoke("echo-color(blue)"), "blue\n");
    // Without `--invoke`, `run` is called.
    assert_eq!(ok(&["run", c]), "7\n");
}

#[test]
fn stats_report_bytes_objects_and_time() {
    let dir = TempDir::new("stats");
    let c = dir.write("values.wat", VALUES);
    let o = tether(&[
        "run",
        "--stats",
        "--invoke",
        r#"echo-string("abcd")"#,
        p(&c),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("stats: bytes copied into the guest: 4"),
        "{err}"
    );
    assert!(
        err.contains("stats: bytes copied out of the guest: 4"),
        "{err}"
    );
    assert!(
        err.contains("stats: host objects alive at exit: 0"),
        "{err}"
    );
    assert!(err.contains("stats: time:"), "{err}");
}

/// Whether `dir` holds a file anywhere below it.
fn has_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let path = e.path();
            path.is_file() || has_files(&path)
        })
    })
}

#[test]
fn compiled_code_is_cached_by_default_and_not_with_cache_n() {
    let dir = TempDir::new("cache");
    let c = dir.write("values.wat", VALUES);
    let with_home = |home: &Path, extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_tether"))
            .arg("run")
            .args(extra)
            .args(["--invoke", "add(1, 2)", p(&c)])
            .env("XDG_CACHE_HOME", home)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "3\n");
    };
    // By default the compiled code goes to `$XDG_CACHE_HOME/tether`, and a second run
    // (which finds it there) gives the same answer.
    let home = dir.0.join("home");
    with_home(&home, &[]);
    assert!(has_files(&home.join("tether")), "nothing was cached");
    with_home(&home, &[]);
    // `-C cache=n` keeps nothing; `-C cache-dir` picks the folder.
    let off = dir.0.join("off");
    with_home(&off, &["-C", "cache=n"]);
    assert!(!has_files(&off), "`-C cache=n` still cached");
    let chosen = dir.0.join("chosen");
    with_home(&off, &["-C", &format!("cache-dir={}", p(&chosen))]);
    assert!(has_files(&chosen));
    assert!(!has_files(&off));
    let err = fails(&["run", "-C", "cache=maybe", p(&c)]);
    assert!(err.contains("`-C cache=maybe`"), "{err}");
}

#[test]
fn precompiled_components_load_only_when_allowed() {
    let dir = TempDir::new("precompiled");
    let c = dir.write("values.wat", VALUES);
    let cache_off = ["-C", "cache=n"];
    ok(&["compile", cache_off[0], cache_off[1], p(&c)]);
    let cwasm = dir.0.join("values.cwasm");
    assert!(std::fs::read(&cwasm).unwrap().starts_with(b"TETHERC1"));
    let out = dir.0.join("other.bin");
    ok(&["compile", "-o", p(&out), p(&c)]);
    assert!(out.is_file());

    // Without `--allow-precompiled` the file is refused, naming the flag.
    let err = fails(&["run", "--invoke", "add(1, 2)", p(&cwasm)]);
    assert!(err.contains("--allow-precompiled"), "{err}");
    let run = |path: &Path| {
        ok(&[
            "run",
            "--allow-precompiled",
            "--invoke",
            "add(1, 2)",
            p(path),
        ])
    };
    assert_eq!(run(&cwasm), "3\n");
    assert_eq!(run(&out), "3\n");

    // Code compiled without epoch checks does not load into an engine with them.
    let err = fails(&[
        "run",
        "--allow-precompiled",
        "--timeout",
        "5s",
        "--invoke",
        "add(1, 2)",
        p(&cwasm),
    ]);
    assert!(
        err.contains("cannot be loaded as a precompiled component"),
        "{err}"
    );
    // ... and compiled with them, it does.
    ok(&["compile", "--timeout", "5s", "-o", p(&out), p(&c)]);
    let o = ok(&[
        "run",
        "--allow-precompiled",
        "--timeout",
        "5s",
        "--invoke",
        "add(1, 2)",
        p(&out),
    ]);
    assert_eq!(o, "3\n");

    // A damaged file is an error, not a crash.
    let bytes = std::fs::read(&cwasm).unwrap();
    for cut in [8, 16, bytes.len() / 2, bytes.len() - 1] {
        let damaged = dir.write("damaged.cwasm", &bytes[..cut]);
        let err = fails(&["run", "--allow-precompiled", p(&damaged)]);
        assert!(
            err.contains("cannot be loaded as a precompiled component"),
            "{err}"
        );
    }
}

/// A component whose `run` loops forever and whose `grow` grows its memory by 100 pages.
const LOOP_AND_GROW: &str = r#"
(component
  (core module $m
    (memory 1)
    (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0))
    (func (export "grow") (result i32) (drop (memory.grow (i32.const 100))) (memory.size)))
  (core instance $i (instantiate $m))
  (func (export "run") (result u32) (canon lift (core func $i "spin")))
  (func (export "grow") (result u32) (canon lift (core func $i "grow"))))
"#;

#[test]
fn fuel_timeout_and_memory_limits_by_flag_and_as_wasmtime_names_them() {
    let dir = TempDir::new("limits");
    let c = dir.write("loop.wat", LOOP_AND_GROW);
    let c = p(&c);
    for fuel in [&["--fuel", "100000"][..], &["-W", "fuel=100000"]] {
        let err = fails(&[&["run", "-C", "cache=n"], fuel, &[c]].concat());
        assert!(err.contains("fuel exhausted"), "{err}");
    }
    for timeout in [&["--timeout", "200ms"][..], &["-W", "timeout=200ms"]] {
        let err = fails(&[&["run", "-C", "cache=n"], timeout, &[c]].concat());
        assert!(err.contains("deadline exceeded"), "{err}");
    }
    // Without a limit the memory grows; with one, growing past it traps naming the limit.
    assert_eq!(ok(&["run", "--invoke", "grow()", c]), "101\n");
    assert_eq!(
        ok(&["run", "--fuel", "1000000", "--invoke", "grow()", c]),
        "101\n"
    );
    for max in [
        &["--max-memory-size", "1MiB"][..],
        &["-W", "max-memory-size=1MiB"],
    ] {
        let err = fails(&[&["run", "--invoke", "grow()"], max, &[c]].concat());
        assert!(err.contains("memory limit exceeded"), "{err}");
        assert!(err.contains("limit of 1048576 bytes"), "{err}");
    }
    // `-W` comes after the long flags.
    let err = fails(&["run", "--fuel", "1000000000", "-W", "fuel=1000", c]);
    assert!(err.contains("fuel exhausted"), "{err}");
    for (bad, says) in [
        ("fuel=lots", "`lots` is not a number"),
        ("timeout=soon", "`-W timeout=soon`"),
        ("max-memory-size=1XB", "unknown unit"),
        ("fuel", "the limits are"),
        ("trap-on-grow-failure=y", "the limits are"),
    ] {
        let err = fails(&["run", "-W", bad, c]);
        assert!(err.contains(says), "-W {bad}: {err}");
    }
}

#[test]
fn stats_list_live_handles_per_resource_type() {
    let dir = TempDir::new("live");
    let c = dir.write(
        "live.wat",
        include_str!("../../wasi/tests/guests/live_handles.wat"),
    );
    let stats = |call: &str| {
        let o = tether(&["run", "--stats", "--invoke", call, p(&c)]);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let err = stats("take(100)");
    assert!(err.contains("stats: live handles at exit: 100\n"), "{err}");
    assert!(
        err.contains(
            "stats: leaked at exit (less stdio and preopens): 100\nstats:   wasi:io/poll/pollable: 100\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("stats:   wasi:io/poll/pollable: 100\n"),
        "{err}"
    );
    let err = stats("make(3)");
    assert!(err.contains("stats:   my:app/things/thing: 3\n"), "{err}");
    let err = stats("make-private(2)");
    assert!(
        err.contains("stats:   (an unnamed resource type of the guest): 2\n"),
        "{err}"
    );
    let err = stats("take(0)");
    assert!(err.contains("stats: live handles at exit: 0\n"), "{err}");
    assert!(!err.contains("pollable"), "{err}");

    // A quota on the type: within it the call runs, past it the guest traps naming both.
    let quota = |call: &'static str| {
        vec![
            "run",
            "--max-resources",
            "wasi:io/poll/pollable=50",
            "--invoke",
            call,
            p(&c),
        ]
    };
    assert_eq!(ok(&quota("take(50)")), "50\n");
    let err = fails(&quota("take(100)"));
    assert!(
        err.contains("at most 50 live `wasi:io/poll/pollable` handles"),
        "{err}"
    );
    let err = fails(&["run", "--max-resources", "pollable", p(&c)]);
    assert!(err.contains("expected TYPE=N"), "{err}");
}

#[test]
fn bad_input_is_one_clear_line() {
    let dir = TempDir::new("bad");
    let c = dir.write("values.wat", VALUES);
    let c = p(&c);
    let missing = dir.0.join("missing.wasm");
    assert!(fails(&["run", p(&missing)]).contains("cannot read"));
    assert!(fails(&["wit", p(&missing)]).contains("cannot read"));
    let core = dir.write("core.wat", "(module (func (export \"f\")))");
    // `run` takes WASI preview 1 commands only among core modules; `wit` takes none.
    assert!(fails(&["run", p(&core)]).contains("is a core WebAssembly module with no `_start`"));
    assert!(fails(&["wit", p(&core)]).contains("is a core WebAssembly module, not a component"));
    let bad_core = dir.write("bad-core.wasm", b"\0asm\x01\0\0\0garbage");
    assert!(fails(&["run", p(&bad_core)]).contains("is not a valid module"));
    let garbage = dir.write("garbage.wasm", b"\0asm\x0d\0\x01\0garbage");
    assert!(fails(&["run", p(&garbage)]).contains("is not a valid component"));
    let text = dir.write("notes.txt", "hello");
    assert!(fails(&["run", p(&text)]).contains("neither a WebAssembly binary nor valid WAT text"));

    let e = fails(&["run", "--invoke", "add(1,", c]);
    assert!(e.contains("bad `--invoke` value `add(1,`"), "{e}");
    let e = fails(&["run", "--invoke", "add", c]);
    assert!(e.contains("expected `name(arg, ...)`"), "{e}");
    let e = fails(&["run", "--invoke", "add(\"one\", 2)", c]);
    assert!(e.contains("invalid value type, at `\"one\"`"), "{e}");
    let e = fails(&["run", "--invoke", "add(1)", c]);
    assert!(e.contains("missing required param"), "{e}");
    let e = fails(&["run", "--invoke", "area({width: 6})", c]);
    assert!(e.contains("height"), "{e}");
    let e = fails(&["run", "--invoke", "echo-color(purple)", c]);
    assert!(e.contains("purple"), "{e}");
    let e = fails(&["run", "--invoke", "nope()", c]);
    assert!(
        e.contains("exports no function `nope`") && e.contains("`add`"),
        "{e}"
    );
    let e = fails(&["run", "--invoke", "boom()", c]);
    assert!(
        e.contains("calling `boom` failed") && e.contains("unreachable"),
        "{e}"
    );
    let e = fails(&["run", "--allow-http", "example.com", c]);
    assert!(e.contains("`--allow-http example.com`"), "{e}");
    let e = fails(&["run", "--dir", "::", c]);
    assert!(e.contains("HOST::GUEST"), "{e}");
}

#[test]
fn imports_the_command_cannot_satisfy() {
    let dir = TempDir::new("imports");
    let unknown = dir.write(
        "unknown.wat",
        r#"(component
             (import "acme:tools/magic" (instance (export "wave" (func (result u32)))))
             (core module $m (func (export "f") (result i32) (i32.const 1)))
             (core instance $i (instantiate $m))
             (func (export "f") (result u32) (canon lift (core func $i "f"))))"#,
    );
    let e = fails(&["run", "--invoke", "f()", p(&unknown)]);
    assert!(
        e.contains("imports `acme:tools/magic`, which `tether run` cannot provide"),
        "{e}"
    );
    // Filled with functions that trap, exports that do not call them run.
    assert_eq!(
        ok(&[
            "run",
            "--trap-unknown-imports",
            "--invoke",
            "f()",
            p(&unknown)
        ]),
        "1\n"
    );

    // A WASI import of any 0.2.x version links; of `wasi:http`, only the client side is
    // provided.
    let wasi = dir.write(
        "wasi.wat",
        r#"(component
             (import "wasi:cli/environment@0.2.0" (instance (export "get-arguments" (func (result (list string))))))
             (core module $m (func (export "f") (result i32) (i32.const 1)))
             (core instance $i (instantiate $m))
             (func (export "f") (result u32) (canon lift (core func $i "f"))))"#,
    );
    assert_eq!(
        ok(&["run", "--dir", "/tmp::/data", "--invoke", "f()", p(&wasi)]),
        "1\n"
    );
    let e = fails(&[
        "run",
        "--dir",
        "/no/such/dir::/data",
        "--invoke",
        "f()",
        p(&wasi),
    ]);
    assert!(
        e.contains("cannot open the directory `/no/such/dir`"),
        "{e}"
    );
    let http = dir.write(
        "wasi-http.wat",
        r#"(component
             (import "wasi:http/outgoing-handler@0.2.0" (instance (export "handle" (func))))
             (core module $m (func (export "f") (result i32) (i32.const 1)))
             (core instance $i (instantiate $m))
             (func (export "f") (result u32) (canon lift (core func $i "f"))))"#,
    );
    // Provided, so it links by name, and the mistyped function is named.
    let e = fails(&["run", "--invoke", "f()", p(&http)]);
    assert!(
        e.contains(
            "import `wasi:http/outgoing-handler@0.2.0` has the wrong type: instance export `handle`"
        ),
        "{e}"
    );
    let server_side = dir.write(
        "wasi-http-server.wat",
        r#"(component
             (import "wasi:http/incoming-handler@0.2.0" (instance (export "handle" (func))))
             (core module $m (func (export "f") (result i32) (i32.const 1)))
             (core instance $i (instantiate $m))
             (func (export "f") (result u32) (canon lift (core func $i "f"))))"#,
    );
    let e = fails(&["run", "--invoke", "f()", p(&server_side)]);
    assert!(
        e.contains("imports `wasi:http/incoming-handler@0.2.0`, which `tether run` cannot provide"),
        "{e}"
    );
}

#[test]
fn invoke_on_the_roundtrip_guest() {
    let guest = tether_test_programs::ROUNDTRIP;
    let e = fails(&[
        "run",
        "--invoke",
        "tether:roundtrip/guest#sum([1, 2])",
        guest,
    ]);
    assert!(e.contains("imports `tether:roundtrip/host`"), "{e}");
    let run = |call: &str| ok(&["run", "--trap-unknown-imports", "--invoke", call, guest]);
    assert_eq!(run("tether:roundtrip/guest#sum([1, 2, 3])"), "6\n");
    assert_eq!(
        run(r#"tether:roundtrip/guest#concat(["a", "b", "c"])"#),
        "\"abc\"\n"
    );
    assert_eq!(
        run(r#"tether:roundtrip/guest#reverse("héllo")"#),
        "\"olléh\"\n"
    );
    assert_eq!(
        run("tether:roundtrip/guest#count-perms({read, write, admin})"),
        "3\n"
    );
    // A guest function that calls a host import the command does not provide traps.
    let e = fails(&[
        "run",
        "--trap-unknown-imports",
        "--invoke",
        "tether:roundtrip/guest#echo-u8(1)",
        guest,
    ]);
    assert!(
        e.contains("`tether:roundtrip/host#echo-u8` was called"),
        "{e}"
    );
}

#[test]
fn wit_prints_a_world_that_check_accepts() {
    let dir = TempDir::new("wit");
    let c = dir.write("values.wat", VALUES);
    let wit = ok(&["wit", p(&c)]);
    for line in [
        "record rect {",
        "enum color {",
        "export add: func(a: u32, b: u32) -> u32;",
        "export echo-list: func(xs: list<u32>) -> list<u32>;",
        "export swap: func(r: rect) -> rect;",
    ] {
        assert!(wit.contains(line), "`{line}` is missing from:\n{wit}");
    }
    let file = dir.write("values.wit", &wit);
    assert!(ok(&["check", p(&file)]).contains("ok"));

    for (name, guest) in [
        ("roundtrip", tether_test_programs::ROUNDTRIP),
        ("http", tether_test_programs::HTTP_GUEST),
    ] {
        let wit = ok(&["wit", guest]);
        let file = dir.write(&format!("{name}.wit"), &wit);
        assert!(ok(&["check", p(&file)]).contains("ok"), "{wit}");
    }
    let http = ok(&["wit", tether_test_programs::HTTP_GUEST]);
    assert!(
        http.contains("import tether:http/http;") && http.contains("resource body-stream {"),
        "{http}"
    );
}

#[test]
fn check_reports_the_file_and_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert!(ok(&["check", p(&root.join("wit/http"))]).contains("package `tether:http`"));
    assert!(ok(&["check", p(&root.join("wit/http/http.wit"))]).contains("ok"));
    assert!(ok(&["check", p(&root.join("wit/article"))]).contains("package `tether:article`"));

    let dir = TempDir::new("check");
    let bad = dir.write(
        "bad.wit",
        "package a:b;\n\ninterface i {\n  f: func() -> nope;\n}\n",
    );
    let o = tether(&["check", p(&bad)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("name `nope` does not exist"), "{err}");
    assert!(
        err.contains(&format!("{}:4:16", p(&bad))),
        "no file and line in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let syntax = dir.write(
        "syntax.wit",
        "package a:b;\n\ninterface i {\n  f: func( -> u32;\n}\n",
    );
    let err = stderr(&tether(&["check", p(&syntax)]));
    assert!(
        err.contains(&format!("{}:4:12", p(&syntax))),
        "no file and line in: {err}"
    );

    // A folder: the file inside is named.
    let pkg = TempDir::new("check-dir");
    let inner = pkg.write(
        "x.wit",
        "package a:b;\n\ninterface i {\n  f: func() -> nope;\n}\n",
    );
    let err = stderr(&tether(&["check", p(&pkg.0)]));
    assert!(
        err.contains(&format!("{}:4:16", p(&inner))),
        "no file and line in: {err}"
    );
    assert!(fails(&["check", p(&dir.0.join("missing.wit"))]).contains("cannot read"));
}

/// A server on loopback answering every request with `hi`, for a bounded time.
fn serve_hi() -> (String, std::thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = 0;
        while Instant::now() < deadline && served < 1 {
            let Ok((mut conn, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 512];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi");
            served += 1;
        }
        served
    });
    (origin, thread)
}

#[test]
fn run_the_http_guest_with_an_allowed_origin() {
    let guest = tether_test_programs::HTTP_GUEST;
    let (origin, server) = serve_hi();
    let call = format!("fetch-body(\"{origin}/page\")");
    // Not allowed: an error code, and no request.
    let denied = ok(&["run", "--invoke", &call, guest]);
    assert_eq!(
        denied,
        format!("err(denied(\"the origin `{origin}` is not allowed\"))\n")
    );
    let o = tether(&[
        "run",
        "--allow-http",
        &origin,
        "--stats",
        "--invoke",
        &call,
        guest,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ok((200, [104, 105]))\n");
    let err = stderr(&o);
    assert!(
        err.contains("stats: host objects alive at exit: 0"),
        "{err}"
    );
    assert!(
        err.contains("stats: HTTP requests: 1, body bytes read: 2"),
        "{err}"
    );
    assert_eq!(server.join().unwrap(), 1, "one request reached the server");
}

#[test]
fn the_demo_runs_end_to_end() {
    let out = ok(&["demo"]);
    assert!(
        out.contains("1. `let response = fetch(url)?; response.status()`"),
        "{out}"
    );
    let reads: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("body bytes read from the network by the host"))
        .collect();
    assert_eq!(reads.len(), 2, "{out}");
    assert!(
        reads[0].ends_with(": 0"),
        "reading the status read no body: {out}"
    );
    assert!(
        reads[1].ends_with(": 1048576"),
        "reading the body read all of it: {out}"
    );
    assert!(out.contains("error-code: denied"), "{out}");
    assert!(out.contains("Host objects alive now: 0."), "{out}");
    // The body as a stream: the guest read 1 KiB of 1 GiB, and the host little more.
    assert!(out.contains("the guest read 1024 bytes"), "{out}");
    let socket: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("   bytes the host read from the socket: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no socket count: {out}"));
    assert!((1024..1024 + 512).contains(&socket), "{out}");
    assert!(
        out.contains("the body's reader dropped with the stream: yes"),
        "{out}"
    );
}

/// `tether check` on WIT files with one random change each (a deleted or repeated range, a
/// character replaced by one WIT gives meaning to), from a fixed seed: each is accepted or
/// refused with an error, and none panics.
#[test]
fn check_never_panics_on_mutated_wit() {
    const MUTANTS: u64 = 150;
    const SIGNIFICANT: &[u8] = b"{}()<>;:,@/=.-_*%^ \nabz019";
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = TempDir::new("check-mutants");
    let (mut accepted, mut refused) = (0, 0);
    for source in ["wit/article/article.wit", "wit/http/http.wit"] {
        let text = std::fs::read(root.join(source)).unwrap();
        for seed in 1..=MUTANTS {
            // xorshift64*, seeded so that a failure can be replayed.
            let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let mut next = |n: usize| {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                (state.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1) as u64) as usize
            };
            let mut wit = text.clone();
            let at = next(wit.len());
            let len = 1 + next(12);
            let end = (at + len).min(wit.len());
            match next(3) {
                0 => {
                    wit.drain(at..end);
                }
                1 => {
                    let range = wit[at..end].to_vec();
                    wit.splice(at..at, range);
                }
                _ => wit[at] = SIGNIFICANT[next(SIGNIFICANT.len())],
            }
            let file = dir.0.join(format!("mutant-{seed}.wit"));
            std::fs::write(&file, &wit).unwrap();
            let o = tether(&["check", p(&file)]);
            let err = stderr(&o);
            assert!(
                matches!(o.status.code(), Some(0 | 1)) && !err.contains("panicked"),
                "`tether check` on {source} mutated with seed {seed}: status {:?}: {err}",
                o.status.code()
            );
            if o.status.success() {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
    }
    // The changes reach past the parser's first error: some mutants are still valid WIT.
    assert!(
        accepted > 0 && refused > 0,
        "accepted {accepted}, refused {refused}"
    );
}
