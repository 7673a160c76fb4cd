//! Component-level values.

use std::fmt;

/// A component-level value, shaped like wasmtime's `component::Val`.
///
/// A value of a fixed-length list type is a [`Val::List`] of exactly that length.
///
/// Equality treats floats as bit patterns, except that every NaN equals every other NaN:
/// it asks whether two values are the same, not whether two numbers compare equal.
#[derive(Clone, Debug)]
pub enum Val {
    /// A `bool`.
    Bool(bool),
    /// An `s8`.
    S8(i8),
    /// A `u8`.
    U8(u8),
    /// An `s16`.
    S16(i16),
    /// A `u16`.
    U16(u16),
    /// An `s32`.
    S32(i32),
    /// A `u32`.
    U32(u32),
    /// An `s64`.
    S64(i64),
    /// A `u64`.
    U64(u64),
    /// An `f32`.
    Float32(f32),
    /// An `f64`.
    Float64(f64),
    /// A `char`.
    Char(char),
    /// A `string`.
    String(String),
    /// A `list<T>` or a fixed-length `list<T, N>`.
    List(Vec<Val>),
    /// A `record`: its fields in the order of the type, with their names.
    Record(Vec<(String, Val)>),
    /// A `tuple`.
    Tuple(Vec<Val>),
    /// A `variant`: the case name and its payload, if the case has one.
    Variant(String, Option<Box<Val>>),
    /// An `enum`: the case name.
    Enum(String),
    /// An `option<T>`.
    Option(Option<Box<Val>>),
    /// A `result<T, E>`, each side with its payload if that side has one.
    Result(Result<Option<Box<Val>>, Option<Box<Val>>>),
    /// A `flags`: the names of the flags that are set.
    Flags(Vec<String>),
    /// An `own` or `borrow` handle to a resource.
    Resource(ResourceAny),
    /// A `map<K, V>`: its entries in order.
    Map(Vec<(Val, Val)>),
    /// The readable end of a `future`, on its way from one instance to another.
    Future(ReadableEnd),
    /// The readable end of a `stream`, on its way from one instance to another.
    Stream(ReadableEnd),
    /// An `error-context`, on its way from one instance to another.
    ErrorContext(ReadableEnd),
}

impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        use Val::*;
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
            (Float32(a), Float32(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Float64(a), Float64(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Char(a), Char(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Record(a), Record(b)) => a == b,
            (Tuple(a), Tuple(b)) => a == b,
            (Variant(a, x), Variant(b, y)) => a == b && x == y,
            (Enum(a), Enum(b)) => a == b,
            (Option(a), Option(b)) => a == b,
            (Result(a), Result(b)) => a == b,
            (Flags(a), Flags(b)) => a == b,
            (Resource(a), Resource(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Future(a), Future(b)) | (Stream(a), Stream(b)) => a == b,
            (ErrorContext(a), ErrorContext(b)) => a == b,
            _ => false,
        }
    }
}

/// A handle to a resource, as passed between the runtime and a guest.
///
/// Its identity (the store it belongs to, its resource type, the slot it names and that
/// slot's generation) is the runtime's: no field can be set from outside, so a handle the
/// embedder holds is always one the runtime made, and the runtime checks each part of it
/// whenever the handle comes back (another store, another type, a slot reused since).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceAny {
    store: u64,
    ty: u32,
    index: u32,
    generation: u32,
    own: bool,
}

/// The parts of a [`ResourceAny`], as the runtime that made it reads and writes them.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandleParts {
    /// The store the handle belongs to, or [`ResourceAny::ANY_STORE`] for a handle of no
    /// store (this crate's own tests).
    pub store: u64,
    /// The store-level resource type.
    pub ty: u32,
    /// The representation, or the slot of a table the runtime keeps.
    pub index: u32,
    /// The slot's generation.
    pub generation: u32,
    /// Whether the handle is owned.
    pub own: bool,
}

impl ResourceAny {
    /// The `store` of a handle that is tied to no store, such as one this crate's tests make.
    #[doc(hidden)]
    pub const ANY_STORE: u64 = u64::MAX;

    /// Makes a handle: for the runtime (the `tether` crate) and for this crate's tests only.
    #[doc(hidden)]
    pub fn from_parts(p: HandleParts) -> ResourceAny {
        ResourceAny {
            store: p.store,
            ty: p.ty,
            index: p.index,
            generation: p.generation,
            own: p.own,
        }
    }

    /// The handle's parts, for the runtime.
    #[doc(hidden)]
    pub fn parts(&self) -> HandleParts {
        HandleParts {
            store: self.store,
            ty: self.ty,
            index: self.index,
            generation: self.generation,
            own: self.own,
        }
    }

    /// Whether this is an owned handle (`own`) rather than a borrowed one (`borrow`).
    pub fn owned(&self) -> bool {
        self.own
    }

    /// A borrow of the same resource, to pass where `borrow<T>` is expected while keeping
    /// ownership.
    pub fn borrowed(&self) -> ResourceAny {
        ResourceAny {
            own: false,
            ..*self
        }
    }
}

/// The readable end of a `future` or `stream` that a guest gave up, or an `error-context`
/// a guest passes on: it belongs to the runtime until another guest receives it.
///
/// As with [`ResourceAny`], its identity is the runtime's: the store it belongs to and the
/// runtime's record of the future or stream, which the runtime checks when it comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReadableEnd {
    store: u64,
    id: u32,
}

impl ReadableEnd {
    /// Makes an end: for the runtime (the `tether` crate) only.
    #[doc(hidden)]
    pub fn from_parts(store: u64, id: u32) -> ReadableEnd {
        ReadableEnd { store, id }
    }

    /// The end's parts, for the runtime: its store and its record there.
    #[doc(hidden)]
    pub fn parts(&self) -> (u64, u32) {
        (self.store, self.id)
    }
}

/// A short description of a value for error messages, such as "u32 value `5`" or "list of
/// length 3", that never shows a whole string or list.
pub(crate) struct Summary<'a>(pub &'a Val);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Val::Bool(v) => write!(f, "bool value `{v}`"),
            Val::S8(v) => write!(f, "s8 value `{v}`"),
            Val::U8(v) => write!(f, "u8 value `{v}`"),
            Val::S16(v) => write!(f, "s16 value `{v}`"),
            Val::U16(v) => write!(f, "u16 value `{v}`"),
            Val::S32(v) => write!(f, "s32 value `{v}`"),
            Val::U32(v) => write!(f, "u32 value `{v}`"),
            Val::S64(v) => write!(f, "s64 value `{v}`"),
            Val::U64(v) => write!(f, "u64 value `{v}`"),
            Val::Float32(v) => write!(f, "f32 value `{v}`"),
            Val::Float64(v) => write!(f, "f64 value `{v}`"),
            Val::Char(v) => write!(f, "char value `{}`", v.escape_debug()),
            Val::String(s) => write!(f, "string of length {}", s.len()),
            Val::List(v) => write!(f, "list of length {}", v.len()),
            Val::Record(fields) => {
                f.write_str("record { ")?;
                for (i, (name, _)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if i == 8 {
                        f.write_str("...")?;
                        break;
                    }
                    f.write_str(name)?;
                }
                f.write_str(" }")
            }
            Val::Tuple(v) => write!(f, "tuple of length {}", v.len()),
            Val::Variant(case, payload) => {
                let with = if payload.is_some() { "with" } else { "without" };
                write!(f, "variant case `{case}` {with} payload")
            }
            Val::Enum(case) => write!(f, "enum case `{case}`"),
            Val::Option(None) => f.write_str("option `none`"),
            Val::Option(Some(_)) => f.write_str("option `some` with payload"),
            Val::Result(Ok(p)) => write!(
                f,
                "result `ok` {}",
                if p.is_some() {
                    "with payload"
                } else {
                    "without payload"
                }
            ),
            Val::Result(Err(p)) => write!(
                f,
                "result `error` {}",
                if p.is_some() {
                    "with payload"
                } else {
                    "without payload"
                }
            ),
            Val::Flags(names) => write!(f, "flags with {} set", names.len()),
            Val::Resource(r) => f.write_str(if r.own {
                "owned resource"
            } else {
                "borrowed resource"
            }),
            Val::Map(v) => write!(f, "map of length {}", v.len()),
            Val::Future(_) => f.write_str("future"),
            Val::Stream(_) => f.write_str("stream"),
            Val::ErrorContext(_) => f.write_str("error-context"),
        }
    }
}
