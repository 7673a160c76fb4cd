//! Reading the vectors' JSON, and a [`Context`] over a `Vec<u8>` with the vectors' bump
//! allocator.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use tether_abi::*;

/// The folder of the canonical ABI vectors, in the shared folder beside the repository.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/canonical-abi-vectors")
}

/// Reads one vector file, failing loudly if it is missing.
pub fn read_vectors(name: &str) -> Json {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the canonical ABI vectors at `{}`: {e}; the shared folder must sit beside the repository",
            path.display()
        )
    });
    let json: Json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("`{}` is not JSON: {e}", path.display()));
    assert_eq!(
        json["addrtype"],
        "i32",
        "`{}`: only 32-bit memories are supported",
        path.display()
    );
    json
}

/// A type's WIT text cut to a length that suits a failure message.
pub fn short(ty: &Type) -> String {
    let text = ty.to_string();
    match text.char_indices().nth(100) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

pub fn parse_type(j: &Json) -> Type {
    if let Some(name) = j.as_str() {
        return match name {
            "bool" => Type::Bool,
            "s8" => Type::S8,
            "u8" => Type::U8,
            "s16" => Type::S16,
            "u16" => Type::U16,
            "s32" => Type::S32,
            "u32" => Type::U32,
            "s64" => Type::S64,
            "u64" => Type::U64,
            "f32" => Type::F32,
            "f64" => Type::F64,
            "char" => Type::Char,
            "string" => Type::String,
            _ => panic!("unknown type `{name}`"),
        };
    }
    let obj = j.as_object().unwrap_or_else(|| panic!("bad type {j}"));
    let (kind, body) = obj.iter().next().unwrap_or_else(|| panic!("bad type {j}"));
    let opt = |j: &Json| {
        if j.is_null() {
            None
        } else {
            Some(parse_type(j))
        }
    };
    let names = |j: &Json| {
        j.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect()
    };
    match kind.as_str() {
        "list" => Type::list(parse_type(body)),
        "record" => Type::record(
            body.as_array()
                .unwrap()
                .iter()
                .map(|f| (f[0].as_str().unwrap().to_owned(), parse_type(&f[1])))
                .collect(),
        ),
        "tuple" => Type::tuple(body.as_array().unwrap().iter().map(parse_type).collect()),
        "variant" => Type::variant(
            body.as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_str().unwrap().to_owned(), opt(&c[1])))
                .collect(),
        ),
        "enum" => Type::enum_(names(body)),
        "option" => Type::option(parse_type(body)),
        "result" => Type::result(opt(&body["ok"]), opt(&body["err"])),
        "flags" => Type::flags(names(body)),
        _ => panic!("unknown type constructor `{kind}`"),
    }
}

fn parse_bits(j: &Json) -> u64 {
    let s = j
        .as_str()
        .unwrap_or_else(|| panic!("expected a hex bit pattern, found {j}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// A JSON value of the vectors as a [`Val`] of type `ty`.
pub fn parse_val(ty: &Type, j: &Json) -> Val {
    let int = || {
        j.as_i64()
            .unwrap_or_else(|| panic!("expected an integer, found {j}"))
    };
    let uint = || {
        j.as_u64()
            .unwrap_or_else(|| panic!("expected an integer, found {j}"))
    };
    let case = || {
        let name = j["case"].as_str().unwrap().to_owned();
        (name, &j["payload"])
    };
    let payload = |t: Option<&Type>, p: &Json| t.map(|t| Box::new(parse_val(t, p)));
    match ty {
        Type::Bool => Val::Bool(j.as_bool().unwrap()),
        Type::S8 => Val::S8(int() as i8),
        Type::U8 => Val::U8(uint() as u8),
        Type::S16 => Val::S16(int() as i16),
        Type::U16 => Val::U16(uint() as u16),
        Type::S32 => Val::S32(int() as i32),
        Type::U32 => Val::U32(uint() as u32),
        Type::S64 => Val::S64(int()),
        Type::U64 => Val::U64(uint()),
        Type::F32 => Val::Float32(f32::from_bits(parse_bits(j) as u32)),
        Type::F64 => Val::Float64(f64::from_bits(parse_bits(j))),
        Type::Char => Val::Char(char::from_u32(uint() as u32).unwrap()),
        Type::String => Val::String(j.as_str().unwrap().to_owned()),
        Type::List(t) => Val::List(
            j.as_array()
                .unwrap()
                .iter()
                .map(|e| parse_val(t.elem(), e))
                .collect(),
        ),
        Type::Record(t) => Val::Record(
            t.fields()
                .iter()
                .map(|(name, fty)| {
                    let field = j
                        .get(name)
                        .unwrap_or_else(|| panic!("record value {j} lacks field `{name}`"));
                    (name.clone(), parse_val(fty, field))
                })
                .collect(),
        ),
        Type::Tuple(t) => Val::Tuple(
            t.types()
                .iter()
                .zip(j.as_array().unwrap())
                .map(|(t, e)| parse_val(t, e))
                .collect(),
        ),
        Type::Variant(t) => {
            let (name, p) = case();
            let (_, pty) = t.cases().iter().find(|(n, _)| *n == name).unwrap();
            Val::Variant(name, payload(pty.as_ref(), p))
        }
        Type::Enum(_) => Val::Enum(j.as_str().unwrap().to_owned()),
        Type::Option(t) => match case() {
            (n, _) if n == "none" => Val::Option(None),
            (_, p) => Val::Option(payload(Some(t.some()), p)),
        },
        Type::Result(t) => match case() {
            (n, p) if n == "ok" => Val::Result(Ok(payload(t.ok(), p))),
            (_, p) => Val::Result(Err(payload(t.err(), p))),
        },
        Type::Flags(_) => Val::Flags(
            j.as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_owned())
                .collect(),
        ),
        _ => panic!("the vectors have no values of type `{ty}`"),
    }
}

pub fn parse_core_type(j: &Json) -> CoreType {
    match j.as_str().unwrap() {
        "i32" => CoreType::I32,
        "i64" => CoreType::I64,
        "f32" => CoreType::F32,
        "f64" => CoreType::F64,
        other => panic!("unknown core type `{other}`"),
    }
}

/// Core values of the vectors as raw bits: integers as they are, floats from hex bit patterns.
pub fn parse_flat(types: &[CoreType], j: &Json) -> Vec<u64> {
    let vals = j.as_array().unwrap();
    assert_eq!(
        types.len(),
        vals.len(),
        "flat values {j} do not match their types {types:?}"
    );
    types
        .iter()
        .zip(vals)
        .map(|(t, v)| match t {
            CoreType::I32 | CoreType::I64 => v.as_u64().unwrap(),
            CoreType::F32 | CoreType::F64 => parse_bits(v),
        })
        .collect()
}

pub fn parse_encoding(name: &str) -> StringEncoding {
    match name {
        "utf8" => StringEncoding::Utf8,
        "utf16" => StringEncoding::Utf16,
        "latin1+utf16" => StringEncoding::Latin1Utf16,
        _ => panic!("unknown string encoding `{name}`"),
    }
}

pub fn parse_source_encoding(name: &str, force_utf16: bool) -> SourceEncoding {
    match parse_encoding(name) {
        StringEncoding::Utf8 => SourceEncoding::Utf8,
        StringEncoding::Utf16 => SourceEncoding::Utf16,
        StringEncoding::Latin1Utf16 => SourceEncoding::Latin1Utf16 { force_utf16 },
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A guest made of a `Vec<u8>` memory and the vectors' bump allocator, which logs every
/// `realloc` call as `[old, old_size, align, new_size, returned]`.
pub struct TestCx {
    pub mem: Vec<u8>,
    pub bump: u32,
    pub calls: Vec<[u32; 5]>,
    pub encoding: StringEncoding,
    pub source: SourceEncoding,
    /// When set, `realloc` returns this instead of allocating.
    pub realloc_result: Option<u32>,
    /// Handles lifted and lowered, in order: `(own, resource type, index)`.
    pub handles: Vec<(bool, u32, u32)>,
}

impl TestCx {
    pub fn new(
        mem: Vec<u8>,
        heap_start: u32,
        encoding: StringEncoding,
        source: SourceEncoding,
    ) -> TestCx {
        TestCx {
            mem,
            bump: heap_start,
            calls: Vec::new(),
            encoding,
            source,
            realloc_result: None,
            handles: Vec::new(),
        }
    }
}

fn align_to(x: u64, align: u32) -> u64 {
    x.div_ceil(u64::from(align)) * u64::from(align)
}

impl Context for TestCx {
    fn string_encoding(&self) -> StringEncoding {
        self.encoding
    }

    fn memory(&self) -> Result<&[u8], Fault> {
        Ok(&self.mem)
    }

    fn memory_mut(&mut self) -> Result<&mut [u8], Fault> {
        Ok(&mut self.mem)
    }

    fn realloc(
        &mut self,
        old: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, Fault> {
        let ret = if let Some(ret) = self.realloc_result {
            ret
        } else if old != 0 && new_size < old_size {
            // A shrink happens in place.
            align_to(u64::from(old), align) as u32
        } else {
            // Anything else is a fresh block, with the old contents copied over.
            let ret = align_to(u64::from(self.bump), align);
            self.bump = (ret + u64::from(new_size)) as u32;
            let (old, ret, n) = (old as usize, ret as usize, old_size as usize);
            if old + n <= self.mem.len() && ret + n <= self.mem.len() {
                self.mem.copy_within(old..old + n, ret);
            }
            ret as u32
        };
        self.calls.push([old, old_size, align, new_size, ret]);
        Ok(ret)
    }

    fn lift_own(&mut self, resource: ResourceIndex, index: u32) -> Result<ResourceAny, Fault> {
        self.handles.push((true, resource.0, index));
        Ok(ResourceAny::from_parts(HandleParts {
            store: ResourceAny::ANY_STORE,
            ty: resource.0,
            index,
            generation: 0,
            own: true,
        }))
    }

    fn lift_borrow(&mut self, resource: ResourceIndex, index: u32) -> Result<ResourceAny, Fault> {
        self.handles.push((false, resource.0, index));
        Ok(ResourceAny::from_parts(HandleParts {
            store: ResourceAny::ANY_STORE,
            ty: resource.0,
            index,
            generation: 0,
            own: false,
        }))
    }

    fn lower_own(&mut self, resource: ResourceIndex, value: ResourceAny) -> Result<u32, Fault> {
        self.handles.push((true, resource.0, value.parts().index));
        Ok(value.parts().index)
    }

    fn lower_borrow(&mut self, resource: ResourceIndex, value: ResourceAny) -> Result<u32, Fault> {
        self.handles.push((false, resource.0, value.parts().index));
        Ok(value.parts().index)
    }

    fn source_encoding(&self) -> SourceEncoding {
        self.source
    }
}
