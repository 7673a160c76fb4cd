//! `wasi:io`: errors, pollables and streams.

use std::any::Any;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tether::{Borrow, StoreContextMut};

use crate::WasiView;
use crate::bindings::wasi::filesystem::types::ErrorCode as FsError;
use crate::bindings::wasi::io::streams::StreamError;
use crate::bindings::wasi::io::{error, poll, streams};
use crate::host_io::{HostInputStream, HostOutputStream, HostReady, StreamFailure};
use crate::stdio::{Input, MAX_READ, Output};

/// `wasi:io/error.error`: what went wrong in a stream operation.
pub struct IoError {
    pub(crate) message: String,
    /// The filesystem's error code, when the stream is a file's.
    pub(crate) fs: Option<FsError>,
    /// What the interface that made a host stream put in its failure.
    pub(crate) detail: Option<Arc<dyn Any + Send + Sync>>,
}

impl IoError {
    /// An error with `message` and nothing else.
    pub fn new(message: impl Into<String>) -> IoError {
        IoError {
            message: message.into(),
            fs: None,
            detail: None,
        }
    }

    /// What `to-debug-string` returns.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The detail a host stream's failure carried ([`StreamFailure::Failed`]), for the
    /// interface that made the stream.
    pub fn detail(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.detail.as_deref()
    }
}

/// `wasi:io/poll.pollable`: something a guest can wait for.
pub struct Pollable(pub(crate) Ready);

impl Pollable {
    /// A pollable that waits for a host interface's source (see [`crate::host_io`]).
    pub fn host(source: Arc<dyn HostReady>) -> Pollable {
        Pollable(Ready::Host(source))
    }

    /// Whether it is ready now (`ready`).
    pub fn is_ready(&self) -> bool {
        self.0.is_ready()
    }

    /// Waits until it is ready (`block`).
    pub fn block(&self) {
        wait_any(std::slice::from_ref(&self.0));
    }
}

/// What a pollable waits for.
#[derive(Clone)]
pub(crate) enum Ready {
    /// Ready now, and always.
    Always,
    /// A point on the monotonic clock; `None` is a time too far to reach.
    At(Option<Instant>),
    /// Data (or the end) on stdin.
    Input(Input),
    /// A socket readable (`write` false) or writable (`write` true).
    Socket(Arc<dyn AsFd + Send + Sync>, bool),
    /// A socket resource whose pollable follows its state (a `tcp-socket`, which waits for
    /// nothing, for a connection to accept or for its connection to be made).
    Watch(Arc<SocketWatch>),
    /// A host interface's source.
    Host(Arc<dyn HostReady>),
}

/// What the pollables of a socket resource wait for, which changes with the socket's state:
/// `wasi:sockets/tcp.tcp-socket.subscribe` may be called once and its pollable used for the
/// socket's life (wasi-libc does so), through `start-connect` and `start-listen`. The socket
/// and its pollables share it; the socket sets it at each change of state.
pub(crate) struct SocketWatch {
    socket: Arc<dyn AsFd + Send + Sync>,
    /// [`SocketWatch::NOTHING`], [`SocketWatch::READ`] or [`SocketWatch::WRITE`].
    wait: AtomicU8,
}

impl SocketWatch {
    const NOTHING: u8 = 0;
    const READ: u8 = 1;
    const WRITE: u8 = 2;

    /// A watch of `socket` that waits for nothing.
    pub(crate) fn new(socket: Arc<dyn AsFd + Send + Sync>) -> Arc<SocketWatch> {
        Arc::new(SocketWatch {
            socket,
            wait: AtomicU8::new(SocketWatch::NOTHING),
        })
    }

    /// From now on, the pollables wait for nothing (`None`: ready at once), for the socket to
    /// be readable (`Some(false)`) or writable (`Some(true)`).
    pub(crate) fn wait_for(&self, what: Option<bool>) {
        let wait = match what {
            None => SocketWatch::NOTHING,
            Some(false) => SocketWatch::READ,
            Some(true) => SocketWatch::WRITE,
        };
        self.wait.store(wait, Ordering::Relaxed);
    }

    fn waits_for(&self) -> Option<bool> {
        match self.wait.load(Ordering::Relaxed) {
            SocketWatch::READ => Some(false),
            SocketWatch::WRITE => Some(true),
            _ => None,
        }
    }
}

/// Whether each socket is readable (or writable), waiting at most `timeout` (`None`: forever)
/// for one to be. An error or a hang-up counts as ready: the next operation reports it.
pub(crate) fn socket_ready(
    sockets: &[(BorrowedFd<'_>, bool)],
    timeout: Option<Duration>,
) -> Vec<bool> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds: Vec<PollFd<'_>> = sockets
        .iter()
        .map(|(s, write)| {
            let flags = if *write {
                PollFlags::OUT
            } else {
                PollFlags::IN
            };
            PollFd::from_borrowed_fd(*s, flags)
        })
        .collect();
    let timeout = timeout.map(|d| Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    });
    // An error of `poll` itself (an interrupted wait) reports nothing ready; the caller asks
    // again.
    if poll(&mut fds, timeout.as_ref()).is_err() {
        return vec![false; fds.len()];
    }
    fds.iter().map(|f| !f.revents().is_empty()).collect()
}

impl Ready {
    fn is_ready(&self) -> bool {
        match self {
            Ready::Always => true,
            Ready::At(t) => t.is_some_and(|t| Instant::now() >= t),
            Ready::Input(i) => i.ready(),
            Ready::Host(h) => h.is_ready(),
            Ready::Socket(..) | Ready::Watch(_) => match self.socket() {
                Some(wait) => socket_ready(&[wait], Some(Duration::ZERO))[0],
                // A socket resource waiting for nothing.
                None => true,
            },
        }
    }

    /// The socket this waits on, and whether for writing.
    fn socket(&self) -> Option<(BorrowedFd<'_>, bool)> {
        match self {
            Ready::Socket(s, write) => Some((s.as_fd(), *write)),
            Ready::Watch(w) => w.waits_for().map(|write| (w.socket.as_fd(), write)),
            _ => None,
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self {
            Ready::At(t) => *t,
            _ => None,
        }
    }
}

/// How often a wait on host sources beside other kinds of source (or on host sources with
/// different signals) looks at them again.
const HOST_STEP: Duration = Duration::from_millis(1);

/// Waits until one of `sources` is ready; returns the indices of those that are. A wait that
/// blocks goes through the thread's blocking hook (`host_io::with_blocking_hook`).
fn wait_any(sources: &[Ready]) -> Vec<u32> {
    let ready: Vec<u32> = (0..sources.len() as u32)
        .filter(|i| sources[*i as usize].is_ready())
        .collect();
    if !ready.is_empty() {
        return ready;
    }
    crate::host_io::blocking(|| wait_any_blocking(sources))
}

/// [`wait_any`]'s loop.
fn wait_any_blocking(sources: &[Ready]) -> Vec<u32> {
    // The signal of the host sources, if they share one; read before looking at them.
    let hosts: Vec<&Arc<dyn HostReady>> = sources
        .iter()
        .filter_map(|s| match s {
            Ready::Host(h) => Some(h),
            _ => None,
        })
        .collect();
    let signal = hosts.first().map(|h| h.signal().clone());
    let one_signal = signal
        .as_ref()
        .is_some_and(|s| hosts.iter().all(|h| Arc::ptr_eq(h.signal(), s)));
    loop {
        let seen = signal.as_ref().map(|s| s.seen());
        let ready: Vec<u32> = (0..sources.len() as u32)
            .filter(|i| sources[*i as usize].is_ready())
            .collect();
        if !ready.is_empty() {
            return ready;
        }
        let deadline = sources.iter().filter_map(Ready::deadline).min();
        let input = sources.iter().find_map(|s| match s {
            Ready::Input(i) => Some(i),
            _ => None,
        });
        let sockets: Vec<(BorrowedFd<'_>, bool)> =
            sources.iter().filter_map(Ready::socket).collect();
        let until_deadline = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if let (Some(signal), Some(seen)) = (&signal, seen) {
            if one_signal && sockets.is_empty() && input.is_none() {
                signal.wait(seen, deadline);
            } else {
                // Other kinds of source beside: look at them all in short steps.
                let step = until_deadline.map_or(HOST_STEP, |d| d.min(HOST_STEP));
                if sockets.is_empty() {
                    signal.wait(seen, Some(Instant::now() + step));
                } else {
                    socket_ready(&sockets, Some(step));
                }
            }
            continue;
        }
        if !sockets.is_empty() {
            // With stdin to watch too, look at it again every 10 ms.
            let step = match (until_deadline, input.is_some()) {
                (Some(d), true) => Some(d.min(Duration::from_millis(10))),
                (None, true) => Some(Duration::from_millis(10)),
                (d, false) => d,
            };
            socket_ready(&sockets, step);
            continue;
        }
        match input {
            Some(input) => input.wait(deadline),
            None => match until_deadline {
                Some(d) => std::thread::sleep(d),
                // Nothing can ever become ready: a guest waiting on it waits forever, as
                // it asked; a store's epoch deadline or fuel does not interrupt host code,
                // so sleep in long steps rather than spin.
                None => std::thread::sleep(Duration::from_secs(3600)),
            },
        }
    }
}

/// `wasi:io/streams.input-stream`: stdin, or a file being read.
pub struct InputStream(pub(crate) In);

pub(crate) enum In {
    /// The guest's stdin.
    Stdin(Input),
    /// A file being read from `position`.
    File {
        /// The file, shared with its descriptor.
        file: Arc<File>,
        /// Where the next read starts.
        position: u64,
    },
    /// A connected TCP socket (non-blocking), shared with its output stream.
    Tcp(Arc<TcpStream>),
    /// A host interface's source of bytes.
    Host(Box<dyn HostInputStream>),
}

/// `wasi:io/streams.output-stream`: stdout, stderr, or a file being written.
pub struct OutputStream(pub(crate) Out);

impl InputStream {
    /// An input stream over a host interface's source of bytes (see [`crate::host_io`]).
    pub fn host(source: Box<dyn HostInputStream>) -> InputStream {
        InputStream(In::Host(source))
    }
}

impl OutputStream {
    /// An output stream into a host interface's sink of bytes (see [`crate::host_io`]).
    pub fn host(sink: Box<dyn HostOutputStream>) -> OutputStream {
        OutputStream(Out::Host(sink))
    }
}

pub(crate) enum Out {
    /// The guest's stdout or stderr.
    Stdio(Output),
    /// A file being written at `position`, or at its end when `position` is `None`.
    File {
        /// The file, shared with its descriptor.
        file: Arc<File>,
        /// Where the next write goes; `None` for appending.
        position: Option<u64>,
    },
    /// A connected TCP socket (non-blocking), shared with its input stream.
    Tcp(Arc<TcpStream>),
    /// A host interface's sink of bytes.
    Host(Box<dyn HostOutputStream>),
}

/// How many bytes `check-write` allows at a time.
const WRITE_BUDGET: u64 = 1 << 20;

type StreamResult<T> = Result<Result<T, StreamError>>;

/// The error `last-operation-failed` for `e`; `file` says whether it was a file's, which
/// `wasi:filesystem/types.filesystem-error-code` then describes.
fn failed<T, D>(store: &mut StoreContextMut<'_, D>, e: io::Error, file: bool) -> StreamResult<T> {
    let fs = file.then(|| crate::filesystem::error_code(&e));
    let own = store.push(IoError {
        message: e.to_string(),
        fs,
        detail: None,
    })?;
    Ok(Err(StreamError::LastOperationFailed(own)))
}

/// The `stream-error` for a host stream's failure.
fn host_failed<T, D>(store: &mut StoreContextMut<'_, D>, f: StreamFailure) -> StreamResult<T> {
    match f {
        StreamFailure::Closed => Ok(Err(StreamError::Closed)),
        StreamFailure::Failed { message, detail } => {
            let own = store.push(IoError {
                message,
                fs: None,
                detail,
            })?;
            Ok(Err(StreamError::LastOperationFailed(own)))
        }
    }
}

impl InputStream {
    fn read<D>(
        &mut self,
        store: &mut StoreContextMut<'_, D>,
        len: u64,
        block: bool,
    ) -> StreamResult<Vec<u8>> {
        match &mut self.0 {
            In::Stdin(input) => match if block {
                crate::host_io::blocking(|| input.read(len, true))
            } else {
                input.read(len, false)
            } {
                Ok(bytes) => Ok(Ok(bytes)),
                Err(None) => Ok(Err(StreamError::Closed)),
                Err(Some(message)) => {
                    let own = store.push(IoError::new(message))?;
                    Ok(Err(StreamError::LastOperationFailed(own)))
                }
            },
            In::File { file, position } => {
                let mut buf = vec![0; len.min(MAX_READ) as usize];
                if buf.is_empty() {
                    return Ok(Ok(buf));
                }
                match file.read_at(&mut buf, *position) {
                    Ok(0) => Ok(Err(StreamError::Closed)),
                    Ok(n) => {
                        buf.truncate(n);
                        *position += n as u64;
                        Ok(Ok(buf))
                    }
                    Err(e) => failed(store, e, true),
                }
            }
            In::Tcp(socket) => {
                let mut buf = vec![0; len.min(MAX_READ) as usize];
                if buf.is_empty() {
                    return Ok(Ok(buf));
                }
                loop {
                    match (&**socket).read(&mut buf) {
                        Ok(0) => return Ok(Err(StreamError::Closed)),
                        Ok(n) => {
                            buf.truncate(n);
                            return Ok(Ok(buf));
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            if !block {
                                return Ok(Ok(Vec::new()));
                            }
                            crate::host_io::blocking(|| {
                                socket_ready(&[(socket.as_fd(), false)], None)
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return failed(store, e, false),
                    }
                }
            }
            In::Host(source) => match source.read(len.min(MAX_READ) as usize, block)? {
                Ok(bytes) => Ok(Ok(bytes)),
                Err(f) => host_failed(store, f),
            },
        }
    }

    fn ready(&self) -> Ready {
        match &self.0 {
            In::Stdin(i) => Ready::Input(i.clone()),
            In::File { .. } => Ready::Always,
            In::Tcp(s) => Ready::Socket(s.clone(), false),
            In::Host(source) => Ready::Host(source.ready()),
        }
    }
}

impl OutputStream {
    /// Writes `bytes`: all of them at once with `block` false (the guest's `check-write`
    /// allowed them), or in pieces as the sink makes room with `block` true.
    fn write<D>(
        &mut self,
        store: &mut StoreContextMut<'_, D>,
        bytes: &[u8],
        block: bool,
    ) -> StreamResult<()> {
        let file = matches!(self.0, Out::File { .. });
        let r = match &mut self.0 {
            Out::Host(sink) => return write_host(store, sink.as_mut(), bytes, block),
            Out::Stdio(out) => out.write_all(bytes),
            Out::File { file, position } => match position {
                Some(p) => file
                    .write_all_at(bytes, *p)
                    .map(|()| *p += bytes.len() as u64),
                None => (&**file)
                    .seek(SeekFrom::End(0))
                    .and_then(|_| (&**file).write_all(bytes)),
            },
            Out::Tcp(socket) => write_socket(socket, bytes),
        };
        match r {
            Ok(()) => Ok(Ok(())),
            Err(e) => failed(store, e, file),
        }
    }

    fn flush<D>(&mut self, store: &mut StoreContextMut<'_, D>) -> StreamResult<()> {
        let r = match &mut self.0 {
            Out::Stdio(out) => out.flush(),
            Out::File { .. } | Out::Tcp(_) => Ok(()),
            Out::Host(sink) => {
                return match sink.flush() {
                    Ok(()) => Ok(Ok(())),
                    Err(f) => host_failed(store, f),
                };
            }
        };
        match r {
            Ok(()) => Ok(Ok(())),
            Err(e) => failed(store, e, false),
        }
    }

    fn check_len(len: usize) -> Result<()> {
        if len as u64 > WRITE_BUDGET {
            bail!(
                "output-stream: a write of {len} bytes is more than `check-write` allowed ({WRITE_BUDGET})"
            );
        }
        Ok(())
    }

    fn write_zeroes<D>(
        &mut self,
        store: &mut StoreContextMut<'_, D>,
        len: u64,
        block: bool,
    ) -> StreamResult<()> {
        if !block && matches!(self.0, Out::Host(_)) {
            // One write, which the sink checks against what it allowed.
            return self.write(store, &vec![0u8; len as usize], false);
        }
        let zeroes = vec![0u8; len.min(64 << 10) as usize];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeroes.len() as u64) as usize;
            if let Err(e) = self.write(store, &zeroes[..n], block)? {
                return Ok(Err(e));
            }
            left -= n as u64;
        }
        Ok(Ok(()))
    }
}

/// Writes `bytes` into a host sink: at once, or with `block` as it makes room.
fn write_host<D>(
    store: &mut StoreContextMut<'_, D>,
    sink: &mut dyn HostOutputStream,
    mut bytes: &[u8],
    block: bool,
) -> StreamResult<()> {
    if !block {
        return match sink.write(bytes.to_vec())? {
            Ok(()) => Ok(Ok(())),
            Err(f) => host_failed(store, f),
        };
    }
    while !bytes.is_empty() {
        let room = match sink.check_write() {
            Ok(0) => {
                wait_any(&[Ready::Host(sink.ready())]);
                continue;
            }
            Ok(n) => n.min(bytes.len()),
            Err(f) => return host_failed(store, f),
        };
        if let Err(f) = sink.write(bytes[..room].to_vec())? {
            return host_failed(store, f);
        }
        bytes = &bytes[room..];
    }
    Ok(Ok(()))
}

/// Writes all of `bytes` to a non-blocking socket, waiting while it is full.
fn write_socket(socket: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match (&*socket).write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                crate::host_io::blocking(|| socket_ready(&[(socket.as_fd(), true)], None));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl<T: WasiView> error::Host for T {
    fn error_to_debug_string(&mut self, this: &mut IoError) -> Result<String> {
        Ok(this.message.clone())
    }
}

impl<T: WasiView> poll::Host for T {
    fn pollable_ready(&mut self, this: &mut Pollable) -> Result<bool> {
        Ok(this.0.is_ready())
    }

    fn pollable_block(&mut self, this: &mut Pollable) -> Result<()> {
        wait_any(std::slice::from_ref(&this.0));
        Ok(())
    }

    fn poll(store: StoreContextMut<'_, Self>, in_: Vec<Borrow<Pollable>>) -> Result<Vec<u32>> {
        if in_.is_empty() {
            bail!("poll: the list of pollables is empty");
        }
        let sources = in_
            .iter()
            .map(|p| Ok(store.get(p)?.0.clone()))
            .collect::<Result<Vec<Ready>>>()?;
        Ok(wait_any(&sources))
    }
}

impl<T: WasiView> streams::Host for T {
    fn input_stream_read(
        mut store: StoreContextMut<'_, Self>,
        this: &mut InputStream,
        len: u64,
    ) -> StreamResult<Vec<u8>> {
        this.read(&mut store, len, false)
    }

    fn input_stream_blocking_read(
        mut store: StoreContextMut<'_, Self>,
        this: &mut InputStream,
        len: u64,
    ) -> StreamResult<Vec<u8>> {
        this.read(&mut store, len, true)
    }

    fn input_stream_skip(
        mut store: StoreContextMut<'_, Self>,
        this: &mut InputStream,
        len: u64,
    ) -> StreamResult<u64> {
        Ok(this.read(&mut store, len, false)?.map(|b| b.len() as u64))
    }

    fn input_stream_blocking_skip(
        mut store: StoreContextMut<'_, Self>,
        this: &mut InputStream,
        len: u64,
    ) -> StreamResult<u64> {
        Ok(this.read(&mut store, len, true)?.map(|b| b.len() as u64))
    }

    fn input_stream_subscribe(&mut self, this: &mut InputStream) -> Result<Pollable> {
        Ok(Pollable(this.ready()))
    }

    fn output_stream_check_write(
        mut store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
    ) -> StreamResult<u64> {
        match &mut this.0 {
            Out::Host(sink) => match sink.check_write() {
                Ok(n) => Ok(Ok(n as u64)),
                Err(f) => host_failed(&mut store, f),
            },
            _ => Ok(Ok(WRITE_BUDGET)),
        }
    }

    fn output_stream_write(
        mut store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
        contents: Vec<u8>,
    ) -> StreamResult<()> {
        OutputStream::check_len(contents.len())?;
        this.write(&mut store, &contents, false)
    }

    fn output_stream_blocking_write_and_flush(
        mut store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
        contents: Vec<u8>,
    ) -> StreamResult<()> {
        // The blocking form takes at most 4096 bytes in the interface's words; more is
        // accepted here, within the same budget as `write`.
        OutputStream::check_len(contents.len())?;
        if let Err(e) = this.write(&mut store, &contents, true)? {
            return Ok(Err(e));
        }
        this.flush(&mut store)
    }

    fn output_stream_flush(
        mut store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
    ) -> StreamResult<()> {
        this.flush(&mut store)
    }

    fn output_stream_blocking_flush(
        mut store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
    ) -> StreamResult<()> {
        this.flush(&mut store)
    }

    fn output_stream_subscribe(&mut self, this: &mut OutputStream) -> Result<Pollable> {
        Ok(Pollable(match &this.0 {
            Out::Tcp(s) => Ready::Socket(s.clone(), true),
            Out::Host(sink) => Ready::Host(sink.ready()),
            _ => Ready::Always,
        }))
    }

    fn output_stream_write_zeroes(
        mut store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
        len: u64,
    ) -> StreamResult<()> {
        OutputStream::check_len(len.min(usize::MAX as u64) as usize)?;
        this.write_zeroes(&mut store, len, false)
    }

    fn output_stream_blocking_write_zeroes_and_flush(
        mut store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
        len: u64,
    ) -> StreamResult<()> {
        OutputStream::check_len(len.min(usize::MAX as u64) as usize)?;
        if let Err(e) = this.write_zeroes(&mut store, len, true)? {
            return Ok(Err(e));
        }
        this.flush(&mut store)
    }

    fn output_stream_splice(
        store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
        src: Borrow<InputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        splice(store, this, src, len, false)
    }

    fn output_stream_blocking_splice(
        store: StoreContextMut<'_, Self>,
        this: &mut OutputStream,
        src: Borrow<InputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        splice(store, this, src, len, true)
    }
}

fn splice<D>(
    mut store: StoreContextMut<'_, D>,
    this: &mut OutputStream,
    src: Borrow<InputStream>,
    len: u64,
    block: bool,
) -> StreamResult<u64> {
    let mut len = len.min(WRITE_BUDGET);
    if let Out::Host(sink) = &mut this.0
        && !block
    {
        // No more than the sink has room for now.
        match sink.check_write() {
            Ok(n) => len = len.min(n as u64),
            Err(f) => return host_failed(&mut store, f),
        }
        if len == 0 {
            return Ok(Ok(0));
        }
    }
    let bytes = store.lend(&src, |input, mut store| input.read(&mut store, len, block))?;
    match bytes {
        Ok(bytes) => Ok(this
            .write(&mut store, &bytes, block)?
            .map(|()| bytes.len() as u64)),
        Err(e) => Ok(Err(e)),
    }
}
