//! The article "WIT Resources" (`shared/reference/wit-resources-post.txt`), end to end: the
//! world `tether:article/article` of `wit/article/article.wit`, a Rust guest written the way
//! the article writes it (`guests/article`), the same guest in C over the bindings of
//! `wit-bindgen c` (`guests/article-c`), and a host serving `response`s from memory as host
//! objects.
//!
//! Besides each export's result, the tests check the article's point, that "data such as body
//! is only copied into the guest memory if it is used", with the store's count of bytes
//! copied, and that every response the guest was handed is gone once a call returns.
//!
//! Every check runs against each guest: `article::rust::NAME` against the Rust one,
//! `article::c::NAME` against the C one, `article::go::NAME` against the Go one (over the
//! bindings of `wit-bindgen go`, `guests/article-go`), `article::python::NAME` against the
//! Python one (over the bindings of componentize-py, `guests/article-python`) and
//! `article::js::NAME` against the JavaScript one (built by componentize-qjs,
//! `guests/article-js`), with the same body and the same expectations. The Go, Python and
//! JavaScript runtimes import WASI, so the linker defines WASI too, with nothing granted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tether::{Component, Engine, Instance, Linker, Own, Store, TypedFunc};

const HTTP: &str = "tether:article/http";
const RUN: &str = "tether:article/run";

/// A URL whose response has a 64 KiB body.
const BIG: &str = "https://example.com/big";
const BIG_LEN: usize = 64 * 1024;

/// The host's `response`: a status and a body that stay in the host until the guest asks for
/// the body. Counts its drops.
struct Response {
    status: u16,
    body: Vec<u8>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Response {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// The store's data: the pages the host serves, by URL, and the drop counter of responses.
struct Web {
    pages: HashMap<String, (u16, Vec<u8>)>,
    drops: Arc<AtomicUsize>,
    /// How many responses the host has made.
    made: usize,
    /// WASI for the Go, Python and JavaScript guests' runtimes: no arguments, no variables, no folders, stdio closed.
    wasi: tether_wasi::WasiCtx,
    /// The host objects and handles that the guest's use of WASI holds, once instantiated.
    wasi_held: (usize, usize),
}

impl tether_wasi::WasiView for Web {
    fn ctx(&mut self) -> &mut tether_wasi::WasiCtx {
        &mut self.wasi
    }
}

impl Web {
    fn new() -> Web {
        let mut pages = HashMap::new();
        pages.insert(
            "https://kflansburg.com".to_string(),
            (200, b"<h1>Hello</h1>".to_vec()),
        );
        pages.insert(
            "https://example.com/teapot".to_string(),
            (418, b"short and stout".to_vec()),
        );
        pages.insert(
            BIG.to_string(),
            (200, (0..BIG_LEN).map(|i| (i % 251) as u8).collect()),
        );
        Web {
            pages,
            drops: Arc::new(AtomicUsize::new(0)),
            made: 0,
            wasi: tether_wasi::WasiCtxBuilder::new().build(),
            wasi_held: (0, 0),
        }
    }

    fn response(&mut self, status: u16, body: Vec<u8>) -> Response {
        self.made += 1;
        Response {
            status,
            body,
            drops: self.drops.clone(),
        }
    }
}

/// The guest a check runs against: builds of one program, from several toolchains.
#[derive(Clone, Copy, Debug)]
enum Guest {
    /// `guests/article`: Rust, over the bindings of `wit-bindgen`'s `generate!`.
    Rust,
    /// `guests/article-c`: C, over the bindings of `wit-bindgen c`, compiled by clang.
    C,
    /// `guests/article-go`: Go, over the bindings of `wit-bindgen go`, compiled by Go's
    /// toolchain, with WASI preview 1 adapted.
    Go,
    /// `guests/article-python`: Python, over the bindings of componentize-py, which builds
    /// CPython with the app into the component.
    Python,
    /// `guests/article-js`: JavaScript, built by componentize-qjs, which builds QuickJS with
    /// the app into the component.
    Js,
}

/// The guest's component, compiled once per guest.
fn compiled(guest: Guest) -> &'static (Engine, Component) {
    static RUST: OnceLock<(Engine, Component)> = OnceLock::new();
    static C: OnceLock<(Engine, Component)> = OnceLock::new();
    static GO: OnceLock<(Engine, Component)> = OnceLock::new();
    static PYTHON: OnceLock<(Engine, Component)> = OnceLock::new();
    static JS: OnceLock<(Engine, Component)> = OnceLock::new();
    let (compiled, path) = match guest {
        Guest::Rust => (&RUST, tether_test_programs::ARTICLE),
        Guest::C => (&C, tether_test_programs::ARTICLE_C),
        Guest::Go => (&GO, tether_test_programs::ARTICLE_GO),
        Guest::Python => (&PYTHON, tether_test_programs::ARTICLE_PYTHON),
        Guest::Js => (&JS, tether_test_programs::ARTICLE_JS),
    };
    compiled.get_or_init(|| {
        let engine = Engine::default();
        let bytes = std::fs::read(path)
            .unwrap_or_else(|e| panic!("the {guest:?} article guest was built: {e}"));
        let component = Component::new(&engine, bytes)
            .unwrap_or_else(|e| panic!("the {guest:?} article guest compiles: {e:#}"));
        (engine, component)
    })
}

/// The host side of `tether:article/http`.
fn linker(engine: &Engine) -> Linker<Web> {
    let mut linker = Linker::<Web>::new(engine);
    tether_wasi::add_to_linker(&mut linker).unwrap();
    let mut http = linker.instance(HTTP).unwrap();
    http.resource_host::<Response>("response").unwrap();
    http.func_wrap(
        "[constructor]response",
        |mut store, (body, status): (Vec<u8>, u16)| {
            let response = store.data_mut().response(status, body);
            Ok((store.push(response)?,))
        },
    )
    .unwrap();
    http.method(
        "[method]response.status",
        |r: &mut Response, _store, (): ()| Ok((r.status,)),
    )
    .unwrap();
    http.func_wrap(
        "[static]response.body",
        |mut store, (this,): (Own<Response>,)| {
            let mut response = store.take(this)?;
            Ok((std::mem::take(&mut response.body),))
        },
    )
    .unwrap();
    http.func_wrap("[static]response.not-found", |mut store, (): ()| {
        let response = store.data_mut().response(404, Vec::new());
        Ok((store.push(response)?,))
    })
    .unwrap();
    http.func_wrap("fetch", |mut store, (url,): (String,)| {
        let page = store.data().pages.get(&url).cloned();
        let response = match page {
            Some((status, body)) => store.data_mut().response(status, body),
            None => store.data_mut().response(404, Vec::new()),
        };
        Ok((store.push(response)?,))
    })
    .unwrap();
    linker
}

/// `construct-and-read(body, status) -> tuple<u16, list<u8>>`.
type ConstructAndRead = TypedFunc<(Vec<u8>, u16), ((u16, Vec<u8>),)>;

struct Run {
    status_of: TypedFunc<(String,), (u16,)>,
    body_of: TypedFunc<(String,), (Vec<u8>,)>,
    construct_and_read: ConstructAndRead,
    not_found_status: TypedFunc<(), (u16,)>,
}

fn typed<P, R>(instance: &Instance, store: &mut Store<Web>, name: &str) -> TypedFunc<P, R>
where
    P: tether::ComponentNamedList,
    R: tether::ComponentNamedList,
{
    let f = instance
        .get_func_at(&mut *store, &[RUN, name])
        .unwrap_or_else(|| panic!("`{RUN}#{name}` is exported"));
    TypedFunc::new(f).unwrap_or_else(|e| panic!("`{name}` has the expected type: {e:#}"))
}

fn instantiate(guest: Guest) -> (Store<Web>, Run) {
    let (engine, component) = compiled(guest);
    let mut store = Store::new(engine, Web::new());
    let instance = linker(engine).instantiate(&mut store, component).unwrap();
    let what = format!("the {guest:?} guest");
    store.data_mut().wasi_held = crate::held_at_start(
        &store,
        matches!(guest, Guest::Go | Guest::Python | Guest::Js),
        &what,
    );
    let run = Run {
        status_of: typed(&instance, &mut store, "status-of"),
        body_of: typed(&instance, &mut store, "body-of"),
        construct_and_read: typed(&instance, &mut store, "construct-and-read"),
        not_found_status: typed(&instance, &mut store, "not-found-status"),
    };
    (store, run)
}

tests_of_each_guest!(
    Guest { rust: Rust, c: C, go: Go, python: Python, js: Js };
    [
        status_of_reads_the_status_through_a_borrow,
        body_of_consumes_the_response,
        construct_and_read_builds_a_response_in_the_host,
        not_found_is_a_static_function_returning_a_response,
        the_body_is_copied_only_when_the_guest_asks_for_it,
        dropping_the_store_drops_every_response,
    ]
);

/// Every response the host made has been dropped, and the store holds none.
fn assert_all_dropped(store: &Store<Web>, what: &str) {
    let (wasi_objects, wasi_handles) = store.data().wasi_held;
    assert_eq!(
        store.host_objects(),
        wasi_objects,
        "{what}: the store still holds host objects"
    );
    assert_eq!(
        store.data().drops.load(Ordering::SeqCst),
        store.data().made,
        "{what}: a response was not dropped"
    );
    assert_eq!(
        store.handles_alive(),
        wasi_handles,
        "{what}: the guest still holds handles"
    );
}

fn status_of_reads_the_status_through_a_borrow(guest: Guest) {
    let (mut store, run) = instantiate(guest);
    assert_eq!(
        run.status_of
            .call(&mut store, ("https://kflansburg.com".into(),))
            .unwrap(),
        (200,)
    );
    assert_all_dropped(&store, "status-of");
    assert_eq!(
        run.status_of
            .call(&mut store, ("https://example.com/teapot".into(),))
            .unwrap(),
        (418,)
    );
    assert_eq!(
        run.status_of
            .call(&mut store, ("https://nowhere.example".into(),))
            .unwrap(),
        (404,),
        "unknown URL"
    );
    assert_all_dropped(&store, "status-of, three times");
    assert_eq!(store.data().made, 3);
}

fn body_of_consumes_the_response(guest: Guest) {
    let (mut store, run) = instantiate(guest);
    let (body,) = run
        .body_of
        .call(&mut store, ("https://kflansburg.com".into(),))
        .unwrap();
    assert_eq!(body, b"<h1>Hello</h1>");
    assert_all_dropped(&store, "body-of");
    let (body,) = run
        .body_of
        .call(&mut store, ("https://nowhere.example".into(),))
        .unwrap();
    assert!(body.is_empty(), "the not-found response has an empty body");
    assert_all_dropped(&store, "body-of an unknown URL");
}

fn construct_and_read_builds_a_response_in_the_host(guest: Guest) {
    let (mut store, run) = instantiate(guest);
    let ((status, body),) = run
        .construct_and_read
        .call(&mut store, (b"made by the guest".to_vec(), 201))
        .unwrap();
    assert_eq!(status, 201);
    assert_eq!(body, b"made by the guest");
    assert_all_dropped(&store, "construct-and-read");
    let ((status, body),) = run
        .construct_and_read
        .call(&mut store, (Vec::new(), 204))
        .unwrap();
    assert_eq!((status, body.len()), (204, 0));
    assert_all_dropped(&store, "construct-and-read of an empty body");
}

fn not_found_is_a_static_function_returning_a_response(guest: Guest) {
    let (mut store, run) = instantiate(guest);
    assert_eq!(run.not_found_status.call(&mut store, ()).unwrap(), (404,));
    assert_all_dropped(&store, "not-found-status");
    assert_eq!(store.data().made, 1);
}

fn the_body_is_copied_only_when_the_guest_asks_for_it(guest: Guest) {
    let (mut store, run) = instantiate(guest);
    // A language runtime may finish setting itself up on the guest's first call, which is
    // not the response's doing: Python's first call copies 2.5 KiB more than later ones do.
    run.status_of
        .call(&mut store, ("https://kflansburg.com".into(),))
        .unwrap();

    // The status of a 64 KiB response: only the URL crosses into the guest.
    let before = store.bytes_copied();
    assert_eq!(
        run.status_of.call(&mut store, (BIG.into(),)).unwrap(),
        (200,)
    );
    let status_copied = store.bytes_copied() - before;
    assert!(
        status_copied < 1024,
        "reading only the status copied {status_copied} bytes"
    );
    assert!(
        status_copied >= BIG.len() as u64,
        "the URL is copied in ({status_copied} bytes counted)"
    );
    assert_all_dropped(&store, "status-of the big page");

    // Its body: the 64 KiB come into the guest's memory and go back out to the host.
    let before = store.bytes_copied();
    let (body,) = run.body_of.call(&mut store, (BIG.into(),)).unwrap();
    let body_copied = store.bytes_copied() - before;
    assert_eq!(body.len(), BIG_LEN);
    assert!(
        body.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8),
        "the body arrives intact"
    );
    assert!(
        body_copied >= BIG_LEN as u64,
        "reading the body copied only {body_copied} bytes"
    );
    assert!(
        body_copied > 50 * status_copied,
        "status: {status_copied} bytes, body: {body_copied} bytes"
    );
    assert_all_dropped(&store, "body-of the big page");
}

fn dropping_the_store_drops_every_response(guest: Guest) {
    let (mut store, run) = instantiate(guest);
    for _ in 0..3 {
        run.status_of.call(&mut store, (BIG.into(),)).unwrap();
    }
    // Responses the host made but no guest ever saw are the store's too.
    let drops = store.data().drops.clone();
    let kept: Vec<Own<Response>> = (0..4)
        .map(|i| {
            let response = store.data_mut().response(200 + i, vec![1, 2, 3]);
            store.push(response).unwrap()
        })
        .collect();
    let wasi_objects = store.data().wasi_held.0;
    assert_eq!(store.host_objects(), wasi_objects + 4);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(kept);
    assert_eq!(
        store.host_objects(),
        wasi_objects + 4,
        "dropping an `Own` handle does not drop the object"
    );
    drop(store);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        7,
        "the store's drop dropped the four objects it held"
    );
}
