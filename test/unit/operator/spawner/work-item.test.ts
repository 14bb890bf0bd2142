import { describe, expect, test } from 'vitest';
import { tickItem } from '../../../../src/operator/spawner/sources/cron.ts';
import { templateVars, type WorkItem } from '../../../../src/operator/spawner/work-item.ts';
import {
  POLLING_KEYS,
  POLLING_SOURCES,
  sourceVariables,
  type VarType,
} from '../../../../src/template/variables.ts';

const item: WorkItem = {
  id: '42',
  number: 42,
  title: 't',
  body: 'b',
  url: 'u',
  labels: ['bug'],
  comments: '',
  kind: 'Issue',
  annotations: {},
};

const matches = (type: VarType, value: unknown): boolean =>
  type.kind === 'string' ? typeof value === 'string' : type.kind === 'int' ? Number.isInteger(value) : true;

describe('the runtime builds exactly the declared variables', () => {
  test.each(POLLING_SOURCES)(
    '%s: every variable the runtime builds is declared with its type, and vice versa',
    (source) => {
      const declared = sourceVariables({ source, contextSources: ['docs'] });
      if (declared.kind !== 'struct') throw new Error('not a struct');
      for (const built of [
        templateVars(item, { docs: 'x' }),
        templateVars(tickItem('0 9 * * *', new Date(0)), { docs: 'x' }),
      ]) {
        const vars = built as Record<string, unknown>;
        expect(Object.keys(vars).sort()).toStrictEqual(Object.keys(declared.fields).sort());
        for (const [k, v] of Object.entries(declared.fields))
          expect([k, matches(v.type, vars[k])]).toStrictEqual([k, true]);
      }
    },
  );

  test('without context sources there is no .Context, on either side', () => {
    const declared = sourceVariables({ source: 'githubIssues' });
    expect(declared.kind === 'struct' && Object.keys(declared.fields)).toStrictEqual([...POLLING_KEYS]);
    expect(Object.keys(templateVars(item) as object)).toStrictEqual([...POLLING_KEYS]);
  });
});
