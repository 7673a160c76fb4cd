//! `tether demo`: the article's point, shown over real HTTP on loopback. An HTTP server runs
//! inside the process; the bundled example guest fetches a page from it twice, once reading
//! only the status and once reading the status and then the body, and the demo prints how
//! many bytes the host read from the network and how many crossed into the guest each time;
//! then a guest reads the first kilobyte of a 1 GiB body handed to it as a `stream<u8>`
//! (`super::demo_stream`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tether::{Component, Engine, Instance, Linker, Store, TypedFunc};
use tether_host::{ErrorCode, HttpClient, HttpPolicy};

/// The page's path and size.
const PAGE: &str = "/article";
const PAGE_LEN: usize = 1 << 20;

/// The longest the demo's server lives.
const SERVER_LIFETIME: Duration = Duration::from_secs(300);

/// A one-page HTTP/1.1 server on loopback, one thread per connection, each response closing
/// its connection. Stops when dropped.
struct Server {
    origin: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(page: Arc<Vec<u8>>) -> Result<Server> {
        let listener =
            TcpListener::bind("127.0.0.1:0").context("cannot listen on a loopback port")?;
        listener.set_nonblocking(true)?;
        let origin = format!("http://{}", listener.local_addr()?);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + SERVER_LIFETIME;
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((conn, _)) => {
                            let page = page.clone();
                            std::thread::spawn(move || {
                                let _ = serve(conn, &page);
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        Ok(Server {
            origin,
            stop,
            thread: Some(thread),
        })
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

fn serve(mut conn: TcpStream, page: &[u8]) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    conn.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 << 10 {
        match conn.read(&mut buf)? {
            0 => return Ok(()),
            n => head.extend_from_slice(&buf[..n]),
        }
    }
    let target = String::from_utf8_lossy(&head)
        .split(' ')
        .nth(1)
        .unwrap_or("")
        .to_string();
    if target == crate::demo_stream::BIG {
        return crate::demo_stream::serve_big(conn);
    }
    let (status, body): (&str, &[u8]) = if target == PAGE {
        ("200 OK", page)
    } else {
        ("404 Not Found", b"no such page")
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )?;
    // The client may close the connection without reading the body: that is the point.
    conn.write_all(body)
}

/// The page: lines of text, `PAGE_LEN` bytes.
fn page() -> Vec<u8> {
    let line = b"Resources keep data in the host until the guest asks for it.\n";
    line.iter().copied().cycle().take(PAGE_LEN).collect()
}

type Fetched<T> = (Result<T, ErrorCode>,);

/// Runs the demo, printing what happens.
pub fn run() -> Result<()> {
    println!("tether demo: the article's `fetch` over real HTTP, on loopback\n");
    eprintln!("tether: building the example guest (examples/http-guest) with cargo, if needed");
    let (bytes, core) = crate::guest::example_component()?;
    println!(
        "guest:  examples/http-guest, built from source ({}), made a component with wit-component",
        core.display()
    );

    let server = Server::start(Arc::new(page()))?;
    let url = format!("{}{PAGE}", server.origin);
    println!(
        "server: {} (in this process), serving {PAGE} ({PAGE_LEN} bytes)",
        server.origin
    );
    println!("policy: the guest may reach {} only\n", server.origin);

    let engine = Engine::default();
    let component =
        Component::new(&engine, &bytes).context("the example guest is not a valid component")?;
    let mut linker = Linker::<HttpClient>::new(&engine);
    tether_host::add_to_linker(&mut linker)?;
    let policy = HttpPolicy::new().allow(&server.origin)?;
    let mut store = Store::new(&engine, HttpClient::new(policy));
    let instance = linker
        .instantiate(&mut store, &component)
        .context("instantiating the example guest")?;
    let status_of: TypedFunc<(String,), Fetched<u16>> =
        instance.get_typed_func(&mut store, "status-of")?;
    let fetch_body: TypedFunc<(String,), Fetched<(u16, Vec<u8>)>> =
        instance.get_typed_func(&mut store, "fetch-body")?;

    // 1. The status only.
    println!("1. `let response = fetch(url)?; response.status()`");
    let before = Counters::now(&store, &instance);
    let (status,) = status_of.call(&mut store, (url.clone(),))?;
    let status = status.map_err(|e| anyhow::anyhow!("fetching {url} failed: {e}"))?;
    let status_only = Counters::now(&store, &instance).since(&before);
    println!("   status {status}");
    status_only.print(&store);

    // 2. The status, then the body.
    println!("\n2. `let response = fetch(url)?; response.status(); Response::body(response)`");
    let before = Counters::now(&store, &instance);
    let (fetched,) = fetch_body.call(&mut store, (url.clone(),))?;
    let (status, body) = fetched.map_err(|e| anyhow::anyhow!("fetching {url} failed: {e}"))?;
    let with_body = Counters::now(&store, &instance).since(&before);
    println!(
        "   status {status}, body of {} bytes: {:?}...",
        body.len(),
        String::from_utf8_lossy(&body[..body.len().min(30)])
    );
    with_body.print(&store);

    // 3. An origin the policy does not allow.
    let elsewhere = "http://example.com/";
    println!("\n3. `fetch(\"{elsewhere}\")`, an origin the embedder did not allow");
    let before = Counters::now(&store, &instance);
    let (denied,) = status_of.call(&mut store, (elsewhere.to_string(),))?;
    let after = Counters::now(&store, &instance).since(&before);
    match denied {
        Err(e) => println!("   error-code: {e}; requests sent: {}", after.requests),
        Ok(status) => bail!("the guest reached an origin it was not allowed: status {status}"),
    }

    // 4. The body as a stream, read on demand.
    crate::demo_stream::run(&server.origin)?;

    println!(
        "\nReading the status copied {} bytes into the guest (the URL) and read {} body bytes from the network;\n\
         reading the body too copied {} bytes into the guest (the URL and the body, once; the export then\n\
         returns the body to the demo, which copies it out again). Host objects alive now: {}.",
        status_only.into_guest,
        status_only.body_read,
        with_body.into_guest,
        store.host_objects()
    );
    if status_only.body_read != 0
        || with_body.body_read != PAGE_LEN as u64
        || store.host_objects() != 0
    {
        bail!("the demo did not go as the article says it should");
    }
    Ok(())
}

/// The counters the demo reports, at one moment or between two.
struct Counters {
    into_guest: u64,
    out_of_guest: u64,
    body_read: u64,
    requests: u64,
}

impl Counters {
    fn now(store: &Store<HttpClient>, instance: &Instance) -> Counters {
        let copied = instance.bytes_copied(store);
        Counters {
            into_guest: copied.into_guest,
            out_of_guest: copied.out_of_guest,
            body_read: store.data().body_bytes_read(),
            requests: store.data().requests(),
        }
    }

    fn since(&self, before: &Counters) -> Counters {
        Counters {
            into_guest: self.into_guest - before.into_guest,
            out_of_guest: self.out_of_guest - before.out_of_guest,
            body_read: self.body_read - before.body_read,
            requests: self.requests - before.requests,
        }
    }

    fn print(&self, store: &Store<HttpClient>) {
        println!(
            "   body bytes read from the network by the host: {}",
            self.body_read
        );
        println!(
            "   bytes copied into the guest: {}, out of the guest: {}",
            self.into_guest, self.out_of_guest
        );
        println!(
            "   host objects alive after the call: {}",
            store.host_objects()
        );
    }
}
