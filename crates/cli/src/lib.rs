//! The library behind the `tether` command: what `tether wit`, `tether check` and
//! `tether run --trap-unknown-imports` do with their input, kept apart from the command line
//! so that the fuzz targets (`crates/fuzz-targets`) run the very same code.
//!
//! ```
//! let wit = "package my:clock;\ninterface time { now: func() -> u64; }\n";
//! let dir = std::env::temp_dir().join("tether-cli-doc");
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("clock.wit"), wit)?;
//! let line = tether_cli::wit::check(&dir.join("clock.wit"))?;
//! assert!(line.ends_with("ok: package `my:clock` (1 interface(s), 0 world(s))"), "{line}");
//! # anyhow::Ok(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod imports;
pub mod wit;

/// A diagnostic that is printed whole (a WIT error with its file, line and snippet).
#[derive(Debug)]
pub struct Diagnostic(pub String);

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Diagnostic {}
