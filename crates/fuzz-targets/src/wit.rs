//! `wit`: WIT text through the code behind `tether check` and `tether-bindgen`'s generator.
//!
//! An input that is UTF-8 is taken as the text of one WIT file; any other input drives a
//! generator of valid WIT packages: interfaces with records, variants, enums, flags, type
//! aliases and resources (constructors, methods, static functions, `own` and `borrow`
//! handles), functions over them, and a world importing and exporting interfaces and
//! functions.
//!
//! Checks: nothing panics; a generated package passes `tether check`; when `tether check`
//! refuses a file the generator refuses it too, and the generator's output, when there is
//! one, parses as a Rust file.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};

/// Runs one input.
pub fn run(data: &[u8]) {
    match std::str::from_utf8(data) {
        Ok(text) => check(text, false),
        Err(_) => {
            if let Ok(text) = generate(&mut Unstructured::new(data)) {
                check(&text, true);
            }
        }
    }
}

/// The file the inputs are written to: one per process, in a folder of its own.
fn file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("tether-fuzz-wit-{}", std::process::id()));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("fuzz setup: cannot make {}: {e}", dir.display());
        }
        dir.join("input.wit")
    })
}

fn check(text: &str, generated: bool) {
    let path = file();
    if let Err(e) = std::fs::write(path, text) {
        panic!("fuzz setup: cannot write {}: {e}", path.display());
    }
    let checked = tether_cli::wit::check(path);
    if generated && let Err(e) = &checked {
        panic!("fuzz generator: `tether check` refused a generated package: {e:#}\n{text}");
    }
    let bindings = tether_bindgen::generate(&tether_bindgen::Opts::new(path));
    match (&checked, bindings) {
        (Err(e), Ok(_)) => {
            panic!("fuzz finding: `tether check` refused what bindgen accepted: {e:#}\n{text}")
        }
        (_, Ok(b)) => {
            let code = b.to_pretty_string();
            if code.starts_with("// unparsable output") {
                panic!("fuzz finding: bindgen wrote code that does not parse:\n{text}\n{code}");
            }
        }
        (_, Err(_)) => {}
    }
}

/// A kebab-case name: a word of letters, then sometimes more words.
fn ident(u: &mut Unstructured<'_>, prefix: &str, i: usize) -> Result<String> {
    // Words that are Rust keywords or names of the prelude, which the generator must escape
    // or qualify.
    const WORDS: &[&str] = &[
        "type", "self", "result", "option", "string", "box", "vec", "ok", "err", "some", "none",
        "fn", "async", "move", "ref", "use", "store", "t", "get", "new", "drop",
    ];
    Ok(if u.ratio(1, 4)? {
        format!("%{}-{prefix}{i}", u.choose(WORDS)?)
    } else {
        format!("{prefix}{i}")
    })
}

/// A random WIT type: builtins, earlier named types of the interface, containers.
fn wit_ty(
    u: &mut Unstructured<'_>,
    named: &[String],
    resources: &[String],
    depth: u32,
    param: bool,
) -> Result<String> {
    let max = if depth == 0 { 14 } else { 20 };
    Ok(match u.int_in_range(0..=max)? {
        0 => "bool".into(),
        1 => "s8".into(),
        2 => "u8".into(),
        3 => "s16".into(),
        4 => "u16".into(),
        5 => "s32".into(),
        6 => "u32".into(),
        7 => "s64".into(),
        8 => "u64".into(),
        9 => "f32".into(),
        10 => "f64".into(),
        11 => "char".into(),
        12 => "string".into(),
        13 | 14 if !named.is_empty() => u.choose(named)?.clone(),
        13 | 14 => "u32".into(),
        15 => format!("list<{}>", wit_ty(u, named, resources, depth - 1, param)?),
        16 => format!("option<{}>", wit_ty(u, named, resources, depth - 1, param)?),
        17 => {
            let ok = wit_ty(u, named, resources, depth - 1, param)?;
            match u.int_in_range(0..=3)? {
                0 => "result".into(),
                1 => format!("result<{ok}>"),
                2 => format!("result<_, {ok}>"),
                _ => format!(
                    "result<{ok}, {}>",
                    wit_ty(u, named, resources, depth - 1, param)?
                ),
            }
        }
        18 => {
            let n = u.int_in_range(1..=3)?;
            let parts = (0..n)
                .map(|_| wit_ty(u, named, resources, depth - 1, param))
                .collect::<Result<Vec<_>>>()?;
            format!("tuple<{}>", parts.join(", "))
        }
        19 if !resources.is_empty() => {
            let r = u.choose(resources)?;
            if param && u.arbitrary()? {
                format!("borrow<{r}>")
            } else {
                format!("own<{r}>")
            }
        }
        _ => format!(
            "list<{}, {}>",
            wit_ty(u, named, resources, depth - 1, param)?,
            u.int_in_range(1..=4)?
        ),
    })
}

fn func(u: &mut Unstructured<'_>, named: &[String], resources: &[String]) -> Result<String> {
    let n = u.int_in_range(0..=3)?;
    let params = (0..n)
        .map(|i| {
            Ok(format!(
                "{}: {}",
                ident(u, "p", i)?,
                wit_ty(u, named, resources, 2, true)?
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let result = if u.arbitrary()? {
        format!(" -> {}", wit_ty(u, named, resources, 2, false)?)
    } else {
        String::new()
    };
    Ok(format!("func({}){result}", params.join(", ")))
}

/// A random valid WIT package.
pub fn generate(u: &mut Unstructured<'_>) -> Result<String> {
    let mut out = String::from("package fuzz:pkg@1.0.0;\n\n");
    let mut interfaces = Vec::new();
    for k in 0..u.int_in_range(1..=3)? {
        let iname = ident(u, "iface", k)?;
        writeln!(out, "interface {iname} {{").ok();
        let mut named: Vec<String> = Vec::new();
        let mut resources: Vec<String> = Vec::new();
        for t in 0..u.int_in_range(0..=5)? {
            let tname = ident(u, "ty", t)?;
            match u.int_in_range(0..=6)? {
                0 => {
                    let n = u.int_in_range(1..=3)?;
                    let fields = (0..n)
                        .map(|i| {
                            Ok(format!(
                                "{}: {}",
                                ident(u, "f", i)?,
                                wit_ty(u, &named, &[], 2, false)?
                            ))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    writeln!(out, "  record {tname} {{ {} }}", fields.join(", ")).ok();
                }
                1 => {
                    let n = u.int_in_range(1..=3)?;
                    let cases = (0..n)
                        .map(|i| {
                            let c = ident(u, "c", i)?;
                            Ok(if u.arbitrary()? {
                                format!("{c}({})", wit_ty(u, &named, &[], 2, false)?)
                            } else {
                                c
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    writeln!(out, "  variant {tname} {{ {} }}", cases.join(", ")).ok();
                }
                2 => {
                    let n = u.int_in_range(1..=4)?;
                    let cases = (0..n)
                        .map(|i| ident(u, "e", i))
                        .collect::<Result<Vec<_>>>()?;
                    writeln!(out, "  enum {tname} {{ {} }}", cases.join(", ")).ok();
                }
                3 => {
                    let n = u.int_in_range(1..=4)?;
                    let flags = (0..n)
                        .map(|i| ident(u, "g", i))
                        .collect::<Result<Vec<_>>>()?;
                    writeln!(out, "  flags {tname} {{ {} }}", flags.join(", ")).ok();
                }
                4 => {
                    writeln!(
                        out,
                        "  type {tname} = {};",
                        wit_ty(u, &named, &resources, 2, false)?
                    )
                    .ok();
                }
                _ => {
                    writeln!(out, "  resource {tname} {{").ok();
                    resources.push(tname.clone());
                    if u.arbitrary()? {
                        let n = u.int_in_range(0..=2)?;
                        let params = (0..n)
                            .map(|i| {
                                Ok(format!(
                                    "{}: {}",
                                    ident(u, "a", i)?,
                                    wit_ty(u, &named, &resources, 1, true)?
                                ))
                            })
                            .collect::<Result<Vec<_>>>()?;
                        writeln!(out, "    constructor({});", params.join(", ")).ok();
                    }
                    for m in 0..u.int_in_range(0..=3)? {
                        let f = func(u, &named, &resources)?;
                        let stat = if u.ratio(1, 3)? { "static " } else { "" };
                        writeln!(out, "    {}: {stat}{f};", ident(u, "m", m)?).ok();
                    }
                    writeln!(out, "  }}").ok();
                }
            }
            named.push(tname);
        }
        for f in 0..u.int_in_range(0..=4)? {
            writeln!(
                out,
                "  {}: {};",
                ident(u, "fun", f)?,
                func(u, &named, &resources)?
            )
            .ok();
        }
        writeln!(out, "}}\n").ok();
        interfaces.push(iname);
    }
    writeln!(out, "world {} {{", ident(u, "w", 0)?).ok();
    for i in &interfaces {
        match u.int_in_range(0..=2)? {
            0 => writeln!(out, "  import {i};").ok(),
            1 => writeln!(out, "  export {i};").ok(),
            _ => None,
        };
    }
    for f in 0..u.int_in_range(0..=3)? {
        let dir = if u.arbitrary()? { "import" } else { "export" };
        writeln!(
            out,
            "  {dir} {}: {};",
            ident(u, "wf", f)?,
            func(u, &[], &[])?
        )
        .ok();
    }
    writeln!(out, "}}").ok();
    Ok(out)
}
