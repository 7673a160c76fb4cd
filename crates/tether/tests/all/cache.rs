//! The compilation cache (`Config::cache_dir`): a component compiled again loads its core
//! modules from the cache, and a changed component or engine configuration never does.

use tether::{Component, Config, Engine};

/// A component whose one core module returns `n`.
fn component(n: u32) -> String {
    format!(
        r#"(component
             (core module $m (func (export "f") (result i32) (i32.const {n})))
             (core instance $i (instantiate $m))
             (func (export "f") (result u32) (canon lift (core func $i "f"))))"#
    )
}

fn engine(dir: &std::path::Path, epochs: bool) -> Engine {
    let mut config = Config::new();
    config
        .cache_dir(Some(dir.to_path_buf()))
        .epoch_interruption(epochs);
    Engine::new(&config).unwrap()
}

fn call_f(engine: &Engine, c: &Component) -> u32 {
    let mut store = tether::Store::new(engine, ());
    let instance = tether::Linker::new(engine)
        .instantiate(&mut store, c)
        .unwrap();
    let f = instance
        .get_typed_func::<(), (u32,)>(&mut store, "f")
        .unwrap();
    f.call(&mut store, ()).unwrap().0
}

#[test]
fn a_second_compilation_loads_from_the_cache_and_a_changed_one_does_not() {
    let dir = std::env::temp_dir().join(format!("tether-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let first = engine(&dir, false);
    let c = Component::new(&first, component(7)).unwrap();
    assert_eq!((first.cache_hits(), first.cache_misses()), (0, 1));
    assert_eq!(call_f(&first, &c), 7);

    // Another engine of the same configuration (as the next run of a command) finds it.
    let again = engine(&dir, false);
    let c = Component::new(&again, component(7)).unwrap();
    assert_eq!((again.cache_hits(), again.cache_misses()), (1, 0));
    assert_eq!(call_f(&again, &c), 7);

    // A changed module is compiled afresh, and runs its own code.
    let c = Component::new(&again, component(8)).unwrap();
    assert_eq!((again.cache_hits(), again.cache_misses()), (1, 1));
    assert_eq!(call_f(&again, &c), 8);

    // So is the same module for an engine whose code differs (epoch checks).
    let epochs = engine(&dir, true);
    Component::new(&epochs, component(7)).unwrap();
    assert_eq!((epochs.cache_hits(), epochs.cache_misses()), (0, 1));

    // Without a cache nothing is counted.
    let none = Engine::new(&Config::new()).unwrap();
    Component::new(&none, component(7)).unwrap();
    assert_eq!((none.cache_hits(), none.cache_misses()), (0, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_relative_cache_directory_is_an_error_naming_it() {
    let mut config = Config::new();
    config.cache_dir(Some("relative/cache".into()));
    let err = Engine::new(&config).err().unwrap().to_string();
    assert!(
        err.contains("`relative/cache` is not an absolute path"),
        "{err}"
    );
}
