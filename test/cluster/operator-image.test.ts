/**
 * The operator image, built with buildah from images/operator.Dockerfile, run as a container
 * (its ENTRYPOINT, its USER 65532) against the test control plane: it becomes ready, turns a
 * Task into a Job with the image names the flags give, takes a Task through to Succeeded and
 * stops cleanly on SIGTERM. It prints the image size and the time from starting the container
 * to /readyz answering ok (a figure for the note, not an assertion).
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Resources } from '../../src/operator/resources.ts';
import { freePorts } from './control-plane.ts';
import { freshNamespace, kubeconfigPath } from './helpers.ts';
import {
  type BuiltImage,
  buildImage,
  type Container,
  completion,
  container,
  imageConfig,
  mb,
  signalInContainer,
} from './image-build.ts';
import { installCrds } from './install-crds.ts';
import {
  create,
  jobArgs,
  jobNames,
  outputsMessage,
  podFinished,
  podRunning,
  task,
  testClient,
  waitFor,
  waitForPhase,
} from './operator-helpers.ts';

describe('the operator image', () => {
  let built: BuiltImage;
  let ctr: Container;
  let child: ChildProcess;
  let exited: ReturnType<typeof completion>;
  let ns: string;
  let dir: string;
  let startMs = 0;
  let entrypoint: string[] = [];

  beforeAll(async () => {
    built = await buildImage('operator');
    await installCrds();
    ns = await freshNamespace('op-image');
    // The admin kubeconfig is private to root; the image's user 65532 reads a copy.
    dir = await mkdtemp(join(tmpdir(), 'kelos-op-image-'));
    await copyFile(kubeconfigPath(), join(dir, 'kubeconfig'));
    await chmod(dir, 0o755);
    await chmod(join(dir, 'kubeconfig'), 0o644);

    const [health] = await freePorts(1);
    const config = await imageConfig(built.image);
    entrypoint = config.entrypoint;
    expect(config.user).toBe('65532:65532');
    ctr = await container(built.image);
    const started = performance.now();
    child = ctr.spawn(
      [
        ...entrypoint,
        'operator',
        '--kubeconfig=/etc/kelos/kubeconfig',
        `--namespace=${ns}`,
        `--health-addr=127.0.0.1:${health}`,
        '--metrics-addr=0',
        '--image-repository=registry.example/kelos',
        '--image-tag=v9',
        '--agent-image-codex=registry.example/agents/codex:7',
      ],
      { mounts: [`${dir}:/etc/kelos:ro`] },
    );
    exited = completion(child);
    await waitFor(
      'the operator container to report ready on /readyz',
      async () => {
        const res = await fetch(`http://127.0.0.1:${health}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    startMs = performance.now() - started;
    process.stderr.write(
      `operator image ${built.image}: ${mb(built.bytes)} uncompressed (${built.built ? 'built' : 'reused'}); ` +
        `container start to /readyz ok: ${Math.round(startMs)} ms\n`,
    );
  }, 30 * 60_000);

  afterAll(async () => {
    // Normally ended by the last test; kills it if a test failed before.
    child?.kill('SIGTERM');
    await exited;
    await ctr?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is under the 160 MB budget, uncompressed', () => {
    expect(built.bytes).toBeGreaterThan(0);
    expect(built.bytes).toBeLessThan(160e6);
  });

  it('reconciles a Task into a Job that runs the images its flags name', async () => {
    const c = await testClient();
    try {
      await create(c, ns, 'Task', task('from-image'));
      await create(
        c,
        ns,
        'Task',
        task('codex', { worker: { type: 'codex', credentials: { type: 'none' } } }),
      );
      await waitFor('Jobs of the operator container', async () => (await jobNames(c, ns)).length === 2);
      expect(await jobNames(c, ns)).toEqual(['codex', 'from-image']);
      const images = async (name: string) => {
        const job = await c.get<{
          metadata: Record<string, unknown>;
          spec?: { template?: { spec?: { containers?: Array<{ name: string; image?: string }> } } };
        }>(Resources.Job, ns, name);
        return job?.spec?.template?.spec?.containers?.find((x) => x.name === 'kelos-agent')?.image;
      };
      expect(await images('from-image')).toBe('registry.example/kelos/claude-code:v9');
      expect(await images('codex')).toBe('registry.example/agents/codex:7');
      expect(await jobArgs(c, ns, 'from-image')).toContain('work of from-image');

      await waitForPhase(c, ns, 'from-image', 'Pending');
      await podRunning(c, ns, 'from-image');
      await waitForPhase(c, ns, 'from-image', 'Running');
      await podFinished(c, ns, 'from-image', { message: outputsMessage({ branch: 'kelos/image' }) });
      const done = await waitForPhase(c, ns, 'from-image', 'Succeeded');
      expect(done.status?.results).toEqual({ branch: 'kelos/image' });
    } finally {
      c.close();
    }
  });

  it('stops on SIGTERM with exit code 0', async () => {
    await signalInContainer(child, entrypoint, 'SIGTERM');
    const { code, stderr } = await exited;
    expect(stderr).toContain('"msg":"Operator running"');
    expect(stderr).toContain('"msg":"Shutting down"');
    expect(code).toBe(0);
  });
});
