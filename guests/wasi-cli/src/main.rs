//! A WASI 0.2 command, written with Rust's standard library (and the `wasi` crate for `poll` and
//! the raw `wasi:sockets` checks), for testing a WASI host.
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
//! | `tcp-serve` | listens on `127.0.0.1`, port 0 (`std::net::TcpListener`), prints `tcp-serve: port N` at once, accepts one connection, reads a line, answers `pong to LINE\n` and prints `tcp-serve: got "LINE" from IP` |
//! | `udp-serve` | binds `127.0.0.1`, port 0 (`std::net::UdpSocket`), prints `udp-serve: port N` at once, receives one datagram, answers `pong to DATA` to its sender and prints `udp-serve: got "DATA" from IP` |
//! | `udp-echo ADDR` | binds `127.0.0.1:0`, connects to ADDR, sends `ping` and prints `udp-echo: "..."`, the datagram that comes back |
//! | `sockets` | through `wasi:sockets` itself: the TCP and UDP state machines, error codes, options, a TCP connection and UDP datagrams within the guest; one `NAME: OUTCOME` line per check (see `sockets`) |
//! | `udp-misuse HOW` | breaks a rule of `wasi:sockets/udp` that the host must trap on: `unpermitted` (`send` with no `check-send`), `overflow` (more datagrams than permitted), `restream` (`stream` while the last streams live) |
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
            "tcp-serve" => tcp_serve(),
            "udp-serve" => udp_serve(),
            "udp-echo" => operand("an address").and_then(udp_echo),
            "sockets" => sockets::run(),
            "udp-misuse" => operand("a misuse").and_then(sockets::misuse),
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
        out.write_all(&chunk)
            .map_err(|e| format!("writing stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("flushing stdout: {e}"))
}

/// Sleeps `ms` milliseconds (a pollable on the monotonic clock, under Rust's `std`).
fn sleep(ms: &str) -> Result<(), String> {
    let ms: u64 = ms
        .parse()
        .map_err(|e| format!("bad duration {ms:?}: {e}"))?;
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
        ref other => {
            return Err(format!(
                "poll of stdin and a timer gave {other:?}, expected [1]"
            ));
        }
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

/// Prints `line` and flushes stdout, for a host reading it while the guest runs on.
fn say(line: String) {
    use std::io::Write;
    println!("{line}");
    let _ = io::stdout().flush();
}

/// Serves one TCP connection on `127.0.0.1`, at a port the OS picks: prints the port, reads a
/// line and answers it.
fn tcp_serve() -> Result<(), String> {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("listening on 127.0.0.1:0: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("the listener's address: {e}"))?
        .port();
    say(format!("tcp-serve: port {port}"));
    let (stream, peer) = listener.accept().map_err(|e| format!("accepting: {e}"))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(|e| format!("reading from {peer}: {e}"))?;
    let line = line.trim_end_matches('\n');
    (&stream)
        .write_all(format!("pong to {line}\n").as_bytes())
        .map_err(|e| format!("answering {peer}: {e}"))?;
    say(format!("tcp-serve: got {line:?} from {}", peer.ip()));
    Ok(())
}

/// Answers one UDP datagram on `127.0.0.1`, at a port the OS picks: prints the port, receives
/// a datagram and sends `pong to DATA` back to its sender.
fn udp_serve() -> Result<(), String> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")
        .map_err(|e| format!("binding 127.0.0.1:0: {e}"))?;
    let port = socket
        .local_addr()
        .map_err(|e| format!("the socket's address: {e}"))?
        .port();
    say(format!("udp-serve: port {port}"));
    let mut buf = [0u8; 1500];
    let (n, from) = socket
        .recv_from(&mut buf)
        .map_err(|e| format!("receiving: {e}"))?;
    let got = String::from_utf8_lossy(&buf[..n]).into_owned();
    socket
        .send_to(format!("pong to {got}").as_bytes(), from)
        .map_err(|e| format!("answering {from}: {e}"))?;
    say(format!("udp-serve: got {got:?} from {}", from.ip()));
    Ok(())
}

/// Sends `ping` over UDP to `addr`, through a socket connected to it, and prints the datagram
/// that comes back.
fn udp_echo(addr: &str) -> Result<(), String> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")
        .map_err(|e| format!("binding 127.0.0.1:0: {e}"))?;
    socket
        .connect(addr)
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    socket
        .send(b"ping")
        .map_err(|e| format!("sending to {addr}: {e}"))?;
    let mut buf = [0u8; 1500];
    let n = socket
        .recv(&mut buf)
        .map_err(|e| format!("receiving from {addr}: {e}"))?;
    say(format!(
        "udp-echo: {:?}",
        String::from_utf8_lossy(&buf[..n])
    ));
    Ok(())
}

/// The `sockets` and `udp-misuse` commands: `wasi:sockets` called directly (the `wasi` crate),
/// for what `std::net` does not reach: each state of a socket, the error codes, options, and
/// the permits of UDP sends.
mod sockets {
    use wasi::clocks::monotonic_clock::subscribe_duration;
    use wasi::io::poll::{Pollable, poll};
    use wasi::sockets::instance_network::instance_network;
    use wasi::sockets::network::{
        ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
    };
    use wasi::sockets::tcp::TcpSocket;
    use wasi::sockets::tcp_create_socket::create_tcp_socket;
    use wasi::sockets::udp::{
        IncomingDatagram, IncomingDatagramStream, OutgoingDatagram, OutgoingDatagramStream,
        UdpSocket,
    };
    use wasi::sockets::udp_create_socket::create_udp_socket;

    /// `127.0.0.1:port`.
    fn v4(port: u16) -> IpSocketAddress {
        IpSocketAddress::Ipv4(Ipv4SocketAddress {
            port,
            address: (127, 0, 0, 1),
        })
    }

    /// `[::1]:port`.
    fn v6(port: u16) -> IpSocketAddress {
        IpSocketAddress::Ipv6(Ipv6SocketAddress {
            port,
            flow_info: 0,
            address: (0, 0, 0, 0, 0, 0, 0, 1),
            scope_id: 0,
        })
    }

    fn port(addr: &IpSocketAddress) -> u16 {
        match addr {
            IpSocketAddress::Ipv4(a) => a.port,
            IpSocketAddress::Ipv6(a) => a.port,
        }
    }

    /// Whether two addresses are the same (the bindings do not compare them).
    fn same(a: &IpSocketAddress, b: &IpSocketAddress) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    /// `ok`, or the error code's name.
    fn outcome<T>(r: &Result<T, ErrorCode>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(e) => e.name().into(),
        }
    }

    /// Prints `name: ok` or `name: ERROR-CODE`; returns the result.
    fn check<T>(name: &str, r: Result<T, ErrorCode>) -> Result<T, ErrorCode> {
        println!("{name}: {}", outcome(&r));
        r
    }

    fn fail(what: &str) -> impl Fn(ErrorCode) -> String + '_ {
        move |e| format!("{what}: {}", e.name())
    }

    /// Waits for `pollable`, five seconds at most.
    fn wait(what: &str, pollable: &Pollable) -> Result<(), String> {
        let timer = subscribe_duration(5_000_000_000);
        match poll(&[pollable, &timer])[..] {
            [0] | [0, 1] => Ok(()),
            _ => Err(format!("{what}: not ready after 5 s")),
        }
    }

    /// A UDP socket bound to `127.0.0.1`, port 0.
    fn udp_bound() -> Result<UdpSocket, String> {
        let net = instance_network();
        let socket = create_udp_socket(IpAddressFamily::Ipv4).map_err(fail("create-udp-socket"))?;
        socket
            .start_bind(&net, v4(0))
            .map_err(fail("udp start-bind"))?;
        socket.finish_bind().map_err(fail("udp finish-bind"))?;
        Ok(socket)
    }

    /// Receives `n` datagrams from `stream`, waiting five seconds at most for each.
    fn receive(stream: &IncomingDatagramStream, n: usize) -> Result<Vec<IncomingDatagram>, String> {
        let pollable = stream.subscribe();
        let mut got = Vec::new();
        while got.len() < n {
            wait("udp receive", &pollable)?;
            got.extend(stream.receive(u64::MAX).map_err(fail("udp receive"))?);
        }
        Ok(got)
    }

    fn texts(datagrams: &[IncomingDatagram]) -> Vec<String> {
        datagrams
            .iter()
            .map(|d| String::from_utf8_lossy(&d.data).into_owned())
            .collect()
    }

    pub fn run() -> Result<(), String> {
        tcp()?;
        udp()
    }

    /// A listener and a client in the guest: every state between, and the options.
    fn tcp() -> Result<(), String> {
        let net = instance_network();
        let listener: TcpSocket =
            create_tcp_socket(IpAddressFamily::Ipv4).map_err(fail("create-tcp-socket"))?;
        // Made once, used through every state, as wasi-libc does.
        let listening = listener.subscribe();
        check("tcp local-address unbound", listener.local_address()).ok();
        check("tcp finish-bind unstarted", listener.finish_bind()).ok();
        check("tcp start-listen unbound", listener.start_listen()).ok();
        check("tcp accept unbound", listener.accept()).ok();
        check(
            "tcp start-bind ipv6 address",
            listener.start_bind(&net, v6(0)),
        )
        .ok();
        check(
            "tcp start-bind 127.0.0.1:0",
            listener.start_bind(&net, v4(0)),
        )
        .ok();
        check("tcp start-bind again", listener.start_bind(&net, v4(0))).ok();
        check("tcp local-address bind started", listener.local_address()).ok();
        check("tcp finish-bind", listener.finish_bind()).ok();
        check("tcp finish-bind again", listener.finish_bind()).ok();
        let addr = listener
            .local_address()
            .map_err(fail("tcp local-address"))?;
        println!("tcp bound to a port: {}", port(&addr) != 0);
        check(
            "tcp set-listen-backlog-size 0",
            listener.set_listen_backlog_size(0),
        )
        .ok();
        check(
            "tcp set-listen-backlog-size huge",
            listener.set_listen_backlog_size(u64::MAX),
        )
        .ok();
        check(
            "tcp set-listen-backlog-size 16",
            listener.set_listen_backlog_size(16),
        )
        .ok();
        check("tcp set-hop-limit 0", listener.set_hop_limit(0)).ok();
        check("tcp set-hop-limit 42", listener.set_hop_limit(42)).ok();
        check("tcp finish-listen unstarted", listener.finish_listen()).ok();
        check("tcp start-listen", listener.start_listen()).ok();
        println!(
            "tcp listening before finish-listen: {}",
            listener.is_listening()
        );
        check("tcp finish-listen", listener.finish_listen()).ok();
        println!("tcp listening: {}", listener.is_listening());
        check("tcp start-listen again", listener.start_listen()).ok();
        check(
            "tcp set-listen-backlog-size listening",
            listener.set_listen_backlog_size(32),
        )
        .ok();
        check("tcp remote-address listening", listener.remote_address()).ok();
        check(
            "tcp start-connect listening",
            listener.start_connect(&net, addr),
        )
        .ok();
        check("tcp accept nothing pending", listener.accept()).ok();
        println!(
            "tcp pollable ready with nothing pending: {}",
            listening.ready()
        );

        let taken = create_tcp_socket(IpAddressFamily::Ipv4).map_err(fail("create-tcp-socket"))?;
        check("tcp start-bind a port in use", taken.start_bind(&net, addr)).ok();

        let client = create_tcp_socket(IpAddressFamily::Ipv4).map_err(fail("create-tcp-socket"))?;
        let connecting = client.subscribe();
        check("tcp finish-connect unstarted", client.finish_connect()).ok();
        check(
            "tcp start-connect port 0",
            client.start_connect(&net, v4(0)),
        )
        .ok();
        check(
            "tcp start-connect ipv6 address",
            client.start_connect(&net, v6(port(&addr))),
        )
        .ok();
        let any = IpSocketAddress::Ipv4(Ipv4SocketAddress {
            port: port(&addr),
            address: (0, 0, 0, 0),
        });
        check("tcp start-connect 0.0.0.0", client.start_connect(&net, any)).ok();
        check("tcp start-connect", client.start_connect(&net, addr)).ok();
        check("tcp start-connect again", client.start_connect(&net, addr)).ok();
        wait("tcp connect", &connecting)?;
        let (client_in, client_out) = check("tcp finish-connect", client.finish_connect())
            .map_err(fail("tcp finish-connect"))?;
        check("tcp finish-connect again", client.finish_connect()).ok();
        check("tcp start-bind connected", client.start_bind(&net, v4(0))).ok();
        check("tcp start-listen connected", client.start_listen()).ok();
        check(
            "tcp set-listen-backlog-size connected",
            client.set_listen_backlog_size(8),
        )
        .ok();

        wait("tcp accept", &listening)?;
        let (server, server_in, server_out) =
            check("tcp accept", listener.accept()).map_err(fail("tcp accept"))?;
        let client_addr = client.local_address().map_err(fail("tcp local-address"))?;
        let peer = server
            .remote_address()
            .map_err(fail("tcp remote-address"))?;
        println!("tcp accepted the client: {}", same(&peer, &client_addr));
        println!(
            "tcp client's peer is the listener: {}",
            same(
                &client
                    .remote_address()
                    .map_err(fail("tcp remote-address"))?,
                &addr
            )
        );
        println!("tcp accepted socket listening: {}", server.is_listening());
        println!("tcp accepted socket's hop-limit: {:?}", server.hop_limit());

        client_out
            .blocking_write_and_flush(b"hello")
            .map_err(|e| format!("tcp write: {e:?}"))?;
        let got = server_in
            .blocking_read(100)
            .map_err(|e| format!("tcp read: {e:?}"))?;
        println!("tcp server read: {:?}", String::from_utf8_lossy(&got));
        server_out
            .blocking_write_and_flush(b"world")
            .map_err(|e| format!("tcp write: {e:?}"))?;
        let got = client_in
            .blocking_read(100)
            .map_err(|e| format!("tcp read: {e:?}"))?;
        println!("tcp client read: {:?}", String::from_utf8_lossy(&got));
        check(
            "tcp shutdown send",
            server.shutdown(wasi::sockets::tcp::ShutdownType::Send),
        )
        .ok();
        let end = client_in.blocking_read(100);
        println!(
            "tcp client read after shutdown: {}",
            match end {
                Err(wasi::io::streams::StreamError::Closed) => "closed".to_string(),
                other => format!("{other:?}"),
            }
        );
        check(
            "tcp shutdown listener",
            listener.shutdown(wasi::sockets::tcp::ShutdownType::Both),
        )
        .ok();

        check(
            "tcp set-keep-alive-enabled",
            client.set_keep_alive_enabled(true),
        )
        .ok();
        println!("tcp keep-alive-enabled: {:?}", client.keep_alive_enabled());
        check(
            "tcp set-keep-alive-idle-time 0",
            client.set_keep_alive_idle_time(0),
        )
        .ok();
        check(
            "tcp set-keep-alive-idle-time 1.5 s",
            client.set_keep_alive_idle_time(1_500_000_000),
        )
        .ok();
        println!(
            "tcp keep-alive-idle-time: {:?}",
            client.keep_alive_idle_time()
        );
        check(
            "tcp set-keep-alive-interval 1 day",
            client.set_keep_alive_interval(86_400_000_000_000),
        )
        .ok();
        println!(
            "tcp keep-alive-interval: {:?}",
            client.keep_alive_interval()
        );
        check("tcp set-keep-alive-count 0", client.set_keep_alive_count(0)).ok();
        check(
            "tcp set-keep-alive-count 1000",
            client.set_keep_alive_count(1000),
        )
        .ok();
        println!("tcp keep-alive-count: {:?}", client.keep_alive_count());
        check(
            "tcp set-receive-buffer-size 0",
            client.set_receive_buffer_size(0),
        )
        .ok();
        check(
            "tcp set-receive-buffer-size 64 KiB",
            client.set_receive_buffer_size(65536),
        )
        .ok();
        println!(
            "tcp receive-buffer-size: {:?}",
            client.receive_buffer_size()
        );
        check(
            "tcp set-send-buffer-size 64 KiB",
            client.set_send_buffer_size(65536),
        )
        .ok();
        println!("tcp send-buffer-size: {:?}", client.send_buffer_size());

        // A connection refused: the port of a listener that is gone.
        let gone = {
            let s = create_tcp_socket(IpAddressFamily::Ipv4).map_err(fail("create-tcp-socket"))?;
            s.start_bind(&net, v4(0)).map_err(fail("tcp start-bind"))?;
            s.finish_bind().map_err(fail("tcp finish-bind"))?;
            s.local_address().map_err(fail("tcp local-address"))?
        };
        let refused =
            create_tcp_socket(IpAddressFamily::Ipv4).map_err(fail("create-tcp-socket"))?;
        check(
            "tcp start-connect nobody listening",
            refused.start_connect(&net, gone),
        )
        .ok();
        wait("tcp refused connect", &refused.subscribe())?;
        check(
            "tcp finish-connect nobody listening",
            refused.finish_connect(),
        )
        .ok();
        check(
            "tcp local-address after a failed connect",
            refused.local_address(),
        )
        .ok();
        check(
            "tcp keep-alive-enabled after a failed connect",
            refused.keep_alive_enabled(),
        )
        .ok();
        Ok(())
    }

    /// Two UDP sockets in the guest, one connected to the other.
    fn udp() -> Result<(), String> {
        let net = instance_network();
        let a = create_udp_socket(IpAddressFamily::Ipv4).map_err(fail("create-udp-socket"))?;
        check("udp local-address unbound", a.local_address()).ok();
        check("udp stream unbound", a.stream(None).map(|_| ())).ok();
        check("udp finish-bind unstarted", a.finish_bind()).ok();
        check("udp start-bind ipv6 address", a.start_bind(&net, v6(0))).ok();
        check("udp start-bind 127.0.0.1:0", a.start_bind(&net, v4(0))).ok();
        check("udp start-bind again", a.start_bind(&net, v4(0))).ok();
        check("udp finish-bind", a.finish_bind()).ok();
        let a_addr = a.local_address().map_err(fail("udp local-address"))?;
        println!("udp bound to a port: {}", port(&a_addr) != 0);
        check("udp remote-address unconnected", a.remote_address()).ok();
        check("udp set-unicast-hop-limit 0", a.set_unicast_hop_limit(0)).ok();
        check("udp set-unicast-hop-limit 7", a.set_unicast_hop_limit(7)).ok();
        println!("udp unicast-hop-limit: {:?}", a.unicast_hop_limit());
        check(
            "udp set-receive-buffer-size 0",
            a.set_receive_buffer_size(0),
        )
        .ok();
        check("udp stream to port 0", a.stream(Some(v4(0))).map(|_| ())).ok();
        check(
            "udp stream to an ipv6 address",
            a.stream(Some(v6(9))).map(|_| ()),
        )
        .ok();
        let (a_in, a_out) =
            check("udp stream unconnected", a.stream(None)).map_err(fail("udp stream"))?;
        println!("udp receive 0: {:?}", a_in.receive(0).map(|d| d.len()));
        println!(
            "udp receive u64::MAX, nothing there: {:?}",
            a_in.receive(u64::MAX).map(|d| d.len())
        );

        let b = udp_bound()?;
        let b_addr = b.local_address().map_err(fail("udp local-address"))?;
        let (b_in, b_out) =
            check("udp stream connected", b.stream(Some(a_addr))).map_err(fail("udp stream"))?;
        println!(
            "udp remote-address connected: {}",
            same(
                &b.remote_address().map_err(fail("udp remote-address"))?,
                &a_addr
            )
        );
        println!("udp check-send: {:?}", b_out.check_send());
        let datagram = |text: &str, to: Option<IpSocketAddress>| OutgoingDatagram {
            data: text.as_bytes().to_vec(),
            remote_address: to,
        };
        println!("udp send 0 datagrams: {:?}", b_out.send(&[]));
        println!("udp check-send: {:?}", b_out.check_send());
        println!(
            "udp send 2 datagrams: {:?}",
            b_out.send(&[datagram("one", None), datagram("two", Some(a_addr))])
        );
        // Each `send` takes up the permit, sent or not: `check-send` comes before each.
        let send = |out: &OutgoingDatagramStream, datagrams: &[OutgoingDatagram]| {
            out.check_send()?;
            out.send(datagrams)
        };
        check(
            "udp send to another address than the connected one",
            send(&b_out, &[datagram("x", Some(b_addr))]),
        )
        .ok();
        check(
            "udp send unconnected with no address",
            send(&a_out, &[datagram("x", None)]),
        )
        .ok();
        check(
            "udp send to port 0",
            send(&a_out, &[datagram("x", Some(v4(0)))]),
        )
        .ok();
        check(
            "udp send to an ipv6 address",
            send(&a_out, &[datagram("x", Some(v6(9)))]),
        )
        .ok();
        let big = OutgoingDatagram {
            data: vec![0; 70_000],
            remote_address: Some(b_addr),
        };
        check("udp send 70000 bytes", send(&a_out, &[big])).ok();
        let partly = [datagram("three", Some(a_addr)), datagram("x", Some(b_addr))];
        println!(
            "udp send 2, the second invalid: {:?}",
            send(&b_out, &partly)
        );

        let got = receive(&a_in, 3)?;
        println!("udp a received: {:?}", texts(&got));
        println!(
            "udp a received from b: {}",
            got.iter().all(|d| same(&d.remote_address, &b_addr))
        );
        println!(
            "udp a sends back: {:?}",
            send(&a_out, &[datagram("back", Some(b_addr))])
        );
        let got = receive(&b_in, 1)?;
        println!("udp b received: {:?}", texts(&got));

        drop((b_in, b_out));
        let (_b_in, _b_out) =
            check("udp stream again, disconnected", b.stream(None)).map_err(fail("udp stream"))?;
        check("udp remote-address disconnected", b.remote_address()).ok();
        println!("udp socket pollable ready: {}", b.subscribe().ready());
        Ok(())
    }

    /// Breaks a rule the host must trap on; returns only if it did not.
    pub fn misuse(how: &str) -> Result<(), String> {
        let socket = udp_bound()?;
        let (_in, out) = socket.stream(None).map_err(fail("udp stream"))?;
        let to = socket.local_address().map_err(fail("udp local-address"))?;
        let datagram = OutgoingDatagram {
            data: b"x".to_vec(),
            remote_address: Some(to),
        };
        let r = match how {
            "unpermitted" => out.send(&[datagram]),
            "overflow" => {
                let permit = out.check_send().map_err(fail("udp check-send"))?;
                out.send(&vec![datagram; permit as usize + 1])
            }
            "restream" => socket.stream(None).map(|_| 0),
            other => return Err(format!("unknown misuse {other:?}")),
        };
        Err(format!("the host let `{how}` through: {}", outcome(&r)))
    }
}
