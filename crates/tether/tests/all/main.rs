//! Tether's integration tests, in one binary to keep link time down.

/// Makes each check a test of each guest built from several toolchains: with
/// `tests_of_each_guest!(Lang; checks...)`, `rust::NAME` and `c::NAME` call `NAME` with
/// `Lang::Rust` and `Lang::C`, where `Lang` names the enum (in scope where the macro is used) of
/// the file's guests; `tests_of_each_guest!(Lang { rust: Rust, go: Go }; [checks...])` names the
/// modules and variants.
macro_rules! tests_of_each_guest {
    ($lang:ident; $($check:ident),* $(,)?) => {
        tests_of_each_guest!($lang { rust: Rust, c: C }; [$($check),*]);
    };
    ($lang:ident { $($module:ident: $variant:ident),* $(,)? }; $checks:tt) => {
        $(tests_of_each_guest!(@one $lang $module $variant $checks);)*
    };
    (@one $lang:ident $module:ident $variant:ident [$($check:ident),* $(,)?]) => {
        mod $module {
            $(
                #[test]
                fn $check() {
                    super::$check(super::$lang::$variant)
                }
            )*
        }
    };
}

/// What a freshly instantiated guest holds (host objects, handles): nothing, but for a guest
/// whose language runtime uses WASI (`wasi`: Go's runtime and WASI adapter take the stdio
/// streams when they start). The checks that a guest left nothing behind count from here.
fn held_at_start<T>(store: &tether::Store<T>, wasi: bool, what: &str) -> (usize, usize) {
    let held = (store.host_objects(), store.handles_alive());
    if !wasi {
        assert_eq!(held, (0, 0), "{what} uses no WASI");
    }
    held
}

/// The handle error an error carries, as itself or as the host-object fault of a trap.
fn handle_error(e: &anyhow::Error) -> Option<&tether::HandleError> {
    e.chain().find_map(|c| {
        c.downcast_ref::<tether::HandleError>()
            .or_else(|| match c.downcast_ref::<tether::Trap>() {
                Some(tether::Trap::HostObject(h)) => Some(h),
                _ => None,
            })
    })
}

/// The trap an error carries.
fn trap_of(e: &anyhow::Error) -> Option<&tether::Trap> {
    e.chain().find_map(|c| c.downcast_ref::<tether::Trap>())
}

mod article;
mod async_abi;
mod bad_input;
mod bindgen;
mod cache;
mod call;
mod direct;
mod guest;
mod guest_resources;
mod guest_typed;
mod handle_churn;
mod host_objects;
mod hostile;
mod identity;
mod layers;
mod linking;
mod memory;
mod refused;
mod report;
mod revoke;
mod rng;
mod serialize;
mod shared_funcs;
mod shelves;
mod streams;
mod traps;
mod typed;
