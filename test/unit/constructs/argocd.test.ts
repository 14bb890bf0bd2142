import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  appWavePatches,
  HEALTH_CASES,
  HEALTH_CHECKS,
  healthCheckData,
  healthTestLayout,
  KelosArgoCd,
} from '../../../constructs/index.ts';
import { validateObject } from '../../../src/validate/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read by path; every access is asserted.
type Obj = Record<string, any>;

const render = (): Obj[] => {
  const chart = new Chart(new App(), 'argocd');
  new KelosArgoCd(chart, 'kelos', { repoURL: 'https://git.example.com/fleet.git', targetRevision: 'main' });
  return chart.toJson() as Obj[];
};

const byName = (objs: Obj[], name: string): Obj => {
  const o = objs.find((x) => x.metadata.name === name);
  if (!o) throw new Error(`no ${name}`);
  return o;
};

const wave = (o: Obj) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);

describe('KelosArgoCd', () => {
  const objs = render();

  it('orders the Applications: health checks, CRDs, install, apps', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}:${wave(o)}`).sort()).toEqual([
      'Application/kelos-crds:-3',
      'Application/kelos-install:-2',
      'Application/kelos:-4',
      'ApplicationSet/kelos-apps:0',
      'ConfigMap/argocd-cm:-4',
    ]);
  });

  it('applies the CRDs server-side and never prunes them', () => {
    const crds = byName(objs, 'kelos-crds');
    expect(crds.spec.source).toEqual({
      repoURL: 'https://git.example.com/fleet.git',
      targetRevision: 'main',
      path: 'dist/crds',
    });
    expect(crds.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect(crds.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
    expect(byName(objs, 'kelos-install').spec.source.path).toBe('dist/install');
  });

  it('makes one Application per app directory, with waves by kind and the operator’s fields ignored', () => {
    const set = byName(objs, 'kelos-apps');
    expect(set.spec.generators[0].git.directories).toEqual([{ path: 'dist/examples/*' }]);
    const spec = set.spec.template.spec;
    expect(spec.source.kustomize.patches).toEqual(appWavePatches());
    const waves = Object.fromEntries(
      spec.source.kustomize.patches.map((p: Obj) => [
        p.target.kind,
        p.patch.match(/sync-wave: "(-?\d+)"/)?.[1],
      ]),
    );
    expect(waves).toEqual({ Workspace: '0', AgentConfig: '0', TaskBudget: '0', TaskSpawner: '1', Task: '1' });
    expect(spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    expect(spec.ignoreDifferences).toContainEqual({
      group: 'kelos.dev',
      kind: 'Task',
      managedFieldsManagers: ['kelos-operator'],
      jsonPointers: ['/metadata/finalizers'],
    });
  });

  it('puts the health checks into argocd-cm without pruning or deleting Argo CD’s ConfigMap', () => {
    const cm = byName(objs, 'argocd-cm');
    expect(Object.keys(cm.data).sort()).toEqual([
      'resource.customizations.health.argoproj.io_Application',
      'resource.customizations.health.kelos.dev_Task',
      'resource.customizations.health.kelos.dev_TaskBudget',
      'resource.customizations.health.kelos.dev_TaskSpawner',
    ]);
    expect(cm.data).toEqual(healthCheckData());
    expect(cm.metadata.annotations['argocd.argoproj.io/sync-options']).toBe(
      'ServerSideApply=true,Prune=false,Delete=false',
    );
  });
});

describe('health checks', () => {
  it('lay out as Argo CD’s resource_customizations: script, tests and test data per kind', () => {
    const paths = healthTestLayout().map((f) => f.path);
    for (const c of HEALTH_CHECKS) {
      const dir = `${c.group}/${c.kind}`;
      expect(paths).toContain(`${dir}/health.lua`);
      expect(paths).toContain(`${dir}/health_test.yaml`);
      for (const k of HEALTH_CASES[dir] ?? []) expect(paths).toContain(`${dir}/testdata/${k.name}.yaml`);
    }
  });

  it('use no Lua library Argo CD leaves out by default (string, math, os, io)', () => {
    for (const c of HEALTH_CHECKS) expect(c.script, c.kind).not.toMatch(/\b(string|math|os|io)\./);
  });

  it('are tested on Kelos objects the validator accepts', () => {
    const objects = Object.entries(HEALTH_CASES)
      .filter(([k]) => k.startsWith('kelos.dev/'))
      .flatMap(([, cases]) => cases.map((c) => c.object));
    // One at a time: the cases reuse names on purpose (one object in several states).
    const errors = objects.flatMap((o) =>
      validateObject(o)
        .filter((d) => d.severity === 'error')
        .map((d) => `${o['kind']} ${(o['metadata'] as { name: string }).name} ${d.path}: ${d.message}`),
    );
    expect(errors).toEqual([]);
  });
});
