/**
 * A spawner's `contextSources` fetched for one item, with the spawner's own Secrets: the one
 * way both the poll loop (`create.ts`) and the webhook receiver (`webhook/deliver.ts`) get
 * `.Context`, so a context source behaves the same whichever source made the item.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../../api/index.ts';
import type { ApiObject } from '../../../kube/client.ts';
import type { GoValue } from '../../../template/go-template.ts';
import { appCredentialsOf, mintInstallationToken } from '../../github-app.ts';
import { Resources } from '../../resources.ts';
import { type ContextDeps, type ContextResult, fetchContext } from '../../spawner/context-sources.ts';
import type { TaskSpawnerReconcilerOptions } from './options.ts';

interface SecretObject extends ApiObject {
  data?: Record<string, string>;
}

/** What fetching context needs of the reconciler's options. */
export type ContextFetchOptions = Pick<
  TaskSpawnerReconcilerOptions,
  'client' | 'clock' | 'fetch' | 'githubApiUrl' | 'trustedFetch'
>;

/**
 * Fetches a spawner's context sources over an item's template variables (without `Context`);
 * `{ok: true, context: {}}` when it has none.
 */
export type ContextFetcher = (spawner: TaskSpawner, vars: GoValue) => Promise<ContextResult>;

/**
 * A Secret that is not there at all is told apart from one without the key: the fix differs
 * (create it, or in the spawner's namespace, rather than add a key).
 */
const missingSecret = (namespace: string, name: string): string =>
  `Secret ${namespace}/${name} does not exist (a context source reads Secrets in the TaskSpawner's namespace)`;

/** The keys a Secret has (never its values), for a message about a key it lacks. */
const keysOf = (s: SecretObject): string => {
  const keys = Object.keys(s.data ?? {}).sort();
  return keys.length ? ` (it has ${keys.join(', ')})` : ' (it has no keys)';
};

/** The I/O of a context fetch in `namespace`: Secrets read there, App tokens minted from them. */
export const contextDeps = (o: ContextFetchOptions, namespace: string): ContextDeps => ({
  fetch: o.fetch,
  secret: async (secretName: string, key: string) => {
    const s = await o.client.get<SecretObject>(Resources.Secret, namespace, secretName);
    if (!s) throw new Error(missingSecret(namespace, secretName));
    const v = s.data?.[key];
    if (!v) throw new Error(`Secret ${namespace}/${secretName} has no key ${key}${keysOf(s)}`);
    return Buffer.from(v, 'base64').toString('utf8');
  },
  githubAppToken: async (secretName: string, apiBaseURL: string | undefined) => {
    const s = await o.client.get<SecretObject>(Resources.Secret, namespace, secretName);
    if (!s) throw new Error(missingSecret(namespace, secretName));
    const app = appCredentialsOf(s.data);
    if (!app)
      throw new Error(
        `Secret ${namespace}/${secretName} has no GitHub App keys (appID, installationID, privateKey)${keysOf(s)}`,
      );
    const base = apiBaseURL ?? o.githubApiUrl ?? 'https://api.github.com';
    const f = (o.githubApiUrl && !apiBaseURL ? (o.trustedFetch ?? o.fetch) : o.fetch) as typeof fetch;
    return (await mintInstallationToken({ ...app, apiBaseUrl: base, fetch: f, now: o.clock.now() })).token;
  },
});

/** The {@link ContextFetcher} over these options. */
export const contextFetcher =
  (o: ContextFetchOptions): ContextFetcher =>
  async (spawner, vars) => {
    const sources = spawner.spec.taskTemplate.contextSources ?? [];
    if (sources.length === 0) return { ok: true, context: {} };
    return fetchContext(sources, vars, contextDeps(o, spawner.metadata.namespace ?? ''));
  };
