"""The guest of the article "WIT Resources" in Python, over the bindings of componentize-py.

The world is `tether:article/article` of `wit/article/article.wit`. The host's `response` is a
Python object here: `with` drops its handle (and so the host's object) as soon as the block
ends, and a response given to `Response.body` is consumed there, in the host.
"""

from typing import Tuple

from wit_world import exports
from wit_world.imports import http


class Run(exports.Run):
    def status_of(self, url: str) -> int:
        # A borrow: the response lives on until the end of the block, which drops it.
        with http.fetch(url) as response:
            return response.status()

    def body_of(self, url: str) -> bytes:
        # Consumes the response: the host moves the body out and drops the object.
        return http.Response.body(http.fetch(url))

    def construct_and_read(self, body: bytes, status: int) -> Tuple[int, bytes]:
        response = http.Response(body, status)
        status = response.status()
        return (status, http.Response.body(response))

    def not_found_status(self) -> int:
        with http.Response.not_found() as response:
            return response.status()
