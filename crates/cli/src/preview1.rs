//! WASI preview 1 modules: `tether run` takes a core module that imports nothing but
//! `wasi_snapshot_preview1` and exports `_start` (what `wasm32-wasip1` toolchains build), and
//! makes it a WASI 0.2 command component with the preview1 command adapter first, as
//! `wasm-tools component new --adapt` would.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
};
use wasmparser::{Parser, Payload};

/// Whether `bytes` is a core WebAssembly module (version 1), not a component.
pub fn is_core_module(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\0asm") && bytes.get(4..8) == Some(&[1, 0, 0, 0])
}

/// The command component of the WASI preview 1 module at `path`.
///
/// Fails, saying why, for a module that imports anything else or exports no `_start`.
pub fn adapt(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut start = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.with_context(|| format!("`{}` is not a valid module", path.display()))? {
            Payload::ImportSection(section) => {
                for import in section.into_imports() {
                    let import = import
                        .with_context(|| format!("`{}` is not a valid module", path.display()))?;
                    if import.module != WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME {
                        bail!(
                            "`{}` is a core WebAssembly module importing `{}::{}`: a core \
                             module runs only if it imports nothing but WASI preview 1 \
                             (`wasi_snapshot_preview1`); make a component of it with \
                             `wasm-tools component new`",
                            path.display(),
                            import.module,
                            import.name
                        );
                    }
                }
            }
            Payload::ExportSection(section) => {
                for export in section {
                    let export = export
                        .with_context(|| format!("`{}` is not a valid module", path.display()))?;
                    start |= export.name == "_start";
                }
            }
            _ => {}
        }
    }
    if !start {
        bail!(
            "`{}` is a core WebAssembly module with no `_start` export: not a WASI command \
             (make a component of it with `wasm-tools component new`)",
            path.display()
        );
    }
    wit_component::ComponentEncoder::default()
        .module(bytes)
        .and_then(|encoder| {
            encoder.adapter(
                WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
        })
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot make a component of the WASI preview 1 module `{}` with the preview1 \
                 adapter: {}",
                path.display(),
                crate::wit::one_line(&format!("{e:#}"))
            )
        })
}
