//! Turning `.wast` argument literals into [`Val`]s, and checking results against expected
//! literals.

use std::fmt::Write as _;

use tether::Val;
use wast::component::WastVal;
use wast::core::{NanPattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// The value an `invoke` argument stands for.
///
/// `(f32.const ...)` and `(f64.const ...)` parse as core arguments at the top level; they
/// mean the component `f32` and `f64`.
/// Other core arguments have no component meaning.
pub fn arg(arg: &WastArg<'_>) -> Result<Val, String> {
    match arg {
        WastArg::Component(v) => Ok(val(v)),
        WastArg::Core(WastArgCore::F32(f)) => Ok(Val::Float32(f32::from_bits(f.bits))),
        WastArg::Core(WastArgCore::F64(f)) => Ok(Val::Float64(f64::from_bits(f.bits))),
        WastArg::Core(other) => Err(format!(
            "core wasm argument {other:?} in a component invoke"
        )),
        other => Err(format!("argument {other:?} is not supported")),
    }
}

/// The value a component literal stands for.
pub fn val(v: &WastVal<'_>) -> Val {
    let boxed = |v: &Option<Box<WastVal<'_>>>| v.as_ref().map(|v| Box::new(val(v)));
    match v {
        WastVal::Bool(b) => Val::Bool(*b),
        WastVal::U8(x) => Val::U8(*x),
        WastVal::S8(x) => Val::S8(*x),
        WastVal::U16(x) => Val::U16(*x),
        WastVal::S16(x) => Val::S16(*x),
        WastVal::U32(x) => Val::U32(*x),
        WastVal::S32(x) => Val::S32(*x),
        WastVal::U64(x) => Val::U64(*x),
        WastVal::S64(x) => Val::S64(*x),
        WastVal::F32(f) => Val::Float32(f32::from_bits(f.bits)),
        WastVal::F64(f) => Val::Float64(f64::from_bits(f.bits)),
        WastVal::Char(c) => Val::Char(*c),
        WastVal::String(s) => Val::String((*s).to_string()),
        WastVal::List(items) => Val::List(items.iter().map(val).collect()),
        WastVal::Map(entries) => Val::Map(entries.iter().map(|(k, v)| (val(k), val(v))).collect()),
        WastVal::Record(fields) => Val::Record(
            fields
                .iter()
                .map(|(n, v)| ((*n).to_string(), val(v)))
                .collect(),
        ),
        WastVal::Tuple(items) => Val::Tuple(items.iter().map(val).collect()),
        WastVal::Variant(case, payload) => Val::Variant((*case).to_string(), boxed(payload)),
        WastVal::Enum(case) => Val::Enum((*case).to_string()),
        WastVal::Option(payload) => Val::Option(boxed(payload)),
        WastVal::Result(Ok(payload)) => Val::Result(Ok(boxed(payload))),
        WastVal::Result(Err(payload)) => Val::Result(Err(boxed(payload))),
        WastVal::Flags(names) => Val::Flags(names.iter().map(|n| (*n).to_string()).collect()),
    }
}

/// Checks a call's results against an `assert_return`'s expected values.
pub fn check_results(expected: &[WastRet<'_>], actual: &[Val]) -> Result<(), String> {
    if expected.len() != actual.len() {
        return Err(format!(
            "expected {} results, got {}: {}",
            expected.len(),
            actual.len(),
            show_vals(actual)
        ));
    }
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        let ok = match e {
            WastRet::Component(e) => matches(e, a),
            WastRet::Core(WastRetCore::F32(p)) => match a {
                Val::Float32(a) => f32_matches(p, *a),
                _ => false,
            },
            WastRet::Core(WastRetCore::F64(p)) => match a {
                Val::Float64(a) => f64_matches(p, *a),
                _ => false,
            },
            WastRet::Core(other) => {
                return Err(format!(
                    "result {i}: core wasm result {other:?} in a component assertion"
                ));
            }
            other => {
                return Err(format!(
                    "result {i}: expected value {other:?} is not supported"
                ));
            }
        };
        if !ok {
            let e = match e {
                WastRet::Component(e) => show_wast(e),
                WastRet::Core(c) => format!("{c:?}"),
                other => format!("{other:?}"),
            };
            let which = if expected.len() == 1 {
                String::new()
            } else {
                format!("result {i}: ")
            };
            return Err(format!("{which}expected {e}, got {}", show(a)));
        }
    }
    Ok(())
}

fn f32_matches(p: &NanPattern<wast::token::F32>, a: f32) -> bool {
    match p {
        NanPattern::CanonicalNan => a.to_bits() & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => a.is_nan() && a.to_bits() & 0x0040_0000 != 0,
        NanPattern::Value(e) => float_eq32(e.bits, a),
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, a: f64) -> bool {
    match p {
        NanPattern::CanonicalNan => a.to_bits() & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => a.is_nan() && a.to_bits() & 0x0008_0000_0000_0000 != 0,
        NanPattern::Value(e) => float_eq64(e.bits, a),
    }
}

/// Floats compare bit for bit, except that an expected NaN matches any NaN: the canonical
/// ABI does not promise to keep NaN payloads.
fn float_eq32(expected: u32, a: f32) -> bool {
    let e = f32::from_bits(expected);
    if e.is_nan() {
        a.is_nan()
    } else {
        expected == a.to_bits()
    }
}

fn float_eq64(expected: u64, a: f64) -> bool {
    let e = f64::from_bits(expected);
    if e.is_nan() {
        a.is_nan()
    } else {
        expected == a.to_bits()
    }
}

/// Whether `actual` is the value the literal `expected` describes.
fn matches(expected: &WastVal<'_>, actual: &Val) -> bool {
    let all = |e: &[WastVal<'_>], a: &[Val]| {
        e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches(e, a))
    };
    let payload = |e: &Option<Box<WastVal<'_>>>, a: &Option<Box<Val>>| match (e, a) {
        (None, None) => true,
        (Some(e), Some(a)) => matches(e, a),
        _ => false,
    };
    match (expected, actual) {
        (WastVal::Bool(e), Val::Bool(a)) => e == a,
        (WastVal::U8(e), Val::U8(a)) => e == a,
        (WastVal::S8(e), Val::S8(a)) => e == a,
        (WastVal::U16(e), Val::U16(a)) => e == a,
        (WastVal::S16(e), Val::S16(a)) => e == a,
        (WastVal::U32(e), Val::U32(a)) => e == a,
        (WastVal::S32(e), Val::S32(a)) => e == a,
        (WastVal::U64(e), Val::U64(a)) => e == a,
        (WastVal::S64(e), Val::S64(a)) => e == a,
        (WastVal::F32(e), Val::Float32(a)) => float_eq32(e.bits, *a),
        (WastVal::F64(e), Val::Float64(a)) => float_eq64(e.bits, *a),
        (WastVal::Char(e), Val::Char(a)) => e == a,
        (WastVal::String(e), Val::String(a)) => e == a,
        (WastVal::List(e), Val::List(a)) => all(e, a),
        (WastVal::Tuple(e), Val::Tuple(a)) => all(e, a),
        (WastVal::Map(e), Val::Map(a)) => {
            e.len() == a.len()
                && e.iter()
                    .zip(a)
                    .all(|((ek, ev), (ak, av))| matches(ek, ak) && matches(ev, av))
        }
        (WastVal::Record(e), Val::Record(a)) => {
            e.len() == a.len()
                && e.iter()
                    .zip(a)
                    .all(|((en, ev), (an, av))| en == an && matches(ev, av))
        }
        (WastVal::Variant(ec, ep), Val::Variant(ac, ap)) => ec == ac && payload(ep, ap),
        (WastVal::Enum(e), Val::Enum(a)) => e == a,
        (WastVal::Option(e), Val::Option(a)) => payload(e, a),
        (WastVal::Result(Ok(e)), Val::Result(Ok(a))) => payload(e, a),
        (WastVal::Result(Err(e)), Val::Result(Err(a))) => payload(e, a),
        (WastVal::Flags(e), Val::Flags(a)) => {
            let mut e: Vec<&str> = e.to_vec();
            let mut a: Vec<&str> = a.iter().map(String::as_str).collect();
            e.sort_unstable();
            a.sort_unstable();
            e == a
        }
        _ => false,
    }
}

/// The longest string or list shown in full in a message.
const SHOW_MAX: usize = 64;

/// Renders values in `.wast` syntax, for messages.
pub fn show_vals(vals: &[Val]) -> String {
    if vals.is_empty() {
        return "no values".to_string();
    }
    vals.iter().map(show).collect::<Vec<_>>().join(" ")
}

/// Renders a value in `.wast` syntax, for messages; long strings and lists are cut.
pub fn show(v: &Val) -> String {
    let mut out = String::new();
    write_val(&mut out, v);
    out
}

fn write_val(out: &mut String, v: &Val) {
    let _ = match v {
        Val::Bool(b) => write!(out, "(bool.const {b})"),
        Val::S8(x) => write!(out, "(s8.const {x})"),
        Val::U8(x) => write!(out, "(u8.const {x})"),
        Val::S16(x) => write!(out, "(s16.const {x})"),
        Val::U16(x) => write!(out, "(u16.const {x})"),
        Val::S32(x) => write!(out, "(s32.const {x})"),
        Val::U32(x) => write!(out, "(u32.const {x})"),
        Val::S64(x) => write!(out, "(s64.const {x})"),
        Val::U64(x) => write!(out, "(u64.const {x})"),
        Val::Float32(x) => write!(out, "(f32.const {x} (bits {:#x}))", x.to_bits()),
        Val::Float64(x) => write!(out, "(f64.const {x} (bits {:#x}))", x.to_bits()),
        Val::Char(c) => write!(out, "(char.const {:?})", c.to_string()),
        Val::String(s) => write!(out, "(str.const {})", show_str(s)),
        Val::List(items) => write_seq(out, "list.const", items),
        Val::Tuple(items) => write_seq(out, "tuple.const", items),
        Val::Record(fields) => {
            out.push_str("(record.const");
            for (name, v) in fields {
                let _ = write!(out, " (field {name:?} ");
                write_val(out, v);
                out.push(')');
            }
            out.push(')');
            Ok(())
        }
        Val::Variant(case, payload) => {
            let _ = write!(out, "(variant.const {case:?}");
            write_payload(out, payload);
            Ok(())
        }
        Val::Enum(case) => write!(out, "(enum.const {case:?})"),
        Val::Option(None) => write!(out, "(option.none)"),
        Val::Option(Some(v)) => {
            out.push_str("(option.some ");
            write_val(out, v);
            out.push(')');
            Ok(())
        }
        Val::Result(Ok(payload)) => {
            out.push_str("(result.ok");
            write_payload(out, payload);
            Ok(())
        }
        Val::Result(Err(payload)) => {
            out.push_str("(result.err");
            write_payload(out, payload);
            Ok(())
        }
        Val::Flags(names) => {
            out.push_str("(flags.const");
            for n in names {
                let _ = write!(out, " {n:?}");
            }
            out.push(')');
            Ok(())
        }
        Val::Resource(r) => write!(
            out,
            "({} resource)",
            if r.owned() { "own" } else { "borrow" }
        ),
        Val::Future(_) => write!(out, "(future)"),
        Val::Stream(_) => write!(out, "(stream)"),
        Val::ErrorContext(_) => write!(out, "(error-context)"),
        Val::Map(entries) => {
            out.push_str("(map.const");
            for (i, (k, v)) in entries.iter().enumerate() {
                if i == SHOW_MAX {
                    let _ = write!(out, " ... {} more", entries.len() - SHOW_MAX);
                    break;
                }
                out.push_str(" (entry ");
                write_val(out, k);
                out.push(' ');
                write_val(out, v);
                out.push(')');
            }
            out.push(')');
            Ok(())
        }
    };
}

fn write_seq(out: &mut String, head: &str, items: &[Val]) -> std::fmt::Result {
    out.push('(');
    out.push_str(head);
    for (i, item) in items.iter().enumerate() {
        if i == SHOW_MAX {
            write!(out, " ... {} more", items.len() - SHOW_MAX)?;
            break;
        }
        out.push(' ');
        write_val(out, item);
    }
    out.push(')');
    Ok(())
}

fn write_payload(out: &mut String, payload: &Option<Box<Val>>) {
    if let Some(v) = payload {
        out.push(' ');
        write_val(out, v);
    }
    out.push(')');
}

fn show_str(s: &str) -> String {
    if s.chars().count() <= SHOW_MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(SHOW_MAX).collect();
        format!("{head:?}... ({} bytes)", s.len())
    }
}

/// Renders an expected literal in `.wast` syntax, for messages.
pub fn show_wast(v: &WastVal<'_>) -> String {
    show(&val(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wast::parser::{self, ParseBuffer};

    /// Parses `(assert_return (invoke "f") RESULTS)` and checks `actual` against it.
    fn check(results: &str, actual: &[Val]) -> Result<(), String> {
        let text = format!("(assert_return (invoke \"f\") {results})");
        let buf = ParseBuffer::new(&text).unwrap();
        let wast = parser::parse::<wast::Wast<'_>>(&buf).unwrap();
        let Some(wast::WastDirective::AssertReturn { results, .. }) = wast.directives.first()
        else {
            panic!("not an assert_return");
        };
        check_results(results, actual)
    }

    fn args(text: &str) -> Vec<Result<Val, String>> {
        let text = format!("(invoke \"f\" {text})");
        let buf = ParseBuffer::new(&text).unwrap();
        let wast = parser::parse::<wast::Wast<'_>>(&buf).unwrap();
        let Some(wast::WastDirective::Invoke(i)) = wast.directives.first() else {
            panic!()
        };
        i.args.iter().map(arg).collect()
    }

    #[test]
    fn scalar_results() {
        assert!(check("(u32.const 42)", &[Val::U32(42)]).is_ok());
        assert!(check("(s32.const -1)", &[Val::U32(u32::MAX)]).is_err());
        assert!(check("(bool.const true)", &[Val::Bool(true)]).is_ok());
        assert!(check("(char.const \"x\")", &[Val::Char('x')]).is_ok());
        let err = check("(u8.const 1)", &[Val::U8(2)]).unwrap_err();
        assert_eq!(err, "expected (u8.const 1), got (u8.const 2)");
    }

    #[test]
    fn result_count_must_match() {
        assert!(check("", &[]).is_ok());
        assert!(
            check("", &[Val::U32(1)])
                .unwrap_err()
                .contains("expected 0 results, got 1")
        );
        assert!(check("(u32.const 1)", &[]).is_err());
    }

    #[test]
    fn float_results() {
        let nan = f32::from_bits(0x7fc0_0000);
        assert!(check("(f32.const nan:canonical)", &[Val::Float32(nan)]).is_ok());
        assert!(
            check(
                "(f32.const nan:canonical)",
                &[Val::Float32(f32::from_bits(0x7fc0_0001))]
            )
            .is_err()
        );
        assert!(
            check(
                "(f32.const nan:arithmetic)",
                &[Val::Float32(f32::from_bits(0x7fc0_0001))]
            )
            .is_ok()
        );
        assert!(
            check(
                "(f32.const nan)",
                &[Val::Float32(f32::from_bits(0xffc0_0001))]
            )
            .is_ok()
        );
        assert!(check("(f32.const 0)", &[Val::Float32(-0.0)]).is_err());
        assert!(check("(f64.const -0)", &[Val::Float64(-0.0)]).is_ok());
        assert!(check("(f64.const nan:canonical)", &[Val::Float64(f64::NAN)]).is_ok());
        assert!(
            check(
                "(list.const (f32.const 1.5))",
                &[Val::List(vec![Val::Float32(1.5)])]
            )
            .is_ok()
        );
        assert!(
            check(
                "(list.const (f64.const nan))",
                &[Val::List(vec![Val::Float64(f64::NAN)])]
            )
            .is_ok()
        );
    }

    #[test]
    fn compound_results() {
        let v = Val::Record(vec![
            (
                "a".into(),
                Val::Option(Some(Box::new(Val::String("hi".into())))),
            ),
            ("b".into(), Val::Variant("c".into(), None)),
        ]);
        assert!(check(r#"(record.const (field "a" option.some (str.const "hi")) (field "b" variant.const "c"))"#, std::slice::from_ref(&v)).is_ok());
        assert!(check(r#"(record.const (field "b" variant.const "c") (field "a" option.some (str.const "hi")))"#, &[v]).is_err());
        let flags = Val::Flags(vec!["a".into(), "b".into()]);
        assert!(check(r#"(flags.const "b" "a")"#, std::slice::from_ref(&flags)).is_ok());
        assert!(check(r#"(flags.const "a")"#, &[flags]).is_err());
        let res = Val::Result(Err(Some(Box::new(Val::Enum("e".into())))));
        assert!(
            check(
                r#"(result.err (enum.const "e"))"#,
                std::slice::from_ref(&res)
            )
            .is_ok()
        );
        assert!(
            check(
                r#"(result.ok (enum.const "e"))"#,
                std::slice::from_ref(&res)
            )
            .is_err()
        );
        assert!(check(r#"(result.err)"#, &[res]).is_err());
        let t = Val::Tuple(vec![Val::U8(1), Val::S64(-2)]);
        assert!(
            check(
                "(tuple.const (u8.const 1) (s64.const -2))",
                std::slice::from_ref(&t)
            )
            .is_ok()
        );
        assert!(check("(tuple.const (u8.const 1))", &[t]).is_err());
    }

    #[test]
    fn invoke_arguments() {
        let got = args(
            r#"(u32.const 7) (f32.const 2.5) (str.const "s") (variant.const "b" (f64.const 9))"#,
        );
        let got: Vec<Val> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            got,
            vec![
                Val::U32(7),
                Val::Float32(2.5),
                Val::String("s".into()),
                Val::Variant("b".into(), Some(Box::new(Val::Float64(9.0)))),
            ]
        );
        assert!(args("(i32.const 1)")[0].is_err());
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let s = show(&Val::String("x".repeat(1000)));
        assert!(s.len() < 120, "{s}");
        let l = show(&Val::List(vec![Val::U8(0); 1000]));
        assert!(l.contains("936 more"), "{l}");
    }
}
