#!/bin/sh
# `agent ... | /kelos/kelos-capture`: forwards the agent's stdout, then prints the output
# marker block and writes the termination message (upstream's kelos-capture contract).
exec node "${KELOS_RUNTIME_DIR:-/kelos}/agent/capture.js" "$@"
