//! The WASI host in the embedder's process: the Rust guest of `guests/wasi-cli` (built from
//! source for `wasm32-wasip2`) with stdio in memory, and a guest writing 100 MiB to stdout
//! with the host's heap measured by a counting allocator.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tether::{Component, Engine, Instance, Linker, Store};
use tether_test_programs::heap;
use tether_wasi::{DirPerms, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

/// Tests that measure the heap run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The Rust guest, instantiated in a store with `ctx`.
fn instantiate(ctx: WasiCtx) -> (Store<WasiCtx>, Instance) {
    let engine = Engine::default();
    let bytes = std::fs::read(tether_test_programs::WASI_RUST).unwrap();
    let component = Component::new(&engine, bytes).unwrap();
    let mut linker = Linker::new(&engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, ctx);
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

/// Runs the Rust guest's `wasi:cli/run`; returns its exit status.
fn run(ctx: WasiCtx) -> (i32, Store<WasiCtx>) {
    let (mut store, instance) = instantiate(ctx);
    let code = tether_wasi::run_command(&mut store, &instance).unwrap();
    (code, store)
}

#[test]
fn stdio_in_memory_args_env_and_exit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (out, err) = (MemoryOutputPipe::new(), MemoryOutputPipe::new());
    let ctx = WasiCtxBuilder::new()
        .args([
            "wasi-cli", "env", "HOME", "stdin", "stderr", "oops", "exit", "7",
        ])
        .env("HOME", "/nowhere")
        .stdin_bytes(b"from memory".to_vec())
        .stdout(out.clone())
        .stderr(err.clone())
        .build();
    let (code, _store) = run(ctx);
    assert_eq!(code, 1, "exit(7) is exit(err) in WASI 0.2");
    assert_eq!(
        out.text(),
        "args: [\"env\", \"HOME\", \"stdin\", \"stderr\", \"oops\", \"exit\", \"7\"]\nenv HOME=/nowhere\nstdin: \"from memory\"\n"
    );
    assert_eq!(err.text(), "oops\n");
}

#[test]
fn files_through_a_preopen() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("tether-wasi-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = MemoryOutputPipe::new();
    let ctx = WasiCtxBuilder::new()
        .args(["wasi-cli", "fs", "/work"])
        .stdout(out.clone())
        .preopened_dir(&dir, "/work", DirPerms::ReadWrite)
        .unwrap()
        .build();
    let (code, _store) = run(ctx);
    let text = out.text();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("fs: wrote 11 bytes, read back \"hello world\""),
        "{text}"
    );
    assert!(text.ends_with("removed: list []\n"), "{text}");
}

/// Counts what it is given and keeps none of it.
#[derive(Clone, Default)]
struct CountingSink(Arc<AtomicUsize>);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_guest_writing_100_mib_to_stdout_keeps_the_host_heap_small() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let sink = CountingSink::default();
    let ctx = WasiCtxBuilder::new()
        .args(["wasi-cli", "spam", "100"])
        .stdout(sink.clone())
        .build();
    let (mut store, instance) = instantiate(ctx);

    let baseline = heap::start();
    let code = tether_wasi::run_command(&mut store, &instance).unwrap();
    let peak = heap::peak_above(baseline);

    assert_eq!(code, 0);
    let written = sink.0.load(Ordering::Relaxed);
    assert_eq!(written, (100 << 20) + "args: [\"spam\", \"100\"]\n".len());
    assert!(
        peak < 8 << 20,
        "the host's heap grew by {peak} bytes above its baseline while the guest wrote {written} bytes"
    );
    eprintln!("100 MiB to stdout: host heap peak {peak} bytes above baseline");
}
