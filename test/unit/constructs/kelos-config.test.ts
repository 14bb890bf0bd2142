import { Chart, Testing } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import { KelosConfig } from '../../../constructs/index.ts';
import { KELOS_CONFIG } from '../../../src/api/index.ts';
import { generateCrd } from '../../../src/crd/generate.ts';
import { documentFromObject, validateDocuments } from '../../../src/validate/index.ts';
import { synth, thrown, validationErrors } from './helpers.ts';

describe('KelosConfig', () => {
  test('renders a cluster-scoped object named kelos, without the chart namespace, that validates', () => {
    const c = new Chart(Testing.app(), 'c', { namespace: 'team-a' });
    new KelosConfig(c, 'config', {
      podSecurity: { allowedServiceAccounts: ['builder'] },
      outbound: { allowedHosts: ['api.github.com', '*.ghe.example.com'], timeoutSeconds: 5 },
      rates: { 'claude-code': { default: 7 } },
      admission: { exemptNamespaces: ['kelos-system'] },
    });
    const [obj] = synth(c);
    expect(obj).toMatchObject({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
    });
    expect((obj as { metadata: object }).metadata).not.toHaveProperty('namespace');
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('its CRD is cluster-scoped', () => {
    expect(generateCrd(KELOS_CONFIG).spec.scope).toBe('Cluster');
  });

  test('the validator rejects a negative rate and a mistyped field with their pointers', () => {
    const bad = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
      spec: { rates: { codex: { default: -1 } }, podSecurity: { allowPrivileged: 'yes' } },
    };
    const paths = validateDocuments([documentFromObject(bad, 'config.yaml', 0)])
      .filter((d) => d.severity === 'error')
      .map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/spec/rates/codex/default', '/spec/podSecurity/allowPrivileged']),
    );
  });

  test('an allowance list or rates that are no list or object are refused at their fields, not with a TypeError', () => {
    const props = { networkIsolation: { inClusterAllowances: 'mcp' }, rates: 'USD 7' };
    expect(
      thrown(
        () =>
          new KelosConfig(
            Testing.chart(),
            'c',
            props as unknown as ConstructorParameters<typeof KelosConfig>[2],
          ),
      ),
    ).toBe(
      [
        'KelosConfig kelos /spec/networkIsolation/inClusterAllowances: inClusterAllowances must be a list; got a string "mcp"',
        'KelosConfig kelos /spec/rates: rates must be an object; got a string "USD 7"',
      ].join('\n'),
    );
  });

  test('the construct rejects an allowance naming both namespace and namespaceSelector, and an empty podSelector', () => {
    const message = thrown(
      () =>
        new KelosConfig(Testing.chart(), 'c', {
          networkIsolation: {
            inClusterAllowances: [
              {
                name: 'search',
                namespace: 'mcp',
                namespaceSelector: { matchLabels: { team: 'a' } },
                podSelector: { matchLabels: { app: 'search' } },
                ports: [{ port: 8080 }],
              },
              { name: 'all', namespace: 'mcp', podSelector: {}, ports: [{ port: 80 }] },
            ],
          },
        }),
    );
    expect(message).toContain('/spec/networkIsolation/inClusterAllowances/0: set exactly one of namespace');
    expect(message).toContain(
      '/spec/networkIsolation/inClusterAllowances/1/podSelector: podSelector must select',
    );
    expect(message).not.toContain('inClusterAllowances/0/podSelector');
  });
});
