import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BUILTIN_RULE_IDS, BUILTIN_RULES } from '../../policies/index.ts';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { compileAdmissionPolicies } from '../../src/policy/admission.ts';
import { loadPolicyConfig } from '../../src/policy/load-config.ts';
import { kelos, standInOperator } from './cli-helpers.ts';
import { freshNamespace, kubeconfigPath, kubectl, waitFor } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { createSecret, testClient } from './operator-helpers.ts';

/**
 * `kelos run` against the ValidatingAdmissionPolicies `kelos check --emit-admission-policies`
 * writes, renamed and bound to this file's namespace only, so admission-policy.test.ts (which
 * binds the same policies to its own namespaces) can run beside it on the same control plane.
 */
describe('kelos run under admission policies', () => {
  let ns: string;
  let names: string[] = [];
  let client: HttpKubeClient | undefined;
  let removeOperator: (() => Promise<void>) | undefined;
  const run = (...args: string[]) =>
    kelos(['run', '--kubeconfig', kubeconfigPath(), '-n', ns, '--secret', 'anthropic', ...args]);

  beforeAll(async () => {
    await installCrds();
    ns = await freshNamespace('cli-vap');
    // With an operator (standing in) installed, and the Secret the runs name, the only lines on
    // stderr are the API server's.
    client = await testClient();
    removeOperator = await standInOperator(client, ns);
    await createSecret(client, ns, 'anthropic', { ANTHROPIC_API_KEY: 'x' });
    const config = await loadPolicyConfig(join(import.meta.dirname, '../..'), BUILTIN_RULE_IDS);
    const rename = (name: string) => `cli-${name}`;
    const objects = compileAdmissionPolicies(BUILTIN_RULES, config)
      .flatMap((c) => c.objects)
      .map((o) => {
        const metadata = o['metadata'] as { name: string };
        const spec = o['spec'] as Record<string, unknown>;
        return {
          ...o,
          metadata: { ...metadata, name: rename(metadata.name) },
          spec:
            o['kind'] === 'ValidatingAdmissionPolicyBinding'
              ? {
                  ...spec,
                  policyName: rename(spec['policyName'] as string),
                  matchResources: {
                    namespaceSelector: {
                      matchExpressions: [
                        { key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] },
                      ],
                    },
                  },
                }
              : spec,
        };
      });
    names = [...new Set(objects.map((o) => o.metadata.name))];
    await kubectl(['apply', '--server-side', '--field-manager=kelos-tests', '-f', '-'], {
      input: objects.map((o) => stringify(o)).join('---\n'),
    });
    // Policies take effect a moment after they are written, each on its own: the denying one is
    // probed, and the warning one by a server-side dry run of the Task the first test creates
    // (nothing stored), or that test can run before it warns.
    await waitFor(
      'the deadline policy to reject a Task',
      async () => (await run('-p', 'x', '--timeout', '24h', '--name', 'probe')).code === 1,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Named apart from the probe above, which the API server stores if it ran before the denying
    // policy was in force: a dry run of a name taken fails with AlreadyExists, not a warning.
    const task = (await run('-p', 'x', '--timeout', '10m', '--name', 'probe-dry', '--dry-run')).stdout;
    await waitFor(
      'the memory-limit policy to warn on a Task',
      async () =>
        (
          await kubectl(['create', '--dry-run=server', '-f', '-'], { input: task }).catch(() => ({
            stderr: '',
          }))
        ).stderr.includes("'cli-kelos-hygiene-agent-memory-limit-tasks'"),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  afterAll(async () => {
    await removeOperator?.();
    client?.close();
    if (names.length === 0) return;
    await kubectl([
      'delete',
      '--ignore-not-found',
      ...names.flatMap((n) => [`validatingadmissionpolicybinding/${n}`, `validatingadmissionpolicy/${n}`]),
    ]);
  });

  it("prints the API server's warnings on stderr, as kubectl does", async () => {
    const r = await run('-p', 'fix the flaky test', '--timeout', '10m', '--name', 'warned');
    expect(r).toMatchObject({ code: 0, stdout: 'task/warned created\n' });
    expect(r.stderr).toContain(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'cli-kelos-hygiene-agent-memory-limit-tasks' with binding 'cli-kelos-hygiene-agent-memory-limit-tasks': the agent has no memory limit",
    );
    // One line per warning, each once.
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.every((l) => l.startsWith('Warning: '))).toBe(true);
    expect(new Set(lines).size).toBe(lines.length);
  });

  it("names the flag behind the field an admission policy's denial names", async () => {
    const r = await run('-p', 'fix the flaky test', '--timeout', '24h', '--name', 'denied');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      "ValidatingAdmissionPolicy 'cli-kelos-budget-active-deadline-tasks' with binding 'cli-kelos-budget-active-deadline-tasks' denied request: activeDeadlineSeconds is 86400, over the ceiling of 14400",
    );
    expect(r.stderr).toMatch(/ \(set by --timeout\)\n$/);
    expect(await kubectl(['get', 'tasks', '-n', ns, '-o', 'name'])).toMatchObject({
      stdout: 'task.kelos.dev/warned\n',
    });
  });
});
