/**
 * Finds and reads the policy configuration: `--config <file>`, else `kelos.policy.yaml` in the
 * project root, else the `policy:` section of `cdk8s.yaml`, else the built-in defaults.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  DEFAULT_POLICY_CONFIG,
  POLICY_CONFIG_FILE,
  type PolicyConfig,
  PolicyConfigError,
  parsePolicyConfig,
} from './config.ts';

const readIfExists = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
};

const parseYaml = (text: string, file: string): unknown => {
  try {
    return parse(text);
  } catch (err) {
    throw new PolicyConfigError([`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
};

/**
 * Loads the effective policy configuration.
 *
 * @param cwd Project root the default files are looked up in.
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
    const text = await readIfExists(resolve(cwd, file));
    if (text === undefined) throw new PolicyConfigError([`${file}: no such file`]);
    return parsePolicyConfig(parseYaml(text, file), file, knownRules);
  }
  const own = await readIfExists(join(cwd, POLICY_CONFIG_FILE));
  if (own !== undefined)
    return parsePolicyConfig(parseYaml(own, POLICY_CONFIG_FILE), POLICY_CONFIG_FILE, knownRules);
  const cdk8s = await readIfExists(join(cwd, 'cdk8s.yaml'));
  if (cdk8s !== undefined) {
    const raw = parseYaml(cdk8s, 'cdk8s.yaml');
    const section =
      typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['policy'] : undefined;
    if (section !== undefined) return parsePolicyConfig(section, 'cdk8s.yaml (policy)', knownRules);
  }
  return DEFAULT_POLICY_CONFIG;
}
