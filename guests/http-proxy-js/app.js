// A `wasi:http/proxy` component in JavaScript, built with componentize-js (SpiderMonkey through
// StarlingMonkey) with its `http` and `fetch-event` features on: StarlingMonkey turns each call
// of `wasi:http/incoming-handler.handle` into a `fetch` event. The routes are those of every
// HTTP proxy guest (../http-README.md); bodies go through ReadableStreams, one chunk at a time.

const NAME = "js";
const CHUNK = 64 * 1024;
const MAX_DOWNLOAD = 2 ** 40;

addEventListener("fetch", (event) => event.respondWith(route(event.request)));

async function route(request) {
  const path = new URL(request.url).pathname;
  const method = request.method;
  if (method === "GET" && path === "/") {
    return text(200, `hello from ${NAME}`);
  }
  if (method === "GET" && path === "/headers") {
    const value = request.headers.get("x-echo") ?? "";
    return text(200, value, { "x-echo": value });
  }
  if (method === "POST" && path === "/echo") {
    return text(200, relay(request.body));
  }
  if (method === "POST" && path === "/upload") {
    return text(200, `received ${await count(request.body)} bytes`);
  }
  if (method === "GET" && path === "/trap") {
    throw new Error("`GET /trap` asks the proxy to trap");
  }
  if (method === "GET" && path.startsWith("/download/")) {
    const size = downloadSize(path.slice("/download/".length));
    if (size !== null) {
      return text(200, alphabet(size));
    }
  }
  return text(404, "not found");
}

// A response with the headers every answer carries, then `extra`.
function text(status, body, extra = {}) {
  const headers = { "content-type": "text/plain", "x-proxy": NAME, ...extra };
  return new Response(body, { status, headers });
}

// `/download/N`'s N: decimal digits only, at most MAX_DOWNLOAD; else null.
function downloadSize(digits) {
  if (!/^[0-9]+$/.test(digits)) {
    return null;
  }
  const size = Number(digits);
  return size <= MAX_DOWNLOAD ? size : null;
}

// A stream of `size` bytes, the byte at offset i being "a" + i % 26, made a chunk of at most
// CHUNK bytes each time the response asks for more.
function alphabet(size) {
  const pattern = new Uint8Array(CHUNK + 26);
  for (let i = 0; i < pattern.length; i++) {
    pattern[i] = 97 + (i % 26);
  }
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) {
        controller.close();
        return;
      }
      const length = Math.min(CHUNK, size - sent);
      const start = sent % 26;
      controller.enqueue(pattern.slice(start, start + length));
      sent += length;
    },
  });
}

// A stream that hands on each chunk of `body` as it is read (empty for no body).
function relay(body) {
  if (body === null) {
    return "";
  }
  const reader = body.getReader();
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
      } else {
        controller.enqueue(value);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

// The number of bytes in `body`, read a chunk at a time and not kept.
async function count(body) {
  let received = 0;
  if (body !== null) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      received += value.byteLength;
    }
  }
  return received;
}
