//! The host side of `tether:http/http` (`wit/http/http.wit`): [`HttpClient`], the host
//! objects [`Response`] and [`BodyStream`], and [`add_to_linker`].

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Result, bail};
use tether::{Borrow, ComponentType, Linker, Own};
use url::Url;

use crate::policy::{HttpPolicy, Origin};

/// The interface's name, as a guest imports it.
pub const INTERFACE: &str = "tether:http/http";

/// The most bytes one `body-stream.read` returns, whatever the guest asks for.
pub const MAX_CHUNK: u32 = 1 << 20;

/// `error-code`: why a fetch failed.
#[derive(ComponentType, Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The policy does not allow this origin; no connection was made.
    Denied(String),
    /// The URL could not be parsed, or its scheme is not `http` or `https`.
    InvalidUrl(String),
    /// The connection failed.
    Connection(String),
    /// The server did not answer in time.
    Timeout,
    /// The server's answer was not valid HTTP.
    Protocol(String),
    /// Redirects went on beyond the policy's limit.
    TooManyRedirects,
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorCode::Denied(m) => write!(f, "denied: {m}"),
            ErrorCode::InvalidUrl(m) => write!(f, "invalid URL: {m}"),
            ErrorCode::Connection(m) => write!(f, "connection failed: {m}"),
            ErrorCode::Timeout => f.write_str("timed out"),
            ErrorCode::Protocol(m) => write!(f, "protocol error: {m}"),
            ErrorCode::TooManyRedirects => f.write_str("too many redirects"),
        }
    }
}

/// Counts of what the client did, shared with every body it reads.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    body_bytes: AtomicU64,
}

/// The HTTP client behind `tether:http`: a blocking `ureq` agent that follows no redirect
/// itself, and the [`HttpPolicy`] every request and every redirect hop is checked against
/// before any connection is made.
pub struct HttpClient {
    policy: HttpPolicy,
    agent: ureq::Agent,
    counters: Arc<Counters>,
}

impl HttpClient {
    /// A client under `policy`.
    pub fn new(policy: HttpPolicy) -> HttpClient {
        let timeout = Some(policy.network_timeout());
        let config = ureq::Agent::config_builder()
            // Redirects are followed here, each hop checked against the policy.
            .max_redirects(0)
            // A 404 is a response for the guest, not an error.
            .http_status_as_error(false)
            // A proxy from the environment would connect elsewhere than the policy allows.
            .proxy(None)
            .timeout_connect(timeout)
            .timeout_recv_response(timeout)
            .timeout_per_read(timeout)
            .user_agent(concat!("tether-host/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpClient {
            policy,
            agent: config.into(),
            counters: Arc::default(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    /// How many requests were sent (redirect hops included).
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::Relaxed)
    }

    /// How many bytes of response bodies were read from the network.
    pub fn body_bytes_read(&self) -> u64 {
        self.counters.body_bytes.load(Ordering::Relaxed)
    }

    /// Fetches `url` with a `GET`, following redirects up to the policy's limit. Every URL,
    /// the first and each redirect's, is checked against the policy before connecting.
    /// Returns once the response's head has arrived; the body is read as it is asked for.
    pub fn fetch(&self, url: &str) -> Result<Response, ErrorCode> {
        let mut url =
            Url::parse(url).map_err(|e| ErrorCode::InvalidUrl(format!("`{url}`: {e}")))?;
        let mut redirects = 0;
        loop {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ErrorCode::InvalidUrl(format!(
                    "`{url}`: the scheme must be `http` or `https`"
                )));
            }
            if !self.policy.allows(&url) {
                return Err(ErrorCode::Denied(format!(
                    "the origin `{}` is not allowed",
                    Origin::of(&url)
                )));
            }
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let response = self.agent.get(url.as_str()).call().map_err(error_code)?;
            let status = response.status().as_u16();
            if is_redirect(status) && self.policy.redirect_limit() > 0 {
                let Some(location) = response.headers().get("location") else {
                    return Ok(Response::from_http(response, &self.counters));
                };
                if redirects == self.policy.redirect_limit() {
                    return Err(ErrorCode::TooManyRedirects);
                }
                redirects += 1;
                let location = location.to_str().map_err(|_| {
                    ErrorCode::Protocol(format!(
                        "a redirect from `{url}` has a `location` that is not text"
                    ))
                })?;
                url = url.join(location).map_err(|e| {
                    ErrorCode::InvalidUrl(format!("a redirect from `{url}` to `{location}`: {e}"))
                })?;
                // The redirect's own body is dropped unread, with its connection.
                continue;
            }
            return Ok(Response::from_http(response, &self.counters));
        }
    }
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

fn error_code(e: ureq::Error) -> ErrorCode {
    match e {
        ureq::Error::Timeout(_) => ErrorCode::Timeout,
        ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => ErrorCode::Timeout,
        ureq::Error::Io(e) => ErrorCode::Connection(e.to_string()),
        ureq::Error::HostNotFound => ErrorCode::Connection("host not found".into()),
        ureq::Error::ConnectionFailed => ErrorCode::Connection("connection failed".into()),
        ureq::Error::BadUri(m) => ErrorCode::InvalidUrl(m),
        ureq::Error::Http(e) => ErrorCode::InvalidUrl(e.to_string()),
        ureq::Error::TlsRequired => ErrorCode::Connection(
            "`https` needs TLS, which this host was built without (feature `tls`)".into(),
        ),
        e => ErrorCode::Protocol(e.to_string()),
    }
}

/// A response body being read from the network (or from memory), counting what it reads.
struct Body {
    reader: Box<dyn Read + Send>,
    counters: Option<Arc<Counters>>,
    done: bool,
}

impl Body {
    /// Reads into `buf` until it is full or the body ends; returns how many bytes it read.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && !self.done {
            match self.reader.read(&mut buf[n..]) {
                Ok(0) => self.done = true,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(c) = &self.counters {
            c.body_bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// `response`: a status, header fields and a body that stays unread (on the network, or in
/// memory) until the guest asks for it.
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Response {
    /// A response whose body is read from `body` as the guest asks.
    pub fn new(
        status: u16,
        headers: Vec<(String, String)>,
        body: impl Read + Send + 'static,
    ) -> Response {
        Response {
            status,
            headers,
            body: Body {
                reader: Box::new(body),
                counters: None,
                done: false,
            },
        }
    }

    /// A response with no header fields and the body `body`.
    pub fn from_bytes(status: u16, body: Vec<u8>) -> Response {
        Response::new(status, Vec::new(), io::Cursor::new(body))
    }

    fn from_http(response: ureq::http::Response<ureq::Body>, counters: &Arc<Counters>) -> Response {
        let (parts, body) = response.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        Response {
            status: parts.status.as_u16(),
            headers,
            body: Body {
                reader: Box::new(body.into_reader()),
                counters: Some(counters.clone()),
                done: false,
            },
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The header fields (fields of one name together, in the order their names first came).
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Reads up to `max` bytes (fewer only at the end of the body), or `None` at its end.
    pub fn read_chunk(&mut self, max: u32) -> Result<Option<Vec<u8>>> {
        let mut buf = vec![0; max.min(MAX_CHUNK) as usize];
        let n = self
            .body
            .fill(&mut buf)
            .map_err(|e| anyhow::anyhow!("reading the response body failed: {e}"))?;
        if n == 0 && !buf.is_empty() {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some(buf))
    }

    /// Reads the rest of the body, failing if it is longer than `limit` bytes.
    pub fn read_to_end(&mut self, limit: u64) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut chunk = vec![0; 64 << 10];
        loop {
            let n = self
                .body
                .fill(&mut chunk)
                .map_err(|e| anyhow::anyhow!("reading the response body failed: {e}"))?;
            if n == 0 {
                return Ok(body);
            }
            if body.len() as u64 + n as u64 > limit {
                bail!(
                    "the response body is larger than the host's limit of {limit} bytes for `response.body`; read it with `body-stream`"
                );
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
}

/// `body-stream`: a reader of its response's body, a child of the response.
pub struct BodyStream {
    response: Borrow<Response>,
}

/// A store's data that holds an [`HttpClient`], for [`add_to_linker`].
pub trait HttpView: Send + 'static {
    /// The client the guests of this store use.
    fn http(&mut self) -> &mut HttpClient;
}

impl HttpView for HttpClient {
    fn http(&mut self) -> &mut HttpClient {
        self
    }
}

/// Defines `tether:http/http` in `linker`: `response` and `body-stream` as host objects,
/// their methods, and `fetch` through the store's [`HttpClient`].
pub fn add_to_linker<T: HttpView>(linker: &mut Linker<T>) -> Result<()> {
    let mut http = linker.instance(INTERFACE)?;
    http.resource_host::<Response>("response")?;
    http.resource_host::<BodyStream>("body-stream")?;
    http.func_wrap(
        "[constructor]response",
        |mut store, (body, status): (Vec<u8>, u16)| {
            Ok((store.push(Response::from_bytes(status, body))?,))
        },
    )?;
    http.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )?;
    http.method(
        "[method]response.headers",
        |r: &mut Response, _store, (): ()| Ok((r.headers.clone(),)),
    )?;
    http.func_wrap(
        "[static]response.body",
        |mut store, (this,): (Own<Response>,)| {
            let limit = store.data_mut().http().policy.body_limit();
            let mut response = store.take(this)?;
            Ok((response.read_to_end(limit)?,))
        },
    )?;
    http.func_wrap("[static]response.not-found", |mut store, (): ()| {
        Ok((store.push(Response::from_bytes(404, Vec::new()))?,))
    })?;
    http.func_wrap(
        "[method]response.body-stream",
        |mut store, (this,): (Borrow<Response>,)| {
            Ok((store.push_child(&this, BodyStream { response: this })?,))
        },
    )?;
    http.method(
        "[method]body-stream.read",
        |s: &mut BodyStream, mut store, (max,): (u32,)| {
            Ok((store.get_mut(&s.response)?.read_chunk(max)?,))
        },
    )?;
    http.func_wrap("fetch", |mut store, (url,): (String,)| {
        let fetched = store.data_mut().http().fetch(&url);
        let result: Result<Own<Response>, ErrorCode> = match fetched {
            Ok(response) => Ok(store.push(response)?),
            Err(e) => Err(e),
        };
        Ok((result,))
    })?;
    Ok(())
}
