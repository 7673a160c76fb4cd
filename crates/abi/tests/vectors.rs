//! Checks `tether-abi` against the canonical ABI vectors that the spec's Python reference
//! produced (`shared/conformance/canonical-abi-vectors`), plus unit tests for what the vectors
//! do not cover.
//!
//! Each vector test counts passes, prints the first few failures in detail, and then asserts
//! that every vector passed.

#[path = "vectors/support.rs"]
mod support;
#[path = "vectors/unit.rs"]
mod unit;

use serde_json::Value as Json;
use support::*;
use tether_abi::*;

/// How many failures of one test to print in detail.
const SHOW_FAILURES: usize = 5;

/// Collects the outcome of each vector of one test and reports them.
struct Tally {
    name: &'static str,
    total: usize,
    failures: Vec<String>,
}

impl Tally {
    fn new(name: &'static str) -> Tally {
        Tally {
            name,
            total: 0,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, id: impl std::fmt::Display, outcome: Result<(), String>) {
        self.total += 1;
        if let Err(e) = outcome {
            self.failures.push(format!("vector {id}: {e}"));
        }
    }

    /// Prints the counts and the first failures, then fails the test if any vector failed.
    fn finish(self, expected_total: usize) {
        let passed = self.total - self.failures.len();
        println!("{}: {passed} of {} vectors passed", self.name, self.total);
        for f in self.failures.iter().take(SHOW_FAILURES) {
            println!("  FAIL {f}");
        }
        if self.failures.len() > SHOW_FAILURES {
            println!(
                "  ... and {} more failures",
                self.failures.len() - SHOW_FAILURES
            );
        }
        assert_eq!(
            self.total, expected_total,
            "{}: wrong number of vectors",
            self.name
        );
        assert!(
            self.failures.is_empty(),
            "{}: {} of {} vectors failed",
            self.name,
            self.failures.len(),
            self.total
        );
    }
}

fn core_types(j: &Json) -> Vec<CoreType> {
    j.as_array()
        .expect("core type list")
        .iter()
        .map(parse_core_type)
        .collect()
}

/// Checks one layout vector: size, alignment, flattening, and the core signature of a
/// function taking or returning the type.
fn check_layout(v: &Json) -> Result<(), String> {
    let ty = parse_type(&v["type"]);
    let mut errors = Vec::new();
    if u64::from(ty.size()) != v["elem_size"].as_u64().unwrap() {
        errors.push(format!("size {} != {}", ty.size(), v["elem_size"]));
    }
    if u64::from(ty.align()) != v["alignment"].as_u64().unwrap() {
        errors.push(format!("align {} != {}", ty.align(), v["alignment"]));
    }
    let flat = core_types(&v["flat"]);
    // A flattening longer than any function passes flat is only counted.
    let kept = (flat.len() <= MAX_FLAT_PARAMS).then_some(flat.as_slice());
    if ty.flat() != kept || flatten(&ty) != kept || ty.flat_count() != flat.len() {
        errors.push(format!(
            "flat {:?} ({} core values) != {:?}",
            ty.flat(),
            ty.flat_count(),
            flat
        ));
    }
    for (key, params, results) in [
        ("as_param", std::slice::from_ref(&ty), &[][..]),
        ("as_result", &[][..], std::slice::from_ref(&ty)),
    ] {
        let expect = &v[key];
        for (ctx, context) in [
            ("lift", FlattenContext::Lift),
            ("lower", FlattenContext::Lower),
        ] {
            let (p, r) = flatten_func(params, results, context);
            let (ep, er) = (
                core_types(&expect[ctx]["params"]),
                core_types(&expect[ctx]["results"]),
            );
            if p != ep || r != er {
                errors.push(format!("{key}.{ctx}: ({p:?}, {r:?}) != ({ep:?}, {er:?})"));
            }
        }
        let max = if key == "as_param" {
            MAX_FLAT_PARAMS
        } else {
            MAX_FLAT_RESULTS
        };
        let spills = flatten_all(std::slice::from_ref(&ty)).is_none_or(|f| f.len() > max);
        if Some(spills) != expect["spills"].as_bool() {
            errors.push(format!("{key}.spills: {spills}"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("`{}`: {}", short(&ty), errors.join("; ")))
    }
}

#[test]
fn layout_vectors() {
    let file = read_vectors("layout.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    let mut tally = Tally::new("layout");
    for (i, v) in vectors.iter().enumerate() {
        tally.check(i, check_layout(v));
    }
    tally.finish(300);
}

/// The destination encodings every store vector runs under.
const ENCODINGS: [(&str, StringEncoding); 3] = [
    ("utf8", StringEncoding::Utf8),
    ("utf16", StringEncoding::Utf16),
    ("latin1+utf16", StringEncoding::Latin1Utf16),
];

/// Compares the heap and the realloc log of `cx` with an expected result, and checks that
/// nothing outside the slot and the heap was written.
fn check_heap(cx: &TestCx, expect: &Json, heap_start: u32, slot: (usize, usize)) -> Vec<String> {
    let mut errors = Vec::new();
    let heap_end = expect["heap_end"].as_u64().unwrap() as u32;
    if cx.bump != heap_end {
        errors.push(format!("heap_end {} != {heap_end}", cx.bump));
    }
    let heap = hex(&cx.mem[heap_start as usize..cx.bump.max(heap_start) as usize]);
    if heap != expect["heap_hex"].as_str().unwrap() {
        errors.push(format!("heap_hex {heap} != {}", expect["heap_hex"]));
    }
    let calls: Vec<[u32; 5]> = expect["realloc_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let c: Vec<u32> = c
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u32)
                .collect();
            [c[0], c[1], c[2], c[3], c[4]]
        })
        .collect();
    if cx.calls != calls {
        errors.push(format!("realloc_calls {:?} != {calls:?}", cx.calls));
    }
    let live = |i: usize| {
        (slot.0..slot.1).contains(&i) || (heap_start as usize..cx.bump as usize).contains(&i)
    };
    if let Some(i) = cx
        .mem
        .iter()
        .enumerate()
        .position(|(i, &b)| b != 0 && !live(i))
    {
        errors.push(format!("stray write at {i}"));
    }
    errors
}

#[test]
fn store_vectors() {
    let file = read_vectors("store.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    let mut store_tally = Tally::new("store");
    let mut flat_tally = Tally::new("lower_flat");
    for v in vectors {
        let id = v["id"].as_u64().unwrap();
        let ty = parse_type(&v["type"]);
        let val = parse_val(&ty, &v["value"]);
        let source = parse_source_encoding(
            v["src_encoding"].as_str().unwrap(),
            v["src_force_utf16_tag"].as_bool().unwrap(),
        );
        let memory_size = v["memory_size"].as_u64().unwrap() as usize;
        let ptr = v["ptr"].as_u64().unwrap() as u32;
        let heap_start = v["heap_start"].as_u64().unwrap() as u32;
        let flat_types = core_types(&v["flat_types"]);
        for (name, encoding) in ENCODINGS {
            let expect = &v["results"][name];
            let case = format!("{id} ({name}, `{}`)", short(&ty));

            // `store` into a zeroed memory, then load it back.
            let mut cx = TestCx::new(vec![0; memory_size], heap_start, encoding, source);
            let outcome = match store(&mut cx, &ty, &val, ptr) {
                Err(e) => Err(format!("trapped: {e}")),
                Ok(()) => {
                    let expect = &expect["store"];
                    let slot = (ptr as usize, (ptr + ty.size()) as usize);
                    let mut errors = check_heap(&cx, expect, heap_start, slot);
                    let slot_hex = hex(&cx.mem[slot.0..slot.1]);
                    if slot_hex != expect["slot_hex"].as_str().unwrap() {
                        errors.push(format!("slot_hex {slot_hex} != {}", expect["slot_hex"]));
                    }
                    match load(&mut cx, &ty, ptr) {
                        Ok(back) if back == val => {}
                        Ok(back) => errors.push(format!("loaded back {back:?}")),
                        Err(e) => errors.push(format!("load back trapped: {e}")),
                    }
                    if errors.is_empty() {
                        Ok(())
                    } else {
                        Err(errors.join("; "))
                    }
                }
            };
            store_tally.check(&case, outcome);

            // `lower_flat` into a fresh memory, then lift it back.
            let mut cx = TestCx::new(vec![0; memory_size], heap_start, encoding, source);
            let mut out = Vec::new();
            let outcome = match lower_flat(&mut cx, &ty, &val, &mut out) {
                Err(e) => Err(format!("trapped: {e}")),
                Ok(()) => {
                    let expect = &expect["lower_flat"];
                    let mut errors = check_heap(&cx, expect, heap_start, (0, 0));
                    let flat = parse_flat(&flat_types, &expect["flat"]);
                    if out != flat {
                        errors.push(format!("flat {out:?} != {flat:?}"));
                    }
                    match lift_flat(&mut cx, &ty, &out) {
                        Ok(back) if back == val => {}
                        Ok(back) => errors.push(format!("lifted back {back:?}")),
                        Err(e) => errors.push(format!("lift back trapped: {e}")),
                    }
                    if errors.is_empty() {
                        Ok(())
                    } else {
                        Err(errors.join("; "))
                    }
                }
            };
            flat_tally.check(&case, outcome);
        }
    }
    store_tally.finish(1500);
    flat_tally.finish(1500);
}

/// Compares the outcome of a lift with the vector's `expect`.
fn check_lift(result: Result<Val, Fault>, ty: &Type, expect: &Json) -> Result<(), String> {
    match (result, expect.get("value")) {
        (Ok(got), Some(value)) => {
            let want = parse_val(ty, value);
            if got == want {
                Ok(())
            } else {
                Err(format!("lifted {got:?}, expected {want:?}"))
            }
        }
        (Ok(got), None) => Err(format!(
            "lifted {got:?}, expected a trap at {}",
            expect["trap"]
        )),
        (Err(_), None) => Ok(()),
        (Err(e), Some(value)) => Err(format!("trapped ({e}), expected {value}")),
    }
}

#[test]
fn lift_vectors() {
    let file = read_vectors("lift.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    let mut tally = Tally::new("lift from memory");
    for v in vectors {
        let ty = parse_type(&v["type"]);
        let encoding = parse_encoding(v["string_encoding"].as_str().unwrap());
        let mem = unhex(v["memory_hex"].as_str().unwrap());
        let ptr = v["ptr"].as_u64().unwrap();
        let mut cx = TestCx::new(mem, 0, encoding, SourceEncoding::Utf8);
        // The spilled-argument path: `lift_flat_values(cx, 0, [ptr], [T])`.
        let result =
            lift_flat_values(&mut cx, 0, &[ptr], std::slice::from_ref(&ty)).map(|mut vals| {
                assert_eq!(vals.len(), 1);
                vals.remove(0)
            });
        let case = format!("{} (`{}`, {})", v["id"], short(&ty), v["mutation"]);
        tally.check(case, check_lift(result, &ty, &v["expect"]));
    }
    tally.finish(500);
}

#[test]
fn lift_flat_vectors() {
    let file = read_vectors("lift.json");
    let vectors = file["lift_flat_vectors"]
        .as_array()
        .expect("lift_flat_vectors");
    let mut tally = Tally::new("lift_flat");
    for v in vectors {
        let ty = parse_type(&v["type"]);
        let encoding = parse_encoding(v["string_encoding"].as_str().unwrap());
        let mem = unhex(v["memory_hex"].as_str().unwrap());
        let flat_types = core_types(&v["flat_types"]);
        let flat = parse_flat(&flat_types, &v["flat"]);
        let case = format!("{} (`{}`, {})", v["id"], short(&ty), v["mutation"]);
        let kept = (flat_types.len() <= MAX_FLAT_PARAMS).then_some(flat_types.as_slice());
        if ty.flat() != kept || ty.flat_count() != flat_types.len() {
            tally.check(
                case,
                Err(format!("flat types {:?} != {flat_types:?}", ty.flat())),
            );
            continue;
        }
        let mut cx = TestCx::new(mem, 0, encoding, SourceEncoding::Utf8);
        let result = lift_flat(&mut cx, &ty, &flat);
        // The same values through `lift_flat_values` must lift the same way.
        let mut cx2 = TestCx::new(cx.mem.clone(), 0, encoding, SourceEncoding::Utf8);
        let again = lift_flat_values(&mut cx2, usize::MAX, &flat, std::slice::from_ref(&ty));
        let outcome =
            check_lift(result.clone(), &ty, &v["expect"]).and_then(|()| match (&result, again) {
                (Ok(a), Ok(b)) if b == [a.clone()] => Ok(()),
                (Err(_), Err(_)) => Ok(()),
                (_, b) => Err(format!("lift_flat_values disagrees: {b:?}")),
            });
        tally.check(case, outcome);
    }
    tally.finish(150);
}
