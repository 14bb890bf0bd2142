/**
 * What the agent and operator images contain, checked without a Docker engine: the files
 * the Dockerfiles copy exist (or, under `lib/`, are built by `npm run build` from sources
 * that exist) and are not excluded from the build context, and the agent runtime works from
 * exactly the files the agent base image copies, compiled as `npm run build` compiles them,
 * through the same wrapper scripts, as local processes.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  AGENT_UID,
  BUNDLED_COMMAND,
  ENTRYPOINT_PATH,
  Env,
  GITHUB_TOKEN_FILE,
  REPO_DIR,
} from '../../../src/contract/pod.ts';
import { b64, baseEnv, block, git, makeWorkspace, readText, stream, type Workspace } from './harness.ts';
import {
  BUILT,
  contextCopies,
  dockerfile,
  IMAGES,
  layOutAgentRuntime,
  sourceOfBuilt,
} from './image-runtime.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
/**
 * Modules a file loads at run time: static imports and re-exports (`import type` and
 * `export type` are erased by Node; `import { type X }` is not, it still loads the module),
 * side-effect imports and dynamic imports.
 */
const runtimeImports = (file: string): string[] => {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms),
    ...text.matchAll(/^import\s+'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]!);
};

const closure = (entries: string[]): { files: Set<string>; packages: Set<string> } => {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  for (const e of entries) visit(e);
  return { files, packages };
};

describe('Dockerfiles', () => {
  test.each(['operator.Dockerfile', 'agent-base.Dockerfile'])(
    '%s copies only files that exist and reach the build context',
    (name) => {
      const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
      const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
        include: string[];
        exclude?: string[];
      };
      for (const { sources } of contextCopies(dockerfile(name))) {
        for (const s of sources) {
          if (s.startsWith(BUILT)) {
            // Built before the image (images/build.sh runs npm run build): its source must be built.
            const source = sourceOfBuilt(s);
            expect(existsSync(join(ROOT, source)), `${name}: COPY ${s} is built from ${source}`).toBe(true);
            expect(
              build.include.some((i) => source === i || source.startsWith(`${i}/`)),
              `${name}: tsconfig.build.json builds ${source}`,
            ).toBe(true);
            expect(
              (build.exclude ?? []).filter((x) => source === x || source.startsWith(`${x}/`)),
              `${name}: tsconfig.build.json excludes ${source}`,
            ).toEqual([]);
          } else expect(existsSync(join(ROOT, s)), `${name}: COPY ${s}`).toBe(true);
          expect(
            ignored.filter((i) => s === i || s.startsWith(`${i}/`)),
            `${name}: ${s} is in .dockerignore`,
          ).toEqual([]);
        }
      }
    },
  );

  test('the operator image installs production dependencies only and runs as non-root', () => {
    const text = dockerfile('operator.Dockerfile');
    expect(text).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(text).toMatch(/^USER 65532:65532$/m);
    expect(text).toMatch(
      /^ENTRYPOINT \["\/nodejs\/bin\/node", "--max-semi-space-size=8", "--heap-growing-percent=20", "lib\/src\/cli\/main.js"\]$/m,
    );
    expect(text).toMatch(/^CMD \["operator"\]$/m);
  });

  test('the agent base image runs as the contract UID in the repository directory, with its entrypoint under tini', () => {
    const text = dockerfile('agent-base.Dockerfile');
    expect(text).toMatch(new RegExp(`^USER ${AGENT_UID}:${AGENT_UID}$`, 'm'));
    expect(text).toMatch(new RegExp(`^RUN groupadd --gid ${AGENT_UID} .*useradd --uid ${AGENT_UID} `, 'ms'));
    expect(text.match(/^WORKDIR (.+)$/m)?.[1]).toBe(REPO_DIR);
    expect(JSON.parse(text.match(/^ENTRYPOINT (.+)$/m)?.[1] ?? 'null')).toEqual([...BUNDLED_COMMAND]);
    expect(contextCopies(text).find((c) => c.sources[0] === 'images/kelos_entrypoint.sh')?.dest).toBe(
      ENTRYPOINT_PATH,
    );
    expect(text).toMatch(new RegExp(`^\\s*${Env.RealGh}=`, 'm'));
  });

  test('the image scripts read the contract names', () => {
    const script = (name: string) => readFileSync(join(IMAGES, name), 'utf8');
    expect(script('kelos_entrypoint.sh')).toContain(`\${${Env.RuntimeDir}:-/kelos}/agent/entrypoint.js`);
    expect(script('kelos-capture.sh')).toContain(`\${${Env.RuntimeDir}:-/kelos}/agent/capture.js`);
    expect(script('gh-wrapper.sh')).toContain(`\${${Env.GitHubTokenFile}:-${GITHUB_TOKEN_FILE}}`);
    expect(script('gh-wrapper.sh')).toContain(`\${${Env.RealGh}:-`);
  });

  test('the agent runtime needs no npm package and only files the agent base image copies', () => {
    // Every module of src/agent, not only the two entry points: whatever the image runs must be in it.
    const agentFiles = readdirSync(join(ROOT, 'src/agent'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(ROOT, 'src/agent', f));
    expect(agentFiles).toContain(join(ROOT, 'src/agent/entrypoint.ts'));
    const { files, packages } = closure(agentFiles);
    // The closure reaches the contract, so the check below covers its files as well.
    expect([...files].some((f) => f.startsWith(join(ROOT, 'src/contract/')))).toBe(true);
    expect([...packages]).toEqual([]);
    const copied = contextCopies(dockerfile('agent-base.Dockerfile'))
      .flatMap((c) => c.sources)
      .map((c) => (c.startsWith(BUILT) ? sourceOfBuilt(c) : c));
    const missing = [...files]
      .map((f) => relative(ROOT, f))
      .filter((f) => !copied.some((c) => f === c || f.startsWith(`${c}/`)));
    expect(missing).toEqual([]);
  });
});

describe('the agent runtime as laid out in the image', () => {
  const cleanup: string[] = [];
  const workspaces: Workspace[] = [];
  afterEach(() => {
    for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
    for (const w of workspaces.splice(0)) rmSync(w.dir, { recursive: true, force: true });
  });

  /** What agent-base.Dockerfile copies under /kelos, JavaScript only, in a temporary directory. */
  const layOutRuntime = (): string => {
    const runtime = layOutAgentRuntime();
    cleanup.push(runtime);
    return runtime;
  };

  const nodeDir = dirname(process.execPath);

  test('/kelos_entrypoint.sh runs the entrypoint from the copied files alone', () => {
    const runtime = layOutRuntime();
    const w = makeWorkspace();
    workspaces.push(w);
    const env = {
      ...baseEnv(w, 'gemini'),
      PATH: `${nodeDir}:${baseEnv(w, 'gemini').PATH}`,
      KELOS_RUNTIME_DIR: runtime,
    };
    const r = spawnSync(join(IMAGES, 'kelos_entrypoint.sh'), ['Fix it'], {
      cwd: w.repo,
      env,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = [
      'branch: kelos/fix',
      `commit: ${git(w.repo, 'rev-parse', 'HEAD')}`,
      'base-branch: main',
      'input-tokens: 8000',
      'output-tokens: 3200',
      `response: ${b64('Fixed the test and committed it.')}`,
    ];
    expect(r.stdout).toBe(stream('gemini') + block(...lines));
    expect(readText(w.terminationLog)).toBe(block(...lines));
  });

  test('/kelos/kelos-capture reads an agent stream on stdin', () => {
    const runtime = layOutRuntime();
    const w = makeWorkspace();
    workspaces.push(w);
    const env = {
      ...baseEnv(w, 'cursor'),
      PATH: `${nodeDir}:${baseEnv(w, 'cursor').PATH}`,
      KELOS_RUNTIME_DIR: runtime,
    };
    const r = spawnSync(join(IMAGES, 'kelos-capture.sh'), [], {
      cwd: w.repo,
      env,
      input: stream('cursor'),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(readText(w.terminationLog)).toContain('input-tokens: 36067\noutput-tokens: 227\n');
  });

  test('the gh wrapper exports the current token from the mounted file on every call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-gh-'));
    cleanup.push(dir);
    const realGh = join(dir, 'real-gh');
    writeFileSync(
      realGh,
      '#!/bin/sh\necho "GH_TOKEN=$(printenv GH_TOKEN) GH_ENTERPRISE_TOKEN=$(printenv GH_ENTERPRISE_TOKEN) args=$*"\n',
    );
    chmodSync(realGh, 0o755);
    const tokenFile = join(dir, 'GITHUB_TOKEN');
    const run = (extra: Record<string, string> = {}) =>
      spawnSync(join(IMAGES, 'gh-wrapper.sh'), ['pr', 'list'], {
        env: {
          PATH: '/usr/bin:/bin',
          KELOS_REAL_GH: realGh,
          KELOS_GITHUB_TOKEN_FILE: tokenFile,
          GH_TOKEN: 'stale',
          ...extra,
        },
        encoding: 'utf8',
      }).stdout;
    writeFileSync(tokenFile, 'ghs_one');
    expect(run()).toBe('GH_TOKEN=ghs_one GH_ENTERPRISE_TOKEN= args=pr list\n');
    writeFileSync(tokenFile, 'ghs_two');
    expect(run()).toBe('GH_TOKEN=ghs_two GH_ENTERPRISE_TOKEN= args=pr list\n');
    expect(run({ GH_HOST: 'ghe.acme.io', GH_TOKEN: '' })).toBe(
      'GH_TOKEN= GH_ENTERPRISE_TOKEN=ghs_two args=pr list\n',
    );
    rmSync(tokenFile);
    expect(run()).toBe('GH_TOKEN=stale GH_ENTERPRISE_TOKEN= args=pr list\n');
  });
});
