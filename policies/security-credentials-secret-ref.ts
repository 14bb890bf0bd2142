/**
 * security/credentials-secret-ref: credentials reach agents and MCP servers only through Secret
 * references, never as literal env values or headers.
 *
 * @packageDocumentation
 */
import type { KubeObject } from '../src/api/object.ts';
import type { Finding, ObjectRule } from '../src/policy/rule.ts';
import { arr, get, nonEmpty, ptr, rec, str } from './lib/access.ts';
import { executionOf } from './lib/worker.ts';

/** Names that hold credentials: tokens, keys, secrets, passwords. */
export const CREDENTIAL_NAME = /(TOKEN|API[_-]?KEY|SECRET|PASSWORD|PASSWD|PRIVATE[_-]?KEY|CREDENTIAL)/i;

/** Message for a literal env value. */
export const literalEnv = (name: string): string =>
  `env ${name} has a literal value; credentials must come from a Secret through valueFrom.secretKeyRef`;

/** Message for a literal header. */
export const literalHeader = (name: string): string =>
  `header ${name} has a literal value; credentials must come from a Secret through headersFrom`;

function envFindings(env: unknown, segments: readonly (string | number)[]): Finding[] {
  return arr(env).flatMap((item, i) => {
    const name = str(get(item, 'name'));
    return name && CREDENTIAL_NAME.test(name) && nonEmpty(get(item, 'value'))
      ? [{ path: ptr(...segments, i, 'value'), message: literalEnv(name) }]
      : [];
  });
}

function headerFindings(headers: unknown, segments: readonly (string | number)[]): Finding[] {
  return Object.entries(rec(headers) ?? {}).flatMap(([name, value]) =>
    (CREDENTIAL_NAME.test(name) || /^(authorization|cookie)$/i.test(name)) && nonEmpty(value)
      ? [{ path: ptr(...segments, name), message: literalHeader(name) }]
      : [],
  );
}

function containerEnv(object: KubeObject): Finding[] {
  const e = executionOf(object);
  if (!e) return [];
  const findings: Finding[] = [];
  const env = e.podOverride('env');
  if (env) findings.push(...envFindings(env.value, env.segments));
  for (const list of ['extraContainers', 'extraInitContainers']) {
    const containers = e.podOverride(list);
    arr(containers?.value).forEach((c, i) => {
      findings.push(...envFindings(get(c, 'env'), [...(containers?.segments ?? []), i, 'env']));
    });
  }
  return findings;
}

export const credentialsSecretRef: ObjectRule = {
  id: 'security/credentials-secret-ref',
  scope: 'object',
  severity: 'error',
  kinds: ['Task', 'TaskSpawner', 'AgentConfig'],
  description:
    'Credentials (env vars and headers named like tokens, keys, secrets or passwords) are never literal values in Tasks, task templates, context sources or MCP servers.',
  rationale:
    'A literal credential is readable by anyone who can read the object or its Pod, is committed to git with the manifests, and cannot be rotated without a new release.',
  hint: 'Put the value in a Secret and reference it (env valueFrom.secretKeyRef, MCP envFrom/headersFrom, contextSources headersFrom).',
  check({ object }) {
    if (object.kind === 'AgentConfig') {
      return arr(get(object, 'spec', 'mcpServers')).flatMap((server, i) => [
        ...envFindings(get(server, 'env'), ['spec', 'mcpServers', i, 'env']),
        ...headerFindings(get(server, 'headers'), ['spec', 'mcpServers', i, 'headers']),
      ]);
    }
    const findings = containerEnv(object);
    if (object.kind === 'TaskSpawner') {
      arr(get(object, 'spec', 'taskTemplate', 'contextSources')).forEach((source, i) => {
        findings.push(
          ...headerFindings(get(source, 'http', 'headers'), [
            'spec',
            'taskTemplate',
            'contextSources',
            i,
            'http',
            'headers',
          ]),
        );
      });
    }
    return findings;
  },
};
