//! [`check_value`]: whether a host's value fits a type, as lowering will find, before
//! anything is lowered.

use crate::lower::{case_of, flag_bits, record_fields};
use crate::trap;
use crate::{Fault, Type, Val};

/// Checks that `val` is a value of type `ty` the way lowering checks it (the same kinds, a
/// record's field names in order, a variant's case and payload, a fixed-length list's
/// length, flags the type names, an `own` handle for an `own` parameter), without lowering
/// anything. A runtime calls it on an embedder's arguments before it moves any of their
/// handles, so that a value of the wrong type is refused while the call can still leave
/// everything as it was. The error is the [`Trap::HostValue`](crate::Trap::HostValue) that
/// lowering would have returned.
pub fn check_value(ty: &Type, val: &Val) -> Result<(), Fault> {
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
        | (Type::Borrow(_), Val::Resource(_))
        | (Type::Future(_), Val::Future(_))
        | (Type::Stream(_), Val::Stream(_))
        | (Type::ErrorContext, Val::ErrorContext(_)) => Ok(()),
        (Type::Own(_), Val::Resource(r)) if r.owned() => Ok(()),
        (Type::Own(_), Val::Resource(_)) => Err(Fault::host_value(
            "cannot lower a borrowed resource as `own`",
        )),
        (Type::List(t), Val::List(vals)) => {
            if (vals.len() as u64).saturating_mul(u64::from(t.elem().size())) > u64::from(u32::MAX)
            {
                return Err(trap::host_list_too_long(vals.len()));
            }
            vals.iter().try_for_each(|v| check_value(t.elem(), v))
        }
        (Type::FixedList(t), Val::List(vals)) if vals.len() == t.len() as usize => {
            vals.iter().try_for_each(|v| check_value(t.elem(), v))
        }
        (Type::Map(t), Val::Map(entries)) => entries.iter().try_for_each(|(k, v)| {
            check_value(t.key(), k)?;
            check_value(t.value(), v)
        }),
        (Type::Record(t), Val::Record(vals)) => {
            record_fields(ty, t.fields(), vals, val)?;
            t.fields()
                .iter()
                .zip(vals)
                .try_for_each(|((_, fty), (_, v))| check_value(fty, v))
        }
        (Type::Tuple(t), Val::Tuple(vals)) if vals.len() == t.types().len() => t
            .types()
            .iter()
            .zip(vals)
            .try_for_each(|(ty, v)| check_value(ty, v)),
        (Type::Flags(t), Val::Flags(names)) => flag_bits(ty, t.names(), names, val).map(|_| ()),
        (Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_), _) => {
            let Some((_, case)) = case_of(ty, val) else {
                return Err(trap::mismatch(ty, val));
            };
            match (case.ty, case.payload) {
                (Some(pty), Some(p)) => check_value(pty, p),
                _ => Ok(()),
            }
        }
        _ => Err(trap::mismatch(ty, val)),
    }
}
