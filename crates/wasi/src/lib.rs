//! A WASI 0.2 host for Tether, so that programs built for `wasm32-wasip2` (and C, Python or
//! JavaScript programs componentized for WASI) run unchanged.
//!
//! The interfaces are implemented through `tether::bindgen!` over the WIT vendored in
//! `wit/deps/wasi-0.2.12/`: WASI's resources (streams, pollables, descriptors) are plain Rust
//! objects ([`InputStream`], [`OutputStream`], [`Pollable`], [`Descriptor`]) that the runtime
//! keeps in the store, and the host code below never looks a handle up.
//!
//! What a guest can reach is what the embedder gave it in its [`WasiCtx`]:
//!
//! - files only below the directories it preopened ([`WasiCtxBuilder::preopened_dir`]): paths
//!   are resolved by `cap-std`, so `..`, absolute paths and symbolic links never lead outside;
//!   a directory preopened read-only refuses every change;
//! - the arguments and environment variables it was given, and no others;
//! - stdin, stdout and stderr as the embedder connected them (inherited, in memory, or none);
//! - no network: `wasi:sockets` is present, so that components that import it instantiate,
//!   but creating a socket or resolving a name returns `access-denied`.
//!
//! Guests importing any WASI 0.2.x link: the linker matches semver-compatible versions.
//!
//! ```no_run
//! use tether::{Component, Engine, Linker, Store};
//! use tether_wasi::{WasiCtx, WasiCtxBuilder};
//!
//! let engine = Engine::default();
//! let component = Component::new(&engine, std::fs::read("hello.wasm")?)?;
//! let mut linker = Linker::<WasiCtx>::new(&engine);
//! tether_wasi::add_to_linker(&mut linker)?;
//! let ctx = WasiCtxBuilder::new()
//!     .inherit_stdio()
//!     .args(["hello.wasm", "world"])
//!     .preopened_dir("/tmp/data", "/data", tether_wasi::DirPerms::ReadWrite)?
//!     .build();
//! let mut store = Store::new(&engine, ctx);
//! let instance = linker.instantiate(&mut store, &component)?;
//! let code = tether_wasi::run_command(&mut store, &instance)?;
//! std::process::exit(code);
//! # anyhow::Ok(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod cli;
mod clocks;
mod ctx;
mod filesystem;
pub mod host_io;
mod io;
mod random;
mod sockets;
mod stdio;

use anyhow::{Context, Result, bail};
use tether::{AsContextMut, Instance, Linker, TypedFunc};

pub use ctx::{DirPerms, WasiCtx, WasiCtxBuilder, WasiView};
pub use filesystem::{Descriptor, DirectoryEntryStream};
pub use io::{InputStream, IoError, OutputStream, Pollable};
pub use sockets::{
    IncomingDatagramStream, Network, OutgoingDatagramStream, ResolveAddressStream, TcpSocket,
    UdpSocket,
};
pub use stdio::{MemoryOutputPipe, TerminalInput, TerminalOutput};

/// The bindings `bindgen!` generates for the WASI interfaces this crate provides.
#[allow(missing_docs)]
pub mod bindings {
    ::tether::bindgen!({
        path: "wit",
        deps: ["../../wit/deps/wasi-0.2.12"],
        world: "command",
        with: {
            "wasi:io/error/error": crate::IoError,
            "wasi:io/poll/pollable": crate::Pollable,
            "wasi:io/streams/input-stream": crate::InputStream,
            "wasi:io/streams/output-stream": crate::OutputStream,
            "wasi:filesystem/types/descriptor": crate::Descriptor,
            "wasi:filesystem/types/directory-entry-stream": crate::DirectoryEntryStream,
            "wasi:sockets/network/network": crate::Network,
            "wasi:sockets/ip-name-lookup/resolve-address-stream": crate::ResolveAddressStream,
            "wasi:sockets/tcp/tcp-socket": crate::TcpSocket,
            "wasi:sockets/udp/udp-socket": crate::UdpSocket,
            "wasi:sockets/udp/incoming-datagram-stream": crate::IncomingDatagramStream,
            "wasi:sockets/udp/outgoing-datagram-stream": crate::OutgoingDatagramStream,
            "wasi:cli/terminal-input/terminal-input": crate::TerminalInput,
            "wasi:cli/terminal-output/terminal-output": crate::TerminalOutput,
        },
    });
}

/// The WASI interfaces [`add_to_linker`] defines, without their version: the imports of the
/// world in `wit/command.wit` (a test holds the two together).
pub const INTERFACES: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/ip-name-lookup",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

/// Whether [`add_to_linker`] satisfies an import named `name`: one of [`INTERFACES`] at any
/// 0.2.x version, which the linker matches semver-compatibly.
///
/// ```
/// assert!(tether_wasi::provides("wasi:cli/stdout@0.2.0"));
/// assert!(!tether_wasi::provides("wasi:http/types@0.2.0"));
/// assert!(!tether_wasi::provides("wasi:cli/stdout@0.3.0"));
/// ```
pub fn provides(name: &str) -> bool {
    match name.split_once('@') {
        Some((base, version)) => INTERFACES.contains(&base) && version.starts_with("0.2."),
        None => false,
    }
}

/// Defines every WASI 0.2 interface this crate provides in `linker`, for a store whose data
/// has a [`WasiCtx`].
pub fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> Result<()> {
    bindings::Command::add_to_linker(linker)
}

/// The exit status a guest asked for with `wasi:cli/exit`: the error a call into the guest
/// fails with when the guest called `exit` (status 0 or 1) or `exit-with-code` (status `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl std::fmt::Display for I32Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the guest exited with status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

/// The name of a `wasi:cli/run` export of `instance` (any 0.2.x version), if it has one.
pub fn run_export(instance: &Instance) -> Option<String> {
    instance
        .export_names()
        .into_iter()
        .find(|n| n == "wasi:cli/run" || n.starts_with("wasi:cli/run@0.2."))
}

/// Calls the `run` function of `instance`'s `wasi:cli/run` export and returns the exit
/// status: 0 when it returned `ok`, 1 when it returned `err`, and the guest's own status when
/// it called `wasi:cli/exit`. A trap is an error.
pub fn run_command(mut store: impl AsContextMut, instance: &Instance) -> Result<i32> {
    let Some(iface) = run_export(instance) else {
        bail!("the component exports no `wasi:cli/run` interface: it is not a command");
    };
    let func = instance
        .get_func_at(&mut store, &[&iface, "run"])
        .with_context(|| format!("`{iface}` has no function `run`"))?;
    let run: TypedFunc<(), (Result<(), ()>,)> =
        TypedFunc::new(func).with_context(|| format!("`{iface}#run` is not `func() -> result`"))?;
    match run.call(&mut store, ()) {
        Ok((Ok(()),)) => Ok(0),
        Ok((Err(()),)) => Ok(1),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn interfaces_are_the_worlds_imports() {
        let wit = include_str!("../wit/command.wit");
        let imports: Vec<&str> = wit
            .lines()
            .filter_map(|l| l.trim().strip_prefix("import "))
            .map(|l| l.trim_end_matches(';').split('@').next().unwrap_or(l))
            .collect();
        assert_eq!(imports, super::INTERFACES);
    }
}
