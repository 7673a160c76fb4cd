//! The demo's fourth step: the article's idea with the async ABI's streams. The host hands a
//! guest the body of a 1 GiB response as a `stream<u8>`; the guest reads its first kilobyte
//! and drops it; the host has read about that much from the network, because a stream's
//! bytes come from the socket only when the guest reads them.
//!
//! The guest is written here in WAT (no toolchain builds async guests for this demo yet):
//! `head(url, n)` calls the host's `fetch-body(url)` and reads until it has `n` bytes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tether::{Component, Engine, Linker, Store, Val};

/// The big body's path on the demo's server, and its size.
pub const BIG: &str = "/big";
const BIG_LEN: u64 = 1 << 30;

/// How much of it the guest reads.
const HEAD: u32 = 1024;

/// The guest: `head(url, n)` reads `n` bytes of `fetch-body(url)` into its memory, a read at a
/// time, drops the stream and returns how many it got (fewer only if the body ended).
const GUEST: &str = r#"(component
  (type $st (stream u8))
  (import "fetch-body" (func $fetch (param "url" string) (result (stream u8))))
  (core module $mem
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 32768))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $next))
      (global.set $next (i32.add (local.get $p) (i32.and (i32.add (local.get 3) (i32.const 7)) (i32.const -8))))
      (local.get $p)))
  (core instance $mem (instantiate $mem))
  (core func $fetch (canon lower (func $fetch) (memory (core memory $mem "mem"))))
  (core func $read (canon stream.read $st async (memory (core memory $mem "mem"))))
  (core func $drop (canon stream.drop-readable $st))
  (core module $m
    (import "" "fetch" (func $fetch (param i32 i32) (result i32)))
    (import "" "read" (func $read (param i32 i32 i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "head") (param $url i32) (param $len i32) (param $n i32) (result i32)
      (local $s i32) (local $got i32) (local $r i32)
      (local.set $s (call $fetch (local.get $url) (local.get $len)))
      (block $done
        (loop $more
          (br_if $done (i32.ge_u (local.get $got) (local.get $n)))
          (local.set $r (call $read (local.get $s) (local.get $got) (i32.sub (local.get $n) (local.get $got))))
          ;; A read of the host's stream ends at once: COMPLETED (0) or DROPPED (1), with the
          ;; count above the low four bits.
          (local.set $got (i32.add (local.get $got) (i32.shr_u (local.get $r) (i32.const 4))))
          (br_if $done (i32.ne (i32.and (local.get $r) (i32.const 0xf)) (i32.const 0)))
          (br $more)))
      (call $drop (local.get $s))
      (local.get $got)))
  (core instance $i (instantiate $m (with "" (instance
    (export "fetch" (func $fetch)) (export "read" (func $read)) (export "drop" (func $drop))))))
  (func (export "head") (param "url" string) (param "n" u32) (result u32)
    (canon lift (core func $i "head") (memory (core memory $mem "mem"))
      (realloc (core func $mem "realloc")))))"#;

/// Serves `BIG_LEN` bytes of text, written as the client reads them, until it closes.
pub fn serve_big(mut conn: TcpStream) -> std::io::Result<()> {
    write!(
        conn,
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {BIG_LEN}\r\nconnection: close\r\n\r\n"
    )?;
    let line = b"Streams keep data in the host until the guest reads it.\n";
    let chunk: Vec<u8> = line.iter().copied().cycle().take(64 << 10).collect();
    let mut left = BIG_LEN;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        // The client closing its end (it read what it wanted) ends this.
        conn.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// What the host's side counts: bytes read from the socket (the response head and the body),
/// and whether the body's reader is gone.
#[derive(Clone, Default)]
struct Counts {
    socket: Arc<AtomicU64>,
    closed: Arc<AtomicBool>,
}

/// The body of a response: the socket after the head, counting what it reads.
struct Body {
    conn: TcpStream,
    counts: Counts,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.conn.read(buf)?;
        self.counts.socket.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        self.counts.closed.store(true, Ordering::Relaxed);
    }
}

/// Sends a GET for `url` (which must be on `origin`) and reads the response head a byte at a
/// time, so that nothing of the body is read before the guest asks: the body's reader.
fn get(origin: &str, url: &str, counts: &Counts) -> Result<Body> {
    let Some(path) = url.strip_prefix(origin) else {
        bail!("`{url}` is not on {origin}, the only origin this demo's host reaches");
    };
    let host = origin.trim_start_matches("http://");
    let mut conn = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n"
    )?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 {
            bail!("the server closed the connection before the response's body");
        }
        head.push(byte[0]);
    }
    counts
        .socket
        .fetch_add(head.len() as u64, Ordering::Relaxed);
    if !head.starts_with(b"HTTP/1.1 200") {
        bail!("the server answered {:?}", String::from_utf8_lossy(&head));
    }
    Ok(Body {
        conn,
        counts: counts.clone(),
    })
}

/// Runs the step, printing what happens.
pub fn run(origin: &str) -> Result<()> {
    let url = format!("{origin}{BIG}");
    println!(
        "\n4. `fetch-body(url)`: the body of {url} ({BIG_LEN} bytes) as a `stream<u8>`; the guest reads {HEAD} bytes and drops it"
    );
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST)
        .context("the stream demo's guest is not a valid component")?;
    let counts = Counts::default();
    let mut linker = Linker::<()>::new(&engine);
    {
        let (origin, counts) = (origin.to_string(), counts.clone());
        linker
            .root()
            .func_new("fetch-body", move |mut store, params, results| {
                let Some(Val::String(url)) = params.first() else {
                    bail!("`fetch-body` takes a URL");
                };
                let body = get(&origin, url, &counts)?;
                results[0] = store.stream_from_reader(body)?;
                Ok(())
            })?;
    }
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .context("instantiating the stream demo's guest")?;
    let head = instance
        .get_func(&mut store, "head")
        .context("the stream demo's guest exports no `head`")?;
    let mut got = [Val::U32(0)];
    head.call(
        &mut store,
        &[Val::String(url.clone()), Val::U32(HEAD)],
        &mut got,
    )?;
    let socket = counts.socket.load(Ordering::Relaxed);
    let closed = counts.closed.load(Ordering::Relaxed);
    let Val::U32(got) = got[0] else {
        bail!("`head` returned {:?}", got[0]);
    };
    println!("   the guest read {got} bytes");
    println!("   bytes the host read from the socket: {socket} (the response head and the body)");
    println!(
        "   the body's reader dropped with the stream: {}",
        if closed { "yes" } else { "no" }
    );
    if got != HEAD || socket > u64::from(HEAD) + 512 || !closed {
        bail!("the streamed body was not read on demand");
    }
    Ok(())
}
