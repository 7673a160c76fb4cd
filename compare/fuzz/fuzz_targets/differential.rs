//! The `differential` target: one case of `tether_compare::values` (a random type, its
//! component on Tether and on wasmtime's component model, `echo` and `raw` calls), every
//! draw steered by the input; a disagreement is a finding.
#![no_main]

use std::sync::OnceLock;

use tether_compare::Rng;
use tether_compare::values::{Stats, case};

fn engines() -> &'static (tether::Engine, wasmtime::Engine) {
    static ENGINES: OnceLock<(tether::Engine, wasmtime::Engine)> = OnceLock::new();
    ENGINES.get_or_init(|| (tether::Engine::default(), wasmtime::Engine::default()))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (t, w) = engines();
    let mut rng = Rng::from_bytes(data);
    if let Some(what) = case(&mut rng, t, w, &mut Stats::default(), false) {
        panic!("fuzz finding: differential: {what}");
    }
});
