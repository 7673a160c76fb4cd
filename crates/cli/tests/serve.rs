//! `tether serve` on the three `wasi:http/proxy` guests built from source (Rust, JavaScript,
//! Python), with real requests over loopback; and the `wasi:http` client guest under
//! `tether run`.
//!
//! Each proxy answers the same routes (`guests/http-README.md`): `/`, `/headers`, `/echo`,
//! `/download/N`, `/upload`, `/trap`, and 404 for anything else.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tether_test_programs::{HTTP_CLIENT_RUST, HTTP_PROXY_JS, HTTP_PROXY_PYTHON, HTTP_PROXY_RUST};

const GIB: u64 = 1 << 30;

/// How much a server's peak memory may grow while 1 GiB goes through it: a quarter of it, so
/// a body held whole (by the host or the guest) fails the test.
const GROWTH_BOUND: u64 = 256 << 20;

/// A `tether serve` process on a port of its own, killed when dropped.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(component: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tether"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .arg(component)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tether serve starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Serving HTTP on ") {
                    let _ = tx.send(rest.trim_end_matches('/').to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "tether serve did not start: {:?}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Server { child, base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's peak resident memory so far, in bytes (`VmHWM`).
    fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc status");
        kib << 10
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The log once it holds `needle` (the server may write a request's line after it
    /// answered), or as it is after ten seconds.
    fn log_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(needle) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into()
}

fn text(resp: ureq::http::Response<ureq::Body>) -> String {
    let mut s = String::new();
    resp.into_body()
        .into_reader()
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

/// A reader of `len` bytes following the proxies' download pattern, never held whole.
struct Pattern {
    at: u64,
    len: u64,
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.len - self.at) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = b'a' + ((self.at + i as u64) % 26) as u8;
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Every route of a proxy, and a request served after a trap.
fn routes(component: &str, lang: &str) {
    let server = Server::start(component, &[]);
    let a = agent();

    let r = a.get(server.url("/")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "x-proxy").as_deref(), Some(lang));
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("text/plain"),
        "{lang}"
    );
    assert_eq!(text(r), format!("hello from {lang}"));

    let r = a
        .get(server.url("/headers"))
        .header("x-echo", "a value with spaces")
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        header(&r, "x-echo").as_deref(),
        Some("a value with spaces"),
        "{lang}"
    );
    assert_eq!(text(r), "a value with spaces");

    let r = a.get(server.url("/no/such/route")).call().unwrap();
    assert_eq!(r.status().as_u16(), 404, "{lang}");
    assert_eq!(text(r), "not found");

    // A streamed body echoed back: 3 MiB, more than the host's pipes hold.
    let len = 3 << 20;
    let r = a
        .post(server.url("/echo"))
        .send(ureq::SendBody::from_reader(&mut Pattern { at: 0, len }))
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{lang}");
    let mut body = Vec::new();
    r.into_body().into_reader().read_to_end(&mut body).unwrap();
    assert_eq!(body.len() as u64, len, "{lang}");
    let mut expected = vec![0; len as usize];
    Pattern { at: 0, len }.read_exact(&mut expected).unwrap();
    assert!(body == expected, "{lang}: the echoed body differs");

    // A trap is a 500, and the next request is served by a fresh instance.
    let r = a.get(server.url("/trap")).call().unwrap();
    assert_eq!(r.status().as_u16(), 500, "{lang}");
    let r = a.get(server.url("/")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{lang}");
    assert_eq!(text(r), format!("hello from {lang}"));

    // One access-log line per request, with its status (written in batches: wait for them).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log().contains("\"GET /trap\" 500") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    for line in [
        "\"GET /\" 200",
        "\"GET /headers\" 200",
        "\"GET /no/such/route\" 404",
        "\"POST /echo\" 200",
        "\"GET /trap\" 500",
    ] {
        assert!(log.contains(line), "{lang}: no `{line}` in the log:\n{log}");
    }
}

/// 1 GiB down and 1 GiB up, with the server's peak memory bounded: by [`GROWTH_BOUND`], plus
/// `guest_keeps_download` for what the guest itself keeps of a body it writes.
fn gigabyte_both_ways(component: &str, lang: &str, guest_keeps_download: u64) {
    let server = Server::start(component, &["--quiet"]);
    let a = agent();
    // Warm up, so that the baseline includes the first instance.
    assert_eq!(
        a.get(server.url("/")).call().unwrap().status().as_u16(),
        200
    );
    let base = server.peak_memory();

    let r = a
        .get(server.url(&format!("/download/{GIB}")))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{lang}");
    let mut reader = r.into_body().into_reader();
    let mut buf = vec![0u8; 1 << 20];
    let mut got: u64 = 0;
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for (i, b) in buf[..n].iter().enumerate() {
            assert_eq!(
                *b,
                b'a' + ((got + i as u64) % 26) as u8,
                "{lang}: byte {} of the download",
                got + i as u64
            );
        }
        got += n as u64;
    }
    assert_eq!(got, GIB, "{lang}: download length");
    let after_download = server.peak_memory();
    drop(server);

    // The upload on a server of its own: a peak is a high-water mark.
    let server = Server::start(component, &["--quiet"]);
    assert_eq!(
        a.get(server.url("/")).call().unwrap().status().as_u16(),
        200
    );
    let upload_base = server.peak_memory();
    let r = a
        .post(server.url("/upload"))
        .send(ureq::SendBody::from_reader(&mut Pattern {
            at: 0,
            len: GIB,
        }))
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{lang}");
    assert_eq!(text(r), format!("received {GIB} bytes"));
    let after_upload = server.peak_memory();

    let mib = |b: u64| b >> 20;
    eprintln!(
        "{lang}: peak memory {} MiB at start, {} MiB after a 1 GiB download; {} MiB at start, {} MiB after a 1 GiB upload",
        mib(base),
        mib(after_download),
        mib(upload_base),
        mib(after_upload)
    );
    assert!(
        after_download - base < GROWTH_BOUND + guest_keeps_download,
        "{lang}: the server's peak memory grew by {} MiB during a 1 GiB download",
        mib(after_download - base)
    );
    assert!(
        after_upload - upload_base < GROWTH_BOUND,
        "{lang}: the server's peak memory grew by {} MiB during a 1 GiB upload",
        mib(after_upload - upload_base)
    );
}

#[test]
fn rust_proxy_routes() {
    routes(HTTP_PROXY_RUST, "rust");
}

#[test]
fn js_proxy_routes() {
    routes(HTTP_PROXY_JS, "js");
}

#[test]
fn python_proxy_routes() {
    routes(HTTP_PROXY_PYTHON, "python");
}

#[test]
fn rust_proxy_streams_a_gigabyte_both_ways() {
    gigabyte_both_ways(HTTP_PROXY_RUST, "rust", 0);
}

#[test]
fn js_proxy_streams_a_gigabyte_both_ways() {
    gigabyte_both_ways(HTTP_PROXY_JS, "js", 0);
}

#[test]
fn python_proxy_streams_a_gigabyte_both_ways() {
    // componentize-py 0.25.1 keeps every `list<u8>` the guest passes to an import until the
    // instance is dropped (`guests/http-README.md`), so the guest's own memory grows by the
    // size of what it writes; the host must still hold no copy of its own.
    gigabyte_both_ways(HTTP_PROXY_PYTHON, "python", GIB);
}

/// SIGTERM while a response is being streamed: the response completes, then the server
/// exits with status 0.
#[test]
fn shutdown_lets_the_request_under_way_finish() {
    let server = Server::start(HTTP_PROXY_RUST, &[]);
    let url = server.url(&format!("/download/{}", 256u64 << 20));
    let download = std::thread::spawn(move || {
        let r = agent().get(&url).call().unwrap();
        let mut n = 0u64;
        let mut reader = r.into_body().into_reader();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let k = reader.read(&mut buf).unwrap();
            if k == 0 {
                break n;
            }
            n += k as u64;
            // Slow enough for the signal to arrive mid-body.
            if n < 8 << 20 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let log = server.log.clone();
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
    assert_eq!(download.join().unwrap(), 256 << 20);
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("shutting down"), "{log}");
}

/// Every request's instance starts from the memory its module made, whatever the pooled slot
/// it runs in held before: with `tether serve`'s defaults (which keep pooled memories
/// resident and reset them in place where the kernel allows), with that turned off, and
/// with the whole memory kept resident. The proxy's `/fresh` answers `stale` when it finds
/// an earlier request's writes.
#[test]
fn each_request_starts_from_fresh_memory() {
    for extra in [
        &[][..],
        &[
            "-O",
            "pooling-memory-keep-resident=0,pooling-table-keep-resident=0",
        ][..],
        &[
            "-O",
            "pooling-memory-keep-resident=64MiB",
            "-O",
            "pooling-table-keep-resident=1MiB",
        ][..],
    ] {
        let server = Server::start(HTTP_PROXY_RUST, extra);
        let agent = agent();
        for i in 0..20 {
            let r = agent.get(server.url("/fresh")).call().unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert_eq!(text(r), "fresh", "request {i} with {extra:?}");
        }
    }
}

/// An engine option `tether serve` does not know, or a bad value, is refused before it
/// serves, naming it.
#[test]
fn unknown_engine_options_are_refused() {
    for (option, says) in [
        (
            "pooling-allocator=y,pooling-nonsense=1",
            "`-O pooling-nonsense=1`",
        ),
        ("pooling-memory-keep-resident=lots", "`lots` is not a size"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tether"))
            .args(["serve", "-O", option, HTTP_PROXY_RUST])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// A guest whose memory limit is too small for it fails each request with a 500, and the
/// server goes on.
#[test]
fn limits_turn_requests_into_500s() {
    let server = Server::start(HTTP_PROXY_RUST, &["--max-memory-size", "64KiB"]);
    let r = agent().get(server.url("/")).call().unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let log = server.log_with("the guest failed");
    assert!(log.contains("the guest failed"), "{log}");
}

/// `--max-resources` bounds each request's store: a quota the handler needs more of than it
/// allows fails the request with a 500 naming the type and the quota; one it fits serves
/// every request, since each request has a store of its own.
#[test]
fn quotas_apply_to_each_request() {
    let server = Server::start(
        HTTP_PROXY_RUST,
        &["--max-resources", "wasi:http/types/fields=0"],
    );
    let r = agent().get(server.url("/")).call().unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let log = server.log_with("resource quota exceeded");
    assert!(log.contains("resource quota exceeded"), "{log}");
    assert!(
        log.contains("at most 0 live `wasi:http/types/fields` handles"),
        "{log}"
    );
    drop(server);

    let server = Server::start(
        HTTP_PROXY_RUST,
        &["--max-resources", "wasi:http/types/fields=1"],
    );
    for _ in 0..3 {
        let r = agent().get(server.url("/")).call().unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", server.log());
    }
}

/// A body must be as long as its `content-length`: a write past it fails, and so does
/// finishing short of it, each with `HTTP-response-body-size` and the bytes written; the
/// client never receives a body that contradicts its headers, and the server goes on.
#[test]
fn a_response_body_is_held_to_its_content_length() {
    let server = Server::start(HTTP_PROXY_RUST, &[]);
    let r = agent().get(server.url("/declared/10/10")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(text(r), "x".repeat(10));
    let log = server.log_with("declared 10, wrote 10:");
    assert!(log.contains("declared 10, wrote 10: finished"), "{log}");

    for (path, says) in [
        (
            "/declared/10/20",
            "declared 10, wrote 20: the write failed: Some(ErrorCode::HttpResponseBodySize(Some(20)))",
        ),
        (
            "/declared/10/5",
            "declared 10, wrote 5: finish failed: ErrorCode::HttpResponseBodySize(Some(5))",
        ),
    ] {
        // The headers went out first; the body is cut short, never completed.
        if let Ok(r) = agent().get(server.url(path)).call() {
            let mut body = Vec::new();
            let read = r.into_body().into_reader().read_to_end(&mut body);
            assert!(read.is_err() || body.len() < 10, "{path}: {body:?}");
        }
        let log = server.log_with(says);
        assert!(log.contains(says), "{log}");
    }
    let r = agent().get(server.url("/")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// A guest that misuses `wasi:http` meets a trap or an error for each misuse, and the server
/// goes on serving.
#[test]
fn a_guest_misusing_wasi_http_is_refused_and_the_server_goes_on() {
    let server = Server::start(HTTP_PROXY_RUST, &[]);
    let get = |path: &str| {
        agent()
            .get(server.url(path))
            .call()
            .map(|r| r.status().as_u16())
    };

    // A write past `check-write` traps; the response had started, so it is cut short.
    let _ = get("/misuse/over-write");
    let log = server.log_with("more than `check-write` allowed");
    assert!(log.contains("more than `check-write` allowed"), "{log}");
    assert!(!log.contains("the host accepted the write"), "{log}");

    // Taking a body or a stream twice is an error the guest sees.
    assert_eq!(get("/misuse/twice").unwrap(), 200);
    let says = "misuse: second body refused: true, second stream refused: true";
    assert!(server.log_with(says).contains(says), "{}", server.log());

    // Hop-by-hop names and `host` are forbidden, a bad name or value is invalid.
    assert_eq!(get("/misuse/forbidden").unwrap(), 200);
    let log = server.log_with("misuse: refused");
    for says in [
        "connection: HeaderError::Forbidden",
        "host: HeaderError::Forbidden",
        "bad name: HeaderError::InvalidSyntax",
        "x-bad-value: HeaderError::InvalidSyntax",
    ] {
        assert!(log.contains(says), "{says}: {log}");
    }
    assert!(!log.contains("from-list accepted it"), "{log}");

    // A body dropped while its stream lives traps (the stream is the body's child).
    let _ = get("/misuse/orphan-stream");
    let log = server.log_with("child resource");
    assert!(log.contains("child resource"), "{log}");
    assert!(!log.contains("the host let the body go first"), "{log}");

    // No response at all is a 500.
    assert_eq!(get("/misuse/no-response").unwrap_or(500), 500);

    assert_eq!(get("/").unwrap(), 200);
}

/// A loopback server that answers each connection with `hello from the origin` and the header
/// `x-test: yes`, counting the requests it saw.
fn origin() -> (String, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut content_length = 0usize;
            let mut chunked = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    content_length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                    chunked = true;
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0u8; content_length];
            let _ = reader.read_exact(&mut body);
            // A chunked body: size lines in hex, each chunk followed by CRLF, 0 at the end.
            while chunked {
                let mut size = String::new();
                if reader.read_line(&mut size).unwrap_or(0) == 0 {
                    break;
                }
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0u8; n + 2];
                if reader.read_exact(&mut chunk).is_err() {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
                chunked = n > 0;
            }
            content_length = body.len();
            *count.lock().unwrap() += 1;
            let reply = format!("received {} bytes", body.len());
            let text = if content_length > 0 {
                reply
            } else {
                "hello from the origin".to_string()
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nx-test: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (addr, seen)
}

fn tether_run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tether"))
        .arg("run")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn client_fetches_an_allowed_origin() {
    let (origin, seen) = origin();
    let out = tether_run(&[
        "--allow-http",
        &origin,
        HTTP_CLIENT_RUST,
        &format!("{origin}/page"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("status: 200"), "{stdout}");
    assert!(stdout.contains("header x-test: yes"), "{stdout}");
    assert!(stdout.contains("hello from the origin"), "{stdout}");
    assert_eq!(*seen.lock().unwrap(), 1);
}

#[test]
fn client_posts_a_streamed_body() {
    let (origin, _) = origin();
    let out = tether_run(&[
        "--allow-http",
        &origin,
        HTTP_CLIENT_RUST,
        &format!("{origin}/upload"),
        "post",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("received 102400 bytes"), "{stdout}");
}

#[test]
fn client_is_denied_an_origin_not_allowed() {
    let (origin, seen) = origin();
    // Nothing allowed, then another port of the same host allowed: both denied.
    for allow in [None, Some("http://127.0.0.1:1")] {
        let mut args = Vec::new();
        if let Some(a) = allow {
            args.extend(["--allow-http", a]);
        }
        let url = format!("{origin}/page");
        args.extend([HTTP_CLIENT_RUST, url.as_str()]);
        let out = tether_run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("HttpRequestDenied"), "{stderr}");
    }
    assert_eq!(
        *seen.lock().unwrap(),
        0,
        "a denied request reached the origin"
    );
}

/// With `--max-concurrent-requests 1`, a request waits while another's guest runs, even once
/// that guest's response has gone out and it is still writing the body.
#[test]
fn max_concurrent_requests_bounds_guests_running() {
    let server = Server::start(HTTP_PROXY_RUST, &["--max-concurrent-requests", "1"]);
    // A body far larger than the host's pipe and the socket buffers: its guest waits for the
    // client to read.
    let r = agent()
        .get(server.url(&format!("/download/{}", 64u64 << 20)))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut reader = r.into_body().into_reader();
    let mut first = vec![0u8; 1 << 20];
    reader.read_exact(&mut first).unwrap();

    let impatient: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    assert!(
        impatient.get(server.url("/")).call().is_err(),
        "a second request was served while the first guest still ran"
    );

    // Once the first body is read to its end, the next request is served.
    let mut rest = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        rest += n as u64;
    }
    assert_eq!(rest + (1 << 20), 64 << 20);
    let r = agent().get(server.url("/")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
