//! Guest components built from source for Tether's tests.
//!
//! The build script compiles each Rust crate of the guest workspace `guests/` (at the root
//! of the repository) for `wasm32-unknown-unknown`, turns its core module into a component
//! with `wit-component`, and defines here one constant per guest: the absolute path of its
//! component, named after the guest in upper case (`guests/roundtrip` gives [`ROUNDTRIP`]).
//! The C guests `guests/article-c`, `guests/roundtrip-c` and `guests/shelves-c` (the same
//! worlds as `article`, `roundtrip` and `shelves`, over the bindings of `wit-bindgen c`) become
//! [`ARTICLE_C`], [`ROUNDTRIP_C`] and [`SHELVES_C`]; the Go guests `guests/article-go` and
//! `guests/roundtrip-go` (over the bindings of `wit-bindgen go`) become [`ARTICLE_GO`] and
//! [`ROUNDTRIP_GO`], and `guests/shelves-go` (the Go version of `guests/shelves`)
//! [`SHELVES_GO`]. The article guest in Python (`guests/article-python`, componentize-py) and
//! in JavaScript (`guests/article-js`, componentize-qjs) become [`ARTICLE_PYTHON`] and
//! [`ARTICLE_JS`].
//! It also builds the WASI 0.2 command guests of `guests/` (Rust for `wasm32-wasip2`, C, Go,
//! Python, JavaScript on QuickJS and on SpiderMonkey), each with its own toolchain, into
//! [`WASI_RUST`], [`WASI_C`], [`WASI_GO`], [`WASI_PYTHON`], [`WASI_JS`] and
//! [`WASI_COMPONENTIZE_JS`];
//! `guests/wasi-README.md` says what each prints, and `scripts/install-wasi-toolchains`
//! installs the toolchains.
//! The `wasi:http` guests become [`HTTP_PROXY_RUST`], [`HTTP_PROXY_JS`] and
//! [`HTTP_PROXY_PYTHON`] (one `wasi:http/proxy` per toolchain, all answering the same routes)
//! and [`HTTP_CLIENT_RUST`] (a command fetching a URL); `guests/http-README.md` lists the
//! routes and what each toolchain does differently.
//!
//! ```no_run
//! let bytes = std::fs::read(tether_test_programs::ROUNDTRIP).unwrap();
//! assert_eq!(&bytes[..4], b"\0asm");
//! ```
#![deny(missing_docs)]

pub mod heap;

include!(concat!(env!("OUT_DIR"), "/guests.rs"));
