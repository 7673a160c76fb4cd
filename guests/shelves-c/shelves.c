// The shelves guest in C: the guest of `guests/shelves` (Rust), written over the bindings that
// `wit-bindgen c` generates for the world `shelf-guest` of `guests/shelves/wit`.
// `crates/test-programs/build.rs` generates `shelf_guest.h`, `shelf_guest.c` and
// `shelf_guest_component_type.o` into its `OUT_DIR`, compiles them with this file, and makes the
// component (see `guests/wasi-README.md`).
//
// `shelf` is this guest's own resource: `struct exports_tether_shelves_shelves_shelf_t` is its
// representation, `..._shelf_new` makes an owned handle of one, `..._shelf_rep` gives the
// representation back for an owned handle, and `..._shelf_drop_own` drops an owned handle,
// which runs `..._shelf_destructor` (as dropping it from the host does). Who frees what:
//
// - An export's arguments are the callee's: the name a shelf is made with and each item pushed
//   are kept in the shelf and freed by the destructor.
// - An export's result is freed by the bindings' post-return function after the host has read
//   it: `name` and `items` return copies; `take` returns the shelf's own items, taken out of
//   the shelf before it is dropped.
// - An import's arguments stay the caller's: each log line is built in a buffer on the stack.
//
// No stdio: `snprintf` would link wasi-libc's stdio, which imports WASI, and this guest is
// built with no adapter.

#include <stdlib.h>
#include <string.h>

#include "shelf_guest.h"

struct exports_tether_shelves_shelves_shelf_t {
  shelf_guest_string_t name;
  shelf_guest_string_t *items;
  size_t len, cap;
  // The shelf's log; `has_log` is false once it was handed on to another shelf.
  tether_shelves_log_own_log_t log;
  bool has_log;
};

typedef struct exports_tether_shelves_shelves_shelf_t shelf_t;

// How many shelves this instance has dropped.
static uint32_t dropped = 0;

// Writes "WHAT ITEM" (or "WHAT" when `item` is NULL) to the shelf's log; an item too long for
// the line is cut.
static void write_log(shelf_t *shelf, const char *what, const shelf_guest_string_t *item) {
  uint8_t buf[256];
  size_t n = strlen(what);
  memcpy(buf, what, n);
  if (item) {
    size_t len = item->len < sizeof buf - n - 1 ? item->len : sizeof buf - n - 1;
    buf[n++] = ' ';
    memcpy(buf + n, item->ptr, len);
    n += len;
  }
  shelf_guest_string_t line = {buf, n};
  tether_shelves_log_method_log_write(tether_shelves_log_borrow_log(shelf->log), &line);
}

// A copy of `s`, allocated with malloc (an empty string allocates nothing).
static shelf_guest_string_t copy(const shelf_guest_string_t *s) {
  shelf_guest_string_t out = {NULL, s->len};
  if (s->len) {
    out.ptr = malloc(s->len);
    if (!out.ptr) {
      abort();
    }
    memcpy(out.ptr, s->ptr, s->len);
  }
  return out;
}

// Appends `item` (taking it) to the shelf's items.
static void append(shelf_t *shelf, shelf_guest_string_t item) {
  if (shelf->len == shelf->cap) {
    shelf->cap = shelf->cap ? shelf->cap * 2 : 4;
    shelf->items = realloc(shelf->items, shelf->cap * sizeof *shelf->items);
    if (!shelf->items) {
      abort();
    }
  }
  shelf->items[shelf->len++] = item;
}

exports_tether_shelves_shelves_own_shelf_t exports_tether_shelves_shelves_constructor_shelf(
    shelf_guest_string_t *name, exports_tether_shelves_shelves_own_log_t log) {
  shelf_t *shelf = calloc(1, sizeof *shelf);
  if (!shelf) {
    abort();
  }
  shelf->name = *name;  // kept; freed by the destructor
  shelf->log = log;
  shelf->has_log = true;
  write_log(shelf, "new", &shelf->name);
  return exports_tether_shelves_shelves_shelf_new(shelf);
}

void exports_tether_shelves_shelves_shelf_destructor(shelf_t *shelf) {
  dropped++;
  if (shelf->has_log) {
    tether_shelves_log_log_drop_own(shelf->log);
  }
  for (size_t i = 0; i < shelf->len; i++) {
    shelf_guest_string_free(&shelf->items[i]);
  }
  free(shelf->items);
  shelf_guest_string_free(&shelf->name);
  free(shelf);
}

void exports_tether_shelves_shelves_method_shelf_name(exports_tether_shelves_shelves_borrow_shelf_t self,
                                                      shelf_guest_string_t *ret) {
  *ret = copy(&self->name);
}

void exports_tether_shelves_shelves_method_shelf_push(exports_tether_shelves_shelves_borrow_shelf_t self,
                                                      shelf_guest_string_t *item) {
  write_log(self, "push", item);
  append(self, *item);  // kept; freed by the destructor
}

uint32_t exports_tether_shelves_shelves_method_shelf_len(exports_tether_shelves_shelves_borrow_shelf_t self) {
  return (uint32_t)self->len;
}

void exports_tether_shelves_shelves_method_shelf_items(exports_tether_shelves_shelves_borrow_shelf_t self,
                                                       shelf_guest_list_string_t *ret) {
  ret->len = self->len;
  ret->ptr = self->len ? malloc(self->len * sizeof *ret->ptr) : NULL;
  if (self->len && !ret->ptr) {
    abort();
  }
  for (size_t i = 0; i < self->len; i++) {
    ret->ptr[i] = copy(&self->items[i]);
  }
}

exports_tether_shelves_shelves_own_shelf_t exports_tether_shelves_shelves_static_shelf_merge(
    exports_tether_shelves_shelves_own_shelf_t a, exports_tether_shelves_shelves_own_shelf_t b) {
  shelf_t *sa = exports_tether_shelves_shelves_shelf_rep(a);
  shelf_t *sb = exports_tether_shelves_shelves_shelf_rep(b);
  shelf_t *merged = calloc(1, sizeof *merged);
  if (!merged) {
    abort();
  }
  // The name "a+b".
  merged->name.len = sa->name.len + 1 + sb->name.len;
  merged->name.ptr = malloc(merged->name.len);
  if (!merged->name.ptr) {
    abort();
  }
  memcpy(merged->name.ptr, sa->name.ptr, sa->name.len);
  merged->name.ptr[sa->name.len] = '+';
  memcpy(merged->name.ptr + sa->name.len + 1, sb->name.ptr, sb->name.len);
  // The items of `a`, then those of `b`, taken out of both.
  for (size_t i = 0; i < sa->len; i++) {
    append(merged, sa->items[i]);
  }
  for (size_t i = 0; i < sb->len; i++) {
    append(merged, sb->items[i]);
  }
  sa->len = 0;
  sb->len = 0;
  write_log(sa, "merge", &merged->name);
  // `a`'s log goes on in the new shelf; dropping `a` and `b` runs their destructors, which drop
  // `b`'s log.
  merged->log = sa->log;
  merged->has_log = true;
  sa->has_log = false;
  exports_tether_shelves_shelves_shelf_drop_own(a);
  exports_tether_shelves_shelves_shelf_drop_own(b);
  return exports_tether_shelves_shelves_shelf_new(merged);
}

void exports_tether_shelves_shelves_static_shelf_take(exports_tether_shelves_shelves_own_shelf_t this_,
                                                      shelf_guest_list_string_t *ret) {
  shelf_t *shelf = exports_tether_shelves_shelves_shelf_rep(this_);
  write_log(shelf, "take", NULL);
  // The items become the result (freed by the post-return function); the shelf keeps none.
  ret->ptr = shelf->items;
  ret->len = shelf->len;
  shelf->items = NULL;
  shelf->len = shelf->cap = 0;
  exports_tether_shelves_shelves_shelf_drop_own(this_);
}

bool exports_tether_shelves_shelves_same(exports_tether_shelves_shelves_borrow_shelf_t a,
                                         exports_tether_shelves_shelves_borrow_shelf_t b) {
  if (a->len != b->len) {
    return false;
  }
  for (size_t i = 0; i < a->len; i++) {
    if (a->items[i].len != b->items[i].len ||
        (a->items[i].len && memcmp(a->items[i].ptr, b->items[i].ptr, a->items[i].len) != 0)) {
      return false;
    }
  }
  return true;
}

uint32_t exports_tether_shelves_shelves_dropped(void) { return dropped; }
