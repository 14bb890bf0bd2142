/**
 * The GitHub App token of a Task (upstream's github_token_secret.go): when the Workspace
 * Secret holds App keys, an installation token is minted into Secret `<task>-github-token`,
 * owned by the Task, and minted again while the Job runs before it expires. The private key
 * is read here and goes nowhere but into the JWT signature.
 *
 * @packageDocumentation
 */
import type { Task, TaskSpawner, Workspace } from '../../../api/index.ts';
import type { ApiObject } from '../../../kube/client.ts';
import type { Checklist } from '../../../kube/log.ts';
import type { ReconcileResult } from '../../../kube/queue.ts';
import { taskChildLabels, taskChildMeta } from '../../../render/task-meta.ts';
import { workspaceOf } from '../../gates.ts';
import {
  appCredentialsOf,
  GitHubAppError,
  githubApiBaseUrl,
  mintInstallationToken,
  spawnerSourceRepositories,
  tokenRepositories,
} from '../../github-app.ts';
import { guardedFetcher } from '../../outbound.ts';
import { Resources } from '../../resources.ts';
import { belongsTo, spawnerNameOf } from '../../spawner/ownership.ts';
import { adminOf, isOwnedBy, keyOf, nameOf, type TaskReconcilerOptions } from './options.ts';

/** A GitHub App token is minted again when less than this remains (tokens live an hour). */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;
/** First retry after a failed mint; doubles per failure up to {@link TOKEN_RETRY_MAX_MS}. */
const TOKEN_RETRY_BASE_MS = 2_000;
const TOKEN_RETRY_MAX_MS = 30_000;
/** Condition that says why a Task waits for its GitHub App token. */
export const GITHUB_TOKEN_CONDITION = 'GitHubTokenReady';
/** Annotation on the token Secret: when the token expires (RFC 3339). */
export const TOKEN_EXPIRY_ANNOTATION = 'kelos.dev/github-token-expires-at';
/** Key of the token in the token Secret (what the credential helper reads). */
const TOKEN_KEY = 'GITHUB_TOKEN';

/** Name of the Secret holding a Task's minted GitHub App token. */
export const githubTokenSecretName = (task: string): string => `${task}-github-token`;

/** What the reconciler knows about a Task's GitHub App token. */
export type TokenState =
  | {
      readonly kind: 'none';
      /**
       * The Workspace Secret, when one was read: whether it exists (admission then needs no
       * second read to know). A missing one is not remembered, so the next look reads again.
       */
      readonly source?: { readonly name: string; readonly exists: boolean };
    }
  | { readonly kind: 'ok'; readonly secret: string; readonly expiresAt: number }
  | { readonly kind: 'error'; readonly secret: string; readonly message: string };

interface SecretObject extends ApiObject {
  data?: Record<string, string>;
}

/**
 * The GitHub App tokens of unfinished Tasks, by key (`none` for Workspaces without App
 * keys), so the reconciles a running Job brings cost no reads until a token is due.
 */
export class GitHubTokens {
  readonly #o: TaskReconcilerOptions;
  readonly #tokens = new Map<string, { uid: string; state: TokenState | undefined; failures: number }>();

  /** Every App token request goes through the outbound guard: the URL comes from the tenant. */
  readonly #fetch: typeof globalThis.fetch;
  constructor(o: TaskReconcilerOptions) {
    this.#o = o;
    this.#fetch = guardedFetcher(() => adminOf(o).outbound);
  }

  /**
   * The TaskSpawner `task` belongs to (its controller owner, or the label of an ownerless
   * legacy Task), from the informer cache: a mint costs no extra read.
   */
  #spawnerOf(task: Task): TaskSpawner | undefined {
    const name = spawnerNameOf(task);
    const spawner = name ? this.#o.caches.spawners?.get(nameOf(task).namespace, name) : undefined;
    return spawner && belongsTo(task, spawner) ? spawner : undefined;
  }

  /** Forgets the Task under `key` (finished or gone). */
  forget(key: string): void {
    this.#tokens.delete(key);
  }

  /** Keeps the token of a running Task fresh; the requeue comes back before it is due. */
  async refresh(task: Task, list: Checklist): Promise<ReconcileResult | undefined> {
    const { namespace } = nameOf(task);
    const wsName = workspaceOf(task);
    const workspace = wsName ? this.#o.caches.workspaces.get(namespace, wsName) : undefined;
    const token = await this.ensure(task, workspace, list);
    if (token.kind === 'none') {
      // A running Task whose Workspace Secret went away: its reconciles need not read it again.
      if (token.source && !token.source.exists)
        this.#tokens.set(keyOf(task), { uid: task.metadata.uid ?? '', state: { kind: 'none' }, failures: 0 });
      return undefined;
    }
    if (token.kind === 'error') {
      // ensure() recorded the step that failed; the Event makes the reconcile a warning.
      list.failed = true;
      this.#o.events.record(task, 'Warning', 'GitHubTokenRefreshFailed', token.message, 'Reconcile');
      return { requeueAfterMs: this.retryMs(task) };
    }
    return {
      requeueAfterMs: Math.max(1_000, token.expiresAt - TOKEN_REFRESH_MARGIN_MS - this.#o.clock.now()),
    };
  }

  /** Retry delay after the latest mint failure of this Task: doubles per failure, capped. */
  retryMs(task: Task): number {
    const failures = this.#tokens.get(keyOf(task))?.failures ?? 1;
    return Math.min(TOKEN_RETRY_MAX_MS, TOKEN_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  }

  /**
   * Makes sure `<task>-github-token` holds an installation token with more than
   * {@link TOKEN_REFRESH_MARGIN_MS} left when the Workspace Secret holds GitHub App keys.
   */
  async ensure(task: Task, workspace: Workspace | undefined, list: Checklist): Promise<TokenState> {
    const { namespace, name } = nameOf(task);
    const key = `${namespace}/${name}`;
    const uid = task.metadata.uid ?? '';
    const now = this.#o.clock.now();
    const stored = this.#tokens.get(key);
    const entry = stored?.uid === uid ? stored : { uid, state: undefined, failures: 0 };
    const known = entry.state;
    if (known?.kind === 'none') return known;
    if (known?.kind === 'ok' && known.expiresAt - TOKEN_REFRESH_MARGIN_MS > now) return known;
    const remember = (state: TokenState): TokenState => {
      entry.state = state;
      entry.failures = state.kind === 'error' ? entry.failures + 1 : 0;
      this.#tokens.set(key, entry);
      return state;
    };

    const sourceName = workspace?.spec.secretRef?.name;
    if (!workspace || !sourceName) return remember({ kind: 'none' });
    const source = await this.#o.client.get<SecretObject>(Resources.Secret, namespace, sourceName);
    // A missing Secret is not remembered: admission waits for it (SecretNotFound) and must
    // see it appear, possibly with App keys.
    if (!source) return { kind: 'none', source: { name: sourceName, exists: false } };
    const creds = appCredentialsOf(source.data);
    if (!creds) return remember({ kind: 'none', source: { name: sourceName, exists: true } });

    const secret = githubTokenSecretName(name);
    const existing = await this.#o.client.get<SecretObject>(Resources.Secret, namespace, secret);
    if (existing && !isOwnedBy(existing, task)) {
      list.step(`Secret ${namespace}/${secret} exists and is not ours`);
      return remember({
        kind: 'error',
        secret,
        message: `Secret ${namespace}/${secret} exists and is not owned by this Task`,
      });
    }
    const expiry = Date.parse(existing?.metadata.annotations?.[TOKEN_EXPIRY_ANNOTATION] ?? '');
    if (existing?.data?.[TOKEN_KEY] && expiry - TOKEN_REFRESH_MARGIN_MS > now) {
      list.step(`GitHub App token in Secret ${namespace}/${secret} is fresh`);
      return remember({ kind: 'ok', secret, expiresAt: expiry });
    }

    const apiBaseUrl = this.#o.githubApiUrl || githubApiBaseUrl(workspace.spec.repo);
    const notMinted = (message: string): TokenState => {
      list.step(
        `GitHub App token not minted (App ${creds.appId}, installation ${creds.installationId}): ${message}`,
      );
      return remember({ kind: 'error', secret, message });
    };
    const narrowed = adminOf(this.#o).githubTokenScope === 'Repository';
    const repositories = narrowed
      ? tokenRepositories(
          workspace.spec.repo,
          (workspace.spec.remotes ?? []).map((r) => r.url),
          spawnerSourceRepositories(this.#spawnerOf(task)?.spec.when),
        )
      : undefined;
    if (narrowed && !repositories) {
      return notMinted(
        `Workspace ${namespace}/${workspace.metadata.name} spec.repo "${workspace.spec.repo}" names no owner/repository to narrow the token to; KelosConfig spec.githubApp.tokenScope: Installation mints one for every repository of the installation`,
      );
    }
    let minted: { token: string; expiresAt: number };
    try {
      minted = await mintInstallationToken({
        ...creds,
        apiBaseUrl,
        fetch: this.#o.fetch ?? this.#fetch,
        now,
        ...(repositories ? { repositories } : {}),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // GitHub names no repository in its refusal; the user needs to know which ones we asked for.
      const hint =
        repositories && err instanceof GitHubAppError && err.status === 422
          ? ` (the token is narrowed to ${repositories.map((r) => `"${r}"`).join(', ')}, as KelosConfig spec.githubApp.tokenScope Repository, the default, asks: install the App on ${repositories.length > 1 ? 'them' : 'it'}, or set tokenScope: Installation)`
          : '';
      return notMinted(`${message}${hint}`);
    }
    const annotations = { [TOKEN_EXPIRY_ANNOTATION]: new Date(minted.expiresAt).toISOString() };
    const data = { [TOKEN_KEY]: Buffer.from(minted.token, 'utf8').toString('base64') };
    if (existing) {
      await this.#o.client.mergePatch(
        Resources.Secret,
        namespace,
        secret,
        { metadata: { annotations }, data },
        { resourceVersion: existing.metadata.resourceVersion },
      );
      list.write(
        `GitHub App token refreshed in Secret ${namespace}/${secret} (expires ${annotations[TOKEN_EXPIRY_ANNOTATION]})`,
      );
    } else {
      const body: SecretObject & { type: string } = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { ...taskChildMeta(task, secret, taskChildLabels(task)), annotations },
        type: 'Opaque',
        data,
      };
      await this.#o.client.createMetadataOnly(Resources.Secret, body);
      list.write(
        `GitHub App token minted into Secret ${namespace}/${secret} (expires ${annotations[TOKEN_EXPIRY_ANNOTATION]})`,
      );
    }
    return remember({ kind: 'ok', secret, expiresAt: minted.expiresAt });
  }
}
