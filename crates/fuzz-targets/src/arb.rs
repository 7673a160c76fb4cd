//! Random component value types and values, drawn from an [`Unstructured`], and the types'
//! WAT text: what the structure-aware targets build their components and calls from.

use arbitrary::{Result, Unstructured};
use tether::abi::{ResourceIndex, Type, Val};

/// How to draw types.
#[derive(Clone, Copy, Debug)]
pub struct TypeRules {
    /// How deep compound types nest.
    pub depth: u32,
    /// How many resource types `own` and `borrow` may name (`ResourceIndex(0..resources)`);
    /// zero for none.
    pub resources: u32,
    /// Whether `borrow` may appear (only in parameters).
    pub borrows: bool,
    /// Whether fixed-length lists may appear.
    pub fixed_lists: bool,
}

/// A kebab-case name for the `i`th field, case or flag.
fn name(i: usize) -> String {
    format!("n{i}")
}

/// A random type under `rules`.
pub fn ty(u: &mut Unstructured<'_>, rules: TypeRules) -> Result<Type> {
    let leaf = rules.depth == 0;
    let choice = if leaf {
        u.int_in_range(0..=12)?
    } else {
        u.int_in_range(0..=24)?
    };
    let inner = TypeRules {
        depth: rules.depth.saturating_sub(1),
        ..rules
    };
    Ok(match choice {
        0 => Type::Bool,
        1 => Type::S8,
        2 => Type::U8,
        3 => Type::S16,
        4 => Type::U16,
        5 => Type::S32,
        6 => Type::U32,
        7 => Type::S64,
        8 => Type::U64,
        9 => Type::F32,
        10 => Type::F64,
        11 => Type::Char,
        12 => Type::String,
        13 | 14 => Type::list(ty(u, inner)?),
        15 => {
            let n = u.int_in_range(1..=4)?;
            let fields = (0..n)
                .map(|i| Ok((name(i), ty(u, inner)?)))
                .collect::<Result<_>>()?;
            Type::try_record(fields).unwrap_or(Type::U8)
        }
        16 => {
            let n = u.int_in_range(1..=4)?;
            Type::try_tuple((0..n).map(|_| ty(u, inner)).collect::<Result<_>>()?)
                .unwrap_or(Type::U8)
        }
        17 => {
            let n = u.int_in_range(1..=4)?;
            let cases = (0..n)
                .map(|i| {
                    let payload = if u.arbitrary()? {
                        Some(ty(u, inner)?)
                    } else {
                        None
                    };
                    Ok((name(i), payload))
                })
                .collect::<Result<_>>()?;
            Type::try_variant(cases).unwrap_or(Type::U8)
        }
        18 => {
            // Up to 300 cases, so that the discriminant takes two bytes sometimes.
            let n = if u.ratio(1, 8)? {
                u.int_in_range(250..=300)?
            } else {
                u.int_in_range(1..=4)?
            };
            Type::enum_((0..n).map(name).collect())
        }
        19 => Type::try_option(ty(u, inner)?).unwrap_or(Type::U8),
        20 => {
            let ok = if u.arbitrary()? {
                Some(ty(u, inner)?)
            } else {
                None
            };
            let err = if u.arbitrary()? {
                Some(ty(u, inner)?)
            } else {
                None
            };
            Type::try_result(ok, err).unwrap_or(Type::U8)
        }
        21 => {
            // Up to 32 flags (the limit), so that they take four bytes sometimes.
            let n = if u.ratio(1, 6)? {
                u.int_in_range(17..=32)?
            } else {
                u.int_in_range(1..=8)?
            };
            Type::flags((0..n).map(name).collect())
        }
        22 if rules.fixed_lists => {
            let elem = ty(u, inner)?;
            // Validation wants at least one element.
            let len = if u.ratio(1, 16)? {
                u.int_in_range(1..=u32::MAX)?
            } else {
                u.int_in_range(1..=4)?
            };
            // A type over the size limit is refused by Tether and by validation alike.
            Type::try_fixed_list(elem, len).unwrap_or(Type::U8)
        }
        23 if rules.resources > 0 => {
            Type::Own(ResourceIndex(u.int_in_range(0..=rules.resources - 1)?))
        }
        24 if rules.resources > 0 && rules.borrows => {
            Type::Borrow(ResourceIndex(u.int_in_range(0..=rules.resources - 1)?))
        }
        _ => Type::U32,
    })
}

/// A random value of `ty`, which must hold no handle (see [`Type::has_resource`]); lists get at
/// most a few elements and strings at most a few dozen characters.
pub fn val(u: &mut Unstructured<'_>, ty: &Type) -> Result<Val> {
    Ok(match ty {
        Type::Bool => Val::Bool(u.arbitrary()?),
        Type::S8 => Val::S8(u.arbitrary()?),
        Type::U8 => Val::U8(u.arbitrary()?),
        Type::S16 => Val::S16(u.arbitrary()?),
        Type::U16 => Val::U16(u.arbitrary()?),
        Type::S32 => Val::S32(u.arbitrary()?),
        Type::U32 => Val::U32(u.arbitrary()?),
        Type::S64 => Val::S64(u.arbitrary()?),
        Type::U64 => Val::U64(u.arbitrary()?),
        Type::F32 => Val::Float32(u.arbitrary()?),
        Type::F64 => Val::Float64(u.arbitrary()?),
        Type::Char => Val::Char(u.arbitrary()?),
        Type::String => {
            let s: String = u.arbitrary()?;
            Val::String(s.chars().take(40).collect())
        }
        Type::List(l) => {
            let n = u.int_in_range(0..=4)?;
            Val::List((0..n).map(|_| val(u, l.elem())).collect::<Result<_>>()?)
        }
        Type::FixedList(l) => {
            // Only short ones: a value of a huge fixed-length list is refused before it is
            // built (see `val_fits`).
            Val::List(
                (0..l.len())
                    .map(|_| val(u, l.elem()))
                    .collect::<Result<_>>()?,
            )
        }
        Type::Map(m) => {
            let n = u.int_in_range(0..=3)?;
            Val::Map(
                (0..n)
                    .map(|_| Ok((val(u, m.key())?, val(u, m.value())?)))
                    .collect::<Result<_>>()?,
            )
        }
        Type::Record(r) => Val::Record(
            r.fields()
                .iter()
                .map(|(n, t)| Ok((n.clone(), val(u, t)?)))
                .collect::<Result<_>>()?,
        ),
        Type::Tuple(t) => Val::Tuple(t.types().iter().map(|t| val(u, t)).collect::<Result<_>>()?),
        Type::Variant(v) => {
            let (n, t) = u.choose(v.cases())?;
            let payload = match t {
                Some(t) => Some(Box::new(val(u, t)?)),
                None => None,
            };
            Val::Variant(n.clone(), payload)
        }
        Type::Enum(e) => Val::Enum(u.choose(e.names())?.clone()),
        Type::Option(o) => Val::Option(if u.arbitrary()? {
            Some(Box::new(val(u, o.some())?))
        } else {
            None
        }),
        Type::Result(r) => {
            let side = |u: &mut Unstructured<'_>, t: Option<&Type>| -> Result<Option<Box<Val>>> {
                Ok(match t {
                    Some(t) => Some(Box::new(val(u, t)?)),
                    None => None,
                })
            };
            Val::Result(if u.arbitrary()? {
                Ok(side(u, r.ok())?)
            } else {
                Err(side(u, r.err())?)
            })
        }
        Type::Flags(f) => {
            let mut set = Vec::new();
            for n in f.names() {
                if u.arbitrary()? {
                    set.push(n.clone());
                }
            }
            Val::Flags(set)
        }
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            return Err(arbitrary::Error::IncorrectFormat);
        }
    })
}

/// Whether values of `ty` are small enough to build (no fixed-length list of more than 64
/// elements anywhere): `val` builds every element of a fixed-length list.
pub fn val_fits(ty: &Type) -> bool {
    match ty {
        Type::FixedList(l) => l.len() <= 64 && val_fits(l.elem()),
        Type::List(l) => val_fits(l.elem()),
        Type::Map(m) => val_fits(m.key()) && val_fits(m.value()),
        Type::Record(r) => r.fields().iter().all(|(_, t)| val_fits(t)),
        Type::Tuple(t) => t.types().iter().all(val_fits),
        Type::Variant(v) => v
            .cases()
            .iter()
            .all(|(_, t)| t.as_ref().is_none_or(val_fits)),
        Type::Option(o) => val_fits(o.some()),
        Type::Result(r) => r.ok().is_none_or(val_fits) && r.err().is_none_or(val_fits),
        _ => true,
    }
}

/// Writes component-level WAT for types, naming the types that validation wants named
/// (records, variants, enums and flags in an imported or exported function's signature) by
/// defining each and importing it with an `eq` bound, as a host would see it, or exporting it.
#[derive(Default)]
pub struct Wat {
    /// The definitions and imports of the named types, in order.
    pub prelude: String,
    count: usize,
    /// The WAT names of the resource types `own`/`borrow` refer to, by `ResourceIndex`.
    pub resources: Vec<String>,
    /// Whether named types are exported rather than imported: the types of exported
    /// functions' signatures may refer to exported resource types, which an import cannot.
    pub export_named: bool,
}

impl Wat {
    /// A writer whose `own`/`borrow` handles name the resource types `resources` (WAT names,
    /// by `ResourceIndex`).
    pub fn new(resources: Vec<String>) -> Wat {
        Wat {
            resources,
            ..Wat::default()
        }
    }

    /// The WAT text of `ty`, adding the named types it needs to the prelude.
    pub fn ty(&mut self, ty: &Type) -> String {
        let def = match ty {
            Type::Bool => return "bool".into(),
            Type::S8 => return "s8".into(),
            Type::U8 => return "u8".into(),
            Type::S16 => return "s16".into(),
            Type::U16 => return "u16".into(),
            Type::S32 => return "s32".into(),
            Type::U32 => return "u32".into(),
            Type::S64 => return "s64".into(),
            Type::U64 => return "u64".into(),
            Type::F32 => return "f32".into(),
            Type::F64 => return "f64".into(),
            Type::Char => return "char".into(),
            Type::String => return "string".into(),
            Type::ErrorContext => return "error-context".into(),
            Type::List(l) => return format!("(list {})", self.ty(l.elem())),
            Type::FixedList(l) => return format!("(list {} {})", self.ty(l.elem()), l.len()),
            Type::Map(m) => return format!("(map {} {})", self.ty(m.key()), self.ty(m.value())),
            Type::Tuple(t) => {
                let parts: Vec<String> = t.types().iter().map(|t| self.ty(t)).collect();
                return format!("(tuple {})", parts.join(" "));
            }
            Type::Option(o) => return format!("(option {})", self.ty(o.some())),
            Type::Result(r) => {
                let ok = r
                    .ok()
                    .map(|t| format!(" {}", self.ty(t)))
                    .unwrap_or_default();
                let err = r
                    .err()
                    .map(|t| format!(" (error {})", self.ty(t)))
                    .unwrap_or_default();
                return format!("(result{ok}{err})");
            }
            Type::Own(r) => return format!("(own {})", self.resource(*r)),
            Type::Borrow(r) => return format!("(borrow {})", self.resource(*r)),
            Type::Future(t) | Type::Stream(t) => {
                let kind = if matches!(ty, Type::Future(_)) {
                    "future"
                } else {
                    "stream"
                };
                let elem = t.elem().map(|e| format!(" {}", self.ty(e)));
                return format!("({kind}{})", elem.unwrap_or_default());
            }
            Type::Record(r) => {
                let fields: Vec<String> = r
                    .fields()
                    .iter()
                    .map(|(n, t)| format!("(field \"{n}\" {})", self.ty(t)))
                    .collect();
                format!("(record {})", fields.join(" "))
            }
            Type::Variant(v) => {
                let cases: Vec<String> = v
                    .cases()
                    .iter()
                    .map(|(n, t)| match t {
                        Some(t) => format!("(case \"{n}\" {})", self.ty(t)),
                        None => format!("(case \"{n}\")"),
                    })
                    .collect();
                format!("(variant {})", cases.join(" "))
            }
            Type::Enum(e) => {
                let names: Vec<String> = e.names().iter().map(|n| format!("\"{n}\"")).collect();
                format!("(enum {})", names.join(" "))
            }
            Type::Flags(f) => {
                let names: Vec<String> = f.names().iter().map(|n| format!("\"{n}\"")).collect();
                format!("(flags {})", names.join(" "))
            }
        };
        let i = self.count;
        self.count += 1;
        if self.export_named {
            self.prelude.push_str(&format!(
                "  (type $t{i}' {def})\n  (export $t{i} \"t{i}\" (type $t{i}'))\n"
            ));
        } else {
            self.prelude.push_str(&format!(
                "  (type $t{i}' {def})\n  (import \"t{i}\" (type $t{i} (eq $t{i}')))\n"
            ));
        }
        format!("$t{i}")
    }

    fn resource(&self, r: ResourceIndex) -> String {
        self.resources
            .get(r.0 as usize)
            .cloned()
            .unwrap_or_else(|| "$missing-resource".into())
    }
}

/// The WAT name of a core value type.
pub fn core_name(t: tether::abi::CoreType) -> &'static str {
    match t {
        tether::abi::CoreType::I32 => "i32",
        tether::abi::CoreType::I64 => "i64",
        tether::abi::CoreType::F32 => "f32",
        tether::abi::CoreType::F64 => "f64",
    }
}
