//! Runs a component's `run` export and prints what it returns.
//!
//! The component may import `greet: func(name: string) -> string`, which the host defines.
//!
//! ```text
//! cargo run -p tether --example run -- examples/hello.wat
//! ```

use anyhow::{Context as _, Result};
use tether::{Component, Engine, Linker, Store, Val};

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: run COMPONENT (a .wasm or .wat file)")?;
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read `{path}`"))?;
    let engine = Engine::default();
    let component =
        Component::new(&engine, &bytes).with_context(|| format!("cannot load `{path}`"))?;

    let mut linker = Linker::<()>::new(&engine);
    linker.root().func_new("greet", |_store, params, results| {
        let Val::String(name) = &params[0] else {
            anyhow::bail!("`greet` expects a string")
        };
        results[0] = Val::String(format!("Hello, {name}, from the host!"));
        Ok(())
    })?;

    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component)?;
    let run = instance
        .get_func(&mut store, "run")
        .context("the component exports no `run` function")?;
    let mut results = vec![Val::Bool(false); run.result_count(&store)];
    run.call(&mut store, &[], &mut results)?;
    for r in results {
        match r {
            Val::String(s) => println!("{s}"),
            other => println!("{other:?}"),
        }
    }
    Ok(())
}
