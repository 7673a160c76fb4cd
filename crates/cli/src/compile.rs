//! `tether compile`: compile a component ahead of time into a file that `tether run` and
//! `tether serve` load, under `--allow-precompiled`, without compiling it again.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::common::{self, CompileArgs, LimitArgs};

#[derive(Args)]
pub struct CompileCmd {
    /// Where to write the precompiled component (default: the component's path with the
    /// extension `.cwasm`).
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// The engine settings the runs that load the file will use: code compiled with
    /// `--timeout` (epoch checks) or `-O` options loads only into an engine with the same.
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    compile: CompileArgs,
    /// The component (binary or WAT text).
    component: PathBuf,
}

/// Compiles the component and writes it out.
pub fn run(args: CompileCmd) -> Result<()> {
    let path = &args.component;
    let bytes = crate::wit::read_binary(path)?;
    let compiled = common::compile(
        path,
        &bytes,
        &args.limits,
        &args.compile,
        tether::Config::new(),
    )?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| path.with_extension("cwasm"));
    let serialized = compiled
        .component
        .serialize()
        .with_context(|| format!("serializing `{}`", path.display()))?;
    std::fs::write(&out, serialized).with_context(|| format!("cannot write `{}`", out.display()))
}
