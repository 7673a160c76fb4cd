//! `wasi:random`: the system's secure random source, and a fast insecure generator.

use anyhow::{Context, Result, bail};

use crate::WasiView;
use crate::bindings::wasi::random::{insecure, insecure_seed, random};

/// The most bytes one call returns; a guest asking for more traps.
const MAX_BYTES: u64 = 64 << 20;

fn check_len(len: u64, what: &str) -> Result<usize> {
    if len > MAX_BYTES {
        bail!("{what}: {len} bytes asked for, more than the host's limit of {MAX_BYTES}");
    }
    Ok(len as usize)
}

impl<T: WasiView> random::Host for T {
    fn get_random_bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        let mut buf = vec![0; check_len(len, "get-random-bytes")?];
        getrandom::fill(&mut buf).context("the system's random source failed")?;
        Ok(buf)
    }

    fn get_random_u64(&mut self) -> Result<u64> {
        getrandom::u64().context("the system's random source failed")
    }
}

/// The next value of the context's insecure generator (xorshift64*).
fn next(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

impl<T: WasiView> insecure::Host for T {
    fn get_insecure_random_bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        let len = check_len(len, "get-insecure-random-bytes")?;
        let state = &mut self.ctx().insecure_state;
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&next(state).to_le_bytes());
        }
        out.truncate(len);
        Ok(out)
    }

    fn get_insecure_random_u64(&mut self) -> Result<u64> {
        Ok(next(&mut self.ctx().insecure_state))
    }
}

impl<T: WasiView> insecure_seed::Host for T {
    fn insecure_seed(&mut self) -> Result<(u64, u64)> {
        Ok(self.ctx().insecure_seed)
    }
}
