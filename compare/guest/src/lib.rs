//! The guest of `tether-bench`: `run(scenario, iters)` calls into the host `iters` times the
//! way one scenario says, and returns a checksum of what the host returned, which the host
//! checks (so that a runtime that skipped work, or returned wrong values, shows).
//!
//! The host serves three URLs: `bench:small` (status 200, a 16-byte body), `bench:64k`
//! (status 200, a 64 KiB body) and `bench:1m` (status 200, a 1 MiB body).

wit_bindgen::generate!({
    path: "../wit",
    world: "bench",
});

use tether::bench::host::{self, Response};

struct Bench;

const SMALL: &str = "bench:small";
const BODY_64K: &str = "bench:64k";
const BODY_1M: &str = "bench:1m";

/// Adds a body to a checksum: its length and its last byte.
fn body_sum(body: &[u8]) -> u64 {
    body.len() as u64 + body.last().copied().unwrap_or(0) as u64
}

impl Guest for Bench {
    fn run(scenario: String, iters: u32) -> u64 {
        let mut sum = 0u64;
        match scenario.as_str() {
            // Host → guest: the call itself is the scenario.
            "empty" => {}
            "noop" => {
                for _ in 0..iters {
                    host::noop();
                    sum += 1;
                }
            }
            "add" => {
                let mut acc = 0u32;
                for i in 0..iters {
                    acc = host::add(acc, i);
                }
                sum = acc as u64;
            }
            "status" => {
                let response = host::fetch(SMALL);
                for _ in 0..iters {
                    sum += response.status() as u64;
                }
            }
            "body-len" => {
                let response = host::fetch(BODY_64K);
                for _ in 0..iters {
                    sum += response.body_len() as u64;
                }
            }
            "fetch-status" => {
                for _ in 0..iters {
                    let response = host::fetch(SMALL);
                    sum += response.status() as u64;
                }
            }
            "fetch-body-64k" | "fetch-body-1m" => {
                let url = if scenario == "fetch-body-64k" {
                    BODY_64K
                } else {
                    BODY_1M
                };
                for _ in 0..iters {
                    let body = Response::body(host::fetch(url));
                    sum += body_sum(&body);
                }
            }
            "fetch-copy-64k" | "fetch-copy-1m" => {
                let url = if scenario == "fetch-copy-64k" {
                    BODY_64K
                } else {
                    BODY_1M
                };
                for _ in 0..iters {
                    let (status, body) = host::fetch_copy(url);
                    sum += status as u64 + body_sum(&body);
                }
            }
            "construct-drop" => {
                let mut body = [0u8; 16];
                for i in 0..iters {
                    body[0] = i as u8;
                    drop(Response::new(&body, 200));
                    sum += 1;
                }
            }
            "not-found-drop" => {
                for _ in 0..iters {
                    drop(Response::not_found());
                    sum += 1;
                }
            }
            // An unknown scenario: a checksum no host expects.
            _ => return u64::MAX,
        }
        sum
    }
}

export!(Bench);
