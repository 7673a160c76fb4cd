// A WASI 0.2 command in JavaScript, built with componentize-qjs (QuickJS); see
// ../wasi-README.md.
//
// Usage: js-guest [fail]
// Prints a greeting, its arguments, the variable FOO and a check of the clock; with `fail`,
// ends with an error (exit status 1).
//
// componentize-qjs's runtime has no `console`: this one writes to wasi:cli/stdout and
// wasi:cli/stderr. Streams are taken inside `run`, not at the top level, which runs at build
// time (the state is snapshotted with Wizer).

import environment from "wasi:cli/environment@0.2.12";
import stdout from "wasi:cli/stdout@0.2.12";
import stderr from "wasi:cli/stderr@0.2.12";

function utf8(text) {
  const binary = unescape(encodeURIComponent(text));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

function printer(stream) {
  return (...parts) => {
    const bytes = utf8(parts.map(String).join(" ") + "\n");
    // blocking-write-and-flush takes at most 4096 bytes at a time.
    for (let i = 0; i < bytes.length; i += 4096) {
      stream.blockingWriteAndFlush(bytes.subarray(i, i + 4096));
    }
  };
}

export const run = {
  run() {
    const out = stdout.getStdout();
    const err = stderr.getStderr();
    globalThis.console = { log: printer(out), error: printer(err) };
    try {
      console.log("hello from js");
      const args = environment.getArguments().slice(1);
      console.log(`args: ${JSON.stringify(args)}`);
      const env = new Map(environment.getEnvironment());
      console.log(`env FOO=${env.has("FOO") ? env.get("FOO") : "<unset>"}`);
      const now = Date.now();
      console.log(`time: wall ${now > 1.6e12 && now < 7.2e15 ? "ok" : `bad (${now})`}`);
      if (args[0] === "fail") {
        console.error("failing as asked");
        throw undefined;
      }
    } finally {
      delete globalThis.console;
      out[Symbol.dispose]();
      err[Symbol.dispose]();
    }
  },
};
