//! The host on Tether written by hand (`tether-bench --tether-host manual`): host objects
//! defined with `resource_host`, methods with `method`, functions with `func_wrap`.
//! The default is the host of `tether_bindgen_host.rs`, written through `tether::bindgen!`.

use std::sync::Arc;

use anyhow::{Result, ensure};
use tether::{Component, Engine, InstancePre, Linker, Own, Store, TypedFunc};

use crate::pages::{Pages, Response};

/// The instance `tether:bench/host` is imported as.
const HOST: &str = "tether:bench/host";

/// The store's data.
pub struct State {
    pages: Arc<Pages>,
}

/// The guest on Tether: one long-lived store and instance for the guest → host scenarios.
pub struct Side {
    engine: Engine,
    pre: InstancePre<State>,
    store: Store<State>,
    instance: tether::Instance,
    run: TypedFunc<(String, u32), (u64,)>,
    pages: Arc<Pages>,
}

fn linker(engine: &Engine) -> Result<Linker<State>> {
    let mut linker = Linker::<State>::new(engine);
    let mut host = linker.instance(HOST)?;
    host.func_wrap("noop", |_store, (): ()| Ok(()))?;
    host.func_wrap("add", |_store, (a, b): (u32, u32)| Ok((a.wrapping_add(b),)))?;
    host.resource_host::<Response>("response")?;
    host.func_wrap(
        "[constructor]response",
        |mut store, (body, status): (Vec<u8>, u16)| Ok((store.push(Response { status, body })?,)),
    )?;
    host.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )?;
    host.method(
        "[method]response.body-len",
        |r: &mut Response, _store, (): ()| Ok((r.body.len() as u32,)),
    )?;
    host.func_wrap(
        "[static]response.body",
        |mut store, (this,): (Own<Response>,)| Ok((store.take(this)?.body,)),
    )?;
    host.func_wrap("[static]response.not-found", |mut store, (): ()| {
        Ok((store.push(Response {
            status: 404,
            body: Vec::new(),
        })?,))
    })?;
    host.func_wrap("fetch", |mut store, (url,): (String,)| {
        let response = store.data().pages.fetch(&url);
        Ok((store.push(response)?,))
    })?;
    host.func_wrap("fetch-copy", |store, (url,): (String,)| {
        let Response { status, body } = store.data().pages.fetch(&url);
        Ok(((status, body),))
    })?;
    Ok(linker)
}

impl Side {
    pub fn new(bytes: &[u8], pages: Arc<Pages>) -> Result<Side> {
        let engine = Engine::default();
        let component = Component::new(&engine, bytes)?;
        let pre = linker(&engine)?.instantiate_pre(&component)?;
        let mut store = Store::new(
            &engine,
            State {
                pages: pages.clone(),
            },
        );
        let instance = pre.instantiate(&mut store)?;
        let run = instance.get_typed_func::<(String, u32), (u64,)>(&mut store, "run")?;
        Ok(Side {
            engine,
            pre,
            store,
            instance,
            run,
            pages,
        })
    }
}

impl crate::TetherSide for Side {
    fn set_response_quota(&mut self, max: u32) {
        self.store.set_resource_quota(crate::RESPONSE, max);
    }

    /// `run(scenario, iters)` once; checks that no response outlives the call.
    fn run(&mut self, scenario: &str, iters: u32) -> Result<u64> {
        let (sum,) = self
            .run
            .call(&mut self.store, (scenario.to_string(), iters))?;
        ensure!(
            self.store.host_objects() == 0,
            "{scenario}: {} responses outlived the call",
            self.store.host_objects()
        );
        Ok(sum)
    }

    /// Host → guest: `run("empty", 0)`, `iters` times.
    fn export_call(&mut self, iters: u32) -> Result<()> {
        for _ in 0..iters {
            let (sum,) = self.run.call(&mut self.store, ("empty".to_string(), 0))?;
            ensure!(sum == 0);
        }
        Ok(())
    }

    /// A new store and an instance of the pre-linked component, `iters` times.
    fn instantiate(&mut self, iters: u32) -> Result<()> {
        for _ in 0..iters {
            let mut store = Store::new(
                &self.engine,
                State {
                    pages: self.pages.clone(),
                },
            );
            let instance = self.pre.instantiate(&mut store)?;
            std::hint::black_box(&instance);
        }
        Ok(())
    }

    /// Compiles the component `iters` times.
    fn compile(&mut self, bytes: &[u8], iters: u32) -> Result<()> {
        for _ in 0..iters {
            std::hint::black_box(Component::new(&self.engine, bytes)?);
        }
        Ok(())
    }

    /// Bytes copied into the guest's memory so far.
    fn bytes_into_guest(&self) -> u64 {
        self.instance.bytes_copied(&self.store).into_guest
    }
}
