/**
 * The built-in init containers (clone, remotes, branch, workspace files, plugins, skills)
 * and the mounts they share with the agent. Each runs a fixed script with values passed as
 * arguments and env, never spliced into the script.
 *
 * @packageDocumentation
 */

import { InitContainers } from '../api/group.ts';
import type { K8sType } from '../api/k8s/index.ts';
import { CONFIG_DIR, Env, GITHUB_TOKEN_FILE, MOUNTS, PLUGIN_DIR, REPO_DIR } from '../contract/pod.ts';
import { literal } from './expansion.ts';
import { AGENT_BASE_IMAGE_NAME, defaultAgentImage } from './input.ts';
import type { Plan } from './plan.ts';
import { INIT_CONTAINER_SECURITY_CONTEXT, withPullPolicy } from './pod-defaults.ts';
import {
  BRANCH_SETUP_SCRIPT,
  GIT_CLONE_SCRIPT,
  PLUGIN_SETUP_SCRIPT,
  REMOTE_SETUP_SCRIPT,
  SKILLS_INSTALL_SCRIPT,
  WORKSPACE_FILES_SCRIPT,
} from './scripts.ts';

type Container = K8sType<'Container'>;
type EnvVar = K8sType<'EnvVar'>;
type VolumeMount = K8sType<'VolumeMount'>;

/** The built-in init containers that apply, in the order they run. */
export const initContainers = (p: Plan): Container[] => {
  const { ws, options } = p;
  const baseImage = options.agentBaseImage ?? defaultAgentImage(AGENT_BASE_IMAGE_NAME, options);
  const gitImage = options.gitImage ?? baseImage;
  const step = (
    name: string,
    image: string,
    script: string,
    args: string[],
    env: EnvVar[],
    mounts: VolumeMount[],
  ): Container =>
    withPullPolicy(
      {
        name,
        image,
        // $0 names the step in the script's error messages; values arrive as arguments.
        command: ['sh', '-c', literal(script), name],
        // Not the image's WORKDIR: the agent base image's is the clone, which does not exist
        // before git-clone, and a runtime creates a missing one as root on the workspace volume.
        workingDir: MOUNTS.tmp.mountPath,
        ...(args.length > 0 ? { args: args.map(literal) } : {}),
        env: [{ name: 'HOME', value: '/tmp' }, ...env].map((e) =>
          e.value === undefined ? e : { ...e, value: literal(e.value) },
        ),
        volumeMounts: [...mounts, { ...MOUNTS.tmp }],
        securityContext: { ...INIT_CONTAINER_SECURITY_CONTEXT },
      },
      options,
    );
  const repoDir: EnvVar = { name: Env.RepoDir, value: REPO_DIR };
  const configDir: EnvVar = { name: 'KELOS_CONFIG_DIR', value: CONFIG_DIR };
  const pluginDir: EnvVar = { name: Env.PluginDir, value: PLUGIN_DIR };
  const tokenEnv: EnvVar[] = p.tokenSecret ? [{ name: Env.GitHubTokenFile, value: GITHUB_TOKEN_FILE }] : [];
  const gitMounts: VolumeMount[] = p.tokenSecret
    ? [{ ...MOUNTS.workspace }, { ...MOUNTS.token }]
    : [{ ...MOUNTS.workspace }];
  const init: Container[] = [];
  if (ws) {
    const clone: EnvVar[] = [{ name: 'KELOS_REPO', value: ws.spec.repo }];
    if (ws.spec.ref) clone.push({ name: 'KELOS_REF', value: ws.spec.ref });
    init.push(
      step(
        InitContainers.GitClone,
        gitImage,
        GIT_CLONE_SCRIPT,
        [],
        [...clone, repoDir, ...tokenEnv],
        gitMounts,
      ),
    );
    const remotes = ws.spec.remotes ?? [];
    if (remotes.length > 0) {
      init.push(
        step(
          InitContainers.RemoteSetup,
          gitImage,
          REMOTE_SETUP_SCRIPT,
          remotes.flatMap((r) => [r.name, r.url]),
          [repoDir],
          [{ ...MOUNTS.workspace }],
        ),
      );
    }
    if (p.branch) {
      init.push(
        step(
          InitContainers.BranchSetup,
          gitImage,
          BRANCH_SETUP_SCRIPT,
          [],
          [{ name: Env.Branch, value: p.branch }, repoDir, ...tokenEnv],
          gitMounts,
        ),
      );
    }
    if (p.files.length > 0) {
      init.push(
        step(
          InitContainers.WorkspaceFiles,
          gitImage,
          WORKSPACE_FILES_SCRIPT,
          p.files.flatMap((f) => [f.key, f.path]),
          [repoDir, configDir],
          [{ ...MOUNTS.workspace }, { ...MOUNTS.config }],
        ),
      );
    }
  }
  if (p.pluginFiles.length > 0) {
    init.push(
      step(
        InitContainers.PluginSetup,
        gitImage,
        PLUGIN_SETUP_SCRIPT,
        p.pluginFiles.flatMap((f) => [f.key, f.path]),
        [pluginDir, configDir],
        [{ ...MOUNTS.plugin }, { ...MOUNTS.config }],
      ),
    );
  }
  if (p.skills.args.length > 0) {
    init.push(
      step(
        InitContainers.SkillsInstall,
        baseImage,
        SKILLS_INSTALL_SCRIPT,
        p.skills.args,
        [pluginDir, { name: 'TMPDIR', value: '/tmp' }, ...p.skills.env],
        [{ ...MOUNTS.plugin }],
      ),
    );
  }
  return init;
};
