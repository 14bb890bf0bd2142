import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BUILTIN_RULE_IDS, BUILTIN_RULES } from '../../policies/index.ts';
import { compileAdmissionPolicies } from '../../src/policy/admission.ts';
import { DEFAULT_POLICY_CONFIG } from '../../src/policy/config.ts';
import { runPolicies } from '../../src/policy/engine.ts';
import { loadPolicyConfig } from '../../src/policy/load-config.ts';
import { documentFromObject } from '../../src/validate/load.ts';
import { freshNamespace, kubectl, waitFor } from './helpers.ts';
import { installCrds } from './install-crds.ts';

/** A Task with a memory limit (hygiene/agent-memory-limit) unless its podOverrides set resources. */
const task = (name: string, worker: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name, ...((extra['metadata'] as object) ?? {}) },
  spec: {
    prompt: 'Fix the flaky test.',
    worker: {
      type: 'claude-code',
      credentials: { type: 'api-key', secretRef: { name: 'anthropic' } },
      ...worker,
      podOverrides: {
        resources: { limits: { memory: '8Gi' } },
        ...((worker['podOverrides'] as object | undefined) ?? {}),
      },
    },
    ttlSecondsAfterFinished: 3600,
  },
});

/** What the offline checker says about an object: error messages of the compiled rules. */
const offlineErrors = (object: Record<string, unknown>): string[] =>
  runPolicies(
    [documentFromObject({ ...object, metadata: { ...(object['metadata'] as object), namespace: 'x' } })],
    {
      config: DEFAULT_POLICY_CONFIG,
      rules: BUILTIN_RULES.filter((r) => r.admission && r.scope === 'object'),
    },
  )
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => d.message);

/** Creates an object with kubectl; resolves to its stderr (warnings), rejects with the server's refusal. */
const create = async (namespace: string, object: object): Promise<string> =>
  (await kubectl(['create', '-n', namespace, '-f', '-'], { input: JSON.stringify(object) })).stderr;

describe('ValidatingAdmissionPolicies compiled from the policies', () => {
  let namespace: string;
  /** A namespace the admin's KelosConfig grants opt-outs in (spec.admission.exemptNamespaces). */
  let granted: string;
  let names: string[] = [];

  beforeAll(async () => {
    await installCrds();
    namespace = await freshNamespace('vap');
    granted = await freshNamespace('vap-granted');
    // dist/policies grants no opt-out; compile the same rules and config with one grant, as
    // `kelos check --emit-admission-policies --admin-config` does (a unit test holds dist/
    // to the compiler's output without a grant).
    const config = await loadPolicyConfig(join(import.meta.dirname, '../..'), BUILTIN_RULE_IDS);
    // The selector grants nothing here; it is there so the API server type-checks its CEL too.
    const compiled = compileAdmissionPolicies(BUILTIN_RULES, config, {
      exemptNamespaces: [granted],
      exemptNamespaceSelector: {
        matchLabels: { 'kelos.test/exempt': 'never' },
        matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['prod'] }],
      },
    });
    // The bindings are cluster-wide; other test files share this control plane, so scope them
    // to this test's namespaces.
    const objects = compiled
      .flatMap((c) => c.objects)
      .map((o) =>
        o['kind'] === 'ValidatingAdmissionPolicyBinding'
          ? {
              ...o,
              spec: {
                ...(o['spec'] as object),
                matchResources: {
                  namespaceSelector: {
                    matchExpressions: [
                      { key: 'kubernetes.io/metadata.name', operator: 'In', values: [namespace, granted] },
                    ],
                  },
                },
              },
            }
          : o,
      );
    names = [...new Set(objects.map((o) => (o['metadata'] as { name: string }).name))];
    await kubectl(['apply', '--server-side', '--field-manager=kelos-tests', '-f', '-'], {
      input: objects.map((o) => stringify(o)).join('---\n'),
    });
  });

  afterAll(async () => {
    if (names.length === 0) return;
    await kubectl([
      'delete',
      '--ignore-not-found',
      ...names.flatMap((n) => [`validatingadmissionpolicybinding/${n}`, `validatingadmissionpolicy/${n}`]),
    ]);
  });

  it('the API server type-checks every compiled expression against our CRDs without warnings', async () => {
    await waitFor('type checking of every compiled policy', async () => {
      const { stdout } = await kubectl([
        'get',
        'validatingadmissionpolicies',
        '-l',
        'app.kubernetes.io/part-of=kelos',
        '-o',
        'json',
      ]);
      const items = JSON.parse(stdout).items as Array<{
        metadata: { generation: number };
        status?: { observedGeneration?: number };
      }>;
      return items.length > 0 && items.every((i) => i.status?.observedGeneration === i.metadata.generation);
    });
    const { stdout } = await kubectl([
      'get',
      'validatingadmissionpolicies',
      '-l',
      'app.kubernetes.io/part-of=kelos',
      '-o',
      'json',
    ]);
    const items = JSON.parse(stdout).items as Array<{
      metadata: { name: string };
      status: { typeChecking?: { expressionWarnings?: Array<{ fieldRef: string; warning: string }> } };
    }>;
    const warnings = items.flatMap((i) =>
      (i.status.typeChecking?.expressionWarnings ?? []).map(
        (w) => `${i.metadata.name} ${w.fieldRef}: ${w.warning}`,
      ),
    );
    expect(warnings).toStrictEqual([]);
    expect(items.map((i) => i.metadata.name).sort()).toStrictEqual(names.sort());
  });

  it('rejects a Task over the deadline ceiling with the same message kelos check prints', async () => {
    const violating = task('too-long', { podOverrides: { activeDeadlineSeconds: 86_400 } });
    const message = 'activeDeadlineSeconds is 86400, over the ceiling of 14400';
    expect(offlineErrors(violating)).toStrictEqual([message]);
    // A new policy takes effect once the API server's policy informer has it: poll.
    let refusal = '';
    await waitFor(
      'the deadline policy to reject a Task',
      async () => {
        try {
          await kubectl(['create', '--dry-run=server', '-n', namespace, '-f', '-'], {
            input: JSON.stringify(violating),
          });
          return false;
        } catch (err) {
          refusal = (err as Error).message;
          return refusal.includes('denied request');
        }
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(refusal).toContain(
      `ValidatingAdmissionPolicy 'kelos-budget-active-deadline-tasks' with binding 'kelos-budget-active-deadline-tasks' denied request: ${message}`,
    );
    await expect(create(namespace, violating)).rejects.toThrow(message);
  });

  it('rejects a privileged Task and an uncapped TaskSpawner with the rules’ messages', async () => {
    const privileged = task('privileged', {
      podOverrides: { activeDeadlineSeconds: 3600, containerSecurityContext: { privileged: true } },
    });
    expect(offlineErrors(privileged)).toStrictEqual(['the agent container is privileged']);
    await expect(create(namespace, privileged)).rejects.toThrow(
      "ValidatingAdmissionPolicy 'kelos-security-pod-security-tasks' with binding 'kelos-security-pod-security-tasks' denied request: the agent container is privileged",
    );

    // What the operator's floor refuses at run time, the server refuses at admission.
    const escalating = task('escalating', {
      podOverrides: {
        activeDeadlineSeconds: 3600,
        podSecurityContext: { seccompProfile: { type: 'Unconfined' } },
        containerSecurityContext: { allowPrivilegeEscalation: true, runAsNonRoot: false },
      },
    });
    const refused = offlineErrors(escalating);
    expect(refused).toHaveLength(3);
    const denial = create(namespace, escalating);
    await expect(denial).rejects.toThrow(
      "ValidatingAdmissionPolicy 'kelos-security-pod-security-tasks' with binding 'kelos-security-pod-security-tasks' denied request: ",
    );
    const message = String(await denial.catch((e: Error) => e.message));
    expect(refused.some((m) => message.includes(m))).toBe(true);

    // A volume the node mounts (outside the restricted profile), as the floor refuses it.
    const nfs = task('nfs', {
      podOverrides: {
        activeDeadlineSeconds: 3600,
        volumes: [{ name: 'cache', nfs: { server: '10.0.0.5', path: '/exports' } }],
      },
    });
    expect(offlineErrors(nfs)).toStrictEqual([
      'volume "cache" is of type nfs, which the node mounts (the restricted Pod Security Standard allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)',
    ]);
    await expect(create(namespace, nfs)).rejects.toThrow(
      'denied request: a volume is of a type the node mounts (the restricted Pod Security Standard allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)',
    );

    const spawner = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskSpawner',
      metadata: { name: 'too-wide' },
      spec: {
        when: { cron: { schedule: '0 9 * * 1' } },
        taskTemplate: {
          worker: {
            type: 'claude-code',
            credentials: { type: 'api-key', secretRef: { name: 'anthropic' } },
            podOverrides: { activeDeadlineSeconds: 3600 },
          },
          ttlSecondsAfterFinished: 60,
        },
        maxConcurrency: 50,
        maxTotalTasks: 100,
      },
    };
    expect(offlineErrors(spawner)).toStrictEqual(['maxConcurrency is 50, over the ceiling of 10']);
    await expect(create(namespace, spawner)).rejects.toThrow(
      'denied request: maxConcurrency is 50, over the ceiling of 10',
    );
  });

  it('admits a compliant Task, and warns (without rejecting) on a warning rule', async () => {
    const compliant = task('compliant', {
      model: 'claude-sonnet-4-5',
      podOverrides: { activeDeadlineSeconds: 3600 },
    });
    expect(offlineErrors(compliant)).toStrictEqual([]);
    expect(await create(namespace, compliant)).toBe('');

    // A dated snapshot is its model (RE2's `\\d` in the server's CEL); a suffix that is no date is not.
    const snapshot = task('snapshot', {
      model: 'claude-sonnet-4-5-20250929',
      podOverrides: { activeDeadlineSeconds: 3600 },
    });
    expect(offlineErrors(snapshot)).toStrictEqual([]);
    expect(await create(namespace, snapshot)).toBe('');
    const latest = task('latest', {
      model: 'claude-sonnet-4-5-latest',
      podOverrides: { activeDeadlineSeconds: 3600 },
    });
    expect(offlineErrors(latest)).toHaveLength(1);
    await expect(create(namespace, latest)).rejects.toThrow(
      'denied request: model "claude-sonnet-4-5-latest" is not allowed for claude-code',
    );

    const { ttlSecondsAfterFinished: _ttl, ...specWithoutTtl } = compliant.spec;
    const warned = await create(namespace, {
      ...compliant,
      metadata: { name: 'no-ttl' },
      spec: specWithoutTtl,
    });
    expect(warned).toContain(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'kelos-hygiene-ttl-seconds-after-finished-tasks' with binding 'kelos-hygiene-ttl-seconds-after-finished-tasks': ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them",
    );
    const { stdout } = await kubectl(['get', 'task', 'no-ttl', '-n', namespace, '-o', 'name']);
    expect(stdout.trim()).toBe('task.kelos.dev/no-ttl');

    const unbounded = task('no-memory-limit', {
      podOverrides: { activeDeadlineSeconds: 3600, resources: {} },
    });
    expect(offlineErrors(unbounded)).toStrictEqual([]);
    expect(await create(namespace, unbounded)).toContain(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'kelos-hygiene-agent-memory-limit-tasks' with binding 'kelos-hygiene-agent-memory-limit-tasks': the agent has no memory limit, so it may take all the memory of its node and get other Pods OOM-killed or evicted; set podOverrides.resources.limits.memory",
    );
  });

  it('honours a reasoned opt-out only in a namespace the admin granted, and never one without a reason', async () => {
    const optedOut = (name: string, annotations: Record<string, string>) => ({
      ...task(name, { podOverrides: { activeDeadlineSeconds: 86_400 } }),
      metadata: { name, annotations },
    });
    const reasoned = {
      'policy.kelos.dev/ignore': 'hygiene/ttl-seconds-after-finished, budget/active-deadline',
      'policy.kelos.dev/ignore-reason': 'nightly fuzzing needs a day',
    };
    expect(await create(granted, optedOut('long-on-purpose', reasoned))).toBe('');
    // The Task author's own annotation is not enough where the admin granted nothing.
    await expect(create(namespace, optedOut('long-on-purpose', reasoned))).rejects.toThrow(
      'denied request: activeDeadlineSeconds is 86400, over the ceiling of 14400',
    );
    await expect(
      create(granted, optedOut('long-no-reason', { 'policy.kelos.dev/ignore': 'budget/active-deadline' })),
    ).rejects.toThrow('denied request: activeDeadlineSeconds is 86400, over the ceiling of 14400');
  });
});
