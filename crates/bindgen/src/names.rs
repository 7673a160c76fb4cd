//! Turning WIT names (kebab-case labels) into Rust names.

use proc_macro2::{Ident, Span};

/// Words that cannot be Rust identifiers as they are: they get a `_` appended.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

fn escape(s: String) -> String {
    if KEYWORDS.contains(&s.as_str()) {
        s + "_"
    } else {
        s
    }
}

/// `status-code` → `status_code`, `HTTP-error` → `http_error`; keywords get a `_`.
pub fn snake(label: &str) -> String {
    escape(
        label
            .split('-')
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("_"),
    )
}

/// `status-code` → `StatusCode`, `HTTP-error` → `HttpError`.
pub fn camel(label: &str) -> String {
    let s: String = label
        .split('-')
        .map(|w| {
            let lower = w.to_lowercase();
            let mut c = lower.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect();
    escape(s)
}

/// `read-all` → `READ_ALL`.
pub fn shouty(label: &str) -> String {
    escape(
        label
            .split('-')
            .map(str::to_uppercase)
            .collect::<Vec<_>>()
            .join("_"),
    )
}

/// The WIT label that `#[derive(tether::ComponentType)]` and `tether::flags!` give a Rust
/// identifier when none is named: words split at `_` and at changes of case, lower-cased and
/// joined with `-`. The generator names the label explicitly where this differs.
pub fn derived_label(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_uppercase() && !word.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next_is_lower)
            {
                words.push(std::mem::take(&mut word));
            }
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("-")
}

/// An identifier.
pub fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(snake("status-code"), "status_code");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("HTTP-error"), "http_error");
        assert_eq!(camel("status-code"), "StatusCode");
        assert_eq!(camel("HTTP-request-denied"), "HttpRequestDenied");
        assert_eq!(camel("ipv4-socket-address"), "Ipv4SocketAddress");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(shouty("read-all"), "READ_ALL");
        assert_eq!(derived_label("HttpRequestDenied"), "http-request-denied");
        assert_eq!(derived_label("Ipv4SocketAddress"), "ipv4-socket-address");
        assert_eq!(derived_label("type_"), "type");
    }
}
