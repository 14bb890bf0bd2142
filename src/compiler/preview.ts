/**
 * The preview `kelos synth` can write next to the manifests, for review in the pull request:
 * the Job each Task becomes (with the agent NetworkPolicies that will select its Pod), and for each TaskSpawner one sample Task (from a sample item of
 * its source) with its Job, all rendered by the operator's own pure render
 * (`src/render/task-job.ts`). It lives in its own directory, outside every app's
 * kustomization, so Argo CD never applies it.
 *
 * The sample Task follows the spawner's template the way the operator builds spawned Tasks
 * (prompt, branch and name rendered over the source's variables, the template fields
 * copied); credentials, owner and source annotations, which change nothing in the Job a
 * reviewer looks at, are left out.
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import { KELOS_CONFIG_NAME } from '../api/kelos-config.ts';
import type { AgentConfig, KelosConfig, Task, TaskSpawner, Workspace } from '../api/object.ts';
import { sourceRepository } from '../api/repo-url.ts';
import {
  AGENT_POLICY_NAME,
  allowancePolicyName,
  allowancesOf,
  renderAgentNetworkPolicies,
} from '../render/agent-network-policy.ts';
import { renderTaskJob } from '../render/task-job.ts';
import { type GoValue, renderTemplate, TemplateError } from '../template/go-template.ts';
import { sampleData } from '../template/variables.ts';
import type { Diagnostic } from '../validate/diagnostic.ts';
import { PREVIEW_NOTE } from '../validate/manifest-files.ts';
import { nameFromTemplate, sourceShape } from '../validate/templates.ts';
import { header, type OutputFile, type RenderedApp, toYaml } from './render.ts';

type Json = Record<string, unknown>;

const keyOf = (kind: string, namespace: unknown, name: unknown) =>
  `${kind}/${String(namespace ?? '')}/${String(name)}`;

/** The sample items' repository, which {@link onRepository} replaces. */
const SAMPLE_REPO = { web: 'https://github.com/example/repo', owner: 'example', name: 'repo' };

/**
 * The repository a GitHub source's items come from, as the operator resolves it
 * ({@link sourceRepository}): the source's `repo` or `repository`, else the Workspace's.
 */
const itemRepository = (
  spawner: TaskSpawner,
  workspaceRepo: string | undefined,
): { readonly web: string; readonly owner: string; readonly name: string } | undefined => {
  const when = spawner.spec.when;
  if (!when.githubIssues && !when.githubPullRequests && !when.githubWebhook) return undefined;
  const found = sourceRepository(
    when.githubIssues?.repo ?? when.githubPullRequests?.repo ?? when.githubWebhook?.repository,
    workspaceRepo,
  );
  return (
    found && {
      web: `https://${found.webHost}/${found.owner}/${found.repo}`,
      owner: found.owner,
      name: found.repo,
    }
  );
};

/** A sample item's data moved to `repo`: its URL, and a webhook's repository names. */
const onRepository = (data: GoValue, repo: ReturnType<typeof itemRepository>): GoValue => {
  if (!repo || typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const out = { ...(data as Record<string, GoValue>) };
  if (typeof out['URL'] === 'string') out['URL'] = out['URL'].replace(SAMPLE_REPO.web, repo.web);
  if (out['Repository'] === `${SAMPLE_REPO.owner}/${SAMPLE_REPO.name}`) {
    out['Repository'] = `${repo.owner}/${repo.name}`;
    out['RepositoryOwner'] = repo.owner;
    out['RepositoryName'] = repo.name;
  }
  return out;
};

/**
 * The Task the operator would create for a sample item of a spawner's source; a GitHub
 * source's item is of the repository it polls or receives (`workspaceRepo`: the `spec.repo`
 * of the spawner's Workspace), so its `{{.URL}}` is the one the user's Tasks will get.
 */
export const sampleTask = (spawner: TaskSpawner, workspaceRepo?: string): Task | undefined => {
  const shape = sourceShape(spawner.spec as unknown as Json);
  if (!shape) return undefined;
  const t = spawner.spec.taskTemplate;
  const data = onRepository(sampleData(shape), itemRepository(spawner, workspaceRepo));
  const render = (src: string): string => {
    try {
      return renderTemplate(src, data, { missingKey: 'error' });
    } catch (e) {
      // The validator reports template errors; the preview shows the text as written.
      if (e instanceof TemplateError) return src;
      throw e;
    }
  };
  const named = t.nameTemplate
    ? nameFromTemplate(render(t.nameTemplate)).name
    : nameFromTemplate(`${spawner.metadata.name}-${String((data as Json)['ID'] ?? 'sample')}`).name;
  const {
    branch,
    promptTemplate,
    nameTemplate: _n,
    metadata,
    contextSources: _c,
    upstreamRepo,
    ...copied
  } = t;
  const spec = structuredClone({ ...copied, prompt: render(promptTemplate || '{{.Title}}') }) as Task['spec'];
  if (branch) spec.branch = render(branch);
  if (upstreamRepo) spec.upstreamRepo = upstreamRepo;
  const renderMap = (m: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, render(v)]));
  return {
    apiVersion: API_VERSION,
    kind: 'Task',
    metadata: {
      name: named.replace(/^[-.]+|[-.]+$/g, '') || 'sample',
      ...(spawner.metadata.namespace ? { namespace: spawner.metadata.namespace } : {}),
      labels: { ...renderMap(metadata?.labels), 'kelos.dev/taskspawner': spawner.metadata.name ?? '' },
      ...(metadata?.annotations ? { annotations: renderMap(metadata.annotations) } : {}),
    },
    spec,
  };
};

/**
 * The agent NetworkPolicies that select the Task's Pod (the namespace's isolation policy and
 * the allowances of its AgentConfigs), rendered from the bundle's KelosConfig and the
 * namespace's Workspaces and AgentConfigs. The API server's addresses are only known in the
 * cluster, so the preview's `except` lists lack them.
 */
const networkOf = (
  task: Task,
  refs: ReadonlyArray<{ name: string }>,
  objects: RenderedApp['objects'],
  config: KelosConfig | undefined,
): Json[] => {
  const ns = task.metadata.namespace ?? 'default';
  const inNs = (kind: string) =>
    objects
      .map((o) => o.object)
      .filter(
        (o) => o['kind'] === kind && (((o['metadata'] ?? {}) as Json)['namespace'] ?? 'default') === ns,
      );
  const agentConfigs = inNs('AgentConfig') as unknown as AgentConfig[];
  const mine = agentConfigs.filter((c) => refs.some((r) => r.name === c.metadata.name));
  const { policies } = renderAgentNetworkPolicies({
    namespace: ns,
    isolation: config?.spec?.networkIsolation,
    workspaces: inNs('Workspace') as unknown as Workspace[],
    agentConfigs,
    apiServerAddresses: [],
  });
  const wanted = new Set([AGENT_POLICY_NAME, ...allowancesOf(mine).map(allowancePolicyName)]);
  return policies.filter((p) => wanted.has(p.metadata?.name ?? '')) as unknown as Json[];
};

/**
 * The policies as a YAML comment after the Job: every Job of a namespace shares them, so as
 * objects they would be duplicates in the bundle `kelos validate dist/` reads; the operator,
 * not Argo CD, writes them.
 */
const commented = (policies: readonly Json[]): string =>
  policies.length === 0
    ? ''
    : `# The agent NetworkPolicies the operator keeps in the namespace, selecting this Job's Pod\n# (the API server's own addresses join the except lists in the cluster):\n${policies
        .map(
          (p) =>
            `# ---\n${toYaml(p)
              .replace(/^(?=.)/gm, '# ')
              .replace(/\n$/, '')}\n`,
        )
        .join('')}`;

/** What a preview adds to a synth: its files and the render's own findings. */
export interface Preview {
  readonly files: OutputFile[];
  readonly diagnostics: Diagnostic[];
}

/**
 * The preview of every app: `<dir>/<app>/task-<name>.job.yaml` per Task and
 * `<dir>/<app>/taskspawner-<name>.sample.yaml` (sample Task, then its Job) per TaskSpawner.
 * Render errors are reported as warnings: the validator already reports what makes them.
 */
export const renderPreview = (apps: readonly RenderedApp[], dir: string): Preview => {
  const files: OutputFile[] = [];
  const diagnostics: Diagnostic[] = [];
  // The admin's KelosConfig may live in any app (it is cluster-scoped).
  const kelosConfig = apps
    .flatMap((a) => a.objects.map((o) => o.object))
    .find(
      (o) => o['kind'] === 'KelosConfig' && ((o['metadata'] ?? {}) as Json)['name'] === KELOS_CONFIG_NAME,
    ) as KelosConfig | undefined;
  // What a Task's Job is made of (its Workspace, AgentConfigs, the namespace's isolation) may
  // be deployed by another app into its namespace, as in the cluster: looked up in the app
  // first, then in every app (the first that renders it: one that renders it otherwise is
  // already a bundle/conflict error).
  const everywhere = new Map<string, RenderedApp['objects'][number]>();
  for (const o of apps.flatMap((a) => a.objects)) {
    const m = (o.object['metadata'] ?? {}) as Json;
    const key = keyOf(String(o.object['kind']), m['namespace'], m['name']);
    if (!everywhere.has(key)) everywhere.set(key, o);
  }
  const allObjects = [...everywhere.values()];
  for (const app of apps) {
    const own = new Map<string, Json>();
    for (const o of app.objects) {
      const m = (o.object['metadata'] ?? {}) as Json;
      own.set(keyOf(String(o.object['kind']), m['namespace'], m['name']), o.object);
    }
    const byKey = { get: (key: string) => own.get(key) ?? everywhere.get(key)?.object };
    const jobOf = (task: Task, file: string): { objects: Json[]; policies: Json[] } => {
      const ns = task.metadata.namespace;
      const worker = task.spec.worker;
      const wsName = worker?.workspaceRef?.name ?? task.spec.workspaceRef?.name;
      const refs = worker?.agentConfigRefs ?? task.spec.agentConfigRefs ?? [];
      const result = renderTaskJob({
        task,
        ...(wsName ? { workspace: byKey.get(keyOf('Workspace', ns, wsName)) as unknown as Workspace } : {}),
        agentConfigs: refs.flatMap((r) => {
          const c = byKey.get(keyOf('AgentConfig', ns, r.name));
          return c ? [c as unknown as AgentConfig] : [];
        }),
        prompt: task.spec.prompt,
      });
      for (const e of result.errors)
        diagnostics.push({ ...e, severity: 'warning', code: `preview/${e.code}`, source: { file } });
      return {
        objects: [
          ...(result.job ? [result.job as unknown as Json] : []),
          ...(result.configMaps as unknown as Json[]),
        ],
        policies: result.job ? networkOf(task, refs, allObjects, kelosConfig) : [],
      };
    };
    const write = (name: string, { objects, policies }: { objects: Json[]; policies: Json[] }) => {
      if (objects.length === 0) return;
      files.push({
        path: `${dir}/${app.name}/${name}`,
        content:
          header(`${app.source} ${PREVIEW_NOTE}`) +
          objects.map((o) => `---\n${toYaml(o)}`).join('') +
          commented(policies),
      });
    };
    for (const o of app.objects) {
      const name = String(((o.object['metadata'] ?? {}) as Json)['name'] ?? '');
      if (o.object['kind'] === 'Task')
        write(`task-${name}.job.yaml`, jobOf(o.object as unknown as Task, o.file));
      if (o.object['kind'] === 'TaskSpawner') {
        const spawner = o.object as unknown as TaskSpawner;
        const t = spawner.spec?.taskTemplate;
        const wsName = t?.worker?.workspaceRef?.name ?? t?.workspaceRef?.name;
        const ws = wsName
          ? (byKey.get(keyOf('Workspace', spawner.metadata?.namespace, wsName)) as unknown as
              | Workspace
              | undefined)
          : undefined;
        const task = sampleTask(spawner, ws?.spec?.repo);
        if (!task) continue;
        const { objects, policies } = jobOf(task, o.file);
        write(`taskspawner-${name}.sample.yaml`, {
          objects: [task as unknown as Json, ...objects],
          policies,
        });
      }
    }
  }
  return { files, diagnostics };
};
