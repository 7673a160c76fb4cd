//! Tether's integration tests, in one binary to keep link time down.

/// Makes each check a test of each guest built from two toolchains: `rust::NAME` and `c::NAME`
/// call `NAME` with `$lang::Rust` and `$lang::C`, where `$lang` names the enum (in scope where
/// the macro is used) of the file's guests.
macro_rules! tests_of_each_guest {
    ($lang:ident; $($check:ident),* $(,)?) => {
        mod rust {
            $(
                #[test]
                fn $check() {
                    super::$check(super::$lang::Rust)
                }
            )*
        }
        mod c {
            $(
                #[test]
                fn $check() {
                    super::$check(super::$lang::C)
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
mod typed;
