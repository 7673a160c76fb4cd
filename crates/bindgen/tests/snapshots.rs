//! Snapshot tests of the generated code: each `tests/wit/*.wit` is generated and compared
//! with `tests/snapshots/<name>.rs`; each `tests/wit/errors/*.wit` must fail with the message
//! in `tests/snapshots/errors/<name>.txt`. `BLESS=1 cargo test` rewrites the snapshots.
//!
//! A WIT file may start with option comments: `// world: name`,
//! `// with: ns:pkg/iface/resource = path::Type`, `// children: ns:pkg/iface/resource.method`
//! and `// revoked: ns:pkg/iface/resource = error-type.case`.

use std::path::{Path, PathBuf};

fn opts(wit: &Path) -> tether_bindgen::Opts {
    let mut opts = tether_bindgen::Opts::new(wit);
    let text = std::fs::read_to_string(wit).unwrap();
    for line in text.lines().take_while(|l| l.starts_with("//")) {
        let line = line.trim_start_matches("//").trim();
        if let Some(world) = line.strip_prefix("world:") {
            opts.world = Some(world.trim().to_string());
        } else if let Some(child) = line.strip_prefix("children:") {
            opts.children.push(child.trim().to_string());
        } else if let Some(revoked) = line.strip_prefix("revoked:") {
            let (key, case) = revoked.split_once('=').expect("`revoked: key = type.case`");
            opts.revoked
                .push((key.trim().to_string(), case.trim().to_string()));
        } else if let Some(with) = line.strip_prefix("with:") {
            let (key, path) = with.split_once('=').expect("`with: key = path`");
            opts.with
                .push((key.trim().to_string(), path.trim().to_string()));
        }
    }
    opts
}

fn wit_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wit"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the snapshot at `path`, or rewrites it under `BLESS=1`; returns a
/// description of the difference.
fn check(path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return None;
    }
    let Ok(expected) = std::fs::read_to_string(path) else {
        return Some(format!(
            "{}: no snapshot (run with BLESS=1 to write it)",
            path.display()
        ));
    };
    if expected == actual {
        return None;
    }
    Some(format!(
        "{}: differs from the generated code (BLESS=1 rewrites it)\n{}",
        path.display(),
        diff(&expected, actual)
    ))
}

/// A line diff: the lines of each side that the other lacks, around the first difference.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let mut out = String::new();
    let from = first.saturating_sub(3);
    for l in &e[from..first] {
        out.push_str(&format!("  {l}\n"));
    }
    for l in e.iter().skip(first).take(12) {
        out.push_str(&format!("- {l}\n"));
    }
    for l in a.iter().skip(first).take(12) {
        out.push_str(&format!("+ {l}\n"));
    }
    out.push_str(&format!(
        "(first difference at line {}; {} lines expected, {} generated)\n",
        first + 1,
        e.len(),
        a.len()
    ));
    out
}

#[test]
fn generated_code_matches_the_snapshots() {
    let mut failures = Vec::new();
    for wit in wit_files("tests/wit") {
        let name = wit.file_stem().unwrap().to_str().unwrap().to_string();
        let code = match tether_bindgen::generate(&opts(&wit)) {
            Ok(b) => b.to_pretty_string(),
            Err(e) => {
                failures.push(format!("{}: {e}", wit.display()));
                continue;
            }
        };
        failures.extend(check(
            &Path::new("tests/snapshots").join(format!("{name}.rs")),
            &code,
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn errors_give_the_wit_location() {
    let mut failures = Vec::new();
    for wit in wit_files("tests/wit/errors") {
        let name = wit.file_stem().unwrap().to_str().unwrap().to_string();
        let message = match tether_bindgen::generate(&opts(&wit)) {
            Ok(_) => {
                failures.push(format!("{}: generated without an error", wit.display()));
                continue;
            }
            Err(e) => format!("{e}\n"),
        };
        if !message.contains(&format!("{}:", wit.display())) {
            failures.push(format!(
                "{}: the message names no location in the file:\n{message}",
                wit.display()
            ));
        }
        failures.extend(check(
            &Path::new("tests/snapshots/errors").join(format!("{name}.txt")),
            &message,
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
