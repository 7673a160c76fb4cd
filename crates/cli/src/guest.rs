//! Building the bundled guests from source: the example guest (`examples/http-guest`) with
//! `cargo build --release --target wasm32-unknown-unknown` (installing the target with
//! `rustup` if it is missing), then `wit-component` to turn the core module into a
//! component, both through `tether-guest-build`, which `crates/test-programs/build.rs` uses
//! too; and the Rust `wasi:http` proxy of `guests/http-rust`, for `wasm32-wasip2`, where
//! rustc makes the component itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::{env, fs};

use anyhow::{Context, Result, bail};

/// The target the guest is compiled for.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// The target the proxy is compiled for.
pub const PROXY_TARGET: &str = "wasm32-wasip2";

/// The example guest's source, in the repository this binary was built from.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/http-guest")
}

/// Builds the Rust `wasi:http` proxy of `guests/http-rust` if needed and returns the path of
/// its component.
pub fn proxy_component() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/http-rust");
    let dir = dir.canonicalize().with_context(|| {
        format!(
            "the proxy's source is not at `{}`: `tether demo --serve` builds it from a checkout of the Tether repository",
            dir.display()
        )
    })?;
    ensure_target(PROXY_TARGET)?;
    let target_dir = target_dir();
    tether_guest_build::build_workspace(&dir, &target_dir, PROXY_TARGET, "the proxy", None)?;
    let component = target_dir
        .join(PROXY_TARGET)
        .join("release")
        .join("http_proxy_rust.wasm");
    if !component.is_file() {
        bail!(
            "the proxy's build produced no component at `{}`",
            component.display()
        );
    }
    Ok(component)
}

/// Builds the example guest if needed and returns its component, with the path of the core
/// module it was made from.
pub fn example_component() -> Result<(Vec<u8>, PathBuf)> {
    let dir = source_dir();
    let dir = dir.canonicalize().with_context(|| {
        format!(
            "the example guest's source is not at `{}`: `tether demo` builds it from a checkout of the Tether repository",
            dir.display()
        )
    })?;
    ensure_target(TARGET)?;
    let target_dir = target_dir();
    tether_guest_build::build_workspace(&dir, &target_dir, TARGET, "the example guest", None)?;
    let core = target_dir
        .join(TARGET)
        .join("release")
        .join("http_guest.wasm");
    let bytes = fs::read(&core).with_context(|| {
        format!(
            "the example guest produced no core module at `{}`",
            core.display()
        )
    })?;
    let component = tether_guest_build::componentize(&bytes)
        .context("failed to make a component of the example guest")?;
    Ok((component, core))
}

/// Where the guest is built: `guests/` in the cargo target folder this binary lives in (the
/// folder the tests build their guests in too, so one build serves both), or a folder in
/// the system's temporary folder when the binary lives elsewhere.
fn target_dir() -> PathBuf {
    let exe = env::current_exe().ok().and_then(|e| e.canonicalize().ok());
    // `<target>/<profile>/tether`, or `<target>/<profile>/deps/tether-<hash>`.
    let target = exe.as_deref().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .take(3)
            .find(|d| d.join("CACHEDIR.TAG").is_file())
            .map(Path::to_path_buf)
    });
    match target {
        Some(t) => t.join("guests"),
        None => env::temp_dir().join("tether-demo-guest"),
    }
}

/// Installs `target`'s standard library with `rustup` if the toolchain lacks it.
fn ensure_target(target: &str) -> Result<()> {
    if target_installed(target)? {
        return Ok(());
    }
    eprintln!("tether: installing the Rust target `{target}` with `rustup target add {target}`");
    let status = Command::new("rustup")
        .args(["target", "add", target])
        .stdout(Stdio::null())
        .status()
        .with_context(|| {
            format!("the Rust target `{target}` is not installed, and `rustup` could not be run to install it")
        })?;
    if !status.success() || !target_installed(target)? {
        bail!("installing the Rust target `{target}` failed: run `rustup target add {target}`");
    }
    Ok(())
}

fn target_installed(target: &str) -> Result<bool> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("`rustc` could not be run: `tether demo` builds its guest from source and needs a Rust toolchain")?;
    if !output.status.success() {
        bail!(
            "`rustc --print sysroot` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    Ok(sysroot
        .join("lib/rustlib")
        .join(target)
        .join("lib")
        .is_dir())
}
