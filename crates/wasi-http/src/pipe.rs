//! [`Pipe`]: the bounded buffer between a body's two ends, one of them a guest and the other
//! the network.
//!
//! A body that arrives from the network (a served request's, a fetched response's) is read by
//! a task ([`pump`]) only while the pipe has room, and a guest takes it out through a
//! `wasi:io` input stream ([`PipeReader`]); a body a guest sends (a served response's, a
//! fetched request's) goes the other way, written through an output stream ([`PipeWriter`])
//! and sent by hyper as a [`PipeBody`]. Either way at most [`PIPE_LIMIT`] bytes (and one frame)
//! wait in the host, so a 1 GiB body is never held whole, and the host reads from the network
//! only as fast as the guest reads.
//!
//! The guest's side waits through the store's [`Signal`], which every change notifies; the
//! network's side through wakers.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame};
use tether_wasi::host_io::{HostInputStream, HostOutputStream, HostReady, Signal, StreamFailure};

use crate::bindings::wasi::http::types::ErrorCode;

/// How many bytes a pipe holds before its writer waits.
pub const PIPE_LIMIT: usize = 128 << 10;

/// How a body ended.
#[derive(Clone, Debug)]
pub enum End {
    /// Complete, with these trailers if it had any.
    Done(Option<HeaderMap>),
    /// Cut short.
    Failed(ErrorCode),
}

#[derive(Default)]
struct State {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    end: Option<End>,
    /// Trailers already handed to hyper.
    trailers_sent: bool,
    /// The reader is gone: the writer may stop.
    reader_gone: bool,
    /// The reader wants only the end (`incoming-body.finish`): data is dropped as it comes.
    discard: bool,
    reader_waker: Option<Waker>,
    writer_waker: Option<Waker>,
    /// The body's `content-length`, when its headers declare one, and whether it is a
    /// request's (else a response's): the writer may write exactly that many bytes.
    declared: Option<(u64, bool)>,
    /// The bytes the writer has written.
    written: u64,
}

/// The buffer between a body's writer and its reader.
pub struct Pipe {
    state: Mutex<State>,
    signal: Arc<Signal>,
}

impl Pipe {
    /// An empty pipe whose guest side waits on `signal`.
    pub fn new(signal: Arc<Signal>) -> Arc<Pipe> {
        Arc::new(Pipe {
            state: Mutex::new(State::default()),
            signal,
        })
    }

    /// A pipe for a body whose headers declare `content-length: length` (of a request, else
    /// of a response): a write past it fails, and so does finishing short of it.
    pub fn with_length(signal: Arc<Signal>, length: Option<u64>, request: bool) -> Arc<Pipe> {
        let pipe = Pipe::new(signal);
        pipe.lock().declared = length.map(|n| (n, request));
        pipe
    }

    /// Counts `n` more bytes written; the error when they go past the declared length.
    fn count(&self, n: usize) -> Result<(), ErrorCode> {
        let mut state = self.lock();
        let written = state.written.saturating_add(n as u64);
        if let Some((declared, request)) = state.declared
            && written > declared
        {
            return Err(body_size(request, written));
        }
        state.written = written;
        Ok(())
    }

    /// The error of finishing the body now: fewer bytes written than its headers declared.
    pub fn short_of_length(&self) -> Option<ErrorCode> {
        let state = self.lock();
        match state.declared {
            Some((declared, request)) if state.written != declared => {
                Some(body_size(request, state.written))
            }
            _ => None,
        }
    }

    /// A pipe that is already complete: an empty body.
    pub fn empty(signal: Arc<Signal>) -> Arc<Pipe> {
        let pipe = Pipe::new(signal);
        pipe.finish(None);
        pipe
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes both sides after a change.
    fn changed(&self, mut state: MutexGuard<'_, State>) {
        let wakers = [state.reader_waker.take(), state.writer_waker.take()];
        drop(state);
        for w in wakers.into_iter().flatten() {
            w.wake();
        }
        self.signal.notify();
    }

    // ----- The writer's side -----

    /// Room for more bytes now: 0 when full; `None` when no one will read them.
    pub fn room(&self) -> Option<usize> {
        let s = self.lock();
        if s.reader_gone || s.end.is_some() {
            return None;
        }
        Some(PIPE_LIMIT.saturating_sub(s.buffered))
    }

    /// Adds bytes (past the limit if the writer had no way to ask: one network frame).
    pub fn push(&self, bytes: Bytes) {
        let mut s = self.lock();
        if bytes.is_empty() || s.discard || s.reader_gone || s.end.is_some() {
            return;
        }
        s.buffered += bytes.len();
        s.chunks.push_back(bytes);
        self.changed(s);
    }

    /// Ends the body, complete. A body already ended keeps its first end.
    pub fn finish(&self, trailers: Option<HeaderMap>) {
        self.end_with(End::Done(trailers));
    }

    /// Ends the body, cut short.
    pub fn fail(&self, code: ErrorCode) {
        self.end_with(End::Failed(code));
    }

    fn end_with(&self, end: End) {
        let mut s = self.lock();
        if s.end.is_none() {
            s.end = Some(end);
        }
        self.changed(s);
    }

    /// Waits (for a task) until there is room; `false` when no one will read.
    pub fn poll_room(&self, cx: &mut Context<'_>) -> Poll<bool> {
        let mut s = self.lock();
        if s.reader_gone || s.end.is_some() {
            return Poll::Ready(false);
        }
        if s.buffered < PIPE_LIMIT || s.discard {
            return Poll::Ready(true);
        }
        s.writer_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    // ----- The reader's side -----

    /// Takes at most `len` bytes: `Ok(None)` when none are there yet, `Err` at the end.
    fn take(&self, len: usize) -> Result<Option<Bytes>, End> {
        let mut s = self.lock();
        let Some(front) = s.chunks.front_mut() else {
            return match &s.end {
                Some(end) => Err(end.clone()),
                None => Ok(None),
            };
        };
        let bytes = if front.len() <= len {
            s.chunks.pop_front().expect("a front chunk")
        } else {
            front.split_to(len)
        };
        s.buffered -= bytes.len();
        self.changed(s);
        Ok(Some(bytes))
    }

    /// The reader will read no more.
    pub fn close_reader(&self) {
        let mut s = self.lock();
        s.reader_gone = true;
        s.chunks.clear();
        s.buffered = 0;
        self.changed(s);
    }

    /// The reader wants only the end: what is buffered and what comes is dropped.
    pub fn discard(&self) {
        let mut s = self.lock();
        s.discard = true;
        s.chunks.clear();
        s.buffered = 0;
        self.changed(s);
    }

    /// How the body ended, once it has.
    pub fn end(&self) -> Option<End> {
        self.lock().end.clone()
    }

    fn readable(&self) -> bool {
        let s = self.lock();
        !s.chunks.is_empty() || s.end.is_some()
    }

    fn writable(&self) -> bool {
        let s = self.lock();
        s.buffered < PIPE_LIMIT || s.reader_gone || s.end.is_some()
    }
}

/// What a guest waits for on a pipe.
#[derive(Clone, Copy)]
pub enum Wait {
    /// Bytes to read, or the end.
    Read,
    /// Room to write.
    Write,
    /// The end.
    End,
}

/// A pipe's readiness for one side, as a `wasi:io` pollable's source.
pub struct PipeReady(pub Arc<Pipe>, pub Wait);

impl HostReady for PipeReady {
    fn is_ready(&self) -> bool {
        match self.1 {
            Wait::Read => self.0.readable(),
            Wait::Write => self.0.writable(),
            Wait::End => self.0.end().is_some(),
        }
    }

    fn signal(&self) -> &Arc<Signal> {
        &self.0.signal
    }
}

/// The failure a guest's stream reports for a body cut short: the error code travels in the
/// `io-error`, for `http-error-code`.
pub fn stream_failure(code: ErrorCode) -> StreamFailure {
    StreamFailure::Failed {
        message: format!("the HTTP body failed: {code:?}"),
        detail: Some(Arc::new(code)),
    }
}

/// The error of a body whose size does not match its `content-length`, with the bytes
/// written (or that a write would have made).
fn body_size(request: bool, written: u64) -> ErrorCode {
    if request {
        ErrorCode::HttpRequestBodySize(Some(written))
    } else {
        ErrorCode::HttpResponseBodySize(Some(written))
    }
}

/// A guest's input stream over a body from the network.
pub struct PipeReader {
    /// The body.
    pub pipe: Arc<Pipe>,
    /// Counts the bytes handed to the guest.
    pub counter: Option<Arc<AtomicU64>>,
}

impl HostInputStream for PipeReader {
    fn read(&mut self, len: usize, block: bool) -> anyhow::Result<Result<Vec<u8>, StreamFailure>> {
        if len == 0 {
            return Ok(Ok(Vec::new()));
        }
        loop {
            match self.pipe.take(len) {
                Ok(Some(bytes)) => {
                    if let Some(c) = &self.counter {
                        c.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    }
                    return Ok(Ok(bytes.to_vec()));
                }
                Ok(None) if !block => return Ok(Ok(Vec::new())),
                Ok(None) => tether_wasi::Pollable::host(self.ready()).block(),
                Err(End::Done(_)) => return Ok(Err(StreamFailure::Closed)),
                Err(End::Failed(code)) => return Ok(Err(stream_failure(code))),
            }
        }
    }

    fn ready(&self) -> Arc<dyn HostReady> {
        Arc::new(PipeReady(self.pipe.clone(), Wait::Read))
    }
}

/// A guest's output stream into a body bound for the network.
pub struct PipeWriter {
    /// The body.
    pub pipe: Arc<Pipe>,
}

impl HostOutputStream for PipeWriter {
    fn check_write(&mut self) -> Result<usize, StreamFailure> {
        match self.pipe.room() {
            Some(n) => Ok(n),
            None => Err(match self.pipe.end() {
                Some(End::Failed(code)) => stream_failure(code),
                _ => StreamFailure::Closed,
            }),
        }
    }

    fn write(&mut self, bytes: Vec<u8>) -> anyhow::Result<Result<(), StreamFailure>> {
        let room = match self.check_write() {
            Ok(n) => n,
            Err(f) => return Ok(Err(f)),
        };
        if bytes.len() > room {
            anyhow::bail!(
                "output-stream: a write of {} bytes to an HTTP body is more than `check-write` allowed ({room})",
                bytes.len()
            );
        }
        if let Err(code) = self.pipe.count(bytes.len()) {
            // The body is broken for its receiver too: it can never match its headers.
            self.pipe.fail(code.clone());
            return Ok(Err(stream_failure(code)));
        }
        self.pipe.push(Bytes::from(bytes));
        Ok(Ok(()))
    }

    fn ready(&self) -> Arc<dyn HostReady> {
        Arc::new(PipeReady(self.pipe.clone(), Wait::Write))
    }
}

/// The end of a body whose `outgoing-body` the guest dropped without finishing it.
pub fn dropped_unfinished() -> ErrorCode {
    ErrorCode::InternalError(Some(
        "the guest dropped the outgoing-body without finishing it".into(),
    ))
}

/// A body a guest writes, as hyper sends it.
///
/// A body the guest cuts short fails, and hyper ends the exchange without the body's end, as
/// the interface asks. A response's body ([`PipeBody::response`]) that the guest dropped
/// unfinished before writing a byte of it is sent empty instead, so that its status still
/// reaches the client (what `wasmtime serve` does with StarlingMonkey's answer to a handler
/// that throws).
pub struct PipeBody {
    /// The body.
    pub pipe: Arc<Pipe>,
    /// Whether a byte of it was handed to hyper.
    sent: bool,
    /// Whether a body dropped before its first byte is sent empty.
    empty_if_dropped: bool,
}

impl PipeBody {
    /// The body of a request.
    pub fn request(pipe: Arc<Pipe>) -> PipeBody {
        PipeBody {
            pipe,
            sent: false,
            empty_if_dropped: false,
        }
    }

    /// The body of a response.
    pub fn response(pipe: Arc<Pipe>) -> PipeBody {
        PipeBody {
            pipe,
            sent: false,
            empty_if_dropped: true,
        }
    }
}

impl Drop for PipeBody {
    fn drop(&mut self) {
        self.pipe.close_reader();
    }
}

impl Body for PipeBody {
    type Data = Bytes;
    type Error = ErrorCode;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ErrorCode>>> {
        let this = self.get_mut();
        let pipe = &this.pipe;
        let mut s = pipe.lock();
        if let Some(bytes) = s.chunks.pop_front() {
            s.buffered -= bytes.len();
            pipe.changed(s);
            this.sent = true;
            return Poll::Ready(Some(Ok(Frame::data(bytes))));
        }
        match &s.end {
            None => {
                s.reader_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Some(End::Done(trailers)) => {
                if s.trailers_sent {
                    return Poll::Ready(None);
                }
                let trailers = trailers.clone();
                s.trailers_sent = true;
                Poll::Ready(trailers.map(|t| Ok(Frame::trailers(t))))
            }
            Some(End::Failed(code))
                if this.empty_if_dropped && !this.sent && *code == dropped_unfinished() =>
            {
                Poll::Ready(None)
            }
            Some(End::Failed(code)) => Poll::Ready(Some(Err(code.clone()))),
        }
    }
}

/// Moves a body from the network into `pipe` as the pipe makes room, each frame waited for at
/// most `between_bytes`; ends the pipe with the body's end, or with the error that cut it.
pub async fn pump<B>(mut body: B, pipe: Arc<Pipe>, between_bytes: Option<Duration>)
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<ErrorCode>,
{
    loop {
        if !poll_fn(|cx| pipe.poll_room(cx)).await {
            return;
        }
        let next = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
        let frame = match between_bytes {
            Some(d) => match tokio::time::timeout(d, next).await {
                Ok(f) => f,
                Err(_) => {
                    pipe.fail(ErrorCode::ConnectionReadTimeout);
                    return;
                }
            },
            None => next.await,
        };
        match frame {
            None => {
                pipe.finish(None);
                return;
            }
            Some(Err(e)) => {
                pipe.fail(e.into());
                return;
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => pipe.push(data),
                Err(frame) => {
                    if let Ok(trailers) = frame.into_trailers() {
                        pipe.finish(Some(trailers));
                        return;
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_ordered() {
        let pipe = Pipe::new(Signal::new());
        assert_eq!(pipe.room(), Some(PIPE_LIMIT));
        pipe.push(Bytes::from(vec![1u8; PIPE_LIMIT]));
        assert_eq!(pipe.room(), Some(0));
        let mut reader = PipeReader {
            pipe: pipe.clone(),
            counter: None,
        };
        let got = reader.read(10, false).unwrap().unwrap();
        assert_eq!(got, vec![1u8; 10]);
        assert_eq!(pipe.room(), Some(10));
        pipe.finish(None);
        let rest = reader.read(usize::MAX, true).unwrap().unwrap();
        assert_eq!(rest.len(), PIPE_LIMIT - 10);
        assert!(matches!(
            reader.read(1, true).unwrap(),
            Err(StreamFailure::Closed)
        ));
    }

    #[test]
    fn a_declared_length_bounds_the_body_both_ways() {
        // Past it: the write fails, with what it would have made, and so does the body.
        let pipe = Pipe::with_length(Signal::new(), Some(5), false);
        let mut w = PipeWriter { pipe: pipe.clone() };
        assert!(w.write(vec![0; 3]).unwrap().is_ok());
        match w.write(vec![0; 3]).unwrap() {
            Err(StreamFailure::Failed { detail, .. }) => assert_eq!(
                detail.unwrap().downcast_ref::<ErrorCode>(),
                Some(&ErrorCode::HttpResponseBodySize(Some(6)))
            ),
            other => panic!("expected a failed write, found {other:?}"),
        }
        assert!(matches!(pipe.end(), Some(End::Failed(_))));

        // Short of it: finishing is the error, with what was written.
        let pipe = Pipe::with_length(Signal::new(), Some(5), true);
        let mut w = PipeWriter { pipe: pipe.clone() };
        assert!(w.write(vec![0; 4]).unwrap().is_ok());
        assert_eq!(
            pipe.short_of_length(),
            Some(ErrorCode::HttpRequestBodySize(Some(4)))
        );
        assert!(w.write(vec![0; 1]).unwrap().is_ok());
        assert_eq!(pipe.short_of_length(), None);

        // No declared length: anything goes.
        let pipe = Pipe::with_length(Signal::new(), None, true);
        let mut w = PipeWriter { pipe: pipe.clone() };
        assert!(w.write(vec![0; 100]).unwrap().is_ok());
        assert_eq!(pipe.short_of_length(), None);
    }

    #[test]
    fn writer_over_permit_traps() {
        let pipe = Pipe::new(Signal::new());
        let mut w = PipeWriter { pipe: pipe.clone() };
        assert!(w.write(vec![0; PIPE_LIMIT + 1]).is_err());
        assert!(w.write(vec![0; PIPE_LIMIT]).unwrap().is_ok());
        pipe.close_reader();
        assert!(matches!(w.check_write(), Err(StreamFailure::Closed)));
    }
}
