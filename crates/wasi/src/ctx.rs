//! [`WasiCtx`]: what one store's guests may reach, and its builder.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::stdio::{Input, Output};

/// What a guest may do below a preopened directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirPerms {
    /// Read files and list directories; every change is refused (`read-only`).
    ReadOnly,
    /// Read, create, write, rename and remove.
    ReadWrite,
}

impl DirPerms {
    pub(crate) fn can_write(self) -> bool {
        self == DirPerms::ReadWrite
    }
}

/// A directory the guest sees at `guest_path`.
pub(crate) struct Preopen {
    pub dir: Arc<Dir>,
    pub perms: DirPerms,
    pub guest_path: String,
}

/// Everything a store's guests can reach through WASI: arguments, environment, stdio,
/// preopened directories, clocks and randomness. Made with [`WasiCtxBuilder`].
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) stdin: Input,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
    pub(crate) terminal: [bool; 3],
    /// The zero of `wasi:clocks/monotonic-clock`.
    pub(crate) epoch: Instant,
    pub(crate) insecure_state: u64,
    pub(crate) insecure_seed: (u64, u64),
    /// Whether the guest may use the host's network through `wasi:sockets`.
    pub(crate) network: bool,
}

impl WasiCtx {
    /// Whether `object` (a host object, as `tether::HandleDetail::object` shows it) is one
    /// this context hands any guest that asks, which a command keeps for its whole run: a
    /// stdio stream, a terminal, or a preopened directory. A leak report leaves these out.
    pub fn is_ambient(&self, object: &(dyn std::any::Any + Send)) -> bool {
        if let Some(s) = object.downcast_ref::<crate::io::OutputStream>() {
            return matches!(s.0, crate::io::Out::Stdio(_));
        }
        if let Some(s) = object.downcast_ref::<crate::io::InputStream>() {
            return matches!(s.0, crate::io::In::Stdin(_));
        }
        if object.is::<crate::stdio::TerminalInput>() || object.is::<crate::stdio::TerminalOutput>()
        {
            return true;
        }
        if let Some(d) = object.downcast_ref::<crate::filesystem::Descriptor>() {
            return d
                .dir_of()
                .is_some_and(|dir| self.preopens.iter().any(|p| Arc::ptr_eq(&p.dir, dir)));
        }
        false
    }

    /// A context with nothing: no arguments, no environment, no files, empty stdin and
    /// discarded output.
    pub fn new() -> WasiCtx {
        WasiCtxBuilder::new().build()
    }

    /// The arguments the guest sees.
    pub fn args(&self) -> &[String] {
        &self.args
    }
}

impl Default for WasiCtx {
    fn default() -> WasiCtx {
        WasiCtx::new()
    }
}

/// A store's data that holds a [`WasiCtx`], for [`add_to_linker`](crate::add_to_linker).
pub trait WasiView: Send + 'static {
    /// The context the guests of this store use.
    fn ctx(&mut self) -> &mut WasiCtx;
}

impl WasiView for WasiCtx {
    fn ctx(&mut self) -> &mut WasiCtx {
        self
    }
}

/// Builds a [`WasiCtx`]. Everything is denied until given.
///
/// ```
/// use tether_wasi::{MemoryOutputPipe, WasiCtxBuilder};
///
/// let stdout = MemoryOutputPipe::new();
/// let ctx = WasiCtxBuilder::new()
///     .args(["app", "--verbose"])
///     .env("LANG", "C")
///     .stdin_bytes(b"input".to_vec())
///     .stdout(stdout.clone())
///     .build();
/// assert_eq!(ctx.args(), ["app", "--verbose"]);
/// ```
pub struct WasiCtxBuilder {
    ctx: WasiCtx,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    /// A builder of a context with nothing in it.
    pub fn new() -> WasiCtxBuilder {
        let mut seed = [0u8; 32];
        // A failure of the system's random source leaves the insecure generator seeded by
        // the clock alone, which its interface allows.
        let _ = getrandom::fill(&mut seed);
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let word = |i: usize| u64::from_le_bytes(seed[i * 8..i * 8 + 8].try_into().unwrap());
        WasiCtxBuilder {
            ctx: WasiCtx {
                args: Vec::new(),
                env: Vec::new(),
                preopens: Vec::new(),
                stdin: Input::empty(),
                stdout: Output::sink(),
                stderr: Output::sink(),
                terminal: [false; 3],
                epoch: Instant::now(),
                insecure_state: word(0) ^ clock | 1,
                insecure_seed: (word(1), word(2)),
                network: false,
            },
        }
    }

    /// Appends one argument. The first is the program's name (`argv[0]`).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.ctx.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.ctx.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.ctx.env.push((name.into(), value.into()));
        self
    }

    /// Connects the host process's stdin, stdout and stderr.
    pub fn inherit_stdio(mut self) -> Self {
        self.ctx.stdin = Input::inherit();
        self.ctx.stdout = Output::new(std::io::stdout());
        self.ctx.stderr = Output::new(std::io::stderr());
        self.ctx.terminal = [
            std::io::stdin().is_terminal(),
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        ];
        self
    }

    /// Connects the host process's stdin.
    pub fn inherit_stdin(mut self) -> Self {
        self.ctx.stdin = Input::inherit();
        self.ctx.terminal[0] = std::io::stdin().is_terminal();
        self
    }

    /// Stdin reads `bytes`, then ends.
    pub fn stdin_bytes(mut self, bytes: Vec<u8>) -> Self {
        self.ctx.stdin = Input::reader(std::io::Cursor::new(bytes));
        self
    }

    /// Stdin reads from `reader`; a read of the guest's blocks until the reader returns.
    pub fn stdin(mut self, reader: impl Read + Send + 'static) -> Self {
        self.ctx.stdin = Input::reader(reader);
        self
    }

    /// The guest's stdout writes to `writer`.
    pub fn stdout(mut self, writer: impl Write + Send + 'static) -> Self {
        self.ctx.stdout = Output::new(writer);
        self
    }

    /// The guest's stderr writes to `writer`.
    pub fn stderr(mut self, writer: impl Write + Send + 'static) -> Self {
        self.ctx.stderr = Output::new(writer);
        self
    }

    /// Lets the guest use the host's network through `wasi:sockets`: resolve names, connect
    /// TCP sockets to any address the host can reach, bind TCP and UDP sockets to any local
    /// address and port the OS lets the process have, listen and accept connections on them,
    /// and send and receive UDP datagrams to and from any address. Without it (the default),
    /// creating a socket and resolving a name return `access-denied`.
    pub fn inherit_network(mut self) -> Self {
        self.ctx.network = true;
        self
    }

    /// Gives the guest the host directory `host_path`, which it sees as `guest_path`. The
    /// guest reaches nothing outside it: `..`, absolute paths and symbolic links pointing
    /// out are refused.
    pub fn preopened_dir(
        mut self,
        host_path: impl AsRef<Path>,
        guest_path: impl Into<String>,
        perms: DirPerms,
    ) -> Result<Self> {
        let host_path = host_path.as_ref();
        let dir = Dir::open_ambient_dir(host_path, ambient_authority()).with_context(|| {
            format!(
                "cannot open the directory `{}` to preopen it",
                host_path.display()
            )
        })?;
        self.ctx.preopens.push(Preopen {
            dir: Arc::new(dir),
            perms,
            guest_path: guest_path.into(),
        });
        Ok(self)
    }

    /// The context.
    pub fn build(self) -> WasiCtx {
        self.ctx
    }
}
