//! What stops a call: [`Trap`], one variant per kind of fault, with the details as fields, and
//! [`Fault`], the one-pointer error that lifting and lowering return, which carries a `Trap`.
//!
//! Each variant's message is wasmtime's wording where wasmtime has one ("unknown handle index
//! 3", "string content out-of-bounds: ..."), because conformance suites match on it; code that
//! needs to tell faults apart matches the variant instead.

use std::fmt;
use std::sync::Arc;

/// Why a call into or out of a guest stopped: a trap of the guest's core code, a rule of the
/// canonical ABI the guest broke, a limit the store sets, or a value of the host's that does
/// not fit its type.
///
/// Every error of a call (`Func::call`, `TypedFunc::call`, a guest's call of a host function
/// that failed in the ABI) that is one of these can be downcast to it; an error a host
/// function returned passes through unchanged instead.
///
/// ```
/// use tether_abi::Trap;
/// let t = Trap::UnknownHandle { index: 3 };
/// assert_eq!(t.to_string(), "unknown handle index 3");
/// assert!(!t.is_host_fault());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trap {
    /// The guest's core code trapped (`unreachable`, an out-of-bounds access, a stack
    /// overflow, ...).
    Wasm(WasmTrap),
    /// The guest used all the fuel its store was given.
    OutOfFuel,
    /// The guest ran past its store's epoch deadline.
    DeadlineExceeded,
    /// A core exception propagated out of the component.
    UncaughtException,

    /// A `char` whose bits are not a Unicode scalar value.
    InvalidChar {
        /// The bits.
        bits: u32,
    },
    /// A string that is not valid UTF-8.
    InvalidUtf8 {
        /// What is wrong, in the standard library's words.
        detail: Box<str>,
    },
    /// A UTF-16 string with an unpaired surrogate.
    InvalidUtf16 {
        /// The surrogate.
        surrogate: u16,
    },
    /// A variant, enum, option or result whose discriminant names no case.
    InvalidDiscriminant {
        /// The discriminant read.
        discriminant: u32,
        /// How many cases the type has.
        cases: usize,
    },
    /// A pointer that is not a multiple of its value's alignment.
    UnalignedPointer {
        /// Which pointer.
        of: PointerOf,
        /// The pointer.
        ptr: u32,
        /// The alignment it needed.
        align: u32,
    },
    /// A value that does not fit in the guest's memory.
    PointerOutOfBounds {
        /// Where it starts.
        ptr: u64,
        /// Its size in bytes.
        size: u64,
        /// The memory's size in bytes.
        memory: usize,
    },
    /// A string longer than the canonical ABI allows.
    StringTooLong {
        /// Its length in bytes.
        byte_len: u64,
    },
    /// A string that does not fit in the guest's memory.
    StringOutOfBounds {
        /// Where it starts.
        ptr: u32,
        /// Its length in bytes.
        byte_len: u64,
        /// The memory's size in bytes.
        memory: usize,
    },
    /// A list longer than the canonical ABI allows.
    ListTooLong {
        /// Its length in bytes.
        byte_len: u64,
    },
    /// A list that does not fit in the guest's memory.
    ListOutOfBounds {
        /// Where it starts.
        ptr: u32,
        /// Its length in bytes.
        byte_len: u64,
        /// The memory's size in bytes.
        memory: usize,
    },
    /// A block that the guest's `realloc` returned reaches past the end of its memory.
    ReallocOutOfBounds {
        /// What the block was for ("string", "list content"), if known.
        what: &'static str,
        /// The block's address.
        ptr: u32,
        /// Its size in bytes.
        size: u32,
    },
    /// The guest's `realloc` itself trapped or failed.
    ReallocFailed {
        /// Why.
        cause: Box<str>,
    },
    /// A value needs the `memory` or `realloc` canonical option, and the options give none.
    MissingOption {
        /// `"memory"` or `"realloc"`.
        option: &'static str,
    },

    /// A handle index that names no handle of the instance.
    UnknownHandle {
        /// The index.
        index: u32,
    },
    /// A handle of another resource type than the one expected.
    WrongHandleType {
        /// The index.
        index: u32,
    },
    /// A borrowed handle passed where an owned one is expected.
    OwnFromBorrow {
        /// The index.
        index: u32,
    },
    /// An owned handle dropped or moved while it is lent out.
    HandleLent,
    /// A resource dropped or moved while it has child resources alive.
    HasChildren {
        /// The handle index, or the host object's slot.
        index: u32,
        /// How many children are alive.
        children: u32,
    },
    /// A call returned while borrows handed to it were still held.
    BorrowsRemain,
    /// A guest's handle names a host object that no longer exists, or is in use, or is of
    /// another type.
    HostObject(HandleError),
    /// A guest used a handle whose host object the host revoked (`Store::revoke`): every use
    /// but `resource.drop`, which succeeds, ends here.
    Revoked {
        /// The guest's handle index.
        index: u32,
        /// The resource type's full name (`wasi:sockets/tcp/tcp-socket`), or `?` for a type
        /// no import names.
        resource: std::sync::Arc<str>,
    },

    /// A guest tried to call out where it may not (from `realloc` or `post-return`, or a
    /// built-in that needs the instance to be callable).
    CannotLeave,
    /// A call into an instance that is already on the call stack.
    CannotEnter,
    /// A task that may not block (its function is not `async`-typed and has not returned
    /// yet) tried to: a synchronous call of an `async`-typed function, or the synchronous
    /// form of a built-in that waits.
    CannotBlock,
    /// An `async callback` lift's core function returned a code that is not `EXIT` (0),
    /// `YIELD` (1) or `WAIT` (2) in its low four bits.
    CallbackCode {
        /// The code: the low four bits of what the function returned.
        code: u32,
    },
    /// A task broke a rule of the async ABI's task built-ins (`task.return`,
    /// `task.cancel`, `backpressure.*`) or ended without a result.
    Task(TaskRule),
    /// A built-in of a `future` or `stream` (or the lifting of a readable end) broke a rule of
    /// the end it was given.
    Copy {
        /// The end.
        end: EndKind,
        /// The rule.
        rule: CopyRule,
    },
    /// A handle index that names an entry of the instance's table of another kind than the
    /// built-in expects (a resource handle where a waitable set is expected, say).
    WrongKind {
        /// The index.
        index: u32,
        /// What the built-in expected: `"waitable set"`, `"waitable"`.
        expected: &'static str,
    },
    /// `waitable-set.drop` of a set that still holds waitables, or that a task waits on.
    WaitableSetInUse {
        /// Whether a task waits on it (else it holds waitables).
        waiters: bool,
    },
    /// A task waits for an event that nothing left can deliver: every other task is
    /// blocked or finished.
    Deadlock,
    /// `subtask.drop` of a subtask whose return has not been delivered to its caller.
    SubtaskUnresolved,
    /// `subtask.cancel` of a subtask whose return has been delivered to its caller.
    SubtaskResolved,
    /// The synchronous form of a built-in (`subtask.cancel`, a `stream` or `future` copy) used
    /// on a waitable that is in a waitable set, whose events the set would take.
    WaitableInSet,
    /// A call into an instance that is still being instantiated.
    NotInstantiated,
    /// A call into an instance that trapped earlier: its state may be inconsistent, so it can
    /// never be entered again.
    Poisoned {
        /// The earlier trap.
        fault: Arc<str>,
    },

    /// A call copied more bytes between host and guest, or lifted more host memory, than the
    /// store allows (`Limits::copy_bytes_per_call`).
    CopyLimit {
        /// The limit in bytes.
        limit: u64,
    },
    /// An instance's handle table reached the store's limit (`Limits::handles_per_instance`).
    HandleLimit {
        /// The limit in slots.
        cap: u32,
    },
    /// The store's instances hold as many live handles of a resource type as the store's
    /// quota for the type allows (`Store::set_resource_quota`): one more is refused.
    ResourceQuota {
        /// The type's full name (`wasi:io/poll/pollable`).
        resource: std::sync::Arc<str>,
        /// The quota: the most live handles of the type in the store.
        quota: u32,
        /// The instance that would have received the handle, by its index in the store.
        instance: u32,
    },
    /// An instance's handle table reached the specification's 2^28 - 1 entries.
    HandleTableFull,
    /// The store holds as many host objects as it may (`Limits::host_objects`): creating one
    /// more fails.
    HostObjectLimit {
        /// The limit.
        limit: usize,
    },
    /// A linear memory tried to grow past the store's limit (`Limits::memory_size`).
    MemoryLimit {
        /// The memory's size in bytes.
        current: usize,
        /// The size asked for.
        desired: usize,
        /// The limit.
        limit: usize,
    },
    /// A table tried to grow past the store's limit (`Limits::table_elements`).
    TableLimit {
        /// The table's size in elements.
        current: usize,
        /// The size asked for.
        desired: usize,
        /// The limit.
        limit: usize,
    },

    /// A value of the host's that does not fit its type (the host's fault, not the guest's).
    HostValue {
        /// What does not fit.
        message: Box<str>,
    },
    /// A host function returned a handle that is stale, of another store or of another type.
    HostBadHandle {
        /// Why.
        cause: Box<str>,
    },
    /// A host function returned a value that does not fit its result type, while a guest
    /// was running (so it ends the guest's call as a trap).
    HostBadResult {
        /// What does not fit.
        cause: Box<str>,
    },
    /// The guest broke a rule the runtime checks that has no variant of its own.
    Other {
        /// The rule, in words.
        message: Box<str>,
    },
    /// A check that should never fail did: a bug in the runtime.
    Internal {
        /// What failed.
        message: Box<str>,
    },
}

/// The rule a [`Trap::Task`] broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskRule {
    /// `task.return` or `task.cancel` was called by a task whose function was lifted without
    /// the `async` option (it returns by returning from its core function), or outside of
    /// any task.
    NotAsyncLift {
        /// The built-in: `"task.return"` or `"task.cancel"`.
        builtin: &'static str,
    },
    /// `task.return` or `task.cancel` was called by a task that has already returned or been
    /// cancelled.
    AlreadyResolved,
    /// `task.return`'s result type is not the type of the task's function.
    ResultType,
    /// `task.return`'s canonical options (memory, string encoding) are not those of the
    /// task's `canon lift`.
    Options,
    /// An `async`-lifted task's code finished without calling `task.return`.
    NoResult,
    /// `task.cancel` was called while no cancellation had been delivered to the task.
    NotCancelled,
    /// `subtask.cancel` was called a second time for the same subtask.
    CancelledTwice,
    /// `backpressure.inc` would take the instance's counter to 2^16.
    BackpressureOverflow,
    /// `backpressure.dec` would take the instance's counter below zero.
    BackpressureUnderflow,
}

impl fmt::Display for TaskRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskRule::NotAsyncLift { builtin } => write!(
                f,
                "`{builtin}` called by a task whose function was not lifted with `async`"
            ),
            TaskRule::AlreadyResolved => {
                f.write_str("task already returned a result or was cancelled")
            }
            TaskRule::ResultType => {
                f.write_str("`task.return` result type does not match the task's function type")
            }
            TaskRule::Options => f.write_str(
                "`task.return` canonical options (memory, string encoding) do not match the task's `canon lift`",
            ),
            TaskRule::NoResult => {
                f.write_str("async-lifted task finished without calling `task.return`")
            }
            TaskRule::CancelledTwice => {
                f.write_str("`subtask.cancel` called twice for the same subtask")
            }
            TaskRule::NotCancelled => {
                f.write_str("`task.cancel` called while no cancellation was delivered")
            }
            TaskRule::BackpressureOverflow => {
                f.write_str("backpressure counter overflow: `backpressure.inc` past 65535")
            }
            TaskRule::BackpressureUnderflow => {
                f.write_str("backpressure counter underflow: `backpressure.dec` below zero")
            }
        }
    }
}

/// Which end of a `future` or `stream` a [`Trap::Copy`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndKind {
    /// A `future`'s end (else a `stream`'s).
    pub future: bool,
    /// The readable end (else the writable one).
    pub readable: bool,
}

impl EndKind {
    fn noun(self) -> &'static str {
        if self.future { "future" } else { "stream" }
    }
}

/// A rule of the `future` and `stream` built-ins, broken (see [`Trap::Copy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyRule {
    /// A read, write or drop while the end's previous read or write is still under way.
    Busy,
    /// A read or write of an end that is done: a future's value was read or written, or a
    /// stream's other end was dropped and this end was told.
    Done,
    /// Lifting a readable end that is done (as [`CopyRule::Done`]).
    LiftDone,
    /// Lifting a readable end that is in a waitable set.
    LiftInSet,
    /// Lifting a readable end whose read is under way.
    LiftBusy,
    /// Dropping an end whose read or write is under way.
    DropBusy,
    /// Dropping a future's writable end before a value was written (or the reader dropped).
    DropUnwritten,
    /// A read and a write of the same instance met on a type other than numbers (the
    /// specification's temporary rule: the copy could alias).
    SameInstance,
    /// A cancel of an end with no read or write under way, or one already being cancelled.
    NothingToCancel,
    /// The built-in's type is not the end's.
    WrongType,
    /// A stream read or write of more than 2^28 - 1 elements.
    TooLong {
        /// The length asked for.
        len: u32,
    },
}

fn copy_message(f: &mut fmt::Formatter<'_>, end: EndKind, rule: CopyRule) -> fmt::Result {
    let noun = end.noun();
    let (verb, other) = if end.readable {
        ("read from", "writable")
    } else {
        ("write to", "readable")
    };
    match rule {
        CopyRule::Busy => {
            f.write_str("cannot have concurrent operations active on a future/stream")
        }
        CopyRule::Done if end.future && end.readable => {
            f.write_str("cannot read from future after previous read succeeded")
        }
        CopyRule::Done if end.future => f.write_str(
            "cannot write to future after previous write succeeded or readable end dropped",
        ),
        CopyRule::Done => write!(
            f,
            "cannot {verb} stream after being notified that the {other} end dropped"
        ),
        CopyRule::LiftDone if end.future => {
            f.write_str("cannot lift future after previous read succeeded")
        }
        CopyRule::LiftDone => {
            f.write_str("cannot lift stream after being notified that the writable end dropped")
        }
        CopyRule::LiftInSet => write!(f, "cannot lift {noun} while it's in a waitable set"),
        CopyRule::LiftBusy => write!(f, "cannot lift {noun} while a read of it is under way"),
        CopyRule::DropUnwritten => {
            f.write_str("cannot drop future write end without first writing a value")
        }
        CopyRule::DropBusy if end.readable => write!(f, "cannot remove busy {noun}"),
        CopyRule::DropBusy => write!(f, "cannot drop busy {noun}"),
        CopyRule::SameInstance => write!(
            f,
            "cannot read from and write to intra-component {noun} with non-numeric types"
        ),
        CopyRule::NothingToCancel => {
            write!(
                f,
                "cannot cancel a {noun} {} that is not under way",
                if end.readable { "read" } else { "write" }
            )
        }
        CopyRule::WrongType => write!(f, "the {noun} type does not match the end's"),
        CopyRule::TooLong { len } => write!(
            f,
            "cannot {verb} a stream {len} elements at once: at most 268435455"
        ),
    }
}

/// Which pointer a [`Trap::UnalignedPointer`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PointerOf {
    /// A string's.
    String,
    /// A block `realloc` returned.
    Realloc,
    /// Any other value's (a list, a spilled record, a return area).
    Value,
}

/// A trap of core WebAssembly code, as the core engine reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WasmTrap {
    /// The call stack ran out.
    StackOverflow,
    /// A load or store out of a memory's bounds.
    MemoryOutOfBounds,
    /// A misaligned atomic access.
    HeapMisaligned,
    /// An access out of a table's bounds.
    TableOutOfBounds,
    /// A call through a null table element.
    IndirectCallToNull,
    /// A call through a table element of another type.
    BadSignature,
    /// An integer overflow.
    IntegerOverflow,
    /// An integer division by zero.
    IntegerDivisionByZero,
    /// A float-to-integer conversion out of range.
    BadConversionToInteger,
    /// An `unreachable` instruction.
    Unreachable,
    /// A null reference.
    NullReference,
    /// An array access out of bounds.
    ArrayOutOfBounds,
    /// An allocation too large.
    AllocationTooLarge,
    /// A failed cast.
    CastFailure,
    /// Another trap of the core engine.
    Other,
}

impl fmt::Display for WasmTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The core engine's own words, which conformance suites match.
        f.write_str(match self {
            WasmTrap::StackOverflow => "call stack exhausted",
            WasmTrap::MemoryOutOfBounds => "out of bounds memory access",
            WasmTrap::HeapMisaligned => "unaligned atomic",
            WasmTrap::TableOutOfBounds => "undefined element: out of bounds table access",
            WasmTrap::IndirectCallToNull => "uninitialized element",
            WasmTrap::BadSignature => "indirect call type mismatch",
            WasmTrap::IntegerOverflow => "integer overflow",
            WasmTrap::IntegerDivisionByZero => "integer divide by zero",
            WasmTrap::BadConversionToInteger => "invalid conversion to integer",
            WasmTrap::Unreachable => "wasm `unreachable` instruction executed",
            WasmTrap::NullReference => "null reference",
            WasmTrap::ArrayOutOfBounds => "out of bounds array access",
            WasmTrap::AllocationTooLarge => "allocation size too large",
            WasmTrap::CastFailure => "cast failure",
            WasmTrap::Other => "trap",
        })
    }
}

/// Why a handle the host holds, or a host object a guest's handle names, cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandleError {
    /// The object or resource behind the handle no longer exists.
    Stale {
        /// The slot.
        index: u32,
    },
    /// The handle is of another resource type than the one expected.
    WrongType {
        /// The slot.
        index: u32,
        /// The Rust type or resource type expected, for messages.
        expected: Box<str>,
    },
    /// The object is lent out to a method call under way, so it cannot be reached again in
    /// that call: a method receives its `self` as `&mut R`, moved out of the store, and when
    /// the same object also arrives as another parameter, looking that handle up fails with
    /// this error, which the method can take as "the object is `self`".
    InUse {
        /// The slot.
        index: u32,
    },
    /// The object cannot be dropped: a method call under way is using it.
    Lent {
        /// The slot.
        index: u32,
    },
    /// The object has children alive, so it cannot be dropped or moved.
    HasChildren {
        /// The slot.
        index: u32,
        /// How many.
        children: u32,
    },
    /// The handle belongs to another store.
    OtherStore,
    /// One owned handle passed twice where `own` is expected, in one call.
    PassedTwice {
        /// The slot.
        index: u32,
    },
    /// The host revoked the object: it is gone, though a guest's handle may still name it.
    Revoked {
        /// The slot.
        index: u32,
    },
}

impl fmt::Display for HandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandleError::Stale { index } => {
                write!(f, "stale handle: the resource behind handle {index} no longer exists")
            }
            HandleError::WrongType { index, expected } => write!(
                f,
                "mismatched resource types: handle {index} is not a {expected}"
            ),
            HandleError::InUse { index } => write!(
                f,
                "resource {index} is already borrowed mutably in this call: two `&mut` to one object are not allowed"
            ),
            HandleError::Lent { index } => write!(
                f,
                "cannot drop resource {index} while a method is using it"
            ),
            HandleError::HasChildren { index, children } => write!(
                f,
                "cannot drop or move a resource while it has {children} child resource(s) alive (handle {index})"
            ),
            HandleError::OtherStore => f.write_str(
                "resource handle from another store: a handle can only be used in the store that made it",
            ),
            HandleError::PassedTwice { index } => write!(
                f,
                "one owned handle is passed twice where `own` is expected (handle {index})"
            ),
            HandleError::Revoked { index } => write!(
                f,
                "revoked handle: the host revoked the object behind handle {index}"
            ),
        }
    }
}

impl std::error::Error for HandleError {}

impl Trap {
    /// Whether the host, not the guest, is at fault: a host value that does not fit its type,
    /// or a bad handle a host function returned.
    pub fn is_host_fault(&self) -> bool {
        matches!(
            self,
            Trap::HostValue { .. } | Trap::HostBadHandle { .. } | Trap::HostBadResult { .. }
        )
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Wasm(t) => write!(f, "wasm trap: {t}"),
            Trap::OutOfFuel => {
                f.write_str("fuel exhausted: the guest used all the fuel its store was given")
            }
            Trap::DeadlineExceeded => {
                f.write_str("deadline exceeded: the guest ran past its store's epoch deadline")
            }
            Trap::UncaughtException => {
                f.write_str("uncaught exception propagated out of component")
            }
            Trap::InvalidChar { bits } => write!(f, "invalid `char` bit pattern: {bits:#x}"),
            Trap::InvalidUtf8 { detail } => f.write_str(detail),
            Trap::InvalidUtf16 { surrogate } => {
                write!(f, "invalid utf-16: unpaired surrogate {surrogate:#06x}")
            }
            Trap::InvalidDiscriminant {
                discriminant,
                cases,
            } => write!(
                f,
                "invalid variant discriminant: discriminant {discriminant} out of range [0..{cases})"
            ),
            Trap::UnalignedPointer { of, ptr, align } => match of {
                PointerOf::String => write!(
                    f,
                    "unaligned pointer: string pointer not aligned to {align} ({ptr:#x})"
                ),
                PointerOf::Realloc => write!(
                    f,
                    "unaligned pointer: realloc return: result not aligned ({ptr:#x} is not a multiple of {align})"
                ),
                PointerOf::Value => {
                    write!(
                        f,
                        "unaligned pointer: {ptr:#x} is not a multiple of {align}"
                    )
                }
            },
            Trap::PointerOutOfBounds { ptr, size, memory } => write!(
                f,
                "pointer out of bounds of memory: {size} bytes at {ptr:#x} do not fit in {memory} bytes"
            ),
            Trap::StringTooLong { byte_len } => write!(
                f,
                "string content out-of-bounds: string length too large: {byte_len} bytes, the most is {}",
                crate::layout::MAX_STRING_BYTE_LENGTH
            ),
            Trap::StringOutOfBounds {
                ptr,
                byte_len,
                memory,
            } => write!(
                f,
                "string content out-of-bounds: string pointer/length out of bounds of memory ({byte_len} bytes at {ptr:#x} do not fit in {memory} bytes)"
            ),
            Trap::ListTooLong { byte_len } => {
                write!(f, "list length too large: {byte_len} bytes")
            }
            Trap::ListOutOfBounds {
                ptr,
                byte_len,
                memory,
            } => write!(
                f,
                "list content out-of-bounds: {byte_len} bytes at {ptr:#x} do not fit in {memory} bytes"
            ),
            Trap::ReallocOutOfBounds { what, ptr, size } => {
                if !what.is_empty() {
                    write!(f, "{what} out-of-bounds: ")?;
                }
                write!(
                    f,
                    "realloc return: beyond end of memory ({size} bytes at {ptr:#x})"
                )
            }
            Trap::ReallocFailed { cause } => write!(f, "realloc trapped: {cause}"),
            Trap::MissingOption { option } => write!(
                f,
                "no `{option}` canonical option given, but the type needs one"
            ),
            Trap::UnknownHandle { index } => write!(f, "unknown handle index {index}"),
            Trap::WrongHandleType { index } => write!(
                f,
                "handle index {index} used with the wrong type, expected guest-defined resource but found a different guest-defined resource"
            ),
            Trap::OwnFromBorrow { index } => write!(
                f,
                "cannot lift own handle from borrowed handle index {index}"
            ),
            Trap::HandleLent => f.write_str("cannot remove owned resource while borrowed"),
            Trap::HasChildren { index, children } => write!(
                f,
                "cannot move resource out of handle index {index} while it has {children} child resource(s) alive"
            ),
            Trap::BorrowsRemain => {
                f.write_str("borrow handles still remain at the end of the call")
            }
            Trap::HostObject(e) => fmt::Display::fmt(e, f),
            Trap::Revoked { index, resource } => write!(
                f,
                "revoked handle: the host revoked the `{resource}` behind handle {index}"
            ),
            Trap::CannotLeave => f.write_str("cannot leave component instance"),
            Trap::CannotEnter => f.write_str("cannot enter component instance"),
            Trap::CannotBlock => f.write_str("cannot block a synchronous task before returning"),
            Trap::CallbackCode { code } => write!(f, "unsupported callback code {code}"),
            Trap::Task(rule) => fmt::Display::fmt(rule, f),
            Trap::Copy { end, rule } => copy_message(f, *end, *rule),
            Trap::WrongKind { index, expected } => {
                write!(f, "handle index {index} is not a {expected}")
            }
            Trap::WaitableSetInUse { waiters: true } => {
                f.write_str("cannot drop waitable set with waiters")
            }
            Trap::WaitableSetInUse { waiters: false } => {
                f.write_str("cannot drop waitable set that still holds waitables")
            }
            Trap::Deadlock => {
                f.write_str("deadlock detected: event loop cannot make further progress")
            }
            Trap::SubtaskUnresolved => {
                f.write_str("cannot drop a subtask which has not yet resolved")
            }
            Trap::SubtaskResolved => {
                f.write_str("cannot cancel a subtask whose return was already delivered")
            }
            Trap::WaitableInSet => {
                f.write_str("waitable cannot be used synchronously while added to a waitable set")
            }
            Trap::NotInstantiated => {
                f.write_str("cannot enter component instance: it is still being instantiated")
            }
            Trap::Poisoned { fault } => write!(
                f,
                "cannot enter component instance: it trapped earlier and may be in an inconsistent state (the trap: {fault})"
            ),
            Trap::CopyLimit { limit } => write!(
                f,
                "copy limit exceeded: the call would copy more than {limit} bytes between host and guest"
            ),
            Trap::HandleLimit { cap } => write!(
                f,
                "handle table limit exceeded: an instance may hold at most {cap} handle slots (`Limits::handles_per_instance`)"
            ),
            Trap::ResourceQuota {
                resource,
                quota,
                instance,
            } => write!(
                f,
                "resource quota exceeded: the store's instances may hold at most {quota} live `{resource}` handles, and instance {instance} would receive one more"
            ),
            Trap::HandleTableFull => write!(
                f,
                "handle table full: more than {} handles",
                crate::MAX_HANDLES
            ),
            Trap::HostObjectLimit { limit } => write!(
                f,
                "host object limit exceeded: the store already holds {limit} host objects"
            ),
            Trap::MemoryLimit {
                current,
                desired,
                limit,
            } => write!(
                f,
                "memory limit exceeded: growing a memory from {current} to {desired} bytes, above the store's limit of {limit} bytes"
            ),
            Trap::TableLimit {
                current,
                desired,
                limit,
            } => write!(
                f,
                "table limit exceeded: growing a table from {current} to {desired} elements, above the store's limit of {limit}"
            ),
            Trap::HostValue { message } => f.write_str(message),
            Trap::HostBadHandle { cause } => {
                write!(f, "host function returned a bad handle: {cause}")
            }
            Trap::HostBadResult { cause } => write!(
                f,
                "host function returned a value of the wrong type: {cause}"
            ),
            Trap::Other { message } => f.write_str(message),
            Trap::Internal { message } => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for Trap {}

/// The error of lifting and lowering: a [`Trap`] in a box, so that the `Result`s of the paths
/// that do not fail stay one pointer wide.
#[derive(Clone, PartialEq, Eq)]
pub struct Fault(Box<Trap>);

impl Fault {
    /// The trap.
    pub fn trap(&self) -> &Trap {
        &self.0
    }

    /// The trap, out of its box.
    pub fn into_trap(self) -> Trap {
        *self.0
    }

    /// A fault of the host's: a value that does not fit its type.
    #[cold]
    pub fn host_value(message: impl Into<String>) -> Fault {
        Trap::HostValue {
            message: message.into().into_boxed_str(),
        }
        .into()
    }

    /// A rule of the runtime's that the guest broke and that has no variant of its own.
    #[cold]
    pub fn other(message: impl Into<String>) -> Fault {
        Trap::Other {
            message: message.into().into_boxed_str(),
        }
        .into()
    }

    /// Whether the host, not the guest, is at fault ([`Trap::is_host_fault`]).
    pub fn is_host_fault(&self) -> bool {
        self.0.is_host_fault()
    }
}

impl From<Trap> for Fault {
    #[cold]
    fn from(t: Trap) -> Fault {
        Fault(Box::new(t))
    }
}

impl fmt::Debug for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Fault {}
