//! The index spaces of one component level, modelled once, when the level is translated.
//!
//! [`plan`] walks a level's initializers in order, as instantiation will, and works out
//! what does not depend on the imports: how many entries each index space ends up with
//! ([`SpaceSizes`]); for each core module index, the module when the level defines it; for
//! each core instance index, the module it instantiates or the names of the bundle it is;
//! from those, where each import of an instantiated core module and each aliased core export
//! is found ([`CoreExportAt`]); and which exported functions are imports passed through.
//! Instantiation then reads positions and never looks a name up where translation could.

use std::sync::Arc;

use wasmparser::{ComponentExternalKind, ComponentOuterAliasKind, ExternalKind};

use super::translate::{Item, Sort};

/// How many entries each index space of an instance of a level ends up with, at most, so
/// that instantiation allocates each space once.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SpaceSizes {
    pub core_funcs: usize,
    pub core_tables: usize,
    pub core_memories: usize,
    pub core_globals: usize,
    pub core_tags: usize,
    pub core_modules: usize,
    pub core_instances: usize,
    pub funcs: usize,
    pub instances: usize,
    pub components: usize,
    pub exports: usize,
}

/// Where a core export is found in the core instance that holds it.
#[derive(Clone)]
pub(crate) enum CoreExportAt {
    /// At this position of a bundle of core items (`CoreInstanceFromExports`).
    Bag(u32),
    /// At this position of the exports of the module the instance was made from.
    Module(wasmtime::ModuleExport),
    /// By name, at instantiation: the instance's module is known only then (an imported or
    /// aliased module), or translation found no export of that name (validation would have
    /// refused the component first; instantiation then reports it).
    ByName,
}

/// One import of an instantiated core module: the core instance its argument names, the
/// export's name and where it is in that instance.
#[derive(Clone)]
pub(crate) struct CoreImport {
    pub instance: u32,
    pub name: Box<str>,
    pub at: CoreExportAt,
}

/// What translation knows of one core instance index.
enum KnownInstance {
    /// An instance of `modules[i]`, or of a module known only at instantiation (`None`).
    Module(Option<usize>),
    /// A bundle of core items, by name in order.
    Bag(Vec<String>),
}

/// What [`plan`] works out for a level besides the positions it writes into the items.
#[derive(Default)]
pub(crate) struct Plan {
    pub sizes: SpaceSizes,
    /// The names of exported functions that are the level's own function imports, passed
    /// through (which Tether does not implement at the root).
    pub reexported_imports: Vec<Arc<str>>,
}

/// Walks a level's `items` in order (`modules`: the core modules it defines, and whether each
/// has a start function), filling in where each core import and aliased core export is
/// found and which core instantiations may run guest code, and counts its index spaces.
pub(crate) fn plan(items: &mut [Item], modules: &[wasmtime::Module], starts: &[bool]) -> Plan {
    let mut n = SpaceSizes::default();
    let mut core_modules: Vec<Option<usize>> = Vec::new();
    let mut core_instances: Vec<KnownInstance> = Vec::new();
    // Whether each component function is one of the level's imports.
    let mut funcs_imported: Vec<bool> = Vec::new();
    let mut reexported_imports = Vec::new();
    let find = |instances: &[KnownInstance], instance: u32, name: &str| -> CoreExportAt {
        match instances.get(instance as usize) {
            Some(KnownInstance::Bag(names)) => match names.iter().position(|n| n == name) {
                Some(pos) => CoreExportAt::Bag(pos as u32),
                None => CoreExportAt::ByName,
            },
            Some(KnownInstance::Module(Some(m))) => modules
                .get(*m)
                .and_then(|m| m.get_export_index(name))
                .map_or(CoreExportAt::ByName, CoreExportAt::Module),
            Some(KnownInstance::Module(None)) | None => CoreExportAt::ByName,
        }
    };
    for item in items.iter_mut() {
        match item {
            Item::CoreModule(i) => {
                n.core_modules += 1;
                core_modules.push(Some(*i));
            }
            Item::CoreInstantiate {
                module,
                args,
                imports,
                may_run,
            } => {
                n.core_instances += 1;
                let known = core_modules.get(*module as usize).copied().flatten();
                *may_run = known.is_none_or(|m| starts.get(m).copied().unwrap_or(true));
                if let Some(m) = known.and_then(|m| modules.get(m)) {
                    let planned: Option<Vec<CoreImport>> = m
                        .imports()
                        .map(|import| {
                            let (_, instance) = args.iter().find(|(n, _)| n == import.module())?;
                            Some(CoreImport {
                                instance: *instance,
                                name: import.name().into(),
                                at: find(&core_instances, *instance, import.name()),
                            })
                        })
                        .collect();
                    *imports = planned.map(Vec::into_boxed_slice);
                }
                core_instances.push(KnownInstance::Module(known));
            }
            Item::CoreInstanceFromExports(exports) => {
                n.core_instances += 1;
                core_instances.push(KnownInstance::Bag(
                    exports.iter().map(|(name, _, _)| name.clone()).collect(),
                ));
            }
            Item::Component(_) => n.components += 1,
            Item::Instantiate { .. } | Item::InstanceFromExports { .. } => n.instances += 1,
            Item::Import { kind, .. } => {
                if *kind == ComponentExternalKind::Func {
                    funcs_imported.push(true);
                }
                push_sort(*kind, &mut n, &mut core_modules);
            }
            Item::AliasExport { kind, .. } => {
                if *kind == ComponentExternalKind::Func {
                    funcs_imported.push(false);
                }
                push_sort(*kind, &mut n, &mut core_modules);
            }
            Item::Export { name, kind, index } => {
                n.exports += 1;
                if *kind == ComponentExternalKind::Func {
                    let imported = funcs_imported
                        .get(*index as usize)
                        .copied()
                        .unwrap_or(false);
                    if imported {
                        reexported_imports.push(name.clone());
                    }
                    funcs_imported.push(imported);
                }
                push_sort(*kind, &mut n, &mut core_modules);
            }
            Item::AliasCoreExport {
                kind,
                instance,
                name,
                at,
            } => {
                *at = find(&core_instances, *instance, name);
                match kind {
                    ExternalKind::Func | ExternalKind::FuncExact => n.core_funcs += 1,
                    ExternalKind::Table => n.core_tables += 1,
                    ExternalKind::Memory => n.core_memories += 1,
                    ExternalKind::Global => n.core_globals += 1,
                    ExternalKind::Tag => n.core_tags += 1,
                }
            }
            Item::AliasOuter { kind, .. } => match kind {
                ComponentOuterAliasKind::CoreModule => {
                    n.core_modules += 1;
                    core_modules.push(None);
                }
                ComponentOuterAliasKind::Component => n.components += 1,
                _ => {}
            },
            Item::Lift { .. } => {
                n.funcs += 1;
                funcs_imported.push(false);
            }
            Item::Lower { .. } | Item::ResourceIntrinsic { .. } | Item::Builtin(_) => {
                n.core_funcs += 1
            }
            Item::Unsupported {
                sort: Sort::Func, ..
            } => {
                n.funcs += 1;
                funcs_imported.push(false);
            }
            Item::Unsupported {
                sort: Sort::CoreFunc,
                ..
            } => n.core_funcs += 1,
            Item::ResourceType(_) => {}
        }
    }
    Plan {
        sizes: n,
        reexported_imports,
    }
}

/// Counts an entry of the index space of `kind` (an import, an export or an alias of a
/// component instance's export); a core module pushed so is known only at instantiation.
fn push_sort(
    kind: ComponentExternalKind,
    n: &mut SpaceSizes,
    core_modules: &mut Vec<Option<usize>>,
) {
    match kind {
        ComponentExternalKind::Func => n.funcs += 1,
        ComponentExternalKind::Instance => n.instances += 1,
        ComponentExternalKind::Module => {
            n.core_modules += 1;
            core_modules.push(None);
        }
        ComponentExternalKind::Component => n.components += 1,
        ComponentExternalKind::Type | ComponentExternalKind::Value => {}
    }
}
