//! A server for `wasi:http/proxy` components: each request gets a fresh instance, made from
//! one [`InstancePre`], whose `incoming-handler.handle` answers it.
//!
//! The guest runs on tokio's blocking threads, one per request under way, while hyper moves
//! the bodies: the request body reaches the guest through a [`Pipe`] as the guest reads it,
//! and the response body reaches the client as the guest writes it, so neither is ever held
//! whole. A guest that traps, or returns without setting a response, gets its client a
//! `500`; its instance is discarded and the server goes on.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tether::{Component, InstancePre, Own, Store, TypedFunc};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::bindings::wasi::http::types::{ErrorCode, Scheme};
use crate::pipe::{Pipe, PipeBody, pump};
use crate::types::{IncomingRequest, ResponseOutparam};
use crate::{WasiHttpCtx, WasiHttpView, method_from_http};

/// The name of `component`'s `wasi:http/incoming-handler` export (any 0.2.x), if it has one.
pub fn handler_export(component: &Component) -> Option<String> {
    component
        .export_names()
        .find(|n| n.starts_with("wasi:http/incoming-handler@0.2."))
        .map(str::to_string)
}

/// A proxy component, linked: what [`serve`] instantiates for each request.
pub struct ProxyPre<T: 'static> {
    pre: InstancePre<T>,
    handler: String,
}

impl<T: WasiHttpView> ProxyPre<T> {
    /// The proxy `component`, linked as `pre`. It must export `wasi:http/incoming-handler`.
    pub fn new(pre: InstancePre<T>, component: &Component) -> Result<ProxyPre<T>> {
        let Some(handler) = handler_export(component) else {
            bail!(
                "the component exports no `wasi:http/incoming-handler@0.2.x`: it is not a `wasi:http/proxy`"
            );
        };
        Ok(ProxyPre { pre, handler })
    }

    /// Instantiates the proxy in `store` and calls its handler with `request`, whose answer
    /// goes to `outparam`'s receiver. An error is a trap, or an instance that could not be
    /// made.
    pub fn handle(
        &self,
        store: &mut Store<T>,
        request: IncomingRequest,
        outparam: ResponseOutparam,
    ) -> Result<()> {
        let instance = self.pre.instantiate(&mut *store)?;
        let func = instance
            .get_func_at(&mut *store, &[&self.handler, "handle"])
            .with_context(|| format!("`{}` has no function `handle`", self.handler))?;
        let handle: TypedFunc<(Own<IncomingRequest>, Own<ResponseOutparam>), ()> =
            TypedFunc::new(func).with_context(|| {
                format!(
                    "`{}#handle` does not have the interface's type",
                    self.handler
                )
            })?;
        let request = store.push(request)?;
        let outparam = store.push(outparam)?;
        handle.call(&mut *store, (request, outparam))?;
        Ok(())
    }
}

/// How [`serve`] runs.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// The most requests handled at once; more wait for a turn (default: no limit).
    pub max_concurrent_requests: Option<usize>,
    /// Print one line per request on stderr.
    pub access_log: bool,
    /// The origins the guests' own outgoing requests may reach (default: none).
    pub policy: tether_host::HttpPolicy,
}

/// Makes the store one request is handled in, around the request's [`WasiHttpCtx`].
pub type MakeStore<T> = dyn Fn(WasiHttpCtx) -> Result<Store<T>> + Send + Sync;

/// Everything a connection's requests share.
struct Shared<T: 'static> {
    proxy: ProxyPre<T>,
    make_store: Box<MakeStore<T>>,
    /// Turns to run a guest: a request holds one until its guest has returned.
    permits: Option<Arc<Semaphore>>,
    options: ServeOptions,
    log: AccessLog,
    runtime: tokio::runtime::Handle,
}

/// Serves `proxy` on `listener` until `shutdown` completes, then lets the requests under way
/// finish. Must run inside a tokio runtime with the blocking pool (a multi-threaded one).
pub async fn serve<T: WasiHttpView>(
    listener: TcpListener,
    proxy: ProxyPre<T>,
    make_store: Box<MakeStore<T>>,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let shared = Arc::new(Shared {
        proxy,
        make_store,
        permits: options
            .max_concurrent_requests
            .map(|n| Arc::new(Semaphore::new(n))),
        options,
        log: AccessLog::default(),
        runtime: tokio::runtime::Handle::current(),
    });
    let connections = tracker::Tracker::default();
    // The access log reaches stderr in batches, at most `LOG_DELAY` late.
    let flusher = {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LOG_DELAY).await;
                shared.log.flush();
            }
        })
    };
    // Tells the connections to finish the request under way and close.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, say: wait a little and go on.
                    eprintln!("tether serve: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let guard = connections.enter();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(answer(shared, req, peer).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = async { stopped.wait_for(|s| *s).await.map(|_| ()) } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result
                && !e.is_incomplete_message()
                && !e.is_closed()
            {
                eprintln!("tether serve: connection from {peer}: {e}");
            }
            drop(guard);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    connections.wait().await;
    flusher.abort();
    shared.log.flush();
    Ok(())
}

/// How late an access-log line may reach stderr.
const LOG_DELAY: std::time::Duration = std::time::Duration::from_millis(100);

/// The access log: lines gathered in memory and written to stderr in batches, so that a
/// request does not wait for a write of its own.
#[derive(Default)]
struct AccessLog {
    buf: std::sync::Mutex<Vec<u8>>,
}

impl AccessLog {
    /// The most bytes gathered before they are written at once.
    const BATCH: usize = 16 << 10;

    fn line(&self, line: std::fmt::Arguments<'_>) {
        use std::io::Write as _;
        let mut buf = self
            .buf
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(buf, "{line}");
        if buf.len() >= Self::BATCH {
            let batch = std::mem::take(&mut *buf);
            drop(buf);
            let _ = std::io::stderr().write_all(&batch);
        }
    }

    fn flush(&self) {
        use std::io::Write as _;
        let batch = std::mem::take(
            &mut *self
                .buf
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if !batch.is_empty() {
            let _ = std::io::stderr().write_all(&batch);
        }
    }
}

/// Blocks a runtime worker's thread for `wait`, its other tasks moved to another thread.
fn block_in_place(wait: &mut dyn FnMut()) {
    tokio::task::block_in_place(wait);
}

/// A response the server makes itself: a status and a short text.
fn plain(status: u16, text: &str) -> http::Response<ServeBody> {
    let mut r = http::Response::new(ServeBody::Text(Some(Bytes::from(format!("{text}\n")))));
    *r.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Answers one request by running the guest.
async fn answer<T: WasiHttpView>(
    shared: Arc<Shared<T>>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
) -> http::Response<ServeBody> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let permit = match &shared.permits {
        Some(s) => match s.clone().acquire_owned().await {
            Ok(p) => Some(p),
            Err(_) => return plain(503, "the server is shutting down"),
        },
        None => None,
    };
    let ctx = WasiHttpCtx::with_runtime(shared.options.policy.clone(), shared.runtime.clone());
    let signal = ctx.signal.clone();
    let (parts, body) = req.into_parts();
    let pipe = if body.is_end_stream() {
        Pipe::empty(signal)
    } else {
        let pipe = Pipe::new(signal);
        tokio::spawn(pump(body, pipe.clone(), None));
        pipe
    };
    let authority = parts.uri.authority().map(|a| a.to_string()).or_else(|| {
        parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
    });
    let request = IncomingRequest {
        method: method_from_http(&parts.method),
        path_with_query: parts.uri.path_and_query().map(|p| p.to_string()),
        scheme: Some(Scheme::Http),
        authority,
        headers: parts.headers,
        body: Some(pipe),
    };
    let (outparam, rx) = ResponseOutparam::new();
    let guest = shared.clone();
    let run_guest = move || -> Result<()> {
        // The turn ends when the guest returns, which may be after its response went out
        // (a guest still writing the body).
        let _permit = permit;
        let mut store = (guest.make_store)(ctx)?;
        guest.proxy.handle(&mut store, request, outparam)
    };
    // On a multi-threaded runtime the guest runs as a task of its own on a worker thread:
    // no hand-over to another thread, and requests take their turns in order. When it must
    // wait (for a body to arrive or drain, a response, a timer), `block_in_place` gives the
    // worker's other tasks to another thread first. Elsewhere it runs on a blocking thread.
    let run = if shared.runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
        tokio::spawn(
            async move { tether_wasi::host_io::with_blocking_hook(block_in_place, run_guest) },
        )
    } else {
        tokio::task::spawn_blocking(run_guest)
    };
    let response = match rx.await {
        Ok(Ok(response)) => {
            // The guest may still be writing the body: a failure from here on cuts the body
            // short, and is reported when the guest's turn ends.
            let (method, path) = (method.clone(), path.clone());
            tokio::spawn(async move {
                match run.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        eprintln!(
                            "tether serve: {method} {path}: the guest failed after it answered: {e:#}"
                        )
                    }
                    Err(e) => {
                        eprintln!("tether serve: {method} {path}: the guest's thread failed: {e}")
                    }
                }
            });
            response.map(ServeBody::Guest)
        }
        Ok(Err(code)) => plain(500, &format!("the guest answered with an error: {code:?}")),
        Err(_) => {
            // The guest ended without a response: say why, if it trapped.
            let why = match run.await {
                Ok(Ok(())) => "the guest returned without setting a response".to_string(),
                Ok(Err(e)) => format!("the guest failed: {e:#}"),
                Err(e) => format!("the guest's thread failed: {e}"),
            };
            eprintln!("tether serve: {method} {path}: {why}");
            plain(500, "internal server error")
        }
    };
    if shared.options.access_log {
        shared.log.line(format_args!(
            "{peer} \"{method} {path}\" {} {:.3}ms",
            response.status().as_u16(),
            start.elapsed().as_secs_f64() * 1000.0
        ));
    }
    response
}

/// A response body: the guest's, or a text of the server's own.
pub enum ServeBody {
    /// What the guest writes.
    Guest(PipeBody),
    /// The server's own text, sent once.
    Text(Option<Bytes>),
}

impl Body for ServeBody {
    type Data = Bytes;
    type Error = ErrorCode;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, ErrorCode>>> {
        match self.get_mut() {
            ServeBody::Guest(b) => std::pin::Pin::new(b).poll_frame(cx),
            ServeBody::Text(t) => {
                std::task::Poll::Ready(t.take().map(|b| Ok(http_body::Frame::data(b))))
            }
        }
    }
}

/// Counts connections under way, so that shutdown can wait for them.
mod tracker {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Notify;

    #[derive(Default)]
    pub struct Tracker {
        inner: Arc<Inner>,
    }

    #[derive(Default)]
    struct Inner {
        count: AtomicUsize,
        idle: Notify,
    }

    pub struct Guard(Arc<Inner>);

    impl Tracker {
        pub fn enter(&self) -> Guard {
            self.inner.count.fetch_add(1, Ordering::SeqCst);
            Guard(self.inner.clone())
        }

        pub async fn wait(&self) {
            loop {
                let idle = self.inner.idle.notified();
                if self.inner.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
                self.0.idle.notify_waiters();
            }
        }
    }
}
