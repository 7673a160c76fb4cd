// A WASI 0.2 command in JavaScript, built with componentize-js (SpiderMonkey through
// StarlingMonkey, the engine `jco componentize` uses); see ../wasi-README.md.
//
// Usage: componentize-js-guest [ARG...] [fail]
// Prints its arguments, the variable FOO, checks of `crypto.getRandomValues` and
// `TextEncoder`/`TextDecoder`, then waits 30 ms on a timer (StarlingMonkey's event loop polls
// a wasi:clocks pollable); with `fail`, ends with an error (exit status 1).
//
// `run` is async: StarlingMonkey runs the event loop until the promise it returns settles.

import { getArguments, getEnvironment } from "wasi:cli/environment@0.2.12";
import { exit } from "wasi:cli/exit@0.2.12";

export const run = {
  async run() {
    const args = getArguments();
    console.log("hello from componentize-js:", args.slice(1).join(" "));
    const env = new Map(getEnvironment());
    console.log("FOO =", env.get("FOO") ?? "(unset)");
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    const text = new TextDecoder().decode(new TextEncoder().encode("h\u00e9llo"));
    console.log("random bytes:", bytes.length, "text:", text);
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    console.log("timer:", Date.now() - start >= 30 ? "waited" : "too early");
    if (args.includes("fail")) {
      console.error("failing as asked");
      exit({ tag: "err" });
    }
  },
};
