//! The layers of `crates/tether/src` import downward only (ARCHITECTURE.md draws them):
//! `engine`, then `state` (the engine-free core), then `plan` (the compiled plan), then `call`
//! (the store and the call paths), then the public API (the other modules). Every
//! `crate::` path in code, a re-export of `lib.rs` included, must name the file's own layer or
//! one below it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, bottom first: a module path's first segment and its rank.
const LAYERS: &[(&str, usize)] = &[("engine", 0), ("state", 1), ("plan", 2), ("call", 3)];

/// The rank of the public API: every other module.
const API: usize = 4;

fn rank(module: &str) -> usize {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .map_or(API, |&(_, r)| r)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file: every line but comments.
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

/// The module each name that `lib.rs` re-exports from inside the crate comes from:
/// `pub use call::store::{Store, ...}` maps `Store` to `call`.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let flat = code(lib).collect::<Vec<_>>().join(" ");
    for stmt in flat.split(';') {
        let Some(path) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, _)) = path.split_once("::") else {
            continue;
        };
        let names = match path.split_once('{') {
            Some((_, names)) => names.trim_end_matches('}').to_string(),
            None => path.rsplit("::").next().unwrap_or("").to_string(),
        };
        for name in names.split(',') {
            let name = name.split(" as ").last().unwrap_or("").trim();
            if !name.is_empty() {
                map.insert(name.to_string(), module.to_string());
            }
        }
    }
    map
}

/// The first segments of the `crate::` paths in a file's code, with their line numbers.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let seg: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push((n + 1, seg));
            rest = after;
        }
    }
    out
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let reexports = reexports(&lib);
    let mut files = Vec::new();
    sources(&src, &mut files);
    // The crate's own top-level modules; a re-export from anywhere else is another crate's.
    let modules: Vec<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(&src).ok()?.components().next())
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut upward = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        if rel == Path::new("lib.rs") {
            continue;
        }
        let own = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(file).unwrap();
        // `use super::...` inside a layer stays in it; only `crate::` paths can climb.
        for (line, seg) in crate_paths(&text) {
            let target = if seg.starts_with(char::is_uppercase) {
                match reexports.get(&seg) {
                    Some(module) => module.clone(),
                    None => continue, // a macro of another crate
                }
            } else {
                seg.clone()
            };
            if target == own || !modules.contains(&target) {
                continue;
            }
            if rank(&target) > rank(&own) {
                upward.push(format!(
                    "{}:{line}: `crate::{seg}` (layer `{target}`)",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that climb a layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_checker_sees_an_upward_import() {
    let paths = crate_paths(
        "use crate::linker::Linker;\n// crate::func in a comment\nlet x = crate::Func;",
    );
    assert_eq!(
        paths,
        vec![(1, "linker".to_string()), (3, "Func".to_string())]
    );
    let map = reexports("pub use call::store::{Store, StoreContextMut};\npub use func::Func;\n");
    assert_eq!(map.get("Store").map(String::as_str), Some("call"));
    assert_eq!(map.get("Func").map(String::as_str), Some("func"));
    assert!(rank("func") > rank("call") && rank("call") > rank("plan"));
}
