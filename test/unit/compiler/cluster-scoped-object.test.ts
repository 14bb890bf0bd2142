/**
 * `security/cluster-scoped-object` on the project `kelos new` writes: its install bundle's
 * ClusterRoles pass, an app that renders a ClusterRoleBinding to cluster-admin is warned by
 * `kelos synth` and `kelos check`, and the rule is configured like the others.
 */
import { describe, expect, test } from 'vitest';
import { CDK8S, kelos, projectsDisposedAfterEach, scaffoldedProject } from './project.ts';

const make = projectsDisposedAfterEach();

const scaffolded = () => scaffoldedProject(make);

/** An app that binds cluster-admin to a ServiceAccount of its namespace. */
const ADMIN_APP = `import { ApiObject } from '${CDK8S}';
export default function build(scope) {
  new ApiObject(scope, 'admin', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'agent-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: 'default' }],
  });
}
`;

const RULE = 'security/cluster-scoped-object';

/** How many findings of the rule a `--format json` report holds. */
const count = (stdout: string) => stdout.match(new RegExp(`"code": "${RULE}"`, 'g'))?.length ?? 0;

describe(RULE, { timeout: 120_000 }, () => {
  test('the scaffold passes; an app rendering a ClusterRoleBinding to cluster-admin is one warning at it, in synth and check; rules: off turns it off', async () => {
    const p = scaffolded();
    const clean = await kelos(['check', '--format', 'json'], p.root);
    expect(clean.code).toBe(0);
    expect(count(clean.stdout)).toBe(0);

    p.write('apps/escalate/main.ts', ADMIN_APP);
    const synth = await kelos(['synth', '--verbose'], p.root);
    expect(synth.code).toBe(0);
    const warned = synth.stdout.split('\n').filter((l) => l.includes(`[${RULE}]`));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(
      "warning ClusterRoleBinding agent-admin ClusterRoleBinding agent-admin is cluster-scoped, and it grants its ClusterRole in every namespace (to cluster-admin, the whole cluster): an app's Argo CD Application (project default) syncs it to the whole cluster, not to the app's namespace",
    );
    const check = await kelos(['check', '--format', 'json'], p.root);
    expect(count(check.stdout)).toBe(1);

    p.write('kelos.policy.yaml', p.read('kelos.policy.yaml').replace('rules: {}', `rules: { ${RULE}: off }`));
    expect(count((await kelos(['check', '--format', 'json'], p.root)).stdout)).toBe(0);
  });
});
