//! A guest that hands every value it is given to the host and returns what the host gave back,
//! so each call of an export crosses the component boundary in both directions, twice.
//! A few exports are computed by the guest alone.

use std::sync::atomic::{AtomicU32, Ordering};

wit_bindgen::generate!({
    path: "wit",
    world: "roundtrip",
});

use exports::tether::roundtrip::guest::Guest;
use tether::roundtrip::host;
use tether::roundtrip::types::{Big, Color, Mixed, Perms, Value};

/// How many times this instance has called the host's `ping`.
static PINGS: AtomicU32 = AtomicU32::new(0);

struct Roundtrip;

impl Guest for Roundtrip {
    fn echo_bool(x: bool) -> bool {
        host::echo_bool(x)
    }

    fn echo_s8(x: i8) -> i8 {
        host::echo_s8(x)
    }

    fn echo_u8(x: u8) -> u8 {
        host::echo_u8(x)
    }

    fn echo_s16(x: i16) -> i16 {
        host::echo_s16(x)
    }

    fn echo_u16(x: u16) -> u16 {
        host::echo_u16(x)
    }

    fn echo_s32(x: i32) -> i32 {
        host::echo_s32(x)
    }

    fn echo_u32(x: u32) -> u32 {
        host::echo_u32(x)
    }

    fn echo_s64(x: i64) -> i64 {
        host::echo_s64(x)
    }

    fn echo_u64(x: u64) -> u64 {
        host::echo_u64(x)
    }

    fn echo_f32(x: f32) -> f32 {
        host::echo_f32(x)
    }

    fn echo_f64(x: f64) -> f64 {
        host::echo_f64(x)
    }

    fn echo_char(x: char) -> char {
        host::echo_char(x)
    }

    fn echo_string(x: String) -> String {
        host::echo_string(&x)
    }

    fn echo_bytes(x: Vec<u8>) -> Vec<u8> {
        host::echo_bytes(&x)
    }

    fn echo_strings(x: Vec<String>) -> Vec<String> {
        host::echo_strings(&x)
    }

    fn echo_nested(x: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
        host::echo_nested(&x)
    }

    fn echo_mixed(x: Mixed) -> Mixed {
        host::echo_mixed(&x)
    }

    fn echo_mixed_list(x: Vec<Mixed>) -> Vec<Mixed> {
        host::echo_mixed_list(&x)
    }

    fn echo_tuple(x: (u8, String, f64, bool)) -> (u8, String, f64, bool) {
        host::echo_tuple((x.0, &x.1, x.2, x.3))
    }

    fn echo_value(x: Value) -> Value {
        host::echo_value(&x)
    }

    fn echo_color(x: Color) -> Color {
        host::echo_color(x)
    }

    fn echo_option(x: Option<String>) -> Option<String> {
        host::echo_option(x.as_deref())
    }

    fn echo_option_option(x: Option<Option<u32>>) -> Option<Option<u32>> {
        host::echo_option_option(x)
    }

    fn echo_result(x: Result<String, u32>) -> Result<String, u32> {
        host::echo_result(x.as_deref().map_err(|&e| e))
    }

    fn echo_perms(x: Perms) -> Perms {
        host::echo_perms(x)
    }

    fn many_args(
        a1: u8,
        a2: i8,
        a3: u16,
        a4: i16,
        a5: u32,
        a6: i32,
        a7: u64,
        a8: i64,
        a9: f32,
        a10: f64,
        a11: char,
        a12: bool,
        a13: String,
        a14: Vec<u8>,
        a15: Option<u32>,
        a16: Color,
        a17: Perms,
    ) -> Big {
        host::many_args(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, &a13, &a14, a15, a16, a17)
    }

    fn make_big(seed: u32) -> Big {
        host::make_big(seed)
    }

    fn echo_big(x: Big) -> Big {
        host::echo_big(&x)
    }

    fn ping() {
        PINGS.fetch_add(1, Ordering::Relaxed);
        host::ping()
    }

    fn concat(parts: Vec<String>) -> String {
        parts.concat()
    }

    fn sum(xs: Vec<u32>) -> u64 {
        xs.iter().map(|&x| u64::from(x)).sum()
    }

    fn reverse(s: String) -> String {
        s.chars().rev().collect()
    }

    fn count_perms(p: Perms) -> u32 {
        p.bits().count_ones()
    }

    fn pings() -> u32 {
        PINGS.load(Ordering::Relaxed)
    }
}

export!(Roundtrip);
