//! Macros that make Rust types stand for compound component value types in
//! Tether: `#[derive(ComponentType)]` for WIT records, variants
//! and enums, and [`flags!`] for WIT flags; and [`bindgen!`], typed host bindings from WIT.
//!
//! Use them through the runtime, as `tether::ComponentType` and `tether::flags!`: the code
//! they generate names the runtime as `::tether` (see `#[component(crate = path)]` to change
//! that) and implements only the `tether::ComponentType` trait.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attrs;
mod bindgen;
#[cfg(doctest)]
mod compile_fail;
mod derive;
mod flags;
mod names;
mod support;

/// Implements `tether::ComponentType` for a struct (a WIT `record`) or an enum (a WIT `enum`
/// or `variant`).
///
/// - A struct with named fields stands for a `record`. Its fields must match the component
///   type's fields by name and in order, and each field's type must fit the field's type.
/// - An enum whose variants are all unit variants stands for an `enum`, with the same cases
///   in the same order.
/// - An enum with a single-field tuple variant `Case(T)` stands for a `variant`: `Case(T)` is
///   a case with a payload of type `T`, a unit variant a case without payload. Cases must
///   match by name and in order.
///
/// Names are turned into WIT labels in kebab-case: the field `status_code` is the label
/// `status-code`, the variant `NotFound` is `not-found`.
///
/// # Attributes
///
/// - `#[component(name = "label")]` on a field or variant: its WIT label.
/// - `#[component(record)]`, `#[component(enum)]`, `#[component(variant)]` on the type: says
///   which WIT type is meant. An enum of unit variants is an `enum` unless marked `variant`.
/// - `#[component(crate = path)]` on the type: the path to the runtime crate, `::tether` by
///   default.
///
/// Type parameters get a `ComponentType` bound, unless `#[component(bound = "...")]` on the
/// type gives the impl's where-clause predicates instead (as in `bound = "R: Send + 'static"`
/// for a record whose field is an `Own<R>`).
///
/// # Example
///
/// ```
/// use tether::{ComponentType, Type, Val};
///
/// #[derive(ComponentType, Debug, PartialEq)]
/// struct Response {
///     status_code: u16,
///     #[component(name = "content")]
///     body: String,
/// }
///
/// #[derive(ComponentType, Debug, PartialEq)]
/// enum Shape {
///     Circle(f64),
///     Empty,
/// }
///
/// let ty = Type::record(vec![("status-code".into(), Type::U16), ("content".into(), Type::String)]);
/// Response::typecheck(&ty)?;
/// let response = Response { status_code: 200, body: "ok".into() };
/// assert_eq!(Response::from_val(response.to_val())?, response);
///
/// // Typecheck errors name the Rust type, the member and the expected WIT type.
/// let ty = Type::record(vec![("status-code".into(), Type::U32), ("content".into(), Type::String)]);
/// let err = Response::typecheck(&ty).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "type mismatch: record field `status-code` of `Response`: expected `u32`, found Rust type `u16`",
/// );
///
/// let ty = Type::variant(vec![("circle".into(), Some(Type::F64)), ("empty".into(), None)]);
/// Shape::typecheck(&ty)?;
/// assert_eq!(Shape::Circle(1.5).to_val(), Val::Variant("circle".into(), Some(Box::new(Val::Float64(1.5)))));
/// # Ok::<(), tether::Error>(())
/// ```
#[proc_macro_derive(ComponentType, attributes(component))]
pub fn derive_component_type(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive::derive(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Defines a `Copy` bit-set type that stands for a WIT `flags` type.
///
/// ```
/// tether::flags! {
///     /// What a caller may do with a file.
///     pub Permissions {
///         const READ = "read";
///         const WRITE = "write";
///         /// The label defaults to the name in kebab-case: `run-as-root`.
///         const RUN_AS_ROOT;
///     }
/// }
///
/// let rw = Permissions::READ | Permissions::WRITE;
/// assert!(rw.contains(Permissions::READ));
/// assert!(!rw.contains(Permissions::all()));
/// assert_eq!(rw & Permissions::WRITE, Permissions::WRITE);
/// assert_eq!(format!("{rw:?}"), "Permissions(READ | WRITE)");
/// assert_eq!(rw.labels().collect::<Vec<_>>(), ["read", "write"]);
///
/// use tether::{ComponentType, Type, Val};
/// let ty = Type::flags(vec!["read".into(), "write".into(), "run-as-root".into()]);
/// Permissions::typecheck(&ty)?;
/// assert_eq!(rw.to_val(), Val::Flags(vec!["read".into(), "write".into()]));
/// # Ok::<(), tether::Error>(())
/// ```
///
/// Each type is written `[attributes] [visibility] [struct] Name { flags }`, and each flag
/// `[attributes] const NAME [= "label"];`: the flag's WIT label is the string, or
/// `#[component(name = "label")]`, or else `NAME` in kebab-case. Several types may be defined
/// in one invocation. A type has 1 to 32 flags; flag `i` in declaration order is bit `i`. It
/// must match the component's `flags` type label by label, in order.
///
/// The type derives `Clone`, `Copy`, `PartialEq`, `Eq`, `Hash` and `Default` (no flags set)
/// and implements `Debug`, the operators `|`, `&`, `^`, `-`, `!` (and their assigning forms),
/// `FromIterator` and `Extend` of itself, and `tether::ComponentType`. Its methods are
/// `empty`, `all`, `bits`, `from_bits`, `from_bits_truncate`, `is_empty`, `is_all`,
/// `contains`, `intersects`, `union`, `intersection`, `difference`, `symmetric_difference`,
/// `complement`, `insert`, `remove`, `toggle`, `set` and `labels`.
///
/// `#[component(crate = path)]` on a type sets the path to the runtime crate, `::tether` by
/// default.
#[proc_macro]
pub fn flags(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as flags::Input);
    flags::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Generates typed host bindings from WIT: Rust types, a `Host` trait and `add_to_linker` for
/// each imported interface, and a struct named after the world whose methods call its exports.
///
/// ```ignore
/// mod bindings {
///     ::tether::bindgen!({
///         path: "wit/article",
///         world: "article",
///         with: { "tether:article/http/response": crate::Response },
///     });
/// }
/// ```
///
/// The options:
///
/// - `path`: the WIT, relative to the crate's `Cargo.toml`: a `.wit` file, or a directory
///   of them with an optional `deps` folder; `wit` by default.
/// - `world`: the world's name, or `ns:pkg/world`; optional when the package has one world.
///   `bindgen!("name")` is short for `bindgen!({ world: "name" })`.
/// - `with`: imported resources mapped to Rust types, by `ns:pkg/iface/resource`. A resource
///   not mapped is an associated type of its interface's `Host` trait. A mapped type must be
///   `Send + 'static`; one that is not fails to compile with a message naming the resource
///   and its WIT location.
/// - `children`: methods, by `ns:pkg/iface/resource.method`, whose returned objects are
///   children of `self`: the guest cannot drop or consume `self` while they live.
/// - `revoked`: imported resources, by `ns:pkg/iface/resource`, whose methods return an
///   error case instead of trapping when the host revoked `self`, as
///   `{ "wasi:sockets/tcp/tcp-socket": "error-code.connection-reset" }`: every method of
///   the resource whose result is a `result` with that error type returns that case (of an
///   enum, or of a variant without a payload); the resource's other methods trap.
/// - `deps`: more WIT packages, relative to `Cargo.toml`: files, or directories whose `.wit`
///   files are each one package.
/// - `features`, `all_features`: which `@unstable` items to include.
///
/// Invoke it inside a module of its own: the bindings define modules named after the WIT
/// packages' namespaces (such as `tether` or `wasi`), which would otherwise sit beside the
/// crates of the same name. Name the macro as `::tether::bindgen!` for the same reason.
///
/// Bad WIT, an unknown world, a `with` or `children` key that names nothing the world
/// imports, or two functions that would get one Rust name is a compile error whose message
/// gives the WIT file, line and column. `docs/bindgen.md` in the
/// repository shows what is generated for each kind of item.
#[proc_macro]
pub fn bindgen(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as bindgen::Input);
    bindgen::expand(input).into()
}
