/**
 * The package as users get it: `npm pack` of this repository, installed into fresh directories
 * outside it, run on every supported Node major (22, 24, 26 from the npm `node@N` packages)
 * and refused with a clear message on Node 20. Also the scaffold (`kelos new`) installed from
 * the tarball, the README's quick start command by command, the real pre-commit tool with this
 * repository as its hook repository, and the GitHub Action's script.
 *
 * Slow by nature (packing, npm installs from the registry): one file, generous timeouts, no
 * timing assertions. Node binaries are cached in ~/.cache/kelos-package-test.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_CACHE = join(homedir(), '.cache', 'kelos-package-test');
const MINUTES = 60_000;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (10 minutes at most); never throws on a non-zero exit. */
const run = (
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> =>
  new Promise((done) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: 10 * MINUTES, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });

/** Like {@link run}, failing the test with the output when the command fails. */
const ok = async (command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) => {
  const r = await run(command, args, cwd, env);
  if (r.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** PATH with `dir` first: its `node` runs npx, npm and the `#!/usr/bin/env node` of our bin. */
const pathWith = (dir: string): NodeJS.ProcessEnv => ({
  PATH: `${dir}${delimiter}${process.env['PATH'] ?? ''}`,
});

/** The directory of a `node` binary of `major`: the repository's own for 24, else node@<major> from npm. */
async function nodeDir(major: number): Promise<string> {
  if (process.versions.node.split('.')[0] === String(major)) return dirname(process.execPath);
  const prefix = join(NODE_CACHE, `node${major}`);
  const bin = join(prefix, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(prefix, { recursive: true });
    await ok('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', `node@${major}`], prefix);
  }
  const version = await ok(join(bin, 'node'), ['-p', 'process.versions.node'], prefix);
  expect(version.stdout.trim().split('.')[0]).toBe(String(major));
  return bin;
}

const TASK = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: fix-flaky-test
  labels: {team: platform}
spec:
  prompt: Find the flaky test and fix it.
  worker:
    type: claude-code
    credentials:
      type: oauth
      secretRef: {name: claude-oauth}
    podOverrides: {activeDeadlineSeconds: 3600, resources: {requests: {memory: 2Gi}, limits: {memory: 8Gi}}}
  ttlSecondsAfterFinished: 86400
`;
const BAD_TASK = TASK.replace('    type: claude-code\n', '    type: claude-code\n    modle: opus\n');
/** A Task and a TaskSpawner with schema errors of many kinds (enum, pattern, type, unknown field). */
const BAD_KINDS = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: bad
  namespace: default
spec:
  worker:
    type: claude-cod
    credentials:
      type: api-key
    podOverrides:
      activeDeadlineSeconds: "ten"
      resources:
        limits:
          memory: 8 gigs
      env:
        - name: A
          valu: x
  prompt: 5
  ttlSecondsAfterFinished: -3
---
apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata:
  name: s
  namespace: default
spec:
  when:
    githubIssues:
      labels: 3
  taskTemplate:
    worker:
      type: codex
      credentials: { type: none }
    promptTemplate: "do it"
  maxConcurrency: -1
`;
const BUDGET = `apiVersion: kelos.dev/v1alpha2
kind: TaskBudget
metadata:
  name: platform-daily
spec:
  taskSelector:
    matchLabels: {team: platform}
  period: {type: Daily, timezone: UTC}
  maxCostUSD: "20"
`;

/** A TypeScript app that imports the constructs by package name. */
const APP = `import { type AppBuilder, Task, TaskBudget } from 'kelos-ts';
import type { TaskSpec } from 'kelos-ts/api';

const spec: Pick<TaskSpec, 'prompt'> = { prompt: 'Find the flaky test and fix it.' };

const build: AppBuilder = (scope) => {
  new Task(scope, 'fix', {
    metadata: { name: 'fix-flaky-test', labels: { team: 'platform' } },
    prompt: spec.prompt,
    worker: {
      type: 'claude-code',
      credentials: { type: 'oauth', secretRef: { name: 'claude-oauth' } },
      podOverrides: {
        activeDeadlineSeconds: 3600,
        resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
      },
    },
    ttlSecondsAfterFinished: 86400,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: 'platform-daily' },
    taskSelector: { matchLabels: { team: 'platform' } },
    period: { type: 'Daily', timezone: 'UTC' },
    maxCostUSD: '20',
  });
};
export default build;
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2023',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
  },
  include: ['apps'],
});

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Kelos Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Kelos Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

/**
 * Writes a module for `node --import` that appends every module the process resolves,
 * CommonJS included, to `loaded.txt` in the working directory; returns its path.
 */
const resolveRecorder = (dir: string): string => {
  const hook = join(dir, 'record.mjs');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ resolve: (s, c, next) => { const r = next(s, c); appendFileSync('loaded.txt', r.url + '\\n'); return r; } });
`,
  );
  return hook;
};

/** The ajv modules a run recorded by {@link resolveRecorder} resolved. */
const ajvModules = (dir: string): string[] =>
  readFileSync(join(dir, 'loaded.txt'), 'utf8')
    .split('\n')
    .filter((url) => url.includes('/ajv/'));

let work: string;
let tarball: string;
/** A directory with the tarball, TypeScript and @types/node installed, and the files above. */
let consumer: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kelos-package-'));
  // `npm pack` runs the build (prepack); the tarball holds bin/, lib/ and the CRD migrations
  // `kelos crds --check-against` reads.
  const pack = await ok('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info!.filename);
  const outside = info!.files.filter(
    (f) =>
      !/^(bin|lib)\/|^(package\.json|README\.md|CHANGELOG\.md|LICENSE|release\/crd-migrations\.yaml)$/.test(
        f.path,
      ),
  );
  expect(outside.map((f) => f.path)).toStrictEqual([]);
  // bin/kelos.js runs the bundled CLI, apps import the constructs bundle, which holds the app
  // runner too; lib/src/ stays for the library's other exports.
  expect(info!.files.map((f) => f.path)).toEqual(
    expect.arrayContaining([
      'lib/cli/kelos.js',
      'lib/constructs/bundle/index.js',
      'lib/constructs/bundle/runner.js',
      'lib/src/api/index.js',
      'release/crd-migrations.yaml',
      // The README's upgrade notes link to it.
      'CHANGELOG.md',
    ]),
  );

  consumer = join(work, 'consumer');
  mkdirSync(join(consumer, 'apps', 'platform'), { recursive: true });
  writeFileSync(
    join(consumer, 'package.json'),
    '{ "name": "consumer", "private": true, "type": "module" }\n',
  );
  await ok(
    'npm',
    ['install', '--no-audit', '--no-fund', tarball, 'typescript@~5.9.3', '@types/node@^22.18.0'],
    consumer,
    pathWith(dirname(process.execPath)),
  );
  writeFileSync(join(consumer, 'task.yaml'), TASK + '---\n' + BUDGET);
  writeFileSync(join(consumer, 'bad.yaml'), BAD_TASK);
  writeFileSync(join(consumer, 'apps', 'platform', 'main.ts'), APP);
  writeFileSync(join(consumer, 'tsconfig.json'), TSCONFIG);
  writeFileSync(
    join(consumer, 'cdk8s.yaml'),
    'kelos:\n  apps: [apps/*/main.ts]\n  outdir: dist/apps\n  crds: dist/crds\n',
  );
  writeFileSync(join(consumer, 'kelos.policy.yaml'), 'externalSecrets: [claude-oauth]\n');
}, 15 * MINUTES);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball, installed outside the repository', () => {
  test.each([22, 24, 26])(
    'Node %i: kelos validate, check and synth of a TypeScript app importing kelos-ts; tsc --noEmit passes',
    async (major) => {
      const env = pathWith(await nodeDir(major));
      const good = await run('npx', ['kelos', 'validate', 'task.yaml'], consumer, env);
      expect(good.stdout).toContain('2 objects, 0 errors, 0 warnings');
      expect(good.code).toBe(0);

      const bad = await run('npx', ['kelos', 'validate', 'bad.yaml'], consumer, env);
      expect(bad.stdout).toContain(
        'bad.yaml:10:5: error Task fix-flaky-test /spec/worker/modle: unknown field "spec.worker.modle"',
      );
      expect(bad.code).toBe(2);

      const check = await run('npx', ['kelos', 'check', 'task.yaml'], consumer, env);
      expect(check.stdout).toContain('0 errors, 0 warnings');
      expect(check.code).toBe(0);

      rmSync(join(consumer, 'dist'), { recursive: true, force: true });
      const synth = await run('npx', ['kelos', 'synth'], consumer, env);
      expect(synth.stdout).toContain('synth: 1 app, 2 objects');
      expect(synth.stdout).toContain('0 errors, 0 warnings');
      expect(synth.code).toBe(0);
      expect(readFileSync(join(consumer, 'dist/apps/platform/task-fix-flaky-test.yaml'), 'utf8')).toContain(
        'activeDeadlineSeconds: 3600',
      );

      // The package ships no dist/: install renders the CRDs and the operator bundle itself.
      const install = await run(
        'npx',
        ['kelos', 'install', '--dry-run', '--version', '9.9.9'],
        consumer,
        env,
      );
      expect(install.stdout).toContain('name: tasks.kelos.dev');
      expect(install.stdout).toContain('image: ghcr.io/kelos-ts/kelos-operator:v9.9.9');
      expect(install.code).toBe(0);

      const tsc = await run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'], consumer, env);
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.code).toBe(0);
    },
    10 * MINUTES,
  );

  test(
    "kelos crds --check-against the previous release's CRDs, as a cluster runs them, passes with the migrations the package ships and names them",
    async () => {
      const dir = join(work, 'upgrade-check');
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(ROOT, 'release/crds/0.1.0.yaml'), join(dir, 'installed.yaml'));
      const bin = join(consumer, 'node_modules', 'kelos-ts', 'bin', 'kelos.js');
      const check = await run(process.execPath, [bin, 'crds', '--check-against', 'installed.yaml'], dir);
      expect(check.stdout).not.toMatch(/^error /m);
      expect(check.stderr).toContain(
        `migrations: ${join(consumer, 'node_modules/kelos-ts/release/crd-migrations.yaml')} (kelos-ts `,
      );
      expect(check.stderr).toContain('12 incompatible changes, all listed migrations');
      expect(check.code).toBe(0);
    },
    10 * MINUTES,
  );

  test(
    'Node 22: a bad kelos.policy.yaml is reported as from source, by the validator compiled at build time (no ajv compiler loaded)',
    async () => {
      const dir = join(work, 'bad-policy');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'task.yaml'), TASK);
      writeFileSync(
        join(dir, 'kelos.policy.yaml'),
        'rules:\n  nope/rule: off\n  budget/active-deadline: {enabled: 3, sev: x}\n' +
          'thresholds:\n  minPollInterval: 10x\nallowlists:\n  efforts: [""]\nsynth: maybe\n',
      );
      const hook = resolveRecorder(dir);
      const bin = join(consumer, 'node_modules', 'kelos-ts', 'bin', 'kelos.js');
      const installed = await run(
        join(await nodeDir(22), 'node'),
        ['--import', hook, bin, 'check', 'task.yaml'],
        dir,
      );
      const source = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'check', 'task.yaml'], dir);
      expect(installed.stderr).toContain(
        'kelos.policy.yaml:2:3: rules.nope/rule: unknown rule id (kelos check --list-rules lists them)',
      );
      expect(installed.stderr).toContain(
        'kelos.policy.yaml:5:3: thresholds.minPollInterval: expected a duration such as 1m or 30s, got "10x"',
      );
      expect(installed.stderr).toBe(source.stderr);
      expect(installed.code).toBe(1);
      expect(source.code).toBe(1);
      const ajv = ajvModules(dir);
      // Only ajv's small run-time helpers, which the generated code requires.
      expect(ajv.filter((url) => !url.includes('/ajv/dist/runtime/'))).toStrictEqual([]);
      expect(ajv.length).toBeGreaterThan(0);
    },
    10 * MINUTES,
  );

  test(
    'Node 22: kelos validate checks Kelos kinds with the validators compiled at build time (no ajv compiler loaded), as from source; one whose schema differs is not used',
    async () => {
      const dir = join(work, 'precompiled');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'bad.yaml'), BAD_KINDS);
      const hook = resolveRecorder(dir);
      const node = join(await nodeDir(22), 'node');
      const bin = join(consumer, 'node_modules', 'kelos-ts', 'bin', 'kelos.js');
      const installed = await run(node, ['--import', hook, bin, 'validate', 'bad.yaml'], dir);
      const source = await run(
        process.execPath,
        [join(ROOT, 'src/cli/main.ts'), 'validate', 'bad.yaml'],
        dir,
      );
      expect(installed.stdout).toContain(
        'bad.yaml:18:11: error Task default/bad /spec/worker/podOverrides/env/0/valu: unknown field "spec.worker.podOverrides.env[0].valu"; did you mean "value"?',
      );
      expect(installed.stdout).toContain('2 objects, 8 errors');
      expect(installed.stdout).toBe(source.stdout);
      expect(installed.code).toBe(2);
      const ajv = ajvModules(dir);
      expect(ajv.filter((url) => !url.includes('/ajv/dist/runtime/'))).toStrictEqual([]);
      expect(ajv.length).toBeGreaterThan(0);

      // A validator built for another schema (here: its digest changed) is compiled afresh.
      const task = join(
        consumer,
        'node_modules',
        'kelos-ts',
        'lib',
        'src',
        'validate',
        'validators',
        'task.cjs',
      );
      const built = readFileSync(task, 'utf8');
      try {
        writeFileSync(task, built.replace(/key: "[0-9a-f]{64}"/, `key: "${'0'.repeat(64)}"`));
        rmSync(join(dir, 'loaded.txt'));
        const stale = await run(node, ['--import', hook, bin, 'validate', 'bad.yaml'], dir);
        expect(stale.stdout).toBe(source.stdout);
        expect(readFileSync(join(dir, 'loaded.txt'), 'utf8')).toContain('/ajv/dist/core.js');
      } finally {
        writeFileSync(task, built);
      }
    },
    10 * MINUTES,
  );

  test(
    'Node 24: synth runs the app and its runner on the constructs bundle (no TypeBox or CEL module loaded), and points a finding at the app line',
    async () => {
      const dir = join(work, 'app-bundle');
      const app = (name: string, lines: string[]) => {
        mkdirSync(join(dir, 'apps', name), { recursive: true });
        const head = ["import { TaskSpawner, Task } from 'kelos-ts';", 'export default (scope: any) => {'];
        writeFileSync(join(dir, 'apps', name, 'main.ts'), [...head, ...lines, '};', ''].join('\n'));
      };
      const worker = "worker: { type: 'codex', credentials: { type: 'none' } }";
      // A finding on the rendered object (the site the construct recorded) ...
      app('task', [`  new Task(scope, 'fix', { metadata: { name: 'fix' }, prompt: 'Fix it.', ${worker} });`]);
      // ... and an error the construct throws (the runner reads the app line from its stack, and
      // synth moves it to the key of the prop it is about).
      app('spawner', [
        `  new TaskSpawner(scope, 'triage', { metadata: { name: 'triage' }, when: { githubIssues: {} },`,
        `    taskTemplate: { promptTemplate: 'Fix {{.Titel}}', ${worker} } });`,
      ]);
      mkdirSync(dir, { recursive: true });
      symlinkSync(join(consumer, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
      writeFileSync(join(dir, 'cdk8s.yaml'), 'kelos:\n  apps: [apps/*/main.ts]\n  outdir: dist/apps\n');
      const hook = resolveRecorder(dir);
      const bin = join(consumer, 'node_modules', 'kelos-ts', 'bin', 'kelos.js');
      // NODE_OPTIONS reaches the forked app runner too: loaded.txt lists both processes' modules.
      const synth = await run(process.execPath, [bin, 'synth'], dir, { NODE_OPTIONS: `--import=${hook}` });
      expect(synth.stdout).toContain(
        'apps/task/main.ts:3:3: error Task fix /spec/worker/podOverrides/activeDeadlineSeconds:',
      );
      expect(synth.stdout).toContain(
        'apps/spawner/main.ts:4:21: error TaskSpawner triage /spec/taskTemplate/promptTemplate: .Titel is not a variable',
      );
      expect(synth.code).toBe(2);
      const loaded = readFileSync(join(dir, 'loaded.txt'), 'utf8').split('\n');
      const ours = loaded.filter((url) => url.includes('/kelos-ts/lib/') && !url.endsWith('.cjs'));
      expect(ours.some((url) => url.endsWith('/lib/constructs/bundle/runner.js'))).toBe(true);
      expect(ours.some((url) => url.endsWith('/lib/constructs/bundle/index.js'))).toBe(true);
      // Outside the two bundles, only the precompiled validators (.cjs, left out above).
      expect(ours.filter((url) => !/\/lib\/(cli|constructs\/bundle)\//.test(url))).toStrictEqual([]);
      expect(loaded.filter((url) => /\/node_modules\/(@sinclair|@bufbuild)\//.test(url))).toStrictEqual([]);
    },
    10 * MINUTES,
  );

  test(
    'Node 20 is refused with a message naming the supported range',
    async () => {
      const env = pathWith(await nodeDir(20));
      const r = await run('npx', ['kelos', '--version'], consumer, env);
      expect(r.stderr).toContain('kelos: Node 20.');
      expect(r.stderr).toContain('kelos needs Node ^22.18.0 || >=24');
      expect(r.code).toBe(1);
    },
    10 * MINUTES,
  );
});

/** The fenced `sh` block under the README's quick start heading, one command per line. */
const quickStartCommands = (): string[] => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## Quick start in your own repository\n')[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
};

describe('a GitOps repository of its own', () => {
  test(
    'the README quick start, command by command, from the tarball: kelos new, npm install, synth and check with 0 errors and 0 warnings, pre-commit',
    async () => {
      const commands = quickStartCommands();
      expect(commands[0]).toBe(
        'npx --yes --package kelos-ts kelos new my-gitops --repo-url https://github.com/acme/my-gitops.git',
      );
      const dir = join(work, 'quick-start');
      mkdirSync(dir);
      // The one substitution: kelos-ts is not on the registry at this version, so the tarball
      // stands in for it, in the npx package and in the scaffold's package.json.
      const script = [
        'set -euo pipefail',
        ...commands.map((c) =>
          c === commands[0]
            ? `npx --yes --package ${tarball} kelos new my-gitops --repo-url https://github.com/acme/my-gitops.git --kelos-version file:${tarball}`
            : c,
        ),
      ].join('\n');
      const r = await run('bash', ['-c', script], dir, {
        ...pathWith(dirname(process.execPath)),
        ...GIT_ENV,
      });
      if (r.code !== 0) throw new Error(`quick start failed (${r.code})\n${r.stdout}\n${r.stderr}`);
      // The app, the operator install and the Argo CD objects.
      expect(r.stdout).toMatch(/synth: 3 apps, 25 objects, .*0 errors, 0 warnings/);
      expect(r.stdout).toContain('0 errors, 0 warnings, 0 info in 25 objects');
      const repo = join(dir, 'my-gitops');
      for (const file of [
        'package.json',
        'tsconfig.json',
        'cdk8s.yaml',
        'apps/issue-worker/main.ts',
        'deploy/install.ts',
        'deploy/argocd.ts',
        'kelos.policy.yaml',
        '.pre-commit-config.yaml',
        '.github/workflows/kelos.yml',
        '.gitignore',
        'README.md',
        'dist/apps/issue-worker/kustomization.yaml',
        'dist/crds/kustomization.yaml',
        'dist/install/kustomization.yaml',
        'dist/argocd/application-kelos.yaml',
        '.git/hooks/pre-commit',
      ])
        expect(existsSync(join(repo, file)), file).toBe(true);

      // Plain YAML under manifests/: the scaffold's own hooks validate it before the commit.
      mkdirSync(join(repo, 'manifests'));
      const manifest = (team: string) =>
        [
          'apiVersion: kelos.dev/v1alpha2',
          'kind: Task',
          'metadata: {name: by-hand, annotations: {kelos.dev/lifecycle: git}}',
          'spec:',
          '  prompt: Fix the flaky test.',
          '  worker:',
          '    type: claude-code',
          '    credentials: {type: api-key, secretRef: {name: claude-oauth-token}}',
          '    podOverrides:',
          '      activeDeadlineSeconds: 3600',
          `      labels: {team: ${team}}`,
          '      resources: {requests: {memory: 2Gi}, limits: {memory: 8Gi}}',
          '',
        ].join('\n');
      writeFileSync(join(repo, 'manifests', 'task.yaml'), manifest('-web-'));
      const commit = () =>
        run('bash', ['-c', 'git add -A && git commit -q -m "a Task by hand"'], repo, {
          ...pathWith(dirname(process.execPath)),
          ...GIT_ENV,
        });
      const refused = await commit();
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(
        /manifests\/task\.yaml:11:\d+: error Task by-hand \/spec\/worker\/podOverrides\/labels\/team: .*\[pod\/label-value\]/,
      );
      writeFileSync(join(repo, 'manifests', 'task.yaml'), manifest('web'));
      const accepted = await commit();
      expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
      // The hooks read the whole folder: a commit that stages only the spawner is still checked
      // with the TaskBudget and the Workspace beside it (budget/namespace-covered, references).
      const cron = join(ROOT, 'dist/examples/taskspawner-cron');
      for (const file of readdirSync(cron).filter((f) => f !== 'kustomization.yaml'))
        writeFileSync(join(repo, 'manifests', file), readFileSync(join(cron, file), 'utf8'));
      // Its API key Secret is neither in git nor under externalSecrets: the hooks validate with
      // --strict-refs, so the commit fails naming it until kelos.policy.yaml lists it.
      const unlisted = await commit();
      expect(unlisted.code).not.toBe(0);
      expect(unlisted.stdout + unlisted.stderr).toContain(
        'names Secret "anthropic-api-key", which is not in this bundle (namespace "default") nor listed under externalSecrets',
      );
      const policy = join(repo, 'kelos.policy.yaml');
      writeFileSync(
        policy,
        readFileSync(policy, 'utf8').replace(
          'externalSecrets:\n',
          'externalSecrets:\n  - anthropic-api-key\n',
        ),
      );
      const listed = await commit();
      expect(listed.code, listed.stdout + listed.stderr).toBe(0);
      const spawner = join(repo, 'manifests', 'taskspawner-weekly-dependency-update.yaml');
      writeFileSync(spawner, readFileSync(spawner, 'utf8').replace('0 9 * * 1', '0 10 * * 1'));
      const onlySpawner = await commit();
      expect(onlySpawner.code, onlySpawner.stdout + onlySpawner.stderr).toBe(0);
    },
    15 * MINUTES,
  );

  test(
    'the GitHub Action script: synth --check and check with a SARIF report, in the scaffolded repository',
    async () => {
      const repo = join(work, 'quick-start', 'my-gitops');
      const output = join(work, 'github-output');
      writeFileSync(output, '');
      const env = { ...pathWith(dirname(process.execPath)), GITHUB_OUTPUT: output };
      const clean = await run(join(ROOT, 'scripts/kelos-action.sh'), [], repo, env);
      // The app, the bundles, the CRDs and the kustomizations: nothing differs from what synth writes.
      expect(clean.stdout).toMatch(/synth --check: 3 apps, 25 objects, \d+ files \(0 differ\)/);
      expect(clean.code).toBe(0);
      expect(readFileSync(output, 'utf8')).toBe(`sarif=${join(repo, 'kelos.sarif')}\n`);
      const sarif = JSON.parse(readFileSync(join(repo, 'kelos.sarif'), 'utf8')) as {
        version: string;
        runs: Array<{ results: unknown[] }>;
      };
      expect(sarif.version).toBe('2.1.0');
      expect(sarif.runs[0]?.results).toStrictEqual([]);

      // A stale dist/ fails the action, and the report is still written.
      writeFileSync(join(repo, 'dist/apps/issue-worker/kustomization.yaml'), '# edited by hand\n');
      rmSync(join(repo, 'kelos.sarif'));
      const stale = await run(join(ROOT, 'scripts/kelos-action.sh'), [], repo, env);
      expect(stale.stdout).toContain('dist/apps/issue-worker/kustomization.yaml: modified');
      expect(stale.code).toBe(2);
      expect(existsSync(join(repo, 'kelos.sarif'))).toBe(true);
    },
    10 * MINUTES,
  );

  test(
    'pre-commit with this repository as its hook repo blocks a bad manifest with the located diagnostic, passes a good one showing its warnings, and blocks a stale dist/',
    async () => {
      // The hook definitions under test are the committed ones: pre-commit clones `rev`.
      const dirty = await run('git', ['status', '--porcelain', '--', '.pre-commit-hooks.yaml'], ROOT);
      expect(dirty.stdout, 'commit .pre-commit-hooks.yaml before running this test').toBe('');
      const rev = (await ok('git', ['rev-parse', 'HEAD'], ROOT)).stdout.trim();
      const repo = join(work, 'hooks-user');
      mkdirSync(join(repo, 'deploy'), { recursive: true });
      const env = {
        ...pathWith(dirname(process.execPath)),
        ...GIT_ENV,
        PRE_COMMIT_HOME: join(work, 'pre-commit-home'),
      };
      // kelos-ts installed as any user would have it: the consumer's node_modules, and its app
      // rendered into dist/ (no kelos.policy.yaml: the app's Secret is a warning).
      await ok(
        'cp',
        [
          '-a',
          ...['node_modules', 'package.json', 'cdk8s.yaml', 'tsconfig.json', 'apps'].map((f) =>
            join(consumer, f),
          ),
          repo,
        ],
        work,
      );
      await ok('npx', ['kelos', 'synth'], repo, env);
      writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
      writeFileSync(
        join(repo, '.pre-commit-config.yaml'),
        `repos:\n  - repo: ${ROOT}\n    rev: ${rev}\n    hooks:\n      - id: kelos-validate\n        files: ^deploy/\n      - id: kelos-check-files\n        files: ^deploy/\n      - id: kelos-synth-check\n`,
      );
      await ok('git', ['init', '-q'], repo, env);
      await ok('pre-commit', ['install'], repo, env);
      await ok('git', ['add', '-A'], repo, env);
      await ok('git', ['commit', '-q', '-m', 'hooks'], repo, env);

      writeFileSync(join(repo, 'deploy/task.yaml'), BAD_TASK);
      await ok('git', ['add', 'deploy/task.yaml'], repo, env);
      const blocked = await run('git', ['commit', '-m', 'bad task'], repo, env);
      expect(blocked.stdout + blocked.stderr).toContain(
        'deploy/task.yaml:10:5: error Task fix-flaky-test /spec/worker/modle: unknown field "spec.worker.modle"',
      );
      expect(blocked.code).not.toBe(0);
      expect((await run('git', ['log', '--format=%s'], repo)).stdout).toBe('hooks\n');

      writeFileSync(join(repo, 'deploy/task.yaml'), TASK);
      await ok('git', ['add', 'deploy/task.yaml'], repo, env);
      const passed = await run('git', ['commit', '-m', 'good task'], repo, env);
      expect(passed.stdout + passed.stderr).toMatch(/kelos validate \(staged manifests\)\.+Passed/);
      // The hooks are verbose: a pass still shows the warning that the Secret must exist in the cluster.
      expect(passed.stdout + passed.stderr).toContain(
        'names Secret "claude-oauth", which is not in this bundle',
      );
      expect(passed.code).toBe(0);
      expect((await run('git', ['log', '--format=%s'], repo)).stdout).toBe('good task\nhooks\n');

      // An app edited without synth run again: the committed dist/ is stale and the commit is held.
      const app = join(repo, 'apps/platform/main.ts');
      writeFileSync(app, readFileSync(app, 'utf8').replace('Find the flaky test', 'Find the slow test'));
      await ok('git', ['add', 'apps/platform/main.ts'], repo, env);
      const stale = await run('git', ['commit', '-m', 'edit app'], repo, env);
      expect(stale.stdout + stale.stderr).toMatch(/kelos synth --check \(dist\/ is up to date\)\.+Failed/);
      expect(stale.stdout + stale.stderr).toContain('dist/apps/platform/task-fix-flaky-test.yaml: modified');
      expect(stale.code).not.toBe(0);
      await ok('npx', ['kelos', 'synth'], repo, env);
      await ok('git', ['add', '-A'], repo, env);
      const synced = await run('git', ['commit', '-m', 'edit app'], repo, env);
      expect(synced.stdout + synced.stderr).toMatch(/kelos synth --check \(dist\/ is up to date\)\.+Passed/);
      expect(synced.code).toBe(0);
    },
    10 * MINUTES,
  );
});
