/**
 * security/literal-secret: no Secret with literal values in the rendered output, unless the
 * config allows that Secret by name.
 *
 * @packageDocumentation
 */
import type { Finding, ObjectRule } from '../src/policy/rule.ts';
import { namespaceOf, rec } from './lib/access.ts';

/** Message for a Secret carrying literal values under `field`. */
export const secretHasLiterals = (field: string, keys: readonly string[]): string =>
  `Secret carries literal values under ${field} (${keys.join(', ')}); committed manifests must not hold credentials`;

export const literalSecret: ObjectRule = {
  id: 'security/literal-secret',
  scope: 'object',
  severity: 'error',
  kinds: ['Secret'],
  description:
    'No Secret in the output carries literal data or stringData, unless allowlists.literalSecrets names it.',
  rationale:
    'dist/ is committed and synced by Argo CD: a literal Secret puts the credential in git history, readable by everyone with repository access.',
  hint: 'Create the Secret out of band (External Secrets, Sealed Secrets, kubectl create secret) and reference it by name.',
  check({ object, config }) {
    if (object.apiVersion !== 'v1') return [];
    const name = object.metadata?.name ?? '';
    const allowed = config.allowlists.literalSecrets;
    if (allowed.includes(name) || allowed.includes(`${namespaceOf(object)}/${name}`)) return [];
    const findings: Finding[] = [];
    for (const field of ['data', 'stringData']) {
      const keys = Object.keys(rec(object[field]) ?? {});
      if (keys.length > 0) findings.push({ path: `/${field}`, message: secretHasLiterals(field, keys) });
    }
    return findings;
  },
};
