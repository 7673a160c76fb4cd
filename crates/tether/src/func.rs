//! [`Func`]: a component function as the host calls it, with [`Val`]s.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use tether_abi::{SourceEncoding, Val};

use crate::call::copy::refuse_for_host;
use crate::call::error::{lower_error, trap, unsupported_call};
use crate::call::func_def::FuncDef;
use crate::call::lift::call_lifted;
use crate::call::store::{AsContext, AsContextMut};
use crate::state::embedder;
use crate::state::runtime::Runtime;

#[cold]
fn wrong_store() -> anyhow::Error {
    anyhow!("the function belongs to another store: call it with the store of its instance")
}

/// A component function that the host can call.
#[derive(Clone)]
pub struct Func {
    pub(crate) def: FuncDef,
    /// The export name it was found under, for messages.
    pub(crate) name: Arc<str>,
    /// The store that holds its instance (`Runtime::store_id`).
    pub(crate) store_id: u64,
}

impl Func {
    /// Calls the function with `params`, writing its results into `results`.
    ///
    /// Runs the function's `post-return` before returning. A trap is returned as an error
    /// that names the fault; afterwards the instance that trapped cannot be entered again.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let mut store = store.as_context_mut();
        let r = self.call_inner(&mut store, params, results);
        // A `Val` caller keeps its handles: nothing to drop for it.
        store.0.data_mut().rt.refused_entry = false;
        r.map_err(|e| self.name_error(e))
    }

    /// Adds the function's name to an error from calling it.
    #[cold]
    pub(crate) fn name_error(&self, e: anyhow::Error) -> anyhow::Error {
        e.context(format!(
            "error while calling component function `{}`",
            self.name
        ))
    }

    /// The name the function was exported under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Fails unless `rt` is the runtime of the store that holds the function.
    #[inline]
    pub(crate) fn check_store(&self, rt: &Runtime) -> Result<()> {
        if rt.store_id != self.store_id {
            return Err(wrong_store());
        }
        Ok(())
    }

    pub(crate) fn call_inner(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let mut store = store.as_context_mut();
        self.check_store(&store.0.data().rt)?;
        match &self.def {
            FuncDef::Lifted(f) => {
                if params.len() != f.sig.params.len() {
                    anyhow::bail!(
                        "expected {} arguments, got {}",
                        f.sig.params.len(),
                        params.len()
                    );
                }
                if results.len() != f.sig.results.len() {
                    anyhow::bail!(
                        "expected {} results, got room for {}",
                        f.sig.results.len(),
                        results.len()
                    );
                }
                // The host holds no future or stream end yet: results that hand one over
                // drop it and make the call `unsupported:`.
                let ends = f.sig.has_async_values();
                if !f.sig.has_resources() {
                    return call_lifted(
                        &mut store.0,
                        f,
                        None,
                        SourceEncoding::Utf8,
                        params,
                        |store, vals| {
                            if ends {
                                refuse_for_host(&mut store.data_mut().rt, &vals)?;
                            }
                            for (slot, v) in results.iter_mut().zip(vals) {
                                *slot = v;
                            }
                            Ok(())
                        },
                    );
                }
                // Handles cross the embedder boundary: translate them both ways, once the
                // call is known to go ahead (the instance can be entered, every value fits
                // its type, every handle is live and of its type), so that a refused call
                // takes no handle away.
                let rt = &mut store.0.data_mut().rt;
                if let Err(fault) = rt.check_enter(f.instance, None) {
                    return Err(trap(rt.refused(None, fault)));
                }
                for (p, ty) in params.iter().zip(&f.sig.params) {
                    tether_abi::check_value(ty, p).map_err(lower_error)?;
                }
                let mut params = params.to_vec();
                let mut moved = Vec::new();
                for (p, ty) in params.iter_mut().zip(&f.sig.params) {
                    let rt = &store.0.data().rt;
                    embedder::check_from_embedder(rt, p, ty, &f.resources, &mut moved)?;
                }
                for (p, ty) in params.iter_mut().zip(&f.sig.params) {
                    embedder::from_embedder(&mut store.0.data_mut().rt, p, ty)?;
                }
                call_lifted(
                    &mut store.0,
                    f,
                    None,
                    SourceEncoding::Utf8,
                    &params,
                    |store, vals| {
                        if ends {
                            refuse_for_host(&mut store.data_mut().rt, &vals)?;
                        }
                        let mut borrows = Vec::new();
                        for (slot, mut v) in results.iter_mut().zip(vals) {
                            embedder::to_embedder(&mut store.data_mut().rt, &mut v, &mut borrows);
                            *slot = v;
                        }
                        Ok(())
                    },
                )
            }
            FuncDef::Host(i) => {
                let f = store.0.data().host_funcs[*i as usize].dynamic.clone();
                f(store.as_context_mut(), params, results)
            }
            FuncDef::Unsupported(what) => Err(unsupported_call(what)),
        }
    }

    /// How many parameters the function takes (for a host function, unknown: 0).
    pub fn param_count(&self, _store: impl AsContext) -> usize {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.params.len(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => 0,
        }
    }

    /// How many results the function returns (for a host function, unknown: 0).
    pub fn result_count(&self, _store: impl AsContext) -> usize {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.results.len(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => 0,
        }
    }

    /// The parameter types.
    pub fn params(&self, _store: impl AsContext) -> Vec<tether_abi::Type> {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.params.clone(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => Vec::new(),
        }
    }

    /// The result types.
    pub fn results(&self, _store: impl AsContext) -> Vec<tether_abi::Type> {
        match &self.def {
            FuncDef::Lifted(f) => f.sig.results.clone(),
            FuncDef::Host(_) | FuncDef::Unsupported(_) => Vec::new(),
        }
    }
}
