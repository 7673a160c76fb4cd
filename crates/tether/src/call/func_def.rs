//! What a component function is at run time: lifted from a guest's core function
//! ([`LiftedFunc`]), a `canon lower`ed import ([`Lowered`]), or the host's ([`FuncDef`]).

use std::sync::Arc;

use anyhow::{Result, anyhow};
use wasmparser::component_types::ResourceId;

use super::cx::{GuestMemory, Opts};
use crate::plan::translate::{CanonOpts, ComponentDef, Item, ResourceOp};
use crate::plan::types::FuncSig;
use crate::state::runtime::{FastMap, InstanceId, Runtime};

/// A component function: lifted from a guest's core function, or defined by the host.
#[derive(Clone)]
pub(crate) enum FuncDef {
    Lifted(Arc<LiftedFunc>),
    /// A host function, by index into the store's host functions.
    Host(u32),
    /// A function Tether cannot call yet (an async lift); calling it is an error that says so.
    Unsupported(Arc<str>),
}

/// How a function was lifted, as far as calling it differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LiftKind {
    /// A synchronous lift of a function whose type is not `async`: the fast paths.
    Sync,
    /// A synchronous lift of an `async`-typed function: a task that takes the instance's
    /// exclusive lock and may block.
    SyncAsyncTyped,
    /// An `async (callback ...)` lift: results through `task.return`, then the callback loop.
    Callback,
}

/// A `canon lift`ed function of one instance.
pub(crate) struct LiftedFunc {
    pub core: wasmtime::Func,
    pub kind: LiftKind,
    /// The `callback` of a [`LiftKind::Callback`] lift.
    pub callback: Option<wasmtime::Func>,
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
    /// Lowered with the `async` option: the async ABI's core signature and return code.
    pub async_: bool,
    /// The callee's type is `async`: a synchronous lower of it may block.
    pub ft_async: bool,
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
    /// A `canon lower` not resolved yet: item `item` of the instance whose index spaces the
    /// store keeps as frame `frame` ([`LazyFrame`]) once its instantiation is over. Most
    /// lowered imports are never called in a given instance, so resolving each (callee,
    /// options, resource types) only at its first call saves that work for the rest.
    Lazy {
        frame: u32,
        item: u32,
    },
}

/// The index spaces of an instance that lowered functions resolve lazily from: what their
/// items refer to by index, as they were when instantiation finished (index spaces only
/// grow, so an index means the same then as when the item was reached).
pub(crate) struct LazyFrame {
    pub def: Arc<ComponentDef>,
    pub instance: InstanceId,
    pub funcs: Vec<FuncDef>,
    pub core_funcs: Vec<wasmtime::Func>,
    pub core_memories: Vec<wasmtime::Memory>,
    pub bindings: FastMap<ResourceId, u32>,
}

/// The index spaces of an instance, as far as a `canon lower` or `canon lift` reads them.
pub(crate) struct Spaces<'a> {
    pub instance: InstanceId,
    pub funcs: &'a [FuncDef],
    pub core_funcs: &'a [wasmtime::Func],
    pub core_memories: &'a [wasmtime::Memory],
    pub bindings: &'a FastMap<ResourceId, u32>,
}

impl Spaces<'_> {
    fn core_func(&self, i: u32) -> Result<wasmtime::Func> {
        self.core_funcs
            .get(i as usize)
            .copied()
            .ok_or_else(|| anyhow!("internal error: no core function {i}"))
    }

    /// The canonical options `o` with their memory and functions (the caller has checked
    /// that the memory is 32-bit).
    pub fn opts(&self, o: &CanonOpts) -> Result<Opts> {
        let memory = match o.memory {
            Some(m) => Some(GuestMemory::new(
                *self
                    .core_memories
                    .get(m as usize)
                    .ok_or_else(|| anyhow!("internal error: no core memory {m}"))?,
            )),
            None => None,
        };
        Ok(Opts {
            encoding: o.encoding,
            memory,
            realloc: o.realloc.map(|i| self.core_func(i)).transpose()?,
            post_return: o.post_return.map(|i| self.core_func(i)).transpose()?,
        })
    }

    /// The store-level resource type of each of `ids`.
    pub fn resources(&self, ids: &[ResourceId]) -> Result<Vec<u32>> {
        // One allocation of the right size (collecting into a `Result` cannot know the length).
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let rt =
                self.bindings.get(id).copied().ok_or_else(|| {
                    anyhow!("internal error: unbound resource type in a signature")
                })?;
            out.push(rt);
        }
        Ok(out)
    }

    /// What item `item` of `def`, a `canon lower`, calls, and how.
    pub fn lowered_item(&self, def: &ComponentDef, rt: &Runtime, item: u32) -> Result<Lowered> {
        match def.items.get(item as usize) {
            Some(Item::Lower {
                func,
                sig,
                opts,
                ft_async,
                ..
            }) => self.lowered(rt, *func, sig, opts, *ft_async),
            _ => Err(anyhow!(
                "internal error: item {item} is not a `canon lower`"
            )),
        }
    }

    /// What the `canon lower` of function `func` with `sig` and `opts` calls, and how.
    pub fn lowered(
        &self,
        rt: &Runtime,
        func: u32,
        sig: &Arc<FuncSig>,
        opts: &CanonOpts,
        ft_async: bool,
    ) -> Result<Lowered> {
        let callee = self
            .funcs
            .get(func as usize)
            .cloned()
            .ok_or_else(|| anyhow!("internal error: no function {func}"))?;
        let resources = self.resources(&sig.resources)?;
        let guest_resources = any_guest_resource(rt, &resources);
        Ok(Lowered {
            callee,
            sig: sig.clone(),
            async_: opts.async_,
            ft_async,
            opts: self.opts(opts)?,
            instance: self.instance,
            resources,
            guest_resources,
        })
    }
}

impl LazyFrame {
    fn spaces(&self) -> Spaces<'_> {
        Spaces {
            instance: self.instance,
            funcs: &self.funcs,
            core_funcs: &self.core_funcs,
            core_memories: &self.core_memories,
            bindings: &self.bindings,
        }
    }

    /// Resolves item `item`, a `canon lower`, against these index spaces.
    pub fn resolve(&self, rt: &Runtime, item: u32) -> Result<Lowered> {
        self.spaces().lowered_item(&self.def, rt, item)
    }
}
