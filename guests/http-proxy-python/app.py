"""A `wasi:http/proxy` component in Python, built with componentize-py.

It answers the routes every HTTP proxy guest of `guests/` answers (see `../http-README.md`)
with plain blocking calls of `wasi:io/streams`: no event loop. Bodies move in chunks of at most
CHUNK bytes, and each response is handed to the host before its body is written, so no body is
ever held whole. Every resource is released by a `with` block, a child (a body's stream) before
its parent (the body), as the WIT requires.
"""

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports.streams import InputStream, OutputStream, StreamError_Closed
from wit_world.imports.types import (
    Fields,
    IncomingRequest,
    Method_Get,
    Method_Post,
    OutgoingBody,
    OutgoingResponse,
    ResponseOutparam,
)

NAME = "python"
CHUNK = 64 * 1024
MAX_DOWNLOAD = 1 << 40

# Bytes of the repeating alphabet that `/download/N` cuts its chunks from.
ALPHABET = bytes(ord("a") + i % 26 for i in range(CHUNK + 26))


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        path = (request.path_with_query() or "/").split("?", 1)[0]
        method = request.method()
        get = isinstance(method, Method_Get)
        post = isinstance(method, Method_Post)
        size = download_size(path) if get else None
        if get and path == "/":
            respond_with(response_out, 200, f"hello from {NAME}".encode())
        elif get and path == "/headers":
            with request.headers() as headers:
                values = headers.get("x-echo")
            value = values[0] if values else b""
            respond_with(response_out, 200, value, [("x-echo", value)])
        elif post and path == "/echo":
            echo(request, response_out)
        elif post and path == "/upload":
            upload(request, response_out)
        elif get and path == "/trap":
            raise RuntimeError("`GET /trap` asks the proxy to trap")
        elif size is not None:
            download(response_out, size)
        else:
            respond_with(response_out, 404, b"not found")


def download_size(path: str) -> int | None:
    """`/download/N`'s N: decimal digits only, at most MAX_DOWNLOAD; else None."""
    digits = path.removeprefix("/download/")
    if digits == path or not digits or not all("0" <= c <= "9" for c in digits):
        return None
    size = int(digits)
    return size if size <= MAX_DOWNLOAD else None


def echo(request: IncomingRequest, out: ResponseOutparam) -> None:
    """Sends the request body back a chunk at a time as it arrives: `blocking-splice` has the
    host move each chunk (at most CHUNK bytes) from the request's stream to the response's.
    Splicing rather than reading and writing keeps the bytes out of the guest, where
    componentize-py would keep a copy of each chunk written (see `../http-README.md`). A failed
    stream leaves the response body unfinished, so the client sees it cut short."""
    with request.consume() as incoming, incoming.stream() as source:
        body = start(out, 200)
        with body.write() as sink:
            complete = splice_all(source, sink)
        end(body, complete)


def splice_all(source: InputStream, sink: OutputStream) -> bool:
    """Moves everything from `source` to `sink`, CHUNK bytes at most at a time, and flushes.
    False if either stream failed."""
    while True:
        try:
            if sink.blocking_splice(source, CHUNK) == 0:
                with source.subscribe() as ready:
                    ready.block()
        except Err as e:
            # Closed: the request body ended, or the client went away (then the flush fails).
            return isinstance(e.value, StreamError_Closed) and write_all(sink, b"")


def upload(request: IncomingRequest, out: ResponseOutparam) -> None:
    """Reads the request body in chunks and only counts them."""
    received = 0
    with request.consume() as incoming, incoming.stream() as source:
        for chunk in chunks(source):
            if chunk is None:
                text = f"request body failed after {received} bytes"
                respond_with(out, 400, text.encode())
                return
            received += len(chunk)
    respond_with(out, 200, f"received {received} bytes".encode())


def download(out: ResponseOutparam, size: int) -> None:
    """Sends `size` bytes, the byte at offset i being "a" + i % 26, CHUNK bytes at a time."""
    body = start(out, 200)
    with body.write() as sink:
        complete = all(write_all(sink, piece) for piece in alphabet(size))
    end(body, complete)


def alphabet(size: int):
    """`size` bytes of the repeating alphabet, in pieces of at most CHUNK bytes."""
    for offset in range(0, size, CHUNK):
        begin = offset % 26
        yield ALPHABET[begin : begin + min(CHUNK, size - offset)]


def chunks(source: InputStream):
    """The chunks of `source` until it closes; a last None if reading it failed."""
    while True:
        try:
            yield source.blocking_read(CHUNK)
        except Err as e:
            if not isinstance(e.value, StreamError_Closed):
                yield None
            return


def respond_with(out: ResponseOutparam, status: int, text: bytes, extra=()) -> None:
    """Answers at once with `status` and the whole of `text`."""
    body = start(out, status, extra)
    with body.write() as sink:
        complete = write_all(sink, text)
    end(body, complete)


def end(body: OutgoingBody, complete: bool) -> None:
    """Finishes `body` (no trailers), or drops it unfinished when it is not `complete`, which
    tells the host the response was cut short. Its stream must be gone already."""
    if complete:
        OutgoingBody.finish(body, None)
    else:
        body.__exit__(None, None, None)


def start(out: ResponseOutparam, status: int, extra=()) -> OutgoingBody:
    """Sends `status` and the headers (`content-type: text/plain`, `x-proxy: python`, then
    `extra`), and returns the body to write."""
    fields = [("content-type", b"text/plain"), ("x-proxy", NAME.encode()), *extra]
    response = OutgoingResponse(Fields.from_list(fields))
    response.set_status_code(status)
    body = response.body()
    ResponseOutparam.set(out, Ok(response))
    return body


def write_all(sink: OutputStream, data: bytes) -> bool:
    """Writes all of `data` as the host permits, waiting when it permits nothing, and flushes.
    False if the stream failed (the client went away)."""
    try:
        while data:
            permitted = sink.check_write()
            if permitted == 0:
                with sink.subscribe() as ready:
                    ready.block()
                continue
            sink.write(data[:permitted])
            data = data[permitted:]
        sink.blocking_flush()
        return True
    except Err:
        return False
