//! Running one `.wast` file through Tether.

use std::collections::HashMap;
use std::path::Path;

use tether::{Component, Config, Engine, Instance, Linker, Module, Store, Val};
use wast::component::WastVal;
use wast::parser::{self, ParseBuffer};
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

use crate::guard::guarded;
use crate::host::{self, HostState};
use crate::outcome::{FileReport, Outcome, Status, one_line};
use crate::{headers, register, value};

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
            outcomes: vec![Outcome { line: 0, kind: "file", status: Status::Fail(format!("panic: {panic}")) }],
        },
    }
}

fn run(path: &Path, key: &str) -> FileReport {
    let fail = |line: usize, kind: &'static str, reason: String| FileReport {
        key: key.to_string(),
        parsed: false,
        outcomes: vec![Outcome { line, kind, status: Status::Fail(reason) }],
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
                outcomes.push(Outcome { line: line_of(&text, d.span()), kind: kind(&text, d), status });
            }
        }
        Ok(mut runner) => {
            for d in wast.directives {
                let line = line_of(&text, d.span());
                let kind = kind(&text, &d);
                let status = match guarded(|| runner.directive(d, line)) {
                    Ok(status) => status,
                    Err(panic) => Status::Fail(format!("panic: {panic}")),
                };
                outcomes.push(Outcome { line, kind, status });
            }
        }
    }
    FileReport { key: key.to_string(), parsed: true, outcomes }
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
            if text.get(span.offset()..).is_some_and(|t| t.starts_with("module")) {
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
    matches!(q, QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..))
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
    Component(Instance, Component),
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
        for (name, enabled) in features {
            config
                .wasm_feature(name, *enabled)
                .map_err(|e| format!("header `;;! {name} = {enabled}`: {}", message(&e)))?;
        }
        let engine = Engine::new(&config).map_err(|e| format!("creating the engine: {}", message(&e)))?;
        let store = Store::new(&engine, HostState::default());
        let mut linker = Linker::new(&engine);
        let gaps = host::define(&engine, &mut linker);
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
            definitions: HashMap::new(),
            last_definition: None,
            instances: HashMap::new(),
            current: None,
            missing,
        })
    }

    fn directive(&mut self, d: WastDirective<'_>, line: usize) -> Status {
        match d {
            WastDirective::Module(mut q) => self.top_level(&mut q, line),
            WastDirective::ModuleDefinition(mut q) => self.definition(&mut q, line),
            WastDirective::ModuleInstance { instance, module, .. } => self.instance(instance, module, line),
            WastDirective::Register { name, module, .. } => self.register(name, module),
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Call::Returned(_) => Status::Pass,
                Call::Trapped(e) => self.failure(&e, None),
                Call::Not(status) => status,
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => self.assert_trap(exec, message),
            WastDirective::AssertExhaustion { call, message, .. } => {
                self.expect_error(self.invoke_error(&call), message, "trap")
            }
            WastDirective::AssertInvalid { mut module, message, .. }
            | WastDirective::AssertMalformed { mut module, message, .. } => {
                let result = self.compile(&mut module).map(|_| ());
                self.expect_error(result, message, "compile error")
            }
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let mut q = QuoteWat::Wat(module);
                let result = self.compile(&mut q).and_then(|compiled| match compiled {
                    Compiled::Component(c) => self.linker.instantiate(&mut self.store, &c).map(|_| ()),
                    Compiled::Module(_) => {
                        Err(anyhow::anyhow!("the runner cannot instantiate core modules"))
                    }
                });
                self.expect_error(result.map_err(Some), message, "link error")
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. }
            | WastDirective::AssertException { .. }
            | WastDirective::AssertSuspension { .. }
            | WastDirective::Thread(_)
            | WastDirective::Wait { .. } => Status::Fail("the runner does not support this directive".into()),
        }
    }

    /// `(component ...)` or `(module ...)`: compile and instantiate; a named one is also
    /// registered under its name, as wasmtime's runner does.
    fn top_level(&mut self, q: &mut QuoteWat<'_>, line: usize) -> Status {
        let name = q.name().map(|id| id.name().to_string());
        let (target, status) = match self.compile(q) {
            Ok(Compiled::Component(c)) => self.instantiate(c, line),
            Ok(Compiled::Module(_)) => (Target::Module, Status::Pass),
            Err(e) => self.failed_target(&e, line),
        };
        self.set_current(name, target);
        status
    }

    fn definition(&mut self, q: &mut QuoteWat<'_>, line: usize) -> Status {
        let name = q.name().map(|id| id.name().to_string());
        let (def, status) = match self.compile(q) {
            Ok(Compiled::Component(c)) => (Def::Component(c), Status::Pass),
            Ok(Compiled::Module(_)) => (Def::Module, Status::Pass),
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
                let why = "the runner cannot instantiate core modules".to_string();
                (Target::Failed(line, why.clone()), Status::Fail(why))
            }
            Some(Def::Skipped(why)) => {
                let why = format!("depends on skipped component: {why}");
                (Target::Skipped(why.clone()), Status::Skip(why))
            }
            Some(Def::Failed(at, why)) => {
                let why = format!("depends on the definition at line {at}, which failed: {why}");
                (Target::Failed(line, why.clone()), Status::Fail(why))
            }
        };
        self.set_current(name, target);
        status
    }

    fn instantiate(&mut self, component: Component, line: usize) -> (Target, Status) {
        match self.linker.instantiate(&mut self.store, &component) {
            Ok(instance) => (Target::Component(instance, component), Status::Pass),
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
                Target::Component(instance, component) => {
                    let r = register::define(&mut self.linker, &mut self.store, &name, component, *instance);
                    match r {
                        Ok(()) => {
                            self.missing.remove(&name);
                        }
                        Err(e) => {
                            let why = format!("the instance `${name}` could not be registered: {}", message(&e));
                            self.missing.insert(name.clone(), Missing { unsupported: false, why });
                        }
                    }
                }
                Target::Skipped(why) => {
                    let why = format!("`{name}` names a skipped component: {why}");
                    self.missing.insert(name.clone(), Missing { unsupported: true, why });
                }
                Target::Module | Target::Failed(..) => {}
            }
            self.instances.insert(name, target.clone());
        }
        self.current = Some(target);
    }

    /// `(register "name" $i)`.
    fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Status {
        let target = match self.target(module) {
            Ok(target) => target,
            Err(status) => return status,
        };
        let (instance, component) = match target {
            Target::Component(instance, component) => (instance, component),
            Target::Module => return Status::Fail("register not supported for core modules".into()),
            Target::Skipped(why) => {
                let why = format!("depends on skipped component: {why}");
                let missing = Missing { unsupported: true, why: why.clone() };
                self.missing.insert(name.to_string(), missing);
                return Status::Skip(why);
            }
            Target::Failed(line, why) => {
                return Status::Fail(format!("depends on the component at line {line}, which failed: {why}"));
            }
        };
        match register::define(&mut self.linker, &mut self.store, name, &component, instance) {
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
            None => self.current.clone().ok_or_else(|| Status::Fail("no component instantiated yet".into())),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Call {
        let instance = match self.target(invoke.module) {
            Ok(Target::Component(instance, _)) => instance,
            Ok(Target::Module) => {
                return Call::Not(Status::Fail("the runner cannot invoke exports of core modules".into()));
            }
            Ok(Target::Skipped(why)) => return Call::Not(Status::Skip(format!("depends on skipped component: {why}"))),
            Ok(Target::Failed(line, why)) => {
                let why = format!("depends on the component at line {line}, which failed: {why}");
                return Call::Not(Status::Fail(why));
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
            return Call::Not(Status::Fail(format!("no exported function named `{}`", invoke.name)));
        };
        let mut results = vec![Val::Bool(false); func.result_count(&self.store)];
        match func.call(&mut self.store, &params, &mut results) {
            Ok(()) => Call::Returned(results),
            Err(e) => Call::Trapped(e),
        }
    }

    /// The error of an invoke that is expected to fail; `Ok` if it returned, and `Err(None)`
    /// with the status already decided if it could not be called.
    fn invoke_error(&mut self, invoke: &WastInvoke<'_>) -> Result<(), Option<anyhow::Error>> {
        match self.invoke(invoke) {
            Call::Returned(_) => Ok(()),
            Call::Trapped(e) => Err(Some(e)),
            Call::Not(status) => {
                self.decided = Some(status);
                Err(None)
            }
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
                    Ok(Compiled::Component(c)) => match self.linker.instantiate(&mut self.store, &c) {
                        Ok(_) if results.is_empty() => Status::Pass,
                        Ok(_) => Status::Fail("instantiation has no results to compare".into()),
                        Err(e) => self.failure(&e, None),
                    },
                    Ok(Compiled::Module(_)) => Status::Fail("the runner cannot instantiate core modules".into()),
                    Err(e) => self.failure(&e, None),
                }
            }
            WastExecute::Get { .. } => Status::Fail("the runner does not support `get` on core modules".into()),
        }
    }

    fn assert_trap(&mut self, exec: WastExecute<'_>, text: &str) -> Status {
        let result = match exec {
            WastExecute::Invoke(invoke) => self.invoke_error(&invoke),
            WastExecute::Wat(wat) => {
                let mut q = QuoteWat::Wat(wat);
                match self.compile(&mut q) {
                    Ok(Compiled::Component(c)) => {
                        self.linker.instantiate(&mut self.store, &c).map(|_| ()).map_err(Some)
                    }
                    Ok(Compiled::Module(_)) => {
                        return Status::Fail("the runner cannot instantiate core modules".into());
                    }
                    Err(e) => Err(Some(e)),
                }
            }
            WastExecute::Get { .. } => {
                return Status::Fail("the runner does not support `get` on core modules".into());
            }
        };
        self.expect_error(result, text, "trap")
    }

    /// Judges an operation that should have failed with an error containing `text`.
    fn expect_error(&mut self, result: Result<(), Option<anyhow::Error>>, text: &str, what: &str) -> Status {
        match result {
            Ok(()) => Status::Fail(format!("expected a {what} containing `{text}`, but it succeeded")),
            Err(None) => self.decided.take().unwrap_or_else(|| Status::Fail("internal error: no status".into())),
            Err(Some(e)) if e_unsupported(&e) => Status::Skip(message(&e)),
            Err(Some(e)) if error_contains(&e, text) => Status::Pass,
            Err(Some(e)) => self.failure(&e, Some(&format!("wrong error: expected `{text}`, got"))),
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
            Module::new(&self.engine, bytes).map(Compiled::Module)
        }
    }
}

fn e_unsupported(e: &anyhow::Error) -> bool {
    message(e).contains(UNSUPPORTED)
}

/// Whether an error message mentions the import name `name`: quoted as `` `name` `` or
/// `"name"`, or followed by `.`, `/` or `#` as the first segment of a path.
fn mentions(msg: &str, name: &str) -> bool {
    [format!("`{name}`"), format!("\"{name}\""), format!("`{name}."), format!("`{name}/"), format!("`{name}#")]
        .iter()
        .any(|p| msg.contains(p.as_str()))
}

enum Compiled {
    Component(Component),
    Module(#[allow(dead_code)] Module),
}

/// How an invoke went.
enum Call {
    Returned(Vec<Val>),
    Trapped(anyhow::Error),
    /// It could not be made; the status says why.
    Not(Status),
}

#[allow(dead_code)]
fn unused(_: WastVal<'_>) {}
