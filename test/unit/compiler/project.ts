/**
 * Throwaway projects for compiler tests: a temp directory with a `cdk8s.yaml` and module
 * apps that import the real constructs by absolute URL, and an in-process `kelos` runner.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach } from 'vitest';
import type { CliIo, ExitCode } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/program.ts';
import { scaffoldFiles } from '../../../src/cli/scaffold/templates.ts';

/** The repository root. */
export const REPO = resolve(import.meta.dirname, '../../..');

/** Import specifier of the repository's cdk8s, usable from any directory. */
export const CDK8S = pathToFileURL(join(REPO, 'node_modules/cdk8s/lib/index.js')).href;

/** Import specifier of the constructs, usable from any directory. */
export const CONSTRUCTS = pathToFileURL(join(REPO, 'constructs/index.ts')).href;

/** The config every test project uses unless it brings its own. */
export const TEST_CONFIG = `kelos:
  apps: [apps/*/main.ts]
  outdir: dist/apps
  crds: false
`;

/** An app module whose default export runs `body` with `K` (the constructs) and `scope` in reach. */
export const appSource = (body: string): string =>
  `import * as K from '${CONSTRUCTS}';\nexport default function build(scope) {\n${body}\n}\n`;

/** A Task with an API key: the smallest valid object. */
export const taskSource = (name: string, extra = ''): string =>
  `  new K.Task(scope, '${name}', { metadata: { name: '${name}' }, worker: { type: 'codex', credentials: { type: 'api-key', secretRef: { name: 'key' } } }, prompt: 'do ${name}'${extra} });`;

/** A temporary project. */
export interface Project {
  readonly root: string;
  /** Writes a file (creating directories). */
  write(path: string, content: string): void;
  /** Reads a file. */
  read(path: string): string;
  /** Every file under `dir`, relative to the root, sorted. */
  files(dir?: string): string[];
  /** Removes a file or directory. */
  remove(path: string): void;
  dispose(): void;
}

/** Creates a project with `apps` (directory name → module source) and `config`. */
export const project = (apps: Record<string, string>, config = TEST_CONFIG): Project => {
  const root = mkdtempSync(join(tmpdir(), 'kelos-synth-test-'));
  const p: Project = {
    root,
    write(path, content) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    },
    read: (path) => readFileSync(join(root, path), 'utf8'),
    files(dir = '.') {
      try {
        return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => relative(root, join(e.parentPath, e.name)))
          .sort();
      } catch {
        return [];
      }
    },
    remove: (path) => rmSync(join(root, path), { recursive: true, force: true }),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
  p.write('package.json', '{ "type": "module" }\n');
  p.write('cdk8s.yaml', config);
  // The CLI runs the built-in policies; these tests are about synth, so policy findings are
  // reported as warnings instead of stopping the run.
  p.write('kelos.policy.yaml', 'synth: report\n');
  for (const [dir, source] of Object.entries(apps)) p.write(`apps/${dir}/main.ts`, source);
  return p;
};

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kelos <argv>` in-process in `cwd`. */
export const kelos = async (argv: readonly string[], cwd: string): Promise<CliRun> => {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd,
    isTTY: false,
    env: {},
    readStdin: async () => '',
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
};

/**
 * A `project` maker whose projects are disposed after each test of the calling file; call it
 * once at the top level.
 */
export const projectsDisposedAfterEach = (): ((...args: Parameters<typeof project>) => Project) => {
  const made: Project[] = [];
  afterEach(() => {
    for (const p of made.splice(0)) p.dispose();
  });
  return (...args) => {
    const p = project(...args);
    made.push(p);
    return p;
  };
};

/**
 * The project `kelos new` writes, made by `make` (see {@link projectsDisposedAfterEach}), its
 * apps and bundles importing the constructs of this repository.
 */
export const scaffoldedProject = (make: (...args: Parameters<typeof project>) => Project): Project => {
  const files = scaffoldFiles({
    name: 'fleet',
    kelosVersion: '0.2.0',
    repoURL: 'https://github.com/acme/fleet.git',
  });
  const p = make({}, files.get('cdk8s.yaml'));
  for (const [path, content] of files)
    if (path.endsWith('.ts') || path === 'kelos.policy.yaml')
      p.write(path, content.replaceAll("from 'kelos-ts'", `from '${CONSTRUCTS}'`));
  return p;
};
