//! `wasi:http` 0.2 for Tether: the client side (`wasi:http/types` and
//! `wasi:http/outgoing-handler`) and, in [`serve`], a server that calls a `wasi:http/proxy`
//! component's `incoming-handler` for each request.
//!
//! Requests, responses, fields and bodies are host objects; bodies are `wasi:io` streams of
//! `tether-wasi`, and the futures are `wasi:io` pollables, so a guest waits on HTTP and on
//! its other sources with one `poll`. A body moves between the network and the guest through
//! a bounded buffer: the host reads a response from the network only as fast as the guest
//! reads it, and [`WasiHttpCtx::body_bytes_read`] counts what reached the guest.
//!
//! Outgoing requests reach only the origins the embedder's [`HttpPolicy`] allows (none by
//! default); a request to any other is refused with `HTTP-request-denied` before anything
//! is sent. Each has a connect, first-byte and between-bytes timeout: the guest's
//! `request-options`, or the policy's timeout.
//!
//! ```no_run
//! use tether::{Component, Engine, Linker, Store};
//! use tether_host::HttpPolicy;
//! use tether_wasi::{WasiCtx, WasiView};
//! use tether_wasi_http::{WasiHttpCtx, WasiHttpView};
//!
//! struct Host {
//!     wasi: WasiCtx,
//!     http: WasiHttpCtx,
//! }
//! impl WasiView for Host {
//!     fn ctx(&mut self) -> &mut WasiCtx {
//!         &mut self.wasi
//!     }
//! }
//! impl WasiHttpView for Host {
//!     fn http(&mut self) -> &mut WasiHttpCtx {
//!         &mut self.http
//!     }
//! }
//!
//! let engine = Engine::default();
//! let component = Component::new(&engine, std::fs::read("client.wasm")?)?;
//! let mut linker = Linker::<Host>::new(&engine);
//! tether_wasi::add_to_linker(&mut linker)?;
//! tether_wasi_http::add_to_linker(&mut linker)?;
//! let policy = HttpPolicy::new().allow("http://127.0.0.1:8080")?;
//! let host = Host { wasi: WasiCtx::new(), http: WasiHttpCtx::new(policy) };
//! let mut store = Store::new(&engine, host);
//! let instance = linker.instantiate(&mut store, &component)?;
//! tether_wasi::run_command(&mut store, &instance)?;
//! # anyhow::Ok(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
pub mod fields;
pub mod pipe;
pub mod serve;
#[cfg(feature = "tls")]
mod tls;
pub mod types;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Result;
use tether::Linker;
use tether_host::HttpPolicy;
use tether_wasi::host_io::Signal;

pub use client::DEFAULT_TIMEOUT;
pub use fields::Fields;
pub use types::{
    FutureIncomingResponse, FutureTrailers, IncomingBody, IncomingRequest, IncomingResponse,
    OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam,
};

/// The bindings `bindgen!` generates for `wasi:http/types` and `wasi:http/outgoing-handler`.
#[allow(missing_docs)]
pub mod bindings {
    ::tether::bindgen!({
        path: "wit",
        deps: ["../../wit/deps/wasi-0.2.12"],
        world: "host",
        with: {
            "wasi:io/error/error": ::tether_wasi::IoError,
            "wasi:io/poll/pollable": ::tether_wasi::Pollable,
            "wasi:io/streams/input-stream": ::tether_wasi::InputStream,
            "wasi:io/streams/output-stream": ::tether_wasi::OutputStream,
            "wasi:http/types/fields": crate::Fields,
            "wasi:http/types/incoming-request": crate::IncomingRequest,
            "wasi:http/types/outgoing-request": crate::OutgoingRequest,
            "wasi:http/types/request-options": crate::RequestOptions,
            "wasi:http/types/response-outparam": crate::ResponseOutparam,
            "wasi:http/types/incoming-response": crate::IncomingResponse,
            "wasi:http/types/incoming-body": crate::IncomingBody,
            "wasi:http/types/future-trailers": crate::FutureTrailers,
            "wasi:http/types/outgoing-response": crate::OutgoingResponse,
            "wasi:http/types/outgoing-body": crate::OutgoingBody,
            "wasi:http/types/future-incoming-response": crate::FutureIncomingResponse,
        },
        children: [
            "wasi:http/types/incoming-request.headers",
            "wasi:http/types/outgoing-request.headers",
            "wasi:http/types/incoming-response.headers",
            "wasi:http/types/outgoing-response.headers",
            "wasi:http/types/incoming-body.stream",
            "wasi:http/types/outgoing-body.write",
            "wasi:http/types/future-trailers.get",
        ],
    });
}

pub use bindings::wasi::http::types::ErrorCode;

/// The `wasi:http` interfaces [`add_to_linker`] defines, without their version.
pub const INTERFACES: &[&str] = &["wasi:http/types", "wasi:http/outgoing-handler"];

/// Whether [`add_to_linker`] satisfies an import named `name`: one of [`INTERFACES`] at any
/// 0.2.x version.
///
/// ```
/// assert!(tether_wasi_http::provides("wasi:http/types@0.2.0"));
/// assert!(tether_wasi_http::provides("wasi:http/outgoing-handler@0.2.10"));
/// assert!(!tether_wasi_http::provides("wasi:http/incoming-handler@0.2.0"));
/// assert!(!tether_wasi_http::provides("wasi:http/types@0.3.0"));
/// ```
pub fn provides(name: &str) -> bool {
    match name.split_once('@') {
        Some((base, version)) => INTERFACES.contains(&base) && version.starts_with("0.2."),
        None => false,
    }
}

/// What one store's guests may do with `wasi:http`: the origins they may reach, and the
/// runtime that moves their requests and bodies.
pub struct WasiHttpCtx {
    pub(crate) policy: HttpPolicy,
    pub(crate) runtime: tokio::runtime::Handle,
    /// Notified at every change of this store's HTTP futures and bodies.
    pub(crate) signal: Arc<Signal>,
    /// Body bytes handed to the guest.
    pub(crate) body_bytes: Arc<AtomicU64>,
    /// Requests sent.
    pub(crate) requests: AtomicU64,
}

/// A runtime for stores made outside of one (`tether run`): one worker thread, made on first
/// use.
fn background_runtime() -> tokio::runtime::Handle {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("tether-wasi-http")
                .enable_all()
                .build()
                .expect("a tokio runtime of one thread can be made")
        })
        .handle()
        .clone()
}

impl WasiHttpCtx {
    /// A context whose guests may reach the origins `policy` allows. Requests run on the
    /// tokio runtime the caller is in, or else on a runtime of this crate's own.
    pub fn new(policy: HttpPolicy) -> WasiHttpCtx {
        let runtime =
            tokio::runtime::Handle::try_current().unwrap_or_else(|_| background_runtime());
        WasiHttpCtx::with_runtime(policy, runtime)
    }

    /// A context whose requests run on `runtime`.
    pub fn with_runtime(policy: HttpPolicy, runtime: tokio::runtime::Handle) -> WasiHttpCtx {
        WasiHttpCtx {
            policy,
            runtime,
            signal: Signal::new(),
            body_bytes: Arc::new(AtomicU64::new(0)),
            requests: AtomicU64::new(0),
        }
    }

    /// The policy outgoing requests are checked against.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    /// How many outgoing requests were sent.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many bytes of incoming bodies were handed to the guest.
    pub fn body_bytes_read(&self) -> u64 {
        self.body_bytes.load(Ordering::Relaxed)
    }
}

/// A store's data that holds a [`WasiHttpCtx`], for [`add_to_linker`].
pub trait WasiHttpView: Send + 'static {
    /// The context the guests of this store use.
    fn http(&mut self) -> &mut WasiHttpCtx;
}

impl WasiHttpView for WasiHttpCtx {
    fn http(&mut self) -> &mut WasiHttpCtx {
        self
    }
}

/// Defines `wasi:http/types` and `wasi:http/outgoing-handler` (0.2.x) in `linker`. The guest
/// needs `wasi:io` too: [`tether_wasi::add_to_linker`] defines it.
pub fn add_to_linker<T: WasiHttpView>(linker: &mut Linker<T>) -> Result<()> {
    bindings::wasi::http::types::add_to_linker(linker)?;
    bindings::wasi::http::outgoing_handler::add_to_linker(linker)
}

/// `method` as the `http` crate's method.
pub(crate) fn method_to_http(
    method: &bindings::wasi::http::types::Method,
) -> Result<http::Method, http::method::InvalidMethod> {
    use bindings::wasi::http::types::Method as M;
    Ok(match method {
        M::Get => http::Method::GET,
        M::Head => http::Method::HEAD,
        M::Post => http::Method::POST,
        M::Put => http::Method::PUT,
        M::Delete => http::Method::DELETE,
        M::Connect => http::Method::CONNECT,
        M::Options => http::Method::OPTIONS,
        M::Trace => http::Method::TRACE,
        M::Patch => http::Method::PATCH,
        M::Other(s) => http::Method::from_bytes(s.as_bytes())?,
    })
}

/// `method` as `wasi:http`'s method.
pub(crate) fn method_from_http(method: &http::Method) -> bindings::wasi::http::types::Method {
    use bindings::wasi::http::types::Method as M;
    match *method {
        http::Method::GET => M::Get,
        http::Method::HEAD => M::Head,
        http::Method::POST => M::Post,
        http::Method::PUT => M::Put,
        http::Method::DELETE => M::Delete,
        http::Method::CONNECT => M::Connect,
        http::Method::OPTIONS => M::Options,
        http::Method::TRACE => M::Trace,
        http::Method::PATCH => M::Patch,
        ref other => M::Other(other.as_str().to_string()),
    }
}
