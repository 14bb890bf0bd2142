/**
 * Constructs reuse the API's CEL messages verbatim, so a construct and `kelos validate`
 * say the same thing about the same mistake. This holds the catalog to the API.
 */
import { describe, expect, test } from 'vitest';
import { CelMessages } from '../../../constructs/index.ts';
import { KINDS } from '../../../src/api/index.ts';

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

describe('CelMessages', () => {
  const messages = ruleMessages();
  const catalog = Object.entries(CelMessages).map(([key, value]) => [
    key,
    typeof value === 'function'
      ? (value as (f: string) => string)(key === 'notSupportedWithPool' ? 'image' : 'extraContainers')
      : value,
  ]);

  test.each(catalog)('%s is a CEL rule message of src/api', (_key, message) => {
    expect(messages.has(message as string)).toBe(true);
  });
});
