//! The host items the wasmtime suites import, as `conformance/README.md` describes them.

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use tether::{
    Engine, Linker, Module, Resource, ResourceAny, ResourceAnyExt as _, ResourceType,
    StoreContextMut, Val,
};

/// What the host items remember: the state of `resource1`'s destructor.
///
/// A store holds one, and each `.wast` file gets a fresh store, so a file starts with zero
/// drops.
#[derive(Debug, Default)]
pub struct HostState {
    /// How many times `resource1`'s destructor ran.
    pub drops: u32,
    /// The representation it last destroyed.
    pub last_drop: u32,
}

/// The host type behind `resource1` (and `resource1-again`).
pub struct Resource1;

/// The host type behind `resource2`.
pub struct Resource2;

/// The core module `host.simple-module`.
const SIMPLE_MODULE: &str = r#"
(module
  (global (export "g") i32 (i32.const 100))
  (func (export "f") (result i32) (i32.const 101))
)
"#;

/// Compiles the core module `host.simple-module`.
pub fn simple_module(engine: &Engine) -> Result<Module, String> {
    Module::new(engine, SIMPLE_MODULE).map_err(|e| format!("{e:#}"))
}

/// A host item that could not be defined: its name and the error.
pub type Gap = (&'static str, String);

/// Defines every host item on `linker`.
///
/// An item the runtime refuses is left out rather than failing the whole file; it is
/// returned as a [`Gap`], so that the runner can explain why a component importing it does
/// not link.
/// `simple_module` is [`simple_module`]'s result, compiled once per engine.
pub fn define(linker: &mut Linker<HostState>, simple_module: &Result<Module, String>) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let mut note = |name: &'static str, r: Result<()>| {
        if let Err(e) = r {
            gaps.push((name, format!("{e:#}")));
        }
    };
    let mut root = linker.root();
    note(
        "host-return-two",
        root.func_new("host-return-two", |_cx, _params, results| {
            set(results, Val::U32(2))
        }),
    );
    note(
        "host-echo-u32",
        root.func_new("host-echo-u32", |_cx, params, results| {
            let v = params.first().cloned().context("missing argument")?;
            set(results, v)
        }),
    );

    let mut host = match root.instance("host") {
        Ok(host) => host,
        Err(e) => {
            note("host", Err(e));
            return gaps;
        }
    };
    note(
        "return-three",
        host.func_new("return-three", |_cx, _params, results| {
            set(results, Val::U32(3))
        }),
    );
    note(
        "nested",
        host.instance("nested").and_then(|mut nested| {
            nested.func_new("return-four", |_cx, _params, results| {
                set(results, Val::U32(4))
            })
        }),
    );
    note(
        "simple-module",
        match simple_module {
            Ok(module) => host.module("simple-module", module),
            Err(e) => Err(anyhow!("compiling the module: {e}")),
        },
    );

    note(
        "resource1",
        host.resource(
            "resource1",
            ResourceType::host::<Resource1>(),
            |mut cx, rep| {
                let state = cx.data_mut();
                state.drops += 1;
                state.last_drop = rep;
                Ok(())
            },
        ),
    );
    note(
        "resource2",
        host.resource(
            "resource2",
            ResourceType::host::<Resource2>(),
            |_cx, _rep| Ok(()),
        ),
    );
    note(
        "resource1-again",
        host.resource(
            "resource1-again",
            ResourceType::host::<Resource1>(),
            |_cx, rep| {
                bail!("the destructor of `resource1-again` ran (rep {rep}); it must never run")
            },
        ),
    );

    note(
        "[constructor]resource1",
        host.func_new("[constructor]resource1", |mut cx, params, results| {
            let rep = u32_param(params, 0)?;
            let r = ResourceAny::try_from_resource(Resource::<Resource1>::new_own(rep), &mut cx)?;
            set(results, Val::Resource(r))
        }),
    );
    note(
        "[static]resource1.assert",
        host.func_new("[static]resource1.assert", |mut cx, params, _results| {
            let r = resource1_param(&mut cx, params, 0)?;
            let rep = u32_param(params, 1)?;
            ensure!(
                r.rep() == rep,
                "assertion failed: resource rep is {}, expected {rep}",
                r.rep()
            );
            Ok(())
        }),
    );
    note(
        "[static]resource1.last-drop",
        host.func_new("[static]resource1.last-drop", |cx, _params, results| {
            let v = cx.data().last_drop;
            set(results, Val::U32(v))
        }),
    );
    note(
        "[static]resource1.drops",
        host.func_new("[static]resource1.drops", |cx, _params, results| {
            let v = cx.data().drops;
            set(results, Val::U32(v))
        }),
    );
    note(
        "[method]resource1.simple",
        host.func_new("[method]resource1.simple", |mut cx, params, _results| {
            let me = resource1_param(&mut cx, params, 0)?;
            let rep = u32_param(params, 1)?;
            ensure!(
                !me.owned(),
                "assertion failed: `self` arrived owned, expected a borrow"
            );
            ensure!(
                me.rep() == rep,
                "assertion failed: resource rep is {}, expected {rep}",
                me.rep()
            );
            Ok(())
        }),
    );
    note(
        "[method]resource1.take-borrow",
        host.func_new(
            "[method]resource1.take-borrow",
            |mut cx, params, _results| {
                let me = resource1_param(&mut cx, params, 0)?;
                let b = resource1_param(&mut cx, params, 1)?;
                ensure!(
                    !me.owned(),
                    "assertion failed: `self` arrived owned, expected a borrow"
                );
                ensure!(
                    !b.owned(),
                    "assertion failed: the argument arrived owned, expected a borrow"
                );
                Ok(())
            },
        ),
    );
    note(
        "[method]resource1.take-own",
        host.func_new("[method]resource1.take-own", |mut cx, params, _results| {
            let me = resource1_param(&mut cx, params, 0)?;
            let b = resource1_param(&mut cx, params, 1)?;
            ensure!(
                !me.owned(),
                "assertion failed: `self` arrived owned, expected a borrow"
            );
            ensure!(
                b.owned(),
                "assertion failed: the argument arrived borrowed, expected an own"
            );
            Ok(())
        }),
    );
    note(
        "return-hi",
        host.func_new("return-hi", |_cx, _params, results| {
            set(results, Val::String("hi".into()))
        }),
    );
    gaps
}

/// Stores the single result of a host function.
fn set(results: &mut [Val], v: Val) -> Result<()> {
    match results {
        [slot] => {
            *slot = v;
            Ok(())
        }
        _ => bail!(
            "host function called with room for {} results, expected 1",
            results.len()
        ),
    }
}

fn u32_param(params: &[Val], i: usize) -> Result<u32> {
    match params.get(i) {
        Some(Val::U32(v)) => Ok(*v),
        other => bail!("argument {i}: expected a u32, got {other:?}"),
    }
}

/// A `resource1` argument. An owned one is taken over by the host and forgotten: as in
/// wasmtime's harness, its destructor does not run.
fn resource1_param(
    cx: &mut StoreContextMut<'_, HostState>,
    params: &[Val],
    i: usize,
) -> Result<Resource<Resource1>> {
    match params.get(i) {
        Some(Val::Resource(r)) => r.try_into_resource::<Resource1>(cx),
        other => bail!("argument {i}: expected a resource1 handle, got {other:?}"),
    }
}
