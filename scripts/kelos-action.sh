#!/usr/bin/env bash
# The checks of action.yml, in the current directory (a GitOps repository with kelos-ts
# installed): `kelos synth --check`, then `kelos check` writing SARIF to $KELOS_SARIF
# (default kelos.sarif). Both run even when the first fails, so the report is always written.
# With $GITHUB_OUTPUT set, records `sarif=<absolute path>` for the upload step.
#
# Exit status: the worse of the two (0 ok, 2 violations or drift, 1 usage or runtime error).
set -uo pipefail

sarif=${KELOS_SARIF:-kelos.sarif}
check_flags=(--format sarif --output "$sarif")
if [ "${KELOS_STRICT:-false}" = true ]; then check_flags+=(--strict); fi

npx --no-install kelos synth --check
synth_status=$?
npx --no-install kelos check "${check_flags[@]}"
check_status=$?

if [ -n "${GITHUB_OUTPUT:-}" ] && [ -f "$sarif" ]; then
  echo "sarif=$(cd "$(dirname "$sarif")" && pwd)/$(basename "$sarif")" >>"$GITHUB_OUTPUT"
fi
# 1 (could not run) outranks 2 (ran and found something).
for status in "$synth_status" "$check_status"; do
  if [ "$status" -eq 1 ]; then exit 1; fi
done
if [ "$synth_status" -ne 0 ] || [ "$check_status" -ne 0 ]; then exit 2; fi
exit 0
