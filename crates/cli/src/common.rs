//! What `tether run` and `tether serve` share: the flags that say what a guest may reach
//! (directories, environment, network, HTTP origins) and how far it may go (memory, time),
//! and the store data that holds the host interfaces.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::imports::Need;
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use tether::{Component, Engine, Limits, Store};
use tether_host::{HttpClient, HttpPolicy, HttpView};
use tether_wasi::{DirPerms, WasiCtx, WasiCtxBuilder, WasiView};
use tether_wasi_http::{WasiHttpCtx, WasiHttpView};

/// What a guest may reach.
#[derive(Args, Clone, Default)]
pub struct GrantArgs {
    /// Lets the guest reach this origin (`scheme://host[:port]`) through `tether:http` and
    /// `wasi:http/outgoing-handler`. Repeatable; no origin is allowed by default.
    #[arg(long = "allow-http", value_name = "ORIGIN")]
    pub allow_http: Vec<String>,
    /// Gives a WASI guest the host directory HOST, which it sees as GUEST (as HOST itself
    /// when `::GUEST` is left out). The guest reaches nothing outside it. Repeatable.
    #[arg(long, value_name = "HOST[::GUEST]")]
    pub dir: Vec<String>,
    /// Like `--dir`, read-only: the guest can read and list, and every change is refused.
    #[arg(long = "dir-readonly", value_name = "HOST[::GUEST]")]
    pub dir_readonly: Vec<String>,
    /// Sets an environment variable for a WASI guest: `NAME=VALUE`, or `NAME` to pass the
    /// host's value on. Repeatable; the guest sees no other variable.
    #[arg(long, value_name = "NAME[=VALUE]")]
    pub env: Vec<String>,
    /// Lets a WASI guest use the host's network: resolve names, connect and listen on TCP
    /// sockets, send and receive UDP datagrams.
    /// Without it, `wasi:sockets` denies every socket and lookup (`access-denied`).
    #[arg(long)]
    pub inherit_network: bool,
}

/// How far a guest may go.
#[derive(Args, Clone, Default)]
pub struct LimitArgs {
    /// The most bytes any one linear memory of the guest may grow to (`64MiB`, `1GiB`,
    /// `65536`); a guest growing a memory past it traps with `memory limit exceeded`, naming it.
    #[arg(long = "max-memory-size", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory_size: Option<usize>,
    /// Interrupts the guest once it has run this long (`500ms`, `30s`, `2m`): for `run`,
    /// the whole run; for `serve`, each request.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Gives the guest this much fuel (about one unit per WebAssembly instruction): for
    /// `run`, the whole run; for `serve`, each request. The guest traps when it runs out.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// The most live handles of a resource type the guest may hold at once, as
    /// `wasi:io/poll/pollable=50` (the type's interface without a version, then its name;
    /// for a type the guest defines, the interface it exports it in). Repeatable. Past it,
    /// the guest's call that would receive one more traps, naming the type and the quota.
    #[arg(long = "max-resources", value_name = "TYPE=N")]
    pub max_resources: Vec<String>,
    /// The same limits as `wasmtime` takes them: `-W max-memory-size=SIZE`,
    /// `-W timeout=DURATION`, `-W fuel=N` (several may share one `-W`, split by commas).
    #[arg(short = 'W', value_name = "OPTION")]
    pub wasm_options: Vec<String>,
    /// Engine options as `wasmtime` takes them: `-O pooling-allocator` (or `=y`, `=n`)
    /// allocates instances from pools made once, cheaper for many short-lived instances
    /// (`tether serve` uses it unless told `=n`, where the machine has room for its pools);
    /// `-O pooling-memory-keep-resident=SIZE` and `-O pooling-table-keep-resident=SIZE`
    /// keep that much of a pooled memory or table resident for its next instance, and
    /// `-O pooling-pagemap-scan[=y|n|auto]` resets only the pages an instance wrote (Linux
    /// 6.7 or later; `tether serve` sets all three where the kernel has it). Several may
    /// share one `-O`, split by commas.
    #[arg(short = 'O', value_name = "OPTION")]
    pub engine_options: Vec<String>,
}

/// What each store gets, from [`LimitArgs`].
#[derive(Clone, Default)]
pub struct StoreLimits {
    max_memory_size: Option<usize>,
    timeout: Option<Duration>,
    fuel: Option<u64>,
    quotas: std::sync::Arc<[(String, u32)]>,
}

/// How often the epoch moves on when a timeout is set.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

impl LimitArgs {
    /// The limits the flags set, `-W` options last.
    pub fn store_limits(&self) -> Result<StoreLimits> {
        let mut quotas = Vec::new();
        for q in &self.max_resources {
            let bad =
                || anyhow!("`--max-resources {q}`: expected TYPE=N, as `wasi:io/poll/pollable=50`");
            let (name, n) = q.rsplit_once('=').ok_or_else(bad)?;
            let n: u32 = n.trim().parse().map_err(|_| bad())?;
            if name.is_empty() {
                return Err(bad());
            }
            quotas.push((name.to_string(), n));
        }
        let mut limits = StoreLimits {
            max_memory_size: self.max_memory_size,
            timeout: self.timeout,
            fuel: self.fuel,
            quotas: quotas.into(),
        };
        for option in self.wasm_options.iter().flat_map(|o| o.split(',')) {
            let unknown = || {
                anyhow!(
                    "`-W {option}`: the limits are `-W max-memory-size=SIZE`, `-W timeout=DURATION` and `-W fuel=N`"
                )
            };
            let (name, value) = option.split_once('=').ok_or_else(unknown)?;
            let bad = |e: anyhow::Error| anyhow!("`-W {option}`: {e}");
            match name {
                "max-memory-size" => limits.max_memory_size = Some(parse_size(value).map_err(bad)?),
                "timeout" => limits.timeout = Some(parse_duration(value).map_err(bad)?),
                "fuel" => {
                    limits.fuel = Some(value.parse().map_err(|_| {
                        anyhow!("`-W {option}`: `{value}` is not a number of units")
                    })?)
                }
                _ => return Err(unknown()),
            }
        }
        Ok(limits)
    }

    /// The engine for these limits, and what each store gets: with fuel counting when
    /// there is fuel, and epoch interruption when there is a timeout (with a thread that
    /// moves the epoch on every [`EPOCH_TICK`]); neither otherwise, so that nothing pays
    /// for them unasked.
    pub fn engine(&self, config: &mut tether::Config) -> Result<(Engine, StoreLimits)> {
        let limits = self.store_limits()?;
        for option in self.engine_options.iter().flat_map(|o| o.split(',')) {
            engine_option(config, option)?;
        }
        config.epoch_interruption(limits.timeout.is_some());
        config.consume_fuel(limits.fuel.is_some());
        let engine = Engine::new(config)?;
        if limits.timeout.is_some() {
            let ticking = engine.clone();
            std::thread::Builder::new()
                .name("tether-epoch".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(EPOCH_TICK);
                        ticking.increment_epoch();
                    }
                })
                .context("starting the epoch thread")?;
        }
        Ok((engine, limits))
    }
}

impl StoreLimits {
    /// Applies the limits to a fresh store.
    pub fn apply<T>(&self, store: &mut Store<T>) -> Result<()> {
        if let Some(bytes) = self.max_memory_size {
            store.set_limits(Limits {
                memory_size: bytes,
                ..Limits::default()
            });
        }
        if let Some(t) = self.timeout {
            let ticks = t.as_nanos().div_ceil(EPOCH_TICK.as_nanos()).max(1);
            store.set_epoch_deadline(ticks.min(u128::from(u64::MAX)) as u64);
        }
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel)?;
        }
        for (name, max) in self.quotas.iter() {
            store.set_resource_quota(name, *max);
        }
        Ok(())
    }
}

/// How the component is compiled and loaded.
#[derive(Args, Clone, Default)]
pub struct CompileArgs {
    /// Compilation options as `wasmtime` takes them: `-C cache=n` compiles afresh and keeps
    /// nothing, `-C cache-dir=PATH` keeps compiled code in PATH. By default compiled code is
    /// kept in `$XDG_CACHE_HOME/tether` (else `~/.cache/tether`) and loaded from there while
    /// the component, the engine's settings and the core engine's version stay the same.
    #[arg(short = 'C', value_name = "OPTION")]
    pub codegen_options: Vec<String>,
    /// Loads a component precompiled by `tether compile`, whose machine code runs as it is,
    /// unchecked: pass only files you made yourself with this version of Tether.
    #[arg(long)]
    pub allow_precompiled: bool,
}

impl CompileArgs {
    /// Sets the compilation cache of `config` as the `-C` options say.
    pub fn configure(&self, config: &mut tether::Config) -> Result<()> {
        config.cache_dir(tether::Config::default_cache_dir());
        for option in &self.codegen_options {
            match option.split_once('=') {
                None if option == "cache" => {
                    config.cache_dir(tether::Config::default_cache_dir());
                }
                Some(("cache", "y")) => {
                    config.cache_dir(tether::Config::default_cache_dir());
                }
                Some(("cache", "n")) => {
                    config.cache_dir(None);
                }
                Some(("cache-dir", dir)) if !dir.is_empty() => {
                    let dir = std::path::absolute(dir)
                        .with_context(|| format!("`-C cache-dir={dir}`: not a usable path"))?;
                    config.cache_dir(Some(dir));
                }
                _ => bail!(
                    "`-C {option}`: the compilation options are `-C cache[=y|n]` and `-C cache-dir=PATH`"
                ),
            }
        }
        Ok(())
    }
}

/// Reads a component file: a binary, WAT text (converted to a binary), or a component
/// precompiled by `tether compile` (returned as it is).
pub fn read_component(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    if Component::is_serialized(&head[..n]) {
        return std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()));
    }
    crate::wit::read_binary(path)
}

/// Applies one `-O` option to `config`.
fn engine_option(config: &mut tether::Config, option: &str) -> Result<()> {
    let (name, value) = option.split_once('=').unwrap_or((option, "y"));
    let bad = |e: anyhow::Error| anyhow!("`-O {option}`: {e}");
    match (name, value) {
        ("pooling-allocator", "y") => config.pooling_allocator(true),
        ("pooling-allocator", "n") => config.pooling_allocator(false),
        ("pooling-memory-keep-resident", size) => {
            config.pooling_memory_keep_resident(parse_size(size).map_err(bad)?)
        }
        ("pooling-table-keep-resident", size) => {
            config.pooling_table_keep_resident(parse_size(size).map_err(bad)?)
        }
        ("pooling-pagemap-scan", "y") => {
            if !tether::Config::pagemap_scan_available() {
                bail!("`-O {option}`: this kernel has no `PAGEMAP_SCAN` (Linux 6.7 or later)");
            }
            config.pooling_pagemap_scan(true)
        }
        ("pooling-pagemap-scan", "auto") => config.pooling_pagemap_scan(true),
        ("pooling-pagemap-scan", "n") => config.pooling_pagemap_scan(false),
        _ => bail!(
            "`-O {option}`: the engine options are `-O pooling-allocator[=y|n]`, \
             `-O pooling-memory-keep-resident=SIZE`, `-O pooling-table-keep-resident=SIZE` \
             and `-O pooling-pagemap-scan[=y|n|auto]`"
        ),
    };
    Ok(())
}

/// Parses a size: bytes, or a number with `KiB`, `MiB`, `GiB` (or `K`, `M`, `G`).
pub fn parse_size(text: &str) -> Result<usize> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .with_context(|| format!("`{text}` is not a size (such as `64MiB`)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        _ => bail!("`{text}`: unknown unit `{unit}` (use KiB, MiB or GiB)"),
    };
    n.checked_mul(1 << shift)
        .and_then(|b| usize::try_from(b).ok())
        .with_context(|| format!("`{text}` is too large"))
}

/// Parses a duration: a number with `ms`, `s`, `m` or `h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .with_context(|| format!("`{text}` is not a duration (such as `30s`)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => bail!("`{text}`: unknown unit `{unit}` (use ms, s, m or h)"),
    };
    Duration::try_from_secs_f64(secs).with_context(|| format!("`{text}` is not a duration"))
}

/// A `--dir HOST::GUEST` mapping.
pub struct DirMapping {
    pub host: PathBuf,
    pub guest: String,
    pub perms: DirPerms,
}

fn parse_dir(text: &str, perms: DirPerms) -> Result<DirMapping> {
    let (host, guest) = text.split_once("::").unwrap_or((text, text));
    if host.is_empty() || guest.is_empty() {
        bail!("`--dir {text}`: expected `HOST::GUEST` or `DIR`");
    }
    Ok(DirMapping {
        host: PathBuf::from(host),
        guest: guest.to_string(),
        perms,
    })
}

impl GrantArgs {
    /// The HTTP policy of `--allow-http`.
    pub fn policy(&self) -> Result<HttpPolicy> {
        let mut policy = HttpPolicy::new();
        for origin in &self.allow_http {
            policy = policy
                .allow(origin)
                .with_context(|| format!("`--allow-http {origin}`"))?;
        }
        Ok(policy)
    }

    /// The `--dir` and `--dir-readonly` mappings.
    pub fn dirs(&self) -> Result<Vec<DirMapping>> {
        self.dir
            .iter()
            .map(|d| parse_dir(d, DirPerms::ReadWrite))
            .chain(
                self.dir_readonly
                    .iter()
                    .map(|d| parse_dir(d, DirPerms::ReadOnly)),
            )
            .collect()
    }

    /// A WASI context with these grants, the host's stdout and stderr (and stdin with
    /// `stdin`, else an empty one), and `args` as its arguments.
    pub fn wasi_ctx(&self, dirs: &[DirMapping], args: Vec<String>, stdin: bool) -> Result<WasiCtx> {
        let mut b = WasiCtxBuilder::new().inherit_stdio().args(args);
        if !stdin {
            b = b.stdin_bytes(Vec::new());
        }
        for e in &self.env {
            b = match e.split_once('=') {
                Some((k, v)) if !k.is_empty() => b.env(k, v),
                Some(_) => bail!("`--env {e}`: expected `NAME=VALUE` or `NAME`"),
                None => match std::env::var(e) {
                    Ok(v) => b.env(e.as_str(), v),
                    // Not set on the host: not set in the guest either.
                    Err(_) => b,
                },
            };
        }
        if self.inherit_network {
            b = b.inherit_network();
        }
        for d in dirs {
            b = b
                .preopened_dir(&d.host, d.guest.clone(), d.perms)
                .with_context(|| format!("`--dir {}::{}`", d.host.display(), d.guest))?;
        }
        Ok(b.build())
    }
}

/// The data of a store of the command: the host interfaces it provides.
pub struct Host {
    pub http: HttpClient,
    pub wasi: WasiCtx,
    pub wasi_http: WasiHttpCtx,
}

impl HttpView for Host {
    fn http(&mut self) -> &mut HttpClient {
        &mut self.http
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> &mut WasiCtx {
        &mut self.wasi
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> &mut WasiHttpCtx {
        &mut self.wasi_http
    }
}

/// A component compiled for the command, with the imports it needs defined.
pub struct Compiled {
    pub engine: Engine,
    pub component: Component,
    pub needed: Vec<(String, Need)>,
    /// What each store gets.
    pub limits: StoreLimits,
}

/// Compiles the component `bytes` (read from `path`) for an engine of `config` with `limits`
/// (whose `-O` options override `config`) and the cache `compile` asks for, and lists the
/// imports it needs defined. A precompiled component (`tether compile`'s output) is loaded
/// instead, if `--allow-precompiled` allows it.
pub fn compile(
    path: &Path,
    bytes: &[u8],
    limits: &LimitArgs,
    compile: &CompileArgs,
    mut config: tether::Config,
) -> Result<Compiled> {
    compile.configure(&mut config)?;
    let precompiled = Component::is_serialized(bytes);
    if precompiled && !compile.allow_precompiled {
        bail!(
            "`{}` is a precompiled component (from `tether compile`), whose machine code runs \
             unchecked: pass `--allow-precompiled` to load it, and only if you made it yourself",
            path.display()
        );
    }
    if !precompiled {
        crate::wit::ensure_component(path, bytes)?;
    }
    let (engine, store_limits) = limits.engine(&mut config)?;
    let component = if precompiled {
        // SAFETY: `--allow-precompiled` is the user's word that `bytes` came from `tether
        // compile` (`Component::serialize`) and were not changed since; the core engine
        // checks that they were compiled by its version with this engine's settings, and
        // the component's structure is validated again.
        #[allow(unsafe_code)]
        let c = unsafe { Component::deserialize(&engine, bytes) };
        c.with_context(|| {
            format!(
                "`{}` cannot be loaded as a precompiled component",
                path.display()
            )
        })?
    } else {
        Component::new(&engine, bytes)
            .with_context(|| format!("`{}` is not a valid component", path.display()))?
    };
    let needed = crate::imports::needed(component.binary())
        .map_err(|e| anyhow!("`{}`: {e}", path.display()))?;
    Ok(Compiled {
        engine,
        component,
        needed,
        limits: store_limits,
    })
}

/// Defines every host interface the command provides in `linker`.
pub fn add_to_linker(linker: &mut tether::Linker<Host>) -> Result<()> {
    tether_host::add_to_linker(linker)?;
    tether_wasi::add_to_linker(linker)?;
    tether_wasi_http::add_to_linker(linker)
}

/// Whether the command provides the import `name`.
pub fn provided(name: &str) -> bool {
    name == tether_host::INTERFACE
        || tether_wasi::provides(name)
        || tether_wasi_http::provides(name)
}
