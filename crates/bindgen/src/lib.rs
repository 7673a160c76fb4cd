//! Rust host bindings for Tether, generated from WIT.
//!
//! This crate is the code generator behind `tether::bindgen!`: it reads WIT with the
//! `wit-parser` crate, picks a world, and writes Rust source for a host of that world.
//! The macro only parses its options and calls [`generate`]; keeping the generator an
//! ordinary library lets its output be snapshot-tested (`tests/snapshots.rs`).
//!
//! ```
//! let dir = std::env::temp_dir().join("tether-bindgen-doc");
//! std::fs::create_dir_all(&dir)?;
//! let wit = dir.join("clock.wit");
//! std::fs::write(&wit, "package my:clock;\ninterface time { now: func() -> u64; }\nworld host { import time; }\n")?;
//! let bindings = tether_bindgen::generate(&tether_bindgen::Opts::new(&wit))?;
//! let code = bindings.to_pretty_string();
//! assert!(code.contains("fn now(&mut self) -> ::tether::Result<u64>;"), "{code}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What the generated code looks like for each kind of WIT item is described in
//! `docs/bindgen.md` at the root of the repository.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

mod generate;
mod load;
mod names;

pub use names::derived_label;

/// What to generate bindings for.
#[derive(Clone, Debug, Default)]
pub struct Opts {
    /// The main WIT package: a `.wit` file, or a directory of `.wit` files with an optional
    /// `deps` folder (each entry a package: a `.wit` file or a directory).
    pub path: PathBuf,
    /// More packages the main one may use: `.wit` files, or directories whose `.wit` files
    /// are each one package.
    pub deps: Vec<PathBuf>,
    /// The world, by name in the main package or as `ns:pkg/world`; `None` when the main
    /// package has exactly one world.
    pub world: Option<String>,
    /// Imported resources mapped to Rust types of the embedder: `("ns:pkg/iface/resource",
    /// "path::to::Type")` (the interface may carry its version: `ns:pkg/iface@1.0.0/resource`).
    /// A relative path is taken from the scope of the macro invocation; `crate::` and `::`
    /// paths as they are.
    pub with: Vec<(String, String)>,
    /// Methods of imported resources whose returned objects are children of `self`:
    /// `"ns:pkg/iface/resource.method"` (the interface may carry its version). The glue moves
    /// such an object in with `push_child`, so the parent cannot be dropped or consumed while
    /// the child lives.
    pub children: Vec<String>,
    /// Imported resources whose methods give the guest an error case instead of a trap when
    /// the host revoked `self`: `("ns:pkg/iface/resource", "error-type.case")`. Every method
    /// of the resource whose result is a `result` with that error type gets the glue of
    /// `LinkerInstance::method_or_revoked`, returning the case (an enum's, or a variant's
    /// without a payload); the others trap.
    pub revoked: Vec<(String, String)>,
    /// Features of `@unstable` items to include.
    pub features: Vec<String>,
    /// Include every `@unstable` item.
    pub all_features: bool,
}

impl Opts {
    /// Options for the WIT at `path`, with every other option at its default.
    pub fn new(path: impl AsRef<Path>) -> Opts {
        Opts {
            path: path.as_ref().to_path_buf(),
            ..Opts::default()
        }
    }
}

/// Generated bindings.
#[derive(Clone, Debug)]
pub struct Bindings {
    /// The Rust items.
    pub tokens: TokenStream,
    /// Every WIT file that was read, for the macro to make the build depend on.
    pub files: Vec<PathBuf>,
}

impl Bindings {
    /// The bindings as formatted Rust source.
    pub fn to_pretty_string(&self) -> String {
        match syn::parse2::<syn::File>(self.tokens.clone()) {
            Ok(file) => prettyplease::unparse(&file),
            // Not expected: the generator writes items only. Show what it wrote.
            Err(e) => format!("// unparsable output: {e}\n{}", self.tokens),
        }
    }
}

/// Why bindings could not be generated: bad WIT (rendered with file, line and column), an
/// unknown world, a bad `with` option, or a WIT construct the bindings do not support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<str>);

impl Error {
    #[cold]
    pub(crate) fn new(message: impl Into<String>) -> Error {
        Error(message.into().into_boxed_str())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Reads the WIT that `opts` names and generates host bindings for its world.
pub fn generate(opts: &Opts) -> Result<Bindings, Error> {
    let loaded = load::load(&opts.path, &opts.deps, &opts.features, opts.all_features)?;
    let tokens = generate::generate(&loaded.resolve, loaded.main, opts)?;
    Ok(Bindings {
        tokens,
        files: loaded.files,
    })
}
