/**
 * The Secret step of admission, run on the rendered Pod before the Job is created: every
 * Secret the Pod cannot start without (a non-optional `secretKeyRef`, `envFrom` or secret
 * volume) must exist in the Task's namespace. Without this check the Job's Pod waits for
 * ever in `CreateContainerConfigError` (or `ContainerCreating` for a volume), and the Task sits
 * in `Pending`; with it, the Task waits with `ReferencesResolved=False` (reason
 * `SecretNotFound`) naming the Secret, the field that references it and the command that
 * creates it, and is admitted once the Secret exists.
 *
 * Only existence is checked, with a metadata-only GET: no value is read, logged or kept.
 *
 * Why a GET per admission and not a Secret watch: the operator watches no Secrets, and the
 * install grants `get`, `create` and `patch` on Secrets in the watched namespaces, not `list`
 * or `watch` (which would let it read every Secret of every tenant namespace, and a cache of
 * them, even metadata-only, grows with Secrets the operator has no business with). A Task is
 * admitted once, so a GET or two per Task is cheap; a Task that waits looks again with a
 * backoff (from 5 s up to a minute) instead of an event, and on every reconcile its own
 * events bring. The GET is in the Task's namespace, which the operator watches, so the
 * namespaced client's fence lets it through.
 *
 * A burst shares its reads ({@link SecretPresence}): Tasks that name the same Secret at the same
 * time wait for one GET, and a Secret seen to exist is believed for {@link SECRET_SEEN_MS}.
 * Measured with `bench/operator.ts` (1,000 Tasks naming one Secret, 64 in flight): the
 * per-Task GET put a second API round trip in front of every Job create, and a burst's
 * Tasks queued behind it. A Secret deleted inside that window is no worse off than one deleted
 * after admission: the Pod waits, and the Task's Pending message names the Secret.
 *
 * @packageDocumentation
 */
import type { AgentConfig, Task, Workspace } from '../../../api/index.ts';
import type { K8sType } from '../../../api/k8s/index.ts';
import { type ApiObject, isStatus } from '../../../kube/client.ts';
import type { Clock } from '../../../kube/clock.ts';
import type { PodSpec } from '../../../render/pod-defaults.ts';
import { resolveCredentials, resolvePodOverrides } from '../../../render/resolve.ts';
import { appCredentialsOf } from '../../github-app.ts';
import { Resources } from '../../resources.ts';
import { nameOf, type TaskReconcilerOptions } from './options.ts';

type Container = K8sType<'Container'>;

/** Bounds of the re-check of a Task waiting for a Secret (see {@link secretRetryMs}). */
const SECRET_RETRY_MIN_MS = 5_000;
const SECRET_RETRY_MAX_MS = 60_000;

/**
 * When a Task that has waited `waitedMs` for a Secret looks again: after as long again,
 * between 5 s and a minute, so the re-checks back off geometrically. Derived from the time
 * waited, not from a count, as the reconciles the Task's own status write brings would
 * count too.
 */
export const secretRetryMs = (waitedMs: number): number =>
  Math.min(SECRET_RETRY_MAX_MS, Math.max(SECRET_RETRY_MIN_MS, waitedMs));

/**
 * Each reference the Pod's containers make to a Secret: its name, the key it reads by name
 * (none for `envFrom` and whole-Secret volumes) and whether it is optional. Not
 * `imagePullSecrets`, which only the kubelet reads.
 */
function* secretReferences(pod: PodSpec): Generator<{ name: string; key?: string; optional: boolean }> {
  const ref = (name: string | undefined, optional: boolean | undefined, key?: string) =>
    name ? [{ name, optional: optional === true, ...(key && { key }) }] : [];
  for (const v of pod.volumes ?? []) {
    const sources = [
      ...(v.secret ? [{ name: v.secret.secretName, ...v.secret }] : []),
      ...(v.projected?.sources ?? []).flatMap((s) => (s.secret ? [s.secret] : [])),
    ];
    for (const secret of sources) {
      yield* ref(secret.name, secret.optional);
      for (const item of secret.items ?? []) yield* ref(secret.name, secret.optional, item.key);
    }
  }
  const containers: Container[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      const key = e.valueFrom?.secretKeyRef;
      yield* ref(key?.name, key?.optional, key?.key);
    }
    for (const from of c.envFrom ?? []) yield* ref(from.secretRef?.name, from.secretRef?.optional);
  }
}

/**
 * The Secrets a Pod cannot start without, by name, each with the keys it reads by name
 * (empty for `envFrom` and whole-Secret volumes). Optional references are left out: the
 * kubelet starts the Pod without them. `imagePullSecrets` too: a missing one only makes the
 * kubelet pull anonymously, and an image that then cannot be pulled is told by the Pod.
 */
export function requiredSecrets(pod: PodSpec): Map<string, Set<string>> {
  const needed = new Map<string, Set<string>>();
  for (const { name, key, optional } of secretReferences(pod)) {
    if (optional) continue;
    const keys = needed.get(name) ?? new Set<string>();
    if (key) keys.add(key);
    needed.set(name, keys);
  }
  return needed;
}

/** Every Secret the Pod's containers can read, by name, optional references included. */
export const readableSecrets = (pod: PodSpec): Set<string> =>
  new Set([...secretReferences(pod)].map((r) => r.name));

/**
 * The Secrets holding GitHub App keys (`privateKey`) that the Pod could read: the App key is
 * the operator's to sign with and never reaches an agent Pod, whoever asks for it (a Task's
 * `podOverrides` volume or env, an extra container's `envFrom`). Only Secrets a Workspace of
 * the namespace names are App Secrets to the operator, so only those are read (with their
 * data, as the token step reads them); `known` says of the Task's own Workspace Secret what the
 * token step found in it (App keys or not), which costs no second read.
 */
export async function appSecretsReadBy(
  o: TaskReconcilerOptions,
  task: Task,
  pod: PodSpec,
  known: ReadonlyMap<string, boolean>,
): Promise<string[]> {
  const { namespace } = nameOf(task);
  const readable = readableSecrets(pod);
  const named = new Set(
    o.caches.workspaces
      .list(namespace)
      .map((w) => w.spec?.secretRef?.name)
      .filter((n): n is string => !!n),
  );
  const found: string[] = [];
  for (const name of [...readable].sort()) {
    const app = known.get(name);
    if (app !== undefined) {
      if (app) found.push(name);
      continue;
    }
    if (!named.has(name)) continue;
    let data: Record<string, string> | undefined;
    try {
      data = (
        await o.client.get<{ data?: Record<string, string> } & ApiObject>(Resources.Secret, namespace, name)
      )?.data;
    } catch (err) {
      // Without `get` on Secrets the token step cannot read App keys either.
      if (!isStatus(err, 403)) throw err;
    }
    if (appCredentialsOf(data)) found.push(name);
  }
  return found;
}

/** `/spec/worker/credentials` → `spec.worker.credentials`. */
const dotted = (pointer: string): string => pointer.replace(/^\//, '').replaceAll('/', '.');

/**
 * Where each Secret name the Pod reads comes from, as the field a user edits: a field of the
 * Task (`spec.worker.credentials.secretRef.name`), or of the Workspace or an AgentConfig it
 * names (`Workspace repo spec.secretRef.name`). The first reference of a name wins.
 */
export function secretFields(
  task: Task,
  workspace: Workspace | undefined,
  agentConfigs: readonly AgentConfig[],
): Map<string, string> {
  const fields = new Map<string, string>();
  const add = (name: string | undefined, field: string) => {
    if (name && !fields.has(name)) fields.set(name, field);
  };
  const creds = resolveCredentials(task);
  add(creds?.value.secretRef?.name, `${dotted(creds?.path ?? '')}.secretRef.name`);
  if (workspace)
    add(workspace.spec.secretRef?.name, `Workspace ${workspace.metadata.name} spec.secretRef.name`);
  for (const ac of agentConfigs) {
    const of = `AgentConfig ${ac.metadata.name}`;
    for (const [i, s] of (ac.spec.skills ?? []).entries()) {
      add(s.secretRef?.name, `${of} spec.skills[${i}].secretRef.name`);
    }
    for (const [i, s] of (ac.spec.mcpServers ?? []).entries()) {
      const at = `${of} spec.mcpServers[${i}]`;
      add(s.headersFrom?.secretRef.name, `${at}.headersFrom.secretRef.name`);
      add(s.envFrom?.secretRef.name, `${at}.envFrom.secretRef.name`);
      for (const [j, e] of (s.env ?? []).entries()) {
        add(e.valueFrom?.secretKeyRef?.name, `${at}.env[${j}].valueFrom.secretKeyRef.name`);
      }
    }
  }
  const po = resolvePodOverrides(task);
  if (po) {
    const at = dotted(po.path);
    for (const [j, e] of (po.value.env ?? []).entries()) {
      add(e.valueFrom?.secretKeyRef?.name, `${at}.env[${j}].valueFrom.secretKeyRef.name`);
    }
    for (const [j, v] of (po.value.volumes ?? []).entries()) {
      add(v.secret?.secretName, `${at}.volumes[${j}].secret.secretName`);
      for (const [k, src] of (v.projected?.sources ?? []).entries()) {
        add(src.secret?.name, `${at}.volumes[${j}].projected.sources[${k}].secret.name`);
      }
    }
  }
  return fields;
}

/** How long a Secret seen to exist is believed to without another GET. */
export const SECRET_SEEN_MS = 10_000;

/** Entries kept at most before the expired ones are swept: far more Secrets than a burst names. */
const SEEN_SWEEP_AT = 1_000;

/**
 * Whether Secrets exist, read with one GET per Secret at a time and believed for
 * {@link SECRET_SEEN_MS} once seen. Absence is never remembered: a Task waiting for a Secret
 * must see it as soon as it is created. Only names and times are kept, never a Secret's data.
 */
export class SecretPresence {
  readonly #clock: Clock;
  /** `namespace/name` → when it was last seen to exist (clock ms). */
  readonly #seen = new Map<string, number>();
  readonly #reading = new Map<string, Promise<boolean | undefined>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Whether the Secret exists; undefined when the RBAC in force does not grant `get` on
   * Secrets there. `read` is true when this call started a GET (for the checklist's count).
   */
  async exists(
    o: Pick<TaskReconcilerOptions, 'client'>,
    namespace: string,
    name: string,
  ): Promise<{ exists: boolean | undefined; read: boolean }> {
    const key = `${namespace}/${name}`;
    const now = this.#clock.now();
    const seen = this.#seen.get(key);
    if (seen !== undefined && now - seen < SECRET_SEEN_MS) return { exists: true, read: false };
    const running = this.#reading.get(key);
    if (running) return { exists: await running, read: false };
    const reading = this.#read(o, namespace, name).finally(() => this.#reading.delete(key));
    this.#reading.set(key, reading);
    const exists = await reading;
    if (exists) this.#remember(key);
    else this.#seen.delete(key);
    return { exists, read: true };
  }

  async #read(o: Pick<TaskReconcilerOptions, 'client'>, namespace: string, name: string) {
    try {
      // Metadata only: the Secret's data never reaches this process.
      return (await o.client.getMetadata(Resources.Secret, namespace, name)) !== undefined;
    } catch (err) {
      // Without `get` on Secrets (a trimmed-down RBAC) the check cannot tell; the Pod will.
      if (!isStatus(err, 403)) throw err;
      return undefined;
    }
  }

  #remember(key: string): void {
    const now = this.#clock.now();
    if (this.#seen.size >= SEEN_SWEEP_AT) {
      for (const [k, at] of this.#seen) if (now - at >= SECRET_SEEN_MS) this.#seen.delete(k);
    }
    this.#seen.set(key, now);
  }
}

/** A Secret the Pod needs that does not exist. */
export interface MissingSecret {
  readonly name: string;
  /** The field that names it (see {@link secretFields}). */
  readonly field: string;
  /** The keys the Pod reads by name, for the `kubectl create secret` hint. */
  readonly keys: readonly string[];
}

/** What the Secret step found. */
export interface SecretCheck {
  readonly missing: readonly MissingSecret[];
  /** Secrets read from the API server by this check (the rest were known or seen lately). */
  readonly reads: number;
  /** Secrets whose existence could not be told (403: the RBAC in force does not grant `get`). */
  readonly unknown: readonly string[];
}

/**
 * Checks that every Secret `pod` cannot start without exists in the Task's namespace.
 * `fieldsOf` names the field behind each Secret ({@link secretFields}); it runs only when one
 * is missing. `known` holds what admission already knows (the Workspace Secret the GitHub App step read,
 * the token Secret it wrote): those cost no read.
 */
export async function checkSecrets(
  o: TaskReconcilerOptions,
  presence: SecretPresence,
  task: Task,
  pod: PodSpec,
  fieldsOf: () => ReadonlyMap<string, string>,
  known: ReadonlyMap<string, boolean>,
): Promise<SecretCheck> {
  const { namespace } = nameOf(task);
  const needed = [...requiredSecrets(pod)];
  let reads = 0;
  const unknown: string[] = [];
  const exists = await Promise.all(
    needed.map(async ([name]) => {
      const k = known.get(name);
      if (k !== undefined) return k;
      const { exists, read } = await presence.exists(o, namespace, name);
      if (read) reads++;
      if (exists !== undefined) return exists;
      unknown.push(name);
      return true;
    }),
  );
  const absent = needed.filter((_, i) => !exists[i]);
  // Which field names each Secret is only worth working out for a Secret that is missing.
  const fields = absent.length ? fieldsOf() : new Map<string, string>();
  const missing = absent.map(([name, keys]) => ({
    name,
    field: fields.get(name) ?? "the Job's Pod template",
    keys: [...keys],
  }));
  return { missing, reads, unknown };
}

/**
 * The status message of a Task waiting for Secrets: each Secret, the field that names it and
 * the command that creates it (with the keys the Pod reads, when it reads them by name).
 */
export function describeMissingSecrets(namespace: string, missing: readonly MissingSecret[]): string {
  return missing
    .map((m) => {
      const literals = (m.keys.length ? m.keys : ['<key>'])
        .map((k) => ` --from-literal=${k}=<value>`)
        .join('');
      return `Secret ${namespace}/${m.name} (referenced by ${m.field}) does not exist; create it: kubectl create secret generic ${m.name} -n ${namespace}${literals}`;
    })
    .join('; ');
}
