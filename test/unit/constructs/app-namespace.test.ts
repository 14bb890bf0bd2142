import { describe, expect, test } from 'vitest';
import { AppNamespace } from '../../../constructs/index.ts';
import { chart, synth, thrown } from './helpers.ts';

describe('AppNamespace', () => {
  test('renders the Namespace one wave before the app, never pruned or deleted by Argo CD', () => {
    const c = chart();
    new AppNamespace(c, 'ns', { name: 'team-a', labels: { team: 'a' } });
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: 'team-a',
          labels: { team: 'a' },
          annotations: {
            'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
            'argocd.argoproj.io/sync-wave': expect.any(String),
          },
        },
      },
    ]);
  });

  test('refuses a name the API server refuses, and a namespace every cluster has', () => {
    expect(thrown(() => new AppNamespace(chart(), 'ns', { name: 'Team-A' }))).toBe(
      `Namespace Team-A /metadata/name: "Team-A" is not a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`,
    );
    expect(thrown(() => new AppNamespace(chart(), 'ns', { name: 'kube-system' }))).toBe(
      'Namespace kube-system /metadata/name: "kube-system" is made by the API server in every cluster; an Argo CD-owned copy would only fight it (leave it out: nothing needs to create it)',
    );
  });
});
