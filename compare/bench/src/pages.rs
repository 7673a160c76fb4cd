//! What the host serves, the same on both runtimes: three bodies by URL, and the checksum the
//! guest must return for each scenario.

use std::sync::Arc;

/// A URL with a 16-byte body.
pub const SMALL: &str = "bench:small";
/// A URL with a 64 KiB body.
pub const BODY_64K: &str = "bench:64k";
/// A URL with a 1 MiB body.
pub const BODY_1M: &str = "bench:1m";

/// The size of the body of [`BODY_64K`].
pub const SIZE_64K: usize = 64 * 1024;
/// The size of the body of [`BODY_1M`].
pub const SIZE_1M: usize = 1024 * 1024;

/// The status of every page the host serves; unknown URLs get 404.
pub const STATUS: u16 = 200;

/// The host's response, on both runtimes: a status and a body that stays in the host until
/// the guest asks for it.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The bodies the host serves.
pub struct Pages {
    small: Vec<u8>,
    k64: Vec<u8>,
    m1: Vec<u8>,
}

impl Pages {
    pub fn new() -> Arc<Pages> {
        Arc::new(Pages {
            small: body(16),
            k64: body(SIZE_64K),
            m1: body(SIZE_1M),
        })
    }

    /// The response to `url`, with a fresh copy of its body (the host's own buffer stays).
    pub fn fetch(&self, url: &str) -> Response {
        let body = match url {
            SMALL => &self.small,
            BODY_64K => &self.k64,
            BODY_1M => &self.m1,
            _ => {
                return Response {
                    status: 404,
                    body: Vec::new(),
                };
            }
        };
        Response {
            status: STATUS,
            body: body.clone(),
        }
    }
}

/// A body of `len` bytes: byte `i` is `i % 251`.
fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// What the guest adds to its checksum for a body: its length and its last byte.
fn body_sum(len: usize) -> u64 {
    len as u64
        + if len == 0 {
            0
        } else {
            ((len - 1) % 251) as u64
        }
}

/// The checksum `run(scenario, iters)` must return.
pub fn expected(scenario: &str, iters: u32) -> u64 {
    let n = iters as u64;
    match scenario {
        "empty" => 0,
        "noop" | "construct-drop" | "not-found-drop" => n,
        "add" => (0..iters).fold(0u32, |acc, i| acc.wrapping_add(i)) as u64,
        "status" | "fetch-status" => n * STATUS as u64,
        "body-len" => n * SIZE_64K as u64,
        "fetch-body-64k" => n * body_sum(SIZE_64K),
        "fetch-body-1m" => n * body_sum(SIZE_1M),
        "fetch-copy-64k" => n * (STATUS as u64 + body_sum(SIZE_64K)),
        "fetch-copy-1m" => n * (STATUS as u64 + body_sum(SIZE_1M)),
        _ => u64::MAX - 1,
    }
}
