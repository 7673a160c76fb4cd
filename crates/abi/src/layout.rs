//! Size, alignment and flattening of component-level types.
//!
//! Every compound type computes its [`Layout`] once, when it is constructed, so nothing here
//! recurses at call time.

use crate::types::Type;

/// A core WebAssembly value type, as produced by flattening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoreType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl std::fmt::Display for CoreType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CoreType::I32 => "i32",
            CoreType::I64 => "i64",
            CoreType::F32 => "f32",
            CoreType::F64 => "f64",
        })
    }
}

/// The most core parameters a synchronous function passes flat; more are passed through memory.
pub const MAX_FLAT_PARAMS: usize = 16;

/// The most core results a synchronous function returns flat; more are returned through memory.
pub const MAX_FLAT_RESULTS: usize = 1;

/// The largest byte length of a string a guest may hand over (`2^28 - 1`).
pub const MAX_STRING_BYTE_LENGTH: u32 = (1 << 28) - 1;

/// The largest byte length of a list a guest may hand over (`2^28 - 1`).
pub const MAX_LIST_BYTE_LENGTH: u32 = (1 << 28) - 1;

/// The flattening of `ty`: the core types that carry one value of it (the spec's
/// `flatten_type`). The same as [`Type::flat`].
pub fn flatten(ty: &Type) -> &[CoreType] {
    ty.flat()
}

/// The flattening of a sequence of types, such as a function's parameters or results (the
/// spec's `flatten_types`), before any spilling to memory.
pub fn flatten_all(tys: &[Type]) -> Vec<CoreType> {
    let mut out = Vec::with_capacity(tys.iter().map(|t| t.flat().len()).sum());
    for ty in tys {
        out.extend_from_slice(ty.flat());
    }
    out
}

/// Whether a core function signature is computed for `canon lift` or `canon lower`; they
/// differ in how a result that does not fit in [`MAX_FLAT_RESULTS`] is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlattenContext {
    /// The core function is lifted into a component function: it returns a pointer to its
    /// spilled results.
    Lift,
    /// The core function is lowered from a component function: it takes an extra pointer
    /// parameter where the results are written.
    Lower,
}

/// The core signature `(params, results)` of a synchronous component function with 32-bit
/// memory (the spec's `flatten_functype`), including the spilling of too many parameters or
/// results to memory.
pub fn flatten_func(
    params: &[Type],
    results: &[Type],
    context: FlattenContext,
) -> (Vec<CoreType>, Vec<CoreType>) {
    let mut flat_params = flatten_all(params);
    let mut flat_results = flatten_all(results);
    if flat_params.len() > MAX_FLAT_PARAMS {
        flat_params = vec![CoreType::I32];
    }
    if flat_results.len() > MAX_FLAT_RESULTS {
        match context {
            FlattenContext::Lift => flat_results = vec![CoreType::I32],
            FlattenContext::Lower => {
                flat_params.push(CoreType::I32);
                flat_results = Vec::new();
            }
        }
    }
    (flat_params, flat_results)
}

/// Rounds `offset` up to a multiple of `align`, which is a power of two.
#[inline]
pub(crate) fn align_to(offset: u32, align: u32) -> u32 {
    debug_assert!(align.is_power_of_two());
    (offset + align - 1) & !(align - 1)
}

/// Rounds `offset` up to a multiple of `align` without overflowing.
#[inline]
pub(crate) fn align_to_u64(offset: u64, align: u32) -> u64 {
    let align = u64::from(align);
    offset.div_ceil(align) * align
}

/// The core type that can carry both `a` and `b` (the spec's `join`).
fn join(a: CoreType, b: CoreType) -> CoreType {
    use CoreType::*;
    match (a, b) {
        _ if a == b => a,
        (I32, F32) | (F32, I32) => I32,
        _ => I64,
    }
}

/// The layout of a compound type, computed once when the type is built.
#[derive(Clone)]
pub(crate) struct Layout {
    /// The spec's `elem_size`.
    pub size: u32,
    /// The spec's `alignment`.
    pub align: u32,
    /// The spec's `flatten_type`.
    pub flat: Box<[CoreType]>,
    /// Whether the type contains an `own` or `borrow` handle.
    pub has_resource: bool,
    /// Whether the type contains a string, list or map, whose lowering calls `realloc`.
    pub has_pointer: bool,
}

/// Converts a size computed in 64 bits to the 32 bits every valid type fits in.
///
/// # Panics
///
/// Panics if the size does not fit: component validation rejects such types.
fn checked_size(size: u64) -> u32 {
    u32::try_from(size).unwrap_or_else(|_| panic!("type size {size} does not fit in 32 bits"))
}

impl Layout {
    /// The layout of a record or tuple with these field types, and each field's offset.
    pub fn record<'a>(fields: impl Iterator<Item = &'a Type>) -> (Layout, Box<[u32]>) {
        let mut offsets = Vec::new();
        let mut size = 0u64;
        let mut align = 1;
        let mut flat = Vec::new();
        let mut has_resource = false;
        let mut has_pointer = false;
        for ty in fields {
            size = align_to_u64(size, ty.align());
            offsets.push(checked_size(size));
            size += u64::from(ty.size());
            align = align.max(ty.align());
            flat.extend_from_slice(ty.flat());
            has_resource |= ty.has_resource();
            has_pointer |= ty.has_pointer();
        }
        let size = checked_size(align_to_u64(size, align));
        let layout = Layout {
            size,
            align,
            flat: flat.into(),
            has_resource,
            has_pointer,
        };
        (layout, offsets.into())
    }

    /// The layout of a fixed-length list `list<T, N>`: the same as a tuple of `N` `T`s.
    pub fn fixed_list(elem: &Type, len: u32) -> Layout {
        let size = checked_size(u64::from(elem.size()) * u64::from(len));
        let mut flat = Vec::with_capacity(elem.flat().len() * len as usize);
        for _ in 0..len {
            flat.extend_from_slice(elem.flat());
        }
        Layout {
            size,
            align: elem.align(),
            flat: flat.into(),
            has_resource: elem.has_resource(),
            has_pointer: elem.has_pointer(),
        }
    }

    /// The layout of a variant with `cases` cases whose payload types are `payloads`, and the
    /// shape of its discriminant and payload.
    pub fn variant<'a>(
        cases: usize,
        payloads: impl Iterator<Item = Option<&'a Type>>,
    ) -> (Layout, VariantShape) {
        let disc_size: u32 = match cases {
            0..=256 => 1,
            257..=65536 => 2,
            _ => 4,
        };
        let mut case_align = 1;
        let mut case_size = 0;
        let mut payload_flat: Vec<CoreType> = Vec::new();
        let mut has_resource = false;
        let mut has_pointer = false;
        for ty in payloads.flatten() {
            case_align = case_align.max(ty.align());
            case_size = case_size.max(ty.size());
            for (i, &core) in ty.flat().iter().enumerate() {
                match payload_flat.get_mut(i) {
                    Some(slot) => *slot = join(*slot, core),
                    None => payload_flat.push(core),
                }
            }
            has_resource |= ty.has_resource();
            has_pointer |= ty.has_pointer();
        }
        let payload_offset = align_to(disc_size, case_align);
        let align = disc_size.max(case_align);
        let size = checked_size(align_to_u64(
            u64::from(payload_offset) + u64::from(case_size),
            align,
        ));
        let mut flat = Vec::with_capacity(1 + payload_flat.len());
        flat.push(CoreType::I32);
        flat.extend_from_slice(&payload_flat);
        let layout = Layout {
            size,
            align,
            flat: flat.into(),
            has_resource,
            has_pointer,
        };
        (
            layout,
            VariantShape {
                disc_size: disc_size as u8,
                payload_offset,
            },
        )
    }

    /// The layout of `flags` with `n` labels.
    ///
    /// # Panics
    ///
    /// Panics if `n > 32`: such flags do not exist in this version of the ABI.
    pub fn flags(n: usize) -> Layout {
        assert!(
            n <= 32,
            "flags with {n} labels do not exist: the limit is 32"
        );
        let size = match n {
            0 => 0,
            1..=8 => 1,
            9..=16 => 2,
            _ => 4,
        };
        let flat: Box<[CoreType]> = if n == 0 {
            Box::new([])
        } else {
            Box::new([CoreType::I32])
        };
        Layout {
            size,
            align: size.max(1),
            flat,
            has_resource: false,
            has_pointer: false,
        }
    }
}

/// Where a variant keeps its discriminant and its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VariantShape {
    /// The byte size of the discriminant: 1, 2 or 4.
    pub disc_size: u8,
    /// The byte offset of the payload from the start of the variant.
    pub payload_offset: u32,
}
