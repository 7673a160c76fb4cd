//! `#[derive(ComponentType)]`: structs as records, enums as enums or variants.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Data, DataEnum, DataStruct, DeriveInput, Fields, Generics, Ident, Type, parse_quote};

use crate::attrs::{self, Kind, TypeAttrs};
use crate::names;
use crate::support;

pub fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let attrs = TypeAttrs::parse(&input.attrs, true)?;
    let krate = attrs.krate();
    let body = match &input.data {
        Data::Struct(data) => {
            if let Some((kind, span)) = attrs.kind
                && kind != Kind::Record
            {
                return Err(syn::Error::new(
                    span,
                    "a struct stands for a WIT `record`; only an enum can be a WIT `enum` or `variant`",
                ));
            }
            record(&input, data, &krate)?
        }
        Data::Enum(data) => {
            let payload = data
                .variants
                .iter()
                .find(|v| !matches!(v.fields, Fields::Unit));
            let kind = match attrs.kind {
                Some((Kind::Record, span)) => {
                    return Err(syn::Error::new(
                        span,
                        "an enum stands for a WIT `enum` or `variant`; only a struct can be a WIT `record`",
                    ));
                }
                Some((kind, _)) => kind,
                None if payload.is_some() => Kind::Variant,
                None => Kind::Enum,
            };
            match (kind, payload) {
                (Kind::Enum, Some(v)) => {
                    return Err(syn::Error::new(
                        v.span(),
                        "the cases of a WIT `enum` have no payload: make this a unit variant, or derive a \
                         WIT `variant` with `#[component(variant)]`",
                    ));
                }
                (Kind::Enum, None) => enumeration(&input, data, &krate)?,
                _ => variant(&input, data, &krate)?,
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "`ComponentType` cannot be derived for a union: use a struct (a WIT `record`) or an enum \
                 (a WIT `enum` or `variant`)",
            ));
        }
    };
    let helpers = support::helpers(&krate);
    let ident = &input.ident;
    let generics = bounded(&input.generics, &krate, attrs.bound.as_deref());
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        const _: () = {
            #helpers

            #[automatically_derived]
            impl #impl_generics #krate::ComponentType for #ident #ty_generics #where_clause {
                #body
            }
        };
    })
}

/// The type's generics with a `ComponentType` bound on each type parameter, or with the
/// predicates of `#[component(bound = "...")]` instead.
fn bounded(
    generics: &Generics,
    krate: &TokenStream,
    bound: Option<&[syn::WherePredicate]>,
) -> Generics {
    let mut generics = generics.clone();
    if let Some(bound) = bound {
        generics
            .make_where_clause()
            .predicates
            .extend(bound.iter().cloned());
        return generics;
    }
    for param in generics.type_params_mut() {
        param.bounds.push(parse_quote!(#krate::ComponentType));
    }
    generics
}

/// One field or case of the Rust type, with its WIT label.
struct Member<'a> {
    ident: &'a Ident,
    label: String,
    /// The field's type, or the case's payload type.
    ty: Option<&'a Type>,
}

/// The WIT labels of `members`, checked to be distinct.
fn labels(members: &[Member<'_>], what: &str) -> syn::Result<Vec<String>> {
    let spanned: Vec<(String, Span)> = members
        .iter()
        .map(|m| (m.label.clone(), m.ident.span()))
        .collect();
    attrs::check_unique(&spanned, what)?;
    Ok(members.iter().map(|m| m.label.clone()).collect())
}

fn record(input: &DeriveInput, data: &DataStruct, krate: &TokenStream) -> syn::Result<TokenStream> {
    let rust = input.ident.to_string();
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.ident.span(),
            "a WIT `record` is derived from a struct with named fields; a WIT `tuple` is a Rust tuple",
        ));
    };
    if named.named.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "a WIT `record` has at least one field",
        ));
    }
    let members = named
        .named
        .iter()
        .map(|f| {
            let ident = f.ident.as_ref().expect("named fields have names");
            let default = names::kebab(&syn::ext::IdentExt::unraw(ident).to_string());
            let label = attrs::member_name(&f.attrs, ident, default)?;
            Ok(Member {
                ident,
                label,
                ty: Some(&f.ty),
            })
        })
        .collect::<syn::Result<Vec<_>>>()?;
    let labels = labels(&members, "fields")?;

    let checks = members.iter().enumerate().map(|(i, m)| {
        let (label, ty) = (&m.label, m.ty);
        quote! {
            <#ty as #krate::ComponentType>::typecheck(&fields[#i].1)
                .map_err(|e| __nested("record field", #label, #rust, e))?;
        }
    });
    let handles = members.iter().enumerate().map(|(i, m)| {
        let ty = m.ty;
        quote! {
            if let ::core::option::Option::Some((_, fty)) = fields.get(#i) {
                <#ty as #krate::ComponentType>::host_handles(fty, f)?;
            }
        }
    });
    let to_vals = members.iter().map(|m| {
        let (ident, label) = (m.ident, &m.label);
        quote! {
            (::std::string::String::from(#label), #krate::ComponentType::to_val(&self.#ident))
        }
    });
    let from_vals = members.iter().map(|m| {
        let (ident, label, ty) = (m.ident, &m.label, m.ty);
        quote! {
            #ident: <#ty as #krate::ComponentType>::from_val(__field(&mut fields, #label, #rust)?)
                .map_err(|e| __nested("record field", #label, #rust, e))?,
        }
    });
    let tys: Vec<&Type> = members.iter().filter_map(|m| m.ty).collect();
    let idents: Vec<&Ident> = members.iter().map(|m| m.ident).collect();
    // Locals named after no field, so that no field shadows the generated code's names.
    let locals: Vec<Ident> = (0..members.len())
        .map(|i| quote::format_ident!("__field{i}"))
        .collect();
    let indices: Vec<usize> = (0..members.len()).collect();
    let direct = quote! {
        const DIRECT: bool = true #(&& <#tys as #krate::ComponentType>::DIRECT)*;

        fn lift_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            cx: &mut __TetherCx,
            ty: &#krate::Type,
            flat: &[u64],
        ) -> ::core::result::Result<Self, #krate::abi::Fault> {
            let #krate::Type::Record(record) = ty else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
            };
            let fields = record.fields();
            let mut at = 0usize;
            #(
                let #locals = {
                    let fty = match fields.get(#indices) {
                        ::core::option::Option::Some((_, fty)) => fty,
                        ::core::option::Option::None => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty)),
                    };
                    let n = fty.flat_count();
                    let value = <#tys as #krate::ComponentType>::lift_direct(cx, fty, #krate::abi::direct::slots(flat, at, n)?)?;
                    at += n;
                    value
                };
            )*
            let _ = at;
            ::core::result::Result::Ok(Self { #(#idents: #locals),* })
        }

        fn load_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            cx: &mut __TetherCx,
            ty: &#krate::Type,
            off: usize,
        ) -> ::core::result::Result<Self, #krate::abi::Fault> {
            let #krate::Type::Record(record) = ty else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
            };
            let fields = record.fields();
            let offsets = record.offsets();
            #(
                let #locals = match (fields.get(#indices), offsets.get(#indices)) {
                    (::core::option::Option::Some((_, fty)), ::core::option::Option::Some(o)) => {
                        <#tys as #krate::ComponentType>::load_direct(cx, fty, off + *o as usize)?
                    }
                    _ => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty)),
                };
            )*
            ::core::result::Result::Ok(Self { #(#idents: #locals),* })
        }

        fn lower_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            &self,
            cx: &mut __TetherCx,
            ty: &#krate::Type,
            out: &mut [u64],
        ) -> ::core::result::Result<(), #krate::abi::Fault> {
            let #krate::Type::Record(record) = ty else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
            };
            let fields = record.fields();
            let mut at = 0usize;
            #(
                let fty = match fields.get(#indices) {
                    ::core::option::Option::Some((_, fty)) => fty,
                    ::core::option::Option::None => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty)),
                };
                let n = fty.flat_count();
                #krate::ComponentType::lower_direct(&self.#idents, cx, fty, #krate::abi::direct::slots_mut(out, at, n)?)?;
                at += n;
            )*
            let _ = at;
            ::core::result::Result::Ok(())
        }

        fn store_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            &self,
            cx: &mut __TetherCx,
            ty: &#krate::Type,
            off: usize,
        ) -> ::core::result::Result<(), #krate::abi::Fault> {
            let #krate::Type::Record(record) = ty else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
            };
            let fields = record.fields();
            let offsets = record.offsets();
            #(
                match (fields.get(#indices), offsets.get(#indices)) {
                    (::core::option::Option::Some((_, fty)), ::core::option::Option::Some(o)) => {
                        #krate::ComponentType::store_direct(&self.#idents, cx, fty, off + *o as usize)?
                    }
                    _ => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty)),
                }
            )*
            ::core::result::Result::Ok(())
        }
    };
    Ok(quote! {
        #direct

        #[allow(unused_variables)]
        fn host_handles(ty: &#krate::Type, f: &mut #krate::HostHandleCheck<'_>) -> #krate::Result<()> {
            if let #krate::Type::Record(record) = ty {
                let fields = record.fields();
                #(#handles)*
            }
            ::core::result::Result::Ok(())
        }

        fn typecheck(ty: &#krate::Type) -> #krate::Result<()> {
            match ty {
                #krate::Type::Record(record) => {
                    let fields = record.fields();
                    let names: ::std::vec::Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
                    __names("record field", "record fields", #rust, ty, &names, &[#(#labels),*])?;
                    #(#checks)*
                    ::core::result::Result::Ok(())
                }
                _ => ::core::result::Result::Err(__mismatch(#rust, ty, "")),
            }
        }

        fn to_val(&self) -> #krate::Val {
            #krate::Val::Record(::std::vec![#(#to_vals),*])
        }

        fn from_val(value: #krate::Val) -> #krate::Result<Self> {
            match value {
                #krate::Val::Record(fields) => {
                    let mut fields = fields.into_iter();
                    let value = Self { #(#from_vals)* };
                    if let ::core::option::Option::Some((name, _)) = fields.next() {
                        return ::core::result::Result::Err(__unknown("record field", #rust, &name));
                    }
                    ::core::result::Result::Ok(value)
                }
                value => ::core::result::Result::Err(__value("a record", #rust, &value)),
            }
        }
    })
}

/// The cases of an enum, each with at most one payload.
fn cases<'a>(data: &'a DataEnum, input: &DeriveInput, kind: &str) -> syn::Result<Vec<Member<'a>>> {
    if data.variants.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            format!("a WIT `{kind}` has at least one case"),
        ));
    }
    data.variants
        .iter()
        .map(|v| {
            let ty = match &v.fields {
                Fields::Unit => None,
                Fields::Unnamed(f) if f.unnamed.len() == 1 => Some(&f.unnamed[0].ty),
                Fields::Unnamed(f) if f.unnamed.is_empty() => {
                    return Err(syn::Error::new(v.span(), "write a case without payload as a unit variant"));
                }
                _ => {
                    return Err(syn::Error::new(
                        v.span(),
                        "a WIT variant case has at most one payload: use a single-field tuple variant such as \
                         `Case(T)`, with a tuple or a record type `T` for several values",
                    ));
                }
            };
            let default = names::kebab(&v.ident.to_string());
            let label = attrs::member_name(&v.attrs, &v.ident, default)?;
            Ok(Member { ident: &v.ident, label, ty })
        })
        .collect()
}

fn enumeration(
    input: &DeriveInput,
    data: &DataEnum,
    krate: &TokenStream,
) -> syn::Result<TokenStream> {
    let rust = input.ident.to_string();
    let members = cases(data, input, "enum")?;
    let labels = labels(&members, "cases")?;
    let idents: Vec<&Ident> = members.iter().map(|m| m.ident).collect();
    let discs: Vec<u32> = (0..members.len() as u32).collect();
    let count = members.len();
    Ok(quote! {
        const DIRECT: bool = true;

        fn lift_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            _cx: &mut __TetherCx,
            ty: &#krate::Type,
            flat: &[u64],
        ) -> ::core::result::Result<Self, #krate::abi::Fault> {
            let disc = #krate::abi::direct::slots(flat, 0, 1)?[0] as u32;
            match disc {
                #(#discs => ::core::result::Result::Ok(Self::#idents),)*
                _ => {
                    let _ = ty;
                    ::core::result::Result::Err(#krate::abi::direct::bad_discriminant(disc, #count))
                }
            }
        }

        fn load_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            cx: &mut __TetherCx,
            ty: &#krate::Type,
            off: usize,
        ) -> ::core::result::Result<Self, #krate::abi::Fault> {
            let #krate::Type::Enum(e) = ty else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
            };
            let disc = #krate::abi::direct::read_disc(cx.memory()?, off, e.shape())?;
            match disc {
                #(#discs => ::core::result::Result::Ok(Self::#idents),)*
                _ => ::core::result::Result::Err(#krate::abi::direct::bad_discriminant(disc, #count)),
            }
        }

        fn lower_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            &self,
            _cx: &mut __TetherCx,
            _ty: &#krate::Type,
            out: &mut [u64],
        ) -> ::core::result::Result<(), #krate::abi::Fault> {
            let disc: u32 = match self {
                #(Self::#idents => #discs,)*
            };
            #krate::abi::direct::slots_mut(out, 0, 1)?[0] = u64::from(disc);
            ::core::result::Result::Ok(())
        }

        fn store_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            &self,
            cx: &mut __TetherCx,
            ty: &#krate::Type,
            off: usize,
        ) -> ::core::result::Result<(), #krate::abi::Fault> {
            let #krate::Type::Enum(e) = ty else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
            };
            let disc: u32 = match self {
                #(Self::#idents => #discs,)*
            };
            #krate::abi::direct::write_disc(cx.memory_mut()?, off, e.shape(), disc)
        }

        fn typecheck(ty: &#krate::Type) -> #krate::Result<()> {
            match ty {
                #krate::Type::Enum(e) => {
                    let names: ::std::vec::Vec<&str> = e.names().iter().map(|name| name.as_str()).collect();
                    __names("enum case", "enum cases", #rust, ty, &names, &[#(#labels),*])
                }
                #krate::Type::Variant(_) => ::core::result::Result::Err(__mismatch(
                    #rust,
                    ty,
                    " (a Rust enum of unit variants stands for a WIT `enum`; add `#[component(variant)]` for a \
                     `variant`)",
                )),
                _ => ::core::result::Result::Err(__mismatch(#rust, ty, "")),
            }
        }

        fn to_val(&self) -> #krate::Val {
            #krate::Val::Enum(::std::string::String::from(match self {
                #(Self::#idents => #labels,)*
            }))
        }

        fn from_val(value: #krate::Val) -> #krate::Result<Self> {
            match value {
                #krate::Val::Enum(case) => match case.as_str() {
                    #(#labels => ::core::result::Result::Ok(Self::#idents),)*
                    case => ::core::result::Result::Err(__unknown("enum case", #rust, case)),
                },
                value => ::core::result::Result::Err(__value("an enum", #rust, &value)),
            }
        }
    })
}

fn variant(input: &DeriveInput, data: &DataEnum, krate: &TokenStream) -> syn::Result<TokenStream> {
    let rust = input.ident.to_string();
    let members = cases(data, input, "variant")?;
    let labels = labels(&members, "cases")?;

    let handles = members.iter().enumerate().filter_map(|(i, m)| {
        let ty = m.ty?;
        Some(quote! {
            if let ::core::option::Option::Some((_, ::core::option::Option::Some(payload))) = cases.get(#i) {
                <#ty as #krate::ComponentType>::host_handles(payload, f)?;
            }
        })
    });
    let checks = members.iter().enumerate().map(|(i, m)| {
        let label = &m.label;
        match m.ty {
            Some(ty) => {
                let shown = names::type_string(&ty.to_token_stream());
                quote! {
                    match &cases[#i].1 {
                        ::core::option::Option::Some(payload) => {
                            <#ty as #krate::ComponentType>::typecheck(payload)
                                .map_err(|e| __nested("variant case", #label, #rust, e))?
                        }
                        ::core::option::Option::None => {
                            return ::core::result::Result::Err(__payload(
                                #rust,
                                #label,
                                ::core::option::Option::None,
                                ::core::option::Option::Some(#shown),
                            ));
                        }
                    }
                }
            }
            None => quote! {
                if let ::core::option::Option::Some(payload) = &cases[#i].1 {
                    return ::core::result::Result::Err(__payload(
                        #rust,
                        #label,
                        ::core::option::Option::Some(payload),
                        ::core::option::Option::None,
                    ));
                }
            },
        }
    });
    let to_vals = members.iter().map(|m| {
        let (ident, label) = (m.ident, &m.label);
        match m.ty {
            Some(_) => quote! {
                Self::#ident(payload) => #krate::Val::Variant(
                    ::std::string::String::from(#label),
                    ::core::option::Option::Some(::std::boxed::Box::new(#krate::ComponentType::to_val(payload))),
                ),
            },
            None => quote! {
                Self::#ident => #krate::Val::Variant(::std::string::String::from(#label), ::core::option::Option::None),
            },
        }
    });
    let from_vals = members.iter().map(|m| {
        let (ident, label) = (m.ident, &m.label);
        match m.ty {
            Some(ty) => quote! {
                (#label, ::core::option::Option::Some(payload)) => ::core::result::Result::Ok(Self::#ident(
                    <#ty as #krate::ComponentType>::from_val(*payload)
                        .map_err(|e| __nested("variant case", #label, #rust, e))?,
                )),
            },
            None => quote! {
                (#label, ::core::option::Option::None) => ::core::result::Result::Ok(Self::#ident),
            },
        }
    });
    let count = members.len();
    let payload_tys: Vec<&Type> = members.iter().filter_map(|m| m.ty).collect();
    let lifts = members.iter().enumerate().map(|(i, m)| {
        let (ident, disc) = (m.ident, i as u32);
        match m.ty {
            Some(ty) => quote! {
                #disc => {
                    let pty = match cases.get(#i) {
                        ::core::option::Option::Some((_, ::core::option::Option::Some(pty))) => pty,
                        _ => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_)),
                    };
                    let n = pty.flat_count();
                    ::core::result::Result::Ok(Self::#ident(
                        <#ty as #krate::ComponentType>::lift_direct(cx, pty, #krate::abi::direct::slots(flat, 1, n)?)?,
                    ))
                }
            },
            None => quote! { #disc => ::core::result::Result::Ok(Self::#ident), },
        }
    });
    let loads = members.iter().enumerate().map(|(i, m)| {
        let (ident, disc) = (m.ident, i as u32);
        match m.ty {
            Some(ty) => quote! {
                #disc => {
                    let pty = match cases.get(#i) {
                        ::core::option::Option::Some((_, ::core::option::Option::Some(pty))) => pty,
                        _ => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_)),
                    };
                    ::core::result::Result::Ok(Self::#ident(
                        <#ty as #krate::ComponentType>::load_direct(cx, pty, off + shape.payload_offset as usize)?,
                    ))
                }
            },
            None => quote! { #disc => ::core::result::Result::Ok(Self::#ident), },
        }
    });
    let lowers = members.iter().enumerate().map(|(i, m)| {
        let (ident, disc) = (m.ident, i as u32);
        match m.ty {
            Some(_) => quote! {
                Self::#ident(payload) => {
                    let pty = match cases.get(#i) {
                        ::core::option::Option::Some((_, ::core::option::Option::Some(pty))) => pty,
                        _ => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_)),
                    };
                    let n = pty.flat_count();
                    #krate::abi::direct::slots_mut(out, 0, 1 + n)?[0] = u64::from(#disc);
                    #krate::ComponentType::lower_direct(payload, cx, pty, #krate::abi::direct::slots_mut(out, 1, n)?)?;
                    1 + n
                }
            },
            None => quote! {
                Self::#ident => {
                    #krate::abi::direct::slots_mut(out, 0, 1)?[0] = u64::from(#disc);
                    1
                }
            },
        }
    });
    let stores = members.iter().enumerate().map(|(i, m)| {
        let (ident, disc) = (m.ident, i as u32);
        match m.ty {
            Some(_) => quote! {
                Self::#ident(payload) => {
                    let pty = match cases.get(#i) {
                        ::core::option::Option::Some((_, ::core::option::Option::Some(pty))) => pty,
                        _ => return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_)),
                    };
                    #krate::abi::direct::write_disc(cx.memory_mut()?, off, shape, #disc)?;
                    #krate::ComponentType::store_direct(payload, cx, pty, off + shape.payload_offset as usize)
                }
            },
            None => quote! {
                Self::#ident => #krate::abi::direct::write_disc(cx.memory_mut()?, off, shape, #disc),
            },
        }
    });
    Ok(quote! {
        const DIRECT: bool = true #(&& <#payload_tys as #krate::ComponentType>::DIRECT)*;

        fn lift_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            cx: &mut __TetherCx,
            ty_: &#krate::Type,
            flat: &[u64],
        ) -> ::core::result::Result<Self, #krate::abi::Fault> {
            let #krate::Type::Variant(variant) = ty_ else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_));
            };
            let cases = variant.cases();
            let _ = &cases;
            let disc = #krate::abi::direct::slots(flat, 0, 1)?[0] as u32;
            match disc {
                #(#lifts)*
                _ => ::core::result::Result::Err(#krate::abi::direct::bad_discriminant(disc, #count)),
            }
        }

        fn load_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            cx: &mut __TetherCx,
            ty_: &#krate::Type,
            off: usize,
        ) -> ::core::result::Result<Self, #krate::abi::Fault> {
            let #krate::Type::Variant(variant) = ty_ else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_));
            };
            let cases = variant.cases();
            let _ = &cases;
            let shape = variant.shape();
            let disc = #krate::abi::direct::read_disc(cx.memory()?, off, shape)?;
            match disc {
                #(#loads)*
                _ => ::core::result::Result::Err(#krate::abi::direct::bad_discriminant(disc, #count)),
            }
        }

        fn lower_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            &self,
            cx: &mut __TetherCx,
            ty_: &#krate::Type,
            out: &mut [u64],
        ) -> ::core::result::Result<(), #krate::abi::Fault> {
            let #krate::Type::Variant(variant) = ty_ else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_));
            };
            let cases = variant.cases();
            let _ = &cases;
            let used: usize = match self {
                #(#lowers)*
            };
            if let ::core::option::Option::Some(rest) = out.get_mut(used..) {
                rest.fill(0);
            }
            ::core::result::Result::Ok(())
        }

        fn store_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
            &self,
            cx: &mut __TetherCx,
            ty_: &#krate::Type,
            off: usize,
        ) -> ::core::result::Result<(), #krate::abi::Fault> {
            let #krate::Type::Variant(variant) = ty_ else {
                return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty_));
            };
            let cases = variant.cases();
            let _ = &cases;
            let shape = variant.shape();
            match self {
                #(#stores)*
            }
        }

        #[allow(unused_variables)]
        fn host_handles(ty: &#krate::Type, f: &mut #krate::HostHandleCheck<'_>) -> #krate::Result<()> {
            if let #krate::Type::Variant(variant) = ty {
                let cases = variant.cases();
                #(#handles)*
            }
            ::core::result::Result::Ok(())
        }

        fn typecheck(ty: &#krate::Type) -> #krate::Result<()> {
            match ty {
                #krate::Type::Variant(variant) => {
                    let cases = variant.cases();
                    let names: ::std::vec::Vec<&str> = cases.iter().map(|(name, _)| name.as_str()).collect();
                    __names("variant case", "variant cases", #rust, ty, &names, &[#(#labels),*])?;
                    #(#checks)*
                    ::core::result::Result::Ok(())
                }
                _ => ::core::result::Result::Err(__mismatch(#rust, ty, "")),
            }
        }

        fn to_val(&self) -> #krate::Val {
            match self {
                #(#to_vals)*
            }
        }

        fn from_val(value: #krate::Val) -> #krate::Result<Self> {
            match value {
                #krate::Val::Variant(case, payload) => match (case.as_str(), payload) {
                    #(#from_vals)*
                    (case, ::core::option::Option::None) => {
                        ::core::result::Result::Err(__unknown("variant case without payload", #rust, case))
                    }
                    (case, ::core::option::Option::Some(_)) => {
                        ::core::result::Result::Err(__unknown("variant case with payload", #rust, case))
                    }
                },
                value => ::core::result::Result::Err(__value("a variant", #rust, &value)),
            }
        }
    })
}
