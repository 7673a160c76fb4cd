//! `tether-bench`: the same guest component on Tether and on wasmtime's component model,
//! interleaved in one process, next to the floor of a core-wasm host call.
//!
//! ```text
//! tether-bench [--quick] [--json] [--samples N] [--scale X] [--only a,b,...]
//!              [--side tether|wasmtime] [--iters N] [--tether-host bindgen|manual]
//!              [--tether-quota N]
//! ```
//!
//! Each scenario runs a batch of iterations per sample, alternately on each side (and on the
//! core floor where it applies), and reports the median nanoseconds per iteration of each
//! side and their ratio (Tether / wasmtime). Each side's batch is sized after a warm-up so
//! that a sample takes about 60 ms (15 ms with `--quick`, which also takes 5 samples instead
//! of 11); `--scale` multiplies that time. The guest's checksum is checked after every
//! batch. `--json` prints one JSON object per scenario and line instead of the table.
//! `--side tether` (or `wasmtime`) measures one runtime alone, for a profiler, and `--iters N`
//! fixes every batch (warm-ups included) at N iterations, for instruction counts.
//! Tether's host is written through `tether::bindgen!`; `--tether-host manual` uses the one
//! written by hand with `resource_host`, `method` and `func_wrap` instead. `--tether-quota N`
//! sets a quota of N live responses on Tether's store, which then counts handles per type.

mod asyncs;
mod floor;
mod pages;
mod tether_bindgen_host;
mod tether_host;
mod wasmtime_host;

use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

mod guest {
    include!(concat!(env!("OUT_DIR"), "/guest.rs"));
}

/// The guest on Tether, with one of the two hosts.
pub trait TetherSide {
    /// `run(scenario, iters)` once; checks that no response outlives the call.
    fn run(&mut self, scenario: &str, iters: u32) -> Result<u64>;
    /// Host → guest: `run("empty", 0)`, `iters` times.
    fn export_call(&mut self, iters: u32) -> Result<()>;
    /// A new store and an instance of the pre-linked component, `iters` times.
    fn instantiate(&mut self, iters: u32) -> Result<()>;
    /// Compiles the component `iters` times.
    fn compile(&mut self, bytes: &[u8], iters: u32) -> Result<()>;
    /// Bytes copied into the guest's memory so far.
    fn bytes_into_guest(&self) -> u64;
    /// Sets a quota of `max` live responses on the store (`Store::set_resource_quota`), so
    /// that the cost of counting handles can be measured.
    fn set_response_quota(&mut self, max: u32);
}

/// The full name of the guest's response type, as quotas name it.
pub const RESPONSE: &str = "tether:bench/host/response";

/// What one scenario measures.
#[derive(Clone, Copy)]
enum Kind {
    /// The guest's `run(scenario, iters)`: guest → host calls, looped inside the guest.
    Guest(&'static str),
    /// Host → guest: `run("empty", 0)` per iteration.
    ExportCall,
    /// A new store and an instance of the pre-linked component per iteration.
    Instantiate,
    /// Compiling the component per iteration.
    Compile,
    /// The core floor alone.
    Floor,
    /// The async ABI's component (`asyncs`): its export `name(iters)`, once per batch.
    Async(&'static str),
}

struct Scenario {
    name: &'static str,
    kind: Kind,
    /// Iterations of the warm-up, times 100; each side's batch per sample is then sized to
    /// take about the target time (15 ms with `--quick`, 60 ms otherwise, times `--scale`).
    iters: u32,
    /// Whether the core floor is measured beside it (one host call per iteration).
    floor: bool,
    /// The body size, for the copy counter.
    body: Option<usize>,
}

const fn s(
    name: &'static str,
    kind: Kind,
    iters: u32,
    floor: bool,
    body: Option<usize>,
) -> Scenario {
    Scenario {
        name,
        kind,
        iters,
        floor,
        body,
    }
}

const SCENARIOS: &[Scenario] = &[
    s("noop", Kind::Guest("noop"), 400_000, true, None),
    s("add", Kind::Guest("add"), 400_000, true, None),
    s("status", Kind::Guest("status"), 200_000, true, None),
    s("body-len", Kind::Guest("body-len"), 200_000, true, None),
    s(
        "fetch-status",
        Kind::Guest("fetch-status"),
        100_000,
        false,
        None,
    ),
    s(
        "fetch-body-64k",
        Kind::Guest("fetch-body-64k"),
        2_000,
        false,
        Some(pages::SIZE_64K),
    ),
    s(
        "fetch-body-1m",
        Kind::Guest("fetch-body-1m"),
        100,
        false,
        Some(pages::SIZE_1M),
    ),
    s(
        "fetch-copy-64k",
        Kind::Guest("fetch-copy-64k"),
        2_000,
        false,
        Some(pages::SIZE_64K),
    ),
    s(
        "fetch-copy-1m",
        Kind::Guest("fetch-copy-1m"),
        100,
        false,
        Some(pages::SIZE_1M),
    ),
    s(
        "construct-drop",
        Kind::Guest("construct-drop"),
        100_000,
        false,
        None,
    ),
    s(
        "not-found-drop",
        Kind::Guest("not-found-drop"),
        100_000,
        false,
        None,
    ),
    s("export-call", Kind::ExportCall, 100_000, false, None),
    s("async-call", Kind::Async("calls"), 200_000, false, None),
    s("stream-1m", Kind::Async("pump"), 1_000, false, None),
    s("instantiate", Kind::Instantiate, 1_000, false, None),
    s("compile", Kind::Compile, 4, false, None),
    s("core-floor", Kind::Floor, 2_000_000, false, None),
];

struct Options {
    quick: bool,
    json: bool,
    samples: usize,
    scale: f64,
    only: Option<Vec<String>>,
    /// Measure one side only (`tether`, `wasmtime`), for profiling.
    side: Option<String>,
    /// A fixed batch size (iterations per sample, warm-ups included), for instruction counts.
    iters: Option<u32>,
    /// Tether's host: written through `bindgen!` (the default) or by hand (`manual`).
    manual: bool,
    /// A quota on live responses in Tether's store.
    quota: Option<u32>,
}

fn options() -> Result<Options> {
    let mut o = Options {
        quick: false,
        json: false,
        samples: 0,
        scale: 1.0,
        only: None,
        side: None,
        iters: None,
        manual: false,
        quota: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--json" => o.json = true,
            "--samples" => o.samples = args.next().context("--samples needs a number")?.parse()?,
            "--scale" => o.scale = args.next().context("--scale needs a number")?.parse()?,
            "--only" => {
                let list = args
                    .next()
                    .context("--only needs a comma-separated list of scenarios")?;
                o.only = Some(list.split(',').map(str::to_string).collect());
            }
            "--tether-host" => match args.next().as_deref() {
                Some("bindgen") => o.manual = false,
                Some("manual") => o.manual = true,
                _ => bail!("--tether-host needs `bindgen` or `manual`"),
            },
            "--iters" => o.iters = Some(args.next().context("--iters needs a number")?.parse()?),
            "--tether-quota" => {
                o.quota = Some(
                    args.next()
                        .context("--tether-quota needs a number")?
                        .parse()?,
                )
            }
            "--side" => {
                let side = args.next().context("--side needs `tether` or `wasmtime`")?;
                ensure!(
                    side == "tether" || side == "wasmtime",
                    "--side must be `tether` or `wasmtime`"
                );
                o.side = Some(side);
            }
            "-h" | "--help" => {
                println!(
                    "usage: tether-bench [--quick] [--json] [--samples N] [--scale X] [--only a,b,...] [--side tether|wasmtime] [--iters N] [--tether-host bindgen|manual] [--tether-quota N]\n\
                     scenarios: {}",
                    SCENARIOS
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}` (try --help)"),
        }
    }
    if o.samples == 0 {
        o.samples = if o.quick { 5 } else { 11 };
    }
    ensure!(o.samples >= 1, "--samples must be at least 1");
    if let Some(only) = &o.only {
        for name in only {
            ensure!(
                SCENARIOS.iter().any(|s| s.name == name),
                "unknown scenario `{name}`"
            );
        }
    }
    Ok(o)
}

/// The medians of one scenario.
struct Row {
    name: &'static str,
    /// Iterations per sample on each side.
    tether_iters: Option<u32>,
    wasmtime_iters: Option<u32>,
    samples: usize,
    tether_ns: Option<f64>,
    wasmtime_ns: Option<f64>,
    floor_ns: Option<f64>,
    /// Bytes Tether copied into the guest's memory per iteration, and the body size.
    copied: Option<(f64, usize)>,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        Some(self.tether_ns? / self.wasmtime_ns?)
    }

    fn x_floor(&self) -> Option<f64> {
        Some(self.tether_ns? / self.floor_ns?)
    }

    /// How many times the body was copied into the guest per iteration, by Tether's counter.
    fn copies(&self) -> Option<f64> {
        let (bytes, size) = self.copied?;
        Some(bytes / size as f64)
    }

    /// The goal of issue 5 for this scenario, and whether this run meets it.
    fn goal(&self) -> Option<(&'static str, bool)> {
        // Without both sides (`--side`), there is nothing to judge.
        self.tether_ns?;
        self.wasmtime_ns?;
        let ratio = self.ratio();
        let x_floor = self.x_floor();
        let le = |v: Option<f64>, max: f64| v.is_some_and(|v| v <= max);
        Some(match self.name {
            "noop" | "add" => ("<= 3x floor", le(x_floor, 3.0)),
            "status" => (
                "<= 4x floor, ratio <= 0.25",
                le(x_floor, 4.0) && le(ratio, 0.25),
            ),
            "construct-drop" | "fetch-status" => ("ratio <= 0.25", le(ratio, 0.25)),
            "fetch-body-1m" => (
                "ratio <= 1, one copy",
                le(ratio, 1.0) && self.copies().is_some_and(|c| (1.0..1.01).contains(&c)),
            ),
            "instantiate" | "compile" => ("ratio <= 1", le(ratio, 1.0)),
            _ => return None,
        })
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Nanoseconds per iteration of one batch.
fn timed(iters: u32, f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed().as_nanos() as f64 / iters as f64)
}

struct Sides {
    tether: Box<dyn TetherSide>,
    wasmtime: wasmtime_host::Side,
    floor: floor::Floor,
    async_tether: asyncs::TetherSide,
    async_wasmtime: asyncs::WasmtimeSide,
}

/// Which side a sample is taken on.
#[derive(Clone, Copy, PartialEq)]
enum Who {
    Tether,
    Wasmtime,
    Floor,
}

impl Sides {
    /// One batch of `iters` iterations of `kind` on `who`, in ns per iteration.
    fn sample(&mut self, who: Who, kind: Kind, iters: u32) -> Result<f64> {
        let bytes = guest::GUEST;
        match (who, kind) {
            (Who::Floor, _) | (_, Kind::Floor) => timed(iters, || self.floor.run(iters)),
            (Who::Tether, Kind::Guest(sc)) => {
                let mut sum = 0;
                let ns = timed(iters, || {
                    sum = self.tether.run(sc, iters)?;
                    Ok(())
                })?;
                check(sc, iters, sum, "Tether")?;
                Ok(ns)
            }
            (Who::Wasmtime, Kind::Guest(sc)) => {
                let mut sum = 0;
                let ns = timed(iters, || {
                    sum = self.wasmtime.run(sc, iters)?;
                    Ok(())
                })?;
                check(sc, iters, sum, "wasmtime")?;
                Ok(ns)
            }
            (Who::Tether, Kind::ExportCall) => timed(iters, || self.tether.export_call(iters)),
            (Who::Wasmtime, Kind::ExportCall) => timed(iters, || self.wasmtime.export_call(iters)),
            (Who::Tether, Kind::Instantiate) => timed(iters, || self.tether.instantiate(iters)),
            (Who::Wasmtime, Kind::Instantiate) => timed(iters, || self.wasmtime.instantiate(iters)),
            (Who::Tether, Kind::Async(name)) => timed(iters, || self.async_tether.run(name, iters)),
            (Who::Wasmtime, Kind::Async(name)) => {
                timed(iters, || self.async_wasmtime.run(name, iters))
            }
            (Who::Tether, Kind::Compile) => timed(iters, || self.tether.compile(bytes, iters)),
            (Who::Wasmtime, Kind::Compile) => timed(iters, || self.wasmtime.compile(bytes, iters)),
        }
    }
}

fn check(scenario: &str, iters: u32, sum: u64, who: &str) -> Result<()> {
    let expected = pages::expected(scenario, iters);
    ensure!(
        sum == expected,
        "{who}: `run({scenario:?}, {iters})` returned checksum {sum}, expected {expected}"
    );
    Ok(())
}

/// The time one sample should take, in nanoseconds.
fn target_ns(o: &Options) -> f64 {
    (if o.quick { 15e6 } else { 60e6 }) * o.scale
}

fn measure(sides: &mut Sides, sc: &Scenario, o: &Options) -> Result<Row> {
    let who: Vec<Who> = match (sc.kind, sc.floor) {
        (Kind::Floor, _) => vec![Who::Floor],
        (_, true) => vec![Who::Tether, Who::Wasmtime, Who::Floor],
        (_, false) => vec![Who::Tether, Who::Wasmtime],
    };
    // `--side`: one runtime alone (no floor either), for a profiler.
    let who: Vec<Who> = match o.side.as_deref() {
        Some("tether") => who.into_iter().filter(|&w| w == Who::Tether).collect(),
        Some("wasmtime") => who.into_iter().filter(|&w| w == Who::Wasmtime).collect(),
        _ => who,
    };
    // Warm-up (caches, allocators, lazily made state), which also estimates each side's
    // cost per iteration, from which each side's batch size is chosen so that one sample
    // takes about the target time.
    let mut iters = Vec::new();
    for &w in &who {
        let warm = o.iters.unwrap_or((sc.iters / 100).max(1));
        sides.sample(w, sc.kind, warm)?;
        let ns = sides.sample(w, sc.kind, warm)?.max(0.1);
        iters.push(
            o.iters
                .unwrap_or((target_ns(o) / ns).clamp(1.0, 100e6) as u32),
        );
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); who.len()];
    for round in 0..o.samples {
        // Rotate which side goes first, so neither always runs on a warmer or colder machine.
        for k in 0..who.len() {
            let i = (round + k) % who.len();
            times[i].push(sides.sample(who[i], sc.kind, iters[i])?);
        }
    }
    let pick = |w: Who| {
        who.iter()
            .position(|&x| x == w)
            .and_then(|i| median(times[i].clone()))
    };
    let iters_of = |w: Who| who.iter().position(|&x| x == w).map(|i| iters[i]);
    let copied = match sc.body {
        Some(size) => {
            let Kind::Guest(name) = sc.kind else {
                unreachable!()
            };
            let n = iters_of(Who::Tether).unwrap_or(1);
            let before = sides.tether.bytes_into_guest();
            sides.tether.run(name, n)?;
            let bytes = (sides.tether.bytes_into_guest() - before) as f64 / n as f64;
            Some((bytes, size))
        }
        None => None,
    };
    Ok(Row {
        name: sc.name,
        tether_iters: iters_of(Who::Tether),
        wasmtime_iters: iters_of(Who::Wasmtime),
        samples: o.samples,
        tether_ns: pick(Who::Tether),
        wasmtime_ns: pick(Who::Wasmtime),
        floor_ns: pick(Who::Floor),
        copied,
    })
}

fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "null".to_string(),
    }
}

fn json(row: &Row, host: &str) -> String {
    let mut out = format!(
        "{{\"scenario\":\"{}\",\"tether_ns\":{},\"wasmtime_ns\":{},\"ratio\":{},\"floor_ns\":{},\"tether_x_floor\":{},\"tether_iters\":{},\"wasmtime_iters\":{},\"samples\":{},\"tether_host\":\"{host}\"",
        row.name,
        num(row.tether_ns, 2),
        num(row.wasmtime_ns, 2),
        num(row.ratio(), 4),
        num(row.floor_ns, 2),
        num(row.x_floor(), 3),
        row.tether_iters
            .map_or("null".to_string(), |n| n.to_string()),
        row.wasmtime_iters
            .map_or("null".to_string(), |n| n.to_string()),
        row.samples,
    );
    if let Some((bytes, size)) = row.copied {
        out += &format!(
            ",\"tether_bytes_into_guest_per_iter\":{bytes:.1},\"body_bytes\":{size},\"tether_body_copies_into_guest\":{}",
            num(row.copies(), 4)
        );
    }
    if let Some((goal, met)) = row.goal() {
        out += &format!(",\"goal\":\"{goal}\",\"goal_met\":{met}");
    }
    out + "}"
}

fn cell(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) => format!("{v:.digits$}"),
        None => "-".to_string(),
    }
}

fn print_header() {
    println!(
        "{:<16} {:>12} {:>12} {:>7} {:>9} {:>7}  issue-5 goal",
        "scenario", "tether ns", "wasmtime ns", "ratio", "floor ns", "xfloor"
    );
}

fn print_row(row: &Row) {
    let goal = match row.goal() {
        Some((goal, met)) => format!("{goal}: {}", if met { "met" } else { "not met" }),
        None => String::new(),
    };
    let copies = match row.copies() {
        Some(c) => format!("  (body copied into guest {c:.3}x)"),
        None => String::new(),
    };
    println!(
        "{:<16} {:>12} {:>12} {:>7} {:>9} {:>7}  {goal}{copies}",
        row.name,
        cell(row.tether_ns, 1),
        cell(row.wasmtime_ns, 1),
        cell(row.ratio(), 3),
        cell(row.floor_ns, 1),
        cell(row.x_floor(), 2),
    );
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    format!("{cpus} CPUs, {model}")
}

fn main() -> Result<()> {
    let o = options()?;
    let pages = pages::Pages::new();
    let engine = wasmtime::Engine::default();
    let mut sides = Sides {
        tether: if o.manual {
            Box::new(
                tether_host::Side::new(guest::GUEST, pages.clone())
                    .context("the guest on Tether (manual host)")?,
            )
        } else {
            Box::new(
                tether_bindgen_host::Side::new(guest::GUEST, pages.clone())
                    .context("the guest on Tether")?,
            )
        },
        wasmtime: wasmtime_host::Side::new(&engine, guest::GUEST, pages)
            .context("the guest on wasmtime")?,
        floor: floor::Floor::new(&engine).context("the core floor")?,
        async_tether: asyncs::TetherSide::new().context("the async component on Tether")?,
        async_wasmtime: asyncs::WasmtimeSide::new().context("the async component on wasmtime")?,
    };
    if let Some(max) = o.quota {
        sides.tether.set_response_quota(max);
    }
    if !o.json {
        println!(
            "tether-bench: {} samples per side, medians in ns per iteration; ratio = Tether ({} host) / wasmtime 48.0.8; {}",
            o.samples,
            if o.manual { "hand-written" } else { "bindgen!" },
            machine()
        );
        print_header();
    }
    let start = Instant::now();
    for sc in SCENARIOS {
        if o.only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|n| n == sc.name))
        {
            continue;
        }
        let row = measure(&mut sides, sc, &o).with_context(|| format!("scenario `{}`", sc.name))?;
        if o.json {
            println!(
                "{}",
                json(&row, if o.manual { "manual" } else { "bindgen" })
            );
        } else {
            print_row(&row);
        }
    }
    if !o.json {
        println!("finished in {:.1} s", start.elapsed().as_secs_f64());
    }
    Ok(())
}
