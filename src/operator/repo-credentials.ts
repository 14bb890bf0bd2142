/**
 * Credentials embedded in a Workspace's repo URL (`https://x-access-token:ghp_…@github.com/…`)
 * would reach the agent as the literal env `KELOS_REPO`, and every log and status that quotes
 * the URL. The CRD's CEL rule and the validator refuse them (`REPO_URL_CREDENTIALS` in
 * src/api/workspace.ts); the operator refuses such Workspaces itself too, with the same rule
 * (issue 9, #8): objects written before the rule, or past a missing CRD update, are untrusted.
 *
 * @packageDocumentation
 */
import { repoUrlHasCredentials } from '../api/workspace.ts';

/** Why `repo` may not be used, or undefined. The message never quotes the URL. */
export const repoCredentialProblem = (repo: string): string | undefined =>
  repoUrlHasCredentials(repo)
    ? 'the repo URL embeds credentials (user info before @); give them with spec.secretRef instead'
    : undefined;
