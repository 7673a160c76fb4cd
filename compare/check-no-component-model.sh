#!/usr/bin/env bash
# Fails if the main workspace, or the fuzz harnesses' workspace `fuzz/`, compiles wasmtime
# with its `component-model` feature: Tether implements the component model itself on
# wasmtime's core API, and only the comparison workspace `compare/` (with its fuzz target in
# `compare/fuzz`) may switch wasmtime's component model on.
#
# Checks `cargo tree -e features -p tether` (tether's own features) and the same over the
# whole workspace (`--workspace`: features that another member turns on are unified into the
# wasmtime that tether compiles against when the workspace is built).
#
# Each workspace is resolved from its committed lock file (`--locked`), so what is checked is
# what the lock file builds.
#
# Usage: compare/check-no-component-model.sh [MANIFEST...]   (from anywhere; MANIFEST defaults
# to the main workspace's Cargo.toml and fuzz/Cargo.toml; `compare/Cargo.toml` shows what a
# failure looks like)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$#" -gt 0 ]; then
  manifests=("$@")
else
  manifests=("$root/Cargo.toml" "$root/fuzz/Cargo.toml")
fi
status=0
for manifest in "${manifests[@]}"; do
  ok=1
  for selection in "-p tether" "--workspace"; do
    # shellcheck disable=SC2086
    tree="$(cargo tree --locked --manifest-path "$manifest" -e features $selection)"
    found="$(grep -F 'wasmtime feature "component-model"' <<<"$tree" || true)"
    if [ -n "$found" ]; then
      printf '%s\n' "$found" | sed -n 1,5p
      echo "error: \`cargo tree -e features $selection\` of $manifest shows wasmtime's \`component-model\` feature (lines above)" >&2
      status=1
      ok=0
    fi
  done
  if [ "$ok" = 1 ]; then
    echo "ok: wasmtime's \`component-model\` feature is off in $manifest"
  fi
done
exit "$status"
