// The guest of the article "WIT Resources" in C: the guest of `guests/article` (Rust), written
// over the bindings that `wit-bindgen c` generates for the world `article` of `wit/article`.
// `crates/test-programs/build.rs` generates `article.h`, `article.c` and
// `article_component_type.o` into its `OUT_DIR`, compiles them with this file, and makes the
// component (see `guests/wasi-README.md`).
//
// The host's `response` reaches the guest only as a handle: `own` handles (from `fetch`, the
// constructor and `not-found`) and `borrow` handles (for `status`). Who frees what, as the
// canonical ABI and the generated bindings have it:
//
// - An export's arguments (`url`, `body`) are the callee's: the host allocated them with
//   `cabi_realloc` (the bindings' `realloc`), and this file frees them.
// - An export's result is freed by the bindings' `cabi_post_*` function after the host has
//   read it: this file returns memory from `malloc`/`realloc` (here, the list the host wrote
//   for `response.body`), or a list of length 0, which is never freed.
// - An import's arguments stay the caller's: the host copies them out and never frees them.
// - An import's resulting list is the caller's, allocated with `cabi_realloc`.
// - An `own` handle is dropped with `..._response_drop_own` once done with, unless it was given
//   away: `response.body` consumes its `this`, so that handle is gone when it returns.
// - A borrow made from an `own` handle with `..._borrow_response` is a plain copy of the
//   handle's index: it is not dropped (only the `own` handle is).
//
// Each function does what the Rust guest does, and drops the same handles at the same points,
// so that no response is left in the host when a call returns.

#include "article.h"

// `status-of`: the status of the response to `url`; the body stays in the host.
uint16_t exports_tether_article_run_status_of(article_string_t *url) {
  tether_article_http_own_response_t response = tether_article_http_fetch(url);
  article_string_free(url);
  // A borrow: `response` lives on...
  uint16_t status = tether_article_http_method_response_status(
      tether_article_http_borrow_response(response));
  // ...until it is dropped here, in the host too (the Rust guest drops it at the end of scope).
  tether_article_http_response_drop_own(response);
  return status;
}

// `body-of`: the body of the response to `url`, copied into this guest's memory.
void exports_tether_article_run_body_of(article_string_t *url, article_list_u8_t *ret) {
  tether_article_http_own_response_t response = tether_article_http_fetch(url);
  article_string_free(url);
  // Consumes `response`: the host moves the body out and drops the object. The list is ours,
  // and is handed on as the result, which the bindings' post-return function frees.
  tether_article_http_static_response_body(response, ret);
}

// `construct-and-read`: builds a response in the host, reads its status through a borrow, then
// consumes it for its body.
void exports_tether_article_run_construct_and_read(article_list_u8_t *body, uint16_t status,
                                                   article_tuple2_u16_list_u8_t *ret) {
  // The constructor borrows `body` (the host copies it), so it is still ours to free.
  tether_article_http_own_response_t response =
      tether_article_http_constructor_response(body, status);
  article_list_u8_free(body);
  ret->f0 = tether_article_http_method_response_status(
      tether_article_http_borrow_response(response));
  // Consumes `response`; the body it returns becomes the result's list.
  tether_article_http_static_response_body(response, &ret->f1);
}

// `not-found-status`: the status of `response.not-found()`.
uint16_t exports_tether_article_run_not_found_status(void) {
  tether_article_http_own_response_t response = tether_article_http_static_response_not_found();
  uint16_t status = tether_article_http_method_response_status(
      tether_article_http_borrow_response(response));
  // The Rust guest drops this temporary at the end of its statement.
  tether_article_http_response_drop_own(response);
  return status;
}
