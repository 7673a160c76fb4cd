//! Writing to a `wasi:io` output stream, for the Rust guests of `wasi:http`.

use wasi::io::streams::{OutputStream, StreamError};

/// Writes all of `bytes` to `stream`, as much at a time as the host permits (waiting on the
/// stream's pollable while it permits nothing), then flushes and waits for the flush.
pub fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    while !bytes.is_empty() {
        let permitted = stream.check_write()?;
        if permitted == 0 {
            stream.subscribe().block();
            continue;
        }
        let n = bytes
            .len()
            .min(usize::try_from(permitted).unwrap_or(usize::MAX));
        stream.write(&bytes[..n])?;
        bytes = &bytes[n..];
    }
    stream.blocking_flush()
}
