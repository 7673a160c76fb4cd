//! `tether run`: instantiate a component with the host interfaces the command provides
//! (WASI 0.2, with files only below `--dir` preopens; `tether:http/http`, under the
//! `--allow-http` allowlist) and run it: a WASI command's `wasi:cli/run` export, or the
//! function `--invoke` names.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use tether::{Component, Engine, Func, Linker, Store, Type, Val};
use tether_host::{HttpClient, HttpPolicy, HttpView};
use tether_wasi::{DirPerms, WasiCtx, WasiCtxBuilder, WasiView};

use crate::imports::Need;
use crate::wave;
use crate::wit::{ensure_component, read_binary};

#[derive(Args)]
pub struct RunArgs {
    /// The function to call and its arguments, in WAVE: `name(arg, ...)`, such as
    /// `add(1, 2)` or `greet("world")`; `iface#name(...)` for a function of an exported
    /// instance. Without it, a WASI command's `wasi:cli/run` is run, or else the
    /// component's `run` export is called.
    #[arg(long, value_name = "CALL")]
    invoke: Option<String>,
    /// Lets the guest reach this origin (`scheme://host[:port]`) through `tether:http`.
    /// Repeatable; no origin is allowed by default.
    #[arg(long = "allow-http", value_name = "ORIGIN")]
    allow_http: Vec<String>,
    /// Gives a WASI guest the host directory HOST, which it sees as GUEST (as HOST itself
    /// when `::GUEST` is left out). The guest reaches nothing outside it. Repeatable.
    #[arg(long, value_name = "HOST[::GUEST]")]
    dir: Vec<String>,
    /// Like `--dir`, read-only: the guest can read and list, and every change is refused.
    #[arg(long = "dir-readonly", value_name = "HOST[::GUEST]")]
    dir_readonly: Vec<String>,
    /// Sets an environment variable for a WASI guest: `NAME=VALUE`, or `NAME` to pass the
    /// host's value on. Repeatable; the guest sees no other variable.
    #[arg(long, value_name = "NAME[=VALUE]")]
    env: Vec<String>,
    /// Lets a WASI guest use the host's network: resolve names, connect and listen on TCP
    /// sockets, send and receive UDP datagrams.
    /// Without it, `wasi:sockets` denies every socket and lookup (`access-denied`).
    #[arg(long)]
    inherit_network: bool,
    /// Prints, on stderr, the bytes copied into and out of the guest, the host objects alive
    /// at exit, and the time taken.
    #[arg(long)]
    stats: bool,
    /// Fills the imports `tether run` cannot provide with functions that trap when called,
    /// so that exports that do not use them can be invoked.
    #[arg(long)]
    trap_unknown_imports: bool,
    /// The component (binary or WAT text).
    component: PathBuf,
    /// Arguments for a WASI program, after its name (the component's file name, as
    /// `argv[0]`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// A `--dir HOST::GUEST` mapping.
struct DirMapping {
    host: PathBuf,
    guest: String,
    perms: DirPerms,
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

/// The data of the command's store: the HTTP client and the WASI context.
struct Host {
    http: HttpClient,
    wasi: WasiCtx,
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

/// Whether the command provides the import `name`.
fn provided(name: &str) -> bool {
    if name == tether_host::INTERFACE {
        return true;
    }
    tether_wasi::provides(name)
}

/// The WASI context for the command line's arguments, environment and directories.
fn wasi_ctx(args: &RunArgs, dirs: &[DirMapping]) -> Result<WasiCtx> {
    let name = args.component.file_name().map_or_else(
        || args.component.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut b = WasiCtxBuilder::new()
        .inherit_stdio()
        .arg(name)
        .args(args.args.iter().cloned());
    for e in &args.env {
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
    if args.inherit_network {
        b = b.inherit_network();
    }
    for d in dirs {
        b = b
            .preopened_dir(&d.host, d.guest.clone(), d.perms)
            .with_context(|| format!("`--dir {}::{}`", d.host.display(), d.guest))?;
    }
    Ok(b.build())
}

/// Runs the component; returns the exit status for the process: a WASI command's own, or 0.
pub fn run(args: RunArgs) -> Result<i32> {
    let start = Instant::now();
    let path = &args.component;
    let mut policy = HttpPolicy::new();
    for origin in &args.allow_http {
        policy = policy
            .allow(origin)
            .with_context(|| format!("`--allow-http {origin}`"))?;
    }
    let dirs = args
        .dir
        .iter()
        .map(|d| parse_dir(d, DirPerms::ReadWrite))
        .chain(
            args.dir_readonly
                .iter()
                .map(|d| parse_dir(d, DirPerms::ReadOnly)),
        )
        .collect::<Result<Vec<_>>>()?;
    let call = args.invoke.as_deref().map(wave::parse_call).transpose()?;

    let mut bytes = read_binary(path)?;
    if crate::preview1::is_core_module(&bytes) {
        bytes = crate::preview1::adapt(path, &bytes)?;
    }
    ensure_component(path, &bytes)?;
    let engine = Engine::default();
    let component = Component::new(&engine, &bytes)
        .with_context(|| format!("`{}` is not a valid component", path.display()))?;
    let needed =
        crate::imports::needed(&bytes).map_err(|e| anyhow!("`{}`: {e}", path.display()))?;
    if !args.trap_unknown_imports {
        check_imports(path, &needed)?;
    }
    let compiled = start.elapsed();

    let mut linker = Linker::<Host>::new(&engine);
    tether_host::add_to_linker(&mut linker)?;
    tether_wasi::add_to_linker(&mut linker)?;
    if args.trap_unknown_imports {
        crate::imports::define_stubs(&mut linker, &needed, provided)?;
    }
    let wasi = wasi_ctx(&args, &dirs)?;
    let mut store = Store::new(
        &engine,
        Host {
            http: HttpClient::new(policy),
            wasi,
        },
    );
    let t = Instant::now();
    let instance = linker
        .instantiate(&mut store, &component)
        .with_context(|| format!("instantiating `{}` failed", path.display()))?;
    let instantiated = t.elapsed();

    let (name, call) = match call {
        Some(call) => (call.name.clone(), Some(call)),
        None if tether_wasi::run_export(&instance).is_some() => {
            let t = Instant::now();
            let code = tether_wasi::run_command(&mut store, &instance)
                .with_context(|| format!("running `{}` failed", path.display()))?;
            if args.stats {
                print_stats(
                    &store,
                    &instance,
                    compiled,
                    instantiated,
                    t.elapsed(),
                    start,
                );
            }
            return Ok(code);
        }
        None => ("run".to_string(), None),
    };
    let func = find_func(&instance, &mut store, &name).ok_or_else(|| {
        let exports: Vec<String> = instance.export_names();
        let hint = if call.is_none() {
            "; name a function with `--invoke 'name(args)'`"
        } else {
            ""
        };
        anyhow!(
            "`{}` exports no function `{name}` (its exports: {}){hint}",
            path.display(),
            if exports.is_empty() {
                "none".to_string()
            } else {
                exports
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )
    })?;
    let params = func.params(&store);
    if params.iter().any(Type::has_resource) {
        bail!("`{name}` takes a resource handle, which cannot be given on the command line");
    }
    let vals = match &call {
        Some(call) => call.args(&params)?,
        None if params.is_empty() => Vec::new(),
        None => bail!(
            "`run` takes {} argument(s): give them with `--invoke 'run(...)'`",
            params.len()
        ),
    };
    let mut results = vec![Val::Bool(false); func.results(&store).len()];
    let t = Instant::now();
    func.call(&mut store, &vals, &mut results)
        .with_context(|| format!("calling `{name}` failed"))?;
    let called = t.elapsed();
    for r in &results {
        println!("{}", wave::display(r));
    }

    if args.stats {
        print_stats(&store, &instance, compiled, instantiated, called, start);
    }
    Ok(0)
}

fn print_stats(
    store: &Store<Host>,
    instance: &tether::Instance,
    compiled: Duration,
    instantiated: Duration,
    called: Duration,
    start: Instant,
) {
    let copied = instance.bytes_copied(store);
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    eprintln!("stats: bytes copied into the guest: {}", copied.into_guest);
    eprintln!(
        "stats: bytes copied out of the guest: {}",
        copied.out_of_guest
    );
    eprintln!(
        "stats: host objects alive at exit: {}",
        store.host_objects()
    );
    eprintln!(
        "stats: HTTP requests: {}, body bytes read: {}",
        store.data().http.requests(),
        store.data().http.body_bytes_read()
    );
    eprintln!(
        "stats: time: load and compile {}, instantiate {}, call {}, total {}",
        ms(compiled),
        ms(instantiated),
        ms(called),
        ms(start.elapsed())
    );
}

/// Fails, naming the import, unless the command can provide every import of the component
/// that needs a definition.
fn check_imports(path: &Path, needed: &[(String, Need)]) -> Result<()> {
    for (name, _) in needed {
        if provided(name) {
            continue;
        }
        bail!(
            "`{}` imports `{name}`, which `tether run` cannot provide (it provides WASI 0.2 \
             without `wasi:http`, and `{}`; `--trap-unknown-imports` fills the others with \
             functions that trap)",
            path.display(),
            tether_host::INTERFACE
        );
    }
    Ok(())
}

/// The function `name` at the root, or `instance#name` in an exported instance.
fn find_func(instance: &tether::Instance, store: &mut Store<Host>, name: &str) -> Option<Func> {
    match name.rsplit_once('#') {
        Some((iface, func)) => instance.get_func_at(&mut *store, &[iface, func]),
        None => instance.get_func(&mut *store, name),
    }
}
