//! A WASI 0.2 command, written with Rust's standard library (and the `wasi` crate for `poll`), for
//! testing a WASI host.
//!
//! It prints `args: [...]` (the arguments after the program name), then runs its arguments
//! as a sequence of commands, in order, each printing deterministic lines on stdout:
//!
//! | command | prints |
//! |---|---|
//! | `env NAME` | `env NAME=VALUE`, or `env NAME unset` |
//! | `environ` | `environ: [A=1, B=2]`, every variable, sorted |
//! | `fs DIR` | in DIR, which must be empty: creates, writes, reads back, lists, renames and removes files (see `fs`) |
//! | `escape DIR` | tries to reach outside DIR four ways, and prints `refused (...)` or `allowed (...)` for each |
//! | `time` | `time: monotonic ok, wall ok` |
//! | `stdin` | `stdin: "..."`, all of standard input |
//! | `stderr TEXT` | TEXT on stderr |
//! | `exit N` | nothing: exits with status N at once |
//! | `tcp ADDR` | connects to ADDR (`host:port`), sends `ping\n`, and prints `tcp: "..."`, the reply up to the end |
//! | `spam MIB` | MIB mebibytes of `x` on stdout, 64 KiB at a time |
//! | `sleep MS` | `slept: ok` once at least MS milliseconds have passed (a pollable on the clock) |
//! | `poll` | through `wasi:io` itself: a non-blocking read of stdin (`nonblocking read: 0 bytes` when nothing is there yet), a poll of stdin and a 50 ms timer (`poll: timer`), a poll of stdin alone (`poll: stdin`), then a blocking read (`read: "..."`) |
//!
//! With no command it prints the `args` line alone and exits with 0. A command that fails
//! prints `error: ...` on stderr and exits with 1; an unknown one exits with 2.

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args: {args:?}");
    let mut rest = args.iter().map(String::as_str);
    while let Some(command) = rest.next() {
        let mut operand = |what: &str| match rest.next() {
            Some(value) => Ok(value),
            None => Err(format!("`{command}` needs {what}")),
        };
        let outcome = match command {
            "env" => operand("a variable's name").map(env),
            "environ" => {
                environ();
                Ok(())
            }
            "fs" => operand("a folder").and_then(fs_ops),
            "escape" => operand("a folder").map(escape),
            "time" => time(),
            "stdin" => stdin(),
            "stderr" => operand("a text").map(|text| eprintln!("{text}")),
            "tcp" => operand("an address").and_then(tcp),
            "spam" => operand("a size in MiB").and_then(spam),
            "sleep" => operand("milliseconds").and_then(sleep),
            "poll" => poll(),
            "exit" => operand("a status").and_then(|status| match status.parse::<i32>() {
                Ok(status) => std::process::exit(status),
                Err(e) => Err(format!("bad exit status {status:?}: {e}")),
            }),
            other => {
                eprintln!("error: unknown command {other:?}");
                return ExitCode::from(2);
            }
        };
        if let Err(message) = outcome {
            eprintln!("error: {message}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn env(name: &str) {
    match std::env::var(name) {
        Ok(value) => println!("env {name}={value}"),
        Err(_) => println!("env {name} unset"),
    }
}

fn environ() {
    let mut vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    vars.sort();
    println!("environ: [{}]", vars.join(", "));
}

/// Lists a folder's entries, sorted, as `[a, b]`.
fn list(dir: &Path) -> Result<String, String> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("list {}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| format!("list {}: {e}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(format!("[{}]", names.join(", ")))
}

/// In an empty folder: write `a.txt`, read it back, make `sub/`, list, stat, rename
/// `a.txt` to `sub/b.txt`, read that, then remove both and list again.
fn fs_ops(dir: &str) -> Result<(), String> {
    let dir = Path::new(dir);
    let step = |what: &'static str| move |e: io::Error| format!("{what}: {e}");
    let a = dir.join("a.txt");
    let sub = dir.join("sub");
    let b = sub.join("b.txt");

    let data = b"hello world";
    fs::write(&a, data).map_err(step("write a.txt"))?;
    let back = fs::read_to_string(&a).map_err(step("read a.txt"))?;
    println!("fs: wrote {} bytes, read back {back:?}", data.len());

    fs::create_dir(&sub).map_err(step("create sub"))?;
    println!("list: {}", list(dir)?);

    let meta_a = fs::metadata(&a).map_err(step("stat a.txt"))?;
    let meta_sub = fs::metadata(&sub).map_err(step("stat sub"))?;
    println!(
        "metadata: a.txt file={} len={}, sub dir={}",
        meta_a.is_file(),
        meta_a.len(),
        meta_sub.is_dir()
    );

    fs::rename(&a, &b).map_err(step("rename a.txt to sub/b.txt"))?;
    let back = fs::read_to_string(&b).map_err(step("read sub/b.txt"))?;
    println!(
        "renamed: a.txt -> sub/b.txt, read back {back:?}, list {}, sub {}",
        list(dir)?,
        list(&sub)?
    );

    fs::remove_file(&b).map_err(step("remove sub/b.txt"))?;
    fs::remove_dir(&sub).map_err(step("remove sub"))?;
    println!("removed: list {}", list(dir)?);
    Ok(())
}

/// Tries to get out of `dir`: through `..` (reading, then creating), by an absolute path,
/// and through `dir/link-out`, a symbolic link that the test made to point outside.
fn escape(dir: &str) {
    let dir = Path::new(dir);
    let read = |path: &Path| match fs::read(path) {
        Ok(bytes) => format!("allowed (read {} bytes)", bytes.len()),
        Err(e) => format!("refused ({e})"),
    };
    println!("escape ..: {}", read(&dir.join("../outside.txt")));
    let created = match fs::write(dir.join("../created-outside.txt"), b"escaped") {
        Ok(()) => "allowed (created ../created-outside.txt)".to_string(),
        Err(e) => format!("refused ({e})"),
    };
    println!("escape .. create: {created}");
    println!("escape absolute: {}", read(Path::new("/etc/passwd")));
    println!("escape symlink: {}", read(&dir.join("link-out")));
}

fn time() -> Result<(), String> {
    let start = Instant::now();
    let mut x = 0u64;
    for i in 0..100_000u64 {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    std::hint::black_box(x);
    let end = Instant::now();
    let monotonic = if end >= start && end.duration_since(start) < Duration::from_secs(60) {
        "ok".to_string()
    } else {
        format!("bad ({start:?} then {end:?})")
    };
    // 2020-09-13 or later, and before 2200.
    let wall = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) if (1_600_000_000..7_258_118_400).contains(&d.as_secs()) => "ok".to_string(),
        Ok(d) => format!("bad ({} s since 1970)", d.as_secs()),
        Err(e) => format!("bad (before 1970 by {:?})", e.duration()),
    };
    println!("time: monotonic {monotonic}, wall {wall}");
    Ok(())
}

fn stdin() -> Result<(), String> {
    let mut text = String::new();
    io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("read stdin: {e}"))?;
    println!("stdin: {text:?}");
    Ok(())
}

/// Writes `mib` MiB of `x` to stdout.
fn spam(mib: &str) -> Result<(), String> {
    use std::io::Write;
    let mib: u64 = mib.parse().map_err(|e| format!("bad size {mib:?}: {e}"))?;
    let chunk = vec![b'x'; 64 << 10];
    let mut out = io::stdout().lock();
    for _ in 0..mib * 16 {
        out.write_all(&chunk).map_err(|e| format!("writing stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("flushing stdout: {e}"))
}

/// Sleeps `ms` milliseconds (a pollable on the monotonic clock, under Rust's `std`).
fn sleep(ms: &str) -> Result<(), String> {
    let ms: u64 = ms.parse().map_err(|e| format!("bad duration {ms:?}: {e}"))?;
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(ms));
    let slept = start.elapsed();
    if slept >= Duration::from_millis(ms) {
        println!("slept: ok");
        Ok(())
    } else {
        Err(format!("woke after {slept:?}, before {ms} ms"))
    }
}

/// Non-blocking and blocking reads of stdin, and polls over stdin and a timer, through the
/// `wasi:io` interfaces themselves. The host is expected to write to stdin only after it
/// has seen `poll: timer`.
fn poll() -> Result<(), String> {
    use std::io::Write;
    use wasi::io::streams::StreamError;
    let say = |line: String| {
        println!("{line}");
        let _ = io::stdout().flush();
    };
    let stdin = wasi::cli::stdin::get_stdin();
    match stdin.read(1024) {
        Ok(bytes) => say(format!("nonblocking read: {} bytes", bytes.len())),
        Err(StreamError::Closed) => return Err("stdin closed at once".into()),
        Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
    }
    let input = stdin.subscribe();
    let timer = wasi::clocks::monotonic_clock::subscribe_duration(50_000_000);
    match wasi::io::poll::poll(&[&input, &timer])[..] {
        [1] => say("poll: timer".into()),
        ref other => return Err(format!("poll of stdin and a timer gave {other:?}, expected [1]")),
    }
    match wasi::io::poll::poll(&[&input])[..] {
        [0] => say("poll: stdin".into()),
        ref other => return Err(format!("poll of stdin gave {other:?}")),
    }
    drop(input);
    drop(timer);
    let mut text = Vec::new();
    loop {
        match stdin.blocking_read(1024) {
            Ok(bytes) => text.extend(bytes),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
        }
    }
    say(format!("read: {:?}", String::from_utf8_lossy(&text)));
    Ok(())
}

/// Connects to `addr` over TCP (`wasi:sockets`), sends `ping\n` and prints the reply.
fn tcp(addr: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stream =
        std::net::TcpStream::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
    stream
        .write_all(b"ping\n")
        .map_err(|e| format!("writing to {addr}: {e}"))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| format!("reading from {addr}: {e}"))?;
    println!("tcp: {reply:?}");
    Ok(())
}
