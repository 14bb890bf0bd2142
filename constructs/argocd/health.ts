/**
 * Argo CD health checks for the Kelos kinds, and for Argo CD's own Application (so sync
 * waves between the Kelos Applications wait for health). The Lua sources sit next to this
 * file; they run under Argo CD's default sandbox (base and table libraries only, no
 * `string`), which the gopher-lua test checks.
 *
 * Workspace, AgentConfig and TaskRecord have no status and cannot be unhealthy, so they get
 * no check (Argo CD treats them as Healthy once they exist).
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { GROUP } from '../../src/api/index.ts';

/** One health check: the resource it applies to and its Lua script. */
export interface HealthCheck {
  readonly group: string;
  readonly kind: string;
  readonly script: string;
}

const lua = (file: string): string => readFileSync(new URL(`./health/${file}`, import.meta.url), 'utf8');

/** Every health check we ship. */
export const HEALTH_CHECKS: readonly HealthCheck[] = [
  { group: GROUP, kind: 'Task', script: lua('task.lua') },
  { group: GROUP, kind: 'TaskSpawner', script: lua('task-spawner.lua') },
  { group: GROUP, kind: 'TaskBudget', script: lua('task-budget.lua') },
  { group: 'argoproj.io', kind: 'Application', script: lua('application.lua') },
];

/** The `argocd-cm` key of a check: `resource.customizations.health.<group>_<kind>`. */
export const healthKey = (c: Pick<HealthCheck, 'group' | 'kind'>): string =>
  `resource.customizations.health.${c.group ? `${c.group}_` : ''}${c.kind}`;

/** The `argocd-cm` data that installs every check. */
export const healthCheckData = (checks = HEALTH_CHECKS): Record<string, string> =>
  Object.fromEntries(checks.map((c) => [healthKey(c), c.script]));
