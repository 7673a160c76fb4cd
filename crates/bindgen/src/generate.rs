//! From a resolved world to Rust items.
//!
//! # Where things go
//!
//! An imported interface `ns:pkg/iface` becomes the module `ns::pkg::iface` with its types, a
//! trait `Host` and a function `add_to_linker`; an exported one becomes
//! `exports::ns::pkg::iface` with its types and a struct `Guest` that calls the guest's
//! functions. World-level items and the struct named after the world sit at the top, in the
//! scope of the macro invocation. Paths between modules are relative (`super::...`), so the
//! bindings may be generated inside any module.
//!
//! # Resources
//!
//! A resource is *host* (imported: an object of an embedder's Rust type, kept in the store)
//! or *guest* (exported by the component: a typed handle around `tether::ResourceAny`).
//! A host resource's Rust type is given by a `with` option or is an associated type of the
//! `Host` trait of the interface that defines it; a named type (record or variant) holding
//! handles to such resources is generic over them.
//!
//! In a `Host` trait, an `own` handle is the object itself, moved out of the store (also
//! inside `option`, `result`, `tuple` and `list`: the glue converts); a first parameter
//! `borrow<r>` is `&mut R`, with the object lent for the call by `LinkerInstance::method`.
//! Any other handle stays a handle (`tether::Own<R>`, `tether::Borrow<R>`), and the function
//! then receives the store (`tether::StoreContextMut<'_, Self>`) instead of `&mut self`, to
//! reach the objects.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use wit_parser::{
    Docs, Function, FunctionKind, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeId,
    TypeOwner, WorldId, WorldItem, WorldKey,
};

use crate::names::{camel, derived_label, ident, shouty, snake};
use crate::{Error, Opts};

/// Whether code is for the imported or the exported copy of an interface.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Dir {
    Import,
    Export,
}

/// The trait whose associated type a host resource is: an interface's `Host`, or the world's
/// `{World}Imports`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owner {
    World,
    Iface(InterfaceId),
}

/// How a host resource's Rust type is written where code is being generated.
enum Res<'c> {
    /// In a named type's definition: its type parameters.
    Def(&'c [(TypeId, Ident)]),
    /// In a trait: `Self::R` or `<Self as path::Host>::R`.
    Trait(Owner),
    /// In `add_to_linker`: `<T as path::Host>::R`.
    Glue,
    /// In an export wrapper: `<S::Data as path::Host>::R`, or `()` to check a function's
    /// type when the wrapper is made.
    Export { placeholder: bool },
}

/// Where code is being generated.
struct Cx<'c> {
    iface: Option<InterfaceId>,
    dir: Dir,
    module: Vec<String>,
    res: Res<'c>,
    /// The traits whose associated types the code names.
    used: RefCell<Vec<Owner>>,
}

impl<'c> Cx<'c> {
    fn new(iface: Option<InterfaceId>, dir: Dir, module: &[String], res: Res<'c>) -> Cx<'c> {
        Cx {
            iface,
            dir,
            module: module.to_vec(),
            res,
            used: RefCell::new(Vec::new()),
        }
    }

    fn use_owner(&self, o: Owner) {
        let mut used = self.used.borrow_mut();
        if !used.contains(&o) {
            used.push(o);
        }
    }
}

/// How a type is written: `Abi` is the type the runtime lifts and lowers (handles as
/// `Own`/`Borrow`); `Value` writes an `own` host handle as the object itself, where the glue
/// converts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Abi,
    Value,
}

#[derive(Clone, Copy)]
enum Conv {
    Take,
    Push,
    /// Moves objects in as children of the object `parent_` borrows.
    PushChild,
}

/// A module of the output, with its items and submodules in order.
#[derive(Default)]
struct ModTree {
    docs: TokenStream,
    items: Vec<TokenStream>,
    children: Vec<(String, ModTree)>,
}

impl ModTree {
    fn at(&mut self, path: &[String]) -> &mut ModTree {
        match path.split_first() {
            None => self,
            Some((first, rest)) => {
                let i = match self.children.iter().position(|(n, _)| n == first) {
                    Some(i) => i,
                    None => {
                        self.children.push((first.clone(), ModTree::default()));
                        self.children.len() - 1
                    }
                };
                self.children[i].1.at(rest)
            }
        }
    }

    fn emit(&self) -> TokenStream {
        let items = &self.items;
        let children = self.children.iter().map(|(name, tree)| {
            let name = ident(name);
            let docs = &tree.docs;
            let body = tree.emit();
            quote! {
                #docs
                pub mod #name {
                    #body
                }
            }
        });
        quote! { #(#items)* #(#children)* }
    }
}

struct Gen<'a> {
    r: &'a Resolve,
    world: WorldId,
    imported: HashSet<InterfaceId>,
    with: HashMap<TypeId, syn::Path>,
    /// `with` entries as given, with the resource's WIT location, for the checks that the
    /// Rust types fit.
    with_checks: RefCell<Vec<(String, syn::Path, String)>>,
    /// Methods (interface, WIT function name) whose returned objects are children of `self`.
    children: HashSet<(Option<InterfaceId>, String)>,
    /// Imported resources (dealiased) whose methods return an error case for a revoked
    /// `self`: the error type's WIT name and the case's.
    revoked: HashMap<TypeId, (String, String)>,
    qualify_std: bool,
    params: RefCell<HashMap<(TypeId, Dir), Vec<TypeId>>>,
    fresh: Cell<usize>,
}

pub fn generate(
    r: &Resolve,
    main: wit_parser::PackageId,
    opts: &Opts,
) -> Result<TokenStream, Error> {
    let world = select_world(r, main, opts.world.as_deref())?;
    let w = &r.worlds[world];
    let mut imported = HashSet::new();
    for item in w.imports.values() {
        if let WorldItem::Interface { id, .. } = item {
            imported.insert(*id);
        }
    }
    let mut g = Gen {
        r,
        world,
        imported,
        with: HashMap::new(),
        with_checks: RefCell::new(Vec::new()),
        children: HashSet::new(),
        revoked: HashMap::new(),
        qualify_std: false,
        params: RefCell::new(HashMap::new()),
        fresh: Cell::new(0),
    };
    g.with = g.check_with(&opts.with)?;
    g.children = g.check_children(&opts.children)?;
    g.revoked = g.check_revoked(&opts.revoked)?;
    g.qualify_std = g.names_shadow_std();
    g.world_items()
}

fn select_world(
    r: &Resolve,
    main: wit_parser::PackageId,
    world: Option<&str>,
) -> Result<WorldId, Error> {
    r.select_world(&[main], world).map_err(|e| {
        let pkg = &r.packages[main];
        let worlds: Vec<String> = pkg
            .worlds
            .iter()
            .map(|(name, id)| format!("`{name}` ({})", r.render_location(r.worlds[*id].span)))
            .collect();
        let found = if worlds.is_empty() {
            format!("package `{}` has no worlds", pkg.name)
        } else {
            format!(
                "package `{}` has the worlds {}",
                pkg.name,
                worlds.join(", ")
            )
        };
        Error::new(format!("{}: {found}", r.render_error(&e)))
    })
}

#[cold]
fn unsupported(what: &str) -> Error {
    Error::new(format!("{what} are not supported by `bindgen!`"))
}

fn doc_attrs(d: &Docs) -> TokenStream {
    match &d.contents {
        Some(s) => {
            let lines = s.trim_end().lines().map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!(" {l}")
                }
            });
            quote!(#(#[doc = #lines])*)
        }
        None => quote!(),
    }
}

fn doc(s: &str) -> TokenStream {
    let s = format!(" {s}");
    quote!(#[doc = #s])
}

impl<'a> Gen<'a> {
    // ----- Names, paths, ownership -----

    fn world_name(&self) -> String {
        camel(&self.r.worlds[self.world].name)
    }

    /// The name an inline interface has in the world.
    fn key_name_of(&self, id: InterfaceId) -> String {
        let w = &self.r.worlds[self.world];
        for (key, item) in w.imports.iter().chain(w.exports.iter()) {
            if let (WorldKey::Name(n), WorldItem::Interface { id: i, .. }) = (key, item)
                && *i == id
            {
                return n.clone();
            }
        }
        format!("interface{}", id.index())
    }

    fn iface_segs(&self, id: InterfaceId) -> Vec<String> {
        let i = &self.r.interfaces[id];
        match (i.package, &i.name) {
            (Some(p), Some(n)) => {
                let pk = &self.r.packages[p].name;
                vec![snake(&pk.namespace), snake(&pk.name), snake(n)]
            }
            _ => vec![snake(&self.key_name_of(id))],
        }
    }

    fn module(&self, iface: Option<InterfaceId>, dir: Dir) -> Vec<String> {
        match iface {
            None => Vec::new(),
            Some(i) => {
                let mut v = if dir == Dir::Export {
                    vec!["exports".to_string()]
                } else {
                    Vec::new()
                };
                v.extend(self.iface_segs(i));
                v
            }
        }
    }

    /// The name an interface is imported or exported under: `ns:pkg/iface@1.0.0`.
    fn instance_name(&self, id: InterfaceId) -> String {
        let i = &self.r.interfaces[id];
        match i.name {
            Some(_) => self.r.id_of(id).unwrap_or_default(),
            None => self.key_name_of(id),
        }
    }

    /// `item` in module `target`, written from `cx`'s module.
    fn path_to(&self, cx: &Cx<'_>, target: &[String], item: &Ident) -> TokenStream {
        if target == cx.module.as_slice() {
            return quote!(#item);
        }
        let prefix = self.prefix(cx);
        let segs = target.iter().map(|s| ident(s));
        quote!(#prefix #(#segs ::)* #item)
    }

    /// The path from `cx`'s module back to the scope of the macro invocation.
    fn prefix(&self, cx: &Cx<'_>) -> TokenStream {
        if cx.module.is_empty() {
            quote!(self::)
        } else {
            let supers = cx.module.iter().map(|_| quote!(super::));
            quote!(#(#supers)*)
        }
    }

    /// A path from a `with` option, written from `cx`'s module.
    fn user_path(&self, p: &syn::Path, cx: &Cx<'_>) -> TokenStream {
        let first = p
            .segments
            .first()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if p.leading_colon.is_some()
            || ["crate", "std", "core", "alloc"].contains(&first.as_str())
            || cx.module.is_empty()
        {
            return quote!(#p);
        }
        let supers = cx.module.iter().map(|_| quote!(super::));
        if first == "self" {
            let rest = p.segments.iter().skip(1);
            quote!(#(#supers)* #(#rest)::*)
        } else {
            quote!(#(#supers)* #p)
        }
    }

    fn dealias(&self, mut id: TypeId) -> TypeId {
        while let TypeDefKind::Type(Type::Id(next)) = self.r.types[id].kind {
            id = next;
        }
        id
    }

    fn owner(&self, rid: TypeId) -> Owner {
        match self.r.types[rid].owner {
            TypeOwner::Interface(i) => Owner::Iface(i),
            _ => Owner::World,
        }
    }

    fn owner_iface(&self, id: TypeId) -> Option<InterfaceId> {
        match self.r.types[id].owner {
            TypeOwner::Interface(i) => Some(i),
            _ => None,
        }
    }

    /// The module a named type is defined in, seen from interface `iface` in direction `dir`:
    /// a type of the same interface is in the same copy; another interface's type is in its
    /// imported copy when it is imported.
    fn home(&self, id: TypeId, iface: Option<InterfaceId>, dir: Dir) -> (Option<InterfaceId>, Dir) {
        match self.r.types[id].owner {
            TypeOwner::Interface(c) if Some(c) == iface => (Some(c), dir),
            TypeOwner::Interface(c) if self.imported.contains(&c) => (Some(c), Dir::Import),
            TypeOwner::Interface(c) => (Some(c), Dir::Export),
            _ => (None, Dir::Import),
        }
    }

    /// Whether resource `rid`, seen from `iface` in direction `dir`, is the guest's.
    fn is_guest(&self, rid: TypeId, iface: Option<InterfaceId>, dir: Dir) -> bool {
        match self.r.types[rid].owner {
            TypeOwner::Interface(x) => {
                (Some(x) == iface && dir == Dir::Export) || !self.imported.contains(&x)
            }
            _ => false,
        }
    }

    fn trait_path(&self, owner: Owner, cx: &Cx<'_>) -> TokenStream {
        match owner {
            Owner::Iface(i) => self.path_to(cx, &self.module(Some(i), Dir::Import), &ident("Host")),
            Owner::World => self.path_to(cx, &[], &format_ident!("{}Imports", self.world_name())),
        }
    }

    fn resource_name(&self, rid: TypeId) -> String {
        self.r.types[rid].name.clone().unwrap_or_default()
    }

    /// A host resource's Rust type, written in `cx`.
    fn host_res(&self, rid: TypeId, cx: &Cx<'_>) -> TokenStream {
        if let Some(p) = self.with.get(&rid) {
            return self.user_path(p, cx);
        }
        let name = ident(&camel(&self.resource_name(rid)));
        let owner = self.owner(rid);
        match &cx.res {
            Res::Def(params) => match params.iter().find(|(id, _)| *id == rid) {
                Some((_, p)) => quote!(#p),
                None => quote!(#name),
            },
            Res::Trait(me) if *me == owner => quote!(Self::#name),
            Res::Trait(_) => {
                cx.use_owner(owner);
                let tp = self.trait_path(owner, cx);
                quote!(<Self as #tp>::#name)
            }
            Res::Glue => {
                cx.use_owner(owner);
                let tp = self.trait_path(owner, cx);
                quote!(<T as #tp>::#name)
            }
            Res::Export { placeholder: true } => quote!(()),
            Res::Export { placeholder: false } => {
                cx.use_owner(owner);
                let tp = self.trait_path(owner, cx);
                quote!(<S::Data as #tp>::#name)
            }
        }
    }

    // ----- Standard names, qualified when a generated name would shadow them -----

    fn names_shadow_std(&self) -> bool {
        const STD: &[&str] = &[
            "Vec", "String", "Option", "Result", "Box", "Some", "None", "Ok", "Err",
        ];
        self.r.types.iter().any(|(_, t)| {
            t.name
                .as_deref()
                .is_some_and(|n| STD.contains(&camel(n).as_str()))
        })
    }

    fn std(&self, short: &str, long: TokenStream) -> TokenStream {
        if self.qualify_std {
            long
        } else {
            let i = ident(short);
            quote!(#i)
        }
    }
    fn vec(&self) -> TokenStream {
        self.std("Vec", quote!(::std::vec::Vec))
    }
    fn string(&self) -> TokenStream {
        self.std("String", quote!(::std::string::String))
    }
    fn option(&self) -> TokenStream {
        self.std("Option", quote!(::core::option::Option))
    }
    fn result(&self) -> TokenStream {
        self.std("Result", quote!(::core::result::Result))
    }
    fn some(&self) -> TokenStream {
        self.std("Some", quote!(::core::option::Option::Some))
    }
    fn none(&self) -> TokenStream {
        self.std("None", quote!(::core::option::Option::None))
    }
    fn ok(&self) -> TokenStream {
        self.std("Ok", quote!(::core::result::Result::Ok))
    }
    fn err(&self) -> TokenStream {
        self.std("Err", quote!(::core::result::Result::Err))
    }

    fn fresh(&self, base: &str) -> Ident {
        let n = self.fresh.get();
        self.fresh.set(n + 1);
        format_ident!("{base}{n}")
    }

    // ----- `with` -----

    /// Maps each `with` key to the imported resource it names.
    /// Every imported resource by the keys that `with` and `revoked` accept
    /// (`ns:pkg/iface/resource`, and with the package's version if it has one).
    fn resource_keys(&self) -> Vec<(String, TypeId)> {
        let mut keys: Vec<(String, TypeId)> = Vec::new();
        let w = &self.r.worlds[self.world];
        for item in w.imports.values() {
            match item {
                WorldItem::Interface { id, .. } => {
                    let i = &self.r.interfaces[*id];
                    for (name, tid) in &i.types {
                        if !matches!(self.r.types[*tid].kind, TypeDefKind::Resource) {
                            continue;
                        }
                        let base = match (i.package, &i.name) {
                            (Some(p), Some(n)) => {
                                let pk = &self.r.packages[p].name;
                                if let Some(v) = &pk.version {
                                    keys.push((
                                        format!("{}:{}/{n}@{v}/{name}", pk.namespace, pk.name),
                                        *tid,
                                    ));
                                }
                                format!("{}:{}/{n}", pk.namespace, pk.name)
                            }
                            _ => self.key_name_of(*id),
                        };
                        keys.push((format!("{base}/{name}"), *tid));
                    }
                }
                WorldItem::Type { id, .. }
                    if matches!(self.r.types[*id].kind, TypeDefKind::Resource) =>
                {
                    keys.push((self.resource_name(*id), *id));
                }
                _ => {}
            }
        }
        keys
    }

    /// The error for an option's `key` that names no imported resource.
    fn unknown_resource(&self, option: &str, key: &str, keys: &[(String, TypeId)]) -> Error {
        let w = &self.r.worlds[self.world];
        let known: Vec<String> = keys
            .iter()
            .filter(|(k, _)| !k.contains('@'))
            .map(|(k, _)| format!("`{k}`"))
            .collect();
        let known = if known.is_empty() {
            "it imports no resources".to_string()
        } else {
            format!("its imported resources are {}", known.join(", "))
        };
        Error::new(format!(
            "`{option}` key `{key}` names no resource that the world `{}` ({}) imports: {known}",
            w.name,
            self.r.render_location(w.span)
        ))
    }

    fn check_with(&self, with: &[(String, String)]) -> Result<HashMap<TypeId, syn::Path>, Error> {
        let keys = self.resource_keys();
        let mut out = HashMap::new();
        for (key, path) in with {
            let Some((_, tid)) = keys.iter().find(|(k, _)| k == key) else {
                return Err(self.unknown_resource("with", key, &keys));
            };
            let p: syn::Path = syn::parse_str(path).map_err(|e| {
                Error::new(format!(
                    "`with` value for `{key}` is not a Rust path: `{path}`: {e}"
                ))
            })?;
            self.with_checks.borrow_mut().push((
                key.clone(),
                p.clone(),
                self.r.render_location(self.r.types[*tid].span),
            ));
            out.insert(*tid, p);
        }
        Ok(out)
    }

    /// Maps each `children` key (`ns:pkg/iface/resource.method`, the interface possibly with
    /// its version) to the imported method it names, which must return a resource.
    fn check_children(
        &self,
        children: &[String],
    ) -> Result<HashSet<(Option<InterfaceId>, String)>, Error> {
        let mut methods: Vec<(String, Option<InterfaceId>, &Function)> = Vec::new();
        let w = &self.r.worlds[self.world];
        for item in w.imports.values() {
            let (iface, funcs, base): (Option<InterfaceId>, Vec<&Function>, Vec<String>) =
                match item {
                    WorldItem::Interface { id, .. } => {
                        let i = &self.r.interfaces[*id];
                        let bases = match (i.package, &i.name) {
                            (Some(p), Some(n)) => {
                                let pk = &self.r.packages[p].name;
                                let mut b = vec![format!("{}:{}/{n}", pk.namespace, pk.name)];
                                if let Some(v) = &pk.version {
                                    b.push(format!("{}:{}/{n}@{v}", pk.namespace, pk.name));
                                }
                                b
                            }
                            _ => vec![self.key_name_of(*id)],
                        };
                        (Some(*id), i.functions.values().collect(), bases)
                    }
                    WorldItem::Function(f) => (None, vec![f], vec![String::new()]),
                    _ => continue,
                };
            for f in funcs {
                let FunctionKind::Method(r) = f.kind else {
                    continue;
                };
                let short = format!("{}.{}", self.resource_name(r), f.item_name());
                for b in &base {
                    let key = if b.is_empty() {
                        short.clone()
                    } else {
                        format!("{b}/{short}")
                    };
                    methods.push((key, iface, f));
                }
            }
        }
        let mut out = HashSet::new();
        for key in children {
            let Some((_, iface, f)) = methods.iter().find(|(k, _, _)| k == key) else {
                let mut known: Vec<String> = methods
                    .iter()
                    .filter(|(k, _, f)| {
                        !k.contains('@') && f.result.as_ref().is_some_and(|t| self.has_own(t))
                    })
                    .map(|(k, _, _)| format!("`{k}`"))
                    .collect();
                known.dedup();
                let known = if known.is_empty() {
                    "it imports no method that returns a resource".to_string()
                } else {
                    format!(
                        "its imported methods that return resources are {}",
                        known.join(", ")
                    )
                };
                return Err(Error::new(format!(
                    "`children` key `{key}` names no method that the world `{}` ({}) imports: {known}",
                    w.name,
                    self.r.render_location(w.span)
                )));
            };
            if !f.result.as_ref().is_some_and(|t| self.has_own(t)) {
                return Err(Error::new(format!(
                    "`children` key `{key}`: the method `{}` ({}) returns no resource, so it has no child to make",
                    f.name,
                    self.r.render_location(f.span)
                )));
            }
            out.insert((*iface, f.name.clone()));
        }
        Ok(out)
    }

    /// Maps each `revoked` entry (a resource as `with` names it, and `error-type.case`) to
    /// the resource, checking that one of its methods has a result whose error is that type
    /// and that the case exists and carries no payload.
    fn check_revoked(
        &self,
        revoked: &[(String, String)],
    ) -> Result<HashMap<TypeId, (String, String)>, Error> {
        let keys = self.resource_keys();
        let mut out = HashMap::new();
        for (key, value) in revoked {
            let Some((_, rid)) = keys.iter().find(|(k, _)| k == key) else {
                return Err(self.unknown_resource("revoked", key, &keys));
            };
            let Some((ty, case)) = value.split_once('.') else {
                return Err(Error::new(format!(
                    "`revoked` value for `{key}` is `{value}`: expected `error-type.case`, such as `error-code.connection-reset`"
                )));
            };
            let mut fits = false;
            for f in self.methods_of(*rid) {
                let Some(err) = self.error_of(f, ty) else {
                    continue;
                };
                if !self.has_unit_case(err, case) {
                    return Err(Error::new(format!(
                        "`revoked` value for `{key}`: the type `{ty}` ({}) has no case `{case}` without a payload",
                        self.r.render_location(self.r.types[err].span)
                    )));
                }
                fits = true;
            }
            if !fits {
                return Err(Error::new(format!(
                    "`revoked` value for `{key}`: no method of the resource ({}) returns a `result` whose error is `{ty}`",
                    self.r.render_location(self.r.types[*rid].span)
                )));
            }
            out.insert(self.dealias(*rid), (ty.to_string(), case.to_string()));
        }
        Ok(out)
    }

    /// The methods of the imported resource `rid`.
    fn methods_of(&self, rid: TypeId) -> Vec<&Function> {
        let rid = self.dealias(rid);
        let funcs: Box<dyn Iterator<Item = &Function>> = match self.r.types[rid].owner {
            TypeOwner::Interface(i) => Box::new(self.r.interfaces[i].functions.values()),
            _ => Box::new(
                self.r.worlds[self.world]
                    .imports
                    .values()
                    .filter_map(|i| match i {
                        WorldItem::Function(f) => Some(f),
                        _ => None,
                    }),
            ),
        };
        funcs
            .filter(|f| matches!(f.kind, FunctionKind::Method(r) if self.dealias(r) == rid))
            .collect()
    }

    /// The error type of `f`'s result, dealiased, if the result is a `result` whose error
    /// type is named `name`.
    fn error_of(&self, f: &Function, name: &str) -> Option<TypeId> {
        let Some(Type::Id(id)) = &f.result else {
            return None;
        };
        let TypeDefKind::Result(r) = &self.r.types[self.dealias(*id)].kind else {
            return None;
        };
        let Some(Type::Id(err)) = r.err else {
            return None;
        };
        let err = self.dealias(err);
        (self.r.types[err].name.as_deref() == Some(name)).then_some(err)
    }

    /// Whether the enum or variant `id` has a case `case` without a payload.
    fn has_unit_case(&self, id: TypeId, case: &str) -> bool {
        match &self.r.types[id].kind {
            TypeDefKind::Enum(e) => e.cases.iter().any(|c| c.name == case),
            TypeDefKind::Variant(v) => v.cases.iter().any(|c| c.name == case && c.ty.is_none()),
            _ => false,
        }
    }

    /// Whether `t` holds an owned handle (which the glue pushes into the store).
    fn has_own(&self, t: &Type) -> bool {
        let Type::Id(id) = t else { return false };
        match &self.r.types[*id].kind {
            TypeDefKind::Type(t) => self.has_own(t),
            TypeDefKind::Resource | TypeDefKind::Handle(Handle::Own(_)) => true,
            TypeDefKind::Option(t) | TypeDefKind::List(t) | TypeDefKind::FixedLengthList(t, _) => {
                self.has_own(t)
            }
            TypeDefKind::Result(r) => {
                r.ok.as_ref().is_some_and(|t| self.has_own(t))
                    || r.err.as_ref().is_some_and(|t| self.has_own(t))
            }
            TypeDefKind::Tuple(t) => t.types.iter().any(|t| self.has_own(t)),
            _ => false,
        }
    }

    // ----- Walking types -----

    /// The unmapped host resources a named type holds handles to: its type parameters.
    fn res_params(&self, id: TypeId, dir: Dir) -> Vec<TypeId> {
        if let Some(v) = self.params.borrow().get(&(id, dir)) {
            return v.clone();
        }
        let iface = self.owner_iface(id);
        let mut out = Vec::new();
        match &self.r.types[id].kind {
            TypeDefKind::Record(r) => {
                for f in &r.fields {
                    self.collect(&f.ty, iface, dir, &mut out);
                }
            }
            TypeDefKind::Variant(v) => {
                for c in &v.cases {
                    if let Some(t) = &c.ty {
                        self.collect(t, iface, dir, &mut out);
                    }
                }
            }
            TypeDefKind::Type(t) => self.collect(t, iface, dir, &mut out),
            _ => {}
        }
        self.params.borrow_mut().insert((id, dir), out.clone());
        out
    }

    fn collect(&self, t: &Type, iface: Option<InterfaceId>, dir: Dir, out: &mut Vec<TypeId>) {
        let Type::Id(id) = t else { return };
        let mut add = |rid: TypeId| {
            if !self.is_guest(rid, iface, dir)
                && !self.with.contains_key(&rid)
                && !out.contains(&rid)
            {
                out.push(rid);
            }
        };
        match &self.r.types[*id].kind {
            TypeDefKind::Type(t) => self.collect(t, iface, dir, out),
            TypeDefKind::Record(_) | TypeDefKind::Variant(_) => {
                let (_, d) = self.home(*id, iface, dir);
                for p in self.res_params(*id, d) {
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            TypeDefKind::Resource => add(*id),
            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => add(self.dealias(*r)),
            TypeDefKind::Tuple(t) => t
                .types
                .iter()
                .for_each(|t| self.collect(t, iface, dir, out)),
            TypeDefKind::Option(t) | TypeDefKind::List(t) | TypeDefKind::FixedLengthList(t, _) => {
                self.collect(t, iface, dir, out)
            }
            TypeDefKind::Result(r) => {
                r.ok.iter()
                    .chain(r.err.iter())
                    .for_each(|t| self.collect(t, iface, dir, out));
            }
            _ => {}
        }
    }

    /// Whether a value of type `t` holds a resource handle anywhere.
    fn has_handle(&self, t: &Type) -> bool {
        let Type::Id(id) = t else { return false };
        match &self.r.types[*id].kind {
            TypeDefKind::Type(t)
            | TypeDefKind::Option(t)
            | TypeDefKind::List(t)
            | TypeDefKind::FixedLengthList(t, _) => self.has_handle(t),
            TypeDefKind::Resource | TypeDefKind::Handle(_) => true,
            TypeDefKind::Record(r) => r.fields.iter().any(|f| self.has_handle(&f.ty)),
            TypeDefKind::Variant(v) => v
                .cases
                .iter()
                .any(|c| c.ty.as_ref().is_some_and(|t| self.has_handle(t))),
            TypeDefKind::Tuple(t) => t.types.iter().any(|t| self.has_handle(t)),
            TypeDefKind::Result(r) => r.ok.iter().chain(r.err.iter()).any(|t| self.has_handle(t)),
            _ => false,
        }
    }

    /// Whether a host function taking or returning `t` needs the store: some handle in it
    /// stays a handle (a borrow, or any handle inside a record or variant).
    fn needs_store(&self, t: &Type) -> bool {
        let Type::Id(id) = t else { return false };
        match &self.r.types[*id].kind {
            TypeDefKind::Type(t)
            | TypeDefKind::Option(t)
            | TypeDefKind::List(t)
            | TypeDefKind::FixedLengthList(t, _) => self.needs_store(t),
            TypeDefKind::Resource | TypeDefKind::Handle(Handle::Own(_)) => false,
            TypeDefKind::Handle(Handle::Borrow(_)) => true,
            TypeDefKind::Record(_) | TypeDefKind::Variant(_) => self.has_handle(t),
            TypeDefKind::Tuple(t) => t.types.iter().any(|t| self.needs_store(t)),
            TypeDefKind::Result(r) => r.ok.iter().chain(r.err.iter()).any(|t| self.needs_store(t)),
            _ => false,
        }
    }

    /// The resource `t` borrows, when it is `borrow<r>`.
    fn borrow_of(&self, t: &Type) -> Option<TypeId> {
        let Type::Id(id) = t else { return None };
        match self.r.types[self.dealias(*id)].kind {
            TypeDefKind::Handle(Handle::Borrow(r)) => Some(self.dealias(r)),
            _ => None,
        }
    }

    /// The resource `t` owns, when it is `own<r>`.
    fn own_of(&self, t: &Type) -> Option<TypeId> {
        let Type::Id(id) = t else { return None };
        let id = self.dealias(*id);
        match self.r.types[id].kind {
            TypeDefKind::Handle(Handle::Own(r)) => Some(self.dealias(r)),
            TypeDefKind::Resource => Some(id),
            _ => None,
        }
    }

    // ----- Writing types -----

    fn ty(&self, t: &Type, cx: &Cx<'_>, m: Mode) -> Result<TokenStream, Error> {
        Ok(match t {
            Type::Bool => quote!(bool),
            Type::U8 => quote!(u8),
            Type::U16 => quote!(u16),
            Type::U32 => quote!(u32),
            Type::U64 => quote!(u64),
            Type::S8 => quote!(i8),
            Type::S16 => quote!(i16),
            Type::S32 => quote!(i32),
            Type::S64 => quote!(i64),
            Type::F32 => quote!(f32),
            Type::F64 => quote!(f64),
            Type::Char => quote!(char),
            Type::String => self.string(),
            Type::ErrorContext => return Err(unsupported("`error-context` types")),
            Type::Id(id) => self.ty_id(*id, cx, m)?,
        })
    }

    fn ty_id(&self, id: TypeId, cx: &Cx<'_>, m: Mode) -> Result<TokenStream, Error> {
        let def = &self.r.types[id];
        Ok(match &def.kind {
            TypeDefKind::Type(t) => self.ty(t, cx, m)?,
            TypeDefKind::Record(_)
            | TypeDefKind::Variant(_)
            | TypeDefKind::Enum(_)
            | TypeDefKind::Flags(_) => self.named(id, cx),
            TypeDefKind::Resource => self.handle(id, true, cx, m),
            TypeDefKind::Handle(Handle::Own(r)) => self.handle(self.dealias(*r), true, cx, m),
            TypeDefKind::Handle(Handle::Borrow(r)) => self.handle(self.dealias(*r), false, cx, m),
            TypeDefKind::Tuple(t) => {
                let ts = t
                    .types
                    .iter()
                    .map(|t| self.ty(t, cx, m))
                    .collect::<Result<Vec<_>, _>>()?;
                quote!((#(#ts,)*))
            }
            TypeDefKind::Option(t) => {
                let t = self.ty(t, cx, m)?;
                let o = self.option();
                quote!(#o<#t>)
            }
            TypeDefKind::Result(r) => {
                let ok = match &r.ok {
                    Some(t) => self.ty(t, cx, m)?,
                    None => quote!(()),
                };
                let err = match &r.err {
                    Some(t) => self.ty(t, cx, m)?,
                    None => quote!(()),
                };
                let res = self.result();
                quote!(#res<#ok, #err>)
            }
            TypeDefKind::List(t) | TypeDefKind::FixedLengthList(t, _) => {
                let t = self.ty(t, cx, m)?;
                let v = self.vec();
                quote!(#v<#t>)
            }
            TypeDefKind::Map(..) => return Err(unsupported("`map` types")),
            TypeDefKind::Future(_) => return Err(unsupported("`future` types")),
            TypeDefKind::Stream(_) => return Err(unsupported("`stream` types")),
            TypeDefKind::Unknown => return Err(Error::new("internal error: an unresolved type")),
        })
    }

    /// A named type (record, variant, enum, flags, or a guest resource's handle), with its
    /// type arguments.
    fn named(&self, id: TypeId, cx: &Cx<'_>) -> TokenStream {
        let id = self.dealias(id);
        let (hi, hd) = self.home(id, cx.iface, cx.dir);
        let name = ident(&camel(&self.resource_name(id)));
        let path = self.path_to(cx, &self.module(hi, hd), &name);
        let params = match self.r.types[id].kind {
            TypeDefKind::Resource => Vec::new(),
            _ => self.res_params(id, hd),
        };
        if params.is_empty() {
            path
        } else {
            let args = params.iter().map(|p| self.host_res(*p, cx));
            quote!(#path<#(#args),*>)
        }
    }

    fn handle(&self, rid: TypeId, own: bool, cx: &Cx<'_>, m: Mode) -> TokenStream {
        if self.is_guest(rid, cx.iface, cx.dir) {
            return if own {
                self.named(rid, cx)
            } else {
                quote!(::tether::ResourceAny)
            };
        }
        let r = self.host_res(rid, cx);
        match (own, m) {
            (true, Mode::Value) => r,
            (true, Mode::Abi) => quote!(::tether::Own<#r>),
            (false, _) => quote!(::tether::Borrow<#r>),
        }
    }

    /// The expression converting `e` of type `t` between its `Value` and `Abi` forms, when
    /// they differ: `Take` moves `own` handles' objects out of the store, `Push` moves objects
    /// in. Written for the glue, where `store` is the store.
    fn conv(&self, t: &Type, e: TokenStream, d: Conv) -> Option<TokenStream> {
        let Type::Id(id) = t else { return None };
        let (ok, err, some, none) = (self.ok(), self.err(), self.some(), self.none());
        match &self.r.types[*id].kind {
            TypeDefKind::Type(t) => self.conv(t, e, d),
            TypeDefKind::Resource | TypeDefKind::Handle(Handle::Own(_)) => Some(match d {
                Conv::Take => quote!(store.take(#e)?),
                Conv::Push => quote!(store.push(#e)?),
                Conv::PushChild => quote!(store.push_child(&parent_, #e)?),
            }),
            TypeDefKind::Option(t) => {
                let x = self.fresh("x");
                let c = self.conv(t, quote!(#x), d)?;
                Some(quote!(match #e { #some(#x) => #some(#c), #none => #none }))
            }
            TypeDefKind::Result(r) => {
                let x = self.fresh("x");
                let okc = r.ok.as_ref().and_then(|t| self.conv(t, quote!(#x), d));
                let errc = r.err.as_ref().and_then(|t| self.conv(t, quote!(#x), d));
                if okc.is_none() && errc.is_none() {
                    return None;
                }
                let okc = okc.unwrap_or(quote!(#x));
                let errc = errc.unwrap_or(quote!(#x));
                Some(quote!(match #e { #ok(#x) => #ok(#okc), #err(#x) => #err(#errc) }))
            }
            TypeDefKind::Tuple(t) => {
                let xs: Vec<Ident> = t.types.iter().map(|_| self.fresh("x")).collect();
                let cs: Vec<Option<TokenStream>> = t
                    .types
                    .iter()
                    .zip(&xs)
                    .map(|(t, x)| self.conv(t, quote!(#x), d))
                    .collect();
                if cs.iter().all(Option::is_none) {
                    return None;
                }
                let cs = cs
                    .into_iter()
                    .zip(&xs)
                    .map(|(c, x)| c.unwrap_or(quote!(#x)));
                Some(quote!({ let (#(#xs,)*) = #e; (#(#cs,)*) }))
            }
            TypeDefKind::List(t) | TypeDefKind::FixedLengthList(t, _) => {
                let x = self.fresh("x");
                let c = self.conv(t, quote!(#x), d)?;
                let (src, out) = (self.fresh("list"), self.fresh("out"));
                let v = self.vec();
                Some(quote!({
                    let #src = #e;
                    let mut #out = #v::with_capacity(#src.len());
                    for #x in #src {
                        #out.push(#c);
                    }
                    #out
                }))
            }
            _ => None,
        }
    }

    // ----- Named type definitions -----

    /// Type parameter names for host resources.
    fn param_idents(&self, params: &[TypeId]) -> Vec<(TypeId, Ident)> {
        let names: Vec<String> = params
            .iter()
            .map(|p| camel(&self.resource_name(*p)))
            .collect();
        params
            .iter()
            .zip(&names)
            .map(|(p, n)| {
                let clash = names.iter().filter(|m| *m == n).count() > 1;
                let name = match (
                    clash,
                    self.owner_iface(*p)
                        .and_then(|i| self.r.interfaces[i].name.clone()),
                ) {
                    (true, Some(iface)) => format!("{}{n}", camel(&iface)),
                    _ => n.clone(),
                };
                (*p, ident(&name))
            })
            .collect()
    }

    fn define_types(
        &self,
        iface: Option<InterfaceId>,
        dir: Dir,
        ids: &[TypeId],
        out: &mut Vec<TokenStream>,
    ) -> Result<(), Error> {
        let module = self.module(iface, dir);
        for &id in ids {
            let def = &self.r.types[id];
            let item = self.define_type(id, iface, dir, &module).map_err(|e| {
                Error::new(format!(
                    "{e}: in type `{}` ({})",
                    def.name.as_deref().unwrap_or("?"),
                    self.r.render_location(def.span)
                ))
            })?;
            out.push(item);
        }
        Ok(())
    }

    fn define_type(
        &self,
        id: TypeId,
        iface: Option<InterfaceId>,
        dir: Dir,
        module: &[String],
    ) -> Result<TokenStream, Error> {
        let def = &self.r.types[id];
        let wit_name = def.name.clone().unwrap_or_default();
        let name = ident(&camel(&wit_name));
        let docs = doc_attrs(&def.docs);
        let params = self.param_idents(&self.res_params(id, dir));
        let cx = Cx::new(iface, dir, module, Res::Def(&params));
        let (generics, bound) = if params.is_empty() {
            (quote!(), quote!())
        } else {
            let ps = params.iter().map(|(_, p)| p);
            let bound = params
                .iter()
                .map(|(_, p)| format!("{p}: Send + 'static"))
                .collect::<Vec<_>>()
                .join(", ");
            (quote!(<#(#ps),*>), quote!(#[component(bound = #bound)]))
        };
        let derives = |handles: bool| {
            if handles {
                quote!(#[derive(::tether::ComponentType, Debug)])
            } else {
                quote!(#[derive(::tether::ComponentType, Debug, Clone, PartialEq)])
            }
        };
        let label = |rust: &str, wit: &str| {
            if derived_label(rust) == wit {
                quote!()
            } else {
                quote!(#[component(name = #wit)])
            }
        };
        Ok(match &def.kind {
            TypeDefKind::Record(r) => {
                let mut handles = false;
                let mut fields = Vec::new();
                for f in &r.fields {
                    handles |= self.has_handle(&f.ty);
                    let fname = snake(&f.name);
                    let attr = label(&fname, &f.name);
                    let fname = ident(&fname);
                    let ty = self.ty(&f.ty, &cx, Mode::Abi)?;
                    let fdocs = doc_attrs(&f.docs);
                    fields.push(quote!(#fdocs #attr pub #fname: #ty));
                }
                let derives = derives(handles);
                quote! {
                    #docs
                    #derives
                    #bound
                    pub struct #name #generics {
                        #(#fields,)*
                    }
                }
            }
            TypeDefKind::Variant(v) => {
                let mut handles = false;
                let mut cases = Vec::new();
                for c in &v.cases {
                    let cname = camel(&c.name);
                    let attr = label(&cname, &c.name);
                    let cname = ident(&cname);
                    let cdocs = doc_attrs(&c.docs);
                    match &c.ty {
                        Some(t) => {
                            handles |= self.has_handle(t);
                            let t = self.ty(t, &cx, Mode::Abi)?;
                            cases.push(quote!(#cdocs #attr #cname(#t)));
                        }
                        None => cases.push(quote!(#cdocs #attr #cname)),
                    }
                }
                let kind = if v.cases.iter().all(|c| c.ty.is_none()) {
                    quote!(#[component(variant)])
                } else {
                    quote!()
                };
                let derives = derives(handles);
                quote! {
                    #docs
                    #derives
                    #kind
                    #bound
                    pub enum #name #generics {
                        #(#cases,)*
                    }
                }
            }
            TypeDefKind::Enum(e) => {
                let cases = e.cases.iter().map(|c| {
                    let cname = camel(&c.name);
                    let attr = label(&cname, &c.name);
                    let cname = ident(&cname);
                    let cdocs = doc_attrs(&c.docs);
                    quote!(#cdocs #attr #cname)
                });
                quote! {
                    #docs
                    #[derive(::tether::ComponentType, Debug, Clone, Copy, PartialEq, Eq, Hash)]
                    pub enum #name {
                        #(#cases,)*
                    }
                }
            }
            TypeDefKind::Flags(f) => {
                if f.flags.is_empty() || f.flags.len() > 32 {
                    return Err(unsupported(
                        "`flags` types with no flags or more than 32 flags",
                    ));
                }
                let flags = f.flags.iter().map(|fl| {
                    let n = ident(&shouty(&fl.name));
                    let l = &fl.name;
                    let fdocs = doc_attrs(&fl.docs);
                    quote!(#fdocs const #n = #l;)
                });
                quote! {
                    ::tether::flags! {
                        #docs
                        pub #name {
                            #(#flags)*
                        }
                    }
                }
            }
            TypeDefKind::Resource => {
                if self.is_guest(id, iface, dir) {
                    self.guest_handle(id, &name, &wit_name, docs)
                } else {
                    quote!()
                }
            }
            TypeDefKind::Type(_)
            | TypeDefKind::Tuple(_)
            | TypeDefKind::Option(_)
            | TypeDefKind::Result(_)
            | TypeDefKind::List(_)
            | TypeDefKind::FixedLengthList(..)
            | TypeDefKind::Handle(_) => {
                // An alias, for the embedder's convenience; the generated code writes the
                // type it stands for. Aliases of types holding handles are left out: they
                // are generic, or name an associated type.
                let t = Type::Id(id);
                if self.has_handle(&t) {
                    quote!()
                } else {
                    let ty = self.ty(&t, &cx, Mode::Abi)?;
                    quote!(#docs pub type #name = #ty;)
                }
            }
            TypeDefKind::Map(..) => return Err(unsupported("`map` types")),
            TypeDefKind::Future(_) => return Err(unsupported("`future` types")),
            TypeDefKind::Stream(_) => return Err(unsupported("`stream` types")),
            TypeDefKind::Unknown => return Err(Error::new("internal error: an unresolved type")),
        })
    }

    /// The typed handle of a resource the guest exports.
    fn guest_handle(
        &self,
        _id: TypeId,
        name: &Ident,
        wit_name: &str,
        docs: TokenStream,
    ) -> TokenStream {
        let (ok, err) = (self.ok(), self.err());
        let what = format!("an owned `{wit_name}` handle");
        let mismatch = format!("type mismatch: expected `{{ty}}`, found Rust type `{name}`");
        let val_mismatch = format!("type mismatch: expected {what}, found {{v:?}}");
        let head = doc(&format!("An owned handle to a `{wit_name}` of the guest."));
        let sep = if docs.is_empty() {
            quote!()
        } else {
            quote!(#[doc = ""])
        };
        quote! {
            #docs
            #sep
            #head
            #[derive(Debug, PartialEq, Eq)]
            pub struct #name(::tether::ResourceAny);

            impl #name {
                /// A typed handle from a dynamically typed one, which must be an owned handle
                /// to this resource type.
                pub fn from_resource(resource: ::tether::ResourceAny) -> #name {
                    #name(resource)
                }

                /// The dynamically typed handle.
                pub fn resource(&self) -> ::tether::ResourceAny {
                    self.0
                }

                /// Drops the resource: the guest's destructor runs.
                pub fn resource_drop(self, store: impl ::tether::AsContextMut) -> ::tether::Result<()> {
                    ::tether::ResourceAnyExt::resource_drop(self.0, store)
                }
            }

            impl ::tether::ComponentType for #name {
                fn typecheck(ty: &::tether::Type) -> ::tether::Result<()> {
                    match ty {
                        ::tether::Type::Own(_) => #ok(()),
                        _ => #err(::tether::Error::msg(::std::format!(#mismatch))),
                    }
                }

                fn to_val(&self) -> ::tether::Val {
                    ::tether::Val::Resource(self.0)
                }

                fn from_val(v: ::tether::Val) -> ::tether::Result<Self> {
                    match v {
                        ::tether::Val::Resource(r) if r.owned() => #ok(#name(r)),
                        v => #err(::tether::Error::msg(::std::format!(#val_mismatch))),
                    }
                }
            }
        }
    }

    // ----- Functions -----

    /// The Rust name of a function: `fetch`, `response_new`, `response_status`.
    fn fn_name(&self, f: &Function) -> Result<String, Error> {
        let raw = |s: &str| {
            s.split('-')
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join("_")
        };
        Ok(match &f.kind {
            FunctionKind::Freestanding => snake(&f.name),
            FunctionKind::Constructor(r) => format!("{}_new", raw(&self.resource_name(*r))),
            FunctionKind::Method(r) | FunctionKind::Static(r) => {
                snake(&format!("{}-{}", self.resource_name(*r), f.item_name()))
            }
            FunctionKind::AsyncFreestanding
            | FunctionKind::AsyncMethod(_)
            | FunctionKind::AsyncStatic(_) => {
                return Err(unsupported("async functions"));
            }
            _ => return Err(unsupported("getters and setters")),
        })
    }

    /// Fails when two functions of one interface (or of the world) get the same Rust name:
    /// a method `new` next to the constructor, or `r-f` next to the method `f` of `r`.
    fn check_unique_names<'f>(
        &self,
        funcs: impl IntoIterator<Item = &'f Function>,
    ) -> Result<(), Error> {
        let mut seen: HashMap<String, &Function> = HashMap::new();
        for f in funcs {
            let Ok(name) = self.fn_name(f) else { continue };
            if let Some(g) = seen.get(&name) {
                return Err(Error::new(format!(
                    "the functions `{}` ({}) and `{}` ({}) would both be the Rust method `{name}`: rename one of them in the WIT",
                    g.name,
                    self.r.render_location(g.span),
                    f.name,
                    self.r.render_location(f.span)
                )));
            }
            seen.insert(name, f);
        }
        Ok(())
    }

    fn param_name(name: &str) -> Ident {
        match name {
            "self" => ident("this"),
            "store" | "ret" | "params" | "results" | "guest" => format_ident!("{name}_"),
            _ => ident(&snake(name)),
        }
    }

    fn fn_error(&self, f: &Function, e: Error) -> Error {
        Error::new(format!(
            "{e}: in function `{}` ({})",
            f.name,
            self.r.render_location(f.span)
        ))
    }

    /// A `Host` trait method and its glue, for an imported function.
    fn import_fn(
        &self,
        f: &Function,
        owner: Owner,
        tcx: &Cx<'_>,
        gcx: &Cx<'_>,
    ) -> Result<(TokenStream, TokenStream), Error> {
        self.fresh.set(0);
        let name = ident(&self.fn_name(f)?);
        let first_borrow = f.params.first().and_then(|p| self.borrow_of(&p.ty));
        let rest = if first_borrow.is_some() {
            &f.params[1..]
        } else {
            &f.params[..]
        };
        let store_mode = rest.iter().any(|p| self.needs_store(&p.ty))
            || f.result.as_ref().is_some_and(|t| self.needs_store(t));

        let mut trait_params = Vec::new();
        let mut call_args = Vec::new();
        if store_mode {
            trait_params.push(quote!(store: ::tether::StoreContextMut<'_, Self>));
            call_args.push(quote!(::tether::AsContextMut::as_context_mut(&mut store)));
        } else {
            trait_params.push(quote!(&mut self));
            call_args.push(quote!(store.data_mut()));
        }
        let mut this = None;
        if let Some(rid) = first_borrow {
            let id = Self::param_name(&f.params[0].name);
            let r = self.host_res(rid, tcx);
            trait_params.push(quote!(#id: &mut #r));
            call_args.push(quote!(#id));
            this = Some((id, self.host_res(rid, gcx)));
        }
        let mut pats = Vec::new();
        let mut abi_tys = Vec::new();
        let mut convs = Vec::new();
        for p in rest {
            let id = Self::param_name(&p.name);
            let tt = self.ty(&p.ty, tcx, Mode::Value)?;
            trait_params.push(quote!(#id: #tt));
            abi_tys.push(self.ty(&p.ty, gcx, Mode::Abi)?);
            if let Some(c) = self.conv(&p.ty, quote!(#id), Conv::Take) {
                convs.push(quote!(let #id = #c;));
            }
            call_args.push(quote!(#id));
            pats.push(id);
        }
        let ret = match &f.result {
            Some(t) => self.ty(t, tcx, Mode::Value)?,
            None => quote!(()),
        };
        let docs = doc_attrs(&f.docs);
        let trait_item = quote! {
            #docs
            fn #name(#(#trait_params),*) -> ::tether::Result<#ret>;
        };

        let host = self.trait_path(owner, gcx);
        let call = quote!(<T as #host>::#name(#(#call_args),*));
        let ok = self.ok();
        let iface = match owner {
            Owner::Iface(i) => Some(i),
            Owner::World => None,
        };
        let child = this.is_some() && self.children.contains(&(iface, f.name.clone()));
        let push = if child { Conv::PushChild } else { Conv::Push };
        let body = match &f.result {
            Some(t) if child => {
                let (id, r) = this.as_ref().expect("a method has `self`");
                let out = self.conv(t, quote!(ret), push).unwrap_or(quote!(ret));
                quote! {
                    #(#convs)*
                    let ret = store.lend(&parent_, |#id: &mut #r, mut store: ::tether::StoreContextMut<'_, T>| #call)?;
                    #ok((#out,))
                }
            }
            Some(t) => {
                let out = self.conv(t, quote!(ret), push).unwrap_or(quote!(ret));
                quote! {
                    #(#convs)*
                    let ret = #call?;
                    #ok((#out,))
                }
            }
            None => quote! {
                #(#convs)*
                #call?;
                #ok(())
            },
        };
        let wit_name = &f.name;
        let glue = match this {
            Some((_, r)) if child => quote! {
                inst.func_wrap(#wit_name, |mut store: ::tether::StoreContextMut<'_, T>, (parent_, #(#pats,)*): (::tether::Borrow<#r>, #(#abi_tys,)*)| {
                    #body
                })?;
            },
            Some((id, r)) => match self.revoked_case(f, first_borrow, gcx)? {
                // A revoked `self` becomes the error case: the other parameters are
                // taken as the method would (dropping any object they move in).
                Some(err) => {
                    let err_path = self.err();
                    let store_pat = if convs.is_empty() {
                        quote!(_store)
                    } else {
                        quote!(mut store)
                    };
                    quote! {
                        inst.method_or_revoked(#wit_name, |#id: &mut #r, mut store: ::tether::StoreContextMut<'_, T>, (#(#pats,)*): (#(#abi_tys,)*)| {
                            #body
                        }, |#store_pat: ::tether::StoreContextMut<'_, T>, (#(#pats,)*): (#(#abi_tys,)*)| {
                            #(#convs)*
                            let _ = (#(#pats,)*);
                            #ok((#err_path(#err),))
                        })?;
                    }
                }
                None => quote! {
                    inst.method(#wit_name, |#id: &mut #r, mut store: ::tether::StoreContextMut<'_, T>, (#(#pats,)*): (#(#abi_tys,)*)| {
                        #body
                    })?;
                },
            },
            None => quote! {
                inst.func_wrap(#wit_name, |mut store: ::tether::StoreContextMut<'_, T>, (#(#pats,)*): (#(#abi_tys,)*)| {
                    #body
                })?;
            },
        };
        Ok((trait_item, glue))
    }

    /// The error value a method `f` of the resource `rid` returns for a revoked `self`, if
    /// the `revoked` option names the resource and `f`'s result has that error type.
    fn revoked_case(
        &self,
        f: &Function,
        rid: Option<TypeId>,
        gcx: &Cx<'_>,
    ) -> Result<Option<TokenStream>, Error> {
        let Some((ty, case)) = rid.and_then(|r| self.revoked.get(&self.dealias(r))) else {
            return Ok(None);
        };
        let Some(err) = self.error_of(f, ty) else {
            return Ok(None);
        };
        let path = self.ty_id(err, gcx, Mode::Abi)?;
        let case = ident(&camel(case));
        Ok(Some(quote!(#path::#case)))
    }

    /// The trait, glue and types of an imported interface (or of the world's own imports,
    /// when `iface` is `None`).
    fn import_iface(
        &self,
        iface: Option<InterfaceId>,
        tree: &mut ModTree,
    ) -> Result<Vec<TokenStream>, Error> {
        let module = self.module(iface, Dir::Import);
        let (types, funcs, owner, instance): (Vec<TypeId>, Vec<&Function>, Owner, Option<String>) =
            match iface {
                Some(i) => {
                    let int = &self.r.interfaces[i];
                    (
                        int.types.values().copied().collect(),
                        int.functions.values().collect(),
                        Owner::Iface(i),
                        Some(self.instance_name(i)),
                    )
                }
                None => {
                    let w = &self.r.worlds[self.world];
                    let types = w
                        .imports
                        .values()
                        .filter_map(|item| match item {
                            WorldItem::Type { id, .. } => Some(*id),
                            _ => None,
                        })
                        .collect();
                    let funcs = w
                        .imports
                        .values()
                        .filter_map(|item| match item {
                            WorldItem::Function(f) => Some(f),
                            _ => None,
                        })
                        .collect();
                    (types, funcs, Owner::World, None)
                }
            };
        let mut items = Vec::new();
        self.define_types(iface, Dir::Import, &types, &mut items)?;

        let resources: Vec<TypeId> = types
            .iter()
            .copied()
            .filter(|t| matches!(self.r.types[*t].kind, TypeDefKind::Resource))
            .collect();
        if funcs.is_empty() && resources.is_empty() {
            tree.at(&module).items.extend(items);
            return Ok(Vec::new());
        }

        let tcx = Cx::new(iface, Dir::Import, &module, Res::Trait(owner));
        let gcx = Cx::new(iface, Dir::Import, &module, Res::Glue);
        let mut assoc = Vec::new();
        let mut defs = Vec::new();
        for &rid in &resources {
            let rname = self.resource_name(rid);
            let r = self.host_res(rid, &gcx);
            defs.push(quote!(inst.resource_host::<#r>(#rname)?;));
            if !self.with.contains_key(&rid) {
                let name = ident(&camel(&rname));
                let d = doc_attrs(&self.r.types[rid].docs);
                let sep = if d.is_empty() {
                    quote!()
                } else {
                    quote!(#[doc = ""])
                };
                let head = doc(&format!(
                    "The Rust type of the resource `{rname}`: its objects live in the store."
                ));
                assoc.push(quote!(#d #sep #head type #name: Send + 'static;));
            }
        }
        self.check_unique_names(funcs.iter().copied())?;
        let mut methods = Vec::new();
        let mut glue = Vec::new();
        for f in funcs {
            let (m, g) = self
                .import_fn(f, owner, &tcx, &gcx)
                .map_err(|e| self.fn_error(f, e))?;
            methods.push(m);
            glue.push(g);
        }
        let supers: Vec<TokenStream> = tcx
            .used
            .borrow()
            .iter()
            .filter(|o| **o != owner)
            .map(|o| self.trait_path(*o, &tcx))
            .collect();
        let glue_bounds: Vec<TokenStream> = gcx
            .used
            .borrow()
            .iter()
            .filter(|o| **o != owner)
            .map(|o| self.trait_path(*o, &gcx))
            .collect();
        let trait_name = match owner {
            Owner::Iface(_) => ident("Host"),
            Owner::World => format_ident!("{}Imports", self.world_name()),
        };
        let what = match &instance {
            Some(name) => format!("the interface `{name}`"),
            None => format!("the world `{}`", self.r.worlds[self.world].name),
        };
        let trait_doc = doc(&format!(
            "What the embedder implements, on its store's data type, to provide {what}."
        ));
        let trait_doc2 = doc(
            "An `Err` returned from a method traps the guest that called it; a WIT `result` is the `Result` inside, which the guest receives.",
        );
        items.push(quote! {
            #trait_doc
            #[doc = ""]
            #trait_doc2
            pub trait #trait_name: Sized + Send + 'static #(+ #supers)* {
                #(#assoc)*
                #(#methods)*
            }
        });
        let (inst, fn_name) = match &instance {
            Some(name) => (
                quote!(let mut inst = linker.instance(#name)?;),
                ident("add_to_linker"),
            ),
            None => (
                quote!(let mut inst = linker.root();),
                format_ident!(
                    "add_{}_imports_to_linker",
                    snake(&self.r.worlds[self.world].name)
                ),
            ),
        };
        let link_doc = doc(&format!(
            "Defines {what} in `linker`, implemented by `T`'s `{trait_name}` methods."
        ));
        let ok = self.ok();
        items.push(quote! {
            #link_doc
            pub fn #fn_name<T: #trait_name #(+ #glue_bounds)* + Send + 'static>(linker: &mut ::tether::Linker<T>) -> ::tether::Result<()> {
                #inst
                #(#defs)*
                #(#glue)*
                #ok(())
            }
        });
        tree.at(&module).items.extend(items);
        let path = Cx::new(None, Dir::Import, &[], Res::Glue);
        Ok(vec![
            self.path_to(&path, &module, &fn_name),
            self.trait_path(owner, &path),
        ])
    }

    /// An exported function: the wrapper's field, its initialiser, its `call_` method, and
    /// the method of the guest resource's handle, if it is a resource's function.
    fn export_fn(
        &self,
        f: &Function,
        cx_iface: Option<InterfaceId>,
        module: &[String],
    ) -> Result<ExportFn, Error> {
        let base = self.fn_name(f)?;
        let field = ident(&base);
        let call = format_ident!("call_{base}");
        let ecx = Cx::new(
            cx_iface,
            Dir::Export,
            module,
            Res::Export { placeholder: false },
        );
        let pcx = Cx::new(
            cx_iface,
            Dir::Export,
            module,
            Res::Export { placeholder: true },
        );
        let mut params = Vec::new();
        let mut args = Vec::new();
        let mut abi = Vec::new();
        let mut pabi = Vec::new();
        let mut names = Vec::new();
        for p in &f.params {
            let id = Self::param_name(&p.name);
            match self
                .borrow_of(&p.ty)
                .filter(|r| self.is_guest(*r, cx_iface, Dir::Export))
            {
                Some(rid) => {
                    let h = self.named(rid, &ecx);
                    params.push(quote!(#id: &#h));
                    args.push(quote!(#id.resource().borrowed()));
                    abi.push(quote!(::tether::ResourceAny));
                    pabi.push(quote!(::tether::ResourceAny));
                }
                None => {
                    let t = self.ty(&p.ty, &ecx, Mode::Abi)?;
                    params.push(quote!(#id: #t));
                    args.push(quote!(#id));
                    abi.push(t);
                    pabi.push(self.ty(&p.ty, &pcx, Mode::Abi)?);
                }
            }
            names.push(id);
        }
        let (ret, pret, results) = match &f.result {
            Some(t) => {
                let r = self.ty(t, &ecx, Mode::Abi)?;
                (r.clone(), self.ty(t, &pcx, Mode::Abi)?, quote!((#r,)))
            }
            None => (quote!(()), quote!(()), quote!(())),
        };
        let presults = if f.result.is_some() {
            quote!((#pret,))
        } else {
            quote!(())
        };
        let used: Vec<Owner> = ecx.used.borrow().clone();
        let generic = !used.is_empty();
        let fname = &f.name;
        let ok = self.ok();
        let field_ty;
        let init;
        let method_body;
        let docs = doc_attrs(&f.docs);
        let (generics, where_clause, store_ty) = if generic {
            let bounds = used.iter().map(|o| self.trait_path(*o, &ecx));
            (
                quote!(<S: ::tether::AsContextMut>),
                quote!(where S::Data: #(#bounds)+*),
                quote!(S),
            )
        } else {
            (quote!(), quote!(), quote!(impl ::tether::AsContextMut))
        };
        let unpack = if f.result.is_some() {
            quote!((ret,))
        } else {
            quote!(())
        };
        let give = if f.result.is_some() {
            quote!(ret)
        } else {
            quote!(())
        };
        if generic {
            field_ty = quote!(::tether::Func);
            init = quote! {
                let #field = Self::func(&mut store, instance, #fname)?;
                Self::typed::<(#(#pabi,)*), #presults>(#field.clone(), #fname)?;
            };
            let n = usize::from(f.result.is_some());
            method_body = quote! {
                let params: (#(#abi,)*) = (#(#args,)*);
                let mut results = ::std::vec![::tether::Val::Bool(false); #n];
                self.#field.call(&mut store, &::tether::ComponentNamedList::to_vals(&params), &mut results)?;
                let #unpack: #results = ::tether::ComponentNamedList::from_vals(results)?;
                #ok(#give)
            };
        } else {
            field_ty = quote!(::tether::TypedFunc<(#(#abi,)*), #results>);
            init = quote! {
                let #field = Self::typed(Self::func(&mut store, instance, #fname)?, #fname)?;
            };
            method_body = quote! {
                let #unpack = self.#field.call(&mut store, (#(#args,)*))?;
                #ok(#give)
            };
        }
        let method = quote! {
            #docs
            pub fn #call #generics(&self, mut store: #store_ty, #(#params),*) -> ::tether::Result<#ret> #where_clause {
                #method_body
            }
        };

        // The same function as a method of the guest resource's handle.
        let handle_method = match f.kind {
            FunctionKind::Constructor(r) | FunctionKind::Method(r) | FunctionKind::Static(r)
                if self.is_guest(self.dealias(r), cx_iface, Dir::Export) =>
            {
                let r = self.dealias(r);
                let item = match f.kind {
                    FunctionKind::Constructor(_) => ident("new"),
                    _ => ident(&snake(f.item_name())),
                };
                let (recv, rest_params, rest_names) = match f.kind {
                    FunctionKind::Method(_) => (Some(quote!(&self)), &params[1..], &names[1..]),
                    FunctionKind::Static(_)
                        if f.params.first().and_then(|p| self.own_of(&p.ty)) == Some(r) =>
                    {
                        (Some(quote!(self)), &params[1..], &names[1..])
                    }
                    _ => (None, &params[..], &names[..]),
                };
                let pass_self = if recv.is_some() {
                    quote!(self,)
                } else {
                    quote!()
                };
                let head = match recv {
                    Some(recv) => quote!(#recv, store: #store_ty, guest: &Guest),
                    None => quote!(store: #store_ty, guest: &Guest),
                };
                let body = quote!(guest.#call(store, #pass_self #(#rest_names),*));
                let see = doc(&format!("Calls `{}` through [`Guest::{call}`].", f.name));
                Some((
                    r,
                    quote! {
                        #docs
                        #[doc = ""]
                        #see
                        pub fn #item #generics(#head, #(#rest_params),*) -> ::tether::Result<#ret> #where_clause {
                            #body
                        }
                    },
                ))
            }
            _ => None,
        };
        Ok(ExportFn {
            field,
            field_ty,
            init,
            method,
            handle_method,
        })
    }

    /// The `Guest` struct and types of an exported interface.
    fn export_iface(&self, i: InterfaceId, tree: &mut ModTree) -> Result<TokenStream, Error> {
        let module = self.module(Some(i), Dir::Export);
        let int = &self.r.interfaces[i];
        let mut items = Vec::new();
        let types: Vec<TypeId> = int.types.values().copied().collect();
        self.define_types(Some(i), Dir::Export, &types, &mut items)?;
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        let mut methods = Vec::new();
        let mut handle_methods: Vec<(TypeId, Vec<TokenStream>)> = Vec::new();
        self.check_unique_names(int.functions.values())?;
        for f in int.functions.values() {
            let e = self
                .export_fn(f, Some(i), &module)
                .map_err(|e| self.fn_error(f, e))?;
            let (field, ty) = (&e.field, &e.field_ty);
            fields.push(quote!(#field: #ty));
            inits.push(e.init);
            methods.push(e.method);
            if let Some((r, m)) = e.handle_method {
                match handle_methods.iter_mut().find(|(id, _)| *id == r) {
                    Some((_, v)) => v.push(m),
                    None => handle_methods.push((r, vec![m])),
                }
            }
        }
        for (r, ms) in handle_methods {
            let name = ident(&camel(&self.resource_name(r)));
            items.push(quote! {
                impl #name {
                    #(#ms)*
                }
            });
        }
        let field_names: Vec<Ident> = int
            .functions
            .values()
            .map(|f| self.fn_name(f).map(|n| ident(&n)))
            .collect::<Result<_, _>>()?;
        let iname = self.instance_name(i);
        let head = doc(&format!(
            "The functions of the interface `{iname}` that the guest exports."
        ));
        let (store, instance) = if fields.is_empty() {
            (
                quote!(_store: impl ::tether::AsContextMut),
                quote!(_instance: &::tether::Instance),
            )
        } else {
            (
                quote!(mut store: impl ::tether::AsContextMut),
                quote!(instance: &::tether::Instance),
            )
        };
        let ok = self.ok();
        let helpers = if fields.is_empty() {
            quote!()
        } else {
            lookup_helpers(Some(&iname))
        };
        items.push(quote! {
            #head
            #[derive(Clone)]
            #[allow(clippy::type_complexity)]
            pub struct Guest {
                #(#fields,)*
            }

            impl Guest {
                /// Finds the interface's functions in `instance` and checks their types.
                pub fn new(#store, #instance) -> ::tether::Result<Guest> {
                    #(#inits)*
                    #ok(Guest { #(#field_names),* })
                }

                #helpers

                #(#methods)*
            }
        });
        let t = tree.at(&module);
        t.docs = doc_attrs(&int.docs);
        t.items.extend(items);
        let root = Cx::new(None, Dir::Import, &[], Res::Glue);
        Ok(self.path_to(&root, &module, &ident("Guest")))
    }

    /// Everything: the modules of the interfaces, the world's own items and its struct.
    fn world_items(&self) -> Result<TokenStream, Error> {
        let w = &self.r.worlds[self.world];
        let mut tree = ModTree::default();
        let mut linkers = Vec::new();
        let mut bounds = Vec::new();
        for item in w.imports.values() {
            if let WorldItem::Interface { id, .. } = item {
                let r = self.import_iface(Some(*id), &mut tree)?;
                if let [link, bound] = &r[..] {
                    linkers.push(link.clone());
                    bounds.push(bound.clone());
                }
                let int = &self.r.interfaces[*id];
                tree.at(&self.module(Some(*id), Dir::Import)).docs = doc_attrs(&int.docs);
            }
        }
        let r = self.import_iface(None, &mut tree)?;
        if let [link, bound] = &r[..] {
            linkers.push(link.clone());
            bounds.push(bound.clone());
        }

        let reserved = ["instantiate", "new", "add_to_linker", "func", "typed"];
        let mut accessors: Vec<(Ident, TokenStream)> = Vec::new();
        let export_ifaces: Vec<InterfaceId> = w
            .exports
            .values()
            .filter_map(|item| match item {
                WorldItem::Interface { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        for &i in &export_ifaces {
            let path = self.export_iface(i, &mut tree)?;
            let short = self.iface_segs(i).last().cloned().unwrap_or_default();
            let clash = reserved.contains(&short.as_str())
                || export_ifaces
                    .iter()
                    .filter(|j| self.iface_segs(**j).last() == Some(&short))
                    .count()
                    > 1;
            let name = if clash {
                self.iface_segs(i).join("_")
            } else {
                short
            };
            accessors.push((ident(&name), path));
        }
        self.check_unique_names(w.exports.values().filter_map(|item| match item {
            WorldItem::Function(f) => Some(f),
            _ => None,
        }))?;
        let mut fields = Vec::new();
        let mut inits = Vec::new();
        let mut methods = Vec::new();
        let mut field_names = Vec::new();
        for item in w.exports.values() {
            if let WorldItem::Function(f) = item {
                let e = self
                    .export_fn(f, None, &[])
                    .map_err(|e| self.fn_error(f, e))?;
                let (field, ty) = (&e.field, &e.field_ty);
                fields.push(quote!(#field: #ty));
                inits.push(e.init);
                methods.push(e.method);
                field_names.push(e.field);
            }
        }
        let mut exported_types = Vec::new();
        for item in w.exports.values() {
            if let WorldItem::Type { id, .. } = item {
                exported_types.push(*id);
            }
        }
        let mut root_items = Vec::new();
        self.define_types(None, Dir::Export, &exported_types, &mut root_items)?;
        for (key, path, location) in self.with_checks.borrow().iter() {
            root_items.push(fits_check(key, path, location));
        }

        let name = ident(&self.world_name());
        let wname = &w.name;
        let acc_fields = accessors.iter().map(|(n, p)| quote!(#n: #p));
        let acc_inits = accessors
            .iter()
            .map(|(n, p)| quote!(let #n = #p::new(&mut store, instance)?;));
        let acc_methods = accessors.iter().map(|(n, p)| {
            let d = doc("The functions of the exported interface.");
            quote!(#d pub fn #n(&self) -> &#p { &self.#n })
        });
        let all_fields: Vec<Ident> = accessors
            .iter()
            .map(|(n, _)| n.clone())
            .chain(field_names)
            .collect();
        let (store, instance) = if all_fields.is_empty() {
            (
                quote!(_store: impl ::tether::AsContextMut),
                quote!(_instance: &::tether::Instance),
            )
        } else {
            (
                quote!(mut store: impl ::tether::AsContextMut),
                quote!(instance: &::tether::Instance),
            )
        };
        let head = doc(&format!(
            "The world `{wname}`: its exports, called through typed functions."
        ));
        let ok = self.ok();
        let helpers = if fields.is_empty() {
            quote!()
        } else {
            lookup_helpers(None)
        };
        root_items.push(quote! {
            #head
            #[derive(Clone)]
            #[allow(clippy::type_complexity)]
            pub struct #name {
                #(#acc_fields,)*
                #(#fields,)*
            }

            impl #name {
                /// Instantiates `component` with the imports `linker` defines, and finds its
                /// exports.
                pub fn instantiate<T: 'static>(
                    mut store: impl ::tether::AsContextMut<Data = T>,
                    component: &::tether::Component,
                    linker: &::tether::Linker<T>,
                ) -> ::tether::Result<#name> {
                    let instance = linker.instantiate(&mut store, component)?;
                    #name::new(store, &instance)
                }

                /// Finds the world's exports in `instance` and checks their types.
                pub fn new(#store, #instance) -> ::tether::Result<#name> {
                    #(#acc_inits)*
                    #(#inits)*
                    #ok(#name { #(#all_fields),* })
                }

                /// Defines every import of the world in `linker`, implemented by `T`.
                pub fn add_to_linker<T>(linker: &mut ::tether::Linker<T>) -> ::tether::Result<()>
                where
                    T: #(#bounds +)* Send + 'static,
                {
                    #(#linkers(linker)?;)*
                    #ok(())
                }

                #(#acc_methods)*

                #helpers

                #(#methods)*
            }
        });
        tree.items.extend(root_items);
        Ok(tree.emit())
    }
}

/// A constant whose evaluation fails, with a message naming the WIT resource and its location,
/// when the Rust type a `with` option maps it to is not `Send + 'static`. (An inherent
/// associated constant, present only when the bounds hold, shadows the failing one of a
/// trait implemented for every type.)
fn fits_check(key: &str, path: &syn::Path, location: &str) -> TokenStream {
    let message = format!(
        "bindgen!: the Rust type `{}` that `with` maps the WIT resource `{key}` ({location}) to must be `Send + 'static`",
        quote!(#path).to_string().replace(' ', "")
    );
    quote! {
        const _: () = {
            struct Probe<R>(::core::marker::PhantomData<R>);
            impl<R: Send + 'static> Probe<R> {
                const FITS: () = ();
            }
            trait Unfit {
                const FITS: () = ::core::panic!(#message);
            }
            impl<R> Unfit for Probe<R> {}
            Probe::<#path>::FITS
        };
    }
}

/// The private functions of a wrapper that find and check its exported functions: in the
/// instance `iface`, or at the root.
fn lookup_helpers(iface: Option<&str>) -> TokenStream {
    let (find, full) = match iface {
        Some(i) => (
            quote!(instance.get_func_at(&mut *store, &[#i, name])),
            format!("{i}#{{name}}"),
        ),
        None => (
            quote!(instance.get_func(&mut *store, name)),
            "{name}".to_string(),
        ),
    };
    let missing = format!("the component exports no function `{full}`");
    let wrong = format!("exported function `{full}` has the wrong type");
    quote! {
        fn func(
            store: &mut impl ::tether::AsContextMut,
            instance: &::tether::Instance,
            name: &str,
        ) -> ::tether::Result<::tether::Func> {
            #find.ok_or_else(|| ::tether::Error::msg(::std::format!(#missing)))
        }

        fn typed<P: ::tether::ComponentNamedList, R: ::tether::ComponentNamedList>(
            f: ::tether::Func,
            name: &str,
        ) -> ::tether::Result<::tether::TypedFunc<P, R>> {
            ::tether::TypedFunc::new(f).map_err(|e| e.context(::std::format!(#wrong)))
        }
    }
}

struct ExportFn {
    field: Ident,
    field_ty: TokenStream,
    init: TokenStream,
    method: TokenStream,
    handle_method: Option<(TypeId, TokenStream)>,
}
