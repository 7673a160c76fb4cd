//! What several targets share: the engine, calling a component's exports with random values,
//! and the checks every outcome must pass.

use std::sync::OnceLock;

use arbitrary::Unstructured;
use tether::{Config, Engine, Instance, Store, Trap, Type, Val};

use crate::arb;

/// Fuel for one input's calls: enough for the generated guests' straight-line code, and a
/// bound on the loops a fuzzed binary may contain.
pub const FUEL: u64 = 200_000;

/// One engine for every input (compiling one is the slow part): fuel on, and the component
/// model features the generators use.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.consume_fuel(true);
        for feature in ["component_model_fixed_length_lists", "component_model_map"] {
            if let Err(e) = config.wasm_feature(feature, true) {
                panic!("fuzz setup: feature `{feature}`: {e:#}");
            }
        }
        match Engine::new(&config) {
            Ok(engine) => engine,
            Err(e) => panic!("fuzz setup: the engine: {e:#}"),
        }
    })
}

/// Whether `FUZZ_VERBOSE` is set: the targets then print what each input did, to see how
/// deep the generated inputs reach.
pub fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("FUZZ_VERBOSE").is_some())
}

/// Checks the error of a call (or an instantiation): a [`Trap`] in it must not be an
/// internal error, which is Tether saying it has a bug. Errors without a `Trap` are the
/// embedder's or the stubs' own and pass.
pub fn check_error(e: &anyhow::Error, what: &str) {
    if let Some(trap) = e.downcast_ref::<Trap>()
        && matches!(trap, Trap::Internal { .. })
    {
        panic!("fuzz finding: {what}: internal error: {e:#}");
    }
}

/// Whether `val` is a value of `ty` (the shape only: a handle's type is not checked).
pub fn conforms(val: &Val, ty: &Type) -> bool {
    match (ty, val) {
        (Type::Bool, Val::Bool(_))
        | (Type::S8, Val::S8(_))
        | (Type::U8, Val::U8(_))
        | (Type::S16, Val::S16(_))
        | (Type::U16, Val::U16(_))
        | (Type::S32, Val::S32(_))
        | (Type::U32, Val::U32(_))
        | (Type::S64, Val::S64(_))
        | (Type::U64, Val::U64(_))
        | (Type::F32, Val::Float32(_))
        | (Type::F64, Val::Float64(_))
        | (Type::Char, Val::Char(_))
        | (Type::String, Val::String(_))
        | (Type::Own(_) | Type::Borrow(_), Val::Resource(_)) => true,
        (Type::List(l), Val::List(v)) => v.iter().all(|v| conforms(v, l.elem())),
        (Type::FixedList(l), Val::List(v)) => {
            v.len() == l.len() as usize && v.iter().all(|v| conforms(v, l.elem()))
        }
        (Type::Map(m), Val::Map(v)) => v
            .iter()
            .all(|(k, x)| conforms(k, m.key()) && conforms(x, m.value())),
        (Type::Record(r), Val::Record(v)) => {
            r.fields().len() == v.len()
                && r.fields()
                    .iter()
                    .zip(v)
                    .all(|((n, t), (m, v))| n == m && conforms(v, t))
        }
        (Type::Tuple(t), Val::Tuple(v)) => {
            t.types().len() == v.len() && t.types().iter().zip(v).all(|(t, v)| conforms(v, t))
        }
        (Type::Variant(t), Val::Variant(n, p)) => t.cases().iter().any(|(m, c)| match (c, p) {
            (None, None) => m == n,
            (Some(c), Some(p)) => m == n && conforms(p, c),
            _ => false,
        }),
        (Type::Enum(e), Val::Enum(n)) => e.names().contains(n),
        (Type::Option(o), Val::Option(v)) => v.as_ref().is_none_or(|v| conforms(v, o.some())),
        (Type::Result(r), Val::Result(v)) => {
            let side = |t: Option<&Type>, v: &Option<Box<Val>>| match (t, v) {
                (None, None) => true,
                (Some(t), Some(v)) => conforms(v, t),
                _ => false,
            };
            match v {
                Ok(v) => side(r.ok(), v),
                Err(v) => side(r.err(), v),
            }
        }
        (Type::Flags(f), Val::Flags(v)) => v.iter().all(|n| f.names().contains(n)),
        _ => false,
    }
}

/// Calls each root export of `instance` that takes no handle with random arguments drawn
/// from `u` (fuel refilled per call), checking every error with [`check_error`] and every
/// result against its type. Stops when `u` runs dry.
pub fn call_exports<T>(store: &mut Store<T>, instance: &Instance, u: &mut Unstructured<'_>) {
    call_some(store, instance, u, instance.export_names());
}

/// [`call_exports`] for the root export `name` only.
pub fn call_export<T>(
    store: &mut Store<T>,
    instance: &Instance,
    u: &mut Unstructured<'_>,
    name: &str,
) {
    call_some(store, instance, u, vec![name.to_string()]);
}

fn call_some<T>(
    store: &mut Store<T>,
    instance: &Instance,
    u: &mut Unstructured<'_>,
    names: Vec<String>,
) {
    for name in names {
        let Some(func) = instance.get_func(&mut *store, &name) else {
            continue;
        };
        let params = func.params(&*store);
        let results = func.results(&*store);
        if params.iter().any(|t| t.has_resource() || !arb::val_fits(t)) {
            continue;
        }
        let Ok(args) = params
            .iter()
            .map(|t| arb::val(u, t))
            .collect::<arbitrary::Result<Vec<Val>>>()
        else {
            return;
        };
        let mut out = vec![Val::Bool(false); results.len()];
        if store.set_fuel(FUEL).is_err() {
            return;
        }
        let outcome = func.call(&mut *store, &args, &mut out);
        if verbose() {
            eprintln!(
                "call `{name}`: {:?}",
                outcome.as_ref().map_err(|e| format!("{e:#}"))
            );
        }
        match outcome {
            Ok(()) => {
                for (v, t) in out.iter().zip(&results) {
                    if !conforms(v, t) {
                        panic!("fuzz finding: `{name}` returned {v:?}, not a value of {t}");
                    }
                }
            }
            Err(e) => check_error(&e, &format!("calling `{name}`")),
        }
    }
}
