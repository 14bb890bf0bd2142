#!/bin/sh
# gh wrapper: exports the GitHub token from the mounted Secret file before every call, so
# a token the operator refreshed (GitHub App tokens last an hour) is used without a
# restart. GH_ENTERPRISE_TOKEN is set instead of GH_TOKEN when GH_HOST names an Enterprise host.
token_file="${KELOS_GITHUB_TOKEN_FILE:-/kelos/github-token/GITHUB_TOKEN}"
if [ -r "$token_file" ]; then
  token="$(cat "$token_file")"
  if [ -n "$token" ]; then
    if [ -n "${GH_HOST:-}" ] && [ "$GH_HOST" != "github.com" ]; then
      GH_ENTERPRISE_TOKEN="$token"
      export GH_ENTERPRISE_TOKEN
    else
      GH_TOKEN="$token"
      export GH_TOKEN
    fi
  fi
fi
exec "${KELOS_REAL_GH:-/usr/bin/gh}" "$@"
