//! The example guest of `tether demo`, written the way the article "WIT Resources" writes
//! it: `fetch` hands back a `response` that lives in the host, `response.status()` borrows
//! it, and the body is copied into guest memory only if the guest asks for it.

wit_bindgen::generate!({
    path: "../../wit/http",
    world: "demo",
});

use tether::http::http::{Response, fetch};

struct Demo;

impl Guest for Demo {
    fn status_of(url: String) -> Result<u16, ErrorCode> {
        let response = fetch(&url)?;
        // A borrow: `response` lives on, and is dropped (in the host too) at the end of
        // scope, its body never read.
        Ok(response.status())
    }

    fn fetch_body(url: String) -> Result<(u16, Vec<u8>), ErrorCode> {
        let response = fetch(&url)?;
        let status = response.status();
        // Consumes `response`: the host reads the body and copies it in, once.
        let body = Response::body(response);
        Ok((status, body))
    }

    fn stream_body(url: String, chunk: u32) -> Result<StreamSummary, ErrorCode> {
        let response = fetch(&url)?;
        let stream = response.body_stream();
        let mut summary = StreamSummary { bytes: 0, chunks: 0, fnv1a: 0x811c_9dc5 };
        while let Some(bytes) = stream.read(chunk) {
            summary.bytes += bytes.len() as u64;
            summary.chunks += 1;
            for b in bytes {
                summary.fnv1a = (summary.fnv1a ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
        }
        // The stream is a child of the response: it goes first.
        drop(stream);
        drop(response);
        Ok(summary)
    }

    fn headers_of(url: String) -> Result<Vec<(String, String)>, ErrorCode> {
        Ok(fetch(&url)?.headers())
    }

    fn construct_and_read(body: Vec<u8>, status: u16) -> (u16, Vec<u8>) {
        let response = Response::new(&body, status);
        let status = response.status();
        (status, Response::body(response))
    }

    fn not_found_status() -> u16 {
        Response::not_found().status()
    }
}

export!(Demo);
