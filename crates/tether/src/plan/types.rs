//! Component function signatures, converted once from `wasmparser`'s types into the canonical
//! ABI's [`Type`]s.
//!
//! Resource types inside a signature are numbered locally: `Type::Own(ResourceIndex(i))`
//! refers to `FuncSig::resources[i]`, a `wasmparser` resource id that each instance binds to a
//! run-time resource type when it creates the function. A call therefore resolves a handle's
//! expected type with one array index.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, bail};
use tether_abi::{CoreType, ResourceIndex, Type};
use wasmparser::PrimitiveValType;
use wasmparser::component_types::ResourceId;
use wasmparser::component_types::{
    ComponentDefinedType, ComponentDefinedTypeId, ComponentFuncType, ComponentValType,
};
use wasmparser::types::TypesRef;

/// A component function's signature in canonical-ABI terms.
#[derive(Debug)]
pub(crate) struct FuncSig {
    pub param_names: Vec<String>,
    pub params: Vec<Type>,
    pub results: Vec<Type>,
    /// The resource types the signature mentions, in order of `ResourceIndex`.
    pub resources: Vec<ResourceId>,
    /// Whether the flattened parameters exceed `MAX_FLAT_PARAMS`.
    pub params_spill: bool,
    /// The host memory that lifting the parameters, and the results, as a whole takes beyond
    /// their lists' elements (`tether_abi::direct::values_heap`), worked out once.
    pub params_heap: u64,
    pub results_heap: u64,
    /// Whether the flattened results exceed `MAX_FLAT_RESULTS`.
    pub results_spill: bool,
    /// The flattened parameters, as the core function that lifts or lowers them sees them
    /// when they do not spill (empty when they do: a spilled flattening is only counted).
    pub flat_params: Vec<CoreType>,
    /// Whether any parameter or result holds the readable end of a future or stream, or an
    /// `error-context`: values the host cannot hold yet.
    async_values: bool,
    /// The flattened results when they do not spill (empty when they do).
    pub flat_results: Vec<CoreType>,
    /// The core function types of a `canon lift` and a `canon lower` of this signature,
    /// with spilled parameters and results (see `lift_core_type`, `lower_core_type`).
    lift_params: Arc<[CoreType]>,
    lift_results: Arc<[CoreType]>,
    pub lower_params: Arc<[CoreType]>,
    lower_results: Arc<[CoreType]>,
}

impl FuncSig {
    /// Whether any parameter or result holds the readable end of a future or stream.
    pub fn has_async_values(&self) -> bool {
        self.async_values
    }

    /// Whether any parameter or result holds a handle.
    pub fn has_resources(&self) -> bool {
        !self.resources.is_empty()
    }
}

impl FuncSig {
    /// The core function type of a `canon lift`ed function (what the guest exports).
    pub fn lift_core_type(&self) -> (&[CoreType], &[CoreType]) {
        (&self.lift_params, &self.lift_results)
    }

    /// The core function type of a `canon lower`ed function (what the guest imports).
    pub fn lower_core_type(&self) -> (&[CoreType], &[CoreType]) {
        (&self.lower_params, &self.lower_results)
    }

    /// The signature in WIT syntax, for messages.
    pub fn describe(&self) -> String {
        let params: Vec<String> = self
            .param_names
            .iter()
            .zip(&self.params)
            .map(|(n, t)| format!("{n}: {t}"))
            .collect();
        match self.results.first() {
            Some(r) => format!("func({}) -> {r}", params.join(", ")),
            None => format!("func({})", params.join(", ")),
        }
    }
}

/// Converts `wasmparser` types of one component level.
///
/// Each defined type is converted once and shared ([`Type`]s are reference-counted), so
/// the work is proportional to the number of distinct types a signature refers to, even when
/// they refer to each other many times over (`record { a: t, b: t }`, nested).
pub(crate) struct TypeCx<'a> {
    types: &'a TypesRef<'a>,
    resources: Vec<ResourceId>,
    converted: HashMap<ComponentDefinedTypeId, Type>,
}

impl<'a> TypeCx<'a> {
    pub fn new(types: &'a TypesRef<'a>) -> TypeCx<'a> {
        TypeCx {
            types,
            resources: Vec::new(),
            converted: HashMap::new(),
        }
    }

    pub fn func_sig(mut self, fty: &ComponentFuncType) -> Result<FuncSig> {
        let mut param_names = Vec::with_capacity(fty.params.len());
        let mut params = Vec::with_capacity(fty.params.len());
        for (name, ty) in fty.params.iter() {
            param_names.push(name.to_string());
            params.push(self.val(ty)?);
        }
        let results = match &fty.result {
            Some(ty) => vec![self.val(ty)?],
            None => Vec::new(),
        };
        Ok(self.build(param_names, params, results))
    }

    /// The signature of a `canon task.return` of `result`: a function that takes the result
    /// as its one parameter (none without a result) and returns nothing, as the core function
    /// `task.return` becomes takes it.
    pub fn task_return_sig(mut self, result: Option<&ComponentValType>) -> Result<FuncSig> {
        let params = match result {
            Some(ty) => vec![self.val(ty)?],
            None => Vec::new(),
        };
        let names = params.iter().map(|_| "result".to_string()).collect();
        Ok(self.build(names, params, Vec::new()))
    }

    fn build(self, param_names: Vec<String>, params: Vec<Type>, results: Vec<Type>) -> FuncSig {
        // `None` for more than `MAX_FLAT_PARAMS` core values, which are counted, not built.
        let flat_params = tether_abi::flatten_all(&params);
        let flat_results =
            tether_abi::flatten_all(&results).filter(|r| r.len() <= tether_abi::MAX_FLAT_RESULTS);
        let (lift_params, lift_results) =
            tether_abi::flatten_func(&params, &results, tether_abi::FlattenContext::Lift);
        let (lower_params, lower_results) =
            tether_abi::flatten_func(&params, &results, tether_abi::FlattenContext::Lower);
        FuncSig {
            async_values: params.iter().chain(&results).any(has_async_value),
            params_heap: tether_abi::direct::values_heap(&params),
            results_heap: tether_abi::direct::values_heap(&results),
            param_names,
            params_spill: flat_params.is_none(),
            results_spill: flat_results.is_none(),
            flat_params: flat_params.unwrap_or_default(),
            flat_results: flat_results.unwrap_or_default(),
            params,
            results,
            resources: self.resources,
            lift_params: lift_params.into(),
            lift_results: lift_results.into(),
            lower_params: lower_params.into(),
            lower_results: lower_results.into(),
        }
    }

    fn resource(&mut self, id: ResourceId) -> ResourceIndex {
        let i = match self.resources.iter().position(|r| *r == id) {
            Some(i) => i,
            None => {
                self.resources.push(id);
                self.resources.len() - 1
            }
        };
        ResourceIndex(i as u32)
    }

    pub fn val(&mut self, ty: &ComponentValType) -> Result<Type> {
        match ty {
            ComponentValType::Primitive(p) => primitive(*p),
            ComponentValType::Type(id) => {
                if let Some(ty) = self.converted.get(id) {
                    return Ok(ty.clone());
                }
                let ty = self.defined(&self.types[*id])?;
                self.converted.insert(*id, ty.clone());
                Ok(ty)
            }
        }
    }

    fn defined(&mut self, ty: &ComponentDefinedType) -> Result<Type> {
        Ok(match ty {
            ComponentDefinedType::Primitive(p) => primitive(*p)?,
            ComponentDefinedType::Record(r) => Type::try_record(
                r.fields
                    .iter()
                    .map(|(n, t)| Ok((n.to_string(), self.val(t)?)))
                    .collect::<Result<_>>()?,
            )?,
            ComponentDefinedType::Variant(v) => Type::try_variant(
                v.cases
                    .iter()
                    .map(|(n, c)| {
                        Ok((
                            n.to_string(),
                            c.ty.as_ref().map(|t| self.val(t)).transpose()?,
                        ))
                    })
                    .collect::<Result<_>>()?,
            )?,
            ComponentDefinedType::List { element, .. } => Type::list(self.val(element)?),
            ComponentDefinedType::Map { key, value, .. } => {
                Type::map(self.val(key)?, self.val(value)?)
            }
            ComponentDefinedType::FixedLengthList {
                element, length, ..
            } => Type::try_fixed_list(self.val(element)?, *length)?,
            ComponentDefinedType::Tuple(t) => {
                Type::try_tuple(t.types.iter().map(|t| self.val(t)).collect::<Result<_>>()?)?
            }
            ComponentDefinedType::Flags(names) => {
                Type::flags(names.iter().map(|n| n.to_string()).collect())
            }
            ComponentDefinedType::Enum(names) => {
                Type::enum_(names.iter().map(|n| n.to_string()).collect())
            }
            ComponentDefinedType::Option { ty, .. } => Type::try_option(self.val(ty)?)?,
            ComponentDefinedType::Result { ok, err, .. } => Type::try_result(
                ok.as_ref().map(|t| self.val(t)).transpose()?,
                err.as_ref().map(|t| self.val(t)).transpose()?,
            )?,
            ComponentDefinedType::Own(r) => Type::Own(self.resource(r.resource())),
            ComponentDefinedType::Borrow(r) => Type::Borrow(self.resource(r.resource())),
            ComponentDefinedType::Future { ty: t, .. } => {
                Type::future(t.as_ref().map(|t| self.val(t)).transpose()?)
            }
            ComponentDefinedType::Stream { ty: t, .. } => {
                Type::stream(t.as_ref().map(|t| self.val(t)).transpose()?)
            }
            #[allow(unreachable_patterns)]
            other => bail!("unsupported: the type {other:?}"),
        })
    }
}

/// A primitive value type (`error-context` among them: a handle in the instance's table).
fn primitive(p: PrimitiveValType) -> Result<Type> {
    Ok(match p {
        PrimitiveValType::Bool => Type::Bool,
        PrimitiveValType::S8 => Type::S8,
        PrimitiveValType::U8 => Type::U8,
        PrimitiveValType::S16 => Type::S16,
        PrimitiveValType::U16 => Type::U16,
        PrimitiveValType::S32 => Type::S32,
        PrimitiveValType::U32 => Type::U32,
        PrimitiveValType::S64 => Type::S64,
        PrimitiveValType::U64 => Type::U64,
        PrimitiveValType::F32 => Type::F32,
        PrimitiveValType::F64 => Type::F64,
        PrimitiveValType::Char => Type::Char,
        PrimitiveValType::String => Type::String,
        PrimitiveValType::ErrorContext => Type::ErrorContext,
    })
}

impl FuncSig {
    /// The core function type of a `canon lower` of this signature, registered with `engine`.
    pub fn lowered_func_type(&self, engine: &wasmtime::Engine) -> wasmtime::FuncType {
        let (params, results) = self.lower_core_type();
        wasmtime::FuncType::new(
            engine,
            params.iter().map(|t| core_val_type(*t)),
            results.iter().map(|t| core_val_type(*t)),
        )
    }

    /// The core function type of a `canon lower` of this signature with the `async` option,
    /// registered with `engine`.
    pub fn async_lowered_func_type(&self, engine: &wasmtime::Engine) -> wasmtime::FuncType {
        let (params, results) = tether_abi::flatten_async_func(
            &self.params,
            &self.results,
            tether_abi::FlattenContext::Lower,
            false,
        );
        wasmtime::FuncType::new(
            engine,
            params.iter().map(|t| core_val_type(*t)),
            results.iter().map(|t| core_val_type(*t)),
        )
    }
}

/// The core function type of a resource built-in, registered with `engine`: `(i32) -> i32`
/// for `resource.new` and `resource.rep` (`returns`), `(i32)` for `resource.drop`.
pub(crate) fn resource_intrinsic_type(
    engine: &wasmtime::Engine,
    returns: bool,
) -> wasmtime::FuncType {
    let results = if returns {
        &[wasmtime::ValType::I32][..]
    } else {
        &[][..]
    };
    wasmtime::FuncType::new(engine, [wasmtime::ValType::I32], results.iter().cloned())
}

fn core_val_type(t: CoreType) -> wasmtime::ValType {
    match t {
        CoreType::I32 => wasmtime::ValType::I32,
        CoreType::I64 => wasmtime::ValType::I64,
        CoreType::F32 => wasmtime::ValType::F32,
        CoreType::F64 => wasmtime::ValType::F64,
    }
}

/// Whether a value of `ty` holds the readable end of a future or stream, or an
/// `error-context`.
pub(crate) fn has_async_value(ty: &Type) -> bool {
    match ty {
        Type::Future(_) | Type::Stream(_) | Type::ErrorContext => true,
        Type::List(l) => has_async_value(l.elem()),
        Type::FixedList(l) => has_async_value(l.elem()),
        Type::Map(m) => has_async_value(m.key()) || has_async_value(m.value()),
        Type::Record(r) => r.fields().iter().any(|(_, t)| has_async_value(t)),
        Type::Tuple(t) => t.types().iter().any(has_async_value),
        Type::Variant(v) => v
            .cases()
            .iter()
            .filter_map(|(_, t)| t.as_ref())
            .any(has_async_value),
        Type::Option(o) => has_async_value(o.some()),
        Type::Result(r) => r.ok().into_iter().chain(r.err()).any(has_async_value),
        _ => false,
    }
}

/// Whether the host can receive a value of `ty`: its futures, streams and error contexts are
/// all `stream<u8>`s, which the host reads (`stream_into_writer`).
pub(crate) fn host_may_take(ty: &Type) -> bool {
    match ty {
        Type::Future(_) | Type::ErrorContext => false,
        Type::Stream(s) => s.elem() == Some(&Type::U8),
        Type::List(l) => host_may_take(l.elem()),
        Type::FixedList(l) => host_may_take(l.elem()),
        Type::Map(m) => host_may_take(m.key()) && host_may_take(m.value()),
        Type::Record(r) => r.fields().iter().all(|(_, t)| host_may_take(t)),
        Type::Tuple(t) => t.types().iter().all(host_may_take),
        Type::Variant(v) => v
            .cases()
            .iter()
            .filter_map(|(_, t)| t.as_ref())
            .all(host_may_take),
        Type::Option(o) => host_may_take(o.some()),
        Type::Result(r) => r.ok().into_iter().chain(r.err()).all(host_may_take),
        _ => true,
    }
}
