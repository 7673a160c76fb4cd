//! Futures and streams of the async ABI made by guests (`future.new`, `stream.new`): the
//! state both ends share (the specification's `SharedFutureImpl` and `SharedStreamImpl`),
//! each end's state as an entry of its instance's handle table (`CopyEnd`: idle, copying,
//! being cancelled, done), the rendezvous of a read with a write, the events that report a
//! copy, cancelling and dropping, and the move of a readable end from one instance to another
//! (lifting and lowering).
//!
//! Nothing here touches memory: when a read meets a write, [`Runtime::rendezvous`] says how
//! many elements to copy between which buffers, the call layer copies them, and
//! [`Runtime::copied`] records it. A buffer's options (memory, `realloc`, encoding) are the
//! call layer's, named by a key ([`Buffer::opts`]).

use std::sync::Arc;

use tether_abi::{CopyRule, EndKind, Fault, Trap, Type};

use super::runtime::{InstanceId, Runtime, free_id};
use super::table::Slot;
use super::waitable::Event;

/// `CopyResult::COMPLETED`: the copy is over and the buffer is the guest's again.
pub(crate) const COMPLETED: u32 = 0;
/// `CopyResult::DROPPED`: the other end was dropped.
pub(crate) const DROPPED: u32 = 1;
/// `CopyResult::CANCELLED`: the copy was cancelled.
pub(crate) const CANCELLED: u32 = 2;
/// What a built-in returns when its copy has not finished yet.
pub(crate) const BLOCKED: u32 = u32::MAX;
/// The most elements one stream read or write may ask for (`Buffer.MAX_LENGTH`).
pub(crate) const MAX_LENGTH: u32 = (1 << 28) - 1;

/// What one end is doing (`CopyState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CopyState {
    Idle,
    Copying,
    Cancelling,
    /// A future's value was read or written, or a stream's other end was dropped (and this
    /// end told): only dropping is left.
    Done,
}

/// The guest memory one read or write copies into or out of.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Buffer {
    pub ptr: u32,
    /// In elements.
    pub len: u32,
    /// The elements copied so far.
    pub progress: u32,
    /// The call layer's key for the built-in's options and element type.
    pub opts: u32,
}

impl Buffer {
    fn remain(&self) -> u32 {
        self.len - self.progress
    }
}

/// A future or stream: what its two ends share.
pub(crate) struct Shared {
    pub future: bool,
    /// The element type, and the store's resource types for the resource indices in it.
    pub elem: Option<Type>,
    pub resources: Arc<[u32]>,
    /// Whether the elements are numbers (or there are none): copies within one instance are
    /// allowed only then.
    numbers: bool,
    /// One end was dropped.
    dropped: bool,
    /// The end (by id) whose read or write waits for the other side.
    pending: Option<u32>,
    /// The readable end was lifted out of one instance and not lowered into another yet.
    transit: bool,
    /// How many ends are left: the writable one, and the readable one in a table or in
    /// transit.
    ends: u8,
    /// Whether the host writes it (a `stream<u8>` the embedder made from a reader): its
    /// writable end is in no table, and a read takes what it asks for from the host at once.
    pub host: bool,
    /// Whether the host reads it (a `stream<u8>` whose readable end the embedder received
    /// and gave a writer): a write gives what it holds to the host at once.
    pub sink: bool,
}

/// One end of a future or stream, an entry of its instance's handle table (`Slot::End`).
pub(crate) struct End {
    pub instance: InstanceId,
    pub index: u32,
    pub shared: u32,
    pub readable: bool,
    pub state: CopyState,
    /// The buffer of the read or write under way (or of the last one).
    buf: Buffer,
    /// The event waiting to be delivered: the copy's result, and whether delivering it takes
    /// the buffer back from the other side (a partial copy, which the other side may go on
    /// filling until then).
    event: Option<(u32, bool)>,
    /// The waitable set it joined, 0 for none.
    pub wset: u32,
}

/// What a read or write does when it starts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// It has its result already (the other end was dropped), or waits for the other side:
    /// nothing to copy.
    Nothing,
    /// Copy `n` elements between this end's buffer and end `other`'s (from the writer's to
    /// the reader's), then call [`Runtime::copied`].
    Copy { other: u32, n: u32 },
    /// Read up to `n` elements from the host's source of the stream into this end's buffer,
    /// then call [`Runtime::host_copied`].
    Host { n: u32 },
    /// Give the `n` elements of this end's buffer to the host's sink of the stream, then call
    /// [`Runtime::host_copied`].
    Sink { n: u32 },
}

fn is_number(t: &Type) -> bool {
    matches!(
        t,
        Type::U8
            | Type::S8
            | Type::U16
            | Type::S16
            | Type::U32
            | Type::S32
            | Type::U64
            | Type::S64
            | Type::F32
            | Type::F64
    )
}

fn copy_trap(end: EndKind, rule: CopyRule) -> Fault {
    Trap::Copy { end, rule }.into()
}

impl End {
    pub fn kind(&self, future: bool) -> EndKind {
        EndKind {
            future,
            readable: self.readable,
        }
    }
}

impl Runtime {
    /// `future.new` or `stream.new` in `instance`: a new future or stream of `elem` and its
    /// two ends, the readable one first: `readable | writable << 32`.
    pub fn end_new(
        &mut self,
        instance: InstanceId,
        future: bool,
        elem: Option<Type>,
        resources: Arc<[u32]>,
    ) -> Result<u64, Fault> {
        self.check_may_leave(instance)?;
        let numbers = elem.as_ref().is_none_or(is_number);
        let shared = free_id(&mut self.shared)?;
        self.shared[shared as usize] = Some(Shared {
            future,
            elem,
            resources,
            numbers,
            dropped: false,
            pending: None,
            transit: false,
            ends: 2,
            host: false,
            sink: false,
        });
        let r = self.add_end(instance, shared, true);
        let w = r.and_then(|r| Ok((r, self.add_end(instance, shared, false)?)));
        match w {
            Ok((r, w)) => Ok(u64::from(r) | (u64::from(w) << 32)),
            Err(e) => Err(e),
        }
    }

    /// A new end of `shared` in `instance`'s table: its index.
    fn add_end(&mut self, instance: InstanceId, shared: u32, readable: bool) -> Result<u32, Fault> {
        let id = free_id(&mut self.ends)?;
        let index = self.add_handle(instance, Slot::End { id })?;
        self.ends[id as usize] = Some(End {
            instance,
            index,
            shared,
            readable,
            state: CopyState::Idle,
            buf: Buffer::default(),
            event: None,
            wset: 0,
        });
        Ok(index)
    }

    /// The end at index `i` of `instance`, which must be of `kind`: its id.
    pub fn end_at(&self, instance: InstanceId, i: u32, kind: EndKind) -> Result<u32, Fault> {
        let id = self.instances[instance as usize].handles.get_end(i)?;
        let e = self.end(id);
        if e.readable != kind.readable || self.shared_of(id).future != kind.future {
            return Err(Trap::WrongKind {
                index: i,
                expected: match (kind.future, kind.readable) {
                    (true, true) => "readable end of a future",
                    (true, false) => "writable end of a future",
                    (false, true) => "readable end of a stream",
                    (false, false) => "writable end of a stream",
                },
            }
            .into());
        }
        Ok(id)
    }

    pub fn end(&self, id: u32) -> &End {
        self.ends[id as usize].as_ref().expect("a live end")
    }

    fn end_mut(&mut self, id: u32) -> &mut End {
        self.ends[id as usize].as_mut().expect("a live end")
    }

    /// The future or stream end `id` belongs to.
    pub fn shared_of(&self, id: u32) -> &Shared {
        let s = self.end(id).shared;
        self.shared[s as usize]
            .as_ref()
            .expect("a live future or stream")
    }

    fn kind_of(&self, id: u32) -> EndKind {
        self.end(id).kind(self.shared_of(id).future)
    }

    /// The checks of a read or write of end `id` before its buffer is looked at: the end is
    /// idle, and a synchronous one (`sync`) is in no waitable set.
    pub fn check_copy(&self, id: u32, sync: bool) -> Result<(), Fault> {
        let e = self.end(id);
        match e.state {
            CopyState::Idle => {}
            CopyState::Done => return Err(copy_trap(self.kind_of(id), CopyRule::Done)),
            CopyState::Copying | CopyState::Cancelling => {
                return Err(copy_trap(self.kind_of(id), CopyRule::Busy));
            }
        }
        if sync && e.wset != 0 {
            return Err(Trap::WaitableInSet.into());
        }
        Ok(())
    }

    /// Starts a read (of a readable end) or write of end `id` into or out of `buf`: it meets
    /// the other side's pending write or read, or waits for one (`SharedStreamImpl.read` and
    /// `write`, `SharedFutureImpl.read` and `write`).
    pub fn rendezvous(&mut self, id: u32, buf: Buffer) -> Result<Step, Fault> {
        let kind = self.kind_of(id);
        let instance = {
            let e = self.end_mut(id);
            e.state = CopyState::Copying;
            e.buf = buf;
            e.event = None;
            e.instance
        };
        let s = self.end(id).shared as usize;
        let shared = self.shared[s].as_ref().expect("a live future or stream");
        if shared.dropped {
            self.end_mut(id).event = Some((DROPPED, false));
            return Ok(Step::Nothing);
        }
        if shared.host || shared.sink {
            if buf.len == 0 {
                self.end_mut(id).event = Some((COMPLETED, false));
                return Ok(Step::Nothing);
            }
            return Ok(if shared.host {
                Step::Host { n: buf.len }
            } else {
                Step::Sink { n: buf.len }
            });
        }
        let Some(other) = shared.pending else {
            self.shared[s].as_mut().expect("live").pending = Some(id);
            return Ok(Step::Nothing);
        };
        if self.end(other).instance == instance && !shared.numbers {
            return Err(copy_trap(kind, CopyRule::SameInstance));
        }
        if kind.future {
            return Ok(Step::Copy { other, n: 1 });
        }
        let (mine, theirs) = (buf, self.end(other).buf);
        if theirs.remain() > 0 {
            return Ok(Step::Copy {
                other,
                n: mine.remain().min(theirs.remain()),
            });
        }
        if !kind.readable && mine.len == 0 && theirs.len == 0 {
            // A zero-length write meets a zero-length read: the write completes, the read
            // stays pending.
            self.end_mut(id).event = Some((COMPLETED, false));
            return Ok(Step::Nothing);
        }
        // The other side's buffer is empty (zero-length, or filled): it completes, and this
        // side waits in its place.
        self.end_mut(other).event = Some((COMPLETED, false));
        self.shared[s].as_mut().expect("live").pending = Some(id);
        Ok(Step::Nothing)
    }

    /// The buffers of ends `id` (whose read or write started) and `other` (pending) as a
    /// [`Step::Copy`] left them to copy: the writer's, then the reader's.
    pub fn copy_buffers(&self, id: u32, other: u32) -> (Buffer, Buffer) {
        let (a, b) = (self.end(id), self.end(other));
        if a.readable {
            (b.buf, a.buf)
        } else {
            (a.buf, b.buf)
        }
    }

    /// Records `n` elements copied by [`Step::Copy`] between end `id` and `other`: both
    /// buffers advance, this end's copy completes, and the other side is told (a future's
    /// completes; a stream's keeps its buffer until its event is delivered).
    pub fn copied(&mut self, id: u32, other: u32, n: u32) {
        let future = self.shared_of(id).future;
        for e in [id, other] {
            self.end_mut(e).buf.progress += n;
        }
        self.end_mut(id).event = Some((COMPLETED, false));
        if future {
            let s = self.end(id).shared as usize;
            self.shared[s].as_mut().expect("live").pending = None;
            self.end_mut(other).event = Some((COMPLETED, false));
        } else if n > 0 {
            self.end_mut(other).event = Some((COMPLETED, true));
        }
    }

    /// A stream the host writes, with its readable end in transit to the guest that receives
    /// it: its id.
    pub fn host_stream_new(&mut self) -> Result<u32, Fault> {
        let shared = free_id(&mut self.shared)?;
        self.shared[shared as usize] = Some(Shared {
            future: false,
            elem: Some(Type::U8),
            resources: Arc::from([]),
            numbers: true,
            dropped: false,
            pending: None,
            transit: true,
            ends: 2,
            host: true,
            sink: false,
        });
        Ok(shared)
    }

    /// Records `n` elements read from the host into end `id`'s buffer ([`Step::Host`]), or
    /// written from it to the host ([`Step::Sink`]); with `end`, the host's side took or gave
    /// nothing more: the stream is over (`DROPPED`).
    pub fn host_copied(&mut self, id: u32, n: u32, end: bool) {
        let e = self.end_mut(id);
        e.buf.progress += n;
        e.event = Some((if end && n == 0 { DROPPED } else { COMPLETED }, false));
        if end {
            let s = self.end(id).shared as usize;
            if let Some(s) = self.shared[s].as_mut() {
                s.dropped = true;
            }
        }
    }

    /// The host takes the readable end of `shared`, in transit, and reads it from now on: a
    /// `stream<u8>` only. Returns the writable end whose write waits, if one does, for the
    /// caller to give its buffer to the host.
    pub fn attach_sink(&mut self, shared: u32) -> Result<Option<u32>, Fault> {
        match self
            .shared
            .get_mut(shared as usize)
            .and_then(Option::as_mut)
        {
            Some(s) if s.transit && !s.future && !s.host && s.elem == Some(Type::U8) => {
                s.transit = false;
                s.sink = true;
                Ok(s.pending)
            }
            _ => Err(Fault::host_value(
                "not a `stream<u8>` end the runtime has in transit",
            )),
        }
    }

    /// The writable end `id` of a stream the host reads ([`Runtime::attach_sink`]) had its
    /// waiting write's buffer taken: it is no longer pending.
    pub fn sink_took_pending(&mut self, id: u32) {
        let s = self.end(id).shared as usize;
        if let Some(s) = self.shared[s].as_mut()
            && s.pending == Some(id)
        {
            s.pending = None;
        }
    }

    /// Whether the host could read `shared` (`attach_sink`): a guest's `stream<u8>` in transit.
    pub fn host_may_read(&self, shared: u32) -> bool {
        self.shared
            .get(shared as usize)
            .and_then(Option::as_ref)
            .is_some_and(|s| s.transit && !s.future && !s.host && s.elem == Some(Type::U8))
    }

    /// The buffer of end `id`'s read or write under way.
    pub fn buffer(&self, id: u32) -> Buffer {
        self.end(id).buf
    }

    /// The host's side of host stream `shared` is gone (its reader was dropped): the record
    /// goes with the last end.
    pub fn host_side_gone(&mut self, shared: u32) {
        self.drop_side(shared);
    }

    /// Whether end `id` has an event to deliver.
    pub fn end_has_event(&self, id: u32) -> bool {
        self.ends
            .get(id as usize)
            .and_then(Option::as_ref)
            .is_some_and(|e| e.event.is_some())
    }

    /// Delivers end `id`'s event, if it has one (`stream_event`, `future_event`): the end
    /// becomes idle again, or done, and a partial copy's buffer is taken back.
    pub fn take_end_event(&mut self, id: u32) -> Option<Event> {
        let s = self.ends.get(id as usize)?.as_ref()?.shared as usize;
        let future = self.shared.get(s)?.as_ref()?.future;
        let e = self.ends[id as usize].as_mut()?;
        let (result, reclaim) = e.event.take()?;
        let done = result == DROPPED || (future && result == COMPLETED);
        e.state = if done {
            CopyState::Done
        } else {
            CopyState::Idle
        };
        let (code, payload) = match (future, e.readable) {
            (false, true) => (2, result | (e.buf.progress << 4)),
            (false, false) => (3, result | (e.buf.progress << 4)),
            (true, true) => (4, result),
            (true, false) => (5, result),
        };
        let index = e.index;
        if let Some(shared) = self.shared[s].as_mut()
            && reclaim
            && shared.pending == Some(id)
        {
            shared.pending = None;
        }
        Some((code, index, payload))
    }

    /// `{stream,future}.cancel-{read,write}` of end `id`, with `sync` for the synchronous
    /// form: the event that ends the copy, if it has come (a copy of two guests always ends
    /// at once).
    pub fn cancel_copy(&mut self, id: u32, sync: bool) -> Result<Option<Event>, Fault> {
        let kind = self.kind_of(id);
        let e = self.end(id);
        if e.state != CopyState::Copying {
            return Err(copy_trap(kind, CopyRule::NothingToCancel));
        }
        if sync && e.wset != 0 {
            return Err(Trap::WaitableInSet.into());
        }
        self.end_mut(id).state = CopyState::Cancelling;
        // A partial copy not yet reported ends as cancelled, with its progress (wasmtime's
        // result, which the specification's tests expect; the Python reference would report
        // it completed).
        if let Some((result, true)) = &mut self.end_mut(id).event {
            *result = CANCELLED;
        }
        if !self.end_has_event(id) {
            let s = self.end(id).shared as usize;
            let shared = self.shared[s].as_mut().expect("live");
            if shared.pending == Some(id) {
                shared.pending = None;
                self.end_mut(id).event = Some((CANCELLED, false));
            }
        }
        Ok(self.take_end_event(id))
    }

    /// `{stream,future}.drop-{readable,writable}` of the end at `i` of `instance`, which
    /// must be of `kind`: it leaves the table, and the other side learns of it.
    pub fn end_drop(&mut self, instance: InstanceId, i: u32, kind: EndKind) -> Result<(), Fault> {
        self.check_may_leave(instance)?;
        let id = self.end_at(instance, i, kind)?;
        let e = self.end(id);
        if matches!(e.state, CopyState::Copying | CopyState::Cancelling) {
            return Err(copy_trap(kind, CopyRule::DropBusy));
        }
        if kind.future && !kind.readable && e.state != CopyState::Done {
            return Err(copy_trap(kind, CopyRule::DropUnwritten));
        }
        self.leave_set(id, 0);
        self.instances[instance as usize].handles.remove_entry(i);
        let shared = self.end(id).shared;
        self.ends[id as usize] = None;
        self.drop_side(shared);
        Ok(())
    }

    /// One end of `shared` is gone (`SharedStreamImpl.drop`): a pending copy of the other
    /// end learns it, and the record goes with the last end.
    fn drop_side(&mut self, shared: u32) {
        let Some(s) = self.shared[shared as usize].as_mut() else {
            return;
        };
        s.ends -= 1;
        if s.ends == 0 {
            self.shared[shared as usize] = None;
            return;
        }
        if !s.dropped {
            s.dropped = true;
            if let Some(p) = s.pending.take() {
                self.end_mut(p).event = Some((DROPPED, false));
            }
        }
    }

    /// Lifts the readable end at `i` of `instance` (a future's with `future`) out of its
    /// table: it must be idle and in no set. Returns the future or stream, now in transit.
    /// Its element type is checked by the caller, which sees it in [`Runtime::shared_of`]
    /// with the id [`Runtime::end_at`] gives.
    pub fn lift_end(&mut self, instance: InstanceId, id: u32) -> Result<u32, Fault> {
        let kind = self.kind_of(id);
        let e = self.end(id);
        match e.state {
            CopyState::Idle => {}
            CopyState::Done => return Err(copy_trap(kind, CopyRule::LiftDone)),
            _ => return Err(copy_trap(kind, CopyRule::LiftBusy)),
        }
        if e.wset != 0 {
            return Err(copy_trap(kind, CopyRule::LiftInSet));
        }
        let (index, shared) = (e.index, e.shared);
        self.instances[instance as usize]
            .handles
            .remove_entry(index);
        self.ends[id as usize] = None;
        self.shared[shared as usize].as_mut().expect("live").transit = true;
        Ok(shared)
    }

    /// Lowers the readable end of `shared`, in transit, into `instance`'s table: its index.
    /// Anything else (another kind, an end not in transit) is the embedder's error.
    pub fn lower_end(
        &mut self,
        instance: InstanceId,
        shared: u32,
        future: bool,
    ) -> Result<u32, Fault> {
        match self
            .shared
            .get_mut(shared as usize)
            .and_then(Option::as_mut)
        {
            Some(s) if s.transit && s.future == future => s.transit = false,
            _ => {
                return Err(Fault::host_value(format!(
                    "the {} end is not one the runtime has in transit",
                    if future { "future" } else { "stream" }
                )));
            }
        }
        let r = self.add_end(instance, shared, true);
        if r.is_err() {
            self.shared[shared as usize].as_mut().expect("live").transit = true;
        }
        r
    }

    /// A readable end in transit that no guest will receive (its receiver is the host, or
    /// the call failed): it is dropped.
    pub fn drop_transit(&mut self, shared: u32) {
        if let Some(s) = self
            .shared
            .get_mut(shared as usize)
            .and_then(Option::as_mut)
            && s.transit
        {
            s.transit = false;
            self.drop_side(shared);
        }
    }

    /// Moves end `id` from its set to set `si` (0: none), keeping the sets' counts.
    pub(super) fn leave_set(&mut self, id: u32, si: u32) {
        let Some(Some(e)) = self.ends.get_mut(id as usize) else {
            return;
        };
        let old = std::mem::replace(&mut e.wset, si);
        let table = &mut self.instances[e.instance as usize].handles;
        if old != 0
            && let Ok((elems, _)) = table.get_set_mut(old)
        {
            *elems -= 1;
        }
        if si != 0
            && let Ok((elems, _)) = table.get_set_mut(si)
        {
            *elems += 1;
        }
    }

    /// The end of `instance` in set `si` with an event to deliver, if any.
    pub(super) fn end_event_in(&self, instance: InstanceId, si: u32) -> Option<u32> {
        self.ends
            .iter()
            .position(|e| {
                e.as_ref()
                    .is_some_and(|e| e.instance == instance && e.wset == si && e.event.is_some())
            })
            .map(|i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> (Runtime, InstanceId, InstanceId) {
        let mut rt = Runtime::new(u64::MAX, 1000, 1000);
        let a = rt.new_instance(None);
        let b = rt.new_instance(None);
        (rt, a, b)
    }

    const RS: EndKind = EndKind {
        future: false,
        readable: true,
    };
    const WS: EndKind = EndKind {
        future: false,
        readable: false,
    };

    fn buf(len: u32) -> Buffer {
        Buffer {
            ptr: 0,
            len,
            progress: 0,
            opts: 0,
        }
    }

    #[test]
    fn a_stream_read_meets_a_write_and_keeps_its_buffer_until_told() {
        let (mut rt, a, b) = rt();
        let ends = rt.end_new(a, false, Some(Type::U8), Arc::from([])).unwrap();
        let (ri, wi) = (ends as u32, (ends >> 32) as u32);
        assert_eq!((ri, wi), (1, 2));
        let r = rt.end_at(a, ri, RS).unwrap();
        let shared = rt.lift_end(a, r).unwrap();
        let rb = rt.lower_end(b, shared, false).unwrap();
        let r = rt.end_at(b, rb, RS).unwrap();
        let w = rt.end_at(a, wi, WS).unwrap();
        // The reader comes first and waits.
        rt.check_copy(r, false).unwrap();
        assert_eq!(rt.rendezvous(r, buf(8)).unwrap(), Step::Nothing);
        assert!(!rt.end_has_event(r));
        assert_eq!(
            rt.check_copy(r, false).unwrap_err().trap(),
            &Trap::Copy {
                end: RS,
                rule: CopyRule::Busy
            }
        );
        // A write of 3 copies them and completes; the reader is told, but may take more.
        assert_eq!(
            rt.rendezvous(w, buf(3)).unwrap(),
            Step::Copy { other: r, n: 3 }
        );
        rt.copied(w, r, 3);
        assert_eq!(rt.take_end_event(w), Some((3, wi, 3 << 4)));
        assert_eq!(
            rt.rendezvous(w, buf(2)).unwrap(),
            Step::Copy { other: r, n: 2 }
        );
        rt.copied(w, r, 2);
        assert_eq!(rt.take_end_event(w), Some((3, wi, 2 << 4)));
        assert_eq!(rt.take_end_event(r), Some((2, rb, 5 << 4)));
        // Told, the reader gave its buffer back: the next write waits.
        assert_eq!(rt.rendezvous(w, buf(1)).unwrap(), Step::Nothing);
        // Dropping the reader tells the writer, whose end is then done.
        rt.end_drop(b, rb, RS).unwrap();
        assert_eq!(rt.take_end_event(w), Some((3, wi, DROPPED)));
        assert_eq!(
            rt.check_copy(w, false).unwrap_err().trap(),
            &Trap::Copy {
                end: WS,
                rule: CopyRule::Done
            }
        );
        rt.end_drop(a, wi, WS).unwrap();
        assert!(rt.shared.iter().all(Option::is_none), "the stream is gone");
    }

    #[test]
    fn zero_length_writes_complete_and_zero_length_reads_wait() {
        let (mut rt, a, b) = rt();
        let ends = rt.end_new(a, false, None, Arc::from([])).unwrap();
        let r = rt.end_at(a, ends as u32, RS).unwrap();
        let shared = rt.lift_end(a, r).unwrap();
        let rb = rt.lower_end(b, shared, false).unwrap();
        let r = rt.end_at(b, rb, RS).unwrap();
        let w = rt.end_at(a, (ends >> 32) as u32, WS).unwrap();
        assert_eq!(rt.rendezvous(r, buf(0)).unwrap(), Step::Nothing);
        assert_eq!(rt.rendezvous(w, buf(0)).unwrap(), Step::Nothing);
        assert_eq!(rt.take_end_event(w).map(|e| e.2), Some(COMPLETED));
        assert!(!rt.end_has_event(r), "the read stays pending");
        // A real write completes the zero-length read and waits in its place.
        assert_eq!(rt.rendezvous(w, buf(4)).unwrap(), Step::Nothing);
        assert_eq!(rt.take_end_event(r).map(|e| e.2), Some(COMPLETED));
        // Cancelling the write gives the buffer back at once.
        assert_eq!(
            rt.cancel_copy(w, true).unwrap().map(|e| e.2),
            Some(CANCELLED)
        );
        assert_eq!(
            rt.cancel_copy(w, true).unwrap_err().trap(),
            &Trap::Copy {
                end: WS,
                rule: CopyRule::NothingToCancel
            }
        );
    }

    #[test]
    fn a_future_is_written_once_and_its_ends_follow_the_rules() {
        let (mut rt, a, b) = rt();
        let wf = EndKind {
            future: true,
            readable: false,
        };
        let rf = EndKind {
            future: true,
            readable: true,
        };
        let ends = rt
            .end_new(a, true, Some(Type::String), Arc::from([]))
            .unwrap();
        let (ri, wi) = (ends as u32, (ends >> 32) as u32);
        let w = rt.end_at(a, wi, wf).unwrap();
        assert_eq!(
            rt.end_at(a, ri, wf).unwrap_err().trap(),
            &Trap::WrongKind {
                index: ri,
                expected: "writable end of a future"
            }
        );
        assert_eq!(
            rt.end_drop(a, wi, wf).unwrap_err().trap(),
            &Trap::Copy {
                end: wf,
                rule: CopyRule::DropUnwritten
            }
        );
        // The writer waits; a read in the same instance of strings is refused.
        assert_eq!(rt.rendezvous(w, buf(1)).unwrap(), Step::Nothing);
        let r = rt.end_at(a, ri, rf).unwrap();
        assert_eq!(
            rt.rendezvous(r, buf(1)).unwrap_err().trap(),
            &Trap::Copy {
                end: rf,
                rule: CopyRule::SameInstance
            }
        );
        // Lifting a busy end, or one in a set, is refused; an idle one moves.
        let (mut rt, a, b) = (rt, a, b);
        let ends = rt.end_new(a, true, Some(Type::U32), Arc::from([])).unwrap();
        let (ri, wi) = (ends as u32, (ends >> 32) as u32);
        let r = rt.end_at(a, ri, rf).unwrap();
        let set = rt.waitable_set_new(a).unwrap();
        rt.waitable_join(a, ri, set).unwrap();
        assert_eq!(
            rt.lift_end(a, r).unwrap_err().trap(),
            &Trap::Copy {
                end: rf,
                rule: CopyRule::LiftInSet
            }
        );
        rt.waitable_join(a, ri, 0).unwrap();
        let shared = rt.lift_end(a, r).unwrap();
        assert!(rt.lower_end(b, shared, false).is_err(), "not a stream");
        let rb = rt.lower_end(b, shared, true).unwrap();
        assert!(
            rt.lower_end(b, shared, true).is_err(),
            "no longer in transit"
        );
        let r = rt.end_at(b, rb, rf).unwrap();
        let w = rt.end_at(a, wi, wf).unwrap();
        assert_eq!(rt.rendezvous(r, buf(1)).unwrap(), Step::Nothing);
        assert_eq!(
            rt.rendezvous(w, buf(1)).unwrap(),
            Step::Copy { other: r, n: 1 }
        );
        rt.copied(w, r, 1);
        assert_eq!(rt.take_end_event(w), Some((5, wi, COMPLETED)));
        assert_eq!(rt.take_end_event(r), Some((4, rb, COMPLETED)));
        assert_eq!(
            rt.check_copy(r, false).unwrap_err().trap(),
            &Trap::Copy {
                end: rf,
                rule: CopyRule::Done
            }
        );
        rt.end_drop(a, wi, wf).unwrap();
        rt.end_drop(b, rb, rf).unwrap();
    }

    #[test]
    fn an_end_in_transit_that_nobody_receives_is_dropped() {
        let (mut rt, a, _) = rt();
        let ends = rt.end_new(a, false, Some(Type::U8), Arc::from([])).unwrap();
        let r = rt.end_at(a, ends as u32, RS).unwrap();
        let shared = rt.lift_end(a, r).unwrap();
        rt.drop_transit(shared);
        rt.drop_transit(shared);
        let w = rt.end_at(a, (ends >> 32) as u32, WS).unwrap();
        assert_eq!(rt.rendezvous(w, buf(1)).unwrap(), Step::Nothing);
        assert_eq!(rt.take_end_event(w).map(|e| e.2), Some(DROPPED));
    }

    #[test]
    fn the_host_writes_one_stream_and_reads_another() {
        let (mut rt, a, _) = rt();
        // A stream the host writes: a read asks the host for what it wants.
        let shared = rt.host_stream_new().unwrap();
        let ri = rt.lower_end(a, shared, false).unwrap();
        let r = rt.end_at(a, ri, RS).unwrap();
        assert_eq!(rt.rendezvous(r, buf(16)).unwrap(), Step::Host { n: 16 });
        rt.host_copied(r, 10, false);
        assert_eq!(rt.take_end_event(r).map(|e| e.2), Some(10 << 4));
        assert_eq!(rt.rendezvous(r, buf(16)).unwrap(), Step::Host { n: 16 });
        rt.host_copied(r, 0, true);
        assert_eq!(rt.take_end_event(r).map(|e| e.2), Some(DROPPED));
        assert!(
            !rt.host_may_read(shared),
            "the host does not read its own stream"
        );

        // A guest's stream the host reads: a write that waited goes to the host when it
        // attaches, and later writes at once.
        let ends = rt.end_new(a, false, Some(Type::U8), Arc::from([])).unwrap();
        let w = rt.end_at(a, (ends >> 32) as u32, WS).unwrap();
        assert_eq!(rt.rendezvous(w, buf(5)).unwrap(), Step::Nothing);
        let r = rt.end_at(a, ends as u32, RS).unwrap();
        let shared = rt.lift_end(a, r).unwrap();
        assert!(rt.host_may_read(shared));
        assert_eq!(rt.attach_sink(shared).unwrap(), Some(w));
        assert!(rt.attach_sink(shared).is_err(), "attached once");
        rt.sink_took_pending(w);
        rt.host_copied(w, 5, false);
        assert_eq!(rt.take_end_event(w).map(|e| e.2), Some(5 << 4));
        assert_eq!(rt.rendezvous(w, buf(3)).unwrap(), Step::Sink { n: 3 });
        // A stream of strings is not the host's to read.
        let ends = rt
            .end_new(a, false, Some(Type::String), Arc::from([]))
            .unwrap();
        let r = rt.end_at(a, ends as u32, RS).unwrap();
        let shared = rt.lift_end(a, r).unwrap();
        assert!(!rt.host_may_read(shared));
        assert!(rt.attach_sink(shared).is_err());
    }
}
