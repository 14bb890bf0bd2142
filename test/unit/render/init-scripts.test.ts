/**
 * Runs the init container scripts exactly as a rendered Job carries them (command, args,
 * env), as local processes against real git repositories in a temporary directory. Only
 * the paths in the env are pointed at the temporary directory.
 */

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { K8sType } from '../../../src/api/k8s/index.ts';
import { expandK8sVars } from '../contract/pod-runner.ts';
import { makeAgentConfig, makeWorkspace, renderOk, withWorker } from './fixtures.ts';

type Container = K8sType<'Container'>;

let root: string;
let remote: string;
let remoteUrl: string;
let mainSha: string;
let firstSha: string;
const gitEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

const git = (cwd: string, ...args: string[]): string => {
  const r = spawnSync('git', args, { cwd, env: { ...gitEnv, HOME: root }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kelos-init-'));
  const seed = join(root, 'seed');
  mkdirSync(seed);
  git(seed, 'init', '-q', '-b', 'main');
  writeFileSync(join(seed, 'README.md'), 'v1\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '-q', '-m', 'first');
  firstSha = git(seed, 'rev-parse', 'HEAD');
  git(seed, 'tag', 'v1');
  writeFileSync(join(seed, 'README.md'), 'v2\n');
  git(seed, 'commit', '-q', '-am', 'second');
  mainSha = git(seed, 'rev-parse', 'HEAD');
  git(seed, 'checkout', '-q', '-b', 'feature/auth');
  writeFileSync(join(seed, 'auth.txt'), 'auth\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '-q', '-m', 'auth');
  git(seed, 'checkout', '-q', 'main');
  remote = join(root, 'remote.git');
  git(root, 'clone', '-q', '--bare', seed, remote);
  // Serving the commit by SHA is what GitHub allows; a local bare repository needs it enabled.
  git(remote, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  remoteUrl = `file://${remote}`;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Runs a rendered container's command locally with its env, paths redirected into `dir`. */
const run = (c: Container, dir: string, extraEnv: Record<string, string> = {}) => {
  const env: Record<string, string> = { ...gitEnv, HOME: join(dir, 'home') };
  mkdirSync(env.HOME!, { recursive: true });
  const redirect: Record<string, string> = {
    KELOS_REPO_DIR: join(dir, 'repo'),
    KELOS_CONFIG_DIR: join(dir, 'config'),
    KELOS_PLUGIN_DIR: join(dir, 'plugin'),
    KELOS_GITHUB_TOKEN_FILE: join(dir, 'token'),
    KELOS_REPO: remoteUrl,
    TMPDIR: join(dir, 'home'),
  };
  // As the kubelet does: env values, command and args go through `$(VAR)` expansion.
  for (const e of c.env ?? []) {
    if (e.name === 'HOME') continue;
    env[e.name] = redirect[e.name] ?? expandK8sVars(e.value ?? '', env);
  }
  Object.assign(env, extraEnv);
  const [cmd, ...rest] = c.command!.map((a) => expandK8sVars(a, env));
  return spawnSync(cmd!, [...rest, ...(c.args ?? []).map((a) => expandK8sVars(a, env))], {
    env,
    encoding: 'utf8',
  });
};

const freshDir = (name: string): string => {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
};

const wsTask = (branch?: string) => withWorker({ workspaceRef: { name: 'repo' } }, branch ? { branch } : {});

describe('git-clone', () => {
  test('clones the default branch shallowly, with every branch tip', () => {
    const dir = freshDir('clone-default');
    const r = run(renderOk({ task: wsTask(), workspace: makeWorkspace() }).init('git-clone')!, dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const repo = join(dir, 'repo');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(mainSha);
    expect(git(repo, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(git(repo, 'branch', '-r')).toContain('origin/feature/auth');
  });

  test('checks out a tag ref', () => {
    const dir = freshDir('clone-tag');
    const r = run(
      renderOk({ task: wsTask(), workspace: makeWorkspace({ ref: 'v1' }) }).init('git-clone')!,
      dir,
    );
    expect(r.status).toBe(0);
    expect(git(join(dir, 'repo'), 'rev-parse', 'HEAD')).toBe(firstSha);
  });

  test('fetches a 40-hex commit directly and detaches at it', () => {
    const dir = freshDir('clone-sha');
    const r = run(
      renderOk({ task: wsTask(), workspace: makeWorkspace({ ref: firstSha }) }).init('git-clone')!,
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(git(join(dir, 'repo'), 'rev-parse', 'HEAD')).toBe(firstSha);
    expect(spawnSync('git', ['-C', join(dir, 'repo'), 'symbolic-ref', '-q', 'HEAD']).status).toBe(1);
  });

  test('with a token, stores a credential helper that reads the token file at each use', () => {
    const dir = freshDir('clone-token');
    writeFileSync(join(dir, 'token'), 'ghs_first');
    const c = renderOk({ task: wsTask(), workspace: makeWorkspace({ secretRef: { name: 'gh' } }) }).init(
      'git-clone',
    )!;
    const r = run(c, dir);
    expect(r.status).toBe(0);
    const repo = join(dir, 'repo');
    const fill = () =>
      spawnSync('git', ['-C', repo, 'credential', 'fill'], {
        input: 'protocol=https\nhost=github.com\n\n',
        env: { ...gitEnv, HOME: join(dir, 'home'), KELOS_GITHUB_TOKEN_FILE: join(dir, 'token') },
        encoding: 'utf8',
      }).stdout;
    expect(fill()).toBe('protocol=https\nhost=github.com\nusername=x-access-token\npassword=ghs_first\n');
    // The kubelet refreshes the mounted Secret in place; the next use reads the new token.
    writeFileSync(join(dir, 'token'), 'ghs_second');
    expect(fill()).toContain('password=ghs_second');
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).not.toContain('ghs_');
    expect(git(repo, 'remote', 'get-url', 'origin')).toBe(remoteUrl);
  });

  test('fails when the ref does not exist', () => {
    const dir = freshDir('clone-missing');
    const r = run(
      renderOk({ task: wsTask(), workspace: makeWorkspace({ ref: 'nope' }) }).init('git-clone')!,
      dir,
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('nope');
  });
});

/** Clones like the Job does, then runs another init container of the same render. */
const cloneThen = (
  dir: string,
  name: string,
  rendered: ReturnType<typeof renderOk>,
  extraEnv?: Record<string, string>,
) => {
  expect(run(rendered.init('git-clone')!, dir).status).toBe(0);
  return run(rendered.init(name)!, dir, extraEnv);
};

describe('remote-setup', () => {
  test('adds remotes and re-points existing ones', () => {
    const dir = freshDir('remotes');
    const rendered = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({
        remotes: [
          { name: 'upstream', url: 'https://github.com/up/widgets.git' },
          { name: 'origin2', url: 'git@github.com:me/widgets.git' },
        ],
      }),
    });
    const r = cloneThen(dir, 'remote-setup', rendered);
    expect(r.status).toBe(0);
    expect(git(join(dir, 'repo'), 'remote', 'get-url', 'upstream')).toBe('https://github.com/up/widgets.git');
    expect(run(rendered.init('remote-setup')!, dir).status).toBe(0);
    expect(git(join(dir, 'repo'), 'remote')).toBe('origin\norigin2\nupstream');
  });
});

describe('branch-setup', () => {
  test('checks out an existing remote branch, tracking origin', () => {
    const dir = freshDir('branch-existing');
    const r = cloneThen(
      dir,
      'branch-setup',
      renderOk({ task: wsTask('feature/auth'), workspace: makeWorkspace() }),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const repo = join(dir, 'repo');
    expect(git(repo, 'branch', '--show-current')).toBe('feature/auth');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(git(remote, 'rev-parse', 'feature/auth'));
    expect(git(repo, 'rev-parse', '--abbrev-ref', '@{upstream}')).toBe('origin/feature/auth');
  });

  test('creates a branch that origin does not have from the cloned ref', () => {
    const dir = freshDir('branch-new');
    const r = cloneThen(
      dir,
      'branch-setup',
      renderOk({ task: wsTask('kelos/issue-7'), workspace: makeWorkspace() }),
    );
    expect(r.status).toBe(0);
    const repo = join(dir, 'repo');
    expect(git(repo, 'branch', '--show-current')).toBe('kelos/issue-7');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(mainSha);
  });

  test('fails, instead of starting a new branch, when origin cannot be listed', () => {
    const dir = freshDir('branch-offline');
    const rendered = renderOk({ task: wsTask('feature/auth'), workspace: makeWorkspace() });
    expect(run(rendered.init('git-clone')!, dir).status).toBe(0);
    git(join(dir, 'repo'), 'remote', 'set-url', 'origin', `file://${join(root, 'gone.git')}`);
    const r = run(rendered.init('branch-setup')!, dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'branch-setup: cannot list branch feature/auth on origin (git ls-remote exit 128)',
    );
    expect(git(join(dir, 'repo'), 'branch', '--show-current')).toBe('main');
  });
});

describe('workspace-files', () => {
  const rendered = () =>
    renderOk({
      task: wsTask(),
      workspace: makeWorkspace({
        files: [
          { path: 'top.txt', content: 'top' },
          { path: 'deep/er/file.md', content: 'deep' },
        ],
      }),
    });

  const writeConfig = (dir: string, data: Record<string, string>) => {
    mkdirSync(join(dir, 'config'), { recursive: true });
    for (const [k, v] of Object.entries(data)) writeFileSync(join(dir, 'config', k), v);
  };

  test('writes each file at its path, creating directories', () => {
    const dir = freshDir('files');
    const r0 = rendered();
    writeConfig(dir, r0.configMaps[0]!.data!);
    const r = cloneThen(dir, 'workspace-files', r0);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'repo', 'top.txt'), 'utf8')).toBe('top');
    expect(readFileSync(join(dir, 'repo', 'deep/er/file.md'), 'utf8')).toBe('deep');
  });

  test('refuses to write through a symlink that leaves the repository', () => {
    const dir = freshDir('files-symlink');
    const r0 = rendered();
    writeConfig(dir, r0.configMaps[0]!.data!);
    expect(run(r0.init('git-clone')!, dir).status).toBe(0);
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(dir, 'repo', 'deep'));
    const r = run(r0.init('workspace-files')!, dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'workspace-files: refusing to write deep/er/file.md: it resolves outside the repository\n',
    );
    expect(existsSync(join(outside, 'er'))).toBe(false);
  });

  test('refuses to overwrite a symlinked file', () => {
    const dir = freshDir('files-symlink-file');
    const r0 = rendered();
    writeConfig(dir, r0.configMaps[0]!.data!);
    expect(run(r0.init('git-clone')!, dir).status).toBe(0);
    writeFileSync(join(dir, 'victim'), 'keep');
    symlinkSync(join(dir, 'victim'), join(dir, 'repo', 'top.txt'));
    const r = run(r0.init('workspace-files')!, dir);
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('keep');
  });
});

describe('plugin-setup and skills-install', () => {
  const rendered = () =>
    renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [
        makeAgentConfig('a', {
          plugins: [
            {
              name: 'review',
              skills: [{ name: 'lint', content: 'Lint it' }],
              agents: [{ name: 'critic', content: 'Critic' }],
            },
          ],
          skills: [
            { source: 'acme/public' },
            { source: 'acme/private', skill: 'deploy', secretRef: { name: 'skills-token' } },
          ],
        }),
      ],
    });

  test('plugin-setup builds the plugin tree from ConfigMap keys', () => {
    const dir = freshDir('plugins');
    const r0 = rendered();
    mkdirSync(join(dir, 'config'));
    for (const [k, v] of Object.entries(r0.configMaps[0]!.data!)) writeFileSync(join(dir, 'config', k), v);
    const r = run(r0.init('plugin-setup')!, dir);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'plugin/review/skills/lint/SKILL.md'), 'utf8')).toBe('Lint it');
    expect(readFileSync(join(dir, 'plugin/review/agents/critic.md'), 'utf8')).toBe('Critic');
  });

  test('skills-install runs the skills CLI per package and gathers the skills', () => {
    const dir = freshDir('skills');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // A stand-in for npx that records its arguments and the credentials git would get.
    writeFileSync(
      join(bin, 'npx'),
      `#!/bin/sh
echo "$*" >> "${join(dir, 'calls')}"
echo "askpass=$("$GIT_ASKPASS" Password)" >> "${join(dir, 'calls')}"
mkdir -p "$HOME/.agents/skills/$4"
echo skill > "$HOME/.agents/skills/$4/SKILL.md"
`,
    );
    chmodSync(join(bin, 'npx'), 0o755);
    const r = run(rendered().init('skills-install')!, dir, {
      PATH: `${bin}:${gitEnv.PATH}`,
      KELOS_SKILLS_GITHUB_TOKEN_0: 'ghp_private',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe(
      [
        '-y skills add acme/public -a universal -y -g',
        'askpass=',
        '-y skills add acme/private -a universal -y -g -s deploy',
        'askpass=ghp_private',
        '',
      ].join('\n'),
    );
    expect(existsSync(join(dir, 'plugin/skills-sh/skills/acme/public/SKILL.md'))).toBe(true);
    expect(existsSync(join(dir, 'plugin/skills-sh/skills/acme/private/SKILL.md'))).toBe(true);
  });
});
