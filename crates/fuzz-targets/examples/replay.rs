//! Runs one target on the inputs given (files, or folders of them) without libFuzzer's
//! instrumentation, for replaying a corpus under valgrind (`FUZZING.md`):
//!
//! ```sh
//! cargo build --release -p tether-fuzz-targets --example replay
//! valgrind --smc-check=all-non-file --error-exitcode=99 \
//!     target/release/examples/replay abi target/fuzz-corpus/abi
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn inputs(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            inputs(&e, out)?;
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((target, paths)) = args.split_first() else {
        eprintln!("usage: replay TARGET INPUT...   (targets: {:?})", names());
        return ExitCode::from(2);
    };
    let Some((_, run)) = tether_fuzz_targets::TARGETS
        .iter()
        .find(|(name, _)| name == target)
    else {
        eprintln!("replay: no target `{target}` (targets: {:?})", names());
        return ExitCode::from(2);
    };
    let mut files = Vec::new();
    for p in paths {
        if let Err(e) = inputs(Path::new(p), &mut files) {
            eprintln!("replay: `{p}`: {e}");
            return ExitCode::from(2);
        }
    }
    for f in &files {
        match std::fs::read(f) {
            Ok(data) => run(&data),
            Err(e) => {
                eprintln!("replay: `{}`: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    eprintln!("replay: {target}: {} inputs, no panic", files.len());
    ExitCode::SUCCESS
}

fn names() -> Vec<&'static str> {
    tether_fuzz_targets::TARGETS
        .iter()
        .map(|(n, _)| *n)
        .collect()
}
