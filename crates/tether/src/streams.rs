//! Streams the host writes and reads: a `stream<u8>` whose bytes come from a reader the
//! embedder hands over ([`StoreContextMut::stream_from_reader`]), read only when the guest
//! reads them; and a guest's `stream<u8>` that the host receives (an export's result, a host
//! function's argument) and reads into a writer ([`StoreContextMut::stream_into_writer`]),
//! each guest write going to the writer as it is made. [`Store::run_pending`] runs the
//! guests' tasks that were waiting for such a read or write.
//!
//! This is the article's principle with the async ABI's streams: a guest that reads the first
//! kilobyte of a response body makes the host read about a kilobyte, straight into the guest's
//! memory, and a guest that drops the stream drops the reader (closing what it reads from).

use std::io::{Read, Write};

use anyhow::Result;
use tether_abi::{ReadableEnd, Val};

use crate::call::error::trap;
use crate::call::store::{Store, StoreContextMut};

impl<T> StoreContextMut<'_, T> {
    /// A `stream<u8>` value whose bytes come from `reader`, to hand to a guest (as a host
    /// function's result or an export's argument). Each read by the guest calls
    /// [`Read::read`] once, into the guest's own buffer, with at most the length the guest
    /// asked for; a read of nothing (the reader's end) or an error ends the stream, which the
    /// guest sees as the writer dropping it.
    ///
    /// A value that no guest receives keeps its reader until the store is dropped.
    ///
    /// ```
    /// use tether::{Component, Engine, Linker, Store, Val};
    ///
    /// // A guest that reads 4 bytes of the stream it is given and returns how many came.
    /// let wat = r#"(component
    ///   (type $st (stream u8))
    ///   (core module $mem (memory (export "mem") 1))
    ///   (core instance $mem (instantiate $mem))
    ///   (core func $read (canon stream.read $st async (memory (core memory $mem "mem"))))
    ///   (core module $m
    ///     (import "" "read" (func $read (param i32 i32 i32) (result i32)))
    ///     (func (export "head") (param i32) (result i32)
    ///       (i32.shr_u (call $read (local.get 0) (i32.const 0) (i32.const 4)) (i32.const 4))))
    ///   (core instance $i (instantiate $m (with "" (instance (export "read" (func $read))))))
    ///   (func (export "head") (param "s" (stream u8)) (result u32)
    ///     (canon lift (core func $i "head"))))"#;
    /// let engine = Engine::default();
    /// let component = Component::new(&engine, wat)?;
    /// let mut store = Store::new(&engine, ());
    /// let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
    /// let body = store.stream_from_reader(std::io::repeat(b'x'))?;
    /// let head = instance.get_func(&mut store, "head").unwrap();
    /// let mut results = [Val::U32(0)];
    /// head.call(&mut store, &[body], &mut results)?;
    /// assert_eq!(results, [Val::U32(4)]);
    /// # anyhow::Ok(())
    /// ```
    pub fn stream_from_reader(&mut self, reader: impl Read + Send + 'static) -> Result<Val> {
        let data = self.0.data_mut();
        let shared = data.rt.host_stream_new().map_err(trap)?;
        data.host_sources.insert(shared, Box::new(reader));
        Ok(Val::Stream(ReadableEnd::from_parts(
            data.rt.store_id,
            shared,
        )))
    }
}

impl<T: 'static> StoreContextMut<'_, T> {
    /// Reads the guest's `stream<u8>` `stream` (a value the host received) into `writer`:
    /// a write the guest already made goes to `writer` now, and every later one when it is
    /// made, whole (`Write::write_all`). A writer that fails ends the stream, which the guest
    /// sees as the reader dropping it; the guest dropping its end drops `writer`, flushed.
    ///
    /// A `stream<u8>` the host receives and does not read keeps its writer waiting: to throw
    /// one away, read it into [`std::io::sink`].
    pub fn stream_into_writer(
        &mut self,
        stream: &Val,
        writer: impl Write + Send + 'static,
    ) -> Result<()> {
        let Val::Stream(end) = stream else {
            anyhow::bail!("not a stream: {stream:?}");
        };
        let data = self.0.data_mut();
        let (store, shared) = end.parts();
        if store != data.rt.store_id {
            anyhow::bail!("a stream of another store");
        }
        let pending = data.rt.attach_sink(shared).map_err(trap)?;
        data.host_sinks.insert(shared, Box::new(writer));
        if let Some(id) = pending {
            // The guest wrote before the host read: its buffer goes to the writer now.
            let buf = data.rt.buffer(id);
            data.rt.sink_took_pending(id);
            let n = buf.len - buf.progress;
            crate::call::copy::write_to_host(&mut self.0, id, buf, n)?;
        }
        Ok(())
    }
}

impl<T: 'static> Store<T> {
    /// [`StoreContextMut::stream_into_writer`] on this store.
    pub fn stream_into_writer(
        &mut self,
        stream: &Val,
        writer: impl Write + Send + 'static,
    ) -> Result<()> {
        crate::call::store::AsContextMut::as_context_mut(self).stream_into_writer(stream, writer)
    }

    /// Runs the guests' tasks that were waiting and can go on (a callback task whose write
    /// the host has now read, say), until none can; a task that only yields gets one turn.
    /// Guest traps are this call's error, as with any call into a guest.
    pub fn run_pending(&mut self) -> Result<()> {
        let mut cx = crate::call::store::AsContextMut::as_context_mut(self);
        crate::call::task::run_pending(&mut cx.0)
    }
}

impl<T> Store<T> {
    /// [`StoreContextMut::stream_from_reader`] on this store.
    pub fn stream_from_reader(&mut self, reader: impl Read + Send + 'static) -> Result<Val> {
        crate::call::store::AsContextMut::as_context_mut(self).stream_from_reader(reader)
    }
}
