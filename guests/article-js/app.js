// The guest of the article "WIT Resources" in JavaScript, built with componentize-qjs
// (QuickJS); the world is `tether:article/article` of `wit/article/article.wit`.
//
// The host's `response` is a JavaScript object here. JavaScript has no destructor that runs at
// the end of a scope: componentize-qjs drops a handle when its object is collected (at once,
// as QuickJS counts references), and `Symbol.dispose` drops it explicitly, which this guest
// does for each response it does not consume.

import http from "tether:article/http";

// Calls `use` with `response`, then drops the response, whatever `use` did.
function using(response, use) {
  try {
    return use(response);
  } finally {
    response[Symbol.dispose]();
  }
}

export const run = {
  // A borrow: the response lives on until it is disposed of.
  statusOf(url) {
    return using(http.fetch(url), (response) => response.status());
  },

  // Consumes the response: the host moves the body out and drops the object.
  bodyOf(url) {
    return http.Response.body(http.fetch(url));
  },

  constructAndRead(body, status) {
    const response = new http.Response(body, status);
    const read = response.status();
    return [read, http.Response.body(response)];
  },

  notFoundStatus() {
    return using(http.Response.notFound(), (response) => response.status());
  },
};
