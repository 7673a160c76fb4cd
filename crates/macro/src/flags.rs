//! `flags!`: bit sets standing for WIT `flags` types.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitStr, Token, Visibility, braced};

use crate::attrs::{self, TypeAttrs};
use crate::names;
use crate::support;

/// The most labels a `flags` type has in this version of the ABI.
const MAX_FLAGS: usize = 32;

/// Everything inside `flags! { ... }`: one or more flags types.
pub struct Input(Vec<Def>);

/// One flags type: `[attrs] [vis] [struct] Name { [attrs] const NAME [= "label"]; ... }`.
struct Def {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    flags: Vec<Flag>,
}

struct Flag {
    attrs: Vec<Attribute>,
    ident: Ident,
    label: Option<LitStr>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Input> {
        let mut defs = Vec::new();
        while !input.is_empty() {
            defs.push(input.parse()?);
        }
        if defs.is_empty() {
            return Err(
                input.error("expected a flags type: `Name { const FLAG = \"label\"; ... }`")
            );
        }
        Ok(Input(defs))
    }
}

impl Parse for Def {
    fn parse(input: ParseStream<'_>) -> syn::Result<Def> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if input.peek(Token![struct]) {
            input.parse::<Token![struct]>()?;
        }
        let ident: Ident = input.parse()?;
        let body;
        braced!(body in input);
        let mut flags = Vec::new();
        while !body.is_empty() {
            let attrs = body.call(Attribute::parse_outer)?;
            body.parse::<Token![const]>()?;
            let ident: Ident = body.parse()?;
            let label = if body.peek(Token![=]) {
                body.parse::<Token![=]>()?;
                Some(body.parse::<LitStr>()?)
            } else {
                None
            };
            body.parse::<Token![;]>()?;
            flags.push(Flag {
                attrs,
                ident,
                label,
            });
        }
        Ok(Def {
            attrs,
            vis,
            ident,
            flags,
        })
    }
}

pub fn expand(input: Input) -> syn::Result<TokenStream> {
    let mut out = TokenStream::new();
    for def in input.0 {
        out.extend(expand_one(def)?);
    }
    Ok(out)
}

fn expand_one(def: Def) -> syn::Result<TokenStream> {
    let type_attrs = TypeAttrs::parse(&def.attrs, false)?;
    let krate = type_attrs.krate();
    let Def {
        attrs,
        vis,
        ident,
        flags,
    } = def;
    let attrs = attrs::without_component(attrs);
    let rust = ident.to_string();

    if flags.is_empty() || flags.len() > MAX_FLAGS {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "a WIT `flags` type has 1 to {MAX_FLAGS} labels, `{rust}` has {}",
                flags.len()
            ),
        ));
    }
    let mut labels: Vec<(String, Span)> = Vec::new();
    for flag in &flags {
        let default = names::kebab(&flag.ident.to_string());
        let has_attr = flag.attrs.iter().any(|a| a.path().is_ident("component"));
        let label = match &flag.label {
            Some(lit) if has_attr => {
                return Err(syn::Error::new(
                    lit.span(),
                    "the label is given both by `= \"...\"` and by `#[component(name)]`",
                ));
            }
            Some(lit) => {
                let value = lit.value();
                if !names::is_label(&value) {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!(
                            "`{value}` is not a valid WIT label: use kebab-case words such as `read-only`"
                        ),
                    ));
                }
                value
            }
            None => attrs::member_name(&flag.attrs, &flag.ident, default)?,
        };
        labels.push((label, flag.ident.span()));
    }
    attrs::check_unique(&labels, "flags")?;
    for (i, flag) in flags.iter().enumerate() {
        if flags[..i].iter().any(|f| f.ident == flag.ident) {
            return Err(syn::Error::new(
                flag.ident.span(),
                format!("the flag `{}` is defined twice", flag.ident),
            ));
        }
    }

    let labels: Vec<String> = labels.into_iter().map(|(l, _)| l).collect();
    let count = flags.len();
    let all: u32 = if count == MAX_FLAGS {
        u32::MAX
    } else {
        (1u32 << count) - 1
    };
    let rust_names: Vec<String> = flags.iter().map(|f| f.ident.to_string()).collect();
    let consts = flags.iter().enumerate().map(|(i, flag)| {
        let attrs = attrs::without_component(flag.attrs.clone());
        let name = &flag.ident;
        let bit = 1u32 << i;
        let label = &labels[i];
        let doc = format!(" The flag `{label}`.");
        let doc = if attrs.iter().any(|a| a.path().is_ident("doc")) {
            quote!()
        } else {
            quote!(#[doc = #doc])
        };
        quote! {
            #doc
            #(#attrs)*
            pub const #name: Self = Self { bits: #bit };
        }
    });
    let helpers = support::helpers(&krate);

    Ok(quote! {
        #(#attrs)*
        #[derive(
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash,
            ::core::default::Default,
        )]
        #vis struct #ident {
            bits: u32,
        }

        #[allow(dead_code)]
        impl #ident {
            #(#consts)*

            /// No flags set.
            pub const fn empty() -> Self {
                Self { bits: 0 }
            }

            /// Every flag set.
            pub const fn all() -> Self {
                Self { bits: #all }
            }

            /// The flags as bits: flag `i` in declaration order is bit `i`.
            pub const fn bits(self) -> u32 {
                self.bits
            }

            /// The flags from bits, or `None` if a bit is set that stands for no flag.
            pub const fn from_bits(bits: u32) -> ::core::option::Option<Self> {
                if bits & !#all == 0 {
                    ::core::option::Option::Some(Self { bits })
                } else {
                    ::core::option::Option::None
                }
            }

            /// The flags from bits, ignoring the bits that stand for no flag.
            pub const fn from_bits_truncate(bits: u32) -> Self {
                Self { bits: bits & #all }
            }

            /// Whether no flag is set.
            pub const fn is_empty(self) -> bool {
                self.bits == 0
            }

            /// Whether every flag is set.
            pub const fn is_all(self) -> bool {
                self.bits == #all
            }

            /// Whether every flag set in `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.bits & other.bits == other.bits
            }

            /// Whether some flag is set in both.
            pub const fn intersects(self, other: Self) -> bool {
                self.bits & other.bits != 0
            }

            /// The flags set in either (`|`).
            pub const fn union(self, other: Self) -> Self {
                Self { bits: self.bits | other.bits }
            }

            /// The flags set in both (`&`).
            pub const fn intersection(self, other: Self) -> Self {
                Self { bits: self.bits & other.bits }
            }

            /// The flags set in `self` but not in `other` (`-`).
            pub const fn difference(self, other: Self) -> Self {
                Self { bits: self.bits & !other.bits }
            }

            /// The flags set in exactly one of them (`^`).
            pub const fn symmetric_difference(self, other: Self) -> Self {
                Self { bits: self.bits ^ other.bits }
            }

            /// The flags not set in `self` (`!`).
            pub const fn complement(self) -> Self {
                Self { bits: !self.bits & #all }
            }

            /// Sets the flags of `other`.
            pub fn insert(&mut self, other: Self) {
                self.bits |= other.bits;
            }

            /// Clears the flags of `other`.
            pub fn remove(&mut self, other: Self) {
                self.bits &= !other.bits;
            }

            /// Flips the flags of `other`.
            pub fn toggle(&mut self, other: Self) {
                self.bits ^= other.bits;
            }

            /// Sets or clears the flags of `other`.
            pub fn set(&mut self, other: Self, value: bool) {
                if value {
                    self.insert(other);
                } else {
                    self.remove(other);
                }
            }

            /// The WIT labels of the flags that are set, in declaration order.
            pub fn labels(self) -> impl ::core::iter::Iterator<Item = &'static str> {
                use ::core::iter::Iterator as _;
                const LABELS: [&str; #count] = [#(#labels),*];
                ::core::iter::IntoIterator::into_iter(LABELS)
                    .enumerate()
                    .filter(move |(i, _)| self.bits & (1u32 << i) != 0)
                    .map(|(_, l)| l)
            }
        }

        const _: () = {
            const __LABELS: [&str; #count] = [#(#labels),*];
            const __NAMES: [&str; #count] = [#(#rust_names),*];

            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#rust)?;
                    f.write_str("(")?;
                    if self.bits == 0 {
                        f.write_str("empty")?;
                    }
                    let mut first = true;
                    for (i, name) in __NAMES.iter().enumerate() {
                        if self.bits & (1u32 << i) != 0 {
                            if !first {
                                f.write_str(" | ")?;
                            }
                            first = false;
                            f.write_str(name)?;
                        }
                    }
                    f.write_str(")")
                }
            }

            impl ::core::ops::BitOr for #ident {
                type Output = Self;
                fn bitor(self, other: Self) -> Self {
                    self.union(other)
                }
            }

            impl ::core::ops::BitOrAssign for #ident {
                fn bitor_assign(&mut self, other: Self) {
                    self.insert(other);
                }
            }

            impl ::core::ops::BitAnd for #ident {
                type Output = Self;
                fn bitand(self, other: Self) -> Self {
                    self.intersection(other)
                }
            }

            impl ::core::ops::BitAndAssign for #ident {
                fn bitand_assign(&mut self, other: Self) {
                    *self = self.intersection(other);
                }
            }

            impl ::core::ops::BitXor for #ident {
                type Output = Self;
                fn bitxor(self, other: Self) -> Self {
                    self.symmetric_difference(other)
                }
            }

            impl ::core::ops::BitXorAssign for #ident {
                fn bitxor_assign(&mut self, other: Self) {
                    self.toggle(other);
                }
            }

            impl ::core::ops::Sub for #ident {
                type Output = Self;
                fn sub(self, other: Self) -> Self {
                    self.difference(other)
                }
            }

            impl ::core::ops::SubAssign for #ident {
                fn sub_assign(&mut self, other: Self) {
                    self.remove(other);
                }
            }

            impl ::core::ops::Not for #ident {
                type Output = Self;
                fn not(self) -> Self {
                    self.complement()
                }
            }

            impl ::core::iter::FromIterator<#ident> for #ident {
                fn from_iter<I: ::core::iter::IntoIterator<Item = #ident>>(iter: I) -> Self {
                    let mut out = Self::empty();
                    ::core::iter::Extend::extend(&mut out, iter);
                    out
                }
            }

            impl ::core::iter::Extend<#ident> for #ident {
                fn extend<I: ::core::iter::IntoIterator<Item = #ident>>(&mut self, iter: I) {
                    for flags in iter {
                        self.insert(flags);
                    }
                }
            }

            #helpers

            #[automatically_derived]
            impl #krate::ComponentType for #ident {
                const DIRECT: bool = true;

                fn lift_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
                    _cx: &mut __TetherCx,
                    _ty: &#krate::Type,
                    flat: &[u64],
                ) -> ::core::result::Result<Self, #krate::abi::Fault> {
                    if #count == 0 {
                        return ::core::result::Result::Ok(Self::empty());
                    }
                    let bits = #krate::abi::direct::slots(flat, 0, 1)?[0] as u32;
                    ::core::result::Result::Ok(Self::from_bits_truncate(bits))
                }

                fn load_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
                    cx: &mut __TetherCx,
                    ty: &#krate::Type,
                    off: usize,
                ) -> ::core::result::Result<Self, #krate::abi::Fault> {
                    let #krate::Type::Flags(flags) = ty else {
                        return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
                    };
                    let bits = #krate::abi::direct::read_flags(cx.memory()?, off, flags.size())?;
                    ::core::result::Result::Ok(Self::from_bits_truncate(bits))
                }

                fn lower_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
                    &self,
                    _cx: &mut __TetherCx,
                    _ty: &#krate::Type,
                    out: &mut [u64],
                ) -> ::core::result::Result<(), #krate::abi::Fault> {
                    if #count != 0 {
                        #krate::abi::direct::slots_mut(out, 0, 1)?[0] = u64::from(self.bits);
                    }
                    ::core::result::Result::Ok(())
                }

                fn store_direct<__TetherCx: #krate::abi::Context + ?::core::marker::Sized>(
                    &self,
                    cx: &mut __TetherCx,
                    ty: &#krate::Type,
                    off: usize,
                ) -> ::core::result::Result<(), #krate::abi::Fault> {
                    let #krate::Type::Flags(flags) = ty else {
                        return ::core::result::Result::Err(#krate::abi::direct::unexpected(ty));
                    };
                    #krate::abi::direct::write_flags(cx.memory_mut()?, off, flags.size(), self.bits)
                }

                fn typecheck(ty: &#krate::Type) -> #krate::Result<()> {
                    match ty {
                        #krate::Type::Flags(flags) => {
                            let names: ::std::vec::Vec<&str> =
                                flags.names().iter().map(|name| name.as_str()).collect();
                            __names("flag", "flags", #rust, ty, &names, &__LABELS)
                        }
                        _ => ::core::result::Result::Err(__mismatch(#rust, ty, "")),
                    }
                }

                fn to_val(&self) -> #krate::Val {
                    #krate::Val::Flags(self.labels().map(::std::string::String::from).collect())
                }

                fn from_val(value: #krate::Val) -> #krate::Result<Self> {
                    match value {
                        #krate::Val::Flags(set) => {
                            let mut bits = 0u32;
                            for label in &set {
                                match __LABELS.iter().position(|l| *l == label.as_str()) {
                                    ::core::option::Option::Some(i) => bits |= 1u32 << i,
                                    ::core::option::Option::None => {
                                        return ::core::result::Result::Err(__unknown("flag", #rust, label));
                                    }
                                }
                            }
                            ::core::result::Result::Ok(Self { bits })
                        }
                        value => ::core::result::Result::Err(__value("a flags", #rust, &value)),
                    }
                }
            }
        };
    })
}
