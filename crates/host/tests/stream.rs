//! A 64 MiB body read in chunks through a `body-stream`, with the host's heap measured by a
//! counting allocator: the body never sits in the host's memory. (A test binary of its own,
//! with one test, so that no other test allocates while it measures.)

mod support;

use support::{Route, Server, StreamSummary, assert_clean, instantiate, pattern_fnv1a, typed};
use tether::TypedFunc;
use tether_host::{ErrorCode, HttpPolicy};
use tether_test_programs::heap;

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

const LEN: u64 = 64 << 20;

#[test]
fn a_64_mib_body_in_chunks_keeps_the_host_heap_small() {
    let server = Server::start(vec![("/big", Route::Pattern(LEN))]);
    let (mut store, instance) = instantiate(HttpPolicy::new().allow(&server.origin()).unwrap());
    let stream_body: TypedFunc<(String, u32), (Result<StreamSummary, ErrorCode>,)> =
        typed(&instance, &mut store, "stream-body");
    let expected = pattern_fnv1a(LEN);
    let url = server.url("/big");

    let baseline = heap::start();
    let (summary,) = stream_body.call(&mut store, (url, 64 << 10)).unwrap();
    let peak = heap::peak_above(baseline);

    assert_eq!(
        summary.unwrap(),
        StreamSummary {
            bytes: LEN,
            chunks: 1024,
            fnv1a: expected
        }
    );
    assert_eq!(server.sent("/big"), (LEN, true));
    assert_clean(&store, "stream-body");
    assert_eq!(store.data().body_bytes_read(), LEN);
    println!(
        "peak heap above the baseline while streaming 64 MiB: {} KiB",
        peak >> 10
    );
    assert!(
        peak < 8 << 20,
        "the host's heap grew by {peak} bytes while streaming a 64 MiB body"
    );
    let copied = instance.bytes_copied(&store);
    assert!(copied.into_guest >= LEN, "{copied:?}");
}
