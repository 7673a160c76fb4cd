//! Provenance: where a guest's own handle was made, recorded when the engine's configuration
//! asks for it (`Config::handle_provenance`).
//!
//! Every path that gives a guest an own handle (a host function's result, an argument of a
//! call into the guest, `resource.new`) calls [`note`] after the handle is in the table, but
//! only when the store counts its handles (`Quotas::on`, which provenance turns on): a store
//! without quotas or provenance pays one test of a flag it tests anyway.

use std::sync::Arc;

use super::Wt;
use crate::state::runtime::{HandleOrigin, InstanceId};

/// Records where the own handle `index` of `instance` was made: the guest's wasm backtrace
/// now, and its innermost function. Does nothing unless provenance is on.
#[cold]
#[inline(never)]
pub(crate) fn note<T>(store: &mut Wt<'_, T>, instance: InstanceId, index: u32) {
    if store.data().rt.origins.is_none() {
        return;
    }
    let trace = wasmtime::WasmBacktrace::force_capture(&*store);
    let function = trace
        .frames()
        .first()
        .and_then(|f| f.func_name())
        .map(Arc::from);
    let origin = Arc::new(HandleOrigin {
        function,
        backtrace: Arc::from(trace.to_string()),
    });
    if let Some(origins) = &mut store.data_mut().rt.origins {
        origins.insert((instance, index), origin);
    }
}
