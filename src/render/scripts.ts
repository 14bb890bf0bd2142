/**
 * Shell scripts of the built-in init containers. They are constants: every value a user
 * controls (repository URL, ref, branch, remote names, file paths) reaches them as an
 * environment variable or a positional argument, never spliced into the script text, so
 * nothing needs quoting and nothing can inject commands. They run under any POSIX `sh` (dash in
 * the agent base image, busybox in upstream's alpine/git) and are tested as local processes
 * against real repositories.
 *
 * Paths come from the environment (`KELOS_REPO_DIR`, `KELOS_CONFIG_DIR`, …) so tests can
 * run the exact text the Job carries in a temporary directory.
 *
 * @packageDocumentation
 */
import { GITHUB_TOKEN_FILE } from '../contract/pod.ts';

/**
 * Git credential helper that reads the token from the mounted Secret at every use, so a
 * refreshed token is picked up and the token never appears in a URL, argv or git config.
 */
export const CREDENTIAL_HELPER = `!f() { test "$1" = get || exit 0; echo username=x-access-token; echo "password=$(cat "\${KELOS_GITHUB_TOKEN_FILE:-${GITHUB_TOKEN_FILE}}")"; }; f`;

/**
 * `git-clone`: clones `$KELOS_REPO` into `$KELOS_REPO_DIR` (depth 1, every branch tip) at
 * `$KELOS_REF` (branch, tag, or a 40-hex commit fetched directly). With
 * `$KELOS_GITHUB_TOKEN_FILE` set, authenticates through {@link CREDENTIAL_HELPER} and
 * stores the helper in the repository's config for the later steps and the agent.
 */
export const GIT_CLONE_SCRIPT = `set -eu
dir="$KELOS_REPO_DIR"
helper='${CREDENTIAL_HELPER}'
if [ -n "\${KELOS_GITHUB_TOKEN_FILE:-}" ]; then
  set -- -c credential.helper= -c "credential.helper=$helper"
else
  set --
fi
ref="\${KELOS_REF:-}"
if printf '%s' "$ref" | grep -Eq '^[0-9a-f]{40}$'; then
  git init -q "$dir"
  git -C "$dir" remote add origin "$KELOS_REPO"
  git "$@" -C "$dir" fetch -q --depth 1 origin "$ref"
  git -C "$dir" checkout -q --detach FETCH_HEAD
elif [ -n "$ref" ]; then
  git "$@" clone -q --no-single-branch --depth 1 --branch "$ref" -- "$KELOS_REPO" "$dir"
else
  git "$@" clone -q --no-single-branch --depth 1 -- "$KELOS_REPO" "$dir"
fi
if [ -n "\${KELOS_GITHUB_TOKEN_FILE:-}" ]; then
  git -C "$dir" config credential.helper "$helper"
fi
`;

/** `remote-setup`: adds (or re-points) each remote, given as `name url` argument pairs. */
export const REMOTE_SETUP_SCRIPT = `set -eu
cd "$KELOS_REPO_DIR"
while [ "$#" -ge 2 ]; do
  if git remote get-url "$1" >/dev/null 2>&1; then
    git remote set-url "$1" "$2"
  else
    git remote add "$1" "$2"
  fi
  shift 2
done
`;

/**
 * `branch-setup`: checks out `$KELOS_BRANCH`, tracking origin's branch when it exists
 * there, or creates it from the cloned ref when it does not. Any other failure to list the
 * remote (network, credentials) fails the step instead of silently starting a new branch.
 */
export const BRANCH_SETUP_SCRIPT = `set -eu
cd "$KELOS_REPO_DIR"
b="$KELOS_BRANCH"
git check-ref-format --branch "$b" >/dev/null
set +e
git ls-remote --exit-code --heads origin "refs/heads/$b" >/dev/null
rc=$?
set -e
case "$rc" in
  0)
    git fetch -q --depth 1 origin "+refs/heads/$b:refs/remotes/origin/$b"
    git checkout -q -B "$b" "refs/remotes/origin/$b"
    git branch -q --set-upstream-to="origin/$b" "$b"
    ;;
  2)
    git checkout -q -b "$b"
    ;;
  *)
    echo "branch-setup: cannot list branch $b on origin (git ls-remote exit $rc)" >&2
    exit "$rc"
    ;;
esac
`;

/**
 * `workspace-files`: copies ConfigMap keys to paths in the repository, given as
 * `key path` argument pairs. Refuses a path that resolves outside the repository (for
 * example through a symlink committed in it) and refuses to write through a symlink.
 */
export const WORKSPACE_FILES_SCRIPT = `set -eu
root="$(cd "$KELOS_REPO_DIR" && pwd -P)"
inside() {
  case "$(cd "$1" && pwd -P)/" in
    "$root"/*) return 0 ;;
    *) return 1 ;;
  esac
}
while [ "$#" -ge 2 ]; do
  dest="$root/$2"
  parent="$(dirname "$dest")"
  p="$parent"
  while [ ! -d "$p" ]; do p="$(dirname "$p")"; done
  if ! inside "$p"; then
    echo "workspace-files: refusing to write $2: it resolves outside the repository" >&2
    exit 1
  fi
  mkdir -p "$parent"
  if ! inside "$parent" || [ -L "$dest" ]; then
    echo "workspace-files: refusing to write $2: it resolves outside the repository" >&2
    exit 1
  fi
  cp "$KELOS_CONFIG_DIR/$1" "$dest"
  shift 2
done
`;

/** `plugin-setup`: copies ConfigMap keys into the plugin tree, given as `key path` pairs. */
export const PLUGIN_SETUP_SCRIPT = `set -eu
while [ "$#" -ge 2 ]; do
  dest="$KELOS_PLUGIN_DIR/$2"
  mkdir -p "$(dirname "$dest")"
  cp "$KELOS_CONFIG_DIR/$1" "$dest"
  shift 2
done
`;

/**
 * `skills-install`: installs skills.sh packages, given as `source skill token-env`
 * argument triples (empty strings when unset), with the skills CLI, then gathers them
 * under `$KELOS_PLUGIN_DIR/skills-sh/skills`. A private package's token comes from the
 * named env var (a secretKeyRef) through GIT_ASKPASS, never through a URL.
 */
export const SKILLS_INSTALL_SCRIPT = `set -eu
export HOME="$KELOS_PLUGIN_DIR/.skills-home"
mkdir -p "$HOME" "$KELOS_PLUGIN_DIR/skills-sh/skills"
askpass="\${TMPDIR:-/tmp}/kelos-askpass"
cat > "$askpass" <<'ASKPASS'
#!/bin/sh
case "$1" in
  Username*) echo x-access-token ;;
  *) printf '%s\\n' "$KELOS_SKILLS_TOKEN" ;;
esac
ASKPASS
chmod 700 "$askpass"
install_one() {
  token=""
  if [ -n "$3" ]; then token="$(printenv "$3" || true)"; fi
  if [ -n "$2" ]; then
    KELOS_SKILLS_TOKEN="$token" GIT_ASKPASS="$askpass" GIT_TERMINAL_PROMPT=0 npx -y skills add "$1" -a universal -y -g -s "$2"
  else
    KELOS_SKILLS_TOKEN="$token" GIT_ASKPASS="$askpass" GIT_TERMINAL_PROMPT=0 npx -y skills add "$1" -a universal -y -g
  fi
}
while [ "$#" -ge 3 ]; do
  install_one "$1" "$2" "$3"
  shift 3
done
for d in "$HOME/.agents/skills" "$HOME/.config/agents/skills"; do
  if [ -d "$d" ]; then cp -R "$d/." "$KELOS_PLUGIN_DIR/skills-sh/skills/"; fi
done
rm -f "$askpass"
`;
