//! The host side of `tether:http/http` (`wit/http/http.wit`): [`HttpClient`], the host
//! objects [`Response`] and [`BodyStream`], and [`add_to_linker`].

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Result, bail};
use tether::Linker;
use url::Url;

use crate::policy::{HttpPolicy, Origin};

/// The bindings `bindgen!` generates from `wit/http/http.wit`.
mod bindings {
    ::tether::bindgen!({
        path: "../../wit/http",
        world: "demo",
        with: {
            "tether:http/http/response": crate::Response,
            "tether:http/http/body-stream": crate::BodyStream,
        },
        // A stream reads its response's body: the response cannot go while it lives.
        children: ["tether:http/http/response.body-stream"],
    });
}

/// The world `demo`, the bundled example guest's: its exports as typed functions.
pub use bindings::Demo;
/// `error-code`: why a fetch failed (generated from the WIT).
pub use bindings::tether::http::http::ErrorCode;
use bindings::tether::http::http::Host;

/// The interface's name, as a guest imports it.
pub const INTERFACE: &str = "tether:http/http";

/// The most bytes one `body-stream.read` returns, whatever the guest asks for.
pub const MAX_CHUNK: u32 = 1 << 20;

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
/// before any connection is made. A clone shares the agent (and its connection pool) and the
/// counters.
#[derive(Clone)]
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
/// memory) until the guest asks for it. The body is shared with the response's body streams.
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Arc<Mutex<Body>>,
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
            body: Arc::new(Mutex::new(Body {
                reader: Box::new(body),
                counters: None,
                done: false,
            })),
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
            body: Arc::new(Mutex::new(Body {
                reader: Box::new(body.into_reader()),
                counters: Some(counters.clone()),
                done: false,
            })),
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
        read_chunk(&self.body, max)
    }

    /// Reads the rest of the body, failing if it is longer than `limit` bytes.
    pub fn read_to_end(&mut self, limit: u64) -> Result<Vec<u8>> {
        let mut body = lock(&self.body)?;
        let mut out = Vec::new();
        let mut chunk = vec![0; 64 << 10];
        loop {
            let n = body
                .fill(&mut chunk)
                .map_err(|e| anyhow::anyhow!("reading the response body failed: {e}"))?;
            if n == 0 {
                return Ok(out);
            }
            if out.len() as u64 + n as u64 > limit {
                bail!(
                    "the response body is larger than the host's limit of {limit} bytes for `response.body`; read it with `body-stream`"
                );
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }

    /// A stream over the body, which it shares with this response.
    pub fn body_stream(&self) -> BodyStream {
        BodyStream {
            body: self.body.clone(),
        }
    }
}

fn lock(body: &Mutex<Body>) -> Result<MutexGuard<'_, Body>> {
    body.lock()
        .map_err(|_| anyhow::anyhow!("a response body is unusable: a read of it panicked"))
}

fn read_chunk(body: &Mutex<Body>, max: u32) -> Result<Option<Vec<u8>>> {
    let mut buf = vec![0; max.min(MAX_CHUNK) as usize];
    let n = lock(body)?
        .fill(&mut buf)
        .map_err(|e| anyhow::anyhow!("reading the response body failed: {e}"))?;
    if n == 0 && !buf.is_empty() {
        return Ok(None);
    }
    buf.truncate(n);
    Ok(Some(buf))
}

/// `body-stream`: a reader of its response's body, a child of the response (the guest cannot
/// drop or consume the response while a stream of it lives).
pub struct BodyStream {
    body: Arc<Mutex<Body>>,
}

impl BodyStream {
    /// Reads up to `max` bytes (at most [`MAX_CHUNK`]), or `None` at the end of the body.
    pub fn read(&mut self, max: u32) -> Result<Option<Vec<u8>>> {
        read_chunk(&self.body, max)
    }
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

/// `tether:http/http` for every store data type that has an [`HttpClient`]: the generated
/// glue moves objects in and out of the store; these methods see only the objects.
impl<T: HttpView> Host for T {
    fn response_new(&mut self, body: Vec<u8>, status: u16) -> Result<Response> {
        Ok(Response::from_bytes(status, body))
    }

    fn response_status(&mut self, this: &mut Response) -> Result<u16> {
        Ok(this.status)
    }

    fn response_body(&mut self, mut this: Response) -> Result<Vec<u8>> {
        let limit = self.http().policy.body_limit();
        this.read_to_end(limit)
    }

    fn response_not_found(&mut self) -> Result<Response> {
        Ok(Response::from_bytes(404, Vec::new()))
    }

    fn response_headers(&mut self, this: &mut Response) -> Result<Vec<(String, String)>> {
        Ok(this.headers.clone())
    }

    fn response_body_stream(&mut self, this: &mut Response) -> Result<BodyStream> {
        Ok(this.body_stream())
    }

    fn body_stream_read(&mut self, this: &mut BodyStream, max: u32) -> Result<Option<Vec<u8>>> {
        this.read(max)
    }

    fn fetch(&mut self, url: String) -> Result<Result<Response, ErrorCode>> {
        Ok(HttpClient::fetch(self.http(), &url))
    }
}

/// Defines `tether:http/http` in `linker`: `response` and `body-stream` as host objects,
/// their methods, and `fetch` through the store's [`HttpClient`].
pub fn add_to_linker<T: HttpView>(linker: &mut Linker<T>) -> Result<()> {
    bindings::tether::http::http::add_to_linker(linker)
}
