//! The component model's canonical ABI, with no engine inside.
//!
//! This crate knows how component-level values ([`Val`]) of component-level types ([`Type`])
//! are laid out in a guest's linear memory and flattened into core wasm values, and how they are
//! lifted out of and lowered into a guest, including string transcoding between the three string
//! encodings.
//! Everything that touches a running guest goes through the [`Context`] trait, which the runtime
//! implements over its core engine: the guest's memory, its `realloc`, and its handle table.
//!
//! The algorithms follow `CanonicalABI.md` of the component-model specification for the
//! synchronous model with 32-bit memories.
//!
//! # Example
//!
//! Lowering a record with a string into a guest memory and lifting it back, with a bump
//! allocator standing in for the guest's `realloc`:
//!
//! ```
//! use tether_abi::*;
//!
//! struct Guest { memory: Vec<u8>, next: u32 }
//!
//! impl Context for Guest {
//!     fn string_encoding(&self) -> StringEncoding { StringEncoding::Utf16 }
//!     fn memory(&self) -> Result<&[u8], Fault> { Ok(&self.memory) }
//!     fn memory_mut(&mut self) -> Result<&mut [u8], Fault> { Ok(&mut self.memory) }
//!     fn realloc(&mut self, old: u32, old_size: u32, align: u32, size: u32) -> Result<u32, Fault> {
//!         // Shrink in place; this allocator is only asked to grow from nothing.
//!         if old != 0 && size <= old_size {
//!             return Ok(old);
//!         }
//!         let ptr = self.next.next_multiple_of(align);
//!         self.next = ptr + size;
//!         Ok(ptr)
//!     }
//!     fn lift_own(&mut self, _: ResourceIndex, _: u32) -> Result<ResourceAny, Fault> {
//!         Err(Fault::other("no resources here"))
//!     }
//!     fn lift_borrow(&mut self, _: ResourceIndex, _: u32) -> Result<ResourceAny, Fault> {
//!         Err(Fault::other("no resources here"))
//!     }
//!     fn lower_own(&mut self, _: ResourceIndex, _: ResourceAny) -> Result<u32, Fault> {
//!         Err(Fault::other("no resources here"))
//!     }
//!     fn lower_borrow(&mut self, _: ResourceIndex, _: ResourceAny) -> Result<u32, Fault> {
//!         Err(Fault::other("no resources here"))
//!     }
//! }
//!
//! let ty = Type::record(vec![("name".into(), Type::String), ("age".into(), Type::U8)]);
//! assert_eq!((ty.size(), ty.align()), (12, 4));
//! assert_eq!(ty.flat(), Some(&[CoreType::I32, CoreType::I32, CoreType::I32][..]));
//! assert_eq!(ty.to_string(), "record { name: string, age: u8 }");
//!
//! let val = Val::Record(vec![
//!     ("name".into(), Val::String("Zoë".into())),
//!     ("age".into(), Val::U8(7)),
//! ]);
//! let mut guest = Guest { memory: vec![0; 1024], next: 64 };
//!
//! // Into memory and back.
//! store(&mut guest, &ty, &val, 0)?;
//! assert_eq!(load(&mut guest, &ty, 0)?, val);
//!
//! // Into core values and back: the string is transcoded to UTF-16 at 64.
//! let mut flat = Vec::new();
//! lower_flat(&mut guest, &ty, &val, &mut flat)?;
//! assert_eq!(flat[1], 3);
//! assert_eq!(lift_flat(&mut guest, &ty, &flat)?, val);
//!
//! // A value that does not match its type is an error, never a panic.
//! let err = store(&mut guest, &Type::U32, &val, 0).unwrap_err();
//! assert!(err.is_host_fault());
//! assert!(matches!(err.trap(), Trap::HostValue { .. }));
//! # Ok::<(), Fault>(())
//! ```
//!
//! The crate has no cargo features.
//!
//! # Guarantees
//!
//! * Nothing a guest puts in its memory or core values can make these functions panic: a bad
//!   pointer, length, discriminant, `char` or string is a [`Fault`] carrying the [`Trap`]
//!   that names it, with wasmtime's wording.
//! * A host value that does not match its type is a [`Trap::HostValue`].
//! * Layouts are computed once, when a [`Type`] is built, in time that depends on the size of
//!   the type's description, never on a fixed-length list's length (a flattening longer than
//!   [`MAX_FLAT_PARAMS`] is counted, not built); lifting and lowering never walk a type to
//!   compute them again. Sizes are checked: a type over [`MAX_VALUE_SIZE`] is refused by the
//!   `try_` constructors.
//! * Lifting charges the bytes it copies to [`Context::charge`] and the host memory of the
//!   `Val`s beyond them to [`Context::charge_heap`], before allocating either.
//! * Floats lose their NaN payloads both ways: every NaN becomes the canonical NaN
//!   (the spec's deterministic profile).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod check;
pub mod direct;
mod fault;
mod layout;
mod lift;
mod lower;
mod string;
mod trap;
mod types;
mod val;

pub use check::check_value;
pub use fault::{CopyRule, EndKind, Fault, HandleError, PointerOf, TaskRule, Trap, WasmTrap};
pub use layout::{
    CoreType, FlattenContext, MAX_FLAT_ASYNC_PARAMS, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS,
    MAX_LIST_BYTE_LENGTH, MAX_STRING_BYTE_LENGTH, MAX_VALUE_SIZE, VariantShape, flatten,
    flatten_all, flatten_async_func, flatten_func,
};
pub use lift::{lift_flat, lift_flat_values, load};
pub use lower::{lower_flat, lower_flat_values, store};
pub use string::{SourceEncoding, StringEncoding};
pub use types::{
    AsyncValueType, EnumType, FixedListType, FlagsType, ListType, MapType, OptionType, RecordType,
    ResourceIndex, ResultType, TupleType, Type, TypeTooLarge, VariantType,
};
pub use val::{HandleParts, ReadableEnd, ResourceAny, Val};

/// The most entries a component instance's handle table may hold, per the specification.
pub const MAX_HANDLES: u32 = (1 << 28) - 1;

/// What lifting and lowering need from a running guest: the canonical options of one
/// `canon lift` or `canon lower` and the instance they belong to.
///
/// The runtime implements this over its core engine; tests implement it over a `Vec<u8>`.
pub trait Context {
    /// The `string-encoding` option.
    fn string_encoding(&self) -> StringEncoding;

    /// The guest's linear memory, or a trap if the options name no memory.
    fn memory(&self) -> Result<&[u8], Fault>;

    /// The guest's linear memory for writing, or a trap if the options name no memory.
    fn memory_mut(&mut self) -> Result<&mut [u8], Fault>;

    /// Calls the guest's `realloc(old_ptr, old_size, align, new_size)` and returns what it
    /// returned, unchecked: the caller checks alignment and bounds.
    /// Traps if the options name no `realloc`, or if the call traps.
    fn realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, Fault>;

    /// Lifts the handle at `index` in the guest's table as an `own<resource>`: checks its type,
    /// removes it from the table and returns it.
    fn lift_own(&mut self, resource: ResourceIndex, index: u32) -> Result<ResourceAny, Fault>;

    /// Lifts the handle at `index` in the guest's table as a `borrow<resource>` for the
    /// duration of the current call.
    fn lift_borrow(&mut self, resource: ResourceIndex, index: u32) -> Result<ResourceAny, Fault>;

    /// Lowers an owned resource into the guest's table and returns its index.
    fn lower_own(&mut self, resource: ResourceIndex, value: ResourceAny) -> Result<u32, Fault>;

    /// Lifts the readable end of a `future` or `stream` (`ty` says which, and its element
    /// type) at `index` in the guest's table: checks it, removes it from the table and
    /// returns it. By default there are none: the call is `unsupported:`.
    fn lift_readable(&mut self, ty: &Type, index: u32) -> Result<ReadableEnd, Fault> {
        let _ = index;
        Err(Fault::other(format!(
            "unsupported: lifting a {ty} here (component-model async)"
        )))
    }

    /// Lifts the `error-context` at `index` in the guest's table (which keeps it). By default
    /// there are none: the call is `unsupported:`.
    fn lift_error_context(&mut self, index: u32) -> Result<ReadableEnd, Fault> {
        let _ = index;
        Err(Fault::other(
            "unsupported: lifting an error-context here (component-model async)",
        ))
    }

    /// Lowers an `error-context` into the guest's table and returns its index. By default
    /// there are none: the call is `unsupported:`.
    fn lower_error_context(&mut self, value: ReadableEnd) -> Result<u32, Fault> {
        let _ = value;
        Err(Fault::other(
            "unsupported: lowering an error-context here (component-model async)",
        ))
    }

    /// Lowers the readable end of a `future` or `stream` of type `ty` into the guest's table
    /// and returns its index. By default there are none: the call is `unsupported:`.
    fn lower_readable(&mut self, ty: &Type, end: ReadableEnd) -> Result<u32, Fault> {
        let _ = end;
        Err(Fault::other(format!(
            "unsupported: lowering a {ty} here (component-model async)"
        )))
    }

    /// How many more bytes the current call may copy between the host and the guest.
    fn copy_budget(&self) -> u64 {
        u64::MAX
    }

    /// Records `bytes` copied between the host and the guest for the current call, with
    /// `into_guest` telling which way; traps when the call's charges go past
    /// [`copy_budget`](Context::copy_budget).
    ///
    /// Into the guest, the bytes are the blocks allocated with `realloc`; out of it, a
    /// string's UTF-8 bytes and a list's or map's bytes in guest memory. Both are charged
    /// before the host allocates anything for them.
    fn charge(&mut self, bytes: u64, into_guest: bool) -> Result<(), Fault> {
        let _ = (bytes, into_guest);
        Ok(())
    }

    /// Charges `bytes` of host memory that lifting into [`Val`]s takes beyond the bytes it
    /// copies, against the same budget as [`charge`](Context::charge), before it is
    /// allocated: for a list or map of `n` elements, `n` times a [`Val`] slot (or a map
    /// entry's pair of them) plus the element type's [`Type::lifted_heap`], and for each value
    /// lifted as a whole (a parameter or result), its type's [`Type::lifted_heap`]. It is not
    /// counted as copied. By default it is charged as bytes copied out of the guest.
    fn charge_heap(&mut self, bytes: u64) -> Result<(), Fault> {
        self.charge(bytes, false)
    }

    /// Lowers a borrowed resource for the duration of the current call and returns what the
    /// guest receives: an index in its table, or the representation if the guest defines the
    /// resource itself.
    fn lower_borrow(&mut self, resource: ResourceIndex, value: ResourceAny) -> Result<u32, Fault>;

    /// The encoding the strings being lowered came from, which chooses the spec's transcoding
    /// algorithm and so the `realloc` calls the guest sees.
    ///
    /// Strings from the host are UTF-8, the default; when one component calls another, the
    /// runtime reports the encoding of the memory the strings were lifted from.
    fn source_encoding(&self) -> SourceEncoding {
        SourceEncoding::Utf8
    }
}
