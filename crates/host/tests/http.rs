//! `tether:http` end to end: the example guest (`examples/http-guest`) fetching from a server
//! on loopback through the host's client, under a policy.

mod support;

use support::{
    Route, Server, StreamSummary, assert_clean, closed_port, instantiate, pattern_fnv1a, typed,
};
use tether::{Instance, Store, TypedFunc};
use tether_host::{ErrorCode, HttpClient, HttpPolicy};

type Fetched<T> = (Result<T, ErrorCode>,);

/// `construct-and-read(body, status) -> tuple<u16, list<u8>>`.
type ConstructAndRead = TypedFunc<(Vec<u8>, u16), ((u16, Vec<u8>),)>;

struct Guest {
    store: Store<HttpClient>,
    instance: Instance,
    status_of: TypedFunc<(String,), Fetched<u16>>,
    fetch_body: TypedFunc<(String,), Fetched<(u16, Vec<u8>)>>,
    stream_body: TypedFunc<(String, u32), Fetched<StreamSummary>>,
    headers_of: TypedFunc<(String,), Fetched<Vec<(String, String)>>>,
}

impl Guest {
    fn new(policy: HttpPolicy) -> Guest {
        let (mut store, instance) = instantiate(policy);
        Guest {
            status_of: typed(&instance, &mut store, "status-of"),
            fetch_body: typed(&instance, &mut store, "fetch-body"),
            stream_body: typed(&instance, &mut store, "stream-body"),
            headers_of: typed(&instance, &mut store, "headers-of"),
            store,
            instance,
        }
    }

    fn allowing(servers: &[&Server]) -> Guest {
        let mut policy = HttpPolicy::new();
        for s in servers {
            policy = policy.allow(&s.origin()).unwrap();
        }
        Guest::new(policy)
    }

    fn status_of(&mut self, url: &str) -> Result<u16, ErrorCode> {
        let r = self
            .status_of
            .call(&mut self.store, (url.to_string(),))
            .unwrap()
            .0;
        assert_clean(&self.store, url);
        r
    }

    fn fetch_body(&mut self, url: &str) -> Result<(u16, Vec<u8>), ErrorCode> {
        let r = self
            .fetch_body
            .call(&mut self.store, (url.to_string(),))
            .unwrap()
            .0;
        assert_clean(&self.store, url);
        r
    }

    /// Bytes copied into the guest's memory so far.
    fn copied_in(&self) -> u64 {
        self.instance.bytes_copied(&self.store).into_guest
    }
}

fn hello_server() -> Server {
    Server::start(vec![
        (
            "/hello",
            Route::Bytes(
                200,
                vec![("x-demo".into(), "yes".into())],
                b"Hello, guest!".to_vec(),
            ),
        ),
        (
            "/teapot",
            Route::Bytes(418, Vec::new(), b"short and stout".to_vec()),
        ),
        ("/big", Route::Pattern(64 << 20)),
        ("/4k", Route::Pattern(4096)),
        ("/hop", Route::Redirect(302, "/hello".into())),
        ("/hop2", Route::Redirect(301, "/hop".into())),
        ("/loop", Route::Redirect(307, "/loop".into())),
    ])
}

#[test]
fn a_200_with_its_body() {
    let server = hello_server();
    let mut guest = Guest::allowing(&[&server]);
    assert_eq!(
        guest.fetch_body(&server.url("/hello")),
        Ok((200, b"Hello, guest!".to_vec()))
    );
    assert_eq!(guest.status_of(&server.url("/teapot")), Ok(418));
    let (n, all) = server.sent("/hello");
    assert_eq!((n, all), (13, true));
    assert_eq!(
        guest.store.data().body_bytes_read(),
        13,
        "only the body the guest asked for was read"
    );
}

#[test]
fn a_404_is_a_response() {
    let server = hello_server();
    let mut guest = Guest::allowing(&[&server]);
    assert_eq!(guest.status_of(&server.url("/nowhere")), Ok(404));
    assert_eq!(
        guest.fetch_body(&server.url("/nowhere")),
        Ok((404, b"no such page".to_vec()))
    );
}

#[test]
fn headers_are_read_without_the_body() {
    let server = hello_server();
    let mut guest = Guest::allowing(&[&server]);
    let (headers,) = guest
        .headers_of
        .call(&mut guest.store, (server.url("/hello"),))
        .unwrap();
    let headers = headers.unwrap();
    assert!(
        headers.contains(&("x-demo".to_string(), "yes".to_string())),
        "{headers:?}"
    );
    assert!(
        headers.contains(&("content-length".to_string(), "13".to_string())),
        "{headers:?}"
    );
    assert_clean(&guest.store, "headers-of");
    assert_eq!(guest.store.data().body_bytes_read(), 0);
}

#[test]
fn reading_the_status_copies_and_reads_no_body() {
    let server = hello_server();
    let mut guest = Guest::allowing(&[&server]);
    let url = server.url("/big");
    let before = guest.copied_in();
    assert_eq!(guest.status_of(&url), Ok(200));
    let copied = guest.copied_in() - before;
    assert!(
        copied < 256,
        "reading the status of a 64 MiB response copied {copied} bytes into the guest"
    );
    assert_eq!(
        guest.store.data().body_bytes_read(),
        0,
        "the host read none of the body"
    );
    // The server saw the connection close long before the body was sent.
    let (sent, all) = server.sent("/big");
    assert!(
        !all && sent < 32 << 20,
        "the server sent {sent} of {} body bytes",
        64 << 20
    );

    // Reading the body: it is copied in once.
    let url = server.url("/4k");
    let before = guest.copied_in();
    let (status, body) = guest.fetch_body(&url).unwrap();
    let copied = guest.copied_in() - before;
    assert_eq!((status, body.len()), (200, 4096));
    assert!(
        body.iter()
            .enumerate()
            .all(|(i, b)| *b == support::pattern(i as u64))
    );
    assert!(
        (4096..4096 + 256).contains(&copied),
        "reading a 4 KiB body copied {copied} bytes into the guest"
    );
    assert_eq!(server.sent("/4k"), (4096, true));
}

#[test]
fn a_body_in_chunks() {
    let server = hello_server();
    let mut guest = Guest::allowing(&[&server]);
    let (summary,) = guest
        .stream_body
        .call(&mut guest.store, (server.url("/4k"), 1000))
        .unwrap();
    assert_eq!(
        summary.unwrap(),
        StreamSummary {
            bytes: 4096,
            chunks: 5,
            fnv1a: pattern_fnv1a(4096)
        }
    );
    assert_clean(&guest.store, "stream-body");
    // A guest cannot ask for more than the host's chunk limit at once.
    let (summary,) = guest
        .stream_body
        .call(&mut guest.store, (server.url("/hello"), u32::MAX))
        .unwrap();
    assert_eq!(summary.unwrap().chunks, 1);
    assert_clean(&guest.store, "stream-body with a huge chunk");
}

#[test]
fn a_redirect_within_the_allowlist_is_followed() {
    let server = hello_server();
    let other = Server::start(vec![("/away", Route::Redirect(302, server.url("/hello")))]);
    let mut guest = Guest::allowing(&[&server, &other]);
    assert_eq!(
        guest.fetch_body(&server.url("/hop2")),
        Ok((200, b"Hello, guest!".to_vec()))
    );
    assert_eq!(server.requests(), ["/hop2", "/hop", "/hello"]);
    assert_eq!(
        guest.fetch_body(&other.url("/away")),
        Ok((200, b"Hello, guest!".to_vec())),
        "to another allowed origin"
    );
}

#[test]
fn a_redirect_leaving_the_allowlist_is_refused_before_connecting() {
    let elsewhere = hello_server();
    let server = Server::start(vec![(
        "/away",
        Route::Redirect(302, elsewhere.url("/hello")),
    )]);
    let mut guest = Guest::allowing(&[&server]);
    let err = guest.status_of(&server.url("/away")).unwrap_err();
    assert_eq!(
        err,
        ErrorCode::Denied(format!(
            "the origin `{}` is not allowed",
            elsewhere.origin()
        ))
    );
    assert_eq!(server.requests(), ["/away"]);
    assert_eq!(
        elsewhere.connections(),
        0,
        "no connection was made to the origin that is not allowed"
    );
}

#[test]
fn too_many_redirects() {
    let server = hello_server();
    let mut guest = Guest::new(
        HttpPolicy::new()
            .allow(&server.origin())
            .unwrap()
            .max_redirects(3),
    );
    assert_eq!(
        guest.status_of(&server.url("/loop")),
        Err(ErrorCode::TooManyRedirects)
    );
    assert_eq!(
        server.requests().len(),
        4,
        "the first request and three redirects"
    );
    // With no redirects followed, the guest sees the redirect itself.
    let mut guest = Guest::new(
        HttpPolicy::new()
            .allow(&server.origin())
            .unwrap()
            .max_redirects(0),
    );
    assert_eq!(guest.status_of(&server.url("/loop")), Ok(307));
}

#[test]
fn an_origin_not_allowed_is_never_contacted() {
    let server = hello_server();
    let allowed = hello_server();
    let mut guest = Guest::allowing(&[&allowed]);
    let denied = format!("the origin `{}` is not allowed", server.origin());
    assert_eq!(
        guest.status_of(&server.url("/hello")),
        Err(ErrorCode::Denied(denied))
    );
    assert!(matches!(
        guest.status_of(&format!("https://{}/hello", server.addr)),
        Err(ErrorCode::Denied(_))
    ));
    assert_eq!(server.connections(), 0, "no connection was made");
    // The allowed server under another scheme, or another name for its host, is another
    // origin: `localhost` is not `127.0.0.1`.
    let port = allowed.addr.port();
    assert!(matches!(
        guest.status_of(&format!("https://127.0.0.1:{port}/")),
        Err(ErrorCode::Denied(_))
    ));
    assert!(matches!(
        guest.status_of(&format!("http://localhost:{port}/")),
        Err(ErrorCode::Denied(_))
    ));
    assert_eq!(allowed.connections(), 0, "no connection was made");
    assert_eq!(guest.store.data().requests(), 0);
    // Normalised: scheme and host case, default path.
    assert_eq!(
        guest.status_of(&format!("HTTP://127.0.0.1:{port}")),
        Ok(404)
    );
    assert_eq!(allowed.requests(), ["/"]);
}

#[test]
fn connection_refused_is_an_error_code() {
    let port = closed_port();
    let origin = format!("http://127.0.0.1:{port}");
    let mut guest = Guest::new(HttpPolicy::new().allow(&origin).unwrap());
    match guest.status_of(&format!("{origin}/")) {
        Err(ErrorCode::Connection(_)) => {}
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[test]
fn invalid_urls_are_error_codes() {
    let mut guest = Guest::new(HttpPolicy::new());
    assert!(matches!(
        guest.status_of("not a url"),
        Err(ErrorCode::InvalidUrl(_))
    ));
    assert!(matches!(
        guest.status_of("file:///etc/passwd"),
        Err(ErrorCode::InvalidUrl(_))
    ));
}

#[test]
fn a_body_above_the_limit_traps_and_is_not_kept() {
    let server = hello_server();
    let mut guest = Guest::new(
        HttpPolicy::new()
            .allow(&server.origin())
            .unwrap()
            .max_body(1000),
    );
    let err = guest
        .fetch_body
        .call(&mut guest.store, (server.url("/4k"),))
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("larger than the host's limit of 1000 bytes"),
        "{err:#}"
    );
    assert_eq!(
        guest.store.host_objects(),
        0,
        "the consumed response was dropped"
    );
}

#[test]
fn responses_made_by_the_guest() {
    let (mut store, instance) = instantiate(HttpPolicy::new());
    let construct: ConstructAndRead = typed(&instance, &mut store, "construct-and-read");
    let ((status, body),) = construct
        .call(&mut store, (b"made by the guest".to_vec(), 201))
        .unwrap();
    assert_eq!((status, body.as_slice()), (201, &b"made by the guest"[..]));
    assert_clean(&store, "construct-and-read");
    let not_found: TypedFunc<(), (u16,)> = typed(&instance, &mut store, "not-found-status");
    assert_eq!(not_found.call(&mut store, ()).unwrap(), (404,));
    assert_clean(&store, "not-found-status");
    assert_eq!(store.data().requests(), 0);
}
