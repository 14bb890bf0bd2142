/**
 * Credentials embedded in a Workspace's repo URL (`https://x-access-token:ghp_…@github.com/…`)
 * would reach the agent as the literal env `KELOS_REPO`, and every log and status that quotes
 * the URL. The operator refuses such Workspaces itself, whatever the validator and the CRD's
 * rules say (issue 9, #8): cluster data is untrusted.
 *
 * @packageDocumentation
 */

/**
 * Why `repo` carries credentials, or undefined. A user name alone is a credential over
 * http(s) (tokens are passed that way); `ssh://git@host/…` and scp-like `git@host:org/repo` name
 * the SSH user, which is not a secret.
 */
export function repoCredentialProblem(repo: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return undefined; // scp-like `git@host:path`: the part before @ is the SSH user.
  }
  if (url.password)
    return 'the repo URL embeds a password or token; give credentials with spec.secretRef instead';
  if (url.username && (url.protocol === 'https:' || url.protocol === 'http:')) {
    return 'the repo URL embeds a user name or token; give credentials with spec.secretRef instead';
  }
  return undefined;
}
