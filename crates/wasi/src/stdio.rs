//! Where stdin comes from and stdout and stderr go: [`Input`], [`Output`], and
//! [`MemoryOutputPipe`] for embedders (and tests) that keep the output.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

/// The most bytes one read returns.
pub(crate) const MAX_READ: u64 = 1 << 20;

/// A source of stdin.
#[derive(Clone)]
pub(crate) enum Input {
    /// A reader of the embedder's, read on the guest's thread (a read blocks until it returns).
    Reader(Arc<Mutex<Box<dyn Read + Send>>>),
    /// The host process's stdin, read by a thread of its own so that a guest can poll it.
    Inherit(&'static StdinWorker),
}

impl Input {
    pub fn empty() -> Input {
        Input::reader(io::empty())
    }

    pub fn reader(r: impl Read + Send + 'static) -> Input {
        Input::Reader(Arc::new(Mutex::new(Box::new(r))))
    }

    pub fn inherit() -> Input {
        static WORKER: OnceLock<StdinWorker> = OnceLock::new();
        Input::Inherit(WORKER.get_or_init(StdinWorker::start))
    }

    /// Reads up to `max` bytes: `Ok(empty)` when nothing is there yet (only if `block` is
    /// false), `Err(None)` at the end, `Err(Some(e))` on a failure.
    pub fn read(&self, max: u64, block: bool) -> Result<Vec<u8>, Option<String>> {
        let max = max.min(MAX_READ) as usize;
        match self {
            Input::Reader(r) => {
                let mut buf = vec![0; max];
                if max == 0 {
                    return Ok(buf);
                }
                let mut r = lock(r);
                loop {
                    match r.read(&mut buf) {
                        Ok(0) => return Err(None),
                        Ok(n) => {
                            buf.truncate(n);
                            return Ok(buf);
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(Some(e.to_string())),
                    }
                }
            }
            Input::Inherit(w) => w.read(max, block),
        }
    }

    /// Whether a read would return at once.
    pub fn ready(&self) -> bool {
        match self {
            Input::Reader(_) => true,
            Input::Inherit(w) => w.ready(),
        }
    }

    /// Waits until a read would return at once, or until `deadline`.
    pub fn wait(&self, deadline: Option<Instant>) {
        if let Input::Inherit(w) = self {
            w.wait(deadline);
        }
    }
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A writer that panicked leaves its buffer as it was; it is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads the host process's stdin on a thread of its own into a bounded buffer.
pub(crate) struct StdinWorker {
    state: Mutex<StdinState>,
    /// Signalled when data arrives or the input ends, and when the buffer is drained.
    changed: Condvar,
}

#[derive(Default)]
struct StdinState {
    buf: VecDeque<u8>,
    end: bool,
    error: Option<String>,
}

/// The most bytes the worker reads ahead of the guest.
const READ_AHEAD: usize = 1 << 20;

impl StdinWorker {
    fn start() -> StdinWorker {
        StdinWorker {
            state: Mutex::new(StdinState::default()),
            changed: Condvar::new(),
        }
    }

    fn worker(&'static self) {
        let mut stdin = io::stdin().lock();
        let mut chunk = vec![0; 64 << 10];
        loop {
            {
                let mut s = lock(&self.state);
                while s.buf.len() >= READ_AHEAD {
                    s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
            }
            let r = stdin.read(&mut chunk);
            let mut s = lock(&self.state);
            match r {
                Ok(0) => s.end = true,
                Ok(n) => s.buf.extend(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    s.error = Some(e.to_string());
                    s.end = true;
                }
            }
            let end = s.end;
            drop(s);
            self.changed.notify_all();
            if end {
                return;
            }
        }
    }

    fn ensure_started(&'static self) {
        static STARTED: OnceLock<()> = OnceLock::new();
        STARTED.get_or_init(|| {
            let me: &'static StdinWorker = self;
            std::thread::Builder::new()
                .name("tether-wasi-stdin".into())
                .spawn(move || me.worker())
                .map(drop)
                .unwrap_or_else(|e| {
                    let mut s = lock(&me.state);
                    s.error = Some(format!("cannot start the stdin reader: {e}"));
                    s.end = true;
                });
        });
    }

    fn read(&'static self, max: usize, block: bool) -> Result<Vec<u8>, Option<String>> {
        self.ensure_started();
        let mut s = lock(&self.state);
        while block && s.buf.is_empty() && !s.end && max > 0 {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        if s.buf.is_empty() && s.end && max > 0 {
            return Err(s.error.clone());
        }
        let n = max.min(s.buf.len());
        let out: Vec<u8> = s.buf.drain(..n).collect();
        drop(s);
        self.changed.notify_all();
        Ok(out)
    }

    fn ready(&'static self) -> bool {
        self.ensure_started();
        let s = lock(&self.state);
        !s.buf.is_empty() || s.end
    }

    fn wait(&'static self, deadline: Option<Instant>) {
        self.ensure_started();
        let mut s = lock(&self.state);
        while s.buf.is_empty() && !s.end {
            match deadline {
                None => s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return;
                    }
                    s = self
                        .changed
                        .wait_timeout(s, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

/// A destination of stdout or stderr: a writer shared by every stream the guest opens on it.
#[derive(Clone)]
pub(crate) struct Output(Arc<Mutex<Box<dyn Write + Send>>>);

impl Output {
    pub fn new(w: impl Write + Send + 'static) -> Output {
        Output(Arc::new(Mutex::new(Box::new(w))))
    }

    pub fn sink() -> Output {
        Output::new(io::sink())
    }

    pub fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        lock(&self.0).write_all(bytes)
    }

    pub fn flush(&self) -> io::Result<()> {
        lock(&self.0).flush()
    }
}

/// Output kept in memory, for an embedder (or a test) that wants to read what a guest wrote.
/// Clones share the buffer.
///
/// ```
/// use std::io::Write;
/// let pipe = tether_wasi::MemoryOutputPipe::new();
/// pipe.clone().write_all(b"hi")?;
/// assert_eq!(pipe.contents(), b"hi");
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Default)]
pub struct MemoryOutputPipe(Arc<Mutex<Vec<u8>>>);

impl MemoryOutputPipe {
    /// An empty pipe.
    pub fn new() -> MemoryOutputPipe {
        MemoryOutputPipe::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        lock(&self.0).clone()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }
}

impl Write for MemoryOutputPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `wasi:cli/terminal-input`: the guest's stdin is a terminal.
pub struct TerminalInput;

/// `wasi:cli/terminal-output`: the guest's stdout or stderr is a terminal.
pub struct TerminalOutput;
