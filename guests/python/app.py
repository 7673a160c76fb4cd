"""A WASI 0.2 command in Python, built with componentize-py (see ../wasi-README.md).

Usage: python-guest [FILE [fail | STATUS]]
Prints a greeting, its arguments and the variable FOO; with FILE (a path inside a preopened
folder), prints the file's text. Then, with `fail`, returns an error from `run` (exit status
1); with a number, calls `os._exit(STATUS)` at once, which componentize-py's wasi-libc turns
into `wasi:cli/exit.exit(ok)` for 0 and `exit(err)` (exit status 1) for any other number.
"""

import os
import sys

from componentize_py_types import Err
from wit_world import exports


def flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()


class Run(exports.Run):
    def run(self) -> None:
        print("hello from python")
        print(f"args: {sys.argv[1:]}")
        print(f"env FOO={os.environ.get('FOO', '<unset>')}")
        if len(sys.argv) > 1:
            path = sys.argv[1]
            try:
                with open(path, encoding="utf-8") as f:
                    print(f"file: {f.read()!r}")
            except OSError as e:
                print(f"error: {path}: {e}", file=sys.stderr)
                flush()
                raise Err(None)
        ending = sys.argv[2] if len(sys.argv) > 2 else None
        if ending == "fail":
            print("failing as asked", file=sys.stderr)
            flush()
            raise Err(None)
        if ending is not None:
            print(f"exiting with {int(ending)}", file=sys.stderr)
            flush()
            os._exit(int(ending))
        flush()
