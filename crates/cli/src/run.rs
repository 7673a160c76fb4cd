//! `tether run`: instantiate a component with the host interfaces the command provides
//! (WASI 0.2, with files only below `--dir` preopens; `tether:http/http`, under the
//! `--allow-http` allowlist) and run it: a WASI command's `wasi:cli/run` export, or the
//! function `--invoke` names.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use tether::{Func, Linker, Store, Type, Val};
use tether_host::HttpClient;
use tether_wasi::WasiCtx;
use tether_wasi_http::WasiHttpCtx;

use crate::common::{self, CompileArgs, DirMapping, GrantArgs, Host, LimitArgs};

use crate::imports::Need;
use crate::wave;

#[derive(Args)]
pub struct RunArgs {
    /// The function to call and its arguments, in WAVE: `name(arg, ...)`, such as
    /// `add(1, 2)` or `greet("world")`; `iface#name(...)` for a function of an exported
    /// instance. Without it, a WASI command's `wasi:cli/run` is run, or else the
    /// component's `run` export is called.
    #[arg(long, value_name = "CALL")]
    invoke: Option<String>,
    #[command(flatten)]
    grants: GrantArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    compile: CompileArgs,
    /// Prints, on stderr, the bytes copied into and out of the guest, the host objects and
    /// the live handles per resource type at exit, and the time taken.
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

/// The WASI context for the command line's arguments, environment and directories.
fn wasi_ctx(args: &RunArgs, dirs: &[DirMapping]) -> Result<WasiCtx> {
    let name = args.component.file_name().map_or_else(
        || args.component.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let argv = std::iter::once(name)
        .chain(args.args.iter().cloned())
        .collect();
    args.grants.wasi_ctx(dirs, argv, true)
}

/// Runs the component; returns the exit status for the process: a WASI command's own, or 0.
pub fn run(args: RunArgs) -> Result<i32> {
    let start = Instant::now();
    let path = &args.component;
    let policy = args.grants.policy()?;
    let dirs = args.grants.dirs()?;
    let call = args.invoke.as_deref().map(wave::parse_call).transpose()?;

    let mut bytes = common::read_component(path)?;
    if crate::preview1::is_core_module(&bytes) {
        bytes = crate::preview1::adapt(path, &bytes)?;
    }
    let common::Compiled {
        engine,
        component,
        needed,
        limits,
    } = common::compile(
        path,
        &bytes,
        &args.limits,
        &args.compile,
        tether::Config::new(),
    )?;
    if !args.trap_unknown_imports {
        check_imports(path, &needed)?;
    }
    let compiled = start.elapsed();

    let mut linker = Linker::<Host>::new(&engine);
    common::add_to_linker(&mut linker)?;
    if args.trap_unknown_imports {
        crate::imports::define_stubs(&mut linker, &needed, common::provided)?;
    }
    let wasi = wasi_ctx(&args, &dirs)?;
    let mut store = Store::new(
        &engine,
        Host {
            http: HttpClient::new(policy.clone()),
            wasi,
            wasi_http: WasiHttpCtx::new(policy),
        },
    );
    limits.apply(&mut store)?;
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

/// The leak report: the own handles the guest still held at exit, per resource type, less
/// what WASI hands every command (stdio streams, terminals, preopened directories).
fn print_leaks(store: &Store<Host>) {
    let mut leaked: Vec<(String, usize)> = Vec::new();
    for d in store.handle_details() {
        if !d.own || d.object.is_some_and(|o| store.data().wasi.is_ambient(o)) {
            continue;
        }
        let name = match (&d.resource, d.guest_defined) {
            (Some(name), _) => name.to_string(),
            (None, true) => "(an unnamed resource type of the guest)".to_string(),
            (None, false) => "(an unnamed host resource type)".to_string(),
        };
        match leaked.iter_mut().find(|(n, _)| *n == name) {
            Some((_, n)) => *n += 1,
            None => leaked.push((name, 1)),
        }
    }
    eprintln!(
        "stats: leaked at exit (less stdio and preopens): {}",
        leaked.iter().map(|(_, n)| n).sum::<usize>()
    );
    for (name, n) in leaked {
        eprintln!("stats:   {name}: {n}");
    }
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
    let live = store.live_handles();
    eprintln!(
        "stats: live handles at exit: {}",
        live.iter().map(|l| l.own + l.borrowed).sum::<usize>()
    );
    for l in &live {
        let name = match (&l.resource, l.guest_defined) {
            (Some(name), _) => name.to_string(),
            (None, true) => "(an unnamed resource type of the guest)".to_string(),
            (None, false) => "(an unnamed host resource type)".to_string(),
        };
        match l.revoked {
            0 => eprintln!("stats:   {name}: {}", l.own + l.borrowed),
            r => eprintln!("stats:   {name}: {} ({r} revoked)", l.own + l.borrowed),
        }
    }
    print_leaks(store);
    eprintln!(
        "stats: HTTP requests: {}, body bytes read: {}",
        store.data().http.requests() + store.data().wasi_http.requests(),
        store.data().http.body_bytes_read() + store.data().wasi_http.body_bytes_read()
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
        if common::provided(name) {
            continue;
        }
        bail!(
            "`{}` imports `{name}`, which `tether run` cannot provide (it provides WASI 0.2, \
             the client side of `wasi:http`, and `{}`; `--trap-unknown-imports` fills the \
             others with functions that trap)",
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
