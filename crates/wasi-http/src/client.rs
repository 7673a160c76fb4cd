//! `wasi:http/outgoing-handler`: a guest's requests, sent by hyper over a connection of their
//! own, to the origins the embedder allowed and no others.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use http::uri::Authority;
use hyper_util::rt::TokioIo;
use tether_wasi::host_io::Signal;
use tokio::net::TcpStream;

use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{ErrorCode, Scheme};
use crate::pipe::{Pipe, PipeBody, pump};
use crate::types::{
    FutureIncomingResponse, IncomingResponse, OutgoingRequest, RequestOptions, ResponseSlot,
};
use crate::{WasiHttpView, method_to_http};

/// How long a request waits for each step when neither its options nor the embedder's policy
/// say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Everything one request needs once it leaves the guest.
struct Outgoing {
    host: String,
    port: u16,
    tls: bool,
    request: http::Request<PipeBody>,
    connect_timeout: Duration,
    first_byte_timeout: Duration,
    between_bytes_timeout: Duration,
    signal: Arc<Signal>,
}

impl<T: WasiHttpView> outgoing_handler::Host for T {
    fn handle(
        &mut self,
        request: OutgoingRequest,
        options: Option<RequestOptions>,
    ) -> Result<Result<FutureIncomingResponse, ErrorCode>> {
        let ctx = self.http();
        let outgoing = match prepare(ctx, request, options.unwrap_or_default()) {
            Ok(o) => o,
            Err(code) => return Ok(Err(code)),
        };
        ctx.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let slot = ResponseSlot::new(ctx.signal.clone());
        let done = slot.clone();
        ctx.runtime.spawn(async move {
            done.set(send(outgoing).await);
        });
        Ok(Ok(FutureIncomingResponse { slot }))
    }
}

/// Checks a guest's request against the interface and the embedder's policy, and makes the
/// request hyper sends.
fn prepare(
    ctx: &crate::WasiHttpCtx,
    request: OutgoingRequest,
    options: RequestOptions,
) -> Result<Outgoing, ErrorCode> {
    let tls = match &request.scheme {
        None | Some(Scheme::Https) => true,
        Some(Scheme::Http) => false,
        Some(Scheme::Other(_)) => return Err(ErrorCode::HttpProtocolError),
    };
    let authority = request
        .authority
        .as_deref()
        .ok_or(ErrorCode::HttpRequestUriInvalid)?;
    let parsed = Authority::from_str(authority).map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
    if authority.contains('@') {
        // No user information in an authority: it would let a request look like another.
        return Err(ErrorCode::HttpRequestUriInvalid);
    }
    let scheme = if tls { "https" } else { "http" };
    let url = url::Url::parse(&format!("{scheme}://{authority}/"))
        .map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
    if !ctx.policy.allows(&url) {
        return Err(ErrorCode::HttpRequestDenied);
    }
    if tls && !cfg!(feature = "tls") {
        return Err(ErrorCode::InternalError(Some(
            "this build of Tether has no TLS (the `tls` feature)".into(),
        )));
    }
    let host = parsed
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let path = request.path_with_query.as_deref().unwrap_or("/");
    let path = if path.is_empty() { "/" } else { path };
    let method =
        method_to_http(&request.method).map_err(|_| ErrorCode::HttpRequestMethodInvalid)?;
    let uri = http::Uri::from_str(path).map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
    let body = PipeBody::request(
        request
            .body
            .unwrap_or_else(|| Pipe::empty(ctx.signal.clone())),
    );
    let mut req = http::Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.headers_mut() = request.headers;
    let host_header =
        http::HeaderValue::from_str(authority).map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
    req.headers_mut().insert(http::header::HOST, host_header);
    let fallback = ctx.policy.network_timeout();
    Ok(Outgoing {
        host,
        port,
        tls,
        request: req,
        connect_timeout: options.connect.unwrap_or(fallback),
        first_byte_timeout: options.first_byte.unwrap_or(fallback),
        between_bytes_timeout: options.between_bytes.unwrap_or(fallback),
        signal: ctx.signal.clone(),
    })
}

/// The error code for a failed connection.
fn connect_error(e: &std::io::Error) -> ErrorCode {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => ErrorCode::ConnectionRefused,
        K::TimedOut => ErrorCode::ConnectionTimeout,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
            ErrorCode::ConnectionTerminated
        }
        K::AddrNotAvailable | K::NetworkUnreachable | K::HostUnreachable => {
            ErrorCode::DestinationUnavailable
        }
        _ => ErrorCode::InternalError(Some(e.to_string())),
    }
}

/// Connects, sends, and waits for the response's head; the body follows through a pipe.
async fn send(o: Outgoing) -> Result<IncomingResponse, ErrorCode> {
    let addrs: Vec<std::net::SocketAddr> = match tokio::time::timeout(
        o.connect_timeout,
        tokio::net::lookup_host((o.host.as_str(), o.port)),
    )
    .await
    {
        Err(_) => return Err(ErrorCode::DnsTimeout),
        Ok(Err(e)) => {
            return Err(ErrorCode::DnsError(
                crate::bindings::wasi::http::types::DnsErrorPayload {
                    rcode: Some(e.to_string()),
                    info_code: None,
                },
            ));
        }
        Ok(Ok(a)) => a.collect(),
    };
    if addrs.is_empty() {
        return Err(ErrorCode::DestinationNotFound);
    }
    let tcp = match tokio::time::timeout(o.connect_timeout, TcpStream::connect(&addrs[..])).await {
        Err(_) => return Err(ErrorCode::ConnectionTimeout),
        Ok(Err(e)) => return Err(connect_error(&e)),
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    if o.tls {
        #[cfg(feature = "tls")]
        {
            let stream = tokio::time::timeout(o.connect_timeout, crate::tls::connect(&o.host, tcp))
                .await
                .map_err(|_| ErrorCode::ConnectionTimeout)??;
            return exchange(
                TokioIo::new(stream),
                o.request,
                o.first_byte_timeout,
                o.between_bytes_timeout,
                o.signal,
            )
            .await;
        }
        #[cfg(not(feature = "tls"))]
        return Err(ErrorCode::InternalError(Some(
            "no TLS in this build".into(),
        )));
    }
    exchange(
        TokioIo::new(tcp),
        o.request,
        o.first_byte_timeout,
        o.between_bytes_timeout,
        o.signal,
    )
    .await
}

/// One request and its response over a connection made for it.
async fn exchange<I>(
    io: I,
    request: http::Request<PipeBody>,
    first_byte: Duration,
    between_bytes: Duration,
    signal: Arc<Signal>,
) -> Result<IncomingResponse, ErrorCode>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(ErrorCode::from)?;
    tokio::spawn(async move {
        // The connection's own errors reach the request and its body.
        let _ = conn.await;
    });
    let response = match tokio::time::timeout(first_byte, sender.send_request(request)).await {
        Err(_) => return Err(ErrorCode::ConnectionReadTimeout),
        Ok(r) => r.map_err(ErrorCode::from)?,
    };
    let (parts, body) = response.into_parts();
    let pipe = Pipe::new(signal);
    tokio::spawn(pump(body, pipe.clone(), Some(between_bytes)));
    Ok(IncomingResponse {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: Some(pipe),
    })
}

impl From<hyper::Error> for ErrorCode {
    fn from(e: hyper::Error) -> ErrorCode {
        // A body the guest cut short carries its own code.
        if let Some(code) =
            std::error::Error::source(&e).and_then(|s| s.downcast_ref::<ErrorCode>())
        {
            return code.clone();
        }
        if e.is_timeout() {
            ErrorCode::ConnectionReadTimeout
        } else if e.is_incomplete_message() {
            ErrorCode::HttpResponseIncomplete
        } else if e.is_parse() || e.is_parse_status() {
            ErrorCode::HttpProtocolError
        } else if e.is_closed() || e.is_canceled() {
            ErrorCode::ConnectionTerminated
        } else {
            ErrorCode::InternalError(Some(e.to_string()))
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for ErrorCode {}
