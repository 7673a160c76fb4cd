//! [`HttpPolicy`]: the origins a guest may reach, and the limits of its requests.

use std::fmt;
use std::time::Duration;

use anyhow::{Result, bail};
use url::Url;

/// An origin: a scheme, a host and a port, normalised so that equal origins compare equal
/// however they were written (`HTTP://LocalHost` is `http://localhost:80`, `http://[0:0::1]`
/// is `http://[::1]:80`, `https://example.com:443` is `https://example.com`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin(url::Origin);

impl Origin {
    /// Parses an origin written as `scheme://host[:port]`, with an optional trailing `/`.
    /// The scheme must be `http` or `https`; a path, query, fragment or user name is refused,
    /// so that an allowlist entry cannot look narrower than it is.
    pub fn parse(text: &str) -> Result<Origin> {
        let url = Url::parse(text).map_err(|e| {
            anyhow::anyhow!("`{text}` is not an origin (`scheme://host[:port]`): {e}")
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("`{text}` is not an HTTP origin: the scheme must be `http` or `https`");
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            bail!(
                "`{text}` is not an origin: an origin has no path, query or fragment (allow `{}`)",
                Origin(url.origin())
            );
        }
        if !url.username().is_empty() || url.password().is_some() {
            bail!("`{text}` is not an origin: an origin has no user name or password");
        }
        Ok(Origin(url.origin()))
    }

    /// The origin of a URL.
    pub fn of(url: &Url) -> Origin {
        Origin(url.origin())
    }
}

impl fmt::Display for Origin {
    /// `scheme://host[:port]`, the port left out when it is the scheme's default.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.ascii_serialization())
    }
}

impl std::str::FromStr for Origin {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Origin> {
        Origin::parse(s)
    }
}

/// What a guest may do over HTTP: the origins it may reach (none by default), how many
/// redirects a fetch follows, how large a body `response.body` reads into memory, and how
/// long the host waits for the network.
///
/// ```
/// use tether_host::HttpPolicy;
///
/// let policy = HttpPolicy::new().allow("http://127.0.0.1:8080")?.max_redirects(3);
/// assert!(policy.allows(&"http://127.0.0.1:8080/index.html".parse()?));
/// assert!(!policy.allows(&"http://127.0.0.1:8081/".parse()?));
/// # anyhow::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct HttpPolicy {
    allowed: Vec<Origin>,
    max_redirects: u32,
    max_body: u64,
    timeout: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy::new()
    }
}

impl HttpPolicy {
    /// A policy that allows no origin, follows up to 5 redirects, reads bodies of up to
    /// 16 MiB with `response.body`, and waits up to 30 seconds for a connection, for a
    /// response's head and for each read of a body.
    pub fn new() -> HttpPolicy {
        HttpPolicy {
            allowed: Vec::new(),
            max_redirects: 5,
            max_body: 16 << 20,
            timeout: Duration::from_secs(30),
        }
    }

    /// Allows the origin `origin` (`scheme://host[:port]`; see [`Origin::parse`]).
    pub fn allow(mut self, origin: &str) -> Result<HttpPolicy> {
        self.allowed.push(Origin::parse(origin)?);
        Ok(self)
    }

    /// Allows `origin`.
    pub fn allow_origin(mut self, origin: Origin) -> HttpPolicy {
        self.allowed.push(origin);
        self
    }

    /// How many redirects one fetch follows before failing with `too-many-redirects`
    /// (0: none; a redirect response then reaches the guest as it is).
    pub fn max_redirects(mut self, n: u32) -> HttpPolicy {
        self.max_redirects = n;
        self
    }

    /// The largest body `response.body` reads into memory; a larger body traps (a guest reads
    /// it with `body-stream` instead).
    pub fn max_body(mut self, bytes: u64) -> HttpPolicy {
        self.max_body = bytes;
        self
    }

    /// How long the host waits for a connection, for a response's head, and for each read
    /// of a body.
    pub fn timeout(mut self, timeout: Duration) -> HttpPolicy {
        self.timeout = timeout;
        self
    }

    /// Whether a guest may reach `url`'s origin.
    pub fn allows(&self, url: &Url) -> bool {
        self.allowed.contains(&Origin::of(url))
    }

    /// The allowed origins.
    pub fn origins(&self) -> &[Origin] {
        &self.allowed
    }

    /// The redirect limit.
    pub fn redirect_limit(&self) -> u32 {
        self.max_redirects
    }

    /// The body size limit of `response.body`.
    pub fn body_limit(&self) -> u64 {
        self.max_body
    }

    /// The network timeout.
    pub fn network_timeout(&self) -> Duration {
        self.timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn origins_are_normalised() {
        let o = |s| Origin::parse(s).unwrap();
        assert_eq!(o("HTTP://LocalHost"), o("http://localhost:80"));
        assert_eq!(o("http://localhost/"), o("http://localhost:80"));
        assert_eq!(o("https://Example.COM:443"), o("https://example.com"));
        assert_ne!(o("http://example.com"), o("https://example.com"));
        assert_ne!(o("http://example.com:8080"), o("http://example.com"));
        assert_eq!(o("http://[0:0::1]:8080"), o("http://[::1]:8080"));
        assert_eq!(o("http://[::1]:80"), o("http://[::1]"));
        assert_eq!(o("http://[::1]:8080").to_string(), "http://[::1]:8080");
        assert_eq!(
            o("https://example.com:443").to_string(),
            "https://example.com"
        );
        assert_eq!(o("http://127.0.0.1:80").to_string(), "http://127.0.0.1");
    }

    #[test]
    fn an_origin_has_no_path_and_is_http() {
        for bad in [
            "http://a.example/path",
            "http://a.example/?q",
            "http://u@a.example",
            "file:///etc/passwd",
            "a.example",
            "ftp://a.example",
        ] {
            assert!(Origin::parse(bad).is_err(), "`{bad}` was accepted");
        }
    }

    #[test]
    fn the_policy_compares_normalised_origins() {
        let p = HttpPolicy::new()
            .allow("http://LOCALHOST:80")
            .unwrap()
            .allow("http://[::1]:8080")
            .unwrap();
        assert!(p.allows(&url("http://localhost/a/b?c")));
        assert!(p.allows(&url("http://localhost:80/")));
        assert!(!p.allows(&url("https://localhost/")));
        assert!(!p.allows(&url("http://localhost:8080/")));
        assert!(p.allows(&url("http://[0::1]:8080/x")));
        assert!(!p.allows(&url("http://[::2]:8080/x")));
        assert!(
            !HttpPolicy::new().allows(&url("http://localhost/")),
            "the default policy allows nothing"
        );
    }
}
