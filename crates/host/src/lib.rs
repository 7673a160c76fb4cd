//! Host interfaces for Tether.
//!
//! `tether:http` (`wit/http/http.wit`) makes the article "WIT Resources" true over real HTTP:
//! `fetch` hands the guest a `response` that lives in the host, whose body is read from the
//! network, and copied into guest memory, only when the guest asks for it — all of it at once
//! with `response.body`, or in chunks with a `body-stream`, a child object of its response.
//!
//! The guest reaches only the origins the embedder allows ([`HttpPolicy`]); anything else is
//! the error `denied`, and no connection is made. Redirects are followed here, not by the
//! HTTP client, so that every hop is checked against the policy again.
//!
//! ```no_run
//! use tether::{Component, Engine, Linker, Store};
//! use tether_host::{HttpClient, HttpPolicy};
//!
//! let engine = Engine::default();
//! let component = Component::new(&engine, std::fs::read("guest.wasm")?)?;
//! let mut linker = Linker::<HttpClient>::new(&engine);
//! tether_host::add_to_linker(&mut linker)?;
//! let policy = HttpPolicy::new().allow("http://127.0.0.1:8080")?;
//! let mut store = Store::new(&engine, HttpClient::new(policy));
//! let instance = linker.instantiate(&mut store, &component)?;
//! # anyhow::Ok(())
//! ```
//!
//! The interface is implemented through `tether::bindgen!`: [`Response`] and [`BodyStream`]
//! are plain Rust objects, and the methods of the generated `Host` trait receive them
//! (`&mut Response`, or `Response` by value for the consuming `body`), never a handle.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod http;
mod policy;

pub use http::{
    BodyStream, Demo, ErrorCode, HttpClient, HttpView, INTERFACE, MAX_CHUNK, Response,
    add_to_linker,
};
pub use policy::{HttpPolicy, Origin};
