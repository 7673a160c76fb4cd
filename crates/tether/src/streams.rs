//! Streams the host writes: a `stream<u8>` whose bytes come from a reader the embedder hands
//! over ([`StoreContextMut::stream_from_reader`]), read only when the guest reads them.
//!
//! This is the article's principle with the async ABI's streams: a guest that reads the first
//! kilobyte of a response body makes the host read about a kilobyte, straight into the guest's
//! memory, and a guest that drops the stream drops the reader (closing what it reads from).

use std::io::Read;

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

impl<T> Store<T> {
    /// [`StoreContextMut::stream_from_reader`] on this store.
    pub fn stream_from_reader(&mut self, reader: impl Read + Send + 'static) -> Result<Val> {
        crate::call::store::AsContextMut::as_context_mut(self).stream_from_reader(reader)
    }
}
