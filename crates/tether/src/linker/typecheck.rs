//! Checking a definition against the type of the import it fills, with errors that name both:
//! component items (`check_item`) and core modules (`check_module`).

use anyhow::{Result, anyhow, bail};
use wasmparser::component_types::{ComponentCoreModuleTypeId, ComponentEntityType};
use wasmparser::types::{EntityType, Types};

use super::*;

pub(super) fn entity_kind(ty: &ComponentEntityType) -> &'static str {
    match ty {
        ComponentEntityType::Module(_) => "module",
        ComponentEntityType::Func(_) => "function",
        ComponentEntityType::Value(_) => "value",
        ComponentEntityType::Type { .. } => "resource",
        ComponentEntityType::Instance(_) => "instance",
        ComponentEntityType::Component(_) => "component",
    }
}

/// Checks an item of an existing instance against an import type: kinds, nested instance
/// exports, resource equalities and module types.
pub(super) fn check_item(
    types: &Types,
    name: &str,
    ty: ComponentEntityType,
    e: &Export,
    bound: &mut Bound,
) -> Result<Export> {
    match (ty, e) {
        (ComponentEntityType::Func(_), Export::Func(_))
        | (ComponentEntityType::Component(_), Export::Component(_)) => Ok(e.clone()),
        (ComponentEntityType::Type { .. }, Export::Type(rt)) => {
            if let Some(rt) = rt {
                bind_resource(ty, *rt, bound)?;
            }
            Ok(e.clone())
        }
        (ComponentEntityType::Module(id), Export::Module(m)) => {
            check_module(types, id, m)?;
            Ok(e.clone())
        }
        (ComponentEntityType::Instance(id), Export::Instance(exports)) => {
            for (ename, item) in types[id].exports.iter() {
                match exports.get(ename) {
                    Some(inner) => {
                        check_item(types, ename, item.ty, inner, bound)?;
                    }
                    None if !needs_definition(types, item.ty, bound) => {}
                    None => bail!("instance export `{ename}` was not found"),
                }
            }
            Ok(e.clone())
        }
        (ty, e) => bail!(
            "expected {} found {} for `{name}`",
            entity_kind(&ty),
            if let Export::Func(_) = e {
                "func"
            } else {
                e.kind()
            }
        ),
    }
}

/// Checks a core module against the module type an import declares: every export the type
/// lists must exist with a matching type, and every import the module needs must be one the
/// type declares, with a type that satisfies it.
pub(super) fn check_module(
    types: &Types,
    id: ComponentCoreModuleTypeId,
    m: &wasmtime::Module,
) -> Result<()> {
    let mt = &types[id];
    for (ename, ety) in mt.exports.iter() {
        let actual = m
            .get_export(ename)
            .ok_or_else(|| anyhow!("module export `{ename}` not defined"))?;
        core_match(types, ety, &actual, true).map_err(|e| match e {
            Mismatch::Kind(exp, found) => anyhow!("expected {exp} found {found}"),
            Mismatch::Func(exp, found) => anyhow!(
                "export `{ename}` has the wrong type: expected type `{exp}`, found type `{found}`"
            ),
            Mismatch::Other => anyhow!("export `{ename}` has the wrong type"),
        })?;
    }
    for import in m.imports() {
        let declared = mt
            .imports
            .get(&(import.module().to_string(), import.name().to_string()))
            .ok_or_else(|| {
                anyhow!(
                    "module import `{}::{}` not defined",
                    import.module(),
                    import.name()
                )
            })?;
        core_match(types, declared, &import.ty(), false).map_err(|e| match e {
            Mismatch::Kind(exp, found) => anyhow!("expected {found} found {exp}"),
            _ => anyhow!(
                "module import `{}::{}` has the wrong type",
                import.module(),
                import.name()
            ),
        })?;
    }
    Ok(())
}

pub(super) enum Mismatch {
    Kind(&'static str, &'static str),
    Func(String, String),
    Other,
}

pub(super) fn extern_kind(t: &wasmtime::ExternType) -> &'static str {
    match t {
        wasmtime::ExternType::Func(_) => "func",
        wasmtime::ExternType::Table(_) => "table",
        wasmtime::ExternType::Memory(_) => "memory",
        wasmtime::ExternType::Global(_) => "global",
        wasmtime::ExternType::Tag(_) => "tag",
    }
}

/// Matches a declared core entity type against an actual one. With `provides`, the actual
/// item is given where the declared one is expected (an export); otherwise the declared item
/// is given where the actual one is required (an import), and limits compare the other way.
pub(super) fn core_match(
    types: &Types,
    declared: &EntityType,
    actual: &wasmtime::ExternType,
    provides: bool,
) -> Result<(), Mismatch> {
    use wasmtime::ExternType as X;
    match (declared, actual) {
        (EntityType::Func(id) | EntityType::FuncExact(id), X::Func(f)) => {
            let want = describe_core_func(types, *id);
            let have = describe_wasmtime_func(f);
            if want == have {
                Ok(())
            } else {
                Err(Mismatch::Func(want, have))
            }
        }
        (EntityType::Table(t), X::Table(a)) => {
            let want = t.element_type.to_string();
            let have = a.element().to_string();
            let same_elem = want.contains("func") == have.contains("func")
                && want.contains("extern") == have.contains("extern");
            let (big, small) = if provides {
                ((a.minimum(), a.maximum()), (t.initial, t.maximum))
            } else {
                ((t.initial, t.maximum), (a.minimum(), a.maximum()))
            };
            if same_elem && limits_ok(big, small) {
                Ok(())
            } else {
                Err(Mismatch::Other)
            }
        }
        (EntityType::Memory(t), X::Memory(a)) => {
            let (big, small) = if provides {
                ((a.minimum(), a.maximum()), (t.initial, t.maximum))
            } else {
                ((t.initial, t.maximum), (a.minimum(), a.maximum()))
            };
            if t.memory64 == a.is_64() && t.shared == a.is_shared() && limits_ok(big, small) {
                Ok(())
            } else {
                Err(Mismatch::Other)
            }
        }
        (EntityType::Global(t), X::Global(a)) => {
            let mutable = a.mutability() == wasmtime::Mutability::Var;
            let same_ty = format!("{:?}", t.content_type).to_lowercase()
                == format!("{}", a.content()).to_lowercase();
            if t.mutable == mutable && same_ty {
                Ok(())
            } else {
                Err(Mismatch::Other)
            }
        }
        (EntityType::Tag(_), X::Tag(_)) => Ok(()),
        (d, a) => Err(Mismatch::Kind(entity_type_kind(d), extern_kind(a))),
    }
}

/// Whether limits `big` (the item given) fit within `small` (what is required).
pub(super) fn limits_ok(big: (u64, Option<u64>), small: (u64, Option<u64>)) -> bool {
    big.0 >= small.0
        && match (small.1, big.1) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(s), Some(b)) => b <= s,
        }
}

pub(super) fn entity_type_kind(t: &EntityType) -> &'static str {
    match t {
        EntityType::Func(_) | EntityType::FuncExact(_) => "func",
        EntityType::Table(_) => "table",
        EntityType::Memory(_) => "memory",
        EntityType::Global(_) => "global",
        EntityType::Tag(_) => "tag",
    }
}

pub(super) fn describe_core_func(types: &Types, id: wasmparser::types::CoreTypeId) -> String {
    let sub = &types[id];
    match &sub.composite_type.inner {
        wasmparser::CompositeInnerType::Func(f) => func_text(
            f.params().iter().map(|t| t.to_string()),
            f.results().iter().map(|t| t.to_string()),
        ),
        _ => "(non-function type)".to_string(),
    }
}

pub(super) fn describe_wasmtime_func(f: &wasmtime::FuncType) -> String {
    func_text(
        f.params().map(|t| t.to_string()),
        f.results().map(|t| t.to_string()),
    )
}

pub(super) fn func_text(
    params: impl Iterator<Item = String>,
    results: impl Iterator<Item = String>,
) -> String {
    let mut s = String::from("(func");
    let params: Vec<String> = params.collect();
    let results: Vec<String> = results.collect();
    if !params.is_empty() {
        s.push_str(&format!(" (param {})", params.join(" ")));
    }
    if !results.is_empty() {
        s.push_str(&format!(" (result {})", results.join(" ")));
    }
    s.push(')');
    s
}
