// Builds app.js into a component with componentize-js, for the world `command` of the WIT
// folder given: `node build.mjs WIT_DIR OUT`. Called by crates/test-programs/build.rs.
// wasi:http and its fetch-event handler are left out: the guest does not use them.

import { componentize } from "@bytecodealliance/componentize-js";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const [witPath, out] = process.argv.slice(2);
if (!witPath || !out) {
  console.error("usage: node build.mjs WIT_DIR OUT");
  process.exit(2);
}
const source = await readFile(fileURLToPath(new URL("app.js", import.meta.url)), "utf8");
const { component } = await componentize(source, {
  witPath,
  worldName: "command",
  disableFeatures: ["http", "fetch-event"],
});
await writeFile(out, component);
