/**
 * `kelos get -d`: one object in detail, the way `kubectl describe` reads: identity, the
 * settings that matter for its kind, its status, conditions, results, usage and cost.
 * Pure: the clock is a parameter, colours come in.
 *
 * @packageDocumentation
 */

import { formatDuration } from '../../kube/duration.ts';
import type { Colours } from './colour.ts';
import { phaseColour } from './colour.ts';
import { formatCell, humanDuration, readPath, readSetting, renderTable } from './table.ts';

type Obj = Record<string, unknown>;

/** Settings shown per kind, as label and JSONPath. */
const SPEC_FIELDS: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  Task: [
    ['Type', '.spec.worker.type'],
    ['Model', '.spec.worker.model'],
    ['Effort', '.spec.worker.effort'],
    ['Image', '.spec.worker.image'],
    ['Credentials', '.spec.worker.credentials.type'],
    ['Secret', '.spec.worker.credentials.secretRef.name'],
    ['Workspace', '.spec.worker.workspaceRef.name'],
    ['Branch', '.spec.branch'],
    ['Depends On', '.spec.dependsOn'],
    ['Timeout', '.spec.worker.podOverrides.activeDeadlineSeconds'],
  ],
  Workspace: [
    ['Repo', '.spec.repo'],
    ['Ref', '.spec.ref'],
    ['Secret', '.spec.secretRef.name'],
  ],
  TaskSpawner: [
    ['Workspace', '.spec.taskTemplate.worker.workspaceRef.name'],
    ['Type', '.spec.taskTemplate.worker.type'],
    ['Suspend', '.spec.suspend'],
    ['Max Concurrency', '.spec.maxConcurrency'],
    ['Max Total Tasks', '.spec.maxTotalTasks'],
  ],
  TaskBudget: [
    ['Period', '.spec.period.type'],
    ['Time Zone', '.spec.period.timezone'],
    ['Max Cost', '.spec.maxCostUSD'],
    ['Used Cost', '.status.used.costUSD'],
    ['Waiting Tasks', '.status.waitingTasks'],
  ],
};

const STATUS_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['Phase', '.status.phase'],
  ['Message', '.status.message'],
  ['Job', '.status.jobName'],
  ['Pod', '.status.podName'],
  ['Started', '.status.startTime'],
  ['Completed', '.status.completionTime'],
  ['Active Tasks', '.status.activeTasks'],
  ['Queued Tasks', '.status.queuedItems'],
  ['Discovered', '.status.totalDiscovered'],
  ['Tasks Created', '.status.totalTasksCreated'],
];

const present = (v: unknown) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length);

/** `$0.4213` for a cost quantity, unchanged when it is not a plain number. */
export const formatCost = (q: unknown): string => {
  const s = String(q);
  return /^\d+(\.\d+)?$/.test(s) ? `$${s}` : s;
};

/**
 * A TaskBudget's window as the operator last computed it: `2026-01-01T00:00:00Z to
 * 2026-01-02T00:00:00Z (resets in 5h)`, its bounds in UTC as status holds them.
 */
const currentPeriod = (obj: Obj, now: number): string | undefined => {
  const start = readPath(obj, '.status.currentPeriodStart');
  const end = readPath(obj, '.status.currentPeriodEnd');
  if (typeof start !== 'string' || typeof end !== 'string') return undefined;
  const left = Date.parse(end) - now;
  return `${start} to ${end}${Number.isNaN(left) || left <= 0 ? '' : ` (resets in ${humanDuration(left)})`}`;
};

/** The column the values start at, unless a label needs more (then one space after its colon). */
const LABEL_WIDTH = 16;

/** The details of one object. */
export function renderDetail(obj: Obj, c: Colours, now: number): string {
  const lines: string[] = [];
  // The identity and settings come first and are aligned once all are known: a label as long
  // as the default column (`Max Concurrency:`) ran into its value.
  const fields: Array<readonly [string, string]> = [];
  const field = (label: string, value: string) => fields.push([label, value]);
  const kind = String(obj['kind'] ?? '');
  field('Name', String(readPath(obj, '.metadata.name') ?? ''));
  const ns = readPath(obj, '.metadata.namespace');
  if (ns) field('Namespace', String(ns));
  field('Kind', `${kind} (${String(obj['apiVersion'] ?? '')})`);
  const created = readPath(obj, '.metadata.creationTimestamp');
  if (typeof created === 'string') field('Created', `${created} (${formatCell(created, 'date', now)} ago)`);
  // What `kubectl describe` would not let one miss: the object is going, and what holds it.
  const deleting = readPath(obj, '.metadata.deletionTimestamp');
  if (typeof deleting === 'string') {
    const finalizers = readPath(obj, '.metadata.finalizers');
    const holding =
      Array.isArray(finalizers) && finalizers.length > 0
        ? `; held by finalizers ${finalizers.join(', ')}`
        : '';
    field('Deleting', `since ${deleting} (${formatCell(deleting, 'date', now)} ago)${holding}`);
  }
  for (const [label, path] of SPEC_FIELDS[kind] ?? []) {
    const v = readSetting(obj, path);
    if (!present(v)) continue;
    // activeDeadlineSeconds is a count of seconds; `600` alone read as a unitless number.
    if (label === 'Timeout' && typeof v === 'number') field(label, formatDuration(v));
    else field(label, label.includes('Cost') ? formatCost(v) : formatCell(v, 'string', now));
  }
  if (kind === 'TaskBudget') {
    const period = currentPeriod(obj, now);
    if (period) field('Current Period', period);
  }
  for (const [label, path] of STATUS_FIELDS) {
    const v = readPath(obj, path);
    if (!present(v)) continue;
    field(label, label === 'Phase' ? phaseColour(c, String(v)) : formatCell(v, 'string', now));
  }
  const start = Date.parse(String(readPath(obj, '.status.startTime') ?? ''));
  const end = Date.parse(String(readPath(obj, '.status.completionTime') ?? ''));
  if (!Number.isNaN(start) && !Number.isNaN(end)) field('Duration', humanDuration(end - start));
  const width = Math.max(LABEL_WIDTH, ...fields.map(([label]) => label.length + 2));
  for (const [label, value] of fields) lines.push(`${c.bold(`${label}:`.padEnd(width))}${value}`);
  const usage = readPath(obj, '.status.usage') as Obj | undefined;
  if (usage && Object.keys(usage).length) {
    lines.push(c.bold('Usage:'));
    if (present(usage['costUSD'])) lines.push(`  Cost:           ${formatCost(usage['costUSD'])}`);
    if (present(usage['inputTokens'])) lines.push(`  Input tokens:   ${String(usage['inputTokens'])}`);
    if (present(usage['outputTokens'])) lines.push(`  Output tokens:  ${String(usage['outputTokens'])}`);
  }
  const results = readPath(obj, '.status.results') as Record<string, string> | undefined;
  if (results && Object.keys(results).length) {
    lines.push(c.bold('Results:'));
    const width = Math.max(...Object.keys(results).map((k) => k.length)) + 2;
    for (const key of Object.keys(results).sort()) {
      const value = key === 'response' ? decodeResponse(results[key]!) : results[key]!;
      lines.push(`  ${`${key}:`.padEnd(width)}${value}`);
    }
  }
  const conditions = readPath(obj, '.status.conditions') as Obj[] | undefined;
  lines.push(c.bold('Conditions:'));
  if (!conditions?.length) lines.push('  <none>');
  else {
    const columns = ['Type', 'Status', 'Reason', 'Age', 'Message'].map((h) => ({
      header: h.toUpperCase(),
      cell: (o: Obj) =>
        h === 'Age'
          ? formatCell(o['lastTransitionTime'], 'date', now)
          : formatCell(o[h.toLowerCase()], 'string', now),
    }));
    for (const line of renderTable(columns, conditions).trimEnd().split('\n')) lines.push(`  ${line}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The agent's final message is stored base64-encoded; show it as text when it decodes cleanly. */
const decodeResponse = (value: string): string => {
  if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return value;
  const text = Buffer.from(value, 'base64').toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control bytes is the point
  if (text.includes('\uFFFD') || /[\u0000-\u0008\u000e-\u001f]/.test(text)) return value;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 199)}…` : oneLine;
};
