/**
 * A spawned Task from a spawner and one item, pure: its deterministic name, prompt, branch,
 * metadata, owner reference and credential, rendered with the shared Go template engine over
 * exactly upstream's variables ({@link templateVars}), with `missingkey=error`.
 *
 * Names follow upstream: `nameTemplate` output is lowercased, every character (code point,
 * as Go's runes) outside `[a-z0-9.-]` becomes `-`, it is cut to 63 characters and must then be a DNS-1123
 * subdomain; it may not use `.Context` (it is decided before context is fetched) and may not
 * print `<no value>`. The default `<spawner>-<id>` gets the same treatment (upstream only
 * lowercases it), and when it is longer than 63 characters it keeps a hash of the whole name
 * in its last 9, so two long names cannot collapse into one (upstream issue #1527).
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import { API_VERSION, Labels } from '../../api/group.ts';
import type { Task, TaskSpawner } from '../../api/object.ts';
import type { TaskSpec } from '../../api/task.ts';
import { withoutGitOpsTracking } from '../../install/gitops.ts';
import { type GoValue, referencesField, renderTemplate, TemplateError } from '../../template/go-template.ts';
import { asTemplateData } from '../../template/render-prompt.ts';
import { invalidBranchName } from '../../validate/git-refs.ts';
import { DNS1123_SUBDOMAIN as DNS1123_SUBDOMAIN_PATTERN } from '../../validate/object-schema.ts';
import {
  MAX_TASK_NAME,
  nameFromTemplate,
  sanitizeTaskName,
  spawnerTemplateErrors,
} from '../../validate/templates.ts';
import { ReportingAnnotations } from './annotations.ts';
import { templateVars, type WorkItem } from './work-item.ts';

export { MAX_TASK_NAME } from '../../validate/templates.ts';

const DNS1123_SUBDOMAIN = new RegExp(DNS1123_SUBDOMAIN_PATTERN);

/**
 * Either a value or what went wrong, naming the field. `rejected`: the templates rendered, but
 * into a Task that cannot run for this item (a branch git refuses), so none is made: a webhook
 * delivery is refused unrecorded and a polled item is tried again, and once the template is
 * fixed the item gets its Task, where a Task that failed at its checkout would hold its name.
 */
export type Built<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string; readonly rejected?: true };

/**
 * The Task name of an item; see the module comment for the rules. `vars` replaces the item's
 * template variables (a webhook delivery brings its own set).
 */
export const taskName = (spawner: TaskSpawner, item: WorkItem, vars?: GoValue): Built<string> => {
  const spawnerName = spawner.metadata.name ?? '';
  const tmpl = spawner.spec.taskTemplate.nameTemplate;
  if (!tmpl) {
    let name = sanitizeTaskName(`${spawnerName}-${item.id}`).replace(/^[-.]+|[-.]+$/g, '');
    if (name.length > MAX_TASK_NAME) {
      const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
      name = `${name.slice(0, MAX_TASK_NAME - 9).replace(/[-.]+$/, '')}-${hash}`;
    }
    return DNS1123_SUBDOMAIN.test(name)
      ? { ok: true, value: name }
      : { ok: false, error: `default Task name ${JSON.stringify(name)} is not a valid DNS-1123 name` };
  }
  try {
    if (referencesField(tmpl, 'Context', { name: 'nameTemplate' })) {
      return { ok: false, error: 'spec.taskTemplate.nameTemplate: must not reference .Context' };
    }
    const out = renderTemplate(tmpl, vars ?? templateVars(item), {
      name: 'nameTemplate',
      missingKey: 'error',
    });
    if (out.includes('<no value>')) {
      return { ok: false, error: `spec.taskTemplate.nameTemplate: rendered "${out}" contains <no value>` };
    }
    const { name, valid } = nameFromTemplate(out);
    return valid
      ? { ok: true, value: name }
      : {
          ok: false,
          error: `spec.taskTemplate.nameTemplate: rendered "${out}" gives ${JSON.stringify(name)}, which is not a DNS-1123 name`,
        };
  } catch (e) {
    if (e instanceof TemplateError)
      return { ok: false, error: `spec.taskTemplate.nameTemplate: ${e.message}` };
    throw e;
  }
};

/** How to pick one of the spawner's credentials: an index below `n`. */
export type PickCredential = (n: number) => number;

/** Inputs of {@link buildTask} besides the spawner and the item. */
export interface BuildOptions {
  /** The name from {@link taskName}. */
  readonly name: string;
  /** Fetched context sources, by name; required when the spawner has any. */
  readonly context?: Readonly<Record<string, string>>;
  /** `owner/repo` of a GitHub source, the default of `upstreamRepo`. */
  readonly upstreamRepo?: string;
  /** Random by default, as upstream. */
  readonly pickCredential?: PickCredential;
  /** Template variables replacing the item's (a webhook delivery's, from its matcher). */
  readonly vars?: GoValue;
}

const render = (field: string, src: string, vars: GoValue): string => {
  try {
    return renderTemplate(src, vars, { name: field, missingKey: 'error' });
  } catch (e) {
    if (e instanceof TemplateError) throw new Error(`spec.taskTemplate.${field}: ${e.message}`);
    throw e;
  }
};

const renderMap = (
  field: string,
  map: Readonly<Record<string, string>> | undefined,
  vars: GoValue,
): Record<string, string> =>
  Object.fromEntries(
    Object.entries(map ?? {}).map(([k, v]) => [
      k,
      render(`${field}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, v, vars),
    ]),
  );

/** The reporting annotations of a GitHub source's `reporting`. */
export const reportingAnnotations = (spawner: TaskSpawner): Record<string, string> => {
  const when = spawner.spec.when;
  const reporting =
    when.githubIssues?.reporting ?? when.githubPullRequests?.reporting ?? when.githubWebhook?.reporting;
  if (!reporting) return {};
  const out: Record<string, string> = {};
  if (reporting.comments || reporting.enabled) {
    out[ReportingAnnotations.Comments] = 'enabled';
    out[ReportingAnnotations.CommentMode] = reporting.comments?.mode ?? 'PerTask';
  }
  if (reporting.checks && (when.githubPullRequests || when.githubWebhook)) {
    out[ReportingAnnotations.Checks] = 'enabled';
    out[ReportingAnnotations.CheckName] = reporting.checks.name ?? `Kelos: ${spawner.metadata.name}`;
  }
  return out;
};

/** {@link spawnerTemplateErrors} of spawners read from the API server, by object. */
const checkedTemplates = new WeakMap<TaskSpawner, { readonly rv: string; readonly errors: string[] }>();

/**
 * The spawner's template errors, checked once per version: a webhook burst or a poll builds
 * many Tasks from one spawner, and parsing and checking every template again for each was
 * about 2.5% of the webhook receiver's CPU (bench/README.md). Only an object the API server
 * returned (it has a resourceVersion; cached objects are never mutated) is remembered.
 */
const templateErrorsOf = (spawner: TaskSpawner): string[] => {
  const rv = spawner.metadata.resourceVersion;
  if (!rv) return spawnerTemplateErrors(spawner);
  const hit = checkedTemplates.get(spawner);
  if (hit?.rv === rv) return hit.errors;
  const errors = spawnerTemplateErrors(spawner);
  checkedTemplates.set(spawner, { rv, errors });
  return errors;
};

/**
 * The Task for one item. Fails (with the field in the message) when a template does not
 * render, and is `rejected` when the branch it renders is no name git takes (the render's own
 * check, `src/render/plan.ts`, which would fail the Task at once).
 */
export const buildTask = (spawner: TaskSpawner, item: WorkItem, options: BuildOptions): Built<Task> => {
  // The validator's template check, so a template it rejects never half-renders here.
  const templateErrors = templateErrorsOf(spawner);
  if (templateErrors.length > 0) return { ok: false, error: templateErrors.join('; ') };
  const t = spawner.spec.taskTemplate;
  const hasContext = (t.contextSources ?? []).length > 0;
  const vars =
    options.vars !== undefined
      ? hasContext
        ? { ...(options.vars as Record<string, GoValue>), Context: { ...options.context } }
        : options.vars
      : templateVars(item, hasContext ? (options.context ?? {}) : undefined);
  try {
    // With dependsOn the Task renders its prompt again, over `.Deps`: the item's text is
    // written so that pass prints it, never parses it.
    const promptVars = (t.dependsOn ?? []).length > 0 ? asTemplateData(vars) : vars;
    const prompt = render('promptTemplate', t.promptTemplate || '{{.Title}}', promptVars);
    const branch = t.branch ? render('branch', t.branch, vars) : undefined;
    const branchProblem = branch ? invalidBranchName(branch) : undefined;
    if (branchProblem) {
      return { ok: false, rejected: true, error: `spec.taskTemplate.branch rendered ${branchProblem}` };
    }
    // Argo CD's tracking keys never reach a spawned Task, or Argo CD would prune it
    // (src/install/gitops.ts); the spawner's own metadata, which Argo CD stamps, is never read.
    const labels =
      withoutGitOpsTracking({ labels: renderMap('metadata/labels', t.metadata?.labels, vars) }).labels ?? {};
    delete labels[Labels.SpawnerCredential];
    labels[Labels.TaskSpawner] = spawner.metadata.name ?? '';
    const annotations = {
      ...withoutGitOpsTracking({
        annotations: renderMap('metadata/annotations', t.metadata?.annotations, vars),
      }).annotations,
      ...reportingAnnotations(spawner),
      ...item.annotations,
    };
    const {
      branch: _b,
      promptTemplate: _p,
      nameTemplate: _n,
      metadata: _m,
      contextSources: _c,
      upstreamRepo,
      ...copied
    } = t;
    const spec: TaskSpec = structuredClone({ ...copied, prompt }) as TaskSpec;
    if (branch) spec.branch = branch;
    const upstream = upstreamRepo || options.upstreamRepo;
    if (upstream) spec.upstreamRepo = upstream;
    const pool = spawner.spec.credentials ?? [];
    if (pool.length > 0) {
      const pick = options.pickCredential ?? ((n: number) => Math.floor(Math.random() * n));
      const c = pool[Math.min(pool.length - 1, Math.max(0, pick(pool.length)))]!;
      const creds = { type: c.type, secretRef: { name: c.secretRef.name } };
      if (spec.worker) spec.worker.credentials = creds;
      else spec.credentials = creds;
      labels[Labels.SpawnerCredential] = c.name;
    }
    return {
      ok: true,
      value: {
        apiVersion: API_VERSION,
        kind: 'Task',
        metadata: {
          name: options.name,
          namespace: spawner.metadata.namespace,
          labels,
          annotations,
          ownerReferences: [
            {
              apiVersion: API_VERSION,
              kind: 'TaskSpawner',
              name: spawner.metadata.name ?? '',
              uid: spawner.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec,
      },
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
};
