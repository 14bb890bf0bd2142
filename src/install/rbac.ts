/**
 * The operator's permissions: one table that the install constructs render into
 * ClusterRoles and Roles and that the operator checks its own requests against, so the
 * two cannot drift. A rule says where it is granted:
 *
 * - `watched`: in every namespace the operator reconciles (cluster-wide in the
 *   cluster-wide install, a Role per watched namespace in the namespaced one);
 * - `own`: only in the operator's own namespace (the leader-election Lease);
 * - `cluster`: cluster-wide in both installs (cluster-scoped kinds, such as the admin's
 *   KelosConfig, which no Role can grant);
 * - `apiserver`: only in namespace `default`, where the `kubernetes` Service's EndpointSlice
 *   names the API server's addresses (which agent Pods must not reach).
 *
 * Each rule carries why it exists; a rule whose verb no request exercises names the
 * mechanism that needs it (`indirect`), so the RBAC test can tell a deliberate grant from
 * an unused one.
 *
 * @packageDocumentation
 */

import { LEASE_NAME } from './defaults.ts';

/** Where a rule is granted. */
export type RbacScope = 'watched' | 'own' | 'cluster' | 'apiserver';

/** Namespace of the `apiserver` scope. */
export const API_SERVER_NAMESPACE = 'default';

/** One RBAC rule of the operator. */
export interface OperatorRbacRule {
  readonly apiGroups: readonly string[];
  /** Resources, with `resource/subresource` for subresources. */
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly scope: RbacScope;
  /**
   * Only these objects (RBAC `resourceNames`): for a rule whose verbs all name one object (get,
   * patch), never for create, list or watch, which name none.
   */
  readonly resourceNames?: readonly string[];
  /** Why the operator needs it. */
  readonly why: string;
  /**
   * Set when no request of the operator's client uses the rule and the API server checks it
   * on the operator's behalf instead (e.g. the OwnerReferencesPermissionEnforcement
   * admission plugin). Says which mechanism.
   */
  readonly indirect?: string;
  /**
   * Set when the operator's client makes the request only on a race that no deterministic
   * scenario reaches (the RBAC test accepts it unused; the spawner scenarios exercise it when
   * the race happens). Says which race.
   */
  readonly race?: string;
}

/** A plain RBAC `PolicyRule`, as a Role or ClusterRole holds it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** RBAC rules the operator needs; the install manifests are generated from this table. */
export const OPERATOR_RBAC_RULES: readonly OperatorRbacRule[] = [
  {
    apiGroups: ['kelos.dev'],
    resources: ['tasks'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
    scope: 'watched',
    why: 'reconciles Tasks: finalizer and budget-label patches, TTL deletion; TaskSpawners create their Tasks, withdraw queued ones and retrigger finished ones',
  },
  {
    apiGroups: ['kelos.dev'],
    resources: ['tasks'],
    verbs: ['get'],
    scope: 'watched',
    why: 'a TaskSpawner whose create meets AlreadyExists reads the live Task to tell its own from a name collision',
    race: 'the create races the Task cache (the spawner plans from the cache, so a Task it can see is never created twice)',
  },
  {
    apiGroups: ['kelos.dev'],
    resources: ['tasks/status', 'taskbudgets/status', 'taskspawners/status'],
    verbs: ['patch'],
    scope: 'watched',
    why: 'writes status through the status subresource',
  },
  {
    apiGroups: ['kelos.dev'],
    resources: ['tasks/finalizers', 'taskspawners/finalizers'],
    verbs: ['update'],
    scope: 'watched',
    why: 'Jobs, ConfigMaps and Secrets are owned by their Task, and Tasks by their TaskSpawner, with blockOwnerDeletion',
    indirect:
      'OwnerReferencesPermissionEnforcement: setting blockOwnerDeletion needs update on the owner’s finalizers',
  },
  {
    apiGroups: ['kelos.dev'],
    resources: ['workspaces', 'agentconfigs', 'taskbudgets', 'taskspawners'],
    verbs: ['list', 'watch'],
    scope: 'watched',
    why: 'informers: references, budgets and spawners are read from the cache',
  },
  {
    apiGroups: ['authentication.k8s.io'],
    resources: ['tokenreviews'],
    verbs: ['create'],
    scope: 'cluster',
    why: '/metrics (--metrics-auth kubernetes): which user a scraper’s bearer token names',
  },
  {
    apiGroups: ['authorization.k8s.io'],
    resources: ['subjectaccessreviews'],
    verbs: ['create'],
    scope: 'cluster',
    why: '/metrics (--metrics-auth kubernetes): whether that user may get the non-resource URL /metrics',
  },
  {
    apiGroups: ['kelos.dev'],
    resources: ['kelosconfigs'],
    verbs: ['list', 'watch'],
    scope: 'cluster',
    why: 'informer: the cluster admin’s KelosConfig (pod security floor, outbound hosts, rates)',
  },
  {
    apiGroups: ['kelos.dev'],
    resources: ['taskrecords'],
    verbs: ['list', 'watch', 'create', 'delete'],
    scope: 'watched',
    why: 'one usage record per finished Task; records past retention are deleted',
  },
  {
    apiGroups: ['batch'],
    resources: ['jobs'],
    verbs: ['get', 'list', 'watch', 'create', 'delete'],
    scope: 'watched',
    why: 'one Job per Task',
  },
  {
    apiGroups: [''],
    resources: ['pods'],
    verbs: ['list', 'watch'],
    scope: 'watched',
    why: 'phase and termination message of the agent Pod',
  },
  {
    apiGroups: [''],
    resources: ['pods/log'],
    verbs: ['get'],
    scope: 'watched',
    why: 'outputs from the log when the termination message is empty',
  },
  {
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['get', 'create'],
    scope: 'watched',
    why: 'the per-Task ConfigMap (AgentConfig instructions, MCP document, files); the webhook ledger and its sealed archives',
  },
  {
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['patch'],
    scope: 'watched',
    why: 'the webhook ledger of each webhook TaskSpawner (processed deliveries, Task serial numbers) is written with optimistic concurrency',
  },
  {
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['delete'],
    scope: 'watched',
    why: 'a webhook ledger left by a deleted TaskSpawner of the same name is replaced; ledger archives past retention are removed',
    race: 'the ledger is owned by its spawner, so garbage collection usually removes it before a new spawner of the same name needs it',
  },
  {
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['get', 'create', 'patch'],
    scope: 'watched',
    why: 'Workspace Secrets with GitHub App keys are read; the minted token Secrets are written',
  },
  {
    apiGroups: ['events.k8s.io'],
    resources: ['events'],
    verbs: ['create'],
    scope: 'watched',
    why: 'an Event on every phase change',
  },
  {
    apiGroups: ['events.k8s.io'],
    resources: ['events'],
    verbs: ['patch'],
    scope: 'watched',
    why: 'an Event that repeats within 6 minutes is counted into the first one (its series), as client-go does, instead of being created again',
    race: 'only when the same Event repeats within 6 minutes and the series count is written; the scenario makes no such repeat (the spawner scenarios do)',
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies'],
    verbs: ['list', 'watch', 'patch', 'delete'],
    scope: 'watched',
    why: 'the agent NetworkPolicies of each namespace with Tasks (server-side apply, removed with the last Task); the other policies, so podOverrides labels cannot join a more permissive one',
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies'],
    verbs: ['create'],
    scope: 'watched',
    why: 'the first server-side apply of a namespace’s agent NetworkPolicy creates it',
    indirect: 'server-side apply: a PATCH that creates the object is authorized as create',
  },
  {
    apiGroups: ['discovery.k8s.io'],
    resources: ['endpointslices'],
    verbs: ['get'],
    // Named after the `kubernetes` Service, as the EndpointSlice controller names it; no other
    // Service's endpoints in `default` are the operator's business.
    resourceNames: ['kubernetes'],
    scope: 'apiserver',
    why: 'the API server’s addresses (EndpointSlice default/kubernetes), which the agent NetworkPolicy blocks',
  },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'patch'],
    // The install always runs `--lease-name=kelos-operator-leader` (extraArgs may not change
    // it), so no other Lease of the namespace is the operator's to read or take over.
    resourceNames: [LEASE_NAME],
    scope: 'own',
    why: 'leader election: reads, renews and releases its Lease',
  },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['create'],
    // Kept apart: a create names no object RBAC could restrict it to.
    scope: 'own',
    why: 'leader election: the first replica creates the Lease',
  },
];

/** The rules of one scope, as plain `PolicyRule`s (sorted, deduplicated copies). */
export const policyRules = (scope: RbacScope, rules = OPERATOR_RBAC_RULES): PolicyRule[] =>
  rules
    .filter((r) => r.scope === scope)
    .map((r) => ({
      apiGroups: [...r.apiGroups],
      resources: [...r.resources],
      verbs: [...r.verbs],
      ...(r.resourceNames && { resourceNames: [...r.resourceNames] }),
    }));

/** One API request in RBAC terms. */
export interface RbacRequest {
  /** RBAC verb: `get`, `list`, `watch`, `create`, `patch`, `update`, `delete`. */
  readonly verb: string;
  readonly apiGroup: string;
  /** `resource` or `resource/subresource`. */
  readonly resource: string;
  /**
   * The object the request names (a get, patch, update or delete of one object); unset for a
   * list, watch, create or deletecollection, which name none.
   */
  readonly name?: string;
}

/**
 * Whether `rule` grants `request`. As Kubernetes RBAC: a rule with `resourceNames` grants only
 * requests naming one of them, so never a list, watch or create (a Role naming the Lease
 * `kelos-operator-leader` does not grant a get of another Lease).
 */
export const grants = (
  rule: Pick<OperatorRbacRule, 'apiGroups' | 'resources' | 'verbs' | 'resourceNames'>,
  request: RbacRequest,
) =>
  (rule.apiGroups.includes(request.apiGroup) || rule.apiGroups.includes('*')) &&
  (rule.resources.includes(request.resource) || rule.resources.includes('*')) &&
  (rule.verbs.includes(request.verb) || rule.verbs.includes('*')) &&
  (!rule.resourceNames?.length || (request.name !== undefined && rule.resourceNames.includes(request.name)));

/** The rules of the table that grant `request` (empty: the install does not allow it). */
export const rulesGranting = (request: RbacRequest, rules = OPERATOR_RBAC_RULES): OperatorRbacRule[] =>
  rules.filter((r) => grants(r, request));

/**
 * The RBAC request of an HTTP request to the API server, from its method and path (what the
 * API server's request-info resolver does, for the paths a controller uses).
 *
 * @returns undefined for a path that is not a resource request.
 */
export const rbacRequestOf = (
  method: string,
  url: string,
): (RbacRequest & { namespace?: string }) | undefined => {
  const u = new URL(url, 'https://api.invalid');
  const parts = u.pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] as string;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource) return undefined;
  const watch = u.searchParams.get('watch') === 'true' || u.searchParams.get('watch') === '1';
  const verb = (() => {
    switch (method.toUpperCase()) {
      case 'GET':
        return name === undefined ? (watch ? 'watch' : 'list') : 'get';
      case 'POST':
        return 'create';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      case 'DELETE':
        return name === undefined ? 'deletecollection' : 'delete';
      default:
        return method.toLowerCase();
    }
  })();
  return {
    verb,
    apiGroup: group,
    resource: sub ? `${resource}/${sub}` : resource,
    ...(namespace !== undefined && { namespace }),
    ...(name !== undefined && { name }),
  };
};

/**
 * The fields of the operator's `Forbidden by RBAC` log line for a request the API server
 * refused (403): the request in RBAC terms, and whether the install's table grants it (if not,
 * the table lacks a rule; if it does, the cluster's roles differ from what the install
 * renders). Undefined for a path that is not a resource request.
 */
export const forbiddenRequestFields = (
  method: string,
  url: string,
  rules = OPERATOR_RBAC_RULES,
): (ReturnType<typeof rbacRequestOf> & { grantedByInstall: boolean }) | undefined => {
  const request = rbacRequestOf(method, url);
  return request && { ...request, grantedByInstall: rulesGranting(request, rules).length > 0 };
};
