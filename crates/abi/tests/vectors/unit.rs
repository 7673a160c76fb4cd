//! Unit tests for what the vectors do not cover: host values that do not match their types,
//! maps, fixed-length lists, resources, spilling, and trap wording.

use crate::support::TestCx;
use tether_abi::*;

fn cx(size: usize) -> TestCx {
    TestCx::new(
        vec![0; size],
        16,
        StringEncoding::Utf8,
        SourceEncoding::Utf8,
    )
}

fn s(x: &str) -> String {
    x.to_owned()
}

/// Stores and lowers `val` as `ty` and expects both to fail with a host type error whose
/// message contains `needle`.
#[track_caller]
fn expect_mismatch(ty: &Type, val: &Val, needle: &str) {
    let mut c = cx(1024);
    let err = store(&mut c, ty, val, 0).expect_err("store should fail");
    assert!(err.is_host_fault(), "{err}");
    assert!(err.to_string().contains(needle), "`{err}` lacks `{needle}`");
    assert!(
        err.to_string().starts_with("type mismatch: expected `"),
        "{err}"
    );
    let err = lower_flat(&mut c, ty, val, &mut Vec::new()).expect_err("lower_flat should fail");
    assert!(err.is_host_fault(), "{err}");
    assert!(err.to_string().contains(needle), "`{err}` lacks `{needle}`");
}

#[track_caller]
fn expect_trap<T: std::fmt::Debug>(result: Result<T, Fault>, needle: &str) {
    let err = result.expect_err("expected a trap");
    assert!(!err.is_host_fault(), "{err}");
    assert!(err.to_string().contains(needle), "`{err}` lacks `{needle}`");
}

/// Stores, loads, lowers and lifts `val`, checking that it comes back unchanged.
#[track_caller]
fn round_trip(ty: &Type, val: &Val) -> (TestCx, Vec<u64>) {
    let mut c = cx(4096);
    store(&mut c, ty, val, 0).unwrap();
    assert_eq!(&load(&mut c, ty, 0).unwrap(), val);
    let mut flat = Vec::new();
    lower_flat(&mut c, ty, val, &mut flat).unwrap();
    assert_eq!(flat.len(), ty.flat_count());
    assert_eq!(&lift_flat(&mut c, ty, &flat).unwrap(), val);
    (c, flat)
}

#[test]
fn mismatched_primitives() {
    expect_mismatch(
        &Type::U32,
        &Val::String(s("x")),
        "expected `u32`, found string of length 1",
    );
    expect_mismatch(&Type::U32, &Val::S32(5), "found s32 value `5`");
    expect_mismatch(&Type::Bool, &Val::U8(1), "expected `bool`");
    expect_mismatch(&Type::F64, &Val::Float32(1.0), "expected `f64`, found f32");
    expect_mismatch(
        &Type::String,
        &Val::List(vec![]),
        "expected `string`, found list of length 0",
    );
    expect_mismatch(
        &Type::Own(ResourceIndex(3)),
        &Val::U32(1),
        "expected `own<resource 3>`",
    );
}

#[test]
fn mismatched_compounds() {
    let list = Type::list(Type::U8);
    expect_mismatch(
        &list,
        &Val::List(vec![Val::U8(1), Val::S8(2)]),
        "expected `u8`, found s8 value `2`",
    );
    let record = Type::record(vec![(s("a"), Type::U32), (s("b"), Type::Bool)]);
    expect_mismatch(
        &record,
        &Val::Record(vec![(s("a"), Val::U32(1))]),
        "record { a }",
    );
    let swapped = Val::Record(vec![(s("b"), Val::Bool(true)), (s("a"), Val::U32(1))]);
    expect_mismatch(&record, &swapped, "expected `record { a: u32, b: bool }`");
    expect_mismatch(
        &record,
        &Val::Record(vec![(s("a"), Val::U32(1)), (s("b"), Val::U8(1))]),
        "expected `bool`",
    );
    let tuple = Type::tuple(vec![Type::U8, Type::U16]);
    expect_mismatch(
        &tuple,
        &Val::Tuple(vec![Val::U8(1)]),
        "expected `tuple<u8, u16>`, found tuple of length 1",
    );
    let variant = Type::variant(vec![(s("a"), Some(Type::U32)), (s("b"), None)]);
    expect_mismatch(
        &variant,
        &Val::Variant(s("c"), None),
        "found variant case `c` without payload",
    );
    expect_mismatch(
        &variant,
        &Val::Variant(s("a"), None),
        "found variant case `a` without payload",
    );
    expect_mismatch(
        &variant,
        &Val::Variant(s("b"), Some(Box::new(Val::U32(1)))),
        "case `b` with payload",
    );
    let enum_ = Type::enum_(vec![s("x"), s("y")]);
    expect_mismatch(
        &enum_,
        &Val::Enum(s("z")),
        "expected `enum { x, y }`, found enum case `z`",
    );
    let option = Type::option(Type::U8);
    expect_mismatch(
        &option,
        &Val::Option(Some(Box::new(Val::U16(1)))),
        "expected `u8`",
    );
    expect_mismatch(&option, &Val::Result(Ok(None)), "expected `option<u8>`");
    let result = Type::result(None, Some(Type::String));
    expect_mismatch(
        &result,
        &Val::Result(Ok(Some(Box::new(Val::U8(1))))),
        "expected `result<_, string>`",
    );
    expect_mismatch(
        &result,
        &Val::Result(Err(None)),
        "result `error` without payload",
    );
    let flags = Type::flags(vec![s("r"), s("w")]);
    expect_mismatch(
        &flags,
        &Val::Flags(vec![s("x")]),
        "expected `flags { r, w }`, found flags with 1 set",
    );
    let fixed = Type::fixed_list(Type::U8, 3);
    expect_mismatch(
        &fixed,
        &Val::List(vec![Val::U8(1)]),
        "expected `list<u8, 3>`, found list of length 1",
    );
    let map = Type::map(Type::String, Type::U32);
    expect_mismatch(&map, &Val::List(vec![]), "expected `map<string, u32>`");
    expect_mismatch(
        &map,
        &Val::Map(vec![(Val::U32(1), Val::U32(1))]),
        "expected `string`, found u32",
    );
}

#[test]
fn mismatch_messages_stay_short() {
    let big = Type::enum_((0..70000).map(|i| format!("case{i}")).collect());
    let mut c = cx(64);
    let err = store(&mut c, &big, &Val::Enum(s("nope")), 0).unwrap_err();
    assert!(err.to_string().len() < 200, "{err}");
    assert!(err.to_string().contains("..."), "{err}");
}

#[test]
fn value_count_mismatch() {
    let mut c = cx(64);
    let err = lower_flat_values(
        &mut c,
        16,
        &[Val::U8(1)],
        &[Type::U8, Type::U8],
        None,
        &mut Vec::new(),
    );
    assert!(err.unwrap_err().is_host_fault());
}

#[test]
fn display_in_wit_syntax() {
    let cases = [
        (Type::list(Type::U32), "list<u32>"),
        (Type::fixed_list(Type::F32, 4), "list<f32, 4>"),
        (
            Type::map(Type::String, Type::list(Type::U8)),
            "map<string, list<u8>>",
        ),
        (Type::record(vec![(s("a"), Type::U32)]), "record { a: u32 }"),
        (Type::tuple(vec![Type::S8, Type::Char]), "tuple<s8, char>"),
        (
            Type::variant(vec![(s("a"), Some(Type::U8)), (s("b"), None)]),
            "variant { a(u8), b }",
        ),
        (Type::enum_(vec![s("x"), s("y")]), "enum { x, y }"),
        (Type::option(Type::Bool), "option<bool>"),
        (
            Type::result(Some(Type::U8), Some(Type::String)),
            "result<u8, string>",
        ),
        (Type::result(Some(Type::U8), None), "result<u8>"),
        (Type::result(None, Some(Type::U8)), "result<_, u8>"),
        (Type::result(None, None), "result"),
        (Type::flags(vec![s("r"), s("w")]), "flags { r, w }"),
        (Type::Own(ResourceIndex(3)), "own<resource 3>"),
        (Type::Borrow(ResourceIndex(0)), "borrow<resource 0>"),
    ];
    for (ty, text) in cases {
        assert_eq!(ty.to_string(), text);
    }
}

#[test]
fn map_layout() {
    let map = Type::map(Type::String, Type::U8);
    assert_eq!(
        (map.size(), map.align(), map.flat()),
        (8, 4, Some(&[CoreType::I32, CoreType::I32][..]))
    );
    let Type::Map(m) = &map else { unreachable!() };
    assert_eq!((m.key(), m.value()), (&Type::String, &Type::U8));
    // The same layout as `list<tuple<string, u8>>`: entries of 12 bytes aligned to 4.
    let val = Val::Map(vec![
        (Val::String(s("ab")), Val::U8(7)),
        (Val::String(s("c")), Val::U8(9)),
    ]);
    let (c, flat) = round_trip(&map, &val);
    let entries = c.calls[0];
    assert_eq!(&entries[..4], &[0, 0, 4, 24]);
    let p = entries[4] as usize;
    assert_eq!(c.mem[p + 8], 7);
    assert_eq!(c.mem[p + 12 + 8], 9);
    let first = u32::from_le_bytes(c.mem[p..p + 4].try_into().unwrap()) as usize;
    assert_eq!(&c.mem[first..first + 2], b"ab");
    assert_eq!(flat[1], 2);

    // A map compares with the list of tuples it is laid out as.
    let as_list = Type::list(Type::tuple(vec![Type::String, Type::U8]));
    let mut c = cx(4096);
    store(&mut c, &map, &val, 0).unwrap();
    let Val::List(entries) = load(&mut c, &as_list, 0).unwrap() else {
        panic!()
    };
    assert_eq!(
        entries[1],
        Val::Tuple(vec![Val::String(s("c")), Val::U8(9)])
    );
}

#[test]
fn fixed_list_layout() {
    let ty = Type::fixed_list(Type::U16, 3);
    assert_eq!((ty.size(), ty.align()), (6, 2));
    assert_eq!(ty.flat(), Some(&[CoreType::I32; 3][..]));
    let Type::FixedList(t) = &ty else {
        unreachable!()
    };
    assert_eq!((t.elem(), t.len()), (&Type::U16, 3));

    let doubles = Type::fixed_list(Type::F64, 2);
    assert_eq!(
        (doubles.size(), doubles.align(), doubles.flat()),
        (16, 8, Some(&[CoreType::F64; 2][..]))
    );

    // Inside a record, it is laid out as a tuple of its elements.
    let record = Type::record(vec![
        (s("a"), Type::U8),
        (s("b"), Type::fixed_list(Type::U32, 2)),
        (s("c"), Type::U8),
    ]);
    assert_eq!((record.size(), record.align()), (16, 4));
    let val = Val::Record(vec![
        (s("a"), Val::U8(1)),
        (
            s("b"),
            Val::List(vec![Val::U32(0x0403_0201), Val::U32(0x0807_0605)]),
        ),
        (s("c"), Val::U8(2)),
    ]);
    let (c, flat) = round_trip(&record, &val);
    assert_eq!(
        &c.mem[..16],
        &[1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 2, 0, 0, 0]
    );
    assert_eq!(flat, [1, 0x0403_0201, 0x0807_0605, 2]);

    // A fixed-length list with strings allocates each one.
    let strings = Type::fixed_list(Type::String, 2);
    assert_eq!((strings.size(), strings.flat_count()), (16, 4));
    round_trip(
        &strings,
        &Val::List(vec![Val::String(s("x")), Val::String(s("yz"))]),
    );

    // As a variant payload, its slots are joined with the other cases'.
    let variant = Type::variant(vec![
        (s("a"), Some(Type::fixed_list(Type::F32, 2))),
        (s("b"), Some(Type::U64)),
    ]);
    assert_eq!(
        variant.flat(),
        Some(&[CoreType::I32, CoreType::I64, CoreType::F32][..])
    );
    let val = Val::Variant(
        s("a"),
        Some(Box::new(Val::List(vec![
            Val::Float32(1.5),
            Val::Float32(-0.0),
        ]))),
    );
    let (_, flat) = round_trip(&variant, &val);
    assert_eq!(
        flat,
        [
            0,
            u64::from(1.5f32.to_bits()),
            u64::from((-0.0f32).to_bits())
        ]
    );
}

#[test]
fn resources_pass_through_the_context() {
    let ty = Type::tuple(vec![
        Type::Own(ResourceIndex(1)),
        Type::list(Type::Borrow(ResourceIndex(2))),
    ]);
    let own = ResourceAny::from_parts(HandleParts {
        store: ResourceAny::ANY_STORE,
        ty: 1,
        index: 5,
        generation: 0,
        own: true,
    });
    let borrowed = ResourceAny::from_parts(HandleParts {
        store: ResourceAny::ANY_STORE,
        ty: 2,
        index: 6,
        generation: 0,
        own: false,
    });
    assert!(own.owned() && !borrowed.owned());
    let val = Val::Tuple(vec![
        Val::Resource(own),
        Val::List(vec![Val::Resource(borrowed)]),
    ]);
    let (c, flat) = round_trip(&ty, &val);
    assert_eq!(flat[0], 5);
    assert_eq!(
        &c.handles[..4],
        &[(true, 1, 5), (false, 2, 6), (true, 1, 5), (false, 2, 6)]
    );
}

#[test]
fn spilled_values() {
    let tys: Vec<Type> = (0..17).map(|_| Type::U32).collect();
    let vals: Vec<Val> = (0..17).map(Val::U32).collect();

    // Without a return area, the tuple is allocated and its pointer passed.
    let mut c = cx(1024);
    let mut out = Vec::new();
    lower_flat_values(&mut c, MAX_FLAT_PARAMS, &vals, &tys, None, &mut out).unwrap();
    assert_eq!(c.calls, [[0, 0, 4, 68, 16]]);
    assert_eq!(out, [16]);
    assert_eq!(
        lift_flat_values(&mut c, MAX_FLAT_PARAMS, &out, &tys).unwrap(),
        vals
    );

    // With a return area, nothing is passed.
    let mut out = Vec::new();
    lower_flat_values(&mut c, MAX_FLAT_PARAMS, &vals, &tys, Some(512), &mut out).unwrap();
    assert!(out.is_empty());
    assert_eq!(
        lift_flat_values(&mut c, MAX_FLAT_PARAMS, &[512], &tys).unwrap(),
        vals
    );

    expect_trap(
        lower_flat_values(&mut c, 16, &vals, &tys, Some(2), &mut out),
        "unaligned pointer",
    );
    expect_trap(
        lower_flat_values(&mut c, 16, &vals, &tys, Some(1000), &mut out),
        "pointer out of bounds of memory",
    );
    expect_trap(
        lift_flat_values(&mut c, 16, &[2], &tys),
        "unaligned pointer",
    );
    expect_trap(
        lift_flat_values(&mut c, 16, &[1000], &tys),
        "pointer out of bounds of memory",
    );
    c.realloc_result = Some(2);
    expect_trap(
        lower_flat_values(&mut c, 16, &vals, &tys, None, &mut out),
        "realloc return: result not aligned",
    );
    c.realloc_result = Some(1000);
    expect_trap(
        lower_flat_values(&mut c, 16, &vals, &tys, None, &mut out),
        "realloc return: beyond end of memory",
    );

    // Flat values that fit are passed as they are.
    let mut out = Vec::new();
    lower_flat_values(&mut c, 16, &vals[..2], &tys[..2], None, &mut out).unwrap();
    assert_eq!(out, [0, 1]);
}

#[test]
fn realloc_results_are_checked() {
    for ty in [Type::String, Type::list(Type::U32)] {
        let val = match ty {
            Type::String => Val::String(s("hello")),
            _ => Val::List(vec![Val::U32(1)]),
        };
        let mut c = cx(64);
        c.realloc_result = Some(64);
        expect_trap(
            store(&mut c, &ty, &val, 0),
            "realloc return: beyond end of memory",
        );
        c.realloc_result = Some(u32::MAX);
        expect_trap(
            lower_flat(&mut c, &ty, &val, &mut Vec::new()),
            "realloc return:",
        );
    }
    let mut c = cx(64);
    c.realloc_result = Some(3);
    expect_trap(
        store(&mut c, &Type::list(Type::U32), &Val::List(vec![]), 0),
        "realloc return: result not aligned",
    );
    c.encoding = StringEncoding::Utf16;
    expect_trap(
        store(&mut c, &Type::String, &Val::String(s("a")), 0),
        "realloc return: result not aligned",
    );
}

#[test]
fn trap_wording() {
    let mut c = cx(64);
    let lift_str = |c: &mut TestCx, bytes: &[u8], encoding| {
        c.mem[32..32 + bytes.len()].copy_from_slice(bytes);
        c.encoding = encoding;
        lift_flat(c, &Type::String, &[32, bytes.len() as u64])
    };
    expect_trap(
        lift_str(&mut c, b"\xff", StringEncoding::Utf8),
        "invalid utf-8",
    );
    expect_trap(
        lift_str(&mut c, b"a\xe4\xb8", StringEncoding::Utf8),
        "invalid utf-8: incomplete utf-8 byte sequence",
    );
    c.encoding = StringEncoding::Utf16;
    c.mem[32..34].copy_from_slice(&0xd800u16.to_le_bytes());
    expect_trap(lift_flat(&mut c, &Type::String, &[32, 1]), "invalid utf-16");
    expect_trap(
        lift_flat(&mut c, &Type::String, &[33, 1]),
        "unaligned pointer",
    );
    expect_trap(
        lift_flat(&mut c, &Type::String, &[60, 4]),
        "string content out-of-bounds",
    );
    expect_trap(
        lift_flat(&mut c, &Type::String, &[0, 1 << 28]),
        "string length too large",
    );
    expect_trap(
        lift_flat(&mut c, &Type::list(Type::U32), &[2, 1]),
        "unaligned pointer",
    );
    expect_trap(
        lift_flat(&mut c, &Type::list(Type::U32), &[60, 2]),
        "list content out-of-bounds",
    );
    expect_trap(
        lift_flat(&mut c, &Type::list(Type::U64), &[0, 1 << 26]),
        "list length too large",
    );
    expect_trap(
        lift_flat(&mut c, &Type::Char, &[0xd800]),
        "invalid `char` bit pattern",
    );
    expect_trap(
        lift_flat(&mut c, &Type::Char, &[0x11_0000]),
        "invalid `char` bit pattern",
    );
    expect_trap(
        lift_flat(&mut c, &Type::option(Type::U8), &[2, 0]),
        "invalid variant discriminant",
    );
    expect_trap(
        lift_flat(&mut c, &Type::enum_(vec![s("a")]), &[1]),
        "invalid variant discriminant",
    );
    c.mem[0] = 3;
    expect_trap(
        load(&mut c, &Type::result(None, None), 0),
        "invalid variant discriminant",
    );
    expect_trap(
        load(&mut c, &Type::U64, 60),
        "pointer out of bounds of memory",
    );
    expect_trap(
        store(&mut c, &Type::U64, &Val::U64(1), 60),
        "pointer out of bounds of memory",
    );
    expect_trap(
        load(&mut c, &Type::U32, u32::MAX),
        "pointer out of bounds of memory",
    );
    expect_trap(
        lift_flat(&mut c, &Type::U32, &[1, 2]),
        "wrong number of core values",
    );
}

#[test]
fn lenient_lifting() {
    let mut c = cx(64);
    assert_eq!(
        lift_flat(&mut c, &Type::Bool, &[2]).unwrap(),
        Val::Bool(true)
    );
    assert_eq!(
        lift_flat(&mut c, &Type::U8, &[0x1ff]).unwrap(),
        Val::U8(0xff)
    );
    assert_eq!(
        lift_flat(&mut c, &Type::S8, &[0xd880]).unwrap(),
        Val::S8(-128)
    );
    let flags = Type::flags(vec![s("a"), s("b")]);
    assert_eq!(
        lift_flat(&mut c, &flags, &[0b1110]).unwrap(),
        Val::Flags(vec![s("b")])
    );
    let Val::Float32(x) = lift_flat(&mut c, &Type::F32, &[0xffff_ffff]).unwrap() else {
        panic!()
    };
    assert_eq!(x.to_bits(), 0x7fc0_0000);
    let mut out = Vec::new();
    lower_flat(
        &mut c,
        &Type::F64,
        &Val::Float64(f64::from_bits(0xfff0_0000_0000_0001)),
        &mut out,
    )
    .unwrap();
    assert_eq!(out, [0x7ff8_0000_0000_0000]);
}

#[test]
fn large_variants_use_wide_discriminants() {
    let names = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>();
    for (n, size) in [(256, 1), (257, 2), (65536, 2), (65537, 4)] {
        let ty = Type::enum_(names(n));
        assert_eq!((ty.size(), ty.align()), (size, size));
        let last = Val::Enum(format!("c{}", n - 1));
        round_trip(&ty, &last);
    }
}

#[test]
fn source_encodings_choose_the_transcoding() {
    // The same string from three sources into a `latin1+utf16` memory.
    let text = Val::String(s("héllo"));
    let calls = |source| {
        let mut c = TestCx::new(vec![0; 256], 16, StringEncoding::Latin1Utf16, source);
        store(&mut c, &Type::String, &text, 0).unwrap();
        assert_eq!(load(&mut c, &Type::String, 0).unwrap(), text);
        c.calls
    };
    // From UTF-8: 6 bytes allocated for 5 Latin-1 characters, then shrunk.
    assert_eq!(
        calls(SourceEncoding::Utf8),
        [[0, 0, 2, 6, 16], [16, 6, 2, 5, 16]]
    );
    // From Latin-1: an exact copy.
    assert_eq!(
        calls(SourceEncoding::Latin1Utf16 { force_utf16: false }),
        [[0, 0, 2, 5, 16]]
    );
    // From tagged UTF-16: allocated as UTF-16, then deflated to Latin-1.
    assert_eq!(
        calls(SourceEncoding::Latin1Utf16 { force_utf16: true }),
        [[0, 0, 2, 10, 16], [16, 10, 1, 5, 16]]
    );
}

#[test]
fn flags_beyond_32_do_not_exist() {
    // The vectors record that the reference rejects flags with 33 and 40 labels.
    let file = crate::support::read_vectors("layout.json");
    let rejected = file["rejected_by_reference"]
        .as_array()
        .expect("rejected_by_reference");
    let mut checked = 0;
    for r in rejected {
        let count = r["type"]["flags"].as_array().expect("a flags type").len();
        if count > 32 {
            let names: Vec<String> = (0..count).map(|i| format!("f{i}")).collect();
            assert!(
                std::panic::catch_unwind(|| Type::flags(names)).is_err(),
                "flags with {count} labels"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
    // Flags with 32 labels are the largest, a `u32`.
    let names: Vec<String> = (0..32).map(|i| format!("f{i}")).collect();
    let ty = Type::flags(names.clone());
    assert_eq!(
        (ty.size(), ty.align(), ty.flat()),
        (4, 4, Some(&[CoreType::I32][..]))
    );
    round_trip(&ty, &Val::Flags(vec![names[0].clone(), names[31].clone()]));
}

/// A small deterministic random number generator (xorshift), so the test needs no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn garbage_never_panics() {
    // Every type of the lift vectors, lifted from random memories and random core values in
    // every encoding: each must lift or trap, never panic.
    let file = crate::support::read_vectors("lift.json");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let types: Vec<Type> = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .chain(file["lift_flat_vectors"].as_array().unwrap())
        .map(|v| crate::support::parse_type(&v["type"]))
        .collect();
    let encodings = [
        StringEncoding::Utf8,
        StringEncoding::Utf16,
        StringEncoding::Latin1Utf16,
    ];
    for ty in &types {
        for round in 0..8 {
            let size = 64 + (rng.next() % 256) as usize;
            let mem: Vec<u8> = (0..size)
                .map(|_| {
                    // Mostly small bytes, so pointers and lengths often land inside memory.
                    let r = rng.next();
                    if r.is_multiple_of(4) {
                        r as u8
                    } else {
                        (r % 8) as u8
                    }
                })
                .collect();
            let mut c = TestCx::new(mem, 0, encodings[round % 3], SourceEncoding::Utf8);
            let ptr = rng.next() % (size as u64 + 8);
            let _ = lift_flat_values(&mut c, 0, &[ptr], std::slice::from_ref(ty));
            let flat: Vec<u64> = (0..ty.flat_count())
                .map(|_| rng.next() % (size as u64 + 4))
                .collect();
            let _ = lift_flat(&mut c, ty, &flat);
            let _ = load(&mut c, ty, ptr as u32);
        }
    }
}

#[test]
fn long_flattenings_are_counted_not_built() {
    // The longest fixed-length list of bytes a component may define: built at once, its
    // flattening counted but never kept, as no function passes it flat.
    let bytes = Type::fixed_list(Type::U8, MAX_VALUE_SIZE);
    assert_eq!(bytes.size(), MAX_VALUE_SIZE);
    assert_eq!(bytes.flat(), None);
    assert_eq!(bytes.flat_count(), MAX_VALUE_SIZE as usize);
    assert_eq!(flatten_all(std::slice::from_ref(&bytes)), None);
    assert_eq!(
        flatten_func(
            std::slice::from_ref(&bytes),
            std::slice::from_ref(&bytes),
            FlattenContext::Lower
        ),
        (vec![CoreType::I32, CoreType::I32], vec![])
    );
    // Nested in records, variants and other fixed-length lists, it stays counted.
    let mib = Type::fixed_list(Type::U8, 1 << 20);
    let record = Type::record(vec![(s("a"), mib.clone()), (s("b"), Type::U32)]);
    assert_eq!((record.flat(), record.flat_count()), (None, (1 << 20) + 1));
    let variant = Type::variant(vec![(s("a"), Some(record.clone())), (s("b"), None)]);
    assert_eq!(
        (variant.flat(), variant.flat_count()),
        (None, (1 << 20) + 2)
    );
    let nested = Type::fixed_list(Type::fixed_list(Type::U64, 1 << 12), 1 << 12);
    assert_eq!((nested.flat(), nested.flat_count()), (None, 1 << 24));
    // A lifted value of it takes one `Val` per element, counted the same way.
    let slot = std::mem::size_of::<Val>() as u64;
    assert_eq!(bytes.lifted_heap(), u64::from(MAX_VALUE_SIZE) * slot);
    assert_eq!(nested.lifted_heap(), (1 << 12) * (slot + (1 << 12) * slot));

    // Exactly `MAX_FLAT_PARAMS` core values are kept, one more is only counted.
    let sixteen = Type::fixed_list(Type::U8, 16);
    assert_eq!(sixteen.flat(), Some(&[CoreType::I32; 16][..]));
    let pair = Type::fixed_list(Type::fixed_list(Type::F64, 2), 8);
    assert_eq!(pair.flat(), Some(&[CoreType::F64; 16][..]));
    assert_eq!(Type::fixed_list(Type::U8, 17).flat(), None);
    assert_eq!(Type::tuple(vec![sixteen.clone(), Type::U8]).flat(), None);
    let params = [Type::fixed_list(Type::U8, 8), Type::fixed_list(Type::U8, 8)];
    assert_eq!(flatten_all(&params).map(|f| f.len()), Some(16));
    assert_eq!(flatten_all(&[sixteen.clone(), Type::Bool]), None);
    // A variant joins the payloads it keeps; a long payload makes it long too.
    let long = Type::option(Type::fixed_list(Type::U32, 16));
    assert_eq!((long.flat(), long.flat_count()), (None, 17));
}

#[test]
fn sizes_over_the_limit_are_refused() {
    // 8 GiB: its size is computed without wrapping, and the type is refused, named.
    let inner = Type::fixed_list(Type::U64, 32768);
    let err = Type::try_fixed_list(inner.clone(), 32768).unwrap_err();
    assert_eq!(err.size(), 1 << 33);
    assert_eq!(err.type_name(), "list<list<u64, 32768>, 32768>");
    assert!(
        err.to_string().contains("is 8589934592 bytes in memory"),
        "{err}"
    );
    // The largest length of the largest element.
    let err = Type::try_fixed_list(Type::U64, u32::MAX).unwrap_err();
    assert_eq!(err.size(), u64::from(u32::MAX) * 8);
    // One byte over the limit, in a record, a tuple, a variant, an option and a result.
    let max = Type::fixed_list(Type::U8, MAX_VALUE_SIZE);
    let fields = vec![(s("a"), max.clone()), (s("b"), Type::U8)];
    assert_eq!(Type::try_record(fields).unwrap_err().size(), 1 << 28);
    let tuple = Type::try_tuple(vec![Type::U8, max.clone()]).unwrap_err();
    assert_eq!(
        (tuple.size(), tuple.type_name()),
        (1 << 28, "tuple<u8, list<u8, 268435455>>")
    );
    assert!(Type::try_variant(vec![(s("x"), Some(max.clone()))]).is_err());
    assert!(Type::try_option(max.clone()).is_err());
    assert!(Type::try_result(None, Some(max.clone())).is_err());
    // Doubling a record 40 times overflows 32 bits many times over: still refused.
    let mut ty = Type::U8;
    let mut refused = None;
    for i in 0..40 {
        match Type::try_record(vec![(s("a"), ty.clone()), (s("b"), ty.clone())]) {
            Ok(t) => ty = t,
            Err(e) => {
                refused = Some((i, e.size()));
                break;
            }
        }
    }
    assert_eq!(refused, Some((27, 1 << 28)));
    // Within the limit, the checked constructors agree with the others.
    assert_eq!(
        Type::try_fixed_list(Type::U8, 3).unwrap(),
        Type::fixed_list(Type::U8, 3)
    );
}
