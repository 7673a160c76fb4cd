//! `load`: components through `Component::new`, `tether wit`'s printing, instantiation and
//! calls.
//!
//! An input that starts like a component binary (`\0asm`) or WAT text (`(`) is loaded as it
//! is, instantiated against a linker that stubs every import (the code behind
//! `tether run --trap-unknown-imports`), and its exports are called with random arguments.
//! Any other input drives a generator of valid components: random value types (named where
//! validation wants them named), imported host functions and a host resource, a guest-defined
//! resource, `canon lower`ed imports called from core code with random arguments, `canon
//! lift`ed exports returning random core values (pointers into memory with random contents
//! among them) in each string encoding, a `realloc` that misbehaves on request, and
//! `post-return` functions.
//!
//! Checks: nothing panics; a generated component compiles (a refusal is a disagreement
//! between the generator, which flattens with `tether-abi`, and validation); no call ends in
//! `Trap::Internal`; every result a call returns is a value of its type.

use std::fmt::Write as _;
use std::sync::Arc;

use arbitrary::{Result, Unstructured};
use tether::abi::{CoreType, FlattenContext, Type, flatten_func};
use tether::{Component, Linker, Store, Val};

use crate::arb::{self, TypeRules, Wat};
use crate::common::{self, FUEL};

/// Runs one input.
pub fn run(data: &[u8]) {
    if data.starts_with(b"\0asm") || data.first() == Some(&b'(') {
        raw(data);
    } else {
        generated(data);
    }
}

/// The objects of the imported host resource `h`.
struct HostThing;

/// Loads `bytes` as they are and, if they are a component, prints its WIT and runs it.
fn raw(bytes: &[u8]) {
    let Ok(component) = Component::new(common::engine(), bytes) else {
        return;
    };
    // `tether wit` works on binaries; WAT text is converted first, as the command does.
    let binary = if bytes.starts_with(b"\0asm") {
        Some(bytes.to_vec())
    } else {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| wat::parse_str(t).ok())
    };
    let Some(binary) = binary else { return };
    let _ = tether_cli::wit::world_wit(&binary);
    let Ok(needed) = tether_cli::imports::needed(&binary) else {
        return;
    };
    let mut linker = Linker::<()>::new(common::engine());
    if tether_cli::imports::define_stubs(&mut linker, &needed, |_| false).is_err() {
        return;
    }
    let mut store = Store::new(common::engine(), ());
    if store.set_fuel(FUEL).is_err() {
        return;
    }
    match linker.instantiate(&mut store, &component) {
        Ok(instance) => {
            // Arguments from the input's tail, so that they vary with it.
            let tail = &bytes[bytes.len().saturating_sub(256)..];
            common::call_exports(&mut store, &instance, &mut Unstructured::new(tail));
        }
        Err(e) => common::check_error(&e, "instantiating"),
    }
}

/// A function type: parameters and at most one result.
struct Sig {
    params: Vec<Type>,
    results: Vec<Type>,
}

impl Sig {
    /// The WAT text of the parameters and of the result.
    fn wat(&self, w: &mut Wat) -> (String, String) {
        let params: Vec<String> = self
            .params
            .iter()
            .enumerate()
            .map(|(k, t)| format!("(param \"p{k}\" {})", w.ty(t)))
            .collect();
        let result = self
            .results
            .first()
            .map(|t| format!("(result {})", w.ty(t)))
            .unwrap_or_default();
        (params.join(" "), result)
    }
}

fn sig(u: &mut Unstructured<'_>, resources: u32, borrows: bool) -> Result<Sig> {
    let rules = TypeRules {
        depth: 2,
        resources,
        borrows,
        fixed_lists: true,
    };
    let n = u.int_in_range(0..=3)?;
    // Now and then one parameter list long enough to spill to memory.
    let n = if u.ratio(1, 12)? { 17 } else { n };
    let params = (0..n).map(|_| arb::ty(u, rules)).collect::<Result<_>>()?;
    let results = if u.arbitrary()? {
        vec![arb::ty(
            u,
            TypeRules {
                borrows: false,
                ..rules
            },
        )?]
    } else {
        Vec::new()
    };
    Ok(Sig { params, results })
}

/// A 32-bit core value biased towards the data region, small numbers and edges.
fn word(u: &mut Unstructured<'_>) -> Result<i32> {
    Ok(match u.int_in_range(0..=7)? {
        0..=2 => DATA + u.int_in_range(0..=DATA_LEN)? as i32,
        3 | 4 => u.int_in_range(0..=4)?,
        5 => *u.choose(&[-1, i32::MIN, 0x1000_0000, 0xfff0, 0x10000])?,
        _ => u.arbitrary()?,
    })
}

/// Where the random memory contents go.
const DATA: i32 = 1024;
const DATA_LEN: u32 = 1024;

fn consts(u: &mut Unstructured<'_>, types: &[CoreType], out: &mut String) -> Result<()> {
    for t in types {
        match t {
            CoreType::I32 => write!(out, "(i32.const {}) ", word(u)?),
            CoreType::I64 => write!(out, "(i64.const {}) ", u.arbitrary::<i64>()?),
            CoreType::F32 => write!(
                out,
                "(f32.reinterpret_i32 (i32.const {})) ",
                u.arbitrary::<i32>()?
            ),
            CoreType::F64 => write!(
                out,
                "(f64.reinterpret_i64 (i64.const {})) ",
                u.arbitrary::<i64>()?
            ),
        }
        .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    }
    Ok(())
}

/// `(param ...)` or `(result ...)` of core types, or nothing for none.
fn core_list(kw: &str, types: &[CoreType]) -> String {
    if types.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = types.iter().map(|t| arb::core_name(*t)).collect();
    format!("({kw} {})", names.join(" "))
}

/// The generated component's WAT and what the host must define for it.
struct Generated {
    wat: String,
    imports: Vec<Sig>,
}

fn generate(u: &mut Unstructured<'_>) -> Result<Generated> {
    let mut w = Wat::new(vec!["$h".into(), "$r".into()]);
    let imports: Vec<Sig> = (0..u.int_in_range(0..=3)?)
        .map(|_| sig(u, 1, true))
        .collect::<Result<_>>()?;
    let exports: Vec<Sig> = (0..u.int_in_range(1..=4)?)
        .map(|_| sig(u, 2, false))
        .collect::<Result<_>>()?;
    let mut body = String::new();
    // Imports: the lowered functions and what the core module imports them as.
    let mut core_imports = String::new();
    let mut lowered = String::new();
    let mut exported_core = String::new();
    let mut lower_sigs = Vec::new();
    for (i, s) in imports.iter().enumerate() {
        let (params, result) = s.wat(&mut w);
        writeln!(body, "  (import \"f{i}\" (func $f{i} {params} {result}))").ok();
        let enc = encoding(u)?;
        writeln!(
            lowered,
            "  (core func $lf{i} (canon lower (func $f{i}) (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\")) {enc}))"
        )
        .ok();
        let (p, r) = flatten_func(&s.params, &s.results, FlattenContext::Lower);
        writeln!(
            core_imports,
            "    (import \"i\" \"f{i}\" (func $f{i} {} {}))",
            core_list("param", &p),
            core_list("result", &r)
        )
        .ok();
        writeln!(exported_core, "(export \"f{i}\" (func $lf{i}))").ok();
        lower_sigs.push((p, r));
    }
    // The core module's exports, lifted.
    w.export_named = true;
    let mut core_funcs = String::new();
    let mut lifts = String::new();
    for (j, s) in exports.iter().enumerate() {
        let (p, r) = flatten_func(&s.params, &s.results, FlattenContext::Lift);
        let mut code = String::new();
        for _ in 0..u.int_in_range(0..=4)? {
            match u.int_in_range(0..=7)? {
                0 | 1 if !lower_sigs.is_empty() => {
                    let k = u.choose_index(lower_sigs.len())?;
                    let (lp, lr) = &lower_sigs[k];
                    let mut args = String::new();
                    consts(u, lp, &mut args)?;
                    let call = format!("(call $f{k} {args})");
                    if lr.is_empty() {
                        write!(code, "{call} ").ok();
                    } else {
                        write!(code, "(drop {call}) ").ok();
                    }
                }
                2 => write!(code, "(drop (call $rnew (i32.const {}))) ", word(u)?)
                    .ok()
                    .unwrap_or(()),
                3 => write!(
                    code,
                    "(call $rdrop (i32.const {})) ",
                    u.int_in_range(0..=4)?
                )
                .ok()
                .unwrap_or(()),
                4 => write!(
                    code,
                    "(drop (call $rrep (i32.const {}))) ",
                    u.int_in_range(0..=4)?
                )
                .ok()
                .unwrap_or(()),
                5 => write!(
                    code,
                    "(call $hdrop (i32.const {})) ",
                    u.int_in_range(0..=4)?
                )
                .ok()
                .unwrap_or(()),
                6 if u.ratio(1, 8)? => code.push_str("(unreachable) "),
                _ => {
                    let at = DATA + 4 * u.int_in_range(0..=DATA_LEN / 4)? as i32;
                    write!(
                        code,
                        "(i32.store (i32.const {at}) (i32.const {})) ",
                        word(u)?
                    )
                    .ok();
                }
            }
        }
        consts(u, &r, &mut code)?;
        writeln!(
            core_funcs,
            "    (func (export \"e{j}\") {} {} {})",
            core_list("param", &p),
            core_list("result", &r),
            code
        )
        .ok();
        let post = if u.ratio(1, 4)? {
            writeln!(
                core_funcs,
                "    (func (export \"pr{j}\") {})",
                core_list("param", &r)
            )
            .ok();
            format!(" (post-return (core func $m \"pr{j}\"))")
        } else {
            String::new()
        };
        let (params, result) = s.wat(&mut w);
        let enc = encoding(u)?;
        writeln!(
            lifts,
            "  (func (export \"e{j}\") {params} {result} (canon lift (core func $m \"e{j}\") (memory (core memory $libc \"mem\")) (realloc (core func $libc \"realloc\")) {enc}{post}))"
        )
        .ok();
    }
    // Memory contents and `realloc`'s behaviour.
    let len = u.int_in_range(0..=DATA_LEN)? as usize;
    let bytes = u.bytes(len.min(u.len()))?;
    let mut data = String::new();
    for b in bytes {
        write!(data, "\\{b:02x}").ok();
    }
    let mode = match u.int_in_range(0..=15)? {
        0 => "(return (i32.add (local.get $p) (i32.const 1)))",
        1 => "(return (i32.const 0xfff0))",
        2 => "(unreachable)",
        3 => "(return (i32.const 0))",
        _ => "",
    };
    let wat = format!(
        r#"(component
  (import "h" (type $h (sub resource)))
  (type $r' (resource (rep i32)))
  (export $r "r" (type $r'))
{prelude}{body}  (core module $libc
    (memory (export "mem") 1)
    (data (i32.const {DATA}) "{data}")
    (global $next (mut i32) (i32.const 8192))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (if (i32.and (i32.ne (local.get $old) (i32.const 0)) (i32.le_u (local.get $size) (local.get $old_size)))
        (then (return (local.get $old))))
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (if (i32.gt_u (i32.add (local.get $p) (local.get $size)) (i32.const 65536))
        (then (return (i32.const 0xfff8))))
      (global.set $next (i32.add (local.get $p) (local.get $size)))
      (if (i32.ne (local.get $old) (i32.const 0))
        (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
      {mode}
      (local.get $p)))
  (core instance $libc (instantiate $libc))
{lowered}  (core func $rnew (canon resource.new $r'))
  (core func $rdrop (canon resource.drop $r'))
  (core func $rrep (canon resource.rep $r'))
  (core func $hdrop (canon resource.drop $h))
  (core instance $imports {exported_core}(export "rnew" (func $rnew)) (export "rdrop" (func $rdrop)) (export "rrep" (func $rrep)) (export "hdrop" (func $hdrop)))
  (core module $m
    (import "libc" "mem" (memory 1))
{core_imports}    (import "i" "rnew" (func $rnew (param i32) (result i32)))
    (import "i" "rdrop" (func $rdrop (param i32)))
    (import "i" "rrep" (func $rrep (param i32) (result i32)))
    (import "i" "hdrop" (func $hdrop (param i32)))
{core_funcs}  )
  (core instance $m (instantiate $m (with "libc" (instance $libc)) (with "i" (instance $imports))))
{lifts})"#,
        prelude = w.prelude,
    );
    Ok(Generated { wat, imports })
}

fn encoding(u: &mut Unstructured<'_>) -> Result<&'static str> {
    Ok(*u.choose(&[
        "string-encoding=utf8",
        "string-encoding=utf16",
        "string-encoding=latin1+utf16",
    ])?)
}

/// Generates a component from `data`, loads it, prints its WIT and runs it.
fn generated(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(g) = generate(&mut u) else { return };
    let bytes = match wat::parse_str(&g.wat) {
        Ok(bytes) => bytes,
        Err(e) => panic!("fuzz generator: invalid WAT: {e}\n{}", g.wat),
    };
    let component = match Component::new(common::engine(), &bytes) {
        Ok(c) => c,
        Err(e) => panic!(
            "fuzz finding: a generated component was refused: {e:#}\n{}",
            g.wat
        ),
    };
    let _ = tether_cli::wit::world_wit(&bytes);
    // The host functions return values drawn now, or trap when their result holds a handle.
    let mut linker = Linker::<()>::new(common::engine());
    let mut root = linker.root();
    let defined = root.resource_host::<HostThing>("h").is_ok()
        && g.imports.iter().enumerate().all(|(i, s)| {
            let results: Option<Vec<Val>> = s
                .results
                .iter()
                .map(|t| {
                    (!t.has_resource() && arb::val_fits(t))
                        .then(|| arb::val(&mut u, t).ok())
                        .flatten()
                })
                .collect();
            let results = Arc::new(results);
            root.func_new(
                &format!("f{i}"),
                move |_store, _params, out| match results.as_ref() {
                    Some(vals) => {
                        for (slot, v) in out.iter_mut().zip(vals.iter()) {
                            *slot = v.clone();
                        }
                        Ok(())
                    }
                    None => anyhow::bail!("this host function has no result to give"),
                },
            )
            .is_ok()
        });
    if !defined {
        panic!("fuzz generator: the linker refused a definition\n{}", g.wat);
    }
    // Each export in an instance of its own, since a trap poisons an instance.
    let exports: Vec<String> = component.export_names().map(str::to_string).collect();
    for name in exports {
        let mut store = Store::new(common::engine(), ());
        if store.set_fuel(FUEL).is_err() {
            return;
        }
        match linker.instantiate(&mut store, &component) {
            Ok(instance) => common::call_export(&mut store, &instance, &mut u, &name),
            Err(e) => panic!(
                "fuzz finding: a generated component did not instantiate: {e:#}\n{}",
                g.wat
            ),
        }
    }
}
