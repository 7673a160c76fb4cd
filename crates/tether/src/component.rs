//! [`Component`] and core [`Module`]: compiled code, ready to instantiate.

use std::sync::Arc;

use anyhow::{Result, bail};
use wasmparser::component_types::ComponentEntityType;

use crate::engine::Engine;
use crate::translate::ComponentDef;

/// A compiled component.
///
/// Compiling validates the whole binary and compiles every core module inside it; cloning is
/// cheap.
#[derive(Clone)]
pub struct Component {
    def: Arc<ComponentDef>,
}

impl Component {
    /// Compiles a component from its binary or text (WAT) form.
    ///
    /// A malformed or invalid component is an error that gives the byte offset and what is
    /// wrong.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Component> {
        let bytes = bytes.as_ref();
        let binary = if bytes.starts_with(b"\0asm") {
            std::borrow::Cow::Borrowed(bytes)
        } else {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("input is neither a wasm binary nor UTF-8 text"))?;
            std::borrow::Cow::Owned(wat::parse_str(text)?)
        };
        Component::from_binary(engine, &binary)
    }

    /// Compiles a component from its binary form.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Component> {
        let def = crate::translate::translate(engine, bytes)?;
        check_root_restrictions(&def)?;
        Ok(Component { def: Arc::new(def) })
    }

    pub(crate) fn def(&self) -> &Arc<ComponentDef> {
        &self.def
    }

    /// The names of the component's imports, in order.
    pub fn import_names(&self) -> impl Iterator<Item = &str> {
        self.def.imports.iter().map(|(n, _)| n.as_str())
    }

    /// The names of the component's exports, in order.
    pub fn export_names(&self) -> impl Iterator<Item = &str> {
        self.def.exports.iter().map(|(n, _)| n.as_str())
    }
}

/// What the root of a component may not do, because the host has no way to provide or use it.
fn check_root_restrictions(def: &ComponentDef) -> Result<()> {
    for (name, ty) in &def.imports {
        if let ComponentEntityType::Component(_) = ty {
            bail!("root-level component imports are not supported (import `{name}`)");
        }
    }
    for (name, ty) in &def.exports {
        if let ComponentEntityType::Component(_) = ty {
            bail!("exporting a component from the root component is not supported (export `{name}`)");
        }
    }
    for item in &def.items {
        if let crate::translate::Item::Export { name, kind: wasmparser::ComponentExternalKind::Func, index, .. } = item {
            if reexports_import(def, *index) {
                bail!("component export `{name}` is a reexport of an imported function which is not implemented");
            }
        }
    }
    Ok(())
}

/// Whether function `index` of the root component is one of its imports, passed through.
fn reexports_import(def: &ComponentDef, index: u32) -> bool {
    use crate::translate::Item;
    use wasmparser::ComponentExternalKind as K;
    let mut funcs: Vec<bool> = Vec::new();
    for item in &def.items {
        match item {
            Item::Import { kind: K::Func, .. } => funcs.push(true),
            Item::AliasExport { kind: K::Func, .. } | Item::Lift { .. } => funcs.push(false),
            Item::Export { kind: K::Func, index: i, .. } => {
                let v = funcs.get(*i as usize).copied().unwrap_or(false);
                funcs.push(v);
            }
            _ => {}
        }
    }
    funcs.get(index as usize).copied().unwrap_or(false)
}

/// A compiled core WebAssembly module, for defining on a [`Linker`](crate::Linker).
#[derive(Clone)]
pub struct Module {
    pub(crate) core: wasmtime::Module,
}

impl Module {
    /// Compiles a core module from its binary or text form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let core = wasmtime::Module::new(engine.core(), bytes.as_ref()).map_err(anyhow::Error::from)?;
        Ok(Module { core })
    }
}
