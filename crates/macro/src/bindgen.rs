//! `bindgen!`: parses the options and calls the generator in `tether-bindgen`.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitBool, LitStr, Token, braced, bracketed};

/// The options: `"world"`, or `{ path: "...", world: "...", with: { "key": path },
/// children: [...], revoked: { "key": "error-type.case" }, deps: [...], features: [...],
/// all_features: true }`.
pub struct Input {
    opts: tether_bindgen::Opts,
    path: Option<LitStr>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Input> {
        let mut opts = tether_bindgen::Opts::default();
        let mut path = None;
        if input.peek(LitStr) {
            let world: LitStr = input.parse()?;
            opts.world = Some(world.value());
            return Ok(Input { opts, path });
        }
        if input.is_empty() {
            return Ok(Input { opts, path });
        }
        let body;
        braced!(body in input);
        let mut seen: Vec<String> = Vec::new();
        while !body.is_empty() {
            let key: syn::Ident = body.parse()?;
            let name = key.to_string();
            if seen.contains(&name) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{name}` is given twice"),
                ));
            }
            seen.push(name.clone());
            body.parse::<Token![:]>()?;
            match name.as_str() {
                "path" => path = Some(body.parse()?),
                "world" => opts.world = Some(body.parse::<LitStr>()?.value()),
                "with" => parse_map(&body, |k, map| {
                    let v: syn::Path = map.parse()?;
                    opts.with.push((k, quote!(#v).to_string()));
                    Ok(())
                })?,
                "revoked" => parse_map(&body, |k, map| {
                    opts.revoked.push((k, map.parse::<LitStr>()?.value()));
                    Ok(())
                })?,
                "deps" | "features" | "children" => {
                    let list;
                    bracketed!(list in body);
                    let items = list.parse_terminated(|p| p.parse::<LitStr>(), Token![,])?;
                    for item in items {
                        if name == "deps" {
                            opts.deps.push(PathBuf::from(item.value()));
                        } else if name == "children" {
                            opts.children.push(item.value());
                        } else {
                            opts.features.push(item.value());
                        }
                    }
                }
                "all_features" => opts.all_features = body.parse::<LitBool>()?.value,
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{name}`: expected `path`, `world`, `with`, `children`, `revoked`, \
                             `deps`, `features` or `all_features`"
                        ),
                    ));
                }
            }
            if body.is_empty() {
                break;
            }
            body.parse::<Token![,]>()?;
        }
        Ok(Input { opts, path })
    }
}

/// Parses `{ "key": value, ... }`, handing each key to `value`, which parses its value.
fn parse_map(
    input: ParseStream<'_>,
    mut value: impl FnMut(String, ParseStream<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    let map;
    braced!(map in input);
    while !map.is_empty() {
        let k: LitStr = map.parse()?;
        map.parse::<Token![:]>()?;
        value(k.value(), &map)?;
        if map.is_empty() {
            break;
        }
        map.parse::<Token![,]>()?;
    }
    Ok(())
}

pub fn expand(input: Input) -> TokenStream {
    let Input { mut opts, path } = input;
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let span = path.as_ref().map_or(Span::call_site(), |p| p.span());
    opts.path = root.join(path.map_or_else(|| "wit".to_string(), |p| p.value()));
    opts.deps = opts.deps.iter().map(|d| root.join(d)).collect();
    match tether_bindgen::generate(&opts) {
        Ok(bindings) => {
            // Each WIT file is included, so that editing it rebuilds the bindings.
            let files = bindings
                .files
                .iter()
                .map(|f| absolute(f))
                .filter_map(|f| f.to_str().map(str::to_string));
            let tokens = bindings.tokens;
            quote! {
                #(const _: &[u8] = include_bytes!(#files);)*
                #tokens
            }
        }
        Err(e) => {
            let message = format!("bindgen!: {e}");
            quote::quote_spanned!(span => ::core::compile_error!(#message);)
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
