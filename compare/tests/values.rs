//! Differential test: random types and values through a generated component, on Tether's
//! dynamic API and on wasmtime's; the cases are `tether_compare::values::case` (see there).
//! Runs for `COMPARE_SECONDS` (default 9) from the seed `COMPARE_SEED` (default: the
//! clock, printed); `COMPARE_VERBOSE=1` prints every raw call's outcome on both.

use std::time::Instant;

use tether_compare::values::{Stats, case};
use tether_compare::{Rng, budget};

#[test]
fn values_cross_both_runtimes_alike() {
    let (time, seed) = budget(9.0);
    println!(
        "values: COMPARE_SEED={seed} COMPARE_SECONDS={}",
        time.as_secs_f64()
    );
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let verbose = std::env::var_os("COMPARE_VERBOSE").is_some();
    let tether_engine = tether::Engine::default();
    let wasmtime_engine = wasmtime::Engine::default();
    let mut findings: Vec<String> = Vec::new();
    let mut stats = Stats::default();
    while start.elapsed() < time && findings.len() < 20 {
        let case_seed = rng.u64();
        let mut rng = Rng::new(case_seed);
        if let Some(what) = case(
            &mut rng,
            &tether_engine,
            &wasmtime_engine,
            &mut stats,
            verbose,
        ) {
            findings.push(format!("case seed {case_seed}: {what}"));
        }
    }
    let Stats {
        types,
        rejected,
        echoes,
        raws,
        raw_traps,
    } = stats;
    println!(
        "values: {types} types ({rejected} rejected by both), {echoes} echoes, {raws} raw calls ({raw_traps} trapped on wasmtime), {} disagreements, {:.1}s",
        findings.len(),
        start.elapsed().as_secs_f64()
    );
    for f in &findings {
        println!("\n--- disagreement ---\n{f}");
    }
    assert!(
        findings.is_empty(),
        "{} disagreements between Tether and wasmtime (seed {seed}); see above",
        findings.len()
    );
}
