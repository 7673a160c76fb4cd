//! What a component's imports need from the host, read with `wasmparser` (so that it works on
//! any component, WIT-shaped or not): the functions, resource types and instances that must
//! be defined; plain types and resource types equal to ones already imported need nothing.

use anyhow::{Result, anyhow, bail};
use std::collections::HashSet;

use tether::{Linker, LinkerInstance};
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType, ResourceId};
use wasmparser::types::Types;
use wasmparser::{Encoding, Parser, Payload, ValidPayload, Validator, WasmFeatures};

/// What an import needs defined.
pub enum Need {
    /// A function.
    Func,
    /// A resource type.
    Resource,
    /// An instance, with what its exports need.
    Instance(Vec<(String, Need)>),
    /// A module, a component or a value, which the command never defines.
    Other(&'static str),
}

/// The component's root imports that need a definition, in order.
///
/// The component's structure is validated to learn its types; its functions' bodies are
/// not (compiling the component validates those).
pub fn needed(bytes: &[u8]) -> Result<Vec<(String, Need)>> {
    let invalid = |e: wasmparser::BinaryReaderError| anyhow!("invalid component: {e}");
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut types = None;
    let mut names = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(invalid)?;
        match &payload {
            Payload::Version { encoding, .. } => {
                depth += 1;
                if depth == 1 && *encoding != Encoding::Component {
                    return Err(anyhow!("not a component"));
                }
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(s) if depth == 1 => {
                for import in s.clone() {
                    names.push(import.map_err(invalid)?.name.name.to_string());
                }
            }
            _ => {}
        }
        if let ValidPayload::End(t) = validator.payload(&payload).map_err(invalid)?
            && depth == 0
        {
            types = Some(t);
        }
    }
    let types = types.ok_or_else(|| anyhow!("invalid component: unexpected end"))?;
    let types_ref = types.as_ref();
    let mut out = Vec::new();
    let mut bound = HashSet::new();
    for name in names {
        let item = types_ref
            .component_item_for_import(&name)
            .ok_or_else(|| anyhow!("invalid component: no type for import `{name}`"))?;
        if let Some(need) = need(&types, item.ty, &mut bound) {
            out.push((name, need));
        }
    }
    Ok(out)
}

/// What an import of type `ty` needs; `bound` holds the resource types seen so far, which
/// later imports may only refer to (`eq`), as the linker binds them.
fn need(types: &Types, ty: ComponentEntityType, bound: &mut HashSet<ResourceId>) -> Option<Need> {
    match ty {
        ComponentEntityType::Func(_) => Some(Need::Func),
        ComponentEntityType::Type {
            referenced: ComponentAnyTypeId::Resource(r),
            ..
        } => bound.insert(r.resource()).then_some(Need::Resource),
        ComponentEntityType::Type { .. } => None,
        ComponentEntityType::Instance(id) => {
            let mut exports = Vec::new();
            for (name, item) in types[id].exports.iter() {
                if let Some(n) = need(types, item.ty, bound) {
                    exports.push((name.clone(), n));
                }
            }
            (!exports.is_empty()).then_some(Need::Instance(exports))
        }
        ComponentEntityType::Module(_) => Some(Need::Other("module")),
        ComponentEntityType::Component(_) => Some(Need::Other("component")),
        ComponentEntityType::Value(_) => Some(Need::Other("value")),
    }
}

/// The Rust type of the objects of a resource type that [`define_stubs`] defines: no guest
/// can make one, since no host function returns one.
pub struct Unprovided;

/// Defines in `linker` every import in `needed` (from [`needed`]) whose name `provided` does
/// not accept: functions that fail when called (so the calling guest traps), and resource
/// types of [`Unprovided`] objects; an instance import gets an instance of such stubs.
/// A module, component or value import is an error.
pub fn define_stubs<T: 'static>(
    linker: &mut Linker<T>,
    needed: &[(String, Need)],
    provided: impl Fn(&str) -> bool,
) -> Result<()> {
    fn define<T: 'static>(
        inst: &mut LinkerInstance<'_, T>,
        path: &str,
        name: &str,
        need: &Need,
    ) -> Result<()> {
        let path = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}#{name}")
        };
        match need {
            Need::Func => inst.func_new(name, move |_store, _params, _results| {
                bail!("`{path}` was called, an import `tether run` does not provide (`--trap-unknown-imports`)")
            }),
            Need::Resource => inst.resource_host::<Unprovided>(name),
            Need::Instance(exports) => {
                let mut nested = inst.instance(name)?;
                for (ename, n) in exports {
                    define(&mut nested, &path, ename, n)?;
                }
                Ok(())
            }
            Need::Other(kind) => bail!("the import `{path}` is a {kind}, which `tether run` cannot provide"),
        }
    }
    for (name, need) in needed {
        if !provided(name) {
            define(&mut linker.root(), "", name, need)?;
        }
    }
    Ok(())
}
