/**
 * What a Workspace's Secret (`spec.secretRef`) must hold: a `GITHUB_TOKEN`, or the three keys of
 * a GitHub App from which the operator mints one. A Task's Pod reads `GITHUB_TOKEN` from it
 * without `optional` unless the App keys are all there (then it reads the minted token's
 * Secret), and a spawner's GitHub source calls GitHub with the same token. The operator and
 * `kelos validate` judge a Secret by this one definition.
 *
 * @packageDocumentation
 */
import { Env } from './pod.ts';

/** Secret keys that make a Workspace Secret a GitHub App Secret (all three must be present). */
export const GitHubAppKeys = {
  AppId: 'appID',
  InstallationId: 'installationID',
  PrivateKey: 'privateKey',
} as const;

const APP_KEYS: readonly string[] = Object.values(GitHubAppKeys);

/**
 * Whether a Workspace Secret gives a GitHub token: `GITHUB_TOKEN`, or all three App keys.
 * `has` says whether the Secret holds a key (the operator: with a non-empty value).
 */
export const givesGitHubToken = (has: (key: string) => boolean): boolean =>
  has(Env.GitHubToken) || APP_KEYS.every(has);

/** The keys a Workspace Secret must hold, as messages name them. */
export const WORKSPACE_SECRET_KEYS = `${Env.GitHubToken} or the GitHub App keys ${APP_KEYS.join(', ')}`;

/** Why the Workspace Secret `secret` (`namespace/name`) gives no token. */
export const lacksGitHubToken = (secret: string): string =>
  `Secret ${secret} has neither ${Env.GitHubToken} nor the GitHub App keys ${APP_KEYS.join(', ')}`;
