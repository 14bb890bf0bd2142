import { describe, expect, test } from 'vitest';
import { compact, compactOver } from '../../../constructs/render.ts';
import {
  type ExecutionProps,
  emitsAsWritten,
  renderExecution,
  renderExecutionAsWritten,
} from '../../../constructs/worker.ts';

describe('compact', () => {
  test('a class instance where plain JSON belongs is refused by name, not copied until the stack runs out', () => {
    class Workspace {
      readonly self = this;
    }
    expect(() => compact({ spec: { workspace: new Workspace() } })).toThrow(
      'spec.workspace holds a Workspace, which is no value a manifest can hold; a construct goes in the prop that takes it (worker.workspace, worker.agentConfigs, dependsOn), everything else is plain JSON',
    );
    // A construct is named by its path in the app; its class may be an import's, internal one.
    class ImportedObject {
      readonly node = { path: 'app/ws' };
    }
    expect(() => compact({ podOverrides: { env: [{ name: 'A', value: new ImportedObject() }] } })).toThrow(
      'podOverrides.env[0].value holds the construct app/ws, which is no value a manifest can hold',
    );
    expect(() => compact({ at: new Intl.Locale('en') })).toThrow('at holds a Locale, which is');
    class Env {}
    expect(() => compact([new Env()])).toThrow('[0] holds an Env, which is');
    expect(compact({ b: Object.assign(Object.create(null), { x: 1 }), a: [1, undefined] })).toStrictEqual({
      a: [1],
      b: { x: 1 },
    });
  });

  test('an object that holds itself is refused with the path that closes the cycle; a deep tree with no cycle by its depth', () => {
    const env: Record<string, unknown> = { name: 'N' };
    env['from'] = [{ ref: env }];
    expect(() => compact({ podOverrides: { env: [env] } })).toThrow(
      'podOverrides.env[0].from[0].ref holds an object it is inside of (a cycle); a manifest is a tree of plain JSON',
    );
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(() => compact(deep)).toThrow('a value nests more than 128 levels deep; no Kubernetes object does');
    let fine: unknown = 'leaf';
    for (let i = 0; i < 100; i++) fine = [fine];
    expect(JSON.stringify(compact(fine))).toBe(JSON.stringify(fine));
  });
});

describe('compactOver', () => {
  test('renders what compact renders of the merge, keeping the compacted members as they are', () => {
    const done = compact({ worker: { type: 'codex', podOverrides: { env: [{ value: 'v', name: 'N' }] } } });
    const value = { prompt: 'p', dependsOn: undefined, branch: 'b', zeta: { b: 1, a: undefined } };
    const out = compactOver<Record<string, unknown>>(value, done);
    expect(JSON.stringify(out)).toBe(JSON.stringify(compact({ ...value, ...done })));
    expect(Object.keys(out)).toEqual(['branch', 'prompt', 'worker', 'zeta']);
    expect(out['worker']).toBe(done.worker);
  });

  test('a compacted member wins over the same key in value, and an undefined one is dropped', () => {
    expect(compactOver({ a: 1, b: 2 }, { a: 3, c: undefined })).toEqual({ a: 3, b: 2 });
  });
});

describe('emitsAsWritten', () => {
  const secret = { type: 'api-key' as const, secretRef: { name: 's' } };
  const cases: Array<[string, ExecutionProps]> = [
    ['nothing', {}],
    ['a worker', { worker: { type: 'claude-code', credentials: secret } }],
    ['an empty worker', { worker: {} }],
    ['a worker of undefined fields', { worker: { type: undefined, agentConfigs: [] } }],
    ['an empty worker with a pool', { worker: {}, workerPoolRef: { name: 'pool' } }],
    ['a pool', { workerPoolRef: { name: 'pool' } }],
    ['the deprecated type', { type: 'codex' }],
    ['a worker and the deprecated model', { worker: { type: 'codex' }, model: 'm' }],
    ['the deprecated podOverrides with a pool', { workerPoolRef: { name: 'pool' }, podOverrides: {} }],
  ];
  test.each(cases)('with %s, it says whether the emitted form is the written one', (_name, props) => {
    const same = JSON.stringify(renderExecution(props)) === JSON.stringify(renderExecutionAsWritten(props));
    // With a pool, both forms are the written one even with deprecated fields; emitsAsWritten
    // may then say no (the constructs only render the written form once more).
    if (emitsAsWritten(props)) expect(same).toBe(true);
    else if (props.workerPoolRef === undefined) expect(same).toBe(false);
  });
});
