//! Linking a component against a linker's definitions once ([`InstancePre`]): every import
//! resolved and type-checked, host resource types bound and checked against the Rust types
//! of typed host functions, before any store is involved.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::{Result, bail};
use wasmparser::component_types::ComponentEntityType;
use wasmparser::types::Types;

use super::*;
use crate::call::shared::SharedFuncs;

/// What one import (or one export of an imported instance) is linked to, worked out once by
/// [`Linker::instantiate_pre`]: the definition, and for an instance the same for each export
/// its type lists, in the type's order.
pub(super) struct Linked<T: 'static> {
    pub name: Arc<str>,
    pub ty: ComponentEntityType,
    pub to: LinkedTo<T>,
    /// For a host resource type, its full name: the interface it is imported through,
    /// without a version, and its own (`wasi:io/poll/pollable`).
    pub resource_name: Option<Arc<str>>,
}

pub(super) enum LinkedTo<T: 'static> {
    /// No definition: the import needs none (it is synthesized) or linking fails.
    Nothing,
    Definition(Definition<T>),
    /// A linker instance, one entry per export of the instance type.
    Instance(Vec<Linked<T>>),
}

impl<T: 'static> Linked<T> {
    /// What the import `name` of type `ty` is linked to; `parent` is the full name of the
    /// imported instance it is an export of, if any.
    pub fn new(
        types: &Types,
        parent: Option<&str>,
        name: &str,
        ty: ComponentEntityType,
        d: Option<&Definition<T>>,
    ) -> Self {
        let full = || match parent {
            Some(p) => format!("{p}/{name}"),
            None => unversioned(name).to_string(),
        };
        let mut resource_name = None;
        let to = match (ty, d) {
            (ComponentEntityType::Instance(id), Some(Definition::Instance(map))) => {
                let full = full();
                LinkedTo::Instance(
                    types[id]
                        .exports
                        .iter()
                        .map(|(ename, item)| {
                            Linked::new(types, Some(&full), ename, item.ty, map.get(ename))
                        })
                        .collect(),
                )
            }
            (_, Some(d)) => {
                if matches!(d, Definition::Resource(..) | Definition::Objects(..)) {
                    resource_name = Some(full().into());
                }
                LinkedTo::Definition(d.clone())
            }
            (_, None) => LinkedTo::Nothing,
        };
        Linked {
            name: name.into(),
            ty,
            to,
            resource_name,
        }
    }

    /// How many host functions the definitions hold.
    pub fn funcs(&self) -> usize {
        match &self.to {
            LinkedTo::Nothing => 0,
            LinkedTo::Definition(d) => d.funcs(),
            LinkedTo::Instance(items) => items.iter().map(Linked::funcs).sum(),
        }
    }
}

/// An import name without its version: `wasi:io/poll@0.2.3` is `wasi:io/poll`.
fn unversioned(name: &str) -> &str {
    name.split_once('@').map_or(name, |(n, _)| n)
}

/// Names the resource types a guest defines after the root component's exports: a type
/// exported by itself under its export name, one in an exported instance as the instance's
/// name, without a version, and its own (`my:app/store/handle`). The first name a type gets
/// stays.
fn name_exported_types(rt: &mut crate::state::runtime::Runtime, exports: &Exports) {
    let mut name = |t: u32, full: &dyn Fn() -> String| {
        if rt
            .resource_types
            .get(t as usize)
            .is_some_and(|info| info.implementer.is_some())
        {
            rt.name_type(t, || full().into());
        }
    };
    for (export, e) in &exports.items {
        match e {
            Export::Type(Some(t)) => name(*t, &|| export.to_string()),
            Export::Instance(inner) => {
                for (own, e) in &inner.items {
                    if let Export::Type(Some(t)) = e {
                        name(*t, &|| format!("{}/{own}", unversioned(export)));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Links a component's imports (`imports`, in order) in `store`, then instantiates it.
pub(super) fn link_and_instantiate<T: 'static>(
    store: &mut Wt<'_, T>,
    component: &Component,
    imports: &[Linked<T>],
    funcs: usize,
    shared: Option<&SharedFuncs<T>>,
) -> Result<Instance> {
    let def = component.def();
    if !wasmtime::Engine::same(&def.engine, store.engine()) {
        bail!(
            "the component was compiled with another engine than the store's: instantiate it in a store of the engine given to `Component::new`"
        );
    }
    let mut args = Vec::with_capacity(imports.len());
    let mut bound = Bound::default();
    // Room for the host functions the imports bring into a new store, at once.
    let data = store.data_mut();
    if data.host_funcs.is_empty() {
        data.host_funcs.reserve(funcs);
        data.host_func_ids.reserve(funcs);
    }
    for l in imports {
        let e = link_import(store, &def.types, l, &mut bound).map_err(|e| {
            let name = &l.name;
            e.context(format!("import `{name}` has the wrong type"))
        })?;
        args.push(e);
    }
    let closure = ComponentClosure {
        def: def.clone(),
        outer: None,
    };
    let args = crate::call::instantiate::Args::Ordered(args);
    let (exports, id) =
        crate::call::instantiate::instantiate(store, &closure, &args, None, shared)?;
    name_exported_types(&mut store.data_mut().rt, &exports);
    let store_id = store.data().rt.store_id;
    Ok(Instance {
        exports,
        id,
        store_id,
    })
}

/// Checks what can be checked of definition `d` against an import of type `ty` without a
/// store: the Rust types of typed host functions, in nested instances too.
pub(super) fn precheck<T>(
    types: &Types,
    name: &str,
    ty: ComponentEntityType,
    d: &Definition<T>,
    bound: &HostBound,
) -> Result<()> {
    match (ty, d) {
        (ComponentEntityType::Func(id), Definition::Func(f)) => {
            check_func(types, name, id, f, bound)
        }
        (ComponentEntityType::Instance(id), Definition::Instance(map)) => {
            for (ename, item) in types[id].exports.iter() {
                if let Some(d) = map.get(ename) {
                    precheck(types, ename, item.ty, d, bound)
                        .map_err(|e| e.context(format!("instance export `{ename}`")))?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Records the host resource type of each resource-type import (at the root, or an export of
/// an imported instance) that the definition `d` fills.
pub(super) fn bind_host_types<T>(
    types: &Types,
    ty: ComponentEntityType,
    d: &Definition<T>,
    bound: &mut HostBound,
) {
    match (ty, d) {
        (ComponentEntityType::Type { .. }, Definition::Objects(_, host, _))
        | (ComponentEntityType::Type { .. }, Definition::Resource(host, _)) => {
            if let Some((referenced, created)) = type_resource(ty) {
                bound.insert(referenced, *host);
                bound.insert(created, *host);
            }
        }
        (ComponentEntityType::Instance(id), Definition::Instance(map)) => {
            for (ename, item) in types[id].exports.iter() {
                if let Some(d) = map.get(ename) {
                    bind_host_types(types, item.ty, d, bound);
                }
            }
        }
        _ => {}
    }
}

/// Checks the typed handles (`Own<R>`, `Borrow<R>`) among the elements of `L`, standing for
/// `tys`, against the host resource types bound to the signature's resource types: a handle
/// to `R` where the import's resource is filled by another Rust type is refused. (Handles
/// nested inside records, lists and the like are checked when they are used: a handle
/// to an object of another type is an error then.)
pub(super) fn check_handles<L: crate::call::values::ComponentNamedList>(
    sig: &crate::plan::types::FuncSig,
    tys: &[tether_abi::Type],
    bound: &HostBound,
    what: &str,
) -> Result<()> {
    L::host_handles(tys, &mut |i, r, rust| {
        let nested = !matches!(
            tys.get(i),
            Some(tether_abi::Type::Own(_) | tether_abi::Type::Borrow(_))
        );
        let what = if nested {
            format!("a handle inside {what} {i}")
        } else {
            format!("{what} {i}")
        };
        check_handle(sig, r, rust, bound, &what)
    })
}

/// Checks that the resource type `r` of `sig`, where the Rust type `rust` stands for it, is
/// not bound to another host type.
pub(super) fn check_handle(
    sig: &crate::plan::types::FuncSig,
    r: tether_abi::ResourceIndex,
    rust: ResourceType,
    bound: &HostBound,
    what: &str,
) -> Result<()> {
    let host = sig.resources.get(r.0 as usize).and_then(|id| bound.get(id));
    match host {
        Some(host) if *host != rust => bail!(
            "{what} is a handle to `{}`, but the import's resource type is defined by the host as `{}`",
            rust.name(),
            host.name()
        ),
        _ => Ok(()),
    }
}

/// Checks a typed host function's Rust types against the function type `id`.
pub(super) fn check_func<T>(
    types: &Types,
    name: &str,
    id: wasmparser::component_types::ComponentFuncTypeId,
    f: &HostFuncDef<T>,
    bound: &HostBound,
) -> Result<()> {
    if let Some(check) = f.check {
        let types_ref = types.as_ref();
        let sig = crate::plan::types::TypeCx::new(&types_ref).func_sig(&types[id])?;
        check(&sig, bound).map_err(|e| {
            e.context(format!(
                "function `{name}` has the wrong type: expected `{}`",
                sig.describe()
            ))
        })?;
    }
    Ok(())
}

/// A component whose imports were checked against a linker, ready to instantiate many times.
pub struct InstancePre<T: 'static> {
    /// What each of the component's imports is linked to, in order.
    pub(super) imports: Vec<Linked<T>>,
    /// How many host functions those definitions hold.
    pub(super) funcs: usize,
    pub(super) component: Component,
    /// How many times this has instantiated.
    pub(super) uses: AtomicU32,
    /// The core functions its instances share, made at the second instantiation (so that
    /// `Linker::instantiate`, which instantiates once, does not pay for them); `None` if
    /// making them failed.
    pub(super) shared: OnceLock<Option<SharedFuncs<T>>>,
}

impl<T: 'static> InstancePre<T> {
    /// Instantiates the component in `store`.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let shared = if self.uses.fetch_add(1, Ordering::Relaxed) > 0 {
            self.shared
                .get_or_init(|| {
                    let engine = &self.component.def().engine;
                    SharedFuncs::new(engine, self.component.def()).ok()
                })
                .as_ref()
        } else {
            None
        };
        link_and_instantiate(
            &mut store.as_context_mut().0,
            &self.component,
            &self.imports,
            self.funcs,
            shared,
        )
    }
}
