/**
 * The git repository a directory is in, as its remotes tell it (`git -C <dir> remote -v`), so
 * what an Argo CD object's `repoURL` names can be compared with where the files are.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';

/** A remote of a git repository: its name and fetch URL. */
export interface GitRemote {
  readonly name: string;
  readonly url: string;
}

/** The repository files are in: its remotes, or why they cannot be told. */
export type FilesRepository =
  | { readonly remotes: readonly GitRemote[] }
  | {
      /** Why the repository cannot be told: `the git repository has no remote`, `git is not installed`. */
      readonly unknown: string;
    };

/** The repository of a directory with no `.git` above it. */
export const NOT_IN_REPOSITORY: FilesRepository = { unknown: 'the directory is in no git repository' };

/** How long `git remote -v` may take: it reads only local files, so a wait is a hung git. */
export const GIT_REMOTE_TIMEOUT_MS = 5_000;

/**
 * The fetch URLs `git remote -v` prints, one per remote, in its order
 * (`origin\thttps://github.com/o/r.git (fetch)`).
 */
export const parseGitRemotes = (stdout: string): GitRemote[] => {
  const out: GitRemote[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\t(.+?) \(fetch\)$/.exec(line.trimEnd());
    if (m && !out.some((r) => r.name === m[1])) out.push({ name: m[1]!, url: m[2]! });
  }
  return out;
};

/**
 * The repository `dir` is in, by `git -C <dir> remote -v`. Never throws: git missing, `dir` in
 * no repository, a repository without remotes and a git that does not answer within
 * `timeoutMs` are each an `unknown` saying so.
 */
export const gitRepositoryOf = (dir: string, timeoutMs = GIT_REMOTE_TIMEOUT_MS): Promise<FilesRepository> =>
  new Promise((resolve) => {
    execFile(
      'git',
      ['-C', dir, 'remote', '-v'],
      // Its own language, so "not a git repository" reads the same everywhere.
      { timeout: timeoutMs, maxBuffer: 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const said = String(stderr).trim().split('\n')[0] ?? '';
          resolve({
            unknown:
              code === 'ENOENT'
                ? 'git is not installed'
                : err.killed
                  ? `git remote -v did not answer within ${timeoutMs / 1000}s`
                  : /not a git repository/i.test(said)
                    ? NOT_IN_REPOSITORY.unknown
                    : `git remote -v failed: ${said || err.message}`,
          });
          return;
        }
        const remotes = parseGitRemotes(String(stdout));
        resolve(remotes.length > 0 ? { remotes } : { unknown: 'the git repository has no remote' });
      },
    );
  });
