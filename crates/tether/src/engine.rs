//! [`Config`] and [`Engine`]: which WebAssembly features are on, and the core engine.

use anyhow::{Result, bail};
use wasmparser::WasmFeatures;

/// Settings for an [`Engine`]: WebAssembly features and resource limits.
///
/// Every core-wasm feature that the core engine supports is on by default, as are the
/// component-model value-type gates (`map`, fixed-length lists, `implements`) and the async
/// ABI; `error-context` is off, as in wasmtime.
///
/// ```
/// let mut config = tether::Config::new();
/// config.wasm_feature("multi_memory", true)?;
/// let engine = tether::Engine::new(&config)?;
/// # anyhow::Ok(())
/// ```
#[derive(Clone)]
pub struct Config {
    features: WasmFeatures,
    pub(crate) fuel: bool,
    pub(crate) epoch_interruption: bool,
    pub(crate) pooling: bool,
    reuse: PoolReuse,
    pub(crate) provenance: bool,
    cache_dir: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The default settings.
    pub fn new() -> Config {
        let features = WasmFeatures::MUTABLE_GLOBAL
            | WasmFeatures::SATURATING_FLOAT_TO_INT
            | WasmFeatures::SIGN_EXTENSION
            | WasmFeatures::REFERENCE_TYPES
            | WasmFeatures::MULTI_VALUE
            | WasmFeatures::BULK_MEMORY
            | WasmFeatures::SIMD
            | WasmFeatures::RELAXED_SIMD
            | WasmFeatures::TAIL_CALL
            | WasmFeatures::FLOATS
            | WasmFeatures::MULTI_MEMORY
            | WasmFeatures::EXCEPTIONS
            | WasmFeatures::MEMORY64
            | WasmFeatures::EXTENDED_CONST
            | WasmFeatures::COMPONENT_MODEL
            | WasmFeatures::FUNCTION_REFERENCES
            | WasmFeatures::GC
            | WasmFeatures::GC_TYPES
            | WasmFeatures::WIDE_ARITHMETIC
            | WasmFeatures::CALL_INDIRECT_OVERLONG
            | WasmFeatures::BULK_MEMORY_OPT
            | WasmFeatures::CM_MAP
            | WasmFeatures::CM_FIXED_LENGTH_LISTS
            | WasmFeatures::CM_IMPLEMENTS
            | WasmFeatures::CM_ASYNC
            | WasmFeatures::CM_ASYNC_STACKFUL
            | WasmFeatures::CM_MORE_ASYNC_BUILTINS
            | WasmFeatures::CM_THREADING;
        // Async and threading validate so that components using them load; what Tether does
        // not run yet reports `unsupported`. `error-context` (📝) is off, as in wasmtime:
        // `wasm_feature("component_model_error_context", true)` turns it on.
        Config {
            features,
            fuel: false,
            epoch_interruption: false,
            pooling: false,
            reuse: PoolReuse::default(),
            provenance: false,
            cache_dir: None,
        }
    }

    /// Switches a WebAssembly feature on or off by the name that `.wast` headers use
    /// (`multi_memory`, `gc`, `exceptions`, `component_model_async`, ...).
    ///
    /// Component-model async runs as far as Tether implements it (`docs/async-plan.md`); what
    /// it does not run yet is reported as `unsupported`.
    pub fn wasm_feature(&mut self, name: &str, enable: bool) -> Result<&mut Config> {
        let flag = match name {
            "multi_memory" => WasmFeatures::MULTI_MEMORY,
            "gc" => WasmFeatures::GC | WasmFeatures::GC_TYPES | WasmFeatures::FUNCTION_REFERENCES,
            "gc_types" => WasmFeatures::GC_TYPES,
            "exceptions" => WasmFeatures::EXCEPTIONS,
            "function_references" => WasmFeatures::FUNCTION_REFERENCES,
            "reference_types" => WasmFeatures::REFERENCE_TYPES,
            "bulk_memory" => WasmFeatures::BULK_MEMORY,
            "simd" => WasmFeatures::SIMD,
            "relaxed_simd" => WasmFeatures::RELAXED_SIMD,
            "tail_call" => WasmFeatures::TAIL_CALL,
            "memory64" => WasmFeatures::MEMORY64,
            "extended_const" => WasmFeatures::EXTENDED_CONST,
            "wide_arithmetic" => WasmFeatures::WIDE_ARITHMETIC,
            "multi_value" => WasmFeatures::MULTI_VALUE,
            "threads" => WasmFeatures::THREADS,
            "component_model" => WasmFeatures::COMPONENT_MODEL,
            "component_model_async" | "component_model_async_builtins" => WasmFeatures::CM_ASYNC,
            "component_model_async_stackful" => WasmFeatures::CM_ASYNC_STACKFUL,
            "component_model_more_async_builtins" => WasmFeatures::CM_MORE_ASYNC_BUILTINS,
            "component_model_threading" => WasmFeatures::CM_THREADING,
            "component_model_error_context" => WasmFeatures::CM_ERROR_CONTEXT,
            "component_model_gc" => WasmFeatures::CM_GC,
            "component_model_map" => WasmFeatures::CM_MAP,
            // The name wasmtime's suites used before the proposal was renamed.
            "component_model_fixed_length_lists" | "component_model_fixed_size_lists" => {
                WasmFeatures::CM_FIXED_LENGTH_LISTS
            }
            "component_model_implements" => WasmFeatures::CM_IMPLEMENTS,
            // 64-bit memories in the canonical ABI are out of scope; the gate only affects
            // validation, and lifting through such a memory is reported as unsupported.
            "component_model_memory64" => WasmFeatures::MEMORY64 | WasmFeatures::CM64,
            // Not a feature: a hint for test harnesses.
            "hogs_memory" => return Ok(self),
            other => bail!("unknown wasm feature `{other}`"),
        };
        self.features.set(flag, enable);
        Ok(self)
    }

    /// Counts fuel: every store starts with none, and guests trap when it runs out
    /// (see [`Store::set_fuel`](crate::Store::set_fuel)).
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Config {
        self.fuel = enable;
        self
    }

    /// Allocates core instances, memories and tables from pools made once for the engine
    /// (the core engine's pooling allocator, with its default limits: 1,000 core instances
    /// and memories at once), which makes instantiating many short-lived instances cheaper,
    /// as a server that instantiates per request does.
    pub fn pooling_allocator(&mut self, enable: bool) -> &mut Config {
        self.pooling = enable;
        self
    }

    /// How many bytes of a pooled linear memory stay resident when its instance is gone,
    /// reset in place to their initial contents instead of handed back to the kernel (the
    /// core engine's `linear_memory_keep_resident`; 0 by default): the next instance in the
    /// slot takes no page faults on them. Applies only with [`Config::pooling_allocator`],
    /// and only on Linux; best with [`Config::pooling_pagemap_scan`], which resets only the
    /// pages the instance wrote, where without it all `bytes` are written each time.
    ///
    /// ```
    /// let mut config = tether::Config::new();
    /// config
    ///     .pooling_allocator(true)
    ///     .pooling_memory_keep_resident(4 << 20)
    ///     .pooling_table_keep_resident(1 << 20)
    ///     .pooling_pagemap_scan(tether::Config::pagemap_scan_available());
    /// ```
    pub fn pooling_memory_keep_resident(&mut self, bytes: usize) -> &mut Config {
        self.reuse.memory = bytes;
        self
    }

    /// As [`Config::pooling_memory_keep_resident`], for pooled tables (0 by default).
    pub fn pooling_table_keep_resident(&mut self, bytes: usize) -> &mut Config {
        self.reuse.table = bytes;
        self
    }

    /// Finds the pages a pooled memory's instance wrote with Linux's `PAGEMAP_SCAN` (kernel
    /// 6.7 or later) when it is reset, so that only those are reset in place, up to
    /// [`Config::pooling_memory_keep_resident`] bytes (off by default, as in the core engine).
    /// Where the kernel lacks it, this is ignored ([`Config::pagemap_scan_available`]).
    pub fn pooling_pagemap_scan(&mut self, enable: bool) -> &mut Config {
        self.reuse.pagemap_scan = enable;
        self
    }

    /// Whether this system has Linux's `PAGEMAP_SCAN` for [`Config::pooling_pagemap_scan`].
    pub fn pagemap_scan_available() -> bool {
        wasmtime::PoolingAllocationConfig::is_pagemap_scan_available()
    }

    /// Whether this machine's address space has room for the pooling allocator's pools at
    /// their default limits (about 2^42 bytes of reservations): some systems give a process
    /// only 39 bits, and there [`Config::pooling_allocator`] fails to make an engine. Probed
    /// once, by reserving that much for one memory.
    ///
    /// ```
    /// let mut config = tether::Config::new();
    /// config.pooling_allocator(tether::Config::pooling_allocator_fits());
    /// let engine = tether::Engine::new(&config).unwrap();
    /// ```
    pub fn pooling_allocator_fits() -> bool {
        static FITS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *FITS.get_or_init(|| {
            const BITS: u32 = 42;
            let mut c = wasmtime::Config::new();
            c.wasm_memory64(true).memory_reservation(1 << BITS);
            let Ok(engine) = wasmtime::Engine::new(&c) else {
                return false;
            };
            let mut store = wasmtime::Store::new(&engine, ());
            // The maximum is in 64 KiB pages.
            let ty = wasmtime::MemoryType::new64(0, Some(1 << (BITS - 16)));
            wasmtime::Memory::new(&mut store, ty).is_ok()
        })
    }

    /// Keeps the compiled code of every core module in `dir` (`None`, the default: no cache),
    /// through the core engine's own cache: a component compiled once is loaded from there
    /// the next time, by any engine of the same configuration. The key of an entry covers
    /// the module's bytes, the engine's configuration and the core engine's version, so a
    /// changed component, configuration or version compiles afresh and never loads stale
    /// code. `dir` must be an absolute path; it is made if missing.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("tether-doc-cache-{}", std::process::id()));
    /// let mut config = tether::Config::new();
    /// config.cache_dir(Some(dir.clone()));
    /// let engine = tether::Engine::new(&config)?;
    /// tether::Component::new(&engine, "(component (core module (func)))")?;
    /// // Compiled again, the module comes from the cache.
    /// tether::Component::new(&engine, "(component (core module (func)))")?;
    /// assert_eq!(engine.cache_hits(), 1);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # anyhow::Ok(())
    /// ```
    pub fn cache_dir(&mut self, dir: Option<std::path::PathBuf>) -> &mut Config {
        self.cache_dir = dir;
        self
    }

    /// Where a user's compiled code goes by default: `$XDG_CACHE_HOME/tether`, else
    /// `$HOME/.cache/tether`; `None` when neither variable is set to an absolute path.
    pub fn default_cache_dir() -> Option<std::path::PathBuf> {
        let from = |var: &str, sub: &str| {
            let p = std::path::PathBuf::from(std::env::var_os(var)?);
            p.is_absolute().then(|| p.join(sub))
        };
        from("XDG_CACHE_HOME", "tether").or_else(|| from("HOME", ".cache/tether"))
    }

    /// Records where each own handle a guest holds was made (the guest function running
    /// and its wasm backtrace), for [`Store::handle_details`](crate::Store::handle_details).
    /// Off by default: capturing a backtrace for every handle is a debugging aid, not free.
    pub fn handle_provenance(&mut self, enable: bool) -> &mut Config {
        self.provenance = enable;
        self
    }

    /// Lets [`Engine::increment_epoch`] interrupt guests past their store's deadline
    /// (see [`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline)).
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Config {
        self.epoch_interruption = enable;
        self
    }
}

/// How pooled memories and tables are made ready for their next instance.
#[derive(Clone, Copy, Default)]
struct PoolReuse {
    memory: usize,
    table: usize,
    pagemap_scan: bool,
}

/// Compiles and runs components: the core engine plus the settings it was made with.
///
/// Cloning is cheap; clones share the same engine.
#[derive(Clone)]
pub struct Engine {
    core: wasmtime::Engine,
    features: WasmFeatures,
    cache: Option<wasmtime::Cache>,
    provenance: bool,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::new()).expect("the default configuration is valid")
    }
}

impl Engine {
    /// Creates an engine.
    pub fn new(config: &Config) -> Result<Engine> {
        let f = config.features;
        let mut c = wasmtime::Config::new();
        c.wasm_multi_memory(f.contains(WasmFeatures::MULTI_MEMORY))
            .wasm_reference_types(f.contains(WasmFeatures::REFERENCE_TYPES))
            .wasm_function_references(f.contains(WasmFeatures::FUNCTION_REFERENCES))
            .wasm_gc(f.contains(WasmFeatures::GC))
            .wasm_exceptions(f.contains(WasmFeatures::EXCEPTIONS))
            .wasm_tail_call(f.contains(WasmFeatures::TAIL_CALL))
            .wasm_memory64(f.contains(WasmFeatures::MEMORY64))
            .wasm_simd(f.contains(WasmFeatures::SIMD))
            .wasm_relaxed_simd(f.contains(WasmFeatures::RELAXED_SIMD))
            .wasm_bulk_memory(f.contains(WasmFeatures::BULK_MEMORY))
            .wasm_extended_const(f.contains(WasmFeatures::EXTENDED_CONST))
            .wasm_wide_arithmetic(f.contains(WasmFeatures::WIDE_ARITHMETIC))
            .wasm_threads(f.contains(WasmFeatures::THREADS))
            .consume_fuel(config.fuel)
            .epoch_interruption(config.epoch_interruption);
        if config.pooling {
            let mut pool = wasmtime::PoolingAllocationConfig::default();
            pool.linear_memory_keep_resident(config.reuse.memory)
                .table_keep_resident(config.reuse.table)
                .pagemap_scan(if config.reuse.pagemap_scan {
                    wasmtime::Enabled::Auto
                } else {
                    wasmtime::Enabled::No
                });
            c.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        }
        let cache = match &config.cache_dir {
            Some(dir) => {
                if !dir.is_absolute() {
                    bail!(
                        "the cache directory `{}` is not an absolute path",
                        dir.display()
                    );
                }
                let mut cc = wasmtime::CacheConfig::new();
                cc.with_directory(dir);
                let cache = wasmtime::Cache::new(cc).map_err(|e| {
                    anyhow::Error::from(e)
                        .context(format!("cannot use `{}` as the cache", dir.display()))
                })?;
                c.cache(Some(cache.clone()));
                Some(cache)
            }
            None => None,
        };
        let core = wasmtime::Engine::new(&c).map_err(anyhow::Error::from)?;
        Ok(Engine {
            core,
            features: f,
            cache,
            provenance: config.provenance,
        })
    }

    /// How many core modules this engine's compilations found in the cache
    /// ([`Config::cache_dir`]); 0 without one.
    pub fn cache_hits(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.cache_hits())
    }

    /// How many core modules this engine compiled for lack of a cache entry (and then stored
    /// in the cache); 0 without a cache.
    pub fn cache_misses(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.cache_misses())
    }

    /// Moves the epoch forward by one, interrupting guests whose deadline it passes.
    pub fn increment_epoch(&self) {
        self.core.increment_epoch();
    }

    /// Whether stores of this engine record where handles were made.
    pub(crate) fn provenance(&self) -> bool {
        self.provenance
    }

    pub(crate) fn core(&self) -> &wasmtime::Engine {
        &self.core
    }

    pub(crate) fn features(&self) -> WasmFeatures {
        self.features
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_names_old_and_new_switch_the_same_gate() {
        for name in [
            "component_model_fixed_length_lists",
            "component_model_fixed_size_lists",
        ] {
            let mut config = Config::new();
            config.wasm_feature(name, false).unwrap();
            assert!(
                !config
                    .features
                    .contains(WasmFeatures::CM_FIXED_LENGTH_LISTS),
                "{name} switched fixed-length lists off"
            );
        }
        let mut config = Config::new();
        let Err(err) = config.wasm_feature("no_such_feature", true) else {
            panic!("an unknown feature name is refused");
        };
        assert!(err.to_string().contains("no_such_feature"), "{err}");
    }
}
