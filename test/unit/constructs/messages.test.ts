/**
 * Constructs check the API's CEL rules by evaluating them, not by restating them: what a
 * construct throws for a CEL invariant is what `kelos validate` reports for the same object,
 * and the messages constructs keep for themselves are not copies of CEL messages.
 */
import { describe, expect, test } from 'vitest';
import {
  AgentConfig,
  KelosValidationError,
  Messages,
  renderTaskSpec,
  Task,
  TaskBudget,
  type TaskProps,
  Workspace,
} from '../../../constructs/index.ts';
import { API_VERSION, KINDS } from '../../../src/api/index.ts';
import { validateObject } from '../../../src/validate/index.ts';
import { apiKey, chart } from './helpers.ts';

/** Every `x-kubernetes-validations` message anywhere in the API's schemas. */
const ruleMessages = (): Set<string> => {
  const out = new Set<string>();
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const rules = (node as { 'x-kubernetes-validations'?: Array<{ message: string }> })[
      'x-kubernetes-validations'
    ];
    for (const r of rules ?? []) out.add(r.message);
    for (const v of Object.values(node)) walk(v);
  };
  for (const k of KINDS) walk(k.spec);
  return out;
};

/** The violations a construct throws. */
const violations = (build: () => unknown): Array<{ path: string; message: string }> => {
  try {
    build();
  } catch (err) {
    if (err instanceof KelosValidationError) return [...err.violations];
    throw err;
  }
  throw new Error('expected the construct to throw');
};

/** What `kelos validate` says about one object's CEL rules. */
const validatorCel = (kind: string, spec: unknown) =>
  validateObject({ apiVersion: API_VERSION, kind, metadata: { name: 'bad' }, spec })
    .filter((d) => d.code === 'cel/rule')
    .map(({ path, message }) => ({ path, message }));

describe('constructs evaluate the API rules', () => {
  test('messages constructs keep for themselves are not CEL rule messages', () => {
    const messages = ruleMessages();
    const own = Object.values(Messages as Record<string, unknown>).filter(
      (m): m is string => typeof m === 'string',
    );
    expect(own.length).toBeGreaterThan(0);
    for (const m of own) expect(messages.has(m)).toBe(false);
  });

  test.each<[string, TaskProps]>([
    ['no way to run the agent', { prompt: 'p' }],
    [
      'worker beside the deprecated type',
      { worker: { type: 'codex', credentials: apiKey }, type: 'codex', prompt: 'p' },
    ],
    [
      'pool with fields it does not take',
      { workerPoolRef: { name: 'pool' }, image: 'x', branch: 'b', prompt: 'p' },
    ],
    [
      'reserved container names',
      {
        worker: {
          type: 'codex',
          credentials: apiKey,
          podOverrides: { extraContainers: [{ name: 'kelos-x' }] },
        },
        prompt: 'p',
      },
    ],
  ])('a Task (%s) throws what kelos validate reports for it', (_name, props) => {
    const thrown = violations(() => new Task(chart(), 'bad', { metadata: { name: 'bad' }, ...props }));
    expect(thrown.length).toBeGreaterThan(0);
    expect(thrown).toStrictEqual(validatorCel('Task', renderTaskSpec(props, true)));
  });

  test('TaskBudget, AgentConfig and Workspace throw what kelos validate reports', () => {
    const budget = { taskSelector: {}, period: { type: 'Daily' as const }, maxCostUSD: '-1' };
    expect(
      violations(() => new TaskBudget(chart(), 'b', { metadata: { name: 'bad' }, ...budget })),
    ).toStrictEqual(validatorCel('TaskBudget', budget));
    const config = {
      mcpServers: [
        { name: 'm', type: 'stdio' as const },
        { name: 'n', type: 'http' as const },
      ],
    };
    const configViolations = violations(
      () => new AgentConfig(chart(), 'a', { metadata: { name: 'bad' }, ...config }),
    );
    expect(configViolations).toHaveLength(2);
    expect(configViolations).toStrictEqual(validatorCel('AgentConfig', config));
    const ws = {
      repo: 'https://github.com/a/b.git',
      remotes: [{ name: 'origin', url: 'https://github.com/c/b.git' }],
    };
    expect(violations(() => new Workspace(chart(), 'w', { metadata: { name: 'bad' }, ...ws }))).toStrictEqual(
      validatorCel('Workspace', ws),
    );
  });
});
