// The roundtrip guest in C: the guest of `guests/roundtrip` (Rust), written over the bindings
// that `wit-bindgen c` generates for the world `roundtrip` of `guests/roundtrip/wit`.
// `crates/test-programs/build.rs` generates `roundtrip.h`, `roundtrip.c` and
// `roundtrip_component_type.o` into its `OUT_DIR`, compiles them with this file, and makes the
// component (see `guests/wasi-README.md`).
//
// Each export of `tether:roundtrip/guest` but the last five hands its arguments to the host's
// import of the same name in `tether:roundtrip/host` and returns what the host gave back; the
// last five (`concat`, `sum`, `reverse`, `count-perms`, `pings`) are computed here alone.
// Who frees what, as the canonical ABI and the generated bindings have it:
//
// - An export's arguments are the callee's: the host allocated their strings and lists with
//   `cabi_realloc` (the bindings' `realloc`), and this file frees them once the host's import
//   has returned. When they are too many to pass flat (`many-args`, `echo-big`), the block the
//   host wrote them into is freed by the bindings themselves, not here.
// - An import's arguments stay the caller's: the host copies them out and never frees them.
// - An import's resulting strings and lists are the caller's, allocated with `cabi_realloc`:
//   each export here hands them on as its own result, unchanged.
// - An export's result is freed by the bindings' `cabi_post_*` function after the host has
//   read it: this file returns memory from `malloc`/`realloc` (the host's results, or what
//   `concat` and `reverse` build), or a string of length 0, which is never freed.
//
// So each call frees everything it was given and leaks nothing, as the Rust guest does.

#include <stdlib.h>
#include <string.h>

#include "roundtrip.h"

// A string of `len` bytes (NULL when `len` is 0, which is never freed), with room from
// `malloc`, as the result of an export: the bindings' post-return function frees it.
static void string_of_len(roundtrip_string_t *s, size_t len) {
  s->len = len;
  s->ptr = NULL;
  if (len > 0) {
    s->ptr = malloc(len);
    if (s->ptr == NULL) {
      abort();
    }
  }
}

// How many times this instance has called the host's `ping`.
static uint32_t PINGS = 0;

// Scalars: nothing in memory, nothing to free.

bool exports_tether_roundtrip_guest_echo_bool(bool x) {
  return tether_roundtrip_host_echo_bool(x);
}

int8_t exports_tether_roundtrip_guest_echo_s8(int8_t x) {
  return tether_roundtrip_host_echo_s8(x);
}

uint8_t exports_tether_roundtrip_guest_echo_u8(uint8_t x) {
  return tether_roundtrip_host_echo_u8(x);
}

int16_t exports_tether_roundtrip_guest_echo_s16(int16_t x) {
  return tether_roundtrip_host_echo_s16(x);
}

uint16_t exports_tether_roundtrip_guest_echo_u16(uint16_t x) {
  return tether_roundtrip_host_echo_u16(x);
}

int32_t exports_tether_roundtrip_guest_echo_s32(int32_t x) {
  return tether_roundtrip_host_echo_s32(x);
}

uint32_t exports_tether_roundtrip_guest_echo_u32(uint32_t x) {
  return tether_roundtrip_host_echo_u32(x);
}

int64_t exports_tether_roundtrip_guest_echo_s64(int64_t x) {
  return tether_roundtrip_host_echo_s64(x);
}

uint64_t exports_tether_roundtrip_guest_echo_u64(uint64_t x) {
  return tether_roundtrip_host_echo_u64(x);
}

float exports_tether_roundtrip_guest_echo_f32(float x) {
  return tether_roundtrip_host_echo_f32(x);
}

double exports_tether_roundtrip_guest_echo_f64(double x) {
  return tether_roundtrip_host_echo_f64(x);
}

// A `char` is its code point.
uint32_t exports_tether_roundtrip_guest_echo_char(uint32_t x) {
  return tether_roundtrip_host_echo_char(x);
}

// Strings and lists: the argument is freed once the host has copied it; the host's result,
// ours, becomes the export's.

void exports_tether_roundtrip_guest_echo_string(roundtrip_string_t *x, roundtrip_string_t *ret) {
  tether_roundtrip_host_echo_string(x, ret);
  roundtrip_string_free(x);
}

void exports_tether_roundtrip_guest_echo_bytes(roundtrip_list_u8_t *x, roundtrip_list_u8_t *ret) {
  tether_roundtrip_host_echo_bytes(x, ret);
  roundtrip_list_u8_free(x);
}

// The strings of the list, then the list.
void exports_tether_roundtrip_guest_echo_strings(roundtrip_list_string_t *x,
                                                 roundtrip_list_string_t *ret) {
  tether_roundtrip_host_echo_strings(x, ret);
  roundtrip_list_string_free(x);
}

void exports_tether_roundtrip_guest_echo_nested(roundtrip_list_list_u32_t *x,
                                                roundtrip_list_list_u32_t *ret) {
  tether_roundtrip_host_echo_nested(x, ret);
  roundtrip_list_list_u32_free(x);
}

// Records, tuples and variants: freed field by field (or case by case) by the bindings'
// `*_free`, which frees only what lives in memory.

void exports_tether_roundtrip_guest_echo_mixed(exports_tether_roundtrip_guest_mixed_t *x,
                                               exports_tether_roundtrip_guest_mixed_t *ret) {
  tether_roundtrip_host_echo_mixed(x, ret);
  exports_tether_roundtrip_guest_mixed_free(x);
}

// The bindings name the list of `mixed` once per interface, as two C types of one layout.
void exports_tether_roundtrip_guest_echo_mixed_list(
    exports_tether_roundtrip_guest_list_mixed_t *x,
    exports_tether_roundtrip_guest_list_mixed_t *ret) {
  tether_roundtrip_host_list_mixed_t arg = {x->ptr, x->len};
  tether_roundtrip_host_list_mixed_t back;
  tether_roundtrip_host_echo_mixed_list(&arg, &back);
  exports_tether_roundtrip_guest_list_mixed_free(x);
  ret->ptr = back.ptr;
  ret->len = back.len;
}

void exports_tether_roundtrip_guest_echo_tuple(roundtrip_tuple4_u8_string_f64_bool_t *x,
                                               roundtrip_tuple4_u8_string_f64_bool_t *ret) {
  tether_roundtrip_host_echo_tuple(x, ret);
  roundtrip_tuple4_u8_string_f64_bool_free(x);
}

void exports_tether_roundtrip_guest_echo_value(exports_tether_roundtrip_guest_value_t *x,
                                               exports_tether_roundtrip_guest_value_t *ret) {
  tether_roundtrip_host_echo_value(x, ret);
  exports_tether_roundtrip_guest_value_free(x);
}

exports_tether_roundtrip_guest_color_t exports_tether_roundtrip_guest_echo_color(
    exports_tether_roundtrip_guest_color_t x) {
  return tether_roundtrip_host_echo_color(x);
}

// Options: `maybe_x` is NULL for `none`; the result is `some` when this returns true, and
// then `*ret` holds its payload.
bool exports_tether_roundtrip_guest_echo_option(roundtrip_string_t *maybe_x,
                                                roundtrip_string_t *ret) {
  bool is_some = tether_roundtrip_host_echo_option(maybe_x, ret);
  if (maybe_x != NULL) {
    roundtrip_string_free(maybe_x);
  }
  return is_some;
}

bool exports_tether_roundtrip_guest_echo_option_option(roundtrip_option_u32_t *maybe_x,
                                                       roundtrip_option_u32_t *ret) {
  return tether_roundtrip_host_echo_option_option(maybe_x, ret);
}

// Results: `ok` when this returns true (its payload in `*ret`), `err` otherwise (in `*err`).
// The bindings name `result<string, u32>` once per interface too.
bool exports_tether_roundtrip_guest_echo_result(
    exports_tether_roundtrip_guest_result_string_u32_t *x, roundtrip_string_t *ret,
    uint32_t *err) {
  tether_roundtrip_host_result_string_u32_t arg;
  arg.is_err = x->is_err;
  if (x->is_err) {
    arg.val.err = x->val.err;
  } else {
    arg.val.ok = x->val.ok;
  }
  bool is_ok = tether_roundtrip_host_echo_result(&arg, ret, err);
  exports_tether_roundtrip_guest_result_string_u32_free(x);
  return is_ok;
}

// Flags: twelve of them, one bit each in a `uint16_t`.
exports_tether_roundtrip_guest_perms_t exports_tether_roundtrip_guest_echo_perms(
    exports_tether_roundtrip_guest_perms_t x) {
  return tether_roundtrip_host_echo_perms(x);
}

// Seventeen parameters, twenty flat values: the host passes them in memory, and this passes
// them to the host's import in memory too (the bindings write the block). `maybe_a15` is NULL
// for `none`. The result, a `big`, is returned in memory both ways.
void exports_tether_roundtrip_guest_many_args(
    uint8_t a1, int8_t a2, uint16_t a3, int16_t a4, uint32_t a5, int32_t a6, uint64_t a7,
    int64_t a8, float a9, double a10, uint32_t a11, bool a12, roundtrip_string_t *a13,
    roundtrip_list_u8_t *a14, uint32_t *maybe_a15, exports_tether_roundtrip_guest_color_t a16,
    exports_tether_roundtrip_guest_perms_t a17, exports_tether_roundtrip_guest_big_t *ret) {
  tether_roundtrip_host_many_args(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14,
                                  maybe_a15, a16, a17, ret);
  roundtrip_string_free(a13);
  roundtrip_list_u8_free(a14);
}

void exports_tether_roundtrip_guest_make_big(uint32_t seed,
                                             exports_tether_roundtrip_guest_big_t *ret) {
  tether_roundtrip_host_make_big(seed, ret);
}

void exports_tether_roundtrip_guest_echo_big(exports_tether_roundtrip_guest_big_t *x,
                                             exports_tether_roundtrip_guest_big_t *ret) {
  tether_roundtrip_host_echo_big(x, ret);
  exports_tether_roundtrip_guest_big_free(x);
}

void exports_tether_roundtrip_guest_ping(void) {
  PINGS++;
  tether_roundtrip_host_ping();
}

// Computed by the guest alone, without calling the host.

// The strings joined, in order, in one block from `malloc`.
void exports_tether_roundtrip_guest_concat(roundtrip_list_string_t *parts,
                                           roundtrip_string_t *ret) {
  size_t len = 0;
  for (size_t i = 0; i < parts->len; i++) {
    len += parts->ptr[i].len;
  }
  string_of_len(ret, len);
  if (len > 0) {
    size_t at = 0;
    for (size_t i = 0; i < parts->len; i++) {
      memcpy(ret->ptr + at, parts->ptr[i].ptr, parts->ptr[i].len);
      at += parts->ptr[i].len;
    }
  }
  roundtrip_list_string_free(parts);
}

// The sum, in 64 bits: 2^32 numbers below 2^32 cannot overflow it.
uint64_t exports_tether_roundtrip_guest_sum(roundtrip_list_u32_t *xs) {
  uint64_t sum = 0;
  for (size_t i = 0; i < xs->len; i++) {
    sum += xs->ptr[i];
  }
  roundtrip_list_u32_free(xs);
  return sum;
}

// The characters in reverse order: each UTF-8 sequence (the host passed valid UTF-8, as the
// canonical ABI requires) is copied whole to the mirrored position.
void exports_tether_roundtrip_guest_reverse(roundtrip_string_t *s, roundtrip_string_t *ret) {
  size_t len = s->len;
  string_of_len(ret, len);
  if (len > 0) {
    size_t i = 0;
    while (i < len) {
      uint8_t lead = s->ptr[i];
      size_t n = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
      if (n > len - i) {
        abort();
      }
      memcpy(ret->ptr + (len - i - n), s->ptr + i, n);
      i += n;
    }
  }
  roundtrip_string_free(s);
}

uint32_t exports_tether_roundtrip_guest_count_perms(exports_tether_roundtrip_guest_perms_t p) {
  return (uint32_t)__builtin_popcount(p);
}

uint32_t exports_tether_roundtrip_guest_pings(void) {
  return PINGS;
}
