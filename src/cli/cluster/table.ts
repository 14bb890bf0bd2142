/**
 * kubectl-like tables: columns from a kind's printer columns, ages as kubectl prints them,
 * left-aligned cells padded to the widest, upper-case headers, `<none>` for empty cells.
 * Pure functions; the clock is a parameter.
 *
 * @packageDocumentation
 */
import { ConditionTypes, type KindDefinition, type PrinterColumn } from '../../api/index.ts';
import { effectiveWorkerField, WORKER_FIELDS, type WorkerField } from '../../api/worker-field.ts';

/** One column of a table. */
export interface Column {
  readonly header: string;
  readonly cell: (obj: Record<string, unknown>) => string;
}

/**
 * Reads a printer column's simple JSONPath (`.status.phase`, `.spec.worker.workspaceRef.name`).
 * Arrays join with commas, as kubectl's column printer shows them readably enough.
 */
export function readPath(obj: unknown, jsonPath: string): unknown {
  let at: unknown = obj;
  for (const key of jsonPath.replace(/^\./, '').split('.')) {
    if (key === '') continue;
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * {@link readPath} for a setting of a Task or task template: `.spec.worker.<field>…` (or
 * `.spec.taskTemplate.worker.<field>…`) is read where the render reads it, `worker.<field>`
 * when set, else the deprecated top-level `<field>` upstream's examples write (`spec.type`,
 * `spec.workspaceRef`). A CRD printer column takes one simple path, so `kubectl get` cannot.
 */
export function readSetting(obj: unknown, jsonPath: string): unknown {
  const m = /^(\.spec(?:\.taskTemplate)?)\.worker\.([A-Za-z]+)(.*)$/.exec(jsonPath);
  const field = m?.[2] as WorkerField | undefined;
  if (!m || !field || !(WORKER_FIELDS as readonly string[]).includes(field)) return readPath(obj, jsonPath);
  const spec = readPath(obj, m[1]!);
  if (typeof spec !== 'object' || spec === null) return undefined;
  const effective = effectiveWorkerField(spec as Record<string, unknown>, field);
  return effective === undefined ? undefined : readPath(effective.value, m[3] ?? '');
}

/**
 * kubectl's `HumanDuration` (k8s.io/apimachinery/pkg/util/duration): `45s`, `5m10s`, `97m`,
 * `3h20m`, `30h`, `3d4h`, `400d`, `3y20d`, `9y`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / (24 * 365));
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) - years * 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

/** A cell's text: ages for dates, `$x` never (costs are quantities, printed as stored). */
export function formatCell(value: unknown, type: PrinterColumn['type'], now: number): string {
  if (value === undefined || value === null || value === '') return '<none>';
  if (type === 'date' && typeof value === 'string') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? value : humanDuration(now - at);
  }
  if (Array.isArray(value)) return value.length ? value.map((v) => String(v)).join(',') : '<none>';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A TaskSpawner's PHASE cell: upstream keeps a spawner whose discovery fails (GitHub out of
 * reach, a rate limit) `Running`, so the cell names the reason of its `DiscoveryError`
 * condition beside it, `Running (DiscoveryFailed)`, where a missing Workspace already reads
 * `Failed`. `status.phase`, and so `-o yaml` and `--phase`, stay as they are.
 */
export function spawnerPhaseCell(obj: Record<string, unknown>, phase: string): string {
  if (phase !== 'Running') return phase;
  const conditions = readPath(obj, '.status.conditions');
  const problem = (Array.isArray(conditions) ? conditions : []).find(
    (c) => readPath(c, '.type') === ConditionTypes.DiscoveryError && readPath(c, '.status') === 'True',
  );
  if (problem === undefined) return phase;
  const reason = readPath(problem, '.reason');
  return `${phase} (${typeof reason === 'string' && reason ? reason : ConditionTypes.DiscoveryError})`;
}

/**
 * Columns the CLI shows beyond a kind's printer columns, and printer columns it promotes from
 * `-o wide` to the default view. A Task's PR and cost are what a user looks for after a run;
 * the CRD keeps cost in the wide view so `kubectl get tasks` stays narrow.
 */
const CLI_EXTRAS: Readonly<
  Record<
    string,
    {
      add: readonly PrinterColumn[];
      promote: readonly string[];
      /** A printer column's cell made from the object and the cell's plain text. */
      cells?: Readonly<Record<string, (obj: Record<string, unknown>, text: string) => string>>;
    }
  >
> = {
  Task: {
    add: [{ name: 'PR', type: 'string', jsonPath: '.status.results.pr' }],
    promote: ['Cost'],
  },
  TaskSpawner: {
    add: [],
    // Beside ACTIVE, so a cap of 1 with four waiting reads `1` and `4`, not `5` active.
    promote: ['Queued'],
    cells: { Phase: spawnerPhaseCell },
  },
};

/**
 * The columns of a kind: NAMESPACE (across namespaces), NAME, its printer columns (the
 * priority-1 ones only when `wide`), with AGE last.
 */
export function columnsOf(
  def: Pick<KindDefinition, 'kind' | 'printerColumns'>,
  opts: { wide: boolean; allNamespaces: boolean; now: number },
): Column[] {
  const extras = CLI_EXTRAS[def.kind] ?? { add: [], promote: [] };
  const shown = def.printerColumns.filter(
    (c) => opts.wide || (c.priority ?? 0) === 0 || extras.promote.includes(c.name),
  );
  const age = shown.filter((c) => c.name === 'Age');
  const printer = [...shown.filter((c) => c.name !== 'Age'), ...extras.add, ...age];
  const columns: Column[] = [];
  if (opts.allNamespaces) {
    columns.push({
      header: 'NAMESPACE',
      cell: (o) => formatCell(readPath(o, '.metadata.namespace'), 'string', 0),
    });
  }
  columns.push({ header: 'NAME', cell: (o) => formatCell(readPath(o, '.metadata.name'), 'string', 0) });
  for (const c of printer) {
    const decorate = extras.cells?.[c.name];
    columns.push({
      header: c.name.toUpperCase(),
      cell: (o) => {
        const text = formatCell(readSetting(o, c.jsonPath), c.type, opts.now);
        return decorate ? decorate(o, text) : text;
      },
    });
  }
  return columns;
}

/** Lays rows out: every column as wide as its widest cell, three spaces apart, no trailing blanks. */
export function renderTable(columns: readonly Column[], rows: readonly Record<string, unknown>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
