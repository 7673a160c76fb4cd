//! [`Component`] and core [`Module`]: compiled code, ready to instantiate.

use std::sync::Arc;

use anyhow::{Result, bail};
use wasmparser::component_types::ComponentEntityType;

use crate::engine::Engine;
use crate::plan::translate::ComponentDef;

/// A compiled component.
///
/// Compiling validates the whole binary and compiles every core module inside it; cloning is
/// cheap.
#[derive(Clone)]
pub struct Component {
    def: Arc<ComponentDef>,
    /// The binary, kept so that the component can be serialized.
    binary: Arc<[u8]>,
}

/// The first bytes of a serialized component.
const SERIALIZED_MAGIC: &[u8; 8] = b"TETHERC1";

impl Component {
    /// Compiles a component from its binary or text (WAT) form.
    ///
    /// A malformed or invalid component is an error that gives the byte offset and what is
    /// wrong. That includes a value type larger than the component model allows
    /// (2^28 - 1 bytes, [`tether_abi::MAX_VALUE_SIZE`]), such as
    /// `list<list<u64, 32768>, 32768>`: a value that can never fit in a 32-bit memory cannot
    /// be passed, so it is refused here rather than at run time. Compiling costs time
    /// proportional to the size of the types' descriptions, never to a fixed-length list's
    /// length.
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
        let def = crate::plan::translate::translate(engine, bytes)?;
        check_root_restrictions(&def)?;
        Ok(Component {
            def: Arc::new(def),
            binary: bytes.into(),
        })
    }

    /// Serializes the compiled component, so that [`Component::deserialize`] can load it
    /// later without compiling its core modules again (a compilation cache).
    ///
    /// ```
    /// let engine = tether::Engine::default();
    /// let component = tether::Component::new(&engine, "(component (core module))")?;
    /// let bytes = component.serialize()?;
    /// // SAFETY: the bytes were just produced by `serialize` with the same engine.
    /// let again = unsafe { tether::Component::deserialize(&engine, &bytes)? };
    /// # let _ = again;
    /// # anyhow::Ok(())
    /// ```
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let mut modules = Vec::new();
        collect_modules(&self.def, &mut modules);
        let mut out = Vec::new();
        out.extend_from_slice(SERIALIZED_MAGIC);
        out.extend_from_slice(&(modules.len() as u64).to_le_bytes());
        for m in modules {
            let bytes = m.serialize().map_err(anyhow::Error::from)?;
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(&bytes);
        }
        out.extend_from_slice(&(self.binary.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.binary);
        Ok(out)
    }

    /// Loads a component that [`Component::serialize`] produced.
    ///
    /// The component's structure is validated again; its core modules' compiled code is
    /// loaded as it is.
    ///
    /// # Safety
    ///
    /// `bytes` must have been produced by [`Component::serialize`] with an engine of the same
    /// configuration and Tether version, and not modified since: the compiled machine code
    /// inside is trusted and run as it is. Malformed framing is detected and reported as an
    /// error, and the core engine checks its own headers, but arbitrary bytes cannot be made
    /// safe to run.
    pub unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Component> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(SERIALIZED_MAGIC.len())? != SERIALIZED_MAGIC {
            bail!("not a serialized Tether component (bad magic number)");
        }
        let count = r.u64()?;
        let mut modules = std::collections::VecDeque::new();
        for _ in 0..count {
            let len = r.u64()?;
            let module_bytes = r.take(usize::try_from(len)?)?;
            // SAFETY: the caller promises the bytes came from `serialize` with this engine's
            // configuration; the core engine also checks its own header and version.
            let module = unsafe { wasmtime::Module::deserialize(engine.core(), module_bytes) }
                .map_err(anyhow::Error::from)?;
            modules.push_back(module);
        }
        let len = r.u64()?;
        let binary = r.take(usize::try_from(len)?)?;
        if r.pos != bytes.len() {
            bail!(
                "serialized component has {} trailing bytes",
                bytes.len() - r.pos
            );
        }
        let def = crate::plan::translate::translate_with(engine, binary, &mut |_, offset| {
            modules.pop_front().ok_or_else(|| {
                anyhow::anyhow!("serialized component lacks the core module at offset {offset:#x}")
            })
        })?;
        if !modules.is_empty() {
            bail!(
                "serialized component has {} core modules too many",
                modules.len()
            );
        }
        check_root_restrictions(&def)?;
        Ok(Component {
            def: Arc::new(def),
            binary: binary.into(),
        })
    }

    /// Whether `bytes` look like the output of [`Component::serialize`] (by their first
    /// bytes only: [`Component::deserialize`] checks the rest).
    ///
    /// ```
    /// let engine = tether::Engine::default();
    /// let component = tether::Component::new(&engine, "(component)")?;
    /// assert!(tether::Component::is_serialized(&component.serialize()?));
    /// assert!(!tether::Component::is_serialized(component.binary()));
    /// # anyhow::Ok(())
    /// ```
    pub fn is_serialized(bytes: &[u8]) -> bool {
        bytes.starts_with(SERIALIZED_MAGIC)
    }

    /// The component's binary, as it was compiled (text was converted to binary first).
    pub fn binary(&self) -> &[u8] {
        &self.binary
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

/// Every core module of a component, in binary order (the order translation compiles them).
fn collect_modules(def: &ComponentDef, out: &mut Vec<wasmtime::Module>) {
    use crate::plan::translate::Item;
    for item in &def.items {
        match item {
            Item::CoreModule(i) => out.push(def.modules[*i].clone()),
            Item::Component(i) => collect_modules(&def.components[*i], out),
            _ => {}
        }
    }
}

/// Reads the framing of a serialized component.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            bail!("serialized component is truncated")
        };
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("took 8 bytes")))
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
            bail!(
                "exporting a component from the root component is not supported (export `{name}`)"
            );
        }
    }
    if let Some(name) = def.reexported_imports.first() {
        bail!(
            "component export `{name}` is a reexport of an imported function which is not implemented"
        );
    }
    Ok(())
}

/// A compiled core WebAssembly module, for defining on a [`Linker`](crate::Linker).
#[derive(Clone)]
pub struct Module {
    pub(crate) core: wasmtime::Module,
}

impl Module {
    /// Compiles a core module from its binary or text form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let core =
            wasmtime::Module::new(engine.core(), bytes.as_ref()).map_err(anyhow::Error::from)?;
        Ok(Module { core })
    }
}
