//! [`Instance`]: an instance of a component, as the host sees it.

use std::sync::Arc;

use anyhow::{Result, anyhow};

use crate::call::instantiate::{Export, Exports};
use crate::call::store::{AsContext, AsContextMut};
use crate::call::values::ComponentNamedList;
use crate::func::Func;
use crate::state::runtime::InstanceId;
use crate::typed::TypedFunc;

/// An instance of a component, as the host sees it.
#[derive(Clone)]
pub struct Instance {
    pub(crate) exports: Arc<Exports>,
    pub(crate) id: InstanceId,
    /// The store that holds it (`Runtime::store_id`).
    pub(crate) store_id: u64,
}

/// Bytes copied between the host and one component instance (with the instances nested in
/// it): string and list contents, and blocks allocated with `realloc`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BytesCopied {
    /// Written into the instance's memory.
    pub into_guest: u64,
    /// Read out of the instance's memory, counted as the host memory the lifted values take
    /// (see [`Limits::copy_bytes_per_call`](crate::Limits::copy_bytes_per_call)).
    pub out_of_guest: u64,
}

impl Instance {
    /// The exported function `name` at the root of the instance.
    pub fn get_func(&self, _store: impl AsContextMut, name: &str) -> Option<Func> {
        match self.exports.get(name)? {
            Export::Func(def) => Some(Func {
                def: def.clone(),
                name: name.into(),
                store_id: self.store_id,
            }),
            _ => None,
        }
    }

    /// The exported function `name` at the root, with Rust parameter and result types checked
    /// against its type.
    pub fn get_typed_func<P, R>(
        &self,
        store: impl AsContextMut,
        name: &str,
    ) -> Result<TypedFunc<P, R>>
    where
        P: ComponentNamedList,
        R: ComponentNamedList,
    {
        let f = self
            .get_func(store, name)
            .ok_or_else(|| anyhow!("no exported function `{name}`"))?;
        TypedFunc::new(f)
            .map_err(|e| e.context(format!("exported function `{name}` has the wrong type")))
    }

    /// The exported function at `path`: instance export names leading to a function name,
    /// such as `["wasi:cli/run@0.2.0", "run"]`.
    pub fn get_func_at(&self, _store: impl AsContextMut, path: &[&str]) -> Option<Func> {
        let (last, inner) = path.split_last()?;
        let mut exports = self.exports.clone();
        for name in inner {
            exports = match exports.get(name)? {
                Export::Instance(i) => i.clone(),
                _ => return None,
            };
        }
        match exports.get(last)? {
            Export::Func(def) => Some(Func {
                def: def.clone(),
                name: path.join("#").into(),
                store_id: self.store_id,
            }),
            _ => None,
        }
    }

    /// The bytes copied into and out of this instance's memories, nested instances included.
    pub fn bytes_copied(&self, store: impl AsContext) -> BytesCopied {
        let store = store.as_context();
        let rt = &store.0.data().rt;
        let mut total = BytesCopied::default();
        for (i, inst) in rt.instances.iter().enumerate() {
            let mut cur = Some(i as InstanceId);
            while let Some(c) = cur {
                if c == self.id {
                    total.into_guest = total.into_guest.saturating_add(inst.copied_in);
                    total.out_of_guest = total.out_of_guest.saturating_add(inst.copied_out);
                    break;
                }
                cur = rt.instances[c as usize].parent;
            }
        }
        total
    }

    /// The instance's number in its store: how [`HandleDetail`](crate::HandleDetail) and
    /// [`Trap::ResourceQuota`](crate::Trap::ResourceQuota) name it. Instances nested in it
    /// have numbers of their own.
    pub fn index(&self) -> u32 {
        self.id
    }

    /// The names of the instance's root exports, in order.
    pub fn export_names(&self) -> Vec<String> {
        self.exports
            .items
            .iter()
            .map(|(n, _)| n.to_string())
            .collect()
    }
}
