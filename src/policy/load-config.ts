/**
 * Finds and reads the policy configuration: `--config <file>`, else `kelos.policy.yaml` in the
 * project root, else the `policy:` section of `cdk8s.yaml`, else the built-in defaults. Both
 * `kelos.policy.yaml` and a `policy:` section, without `--config`, is an error. The project root
 * is the working directory or, when it holds neither file, the nearest parent up to the git
 * repository's root that holds one, as eslint and prettier find their configuration.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { configSyntaxError, configValue } from '../validate/yaml-errors.ts';
import {
  DEFAULT_POLICY_CONFIG,
  type LocateKey,
  POLICY_CONFIG_FILE,
  type PolicyConfig,
  PolicyConfigError,
  parsePolicyConfig,
} from './config.ts';

/**
 * The text of a config file, or `undefined` when there is none.
 *
 * @param shown The path as the user wrote it, for the error.
 * @throws PolicyConfigError when it exists but cannot be read (a directory, no permission).
 */
const readIfExists = async (path: string, shown: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return undefined;
    throw new PolicyConfigError([
      `${shown}: cannot be read as the policy file${e.code === 'EISDIR' ? ': it is a directory' : ''} (${e.message})`,
    ]);
  }
};

/** The parsed file, and where each key path is in it (its deepest key that exists). */
const parseYaml = (text: string, file: string): { value: unknown; locate: LocateKey } => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = configSyntaxError(doc.errors, text, file, (o) => lines.linePos(o));
  if (syntax) throw new PolicyConfigError([syntax]);
  const locate: LocateKey = (path) => {
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const key of path) {
      // A list item (an allowlisted model) is found by its index, at the item itself.
      if (isSeq(node)) {
        const item = node.items[Number(key)];
        if (!isScalar(item) && !isMap(item) && !isSeq(item)) break;
        offset = item.range?.[0];
        node = item;
        continue;
      }
      if (!isMap(node)) break;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (!pair) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      node = pair.value;
    }
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  let value: unknown;
  try {
    value = configValue(doc, file);
  } catch (err) {
    throw new PolicyConfigError([(err as Error).message]);
  }
  return { value, locate };
};

/**
 * The parents of `cwd` the default configuration is looked up in, nearest first, up to the git
 * repository's root (the nearest directory with a `.git`, a file in a worktree or submodule);
 * none outside a repository, where a configuration above the working directory would belong to
 * no project of it. One stat per directory, read only when `cwd` holds no configuration. The
 * project a command without paths works on (its `cdk8s.yaml`) is looked up in them too.
 */
export const parentsToGitRoot = (cwd: string): string[] => {
  const parents: string[] = [];
  for (let dir = cwd; !existsSync(join(dir, '.git')); ) {
    const up = dirname(dir);
    if (up === dir) return [];
    parents.push(up);
    dir = up;
  }
  return parents;
};

/**
 * The configuration of one directory: its `kelos.policy.yaml`, else the `policy:` section of its
 * `cdk8s.yaml`, else the defaults when it has a `cdk8s.yaml` (a project root without a policy);
 * `undefined` when it has neither file.
 *
 * @param shownDir The directory as a path from the working directory (`''` for itself), which
 *   messages and {@link PolicyConfig.file} name the files by.
 */
async function loadFrom(
  dir: string,
  shownDir: string,
  knownRules: readonly string[],
): Promise<PolicyConfig | undefined> {
  const ownName = join(shownDir, POLICY_CONFIG_FILE);
  const cdk8sName = join(shownDir, 'cdk8s.yaml');
  const own = await readIfExists(join(dir, POLICY_CONFIG_FILE), ownName);
  const cdk8sText = await readIfExists(join(dir, 'cdk8s.yaml'), cdk8sName);
  if (own === undefined && cdk8sText === undefined) return undefined;
  // With kelos.policy.yaml, cdk8s.yaml is read only to see whether it holds a section too:
  // its own syntax errors are synth's to report, not the policy's.
  let cdk8s: ReturnType<typeof parseYaml> | undefined;
  try {
    if (cdk8sText !== undefined) cdk8s = parseYaml(cdk8sText, cdk8sName);
  } catch (err) {
    if (own === undefined) throw err;
  }
  const section =
    typeof cdk8s?.value === 'object' && cdk8s.value !== null
      ? (cdk8s.value as Record<string, unknown>)['policy']
      : undefined;
  if (own !== undefined) {
    // Two configurations, one of them silently unread, is how a tightened threshold goes
    // unenforced: the one in cdk8s.yaml looks in force and is not.
    if (section !== undefined) {
      const at = cdk8s?.locate(['policy']);
      throw new PolicyConfigError(
        [
          `${cdk8sName}${at ? `:${at.line}:${at.column}` : ''}: policy: a policy section beside ${ownName}, which kelos reads instead; move its keys into ${ownName} and remove the section (kelos check and kelos validate can instead name one file with --config; kelos synth cannot)`,
        ],
        'two policy configurations',
      );
    }
    const parsed = parseYaml(own, ownName);
    return parsePolicyConfig(parsed.value, ownName, knownRules, parsed.locate);
  }
  if (section !== undefined && cdk8s)
    return parsePolicyConfig(section, cdk8sName, knownRules, cdk8s.locate, 'policy');
  return DEFAULT_POLICY_CONFIG;
}

/**
 * The policy file a configuration was read from when it is not in the working directory (found
 * in a parent), as a path from there: what a summary line names, so a run from a subdirectory
 * says whose policy judged it. `undefined` for `--config`, a file of the working directory and
 * the built-in defaults.
 *
 * @param config What {@link loadPolicyConfig} returned.
 * @param explicit The `--config` the user gave, if any.
 */
export const policyFileElsewhere = (config: PolicyConfig, explicit?: string): string | undefined =>
  explicit === undefined && config.file !== undefined && dirname(config.file) !== '.'
    ? config.file.replaceAll('\\', '/')
    : undefined;

/**
 * Loads the effective policy configuration.
 *
 * @param cwd Working directory: the default files are looked up in it, then in each parent up
 *   to the git repository's root, and the first directory holding either is the project root.
 * @param knownRules Rule ids the `rules:` section may name.
 * @param file Explicit config file (`--config`); it must exist.
 * @throws PolicyConfigError when the file does not exist, does not parse, or does not validate.
 */
export async function loadPolicyConfig(
  cwd: string,
  knownRules: readonly string[],
  file?: string,
): Promise<PolicyConfig> {
  if (file !== undefined) {
    const text = await readIfExists(resolve(cwd, file), file);
    if (text === undefined)
      throw new PolicyConfigError([`${file}: no such file`], 'cannot read the policy configuration');
    const parsed = parseYaml(text, file);
    return parsePolicyConfig(parsed.value, file, knownRules, parsed.locate);
  }
  // The working directory first: pre-commit runs the hooks at the repository's root, where the
  // file usually is, so they pay nothing for the search.
  const here = await loadFrom(cwd, '', knownRules);
  if (here !== undefined) return here;
  for (const dir of parentsToGitRoot(cwd)) {
    const found = await loadFrom(dir, relative(cwd, dir), knownRules);
    if (found !== undefined) return found;
  }
  return DEFAULT_POLICY_CONFIG;
}
