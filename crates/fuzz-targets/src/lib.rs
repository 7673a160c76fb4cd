//! The logic of Tether's fuzz targets, one module per target, each with a `run(data: &[u8])`
//! that never panics except to report a bug (a disagreement between two paths that must
//! agree, a host panic, a trap the specification does not list, an internal error).
//!
//! The libFuzzer harnesses in `fuzz/` (a cargo-fuzz project of its own) call these
//! functions; `tests/regressions.rs` replays the committed seeds and findings through them
//! under plain `cargo test`. `FUZZING.md` at the repository root says what each target
//! generates and checks, how to run it, and what the runs found.
//!
//! ```
//! // Any bytes: an error from `Component::new`, never a panic.
//! tether_fuzz_targets::load::run(b"\0asm\x0d\0\x01\0garbage");
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod abi;
pub mod arb;
pub mod common;
pub mod handles;
pub mod load;
#[cfg(target_os = "linux")]
pub mod wasi_fs;
pub mod wit;

/// A target's entry point.
pub type Run = fn(&[u8]);

/// Every target of this crate by name, as `scripts/fuzz --list` names them (the `differential`
/// target lives in `compare/fuzz`, beside wasmtime's component model).
pub const TARGETS: &[(&str, Run)] = &[
    ("load", load::run),
    ("wit", wit::run),
    ("abi", abi::run),
    ("handles", handles::run),
    #[cfg(target_os = "linux")]
    ("wasi-fs", wasi_fs::run),
];
