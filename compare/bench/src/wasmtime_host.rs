//! The host on wasmtime's component model, written as its users write it: `bindgen!`, with
//! resources kept in a `ResourceTable`.

use std::sync::Arc;

use anyhow::{Result, ensure};
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Engine, Store};

use crate::pages::{Pages, Response};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "bench",
    with: {
        "tether:bench/host.response": crate::pages::Response,
    },
    imports: { default: trappable },
});

use self::tether::bench::host::{Host, HostResponse};

/// The store's data.
pub struct State {
    table: ResourceTable,
    pages: Arc<Pages>,
}

impl Host for State {
    fn noop(&mut self) -> wasmtime::Result<()> {
        Ok(())
    }

    fn add(&mut self, a: u32, b: u32) -> wasmtime::Result<u32> {
        Ok(a.wrapping_add(b))
    }

    fn fetch(&mut self, url: String) -> wasmtime::Result<Resource<Response>> {
        let response = self.pages.fetch(&url);
        Ok(self.table.push(response)?)
    }

    fn fetch_copy(&mut self, url: String) -> wasmtime::Result<(u16, Vec<u8>)> {
        let Response { status, body } = self.pages.fetch(&url);
        Ok((status, body))
    }
}

impl HostResponse for State {
    fn new(&mut self, body: Vec<u8>, status: u16) -> wasmtime::Result<Resource<Response>> {
        Ok(self.table.push(Response { status, body })?)
    }

    fn status(&mut self, this: Resource<Response>) -> wasmtime::Result<u16> {
        Ok(self.table.get(&this)?.status)
    }

    fn body_len(&mut self, this: Resource<Response>) -> wasmtime::Result<u32> {
        Ok(self.table.get(&this)?.body.len() as u32)
    }

    fn body(&mut self, this: Resource<Response>) -> wasmtime::Result<Vec<u8>> {
        Ok(self.table.delete(this)?.body)
    }

    fn not_found(&mut self) -> wasmtime::Result<Resource<Response>> {
        Ok(self.table.push(Response {
            status: 404,
            body: Vec::new(),
        })?)
    }

    fn drop(&mut self, this: Resource<Response>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

/// The guest on wasmtime: one long-lived store and instance for the guest → host scenarios.
pub struct Side {
    pub engine: Engine,
    pub pre: BenchPre<State>,
    pub store: Store<State>,
    pub bench: Bench,
    pages: Arc<Pages>,
}

impl Side {
    pub fn new(engine: &Engine, bytes: &[u8], pages: Arc<Pages>) -> Result<Side> {
        let component = Component::new(engine, bytes)?;
        let mut linker = Linker::<State>::new(engine);
        Bench::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        let pre = BenchPre::new(linker.instantiate_pre(&component)?)?;
        let mut store = Store::new(
            engine,
            State {
                table: ResourceTable::new(),
                pages: pages.clone(),
            },
        );
        let bench = pre.instantiate(&mut store)?;
        Ok(Side {
            engine: engine.clone(),
            pre,
            store,
            bench,
            pages,
        })
    }

    /// `run(scenario, iters)` once.
    pub fn run(&mut self, scenario: &str, iters: u32) -> Result<u64> {
        Ok(self.bench.call_run(&mut self.store, scenario, iters)?)
    }

    /// Host → guest: `run("empty", 0)`, `iters` times.
    pub fn export_call(&mut self, iters: u32) -> Result<()> {
        for _ in 0..iters {
            let sum = self.bench.call_run(&mut self.store, "empty", 0)?;
            ensure!(sum == 0);
        }
        Ok(())
    }

    /// A new store and an instance of the pre-linked component, `iters` times.
    pub fn instantiate(&mut self, iters: u32) -> Result<()> {
        for _ in 0..iters {
            let mut store = Store::new(
                &self.engine,
                State {
                    table: ResourceTable::new(),
                    pages: self.pages.clone(),
                },
            );
            let bench = self.pre.instantiate(&mut store)?;
            std::hint::black_box(&bench);
        }
        Ok(())
    }

    /// Compiles the component `iters` times.
    pub fn compile(&mut self, bytes: &[u8], iters: u32) -> Result<()> {
        for _ in 0..iters {
            std::hint::black_box(Component::new(&self.engine, bytes)?);
        }
        Ok(())
    }
}
