//! WASI programs built from source by four toolchains (`guests/wasi-README.md`), each run
//! with `tether run` as a user runs it, and their output, files and exit status checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tether_test_programs::{
    WASI_C, WASI_C_CORE, WASI_COMPONENTIZE_JS, WASI_GO, WASI_JS, WASI_PYTHON, WASI_RUST,
};

/// A folder that is removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "tether-wasi-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `tether run ARGS` with `FOO=bar` in its environment and no stdin.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tether"))
        .arg("run")
        .args(args)
        .env("FOO", "bar")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks the exit status and stdout; returns stderr.
fn expect(o: &Output, status: i32, out: &str) -> String {
    let (stdout, stderr) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(
        o.status.code(),
        Some(status),
        "exit status; stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(stdout, out, "stdout; stderr:\n{stderr}");
    stderr
}

fn dir_arg(host: &Path, guest: &str) -> String {
    format!("{}::{guest}", host.display())
}

#[test]
fn rust_program_args_env_files_time_and_stderr() {
    let t = TempDir::new("rust");
    let data = t.path("data");
    std::fs::create_dir(&data).unwrap();
    let o = run(&[
        "--dir",
        &dir_arg(&data, "/data"),
        "--env",
        "FOO",
        WASI_RUST,
        "env",
        "FOO",
        "env",
        "NOPE",
        "time",
        "fs",
        "/data",
        "stderr",
        "to stderr",
    ]);
    let err = expect(
        &o,
        0,
        r#"args: ["env", "FOO", "env", "NOPE", "time", "fs", "/data", "stderr", "to stderr"]
env FOO=bar
env NOPE unset
time: monotonic ok, wall ok
fs: wrote 11 bytes, read back "hello world"
list: [a.txt, sub]
metadata: a.txt file=true len=11, sub dir=true
renamed: a.txt -> sub/b.txt, read back "hello world", list [sub], sub [b.txt]
removed: list []
"#,
    );
    assert_eq!(err, "to stderr\n");
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        0,
        "the guest removed what it made"
    );
}

#[test]
fn rust_program_sees_only_the_environment_it_was_given() {
    let o = run(&["--env", "A=1", "--env", "B=two words", WASI_RUST, "environ"]);
    expect(&o, 0, "args: [\"environ\"]\nenviron: [A=1, B=two words]\n");
}

#[test]
fn rust_program_exit_status() {
    // WASI 0.2's `exit` takes a `result`: any non-zero status is `err`, which is 1.
    let o = run(&[WASI_RUST, "exit", "3", "env", "FOO"]);
    expect(&o, 1, "args: [\"exit\", \"3\", \"env\", \"FOO\"]\n");
    let o = run(&[WASI_RUST, "exit", "0", "env", "FOO"]);
    expect(&o, 0, "args: [\"exit\", \"0\", \"env\", \"FOO\"]\n");
}

#[test]
fn rust_program_reads_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tether"))
        .args(["run", WASI_RUST, "stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"piped in").unwrap();
    let o = child.wait_with_output().unwrap();
    expect(&o, 0, "args: [\"stdin\"]\nstdin: \"piped in\"\n");
}

#[test]
fn escapes_from_a_preopen_are_refused() {
    let t = TempDir::new("escape");
    let data = t.path("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(t.path("outside.txt"), "secret").unwrap();
    std::os::unix::fs::symlink("../outside.txt", data.join("link-out")).unwrap();
    let o = run(&[
        "--dir",
        &dir_arg(&data, "/data"),
        WASI_RUST,
        "escape",
        "/data",
    ]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", text(&o.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], r#"args: ["escape", "/data"]"#);
    for (line, what) in lines[1..]
        .iter()
        .zip(["..", ".. create", "absolute", "symlink"])
    {
        assert!(
            line.starts_with(&format!("escape {what}: refused (")),
            "escape through {what} was not refused: {line}"
        );
    }
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        !t.path("created-outside.txt").exists(),
        "a file was created outside the preopen"
    );
}

#[test]
fn a_read_only_preopen_refuses_changes() {
    let t = TempDir::new("readonly");
    let data = t.path("data");
    std::fs::create_dir(&data).unwrap();
    let o = run(&[
        "--dir-readonly",
        &dir_arg(&data, "/data"),
        WASI_RUST,
        "fs",
        "/data",
    ]);
    let err = expect(&o, 1, "args: [\"fs\", \"/data\"]\n");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);

    // Reading is allowed.
    let c = TempDir::new("readonly-c");
    std::fs::write(c.path("in.txt"), "hello from a file\n").unwrap();
    let o = run(&[
        "--dir-readonly",
        &dir_arg(&c.0, "/data"),
        "--env",
        "FOO",
        WASI_PYTHON,
        "/data/in.txt",
    ]);
    expect(
        &o,
        0,
        "hello from python\nargs: ['/data/in.txt']\nenv FOO=bar\nfile: 'hello from a file\\n'\n",
    );
}

#[test]
fn rust_program_sleeps_on_a_clock_pollable() {
    let o = run(&[WASI_RUST, "sleep", "50"]);
    expect(&o, 0, "args: [\"sleep\", \"50\"]\nslept: ok\n");
}

#[test]
fn nonblocking_reads_and_polls_over_stdin_and_a_timer() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tether"))
        .args(["run", WASI_RUST, "poll"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Nothing is written to stdin until the guest has seen its timer fire first.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let timer = line == "poll: timer";
        seen.push(line);
        if timer {
            break;
        }
    }
    stdin.write_all(b"late\n").unwrap();
    drop(stdin);
    seen.extend(lines.map(Result::unwrap));
    let status = child.wait().unwrap();
    assert_eq!(
        seen,
        [
            "args: [\"poll\"]",
            "nonblocking read: 0 bytes",
            "poll: timer",
            "poll: stdin",
            "read: \"late\\n\"",
        ]
    );
    assert!(status.success());
}

/// Runs the C guest `program` (the component, or the preview 1 module `tether run` adapts)
/// with a file in a granted folder, then with a status to exit with.
fn c_program(program: &str) {
    let t = TempDir::new("c");
    let o = run(&[
        "--dir",
        &dir_arg(&t.0, "/data"),
        "--env",
        "FOO",
        program,
        "/data/c.txt",
    ]);
    let err = expect(
        &o,
        0,
        "hello from c\nargs: /data/c.txt\nenv FOO=bar\nfile: wrote 12 bytes, read back \"hello from c\"\n",
    );
    assert_eq!(err, "c guest done\n");
    assert_eq!(
        std::fs::read_to_string(t.path("c.txt")).unwrap(),
        "hello from c"
    );
    let o = run(&[
        "--dir",
        &dir_arg(&t.0, "/data"),
        program,
        "/data/c.txt",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
}

#[test]
fn c_program_through_the_preview1_adapter() {
    c_program(WASI_C);
}

#[test]
fn a_preview1_module_runs_through_the_adapter() {
    c_program(WASI_C_CORE);
}

#[test]
fn core_modules_that_are_not_preview1_commands_are_refused() {
    let t = TempDir::new("core");
    let cases = [
        (
            "env.wat",
            r#"(module (import "env" "f" (func)) (func (export "_start")))"#,
            "importing `env::f`",
        ),
        (
            "lib.wat",
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))"#,
            "no `_start` export",
        ),
    ];
    for (name, wat, expected) in cases {
        std::fs::write(t.path(name), wat).unwrap();
        let path = t.path(name);
        let o = run(&[path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = text(&o.stderr);
        assert!(err.contains(expected), "{name}: {err}");
    }
}

#[test]
fn go_program_over_wit_bindgen_go_bindings() {
    let t = TempDir::new("go");
    std::fs::write(t.path("before.txt"), "already here").unwrap();
    let dir = dir_arg(&t.0, "/data");
    let o = run(&["--dir", &dir, "--env", "FOO", WASI_GO, "/data"]);
    let err = expect(
        &o,
        0,
        "hello from go\nargs: [/data]\nenv FOO=bar\nfile: read back \"hello from go\"\n\
         dir: [before.txt go.txt]\ngoroutines: sum 5050, slept at least 20ms: true\n\
         random: 16 bytes, clock after 2020: true\n",
    );
    assert_eq!(err, "go guest done\n");
    assert_eq!(
        std::fs::read_to_string(t.path("go.txt")).unwrap(),
        "hello from go"
    );
    // Without the folder granted, the write fails and the program says why.
    let o = run(&[WASI_GO, "/data"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).starts_with("error: open /data/go.txt"),
        "{}",
        text(&o.stderr)
    );
    // A status the program asks for: any non-zero one is `exit(err)` under WASI 0.2.
    let o = run(&["--dir", &dir, WASI_GO, "/data", "3"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("hello from go\nargs: [/data 3]\nenv FOO unset\n"));
}

#[test]
fn python_program_from_componentize_py() {
    let t = TempDir::new("python");
    std::fs::write(t.path("in.txt"), "hello from a file\n").unwrap();
    let dir = dir_arg(&t.0, "/data");
    let head =
        "hello from python\nargs: ['/data/in.txt']\nenv FOO=bar\nfile: 'hello from a file\\n'\n";
    let o = run(&["--dir", &dir, "--env", "FOO", WASI_PYTHON, "/data/in.txt"]);
    let err = expect(&o, 0, head);
    assert_eq!(err, "");
    let o = run(&[
        "--dir",
        &dir,
        "--env",
        "FOO",
        WASI_PYTHON,
        "/data/in.txt",
        "fail",
    ]);
    let err = expect(
        &o,
        1,
        "hello from python\nargs: ['/data/in.txt', 'fail']\nenv FOO=bar\nfile: 'hello from a file\\n'\n",
    );
    assert!(err.contains("failing as asked"), "{err}");
}

#[test]
fn javascript_program_from_componentize_qjs() {
    let o = run(&["--env", "FOO", WASI_JS, "a", "b c"]);
    expect(
        &o,
        0,
        "hello from js\nargs: [\"a\",\"b c\"]\nenv FOO=bar\ntime: wall ok\n",
    );
    let o = run(&[WASI_JS, "fail"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("failing as asked"));
}

/// The engine behind `jco componentize`: SpiderMonkey (StarlingMonkey), 14 MB, importing all
/// of `wasi:cli/imports`; its async `run` waits on a timer, so the event loop polls a clock.
#[test]
fn javascript_program_from_componentize_js() {
    let o = run(&["--env", "FOO", WASI_COMPONENTIZE_JS, "a", "b c"]);
    expect(
        &o,
        0,
        "hello from componentize-js: a b c\nFOO = bar\nrandom bytes: 16 text: h\u{e9}llo\ntimer: waited\n",
    );
    let o = run(&[WASI_COMPONENTIZE_JS, "fail"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("failing as asked"));
}

/// A command written in WAT whose `run` calls `wasi:cli/exit` as `how` says, importing the
/// 0.2.12 interface while exporting `wasi:cli/run@0.2.0`.
fn exit_command(dir: &TempDir, name: &str, body: &str) -> PathBuf {
    let path = dir.path(name);
    std::fs::write(
        &path,
        format!(
            r#"(component
  (import "wasi:cli/exit@0.2.12" (instance $exit
    (export "exit" (func (param "status" (result))))
    (export "exit-with-code" (func (param "status-code" u8)))))
  (alias export $exit "exit" (func $exit-f))
  (alias export $exit "exit-with-code" (func $exit-with-code))
  (core func $exit-f (canon lower (func $exit-f)))
  (core func $exit-with-code (canon lower (func $exit-with-code)))
  (core module $m
    (import "" "exit" (func $exit (param i32)))
    (import "" "exit-with-code" (func $exit-with-code (param i32)))
    (func (export "run") (result i32) {body}))
  (core instance $i (instantiate $m (with "" (instance
    (export "exit" (func $exit-f))
    (export "exit-with-code" (func $exit-with-code))))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run-i (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-i)))"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn exit_statuses_pass_through() {
    let t = TempDir::new("exit");
    let cases = [
        ("(call $exit-with-code (i32.const 5)) (i32.const 0)", 5),
        ("(call $exit-with-code (i32.const 0)) (i32.const 1)", 0),
        ("(call $exit (i32.const 1)) (i32.const 0)", 1),
        ("(call $exit (i32.const 0)) (i32.const 1)", 0),
        // `run` returning `err` without calling `exit`.
        ("(i32.const 1)", 1),
        ("(i32.const 0)", 0),
    ];
    for (i, (body, status)) in cases.into_iter().enumerate() {
        let path = exit_command(&t, &format!("exit{i}.wat"), body);
        let o = run(&[path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(status), "{body}: {}", text(&o.stderr));
        assert_eq!(text(&o.stderr), "", "{body}");
    }
}

#[test]
fn sockets_are_denied_unless_the_network_is_inherited() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // One connection, answered; the test ends the thread by closing nothing else.
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = [0u8; 5];
        conn.read_exact(&mut got).unwrap();
        conn.write_all(b"pong to ").unwrap();
        conn.write_all(&got).unwrap();
        1
    });

    let o = run(&[WASI_RUST, "tcp", &addr]);
    let err = expect(&o, 1, &format!("args: [\"tcp\", \"{addr}\"]\n"));
    assert!(err.contains("Permission denied"), "{err}");

    let o = run(&["--inherit-network", WASI_RUST, "tcp", &addr]);
    expect(
        &o,
        0,
        &format!("args: [\"tcp\", \"{addr}\"]\ntcp: \"pong to ping\\n\"\n"),
    );
    assert_eq!(server.join().unwrap(), 1);

    // A name is resolved; nothing listens on port 1.
    let o = run(&["--inherit-network", WASI_RUST, "tcp", "localhost:1"]);
    let err = expect(&o, 1, "args: [\"tcp\", \"localhost:1\"]\n");
    assert!(err.contains("Connection refused"), "{err}");
}

/// How long a network test waits for anything (a line from the guest, a reply, the guest's
/// exit) before it fails: long enough for a debug build of `tether` to compile the guest.
const WAIT: Duration = Duration::from_secs(60);

/// `tether run ARGS` running, its stdout read line by line as it comes. Every wait is bounded
/// by [`WAIT`], and the child is killed when the test ends, passing or not.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tether"))
            .arg("run")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Running {
            child,
            lines,
            stderr: Some(stderr),
        }
    }

    /// The next line of stdout.
    fn line(&mut self) -> String {
        match self.lines.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(e) => {
                let _ = self.child.kill();
                let stderr = self.stderr.take().map(|t| t.join().unwrap_or_default());
                panic!("no line from the guest ({e}); stderr: {stderr:?}")
            }
        }
    }

    /// The port at the end of the next line, which must start with `prefix`.
    fn port(&mut self, prefix: &str) -> u16 {
        let line = self.line();
        match line.strip_prefix(prefix).map(str::parse) {
            Some(Ok(port)) => port,
            _ => panic!("expected `{prefix}PORT`, got {line:?}"),
        }
    }

    /// Waits for the guest to exit; returns its exit status, the rest of its stdout and its
    /// stderr.
    fn finish(mut self) -> (Option<i32>, Vec<String>, String) {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the guest did not exit within {WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest = self.lines.iter().collect();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status.code(), rest, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// The guest listens (`std::net::TcpListener` on `127.0.0.1:0`), prints its port, and answers
/// the connection the test makes to it.
#[test]
fn a_guest_serves_tcp_on_the_port_it_prints() {
    let mut guest = Running::start(&["--inherit-network", WASI_RUST, "tcp-serve"]);
    assert_eq!(guest.line(), r#"args: ["tcp-serve"]"#);
    let port = guest.port("tcp-serve: port ");
    let mut conn = TcpStream::connect_timeout(&loopback(port), WAIT).unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    conn.set_write_timeout(Some(WAIT)).unwrap();
    conn.write_all(b"hello from the host\n").unwrap();
    // The guest answers, then exits, which closes the connection.
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "pong to hello from the host\n");
    let (status, rest, stderr) = guest.finish();
    assert_eq!(
        rest,
        [r#"tcp-serve: got "hello from the host" from 127.0.0.1"#],
        "{stderr}"
    );
    assert_eq!(status, Some(0), "{stderr}");
}

/// A datagram each way: the guest answers one (`recv_from`, `send_to` on an unconnected
/// `std::net::UdpSocket`), then asks one (`connect`, `send`, `recv`).
#[test]
fn udp_datagrams_to_and_from_a_guest() {
    let mut guest = Running::start(&["--inherit-network", WASI_RUST, "udp-serve"]);
    assert_eq!(guest.line(), r#"args: ["udp-serve"]"#);
    let port = guest.port("udp-serve: port ");
    let host = UdpSocket::bind("127.0.0.1:0").unwrap();
    host.set_read_timeout(Some(WAIT)).unwrap();
    host.send_to(b"hello over udp", loopback(port)).unwrap();
    let mut buf = [0u8; 1500];
    let (n, from) = host.recv_from(&mut buf).unwrap();
    assert_eq!(text(&buf[..n]), "pong to hello over udp");
    assert_eq!(
        from,
        loopback(port),
        "the answer comes from the guest's socket"
    );
    let (status, rest, stderr) = guest.finish();
    assert_eq!(
        rest,
        [r#"udp-serve: got "hello over udp" from 127.0.0.1"#],
        "{stderr}"
    );
    assert_eq!(status, Some(0), "{stderr}");

    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server.set_read_timeout(Some(WAIT)).unwrap();
    let addr = server.local_addr().unwrap().to_string();
    let mut guest = Running::start(&["--inherit-network", WASI_RUST, "udp-echo", &addr]);
    assert_eq!(guest.line(), format!(r#"args: ["udp-echo", "{addr}"]"#));
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(text(&buf[..n]), "ping");
    assert_eq!(from.ip(), Ipv4Addr::LOCALHOST);
    server.send_to(b"pong to ping", from).unwrap();
    let (status, rest, stderr) = guest.finish();
    assert_eq!(rest, [r#"udp-echo: "pong to ping""#], "{stderr}");
    assert_eq!(status, Some(0), "{stderr}");
}

/// Without `--inherit-network`, listening on TCP and binding UDP fail in the guest with
/// `access-denied` (wasi-libc's `EACCES`, which Rust prints as `Permission denied`).
#[test]
fn binding_is_denied_unless_the_network_is_inherited() {
    for args in [
        &["tcp-serve"][..],
        &["udp-serve"],
        &["udp-echo", "127.0.0.1:9"],
    ] {
        let o = run(&[&[WASI_RUST][..], args].concat());
        let err = expect(&o, 1, &format!("args: {args:?}\n"));
        assert!(
            err.starts_with("error: binding 127.0.0.1:0: Permission denied")
                || err.starts_with("error: listening on 127.0.0.1:0: Permission denied"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_leak_report_leaves_out_stdio_and_preopens() {
    // wasi-libc keeps its stdio streams and its preopened directories for the whole run:
    // live at exit, but handed out by the runtime, not leaked by the program.
    let t = TempDir::new("leaks");
    let o = run(&[
        "--stats",
        "--dir",
        &dir_arg(&t.0, "/data"),
        WASI_C,
        "/data/c.txt",
    ]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("stats: live handles at exit: 4\n"), "{err}");
    assert!(
        err.contains("stats:   wasi:filesystem/types/descriptor: 1\n"),
        "{err}"
    );
    assert!(
        err.contains("stats: leaked at exit (less stdio and preopens): 0\n"),
        "{err}"
    );
}
