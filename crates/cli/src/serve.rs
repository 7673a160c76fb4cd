//! `tether serve`: serve a `wasi:http/proxy` component over HTTP/1.1, a fresh instance per
//! request, as `wasmtime serve` does.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use tether::{Linker, Store};
use tether_host::HttpClient;
use tether_wasi_http::serve::{ProxyPre, ServeOptions, serve};

use crate::common::{self, CompileArgs, GrantArgs, Host, LimitArgs};

#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on. (`wasmtime serve` listens on `0.0.0.0:8080`; Tether, on
    /// loopback only unless told otherwise.)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The most requests handled at once; others wait for a turn.
    #[arg(long = "max-concurrent-requests", value_name = "N")]
    max_concurrent_requests: Option<usize>,
    /// Turns off the access log (one line per request on stderr).
    #[arg(long)]
    quiet: bool,
    /// WASI options as `wasmtime serve` takes them: `-S cli` (Tether always provides the
    /// `wasi:cli` interfaces that Rust's standard library imports, so it is accepted and
    /// changes nothing) and `-S inherit-network`.
    #[arg(short = 'S', value_name = "OPTION")]
    wasi_options: Vec<String>,
    #[command(flatten)]
    grants: GrantArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    compile: CompileArgs,
    /// The component: a `wasi:http/proxy` (binary or WAT text).
    component: PathBuf,
}

impl ServeArgs {
    /// The arguments of `tether serve --addr ADDR COMPONENT`.
    pub fn defaults(component: PathBuf, addr: SocketAddr) -> ServeArgs {
        ServeArgs {
            addr,
            max_concurrent_requests: None,
            quiet: false,
            wasi_options: Vec::new(),
            grants: GrantArgs::default(),
            limits: LimitArgs::default(),
            compile: CompileArgs::default(),
            component,
        }
    }
}

/// The engine configuration `tether serve` starts from: as `wasmtime serve`, the pooling
/// allocator, where the machine's address space has room for its pools (`-O
/// pooling-allocator=n` turns it off). Unlike `wasmtime serve`'s defaults, where the kernel
/// can tell which pages an instance wrote (`PAGEMAP_SCAN`), up to [`KEEP_MEMORY`] of each
/// pooled memory and [`KEEP_TABLE`] of each table stay resident and are reset in place for
/// the next request's instance rather than faulted in again (`-O
/// pooling-memory-keep-resident=0` and the like turn that off).
fn serve_config() -> tether::Config {
    let mut config = tether::Config::new();
    config.pooling_allocator(tether::Config::pooling_allocator_fits());
    if tether::Config::pagemap_scan_available() {
        config
            .pooling_pagemap_scan(true)
            .pooling_memory_keep_resident(KEEP_MEMORY)
            .pooling_table_keep_resident(KEEP_TABLE);
    }
    config
}

/// How much of a pooled memory `tether serve` keeps resident by default: enough for the
/// pages a JavaScript or Python request handler writes per request.
const KEEP_MEMORY: usize = 4 << 20;
/// How much of a pooled table `tether serve` keeps resident by default.
const KEEP_TABLE: usize = 1 << 20;

/// Serves until SIGINT or SIGTERM, then lets the requests under way finish.
pub fn run(mut args: ServeArgs) -> Result<i32> {
    for option in &args.wasi_options {
        match option.as_str() {
            "cli" | "cli=y" | "http" | "http=y" => {}
            "inherit-network" | "inherit-network=y" => args.grants.inherit_network = true,
            other => bail!("`-S {other}`: `tether serve` knows `-S cli` and `-S inherit-network`"),
        }
    }
    let path = &args.component;
    let bytes = common::read_component(path)?;
    let common::Compiled {
        engine,
        component,
        needed,
        limits,
    } = common::compile(path, &bytes, &args.limits, &args.compile, serve_config())?;
    for (name, _) in &needed {
        if !common::provided(name) {
            bail!(
                "`{}` imports `{name}`, which `tether serve` cannot provide (it provides WASI 0.2 \
                 and `wasi:http`)",
                path.display()
            );
        }
    }
    let mut linker = Linker::<Host>::new(&engine);
    common::add_to_linker(&mut linker)?;
    let pre = linker
        .instantiate_pre(&component)
        .with_context(|| format!("linking `{}` failed", path.display()))?;
    let proxy = ProxyPre::new(pre, &component)
        .with_context(|| format!("`{}` cannot be served", path.display()))?;

    let policy = args.grants.policy()?;
    let dirs = args.grants.dirs()?;
    // Check the grants once, before the first request needs them.
    args.grants.wasi_ctx(&dirs, Vec::new(), false)?;
    let grants = args.grants.clone();
    let name = path.display().to_string();
    // One `tether:http` client for all requests: its agent is costly to make.
    let client = HttpClient::new(policy.clone());
    let make_store = Box::new(move |wasi_http| {
        let wasi = grants.wasi_ctx(&dirs, vec![name.clone()], false)?;
        let mut store = Store::new(
            &engine,
            Host {
                http: client.clone(),
                wasi,
                wasi_http,
            },
        );
        limits.apply(&mut store)?;
        Ok(store)
    });
    let options = ServeOptions {
        max_concurrent_requests: args.max_concurrent_requests,
        access_log: !args.quiet,
        policy,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tether-serve")
        .build()
        .context("starting the server's runtime")?;
    let addr = args.addr;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        eprintln!("Serving HTTP on http://{local}/");
        serve(listener, proxy, make_store, options, shutdown_signal()).await
    })?;
    eprintln!("tether serve: stopped");
    Ok(0)
}

/// Completes at the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    eprintln!("tether serve: shutting down; finishing the requests under way");
}
