//! `tether wit` (a component's world as WIT) and `tether check` (validate WIT).

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use wit_component::WitPrinter;
use wit_parser::{Resolve, Type, TypeDefKind, TypeOwner, WorldKey};

/// Reads a component file as a binary, converting WAT text.
pub fn read_binary(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        anyhow!(
            "`{}` is neither a WebAssembly binary nor WAT text",
            path.display()
        )
    })?;
    wat::parse_str(text).map_err(|mut e| {
        e.set_path(path);
        anyhow!(
            "`{}` is neither a WebAssembly binary nor valid WAT text: {}",
            path.display(),
            one_line(&e.to_string())
        )
    })
}

/// Fails unless `bytes` is a component (rather than a core module or something else).
pub fn ensure_component(path: &Path, bytes: &[u8]) -> Result<()> {
    match bytes.get(4..8) {
        Some([_, _, 1, 0]) => Ok(()),
        Some([1, 0, 0, 0]) => Err(anyhow!(
            "`{}` is a core WebAssembly module, not a component (make one with `wasm-tools component new`)",
            path.display()
        )),
        _ => Err(anyhow!(
            "`{}` is not a WebAssembly component",
            path.display()
        )),
    }
}

/// A multi-line message on one line.
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints the world of the component at `path` as WIT, with the packages it uses nested.
pub fn print_wit(path: &Path) -> Result<()> {
    let bytes = read_binary(path)?;
    ensure_component(path, &bytes)?;
    let text = world_wit(&bytes)
        .map_err(|e| anyhow!("cannot print the WIT of `{}`: {e:#}", path.display()))?;
    println!("{text}");
    Ok(())
}

/// The world of the component `bytes` (a binary) as WIT, with the packages it uses nested
/// after a blank line each; an error is one line.
pub fn world_wit(bytes: &[u8]) -> Result<String> {
    let decoded =
        wit_component::decode(bytes).map_err(|e| anyhow!("{}", one_line(&format!("{e:#}"))))?;
    let resolve = decoded.resolve();
    printable(resolve)?;
    let main = decoded.package();
    let nested: Vec<_> = resolve
        .packages
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != main)
        .collect();
    let mut printer = WitPrinter::default();
    printer
        .print(resolve, main, &nested)
        .context("printing the component's WIT")?;
    // Nested packages after a blank line.
    let text = printer
        .output
        .to_string()
        .replace("}\npackage ", "}\n\npackage ");
    Ok(text.trim_end().to_string())
}

/// Fails if printing `resolve` as WIT would need the name of an interface that has none: a
/// component's instance import or export is decoded as an unnamed interface, and a type of
/// another instance that is the same as one of its types would be printed as a `use` of it
/// by path (`WitPrinter` panics on that; WIT has no way to say it).
fn printable(resolve: &Resolve) -> Result<()> {
    let unnamed = |owner: TypeOwner| match owner {
        TypeOwner::Interface(i) => resolve.interfaces[i].name.is_none(),
        _ => false,
    };
    for (_, ty) in resolve.types.iter() {
        if let TypeDefKind::Type(Type::Id(target)) = ty.kind {
            let target = &resolve.types[target];
            if target.owner != ty.owner && unnamed(target.owner) {
                let name = ty.name.as_deref().unwrap_or("a type");
                return Err(anyhow!(
                    "`{name}` is a type of an instance that is not a WIT interface, used by \
                     another one; WIT cannot express that"
                ));
            }
        }
    }
    for (_, world) in resolve.worlds.iter() {
        for key in world.imports.keys().chain(world.exports.keys()) {
            if let WorldKey::Interface(i) = key
                && resolve.interfaces[*i].name.is_none()
            {
                return Err(anyhow!(
                    "the world refers to an interface that has no name; WIT cannot express that"
                ));
            }
        }
    }
    Ok(())
}

/// Checks the WIT file or folder at `path` and returns the line `tether check` prints for it
/// (the path and the package it defines); an error is wit-parser's diagnostic, with the file,
/// line and column and the line marked.
pub fn check(path: &Path) -> Result<String> {
    if !path.exists() {
        return Err(anyhow!(
            "cannot read `{}`: no such file or folder",
            path.display()
        ));
    }
    let mut resolve = Resolve::default();
    let (pkg, _sources) = resolve
        .push_path(path)
        .map_err(|e| anyhow::Error::new(crate::Diagnostic(resolve.render_error(&e))))?;
    let package = &resolve.packages[pkg];
    let worlds = package.worlds.len();
    let interfaces = package.interfaces.len();
    Ok(format!(
        "{}: ok: package `{}` ({interfaces} interface(s), {worlds} world(s))",
        path.display(),
        package.name
    ))
}
