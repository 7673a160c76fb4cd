//! Helper functions that every generated `ComponentType` impl carries along.
//!
//! A proc-macro crate can export nothing but macros, and the runtime exports no hidden helpers
//! for generated code, so each expansion writes these few functions into the anonymous
//! `const _: () = { ... };` block that holds its impl. They are all on error paths. Their
//! names start with `__` so as not to shadow the user's items, which the generated code names
//! from inside that block.

use proc_macro2::TokenStream;
use quote::quote;

/// The helper functions, written against the runtime crate at `krate`.
pub fn helpers(krate: &TokenStream) -> TokenStream {
    quote! {
        // Without naming anything that could shadow the user's items, this brings the traits
        // whose methods the generated code calls into scope, even under `#![no_implicit_prelude]`.
        #[allow(unused_imports)]
        use ::core::{convert::From as _, iter::IntoIterator as _, iter::Iterator as _};

        /// Compares the member labels of a component type with those of the Rust type.
        #[allow(dead_code)]
        #[cold]
        fn __names(
            kind: &str,
            kinds: &str,
            rust: &str,
            ty: &#krate::Type,
            expected: &[&str],
            ours: &[&str],
        ) -> #krate::Result<()> {
            if expected == ours {
                return ::core::result::Result::Ok(());
            }
            let message = if let ::core::option::Option::Some(name) =
                ours.iter().find(|name| !expected.contains(name))
            {
                ::std::format!(
                    "type mismatch: {kind} `{name}` of `{rust}` is not in the component type: expected `{ty}`"
                )
            } else if let ::core::option::Option::Some(name) =
                expected.iter().find(|name| !ours.contains(name))
            {
                ::std::format!(
                    "type mismatch: {kind} `{name}` is missing from Rust type `{rust}`: expected `{ty}`"
                )
            } else {
                ::std::format!(
                    "type mismatch: the {kinds} of `{rust}` are in a different order: expected `{}`, found `{}`",
                    expected.join("`, `"),
                    ours.join("`, `"),
                )
            };
            ::core::result::Result::Err(#krate::Error::msg(message))
        }

        /// Says which member of which type an error from a member's own check is about.
        #[allow(dead_code)]
        #[cold]
        fn __nested(what: &str, name: &str, rust: &str, error: #krate::Error) -> #krate::Error {
            let inner = ::std::format!("{error:#}");
            let inner = inner.strip_prefix("type mismatch: ").unwrap_or(&inner);
            #krate::Error::msg(::std::format!("type mismatch: {what} `{name}` of `{rust}`: {inner}"))
        }

        /// A component type of another kind than the Rust type.
        #[allow(dead_code)]
        #[cold]
        fn __mismatch(rust: &str, ty: &#krate::Type, hint: &str) -> #krate::Error {
            #krate::Error::msg(::std::format!("type mismatch: expected `{ty}`, found Rust type `{rust}`{hint}"))
        }

        /// A variant case whose payload is present on one side only.
        #[allow(dead_code)]
        #[cold]
        fn __payload(
            rust: &str,
            case: &str,
            expected: ::core::option::Option<&#krate::Type>,
            found: ::core::option::Option<&str>,
        ) -> #krate::Error {
            let message = match (expected, found) {
                (::core::option::Option::Some(ty), _) => ::std::format!(
                    "type mismatch: variant case `{case}` of `{rust}`: expected a payload of type `{ty}`, found none"
                ),
                (::core::option::Option::None, found) => ::std::format!(
                    "type mismatch: variant case `{case}` of `{rust}`: expected no payload, found Rust type `{}`",
                    found.unwrap_or("()"),
                ),
            };
            #krate::Error::msg(message)
        }

        /// A value of another kind than the Rust type.
        #[allow(dead_code)]
        #[cold]
        fn __value(what: &str, rust: &str, value: &#krate::Val) -> #krate::Error {
            let mut shown = ::std::format!("{value:?}");
            if shown.len() > 80 {
                let mut end = 77;
                while !shown.is_char_boundary(end) {
                    end -= 1;
                }
                shown.truncate(end);
                shown.push_str("...");
            }
            #krate::Error::msg(::std::format!(
                "type mismatch: expected {what} value for `{rust}`, found {shown}"
            ))
        }

        /// A case or flag label that the Rust type does not have.
        #[allow(dead_code)]
        #[cold]
        fn __unknown(kind: &str, rust: &str, label: &str) -> #krate::Error {
            #krate::Error::msg(::std::format!("type mismatch: `{rust}` has no {kind} `{label}`"))
        }

        /// The next field of a record value, which must be `label`.
        #[allow(dead_code)]
        fn __field(
            fields: &mut ::std::vec::IntoIter<(::std::string::String, #krate::Val)>,
            label: &str,
            rust: &str,
        ) -> #krate::Result<#krate::Val> {
            match fields.next() {
                ::core::option::Option::Some((name, value)) if name == label => ::core::result::Result::Ok(value),
                ::core::option::Option::Some((name, _)) => ::core::result::Result::Err(#krate::Error::msg(::std::format!(
                    "type mismatch: expected record field `{label}` of `{rust}`, found field `{name}`"
                ))),
                ::core::option::Option::None => ::core::result::Result::Err(#krate::Error::msg(::std::format!(
                    "type mismatch: the record value for `{rust}` has no field `{label}`"
                ))),
            }
        }
    }
}
