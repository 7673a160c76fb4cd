//! [`Linker`]: the embedder's definitions, by name, that satisfy a component's imports.

use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use wasmparser::component_types::{
    ComponentAnyTypeId, ComponentCoreModuleTypeId, ComponentEntityType, ResourceId,
};
use wasmparser::types::{EntityType, Types};

use crate::component::Component;
use crate::engine::Engine;
use crate::func::FuncDef;
use crate::host::use_lent;
use crate::instance::{ComponentClosure, Export, Exports, Instance};
use crate::state::runtime::{Dtor, ResourceType};
use crate::store::{
    AsContextMut, DirectHostFn, HostDtor, HostFuncForms, RawHostFn, RawMethodFn, StoreContextMut,
    StoreData,
};

type Wt<'a, T> = wasmtime::StoreContextMut<'a, StoreData<T>>;

/// The check of a typed host function's Rust types against an import's signature; `bound`
/// names the host resource type that fills each resource type of the signature, where the
/// linker knows it.
type SigCheck = fn(&crate::types::FuncSig, bound: &HostBound) -> Result<()>;

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
        Option<Arc<crate::store::ObjectDtor<T>>>,
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
            imports.push(Linked::new(&def.types, name, *ty, d));
        }
        let funcs = imports.iter().map(Linked::funcs).sum();
        Ok(InstancePre {
            imports,
            funcs,
            component: component.clone(),
        })
    }
}

/// What one import (or one export of an imported instance) is linked to, worked out once by
/// [`Linker::instantiate_pre`]: the definition, and for an instance the same for each export
/// its type lists, in the type's order.
struct Linked<T: 'static> {
    name: Arc<str>,
    ty: ComponentEntityType,
    to: LinkedTo<T>,
}

enum LinkedTo<T: 'static> {
    /// No definition: the import needs none (it is synthesized) or linking fails.
    Nothing,
    Definition(Definition<T>),
    /// A linker instance, one entry per export of the instance type.
    Instance(Vec<Linked<T>>),
}

impl<T: 'static> Linked<T> {
    fn new(types: &Types, name: &str, ty: ComponentEntityType, d: Option<&Definition<T>>) -> Self {
        let to = match (ty, d) {
            (ComponentEntityType::Instance(id), Some(Definition::Instance(map))) => {
                LinkedTo::Instance(
                    types[id]
                        .exports
                        .iter()
                        .map(|(ename, item)| Linked::new(types, ename, item.ty, map.get(ename)))
                        .collect(),
                )
            }
            (_, Some(d)) => LinkedTo::Definition(d.clone()),
            (_, None) => LinkedTo::Nothing,
        };
        Linked {
            name: name.into(),
            ty,
            to,
        }
    }

    /// How many host functions the definitions hold.
    fn funcs(&self) -> usize {
        match &self.to {
            LinkedTo::Nothing => 0,
            LinkedTo::Definition(d) => d.funcs(),
            LinkedTo::Instance(items) => items.iter().map(Linked::funcs).sum(),
        }
    }
}

/// Links a component's imports (`imports`, in order) in `store`, then instantiates it.
fn link_and_instantiate<T: 'static>(
    store: &mut Wt<'_, T>,
    component: &Component,
    imports: &[Linked<T>],
    funcs: usize,
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
    let args = crate::instance::Args::Ordered(args);
    let (exports, id) = crate::instance::instantiate(store, &closure, &args, None)?;
    let store_id = store.data().rt.store_id;
    Ok(Instance {
        exports,
        id,
        store_id,
    })
}

/// Checks what can be checked of definition `d` against an import of type `ty` without a
/// store: the Rust types of typed host functions, in nested instances too.
fn precheck<T>(
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
fn bind_host_types<T>(
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
fn check_handles<L: crate::typed::ComponentNamedList>(
    sig: &crate::types::FuncSig,
    tys: &[tether_abi::Type],
    bound: &HostBound,
    what: &str,
) -> Result<()> {
    let mut rust = Vec::new();
    L::host_resources(&mut rust);
    for (i, (ty, rust)) in tys.iter().zip(rust).enumerate() {
        if let (tether_abi::Type::Own(r) | tether_abi::Type::Borrow(r), Some(rust)) = (ty, rust) {
            check_handle(sig, *r, rust, bound, &format!("{what} {i}"))?;
        }
    }
    Ok(())
}

/// Checks that the resource type `r` of `sig`, where the Rust type `rust` stands for it, is
/// not bound to another host type.
fn check_handle(
    sig: &crate::types::FuncSig,
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
fn check_func<T>(
    types: &Types,
    name: &str,
    id: wasmparser::component_types::ComponentFuncTypeId,
    f: &HostFuncDef<T>,
    bound: &HostBound,
) -> Result<()> {
    if let Some(check) = f.check {
        let types_ref = types.as_ref();
        let sig = crate::types::TypeCx::new(&types_ref).func_sig(&types[id])?;
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
    imports: Vec<Linked<T>>,
    /// How many host functions those definitions hold.
    funcs: usize,
    component: Component,
}

impl<T: 'static> InstancePre<T> {
    /// Instantiates the component in `store`.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        link_and_instantiate(
            &mut store.as_context_mut().0,
            &self.component,
            &self.imports,
            self.funcs,
        )
    }
}

impl<T: 'static> LinkerInstance<'_, T> {
    /// Defines a host function taking and returning dynamically typed values.
    ///
    /// The function receives the arguments in `params` and writes its results into
    /// `results`, which has one slot per result. Returning an error traps the calling guest.
    pub fn func_new(
        &mut self,
        name: &str,
        f: impl Fn(StoreContextMut<'_, T>, &[crate::Val], &mut [crate::Val]) -> Result<()>
        + Send
        + Sync
        + 'static,
    ) -> Result<()> {
        self.map.insert(
            name,
            Definition::Func(HostFuncDef {
                forms: Arc::new(HostFuncForms {
                    dynamic: Arc::new(f),
                    raw: None,
                    raw_method: None,
                    direct: None,
                }),
                check: None,
            }),
            self.shadowing,
        )
    }

    /// Defines a host function over Rust types: `P` and `R` are tuples of
    /// [`ComponentType`](crate::ComponentType)s, checked against the import's type when a
    /// component is linked.
    ///
    /// ```
    /// # let engine = tether::Engine::default();
    /// let mut linker = tether::Linker::<()>::new(&engine);
    /// linker.root().func_wrap("add", |_store, (a, b): (u32, u32)| Ok((a + b,)))?;
    /// # anyhow::Ok(())
    /// ```
    pub fn func_wrap<P, R>(
        &mut self,
        name: &str,
        f: impl Fn(StoreContextMut<'_, T>, P) -> Result<R> + Send + Sync + 'static,
    ) -> Result<()>
    where
        P: crate::typed::ComponentNamedList,
        R: crate::typed::ComponentNamedList,
    {
        let f = Arc::new(f);
        let raw: Option<Arc<RawHostFn<T>>> = if P::ALL_RAW && R::ALL_RAW {
            let f = f.clone();
            Some(Arc::new(
                move |mut store: StoreContextMut<'_, T>,
                      args: &[u64],
                      out: &mut [u64]|
                      -> Result<()> {
                    let mut cx = crate::typed::RawCx {
                        rt: &mut store.0.data_mut().rt,
                    };
                    let p = P::from_flat(args, &mut cx).map_err(crate::func::trap)?;
                    f(store, p)?.to_flat(out);
                    Ok(())
                },
            ))
        } else {
            None
        };
        let direct: Option<Arc<DirectHostFn<T>>> = if P::ALL_DIRECT && R::ALL_DIRECT {
            let f = f.clone();
            Some(Arc::new(
                move |store: &mut Wt<'_, T>,
                      call: &crate::func::DirectCall<'_>,
                      out: &mut [u64]|
                      -> Result<()> {
                    let p = call.params::<T, P>(store, 0)?;
                    let r = f(
                        StoreContextMut(wasmtime::AsContextMut::as_context_mut(store)),
                        p,
                    )?;
                    call.results(store, &r, out)
                },
            ))
        } else {
            None
        };
        let dynamic = move |store: StoreContextMut<'_, T>,
                            params: &[crate::Val],
                            results: &mut [crate::Val]|
              -> Result<()> {
            let p = P::from_vals(params.to_vec())?;
            let r = f(store, p)?;
            for (slot, v) in results.iter_mut().zip(r.to_vals()) {
                *slot = v;
            }
            Ok(())
        };
        let check: SigCheck = |sig, bound| {
            P::typecheck(&sig.params).map_err(|e| e.context("parameters do not match"))?;
            R::typecheck(&sig.results).map_err(|e| e.context("results do not match"))?;
            check_handles::<P>(sig, &sig.params, bound, "parameter")?;
            check_handles::<R>(sig, &sig.results, bound, "result")
        };
        self.map.insert(
            name,
            Definition::Func(HostFuncDef {
                forms: Arc::new(HostFuncForms {
                    dynamic: Arc::new(dynamic),
                    raw,
                    raw_method: None,
                    direct,
                }),
                check: Some(check),
            }),
            self.shadowing,
        )
    }

    /// Defines a core module.
    pub fn module(&mut self, name: &str, module: &crate::Module) -> Result<()> {
        self.map.insert(
            name,
            Definition::Module(module.core.clone()),
            self.shadowing,
        )
    }

    /// Defines a host resource type, with the destructor run when a guest drops an owned
    /// handle to it.
    pub fn resource(
        &mut self,
        name: &str,
        ty: ResourceType,
        dtor: impl Fn(StoreContextMut<'_, T>, u32) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        self.map.insert(
            name,
            Definition::Resource(ty, Arc::new(dtor)),
            self.shadowing,
        )
    }

    /// Defines a resource type backed by host objects of the Rust type `R`: guests hold
    /// handles to `R`s that the store keeps, and an `R` is dropped (Rust's `Drop`) when its
    /// last owner lets it go. See [`Own`](crate::Own), [`Borrow`](crate::Borrow) and
    /// [`method`](Self::method).
    pub fn resource_host<R: Send + 'static>(&mut self, name: &str) -> Result<()> {
        self.map.insert(
            name,
            Definition::Objects(
                crate::host::object_type::<R>,
                ResourceType::host::<R>(),
                None,
            ),
            self.shadowing,
        )
    }

    /// Like [`resource_host`](Self::resource_host), with a callback that receives each object
    /// a guest drops (instead of it being dropped right away), with the store at hand.
    pub fn resource_host_with_drop<R: Send + 'static>(
        &mut self,
        name: &str,
        on_drop: impl Fn(StoreContextMut<'_, T>, R) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        let dtor = move |store: StoreContextMut<'_, T>,
                         object: Box<dyn std::any::Any + Send>|
              -> Result<()> {
            match object.downcast::<R>() {
                Ok(r) => on_drop(store, *r),
                Err(_) => bail!("host object is not a `{}`", std::any::type_name::<R>()),
            }
        };
        self.map.insert(
            name,
            Definition::Objects(
                crate::host::object_type::<R>,
                ResourceType::host::<R>(),
                Some(Arc::new(dtor)),
            ),
            self.shadowing,
        )
    }

    /// Defines a method of a host resource type: the function's first parameter is
    /// `self: borrow<R>`, and `f` receives the object itself as `&mut R`, followed by the
    /// store and the other parameters.
    ///
    /// While `f` runs, the object is out of the store's table: a second borrow of the same
    /// object in the same call is refused with a trap, so two `&mut R` never exist.
    ///
    /// ```
    /// struct Counter(u32);
    /// # let engine = tether::Engine::default();
    /// let mut linker = tether::Linker::<()>::new(&engine);
    /// let mut root = linker.root();
    /// root.resource_host::<Counter>("counter")?;
    /// root.func_wrap("[constructor]counter", |mut store, (): ()| Ok((store.push(Counter(0))?,)))?;
    /// root.method("[method]counter.bump", |c: &mut Counter, _store, (by,): (u32,)| {
    ///     c.0 += by;
    ///     Ok((c.0,))
    /// })?;
    /// # anyhow::Ok(())
    /// ```
    pub fn method<R, P, Res>(
        &mut self,
        name: &str,
        f: impl Fn(&mut R, StoreContextMut<'_, T>, P) -> Result<Res> + Send + Sync + 'static,
    ) -> Result<()>
    where
        R: Send + 'static,
        P: crate::typed::ComponentNamedList,
        Res: crate::typed::ComponentNamedList,
    {
        let f = Arc::new(f);
        let raw: Option<Arc<RawHostFn<T>>> = if P::ALL_RAW && Res::ALL_RAW {
            let f = f.clone();
            Some(Arc::new(
                move |mut store: StoreContextMut<'_, T>,
                      args: &[u64],
                      out: &mut [u64]|
                      -> Result<()> {
                    let (index, generation) = (args[0] as u32, (args[0] >> 32) as u32);
                    let object = store.0.data_mut().rt.objects.lend(index, generation)?;
                    let r = use_lent(&mut store.0, index, object, |obj: &mut R, mut cx| {
                        let mut raw = crate::typed::RawCx {
                            rt: &mut cx.0.data_mut().rt,
                        };
                        P::from_flat(&args[1..], &mut raw)
                            .map_err(crate::func::trap)
                            .and_then(|p| f(obj, cx, p))
                    })?;
                    r.to_flat(out);
                    Ok(())
                },
            ))
        } else {
            None
        };
        let raw_method: Option<Arc<RawMethodFn<T>>> = if P::ALL_RAW && Res::ALL_RAW {
            let f = f.clone();
            Some(Arc::new(
                move |store: &mut Wt<'_, T>,
                      slot: u32,
                      args: &[u64],
                      out: &mut [u64]|
                      -> Result<()> {
                    let object = store.data_mut().rt.objects.lend_live(slot)?;
                    let r = use_lent(store, slot, object, |obj: &mut R, mut cx| {
                        let mut raw = crate::typed::RawCx {
                            rt: &mut cx.0.data_mut().rt,
                        };
                        P::from_flat(args, &mut raw)
                            .map_err(crate::func::trap)
                            .and_then(|p| f(obj, cx, p))
                    })?;
                    r.to_flat(out);
                    Ok(())
                },
            ))
        } else {
            None
        };
        let direct: Option<Arc<DirectHostFn<T>>> = if P::ALL_DIRECT && Res::ALL_DIRECT {
            let f = f.clone();
            Some(Arc::new(
                move |store: &mut Wt<'_, T>,
                      call: &crate::func::DirectCall<'_>,
                      out: &mut [u64]|
                      -> Result<()> {
                    let this = call.self_handle(store)?;
                    let p = call.params::<T, P>(store, 1)?;
                    let objects = &mut store.data_mut().rt.objects;
                    let this = this.parts();
                    let object = objects.lend(this.index, this.generation)?;
                    let r = use_lent(store, this.index, object, |obj: &mut R, cx| f(obj, cx, p))?;
                    call.results(store, &r, out)
                },
            ))
        } else {
            None
        };
        let dynamic = move |mut store: StoreContextMut<'_, T>,
                            params: &[crate::Val],
                            results: &mut [crate::Val]|
              -> Result<()> {
            let (this, rest) = params.split_first().ok_or_else(|| {
                anyhow!(
                    "method `{name_of}` received no `self`",
                    name_of = std::any::type_name::<R>()
                )
            })?;
            let crate::Val::Resource(handle) = this else {
                bail!("type mismatch: `self` is not a resource handle")
            };
            let objects = &mut store.0.data_mut().rt.objects;
            let handle = handle.parts();
            let object = objects.lend(handle.index, handle.generation)?;
            let r = use_lent(&mut store.0, handle.index, object, |obj: &mut R, cx| {
                P::from_vals(rest.to_vec()).and_then(|p| f(obj, cx, p))
            })?;
            for (slot, v) in results.iter_mut().zip(r.to_vals()) {
                *slot = v;
            }
            Ok(())
        };
        let check: SigCheck = |sig, bound| {
            let Some(tether_abi::Type::Borrow(this)) = sig.params.first() else {
                bail!("a method's first parameter must be `self: borrow<...>`")
            };
            check_handle(sig, *this, ResourceType::host::<R>(), bound, "`self`")?;
            P::typecheck(&sig.params[1..]).map_err(|e| e.context("parameters do not match"))?;
            Res::typecheck(&sig.results).map_err(|e| e.context("results do not match"))?;
            check_handles::<P>(sig, &sig.params[1..], bound, "parameter")?;
            check_handles::<Res>(sig, &sig.results, bound, "result")
        };
        self.map.insert(
            name,
            Definition::Func(HostFuncDef {
                forms: Arc::new(HostFuncForms {
                    dynamic: Arc::new(dynamic),
                    raw,
                    raw_method,
                    direct,
                }),
                check: Some(check),
            }),
            self.shadowing,
        )
    }

    /// The nested instance `name`, created if absent.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        LinkerInstance::instance_in(self.map, name, self.shadowing)
    }

    fn instance_in<'m>(
        map: &'m mut Map<T>,
        name: &str,
        shadowing: bool,
    ) -> Result<LinkerInstance<'m, T>> {
        let pos = match map.items.iter().position(|(n, _)| n == name) {
            Some(p) => p,
            None => {
                map.items
                    .push((name.to_string(), Definition::Instance(Map::new())));
                map.items.len() - 1
            }
        };
        match &mut map.items[pos].1 {
            Definition::Instance(m) => Ok(LinkerInstance { map: m, shadowing }),
            other => bail!("`{name}` is already defined as a {}", other.kind()),
        }
    }
}

/// Resource types bound while linking one component, by `wasmparser` resource id, so that
/// `eq` constraints between imports can be checked.
type Bound = crate::state::runtime::FastMap<ResourceId, u32>;

/// The resource an imported type declares: `referenced` is an earlier resource for an `eq`
/// bound, or a fresh abstract one for `sub resource`.
fn type_resource(ty: ComponentEntityType) -> Option<(ResourceId, ResourceId)> {
    match ty {
        ComponentEntityType::Type {
            referenced: ComponentAnyTypeId::Resource(r),
            created,
        } => {
            let created = match created {
                ComponentAnyTypeId::Resource(c) => c.resource(),
                _ => r.resource(),
            };
            Some((r.resource(), created))
        }
        _ => None,
    }
}

/// Whether an import of type `ty` needs a definition: an empty instance, a non-resource type
/// or a resource type equal to one already bound does not.
fn needs_definition(types: &Types, ty: ComponentEntityType, bound: &Bound) -> bool {
    match ty {
        ComponentEntityType::Type { .. } => match type_resource(ty) {
            Some((referenced, _)) => !bound.contains_key(&referenced),
            None => false,
        },
        ComponentEntityType::Instance(id) => types[id]
            .exports
            .values()
            .any(|item| needs_definition(types, item.ty, bound)),
        _ => true,
    }
}

/// The item for an import that needs no definition.
fn synthesize(types: &Types, ty: ComponentEntityType, bound: &mut Bound) -> Export {
    match ty {
        ComponentEntityType::Instance(id) => {
            let mut exports = Exports::default();
            for (name, item) in types[id].exports.iter() {
                exports
                    .items
                    .push((name.as_str().into(), synthesize(types, item.ty, bound)));
            }
            Export::Instance(Arc::new(exports))
        }
        _ => match type_resource(ty) {
            Some((referenced, created)) => {
                let rt = bound.get(&referenced).copied();
                if let Some(rt) = rt {
                    bound.insert(created, rt);
                }
                Export::Type(rt)
            }
            None => Export::Type(None),
        },
    }
}

/// Binds an imported resource type to the store-level type `rt`, checking `eq` constraints.
fn bind_resource(ty: ComponentEntityType, rt: u32, bound: &mut Bound) -> Result<()> {
    if let Some((referenced, created)) = type_resource(ty) {
        for id in [referenced, created] {
            match bound.get(&id) {
                Some(&have) if have != rt => bail!("mismatched resource types"),
                _ => {
                    bound.insert(id, rt);
                }
            }
        }
    }
    Ok(())
}

/// Turns what an import was linked to into the item that fills it.
fn link_import<T: 'static>(
    store: &mut Wt<'_, T>,
    types: &Types,
    l: &Linked<T>,
    bound: &mut Bound,
) -> Result<Export> {
    match &l.to {
        LinkedTo::Definition(d) => resolve(store, types, &l.name, l.ty, d, bound),
        LinkedTo::Instance(items) => {
            let mut exports = Exports {
                items: Vec::with_capacity(items.len()),
            };
            for item in items {
                let e = link_import(store, types, item, bound).map_err(|e| {
                    let name = &item.name;
                    e.context(format!("instance export `{name}`"))
                })?;
                exports.items.push((item.name.clone(), e));
            }
            Ok(Export::Instance(Arc::new(exports)))
        }
        LinkedTo::Nothing if !needs_definition(types, l.ty, bound) => {
            Ok(synthesize(types, l.ty, bound))
        }
        LinkedTo::Nothing => bail!("`{}` was not found", l.name),
    }
}

/// Turns a definition into the item that fills an import of type `ty`, checking its kind.
/// The Rust types of typed host functions were checked by [`precheck`].
fn resolve<T: 'static>(
    store: &mut Wt<'_, T>,
    types: &Types,
    name: &str,
    ty: ComponentEntityType,
    d: &Definition<T>,
    bound: &mut Bound,
) -> Result<Export> {
    if let Definition::Item(e, store_id) = d {
        if *store_id != store.data().rt.store_id {
            bail!(
                "`{name}` is an instance of another store: `Linker::instance_exports` items fill imports only in the store of their instance"
            );
        }
        return check_item(types, name, ty, e, bound);
    }
    match (ty, d) {
        (ComponentEntityType::Func(_), Definition::Func(f)) => {
            Ok(Export::Func(FuncDef::Host(host_func_index(store, f))))
        }
        (ComponentEntityType::Module(id), Definition::Module(m)) => {
            check_module(types, id, m)?;
            Ok(Export::Module(m.clone()))
        }
        (ComponentEntityType::Type { .. }, Definition::Resource(rty, dtor)) => {
            let data = store.data_mut();
            let rt = crate::resources::host_resource_type(&mut data.rt, *rty);
            if data.rt.resource_types[rt as usize].dtor.is_none() {
                data.host_dtors.push(dtor.clone());
                data.rt.resource_types[rt as usize].dtor =
                    Some(Dtor::Host((data.host_dtors.len() - 1) as u32));
            }
            bind_resource(ty, rt, bound)?;
            Ok(Export::Type(Some(rt)))
        }
        (ComponentEntityType::Type { .. }, Definition::Objects(object_type, _, on_drop)) => {
            let data = store.data_mut();
            let rt = object_type(&mut data.rt);
            if let Some(on_drop) = on_drop
                && data.rt.resource_types[rt as usize].dtor.is_none()
            {
                data.object_dtors.push(on_drop.clone());
                data.rt.resource_types[rt as usize].dtor =
                    Some(Dtor::Object((data.object_dtors.len() - 1) as u32));
            }
            bind_resource(ty, rt, bound)?;
            Ok(Export::Type(Some(rt)))
        }
        (ComponentEntityType::Component(_), _) => {
            bail!("root-level component imports are not supported")
        }
        (ComponentEntityType::Value(_), _) => bail!("unsupported: component value imports"),
        (ty, d) => bail!("expected {} found {}", entity_kind(&ty), d.kind()),
    }
}

fn host_func_index<T>(store: &mut Wt<'_, T>, f: &HostFuncDef<T>) -> u32 {
    let key = Arc::as_ptr(&f.forms) as *const () as usize;
    let data = store.data_mut();
    if let Some(&i) = data.host_func_ids.get(&key) {
        return i;
    }
    data.host_funcs.push(f.forms.clone());
    let i = (data.host_funcs.len() - 1) as u32;
    data.host_func_ids.insert(key, i);
    i
}

fn entity_kind(ty: &ComponentEntityType) -> &'static str {
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
fn check_item(
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
fn check_module(types: &Types, id: ComponentCoreModuleTypeId, m: &wasmtime::Module) -> Result<()> {
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

enum Mismatch {
    Kind(&'static str, &'static str),
    Func(String, String),
    Other,
}

fn extern_kind(t: &wasmtime::ExternType) -> &'static str {
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
fn core_match(
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
fn limits_ok(big: (u64, Option<u64>), small: (u64, Option<u64>)) -> bool {
    big.0 >= small.0
        && match (small.1, big.1) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(s), Some(b)) => b <= s,
        }
}

fn entity_type_kind(t: &EntityType) -> &'static str {
    match t {
        EntityType::Func(_) | EntityType::FuncExact(_) => "func",
        EntityType::Table(_) => "table",
        EntityType::Memory(_) => "memory",
        EntityType::Global(_) => "global",
        EntityType::Tag(_) => "tag",
    }
}

fn describe_core_func(types: &Types, id: wasmparser::types::CoreTypeId) -> String {
    let sub = &types[id];
    match &sub.composite_type.inner {
        wasmparser::CompositeInnerType::Func(f) => func_text(
            f.params().iter().map(|t| t.to_string()),
            f.results().iter().map(|t| t.to_string()),
        ),
        _ => "(non-function type)".to_string(),
    }
}

fn describe_wasmtime_func(f: &wasmtime::FuncType) -> String {
    func_text(
        f.params().map(|t| t.to_string()),
        f.results().map(|t| t.to_string()),
    )
}

fn func_text(
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
