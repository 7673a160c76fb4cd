//! What the tests of `tether:http` share: a small HTTP/1.1 server on loopback that records
//! what it was asked and how much of each body it managed to send, and the example guest
//! (`examples/http-guest`) instantiated under a policy.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tether::{
    Component, ComponentNamedList, ComponentType, Engine, Instance, Linker, Store, TypedFunc,
};
use tether_host::{HttpClient, HttpPolicy};

/// How long a server lives at most, whatever the test does.
const SERVER_LIFETIME: Duration = Duration::from_secs(120);

/// What a route answers.
#[derive(Clone)]
pub enum Route {
    /// A status, extra header fields, and a body.
    Bytes(u16, Vec<(String, String)>, Vec<u8>),
    /// 200 with a body of `len` bytes, byte `i` being `pattern(i)`, sent as it is generated.
    Pattern(u64),
    /// A redirect with this status to this `location`.
    Redirect(u16, String),
}

/// Byte `i` of a [`Route::Pattern`] body.
pub fn pattern(i: u64) -> u8 {
    (i % 251) as u8
}

/// The FNV-1a hash (32 bits) of the first `len` bytes of the pattern, as the guest computes it.
pub fn pattern_fnv1a(len: u64) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for i in 0..len {
        h = (h ^ u32::from(pattern(i))).wrapping_mul(0x0100_0193);
    }
    h
}

/// What the server saw.
#[derive(Default, Debug)]
pub struct Log {
    /// Connections accepted.
    pub connections: usize,
    /// Request targets, in order.
    pub requests: Vec<String>,
    /// Per request target, the body bytes written before the response ended or failed, and
    /// whether the whole body was written; recorded once the response is over.
    pub sent: HashMap<String, (u64, bool)>,
}

/// A loopback HTTP/1.1 server, one thread per connection, each response closing its
/// connection. Stops when dropped (or after [`SERVER_LIFETIME`]).
pub struct Server {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Log>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(routes: Vec<(&str, Route)>) -> Server {
        let routes: Arc<HashMap<String, Route>> = Arc::new(
            routes
                .into_iter()
                .map(|(p, r)| (p.to_string(), r))
                .collect(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Log::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (log, stop) = (log.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + SERVER_LIFETIME;
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((conn, _)) => {
                            log.lock().unwrap().connections += 1;
                            let (log, routes) = (log.clone(), routes.clone());
                            std::thread::spawn(move || serve(conn, &routes, &log));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        Server {
            addr,
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    pub fn connections(&self) -> usize {
        self.log.lock().unwrap().connections
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().requests.clone()
    }

    /// Waits (up to 20 s) until the response to `path` is over, and returns how many body
    /// bytes were written and whether the whole body was.
    pub fn sent(&self, path: &str) -> (u64, bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = self.log.lock().unwrap().sent.get(path) {
                return *s;
            }
            assert!(
                Instant::now() < deadline,
                "the response to `{path}` never ended"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: TcpStream, routes: &HashMap<String, Route>, log: &Mutex<Log>) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The request head, up to 16 KiB.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 << 10 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split(' ').nth(1).unwrap_or("").to_string();
    log.lock().unwrap().requests.push(target.clone());
    let (status, headers, body) = match routes.get(&target) {
        Some(Route::Bytes(status, headers, body)) => (*status, headers.clone(), Some(body.clone())),
        Some(Route::Pattern(len)) => (
            200,
            vec![("content-length".to_string(), len.to_string())],
            None,
        ),
        Some(Route::Redirect(status, location)) => (
            *status,
            vec![("location".to_string(), location.clone())],
            Some(Vec::new()),
        ),
        None => (404, Vec::new(), Some(b"no such page".to_vec())),
    };
    let mut response = format!("HTTP/1.1 {status} Whatever\r\nconnection: close\r\n");
    for (name, value) in &headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = &body {
        response.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    response.push_str("\r\n");
    let sent = (|| -> (u64, bool) {
        if conn.write_all(response.as_bytes()).is_err() {
            return (0, false);
        }
        match (&body, routes.get(&target)) {
            (Some(body), _) => match conn.write_all(body) {
                Ok(()) => (body.len() as u64, true),
                Err(_) => (0, false),
            },
            (None, Some(Route::Pattern(len))) => {
                // Written 64 KiB at a time, from a window over the repeating pattern.
                let window: Vec<u8> = (0..(64 << 10) + 251).map(pattern).collect();
                let mut written = 0u64;
                while written < *len {
                    let n = ((*len - written) as usize).min(64 << 10);
                    let start = (written % 251) as usize;
                    match conn.write(&window[start..start + n]) {
                        Ok(0) | Err(_) => return (written, false),
                        Ok(k) => written += k as u64,
                    }
                }
                (written, true)
            }
            _ => (0, true),
        }
    })();
    log.lock().unwrap().sent.insert(target, sent);
}

/// A port on loopback that nothing listens on.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `stream-summary`.
#[derive(ComponentType, Debug, PartialEq, Eq)]
pub struct StreamSummary {
    pub bytes: u64,
    pub chunks: u32,
    pub fnv1a: u32,
}

fn compiled() -> &'static (Engine, Component) {
    static COMPILED: OnceLock<(Engine, Component)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let engine = Engine::default();
        let bytes =
            std::fs::read(tether_test_programs::HTTP_GUEST).expect("the example guest was built");
        let component = Component::new(&engine, bytes).expect("the example guest compiles");
        (engine, component)
    })
}

/// The example guest, instantiated in a store whose client follows `policy`.
pub fn instantiate(policy: HttpPolicy) -> (Store<HttpClient>, Instance) {
    let (engine, component) = compiled();
    let mut linker = Linker::<HttpClient>::new(engine);
    tether_host::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(engine, HttpClient::new(policy));
    let instance = linker.instantiate(&mut store, component).unwrap();
    (store, instance)
}

pub fn typed<P: ComponentNamedList, R: ComponentNamedList>(
    instance: &Instance,
    store: &mut Store<HttpClient>,
    name: &str,
) -> TypedFunc<P, R> {
    instance
        .get_typed_func(store, name)
        .unwrap_or_else(|e| panic!("`{name}`: {e:#}"))
}

/// No response or stream is left in the store, and the guest holds no handle.
pub fn assert_clean(store: &Store<HttpClient>, what: &str) {
    assert_eq!(store.host_objects(), 0, "{what}: host objects are left");
    assert_eq!(
        store.handles_alive(),
        0,
        "{what}: the guest still holds handles"
    );
}
