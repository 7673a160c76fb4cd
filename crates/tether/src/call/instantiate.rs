//! Instantiation: walking a component's initializers in order and filling the index spaces
//! of one instance.

use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use wasmparser::component_types::ResourceId;
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType};
use wasmparser::types::Types;
use wasmparser::{ComponentExternalKind, ComponentOuterAliasKind, ExternalKind};

use super::Wt;
use super::async_builtins::BuiltinCall;
use super::copy::{CopyOpts, EndOp};
use super::func_def::Pending;
use super::func_def::{FuncDef, LazyFrame, LiftKind, LiftedFunc, Spaces, any_guest_resource};
use super::shared::SharedFuncs;
use super::slots::Place;
use crate::plan::spaces::CoreExportAt;
use crate::plan::translate::{Builtin, CanonOpts, ComponentDef, Item, Sort};
use crate::state::runtime::{Dtor, InstanceId, ResourceTypeInfo};

/// An item of a component instance, as its exports and an instantiation's arguments hold it.
#[derive(Clone)]
pub(crate) enum Export {
    Func(FuncDef),
    Instance(Arc<Exports>),
    Module(wasmtime::Module),
    Component(ComponentClosure),
    /// A type: a resource's store-level type, or `None` for any other type.
    Type(Option<u32>),
}

impl Export {
    pub fn kind(&self) -> &'static str {
        match self {
            Export::Func(_) => "func",
            Export::Instance(_) => "instance",
            Export::Module(_) => "module",
            Export::Component(_) => "component",
            Export::Type(_) => "type",
        }
    }
}

/// A component instance's exports, by name, in order.
#[derive(Default)]
pub(crate) struct Exports {
    pub items: Vec<(Arc<str>, Export)>,
}

impl Exports {
    pub fn get(&self, name: &str) -> Option<&Export> {
        self.items
            .iter()
            .find(|(n, _)| **n == *name)
            .map(|(_, e)| e)
    }

    /// The export `name`, looked for first at position `at`, where an instance made for
    /// a type with the same exports in the same order has it.
    pub fn get_at(&self, name: &str, at: usize) -> Option<&Export> {
        match self.items.get(at) {
            Some((n, e)) if **n == *name => Some(e),
            _ => self.get(name),
        }
    }
}

/// A component together with the enclosing components' modules and components that its
/// `alias outer` definitions may refer to.
#[derive(Clone)]
pub(crate) struct ComponentClosure {
    pub def: Arc<ComponentDef>,
    pub outer: Option<Arc<Env>>,
}

/// A snapshot of an enclosing component's module and component spaces.
pub(crate) struct Env {
    modules: Vec<wasmtime::Module>,
    components: Vec<ComponentClosure>,
    parent: Option<Arc<Env>>,
}

/// A core instance: a module's, or a bundle of core items (`CoreInstanceFromExports`) with
/// the names its definition gives them.
enum CoreInstance<'d> {
    Wasm(wasmtime::Instance),
    Bag(&'d [(String, ExternalKind, u32)], Vec<wasmtime::Extern>),
}

/// The index spaces of one component instance under construction.
struct Frame<'d> {
    def: &'d ComponentDef,
    outer: Option<Arc<Env>>,
    instance: InstanceId,
    core_funcs: Vec<wasmtime::Func>,
    core_tables: Vec<wasmtime::Table>,
    core_memories: Vec<wasmtime::Memory>,
    /// Whether each of `core_memories` is 64-bit (which the canonical ABI here is not).
    core_memories_64: Vec<bool>,
    core_globals: Vec<wasmtime::Global>,
    core_tags: Vec<wasmtime::Tag>,
    core_modules: Vec<wasmtime::Module>,
    core_instances: Vec<CoreInstance<'d>>,
    funcs: Vec<FuncDef>,
    instances: Vec<Arc<Exports>>,
    components: Vec<ComponentClosure>,
    bindings: crate::state::runtime::FastMap<ResourceId, u32>,
    exports: Exports,
    /// The frame number this instance's lazy slots name, once it has one.
    lazy_frame: Option<u32>,
    /// The lazy slots (item, slot) not resolved yet, which resolve against this instance's
    /// index spaces when instantiation is over, or at once before guest code may run.
    lazy: Vec<(u32, u32)>,
}

impl Frame<'_> {
    fn spaces(&self) -> Spaces<'_> {
        Spaces {
            instance: self.instance,
            funcs: &self.funcs,
            core_funcs: &self.core_funcs,
            core_memories: &self.core_memories,
            bindings: &self.bindings,
        }
    }
}

/// The items that fill a component's imports.
pub(crate) enum Args<'a> {
    /// One per import, in the order of [`ComponentDef::imports`].
    Ordered(Vec<Export>),
    /// By name, as an `instantiate` of a nested component gives them.
    Named(Vec<(&'a str, Export)>),
}

impl Args<'_> {
    fn get(&self, name: &str, index: u32) -> Option<&Export> {
        match self {
            Args::Ordered(items) => items.get(index as usize),
            Args::Named(items) => items.iter().find(|(n, _)| *n == name).map(|(_, e)| e),
        }
    }
}

/// Instantiates `closure` with `args` as its imports, inside `parent`.
///
/// With `shared`, the core functions of lowered imports and resource intrinsics come from the
/// set an `InstancePre` shares across stores where the store has not used them yet.
pub(crate) fn instantiate<T: 'static>(
    store: &mut Wt<'_, T>,
    closure: &ComponentClosure,
    args: &Args<'_>,
    parent: Option<InstanceId>,
    shared: Option<&SharedFuncs<T>>,
) -> Result<(Arc<Exports>, InstanceId)> {
    let def = &*closure.def;
    let shared = shared.and_then(|s| Some((s, s.base(def)?)));
    let instance = store.data_mut().rt.new_instance(parent);
    let n = def.sizes;
    let mut f = Frame {
        def,
        outer: closure.outer.clone(),
        instance,
        core_funcs: Vec::with_capacity(n.core_funcs),
        core_tables: Vec::with_capacity(n.core_tables),
        core_memories: Vec::with_capacity(n.core_memories),
        core_memories_64: Vec::with_capacity(n.core_memories),
        core_globals: Vec::with_capacity(n.core_globals),
        core_tags: Vec::with_capacity(n.core_tags),
        core_modules: Vec::with_capacity(n.core_modules),
        core_instances: Vec::with_capacity(n.core_instances),
        funcs: Vec::with_capacity(n.funcs),
        instances: Vec::with_capacity(n.instances),
        components: Vec::with_capacity(n.components),
        bindings: Default::default(),
        exports: Exports {
            items: Vec::with_capacity(n.exports),
        },
        lazy_frame: None,
        lazy: Vec::new(),
    };
    for (i, item) in def.items.iter().enumerate() {
        let shared = shared.map(|(s, base)| (s, base + i as u32));
        step(store, &mut f, i as u32, item, args, shared)?;
    }
    store.data_mut().rt.instances[instance as usize].ready = true;
    if let Some(frame) = f.lazy_frame
        && !f.lazy.is_empty()
    {
        let spaces = LazyFrame {
            def: closure.def.clone(),
            instance,
            funcs: f.funcs,
            core_funcs: f.core_funcs,
            core_memories: f.core_memories,
            bindings: f.bindings,
        };
        store.data_mut().shared.publish(frame, Arc::new(spaces));
    }
    Ok((Arc::new(f.exports), instance))
}

/// Resolves the lazy slots of `f` now, before guest code runs that might call them: their
/// frame is kept only when instantiation is over.
fn resolve_lazy_now<T: 'static>(
    store: &mut Wt<'_, T>,
    f: &mut Frame<'_>,
    shared: Option<(&SharedFuncs<T>, u32)>,
) -> Result<()> {
    let Some((s, _)) = shared else {
        return Ok(());
    };
    for (item, slot) in std::mem::take(&mut f.lazy) {
        let lowered = f.spaces().lowered_item(f.def, &store.data().rt, item)?;
        store
            .data_mut()
            .shared
            .replace_pending(s.id(), slot, Pending::Lower(lowered));
    }
    Ok(())
}

/// Runs one initializer; `shared` is the shared function set and this item's slot in it.
fn step<'d, T: 'static>(
    store: &mut Wt<'_, T>,
    f: &mut Frame<'d>,
    index: u32,
    item: &'d Item,
    args: &Args<'_>,
    shared: Option<(&SharedFuncs<T>, u32)>,
) -> Result<()> {
    let def = f.def;
    match item {
        Item::CoreModule(i) => f.core_modules.push(def.modules[*i].clone()),
        Item::CoreInstantiate {
            module,
            args: margs,
            imports: planned,
            may_run,
        } => {
            if *may_run {
                resolve_lazy_now(store, f, shared)?;
            }
            let module = &f.core_modules[*module as usize];
            let mut imports = Vec::with_capacity(module.imports().len());
            match planned {
                Some(planned) => {
                    for import in planned.iter() {
                        let inst = &f.core_instances[import.instance as usize];
                        let ext = core_export(store, inst, &import.name, &import.at).ok_or_else(
                            || anyhow!("module import `{}` not defined", import.name),
                        )?;
                        imports.push(ext);
                    }
                }
                // A module known only now (imported or aliased): its imports by name.
                None => {
                    for import in module.imports() {
                        let Some((_, inst)) = margs.iter().find(|(n, _)| n == import.module())
                        else {
                            bail!(
                                "module import `{}::{}` not defined",
                                import.module(),
                                import.name()
                            );
                        };
                        let inst = &f.core_instances[*inst as usize];
                        let ext = core_export(store, inst, import.name(), &CoreExportAt::ByName)
                            .ok_or_else(|| {
                                anyhow!("module import `{}` not defined", import.name())
                            })?;
                        imports.push(ext);
                    }
                }
            }
            let inst = wasmtime::Instance::new(&mut *store, module, &imports)
                .map_err(crate::call::error::from_core)?;
            f.core_instances.push(CoreInstance::Wasm(inst));
        }
        Item::CoreInstanceFromExports(exports) => {
            let mut bag = Vec::with_capacity(exports.len());
            for (_, kind, index) in exports {
                let i = *index as usize;
                let ext: wasmtime::Extern = match kind {
                    ExternalKind::Func | ExternalKind::FuncExact => f.core_funcs[i].into(),
                    ExternalKind::Table => f.core_tables[i].into(),
                    ExternalKind::Memory => f.core_memories[i].into(),
                    ExternalKind::Global => f.core_globals[i].into(),
                    ExternalKind::Tag => f.core_tags[i].into(),
                };
                bag.push(ext);
            }
            f.core_instances.push(CoreInstance::Bag(exports, bag));
        }
        Item::Component(i) => {
            let env = Arc::new(Env {
                modules: f.core_modules.clone(),
                components: f.components.clone(),
                parent: f.outer.clone(),
            });
            f.components.push(ComponentClosure {
                def: def.components[*i].clone(),
                outer: Some(env),
            });
        }
        Item::Instantiate {
            component,
            args: cargs,
            instance_index,
        } => {
            // The child cannot reach this instance's core code (and so its lazy slots)
            // while it is made: this instance is not ready, and a call into it traps.
            let closure = f.components[*component as usize].clone();
            let mut child_args = Vec::with_capacity(cargs.len());
            for (name, kind, index) in cargs {
                child_args.push((name.as_str(), item_of(f, *kind, *index)?));
            }
            let (exports, _) = instantiate(
                store,
                &closure,
                &Args::Named(child_args),
                Some(f.instance),
                shared.map(|(s, _)| s),
            )?;
            // Bind the resource types the parent's view of this instance mentions.
            let ty = def.types.component_instance_at(*instance_index);
            bind_instance(&def.types, ty, &exports, &mut f.bindings);
            f.instances.push(exports);
        }
        Item::InstanceFromExports { exports } => {
            let mut bag = Exports::default();
            for (name, kind, index) in exports {
                bag.items.push((name.clone(), item_of(f, *kind, *index)?));
            }
            f.instances.push(Arc::new(bag));
        }
        Item::AliasExport {
            kind,
            instance,
            name,
            at,
        } => {
            let e = f.instances[*instance as usize]
                .get_at(name, *at as usize)
                .ok_or_else(|| anyhow!("instance has no export `{name}`"))?
                .clone();
            push_item(f, *kind, e)?;
        }
        Item::AliasCoreExport {
            kind,
            instance,
            name,
            at,
        } => {
            let inst = &f.core_instances[*instance as usize];
            let ext = core_export(store, inst, name, at)
                .ok_or_else(|| anyhow!("core instance has no export `{name}`"))?;
            match (kind, ext) {
                (ExternalKind::Func | ExternalKind::FuncExact, wasmtime::Extern::Func(x)) => {
                    f.core_funcs.push(x)
                }
                (ExternalKind::Table, wasmtime::Extern::Table(x)) => f.core_tables.push(x),
                (ExternalKind::Memory, wasmtime::Extern::Memory(x)) => {
                    f.core_memories_64.push(x.ty(&*store).is_64());
                    f.core_memories.push(x)
                }
                (ExternalKind::Global, wasmtime::Extern::Global(x)) => f.core_globals.push(x),
                (ExternalKind::Tag, wasmtime::Extern::Tag(x)) => f.core_tags.push(x),
                (ExternalKind::Memory, wasmtime::Extern::SharedMemory(_)) => {
                    bail!("unsupported: shared memories in components")
                }
                (kind, _) => bail!("core export `{name}` is not a {kind:?}"),
            }
        }
        Item::AliasOuter { kind, count, index } => {
            let i = *index as usize;
            if *count == 0 {
                match kind {
                    ComponentOuterAliasKind::CoreModule => {
                        f.core_modules.push(f.core_modules[i].clone())
                    }
                    ComponentOuterAliasKind::Component => {
                        f.components.push(f.components[i].clone())
                    }
                    _ => {}
                }
            } else {
                let mut env = f
                    .outer
                    .clone()
                    .ok_or_else(|| anyhow!("internal error: outer alias at the root"))?;
                for _ in 1..*count {
                    env = env
                        .parent
                        .clone()
                        .ok_or_else(|| anyhow!("internal error: outer alias too deep"))?;
                }
                match kind {
                    ComponentOuterAliasKind::CoreModule => {
                        f.core_modules.push(env.modules[i].clone())
                    }
                    ComponentOuterAliasKind::Component => {
                        f.components.push(env.components[i].clone())
                    }
                    _ => {}
                }
            }
        }
        Item::ResourceType(r) => {
            let data = store.data_mut();
            let dtor = r.dtor.map(|d| {
                data.guest_dtors.push(f.core_funcs[d as usize]);
                Dtor::Guest((data.guest_dtors.len() - 1) as u32)
            });
            let rt = &mut data.rt;
            rt.resource_types.push(ResourceTypeInfo {
                implementer: Some(f.instance),
                dtor,
                objects: false,
                name: None,
                quota: None,
                live: 0,
                rust_type: None,
            });
            f.bindings
                .insert(r.id, (rt.resource_types.len() - 1) as u32);
        }
        Item::Import {
            name,
            index,
            kind,
            ty,
        } => {
            let e = args
                .get(name, *index)
                .ok_or_else(|| anyhow!("import `{name}` was not supplied"))?
                .clone();
            bind_entity(&def.types, *ty, &e, &mut f.bindings);
            push_item(f, *kind, e)?;
        }
        Item::Export { name, kind, index } => {
            let e = item_of(f, *kind, *index)?;
            f.exports.items.push((name.clone(), e.clone()));
            push_item(f, *kind, e)?;
        }
        Item::Lift {
            core_func,
            sig,
            opts,
            ft_async,
        } => {
            let core = f.core_funcs[*core_func as usize];
            check_memory(f, opts)?;
            let spaces = f.spaces();
            let (kind, callback) = match (opts.callback, *ft_async) {
                (Some(cb), _) => (
                    LiftKind::Callback,
                    Some(
                        *f.core_funcs
                            .get(cb as usize)
                            .ok_or_else(|| anyhow!("internal error: no core function {cb}"))?,
                    ),
                ),
                (None, true) => (LiftKind::SyncAsyncTyped, None),
                (None, false) => (LiftKind::Sync, None),
            };
            let opts = spaces.opts(opts)?;
            let resources = spaces.resources(&sig.resources)?;
            let guest_resources = any_guest_resource(&store.data().rt, &resources);
            f.funcs.push(FuncDef::Lifted(Arc::new(LiftedFunc {
                core,
                kind,
                callback,
                sig: sig.clone(),
                opts,
                instance: f.instance,
                resources,
                guest_resources,
            })));
        }
        Item::Lower {
            func,
            sig,
            opts,
            core_ty,
            ft_async,
        } => {
            check_memory(f, opts)?;
            let mut core = None;
            if let Some((s, slot)) = shared {
                let frame = match f.lazy_frame {
                    Some(frame) => frame,
                    None => *f.lazy_frame.insert(store.data_mut().shared.reserve_frame()),
                };
                let lazy = Pending::Lazy { frame, item: index };
                if let Some(func) = s.defer(store, slot, lazy) {
                    f.lazy.push((index, slot));
                    core = Some(func);
                }
            }
            let core = match core {
                Some(core) => core,
                None => {
                    let lowered =
                        f.spaces()
                            .lowered(&store.data().rt, *func, sig, opts, *ft_async)?;
                    crate::call::lower::make_lowered(store, Place::Own, core_ty, lowered)
                }
            };
            f.core_funcs.push(core);
        }
        Item::ResourceIntrinsic {
            op,
            type_index,
            core_ty,
        } => {
            let id = match def.types.component_any_type_at(*type_index) {
                ComponentAnyTypeId::Resource(r) => r.resource(),
                _ => bail!("internal error: type {type_index} is not a resource"),
            };
            let rt = *f
                .bindings
                .get(&id)
                .ok_or_else(|| anyhow!("internal error: unbound resource type {type_index}"))?;
            let pending = Pending::Intrinsic {
                op: *op,
                rt,
                instance: f.instance,
            };
            let core = match shared.and_then(|(s, slot)| s.defer(store, slot, pending)) {
                Some(core) => core,
                None => crate::call::builtins::make_resource_intrinsic(
                    store,
                    Place::Own,
                    core_ty,
                    *op,
                    rt,
                    f.instance,
                ),
            };
            f.core_funcs.push(core);
        }
        Item::Builtin(op) => {
            let index = f.core_funcs.len() as u32;
            let op = match op {
                Builtin::TaskReturn { sig, opts } => {
                    check_memory(f, opts)?;
                    let spaces = f.spaces();
                    BuiltinCall::TaskReturn {
                        resources: spaces.resources(&sig.resources)?,
                        sig: sig.clone(),
                        opts: spaces.opts(opts)?,
                    }
                }
                Builtin::WaitableSetEvent { wait, memory } => {
                    if f.core_memories_64
                        .get(*memory as usize)
                        .copied()
                        .unwrap_or(false)
                    {
                        bail!("unsupported: 64-bit memories in the canonical ABI");
                    }
                    BuiltinCall::WaitableSetEvent {
                        wait: *wait,
                        memory: *f
                            .core_memories
                            .get(*memory as usize)
                            .ok_or_else(|| anyhow!("internal error: no core memory {memory}"))?,
                    }
                }
                Builtin::EndNew { sig } => end_builtin(f, sig, None, EndOp::New)?,
                Builtin::Copy { end, sig, opts } => {
                    check_memory(f, opts)?;
                    let resources: Arc<[u32]> = f.spaces().resources(&sig.resources)?.into();
                    let key = store.data().copy_opts.len() as u32;
                    let copy = CopyOpts {
                        opts: f.spaces().opts(opts)?,
                        instance: f.instance,
                        resources,
                    };
                    store.data_mut().copy_opts.push(Arc::new(copy));
                    let op = EndOp::Copy {
                        key,
                        async_: opts.async_,
                    };
                    end_builtin(f, sig, Some(*end), op)?
                }
                Builtin::CancelCopy { end, sig, async_ } => {
                    end_builtin(f, sig, Some(*end), EndOp::Cancel { async_: *async_ })?
                }
                Builtin::DropEnd { end, sig } => end_builtin(f, sig, Some(*end), EndOp::Drop)?,
                Builtin::ErrorContextNew { opts } | Builtin::ErrorContextDebugMessage { opts } => {
                    check_memory(f, opts)?;
                    BuiltinCall::ErrorContext {
                        debug: matches!(op, Builtin::ErrorContextDebugMessage { .. }),
                        opts: f.spaces().opts(opts)?,
                    }
                }
                other => BuiltinCall::Plain(other.clone()),
            };
            let core = crate::call::async_builtins::make_builtin(
                store, &def.types, index, op, f.instance,
            )?;
            f.core_funcs.push(core);
        }
        Item::Unsupported {
            what,
            sort: Sort::Func,
            ..
        } => f.funcs.push(FuncDef::Unsupported(what.as_str().into())),
        Item::Unsupported {
            what,
            sort: Sort::CoreFunc,
            checks_may_leave,
        } => {
            let index = f.core_funcs.len() as u32;
            let core = crate::call::builtins::make_unsupported(
                store,
                &def.types,
                index,
                what,
                *checks_may_leave,
                f.instance,
            )?;
            f.core_funcs.push(core);
        }
    }
    Ok(())
}

/// The export `name` of a core instance, at `at` where translation found it.
fn core_export<T>(
    store: &mut Wt<'_, T>,
    inst: &CoreInstance<'_>,
    name: &str,
    at: &CoreExportAt,
) -> Option<wasmtime::Extern> {
    match (inst, at) {
        (CoreInstance::Bag(_, externs), CoreExportAt::Bag(pos)) => {
            externs.get(*pos as usize).cloned()
        }
        (CoreInstance::Wasm(i), CoreExportAt::Module(e)) => i.get_module_export(&mut *store, e),
        (CoreInstance::Wasm(i), _) => i.get_export(&mut *store, name),
        (CoreInstance::Bag(names, externs), _) => names
            .iter()
            .position(|(n, _, _)| n == name)
            .and_then(|pos| externs.get(pos).cloned()),
    }
}

/// The item at `index` of the `kind` index space.
fn item_of(f: &Frame<'_>, kind: ComponentExternalKind, index: u32) -> Result<Export> {
    let i = index as usize;
    Ok(match kind {
        ComponentExternalKind::Func => Export::Func(f.funcs[i].clone()),
        ComponentExternalKind::Instance => Export::Instance(f.instances[i].clone()),
        ComponentExternalKind::Module => Export::Module(f.core_modules[i].clone()),
        ComponentExternalKind::Component => Export::Component(f.components[i].clone()),
        ComponentExternalKind::Type => {
            let rt = match f.def.types.component_any_type_at(index) {
                ComponentAnyTypeId::Resource(r) => f.bindings.get(&r.resource()).copied(),
                _ => None,
            };
            Export::Type(rt)
        }
        ComponentExternalKind::Value => bail!("unsupported: component values"),
    })
}

/// Appends an item to the `kind` index space.
fn push_item(f: &mut Frame<'_>, kind: ComponentExternalKind, e: Export) -> Result<()> {
    match (kind, e) {
        (ComponentExternalKind::Func, Export::Func(x)) => f.funcs.push(x),
        (ComponentExternalKind::Instance, Export::Instance(x)) => f.instances.push(x),
        (ComponentExternalKind::Module, Export::Module(x)) => f.core_modules.push(x),
        (ComponentExternalKind::Component, Export::Component(x)) => f.components.push(x),
        (ComponentExternalKind::Type, Export::Type(_)) => {}
        (ComponentExternalKind::Value, _) => bail!("unsupported: component values"),
        (kind, e) => bail!("expected {} found {}", kind_name(kind), e.kind()),
    }
    Ok(())
}

pub(crate) fn kind_name(kind: ComponentExternalKind) -> &'static str {
    match kind {
        ComponentExternalKind::Func => "func",
        ComponentExternalKind::Instance => "instance",
        ComponentExternalKind::Module => "module",
        ComponentExternalKind::Component => "component",
        ComponentExternalKind::Type => "type",
        ComponentExternalKind::Value => "value",
    }
}

/// Binds the resource ids that an entity's type mentions to the store-level resource types
/// of the item that fills it.
pub(crate) fn bind_entity(
    types: &Types,
    ty: ComponentEntityType,
    e: &Export,
    bindings: &mut crate::state::runtime::FastMap<ResourceId, u32>,
) {
    match (ty, e) {
        (
            ComponentEntityType::Type {
                referenced,
                created,
            },
            Export::Type(Some(rt)),
        ) => {
            for id in [referenced, created] {
                if let ComponentAnyTypeId::Resource(r) = id {
                    bindings.insert(r.resource(), *rt);
                }
            }
        }
        (ComponentEntityType::Instance(id), Export::Instance(exports)) => {
            bind_instance(types, id, exports, bindings)
        }
        _ => {}
    }
}

fn bind_instance(
    types: &Types,
    id: wasmparser::component_types::ComponentInstanceTypeId,
    exports: &Exports,
    bindings: &mut crate::state::runtime::FastMap<ResourceId, u32>,
) {
    for (i, (name, item)) in types[id].exports.iter().enumerate() {
        // Only types and instances bind anything: skip the lookup for the rest (most of an
        // interface's exports are functions).
        if !matches!(
            item.ty,
            ComponentEntityType::Type { .. } | ComponentEntityType::Instance(_)
        ) {
            continue;
        }
        if let Some(e) = exports.get_at(name, i) {
            bind_entity(types, item.ty, e, bindings);
        }
    }
}

/// Refuses canonical options naming a 64-bit memory.
fn check_memory(f: &Frame<'_>, o: &CanonOpts) -> Result<()> {
    if let Some(m) = o.memory
        && f.core_memories_64.get(m as usize).copied().unwrap_or(false)
    {
        bail!("unsupported: 64-bit memories in the canonical ABI");
    }
    Ok(())
}

/// The call of a future or stream built-in whose type is `sig`'s one parameter; `end` is
/// its end kind (`None` for `{future,stream}.new`, which names no end).
fn end_builtin(
    f: &Frame<'_>,
    sig: &crate::plan::types::FuncSig,
    end: Option<tether_abi::EndKind>,
    op: EndOp,
) -> Result<BuiltinCall> {
    let Some(ty) = sig.params.first() else {
        bail!("internal error: a future or stream built-in without its type");
    };
    let future = matches!(ty, tether_abi::Type::Future(_));
    Ok(BuiltinCall::End {
        end: end.unwrap_or(tether_abi::EndKind {
            future,
            readable: true,
        }),
        op,
        ty: ty.clone(),
        resources: f.spaces().resources(&sig.resources)?.into(),
    })
}
