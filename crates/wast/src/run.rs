//! Running one `.wast` file through Tether.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use tether::{Component, Config, Engine, Instance, Linker, Module, Store, Val};
use wast::parser::{self, ParseBuffer};
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

use crate::guard::guarded;
use crate::host::{self, HostState};
use crate::outcome::{FileReport, Outcome, Status, one_line};
use crate::{headers, register, value, watchdog};

/// The text a runtime error carries when Tether meets a construct it does not support yet.
const UNSUPPORTED: &str = "unsupported:";

/// Runs the file at `path`, whose report is filed under `key`.
///
/// Never panics: a panic while running a directive is that directive's failure, and one
/// anywhere else is the file's.
pub fn run_file(path: &Path, key: String) -> FileReport {
    match guarded(|| run(path, &key)) {
        Ok(report) => report,
        Err(panic) => FileReport {
            key,
            parsed: false,
            outcomes: vec![Outcome {
                line: 0,
                kind: "file",
                status: Status::Fail(format!("panic: {panic}")),
            }],
        },
    }
}

fn run(path: &Path, key: &str) -> FileReport {
    let fail = |line: usize, kind: &'static str, reason: String| FileReport {
        key: key.to_string(),
        parsed: false,
        outcomes: vec![Outcome {
            line,
            kind,
            status: Status::Fail(reason),
        }],
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return fail(0, "file", format!("cannot read {}: {e}", path.display())),
    };
    let buf = match ParseBuffer::new(&text) {
        Ok(buf) => buf,
        Err(e) => return fail(line_of(&text, e.span()), "parse", e.message()),
    };
    let wast = match parser::parse::<Wast<'_>>(&buf) {
        Ok(wast) => wast,
        Err(e) => return fail(line_of(&text, e.span()), "parse", e.message()),
    };

    let setup = headers::parse(&text).and_then(|features| Runner::new(&features));
    let mut outcomes = Vec::with_capacity(wast.directives.len());
    match setup {
        Err(reason) => {
            for d in &wast.directives {
                let status = Status::Fail(reason.clone());
                outcomes.push(Outcome {
                    line: line_of(&text, d.span()),
                    kind: kind(&text, d),
                    status,
                });
            }
        }
        Ok(mut runner) => {
            for d in wast.directives {
                let line = line_of(&text, d.span());
                let kind = kind(&text, &d);
                let started = Instant::now();
                let status = match guarded(|| runner.directive(d, line)) {
                    Ok(status) => status,
                    Err(panic) => Status::Fail(format!("panic: {panic}")),
                };
                let status = match status {
                    Status::Fail(why) if started.elapsed() >= watchdog::LIMIT => {
                        let limit = watchdog::LIMIT.as_secs();
                        Status::Fail(format!("timed out: ran for more than {limit} s: {why}"))
                    }
                    status => status,
                };
                outcomes.push(Outcome { line, kind, status });
            }
        }
    }
    FileReport {
        key: key.to_string(),
        parsed: true,
        outcomes,
    }
}

/// The 1-based line of a span.
fn line_of(text: &str, span: Span) -> usize {
    span.linecol_in(text).0 + 1
}

/// The name a report gives a directive.
fn kind(text: &str, d: &WastDirective<'_>) -> &'static str {
    match d {
        WastDirective::Module(q) => {
            if is_component(q) {
                "component"
            } else {
                "module"
            }
        }
        WastDirective::ModuleDefinition(q) => {
            if is_component(q) {
                "component definition"
            } else {
                "module definition"
            }
        }
        WastDirective::ModuleInstance { span, .. } => {
            if text
                .get(span.offset()..)
                .is_some_and(|t| t.starts_with("module"))
            {
                "module instance"
            } else {
                "component instance"
            }
        }
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

fn is_component(q: &QuoteWat<'_>) -> bool {
    matches!(
        q,
        QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)
    )
}

/// A compiled `(component definition ...)` or `(module definition ...)`.
#[derive(Clone)]
enum Def {
    Component(Component),
    Module,
    /// Compiling it reported an unsupported construct.
    Skipped(String),
    /// Compiling it failed at `line`.
    Failed(usize, String),
}

/// What `invoke` and `register` can target: the result of instantiating something.
#[derive(Clone)]
enum Target {
    Component(Instance),
    /// A core module compiled at top level; the runner cannot instantiate or call those.
    Module,
    /// Compiling or instantiating it reported an unsupported construct.
    Skipped(String),
    /// Compiling or instantiating it failed at `line`.
    Failed(usize, String),
}

/// A name later components may import that the runner could not define.
struct Missing {
    /// `true` when the reason is an unsupported construct, so dependants are skipped.
    unsupported: bool,
    why: String,
}

/// The state of one file's run: the engine its headers configure, one store, one linker
/// with the host items and whatever was registered, and the named definitions and
/// instances.
struct Runner {
    engine: Engine,
    store: Store<HostState>,
    linker: Linker<HostState>,
    /// `host.simple-module`, compiled once so that the linker can be rebuilt cheaply.
    simple_module: Result<Module, String>,
    /// The registered instances, by name, in the order they were first registered.
    registered: Vec<(String, Instance)>,
    definitions: HashMap<String, Def>,
    last_definition: Option<Def>,
    instances: HashMap<String, Target>,
    current: Option<Target>,
    /// Importable names that are not defined: host items the runtime refused and named
    /// instances that were skipped or could not be registered.
    missing: HashMap<String, Missing>,
}

/// How an error reads in reports: its whole chain on one line.
fn message(err: &anyhow::Error) -> String {
    one_line(&format!("{err:#}"))
}

/// Whether an error's chain contains `text`.
fn error_contains(err: &anyhow::Error, text: &str) -> bool {
    let full = format!("{err:#}");
    full.contains(text) || one_line(&full).contains(text)
}

impl Runner {
    fn new(features: &[(String, bool)]) -> Result<Runner, String> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        for (name, enabled) in features {
            config
                .wasm_feature(name, *enabled)
                .map_err(|e| format!("header `;;! {name} = {enabled}`: {}", message(&e)))?;
        }
        let engine =
            Engine::new(&config).map_err(|e| format!("creating the engine: {}", message(&e)))?;
        watchdog::watch(&engine);
        let store = Store::new(&engine, HostState::default());
        let mut linker = Linker::new(&engine);
        let simple_module = host::simple_module(&engine);
        let gaps = host::define(&mut linker, &simple_module);
        let missing = gaps
            .into_iter()
            .map(|(name, why)| {
                let unsupported = why.contains(UNSUPPORTED);
                let why = format!("the host item `{name}` could not be defined: {why}");
                (name.to_string(), Missing { unsupported, why })
            })
            .collect();
        Ok(Runner {
            engine,
            store,
            linker,
            simple_module,
            registered: Vec::new(),
            definitions: HashMap::new(),
            last_definition: None,
            instances: HashMap::new(),
            current: None,
            missing,
        })
    }

    fn directive(&mut self, d: WastDirective<'_>, line: usize) -> Status {
        self.store.set_epoch_deadline(watchdog::LIMIT_TICKS);
        match d {
            WastDirective::Module(mut q) => self.top_level(&mut q, line),
            WastDirective::ModuleDefinition(mut q) => self.definition(&mut q, line),
            WastDirective::ModuleInstance {
                instance, module, ..
            } => self.instance(instance, module, line),
            WastDirective::Register { name, module, .. } => self.register(name, module),
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Call::Returned(_) => Status::Pass,
                Call::Trapped(e) => self.failure(&e, None),
                Call::Not(status) => status,
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => self.assert_trap(exec, message),
            WastDirective::AssertExhaustion { call, message, .. } => {
                let outcome = self.invoke_expecting_error(&call);
                self.expect_error(outcome, message, "trap")
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                let outcome = Failing::from(self.compile(&mut module).map(|_| ()));
                self.expect_error(outcome, message, "compile error")
            }
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                // As in wasmtime's runner, the error may come from compiling or linking: the
                // expected text tells them apart.
                let outcome = self.instantiate_expecting_error(QuoteWat::Wat(module));
                self.expect_error(outcome, message, "link error")
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. }
            | WastDirective::AssertException { .. }
            | WastDirective::AssertSuspension { .. }
            | WastDirective::Thread(_)
            | WastDirective::Wait { .. } => {
                Status::Fail("the runner does not support this directive".into())
            }
        }
    }

    /// `(component ...)` or `(module ...)`: compile and instantiate; a named one is also
    /// registered under its name, as wasmtime's runner does.
    fn top_level(&mut self, q: &mut QuoteWat<'_>, line: usize) -> Status {
        let name = q.name().map(|id| id.name().to_string());
        let (target, status) = match self.compile(q) {
            Ok(Compiled::Component(c)) => self.instantiate(c, line),
            Ok(Compiled::Module) => (Target::Module, Status::Pass),
            Err(e) => self.failed_target(&e, line),
        };
        self.set_current(name, target);
        status
    }

    fn definition(&mut self, q: &mut QuoteWat<'_>, line: usize) -> Status {
        let name = q.name().map(|id| id.name().to_string());
        let (def, status) = match self.compile(q) {
            Ok(Compiled::Component(c)) => (Def::Component(c), Status::Pass),
            Ok(Compiled::Module) => (Def::Module, Status::Pass),
            Err(e) => match self.failure(&e, None) {
                Status::Skip(why) => (Def::Skipped(why.clone()), Status::Skip(why)),
                status => (Def::Failed(line, message(&e)), status),
            },
        };
        if let Some(name) = name {
            self.definitions.insert(name, def.clone());
        }
        self.last_definition = Some(def);
        status
    }

    /// `(component instance $i $def)`.
    fn instance(&mut self, instance: Option<Id<'_>>, def: Option<Id<'_>>, line: usize) -> Status {
        let found = match def {
            Some(id) => self.definitions.get(id.name()).cloned(),
            None => self.last_definition.clone(),
        };
        let name = instance.map(|id| id.name().to_string());
        let (target, status) = match found {
            None => {
                let why = match def {
                    Some(id) => format!("no definition named `${}`", id.name()),
                    None => "no definition to instantiate".to_string(),
                };
                (Target::Failed(line, why.clone()), Status::Fail(why))
            }
            Some(Def::Component(c)) => self.instantiate(c, line),
            Some(Def::Module) => {
                let why = NO_CORE_INSTANCES.to_string();
                (Target::Failed(line, why.clone()), Status::Fail(why))
            }
            Some(Def::Skipped(why)) => {
                let status = Status::Skip(format!("depends on skipped component: {why}"));
                (Target::Skipped(why), status)
            }
            Some(Def::Failed(at, why)) => {
                let status = Status::Fail(depends_on_failed(at, &why));
                (Target::Failed(at, why), status)
            }
        };
        self.set_current(name, target);
        status
    }

    fn instantiate(&mut self, component: Component, line: usize) -> (Target, Status) {
        match self.linker.instantiate(&mut self.store, &component) {
            Ok(instance) => (Target::Component(instance), Status::Pass),
            Err(e) => self.failed_target(&e, line),
        }
    }

    fn failed_target(&self, e: &anyhow::Error, line: usize) -> (Target, Status) {
        match self.failure(e, None) {
            Status::Skip(why) => (Target::Skipped(why.clone()), Status::Skip(why)),
            status => (Target::Failed(line, message(e)), status),
        }
    }

    /// Makes `target` the one later invokes use, and registers a named one.
    fn set_current(&mut self, name: Option<String>, target: Target) {
        if let Some(name) = name {
            match &target {
                Target::Component(instance) => match self.register_instance(&name, instance) {
                    Ok(()) => {
                        self.missing.remove(&name);
                    }
                    Err(e) => {
                        let why = format!(
                            "the instance `${name}` could not be registered: {}",
                            message(&e)
                        );
                        self.missing.insert(
                            name.clone(),
                            Missing {
                                unsupported: false,
                                why,
                            },
                        );
                    }
                },
                Target::Skipped(why) => {
                    let why = format!("`{name}` names a skipped component: {why}");
                    self.unregister(
                        &name,
                        Missing {
                            unsupported: true,
                            why,
                        },
                    );
                }
                Target::Failed(line, why) => {
                    let why =
                        format!("`{name}` names the component at line {line}, which failed: {why}");
                    self.unregister(
                        &name,
                        Missing {
                            unsupported: false,
                            why,
                        },
                    );
                }
                Target::Module => {}
            }
            self.instances.insert(name, target.clone());
        }
        self.current = Some(target);
    }

    /// Defines `instance`'s exports on the linker as `name`, replacing an earlier
    /// registration under that name.
    ///
    /// The linker refuses to define a name twice, so a replacement rebuilds it: the host items,
    /// then every registration in order.
    fn register_instance(&mut self, name: &str, instance: &Instance) -> anyhow::Result<()> {
        if let Some(slot) = self.registered.iter_mut().find(|(n, _)| n == name) {
            slot.1 = instance.clone();
            self.rebuild_linker()
        } else {
            register::define(&mut self.linker, name, instance)?;
            self.registered.push((name.to_string(), instance.clone()));
            Ok(())
        }
    }

    /// Removes the registration under `name`, if any, and records why later imports of it
    /// will not find it.
    fn unregister(&mut self, name: &str, missing: Missing) {
        let before = self.registered.len();
        self.registered.retain(|(n, _)| n != name);
        let mut missing = missing;
        if self.registered.len() != before
            && let Err(e) = self.rebuild_linker()
        {
            // The linker is left as it was; note why on the name.
            missing.why = format!(
                "{}; the linker could not be rebuilt: {}",
                missing.why,
                message(&e)
            );
        }
        self.missing.insert(name.to_string(), missing);
    }

    /// Makes a new linker: the host items, then every registration in order.
    fn rebuild_linker(&mut self) -> anyhow::Result<()> {
        let mut linker = Linker::new(&self.engine);
        host::define(&mut linker, &self.simple_module);
        for (n, i) in &self.registered {
            register::define(&mut linker, n, i)?;
        }
        self.linker = linker;
        Ok(())
    }

    /// `(register "name" $i)`.
    fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Status {
        let target = match self.target(module) {
            Ok(target) => target,
            Err(status) => return status,
        };
        let instance = match target {
            Target::Component(instance) => instance,
            Target::Module => {
                return Status::Fail("register not supported for core modules".into());
            }
            Target::Skipped(why) => {
                let why = format!("depends on skipped component: {why}");
                self.unregister(
                    name,
                    Missing {
                        unsupported: true,
                        why: why.clone(),
                    },
                );
                return Status::Skip(why);
            }
            Target::Failed(line, why) => return Status::Fail(depends_on_failed(line, &why)),
        };
        match self.register_instance(name, &instance) {
            Ok(()) => {
                self.missing.remove(name);
                Status::Pass
            }
            Err(e) => Status::Fail(message(&e)),
        }
    }

    /// The instance an invoke or register names, or the current one.
    fn target(&self, id: Option<Id<'_>>) -> Result<Target, Status> {
        match id {
            Some(id) => self
                .instances
                .get(id.name())
                .cloned()
                .ok_or_else(|| Status::Fail(format!("no instance named `${}`", id.name()))),
            None => self
                .current
                .clone()
                .ok_or_else(|| Status::Fail("no component instantiated yet".into())),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Call {
        let instance = match self.target(invoke.module) {
            Ok(Target::Component(instance)) => instance,
            Ok(Target::Module) => {
                return Call::Not(Status::Fail(NO_CORE_INVOKES.into()));
            }
            Ok(Target::Skipped(why)) => {
                return Call::Not(Status::Skip(format!("depends on skipped component: {why}")));
            }
            Ok(Target::Failed(line, why)) => {
                return Call::Not(Status::Fail(depends_on_failed(line, &why)));
            }
            Err(status) => return Call::Not(status),
        };
        let mut params = Vec::with_capacity(invoke.args.len());
        for arg in &invoke.args {
            match value::arg(arg) {
                Ok(v) => params.push(v),
                Err(why) => return Call::Not(Status::Fail(why)),
            }
        }
        let Some(func) = instance.get_func(&mut self.store, invoke.name) else {
            return Call::Not(Status::Fail(format!(
                "no exported function named `{}`",
                invoke.name
            )));
        };
        let mut results = vec![Val::Bool(false); func.result_count(&self.store)];
        match func.call(&mut self.store, &params, &mut results) {
            Ok(()) => Call::Returned(results),
            Err(e) => Call::Trapped(e),
        }
    }

    /// Runs an invoke that is expected to fail.
    fn invoke_expecting_error(&mut self, invoke: &WastInvoke<'_>) -> Failing {
        match self.invoke(invoke) {
            Call::Returned(_) => Failing::Succeeded,
            Call::Trapped(e) => Failing::Error(e),
            Call::Not(status) => Failing::Decided(status),
        }
    }

    /// Compiles and instantiates a component that is expected to fail to.
    fn instantiate_expecting_error(&mut self, mut q: QuoteWat<'_>) -> Failing {
        match self.compile(&mut q) {
            Ok(Compiled::Component(c)) => {
                Failing::from(self.linker.instantiate(&mut self.store, &c).map(|_| ()))
            }
            Ok(Compiled::Module) => Failing::Decided(Status::Fail(NO_CORE_INSTANCES.into())),
            Err(e) => Failing::Error(e),
        }
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, results: &[WastRet<'_>]) -> Status {
        match exec {
            WastExecute::Invoke(invoke) => match self.invoke(&invoke) {
                Call::Returned(actual) => match value::check_results(results, &actual) {
                    Ok(()) => Status::Pass,
                    Err(why) => Status::Fail(why),
                },
                Call::Trapped(e) => self.failure(&e, Some("returned an error")),
                Call::Not(status) => status,
            },
            WastExecute::Wat(wat) => {
                let mut q = QuoteWat::Wat(wat);
                match self.compile(&mut q) {
                    Ok(Compiled::Component(c)) => {
                        match self.linker.instantiate(&mut self.store, &c) {
                            Ok(_) if results.is_empty() => Status::Pass,
                            Ok(_) => Status::Fail("instantiation has no results to compare".into()),
                            Err(e) => self.failure(&e, None),
                        }
                    }
                    Ok(Compiled::Module) => Status::Fail(NO_CORE_INSTANCES.into()),
                    Err(e) => self.failure(&e, None),
                }
            }
            WastExecute::Get { .. } => Status::Fail(NO_GET.into()),
        }
    }

    fn assert_trap(&mut self, exec: WastExecute<'_>, text: &str) -> Status {
        let outcome = match exec {
            WastExecute::Invoke(invoke) => self.invoke_expecting_error(&invoke),
            WastExecute::Wat(wat) => self.instantiate_expecting_error(QuoteWat::Wat(wat)),
            WastExecute::Get { .. } => Failing::Decided(Status::Fail(NO_GET.into())),
        };
        self.expect_error(outcome, text, "trap")
    }

    /// Judges an operation that should have failed with an error containing `text`.
    fn expect_error(&self, outcome: Failing, text: &str, what: &str) -> Status {
        match outcome {
            Failing::Succeeded => Status::Fail(format!(
                "expected a {what} containing `{text}`, but it succeeded"
            )),
            Failing::Decided(status) => status,
            Failing::Error(e) if message(&e).contains(UNSUPPORTED) => Status::Skip(message(&e)),
            Failing::Error(e) if error_contains(&e, text) => Status::Pass,
            Failing::Error(e) => {
                self.failure(&e, Some(&format!("wrong error: expected `{text}`, got")))
            }
        }
    }

    /// The status of an unexpected error: skipped when it reports an unsupported construct
    /// or mentions a name that is missing because of one, failed otherwise.
    fn failure(&self, e: &anyhow::Error, prefix: Option<&str>) -> Status {
        let msg = message(e);
        if msg.contains(UNSUPPORTED) {
            return Status::Skip(msg);
        }
        let mut notes = Vec::new();
        for (name, missing) in &self.missing {
            if mentions(&msg, name) {
                if missing.unsupported {
                    return Status::Skip(format!("{}; error: {msg}", missing.why));
                }
                notes.push(missing.why.as_str());
            }
        }
        notes.sort_unstable();
        let mut out = match prefix {
            Some(prefix) => format!("{prefix}: {msg}"),
            None => msg,
        };
        for note in notes {
            out.push_str(&format!(" (note: {note})"));
        }
        Status::Fail(out)
    }

    /// Encodes and compiles a component or module.
    fn compile(&self, q: &mut QuoteWat<'_>) -> anyhow::Result<Compiled> {
        let component = is_component(q);
        let bytes = q.encode().map_err(|e| anyhow::anyhow!("{}", e.message()))?;
        if component {
            Component::new(&self.engine, bytes).map(Compiled::Component)
        } else {
            Module::new(&self.engine, bytes).map(|_| Compiled::Module)
        }
    }
}

/// The reason of a directive that needs what failed at `line` for `why`.
fn depends_on_failed(line: usize, why: &str) -> String {
    format!("depends on line {line}, which failed: {why}")
}

/// Whether an error message mentions the import name `name`: quoted as `` `name` `` or
/// `"name"`, or followed by `.`, `/` or `#` as the first segment of a path.
fn mentions(msg: &str, name: &str) -> bool {
    [
        format!("`{name}`"),
        format!("\"{name}\""),
        format!("`{name}."),
        format!("`{name}/"),
        format!("`{name}#"),
    ]
    .iter()
    .any(|p| msg.contains(p.as_str()))
}

enum Compiled {
    Component(Component),
    Module,
}

/// How an operation that should fail went.
enum Failing {
    Succeeded,
    Error(anyhow::Error),
    /// It could not be attempted; the status says why.
    Decided(Status),
}

impl From<anyhow::Result<()>> for Failing {
    fn from(r: anyhow::Result<()>) -> Failing {
        match r {
            Ok(()) => Failing::Succeeded,
            Err(e) => Failing::Error(e),
        }
    }
}

const NO_CORE_INSTANCES: &str = "the runner cannot instantiate core modules";
const NO_CORE_INVOKES: &str = "the runner cannot invoke exports of core modules";
const NO_GET: &str = "the runner does not support `get` on core modules";

/// How an invoke went.
enum Call {
    Returned(Vec<Val>),
    Trapped(anyhow::Error),
    /// It could not be made; the status says why.
    Not(Status),
}
