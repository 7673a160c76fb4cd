//! Replays every committed seed and finding through its target, under plain `cargo test`
//! (no fuzzing build needed), and runs each target on a few hundred pseudo-random inputs.
//!
//! Layout (see `FUZZING.md`): `fuzz/seeds/<target>/` holds seeds from the project's own
//! guests and hand-made inputs, and must not be empty; `fuzz/regressions/<target>/` holds
//! minimised findings, one file each (with a `README.md` naming them, which is not an input),
//! and must exist for every target. A missing or empty folder fails the test: nothing is
//! skipped silently.

use std::path::{Path, PathBuf};

use tether_fuzz_targets::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The input files of `dir`, sorted; fails if `dir` is missing.
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

fn replay(target: &str, run: fn(&[u8]), files: &[PathBuf]) {
    for file in files {
        let data = std::fs::read(file).expect("a readable input");
        eprintln!("{target}: {}", file.display());
        run(&data);
    }
}

#[test]
fn seeds_replay() {
    for (target, run) in TARGETS {
        let files = inputs(&fuzz_dir().join("seeds").join(target));
        assert!(!files.is_empty(), "fuzz/seeds/{target}/ has no seed");
        replay(target, *run, &files);
    }
}

#[test]
fn regressions_replay() {
    for (target, run) in TARGETS {
        let dir = fuzz_dir().join("regressions").join(target);
        assert!(
            dir.join("README.md").is_file(),
            "{} must have a README.md naming its findings",
            dir.display()
        );
        replay(target, *run, &inputs(&dir));
    }
}

#[test]
fn every_target_has_a_harness() {
    for (target, _) in TARGETS {
        let harness = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        let text = std::fs::read_to_string(&harness)
            .unwrap_or_else(|e| panic!("{} must exist: {e}", harness.display()));
        let call = format!("tether_fuzz_targets::{}::run", target.replace('-', "_"));
        assert!(
            text.contains(&call),
            "{} must call {call}",
            harness.display()
        );
    }
}

/// A xorshift generator: the same inputs on every run.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn pseudo_random_inputs() {
    let count: u64 = std::env::var("FUZZ_SMOKE_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(150);
    for (target, run) in TARGETS {
        for i in 0..count {
            let data = bytes(0x5eed ^ i, 64 + (i as usize * 37) % 900);
            eprintln!("{target}: pseudo-random input {i}");
            run(&data);
        }
    }
}
