//! The built-ins of the async ABI's futures and streams on the call layer
//! ([`run_end_builtin`]: `{future,stream}.new`, `.read`, `.write`, `.cancel-read`,
//! `.cancel-write`, `.drop-readable`, `.drop-writable`), and the copy of elements from a
//! writer's memory into a reader's when a read meets a write. The rules on ends, the
//! rendezvous and the events live in `crate::state::copy`.
//!
//! Readable ends move between guests as values (`Cx::lift_readable` and `lower_readable`).
//! The host holds none yet: a call that would hand one to the host, or pass one from it, is
//! `unsupported:` ([`refuse_for_host`]).

use std::cell::Cell;
use std::sync::Arc;

use std::io::Write;

use anyhow::Result;
use tether_abi::{CopyRule, EndKind, PointerOf, Trap, Type, Val};

use super::Wt;
use super::async_builtins::same_elem;
use super::cx::{Cx, Opts};
use super::error::{trap, unsupported_call};
use super::task::wait_in_place;
use crate::state::copy::{BLOCKED, Buffer, MAX_LENGTH, Step};
use crate::state::runtime::{InstanceId, Runtime};
use crate::state::task::ParkedOn;

/// The options and element type of one `{future,stream}.{read,write}` built-in, by which
/// a buffer it made is copied into or out of (`Buffer::opts` keys `StoreData::copy_opts`).
pub(crate) struct CopyOpts {
    pub opts: Opts,
    pub instance: InstanceId,
    /// The store's resource types for the resource indices in the element type.
    pub resources: Arc<[u32]>,
}

/// What a future or stream built-in does.
pub(crate) enum EndOp {
    New,
    /// A read or write, with its options' key and whether it is `async`.
    Copy {
        key: u32,
        async_: bool,
    },
    Cancel {
        async_: bool,
    },
    Drop,
}

/// A future or stream built-in of `instance` on its end kind `end` and type `ty` (a
/// `Type::Future` or `Type::Stream`, whose resource indices `resources` resolves): the
/// core results it returns.
pub(crate) fn run_end_builtin<T: 'static>(
    store: &mut Wt<'_, T>,
    end: EndKind,
    op: &EndOp,
    ty: &Type,
    resources: &Arc<[u32]>,
    instance: InstanceId,
    args: &[u32],
) -> Result<u64> {
    let elem = match ty {
        Type::Future(t) | Type::Stream(t) => t.elem(),
        _ => return Err(anyhow::anyhow!("internal error: an end built-in of {ty}")),
    };
    let arg = |i: usize| args.get(i).copied().unwrap_or(0);
    let rt = &mut store.data_mut().rt;
    match op {
        EndOp::New => rt
            .end_new(instance, end.future, elem.cloned(), resources.clone())
            .map_err(trap),
        EndOp::Copy { key, async_ } => {
            check_entry(rt, instance, *async_)?;
            let id = typed_end(rt, instance, arg(0), end, elem, resources)?;
            rt.check_copy(id, !async_).map_err(trap)?;
            let len = if end.future { 1 } else { arg(2) };
            let buf = check_buffer(store, *key, elem, arg(1), len, end)?;
            let rt = &mut store.data_mut().rt;
            match rt.rendezvous(id, buf).map_err(trap)? {
                Step::Copy { other, n } => {
                    copy_elements(store, id, other, n, elem)?;
                    store.data_mut().rt.copied(id, other, n);
                }
                Step::Host { n } => read_from_host(store, id, buf, n)?,
                Step::Sink { n } => write_to_host(store, id, buf, n)?,
                Step::Nothing => {}
            }
            finish(store, instance, id, *async_)
        }
        EndOp::Cancel { async_ } => {
            check_entry(rt, instance, *async_)?;
            let id = typed_end(rt, instance, arg(0), end, elem, resources)?;
            match rt.cancel_copy(id, !async_).map_err(trap)? {
                Some((_, _, payload)) => Ok(u64::from(payload)),
                None => finish(store, instance, id, *async_),
            }
        }
        EndOp::Drop => {
            rt.check_may_leave(instance).map_err(trap)?;
            let id = typed_end(rt, instance, arg(0), end, elem, resources)?;
            let shared = rt.end(id).shared;
            let (host, sink) = (rt.shared_of(id).host, rt.shared_of(id).sink);
            rt.end_drop(instance, arg(0), end).map_err(trap)?;
            if host || sink {
                // The guest dropped its end of a stream the host writes or reads: the host's
                // reader or writer goes (closing what it reads from or flushing what it writes
                // to), and so does the stream.
                let data = store.data_mut();
                data.host_sources.remove(&shared);
                if let Some(mut w) = data.host_sinks.remove(&shared) {
                    let _ = w.flush();
                }
                data.rt.host_side_gone(shared);
            }
            Ok(0)
        }
    }
}

/// The checks every read, write and cancel makes first: the instance may leave, and the
/// synchronous form may block (before the end is looked up, as wasmtime, which the
/// specification's tests follow, checks).
fn check_entry(rt: &Runtime, instance: InstanceId, async_: bool) -> Result<()> {
    rt.check_may_leave(instance).map_err(trap)?;
    if !async_ {
        if !rt.may_block() && rt.others_wait(instance) {
            return Err(unsupported_call(
                "blocking in a task that may not block while other tasks of its instance wait (the specification runs them: cooperative threads)",
            ));
        }
        rt.check_may_block().map_err(trap)?;
    }
    Ok(())
}

/// The end at `i` of `instance`, of kind `end` and element type `elem`: its id.
fn typed_end(
    rt: &Runtime,
    instance: InstanceId,
    i: u32,
    end: EndKind,
    elem: Option<&Type>,
    resources: &[u32],
) -> Result<u32> {
    let id = rt.end_at(instance, i, end).map_err(trap)?;
    let shared = rt.shared_of(id);
    if !same_elem(shared.elem.as_ref(), &shared.resources, elem, resources) {
        return Err(trap(
            Trap::Copy {
                end,
                rule: CopyRule::WrongType,
            }
            .into(),
        ));
    }
    Ok(id)
}

/// The buffer of a read or write of `len` elements at `ptr`, checked as the specification's
/// `BufferGuestImpl` does when it is made: the length, and, for elements with a type, the
/// alignment and the bounds of the memory.
fn check_buffer<T>(
    store: &mut Wt<'_, T>,
    key: u32,
    elem: Option<&Type>,
    ptr: u32,
    len: u32,
    end: EndKind,
) -> Result<Buffer> {
    if len > MAX_LENGTH {
        return Err(trap(
            Trap::Copy {
                end,
                rule: CopyRule::TooLong { len },
            }
            .into(),
        ));
    }
    if let Some(elem) = elem
        && len > 0
    {
        let align = elem.align();
        if !ptr.is_multiple_of(align) {
            return Err(trap(
                Trap::UnalignedPointer {
                    of: PointerOf::Value,
                    ptr,
                    align,
                }
                .into(),
            ));
        }
        let size = u64::from(len) * u64::from(elem.size());
        let memory = memory_len(store, key)?;
        if u64::from(ptr) + size > memory as u64 {
            return Err(trap(
                Trap::PointerOutOfBounds {
                    ptr: u64::from(ptr),
                    size,
                    memory,
                }
                .into(),
            ));
        }
    }
    Ok(Buffer {
        ptr,
        len,
        progress: 0,
        opts: key,
    })
}

/// The size of the memory the options `key` name (a read or write of typed elements
/// has one: validation requires it).
fn memory_len<T>(store: &mut Wt<'_, T>, key: u32) -> Result<usize> {
    let o = store.data().copy_opts[key as usize].clone();
    match &o.opts.memory {
        Some(m) => Ok(m.memory.data_size(&*store)),
        None => Err(trap(Trap::MissingOption { option: "memory" }.into())),
    }
}

/// The end of a read, write or cancel of end `id`: its event if it came, else `BLOCKED`
/// for the `async` form, and for the synchronous one a wait in place until it comes.
fn finish<T: 'static>(
    store: &mut Wt<'_, T>,
    instance: InstanceId,
    id: u32,
    async_: bool,
) -> Result<u64> {
    if !store.data().rt.end_has_event(id) {
        if async_ {
            return Ok(u64::from(BLOCKED));
        }
        wait_in_place(store, instance, ParkedOn::End(id), false)?;
    }
    match store.data_mut().rt.take_end_event(id) {
        Some((_, _, payload)) => Ok(u64::from(payload)),
        None => Err(anyhow::anyhow!(
            "internal error: a copy's wait ended without its event"
        )),
    }
}

/// Copies `n` elements of type `elem` from the writer's buffer to the reader's: end `id`'s
/// and `other`'s. Numbers move as bytes; any other type is lifted out of the writer (handles
/// leave its table) and lowered into the reader (strings and lists through its `realloc`).
fn copy_elements<T: 'static>(
    store: &mut Wt<'_, T>,
    id: u32,
    other: u32,
    n: u32,
    elem: Option<&Type>,
) -> Result<()> {
    let Some(elem) = elem else { return Ok(()) };
    if n == 0 {
        return Ok(());
    }
    let (wbuf, rbuf) = store.data().rt.copy_buffers(id, other);
    let (w, r) = {
        let opts = &store.data().copy_opts;
        (
            opts[wbuf.opts as usize].clone(),
            opts[rbuf.opts as usize].clone(),
        )
    };
    let size = elem.size();
    let src = wbuf.ptr + wbuf.progress * size;
    let dst = rbuf.ptr + rbuf.progress * size;
    if is_integer(elem) {
        let bytes = (n * size) as usize;
        let (Some(wm), Some(rm)) = (&w.opts.memory, &r.opts.memory) else {
            return Err(trap(Trap::MissingOption { option: "memory" }.into()));
        };
        let from = range(wm.memory.data_size(&*store), src, bytes)?;
        let to = range(rm.memory.data_size(&*store), dst, bytes)?;
        let (base_w, base_r) = (wm.memory.data_ptr(&*store), rm.memory.data_ptr(&*store));
        // SAFETY: both ranges lie inside their memories as they are now (checked just above,
        // and no guest code runs between the checks and the copy, so neither memory grows or
        // moves); `copy` allows the ranges to overlap, as they may when both buffers are in
        // one memory (a read and a write of one instance).
        unsafe { std::ptr::copy(base_w.add(from), base_r.add(to), bytes) };
        return Ok(());
    }
    let copied = Cell::new(0);
    let mut vals = Vec::with_capacity(n as usize);
    {
        let mut cx = Cx::counting(store, &w.opts, w.instance, &w.resources, None, &copied);
        for k in 0..n {
            vals.push(tether_abi::load(&mut cx, elem, src + k * size).map_err(trap)?);
        }
    }
    let mut cx = Cx::counting(store, &r.opts, r.instance, &r.resources, None, &copied);
    for (k, v) in vals.iter().enumerate() {
        tether_abi::store(&mut cx, elem, v, dst + k as u32 * size).map_err(trap)?;
    }
    Ok(())
}

/// The memory and the byte range of the `n` bytes at `buf`'s progress, and the stream of end
/// `id`: what a read from or write to the host works on.
fn host_range<T>(
    store: &mut Wt<'_, T>,
    id: u32,
    buf: Buffer,
    n: u32,
) -> Result<(u32, wasmtime::Memory, std::ops::Range<usize>)> {
    let shared = store.data().rt.end(id).shared;
    let o = store.data().copy_opts[buf.opts as usize].clone();
    let Some(m) = &o.opts.memory else {
        return Err(trap(Trap::MissingOption { option: "memory" }.into()));
    };
    let start = range(
        m.memory.data_size(&*store),
        buf.ptr + buf.progress,
        n as usize,
    )?;
    Ok((shared, m.memory, start..start + n as usize))
}

/// A read of end `id` (into `buf`) of a stream the host writes: up to `n` bytes come from the
/// host's reader straight into the guest's memory, only now that the guest asks for them. A
/// reader at its end, or failing, ends the stream (`DROPPED`).
fn read_from_host<T>(store: &mut Wt<'_, T>, id: u32, buf: Buffer, n: u32) -> Result<()> {
    let (shared, memory, bytes) = host_range(store, id, buf, n)?;
    let Some(mut source) = store.data_mut().host_sources.remove(&shared) else {
        store.data_mut().rt.host_copied(id, 0, true);
        return Ok(());
    };
    let dst = &mut memory.data_mut(&mut *store)[bytes];
    let got = loop {
        match source.read(dst) {
            Ok(k) => break k.min(n as usize),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break 0,
        }
    };
    if got > 0 {
        store.data_mut().host_sources.insert(shared, source);
    }
    store.data_mut().rt.host_copied(id, got as u32, got == 0);
    Ok(())
}

/// A write of end `id` (out of `buf`, from its progress) to a stream the host reads: `n` bytes
/// go from the guest's memory to the host's writer at once. A writer that fails ends the
/// stream (`DROPPED`), as a reader dropping it would.
pub(crate) fn write_to_host<T>(store: &mut Wt<'_, T>, id: u32, buf: Buffer, n: u32) -> Result<()> {
    let (shared, memory, bytes) = host_range(store, id, buf, n)?;
    let Some(mut sink) = store.data_mut().host_sinks.remove(&shared) else {
        store.data_mut().rt.host_copied(id, 0, true);
        return Ok(());
    };
    let ok = sink.write_all(&memory.data(&*store)[bytes]).is_ok();
    if ok {
        store.data_mut().host_sinks.insert(shared, sink);
    }
    let rt = &mut store.data_mut().rt;
    rt.host_copied(id, if ok { n } else { 0 }, !ok);
    Ok(())
}

/// Whether elements of `t` move as their bytes: integers, whose every bit pattern is a
/// value (floats go through `Val`, which makes every NaN the canonical one).
fn is_integer(t: &Type) -> bool {
    matches!(
        t,
        Type::U8 | Type::S8 | Type::U16 | Type::S16 | Type::U32 | Type::S32 | Type::U64 | Type::S64
    )
}

/// The start of `len` bytes at `at` in a memory of `size` bytes, if they lie inside it.
fn range(size: usize, at: u32, len: usize) -> Result<usize> {
    match (at as usize).checked_add(len) {
        Some(end) if end <= size => Ok(at as usize),
        _ => Err(bounds(at, len, size)),
    }
}

#[cold]
fn bounds(at: u32, len: usize, memory: usize) -> anyhow::Error {
    trap(
        Trap::PointerOutOfBounds {
            ptr: u64::from(at),
            size: len as u64,
            memory,
        }
        .into(),
    )
}

/// Values bound for the host: readable ends and error contexts among them are dropped (the
/// host cannot hold one yet), and the call is then `unsupported:`; a `stream<u8>`, which the
/// host can read, passes.
pub(crate) fn refuse_for_host(rt: &mut Runtime, vals: &[Val]) -> Result<()> {
    let mut found = false;
    for v in vals {
        each_end(v, &mut |v| match v {
            // The host may read a `stream<u8>` (`stream_into_writer`).
            Val::Stream(e) if rt.host_may_read(e.parts().1) => {}
            Val::ErrorContext(e) => {
                found = true;
                rt.drop_error_context_transit(e.parts().1);
            }
            Val::Future(e) | Val::Stream(e) => {
                found = true;
                rt.drop_transit(e.parts().1);
            }
            _ => {}
        });
    }
    if found {
        return Err(unsupported_call(
            "a future or stream end, or an error-context, handed to the host (component-model async)",
        ));
    }
    Ok(())
}

/// Calls `f` with each readable end and error context in `v`.
fn each_end(v: &Val, f: &mut dyn FnMut(&Val)) {
    match v {
        Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => f(v),
        Val::List(xs) | Val::Tuple(xs) => xs.iter().for_each(|x| each_end(x, f)),
        Val::Record(fields) => fields.iter().for_each(|(_, x)| each_end(x, f)),
        Val::Variant(_, Some(x))
        | Val::Option(Some(x))
        | Val::Result(Ok(Some(x)) | Err(Some(x))) => each_end(x, f),
        Val::Map(entries) => entries.iter().for_each(|(k, x)| {
            each_end(k, f);
            each_end(x, f);
        }),
        _ => {}
    }
}
