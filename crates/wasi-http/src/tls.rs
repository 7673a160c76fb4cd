//! HTTPS for outgoing requests: rustls with the webpki roots (the `tls` feature).

use std::sync::{Arc, OnceLock};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::bindings::wasi::http::types::ErrorCode;

/// The client configuration, made once: the webpki roots, HTTP/1.1 only.
fn connector() -> TlsConnector {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    });
    TlsConnector::from(config.clone())
}

/// The TLS handshake with `host` over `tcp`.
pub async fn connect(host: &str, tcp: TcpStream) -> Result<TlsStream<TcpStream>, ErrorCode> {
    let name =
        ServerName::try_from(host.to_string()).map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
    connector().connect(name, tcp).await.map_err(|e| {
        if e.get_ref()
            .and_then(|r| r.downcast_ref::<rustls::Error>())
            .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)))
        {
            ErrorCode::TlsCertificateError
        } else {
            ErrorCode::TlsProtocolError
        }
    })
}
