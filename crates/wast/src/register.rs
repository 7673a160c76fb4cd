//! Registering an instance: defining its exports on the linker under a name, so that later
//! components can import them.
//!
//! wasmtime's runner registers every named top-level component (`(component $foo ...)` can
//! then be imported as `"foo"`), every named `(component instance $i ...)`, and every
//! `(register "name")`.
//! A later registration under the same name replaces the earlier one (wasmtime's runner
//! allows shadowing).

use anyhow::Result;
use tether::{Instance, Linker};

use crate::host::HostState;

/// Defines the exports of `instance` as the linker instance `name`.
pub fn define(linker: &mut Linker<HostState>, name: &str, instance: &Instance) -> Result<()> {
    linker.instance_exports(name, instance)
}
