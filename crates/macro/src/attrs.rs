//! The `#[component(...)]` attributes.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Path};

use crate::names;

/// What a type-level `#[component(...)]` asks for.
#[derive(Default)]
pub struct TypeAttrs {
    /// The path to the runtime crate, `::tether` unless overridden.
    pub krate: Option<Path>,
    /// `#[component(record)]`, `#[component(enum)]` or `#[component(variant)]`.
    pub kind: Option<(Kind, Span)>,
    /// `#[component(bound = "R: Send + 'static")]`: the where-clause predicates of the impl,
    /// in place of a `ComponentType` bound on each type parameter.
    pub bound: Option<Vec<syn::WherePredicate>>,
}

/// The WIT type a Rust type is meant to stand for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Record,
    Enum,
    Variant,
}

impl TypeAttrs {
    /// Reads the `#[component(...)]` attributes of a type; `allow_kind` says whether the kind
    /// keywords are accepted.
    pub fn parse(attrs: &[Attribute], allow_kind: bool) -> syn::Result<TypeAttrs> {
        let mut out = TypeAttrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    let value = meta.value()?;
                    let path = if value.peek(LitStr) {
                        value.parse::<LitStr>()?.parse::<Path>()?
                    } else {
                        value.parse::<Path>()?
                    };
                    if out.krate.replace(path).is_some() {
                        return Err(meta.error("`crate` given twice"));
                    }
                    return Ok(());
                }
                if meta.path.is_ident("bound") {
                    let lit: LitStr = meta.value()?.parse()?;
                    let parser = syn::punctuated::Punctuated::<syn::WherePredicate, syn::Token![,]>::parse_terminated;
                    let predicates = syn::parse::Parser::parse_str(parser, &lit.value())
                        .map_err(|e| syn::Error::new(lit.span(), format!("`bound` is not a list of where-clause predicates: {e}")))?;
                    if out.bound.replace(predicates.into_iter().collect()).is_some() {
                        return Err(meta.error("`bound` given twice"));
                    }
                    return Ok(());
                }
                let kind = if meta.path.is_ident("record") {
                    Kind::Record
                } else if meta.path.is_ident("enum") {
                    Kind::Enum
                } else if meta.path.is_ident("variant") {
                    Kind::Variant
                } else if meta.path.is_ident("name") {
                    return Err(meta.error("`name` belongs on a field or an enum variant, not on the type"));
                } else {
                    return Err(meta.error(if allow_kind {
                        "unknown `component` attribute: expected `crate = path`, `bound = \"...\"`, `record`, `enum` or `variant`"
                    } else {
                        "unknown `component` attribute: expected `crate = path`"
                    }));
                };
                if !allow_kind {
                    return Err(meta.error("unknown `component` attribute: expected `crate = path`"));
                }
                if out.kind.is_some() {
                    return Err(meta.error("the kind of type is given twice"));
                }
                out.kind = Some((kind, meta.path.span()));
                Ok(())
            })?;
        }
        Ok(out)
    }

    /// The path to the runtime crate.
    pub fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(path) => quote!(#path),
            None => quote!(::tether),
        }
    }
}

/// Reads `#[component(name = "...")]` on a field, variant or flag: the WIT label to use,
/// `default` when there is none. The label is checked.
pub fn member_name(attrs: &[Attribute], ident: &Ident, default: String) -> syn::Result<String> {
    let mut name: Option<LitStr> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let lit: LitStr = meta.value()?.parse()?;
                if name.replace(lit).is_some() {
                    return Err(meta.error("`name` given twice"));
                }
                Ok(())
            } else {
                Err(meta.error("unknown `component` attribute here: expected `name = \"...\"`"))
            }
        })?;
    }
    match name {
        Some(lit) => {
            let value = lit.value();
            if !names::is_label(&value) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "`{value}` is not a valid WIT label: use kebab-case words such as `status-code`"
                    ),
                ));
            }
            Ok(value)
        }
        None if names::is_label(&default) => Ok(default),
        None => Err(syn::Error::new(
            ident.span(),
            format!(
                "`{ident}` gives the WIT label `{default}`, which is not valid: name it with \
                 `#[component(name = \"...\")]`"
            ),
        )),
    }
}

/// Checks that no two members share a label.
pub fn check_unique(labels: &[(String, Span)], what: &str) -> syn::Result<()> {
    for (i, (label, span)) in labels.iter().enumerate() {
        if labels[..i].iter().any(|(l, _)| l == label) {
            return Err(syn::Error::new(
                *span,
                format!("two {what} have the WIT label `{label}`"),
            ));
        }
    }
    Ok(())
}

/// Removes `#[component(...)]` attributes, for items the `flags!` macro writes out again.
pub fn without_component(attrs: Vec<Attribute>) -> Vec<Attribute> {
    attrs
        .into_iter()
        .filter(|a| !a.path().is_ident("component"))
        .collect()
}
