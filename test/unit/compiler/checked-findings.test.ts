import { afterEach, describe, expect, test } from 'vitest';
import { runModuleApp } from '../../../src/compiler/runner.ts';
import { synthesize, validateApp } from '../../../src/compiler/synth.ts';
import { documentFromObject, evaluateObjectRules, validateDocuments } from '../../../src/validate/index.ts';
import { appSource, kelos, type Project, project, taskSource } from './project.ts';

const projects: Project[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.dispose();
});

/** Two Tasks, the second reading a result no agent reports (a template warning). */
const DEPENDENT = [
  taskSource('first'),
  "  const first = scope.node.findChild('first');",
  `  const second = new K.Task(scope, 'second', { metadata: { name: 'second' }, worker: { type: 'codex', credentials: { type: 'api-key', secretRef: { name: 'key' } } }, dependsOn: [first], prompt: 'Go on from {{index .Deps "first" "Results" "nope"}}' });`,
].join('\n');

describe('findings the constructs made', { timeout: 60_000 }, () => {
  test('the runner hands over the CEL and template findings of a spec rendered as checked', async () => {
    const p = project({ dep: appSource(DEPENDENT) });
    projects.push(p);
    const run = await runModuleApp(p.root, { name: 'dep', file: 'apps/dep/main.ts' });
    expect(run.failures).toStrictEqual([]);
    const second = run.objects.find((o) => (o.object['metadata'] as { name: string }).name === 'second');
    expect(second?.checked?.rules).toStrictEqual([]);
    expect(
      second?.checked?.templates?.map((t) => [t.site.path, t.finding.code, t.finding.severity]),
    ).toStrictEqual([['/spec/prompt', 'template/unknown-result', 'warning']]);
  });

  test('a spec the app changed after the construct checked it is checked by the validator', async () => {
    const p = project({
      dep: appSource(`${DEPENDENT}\n  second.spec.prompt = 'Go on from {{.Nope}}';`),
    });
    projects.push(p);
    const run = await runModuleApp(p.root, { name: 'dep', file: 'apps/dep/main.ts' });
    const second = run.objects.find((o) => (o.object['metadata'] as { name: string }).name === 'second');
    expect(second?.object['spec']).toMatchObject({ prompt: 'Go on from {{.Nope}}' });
    expect(second?.checked).toBeUndefined();
    const synth = await kelos(['synth'], p.root);
    expect(synth.code).toBe(2);
    expect(synth.stdout).toContain(".Nope is not a variable of a dependent Task's prompt");
  });

  test('synth reports what validating every object from scratch reports', async () => {
    const p = project({ dep: appSource(DEPENDENT) });
    projects.push(p);
    const result = await synthesize({ root: p.root });
    const [app] = result.apps;
    if (!app) throw new Error('no app');
    expect(app.objects.every((o) => o.checked !== undefined)).toBe(true);
    const fresh = { ...app, objects: app.objects.map(({ checked: _checked, ...o }) => o) };
    const reused = validateApp(app);
    expect(reused.map((d) => d.code)).toContain('template/unknown-result');
    expect(reused).toStrictEqual(validateApp(fresh));
  });

  test('the validator reports checked rule findings as its own instead of evaluating the rules', () => {
    const object = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskBudget',
      metadata: { name: 'b', namespace: 'n' },
      spec: {
        taskSelector: { matchExpressions: [{ key: 'team', operator: 'In' }] },
        period: { type: 'Daily' },
        maxCostUSD: '5',
      },
    };
    const doc = documentFromObject(object);
    const rules = evaluateObjectRules(object);
    expect(rules.length).toBeGreaterThan(0);
    const fromScratch = validateDocuments([doc]);
    const given = validateDocuments([doc], { checked: () => ({ rules }) });
    expect(given).toStrictEqual(fromScratch);
    // Checked findings stand in for the evaluation: none given, none reported.
    const none = validateDocuments([doc], { checked: () => ({ rules: [] }) });
    expect(none.filter((d) => d.code.startsWith('cel/'))).toStrictEqual([]);
    expect(fromScratch.filter((d) => d.code.startsWith('cel/')).length).toBeGreaterThan(0);
  });
});
