//! Misuses of the macros that must not compile, checked by the doc tests below (this module
//! holds nothing else).
//!
//! A tuple struct is no record:
//!
//! ```compile_fail
//! #[derive(tether::ComponentType)]
//! struct Pair(u32, u32);
//! ```
//!
//! A variant case carries at most one payload:
//!
//! ```compile_fail
//! #[derive(tether::ComponentType)]
//! enum Shape {
//!     Rect(u32, u32),
//!     Empty,
//! }
//! ```
//!
//! A WIT `enum` has no payloads:
//!
//! ```compile_fail
//! #[derive(tether::ComponentType)]
//! #[component(enum)]
//! enum Shape {
//!     Circle(f64),
//!     Empty,
//! }
//! ```
//!
//! Labels are kebab-case and distinct:
//!
//! ```compile_fail
//! #[derive(tether::ComponentType)]
//! struct Bad {
//!     #[component(name = "not_kebab")]
//!     a: u32,
//! }
//! ```
//!
//! ```compile_fail
//! #[derive(tether::ComponentType)]
//! struct Twice {
//!     status_code: u16,
//!     #[component(name = "status-code")]
//!     code: u16,
//! }
//! ```
//!
//! A flags type has 1 to 32 labels:
//!
//! ```compile_fail
//! tether::flags! { None {} }
//! ```
//!
//! ```compile_fail
//! tether::flags! {
//!     TooMany {
//!         const F0; const F1; const F2; const F3; const F4; const F5; const F6; const F7;
//!         const F8; const F9; const F10; const F11; const F12; const F13; const F14; const F15;
//!         const F16; const F17; const F18; const F19; const F20; const F21; const F22; const F23;
//!         const F24; const F25; const F26; const F27; const F28; const F29; const F30; const F31;
//!         const F32;
//!     }
//! }
//! ```
//!
//! The same with 32 labels compiles:
//!
//! ```
//! tether::flags! {
//!     Enough {
//!         const F0; const F1; const F2; const F3; const F4; const F5; const F6; const F7;
//!         const F8; const F9; const F10; const F11; const F12; const F13; const F14; const F15;
//!         const F16; const F17; const F18; const F19; const F20; const F21; const F22; const F23;
//!         const F24; const F25; const F26; const F27; const F28; const F29; const F30; const F31;
//!     }
//! }
//! assert_eq!(Enough::all().bits(), u32::MAX);
//! ```
//!
//! A `with` option that maps a resource to a type that is not `Send` fails to compile with
//! an error of the bindings' own (E0080, a failed constant) whose message names the WIT
//! resource and its file, line and column:
//!
//! ```compile_fail,E0080
//! pub struct Response(std::rc::Rc<Vec<u8>>);
//! mod bindings {
//!     ::tether::bindgen!({
//!         path: "../../wit/article",
//!         with: { "tether:article/http/response": crate::Response },
//!     });
//! }
//! fn main() {}
//! ```
//!
//! The same with a `Send` type compiles:
//!
//! ```
//! pub struct Response(std::sync::Arc<Vec<u8>>);
//! mod bindings {
//!     ::tether::bindgen!({
//!         path: "../../wit/article",
//!         with: { "tether:article/http/response": crate::Response },
//!     });
//! }
//! fn main() {}
//! ```
