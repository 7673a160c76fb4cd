//! A WASI 0.2 command that fetches a URL through `wasi:http/outgoing-handler`
//! (`guests/http-README.md`), for testing a host's outgoing HTTP.
//!
//! Usage: `http-client-rust URL [post]`. With `post`, the request carries [`POST_SIZE`] bytes,
//! written in chunks of [`POST_CHUNK`] after the request was handed to the host (so the host
//! must send the body as it comes). Prints `status: N`, `header x-test: V` when the response
//! has that header, `body: N bytes`, and the body's first 100 bytes as text. An `error-code`
//! from the host is printed on stderr as `error: {code:?}`, and the command exits 1.

use std::process::exit;

use guest_streams::write_all;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use wasi::io::streams::StreamError;

/// The size of the body `post` sends: 100 KiB.
const POST_SIZE: usize = 100 * 1024;

/// The size of each chunk of that body.
const POST_CHUNK: usize = 10 * 1024;

/// How much of the response body is printed.
const SHOWN: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, post) = match args.get(1..).unwrap_or_default() {
        [url] => (url, false),
        [url, mode] if mode == "post" => (url, true),
        _ => usage(),
    };
    let Some((scheme, authority, path)) = split_url(url) else {
        eprintln!("error: `{url}` is not an http:// or https:// URL");
        exit(2);
    };

    let request = OutgoingRequest::new(Fields::new());
    let method = if post { Method::Post } else { Method::Get };
    let set = request
        .set_method(&method)
        .and(request.set_scheme(Some(&scheme)))
        .and(request.set_authority(Some(authority)))
        .and(request.set_path_with_query(Some(path)));
    if set.is_err() {
        eprintln!("error: the host refused the parts of `{url}`");
        exit(2);
    }
    let body = request.body().expect("a new request's body is taken once");
    let future = outgoing_handler::handle(request, None).unwrap_or_else(|code| fail(code));

    // The body is written only now, once the host has the request. A failure to send it is
    // reported after the response, whose error code, if any, says more.
    let sent = send_body(body, post);
    let response = loop {
        match future.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(code))) => fail(code),
            Some(Err(())) => unreachable!("the response was taken twice"),
            None => future.subscribe().block(),
        }
    };
    show(&response);
    if let Err(e) = sent {
        eprintln!("error: the request body was not all sent: {e}");
        exit(1);
    }
}

/// Writes the request body (with `post`, [`POST_SIZE`] bytes in chunks; else none) and ends it.
fn send_body(body: OutgoingBody, post: bool) -> Result<(), String> {
    let stream = body.write().expect("a new body's stream is taken once");
    if post {
        let chunk: Vec<u8> = (0..POST_CHUNK).map(|i| b'a' + (i % 26) as u8).collect();
        for _ in 0..POST_SIZE / POST_CHUNK {
            write_all(&stream, &chunk).map_err(|e| describe(&e))?;
        }
    }
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|code| format!("{code:?}"))
}

fn usage() -> ! {
    eprintln!("usage: http-client-rust URL [post]");
    exit(2);
}

/// Prints the status, the `x-test` header and the body's length and first bytes.
fn show(response: &IncomingResponse) {
    println!("status: {}", response.status());
    if let Some(value) = response.headers().get("x-test").first() {
        println!("header x-test: {}", String::from_utf8_lossy(value));
    }
    let body = response.consume().expect("the response body is taken once");
    let stream = body.stream().expect("the body's stream is taken once");
    let mut length: u64 = 0;
    let mut start = Vec::with_capacity(SHOWN);
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                length += chunk.len() as u64;
                let room = SHOWN - start.len();
                start.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Err(StreamError::Closed) => break,
            Err(e) => report_stream_error(e),
        }
    }
    println!("body: {length} bytes");
    println!("{}", String::from_utf8_lossy(&start));
}

/// Fails with the HTTP error code behind a stream's error, or the stream error itself.
fn report_stream_error(error: StreamError) -> ! {
    if let StreamError::LastOperationFailed(e) = &error
        && let Some(code) = wasi::http::types::http_error_code(e)
    {
        fail(code);
    }
    eprintln!("error: {}", describe(&error));
    exit(1);
}

/// A stream error in words: the HTTP error code behind it when there is one.
fn describe(error: &StreamError) -> String {
    match error {
        StreamError::LastOperationFailed(e) => match wasi::http::types::http_error_code(e) {
            Some(code) => format!("{code:?}"),
            None => format!("stream failed: {}", e.to_debug_string()),
        },
        StreamError::Closed => "stream closed early".to_string(),
    }
}

fn fail(code: ErrorCode) -> ! {
    eprintln!("error: {code:?}");
    exit(1);
}

/// Splits `http://authority/path?query` (or `https://`) into its scheme, authority, and path
/// with query (`/` when the URL has none).
fn split_url(url: &str) -> Option<(Scheme, &str, &str)> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        (Scheme::Https, url.strip_prefix("https://")?)
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) if rest[at..].starts_with('/') => rest.split_at(at),
        Some(_) => return None,
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return None;
    }
    Some((scheme, authority, path))
}
