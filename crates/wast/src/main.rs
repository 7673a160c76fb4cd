//! `tether-wast`: runs the component-model `.wast` conformance suites through Tether and
//! compares the failures with a list of known ones.
//!
//! ```text
//! tether-wast [--expect FILE] [--bless] [PATHS...]
//! ```
//!
//! See `README.md` for what it prints and how the expectations file works.

mod expect;
mod guard;
mod headers;
mod host;
mod outcome;
mod register;
mod run;
mod value;
mod watchdog;

use std::path::{Component as PathPart, Path, PathBuf};
use std::process::ExitCode;

use crate::expect::{Expectations, RunSummary};
use crate::outcome::{FileReport, Status, Tally, shorten};

/// The longest reason printed under a file's line.
const SHOWN_REASON: usize = 400;

const USAGE: &str = "\
usage: tether-wast [--expect FILE] [--bless] [PATHS...]

Runs .wast files (folders are searched recursively) through Tether.
  --expect FILE  the list of known failures (default: crates/wast/expected-failures.txt)
  --bless        rewrite that list from this run's failures, and exit 0
PATHS defaults to the shared conformance folder (../shared/conformance).";

struct Args {
    expect: PathBuf,
    bless: bool,
    paths: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        expect: manifest.join("expected-failures.txt"),
        bless: false,
        paths: Vec::new(),
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("--expect") => {
                args.expect = it.next().ok_or("--expect needs a file")?.into();
            }
            Some("--bless") => args.bless = true,
            Some("-h" | "--help") => return Err(String::new()),
            Some(flag) if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            _ => args.paths.push(arg.into()),
        }
    }
    if args.paths.is_empty() {
        args.paths
            .push(manifest.join("../../../shared/conformance"));
    }
    Ok(args)
}

fn main() -> ExitCode {
    // SAFETY: no other thread exists yet, so nothing can read the environment while it
    // changes. The `wast` crate reads this variable to accept the older component index
    // syntax that two of the suites use.
    unsafe { std::env::set_var("WAST_STRICT_COMPONENT_INDICES", "0") };
    guard::install_hook();
    watchdog::start();

    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            if e.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("tether-wast: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let expectations = match std::fs::read_to_string(&args.expect) {
        Ok(text) => match expect::parse(&text) {
            Ok(exp) => exp,
            Err(e) => {
                eprintln!("tether-wast: {}: {e}", args.expect.display());
                return ExitCode::from(2);
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "tether-wast: note: {} does not exist; no failures are expected",
                args.expect.display()
            );
            Expectations::default()
        }
        Err(e) => {
            eprintln!("tether-wast: cannot read {}: {e}", args.expect.display());
            return ExitCode::from(2);
        }
    };

    let mut files = Vec::new();
    for path in &args.paths {
        if let Err(e) = collect(path, &mut files) {
            eprintln!("tether-wast: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }

    let mut reports = Vec::with_capacity(files.len());
    let mut total = Tally::default();
    for file in &files {
        let report = run::run_file(file, key_of(file));
        let tally = Tally::of(&report.outcomes);
        print_report(&report, tally, &expectations);
        total.add(tally);
        reports.push(report);
    }

    let run = RunSummary::new(&reports);
    let code = if args.bless {
        let text = expect::bless(&expectations, &run);
        match std::fs::write(&args.expect, text) {
            Ok(()) => {
                println!(
                    "wrote {} ({} failures listed)",
                    args.expect.display(),
                    run.failures.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tether-wast: cannot write {}: {e}", args.expect.display());
                ExitCode::from(2)
            }
        }
    } else {
        let verdict = expect::check(&expectations, &run);
        print!("{}", verdict.render());
        if verdict.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    };
    println!("wast: {total}");
    code
}

fn print_report(report: &FileReport, tally: Tally, expectations: &Expectations) {
    println!("{}: {tally}", report.key);
    for o in &report.outcomes {
        let key = (report.key.clone(), o.line);
        let addr = expect::show(&key);
        match &o.status {
            Status::Pass => {}
            Status::Fail(reason) => {
                let label = if expectations.entries.contains_key(&key) {
                    "failed (known)"
                } else {
                    "FAILED"
                };
                println!(
                    "    {label} {addr} {}: {}",
                    o.kind,
                    shorten(reason, SHOWN_REASON)
                );
            }
            Status::Skip(reason) => {
                println!(
                    "    skipped {addr} {}: {}",
                    o.kind,
                    shorten(reason, SHOWN_REASON)
                );
            }
        }
    }
}

/// Adds `path` to `files`: a file as it is, a folder's `.wast` files recursively, sorted.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        std::fs::metadata(path)?;
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, files)?;
        } else if entry.extension().is_some_and(|e| e == "wast") {
            files.push(entry);
        }
    }
    Ok(())
}

/// A file's key in reports and in the expectations file: its path after the last
/// `conformance` folder, with `/` separators, or the path as given when there is none.
fn key_of(path: &Path) -> String {
    let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    relative_key(&full).unwrap_or_else(|| path.display().to_string())
}

fn relative_key(path: &Path) -> Option<String> {
    let parts: Vec<PathPart<'_>> = path.components().collect();
    let at = parts.iter().rposition(|p| p.as_os_str() == "conformance")?;
    let rest: Vec<_> = parts[at + 1..]
        .iter()
        .map(|p| p.as_os_str().to_string_lossy())
        .collect();
    (!rest.is_empty()).then(|| rest.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_relative_to_the_conformance_folder() {
        let p = Path::new("/work/shared/conformance/wasmtime-component-model/simple.wast");
        assert_eq!(
            relative_key(p).as_deref(),
            Some("wasmtime-component-model/simple.wast")
        );
        let p = Path::new("/a/conformance/b/conformance/c.wast");
        assert_eq!(relative_key(p).as_deref(), Some("c.wast"));
        assert_eq!(relative_key(Path::new("/a/b/c.wast")), None);
        assert_eq!(relative_key(Path::new("/a/conformance")), None);
        assert_eq!(
            key_of(Path::new("no/such/dir/x.wast")),
            "no/such/dir/x.wast"
        );
    }
}
