#!/usr/bin/env bash
# Fails if the main workspace compiles wasmtime with its `component-model` feature: Tether
# implements the component model itself on wasmtime's core API, and only the comparison
# workspace `compare/` may switch wasmtime's component model on.
#
# Checks `cargo tree -e features -p tether` (tether's own features) and the same over the
# whole workspace (`--workspace`: features that another member turns on are unified into the
# wasmtime that tether compiles against when the workspace is built).
#
# Usage: compare/check-no-component-model.sh [MANIFEST]   (from anywhere; MANIFEST defaults to
# the main workspace's Cargo.toml; `compare/Cargo.toml` shows what a failure looks like)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="${1:-$root/Cargo.toml}"
status=0
for selection in "-p tether" "--workspace"; do
  # shellcheck disable=SC2086
  tree="$(cargo tree --manifest-path "$manifest" -e features $selection)"
  found="$(grep -F 'wasmtime feature "component-model"' <<<"$tree" || true)"
  if [ -n "$found" ]; then
    printf '%s\n' "$found" | sed -n 1,5p
    echo "error: \`cargo tree -e features $selection\` shows wasmtime's \`component-model\` feature (lines above)" >&2
    status=1
  fi
done
if [ "$status" = 0 ]; then
  echo "ok: wasmtime's \`component-model\` feature is off in $manifest"
fi
exit "$status"
