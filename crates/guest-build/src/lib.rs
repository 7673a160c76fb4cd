//! Building guest programs from source inside build scripts, and nothing else.
//!
//! A build script that needs a guest checks that the guest's Rust target is installed
//! ([`check_target_installed`]), runs cargo on the guest's own workspace
//! ([`build_guests`], into [`guest_target_dir`]), and wraps the core module it gets into a
//! component ([`componentize`]). `crates/test-programs/build.rs` and `compare/bench/build.rs`
//! both do so.

#![forbid(unsafe_code)]

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Fails when rustc has no standard library for `target`.
///
/// The error names the target and the sysroot looked in, then `reason` (who needs the target,
/// e.g. "test guests are compiled for it") and `advice` (how to install it), in that order.
pub fn check_target_installed(target: &str, reason: &str, advice: &str) -> Result<()> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .with_context(|| {
            format!(
                "failed to run `{} --print sysroot`",
                rustc.to_string_lossy()
            )
        })?;
    if !output.status.success() {
        bail!(
            "`{} --print sysroot` failed: {}",
            rustc.to_string_lossy(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let sysroot = PathBuf::from(String::from_utf8(output.stdout)?.trim());
    if !sysroot
        .join("lib/rustlib")
        .join(target)
        .join("lib")
        .is_dir()
    {
        bail!(
            "the Rust target `{target}` is not installed (no standard library for it in `{}`); \
             {reason}: {advice}",
            sysroot.display()
        );
    }
    Ok(())
}

/// The cargo target folder to build guests in, given the build script's `OUT_DIR`.
///
/// `OUT_DIR` normally is `<target>/<profile>/build/<package>-<hash>/out`; the guests then go
/// to `<target>/guests`, beside the outer build's `debug/` and `release/`. Every profile of
/// the outer build shares that one guest build, and the inner cargo never waits for the outer
/// one's lock on its own folder. With any other layout the guests go to `OUT_DIR/guests`.
pub fn guest_target_dir(out_dir: &Path) -> PathBuf {
    let build = out_dir.parent().and_then(Path::parent);
    match build.and_then(|b| Some((b, b.parent()?.parent()?))) {
        Some((build, target)) if build.file_name().is_some_and(|n| n == "build") => {
            target.join("guests")
        }
        _ => out_dir.join("guests"),
    }
}

/// Builds every package of the guest cargo workspace at `workspace` for `target`, in release
/// mode, into `target_dir`: `cargo build --release --locked --workspace -j1 --target <target>`
/// (one job: a build script's cargo runs beside the outer build's own jobs).
///
/// The settings the outer cargo hands build scripts for the host (flags, profile, target,
/// wrappers, jobserver) are taken out of the inner cargo's environment. Its stdout is
/// discarded (the outer cargo would read it as instructions) and its stderr shown. On failure
/// the error says "building `what` in `<workspace>` failed", `what` naming the guests (e.g.
/// "the guests").
pub fn build_guests(workspace: &Path, target_dir: &Path, target: &str, what: &str) -> Result<()> {
    build_workspace(workspace, target_dir, target, what, Some(1))
}

/// [`build_guests`] with cargo's own number of jobs unless `jobs` is given: for a program
/// (not a build script) that builds a guest at run time, such as `tether demo`.
pub fn build_workspace(
    workspace: &Path,
    target_dir: &Path,
    target: &str,
    what: &str,
    jobs: Option<u32>,
) -> Result<()> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--locked", "--workspace"])
        .args(jobs.map(|j| format!("-j{j}")))
        .args(["--target", target])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if leaks_host_settings(key) {
            cmd.env_remove(key);
        }
    }
    cmd.env("CARGO_TARGET_DIR", target_dir);
    let status = cmd
        .status()
        .with_context(|| format!("failed to run `{}`", cargo.to_string_lossy()))?;
    if !status.success() {
        bail!(
            "building {what} in `{}` failed ({status}); cargo's output is above",
            workspace.display()
        );
    }
    Ok(())
}

/// Whether the environment variable `key`, as a build script or a program run by cargo sees
/// it, would carry the outer build's settings into a guest build (remove it from the inner
/// cargo's environment). Every `CARGO_*` variable does but cargo's home, registry, network,
/// terminal and job-count settings; of the others, the compiler flags, wrappers and make's
/// jobserver flags do.
pub fn leaks_host_settings(key: &str) -> bool {
    const KEEP: &[&str] = &[
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
        "CARGO_BUILD_JOBS",
    ];
    const DROP: &[&str] = &[
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "MAKEFLAGS",
        "MFLAGS",
        "__CARGO_FIX_PLZ",
    ];
    if key.starts_with("CARGO_") {
        return !KEEP.iter().any(|k| key.starts_with(k));
    }
    DROP.contains(&key)
}

/// Makes a component of a core module that carries its WIT world in a custom section (as a
/// module built with `wit-bindgen` does), with `wit-component`, and validates it.
pub fn componentize(module: &[u8]) -> Result<Vec<u8>> {
    wit_component::ComponentEncoder::default()
        .module(module)?
        .validate(true)
        .encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_settings_are_dropped_and_cargo_access_kept() {
        for key in [
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_PROFILE_RELEASE_LTO",
            "CARGO_MAKEFLAGS",
            "RUSTFLAGS",
            "RUSTC_WRAPPER",
            "MAKEFLAGS",
        ] {
            assert!(leaks_host_settings(key), "{key}");
        }
        for key in [
            "CARGO_HOME",
            "CARGO_NET_OFFLINE",
            "CARGO_HTTP_TIMEOUT",
            "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
            "CARGO_TERM_COLOR",
            "CARGO_BUILD_JOBS",
            "PATH",
            "HOME",
            "RUSTUP_TOOLCHAIN",
        ] {
            assert!(!leaks_host_settings(key), "{key}");
        }
    }

    #[test]
    fn guests_are_built_beside_the_profiles() {
        let out = Path::new("/t/target/debug/build/pkg-0123/out");
        assert_eq!(guest_target_dir(out), Path::new("/t/target/guests"));
        let out = Path::new("/t/elsewhere/out");
        assert_eq!(guest_target_dir(out), out.join("guests"));
    }
}
