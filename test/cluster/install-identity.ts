/**
 * The operator's identity as the install grants it: `dist/install` applied to the run's API
 * server (server-side, as Argo CD would), and a token of its ServiceAccount from the
 * TokenRequest API. Operator scenarios connect with it instead of the admin kubeconfig, so a
 * permission the install lacks fails them; {@link RbacRecorder} keeps the requests the
 * operator made in RBAC terms, so a permission it never used can be reported.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  INSTALL_NAMESPACE,
  OPERATOR_NAME,
  type RbacRequest,
  rbacRequestOf,
} from '../../src/install/index.ts';
import type { RequestObserver } from '../../src/kube/client.ts';
import { type Connection, loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { kubeconfigPath, kubectl } from './helpers.ts';
import { installCrds } from './install-crds.ts';

const DIST_INSTALL = join(import.meta.dirname, '../../dist/install');

/** Applies `dir` (a kustomization) server-side, as the install's field manager. */
export async function applyKustomization(dir: string): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=kelos-install', '-k', dir]);
}

/** Applies YAML or JSON server-side. */
export async function applyManifest(text: string): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=kelos-install', '-f', '-'], {
    input: text,
  });
}

/**
 * A connection to the run's API server that authenticates as ServiceAccount
 * `namespace/name` with a TokenRequest token (`kubectl create token`), trusting only the
 * cluster CA: no client certificate, no admin rights.
 */
export async function serviceAccountConnection(namespace: string, name: string): Promise<Connection> {
  const admin = await loadKubeconfigFile(kubeconfigPath());
  const { stdout } = await kubectl(['create', 'token', name, '-n', namespace, '--duration=6h']);
  const token = stdout.trim();
  return {
    server: admin.server,
    tls: { ...(admin.tls.ca && { ca: admin.tls.ca }) },
    headers: async () => ({ authorization: `Bearer ${token}` }),
  };
}

let installed: Promise<Connection> | undefined;

/** Installs the CRDs and `dist/install` once per file, and connects as its ServiceAccount. */
export function installIdentity(): Promise<Connection> {
  installed ??= (async () => {
    await installCrds();
    await applyKustomization(DIST_INSTALL);
    return serviceAccountConnection(INSTALL_NAMESPACE, OPERATOR_NAME);
  })();
  return installed;
}

/** One request the operator made, in RBAC terms, with its HTTP status. */
export interface RecordedRequest extends RbacRequest {
  readonly namespace?: string;
  readonly status: number;
}

/** Records every request of a client in RBAC terms; keeps the forbidden ones apart. */
export class RbacRecorder {
  readonly requests: RecordedRequest[] = [];

  /** The observer to hand to a client or to `Operator.start` (`requestObserver`). */
  readonly observer: RequestObserver = (_verb, _type, status, _ms, detail) => {
    const r = rbacRequestOf(detail.method, detail.path);
    if (r) this.requests.push({ ...r, status });
  };

  /** Requests the API server refused for lack of permission. */
  get forbidden(): RecordedRequest[] {
    return this.requests.filter((r) => r.status === 403);
  }

  /** `verb group/resource` of each forbidden request, deduplicated. */
  forbiddenSummary(): string[] {
    return [
      ...new Set(
        this.forbidden.map(
          (r) => `${r.verb} ${r.apiGroup || 'core'}/${r.resource} in ${r.namespace ?? '(cluster)'}`,
        ),
      ),
    ];
  }

  /**
   * Appends the requests to the run's log next to its kubeconfig, so a whole run's requests
   * can be compared with the granted rules (`npm run` prints nothing of it; read it when a
   * permission is in doubt).
   */
  async flush(label: string): Promise<void> {
    if (!this.requests.length) return;
    const file = join(dirname(kubeconfigPath()), 'operator-rbac-requests.jsonl');
    const lines = this.requests.map((r) => JSON.stringify({ label, ...r })).join('\n');
    await appendFile(file, `${lines}\n`);
  }
}

/** A Lease name of its own for a test, in the install's namespace (the only one it may elect in). */
export const testLeaseName = (): string => `kelos-test-leader-${randomBytes(4).toString('hex')}`;

/**
 * Lets the install's ServiceAccount elect with Lease `name` (get and patch it), which the
 * install grants for `kelos-operator-leader` only: test files that run side by side each elect
 * with a Lease of their own, so they do not take over each other's.
 */
export async function grantTestLease(name: string): Promise<void> {
  await installIdentity();
  const role = `kelos-test-lease-${name}`;
  await applyManifest(
    [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: role, namespace: INSTALL_NAMESPACE },
        rules: [
          {
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            resourceNames: [name],
            verbs: ['get', 'patch'],
          },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: role, namespace: INSTALL_NAMESPACE },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
        subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace: INSTALL_NAMESPACE }],
      },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n'),
  );
}
