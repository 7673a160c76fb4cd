//! WAVE (the WebAssembly Value Encoding of `wasm-wave`) over Tether's [`Type`] and [`Val`]:
//! `wasm-wave` parses and prints through its `WasmType` and `WasmValue` traits, which this
//! module implements for thin wrappers, as wasmtime does for its own types.
//!
//! A fixed-length list is parsed and printed as a list (checked against its length).
//! Resource handles have no WAVE form: a function taking one cannot be invoked, and a result
//! holding one is printed as `<resource>` by [`display`].

use std::borrow::Cow;

use tether::{Type, Val};
use wasm_wave::wasm::{WasmType, WasmTypeKind, WasmValue, WasmValueError};

/// A component value type, for `wasm-wave`.
#[derive(Clone, Debug)]
pub struct WaveType(pub Type);

/// A component value, for `wasm-wave`.
#[derive(Clone, Debug, PartialEq)]
pub struct WaveVal(pub Val);

impl WasmType for WaveType {
    fn kind(&self) -> WasmTypeKind {
        match &self.0 {
            Type::Bool => WasmTypeKind::Bool,
            Type::S8 => WasmTypeKind::S8,
            Type::U8 => WasmTypeKind::U8,
            Type::S16 => WasmTypeKind::S16,
            Type::U16 => WasmTypeKind::U16,
            Type::S32 => WasmTypeKind::S32,
            Type::U32 => WasmTypeKind::U32,
            Type::S64 => WasmTypeKind::S64,
            Type::U64 => WasmTypeKind::U64,
            Type::F32 => WasmTypeKind::F32,
            Type::F64 => WasmTypeKind::F64,
            Type::Char => WasmTypeKind::Char,
            Type::String => WasmTypeKind::String,
            Type::List(_) | Type::FixedList(_) => WasmTypeKind::List,
            Type::Map(_) => WasmTypeKind::Map,
            Type::Record(_) => WasmTypeKind::Record,
            Type::Tuple(_) => WasmTypeKind::Tuple,
            Type::Variant(_) => WasmTypeKind::Variant,
            Type::Enum(_) => WasmTypeKind::Enum,
            Type::Option(_) => WasmTypeKind::Option,
            Type::Result(_) => WasmTypeKind::Result,
            Type::Flags(_) => WasmTypeKind::Flags,
            Type::Own(_)
            | Type::Borrow(_)
            | Type::Future(_)
            | Type::Stream(_)
            | Type::ErrorContext => WasmTypeKind::Unsupported,
        }
    }

    fn list_element_type(&self) -> Option<Self> {
        match &self.0 {
            Type::List(l) => Some(WaveType(l.elem().clone())),
            Type::FixedList(l) => Some(WaveType(l.elem().clone())),
            _ => None,
        }
    }

    fn record_fields(&self) -> Box<dyn Iterator<Item = (Cow<'_, str>, Self)> + '_> {
        match &self.0 {
            Type::Record(r) => Box::new(
                r.fields()
                    .iter()
                    .map(|(n, t)| (Cow::Borrowed(n.as_str()), WaveType(t.clone()))),
            ),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn tuple_element_types(&self) -> Box<dyn Iterator<Item = Self> + '_> {
        match &self.0 {
            Type::Tuple(t) => Box::new(t.types().iter().map(|t| WaveType(t.clone()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn variant_cases(&self) -> Box<dyn Iterator<Item = (Cow<'_, str>, Option<Self>)> + '_> {
        match &self.0 {
            Type::Variant(v) => Box::new(
                v.cases()
                    .iter()
                    .map(|(n, t)| (Cow::Borrowed(n.as_str()), t.clone().map(WaveType))),
            ),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn enum_cases(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        match &self.0 {
            Type::Enum(e) => Box::new(e.names().iter().map(|n| Cow::Borrowed(n.as_str()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn option_some_type(&self) -> Option<Self> {
        match &self.0 {
            Type::Option(o) => Some(WaveType(o.some().clone())),
            _ => None,
        }
    }

    fn result_types(&self) -> Option<(Option<Self>, Option<Self>)> {
        match &self.0 {
            Type::Result(r) => Some((
                r.ok().cloned().map(WaveType),
                r.err().cloned().map(WaveType),
            )),
            _ => None,
        }
    }

    fn flags_names(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        match &self.0 {
            Type::Flags(f) => Box::new(f.names().iter().map(|n| Cow::Borrowed(n.as_str()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn map_key_value_types(&self) -> Option<(Self, Self)> {
        match &self.0 {
            Type::Map(m) => Some((WaveType(m.key().clone()), WaveType(m.value().clone()))),
            _ => None,
        }
    }
}

fn wrong(ty: &Type, what: &str) -> WasmValueError {
    WasmValueError::WrongValueType {
        ty: ty.to_string(),
        val: what.to_string(),
    }
}

/// Unwraps a `WaveVal` of the expected shape; `wasm-wave` calls `unwrap_*` only for values
/// of the matching kind, so another shape is a bug, reported as a panic as the trait asks.
macro_rules! unwrap {
    ($v:expr, $pat:pat => $out:expr) => {
        match &$v.0 {
            $pat => $out,
            other => panic!("wasm-wave asked for the wrong kind of value: {other:?}"),
        }
    };
}

impl WasmValue for WaveVal {
    type Type = WaveType;

    fn kind(&self) -> WasmTypeKind {
        match &self.0 {
            Val::Bool(_) => WasmTypeKind::Bool,
            Val::S8(_) => WasmTypeKind::S8,
            Val::U8(_) => WasmTypeKind::U8,
            Val::S16(_) => WasmTypeKind::S16,
            Val::U16(_) => WasmTypeKind::U16,
            Val::S32(_) => WasmTypeKind::S32,
            Val::U32(_) => WasmTypeKind::U32,
            Val::S64(_) => WasmTypeKind::S64,
            Val::U64(_) => WasmTypeKind::U64,
            Val::Float32(_) => WasmTypeKind::F32,
            Val::Float64(_) => WasmTypeKind::F64,
            Val::Char(_) => WasmTypeKind::Char,
            Val::String(_) => WasmTypeKind::String,
            Val::List(_) => WasmTypeKind::List,
            Val::Record(_) => WasmTypeKind::Record,
            Val::Tuple(_) => WasmTypeKind::Tuple,
            Val::Variant(..) => WasmTypeKind::Variant,
            Val::Enum(_) => WasmTypeKind::Enum,
            Val::Option(_) => WasmTypeKind::Option,
            Val::Result(_) => WasmTypeKind::Result,
            Val::Flags(_) => WasmTypeKind::Flags,
            Val::Map(_) => WasmTypeKind::Map,
            Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {
                WasmTypeKind::Unsupported
            }
        }
    }

    fn make_bool(val: bool) -> Self {
        WaveVal(Val::Bool(val))
    }
    fn make_s8(val: i8) -> Self {
        WaveVal(Val::S8(val))
    }
    fn make_s16(val: i16) -> Self {
        WaveVal(Val::S16(val))
    }
    fn make_s32(val: i32) -> Self {
        WaveVal(Val::S32(val))
    }
    fn make_s64(val: i64) -> Self {
        WaveVal(Val::S64(val))
    }
    fn make_u8(val: u8) -> Self {
        WaveVal(Val::U8(val))
    }
    fn make_u16(val: u16) -> Self {
        WaveVal(Val::U16(val))
    }
    fn make_u32(val: u32) -> Self {
        WaveVal(Val::U32(val))
    }
    fn make_u64(val: u64) -> Self {
        WaveVal(Val::U64(val))
    }
    fn make_f32(val: f32) -> Self {
        WaveVal(Val::Float32(val))
    }
    fn make_f64(val: f64) -> Self {
        WaveVal(Val::Float64(val))
    }
    fn make_char(val: char) -> Self {
        WaveVal(Val::Char(val))
    }
    fn make_string(val: Cow<str>) -> Self {
        WaveVal(Val::String(val.into_owned()))
    }

    fn make_list(
        ty: &WaveType,
        vals: impl IntoIterator<Item = Self>,
    ) -> Result<Self, WasmValueError> {
        let items: Vec<Val> = vals.into_iter().map(|v| v.0).collect();
        if let Type::FixedList(l) = &ty.0
            && items.len() != l.len() as usize
        {
            return Err(WasmValueError::Other(format!(
                "expected a list of exactly {} elements for `{}`, found {}",
                l.len(),
                ty.0,
                items.len()
            )));
        }
        Ok(WaveVal(Val::List(items)))
    }

    fn make_record<'a>(
        ty: &WaveType,
        fields: impl IntoIterator<Item = (&'a str, Self)>,
    ) -> Result<Self, WasmValueError> {
        let Type::Record(r) = &ty.0 else {
            return Err(wrong(&ty.0, "record"));
        };
        let mut given: Vec<(&str, Option<Val>)> =
            fields.into_iter().map(|(n, v)| (n, Some(v.0))).collect();
        let mut out = Vec::with_capacity(r.fields().len());
        for (name, fty) in r.fields() {
            let val = match given.iter_mut().find(|(n, _)| *n == name.as_str()) {
                Some((_, v)) => v
                    .take()
                    .ok_or_else(|| WasmValueError::Other(format!("field `{name}` given twice")))?,
                // An absent `option` field is `none`, as WAVE says.
                None if matches!(fty, Type::Option(_)) => Val::Option(None),
                None => return Err(WasmValueError::MissingField(name.clone())),
            };
            out.push((name.clone(), val));
        }
        if let Some((name, _)) = given
            .iter()
            .find(|(n, _)| !r.fields().iter().any(|(f, _)| f == n))
        {
            return Err(WasmValueError::UnknownField(name.to_string()));
        }
        Ok(WaveVal(Val::Record(out)))
    }

    fn make_tuple(
        ty: &WaveType,
        vals: impl IntoIterator<Item = Self>,
    ) -> Result<Self, WasmValueError> {
        let Type::Tuple(t) = &ty.0 else {
            return Err(wrong(&ty.0, "tuple"));
        };
        let items: Vec<Val> = vals.into_iter().map(|v| v.0).collect();
        if items.len() != t.types().len() {
            return Err(WasmValueError::WrongNumberOfTupleValues {
                want: t.types().len(),
                got: items.len(),
            });
        }
        Ok(WaveVal(Val::Tuple(items)))
    }

    fn make_variant(ty: &WaveType, case: &str, val: Option<Self>) -> Result<Self, WasmValueError> {
        let Type::Variant(v) = &ty.0 else {
            return Err(wrong(&ty.0, "variant"));
        };
        match (v.cases().iter().find(|(n, _)| n == case), val) {
            (None, _) => Err(WasmValueError::UnknownCase(case.to_string())),
            (Some((_, Some(_))), None) => Err(WasmValueError::MissingPayload(case.to_string())),
            (Some((_, None)), Some(_)) => Err(WasmValueError::UnexpectedPayload(case.to_string())),
            (Some(_), payload) => Ok(WaveVal(Val::Variant(
                case.to_string(),
                payload.map(|p| Box::new(p.0)),
            ))),
        }
    }

    fn make_enum(ty: &WaveType, case: &str) -> Result<Self, WasmValueError> {
        let Type::Enum(e) = &ty.0 else {
            return Err(wrong(&ty.0, "enum"));
        };
        if !e.names().iter().any(|n| n == case) {
            return Err(WasmValueError::UnknownCase(case.to_string()));
        }
        Ok(WaveVal(Val::Enum(case.to_string())))
    }

    fn make_option(_ty: &WaveType, val: Option<Self>) -> Result<Self, WasmValueError> {
        Ok(WaveVal(Val::Option(val.map(|v| Box::new(v.0)))))
    }

    fn make_result(
        ty: &WaveType,
        val: Result<Option<Self>, Option<Self>>,
    ) -> Result<Self, WasmValueError> {
        let Type::Result(r) = &ty.0 else {
            return Err(wrong(&ty.0, "result"));
        };
        let check = |case: &str, want: bool, have: bool| match (want, have) {
            (true, false) => Err(WasmValueError::MissingPayload(case.to_string())),
            (false, true) => Err(WasmValueError::UnexpectedPayload(case.to_string())),
            _ => Ok(()),
        };
        Ok(WaveVal(Val::Result(match val {
            Ok(v) => {
                check("ok", r.ok().is_some(), v.is_some())?;
                Ok(v.map(|v| Box::new(v.0)))
            }
            Err(v) => {
                check("err", r.err().is_some(), v.is_some())?;
                Err(v.map(|v| Box::new(v.0)))
            }
        })))
    }

    fn make_flags<'a>(
        ty: &WaveType,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, WasmValueError> {
        let Type::Flags(f) = &ty.0 else {
            return Err(wrong(&ty.0, "flags"));
        };
        let given: Vec<&str> = names.into_iter().collect();
        if let Some(unknown) = given.iter().find(|g| !f.names().iter().any(|n| n == *g)) {
            return Err(WasmValueError::UnknownCase(unknown.to_string()));
        }
        // In the type's order.
        let set = f
            .names()
            .iter()
            .filter(|n| given.contains(&n.as_str()))
            .cloned()
            .collect();
        Ok(WaveVal(Val::Flags(set)))
    }

    fn make_map(
        _ty: &WaveType,
        entries: impl IntoIterator<Item = (Self, Self)>,
    ) -> Result<Self, WasmValueError> {
        Ok(WaveVal(Val::Map(
            entries.into_iter().map(|(k, v)| (k.0, v.0)).collect(),
        )))
    }

    fn unwrap_bool(&self) -> bool {
        unwrap!(self, Val::Bool(v) => *v)
    }
    fn unwrap_s8(&self) -> i8 {
        unwrap!(self, Val::S8(v) => *v)
    }
    fn unwrap_s16(&self) -> i16 {
        unwrap!(self, Val::S16(v) => *v)
    }
    fn unwrap_s32(&self) -> i32 {
        unwrap!(self, Val::S32(v) => *v)
    }
    fn unwrap_s64(&self) -> i64 {
        unwrap!(self, Val::S64(v) => *v)
    }
    fn unwrap_u8(&self) -> u8 {
        unwrap!(self, Val::U8(v) => *v)
    }
    fn unwrap_u16(&self) -> u16 {
        unwrap!(self, Val::U16(v) => *v)
    }
    fn unwrap_u32(&self) -> u32 {
        unwrap!(self, Val::U32(v) => *v)
    }
    fn unwrap_u64(&self) -> u64 {
        unwrap!(self, Val::U64(v) => *v)
    }
    fn unwrap_f32(&self) -> f32 {
        unwrap!(self, Val::Float32(v) => *v)
    }
    fn unwrap_f64(&self) -> f64 {
        unwrap!(self, Val::Float64(v) => *v)
    }
    fn unwrap_char(&self) -> char {
        unwrap!(self, Val::Char(v) => *v)
    }
    fn unwrap_string(&self) -> Cow<'_, str> {
        unwrap!(self, Val::String(v) => Cow::Borrowed(v.as_str()))
    }
    fn unwrap_list(&self) -> Box<dyn Iterator<Item = Cow<'_, Self>> + '_> {
        unwrap!(self, Val::List(v) => Box::new(v.iter().map(|v| Cow::Owned(WaveVal(v.clone())))))
    }
    fn unwrap_record(&self) -> Box<dyn Iterator<Item = (Cow<'_, str>, Cow<'_, Self>)> + '_> {
        unwrap!(self, Val::Record(v) => Box::new(
            v.iter().map(|(n, v)| (Cow::Borrowed(n.as_str()), Cow::Owned(WaveVal(v.clone()))))
        ))
    }
    fn unwrap_tuple(&self) -> Box<dyn Iterator<Item = Cow<'_, Self>> + '_> {
        unwrap!(self, Val::Tuple(v) => Box::new(v.iter().map(|v| Cow::Owned(WaveVal(v.clone())))))
    }
    fn unwrap_variant(&self) -> (Cow<'_, str>, Option<Cow<'_, Self>>) {
        unwrap!(self, Val::Variant(case, payload) => (
            Cow::Borrowed(case.as_str()),
            payload.as_ref().map(|p| Cow::Owned(WaveVal((**p).clone())))
        ))
    }
    fn unwrap_enum(&self) -> Cow<'_, str> {
        unwrap!(self, Val::Enum(case) => Cow::Borrowed(case.as_str()))
    }
    fn unwrap_option(&self) -> Option<Cow<'_, Self>> {
        unwrap!(self, Val::Option(v) => v.as_ref().map(|p| Cow::Owned(WaveVal((**p).clone()))))
    }
    fn unwrap_result(&self) -> Result<Option<Cow<'_, Self>>, Option<Cow<'_, Self>>> {
        let payload = |p: &Option<Box<Val>>| p.as_ref().map(|p| Cow::Owned(WaveVal((**p).clone())));
        unwrap!(self, Val::Result(r) => match r {
            Ok(p) => Ok(payload(p)),
            Err(p) => Err(payload(p)),
        })
    }
    fn unwrap_flags(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        unwrap!(self, Val::Flags(v) => Box::new(v.iter().map(|n| Cow::Borrowed(n.as_str()))))
    }
    fn unwrap_map(&self) -> Box<dyn Iterator<Item = (Cow<'_, Self>, Cow<'_, Self>)> + '_> {
        unwrap!(self, Val::Map(v) => Box::new(
            v.iter().map(|(k, v)| (Cow::Owned(WaveVal(k.clone())), Cow::Owned(WaveVal(v.clone()))))
        ))
    }
}

/// Whether a value holds a resource handle anywhere (WAVE has no form for one).
fn has_resource(v: &Val) -> bool {
    match v {
        Val::Resource(_) => true,
        Val::List(items) | Val::Tuple(items) => items.iter().any(has_resource),
        Val::Record(fields) => fields.iter().any(|(_, v)| has_resource(v)),
        Val::Variant(_, p) | Val::Option(p) => p.as_deref().is_some_and(has_resource),
        Val::Result(Ok(p) | Err(p)) => p.as_deref().is_some_and(has_resource),
        Val::Map(entries) => entries
            .iter()
            .any(|(k, v)| has_resource(k) || has_resource(v)),
        _ => false,
    }
}

/// A value in WAVE; a value holding a resource handle is shown as `<resource>`, since WAVE
/// has no form for handles.
pub fn display(v: &Val) -> String {
    if has_resource(v) {
        return "<resource>".to_string();
    }
    wasm_wave::to_string(&WaveVal(v.clone())).unwrap_or_else(|e| format!("<cannot print: {e}>"))
}

/// A parsed `--invoke` call: a function name (`name`, or `instance#name` for a function of
/// an exported instance, which WAVE's own name syntax has no form for) and its arguments,
/// still untyped.
pub struct Call {
    /// The function's name as written.
    pub name: String,
    /// `f(args...)`: the arguments under a placeholder name.
    untyped: wasm_wave::untyped::UntypedFuncCall<'static>,
    /// The whole text, for messages.
    text: String,
    /// Where the arguments start in `text`, less one (the placeholder name's length).
    offset: usize,
}

/// Parses `name(arg, ...)`.
pub fn parse_call(text: &str) -> anyhow::Result<Call> {
    let open = text.find('(').ok_or_else(|| {
        anyhow::anyhow!(
            "bad `--invoke` value `{text}`: expected `name(arg, ...)`, such as `add(1, 2)`"
        )
    })?;
    let name = text[..open].trim();
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ')' || c == ',') {
        anyhow::bail!("bad `--invoke` value `{text}`: expected a function name before `(`");
    }
    let source = format!("f{}", &text[open..]);
    let offset = open - 1;
    let untyped = wasm_wave::untyped::UntypedFuncCall::parse(&source)
        .map_err(|e| parse_error(text, offset, &e))?
        .into_owned();
    Ok(Call {
        name: name.to_string(),
        untyped,
        text: text.to_string(),
        offset,
    })
}

impl Call {
    /// The arguments as values of `types`.
    pub fn args(&self, types: &[Type]) -> anyhow::Result<Vec<Val>> {
        // Trailing `option` parameters may be left out, even all of them.
        if self.untyped.params_node().is_none()
            && types.iter().all(|t| matches!(t, Type::Option(_)))
        {
            return Ok(types.iter().map(|_| Val::Option(None)).collect());
        }
        let types: Vec<WaveType> = types.iter().cloned().map(WaveType).collect();
        let vals: Vec<WaveVal> = self
            .untyped
            .to_wasm_params(types.iter())
            .map_err(|e| parse_error(&self.text, self.offset, &e))?;
        Ok(vals.into_iter().map(|v| v.0).collect())
    }
}

/// A WAVE error in `text`, whose spans are `offset` bytes before their place in `text`.
fn parse_error(text: &str, offset: usize, e: &wasm_wave::parser::ParserError) -> anyhow::Error {
    let span = e.span();
    let start = (span.start + offset).min(text.len());
    let end = (span.end + offset).clamp(start, text.len());
    let kind = e.kind().to_string();
    let cause = e
        .detail()
        .map(str::to_string)
        .or_else(|| std::error::Error::source(e).map(|s| s.to_string()));
    let what = match cause {
        Some(c) => format!("{kind}: {c}"),
        None => kind,
    };
    let at = &text[start..end];
    if at.is_empty() {
        anyhow::anyhow!("bad `--invoke` value `{text}`: {what}, at character {start}")
    } else {
        anyhow::anyhow!(
            "bad `--invoke` value `{text}`: {what}, at `{at}` (characters {start}..{end})"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(ty: Type, s: &str) -> Val {
        wasm_wave::from_str::<WaveVal>(&WaveType(ty), s).unwrap().0
    }

    #[test]
    fn values_round_trip() {
        let rec = Type::record(vec![
            ("a".into(), Type::U32),
            ("b-c".into(), Type::option(Type::String)),
        ]);
        let v = parse(rec.clone(), "{a: 1, b-c: some(\"x\")}");
        assert_eq!(
            v,
            Val::Record(vec![
                ("a".into(), Val::U32(1)),
                (
                    "b-c".into(),
                    Val::Option(Some(Box::new(Val::String("x".into()))))
                )
            ])
        );
        assert_eq!(display(&v), "{a: 1, b-c: some(\"x\")}");
        let v = parse(rec, "{a: 7}");
        assert_eq!(display(&v), "{a: 7}");
        let var = Type::variant(vec![
            ("none-yet".into(), None),
            ("some-num".into(), Some(Type::S64)),
        ]);
        assert_eq!(display(&parse(var.clone(), "some-num(-3)")), "some-num(-3)");
        assert_eq!(display(&parse(var, "none-yet")), "none-yet");
        let fl = Type::flags(vec!["r".into(), "w".into(), "x".into()]);
        assert_eq!(display(&parse(fl, "{x, r}")), "{r, x}");
        let res = Type::result(Some(Type::list(Type::U8)), None);
        assert_eq!(display(&parse(res, "ok([1, 2])")), "ok([1, 2])");
        assert_eq!(
            display(&parse(
                Type::tuple(vec![Type::Char, Type::F64]),
                "('x', 1.5)"
            )),
            "('x', 1.5)"
        );
        let fixed = Type::fixed_list(Type::U8, 2);
        assert!(wasm_wave::from_str::<WaveVal>(&WaveType(fixed), "[1, 2, 3]").is_err());
    }

    #[test]
    fn calls_parse_against_parameter_types() {
        let call = parse_call("add(1, 2)").unwrap();
        assert_eq!(call.name, "add");
        assert_eq!(
            call.args(&[Type::U32, Type::U32]).unwrap(),
            [Val::U32(1), Val::U32(2)]
        );
        let err = call
            .args(&[Type::String, Type::U32])
            .unwrap_err()
            .to_string();
        assert!(err.contains("at `1` (characters 4..5)"), "{err}");
        assert!(parse_call("add(1,").is_err());
        assert!(parse_call("add").is_err());
        let call = parse_call("f()").unwrap();
        assert_eq!(
            call.args(&[Type::option(Type::U8)]).unwrap(),
            [Val::Option(None)],
            "a trailing option may be left out"
        );
        let call = parse_call("tether:demo/api#sum([1, 2])").unwrap();
        assert_eq!(call.name, "tether:demo/api#sum");
        assert_eq!(
            call.args(&[Type::list(Type::U32)]).unwrap(),
            [Val::List(vec![Val::U32(1), Val::U32(2)])]
        );
    }
}
