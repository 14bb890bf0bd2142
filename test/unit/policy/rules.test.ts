import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BUILTIN_RULES } from '../../../policies/index.ts';
import { runPolicies } from '../../../src/policy/engine.ts';
import { formatResource } from '../../../src/validate/diagnostic.ts';
import { parseManifests, validateDocuments } from '../../../src/validate/index.ts';
import { loadFixture, ROOT, TEST_CONFIG } from './fixtures.ts';

/** `Kind ns/name path :: message`, one line per finding, in report order. */
type Expected = readonly string[];

// Every built-in rule: what its failing fixture must produce, verbatim. Its passing fixture must
// produce nothing. Each fixture runs through that one rule only, so other rules cannot mask it.
const FAIL: Readonly<Record<string, Expected>> = {
  'budget/spawner-max-concurrency': [
    'TaskSpawner team-a/no-cap /spec/maxConcurrency :: maxConcurrency is not set or 0, so the spawner may run any number of Tasks at once; set it between 1 and 10',
    'TaskSpawner team-a/zero /spec/maxConcurrency :: maxConcurrency is not set or 0, so the spawner may run any number of Tasks at once; set it between 1 and 10',
    'TaskSpawner team-a/too-many /spec/maxConcurrency :: maxConcurrency is 50, over the ceiling of 10',
  ],
  'budget/spawner-max-total-tasks': [
    'TaskSpawner team-a/endless /spec/maxTotalTasks :: maxTotalTasks is not set or 0, so the spawner may create Tasks without end; set a lifetime cap',
  ],
  'budget/active-deadline': [
    'Task team-a/unbounded /spec/worker/podOverrides/activeDeadlineSeconds :: activeDeadlineSeconds is not set, so a run may last forever; set podOverrides.activeDeadlineSeconds at or under 14400',
    'TaskSpawner team-a/all-day /spec/taskTemplate/podOverrides/activeDeadlineSeconds :: activeDeadlineSeconds is 86400, over the ceiling of 14400',
  ],
  'budget/namespace-covered': [
    "TaskSpawner team-c/orphan  :: no TaskBudget in namespace team-c covers this spawner's Tasks, so nothing limits what they spend",
    "TaskSpawner team-a/web-fixes /spec/taskTemplate :: none of the TaskBudgets in namespace team-a (platform-daily) selects this spawner's Tasks (labels team=web, kelos.dev/taskspawner=web-fixes)",
  ],
  'budget/model-allowlist': [
    'Task team-a/old-model /spec/worker/model :: model "gpt-4o" is not allowed for codex; allowed: gpt-5, gpt-5-codex, gpt-5-mini',
    'TaskSpawner team-a/legacy-model /spec/taskTemplate/model :: model "claude-3-opus" is not allowed for claude-code; allowed: claude-opus-4-1, claude-opus-4-5, claude-sonnet-4-5, claude-haiku-4-5, opus, sonnet, haiku',
    'Task team-a/not-a-snapshot /spec/worker/model :: model "claude-sonnet-4-5-latest" is not allowed for claude-code; allowed: claude-opus-4-1, claude-opus-4-5, claude-sonnet-4-5, claude-haiku-4-5, opus, sonnet, haiku',
    'Task team-a/dated-unlisted /spec/worker/model :: model "claude-3-opus-20240229" is not allowed for claude-code; allowed: claude-opus-4-1, claude-opus-4-5, claude-sonnet-4-5, claude-haiku-4-5, opus, sonnet, haiku',
  ],
  'budget/effort-allowlist': [
    'TaskSpawner team-a/max-effort /spec/taskTemplate/worker/effort :: effort "max" is not allowed; allowed: minimal, low, medium, high',
  ],
  'forecast/budget-worst-case': [
    'TaskBudget team-a/platform-daily /spec/maxCostUSD :: worst case is unbounded: TaskSpawner uncapped has no maxConcurrency',
    'TaskBudget team-a/platform-daily /spec/maxCostUSD :: worst case of TaskSpawner quoted is unknown: maxConcurrency is "2", not a number, so this policy cannot judge it; write it as a number (kelos validate reports the schema error)',
    'TaskBudget team-a/platform-daily /spec/maxCostUSD :: worst case is unbounded: TaskSpawner no-deadline has no activeDeadlineSeconds',
    'TaskBudget team-a/platform-daily /spec/maxCostUSD :: worst case $558.00/Daily = 3 concurrent × 24h × $6.00/h (TaskSpawner fix-bugs: claude-code claude-sonnet-4-5) + 24 runs × 1h × $4.00/h (TaskSpawner hourly-sync: codex default model, cron "0 * * * *") + 1 run × 2h × $15.00/h (Task migrate-db: claude-code claude-opus-4-1-20250805); limit $50.00',
    'TaskBudget research/research-weekly /spec/maxCostUSD :: worst case $1,200.00/Weekly = 2 concurrent × 200h × $3.00/h (TaskSpawner long-runs: gemini gemini-2.5-pro); limit $1,000.00',
  ],
  'concurrency/shared-workspace-branch': [
    "TaskSpawner team-a/nightly-lint /spec/taskTemplate :: shares Workspace app with TaskSpawner team-a/nightly-deps and neither sets taskTemplate.branch, so their Tasks can push to the workspace's branch at the same time with no branch lock",
  ],
  'concurrency/cron-overlap': [
    'TaskSpawner team-a/quarter-hourly /spec/when/cron/schedule :: cron "*/15 * * * *" fires every 15m but a run may last 1h (activeDeadlineSeconds 3600), so up to 4 runs can overlap',
    'TaskSpawner team-a/every-minute /spec/when/cron/schedule :: cron "* * * * *" fires every 1m but a run may last 10m (activeDeadlineSeconds 600), so up to 2 runs can overlap (maxConcurrency 2); the other runs due queue behind them',
  ],
  'concurrency/poll-interval': [
    'TaskSpawner team-a/impatient /spec/when/githubPullRequests/pollInterval :: githubPullRequests.pollInterval 10s is under the floor of 1m',
  ],
  'security/literal-secret': [
    'Secret team-a/anthropic /stringData :: Secret carries literal values under stringData (ANTHROPIC_API_KEY); committed manifests must not hold credentials',
    'Secret team-a/github-token /data :: Secret carries literal values under data (GITHUB_TOKEN, GH_HOST); committed manifests must not hold credentials',
  ],
  'security/cluster-scoped-object': [
    "ClusterRoleBinding agent-admin  :: ClusterRoleBinding agent-admin is cluster-scoped, and it grants its ClusterRole in every namespace (to cluster-admin, the whole cluster): an app's Argo CD Application (project default) syncs it to the whole cluster, not to the app's namespace",
    "PriorityClass agents-first  :: PriorityClass agents-first is cluster-scoped, and its Pods may preempt every other namespace's Pods: an app's Argo CD Application (project default) syncs it to the whole cluster, not to the app's namespace",
    "CustomResourceDefinition widgets.example.com  :: CustomResourceDefinition widgets.example.com is cluster-scoped, and it adds an API for the whole cluster, and deleting it deletes every object of it: an app's Argo CD Application (project default) syncs it to the whole cluster, not to the app's namespace",
  ],
  'security/credentials-secret-ref': [
    'Task team-a/inline-key /spec/worker/podOverrides/env/0/value :: env ANTHROPIC_API_KEY has a literal value; credentials must come from a Secret through valueFrom.secretKeyRef',
    'AgentConfig team-a/tools /spec/mcpServers/0/headers/Authorization :: header Authorization has a literal value; credentials must come from a Secret through headersFrom',
    'AgentConfig team-a/tools /spec/mcpServers/1/env/0/value :: env PGPASSWORD has a literal value; credentials must come from a Secret through valueFrom.secretKeyRef',
    'TaskSpawner team-a/with-context /spec/taskTemplate/contextSources/0/http/headers/X-Api-Key :: header X-Api-Key has a literal value; credentials must come from a Secret through headersFrom',
  ],
  'security/pod-security': [
    "Task team-a/escalated /spec/worker/podOverrides/hostNetwork :: podOverrides asks for hostNetwork, which shares the node's namespaces with the agent",
    'Task team-a/escalated /spec/worker/podOverrides/podSecurityContext/runAsUser :: the Pod runs as root (podSecurityContext.runAsUser 0)',
    'Task team-a/escalated /spec/worker/podOverrides/containerSecurityContext/privileged :: the agent container is privileged',
    'Task team-a/escalated /spec/worker/podOverrides/containerSecurityContext/runAsUser :: the agent container runs as root (runAsUser 0)',
    'Task team-a/escalated /spec/worker/podOverrides/containerSecurityContext/capabilities/add :: the agent container adds capabilities NET_ADMIN, SYS_ADMIN',
    'Task team-a/escalated /spec/worker/podOverrides/volumes/0/hostPath :: volume "docker" mounts the node path /var/run/docker.sock (hostPath)',
    'Task team-a/escalated /spec/worker/podOverrides/volumes/1/nfs :: volume "cache" is of type nfs, which the node mounts (the restricted Pod Security Standard allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)',
    'Task team-a/escalated /spec/worker/podOverrides/extraInitContainers/0/securityContext/privileged :: extraInitContainers[0] "setup" is privileged',
    'Task team-a/escalating /spec/worker/podOverrides/containerSecurityContext/allowPrivilegeEscalation :: the agent container allows privilege escalation (allowPrivilegeEscalation true)',
    'Task team-a/root-allowed /spec/worker/podOverrides/podSecurityContext/runAsNonRoot :: the Pod may run as root (podSecurityContext.runAsNonRoot false)',
    'Task team-a/root-allowed /spec/worker/podOverrides/containerSecurityContext/runAsNonRoot :: the agent container may run as root (runAsNonRoot false)',
    'Task team-a/unconfined /spec/worker/podOverrides/podSecurityContext/seccompProfile/type :: the Pod runs without seccomp (podSecurityContext.seccompProfile.type Unconfined)',
    'Task team-a/unconfined /spec/worker/podOverrides/containerSecurityContext/seccompProfile/type :: the agent container runs without seccomp (seccompProfile.type Unconfined)',
    'Task team-a/sidecar-escalating /spec/worker/podOverrides/extraContainers/0/securityContext/allowPrivilegeEscalation :: extraContainers[0] "db" allows privilege escalation (allowPrivilegeEscalation true)',
    'Task team-a/apparmor-off /spec/worker/podOverrides/podSecurityContext/appArmorProfile/type :: the Pod runs without AppArmor (podSecurityContext.appArmorProfile.type Unconfined)',
    'Task team-a/apparmor-off /spec/worker/podOverrides/containerSecurityContext/appArmorProfile/type :: the agent container runs without AppArmor (appArmorProfile.type Unconfined)',
    'Task team-a/apparmor-off /spec/worker/podOverrides/containerSecurityContext/procMount :: the agent container mounts /proc unmasked (procMount Unmasked)',
    'Task team-a/apparmor-off /spec/worker/podOverrides/extraContainers/0/securityContext/procMount :: extraContainers[0] "probe" mounts /proc unmasked (procMount Unmasked)',
    'Task team-a/baseline-breaker /spec/worker/podOverrides/podSecurityContext/seLinuxOptions/type :: the Pod runs as SELinux type "spc_t", not a container type (container_t, container_init_t, container_kvm_t, container_engine_t)',
    'Task team-a/baseline-breaker /spec/worker/podOverrides/podSecurityContext/sysctls/1/name :: the Pod sets sysctl kernel.msgmax, outside the safe set (podSecurityContext.sysctls)',
    'Task team-a/baseline-breaker /spec/worker/podOverrides/containerSecurityContext/seLinuxOptions/role :: the agent container sets an SELinux role (seLinuxOptions.role)',
    'Task team-a/baseline-breaker /spec/worker/podOverrides/containerSecurityContext/windowsOptions/hostProcess :: the agent container runs as a Windows host process (windowsOptions.hostProcess)',
    'Task team-a/baseline-breaker /spec/worker/podOverrides/extraContainers/0/ports/0/hostPort :: extraContainers[0] "sshd" binds host port 2222 (ports.hostPort)',
  ],
  'security/service-account': [
    'Task team-a/bedrock-irsa /spec/worker/podOverrides/serviceAccountName :: the agent runs as ServiceAccount "bedrock-agent-sa" (serviceAccountName), its identity to the API server and, through IRSA or Workload Identity, to the cloud: the operator refuses it unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it',
    'TaskSpawner team-a/legacy-irsa /spec/taskTemplate/podOverrides/serviceAccountName :: the agent runs as ServiceAccount "workload-identity-sa" (serviceAccountName), its identity to the API server and, through IRSA or Workload Identity, to the cloud: the operator refuses it unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it',
  ],
  'security/network-isolation': [
    "KelosConfig kelos /spec/networkIsolation :: agent NetworkPolicies leave cluster ranges open: spec.networkIsolation.serviceCIDRs, spec.networkIsolation.nodeCIDRs are not set; agent Pods may reach the cluster's Services, nodes on their egress ports (443 unless egressPorts says otherwise): set the cluster's ranges in the KelosConfig",
    'KelosConfig kelos /spec/networkIsolation/exemptNamespaces/0 :: namespace team-b runs agents (TaskSpawner nightly) without network isolation: it is in networkIsolation.exemptNamespaces, so they can reach every Pod and Service of the cluster',
    'AgentConfig team-a/tools /spec/networkAllowances/0 :: network allowance "search-mcp" is not granted to namespace team-a (tenantNamespaces), so Tasks using this AgentConfig fail',
    'AgentConfig team-a/tools /spec/networkAllowances/1 :: network allowance "postgres" is not in KelosConfig spec.networkIsolation.inClusterAllowances, so Tasks using this AgentConfig fail',
  ],
  'security/image-registry': [
    'TaskSpawner team-a/custom-image /spec/taskTemplate/image :: image "docker.io/someone/agent:latest" is not from an allowed registry (ghcr.io/kelos-ts)',
    'TaskSpawner team-a/custom-image /spec/taskTemplate/podOverrides/extraContainers/0/image :: image "postgres:16" is not from an allowed registry (ghcr.io/kelos-ts)',
  ],
  'security/webhook-signing-secret': [
    'TaskSpawner team-a/alerts /spec/when/webhook :: generic webhook source "alertmanager" has no secretRef, so anyone who can reach /webhook/alertmanager can create Tasks',
  ],
  'security/github-trigger-restricted': [
    'TaskSpawner team-a/open-issues /spec/when/githubIssues :: githubIssues lets anyone who can open an issue trigger a Task whose prompt is their text',
    'TaskSpawner team-a/open-prs /spec/when/githubPullRequests :: githubPullRequests lets anyone who can open a pull request trigger a Task whose prompt is their text',
    'TaskSpawner team-a/any-sender /spec/when/githubWebhook :: githubWebhook lets any sender trigger a Task whose prompt is their text',
  ],
  'security/exclude-bot-authors': [
    "TaskSpawner team-a/loops /spec/when/githubIssues/excludeAuthors :: githubIssues.excludeAuthors lacks the bot identity kelos-bot, so the agent's own work can trigger it again",
    "TaskSpawner team-a/webhook-loops /spec/when/githubWebhook :: githubWebhook.excludeAuthors lacks the bot identity kelos-bot, so the agent's own work can trigger it again",
    'TaskSpawner team-a/own-issues /spec/when/githubIssues/author :: githubIssues.author is the bot identity kelos-bot and no commentPolicy.triggerComment gates its items, so every item the agent opens starts another Task',
  ],
  'hygiene/ttl-seconds-after-finished': [
    'Task team-a/hoarder /spec/ttlSecondsAfterFinished :: ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
    'TaskSpawner team-a/hoarding-spawner /spec/taskTemplate/ttlSecondsAfterFinished :: ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them',
    'Task team-a/rerun /spec/ttlSecondsAfterFinished :: ttlSecondsAfterFinished is set on a Task kept in Git (kelos.dev/lifecycle: git): the TTL deletes it, Argo CD self-heal creates it again, and the agent runs again; leave the TTL unset and remove the Task from Git to clean it up',
  ],
  'hygiene/agent-memory-limit': [
    'Task team-a/unbounded /spec/worker/podOverrides/resources/limits/memory :: the agent has no memory limit, so it may take all the memory of its node and get other Pods OOM-killed or evicted; set podOverrides.resources.limits.memory',
    'Task team-a/request-only /spec/worker/podOverrides/resources/limits/memory :: the agent has no memory limit, so it may take all the memory of its node and get other Pods OOM-killed or evicted; set podOverrides.resources.limits.memory',
    'TaskSpawner team-a/empty-limit /spec/taskTemplate/worker/podOverrides/resources/limits/memory :: the agent has no memory limit, so it may take all the memory of its node and get other Pods OOM-killed or evicted; set podOverrides.resources.limits.memory',
    'TaskSpawner team-a/legacy-unbounded /spec/taskTemplate/podOverrides/resources/limits/memory :: the agent has no memory limit, so it may take all the memory of its node and get other Pods OOM-killed or evicted; set podOverrides.resources.limits.memory',
  ],
  'hygiene/budget-labels': [
    'Task team-a/unlabelled /metadata/labels :: has no label team, which TaskBudget team-a/by-team, TaskBudget team-a/by-team-and-tier select on, so its Tasks escape those budgets',
    'Task team-a/unlabelled /metadata/labels :: has no label tier, which TaskBudget team-a/by-team-and-tier selects on, so its Tasks escape that budget',
    'TaskSpawner team-a/half-labelled /spec/taskTemplate/metadata/labels :: has no label tier, which TaskBudget team-a/by-team-and-tier selects on, so its Tasks escape that budget',
  ],
  'hygiene/model-name': [
    'Task team-a/sonet /spec/worker/model :: model "claude-sonet-4-5" is not a known claude-code model; did you mean "claude-sonnet-4-5"? (the forecast prices it at the claude-code default rate)',
    'TaskSpawner team-a/codx /spec/taskTemplate/worker/model :: model "gpt-5-codx" is not a known codex model; did you mean "gpt-5-codex"? (the forecast prices it at the codex default rate)',
    'TaskSpawner team-a/legacy /spec/taskTemplate/model :: model "gemni-2.5-pro" is not a known gemini model; did you mean "gemini-2.5-pro"? (the forecast prices it at the gemini default rate)',
    'Task team-a/dated /spec/worker/model :: model "claude-hiaku-4-5-20251001" is not a known claude-code model; did you mean "claude-haiku-4-5-20251001"? (the forecast prices it at the claude-code default rate)',
    'Task team-a/capital /spec/worker/model :: model "Opus" is not a known claude-code model; did you mean "opus"? (the forecast prices it at the claude-code default rate)',
  ],
};

const fixtureDir = (id: string) => id.replace('/', '-');

const findings = (id: string, file: 'pass' | 'fail') => {
  const rule = BUILTIN_RULES.find((r) => r.id === id)!;
  const report = runPolicies(loadFixture(`${fixtureDir(id)}/${file}.yaml`), {
    config: TEST_CONFIG,
    rules: [rule],
  });
  return report.diagnostics.map(
    (d) => `${d.resource ? formatResource(d.resource) : ''} ${d.path} :: ${d.message}`,
  );
};

/** The rule and the hint of each finding of its failing fixture, by path. */
const failingHints = (id: string) => {
  const rule = BUILTIN_RULES.find((r) => r.id === id)!;
  const report = runPolicies(loadFixture(`${fixtureDir(id)}/fail.yaml`), {
    config: TEST_CONFIG,
    rules: [rule],
  });
  return { rule, hints: Object.fromEntries(report.diagnostics.map((d) => [d.path, d.hint])) };
};

describe('built-in rules', () => {
  test('every rule has a fixture pair and an expectation, and ids are unique', () => {
    expect(Object.keys(FAIL).sort()).toStrictEqual(BUILTIN_RULES.map((r) => r.id).sort());
    expect(new Set(BUILTIN_RULES.map((r) => r.id)).size).toBe(BUILTIN_RULES.length);
  });

  test.each(BUILTIN_RULES.map((r) => r.id))('%s: the passing fixture has no finding', (id) => {
    expect(findings(id, 'pass')).toStrictEqual([]);
  });

  test.each(BUILTIN_RULES.map((r) => r.id))(
    '%s: the failing fixture has exactly the expected findings',
    (id) => {
      expect(findings(id, 'fail')).toStrictEqual(FAIL[id]);
    },
  );

  test("security/cluster-scoped-object leaves the operator install's cluster-wide RBAC and the kelos.dev CRDs alone", () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'security/cluster-scoped-object')!;
    const report = runPolicies(loadFixture('security-cluster-scoped-object/install.yaml'), {
      config: TEST_CONFIG,
      rules: [rule],
    });
    expect(report.diagnostics).toStrictEqual([]);
  });

  test('a githubWebhook source, which has no commentPolicy, is hinted at author filters', () => {
    const { rule, hints } = failingHints('security/github-trigger-restricted');
    expect(hints['/spec/when/githubWebhook']).toBe(
      'Give every entry of githubWebhook.filters an author (the logins allowed to trigger it).',
    );
    expect(hints['/spec/when/githubIssues']).toBe(rule.hint);
  });

  test('a hostPath volume is hinted at volumes that are not the node, the other pod-security findings at removing the setting', () => {
    const { rule, hints } = failingHints('security/pod-security');
    expect(hints['/spec/worker/podOverrides/volumes/0/hostPath']).toBe(
      'Mount the data through a PersistentVolumeClaim or a ConfigMap instead of a node path.',
    );
    expect(hints['/spec/worker/podOverrides/containerSecurityContext/privileged']).toBe(rule.hint);
    expect(rule.hint).not.toContain('hostPath');
  });

  test('a covered object with no price is hinted at what prices it, not at spending less', () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'forecast/budget-worst-case')!;
    const report = runPolicies(loadFixture(`${fixtureDir(rule.id)}/fail.yaml`), {
      config: TEST_CONFIG,
      rules: [rule],
    });
    const hintOf = (start: string) => report.diagnostics.find((d) => d.message.startsWith(start))?.hint;
    expect(hintOf('worst case of TaskSpawner quoted is unknown')).toBe(
      'kelos validate locates the schema error at the field; once it holds a number, the forecast prices it.',
    );
    expect(hintOf('worst case is unbounded: TaskSpawner uncapped')).toBe(
      'Set maxConcurrency (spawners) and podOverrides.activeDeadlineSeconds: without both, a run has no bound to price.',
    );
    // Over the limit: the rule's own hint.
    expect(hintOf('worst case $558.00/Daily')).toBe(rule.hint);
  });

  test('an agent type the schema refuses is its enum error alone: the forecast neither prices it nor asks for its rate', () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'forecast/budget-worst-case')!;
    const worker = (type: string) =>
      `worker: {type: ${type}, credentials: {type: none}, podOverrides: {activeDeadlineSeconds: 3600}}`;
    const docs = parseManifests(
      `apiVersion: kelos.dev/v1alpha2
kind: TaskBudget
metadata: {name: platform-daily, namespace: team-a}
spec:
  taskSelector: {matchLabels: {team: platform}}
  period: {type: Daily, timezone: UTC}
  maxCostUSD: "50"
---
apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata: {name: responder, namespace: team-a}
spec:
  when: {githubPullRequests: {}}
  maxConcurrency: 2
  taskTemplate:
    metadata: {labels: {team: platform}}
    ${worker('claude')}
    promptTemplate: Review.
---
apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: {name: migrate, namespace: team-a, labels: {team: platform}}
spec:
  prompt: Migrate.
  ${worker('claude')}
---
apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: {name: lint, namespace: team-a, labels: {team: platform}}
spec:
  prompt: Lint.
  ${worker('codex')}
`,
      'apps.yaml',
    ).documents;
    const schema = validateDocuments(docs).filter((d) => d.severity === 'error');
    expect(schema.map((d) => `${d.code} ${d.resource?.name} ${d.path}`)).toStrictEqual([
      'schema/enum responder /spec/taskTemplate/worker/type',
      'schema/enum migrate /spec/worker/type',
    ]);
    const report = runPolicies(docs, { config: TEST_CONFIG, rules: [rule] });
    // Nothing about claude's rates; the codex Task is still priced (under the limit: no finding).
    expect(report.diagnostics.map((d) => d.message)).toStrictEqual([]);
    const over = runPolicies(docs, {
      config: { ...TEST_CONFIG, rates: { ...TEST_CONFIG.rates, codex: { default: 100 } } },
      rules: [rule],
    });
    expect(over.diagnostics.map((d) => d.message)).toStrictEqual([
      'worst case $100.00/Daily = 1 run × 1h × $100.00/h (Task lint: codex default model); limit $50.00',
    ]);
  });

  test('a budget forecasts the spawners and Tasks another bundle deploys into its namespace, as it covers them', () => {
    const rule = BUILTIN_RULES.find((r) => r.id === 'forecast/budget-worst-case')!;
    const [budget, spawner, task] = parseManifests(
      `apiVersion: kelos.dev/v1alpha2
kind: TaskBudget
metadata: {name: platform-daily, namespace: team-a}
spec:
  taskSelector: {matchLabels: {team: platform}}
  period: {type: Daily, timezone: UTC}
  maxCostUSD: "50"
---
apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata: {name: responder, namespace: team-a}
spec:
  when: {githubPullRequests: {}}
  maxConcurrency: 2
  taskTemplate:
    metadata: {labels: {team: platform}}
    worker:
      type: claude-code
      credentials: {type: none}
      model: claude-sonnet-4-5
      podOverrides: {activeDeadlineSeconds: 3600}
    promptTemplate: Review.
---
apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: {name: migrate, namespace: team-a, labels: {team: platform}}
spec:
  prompt: Migrate.
  worker:
    type: claude-code
    credentials: {type: none}
    model: claude-sonnet-4-5
    podOverrides: {activeDeadlineSeconds: 7200}
`,
      'apps.yaml',
    ).documents;
    const report = runPolicies([budget!], {
      config: TEST_CONFIG,
      rules: [rule],
      alongside: [spawner!.object, task!.object],
    });
    expect(report.diagnostics.map((d) => d.message)).toStrictEqual([
      'worst case $300.00/Daily = 2 concurrent × 24h × $6.00/h (TaskSpawner responder: claude-code claude-sonnet-4-5) + 1 run × 2h × $6.00/h (Task migrate: claude-code claude-sonnet-4-5); limit $50.00',
    ]);
  });

  test('a negative cap is named with its value, not called unset', () => {
    const spawner = (spec: string) =>
      parseManifests(
        `apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata: {name: s, namespace: a}\nspec:\n  ${spec}\n`,
        's.yaml',
      ).documents;
    const messages = (id: string, spec: string) =>
      runPolicies(spawner(spec), {
        config: TEST_CONFIG,
        rules: [BUILTIN_RULES.find((r) => r.id === id)!],
      }).diagnostics.map((d) => d.message);
    expect(messages('budget/spawner-max-total-tasks', 'maxTotalTasks: -5')).toEqual([
      'maxTotalTasks is -5, which the API server refuses (it must be at least 1 to cap anything); set a lifetime cap',
    ]);
    expect(messages('budget/spawner-max-concurrency', 'maxConcurrency: -1')[0]).toMatch(
      /^maxConcurrency is -1, which the API server refuses \(it must be at least 1 to cap anything\); set it between 1 and \d+$/,
    );
    expect(messages('budget/spawner-max-total-tasks', 'maxTotalTasks: 0')[0]).toMatch(
      /^maxTotalTasks is not set or 0/,
    );
  });

  test('every rule file is named after its id and documents itself', () => {
    for (const rule of BUILTIN_RULES) {
      expect(rule.id).toMatch(/^(budget|forecast|concurrency|security|hygiene)\/[a-z0-9-]+$/);
      expect(existsSync(resolve(ROOT, 'policies', `${fixtureDir(rule.id)}.ts`)), rule.id).toBe(true);
      expect(rule.description.length).toBeGreaterThan(20);
      expect(rule.rationale.length).toBeGreaterThan(20);
      expect(rule.hint.length).toBeGreaterThan(10);
      expect(rule.kinds.length).toBeGreaterThan(0);
    }
  });
});
