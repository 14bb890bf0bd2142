/**
 * The health checks in Argo CD's own test layout (`resource_customizations/` of
 * argoproj/argo-cd): `<group>/<kind>/health.lua`, `health_test.yaml` and `testdata/*.yaml`,
 * so the checks can be proposed upstream as they are and run by Argo CD's own test.
 *
 * @packageDocumentation
 */
import { posix } from 'node:path';
import { stringify } from 'yaml';
import { HEALTH_CHECKS, type HealthCheck } from './health.ts';
import { HEALTH_CASES, type HealthCase } from './health-cases.ts';

/** A file of the layout, relative to the layout's root. */
export interface LayoutFile {
  readonly path: string;
  readonly content: string;
}

const yaml = (value: unknown): string => stringify(value, { lineWidth: 0 });

/** The files of one check. */
const checkFiles = (check: HealthCheck, cases: readonly HealthCase[]): LayoutFile[] => {
  const dir = posix.join(check.group, check.kind);
  const tests = {
    tests: cases.map((c) => ({
      healthStatus: { status: c.status, message: c.message },
      inputPath: `testdata/${c.name}.yaml`,
    })),
  };
  return [
    { path: posix.join(dir, 'health.lua'), content: check.script },
    { path: posix.join(dir, 'health_test.yaml'), content: yaml(tests) },
    ...cases.map((c) => ({ path: posix.join(dir, 'testdata', `${c.name}.yaml`), content: yaml(c.object) })),
  ];
};

/**
 * Every file of the layout, sorted by path.
 *
 * @throws Error when a check has no cases or a case name repeats (its testdata file would be overwritten).
 */
export const healthTestLayout = (checks = HEALTH_CHECKS, cases = HEALTH_CASES): LayoutFile[] => {
  const files: LayoutFile[] = [];
  for (const check of checks) {
    const own = cases[`${check.group}/${check.kind}`];
    if (!own?.length) throw new Error(`health check ${check.group}/${check.kind} has no test cases`);
    const names = new Set(own.map((c) => c.name));
    if (names.size !== own.length) throw new Error(`health cases of ${check.kind} repeat a name`);
    files.push(...checkFiles(check, own));
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};
