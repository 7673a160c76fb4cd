//! The host on Tether written through `tether::bindgen!`, as a user writes it: one `Host`
//! trait for `tether:bench/host`, whose `response` is the host's [`Response`] (by `with`), so
//! constructors return the object, methods receive `&mut Response`, and the consuming `body`
//! receives the `Response` itself.

use std::sync::Arc;

use anyhow::{Result, ensure};
use tether::{Component, Engine, InstancePre, Linker, Store};

use crate::pages::{Pages, Response};

mod bindings {
    ::tether::bindgen!({
        path: "../wit",
        world: "bench",
        with: { "tether:bench/host/response": crate::pages::Response },
    });
}

use bindings::Bench;

/// The store's data.
pub struct State {
    pages: Arc<Pages>,
}

impl bindings::tether::bench::host::Host for State {
    fn noop(&mut self) -> tether::Result<()> {
        Ok(())
    }

    fn add(&mut self, a: u32, b: u32) -> tether::Result<u32> {
        Ok(a.wrapping_add(b))
    }

    fn response_new(&mut self, body: Vec<u8>, status: u16) -> tether::Result<Response> {
        Ok(Response { status, body })
    }

    fn response_status(&mut self, this: &mut Response) -> tether::Result<u16> {
        Ok(this.status)
    }

    fn response_body_len(&mut self, this: &mut Response) -> tether::Result<u32> {
        Ok(this.body.len() as u32)
    }

    fn response_body(&mut self, this: Response) -> tether::Result<Vec<u8>> {
        Ok(this.body)
    }

    fn response_not_found(&mut self) -> tether::Result<Response> {
        Ok(Response {
            status: 404,
            body: Vec::new(),
        })
    }

    fn fetch(&mut self, url: String) -> tether::Result<Response> {
        Ok(self.pages.fetch(&url))
    }

    fn fetch_copy(&mut self, url: String) -> tether::Result<(u16, Vec<u8>)> {
        let Response { status, body } = self.pages.fetch(&url);
        Ok((status, body))
    }
}

/// The guest on Tether: one long-lived store and instance for the guest → host scenarios.
pub struct Side {
    engine: Engine,
    pre: InstancePre<State>,
    store: Store<State>,
    instance: tether::Instance,
    bench: Bench,
    pages: Arc<Pages>,
}

impl Side {
    pub fn new(bytes: &[u8], pages: Arc<Pages>) -> Result<Side> {
        let engine = Engine::default();
        let component = Component::new(&engine, bytes)?;
        let mut linker = Linker::<State>::new(&engine);
        Bench::add_to_linker(&mut linker)?;
        let pre = linker.instantiate_pre(&component)?;
        let mut store = Store::new(
            &engine,
            State {
                pages: pages.clone(),
            },
        );
        let instance = pre.instantiate(&mut store)?;
        let bench = Bench::new(&mut store, &instance)?;
        Ok(Side {
            engine,
            pre,
            store,
            instance,
            bench,
            pages,
        })
    }
}

impl crate::TetherSide for Side {
    fn set_response_quota(&mut self, max: u32) {
        self.store.set_resource_quota(crate::RESPONSE, max);
    }

    fn run(&mut self, scenario: &str, iters: u32) -> Result<u64> {
        let sum = self
            .bench
            .call_run(&mut self.store, scenario.to_string(), iters)?;
        ensure!(
            self.store.host_objects() == 0,
            "{scenario}: {} responses outlived the call",
            self.store.host_objects()
        );
        Ok(sum)
    }

    fn export_call(&mut self, iters: u32) -> Result<()> {
        for _ in 0..iters {
            let sum = self
                .bench
                .call_run(&mut self.store, "empty".to_string(), 0)?;
            ensure!(sum == 0);
        }
        Ok(())
    }

    fn instantiate(&mut self, iters: u32) -> Result<()> {
        for _ in 0..iters {
            let mut store = Store::new(
                &self.engine,
                State {
                    pages: self.pages.clone(),
                },
            );
            let instance = self.pre.instantiate(&mut store)?;
            let bench = Bench::new(&mut store, &instance)?;
            std::hint::black_box(&bench);
        }
        Ok(())
    }

    fn compile(&mut self, bytes: &[u8], iters: u32) -> Result<()> {
        for _ in 0..iters {
            std::hint::black_box(Component::new(&self.engine, bytes)?);
        }
        Ok(())
    }

    fn bytes_into_guest(&self) -> u64 {
        self.instance.bytes_copied(&self.store).into_guest
    }
}
