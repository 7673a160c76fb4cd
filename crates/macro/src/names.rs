//! Turning Rust identifiers into WIT labels, and checking labels.

/// The WIT label for a Rust identifier: words split at underscores and at changes of case,
/// lower-cased and joined with `-`.
///
/// `status_code` becomes `status-code`, `NotFound` becomes `not-found`, `HTTPError` becomes
/// `http-error`, `READ_ALL` becomes `read-all`. It is the generator's own algorithm
/// ([`tether_bindgen::derived_label`]), so that the generator knows which labels the derive
/// gives by itself.
pub fn kebab(ident: &str) -> String {
    tether_bindgen::derived_label(ident)
}

/// Whether `s` is a valid WIT label: fragments joined by `-`, each all lower-case or all
/// upper-case letters and digits, the first starting with a letter and the others with a
/// letter or digit.
pub fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').enumerate().all(|(i, fragment)| {
            let Some(first) = fragment.chars().next() else {
                return false;
            };
            let lower = fragment
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            let upper = fragment
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            (first.is_ascii_alphabetic() || (i > 0 && first.is_ascii_digit())) && (lower || upper)
        })
}

/// A Rust type written out for error messages, without the spaces that token printing puts
/// between punctuation: `Vec<Option<u32>>`, `(u8, String)`.
pub fn type_string(tokens: &proc_macro2::TokenStream) -> String {
    let raw = tokens.to_string();
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let word = |c: Option<&char>| {
                c.is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '\'')
            };
            let keep =
                (word(out.chars().last().as_ref()) && word(chars.get(i + 1))) || out.ends_with(',');
            if keep {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case() {
        assert_eq!(kebab("status_code"), "status-code");
        assert_eq!(kebab("body"), "body");
        assert_eq!(kebab("NotFound"), "not-found");
        assert_eq!(kebab("HTTPError"), "http-error");
        assert_eq!(kebab("HTTP2Server"), "http2-server");
        assert_eq!(kebab("Utf8Error"), "utf8-error");
        assert_eq!(kebab("READ_ALL"), "read-all");
        assert_eq!(kebab("field_2"), "field-2");
        assert_eq!(kebab("_private"), "private");
        assert_eq!(kebab("A"), "a");
    }

    #[test]
    fn labels() {
        assert!(is_label("status-code"));
        assert!(is_label("field-2"));
        assert!(is_label("HTTP-error"));
        assert!(!is_label("2-field"));
        assert!(!is_label("Mixed"));
        assert!(!is_label("a--b"));
        assert!(!is_label("a-"));
        assert!(!is_label(""));
        assert!(!is_label("a_b"));
    }

    #[test]
    fn types() {
        let ty: syn::Type = syn::parse_str("Vec < Option < u32 > >").unwrap();
        assert_eq!(type_string(&quote::quote!(#ty)), "Vec<Option<u32>>");
        let ty: syn::Type = syn::parse_str("(u8, std::string::String)").unwrap();
        assert_eq!(
            type_string(&quote::quote!(#ty)),
            "(u8, std::string::String)"
        );
        let ty: syn::Type = syn::parse_str("Option<&'static str>").unwrap();
        assert_eq!(type_string(&quote::quote!(#ty)), "Option<&'static str>");
    }
}
