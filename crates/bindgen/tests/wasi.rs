//! Bindings for every interface of WASI 0.2.12 (`wit/deps/wasi-0.2.12/` at the root of the
//! repository) generate and compile: the world in `tests/wit-wasi/wasi.wit` imports all of
//! them, `@unstable` ones included, and exports `wasi:cli/run` and `wasi:http/incoming-handler`.

mod bindings {
    ::tether::bindgen!({
        path: "tests/wit-wasi",
        deps: ["../../wit/deps/wasi-0.2.12"],
        world: "all",
        all_features: true,
    });
}

use bindings::wasi;

/// A host type for one interface, to check that a `Host` trait can be implemented.
struct Clocks;

impl wasi::clocks::monotonic_clock::Host for Clocks {
    fn now(&mut self) -> tether::Result<wasi::clocks::monotonic_clock::Instant> {
        Ok(42)
    }
    fn resolution(&mut self) -> tether::Result<wasi::clocks::monotonic_clock::Duration> {
        Ok(1)
    }
    fn subscribe_instant(
        &mut self,
        when: wasi::clocks::monotonic_clock::Instant,
    ) -> tether::Result<<Self as wasi::io::poll::Host>::Pollable> {
        let _ = when;
        Ok(())
    }
    fn subscribe_duration(
        &mut self,
        when: wasi::clocks::monotonic_clock::Duration,
    ) -> tether::Result<<Self as wasi::io::poll::Host>::Pollable> {
        let _ = when;
        Ok(())
    }
}

impl wasi::io::poll::Host for Clocks {
    type Pollable = ();
    fn pollable_ready(&mut self, _this: &mut ()) -> tether::Result<bool> {
        Ok(true)
    }
    fn pollable_block(&mut self, _this: &mut ()) -> tether::Result<()> {
        Ok(())
    }
    fn poll(
        store: tether::StoreContextMut<'_, Self>,
        in_: Vec<tether::Borrow<()>>,
    ) -> tether::Result<Vec<u32>> {
        let _ = store;
        Ok((0..in_.len() as u32).collect())
    }
}

#[test]
fn an_interface_links_through_its_generated_glue() {
    let engine = tether::Engine::default();
    let mut linker = tether::Linker::<Clocks>::new(&engine);
    wasi::clocks::monotonic_clock::add_to_linker(&mut linker).unwrap();
    wasi::io::poll::add_to_linker(&mut linker).unwrap();
}

#[test]
fn a_component_without_the_exports_is_refused_by_name() {
    let engine = tether::Engine::default();
    let component = tether::Component::new(&engine, "(component)").unwrap();
    let mut store = tether::Store::new(&engine, ());
    let instance = tether::Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let err = bindings::All::new(&mut store, &instance)
        .err()
        .expect("the exports are missing");
    assert_eq!(
        err.to_string(),
        "the component exports no function `wasi:cli/run@0.2.12#run`"
    );
}
