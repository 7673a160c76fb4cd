//! [`Linker`]: the embedder's definitions, by name, that satisfy a component's imports.

use std::sync::Arc;

use anyhow::{Result, bail};
use wasmparser::component_types::ResourceId;

use crate::call::func_def::FuncDef;
use crate::call::instantiate::{ComponentClosure, Export, Exports};
use crate::call::store::{
    AsContextMut, DirectHostFn, HostDtor, HostFuncForms, RawHostFn, RawMethodFn, StoreContextMut,
};
use crate::engine::Engine;
use crate::host::use_lent;
use crate::instance::Instance;
use crate::plan::component::Component;
use crate::state::runtime::{Dtor, ResourceType};

mod define;
mod pre;
mod resolve;
mod typecheck;

pub use pre::InstancePre;
use pre::{Linked, LinkedTo, bind_host_types, check_handle, check_handles, precheck};
use resolve::{Bound, bind_resource, link_import, needs_definition, type_resource};
use typecheck::{check_item, check_module, entity_kind};

use crate::call::Wt;

/// The check of a typed host function's Rust types against an import's signature; `bound`
/// names the host resource type that fills each resource type of the signature, where the
/// linker knows it.
type SigCheck = fn(&crate::plan::types::FuncSig, bound: &HostBound) -> Result<()>;

/// The host resource types (`resource_host`, `resource`) that fill a component's imported
/// resource types, by `wasmparser` id: what [`Linker::instantiate_pre`] checks the Rust types
/// of typed handles against.
type HostBound = crate::state::runtime::FastMap<ResourceId, ResourceType>;

/// A host function: the `Val` form, the check of its Rust types, and its raw and direct
/// forms when its types allow them.
struct HostFuncDef<T: 'static> {
    /// The forms a store keeps (one shared allocation, registered with a store by address).
    forms: Arc<HostFuncForms<T>>,
    check: Option<SigCheck>,
}

impl<T> Clone for HostFuncDef<T> {
    fn clone(&self) -> Self {
        HostFuncDef {
            forms: self.forms.clone(),
            check: self.check,
        }
    }
}

enum Definition<T: 'static> {
    Func(HostFuncDef<T>),
    Instance(Map<T>),
    Module(wasmtime::Module),
    Resource(ResourceType, Arc<HostDtor<T>>),
    /// A resource type backed by host objects of a Rust type; the function marks and returns
    /// its store-level type.
    Objects(
        fn(&mut crate::state::runtime::Runtime) -> u32,
        ResourceType,
        Option<Arc<crate::call::store::ObjectDtor<T>>>,
    ),
    /// An export of an instance living in a store, defined with [`Linker::instance_exports`],
    /// and the id of that store: it fills imports in that store only.
    Item(Export, u64),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Func(f) => Definition::Func(f.clone()),
            Definition::Instance(m) => Definition::Instance(m.clone()),
            Definition::Module(m) => Definition::Module(m.clone()),
            Definition::Resource(t, d) => Definition::Resource(*t, d.clone()),
            Definition::Objects(f, t, d) => Definition::Objects(*f, *t, d.clone()),
            Definition::Item(e, s) => Definition::Item(e.clone(), *s),
        }
    }
}

impl<T> Definition<T> {
    /// How many host functions the definition holds.
    fn funcs(&self) -> usize {
        match self {
            Definition::Func(_) => 1,
            Definition::Instance(m) => m.items.iter().map(|(_, d)| d.funcs()).sum(),
            _ => 0,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Definition::Func(_) => "func",
            Definition::Instance(_) => "instance",
            Definition::Module(_) => "module",
            Definition::Resource(..) | Definition::Objects(..) => "resource",
            Definition::Item(e, _) => e.kind(),
        }
    }
}

struct Map<T: 'static> {
    items: Vec<(String, Definition<T>)>,
}

impl<T> Clone for Map<T> {
    fn clone(&self) -> Self {
        Map {
            items: self.items.clone(),
        }
    }
}

impl<T> Map<T> {
    fn new() -> Map<T> {
        Map { items: Vec::new() }
    }

    fn insert(&mut self, name: &str, d: Definition<T>, shadowing: bool) -> Result<()> {
        match self.items.iter_mut().find(|(n, _)| n == name) {
            Some(slot) if shadowing => slot.1 = d,
            Some(_) => bail!("`{name}` is already defined"),
            None => self.items.push((name.to_string(), d)),
        }
        Ok(())
    }

    /// Finds `name`, or a definition whose name differs from it only in a semver-compatible
    /// version (`wasi:io/streams@0.2.6` is satisfied by `wasi:io/streams@0.2.12`).
    fn get(&self, name: &str) -> Option<&Definition<T>> {
        if let Some((_, d)) = self.items.iter().find(|(n, _)| n == name) {
            return Some(d);
        }
        let (base, want) = split_version(name)?;
        self.items
            .iter()
            .filter_map(|(n, d)| {
                let (b, have) = split_version(n)?;
                (b == base && semver_compatible(&want, &have)).then_some((have, d))
            })
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, d)| d)
    }
}

fn split_version(name: &str) -> Option<(&str, semver::Version)> {
    let (base, v) = name.rsplit_once('@')?;
    Some((base, semver::Version::parse(v).ok()?))
}

/// Whether a definition at version `have` satisfies an import at version `want`: the same
/// major version (or, below 1.0, the same minor; below 0.1, the same patch), with no
/// pre-release tags.
fn semver_compatible(want: &semver::Version, have: &semver::Version) -> bool {
    if !want.pre.is_empty() || !have.pre.is_empty() {
        return want == have;
    }
    if want.major != 0 {
        want.major == have.major
    } else if want.minor != 0 {
        have.major == 0 && want.minor == have.minor
    } else {
        have.major == 0 && have.minor == 0 && want.patch == have.patch
    }
}

/// Definitions of host functions, resources, modules and instances, by name, that a
/// component's imports are linked against.
///
/// ```
/// use tether::{Component, Engine, Linker, Store, Val};
///
/// let engine = Engine::default();
/// let component = Component::new(&engine, r#"
///     (component
///       (import "double" (func $double (param "x" u32) (result u32)))
///       (core func $d (canon lower (func $double)))
///       (core module $m
///         (import "" "double" (func $double (param i32) (result i32)))
///         (func (export "run") (result i32) (call $double (i32.const 21))))
///       (core instance $i (instantiate $m (with "" (instance (export "double" (func $d))))))
///       (func (export "run") (result u32) (canon lift (core func $i "run"))))
/// "#)?;
/// let mut linker = Linker::<()>::new(&engine);
/// linker.root().func_new("double", |_store, params, results| {
///     let Val::U32(x) = params[0] else { anyhow::bail!("expected a u32") };
///     results[0] = Val::U32(x * 2);
///     Ok(())
/// })?;
/// let mut store = Store::new(&engine, ());
/// let instance = linker.instantiate(&mut store, &component)?;
/// let run = instance.get_func(&mut store, "run").unwrap();
/// let mut results = [Val::U32(0)];
/// run.call(&mut store, &[], &mut results)?;
/// assert_eq!(results[0], Val::U32(42));
/// # anyhow::Ok(())
/// ```
pub struct Linker<T: 'static> {
    engine: Engine,
    root: Map<T>,
    shadowing: bool,
}

/// The definitions inside one named instance of a [`Linker`] (or its root).
pub struct LinkerInstance<'a, T: 'static> {
    map: &'a mut Map<T>,
    shadowing: bool,
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            root: Map::new(),
            shadowing: false,
        }
    }

    /// Whether defining a name twice replaces the first definition (`true`) or is an error
    /// (`false`, the default).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.shadowing = allow;
        self
    }

    /// The engine this linker links for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The root: definitions that satisfy imports by their plain name.
    pub fn root(&mut self) -> LinkerInstance<'_, T> {
        LinkerInstance {
            map: &mut self.root,
            shadowing: self.shadowing,
        }
    }

    /// The instance `name` at the root, created if absent.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        LinkerInstance::instance_in(&mut self.root, name, self.shadowing)
    }

    /// Defines `name` as an instance holding every export of `instance`, which lives in a
    /// store: the instance can then only be linked into that store.
    pub fn instance_exports(&mut self, name: &str, instance: &Instance) -> Result<()> {
        self.root.insert(
            name,
            Definition::Item(
                Export::Instance(instance.exports.clone()),
                instance.store_id,
            ),
            self.shadowing,
        )
    }

    /// Instantiates `component` in `store`, linking its imports against this linker.
    pub fn instantiate(
        &self,
        store: impl AsContextMut<Data = T>,
        component: &Component,
    ) -> Result<Instance> {
        self.instantiate_pre(component)?.instantiate(store)
    }

    /// Checks `component`'s imports against this linker once, for instantiating it many times:
    /// the definitions are looked up and the typed host functions' Rust types checked here,
    /// so that [`InstancePre::instantiate`] only does the work of each instance.
    pub fn instantiate_pre(&self, component: &Component) -> Result<InstancePre<T>> {
        let def = component.def();
        let mut host_bound = HostBound::default();
        for (name, ty) in &def.imports {
            if let Some(d) = self.root.get(name) {
                bind_host_types(&def.types, *ty, d, &mut host_bound);
            }
        }
        let mut imports = Vec::with_capacity(def.imports.len());
        for (name, ty) in &def.imports {
            let d = self.root.get(name);
            match d {
                Some(d) => precheck(&def.types, name, *ty, d, &host_bound)
                    .map_err(|e| e.context(format!("import `{name}` has the wrong type")))?,
                None if needs_definition(&def.types, *ty, &Bound::default()) => {
                    bail!("import `{name}` has the wrong type: `{name}` was not found")
                }
                None => {}
            }
            imports.push(Linked::new(&def.types, None, name, *ty, d));
        }
        let funcs = imports.iter().map(Linked::funcs).sum();
        Ok(InstancePre {
            imports,
            funcs,
            component: component.clone(),
            uses: Default::default(),
            shared: Default::default(),
        })
    }
}
