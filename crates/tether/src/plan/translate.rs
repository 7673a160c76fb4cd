//! Translation of a component binary into an instantiation plan.
//!
//! A component is validated with `wasmparser` and turned into a [`ComponentDef`]: the list of
//! its initializers in binary order ([`Item`]), its nested core modules compiled by the core
//! engine, its nested components translated recursively, and the `wasmparser` type information
//! of each component level.
//! Instantiation (`call::instantiate`) then walks the items in order, filling the index spaces
//! of one instance, exactly as the component model's dynamic semantics describe.

use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType};
use wasmparser::types::Types;
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind,
    ComponentOuterAliasKind, ComponentTypeRef, ExternalKind, Parser, Payload, ValidPayload,
    Validator,
};

use super::spaces::{CoreExportAt, CoreImport, SpaceSizes};
use crate::engine::Engine;
use crate::plan::types::{FuncSig, TypeCx};

/// One component level: its initializers and what they refer to.
pub(crate) struct ComponentDef {
    /// Validation's type information for this level.
    pub types: Types,
    /// The initializers, in binary order.
    pub items: Vec<Item>,
    /// Core modules defined inside this component, compiled.
    pub modules: Vec<wasmtime::Module>,
    /// Components defined inside this component.
    pub components: Vec<Arc<ComponentDef>>,
    /// The imports, in order: name and index into `items`.
    pub imports: Vec<(String, ComponentEntityType)>,
    /// The exports, in order.
    pub exports: Vec<(String, ComponentEntityType)>,
    /// How many entries each index space of an instance of this level ends up with, at
    /// most, so that instantiation allocates each space once; counted when the level is
    /// translated.
    pub sizes: SpaceSizes,
    /// The core engine the component was compiled with: its core modules and the core
    /// function types of its items belong to it, so it instantiates only in stores of it.
    pub engine: wasmtime::Engine,
    /// The names of exported functions that are this level's own function imports, passed
    /// through.
    pub reexported_imports: Vec<Arc<str>>,
}

/// The string encoding and other options of a `canon lift` or `canon lower`.
#[derive(Debug, Clone)]
pub(crate) struct CanonOpts {
    pub encoding: tether_abi::StringEncoding,
    pub memory: Option<u32>,
    pub realloc: Option<u32>,
    pub post_return: Option<u32>,
    /// The `async` option.
    pub async_: bool,
    /// The `callback` option: a core function index.
    pub callback: Option<u32>,
}

/// One initializer of a component, in the terms of the index spaces it reads and extends.
pub(crate) enum Item {
    /// Pushes `modules[i]` onto the core module space.
    CoreModule(usize),
    /// Instantiates a core module; pushes a core instance.
    CoreInstantiate {
        module: u32,
        args: Vec<(String, u32)>,
        /// Where each of the module's imports is found, in the module's order, when
        /// translation knows the module (see [`super::spaces`]); otherwise each is found by
        /// name at instantiation.
        imports: Option<Box<[CoreImport]>>,
        /// Whether instantiating may run guest code: the module has a start function, or
        /// translation does not know the module.
        may_run: bool,
    },
    /// Bundles core items into a core instance.
    CoreInstanceFromExports(Vec<(String, ExternalKind, u32)>),
    /// Pushes `components[i]` onto the component space.
    Component(usize),
    /// Instantiates a component; pushes a component instance.
    Instantiate {
        component: u32,
        args: Vec<(String, ComponentExternalKind, u32)>,
        instance_index: u32,
    },
    /// Bundles component items into a component instance.
    InstanceFromExports {
        exports: Vec<(Arc<str>, ComponentExternalKind, u32)>,
    },
    /// `alias export`: an export of a component instance.
    AliasExport {
        kind: ComponentExternalKind,
        instance: u32,
        name: String,
        /// The export's position in the instance's type, where the instance's items are
        /// most likely to have it (`u32::MAX` if the type does not say).
        at: u32,
    },
    /// `alias core export`: an export of a core instance.
    AliasCoreExport {
        kind: ExternalKind,
        instance: u32,
        name: String,
        /// Where the export is in its instance (see [`super::spaces`]).
        at: CoreExportAt,
    },
    /// `alias outer`: a module or component of an enclosing component.
    AliasOuter {
        kind: ComponentOuterAliasKind,
        count: u32,
        index: u32,
    },
    /// A resource type definition, which creates a fresh resource type per instance.
    ResourceType(ResourceDef),
    /// An import, filled from the instantiation's arguments.
    Import {
        name: String,
        /// The import's position in [`ComponentDef::imports`].
        index: u32,
        kind: ComponentExternalKind,
        ty: ComponentEntityType,
    },
    /// An export, which also extends the exported sort's index space.
    Export {
        name: Arc<str>,
        kind: ComponentExternalKind,
        index: u32,
    },
    /// `canon lift`: pushes a component function. With `opts.async_`, the lift has a
    /// callback (`opts.callback`): a stackful lift is [`Item::Unsupported`].
    Lift {
        core_func: u32,
        sig: Arc<FuncSig>,
        opts: CanonOpts,
        /// Whether the function type is `async`.
        ft_async: bool,
    },
    /// `canon lower`: pushes a core function. With `opts.async_`, its core type is the
    /// async ABI's.
    Lower {
        func: u32,
        sig: Arc<FuncSig>,
        opts: CanonOpts,
        /// The core function type, registered with the component's engine when it was
        /// compiled.
        core_ty: wasmtime::FuncType,
        /// Whether the lowered function's type is `async`.
        ft_async: bool,
    },
    /// A built-in of the async ABI: pushes a core function.
    Builtin(Builtin),
    /// `canon resource.new`, `resource.drop`, `resource.rep`: pushes a core function.
    ResourceIntrinsic {
        op: ResourceOp,
        type_index: u32,
        /// The core function type, registered when the component was compiled.
        core_ty: wasmtime::FuncType,
    },
    /// A construct that validates but that Tether does not run (component-model async, ...);
    /// instantiating a component that contains it is an error naming it. A core function of
    /// this kind traps first if its instance may not leave, as every built-in does, unless it
    /// is one the specification lets run then (`checks_may_leave` false).
    Unsupported {
        what: String,
        sort: Sort,
        checks_may_leave: bool,
    },
}

/// The async ABI's built-ins that Tether translates (the others are [`Item::Unsupported`]).
#[derive(Debug, Clone)]
pub(crate) enum Builtin {
    /// `task.return`: `sig` takes the result as its one parameter (none without a result);
    /// `opts` are its memory and string encoding.
    TaskReturn { sig: Arc<FuncSig>, opts: CanonOpts },
    /// `task.cancel`.
    TaskCancel,
    /// `context.get i32 slot`.
    ContextGet(u32),
    /// `context.set i32 slot`.
    ContextSet(u32),
    /// `backpressure.inc`.
    BackpressureInc,
    /// `backpressure.dec`.
    BackpressureDec,
    /// `thread.yield`.
    Yield,
    /// `waitable-set.new`.
    WaitableSetNew,
    /// `waitable-set.drop`.
    WaitableSetDrop,
    /// `waitable-set.poll` (`wait: false`) or `waitable-set.wait`, writing the event's
    /// payloads to core memory `memory`.
    WaitableSetEvent { wait: bool, memory: u32 },
    /// `waitable.join`.
    WaitableJoin,
    /// `subtask.drop`.
    SubtaskDrop,
    /// `subtask.cancel`, with or without `async`: its checks, then `unsupported:`
    /// (cancellation is not run yet).
    SubtaskCancel { async_: bool },
    /// `future.new` or `stream.new`: `sig`'s one parameter is the future or stream type.
    EndNew { sig: Arc<FuncSig> },
    /// `{future,stream}.{read,write}` (the end says which), with its options; `sig` as for
    /// `EndNew`.
    Copy {
        end: tether_abi::EndKind,
        sig: Arc<FuncSig>,
        opts: CanonOpts,
    },
    /// `{future,stream}.cancel-{read,write}`.
    CancelCopy {
        end: tether_abi::EndKind,
        sig: Arc<FuncSig>,
        async_: bool,
    },
    /// `{future,stream}.drop-{readable,writable}`.
    DropEnd {
        end: tether_abi::EndKind,
        sig: Arc<FuncSig>,
    },
    /// `error-context.new` (with the options it reads the message with).
    ErrorContextNew { opts: CanonOpts },
    /// `error-context.debug-message` (with the options it writes the message with).
    ErrorContextDebugMessage { opts: CanonOpts },
    /// `error-context.drop`.
    ErrorContextDrop,
    /// The synchronous form of a built-in that waits (`thread.suspend`), which Tether does
    /// not run yet: a task that may not block traps, before anything else is checked;
    /// otherwise the call is `unsupported:`.
    Blocking { what: String },
}

/// The index space an unsupported definition extends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    /// A core function (a built-in or an async `canon lower`): instantiation creates one that
    /// traps when called.
    CoreFunc,
    /// A component function (an async `canon lift`): calling it is an error.
    Func,
}

/// A `(type (resource (rep i32) (dtor ...)))` definition.
#[derive(Debug, Clone)]
pub(crate) struct ResourceDef {
    pub id: wasmparser::component_types::ResourceId,
    pub dtor: Option<u32>,
}

/// The resource built-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceOp {
    New,
    Drop,
    Rep,
}

/// A component level under construction.
struct Builder {
    items: Vec<Item>,
    modules: Vec<wasmtime::Module>,
    /// Whether each of `modules` has a start function.
    module_starts: Vec<bool>,
    components: Vec<Arc<ComponentDef>>,
    imports: Vec<(String, ComponentEntityType)>,
    exports: Vec<(String, ComponentEntityType)>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            items: Vec::new(),
            modules: Vec::new(),
            module_starts: Vec::new(),
            components: Vec::new(),
            imports: Vec::new(),
            exports: Vec::new(),
        }
    }

    fn finish(mut self, types: Types, engine: &wasmtime::Engine) -> ComponentDef {
        let plan = super::spaces::plan(&mut self.items, &self.modules, &self.module_starts);
        ComponentDef {
            sizes: plan.sizes,
            reexported_imports: plan.reexported_imports,
            engine: engine.clone(),
            types,
            items: self.items,
            modules: self.modules,
            components: self.components,
            imports: self.imports,
            exports: self.exports,
        }
    }
}

/// What the parser is inside of.
enum Level {
    Component(Builder),
    /// A nested core module; its payloads go to the validator only.
    Module,
}

/// Validates and translates a component binary, compiling its core modules.
pub(crate) fn translate(engine: &Engine, bytes: &[u8]) -> Result<ComponentDef> {
    translate_with(engine, bytes, &mut |module_bytes, offset| {
        wasmtime::Module::from_binary(engine.core(), module_bytes)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("invalid core module (at offset {offset:#x})"))
    })
}

/// Validates and translates a component binary, getting each core module, in binary order,
/// from `module`.
pub(crate) fn translate_with(
    engine: &Engine,
    bytes: &[u8],
    module: &mut dyn FnMut(&[u8], usize) -> Result<wasmtime::Module>,
) -> Result<ComponentDef> {
    let mut validator = Validator::new_with_features(engine.features());
    let mut stack: Vec<Level> = Vec::new();
    let mut root: Option<ComponentDef> = None;

    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(invalid)?;
        let valid = validator.payload(&payload).map_err(invalid)?;

        match &payload {
            Payload::Version {
                encoding, range, ..
            } => {
                if stack.is_empty() && *encoding != wasmparser::Encoding::Component {
                    bail!(
                        "expected a component, found a core module (at offset {:#x})",
                        range.start
                    );
                }
                // The level was pushed by the section that announced it, except the root.
                if stack.is_empty() {
                    stack.push(Level::Component(Builder::new()));
                }
                continue;
            }
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                let b = current(&mut stack)?;
                let module_bytes = bytes
                    .get(unchecked_range.start as usize..unchecked_range.end as usize)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "unexpected end of binary inside a core module (at offset {:#x})",
                            unchecked_range.start
                        )
                    })?;
                let module = module(module_bytes, unchecked_range.start as usize)?;
                b.items.push(Item::CoreModule(b.modules.len()));
                b.modules.push(module);
                b.module_starts.push(false);
                stack.push(Level::Module);
                continue;
            }
            Payload::StartSection { .. } if matches!(stack.last(), Some(Level::Module)) => {
                // The module being read is the last of the level that holds it.
                if let Some(Level::Component(b)) = stack.iter_mut().rev().nth(1)
                    && let Some(start) = b.module_starts.last_mut()
                {
                    *start = true;
                }
                continue;
            }
            Payload::ComponentSection { .. } => {
                stack.push(Level::Component(Builder::new()));
                continue;
            }
            Payload::End(offset) => {
                let types = match valid {
                    ValidPayload::End(types) => types,
                    _ => bail!("internal error: unbalanced end (at offset {offset:#x})"),
                };
                match stack.pop() {
                    Some(Level::Module) => {}
                    Some(Level::Component(b)) => {
                        let def = b.finish(types, engine.core());
                        match stack.last_mut() {
                            Some(Level::Component(parent)) => {
                                parent.items.push(Item::Component(parent.components.len()));
                                parent.components.push(Arc::new(def));
                            }
                            Some(Level::Module) => {
                                bail!("internal error: component inside a module")
                            }
                            None => root = Some(def),
                        }
                    }
                    None => bail!("internal error: unbalanced end (at offset {offset:#x})"),
                }
                continue;
            }
            _ => {}
        }

        // Everything else belongs to the innermost level; a core module's own sections only
        // needed validation.
        let Some(Level::Component(b)) = stack.last_mut() else {
            continue;
        };
        let types = validator.types(0).expect("validator has a current level");
        translate_section(b, &payload, &types, engine.core())?;
    }
    root.ok_or_else(|| anyhow::anyhow!("unexpected end of component binary"))
}

fn current(stack: &mut [Level]) -> Result<&mut Builder> {
    match stack.last_mut() {
        Some(Level::Component(b)) => Ok(b),
        _ => bail!("internal error: section outside a component"),
    }
}

#[cold]
fn invalid(e: wasmparser::BinaryReaderError) -> anyhow::Error {
    anyhow::anyhow!(
        "invalid component: {} (at offset {:#x})",
        e.message(),
        e.offset()
    )
}

fn translate_section(
    b: &mut Builder,
    payload: &Payload<'_>,
    types: &wasmparser::types::TypesRef<'_>,
    engine: &wasmtime::Engine,
) -> Result<()> {
    match payload {
        Payload::InstanceSection(s) => {
            for inst in s.clone() {
                let inst = inst.map_err(invalid)?;
                b.items.push(match inst {
                    wasmparser::Instance::Instantiate { module_index, args } => {
                        Item::CoreInstantiate {
                            module: module_index,
                            args: args.iter().map(|a| (a.name.to_string(), a.index)).collect(),
                            imports: None,
                            may_run: true,
                        }
                    }
                    wasmparser::Instance::FromExports(exports) => Item::CoreInstanceFromExports(
                        exports
                            .iter()
                            .map(|e| (e.name.to_string(), e.kind, e.index))
                            .collect(),
                    ),
                });
            }
        }
        Payload::CoreTypeSection(_) => {}
        Payload::ComponentInstanceSection(s) => {
            let base = types.component_instance_count() - s.count();
            for (i, inst) in s.clone().into_iter().enumerate() {
                let inst = inst.map_err(invalid)?;
                let instance_index = base + i as u32;
                b.items.push(match inst {
                    wasmparser::ComponentInstance::Instantiate {
                        component_index,
                        args,
                    } => Item::Instantiate {
                        component: component_index,
                        args: args
                            .iter()
                            .map(|a| (a.name.to_string(), a.kind, a.index))
                            .collect(),
                        instance_index,
                    },
                    wasmparser::ComponentInstance::FromExports(exports) => {
                        Item::InstanceFromExports {
                            exports: exports
                                .iter()
                                .map(|e| (e.name.name.into(), e.kind, e.index))
                                .collect(),
                        }
                    }
                });
            }
        }
        Payload::ComponentAliasSection(s) => {
            for alias in s.clone() {
                let alias = alias.map_err(invalid)?;
                match alias {
                    ComponentAlias::InstanceExport {
                        kind,
                        instance_index,
                        name,
                    } => {
                        let inst = types.component_instance_at(instance_index);
                        let at = types[inst]
                            .exports
                            .get_full(name)
                            .map_or(u32::MAX, |(i, _, _)| i as u32);
                        b.items.push(Item::AliasExport {
                            kind,
                            instance: instance_index,
                            name: name.to_string(),
                            at,
                        });
                    }
                    ComponentAlias::CoreInstanceExport {
                        kind,
                        instance_index,
                        name,
                    } => {
                        b.items.push(Item::AliasCoreExport {
                            kind,
                            instance: instance_index,
                            name: name.to_string(),
                            at: CoreExportAt::ByName,
                        });
                    }
                    ComponentAlias::Outer { kind, count, index } => {
                        if matches!(
                            kind,
                            ComponentOuterAliasKind::CoreModule
                                | ComponentOuterAliasKind::Component
                        ) {
                            b.items.push(Item::AliasOuter { kind, count, index });
                        }
                    }
                }
            }
        }
        Payload::ComponentTypeSection(s) => {
            let base = types.component_type_count() - s.count();
            for (i, ty) in s.clone().into_iter().enumerate() {
                let ty = ty.map_err(invalid)?;
                let type_index = base + i as u32;
                let resource = match ty {
                    wasmparser::ComponentType::Resource { dtor, .. } => {
                        let id = match types.component_any_type_at(type_index) {
                            ComponentAnyTypeId::Resource(r) => r.resource(),
                            _ => bail!(
                                "internal error: resource type {type_index} is not a resource"
                            ),
                        };
                        Some(ResourceDef { id, dtor })
                    }
                    _ => None,
                };
                if let Some(r) = resource {
                    b.items.push(Item::ResourceType(r));
                }
            }
        }
        Payload::ComponentCanonicalSection(s) => {
            for canon in s.clone() {
                let canon = canon.map_err(invalid)?;
                translate_canon(b, canon, types, engine)?;
            }
        }
        Payload::ComponentStartSection { range, .. } => {
            bail!(
                "component start functions are not supported (at offset {:#x})",
                range.start
            )
        }
        Payload::ComponentImportSection(s) => {
            for import in s.clone() {
                let import = import.map_err(invalid)?;
                let name = import.name.name.to_string();
                let ty = types
                    .component_item_for_import(import.name.name)
                    .map(|item| item.ty)
                    .ok_or_else(|| {
                        anyhow::anyhow!("internal error: no type for import `{name}`")
                    })?;
                let kind = match import.ty {
                    ComponentTypeRef::Module(_) => ComponentExternalKind::Module,
                    ComponentTypeRef::Func(_) => ComponentExternalKind::Func,
                    ComponentTypeRef::Value(_) => ComponentExternalKind::Value,
                    ComponentTypeRef::Type(_) => ComponentExternalKind::Type,
                    ComponentTypeRef::Instance(_) => ComponentExternalKind::Instance,
                    ComponentTypeRef::Component(_) => ComponentExternalKind::Component,
                };
                let index = b.imports.len() as u32;
                b.imports.push((name.clone(), ty));
                b.items.push(Item::Import {
                    name,
                    index,
                    kind,
                    ty,
                });
            }
        }
        Payload::ComponentExportSection(s) => {
            for export in s.clone() {
                let export = export.map_err(invalid)?;
                let name = export.name.name.to_string();
                let ty = types
                    .component_item_for_export(export.name.name)
                    .map(|item| item.ty)
                    .ok_or_else(|| {
                        anyhow::anyhow!("internal error: no type for export `{name}`")
                    })?;
                b.exports.push((name.clone(), ty));
                b.items.push(Item::Export {
                    name: name.into(),
                    kind: export.kind,
                    index: export.index,
                });
            }
        }
        Payload::CustomSection(_) => {}
        other => {
            // Core sections only appear inside modules, which never reach here.
            if let Some((id, range)) = other.as_section() {
                bail!(
                    "unexpected section {id} in a component (at offset {:#x})",
                    range.start
                );
            }
        }
    }
    Ok(())
}

fn translate_canon(
    b: &mut Builder,
    canon: CanonicalFunction,
    types: &wasmparser::types::TypesRef<'_>,
    engine: &wasmtime::Engine,
) -> Result<()> {
    let item = match canon {
        CanonicalFunction::Lift {
            core_func_index,
            type_index,
            options,
        } => {
            let ComponentAnyTypeId::Func(fid) = types.component_any_type_at(type_index) else {
                bail!("internal error: lift type {type_index} is not a function type");
            };
            let fty = &types[fid];
            match (opts(&options), TypeCx::new(types).func_sig(fty)) {
                (Ok(opts), Ok(_)) if opts.async_ && opts.callback.is_none() => unsupported(
                    "stackful `async` lifts, without a `callback` (component-model async)".into(),
                    Sort::Func,
                ),
                (Ok(opts), Ok(sig)) => Item::Lift {
                    core_func: core_func_index,
                    sig: Arc::new(sig),
                    opts,
                    ft_async: fty.async_,
                },
                (_, Err(e)) if e.is::<tether_abi::TypeTooLarge>() => return Err(e),
                (Err(what), _) => unsupported(what.into(), Sort::Func),
                (_, Err(e)) => unsupported(unsupported_reason(e), Sort::Func),
            }
        }
        CanonicalFunction::Lower {
            func_index,
            options,
        } => {
            let fid = types.component_function_at(func_index);
            let fty = &types[fid];
            match (opts(&options), TypeCx::new(types).func_sig(fty)) {
                (Ok(opts), Ok(sig)) => Item::Lower {
                    func: func_index,
                    core_ty: if opts.async_ {
                        sig.async_lowered_func_type(engine)
                    } else {
                        sig.lowered_func_type(engine)
                    },
                    sig: Arc::new(sig),
                    opts,
                    ft_async: fty.async_,
                },
                (_, Err(e)) if e.is::<tether_abi::TypeTooLarge>() => return Err(e),
                (Err(what), _) => unsupported(what.into(), Sort::CoreFunc),
                (_, Err(e)) => unsupported(unsupported_reason(e), Sort::CoreFunc),
            }
        }
        CanonicalFunction::ResourceNew { resource } => Item::ResourceIntrinsic {
            op: ResourceOp::New,
            type_index: resource,
            core_ty: crate::plan::types::resource_intrinsic_type(engine, true),
        },
        CanonicalFunction::ResourceDrop { resource } => Item::ResourceIntrinsic {
            op: ResourceOp::Drop,
            type_index: resource,
            core_ty: crate::plan::types::resource_intrinsic_type(engine, false),
        },
        CanonicalFunction::ResourceRep { resource } => Item::ResourceIntrinsic {
            op: ResourceOp::Rep,
            type_index: resource,
            core_ty: crate::plan::types::resource_intrinsic_type(engine, true),
        },
        CanonicalFunction::TaskReturn { result, options } => {
            let result = result.map(|ty| match ty {
                wasmparser::ComponentValType::Primitive(p) => {
                    wasmparser::component_types::ComponentValType::Primitive(p)
                }
                wasmparser::ComponentValType::Type(i) => {
                    wasmparser::component_types::ComponentValType::Type(
                        types.component_defined_type_at(i),
                    )
                }
            });
            match (
                opts(&options),
                TypeCx::new(types).task_return_sig(result.as_ref()),
            ) {
                (Ok(opts), Ok(sig)) => Item::Builtin(Builtin::TaskReturn {
                    sig: Arc::new(sig),
                    opts,
                }),
                (_, Err(e)) if e.is::<tether_abi::TypeTooLarge>() => return Err(e),
                (Err(what), _) => unsupported(what.into(), Sort::CoreFunc),
                (_, Err(e)) => unsupported(unsupported_reason(e), Sort::CoreFunc),
            }
        }
        CanonicalFunction::TaskCancel => Item::Builtin(Builtin::TaskCancel),
        CanonicalFunction::ContextGet {
            ty: wasmparser::ValType::I32,
            slot,
        } => Item::Builtin(Builtin::ContextGet(slot)),
        CanonicalFunction::ContextSet {
            ty: wasmparser::ValType::I32,
            slot,
        } => Item::Builtin(Builtin::ContextSet(slot)),
        CanonicalFunction::BackpressureInc => Item::Builtin(Builtin::BackpressureInc),
        CanonicalFunction::BackpressureDec => Item::Builtin(Builtin::BackpressureDec),
        CanonicalFunction::ThreadYield => Item::Builtin(Builtin::Yield),
        CanonicalFunction::WaitableSetNew => Item::Builtin(Builtin::WaitableSetNew),
        CanonicalFunction::WaitableSetDrop => Item::Builtin(Builtin::WaitableSetDrop),
        CanonicalFunction::WaitableJoin => Item::Builtin(Builtin::WaitableJoin),
        CanonicalFunction::SubtaskDrop => Item::Builtin(Builtin::SubtaskDrop),
        CanonicalFunction::SubtaskCancel { async_ } => {
            Item::Builtin(Builtin::SubtaskCancel { async_ })
        }
        CanonicalFunction::WaitableSetPoll { memory } => Item::Builtin(Builtin::WaitableSetEvent {
            wait: false,
            memory,
        }),
        CanonicalFunction::WaitableSetWait { memory } => {
            Item::Builtin(Builtin::WaitableSetEvent { wait: true, memory })
        }
        CanonicalFunction::ThreadSuspend => Item::Builtin(Builtin::Blocking {
            what: "the synchronous `thread.suspend` built-in (cooperative threads)".into(),
        }),
        CanonicalFunction::ErrorContextNew { ref options } => match opts(options) {
            Ok(opts) => Item::Builtin(Builtin::ErrorContextNew { opts }),
            Err(what) => unsupported(what.into(), Sort::CoreFunc),
        },
        CanonicalFunction::ErrorContextDebugMessage { ref options } => match opts(options) {
            Ok(opts) => Item::Builtin(Builtin::ErrorContextDebugMessage { opts }),
            Err(what) => unsupported(what.into(), Sort::CoreFunc),
        },
        CanonicalFunction::ErrorContextDrop => Item::Builtin(Builtin::ErrorContextDrop),
        CanonicalFunction::FutureNew { ty } | CanonicalFunction::StreamNew { ty } => {
            match end_sig(types, ty) {
                Ok(sig) => Item::Builtin(Builtin::EndNew { sig }),
                Err(e) => unsupported(unsupported_reason(e), Sort::CoreFunc),
            }
        }
        CanonicalFunction::FutureRead { ty, ref options }
        | CanonicalFunction::FutureWrite { ty, ref options }
        | CanonicalFunction::StreamRead { ty, ref options }
        | CanonicalFunction::StreamWrite { ty, ref options } => {
            let end = end_kind(&canon);
            match (opts(options), end_sig(types, ty)) {
                (Ok(opts), Ok(sig)) => Item::Builtin(Builtin::Copy { end, sig, opts }),
                (Err(what), _) => unsupported(what.into(), Sort::CoreFunc),
                (_, Err(e)) => unsupported(unsupported_reason(e), Sort::CoreFunc),
            }
        }
        CanonicalFunction::FutureCancelRead { ty, async_ }
        | CanonicalFunction::FutureCancelWrite { ty, async_ }
        | CanonicalFunction::StreamCancelRead { ty, async_ }
        | CanonicalFunction::StreamCancelWrite { ty, async_ } => {
            let end = end_kind(&canon);
            match end_sig(types, ty) {
                Ok(sig) => Item::Builtin(Builtin::CancelCopy { end, sig, async_ }),
                Err(e) => unsupported(unsupported_reason(e), Sort::CoreFunc),
            }
        }
        CanonicalFunction::FutureDropReadable { ty }
        | CanonicalFunction::FutureDropWritable { ty }
        | CanonicalFunction::StreamDropReadable { ty }
        | CanonicalFunction::StreamDropWritable { ty } => {
            let end = end_kind(&canon);
            match end_sig(types, ty) {
                Ok(sig) => Item::Builtin(Builtin::DropEnd { end, sig }),
                Err(e) => unsupported(unsupported_reason(e), Sort::CoreFunc),
            }
        }
        other => {
            // The built-ins the specification lets run while the instance may not leave.
            let checks_may_leave = !matches!(
                other,
                CanonicalFunction::ContextGet { .. }
                    | CanonicalFunction::ContextSet { .. }
                    | CanonicalFunction::BackpressureInc
                    | CanonicalFunction::BackpressureDec
            );
            Item::Unsupported {
                what: format!(
                    "the canonical built-in `{}` (component-model async or threads)",
                    builtin_name(&other)
                ),
                sort: Sort::CoreFunc,
                checks_may_leave,
            }
        }
    };
    b.items.push(item);
    Ok(())
}

/// A built-in's name (its variant's), for messages only.
fn builtin_name(f: &CanonicalFunction) -> String {
    let name = format!("{f:?}");
    name.split([' ', '{', '(']).next().unwrap_or("").to_string()
}

/// Which end a future or stream built-in works on (for `{future,stream}.new`: the
/// readable end of a future or stream).
fn end_kind(f: &CanonicalFunction) -> tether_abi::EndKind {
    use CanonicalFunction as F;
    tether_abi::EndKind {
        future: matches!(
            f,
            F::FutureNew { .. }
                | F::FutureRead { .. }
                | F::FutureWrite { .. }
                | F::FutureCancelRead { .. }
                | F::FutureCancelWrite { .. }
                | F::FutureDropReadable { .. }
                | F::FutureDropWritable { .. }
        ),
        readable: !matches!(
            f,
            F::FutureWrite { .. }
                | F::FutureCancelWrite { .. }
                | F::FutureDropWritable { .. }
                | F::StreamWrite { .. }
                | F::StreamCancelWrite { .. }
                | F::StreamDropWritable { .. }
        ),
    }
}

/// The signature whose one parameter is the future or stream type at component type index
/// `ty`: its element type, and the resource types in it.
fn end_sig(types: &wasmparser::types::TypesRef<'_>, ty: u32) -> Result<Arc<FuncSig>> {
    let ty =
        wasmparser::component_types::ComponentValType::Type(types.component_defined_type_at(ty));
    Ok(Arc::new(TypeCx::new(types).task_return_sig(Some(&ty))?))
}

fn unsupported(what: String, sort: Sort) -> Item {
    Item::Unsupported {
        what,
        sort,
        checks_may_leave: true,
    }
}

/// The reason a signature could not be converted, without the `unsupported: ` prefix.
fn unsupported_reason(e: anyhow::Error) -> String {
    let msg = e.to_string();
    msg.strip_prefix("unsupported: ")
        .unwrap_or(&msg)
        .to_string()
}

/// Reads canonical options; an option Tether does not support yet is returned as an error
/// naming it.
fn opts(options: &[CanonicalOption]) -> std::result::Result<CanonOpts, &'static str> {
    let mut o = CanonOpts {
        encoding: tether_abi::StringEncoding::Utf8,
        memory: None,
        realloc: None,
        post_return: None,
        async_: false,
        callback: None,
    };
    for opt in options {
        match *opt {
            CanonicalOption::UTF8 => o.encoding = tether_abi::StringEncoding::Utf8,
            CanonicalOption::UTF16 => o.encoding = tether_abi::StringEncoding::Utf16,
            CanonicalOption::CompactUTF16 => o.encoding = tether_abi::StringEncoding::Latin1Utf16,
            CanonicalOption::Memory(m) => o.memory = Some(m),
            CanonicalOption::Realloc(f) => o.realloc = Some(f),
            CanonicalOption::PostReturn(f) => o.post_return = Some(f),
            CanonicalOption::Async => o.async_ = true,
            CanonicalOption::Callback(f) => o.callback = Some(f),
            CanonicalOption::CoreType(_) | CanonicalOption::Gc => {
                return Err("the GC canonical ABI (`gc` and `core-type` options)");
            }
        }
    }
    Ok(o)
}
