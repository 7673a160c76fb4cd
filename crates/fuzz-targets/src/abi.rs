//! `abi`: the canonical ABI on random types and random guest memory, with no engine (a
//! `Vec<u8>` stands for the guest's memory, so an input runs in microseconds).
//!
//! Part one, for a random type (records, variants, enums, flags, options, results, tuples,
//! lists, fixed-length lists, strings, `own` and `borrow` handles, nested) in a random string
//! encoding: lift random core values (`lift_flat_values`, spilled or not) and load from a
//! random aligned pointer (`load`) over random memory, with a `realloc` that may misbehave
//! and a copy budget that may be small. Every fault must be one the specification lists for
//! lifting (or the copy limit); a value that lifts must come back equal after `store`/`load`
//! and after `lower_flat`/`lift_flat` through a fresh memory; a random value of the type must
//! round-trip the same way in every encoding.
//!
//! Part two, for a fixed set of Rust types: the direct path (`ComponentType`'s
//! `lift_direct`, `load_direct`, `lower_direct`, `store_direct`, which skip `Val`) against
//! the `Val` path on the same input: the same value or the same trap message, the same bytes
//! charged, the same `realloc` calls and the same memory afterwards.
//!
//! Part three ([`raw`]), with an engine, for about one input in eight: the raw path of
//! scalar signatures against the `Val` path, in both directions.

use arbitrary::{Result, Unstructured};
use tether::abi::{
    self, Context, Fault, HandleParts, MAX_FLAT_PARAMS, ResourceAny, ResourceIndex, StringEncoding,
    Trap, Type, Val,
};
use tether::{ComponentType, WasmTrap};

use crate::arb::{self, TypeRules};

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = random_type(&mut u);
    let _ = typed(&mut u);
    // The raw path needs an engine: about one input in eight, to keep the others fast.
    if u.ratio(1, 8).unwrap_or(false) {
        let _ = raw::run(&mut u);
    }
}

/// How `realloc` behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Realloc {
    /// A bump allocator that moves blocks when growing them.
    Bump,
    /// Returns blocks one byte off their alignment.
    Unaligned,
    /// Returns blocks past the end of memory.
    Beyond,
    /// Traps.
    Traps,
}

/// A guest: memory, `realloc`, a handle table, and what happened.
#[derive(Clone, Debug)]
struct Guest {
    memory: Vec<u8>,
    encoding: StringEncoding,
    next: u32,
    mode: Realloc,
    /// The handle table: `Some` where a handle lives.
    handles: Vec<Option<ResourceAny>>,
    budget: u64,
    /// Bytes charged by `charge` (copied), and by `charge_heap` (the `Val`s beyond them).
    copied: u64,
    heap: u64,
    /// Every `realloc` call.
    reallocs: Vec<(u32, u32, u32, u32)>,
}

fn handle(i: u32, own: bool) -> ResourceAny {
    ResourceAny::from_parts(HandleParts {
        store: ResourceAny::ANY_STORE,
        ty: 0,
        index: i,
        generation: 1,
        own,
    })
}

impl Guest {
    fn new(memory: Vec<u8>, encoding: StringEncoding, mode: Realloc, budget: u64) -> Guest {
        let next = (memory.len() as u32 / 2).next_multiple_of(8);
        Guest {
            memory,
            encoding,
            next,
            mode,
            handles: (0..4).map(|i| Some(handle(i, true))).collect(),
            budget,
            copied: 0,
            heap: 0,
            reallocs: Vec::new(),
        }
    }

    /// A roomy, well-behaved guest for round trips.
    fn roomy(encoding: StringEncoding) -> Guest {
        let mut g = Guest::new(vec![0; 1 << 20], encoding, Realloc::Bump, u64::MAX);
        g.next = 4096;
        g.handles.clear();
        g
    }

    fn take(&mut self, index: u32) -> Result<ResourceAny, Fault> {
        self.handles
            .get_mut(index as usize)
            .and_then(Option::take)
            .ok_or_else(|| Trap::UnknownHandle { index }.into())
    }

    fn push(&mut self, h: ResourceAny) -> u32 {
        self.handles.push(Some(h));
        self.handles.len() as u32 - 1
    }

    fn charged(&mut self, bytes: u64) -> Result<(), Fault> {
        let total = self.copied.saturating_add(self.heap).saturating_add(bytes);
        if total > self.budget {
            return Err(Trap::CopyLimit { limit: self.budget }.into());
        }
        Ok(())
    }
}

impl Context for Guest {
    fn string_encoding(&self) -> StringEncoding {
        self.encoding
    }
    fn memory(&self) -> Result<&[u8], Fault> {
        Ok(&self.memory)
    }
    fn memory_mut(&mut self) -> Result<&mut [u8], Fault> {
        Ok(&mut self.memory)
    }
    fn realloc(&mut self, old: u32, old_size: u32, align: u32, size: u32) -> Result<u32, Fault> {
        self.reallocs.push((old, old_size, align, size));
        if old != 0 && size <= old_size {
            return Ok(old);
        }
        let align = align.max(1);
        let ptr = self
            .next
            .checked_next_multiple_of(align)
            .unwrap_or(u32::MAX);
        self.next = ptr.saturating_add(size);
        // A block that grows moves, with its contents, as `realloc` must.
        let (from, to, n) = (old as usize, ptr as usize, old_size as usize);
        if old != 0
            && from.saturating_add(n) <= self.memory.len()
            && to.saturating_add(n) <= self.memory.len()
        {
            self.memory.copy_within(from..from + n, to);
        }
        match self.mode {
            Realloc::Bump => Ok(ptr),
            Realloc::Unaligned => Ok(ptr.wrapping_add(1)),
            Realloc::Beyond => Ok(self.memory.len() as u32),
            Realloc::Traps => Err(Trap::Wasm(WasmTrap::Unreachable).into()),
        }
    }
    fn lift_own(&mut self, _: ResourceIndex, index: u32) -> Result<ResourceAny, Fault> {
        self.take(index)
    }
    fn lift_borrow(&mut self, _: ResourceIndex, index: u32) -> Result<ResourceAny, Fault> {
        match self.handles.get(index as usize) {
            Some(Some(h)) => Ok(h.borrowed()),
            _ => Err(Trap::UnknownHandle { index }.into()),
        }
    }
    fn lower_own(&mut self, _: ResourceIndex, value: ResourceAny) -> Result<u32, Fault> {
        Ok(self.push(value))
    }
    fn lower_borrow(&mut self, _: ResourceIndex, value: ResourceAny) -> Result<u32, Fault> {
        Ok(self.push(value))
    }
    fn copy_budget(&self) -> u64 {
        self.budget
            .saturating_sub(self.copied.saturating_add(self.heap))
    }
    fn charge(&mut self, bytes: u64, _into_guest: bool) -> Result<(), Fault> {
        self.charged(bytes)?;
        self.copied += bytes;
        Ok(())
    }
    fn charge_heap(&mut self, bytes: u64) -> Result<(), Fault> {
        self.charged(bytes)?;
        self.heap += bytes;
        Ok(())
    }
}

/// Whether the specification lists `trap` as a way for lifting a guest's values to fail
/// (besides the copy limit, which is Tether's, and a `realloc` that traps).
fn listed_lift_trap(trap: &Trap) -> bool {
    matches!(
        trap,
        Trap::InvalidChar { .. }
            | Trap::InvalidUtf8 { .. }
            | Trap::InvalidUtf16 { .. }
            | Trap::InvalidDiscriminant { .. }
            | Trap::UnalignedPointer { .. }
            | Trap::PointerOutOfBounds { .. }
            | Trap::StringTooLong { .. }
            | Trap::StringOutOfBounds { .. }
            | Trap::ListTooLong { .. }
            | Trap::ListOutOfBounds { .. }
            | Trap::UnknownHandle { .. }
            | Trap::CopyLimit { .. }
    )
}

/// A 32-bit core value biased towards the memory, small numbers and edges.
fn word(u: &mut Unstructured<'_>, memory: u32) -> Result<u32> {
    Ok(match u.int_in_range(0..=7)? {
        0..=2 => u.int_in_range(0..=memory)?,
        3 => u.int_in_range(0..=memory)? & !7,
        4 | 5 => u.int_in_range(0..=5)?,
        6 => *u.choose(&[u32::MAX, 0x8000_0000, 0x8000_0003, 0x1000_0000, 0xfff0])?,
        _ => u.arbitrary()?,
    })
}

fn encoding(u: &mut Unstructured<'_>) -> Result<StringEncoding> {
    Ok(*u.choose(&[
        StringEncoding::Utf8,
        StringEncoding::Utf16,
        StringEncoding::Latin1Utf16,
    ])?)
}

/// Random guest memory: input bytes and text in each encoding, repeated up to a random size.
fn memory(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let len = *u.choose(&[64usize, 256, 1024, 4096])?;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match u.int_in_range(0..=5)? {
            0 => out.extend_from_slice("hé€x😀".as_bytes()),
            1 => out.extend_from_slice(&[b'a', 0, b'b', 0, 0x3d, 0xd8, 0x00, 0xde]),
            2 => out.extend_from_slice(&word(u, len as u32)?.to_le_bytes()),
            _ => {
                let chunk = u.bytes(8.min(u.len()))?;
                if chunk.is_empty() {
                    out.resize(len, 0);
                }
                out.extend_from_slice(chunk);
            }
        }
    }
    out.truncate(len);
    Ok(out)
}

fn guest(u: &mut Unstructured<'_>) -> Result<Guest> {
    let memory = memory(u)?;
    let encoding = encoding(u)?;
    let mode = match u.int_in_range(0..=9)? {
        0 => Realloc::Unaligned,
        1 => Realloc::Beyond,
        2 => Realloc::Traps,
        _ => Realloc::Bump,
    };
    let budget = if u.ratio(1, 8)? {
        u.int_in_range(0..=256)?
    } else {
        u64::MAX
    };
    Ok(Guest::new(memory, encoding, mode, budget))
}

/// Checks that a value that lifted comes back equal through memory and through core values.
fn round_trip(tys: &[Type], vals: &[Val], encoding: StringEncoding, what: &str) {
    for (ty, val) in tys.iter().zip(vals) {
        let mut g = Guest::roomy(encoding);
        let ptr = 1024u32.next_multiple_of(ty.align());
        if let Err(e) = abi::store(&mut g, ty, val, ptr) {
            panic!(
                "fuzz finding: {what}: storing {val:?} as {ty}: {}",
                e.trap()
            );
        }
        match abi::load(&mut g, ty, ptr) {
            Ok(back) if back == *val => {}
            other => panic!("fuzz finding: {what}: {val:?} as {ty} stored and loaded is {other:?}"),
        }
        if ty.flat().is_none() {
            continue;
        }
        let mut g = Guest::roomy(encoding);
        let mut flat = Vec::new();
        if let Err(e) = abi::lower_flat(&mut g, ty, val, &mut flat) {
            panic!(
                "fuzz finding: {what}: lowering {val:?} as {ty}: {}",
                e.trap()
            );
        }
        match abi::lift_flat(&mut g, ty, &flat) {
            Ok(back) if back == *val => {}
            other => {
                panic!("fuzz finding: {what}: {val:?} as {ty} lowered and lifted is {other:?}")
            }
        }
    }
}

/// Part one.
fn random_type(u: &mut Unstructured<'_>) -> Result<()> {
    let rules = TypeRules {
        depth: 3,
        resources: 1,
        borrows: true,
        fixed_lists: true,
    };
    let n = u.int_in_range(1..=3)?;
    let n = if u.ratio(1, 10)? { 17 } else { n };
    let tys: Vec<Type> = (0..n).map(|_| arb::ty(u, rules)).collect::<Result<_>>()?;
    let g = guest(u)?;
    let mem = g.memory.len() as u32;
    let flat = abi::flatten_all(&tys).map_or(1, |f| f.len());
    let args: Vec<u64> = (0..flat)
        .map(|_| {
            Ok(if u.ratio(1, 4)? {
                u.arbitrary()?
            } else {
                u64::from(word(u, mem)?)
            })
        })
        .collect::<Result<_>>()?;
    let what = format!("{tys:?} in {:?}", g.encoding);
    let mut cx = g.clone();
    match abi::lift_flat_values(&mut cx, MAX_FLAT_PARAMS, &args, &tys) {
        Ok(vals) => {
            for (v, t) in vals.iter().zip(&tys) {
                if !crate::common::conforms(v, t) {
                    panic!("fuzz finding: {what}: lifted {v:?}, not a value of {t}");
                }
            }
            round_trip(&tys, &vals, g.encoding, &what);
        }
        Err(e) if listed_lift_trap(e.trap()) || g.mode == Realloc::Traps => {}
        Err(e) => panic!(
            "fuzz finding: {what}: lifting {args:?} trapped with {:?}",
            e.trap()
        ),
    }
    // `load` from an aligned pointer, as its callers guarantee.
    let ty = &tys[0];
    let ptr = word(u, mem)? & !(ty.align() - 1);
    let mut cx = g.clone();
    match abi::load(&mut cx, ty, ptr) {
        Ok(v) => round_trip(std::slice::from_ref(ty), &[v], g.encoding, &what),
        Err(e) if listed_lift_trap(e.trap()) => {}
        Err(e) => panic!(
            "fuzz finding: {what}: loading at {ptr:#x} trapped with {:?}",
            e.trap()
        ),
    }
    // A random value of the type, through a fresh guest in each encoding.
    if !ty.has_resource() && arb::val_fits(ty) {
        let v = arb::val(u, ty)?;
        for enc in [
            StringEncoding::Utf8,
            StringEncoding::Utf16,
            StringEncoding::Latin1Utf16,
        ] {
            round_trip(
                std::slice::from_ref(ty),
                std::slice::from_ref(&v),
                enc,
                &what,
            );
        }
    }
    Ok(())
}

/// A record whose fields are named like the generated code's locals.
#[derive(tether::ComponentType, Clone, Debug, PartialEq)]
struct Rec {
    at: u8,
    cx: String,
    flat: Vec<u16>,
    ty: Option<char>,
}

#[derive(tether::ComponentType, Clone, Debug, PartialEq)]
enum Var {
    None,
    Num(u64),
    Text(String),
    Pair((u8, f32)),
}

#[derive(tether::ComponentType, Clone, Copy, Debug, PartialEq)]
enum En {
    A,
    B,
    C,
}

tether::flags! {
    Fl {
        const X;
        const Y;
        const Z;
    }
}

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}

/// Part two: one Rust type, chosen by the input, against its component type.
fn typed(u: &mut Unstructured<'_>) -> Result<()> {
    let list = Type::list;
    let option = Type::option;
    match u.int_in_range(0..=16)? {
        0 => compare::<String>(u, Type::String),
        1 => compare::<Vec<u8>>(u, list(Type::U8)),
        2 => compare::<Vec<u32>>(u, list(Type::U32)),
        3 => compare::<Vec<char>>(u, list(Type::Char)),
        4 => compare::<Vec<String>>(u, list(Type::String)),
        5 => compare::<Option<Vec<u16>>>(u, option(list(Type::U16))),
        6 => compare::<Result<String, u8>>(u, Type::result(Some(Type::String), Some(Type::U8))),
        7 => compare::<Result<u64, f32>>(u, Type::result(Some(Type::U64), Some(Type::F32))),
        8 => compare::<(u8, String, Vec<i16>)>(
            u,
            Type::tuple(vec![Type::U8, Type::String, list(Type::S16)]),
        ),
        9 => compare::<Vec<(bool, f64)>>(u, list(Type::tuple(vec![Type::Bool, Type::F64]))),
        10 => compare::<Vec<Option<String>>>(u, list(option(Type::String))),
        11 => compare::<Vec<Vec<u8>>>(u, list(list(Type::U8))),
        12 => compare::<Rec>(u, rec()),
        13 => compare::<Var>(u, var()),
        14 => compare::<(En, Fl, Var)>(
            u,
            Type::tuple(vec![
                Type::enum_(names(&["a", "b", "c"])),
                Type::flags(names(&["x", "y", "z"])),
                var(),
            ]),
        ),
        15 => compare::<Vec<Rec>>(u, list(rec())),
        _ => compare::<(
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        )>(u, Type::tuple(vec![Type::String; 9])),
    }
}

fn rec() -> Type {
    Type::record(vec![
        ("at".into(), Type::U8),
        ("cx".into(), Type::String),
        ("flat".into(), Type::list(Type::U16)),
        ("ty".into(), Type::option(Type::Char)),
    ])
}

fn var() -> Type {
    Type::variant(vec![
        ("none".into(), None),
        ("num".into(), Some(Type::U64)),
        ("text".into(), Some(Type::String)),
        ("pair".into(), Some(Type::tuple(vec![Type::U8, Type::F32]))),
    ])
}

/// What one path did.
#[derive(Debug, PartialEq)]
struct Seen {
    outcome: std::result::Result<Option<Val>, String>,
    copied: u64,
    reallocs: Vec<(u32, u32, u32, u32)>,
    memory: Option<Vec<u8>>,
    flat: Vec<u64>,
}

fn seen(g: &Guest, outcome: std::result::Result<Option<Val>, Fault>, flat: Vec<u64>) -> Seen {
    Seen {
        memory: outcome.is_ok().then(|| g.memory.clone()),
        outcome: outcome.map_err(|e| e.trap().to_string()),
        copied: g.copied,
        reallocs: g.reallocs.clone(),
        flat,
    }
}

/// Whether the two paths agree: the same, or (under a copy budget) the `Val` path stopped by
/// the budget first, since it also charges the `Val`s it builds.
fn agree(direct: &Seen, val: &Seen, g: &Guest) -> bool {
    direct == val
        || (g.budget != u64::MAX
            && val
                .outcome
                .as_ref()
                .is_err_and(|e| e.contains("copy limit exceeded")))
}

fn compare<T>(u: &mut Unstructured<'_>, ty: Type) -> Result<()>
where
    T: ComponentType + Clone + std::fmt::Debug,
{
    if let Err(e) = T::typecheck(&ty) {
        panic!(
            "fuzz setup: {} is not {ty}: {e:#}",
            std::any::type_name::<T>()
        );
    }
    let g = guest(u)?;
    let mem = g.memory.len() as u32;
    let what = format!("{} as {ty} in {:?}", std::any::type_name::<T>(), g.encoding);
    let mut lifted = Vec::new();
    // Lifting core values.
    let n = ty.flat_count();
    if n <= MAX_FLAT_PARAMS {
        let args: Vec<u64> = (0..n)
            .map(|_| Ok(u64::from(word(u, mem)?)))
            .collect::<Result<_>>()?;
        let mut a = g.clone();
        let direct = T::lift_direct(&mut a, &ty, &args).map(|v| Some(v.to_val()));
        let mut b = g.clone();
        let val = abi::lift_flat(&mut b, &ty, &args).map(Some);
        let (da, vb) = (seen(&a, direct, Vec::new()), seen(&b, val, Vec::new()));
        if !agree(&da, &vb, &g) {
            panic!("fuzz finding: {what}: lifting {args:?}: direct {da:?}, Val {vb:?}");
        }
        if let Ok(Some(v)) = &vb.outcome {
            lifted.push(v.clone());
        }
    }
    // Loading from memory.
    let ptr = word(u, mem)? & !(ty.align() - 1);
    if u64::from(ptr) + u64::from(ty.size()) <= u64::from(mem) {
        let mut a = g.clone();
        let direct = T::load_direct(&mut a, &ty, ptr as usize).map(|v| Some(v.to_val()));
        let mut b = g.clone();
        let val = abi::load(&mut b, &ty, ptr).map(Some);
        let (da, vb) = (seen(&a, direct, Vec::new()), seen(&b, val, Vec::new()));
        // `load` charges the value's own host memory up front, which `load_direct` (whose
        // callers charge it) does not: only the outcomes and memory must agree here.
        if da.outcome != vb.outcome && !agree(&da, &vb, &g) {
            panic!("fuzz finding: {what}: loading at {ptr:#x}: direct {da:?}, Val {vb:?}");
        }
        if let Ok(Some(v)) = &vb.outcome {
            lifted.push(v.clone());
        }
    }
    // Lowering a value: one that lifted, or a random one.
    let v = match lifted.pop() {
        Some(v) if u.arbitrary()? => v,
        _ => arb::val(u, &ty)?,
    };
    let Ok(t) = T::from_val(v.clone()) else {
        panic!("fuzz finding: {what}: from_val refused {v:?}");
    };
    if n <= MAX_FLAT_PARAMS {
        let mut a = g.clone();
        let mut out = vec![0u64; n];
        let direct = t.lower_direct(&mut a, &ty, &mut out).map(|()| None);
        let mut b = g.clone();
        let mut flat = Vec::new();
        let val = abi::lower_flat(&mut b, &ty, &v, &mut flat).map(|()| None);
        if direct.is_err() {
            out.clear();
        }
        if val.is_err() {
            flat.clear();
        }
        let (da, vb) = (seen(&a, direct, out), seen(&b, val, flat));
        if da != vb {
            panic!("fuzz finding: {what}: lowering {v:?}: direct {da:?}, Val {vb:?}");
        }
    }
    let ptr = word(u, mem)? & !(ty.align() - 1);
    if u64::from(ptr) + u64::from(ty.size()) <= u64::from(mem) {
        let mut a = g.clone();
        let direct = t.store_direct(&mut a, &ty, ptr as usize).map(|()| None);
        let mut b = g.clone();
        let val = abi::store(&mut b, &ty, &v, ptr).map(|()| None);
        let (da, vb) = (seen(&a, direct, Vec::new()), seen(&b, val, Vec::new()));
        if da != vb {
            panic!("fuzz finding: {what}: storing {v:?} at {ptr:#x}: direct {da:?}, Val {vb:?}");
        }
    }
    Ok(())
}

/// Part three: the raw path (scalar signatures: flat core values straight to Rust, no `Val`)
/// against the `Val` path, through a guest, in both directions. The guest returns a core
/// value the input chose, lifted as each scalar type (`TypedFunc` against `Func::call`), and
/// passes it to a host function taking that type (`func_wrap` against `func_new`).
pub mod raw {
    use std::sync::{Arc, Mutex, OnceLock};

    use arbitrary::{Result, Unstructured};
    use tether::{Component, ComponentType, Linker, Store, StoreContextMut, Val};

    use crate::common;

    /// Each scalar type, the core type it flattens to, and its WAT name.
    const SCALARS: &[(&str, &str)] = &[
        ("bool", "i32"),
        ("u8", "i32"),
        ("s8", "i32"),
        ("u16", "i32"),
        ("s16", "i32"),
        ("u32", "i32"),
        ("s32", "i32"),
        ("char", "i32"),
        ("u64", "i64"),
        ("s64", "i64"),
        ("f32", "f32"),
        ("f64", "f64"),
    ];

    fn component() -> &'static Component {
        static COMPONENT: OnceLock<Component> = OnceLock::new();
        COMPONENT.get_or_init(|| {
            let mut imports = String::new();
            let mut lowered = String::new();
            let mut core_imports = String::new();
            let mut core_funcs = String::new();
            let mut lifts = String::new();
            for (ty, core) in SCALARS {
                let value = match *core {
                    "i32" => "(i32.wrap_i64 (global.get $v))",
                    "i64" => "(global.get $v)",
                    "f32" => "(f32.reinterpret_i32 (i32.wrap_i64 (global.get $v)))",
                    _ => "(f64.reinterpret_i64 (global.get $v))",
                };
                imports.push_str(&format!(
                    "  (import \"take-{ty}\" (func $take-{ty} (param \"x\" {ty})))\n"
                ));
                lowered.push_str(&format!(
                    "  (core func $take-{ty} (canon lower (func $take-{ty})))\n"
                ));
                core_imports.push_str(&format!(
                    "    (import \"host\" \"take-{ty}\" (func $take-{ty} (param {core})))\n"
                ));
                core_funcs.push_str(&format!(
                    "    (func (export \"get-{ty}\") (result {core}) {value})\n    (func (export \"call-{ty}\") (call $take-{ty} {value}))\n"
                ));
                lifts.push_str(&format!(
                    "  (func (export \"get-{ty}\") (result {ty}) (canon lift (core func $m \"get-{ty}\")))\n  (func (export \"call-{ty}\") (canon lift (core func $m \"call-{ty}\")))\n"
                ));
            }
            let host: String = SCALARS
                .iter()
                .map(|(ty, _)| format!("(export \"take-{ty}\" (func $take-{ty})) "))
                .collect();
            let wat = format!(
                "(component\n{imports}{lowered}  (core instance $host {host})\n  (core module $m\n{core_imports}    (global $v (mut i64) (i64.const 0))\n    (func (export \"set\") (param i64) (global.set $v (local.get 0)))\n{core_funcs}  )\n  (core instance $m (instantiate $m (with \"host\" (instance $host))))\n  (func (export \"set\") (param \"v\" u64) (canon lift (core func $m \"set\")))\n{lifts})"
            );
            match Component::new(common::engine(), &wat) {
                Ok(c) => c,
                Err(e) => panic!("fuzz setup: the raw component: {e:#}\n{wat}"),
            }
        })
    }

    /// What the host functions received.
    type Received = Arc<Mutex<Option<Val>>>;

    fn define<T: ComponentType + 'static>(
        typed: &mut Linker<()>,
        dynamic: &mut Linker<()>,
        ty: &str,
        seen: &Received,
    ) {
        let name = format!("take-{ty}");
        let s = seen.clone();
        let a = typed
            .root()
            .func_wrap(&name, move |_: StoreContextMut<'_, ()>, (x,): (T,)| {
                *s.lock().unwrap_or_else(|e| e.into_inner()) = Some(x.to_val());
                Ok(())
            });
        let s = seen.clone();
        let b = dynamic.root().func_new(&name, move |_, params, _| {
            *s.lock().unwrap_or_else(|e| e.into_inner()) = params.first().cloned();
            Ok(())
        });
        if let Err(e) = a.and(b) {
            panic!("fuzz setup: defining {name}: {e:#}");
        }
    }

    fn outcome(r: anyhow::Result<Option<Val>>) -> std::result::Result<Option<Val>, String> {
        r.map_err(|e| match e.downcast_ref::<tether::Trap>() {
            Some(t) => t.to_string(),
            None => format!("{e:#}"),
        })
    }

    fn compare<T: ComponentType + 'static>(bits: u64, ty: &str) {
        let engine = common::engine();
        let seen: Received = Arc::default();
        let (mut typed, mut dynamic) = (Linker::new(engine), Linker::new(engine));
        // Every import must be defined; only `ty`'s is looked at.
        macro_rules! all {
            ($($t:ty, $n:literal);*) => {$(define::<$t>(&mut typed, &mut dynamic, $n, &seen);)*};
        }
        all!(bool, "bool"; u8, "u8"; i8, "s8"; u16, "u16"; i16, "s16"; u32, "u32"; i32, "s32";
             char, "char"; u64, "u64"; i64, "s64"; f32, "f32"; f64, "f64");
        let mut results = Vec::new();
        for (i, linker) in [&typed, &dynamic].into_iter().enumerate() {
            let mut store = Store::new(engine, ());
            if let Err(e) = store.set_fuel(common::FUEL) {
                panic!("fuzz setup: fuel: {e:#}");
            }
            let instance = match linker.instantiate(&mut store, component()) {
                Ok(i) => i,
                Err(e) => panic!("fuzz setup: the raw component: {e:#}"),
            };
            let set = instance.get_typed_func::<(u64,), ()>(&mut store, "set");
            if let Err(e) = set.and_then(|f| f.call(&mut store, (bits,))) {
                panic!("fuzz setup: set: {e:#}");
            }
            // A guest's result lifted as `T`.
            let got = if i == 0 {
                instance
                    .get_typed_func::<(), (T,)>(&mut store, &format!("get-{ty}"))
                    .and_then(|f| f.call(&mut store, ()))
                    .map(|(x,)| Some(x.to_val()))
            } else {
                let Some(f) = instance.get_func(&mut store, &format!("get-{ty}")) else {
                    panic!("fuzz setup: no get-{ty}");
                };
                let mut out = [Val::Bool(false)];
                f.call(&mut store, &[], &mut out)
                    .map(|()| Some(out[0].clone()))
            };
            // The guest passing the value to the host.
            *seen.lock().unwrap_or_else(|e| e.into_inner()) = None;
            let Some(call) = instance.get_func(&mut store, &format!("call-{ty}")) else {
                panic!("fuzz setup: no call-{ty}");
            };
            let passed = call
                .call(&mut store, &[], &mut [])
                .map(|()| seen.lock().unwrap_or_else(|e| e.into_inner()).take());
            results.push((outcome(got), outcome(passed)));
        }
        if results[0] != results[1] {
            panic!(
                "fuzz finding: abi raw path: {ty} from core bits {bits:#x}: raw {:?}, Val {:?}",
                results[0], results[1]
            );
        }
    }

    /// Runs one case: a scalar type and a core value, both chosen by `u`.
    pub fn run(u: &mut Unstructured<'_>) -> Result<()> {
        let bits: u64 = match u.int_in_range(0..=3)? {
            0 => u.int_in_range(0..=0x11_0000)?,
            1 => *u.choose(&[
                0xd800,
                0xdfff,
                0x10_ffff,
                0x11_0000,
                0x7fc0_0001,
                0xffff_ffff,
            ])?,
            _ => u.arbitrary()?,
        };
        match u.int_in_range(0..=11)? {
            0 => compare::<bool>(bits, "bool"),
            1 => compare::<u8>(bits, "u8"),
            2 => compare::<i8>(bits, "s8"),
            3 => compare::<u16>(bits, "u16"),
            4 => compare::<i16>(bits, "s16"),
            5 => compare::<u32>(bits, "u32"),
            6 => compare::<i32>(bits, "s32"),
            7 => compare::<char>(bits, "char"),
            8 => compare::<u64>(bits, "u64"),
            9 => compare::<i64>(bits, "s64"),
            10 => compare::<f32>(bits, "f32"),
            _ => compare::<f64>(bits, "f64"),
        }
        Ok(())
    }
}
