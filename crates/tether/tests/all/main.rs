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

mod article;
mod bad_input;
mod bindgen;
mod call;
mod direct;
mod guest;
mod guest_resources;
mod guest_typed;
mod handle_churn;
mod host_objects;
mod hostile;
mod linking;
mod memory;
mod rng;
mod serialize;
mod shelves;
mod typed;
