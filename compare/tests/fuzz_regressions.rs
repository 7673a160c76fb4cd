//! Replays the `differential` fuzz target's committed seeds and findings
//! (`compare/fuzz/seeds/differential/`, `compare/fuzz/regressions/differential/`) through
//! `tether_compare::values::case`, as the target runs them, under plain `cargo test`.
//! A missing or empty seed folder fails, and so does a regressions folder without its
//! `README.md`: nothing is skipped silently.

use std::path::{Path, PathBuf};

use tether_compare::Rng;
use tether_compare::values::{Stats, case};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{} must exist: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

#[test]
fn differential_seeds_and_findings_agree() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let seeds = inputs(&fuzz.join("seeds/differential"));
    assert!(
        !seeds.is_empty(),
        "compare/fuzz/seeds/differential/ has no seed"
    );
    let regressions = fuzz.join("regressions/differential");
    assert!(
        regressions.join("README.md").is_file(),
        "{} must have a README.md naming its findings",
        regressions.display()
    );
    let tether_engine = tether::Engine::default();
    let wasmtime_engine = wasmtime::Engine::default();
    let mut stats = Stats::default();
    for file in seeds.iter().chain(&inputs(&regressions)) {
        let data = std::fs::read(file).expect("a readable input");
        let mut rng = Rng::from_bytes(&data);
        if let Some(what) = case(
            &mut rng,
            &tether_engine,
            &wasmtime_engine,
            &mut stats,
            false,
        ) {
            panic!("{}: {what}", file.display());
        }
    }
    assert!(stats.types > 0, "no input drew a type: {stats:?}");
}
