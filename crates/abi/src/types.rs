//! Component-level value types.
//!
//! A [`Type`] is cheap to clone: primitives are plain variants and compound types are shared
//! behind an [`Arc`].
//! Each compound type computes its size, alignment and flattening once, when it is built, so
//! lifting and lowering never walk a type to find its layout.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::layout::{CoreType, Layout, MAX_VALUE_SIZE, Sized64, VariantShape};

/// An opaque index that the runtime assigns to a resource type.
///
/// This crate only hands it back to the runtime through [`Context`](crate::Context).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceIndex(pub u32);

/// A component-level value type.
///
/// Build compound types with the constructors ([`Type::list`], [`Type::record`], ...), which
/// compute the layout once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `s8`.
    S8,
    /// `u8`.
    U8,
    /// `s16`.
    S16,
    /// `u16`.
    U16,
    /// `s32`.
    S32,
    /// `u32`.
    U32,
    /// `s64`.
    S64,
    /// `u64`.
    U64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `char`.
    Char,
    /// `string`.
    String,
    /// `error-context`: a handle to an immutable error value with a debug message.
    ErrorContext,
    /// `list<T>`.
    List(Arc<ListType>),
    /// `list<T, N>`, a list of fixed length.
    FixedList(Arc<FixedListType>),
    /// `map<K, V>`.
    Map(Arc<MapType>),
    /// `record { ... }`.
    Record(Arc<RecordType>),
    /// `tuple<...>`.
    Tuple(Arc<TupleType>),
    /// `variant { ... }`.
    Variant(Arc<VariantType>),
    /// `enum { ... }`.
    Enum(Arc<EnumType>),
    /// `option<T>`.
    Option(Arc<OptionType>),
    /// `result<T, E>`.
    Result(Arc<ResultType>),
    /// `flags { ... }`.
    Flags(Arc<FlagsType>),
    /// `own<R>`, an owned handle to a resource of type `R`.
    Own(ResourceIndex),
    /// `borrow<R>`, a borrowed handle to a resource of type `R`.
    Borrow(ResourceIndex),
    /// `future<T>` (or `future` with no value): the readable end of a future, which moves
    /// from the instance that lifts it to the one that lowers it.
    Future(Arc<AsyncValueType>),
    /// `stream<T>` (or `stream` with no values): the readable end of a stream, which moves as
    /// a future's does.
    Stream(Arc<AsyncValueType>),
}

static FLAT_I32: [CoreType; 1] = [CoreType::I32];
static FLAT_I64: [CoreType; 1] = [CoreType::I64];
static FLAT_F32: [CoreType; 1] = [CoreType::F32];
static FLAT_F64: [CoreType; 1] = [CoreType::F64];
static FLAT_PAIR: [CoreType; 2] = [CoreType::I32, CoreType::I32];

impl Type {
    /// `future<elem>`, or `future` with `None`.
    pub fn future(elem: Option<Type>) -> Type {
        Type::Future(Arc::new(AsyncValueType { elem }))
    }

    /// `stream<elem>`, or `stream` with `None`.
    pub fn stream(elem: Option<Type>) -> Type {
        Type::Stream(Arc::new(AsyncValueType { elem }))
    }

    /// `list<elem>`.
    pub fn list(elem: Type) -> Type {
        let has_resource = elem.has_resource();
        Type::List(Arc::new(ListType { elem, has_resource }))
    }

    /// `list<elem, len>`, a list of fixed length laid out like a tuple of `len` `elem`s.
    ///
    /// Takes the same time whatever `len` is: the flattening is counted, not built.
    ///
    /// # Panics
    ///
    /// Panics if its size is over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE) (component
    /// validation rejects such types); [`Type::try_fixed_list`] returns an error instead.
    pub fn fixed_list(elem: Type, len: u32) -> Type {
        valid(Type::try_fixed_list(elem, len))
    }

    /// `list<elem, len>`, or an error naming the type and its size if that is over
    /// [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    pub fn try_fixed_list(elem: Type, len: u32) -> Result<Type, TypeTooLarge> {
        let Sized64 { layout, size } = Layout::fixed_list(&elem, len);
        within_limit(
            size,
            Type::FixedList(Arc::new(FixedListType { elem, len, layout })),
        )
    }

    /// `map<key, value>`, laid out like `list<tuple<key, value>>`.
    pub fn map(key: Type, value: Type) -> Type {
        let entry = TupleType::new(vec![key, value]);
        Type::Map(Arc::new(MapType { entry }))
    }

    /// `record { name: type, ... }`, with fields in order.
    ///
    /// A record without fields is invalid in a component; it is given size 0 here.
    ///
    /// # Panics
    ///
    /// Panics if its size is over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE) (component
    /// validation rejects such types); [`Type::try_record`] returns an error instead.
    pub fn record(fields: Vec<(String, Type)>) -> Type {
        valid(Type::try_record(fields))
    }

    /// `record { name: type, ... }`, or an error naming the type and its size if that is
    /// over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    pub fn try_record(fields: Vec<(String, Type)>) -> Result<Type, TypeTooLarge> {
        let names = fields.iter().map(|(n, _)| n.len() as u64).sum();
        let (Sized64 { layout, size }, offsets) =
            Layout::record(fields.iter().map(|(_, t)| t), true, names);
        let ty = Type::Record(Arc::new(RecordType {
            fields,
            layout,
            offsets,
        }));
        within_limit(size, ty)
    }

    /// `tuple<types...>`.
    ///
    /// # Panics
    ///
    /// Panics if its size is over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE) (component
    /// validation rejects such types); [`Type::try_tuple`] returns an error instead.
    pub fn tuple(types: Vec<Type>) -> Type {
        valid(Type::try_tuple(types))
    }

    /// `tuple<types...>`, or an error naming the type and its size if that is over
    /// [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    pub fn try_tuple(types: Vec<Type>) -> Result<Type, TypeTooLarge> {
        let (Sized64 { layout, size }, offsets) = Layout::record(types.iter(), false, 0);
        let ty = Type::Tuple(Arc::new(TupleType {
            types,
            layout,
            offsets,
        }));
        within_limit(size, ty)
    }

    /// `variant { case(payload), ... }`, with cases in order.
    ///
    /// A variant without cases is invalid in a component; here it lifts to a trap.
    ///
    /// # Panics
    ///
    /// Panics if its size is over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE) (component
    /// validation rejects such types); [`Type::try_variant`] returns an error instead.
    pub fn variant(cases: Vec<(String, Option<Type>)>) -> Type {
        valid(Type::try_variant(cases))
    }

    /// `variant { case(payload), ... }`, or an error naming the type and its size if that is
    /// over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    pub fn try_variant(cases: Vec<(String, Option<Type>)>) -> Result<Type, TypeTooLarge> {
        let payloads = cases.iter().map(|(n, t)| (n.len() as u64, t.as_ref()));
        let (Sized64 { layout, size }, shape) = Layout::variant(cases.len(), payloads);
        let index = NameIndex::new(cases.iter().map(|(n, _)| n.as_str()));
        let ty = Type::Variant(Arc::new(VariantType {
            cases,
            layout,
            shape,
            index,
        }));
        within_limit(size, ty)
    }

    /// `enum { name, ... }`, laid out like a variant without payloads.
    pub fn enum_(names: Vec<String>) -> Type {
        let cases = names.iter().map(|n| (n.len() as u64, None));
        let (Sized64 { layout, .. }, shape) = Layout::variant(names.len(), cases);
        let index = NameIndex::new(names.iter().map(String::as_str));
        Type::Enum(Arc::new(EnumType {
            names,
            layout,
            shape,
            index,
        }))
    }

    /// `option<some>`, laid out like `variant { none, some(some) }`.
    ///
    /// # Panics
    ///
    /// Panics if its size is over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE) (component
    /// validation rejects such types); [`Type::try_option`] returns an error instead.
    pub fn option(some: Type) -> Type {
        valid(Type::try_option(some))
    }

    /// `option<some>`, or an error naming the type and its size if that is over
    /// [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    pub fn try_option(some: Type) -> Result<Type, TypeTooLarge> {
        let cases = [(0, None), (0, Some(&some))].into_iter();
        let (Sized64 { layout, size }, shape) = Layout::variant(2, cases);
        let ty = Type::Option(Arc::new(OptionType {
            some,
            layout,
            shape,
        }));
        within_limit(size, ty)
    }

    /// `result<ok, err>`, laid out like `variant { ok(ok?), error(err?) }`.
    ///
    /// # Panics
    ///
    /// Panics if its size is over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE) (component
    /// validation rejects such types); [`Type::try_result`] returns an error instead.
    pub fn result(ok: Option<Type>, err: Option<Type>) -> Type {
        valid(Type::try_result(ok, err))
    }

    /// `result<ok, err>`, or an error naming the type and its size if that is over
    /// [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE).
    pub fn try_result(ok: Option<Type>, err: Option<Type>) -> Result<Type, TypeTooLarge> {
        let cases = [(0, ok.as_ref()), (0, err.as_ref())].into_iter();
        let (Sized64 { layout, size }, shape) = Layout::variant(2, cases);
        let ty = Type::Result(Arc::new(ResultType {
            ok,
            err,
            layout,
            shape,
        }));
        within_limit(size, ty)
    }

    /// `flags { name, ... }`, a bit vector of 1 to 32 labels.
    ///
    /// # Panics
    ///
    /// Panics with more than 32 labels: such flags do not exist in this version of the ABI.
    pub fn flags(names: Vec<String>) -> Type {
        let layout = Layout::flags(&names);
        Type::Flags(Arc::new(FlagsType { names, layout }))
    }

    /// The byte size of a value of this type in memory (the spec's `elem_size`).
    #[inline]
    pub fn size(&self) -> u32 {
        match self {
            Type::Bool | Type::S8 | Type::U8 => 1,
            Type::S16 | Type::U16 => 2,
            Type::S32 | Type::U32 | Type::F32 | Type::Char => 4,
            Type::S64 | Type::U64 | Type::F64 => 8,
            Type::String | Type::List(_) | Type::Map(_) => 8,
            Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) => 4,
            Type::ErrorContext => 4,
            _ => self.layout().map_or(0, |l| l.size),
        }
    }

    /// The alignment of a value of this type in memory (the spec's `alignment`).
    #[inline]
    pub fn align(&self) -> u32 {
        match self {
            Type::Bool | Type::S8 | Type::U8 => 1,
            Type::S16 | Type::U16 => 2,
            Type::S32 | Type::U32 | Type::F32 | Type::Char => 4,
            Type::S64 | Type::U64 | Type::F64 => 8,
            Type::String | Type::List(_) | Type::Map(_) => 4,
            Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) => 4,
            Type::ErrorContext => 4,
            _ => self.layout().map_or(1, |l| l.align),
        }
    }

    /// The core types that carry one value of this type (the spec's `flatten_type`), or
    /// `None` when there are more than [`MAX_FLAT_PARAMS`](crate::MAX_FLAT_PARAMS) of them.
    ///
    /// The canonical ABI passes values in core values only when a whole parameter list or
    /// result has at most that many (`flatten_functype`), so a longer flattening is never
    /// needed, and is only counted ([`Type::flat_count`]): `list<u8, 268435455>` costs no
    /// more to build than `list<u8, 1>`.
    #[inline]
    pub fn flat(&self) -> Option<&[CoreType]> {
        Some(match self {
            Type::Bool
            | Type::S8
            | Type::U8
            | Type::S16
            | Type::U16
            | Type::S32
            | Type::U32
            | Type::Char
            | Type::Own(_)
            | Type::Borrow(_)
            | Type::Future(_)
            | Type::Stream(_)
            | Type::ErrorContext => &FLAT_I32,
            Type::S64 | Type::U64 => &FLAT_I64,
            Type::F32 => &FLAT_F32,
            Type::F64 => &FLAT_F64,
            Type::String | Type::List(_) | Type::Map(_) => &FLAT_PAIR,
            _ => return self.layout().map_or(Some(&[]), |l| l.flat.as_deref()),
        })
    }

    /// The number of core values that carry one value of this type (the length of the
    /// spec's `flatten_type`), however long, saturating at `usize::MAX`.
    #[inline]
    pub fn flat_count(&self) -> usize {
        match self {
            Type::String | Type::List(_) | Type::Map(_) => 2,
            _ => self.layout().map_or(1, |l| l.flat_count),
        }
    }

    /// The heap bytes a [`Val`](crate::Val) of this type lifted out of a guest owns besides
    /// the contents of its strings, lists and maps (which are counted as they are lifted):
    /// the `Val`s of a fixed-length list's elements, a record's fields and their names, a
    /// variant's case name and boxed payload (of its costliest case), and so on; saturating
    /// at `u64::MAX`. Lifting charges it to the call's copy budget before allocating.
    #[inline]
    pub fn lifted_heap(&self) -> u64 {
        self.layout().map_or(0, |l| l.lifted_heap)
    }

    /// Whether a value of this type contains a handle: an `own` or `borrow` of a resource,
    /// the readable end of a `future` or `stream`, or an `error-context`.
    #[inline]
    pub fn has_resource(&self) -> bool {
        match self {
            Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) => true,
            Type::ErrorContext => true,
            Type::List(l) => l.has_resource,
            Type::Map(m) => m.entry.layout.has_resource,
            _ => self.layout().is_some_and(|l| l.has_resource),
        }
    }

    /// Whether lowering a value of this type may call `realloc` (it contains a string, list or
    /// map).
    #[inline]
    pub(crate) fn has_pointer(&self) -> bool {
        match self {
            Type::String | Type::List(_) | Type::Map(_) => true,
            _ => self.layout().is_some_and(|l| l.has_pointer),
        }
    }

    /// Whether a value of this type is plain bytes: no pointers and no handles.
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        !self.has_pointer() && !self.has_resource()
    }

    /// The cached layout of a compound type that has one.
    #[inline]
    fn layout(&self) -> Option<&Layout> {
        Some(match self {
            Type::FixedList(t) => &t.layout,
            Type::Record(t) => &t.layout,
            Type::Tuple(t) => &t.layout,
            Type::Variant(t) => &t.layout,
            Type::Enum(t) => &t.layout,
            Type::Option(t) => &t.layout,
            Type::Result(t) => &t.layout,
            Type::Flags(t) => &t.layout,
            _ => return None,
        })
    }
}

/// A type whose values would be larger than [`MAX_VALUE_SIZE`]: no component may define it,
/// and no value of it could fit in a 32-bit memory beside anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeTooLarge {
    ty: String,
    size: u64,
}

impl TypeTooLarge {
    /// The type, in WIT syntax (long member lists and deep nesting elided).
    pub fn type_name(&self) -> &str {
        &self.ty
    }

    /// The byte size a value of the type would have (saturating at `u64::MAX`).
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl fmt::Display for TypeTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the type `{}` is {} bytes in memory, over the component model's limit of \
             {MAX_VALUE_SIZE} bytes for any value type",
            self.ty, self.size
        )
    }
}

impl std::error::Error for TypeTooLarge {}

/// `ty`, whose values are `size` bytes, if that is within [`MAX_VALUE_SIZE`].
fn within_limit(size: u64, ty: Type) -> Result<Type, TypeTooLarge> {
    if size > u64::from(MAX_VALUE_SIZE) {
        return Err(TypeTooLarge {
            ty: Short(&ty).to_string(),
            size,
        });
    }
    Ok(ty)
}

/// The type an infallible constructor was asked for.
#[track_caller]
fn valid(ty: Result<Type, TypeTooLarge>) -> Type {
    ty.unwrap_or_else(|e| panic!("{e}"))
}

/// Finds case names quickly: a linear scan for few names, a hash map for many.
#[derive(Clone)]
pub(crate) struct NameIndex(Option<HashMap<Box<str>, u32>>);

impl NameIndex {
    /// Above this many names, lookups go through a hash map.
    const LINEAR_MAX: usize = 16;

    fn new<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> NameIndex {
        if names.len() <= Self::LINEAR_MAX {
            return NameIndex(None);
        }
        let mut map = HashMap::with_capacity(names.len());
        for (i, name) in names.enumerate() {
            // The first case of a name wins, as in a linear scan.
            map.entry(name.into()).or_insert(i as u32);
        }
        NameIndex(Some(map))
    }

    /// The position of `name` among `names`, which this index was built from.
    #[inline]
    fn find<'a>(&self, name: &str, mut names: impl Iterator<Item = &'a str>) -> Option<usize> {
        match &self.0 {
            Some(map) => map.get(name).map(|&i| i as usize),
            None => names.position(|n| n == name),
        }
    }
}

/// The element type of a `future<T>` or `stream<T>`.
pub struct AsyncValueType {
    elem: Option<Type>,
}

impl AsyncValueType {
    /// The type of the value (a future's) or values (a stream's), if they have one.
    pub fn elem(&self) -> Option<&Type> {
        self.elem.as_ref()
    }
}

/// The element type of a `list<T>`.
pub struct ListType {
    elem: Type,
    has_resource: bool,
}

impl ListType {
    /// The element type.
    pub fn elem(&self) -> &Type {
        &self.elem
    }
}

/// The type of a fixed-length list `list<T, N>`.
pub struct FixedListType {
    elem: Type,
    len: u32,
    layout: Layout,
}

impl FixedListType {
    /// The element type.
    pub fn elem(&self) -> &Type {
        &self.elem
    }

    /// The number of elements.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the list has no elements (never true in a valid component).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The key and value types of a `map<K, V>`.
pub struct MapType {
    /// The layout of one entry, `tuple<K, V>`.
    entry: TupleType,
}

impl MapType {
    /// The key type.
    pub fn key(&self) -> &Type {
        &self.entry.types[0]
    }

    /// The value type.
    pub fn value(&self) -> &Type {
        &self.entry.types[1]
    }

    /// The entry `tuple<K, V>` that the map's contents are laid out as.
    pub(crate) fn entry(&self) -> &TupleType {
        &self.entry
    }
}

/// The fields of a `record`.
pub struct RecordType {
    fields: Vec<(String, Type)>,
    layout: Layout,
    offsets: Box<[u32]>,
}

impl RecordType {
    /// The fields, in order: names and types.
    pub fn fields(&self) -> &[(String, Type)] {
        &self.fields
    }

    /// The byte offset of each field from the start of the record.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }
}

/// The element types of a `tuple`.
pub struct TupleType {
    types: Vec<Type>,
    layout: Layout,
    offsets: Box<[u32]>,
}

impl TupleType {
    /// A tuple whose size may be over [`MAX_VALUE_SIZE`](crate::MAX_VALUE_SIZE) (a map's
    /// entry, whose size the map never has); a size that does not fit in 32 bits is kept
    /// as `u32::MAX`.
    fn new(types: Vec<Type>) -> TupleType {
        let (Sized64 { layout, .. }, offsets) = Layout::record(types.iter(), false, 0);
        TupleType {
            types,
            layout,
            offsets,
        }
    }

    /// The element types, in order.
    pub fn types(&self) -> &[Type] {
        &self.types
    }

    /// The byte offset of each element from the start of the tuple.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The byte size of the tuple.
    pub(crate) fn size(&self) -> u32 {
        self.layout.size
    }

    /// The alignment of the tuple.
    pub(crate) fn align(&self) -> u32 {
        self.layout.align
    }
}

/// The cases of a `variant`.
pub struct VariantType {
    cases: Vec<(String, Option<Type>)>,
    layout: Layout,
    shape: VariantShape,
    index: NameIndex,
}

impl VariantType {
    /// The cases, in order: names and optional payload types.
    pub fn cases(&self) -> &[(String, Option<Type>)] {
        &self.cases
    }

    /// The position of the case named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.index
            .find(name, self.cases.iter().map(|(n, _)| n.as_str()))
    }

    /// Where the discriminant and the payload are.
    pub fn shape(&self) -> VariantShape {
        self.shape
    }
}

/// The cases of an `enum`.
pub struct EnumType {
    names: Vec<String>,
    layout: Layout,
    shape: VariantShape,
    index: NameIndex,
}

impl EnumType {
    /// The case names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of the case named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.index.find(name, self.names.iter().map(String::as_str))
    }

    /// Where the discriminant and the payload are.
    pub fn shape(&self) -> VariantShape {
        self.shape
    }
}

/// The payload type of an `option<T>`.
pub struct OptionType {
    some: Type,
    layout: Layout,
    shape: VariantShape,
}

impl OptionType {
    /// The type of the `some` payload.
    pub fn some(&self) -> &Type {
        &self.some
    }

    /// Where the discriminant and the payload are.
    pub fn shape(&self) -> VariantShape {
        self.shape
    }
}

/// The payload types of a `result<T, E>`.
pub struct ResultType {
    ok: Option<Type>,
    err: Option<Type>,
    layout: Layout,
    shape: VariantShape,
}

impl ResultType {
    /// The type of the `ok` payload, if it has one.
    pub fn ok(&self) -> Option<&Type> {
        self.ok.as_ref()
    }

    /// The type of the `error` payload, if it has one.
    pub fn err(&self) -> Option<&Type> {
        self.err.as_ref()
    }

    /// Where the discriminant and the payload are.
    pub fn shape(&self) -> VariantShape {
        self.shape
    }
}

/// The labels of a `flags`.
pub struct FlagsType {
    names: Vec<String>,
    layout: Layout,
}

impl FlagsType {
    /// The labels, in order: label `i` is bit `i`.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The byte size of the bit vector: 0, 1, 2 or 4.
    pub fn size(&self) -> u32 {
        self.layout.size
    }
}

// Equality, hashing and debug output look only at what defines a type, never at its cached
// layout, which follows from it.

macro_rules! defining_parts {
    ($($ty:ident { $($field:ident),* })*) => {$(
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)*
            }
        }

        impl Eq for $ty {}

        impl Hash for $ty {
            fn hash<H: Hasher>(&self, state: &mut H) {
                $(self.$field.hash(state);)*
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .finish()
            }
        }
    )*};
}

defining_parts! {
    AsyncValueType { elem }
    ListType { elem }
    FixedListType { elem, len }
    MapType { entry }
    RecordType { fields }
    TupleType { types }
    VariantType { cases }
    EnumType { names }
    OptionType { some }
    ResultType { ok, err }
    FlagsType { names }
}

/// How many members of a compound type to show before eliding the rest.
const SHORT_MEMBERS: usize = 8;

/// How deep to show nested types before eliding them.
const SHORT_DEPTH: usize = 4;

/// Shows a type in WIT syntax, eliding long member lists and deep nesting, for error
/// messages.
pub(crate) struct Short<'a>(pub &'a Type);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_type(f, self.0, Some(SHORT_DEPTH))
    }
}

impl fmt::Display for Type {
    /// Shows the type in WIT syntax, for example `list<u32>` or `record { a: u32 }`.
    /// Resource types show their index: `own<resource 3>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_type(f, self, None)
    }
}

/// Writes `items` separated by commas, eliding them after [`SHORT_MEMBERS`] when `depth` is
/// limited.
fn write_list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    depth: Option<usize>,
    mut item: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if depth.is_some() && i == SHORT_MEMBERS {
            return f.write_str("...");
        }
        item(f, x)?;
    }
    Ok(())
}

fn write_type(f: &mut fmt::Formatter<'_>, ty: &Type, depth: Option<usize>) -> fmt::Result {
    let name = match ty {
        Type::Bool => "bool",
        Type::S8 => "s8",
        Type::U8 => "u8",
        Type::S16 => "s16",
        Type::U16 => "u16",
        Type::S32 => "s32",
        Type::U32 => "u32",
        Type::S64 => "s64",
        Type::U64 => "u64",
        Type::F32 => "f32",
        Type::F64 => "f64",
        Type::Char => "char",
        Type::String => "string",
        Type::ErrorContext => "error-context",
        Type::Own(r) => return write!(f, "own<resource {}>", r.0),
        Type::Borrow(r) => return write!(f, "borrow<resource {}>", r.0),
        _ => "",
    };
    if !name.is_empty() {
        return f.write_str(name);
    }
    if depth == Some(0) {
        return f.write_str("...");
    }
    let inner = depth.map(|d| d - 1);
    let nested = |f: &mut fmt::Formatter<'_>, t: &Type| write_type(f, t, inner);
    match ty {
        Type::List(t) => {
            f.write_str("list<")?;
            nested(f, &t.elem)?;
            f.write_str(">")
        }
        Type::FixedList(t) => {
            f.write_str("list<")?;
            nested(f, &t.elem)?;
            write!(f, ", {}>", t.len)
        }
        Type::Map(t) => {
            f.write_str("map<")?;
            nested(f, t.key())?;
            f.write_str(", ")?;
            nested(f, t.value())?;
            f.write_str(">")
        }
        Type::Record(t) => {
            f.write_str("record { ")?;
            write_list(f, &t.fields, depth, |f, (n, t)| {
                write!(f, "{n}: ")?;
                nested(f, t)
            })?;
            f.write_str(" }")
        }
        Type::Tuple(t) => {
            f.write_str("tuple<")?;
            write_list(f, &t.types, depth, |f, t| nested(f, t))?;
            f.write_str(">")
        }
        Type::Variant(t) => {
            f.write_str("variant { ")?;
            write_list(f, &t.cases, depth, |f, (n, t)| {
                f.write_str(n)?;
                if let Some(t) = t {
                    f.write_str("(")?;
                    nested(f, t)?;
                    f.write_str(")")?;
                }
                Ok(())
            })?;
            f.write_str(" }")
        }
        Type::Enum(t) => {
            f.write_str("enum { ")?;
            write_list(f, &t.names, depth, |f, n| f.write_str(n))?;
            f.write_str(" }")
        }
        Type::Option(t) => {
            f.write_str("option<")?;
            nested(f, &t.some)?;
            f.write_str(">")
        }
        Type::Result(t) => {
            if t.ok.is_none() && t.err.is_none() {
                return f.write_str("result");
            }
            f.write_str("result<")?;
            match &t.ok {
                Some(ok) => nested(f, ok)?,
                None => f.write_str("_")?,
            }
            if let Some(err) = &t.err {
                f.write_str(", ")?;
                nested(f, err)?;
            }
            f.write_str(">")
        }
        Type::Flags(t) => {
            f.write_str("flags { ")?;
            write_list(f, &t.names, depth, |f, n| f.write_str(n))?;
            f.write_str(" }")
        }
        Type::Future(t) | Type::Stream(t) => {
            f.write_str(if matches!(ty, Type::Future(_)) {
                "future"
            } else {
                "stream"
            })?;
            if let Some(elem) = &t.elem {
                f.write_str("<")?;
                nested(f, elem)?;
                f.write_str(">")?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
