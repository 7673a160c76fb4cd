//! What a component function is at run time: lifted from a guest's core function
//! ([`LiftedFunc`]), a `canon lower`ed import ([`Lowered`]), or the host's ([`FuncDef`]).

use std::sync::Arc;

use super::cx::Opts;
use crate::plan::translate::ResourceOp;
use crate::plan::types::FuncSig;
use crate::state::runtime::{InstanceId, Runtime};

/// A component function: lifted from a guest's core function, or defined by the host.
#[derive(Clone)]
pub(crate) enum FuncDef {
    Lifted(Arc<LiftedFunc>),
    /// A host function, by index into the store's host functions.
    Host(u32),
    /// A function Tether cannot call yet (an async lift); calling it is an error that says so.
    Unsupported(Arc<str>),
}

/// A `canon lift`ed function of one instance.
pub(crate) struct LiftedFunc {
    pub core: wasmtime::Func,
    pub sig: Arc<FuncSig>,
    pub opts: Opts,
    pub instance: InstanceId,
    /// The store-level resource type of each of `sig.resources`.
    pub resources: Vec<u32>,
    /// Whether one of `resources` is defined by a guest: its handles reach the embedder
    /// through the store's host handle table, which only the `Val` path translates.
    pub guest_resources: bool,
}

/// What a `canon lower`ed core function calls, and how.
pub(crate) struct Lowered {
    pub callee: FuncDef,
    pub sig: Arc<FuncSig>,
    pub opts: Opts,
    pub instance: InstanceId,
    pub resources: Vec<u32>,
    /// As [`LiftedFunc::guest_resources`].
    pub guest_resources: bool,
}

/// Whether one of the store-level resource types `resources` is defined by a guest.
pub(crate) fn any_guest_resource(rt: &Runtime, resources: &[u32]) -> bool {
    resources
        .iter()
        .any(|&r| rt.resource_types[r as usize].implementer.is_some())
}

/// One guest call of a typed host function on the direct path: what the function needs to
/// lift its parameters and lower its results itself.
pub(crate) struct DirectCall<'a> {
    pub lowered: &'a Lowered,
    /// The call's scope, when it has one (see `call_lowered_direct`).
    pub scope: Option<usize>,
    /// The bytes copied for the call.
    pub copied: std::cell::Cell<u64>,
    /// The parameters' core values: the flat values, or one pointer when they spill.
    pub args: &'a [u64],
    /// Where the results go when they spill: the caller's return area.
    pub out_ptr: Option<u32>,
}

/// What an instantiation resolved for a core function it defers: a shared slot's, whose
/// closure is built from this at its first call (see `shared.rs`).
pub(crate) enum Pending {
    Lower(Lowered),
    Intrinsic {
        op: ResourceOp,
        rt: u32,
        instance: InstanceId,
    },
}
