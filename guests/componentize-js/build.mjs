// Builds a JavaScript guest into a component with componentize-js:
//   node build.mjs SOURCE WIT_DIR WORLD OUT [--http]
// for the world WORLD of the WIT folder WIT_DIR. Without --http, the features `http` (fetch)
// and `fetch-event` are off, as a command that uses neither needs; with it they are on, and
// StarlingMonkey exports `wasi:http/incoming-handler`, turning each request into a `fetch`
// event. Called by crates/test-programs/build.rs for guests/componentize-js and
// guests/http-proxy-js.

import { componentize } from "@bytecodealliance/componentize-js";
import { readFile, writeFile } from "node:fs/promises";

const args = process.argv.slice(2);
const http = args.includes("--http");
const [sourcePath, witPath, worldName, out, ...rest] = args.filter((a) => a !== "--http");
if (!out || rest.length > 0) {
  console.error("usage: node build.mjs SOURCE WIT_DIR WORLD OUT [--http]");
  process.exit(2);
}
const source = await readFile(sourcePath, "utf8");
const { component } = await componentize(source, {
  witPath,
  worldName,
  disableFeatures: http ? [] : ["http", "fetch-event"],
});
await writeFile(out, component);
