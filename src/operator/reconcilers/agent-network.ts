/**
 * The agent NetworkPolicies of each namespace (rendered by `src/render/agent-network-policy.ts`):
 * a small controller keyed by namespace, plus {@link AgentNetworkReconciler.ensure}, which Task
 * admission calls before it creates a Job so no agent Pod ever starts unisolated.
 *
 * Lifecycle, chosen so a Task costs no API write: the policies exist while the namespace has
 * Tasks or agent Pods (a deleted Task's Pod may still be terminating); they are written with
 * server-side apply (forced: a hand edit is taken back) only when the cached object differs
 * from the render, and removed once the last Task and Pod are gone. Changes to the KelosConfig,
 * the namespace's Workspaces and AgentConfigs, and to our policies themselves bring the
 * namespace back.
 *
 * The API server's own addresses come from the `kubernetes` Service's EndpointSlice in
 * `default`, read at most once a minute; until one read succeeds no policy is written, and
 * admission waits (fail closed).
 *
 * @packageDocumentation
 */
import {
  type AgentConfig,
  CLUSTER_RANGES,
  type KelosConfig,
  openRangesReason,
  type Task,
  type Workspace,
} from '../../api/index.ts';
import type { K8sType } from '../../api/k8s/index.ts';
import type { ApiObject, KubeClient } from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import type { Informer } from '../../kube/informer.ts';
import type { Logger } from '../../kube/log.ts';
import type { WorkQueue } from '../../kube/queue.ts';
import {
  isolationDisabled,
  POLICY_LABELS,
  renderAgentNetworkPolicies,
} from '../../render/agent-network-policy.ts';
import type { AdminConfig } from '../admin-config.ts';
import type { CachedPod } from '../children.ts';
import { Resources } from '../resources.ts';
import { jsonEqual } from '../status.ts';

type NetworkPolicy = K8sType<'NetworkPolicy'> & ApiObject;

/** Name of this controller in logs and metrics. */
export const NETWORK_CONTROLLER = 'agent-network';

/** Namespace and name of the EndpointSlice of the `kubernetes` Service (named after it). */
export const API_SERVER_SLICE = { namespace: 'default', name: 'kubernetes' } as const;

/** How long the API server's addresses are reused before they are read again. */
const API_SERVER_TTL_MS = 60_000;

/** What the controller reads and writes. */
export interface AgentNetworkOptions {
  readonly client: KubeClient;
  readonly tasks: Informer<Task>;
  readonly pods: Informer<CachedPod>;
  readonly workspaces: Informer<Workspace>;
  readonly agentConfigs: Informer<AgentConfig>;
  /** Every NetworkPolicy of the watched namespaces (ours, and the ones podOverrides must not reach). */
  readonly policies: Informer<NetworkPolicy>;
  readonly configs: Informer<KelosConfig>;
  readonly admin: () => AdminConfig;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The outcome of {@link AgentNetworkReconciler.ensure}. */
export interface NetworkState {
  /** Set when the admin turned isolation off for the namespace: says how. */
  readonly disabled?: string;
  /** Names of the policies in force in the namespace. */
  readonly policies: readonly string[];
}

/** A spec as the API server returns it: empty lists are omitted there (`omitempty`). */
const withoutEmptyLists = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(withoutEmptyLists);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v).flatMap(([k, x]) =>
      Array.isArray(x) && x.length === 0 ? [] : [[k, withoutEmptyLists(x)]],
    ),
  );
};

/** Whether the cached policy already says what the render says. */
export const sameSpec = (cached: unknown, rendered: unknown): boolean =>
  jsonEqual(withoutEmptyLists(cached), withoutEmptyLists(rendered));

const isOurs = (p: ApiObject): boolean =>
  Object.entries(POLICY_LABELS).every(([k, v]) => p.metadata.labels?.[k] === v);

/** Keeps each namespace's agent NetworkPolicies. */
export class AgentNetworkReconciler {
  readonly #o: AgentNetworkOptions;
  #apiServer: { addresses: string[]; at: number } | undefined;
  #reading: Promise<string[]> | undefined;
  /** One ensure per namespace at a time: a burst of admissions shares it instead of racing to apply. */
  readonly #inFlight = new Map<string, Promise<NetworkState>>();
  /**
   * The last ensure of each namespace that found every policy in place, and what it was made
   * from. Admission ensures before every Job: rendering and comparing the policies each time
   * cost a burst of 1,000 Tasks about a second of CPU for nothing.
   */
  readonly #settled = new Map<
    string,
    { readonly admin: AdminConfig; readonly inputs: string; readonly state: NetworkState }
  >();

  /** The admin config last told about the cluster ranges it leaves open. */
  #rangesToldFor: AdminConfig | undefined;
  /** Whether the last read found no API server address (said once per change). */
  #apiServerUnknown = false;

  constructor(opts: AgentNetworkOptions) {
    this.#o = opts;
  }

  /**
   * Warns, once per admin config and once per change of the API server's addresses, about what
   * the policies cannot keep agents from: without the cluster's ranges the render blocks only
   * link-local addresses and the API server, so in-cluster Pods, Services and nodes stay
   * reachable on the egress ports, and nothing else would tell the admin.
   */
  #tellWhatIsOpen(admin: AdminConfig, apiServer: readonly string[]): void {
    if (this.#rangesToldFor !== admin) {
      this.#rangesToldFor = admin;
      const unset = CLUSTER_RANGES.filter((r) => !admin.network?.[r.field]?.length);
      if (unset.length) {
        this.#o.log.warn('Agent NetworkPolicies leave cluster ranges open', {
          unset: unset.map((r) => `KelosConfig spec.networkIsolation.${r.field}`),
          reason: openRangesReason(unset),
        });
      }
    }
    const unknown = apiServer.length === 0;
    if (unknown === this.#apiServerUnknown) return;
    this.#apiServerUnknown = unknown;
    if (unknown) {
      this.#o.log.warn('Agent NetworkPolicies cannot exclude the API server', {
        endpointSlice: `${API_SERVER_SLICE.namespace}/${API_SERVER_SLICE.name}`,
        reason:
          "the EndpointSlice of the kubernetes Service is missing or lists no address; agent Pods may reach the API server unless KelosConfig spec.networkIsolation's nodeCIDRs or blockedCIDRs cover it",
      });
    } else {
      this.#o.log.info('Agent NetworkPolicies exclude the API server again', { addresses: apiServer });
    }
  }

  /** The namespace's NetworkPolicies from the cache (ours and others). */
  policiesIn(namespace: string): NetworkPolicy[] {
    return this.#o.policies.list(namespace);
  }

  /** Maps informer events to namespace keys on `queue`. */
  register(queue: WorkQueue): void {
    const o = this.#o;
    const ns = (obj: ApiObject) => obj.metadata.namespace ?? '';
    // A new Task needs the policy (admission also ensures it); the last one gone removes it.
    o.tasks.onChange((type, _k, t) => type !== 'update' && queue.add(ns(t)));
    o.pods.onChange((type, _k, p) => type === 'delete' && queue.add(ns(p)));
    // Repository ports and allowances follow Workspaces and AgentConfigs.
    o.workspaces.onChange((_t, _k, w) => queue.add(ns(w)));
    o.agentConfigs.onChange((_t, _k, c) => queue.add(ns(c)));
    // A hand edit or deletion of our policy is taken back.
    o.policies.onChange((_t, _k, p) => isOurs(p) && queue.add(ns(p)));
    o.configs.onChange(() => {
      for (const n of this.#namespaces()) queue.add(n);
    });
  }

  /** Namespaces with Tasks or with our policies. */
  #namespaces(): Set<string> {
    const out = new Set<string>();
    for (const t of this.#o.tasks.list()) out.add(t.metadata.namespace ?? '');
    for (const p of this.#o.policies.list()) if (isOurs(p)) out.add(p.metadata.namespace ?? '');
    return out;
  }

  /**
   * Reads the API server's addresses ahead of the first admission, which otherwise waits for
   * that read before it can write the namespace's policies. A failure is retried then.
   */
  warmUp(): void {
    this.#apiServerAddresses().catch((err: unknown) =>
      this.#o.log.debug('Reading the API server addresses failed; admission reads them again', {
        error: err,
      }),
    );
  }

  /** Re-reads the API server's addresses when the last read is older than a minute. */
  #apiServerAddresses(): Promise<string[]> {
    const now = this.#o.clock.now();
    if (this.#apiServer && now - this.#apiServer.at < API_SERVER_TTL_MS)
      return Promise.resolve(this.#apiServer.addresses);
    // One read at a time: the warm-up's and the first admissions' share it.
    this.#reading ??= (async () => {
      const slice = await this.#o.client.get<ApiObject & { endpoints?: Array<{ addresses?: string[] }> }>(
        Resources.EndpointSlice,
        API_SERVER_SLICE.namespace,
        API_SERVER_SLICE.name,
      );
      const addresses = [...new Set((slice?.endpoints ?? []).flatMap((e) => e.addresses ?? []))].sort();
      this.#apiServer = { addresses, at: now };
      return addresses;
    })().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  /**
   * Makes the namespace's policies match the render: applies the ones that differ from the
   * cache and deletes ours that are no longer wanted. Called by admission before each Job.
   */
  ensure(namespace: string): Promise<NetworkState> {
    const running = this.#inFlight.get(namespace);
    if (running) return running;
    const p = this.#ensure(namespace).finally(() => this.#inFlight.delete(namespace));
    this.#inFlight.set(namespace, p);
    return p;
  }

  async #ensure(namespace: string): Promise<NetworkState> {
    const o = this.#o;
    const admin = o.admin();
    const isolation = admin.network;
    const workspaces = o.workspaces.list(namespace);
    const agentConfigs = o.agentConfigs.list(namespace);
    const disabled = isolationDisabled(isolation, namespace);
    const apiServerAddresses = disabled ? [] : await this.#apiServerAddresses();
    if (!disabled) this.#tellWhatIsOpen(admin, apiServerAddresses);
    // Everything the render reads and every policy it is compared with, by version (the admin
    // config is resolved anew when its KelosConfig changes): when none changed since the last
    // ensure that found the policies in place, they still are.
    const inputs = JSON.stringify([
      apiServerAddresses,
      [workspaces, agentConfigs, o.policies.list(namespace)].map((objs) =>
        objs.map((x) => `${x.metadata.name}@${x.metadata.resourceVersion}`),
      ),
    ]);
    const settled = this.#settled.get(namespace);
    if (settled?.admin === admin && settled.inputs === inputs) return settled.state;
    const rendered = renderAgentNetworkPolicies({
      namespace,
      isolation,
      workspaces,
      agentConfigs,
      apiServerAddresses,
    });
    if (rendered.ignored.length)
      o.log.warn('Ignored invalid networkIsolation settings', { namespace, ignored: rendered.ignored });
    const wanted = new Set(rendered.policies.map((p) => p.metadata?.name ?? ''));
    let wrote = false;
    for (const p of rendered.policies) {
      const cached = o.policies.get(namespace, p.metadata?.name ?? '');
      if (cached && sameSpec(cached.spec, p.spec) && isOurs(cached)) continue;
      await o.client.apply(Resources.NetworkPolicy, p as NetworkPolicy, { force: true });
      wrote = true;
      o.log.info('Applied agent NetworkPolicy', { namespace, name: p.metadata?.name });
    }
    wrote = (await this.#remove(namespace, (p) => !wanted.has(p.metadata.name ?? ''))) || wrote;
    const state = { ...(rendered.disabled ? { disabled: rendered.disabled } : {}), policies: [...wanted] };
    // After a write the cache shows new versions: the next ensure compares once more.
    if (wrote) this.#settled.delete(namespace);
    else this.#settled.set(namespace, { admin, inputs, state });
    return state;
  }

  /** Deletes our policies of `namespace` that `which` selects; whether it deleted any. */
  async #remove(namespace: string, which: (p: NetworkPolicy) => boolean): Promise<boolean> {
    let removed = false;
    for (const p of this.#o.policies.list(namespace)) {
      if (!isOurs(p) || !which(p) || p.metadata.deletionTimestamp) continue;
      await this.#o.client.delete(Resources.NetworkPolicy, namespace, p.metadata.name ?? '', {
        uid: p.metadata.uid,
      });
      removed = true;
      this.#o.log.info('Removed agent NetworkPolicy', { namespace, name: p.metadata.name });
    }
    return removed;
  }

  /** Reconciles the namespace `key`: policies while it has Tasks or agent Pods, none after. */
  async reconcile(key: string): Promise<undefined> {
    const o = this.#o;
    if (o.tasks.any(key) || o.pods.any(key)) await this.ensure(key);
    else {
      this.#settled.delete(key);
      await this.#remove(key, () => true);
    }
    return undefined;
  }
}
