// The guest of the article "WIT Resources" in Go: the guest of `guests/article` (Rust), written
// over the bindings that `wit-bindgen go` generates for the world `article` of `wit/article`.
// `crates/test-programs/build/go.rs` generates the bindings (the packages `main`,
// `tether_article_http` and the types of this package's functions) into its `OUT_DIR`, adds
// this folder, and builds the module with Go's own toolchain (see `guests/wasi-README.md`).
//
// The host's `response` reaches the guest only as a `*http.Response` holding a handle. The
// bindings take care of the canonical ABI's memory: arguments and results are Go strings and
// slices, pinned while the host reads them. What is left to this file is the handles:
//
//   - a response is dropped with `Drop` once done with, which drops it in the host too;
//   - `http.ResponseBody` consumes its response: the handle is gone when it returns, and the
//     response must not be dropped again.
//
// Each function does what the Rust guest does, and drops the same handles at the same points,
// so that no response is left in the host when a call returns.
package export_tether_article_run

import http "wit_component/tether_article_http"

// StatusOf returns the status of the response to url; the body stays in the host.
func StatusOf(url string) uint16 {
	response := http.Fetch(url)
	defer response.Drop()
	// `Status` borrows the response, which lives on until the deferred drop.
	return response.Status()
}

// BodyOf returns the body of the response to url, copied into this guest's memory.
func BodyOf(url string) []uint8 {
	// Consumes the response: the host moves the body out and drops the object.
	return http.ResponseBody(http.Fetch(url))
}

// ConstructAndRead builds a response in the host, reads its status through a borrow, then
// consumes it for its body.
func ConstructAndRead(body []uint8, status uint16) (uint16, []uint8) {
	// The constructor borrows body: the host copies it.
	response := http.MakeResponse(body, status)
	got := response.Status()
	return got, http.ResponseBody(response)
}

// NotFoundStatus returns the status of `response.not-found()`.
func NotFoundStatus() uint16 {
	response := http.ResponseNotFound()
	defer response.Drop()
	return response.Status()
}
