#!/bin/sh
# Kelos agent image entrypoint. The prompt is $1; everything else comes from the
# environment (see images/README.md). Runs the built src/agent/entrypoint.ts (lib/) under Node 24.
exec node "${KELOS_RUNTIME_DIR:-/kelos}/agent/entrypoint.js" "$@"
