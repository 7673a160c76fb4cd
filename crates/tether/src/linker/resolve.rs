//! Resolving one import against a definition in a store: host functions registered with the
//! store, resource types bound, instances and types synthesized where the component asks
//! for nothing the linker defines.

use std::sync::Arc;

use anyhow::{Result, bail};
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType, ResourceId};
use wasmparser::types::Types;

use super::*;

/// Resource types bound while linking one component, by `wasmparser` resource id, so that
/// `eq` constraints between imports can be checked.
pub(super) type Bound = crate::state::runtime::FastMap<ResourceId, u32>;

/// The resource an imported type declares: `referenced` is an earlier resource for an `eq`
/// bound, or a fresh abstract one for `sub resource`.
pub(super) fn type_resource(ty: ComponentEntityType) -> Option<(ResourceId, ResourceId)> {
    match ty {
        ComponentEntityType::Type {
            referenced: ComponentAnyTypeId::Resource(r),
            created,
        } => {
            let created = match created {
                ComponentAnyTypeId::Resource(c) => c.resource(),
                _ => r.resource(),
            };
            Some((r.resource(), created))
        }
        _ => None,
    }
}

/// Whether an import of type `ty` needs a definition: an empty instance, a non-resource type
/// or a resource type equal to one already bound does not.
pub(super) fn needs_definition(types: &Types, ty: ComponentEntityType, bound: &Bound) -> bool {
    match ty {
        ComponentEntityType::Type { .. } => match type_resource(ty) {
            Some((referenced, _)) => !bound.contains_key(&referenced),
            None => false,
        },
        ComponentEntityType::Instance(id) => types[id]
            .exports
            .values()
            .any(|item| needs_definition(types, item.ty, bound)),
        _ => true,
    }
}

/// The item for an import that needs no definition.
pub(super) fn synthesize(types: &Types, ty: ComponentEntityType, bound: &mut Bound) -> Export {
    match ty {
        ComponentEntityType::Instance(id) => {
            let mut exports = Exports::default();
            for (name, item) in types[id].exports.iter() {
                exports
                    .items
                    .push((name.as_str().into(), synthesize(types, item.ty, bound)));
            }
            Export::Instance(Arc::new(exports))
        }
        _ => match type_resource(ty) {
            Some((referenced, created)) => {
                let rt = bound.get(&referenced).copied();
                if let Some(rt) = rt {
                    bound.insert(created, rt);
                }
                Export::Type(rt)
            }
            None => Export::Type(None),
        },
    }
}

/// Binds an imported resource type to the store-level type `rt`, checking `eq` constraints.
pub(super) fn bind_resource(ty: ComponentEntityType, rt: u32, bound: &mut Bound) -> Result<()> {
    if let Some((referenced, created)) = type_resource(ty) {
        for id in [referenced, created] {
            match bound.get(&id) {
                Some(&have) if have != rt => bail!("mismatched resource types"),
                _ => {
                    bound.insert(id, rt);
                }
            }
        }
    }
    Ok(())
}

/// Turns what an import was linked to into the item that fills it.
pub(super) fn link_import<T: 'static>(
    store: &mut Wt<'_, T>,
    types: &Types,
    l: &Linked<T>,
    bound: &mut Bound,
) -> Result<Export> {
    match &l.to {
        LinkedTo::Definition(d) => {
            let e = resolve(store, types, &l.name, l.ty, d, bound)?;
            if let (Export::Type(Some(rt)), Some(full)) = (&e, &l.resource_name) {
                store.data_mut().rt.name_type(*rt, || full.clone());
            }
            Ok(e)
        }
        LinkedTo::Instance(items) => {
            let mut exports = Exports {
                items: Vec::with_capacity(items.len()),
            };
            for item in items {
                let e = link_import(store, types, item, bound).map_err(|e| {
                    let name = &item.name;
                    e.context(format!("instance export `{name}`"))
                })?;
                exports.items.push((item.name.clone(), e));
            }
            Ok(Export::Instance(Arc::new(exports)))
        }
        LinkedTo::Nothing if !needs_definition(types, l.ty, bound) => {
            Ok(synthesize(types, l.ty, bound))
        }
        LinkedTo::Nothing => bail!("`{}` was not found", l.name),
    }
}

/// Turns a definition into the item that fills an import of type `ty`, checking its kind.
/// The Rust types of typed host functions were checked by [`precheck`].
pub(super) fn resolve<T: 'static>(
    store: &mut Wt<'_, T>,
    types: &Types,
    name: &str,
    ty: ComponentEntityType,
    d: &Definition<T>,
    bound: &mut Bound,
) -> Result<Export> {
    if let Definition::Item(e, store_id) = d {
        if *store_id != store.data().rt.store_id {
            bail!(
                "`{name}` is an instance of another store: `Linker::instance_exports` items fill imports only in the store of their instance"
            );
        }
        return check_item(types, name, ty, e, bound);
    }
    match (ty, d) {
        (ComponentEntityType::Func(_), Definition::Func(f)) => {
            Ok(Export::Func(FuncDef::Host(host_func_index(store, f))))
        }
        (ComponentEntityType::Module(id), Definition::Module(m)) => {
            check_module(types, id, m)?;
            Ok(Export::Module(m.clone()))
        }
        (ComponentEntityType::Type { .. }, Definition::Resource(rty, dtor)) => {
            let data = store.data_mut();
            let rt = crate::state::embedder::host_resource_type(&mut data.rt, *rty);
            if data.rt.resource_types[rt as usize].dtor.is_none() {
                data.host_dtors.push(dtor.clone());
                data.rt.resource_types[rt as usize].dtor =
                    Some(Dtor::Host((data.host_dtors.len() - 1) as u32));
            }
            bind_resource(ty, rt, bound)?;
            Ok(Export::Type(Some(rt)))
        }
        (ComponentEntityType::Type { .. }, Definition::Objects(object_type, _, on_drop)) => {
            let data = store.data_mut();
            let rt = object_type(&mut data.rt);
            if let Some(on_drop) = on_drop
                && data.rt.resource_types[rt as usize].dtor.is_none()
            {
                data.object_dtors.push(on_drop.clone());
                data.rt.resource_types[rt as usize].dtor =
                    Some(Dtor::Object((data.object_dtors.len() - 1) as u32));
            }
            bind_resource(ty, rt, bound)?;
            Ok(Export::Type(Some(rt)))
        }
        (ComponentEntityType::Component(_), _) => {
            bail!("root-level component imports are not supported")
        }
        (ComponentEntityType::Value(_), _) => bail!("unsupported: component value imports"),
        (ty, d) => bail!("expected {} found {}", entity_kind(&ty), d.kind()),
    }
}

pub(super) fn host_func_index<T>(store: &mut Wt<'_, T>, f: &HostFuncDef<T>) -> u32 {
    let key = Arc::as_ptr(&f.forms) as *const () as usize;
    let data = store.data_mut();
    if let Some(&i) = data.host_func_ids.get(&key) {
        return i;
    }
    data.host_funcs.push(f.forms.clone());
    let i = (data.host_funcs.len() - 1) as u32;
    data.host_func_ids.insert(key, i);
    i
}
