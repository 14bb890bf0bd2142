#!/bin/sh
# Kelos agent image entrypoint. The prompt is $1; everything else comes from the
# environment (see images/README.md). Runs src/agent/entrypoint.ts under Node 24.
exec node "${KELOS_RUNTIME_DIR:-/kelos}/src/agent/entrypoint.ts" "$@"
