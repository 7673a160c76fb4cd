//! Helpers of the differential tests (`tests/`), which run generated components on Tether
//! and on wasmtime's component model and compare what they do:
//!
//! - [`Rng`]: a small seeded generator, so that every case can be replayed from its seed;
//! - [`Ty`]: component value types, with their canonical-ABI layout (flattening, size,
//!   alignment) and their text for a WAT component;
//! - [`V`]: values of those types, converted to and from each runtime's dynamic `Val`;
//! - [`budget`]: how long a randomized test runs (`COMPARE_SECONDS`) and its seed
//!   (`COMPARE_SEED`).

pub mod values;

use std::fmt::{self, Write as _};
use std::time::Duration;

/// How long one randomized test runs, and the seed it starts from.
///
/// `COMPARE_SECONDS` (default: `default_secs`) gives the time; `COMPARE_SEED` a fixed seed
/// (default: one drawn from the clock, printed by the test so that a failure can be replayed).
pub fn budget(default_secs: f64) -> (Duration, u64) {
    let secs = std::env::var("COMPARE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(default_secs);
    let seed = std::env::var("COMPARE_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    (Duration::from_secs_f64(secs), seed)
}

/// SplitMix64: small, fast, and good enough to draw test cases; or, made with
/// [`Rng::from_bytes`], a fuzzer's input steering every draw.
#[derive(Clone)]
pub struct Rng {
    state: u64,
    /// A fuzzer's input, consumed eight bytes per draw.
    input: Vec<u8>,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed,
            input: Vec::new(),
        }
    }

    /// Draws steered by `data`: each draw is SplitMix64's next number XORed with the next
    /// eight bytes of `data` (little-endian, zero-padded), so that every bit of every draw is
    /// the fuzzer's to set while the input lasts, and mutating one byte changes one draw.
    pub fn from_bytes(data: &[u8]) -> Rng {
        let mut input = data.to_vec();
        input.reverse();
        Rng { state: 0, input }
    }

    pub fn u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let mut steer = [0u8; 8];
        for b in &mut steer {
            match self.input.pop() {
                Some(x) => *b = x,
                None => break,
            }
        }
        z ^ u64::from_le_bytes(steer)
    }

    pub fn u32(&mut self) -> u32 {
        self.u64() as u32
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.u64() % n
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn bool(&mut self) -> bool {
        self.u64() & 1 == 1
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A core value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Core {
    I32,
    I64,
    F32,
    F64,
}

impl Core {
    pub fn wat(self) -> &'static str {
        match self {
            Core::I32 => "i32",
            Core::I64 => "i64",
            Core::F32 => "f32",
            Core::F64 => "f64",
        }
    }

    /// The instruction that loads this type from memory.
    pub fn load(self) -> &'static str {
        match self {
            Core::I32 => "i32.load",
            Core::I64 => "i64.load",
            Core::F32 => "f32.load",
            Core::F64 => "f64.load",
        }
    }

    fn join(self, other: Core) -> Core {
        match (self, other) {
            (a, b) if a == b => a,
            (Core::I32, Core::F32) | (Core::F32, Core::I32) => Core::I32,
            _ => Core::I64,
        }
    }
}

/// A component value type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List(Box<Ty>),
    Record(Vec<(String, Ty)>),
    Tuple(Vec<Ty>),
    Variant(Vec<(String, Option<Ty>)>),
    Enum(Vec<String>),
    Option(Box<Ty>),
    Result(Option<Box<Ty>>, Option<Box<Ty>>),
    Flags(Vec<String>),
}

fn align_to(n: u32, align: u32) -> u32 {
    n.div_ceil(align) * align
}

fn discriminant_size(cases: usize) -> u32 {
    match cases {
        0..=256 => 1,
        257..=65536 => 2,
        _ => 4,
    }
}

impl Ty {
    /// A random type of at most `depth` levels of nesting.
    pub fn random(rng: &mut Rng, depth: u32) -> Ty {
        let leaf = depth == 0 || rng.below(3) == 0;
        if leaf {
            return match rng.below(13) {
                0 => Ty::Bool,
                1 => Ty::S8,
                2 => Ty::U8,
                3 => Ty::S16,
                4 => Ty::U16,
                5 => Ty::S32,
                6 => Ty::U32,
                7 => Ty::S64,
                8 => Ty::U64,
                9 => Ty::F32,
                10 => Ty::F64,
                11 => Ty::Char,
                _ => Ty::String,
            };
        }
        let d = depth - 1;
        match rng.below(8) {
            0 => Ty::List(Box::new(Ty::random(rng, d))),
            1 => Ty::Record(
                (0..1 + rng.below(4))
                    .map(|i| (format!("f{i}"), Ty::random(rng, d)))
                    .collect(),
            ),
            2 => Ty::Tuple((0..1 + rng.below(4)).map(|_| Ty::random(rng, d)).collect()),
            3 => Ty::Variant(
                (0..1 + rng.below(4))
                    .map(|i| {
                        (
                            format!("c{i}"),
                            if rng.one_in(3) {
                                None
                            } else {
                                Some(Ty::random(rng, d))
                            },
                        )
                    })
                    .collect(),
            ),
            4 => Ty::Enum((0..1 + rng.below(5)).map(|i| format!("e{i}")).collect()),
            5 => Ty::Option(Box::new(Ty::random(rng, d))),
            6 => {
                let side = |rng: &mut Rng| {
                    if rng.one_in(3) {
                        None
                    } else {
                        Some(Box::new(Ty::random(rng, d)))
                    }
                };
                Ty::Result(side(rng), side(rng))
            }
            _ => {
                // At most 32 flags, as the specification now says.
                let n = *rng.pick(&[1u64, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32]);
                Ty::Flags((0..n).map(|i| format!("g{i}")).collect())
            }
        }
    }

    /// The cases of a variant-like type, each with its payload type.
    fn cases(&self) -> Option<Vec<Option<&Ty>>> {
        Some(match self {
            Ty::Variant(cases) => cases.iter().map(|(_, t)| t.as_ref()).collect(),
            Ty::Enum(names) => names.iter().map(|_| None).collect(),
            Ty::Option(t) => vec![None, Some(&**t)],
            Ty::Result(ok, err) => vec![ok.as_deref(), err.as_deref()],
            _ => return None,
        })
    }

    /// The flattened core types (`flatten_type` of the canonical ABI).
    pub fn flat(&self) -> Vec<Core> {
        match self {
            Ty::Bool | Ty::S8 | Ty::U8 | Ty::S16 | Ty::U16 | Ty::S32 | Ty::U32 | Ty::Char => {
                vec![Core::I32]
            }
            Ty::S64 | Ty::U64 => vec![Core::I64],
            Ty::F32 => vec![Core::F32],
            Ty::F64 => vec![Core::F64],
            Ty::String | Ty::List(_) => vec![Core::I32, Core::I32],
            Ty::Record(fields) => fields.iter().flat_map(|(_, t)| t.flat()).collect(),
            Ty::Tuple(items) => items.iter().flat_map(|t| t.flat()).collect(),
            Ty::Flags(names) => vec![Core::I32; names.len().div_ceil(32)],
            _ => {
                let mut payload: Vec<Core> = Vec::new();
                for case in self.cases().unwrap().into_iter().flatten() {
                    for (i, c) in case.flat().into_iter().enumerate() {
                        if i < payload.len() {
                            payload[i] = payload[i].join(c);
                        } else {
                            payload.push(c);
                        }
                    }
                }
                let mut flat = vec![Core::I32];
                flat.extend(payload);
                flat
            }
        }
    }

    pub fn align(&self) -> u32 {
        match self {
            Ty::Bool | Ty::S8 | Ty::U8 => 1,
            Ty::S16 | Ty::U16 => 2,
            Ty::S32 | Ty::U32 | Ty::F32 | Ty::Char | Ty::String | Ty::List(_) => 4,
            Ty::S64 | Ty::U64 | Ty::F64 => 8,
            Ty::Record(fields) => fields.iter().map(|(_, t)| t.align()).max().unwrap_or(1),
            Ty::Tuple(items) => items.iter().map(|t| t.align()).max().unwrap_or(1),
            Ty::Flags(names) => match names.len() {
                0..=8 => 1,
                9..=16 => 2,
                _ => 4,
            },
            _ => {
                let cases = self.cases().unwrap();
                let d = discriminant_size(cases.len());
                cases
                    .into_iter()
                    .flatten()
                    .map(|t| t.align())
                    .fold(d, u32::max)
            }
        }
    }

    pub fn size(&self) -> u32 {
        match self {
            Ty::Bool | Ty::S8 | Ty::U8 => 1,
            Ty::S16 | Ty::U16 => 2,
            Ty::S32 | Ty::U32 | Ty::F32 | Ty::Char => 4,
            Ty::S64 | Ty::U64 | Ty::F64 | Ty::String | Ty::List(_) => 8,
            Ty::Record(_) | Ty::Tuple(_) => {
                let items: Vec<&Ty> = match self {
                    Ty::Record(fields) => fields.iter().map(|(_, t)| t).collect(),
                    Ty::Tuple(items) => items.iter().collect(),
                    _ => unreachable!(),
                };
                let mut s = 0;
                for t in items {
                    s = align_to(s, t.align()) + t.size();
                }
                align_to(s, self.align())
            }
            Ty::Flags(names) => match names.len() {
                0..=8 => 1,
                9..=16 => 2,
                n => 4 * n.div_ceil(32) as u32,
            },
            _ => {
                let cases = self.cases().unwrap();
                let d = discriminant_size(cases.len());
                let max_align = cases.iter().flatten().map(|t| t.align()).fold(1, u32::max);
                let max_size = cases.iter().flatten().map(|t| t.size()).max().unwrap_or(0);
                align_to(align_to(d, max_align) + max_size, self.align())
            }
        }
    }

    /// Whether values of this type contain a string or a list (and so need a memory).
    pub fn uses_memory(&self) -> bool {
        match self {
            Ty::String | Ty::List(_) => true,
            Ty::Record(fields) => fields.iter().any(|(_, t)| t.uses_memory()),
            Ty::Tuple(items) => items.iter().any(|t| t.uses_memory()),
            _ => self
                .cases()
                .is_some_and(|cases| cases.into_iter().flatten().any(|t| t.uses_memory())),
        }
    }

    /// The type as WAT text. Records, variants, enums and flags must be named to appear in
    /// an import's or export's function type: each is defined, then imported under a name
    /// (`(import "tN" (type $tN (eq $dN)))`), and referred to by that name; the definitions go
    /// to `defs` in order.
    pub fn wat(&self, defs: &mut Vec<String>) -> String {
        let named = |defs: &mut Vec<String>, body: String| {
            let n = defs.len();
            defs.push(format!(
                "(type $d{n} {body})\n  (import \"t{n}\" (type $t{n} (eq $d{n})))"
            ));
            format!("$t{n}")
        };
        match self {
            Ty::Bool => "bool".into(),
            Ty::S8 => "s8".into(),
            Ty::U8 => "u8".into(),
            Ty::S16 => "s16".into(),
            Ty::U16 => "u16".into(),
            Ty::S32 => "s32".into(),
            Ty::U32 => "u32".into(),
            Ty::S64 => "s64".into(),
            Ty::U64 => "u64".into(),
            Ty::F32 => "f32".into(),
            Ty::F64 => "f64".into(),
            Ty::Char => "char".into(),
            Ty::String => "string".into(),
            Ty::List(t) => format!("(list {})", t.wat(defs)),
            Ty::Tuple(items) => {
                let items: Vec<String> = items.iter().map(|t| t.wat(defs)).collect();
                format!("(tuple {})", items.join(" "))
            }
            Ty::Option(t) => format!("(option {})", t.wat(defs)),
            Ty::Result(ok, err) => {
                let mut s = "(result".to_string();
                if let Some(ok) = ok {
                    write!(s, " {}", ok.wat(defs)).unwrap();
                }
                if let Some(err) = err {
                    write!(s, " (error {})", err.wat(defs)).unwrap();
                }
                s + ")"
            }
            Ty::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("(field \"{n}\" {})", t.wat(defs)))
                    .collect();
                named(defs, format!("(record {})", fields.join(" ")))
            }
            Ty::Variant(cases) => {
                let cases: Vec<String> = cases
                    .iter()
                    .map(|(n, t)| match t {
                        Some(t) => format!("(case \"{n}\" {})", t.wat(defs)),
                        None => format!("(case \"{n}\")"),
                    })
                    .collect();
                named(defs, format!("(variant {})", cases.join(" ")))
            }
            Ty::Enum(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                named(defs, format!("(enum {})", names.join(" ")))
            }
            Ty::Flags(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                named(defs, format!("(flags {})", names.join(" ")))
            }
        }
    }
}

impl fmt::Display for Ty {
    /// The type in WIT's notation, with `flags` shown by their count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = String>) -> fmt::Result {
            f.write_str(&items.collect::<Vec<_>>().join(", "))
        }
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::S8 => f.write_str("s8"),
            Ty::U8 => f.write_str("u8"),
            Ty::S16 => f.write_str("s16"),
            Ty::U16 => f.write_str("u16"),
            Ty::S32 => f.write_str("s32"),
            Ty::U32 => f.write_str("u32"),
            Ty::S64 => f.write_str("s64"),
            Ty::U64 => f.write_str("u64"),
            Ty::F32 => f.write_str("f32"),
            Ty::F64 => f.write_str("f64"),
            Ty::Char => f.write_str("char"),
            Ty::String => f.write_str("string"),
            Ty::List(t) => write!(f, "list<{t}>"),
            Ty::Option(t) => write!(f, "option<{t}>"),
            Ty::Result(ok, err) => {
                let side =
                    |t: &Option<Box<Ty>>| t.as_ref().map_or("_".to_string(), |t| t.to_string());
                write!(f, "result<{}, {}>", side(ok), side(err))
            }
            Ty::Tuple(items) => {
                f.write_str("tuple<")?;
                join(f, items.iter().map(|t| t.to_string()))?;
                f.write_str(">")
            }
            Ty::Record(fields) => {
                f.write_str("record { ")?;
                join(f, fields.iter().map(|(n, t)| format!("{n}: {t}")))?;
                f.write_str(" }")
            }
            Ty::Variant(cases) => {
                f.write_str("variant { ")?;
                join(
                    f,
                    cases
                        .iter()
                        .map(|(n, t)| t.as_ref().map_or(n.clone(), |t| format!("{n}({t})"))),
                )?;
                f.write_str(" }")
            }
            Ty::Enum(names) => write!(f, "enum {{ {} }}", names.join(", ")),
            Ty::Flags(names) => write!(f, "flags {{ {} flags }}", names.len()),
        }
    }
}

/// A value, the same on both runtimes.
#[derive(Clone, Debug)]
pub enum V {
    Bool(bool),
    S8(i8),
    U8(u8),
    S16(i16),
    U16(u16),
    S32(i32),
    U32(u32),
    S64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Char(char),
    String(String),
    List(Vec<V>),
    Record(Vec<(String, V)>),
    Tuple(Vec<V>),
    Variant(String, Option<Box<V>>),
    Enum(String),
    Option(Option<Box<V>>),
    Result(Result<Option<Box<V>>, Option<Box<V>>>),
    /// The flags that are set, sorted by name.
    Flags(Vec<String>),
    /// A value of a kind these tests never make (the runtime's `Debug` text).
    Other(String),
}

impl PartialEq for V {
    fn eq(&self, other: &V) -> bool {
        use V::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a == b,
            (S8(a), S8(b)) => a == b,
            (U8(a), U8(b)) => a == b,
            (S16(a), S16(b)) => a == b,
            (U16(a), U16(b)) => a == b,
            (S32(a), S32(b)) => a == b,
            (U32(a), U32(b)) => a == b,
            (S64(a), S64(b)) => a == b,
            (U64(a), U64(b)) => a == b,
            // NaNs may change their payload across the boundary: any NaN equals any NaN.
            (F32(a), F32(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (F64(a), F64(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Char(a), Char(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Record(a), Record(b)) => a == b,
            (Variant(a, x), Variant(b, y)) => a == b && x == y,
            (Enum(a), Enum(b)) => a == b,
            (Option(a), Option(b)) => a == b,
            (Result(a), Result(b)) => a == b,
            (Flags(a), Flags(b)) => a == b,
            (Other(a), Other(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, open: &str, items: &[V], close: &str) -> fmt::Result {
            f.write_str(open)?;
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(close)
        }
        fn payload(f: &mut fmt::Formatter<'_>, p: &Option<Box<V>>) -> fmt::Result {
            match p {
                Some(v) => write!(f, "({v})"),
                None => Ok(()),
            }
        }
        match self {
            V::Bool(v) => write!(f, "{v}"),
            V::S8(v) => write!(f, "{v}s8"),
            V::U8(v) => write!(f, "{v}u8"),
            V::S16(v) => write!(f, "{v}s16"),
            V::U16(v) => write!(f, "{v}u16"),
            V::S32(v) => write!(f, "{v}s32"),
            V::U32(v) => write!(f, "{v}u32"),
            V::S64(v) => write!(f, "{v}s64"),
            V::U64(v) => write!(f, "{v}u64"),
            V::F32(v) => write!(f, "{v:?}f32({:#x})", v.to_bits()),
            V::F64(v) => write!(f, "{v:?}f64({:#x})", v.to_bits()),
            V::Char(c) => write!(f, "{c:?}"),
            V::String(s) => write!(f, "{s:?}"),
            V::List(items) => list(f, "[", items, "]"),
            V::Tuple(items) => list(f, "(", items, ")"),
            V::Record(fields) => {
                f.write_str("{")?;
                for (i, (n, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}: {v}")?;
                }
                f.write_str("}")
            }
            V::Variant(case, p) => {
                f.write_str(case)?;
                payload(f, p)
            }
            V::Enum(case) => f.write_str(case),
            V::Option(None) => f.write_str("none"),
            V::Option(Some(v)) => write!(f, "some({v})"),
            V::Result(Ok(p)) => {
                f.write_str("ok")?;
                payload(f, p)
            }
            V::Result(Err(p)) => {
                f.write_str("err")?;
                payload(f, p)
            }
            V::Flags(names) => write!(f, "flags{{{}}}", names.join(", ")),
            V::Other(s) => write!(f, "<{s}>"),
        }
    }
}

/// A random string: ASCII, multi-byte and astral characters, sometimes empty.
fn random_string(rng: &mut Rng) -> String {
    let max = if rng.one_in(8) { 40 } else { 6 };
    let len = rng.below(max);
    (0..len).map(|_| random_char(rng)).collect()
}

fn random_char(rng: &mut Rng) -> char {
    match rng.below(6) {
        0..=2 => (b' ' + rng.below(95) as u8) as char,
        3 => char::from_u32(0x80 + rng.below(0x780) as u32).unwrap_or('é'),
        4 => char::from_u32(0xe000 + rng.below(0x1000) as u32).unwrap_or('\u{e000}'),
        _ => char::from_u32(0x10000 + rng.below(0x100000) as u32).unwrap_or('😀'),
    }
}

fn random_f32(rng: &mut Rng) -> f32 {
    match rng.below(8) {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => -0.0,
        3 => f32::from_bits(0x7fc0_0001 | (rng.u32() & 0x003f_fffe)), // a NaN with a payload
        4 => rng.below(1000) as f32 - 500.0,
        _ => f32::from_bits(rng.u32()),
    }
}

fn random_f64(rng: &mut Rng) -> f64 {
    match rng.below(8) {
        0 => f64::NAN,
        1 => f64::NEG_INFINITY,
        2 => -0.0,
        3 => f64::from_bits(0x7ff8_0000_0000_0001 | (rng.u64() & 0x0007_ffff_ffff_fffe)),
        4 => rng.below(1000) as f64 / 8.0,
        _ => f64::from_bits(rng.u64()),
    }
}

/// An integer, often an edge: 0, 1, the extremes, or small.
fn random_bits(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0 => 0,
        1 => u64::MAX,
        2 => 1 << rng.below(64),
        3 => rng.below(300),
        _ => rng.u64(),
    }
}

impl V {
    /// A random value of `ty`.
    pub fn random(rng: &mut Rng, ty: &Ty) -> V {
        let b = random_bits(rng);
        match ty {
            Ty::Bool => V::Bool(rng.bool()),
            Ty::S8 => V::S8(b as i8),
            Ty::U8 => V::U8(b as u8),
            Ty::S16 => V::S16(b as i16),
            Ty::U16 => V::U16(b as u16),
            Ty::S32 => V::S32(b as i32),
            Ty::U32 => V::U32(b as u32),
            Ty::S64 => V::S64(b as i64),
            Ty::U64 => V::U64(b),
            Ty::F32 => V::F32(random_f32(rng)),
            Ty::F64 => V::F64(random_f64(rng)),
            Ty::Char => V::Char(random_char(rng)),
            Ty::String => V::String(random_string(rng)),
            Ty::List(t) => V::List((0..rng.below(5)).map(|_| V::random(rng, t)).collect()),
            Ty::Record(fields) => V::Record(
                fields
                    .iter()
                    .map(|(n, t)| (n.clone(), V::random(rng, t)))
                    .collect(),
            ),
            Ty::Tuple(items) => V::Tuple(items.iter().map(|t| V::random(rng, t)).collect()),
            Ty::Variant(cases) => {
                let (name, t) = rng.pick(cases);
                V::Variant(
                    name.clone(),
                    t.as_ref().map(|t| Box::new(V::random(rng, t))),
                )
            }
            Ty::Enum(names) => V::Enum(rng.pick(names).clone()),
            Ty::Option(t) => V::Option(rng.bool().then(|| Box::new(V::random(rng, t)))),
            Ty::Result(ok, err) => {
                if rng.bool() {
                    V::Result(Ok(ok.as_ref().map(|t| Box::new(V::random(rng, t)))))
                } else {
                    V::Result(Err(err.as_ref().map(|t| Box::new(V::random(rng, t)))))
                }
            }
            Ty::Flags(names) => {
                let mut set: Vec<String> = names.iter().filter(|_| rng.bool()).cloned().collect();
                set.sort();
                V::Flags(set)
            }
        }
    }

    pub fn to_tether(&self) -> tether::Val {
        use tether::Val as T;
        let payload = |p: &Option<Box<V>>| p.as_ref().map(|v| Box::new(v.to_tether()));
        match self {
            V::Bool(v) => T::Bool(*v),
            V::S8(v) => T::S8(*v),
            V::U8(v) => T::U8(*v),
            V::S16(v) => T::S16(*v),
            V::U16(v) => T::U16(*v),
            V::S32(v) => T::S32(*v),
            V::U32(v) => T::U32(*v),
            V::S64(v) => T::S64(*v),
            V::U64(v) => T::U64(*v),
            V::F32(v) => T::Float32(*v),
            V::F64(v) => T::Float64(*v),
            V::Char(v) => T::Char(*v),
            V::String(v) => T::String(v.clone()),
            V::List(items) => T::List(items.iter().map(V::to_tether).collect()),
            V::Tuple(items) => T::Tuple(items.iter().map(V::to_tether).collect()),
            V::Record(fields) => T::Record(
                fields
                    .iter()
                    .map(|(n, v)| (n.clone(), v.to_tether()))
                    .collect(),
            ),
            V::Variant(case, p) => T::Variant(case.clone(), payload(p)),
            V::Enum(case) => T::Enum(case.clone()),
            V::Option(p) => T::Option(payload(p)),
            V::Result(Ok(p)) => T::Result(Ok(payload(p))),
            V::Result(Err(p)) => T::Result(Err(payload(p))),
            V::Flags(names) => T::Flags(names.clone()),
            V::Other(s) => panic!("cannot make a value of `{s}`"),
        }
    }

    pub fn to_wasmtime(&self) -> wasmtime::component::Val {
        use wasmtime::component::Val as W;
        let payload = |p: &Option<Box<V>>| p.as_ref().map(|v| Box::new(v.to_wasmtime()));
        match self {
            V::Bool(v) => W::Bool(*v),
            V::S8(v) => W::S8(*v),
            V::U8(v) => W::U8(*v),
            V::S16(v) => W::S16(*v),
            V::U16(v) => W::U16(*v),
            V::S32(v) => W::S32(*v),
            V::U32(v) => W::U32(*v),
            V::S64(v) => W::S64(*v),
            V::U64(v) => W::U64(*v),
            V::F32(v) => W::Float32(*v),
            V::F64(v) => W::Float64(*v),
            V::Char(v) => W::Char(*v),
            V::String(v) => W::String(v.clone()),
            V::List(items) => W::List(items.iter().map(V::to_wasmtime).collect()),
            V::Tuple(items) => W::Tuple(items.iter().map(V::to_wasmtime).collect()),
            V::Record(fields) => W::Record(
                fields
                    .iter()
                    .map(|(n, v)| (n.clone(), v.to_wasmtime()))
                    .collect(),
            ),
            V::Variant(case, p) => W::Variant(case.clone(), payload(p)),
            V::Enum(case) => W::Enum(case.clone()),
            V::Option(p) => W::Option(payload(p)),
            V::Result(Ok(p)) => W::Result(Ok(payload(p))),
            V::Result(Err(p)) => W::Result(Err(payload(p))),
            V::Flags(names) => W::Flags(names.clone()),
            V::Other(s) => panic!("cannot make a value of `{s}`"),
        }
    }

    pub fn from_tether(v: &tether::Val) -> V {
        use tether::Val as T;
        let payload = |p: &Option<Box<T>>| p.as_ref().map(|v| Box::new(V::from_tether(v)));
        match v {
            T::Bool(v) => V::Bool(*v),
            T::S8(v) => V::S8(*v),
            T::U8(v) => V::U8(*v),
            T::S16(v) => V::S16(*v),
            T::U16(v) => V::U16(*v),
            T::S32(v) => V::S32(*v),
            T::U32(v) => V::U32(*v),
            T::S64(v) => V::S64(*v),
            T::U64(v) => V::U64(*v),
            T::Float32(v) => V::F32(*v),
            T::Float64(v) => V::F64(*v),
            T::Char(v) => V::Char(*v),
            T::String(v) => V::String(v.clone()),
            T::List(items) => V::List(items.iter().map(V::from_tether).collect()),
            T::Tuple(items) => V::Tuple(items.iter().map(V::from_tether).collect()),
            T::Record(fields) => V::Record(
                fields
                    .iter()
                    .map(|(n, v)| (n.clone(), V::from_tether(v)))
                    .collect(),
            ),
            T::Variant(case, p) => V::Variant(case.clone(), payload(p)),
            T::Enum(case) => V::Enum(case.clone()),
            T::Option(p) => V::Option(payload(p)),
            T::Result(Ok(p)) => V::Result(Ok(payload(p))),
            T::Result(Err(p)) => V::Result(Err(payload(p))),
            T::Flags(names) => {
                let mut names = names.clone();
                names.sort();
                V::Flags(names)
            }
            other => V::Other(format!("{other:?}")),
        }
    }

    pub fn from_wasmtime(v: &wasmtime::component::Val) -> V {
        use wasmtime::component::Val as W;
        let payload = |p: &Option<Box<W>>| p.as_ref().map(|v| Box::new(V::from_wasmtime(v)));
        match v {
            W::Bool(v) => V::Bool(*v),
            W::S8(v) => V::S8(*v),
            W::U8(v) => V::U8(*v),
            W::S16(v) => V::S16(*v),
            W::U16(v) => V::U16(*v),
            W::S32(v) => V::S32(*v),
            W::U32(v) => V::U32(*v),
            W::S64(v) => V::S64(*v),
            W::U64(v) => V::U64(*v),
            W::Float32(v) => V::F32(*v),
            W::Float64(v) => V::F64(*v),
            W::Char(v) => V::Char(*v),
            W::String(v) => V::String(v.clone()),
            W::List(items) => V::List(items.iter().map(V::from_wasmtime).collect()),
            W::Tuple(items) => V::Tuple(items.iter().map(V::from_wasmtime).collect()),
            W::Record(fields) => V::Record(
                fields
                    .iter()
                    .map(|(n, v)| (n.clone(), V::from_wasmtime(v)))
                    .collect(),
            ),
            W::Variant(case, p) => V::Variant(case.clone(), payload(p)),
            W::Enum(case) => V::Enum(case.clone()),
            W::Option(p) => V::Option(payload(p)),
            W::Result(Ok(p)) => V::Result(Ok(payload(p))),
            W::Result(Err(p)) => V::Result(Err(payload(p))),
            W::Flags(names) => {
                let mut names = names.clone();
                names.sort();
                V::Flags(names)
            }
            other => V::Other(format!("{other:?}")),
        }
    }
}

/// What a call did on one runtime: its results, or the error it trapped with.
#[derive(Clone, Debug)]
pub enum Outcome<R> {
    Ok(R),
    Trap(String),
}

impl<R: PartialEq> Outcome<R> {
    /// Same results, or both trapped (whatever their messages).
    pub fn agrees(&self, other: &Outcome<R>) -> bool {
        match (self, other) {
            (Outcome::Ok(a), Outcome::Ok(b)) => a == b,
            (Outcome::Trap(_), Outcome::Trap(_)) => true,
            _ => false,
        }
    }
}

impl<R> From<anyhow::Result<R>> for Outcome<R> {
    fn from(r: anyhow::Result<R>) -> Self {
        match r {
            Ok(r) => Outcome::Ok(r),
            Err(e) => Outcome::Trap(format!("{e:#}")),
        }
    }
}

impl<R> Outcome<R> {
    /// The outcome of a call on wasmtime, whose errors are `wasmtime::Error`s.
    pub fn from_wasmtime(r: wasmtime::Result<R>) -> Outcome<R> {
        match r {
            Ok(r) => Outcome::Ok(r),
            Err(e) => Outcome::Trap(format!("{e:#}")),
        }
    }
}
