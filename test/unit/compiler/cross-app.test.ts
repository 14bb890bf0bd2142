/**
 * Each app is deployed as its own bundle (one Argo CD Application per directory); two apps
 * rendering one object with different content would have their Applications fight over it,
 * which `kelos validate dist/` reports. synth reports it too, before it writes.
 */
import { describe, expect, test } from 'vitest';
import { appSource, kelos, projectsDisposedAfterEach } from './project.ts';

const make = projectsDisposedAfterEach();

const workspace = (ref?: string) =>
  appSource(
    `  new K.Workspace(scope, 'ws', { metadata: { name: 'my-repo' }, repo: 'https://github.com/a/b.git'${ref ? `, ref: '${ref}'` : ''} });`,
  );

describe('objects two apps render', { timeout: 60_000 }, () => {
  test('with different content: a bundle/conflict error at the app line, nothing written', async () => {
    const p = make({ api: workspace('main'), nightly: workspace() });
    const run = await kelos(['synth'], p.root);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /apps\/nightly\/main\.ts:3:3: error Workspace default\/my-repo also rendered by dist\/apps\/api \(dist\/apps\/api\/workspace-my-repo\.yaml:2\) with different content; the two Applications syncing dist\/apps\/nightly and dist\/apps\/api would fight over it \[bundle\/conflict\]/,
    );
    expect(p.files('dist')).toStrictEqual([]);
  });

  test('with the same content: no finding', async () => {
    const p = make({ api: workspace('main'), nightly: workspace('main') });
    const run = await kelos(['synth'], p.root);
    expect(run.stdout).not.toContain('bundle/conflict');
    expect(run.code).toBe(0);
  });
});
