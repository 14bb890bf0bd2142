/**
 * The checks the render makes on user input that ends up in file paths, git refs and
 * container or volume names, and the file lists it builds once input has passed them.
 * Upstream makes the same checks in the controller (`validateUserVolumes`, path
 * sanitising); here each failure is a diagnostic with its JSON pointer.
 *
 * @packageDocumentation
 */
import type { PodOverrides } from '../api/common.ts';
import { RESERVED_CONTAINER_NAMES, RESERVED_PREFIX } from '../api/group.ts';
import type { Workspace } from '../api/object.ts';
import { ConfigKeys, Volumes } from '../contract/pod.ts';
import { refNameProblem } from '../validate/git-refs.ts';
import type { MergedAgentConfig } from './agent-config.ts';
import { kelosResource, type Problems } from './problems.ts';

/** A file carried in the Task's ConfigMap and copied to `path` by an init container. */
export interface ConfigFile {
  readonly key: string;
  readonly path: string;
  readonly content: string;
}

/** Plugin, skill and sub-agent names: they become directory and file names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Why a Workspace file path is refused, or undefined when it is acceptable. */
export const workspaceFilePathProblem = (path: string): string | undefined => {
  if (path === '') return 'must not be empty';
  if (path.startsWith('/')) return 'must be relative to the repository root';
  if (path.includes('\\')) return 'must not contain backslashes';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  const segments = path.split('/');
  if (segments.includes('..')) return 'must not contain .. segments';
  if (segments.some((s) => s === '' || s === '.')) return 'must not contain empty or . segments';
  if (segments[0] === '.git') return 'must not write into .git';
  return undefined;
};

/** Whether `git check-ref-format --branch` would accept a name (see {@link refNameProblem}). */
export const isValidBranchName = (name: string): boolean => name !== '' && refNameProblem(name) === undefined;

/** The Workspace's files that pass the path checks; the others are reported. */
export const collectWorkspaceFiles = (ws: Workspace | undefined, problems: Problems): ConfigFile[] => {
  if (!ws) return [];
  const resource = kelosResource('Workspace', ws.metadata);
  const files: ConfigFile[] = [];
  const seen = new Set<string>();
  (ws.spec.files ?? []).forEach((f, i) => {
    const at = `/spec/files/${i}/path`;
    const problem = workspaceFilePathProblem(f.path);
    if (problem) {
      problems.error(
        'render/workspace-file-path',
        at,
        `file path ${JSON.stringify(f.path)} ${problem}`,
        resource,
      );
    } else if (seen.has(f.path)) {
      problems.error(
        'render/workspace-file-duplicate',
        at,
        `file path ${JSON.stringify(f.path)} is listed more than once`,
        resource,
      );
    } else {
      seen.add(f.path);
      files.push({ key: ConfigKeys.workspaceFile(i), path: f.path, content: f.content });
    }
  });
  return files;
};

/**
 * The plugin files (`<plugin>/skills/<skill>/SKILL.md`, `<plugin>/agents/<agent>.md`)
 * and plugin names, after checking that every name is a plain file name, that plugin
 * names are unique, and that `skills-sh` is free when skills are installed.
 */
export const collectPluginFiles = (
  merged: MergedAgentConfig,
  namespace: string | undefined,
  problems: Problems,
): { files: ConfigFile[]; names: Set<string> } => {
  const names = new Set<string>();
  const files: ConfigFile[] = [];
  merged.plugins.forEach(({ plugin, config, path }, p) => {
    const resource = kelosResource('AgentConfig', { name: config, ...(namespace ? { namespace } : {}) });
    const plain = (value: string, at: string, what: string): boolean => {
      if (NAME_PATTERN.test(value) && value !== '.' && value !== '..') return true;
      problems.error(
        'render/plugin-name',
        at,
        `${what} name ${JSON.stringify(value)} must match ${NAME_PATTERN.source}`,
        resource,
      );
      return false;
    };
    if (!plain(plugin.name, `${path}/name`, 'plugin')) return;
    if (plugin.name === 'skills-sh' && merged.skills.length > 0) {
      problems.error(
        'render/plugin-name',
        `${path}/name`,
        'plugin name "skills-sh" is reserved for installed skills when skills are set',
        resource,
      );
      return;
    }
    if (names.has(plugin.name)) {
      problems.error(
        'render/plugin-duplicate',
        `${path}/name`,
        `plugin ${JSON.stringify(plugin.name)} is defined more than once across the Task's AgentConfigs`,
        resource,
      );
      return;
    }
    names.add(plugin.name);
    (plugin.skills ?? []).forEach((s, j) => {
      if (plain(s.name, `${path}/skills/${j}/name`, 'skill')) {
        files.push({
          key: ConfigKeys.pluginSkill(p, j),
          path: `${plugin.name}/skills/${s.name}/SKILL.md`,
          content: s.content,
        });
      }
    });
    (plugin.agents ?? []).forEach((a, j) => {
      if (plain(a.name, `${path}/agents/${j}/name`, 'agent')) {
        files.push({
          key: ConfigKeys.pluginAgent(p, j),
          path: `${plugin.name}/agents/${a.name}.md`,
          content: a.content,
        });
      }
    });
  });
  return { files, names };
};

/**
 * Checks podOverrides' volumes (reserved names, duplicates) and extra containers
 * (reserved names, empty or duplicate names across both lists).
 */
export const checkPodOverrides = (overrides: PodOverrides, poPath: string, problems: Problems): void => {
  const volumes = new Set<string>();
  (overrides.volumes ?? []).forEach((v, i) => {
    const at = `${poPath}/volumes/${i}/name`;
    if (v.name.startsWith(RESERVED_PREFIX) || v.name === Volumes.Workspace) {
      problems.error(
        'render/reserved-volume-name',
        at,
        `volume name ${JSON.stringify(v.name)} is reserved: names must not start with "${RESERVED_PREFIX}" or be "${Volumes.Workspace}"`,
      );
    } else if (volumes.has(v.name)) {
      problems.error(
        'render/duplicate-volume-name',
        at,
        `volume name ${JSON.stringify(v.name)} is used more than once`,
      );
    }
    volumes.add(v.name);
  });
  const containers = new Map<string, string>();
  for (const field of ['extraContainers', 'extraInitContainers'] as const) {
    (overrides[field] ?? []).forEach((c, i) => {
      const at = `${poPath}/${field}/${i}/name`;
      if (!c.name) {
        problems.error('render/container-name', at, `${field} names must not be empty`);
      } else if (
        c.name.startsWith(RESERVED_PREFIX) ||
        (RESERVED_CONTAINER_NAMES as readonly string[]).includes(c.name)
      ) {
        problems.error(
          'render/reserved-container-name',
          at,
          `container name ${JSON.stringify(c.name)} is reserved: names must not start with "${RESERVED_PREFIX}" or be a built-in init container (${RESERVED_CONTAINER_NAMES.join(', ')})`,
        );
      } else if (containers.has(c.name)) {
        problems.error(
          'render/duplicate-container-name',
          at,
          `container name ${JSON.stringify(c.name)} is already used in ${containers.get(c.name)}`,
        );
      } else {
        containers.set(c.name, field);
      }
    });
  }
};
