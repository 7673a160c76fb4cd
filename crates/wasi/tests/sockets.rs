//! `wasi:sockets` in the embedder's process, through the Rust guest of `guests/wasi-cli`
//! calling the interfaces directly (the `wasi` crate): every state of a TCP and a UDP socket
//! and the error codes the WIT gives them, options set on the OS socket, a TCP connection and
//! UDP datagrams between sockets of the guest, and the misuses of UDP sends that trap.

use tether::{Component, Engine, Linker, Store};
use tether_wasi::{MemoryOutputPipe, WasiCtx, WasiCtxBuilder};

/// Runs the Rust guest with `args`; returns its exit status (or the error it trapped with),
/// stdout and stderr.
fn run(args: &[&str], network: bool) -> (anyhow::Result<i32>, String, String) {
    let engine = Engine::default();
    let bytes = std::fs::read(tether_test_programs::WASI_RUST).unwrap();
    let component = Component::new(&engine, bytes).unwrap();
    let mut linker = Linker::new(&engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    let (out, err) = (MemoryOutputPipe::new(), MemoryOutputPipe::new());
    let mut ctx = WasiCtxBuilder::new()
        .arg("wasi-cli")
        .args(args.iter().copied())
        .stdout(out.clone())
        .stderr(err.clone());
    if network {
        ctx = ctx.inherit_network();
    }
    let mut store: Store<WasiCtx> = Store::new(&engine, ctx.build());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let code = tether_wasi::run_command(&mut store, &instance);
    (code, out.text(), err.text())
}

/// What the `sockets` command prints on Linux (buffer sizes are Linux's, halved back).
const TRANSCRIPT: &str = r#"args: ["sockets"]
tcp local-address unbound: invalid-state
tcp finish-bind unstarted: not-in-progress
tcp start-listen unbound: invalid-state
tcp accept unbound: invalid-state
tcp start-bind ipv6 address: invalid-argument
tcp start-bind 127.0.0.1:0: ok
tcp start-bind again: invalid-state
tcp local-address bind started: invalid-state
tcp finish-bind: ok
tcp finish-bind again: not-in-progress
tcp bound to a port: true
tcp set-listen-backlog-size 0: invalid-argument
tcp set-listen-backlog-size huge: ok
tcp set-listen-backlog-size 16: ok
tcp set-hop-limit 0: invalid-argument
tcp set-hop-limit 42: ok
tcp finish-listen unstarted: not-in-progress
tcp start-listen: ok
tcp listening before finish-listen: false
tcp finish-listen: ok
tcp listening: true
tcp start-listen again: invalid-state
tcp set-listen-backlog-size listening: ok
tcp remote-address listening: invalid-state
tcp start-connect listening: invalid-state
tcp accept nothing pending: would-block
tcp pollable ready with nothing pending: false
tcp start-bind a port in use: address-in-use
tcp finish-connect unstarted: not-in-progress
tcp start-connect port 0: invalid-argument
tcp start-connect ipv6 address: invalid-argument
tcp start-connect 0.0.0.0: invalid-argument
tcp start-connect: ok
tcp start-connect again: concurrency-conflict
tcp finish-connect: ok
tcp finish-connect again: not-in-progress
tcp start-bind connected: invalid-state
tcp start-listen connected: invalid-state
tcp set-listen-backlog-size connected: invalid-state
tcp accept: ok
tcp accepted the client: true
tcp client's peer is the listener: true
tcp accepted socket listening: false
tcp accepted socket's hop-limit: Ok(42)
tcp server read: "hello"
tcp client read: "world"
tcp shutdown send: ok
tcp client read after shutdown: closed
tcp shutdown listener: invalid-state
tcp set-keep-alive-enabled: ok
tcp keep-alive-enabled: Ok(true)
tcp set-keep-alive-idle-time 0: invalid-argument
tcp set-keep-alive-idle-time 1.5 s: ok
tcp keep-alive-idle-time: Ok(1000000000)
tcp set-keep-alive-interval 1 day: ok
tcp keep-alive-interval: Ok(32767000000000)
tcp set-keep-alive-count 0: invalid-argument
tcp set-keep-alive-count 1000: ok
tcp keep-alive-count: Ok(127)
tcp set-receive-buffer-size 0: invalid-argument
tcp set-receive-buffer-size 64 KiB: ok
tcp receive-buffer-size: Ok(65536)
tcp set-send-buffer-size 64 KiB: ok
tcp send-buffer-size: Ok(65536)
tcp start-connect nobody listening: ok
tcp finish-connect nobody listening: connection-refused
tcp local-address after a failed connect: invalid-state
tcp keep-alive-enabled after a failed connect: invalid-state
udp local-address unbound: invalid-state
udp stream unbound: invalid-state
udp finish-bind unstarted: not-in-progress
udp start-bind ipv6 address: invalid-argument
udp start-bind 127.0.0.1:0: ok
udp start-bind again: invalid-state
udp finish-bind: ok
udp bound to a port: true
udp remote-address unconnected: invalid-state
udp set-unicast-hop-limit 0: invalid-argument
udp set-unicast-hop-limit 7: ok
udp unicast-hop-limit: Ok(7)
udp set-receive-buffer-size 0: invalid-argument
udp stream to port 0: invalid-argument
udp stream to an ipv6 address: invalid-argument
udp stream unconnected: ok
udp receive 0: Ok(0)
udp receive u64::MAX, nothing there: Ok(0)
udp stream connected: ok
udp remote-address connected: true
udp check-send: Ok(16)
udp send 0 datagrams: Ok(0)
udp check-send: Ok(16)
udp send 2 datagrams: Ok(2)
udp send to another address than the connected one: invalid-argument
udp send unconnected with no address: invalid-argument
udp send to port 0: invalid-argument
udp send to an ipv6 address: invalid-argument
udp send 70000 bytes: datagram-too-large
udp send 2, the second invalid: Ok(1)
udp a received: ["one", "two", "three"]
udp a received from b: true
udp a sends back: Ok(1)
udp b received: ["back"]
udp stream again, disconnected: ok
udp remote-address disconnected: invalid-state
udp socket pollable ready: true
"#;

#[test]
fn socket_states_error_codes_options_and_traffic_within_the_guest() {
    let (code, out, err) = run(&["sockets"], true);
    assert_eq!(code.unwrap(), 0, "stderr: {err}\nstdout:\n{out}");
    // Line by line, for a readable failure.
    for (got, want) in out.lines().zip(TRANSCRIPT.lines()) {
        assert_eq!(got, want, "stdout:\n{out}");
    }
    assert_eq!(out, TRANSCRIPT);
}

#[test]
fn sockets_are_denied_without_the_network() {
    let (code, out, err) = run(&["sockets"], false);
    assert_eq!(code.unwrap(), 1);
    assert_eq!(out, "args: [\"sockets\"]\n");
    assert_eq!(err, "error: create-tcp-socket: access-denied\n");
    let (code, _, err) = run(&["udp-misuse", "overflow"], false);
    assert_eq!(code.unwrap(), 1);
    assert_eq!(err, "error: create-udp-socket: access-denied\n");
}

/// Each misuse ends the guest with a trap naming it; the host does not panic, and a send
/// over the permit sends nothing.
#[test]
fn udp_sends_beyond_the_permit_and_a_second_stream_trap() {
    for (how, message) in [
        (
            "unpermitted",
            "outgoing-datagram-stream.send: not permitted by a `check-send` before it",
        ),
        (
            "overflow",
            "outgoing-datagram-stream.send: 17 datagrams, more than the 16 that `check-send` permitted",
        ),
        (
            "restream",
            "udp-socket.stream: the streams of the previous call are not dropped yet",
        ),
    ] {
        let (code, out, err) = run(&["udp-misuse", how], true);
        let e = code.expect_err(how);
        assert!(format!("{e:#}").contains(message), "{how}: {e:#}");
        assert_eq!(out, format!("args: [\"udp-misuse\", \"{how}\"]\n"), "{how}");
        assert_eq!(err, "", "{how}");
    }
}
