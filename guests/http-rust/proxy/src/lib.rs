//! A `wasi:http/proxy` component: the routes every HTTP proxy guest of `guests/` answers
//! (`guests/http-README.md`), for testing `tether serve`.
//!
//! Bodies are streamed through `wasi:io/streams` in chunks of at most [`CHUNK`] bytes, with
//! the response handed to the host before its body is written, so no body is ever held whole.

use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use guest_streams::write_all;
use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// The name this proxy gives in `GET /` and in its `x-proxy` header.
const NAME: &str = "rust";

/// The most bytes read or written at once.
const CHUNK: usize = 64 * 1024;

/// The largest body `GET /download/N` sends: 1 TiB.
const MAX_DOWNLOAD: u64 = 1 << 40;

struct Proxy;

wasi::http::proxy::export!(Proxy);

impl Guest for Proxy {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let target = request.path_with_query().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default();
        let method = request.method();
        match (&method, path) {
            (Method::Get, "/") => {
                let text = format!("hello from {NAME}");
                respond_with(out, 200, &[], text.as_bytes());
            }
            (Method::Get, "/headers") => {
                let value = request
                    .headers()
                    .get("x-echo")
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                respond_with(out, 200, &[("x-echo", &value)], &value);
            }
            (Method::Post, "/echo") => echo(request, out),
            (Method::Post, "/upload") => upload(request, out),
            (Method::Get, "/trap") => panic!("`GET /trap` asks the proxy to trap"),
            (Method::Get, "/fresh") => fresh(out),
            (Method::Get, "/misuse/over-write") => over_write(out),
            (Method::Get, "/misuse/twice") => twice(out),
            (Method::Get, "/misuse/forbidden") => forbidden(out),
            (Method::Get, "/misuse/orphan-stream") => orphan_stream(out),
            (Method::Get, "/misuse/no-response") => drop(out),
            (Method::Get, _) => {
                if let Some((d, w)) = path.strip_prefix("/declared/").and_then(declared_sizes) {
                    return declared(out, d, w);
                }
                match path.strip_prefix("/download/").and_then(download_size) {
                    Some(size) => download(out, size),
                    None => not_found(out),
                }
            }
            _ => not_found(out),
        }
    }
}

/// Requests this instance has answered through `GET /fresh`.
static VISITS: AtomicU32 = AtomicU32::new(0);

/// Memory that starts as 7s (a data segment) and that `GET /fresh` overwrites.
static MARKS: [AtomicU8; 64 * 1024] = [const { AtomicU8::new(7) }; 64 * 1024];

/// `GET /fresh`: `fresh` when this instance's memory is as its module made it (no earlier
/// visit, every mark still 7), `stale` otherwise; then it spoils both, so that an instance
/// whose memory is not reset between requests answers `stale` the next time.
fn fresh(out: ResponseOutparam) {
    let visits = VISITS.fetch_add(1, Ordering::Relaxed);
    let mut pristine = visits == 0;
    for mark in &MARKS {
        pristine &= mark.swap(0, Ordering::Relaxed) == 7;
    }
    let body: &[u8] = if pristine { b"fresh" } else { b"stale" };
    respond_with(out, 200, &[], body);
}

/// `GET /download/N`'s N: decimal digits only, at most [`MAX_DOWNLOAD`].
fn download_size(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n <= MAX_DOWNLOAD)
}

/// `GET /declared/D/W`'s D and W: each a decimal number of at most [`CHUNK`] bytes.
fn declared_sizes(rest: &str) -> Option<(u64, u64)> {
    let (d, w) = rest.split_once('/')?;
    let d = download_size(d).filter(|&n| n <= CHUNK as u64)?;
    let w = download_size(w).filter(|&n| n <= CHUNK as u64)?;
    Some((d, w))
}

/// `GET /declared/D/W` (this proxy only): a response whose headers declare
/// `content-length: D` and whose body is W bytes, to see what the host does when the two
/// differ. The guest says on stderr how its write and its `finish` went.
fn declared(out: ResponseOutparam, d: u64, w: u64) {
    let length = d.to_string();
    let response = Response::start(out, 200, &[("content-length", length.as_bytes())]);
    if let Err(e) = response.write(&vec![b'x'; w as usize]) {
        let code = match &e {
            StreamError::LastOperationFailed(error) => wasi::http::types::http_error_code(error),
            StreamError::Closed => None,
        };
        eprintln!("declared {d}, wrote {w}: the write failed: {code:?}");
        return;
    }
    match response.finish_checked() {
        Ok(()) => eprintln!("declared {d}, wrote {w}: finished"),
        Err(code) => eprintln!("declared {d}, wrote {w}: finish failed: {code:?}"),
    }
}

/// `GET /misuse/over-write` (this proxy only): writes more than `check-write` allowed, which
/// the host must refuse with a trap.
fn over_write(out: ResponseOutparam) {
    let response = Response::start(out, 200, &[]);
    let stream = response
        .stream
        .as_ref()
        .expect("a started response has its stream");
    let permitted = stream.check_write().unwrap_or(0) as usize;
    eprintln!(
        "misuse: writing {} bytes where {permitted} are permitted",
        permitted + 1
    );
    let _ = stream.write(&vec![0u8; permitted + 1]);
    eprintln!("misuse: the host accepted the write");
}

/// `GET /misuse/twice` (this proxy only): takes a response's body and a body's stream twice,
/// which the host must refuse with an error, and answers how it went.
fn twice(out: ResponseOutparam) {
    let response = OutgoingResponse::new(Fields::new());
    let body = response.body().expect("the first body");
    let second_body = response.body().is_err();
    let stream = body.write().expect("the first stream");
    let second_stream = body.write().is_err();
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
    ResponseOutparam::set(out, Ok(response));
    eprintln!("misuse: second body refused: {second_body}, second stream refused: {second_stream}");
}

/// `GET /misuse/forbidden` (this proxy only): tries to set headers the host must refuse
/// (hop-by-hop names, `host`, a bad name, a bad value), and answers which were refused.
fn forbidden(out: ResponseOutparam) {
    let mut refused = Vec::new();
    for (name, value) in [
        ("connection", &b"close"[..]),
        ("host", b"example.com"),
        ("bad name", b"x"),
        ("x-bad-value", b"a\nb"),
    ] {
        let fields = Fields::new();
        if let Err(e) = fields.set(name, &[value.to_vec()]) {
            refused.push(format!("{name}: {e:?}"));
        }
        if Fields::from_list(&[(name.to_string(), value.to_vec())]).is_ok() {
            refused.push(format!("{name}: from-list accepted it"));
        }
    }
    eprintln!("misuse: refused {}", refused.join("; "));
    respond_with(out, 200, &[], b"ok");
}

/// `GET /misuse/orphan-stream` (this proxy only): drops a body while its stream, the body's
/// child, is still alive, which traps: the stream must not outlive the body.
fn orphan_stream(out: ResponseOutparam) {
    let response = OutgoingResponse::new(Fields::new());
    let body = response.body().expect("the first body");
    let stream = body.write().expect("the first stream");
    ResponseOutparam::set(out, Ok(response));
    eprintln!("misuse: dropping the body before its stream");
    drop(body);
    eprintln!("misuse: the host let the body go first");
    drop(stream);
}

fn not_found(out: ResponseOutparam) {
    respond_with(out, 404, &[], b"not found");
}

/// `POST /echo`: each chunk of the request body is written back as soon as it is read.
/// A failed read leaves the response body unfinished, so the client sees it cut short.
fn echo(request: IncomingRequest, out: ResponseOutparam) {
    let Some(incoming) = RequestBody::take(&request) else {
        return respond_with(out, 500, &[], b"request body unavailable");
    };
    let response = Response::start(out, 200, &[]);
    loop {
        match incoming.stream.blocking_read(CHUNK as u64) {
            Ok(chunk) => {
                if response.write(&chunk).is_err() {
                    return;
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return,
        }
    }
    response.finish();
}

/// `POST /upload`: the request body is read in chunks and only counted.
fn upload(request: IncomingRequest, out: ResponseOutparam) {
    let Some(incoming) = RequestBody::take(&request) else {
        return respond_with(out, 500, &[], b"request body unavailable");
    };
    let mut received: u64 = 0;
    loop {
        match incoming.stream.blocking_read(CHUNK as u64) {
            Ok(chunk) => received += chunk.len() as u64,
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => {
                let text = format!("request body failed after {received} bytes");
                return respond_with(out, 400, &[], text.as_bytes());
            }
        }
    }
    drop(incoming);
    respond_with(
        out,
        200,
        &[],
        format!("received {received} bytes").as_bytes(),
    );
}

/// `GET /download/N`: N bytes, the byte at offset `i` being `b'a' + i % 26`, written in
/// chunks of [`CHUNK`] bytes cut from one buffer of the repeating alphabet.
fn download(out: ResponseOutparam, size: u64) {
    let pattern: Vec<u8> = (0..CHUNK + 26).map(|i| b'a' + (i % 26) as u8).collect();
    let response = Response::start(out, 200, &[]);
    let mut sent: u64 = 0;
    while sent < size {
        let len = (size - sent).min(CHUNK as u64) as usize;
        let start = (sent % 26) as usize;
        if response.write(&pattern[start..start + len]).is_err() {
            return;
        }
        sent += len as u64;
    }
    response.finish();
}

/// Answers at once with `status` and the whole of `body`.
fn respond_with(out: ResponseOutparam, status: u16, headers: &[(&str, &[u8])], body: &[u8]) {
    let response = Response::start(out, status, headers);
    if response.write(body).is_ok() {
        response.finish();
    }
}

/// A response already handed to the host, whose body is being written.
struct Response {
    // Fields drop in order: the stream, a child of the body, goes first.
    stream: Option<OutputStream>,
    body: Option<OutgoingBody>,
}

impl Response {
    /// Sends `status` and the headers (`content-type: text/plain`, `x-proxy: rust`, then
    /// `headers`) through `out`, and opens the body for writing.
    fn start(out: ResponseOutparam, status: u16, headers: &[(&str, &[u8])]) -> Response {
        let mut fields = vec![
            ("content-type".to_string(), b"text/plain".to_vec()),
            ("x-proxy".to_string(), NAME.as_bytes().to_vec()),
        ];
        fields.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_vec())));
        let fields = Fields::from_list(&fields).expect("the response headers are valid");
        let response = OutgoingResponse::new(fields);
        response
            .set_status_code(status)
            .expect("the status code is valid");
        let body = response
            .body()
            .expect("a new response's body is taken once");
        let stream = body.write().expect("a new body's stream is taken once");
        ResponseOutparam::set(out, Ok(response));
        Response {
            stream: Some(stream),
            body: Some(body),
        }
    }

    /// Writes all of `bytes` to the body and flushes it.
    fn write(&self, bytes: &[u8]) -> Result<(), StreamError> {
        write_all(self.stream.as_ref().expect("written before finish"), bytes)
    }

    /// Ends the body (no trailers). A response dropped unfinished is cut short instead.
    fn finish(self) {
        let _ = self.finish_checked();
    }

    /// [`finish`](Self::finish), saying whether the host accepted the body.
    fn finish_checked(mut self) -> Result<(), wasi::http::types::ErrorCode> {
        drop(self.stream.take());
        match self.body.take() {
            Some(body) => OutgoingBody::finish(body, None),
            None => Ok(()),
        }
    }
}

/// The request's body and its stream (declared first: it drops first, being the child).
struct RequestBody {
    stream: InputStream,
    _body: IncomingBody,
}

impl RequestBody {
    fn take(request: &IncomingRequest) -> Option<RequestBody> {
        let body = request.consume().ok()?;
        let stream = body.stream().ok()?;
        Some(RequestBody {
            stream,
            _body: body,
        })
    }
}
