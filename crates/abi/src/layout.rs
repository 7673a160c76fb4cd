//! Size, alignment and flattening of component-level types.
//!
//! Every compound type computes its [`Layout`] once, when it is constructed, so nothing here
//! recurses at call time.

use crate::types::Type;
use crate::val::Val;

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

/// The most core parameters an `async`-lowered call passes flat; more are passed through
/// memory.
pub const MAX_FLAT_ASYNC_PARAMS: usize = 4;

/// The largest byte length of a string a guest may hand over (`2^28 - 1`).
pub const MAX_STRING_BYTE_LENGTH: u32 = (1 << 28) - 1;

/// The largest byte length of a list a guest may hand over (`2^28 - 1`).
pub const MAX_LIST_BYTE_LENGTH: u32 = (1 << 28) - 1;

/// The largest byte size of a value type (`2^28 - 1`).
///
/// Component validation requires `elem_size(t) < 2^28` of every value type a component
/// defines (`Binary.md`, measured with 64-bit pointers, so every valid type is within this
/// with 32-bit ones too); the checked constructors ([`Type::try_fixed_list`] and the others)
/// refuse a type above it.
pub const MAX_VALUE_SIZE: u32 = (1 << 28) - 1;

/// The flattening of `ty`: the core types that carry one value of it (the spec's
/// `flatten_type`), or `None` when there are more than [`MAX_FLAT_PARAMS`]. The same as
/// [`Type::flat`].
pub fn flatten(ty: &Type) -> Option<&[CoreType]> {
    ty.flat()
}

/// The flattening of a sequence of types, such as a function's parameters or results (the
/// spec's `flatten_types`), before any spilling to memory; `None` when it has more than
/// [`MAX_FLAT_PARAMS`] core types, as no function passes such a sequence flat.
///
/// Costs O(`tys.len()`) whatever the types are: long flattenings are counted, never built.
pub fn flatten_all(tys: &[Type]) -> Option<Vec<CoreType>> {
    if flat_count_all(tys) > MAX_FLAT_PARAMS {
        return None;
    }
    let mut out = Vec::with_capacity(MAX_FLAT_PARAMS);
    for ty in tys {
        // Each type has at most as many core types as the sequence, so its own are kept.
        out.extend_from_slice(ty.flat()?);
    }
    Some(out)
}

/// How many core values carry values of types `tys`, saturating at `usize::MAX`.
pub(crate) fn flat_count_all(tys: &[Type]) -> usize {
    tys.iter()
        .fold(0usize, |n, t| n.saturating_add(t.flat_count()))
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
    let mut flat_params = flatten_all(params).unwrap_or_else(|| vec![CoreType::I32]);
    let flat_results = match flatten_all(results) {
        Some(flat) if flat.len() <= MAX_FLAT_RESULTS => flat,
        _ => match context {
            FlattenContext::Lift => vec![CoreType::I32],
            FlattenContext::Lower => {
                flat_params.push(CoreType::I32);
                Vec::new()
            }
        },
    };
    (flat_params, flat_results)
}

/// The core signature `(params, results)` of a component function lifted or lowered with the
/// `async` option, with 32-bit memory (the async half of the spec's `flatten_functype`).
///
/// Lifted (`context` is [`FlattenContext::Lift`]): the parameters as a synchronous lift takes
/// them, and an `i32` result (the callback code) when `callback` is set, none otherwise (the
/// results go through `task.return`). Lowered: at most [`MAX_FLAT_ASYNC_PARAMS`] flat
/// parameters, else one pointer; a pointer to the results' buffer after them when there are
/// results; an `i32` result (the subtask's state and index).
///
/// ```
/// use tether_abi::{CoreType, FlattenContext, Type, flatten_async_func};
/// let params = [Type::U32, Type::U64, Type::F32, Type::F64, Type::U32];
/// let (p, r) = flatten_async_func(&params, &[Type::F64], FlattenContext::Lower, false);
/// assert_eq!((p.as_slice(), r.as_slice()), (&[CoreType::I32, CoreType::I32][..], &[CoreType::I32][..]));
/// let (p, r) = flatten_async_func(&params, &[Type::F64], FlattenContext::Lift, true);
/// assert_eq!((p.len(), r.as_slice()), (5, &[CoreType::I32][..]));
/// ```
pub fn flatten_async_func(
    params: &[Type],
    results: &[Type],
    context: FlattenContext,
    callback: bool,
) -> (Vec<CoreType>, Vec<CoreType>) {
    match context {
        FlattenContext::Lift => {
            let flat_params = flatten_all(params).unwrap_or_else(|| vec![CoreType::I32]);
            let flat_results = if callback {
                vec![CoreType::I32]
            } else {
                Vec::new()
            };
            (flat_params, flat_results)
        }
        FlattenContext::Lower => {
            let mut flat_params = match flatten_all(params) {
                Some(flat) if flat.len() <= MAX_FLAT_ASYNC_PARAMS => flat,
                _ => vec![CoreType::I32],
            };
            if flat_count_all(results) > 0 {
                flat_params.push(CoreType::I32);
            }
            (flat_params, vec![CoreType::I32])
        }
    }
}

/// Rounds `offset` up to a multiple of `align`, which is a power of two.
#[inline]
pub(crate) fn align_to(offset: u32, align: u32) -> u32 {
    debug_assert!(align.is_power_of_two());
    (offset + align - 1) & !(align - 1)
}

/// Rounds `offset` up to a multiple of `align` without overflowing (saturating at
/// `u64::MAX`, far above any size a type is allowed).
#[inline]
pub(crate) fn align_to_u64(offset: u64, align: u32) -> u64 {
    let align = u64::from(align);
    offset.div_ceil(align).saturating_mul(align)
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

/// The heap bytes of one lifted [`Val`] slot (a list element, a boxed payload, a tuple
/// member).
pub(crate) const VAL_SLOT: u64 = std::mem::size_of::<Val>() as u64;

/// The heap bytes of one field of a lifted record: its name's `String` and its `Val`.
const FIELD_SLOT: u64 = std::mem::size_of::<(String, Val)>() as u64;

/// The heap bytes of one entry of a lifted map.
pub(crate) const ENTRY_SLOT: u64 = std::mem::size_of::<(Val, Val)>() as u64;

/// The layout of a compound type, computed once when the type is built in time that depends
/// on the size of its description, never on its length: a fixed-length list's flattening is
/// counted, and only kept when it is short enough to be passed flat.
#[derive(Clone)]
pub(crate) struct Layout {
    /// The spec's `elem_size`.
    pub size: u32,
    /// The spec's `alignment`.
    pub align: u32,
    /// The spec's `flatten_type`, when it has at most [`MAX_FLAT_PARAMS`] core types.
    pub flat: Option<Box<[CoreType]>>,
    /// The length of the spec's `flatten_type`, saturating at `usize::MAX`.
    pub flat_count: usize,
    /// The heap bytes a lifted [`Val`] of the type owns, besides the contents of the
    /// strings, lists and maps in it (saturating at `u64::MAX`); see [`Type::lifted_heap`].
    pub lifted_heap: u64,
    /// Whether the type contains an `own` or `borrow` handle.
    pub has_resource: bool,
    /// Whether the type contains a string, list or map, whose lowering calls `realloc`.
    pub has_pointer: bool,
}

/// A layout under construction, with its size in 64 bits: [`Layout::finish`] checks it.
pub(crate) struct Sized64 {
    pub layout: Layout,
    /// The spec's `elem_size`, saturating at `u64::MAX`.
    pub size: u64,
}

/// The flattening of `count` core types built by `build` when `count` is small enough to keep.
fn keep_flat(
    count: usize,
    build: impl FnOnce() -> Option<Vec<CoreType>>,
) -> Option<Box<[CoreType]>> {
    if count > MAX_FLAT_PARAMS {
        return None;
    }
    build().map(Vec::into_boxed_slice)
}

impl Layout {
    /// The layout of a record or tuple with these field types, and each field's offset.
    ///
    /// `slot` is the heap bytes a lifted value spends on each field besides the field's own
    /// (a record's `(String, Val)`, a tuple's `Val`), and `names` the bytes of the field
    /// names a lifted record copies.
    pub fn record<'a>(
        fields: impl ExactSizeIterator<Item = &'a Type> + Clone,
        record: bool,
        names: u64,
    ) -> (Sized64, Box<[u32]>) {
        let slot = if record { FIELD_SLOT } else { VAL_SLOT };
        let mut offsets = Vec::with_capacity(fields.len());
        let mut size = 0u64;
        let mut align = 1;
        let mut flat_count = 0usize;
        let mut lifted_heap = names;
        let mut has_resource = false;
        let mut has_pointer = false;
        for ty in fields.clone() {
            size = align_to_u64(size, ty.align());
            offsets.push(u32::try_from(size).unwrap_or(u32::MAX));
            size = size.saturating_add(u64::from(ty.size()));
            align = align.max(ty.align());
            flat_count = flat_count.saturating_add(ty.flat_count());
            lifted_heap = lifted_heap
                .saturating_add(slot)
                .saturating_add(ty.lifted_heap());
            has_resource |= ty.has_resource();
            has_pointer |= ty.has_pointer();
        }
        let flat = keep_flat(flat_count, || {
            let mut flat = Vec::with_capacity(flat_count);
            for ty in fields {
                flat.extend_from_slice(ty.flat()?);
            }
            Some(flat)
        });
        let size = align_to_u64(size, align);
        let layout = Layout {
            size: u32::try_from(size).unwrap_or(u32::MAX),
            align,
            flat,
            flat_count,
            lifted_heap,
            has_resource,
            has_pointer,
        };
        (Sized64 { layout, size }, offsets.into())
    }

    /// The layout of a fixed-length list `list<T, N>`: the same as a tuple of `N` `T`s,
    /// computed without visiting the elements.
    pub fn fixed_list(elem: &Type, len: u32) -> Sized64 {
        let n = len as usize;
        let size = u64::from(elem.size()) * u64::from(len);
        let flat_count = elem.flat_count().saturating_mul(n);
        let flat = keep_flat(flat_count, || Some(elem.flat()?.repeat(n)));
        let lifted_heap = VAL_SLOT
            .saturating_add(elem.lifted_heap())
            .saturating_mul(u64::from(len));
        let layout = Layout {
            size: u32::try_from(size).unwrap_or(u32::MAX),
            align: elem.align(),
            flat,
            flat_count,
            lifted_heap,
            has_resource: elem.has_resource(),
            has_pointer: elem.has_pointer(),
        };
        Sized64 { layout, size }
    }

    /// The layout of a variant with `cases` cases whose payload types are `payloads` (with
    /// the byte length of each case's name, which a lifted value copies), and the shape of
    /// its discriminant and payload.
    pub fn variant<'a>(
        cases: usize,
        payloads: impl Iterator<Item = (u64, Option<&'a Type>)> + Clone,
    ) -> (Sized64, VariantShape) {
        let disc_size: u32 = match cases {
            0..=256 => 1,
            257..=65536 => 2,
            _ => 4,
        };
        let mut case_align = 1;
        let mut case_size = 0;
        let mut payload_count = 0usize;
        let mut lifted_heap = 0u64;
        let mut has_resource = false;
        let mut has_pointer = false;
        for (name, ty) in payloads.clone() {
            let payload_heap = ty.map_or(0, |t| VAL_SLOT.saturating_add(t.lifted_heap()));
            lifted_heap = lifted_heap.max(name.saturating_add(payload_heap));
            let Some(ty) = ty else { continue };
            case_align = case_align.max(ty.align());
            case_size = case_size.max(ty.size());
            payload_count = payload_count.max(ty.flat_count());
            has_resource |= ty.has_resource();
            has_pointer |= ty.has_pointer();
        }
        let flat_count = payload_count.saturating_add(1);
        let flat = keep_flat(flat_count, || {
            let mut flat = Vec::with_capacity(flat_count);
            flat.push(CoreType::I32);
            for ty in payloads.filter_map(|(_, t)| t) {
                for (i, &core) in ty.flat()?.iter().enumerate() {
                    match flat.get_mut(1 + i) {
                        Some(slot) => *slot = join(*slot, core),
                        None => flat.push(core),
                    }
                }
            }
            Some(flat)
        });
        let payload_offset = align_to(disc_size, case_align);
        let align = disc_size.max(case_align);
        let size = align_to_u64(u64::from(payload_offset) + u64::from(case_size), align);
        let layout = Layout {
            size: u32::try_from(size).unwrap_or(u32::MAX),
            align,
            flat,
            flat_count,
            lifted_heap,
            has_resource,
            has_pointer,
        };
        let shape = VariantShape {
            disc_size: disc_size as u8,
            payload_offset,
        };
        (Sized64 { layout, size }, shape)
    }

    /// The layout of `flags` with these labels.
    ///
    /// # Panics
    ///
    /// Panics with more than 32 labels: such flags do not exist in this version of the ABI.
    pub fn flags(names: &[String]) -> Layout {
        let n = names.len();
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
        let string = std::mem::size_of::<String>() as u64;
        let lifted_heap = names
            .iter()
            .map(|name| string + name.len() as u64)
            .fold(0u64, u64::saturating_add);
        Layout {
            size,
            align: size.max(1),
            flat_count: flat.len(),
            flat: Some(flat),
            lifted_heap,
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
