//! `tether`: run WebAssembly components with Tether, print their worlds as WIT, check WIT,
//! and show the article's HTTP example working (`tether demo`).
//!
//! Every failure is one line on stderr (`error: ...`) and a non-zero exit; WIT diagnostics
//! keep the parser's file, line and snippet.

// One `unsafe` block is allowed, with its reason: loading a component that `tether compile`
// precompiled, under `--allow-precompiled` (`common::compile`).
#![deny(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod common;
mod compile;
mod demo;
mod demo_stream;
mod guest;
mod preview1;
mod run;
mod serve;
mod wave;

// What `tether wit`, `tether check` and `--trap-unknown-imports` run lives in the library,
// where the fuzz targets call it too.
use tether_cli::{Diagnostic, imports, wit};

/// Runs WebAssembly components with Tether.
#[derive(Parser)]
#[command(name = "tether", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a component: calls the function `--invoke` names, or its `run` export.
    Run(run::RunArgs),
    /// Serves a `wasi:http/proxy` component over HTTP/1.1: a fresh instance answers each
    /// request.
    Serve(serve::ServeArgs),
    /// Compiles a component ahead of time, to a file that `run` and `serve` load with
    /// `--allow-precompiled` without compiling again.
    Compile(compile::CompileCmd),
    /// Prints a component's world as WIT.
    Wit {
        /// The component (binary or WAT text).
        component: PathBuf,
    },
    /// Checks a WIT file or folder (a package, with its `deps/`), printing the parser's
    /// diagnostics.
    Check {
        /// A `.wit` file or a folder of them.
        path: PathBuf,
    },
    /// Serves a page on loopback and runs the bundled example guest on it, showing that a
    /// response's body is read and copied into the guest only when the guest asks for it.
    /// With `--serve`, builds the Rust `wasi:http` proxy of `guests/http-rust` and serves it
    /// instead.
    Demo {
        /// Serves the proxy on `--addr` until interrupted (try `curl ADDR/` and
        /// `curl ADDR/download/100`).
        #[arg(long)]
        serve: bool,
        /// The address `--serve` listens on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
}

fn main() -> ExitCode {
    // Nothing the user gives should panic; if something does, one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{at}: {msg}");
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Compile(args) => compile::run(args).map(|()| 0),
        Command::Wit { component } => wit::print_wit(&component).map(|()| 0),
        Command::Check { path } => wit::check(&path).map(|line| {
            println!("{line}");
            0
        }),
        Command::Demo { serve: false, .. } => demo::run().map(|()| 0),
        Command::Demo { serve: true, addr } => guest::proxy_component()
            .and_then(|proxy| serve::run(serve::ServeArgs::defaults(proxy, addr))),
    };
    match result {
        // Exit statuses are bytes; a WASI guest's `exit-with-code` gives one.
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error as one line: its causes joined with `: `, each cut to its first line (a trap's
/// wasm backtrace is left out), repeated causes once. A [`Diagnostic`] is printed whole.
fn message(e: &anyhow::Error) -> String {
    if let Some(d) = e.downcast_ref::<Diagnostic>() {
        return d.0.clone();
    }
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let line = text.lines().next().unwrap_or("").trim();
        let line = line
            .strip_suffix(": error while executing at wasm backtrace:")
            .unwrap_or(line)
            .trim();
        if line.is_empty() || line.starts_with("error while executing at wasm backtrace") {
            continue;
        }
        if !parts.iter().any(|p| p.contains(line)) {
            parts.push(line.to_string());
        }
    }
    parts.join(": ")
}
