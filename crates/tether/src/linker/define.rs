//! The host's definitions: functions (`func_new`, `func_wrap`), methods of host objects,
//! resource types and modules, added to a [`LinkerInstance`].

use std::sync::Arc;

use anyhow::{Result, anyhow, bail};

use super::*;

impl<T: 'static> LinkerInstance<'_, T> {
    /// Defines a host function taking and returning dynamically typed values.
    ///
    /// The function receives the arguments in `params` and writes its results into
    /// `results`, which has one slot per result. Returning an error traps the calling guest.
    pub fn func_new(
        &mut self,
        name: &str,
        f: impl Fn(StoreContextMut<'_, T>, &[crate::Val], &mut [crate::Val]) -> Result<()>
        + Send
        + Sync
        + 'static,
    ) -> Result<()> {
        self.map.insert(
            name,
            Definition::Func(HostFuncDef {
                forms: Arc::new(HostFuncForms {
                    dynamic: Arc::new(f),
                    raw: None,
                    raw_method: None,
                    direct: None,
                    revoked: None,
                }),
                check: None,
            }),
            self.shadowing,
        )
    }

    /// Defines a host function over Rust types: `P` and `R` are tuples of
    /// [`ComponentType`](crate::ComponentType)s, checked against the import's type when a
    /// component is linked.
    ///
    /// ```
    /// # let engine = tether::Engine::default();
    /// let mut linker = tether::Linker::<()>::new(&engine);
    /// linker.root().func_wrap("add", |_store, (a, b): (u32, u32)| Ok((a + b,)))?;
    /// # anyhow::Ok(())
    /// ```
    pub fn func_wrap<P, R>(
        &mut self,
        name: &str,
        f: impl Fn(StoreContextMut<'_, T>, P) -> Result<R> + Send + Sync + 'static,
    ) -> Result<()>
    where
        P: crate::call::values::ComponentNamedList,
        R: crate::call::values::ComponentNamedList,
    {
        let f = Arc::new(f);
        let raw: Option<Arc<RawHostFn<T>>> = if P::ALL_RAW && R::ALL_RAW {
            let f = f.clone();
            Some(Arc::new(
                move |mut store: StoreContextMut<'_, T>,
                      args: &[u64],
                      out: &mut [u64]|
                      -> Result<()> {
                    let mut cx = crate::call::values::RawCx {
                        rt: &mut store.0.data_mut().rt,
                    };
                    let p = P::from_flat(args, &mut cx).map_err(crate::call::error::trap)?;
                    f(store, p)?.to_flat(out);
                    Ok(())
                },
            ))
        } else {
            None
        };
        let direct: Option<Arc<DirectHostFn<T>>> = if P::ALL_DIRECT && R::ALL_DIRECT {
            let f = f.clone();
            Some(Arc::new(
                move |store: &mut Wt<'_, T>,
                      call: &crate::call::func_def::DirectCall<'_>,
                      out: &mut [u64]|
                      -> Result<()> {
                    let p = call.params::<T, P>(store, 0)?;
                    let r = f(
                        StoreContextMut(wasmtime::AsContextMut::as_context_mut(store)),
                        p,
                    )?;
                    call.results(store, &r, out)
                },
            ))
        } else {
            None
        };
        let dynamic = move |store: StoreContextMut<'_, T>,
                            params: &[crate::Val],
                            results: &mut [crate::Val]|
              -> Result<()> {
            let p = P::from_vals(params.to_vec())?;
            let r = f(store, p)?;
            for (slot, v) in results.iter_mut().zip(r.to_vals()) {
                *slot = v;
            }
            Ok(())
        };
        let check: SigCheck = |sig, bound| {
            P::typecheck(&sig.params).map_err(|e| e.context("parameters do not match"))?;
            R::typecheck(&sig.results).map_err(|e| e.context("results do not match"))?;
            check_handles::<P>(sig, &sig.params, bound, "parameter")?;
            check_handles::<R>(sig, &sig.results, bound, "result")
        };
        self.map.insert(
            name,
            Definition::Func(HostFuncDef {
                forms: Arc::new(HostFuncForms {
                    dynamic: Arc::new(dynamic),
                    raw,
                    raw_method: None,
                    direct,
                    revoked: None,
                }),
                check: Some(check),
            }),
            self.shadowing,
        )
    }

    /// Defines a core module.
    pub fn module(&mut self, name: &str, module: &crate::Module) -> Result<()> {
        self.map.insert(
            name,
            Definition::Module(module.core.clone()),
            self.shadowing,
        )
    }

    /// Defines a host resource type, with the destructor run when a guest drops an owned
    /// handle to it.
    pub fn resource(
        &mut self,
        name: &str,
        ty: ResourceType,
        dtor: impl Fn(StoreContextMut<'_, T>, u32) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        self.map.insert(
            name,
            Definition::Resource(ty, Arc::new(dtor)),
            self.shadowing,
        )
    }

    /// Defines a resource type backed by host objects of the Rust type `R`: guests hold
    /// handles to `R`s that the store keeps, and an `R` is dropped (Rust's `Drop`) when its
    /// last owner lets it go. See [`Own`](crate::Own), [`Borrow`](crate::Borrow) and
    /// [`method`](Self::method).
    pub fn resource_host<R: Send + 'static>(&mut self, name: &str) -> Result<()> {
        self.map.insert(
            name,
            Definition::Objects(
                crate::host::object_type::<R>,
                ResourceType::host::<R>(),
                None,
            ),
            self.shadowing,
        )
    }

    /// Like [`resource_host`](Self::resource_host), with a callback that receives each object
    /// a guest drops (instead of it being dropped right away), with the store at hand.
    pub fn resource_host_with_drop<R: Send + 'static>(
        &mut self,
        name: &str,
        on_drop: impl Fn(StoreContextMut<'_, T>, R) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        let dtor = move |store: StoreContextMut<'_, T>,
                         object: Box<dyn std::any::Any + Send>|
              -> Result<()> {
            match object.downcast::<R>() {
                Ok(r) => on_drop(store, *r),
                Err(_) => bail!("host object is not a `{}`", std::any::type_name::<R>()),
            }
        };
        self.map.insert(
            name,
            Definition::Objects(
                crate::host::object_type::<R>,
                ResourceType::host::<R>(),
                Some(Arc::new(dtor)),
            ),
            self.shadowing,
        )
    }

    /// Defines a method of a host resource type: the function's first parameter is
    /// `self: borrow<R>`, and `f` receives the object itself as `&mut R`, followed by the
    /// store and the other parameters.
    ///
    /// While `f` runs, the object is out of the store's table: a second borrow of the same
    /// object in the same call is refused with a trap, so two `&mut R` never exist.
    ///
    /// ```
    /// struct Counter(u32);
    /// # let engine = tether::Engine::default();
    /// let mut linker = tether::Linker::<()>::new(&engine);
    /// let mut root = linker.root();
    /// root.resource_host::<Counter>("counter")?;
    /// root.func_wrap("[constructor]counter", |mut store, (): ()| Ok((store.push(Counter(0))?,)))?;
    /// root.method("[method]counter.bump", |c: &mut Counter, _store, (by,): (u32,)| {
    ///     c.0 += by;
    ///     Ok((c.0,))
    /// })?;
    /// # anyhow::Ok(())
    /// ```
    pub fn method<R, P, Res>(
        &mut self,
        name: &str,
        f: impl Fn(&mut R, StoreContextMut<'_, T>, P) -> Result<Res> + Send + Sync + 'static,
    ) -> Result<()>
    where
        R: Send + 'static,
        P: crate::call::values::ComponentNamedList,
        Res: crate::call::values::ComponentNamedList,
    {
        self.method_inner(name, f, None)
    }

    /// Like [`method`](Self::method), with what the guest receives when the host revoked
    /// the object its `self` names: `revoked` gets the store and the other parameters (so
    /// that it can dispose of owned handles among them) and returns the results, typically
    /// the error case of the method's `result`. Without it, such a call traps
    /// ([`Trap::Revoked`](crate::Trap::Revoked)); `bindgen!`'s `revoked` option uses this.
    ///
    /// Only `self` has a fallback: a revoked handle in another parameter traps as usual.
    ///
    /// ```
    /// struct Socket;
    /// # let engine = tether::Engine::default();
    /// let mut linker = tether::Linker::<()>::new(&engine);
    /// let mut root = linker.root();
    /// root.resource_host::<Socket>("socket")?;
    /// root.method_or_revoked(
    ///     "[method]socket.send",
    ///     |_s: &mut Socket, _store, (bytes,): (Vec<u8>,)| Ok((Ok::<u64, String>(bytes.len() as u64),)),
    ///     |_store, _params| Ok((Err("connection reset".to_string()),)),
    /// )?;
    /// # anyhow::Ok(())
    /// ```
    pub fn method_or_revoked<R, P, Res>(
        &mut self,
        name: &str,
        f: impl Fn(&mut R, StoreContextMut<'_, T>, P) -> Result<Res> + Send + Sync + 'static,
        revoked: impl Fn(StoreContextMut<'_, T>, P) -> Result<Res> + Send + Sync + 'static,
    ) -> Result<()>
    where
        R: Send + 'static,
        P: crate::call::values::ComponentNamedList,
        Res: crate::call::values::ComponentNamedList,
    {
        self.method_inner(name, f, Some(Arc::new(revoked)))
    }

    fn method_inner<R, P, Res>(
        &mut self,
        name: &str,
        f: impl Fn(&mut R, StoreContextMut<'_, T>, P) -> Result<Res> + Send + Sync + 'static,
        revoked: Option<Arc<RevokedFn<T, P, Res>>>,
    ) -> Result<()>
    where
        R: Send + 'static,
        P: crate::call::values::ComponentNamedList,
        Res: crate::call::values::ComponentNamedList,
    {
        let f = Arc::new(f);
        // The raw paths lift `self` before the method's own code runs: a method with a
        // fallback for a revoked `self` takes the direct path, where it is lifted here.
        let raw_ok = P::ALL_RAW && Res::ALL_RAW && revoked.is_none();
        let raw: Option<Arc<RawHostFn<T>>> = if raw_ok {
            let f = f.clone();
            Some(Arc::new(
                move |mut store: StoreContextMut<'_, T>,
                      args: &[u64],
                      out: &mut [u64]|
                      -> Result<()> {
                    let (index, generation) = (args[0] as u32, (args[0] >> 32) as u32);
                    let object = store.0.data_mut().rt.objects.lend(index, generation)?;
                    let r = use_lent(&mut store.0, index, object, |obj: &mut R, mut cx| {
                        let mut raw = crate::call::values::RawCx {
                            rt: &mut cx.0.data_mut().rt,
                        };
                        P::from_flat(&args[1..], &mut raw)
                            .map_err(crate::call::error::trap)
                            .and_then(|p| f(obj, cx, p))
                    })?;
                    r.to_flat(out);
                    Ok(())
                },
            ))
        } else {
            None
        };
        let raw_method: Option<Arc<RawMethodFn<T>>> = if raw_ok {
            let f = f.clone();
            Some(Arc::new(
                move |store: &mut Wt<'_, T>,
                      slot: u32,
                      args: &[u64],
                      out: &mut [u64]|
                      -> Result<()> {
                    let object = store.data_mut().rt.objects.lend_live(slot)?;
                    let r = use_lent(store, slot, object, |obj: &mut R, mut cx| {
                        let mut raw = crate::call::values::RawCx {
                            rt: &mut cx.0.data_mut().rt,
                        };
                        P::from_flat(args, &mut raw)
                            .map_err(crate::call::error::trap)
                            .and_then(|p| f(obj, cx, p))
                    })?;
                    r.to_flat(out);
                    Ok(())
                },
            ))
        } else {
            None
        };
        let direct: Option<Arc<DirectHostFn<T>>> = if P::ALL_DIRECT && Res::ALL_DIRECT {
            let f = f.clone();
            let revoked = revoked.clone();
            Some(Arc::new(
                move |store: &mut Wt<'_, T>,
                      call: &crate::call::func_def::DirectCall<'_>,
                      out: &mut [u64]|
                      -> Result<()> {
                    let this = match call.self_handle(store) {
                        Ok(this) => this,
                        Err(e) => match &revoked {
                            Some(revoked) if is_revoked(&e) => {
                                let p = call.params::<T, P>(store, 1)?;
                                let r = revoked(
                                    StoreContextMut(wasmtime::AsContextMut::as_context_mut(store)),
                                    p,
                                )?;
                                return call.results(store, &r, out);
                            }
                            _ => return Err(e),
                        },
                    };
                    let p = call.params::<T, P>(store, 1)?;
                    let objects = &mut store.data_mut().rt.objects;
                    let this = this.parts();
                    let object = objects.lend(this.index, this.generation)?;
                    let r = use_lent(store, this.index, object, |obj: &mut R, cx| f(obj, cx, p))?;
                    call.results(store, &r, out)
                },
            ))
        } else {
            None
        };
        let dynamic = move |mut store: StoreContextMut<'_, T>,
                            params: &[crate::Val],
                            results: &mut [crate::Val]|
              -> Result<()> {
            let (this, rest) = params.split_first().ok_or_else(|| {
                anyhow!(
                    "method `{name_of}` received no `self`",
                    name_of = std::any::type_name::<R>()
                )
            })?;
            let crate::Val::Resource(handle) = this else {
                bail!("type mismatch: `self` is not a resource handle")
            };
            let objects = &mut store.0.data_mut().rt.objects;
            let handle = handle.parts();
            let object = objects.lend(handle.index, handle.generation)?;
            let r = use_lent(&mut store.0, handle.index, object, |obj: &mut R, cx| {
                P::from_vals(rest.to_vec()).and_then(|p| f(obj, cx, p))
            })?;
            for (slot, v) in results.iter_mut().zip(r.to_vals()) {
                *slot = v;
            }
            Ok(())
        };
        // The `Val` form of the fallback: the parameters after `self` in, the results out.
        let revoked_dynamic: Option<Arc<crate::call::store::HostFn<T>>> = revoked.map(|revoked| {
            Arc::new(
                move |store: StoreContextMut<'_, T>,
                      params: &[crate::Val],
                      results: &mut [crate::Val]|
                      -> Result<()> {
                    let r = revoked(store, P::from_vals(params.to_vec())?)?;
                    for (slot, v) in results.iter_mut().zip(r.to_vals()) {
                        *slot = v;
                    }
                    Ok(())
                },
            ) as Arc<crate::call::store::HostFn<T>>
        });
        let check: SigCheck = |sig, bound| {
            let Some(tether_abi::Type::Borrow(this)) = sig.params.first() else {
                bail!("a method's first parameter must be `self: borrow<...>`")
            };
            check_handle(sig, *this, ResourceType::host::<R>(), bound, "`self`")?;
            P::typecheck(&sig.params[1..]).map_err(|e| e.context("parameters do not match"))?;
            Res::typecheck(&sig.results).map_err(|e| e.context("results do not match"))?;
            check_handles::<P>(sig, &sig.params[1..], bound, "parameter")?;
            check_handles::<Res>(sig, &sig.results, bound, "result")
        };
        self.map.insert(
            name,
            Definition::Func(HostFuncDef {
                forms: Arc::new(HostFuncForms {
                    dynamic: Arc::new(dynamic),
                    raw,
                    raw_method,
                    direct,
                    revoked: revoked_dynamic,
                }),
                check: Some(check),
            }),
            self.shadowing,
        )
    }

    /// The nested instance `name`, created if absent.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        LinkerInstance::instance_in(self.map, name, self.shadowing)
    }

    pub(super) fn instance_in<'m>(
        map: &'m mut Map<T>,
        name: &str,
        shadowing: bool,
    ) -> Result<LinkerInstance<'m, T>> {
        let pos = match map.items.iter().position(|(n, _)| n == name) {
            Some(p) => p,
            None => {
                map.items
                    .push((name.to_string(), Definition::Instance(Map::new())));
                map.items.len() - 1
            }
        };
        match &mut map.items[pos].1 {
            Definition::Instance(m) => Ok(LinkerInstance { map: m, shadowing }),
            other => bail!("`{name}` is already defined as a {}", other.kind()),
        }
    }
}

/// What a method defined with `LinkerInstance::method_or_revoked` returns for a revoked
/// `self`.
type RevokedFn<T, P, Res> =
    dyn Fn(StoreContextMut<'_, T>, P) -> Result<Res> + Send + Sync + 'static;

/// Whether a call's error is a guest's use of a revoked handle.
#[cold]
fn is_revoked(e: &anyhow::Error) -> bool {
    matches!(e.downcast_ref(), Some(crate::Trap::Revoked { .. }))
}
