/**
 * The one shape between the Task reconciler and the render: what goes in (the Task and the
 * objects the reconciler resolved for it) and what comes out (the objects to create, errors
 * and warnings kept apart), plus the deployment-wide settings and image defaults.
 *
 * @packageDocumentation
 */
import { AGENT_BASE_IMAGE_NAME, type AgentType, DEFAULT_IMAGE_REPOSITORY } from '../api/group.ts';
import type { K8sType } from '../api/k8s/index.ts';
import type { AgentConfig, Task, Workspace } from '../api/object.ts';
import { DEFAULT_IMAGE_TAG } from '../api/version.ts';
import type { Diagnostic } from '../validate/diagnostic.ts';

type Job = K8sType<'Job'>;
type ConfigMap = K8sType<'ConfigMap'>;

/** Tag of the bundled images when none is configured: `v<package version>`. */
export { AGENT_BASE_IMAGE_NAME, DEFAULT_IMAGE_REPOSITORY, DEFAULT_IMAGE_TAG };

/**
 * sizeLimit of the workspace emptyDir when the operator sets none (`--workspace-size-limit`).
 * The workspace holds the clone and whatever the agent makes in it: a depth-1 clone of a large
 * monorepo is a few GiB (the Linux kernel's checkout is under 2 GiB), installed dependencies
 * (`node_modules`, a virtualenv, vendored modules) and build outputs a few more, so 20Gi leaves
 * room for a large repository with its dependencies and a build, yet a runaway agent is
 * evicted alone long before it fills a node's disk (100 GiB and more on the usual node pools)
 * and the kubelet evicts its neighbours for disk pressure.
 */
export const DEFAULT_WORKSPACE_SIZE_LIMIT = '20Gi';

/** Deployment-wide settings of the render (operator flags). */
export interface RenderOptions {
  /**
   * Image per agent type, overriding the bundled default.
   * @default - `<imageRepository>/<type>:<imageTag>`
   */
  readonly agentImages?: Partial<Record<AgentType, string>>;
  /**
   * Registry and repository of the bundled images.
   * @default 'ghcr.io/kelos-ts' ({@link DEFAULT_IMAGE_REPOSITORY})
   */
  readonly imageRepository?: string;
  /**
   * Tag of the bundled images (normally the operator's version).
   * @default - `v<package version>` ({@link DEFAULT_IMAGE_TAG})
   */
  readonly imageTag?: string;
  /**
   * Pull policy of every built-in container.
   * @default - unset (Kubernetes decides from the tag)
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Image of the git init containers (clone, remotes, branch, files, plugins): it needs `sh`
   * and git. Upstream uses `alpine/git` from Docker Hub by tag; we default to our own agent
   * base image, so the containers that hold the GitHub token run an image this release built
   * and pinned (by digest through `agentBaseImage`), follow a registry mirror
   * (`imageRepository`), and cost no extra pull where the agent image is built on it.
   * @default - {@link agentBaseImage}
   */
  readonly gitImage?: string;
  /**
   * The agent base image, which runs the `skills-install` init container (it needs Node for
   * npx, and git). A release pins it by digest (`<repository>/agent-base@sha256:…`) through
   * the operator's `--agent-base-image`, as the install bundle renders it.
   * @default - `<imageRepository>/agent-base:<imageTag>`
   */
  readonly agentBaseImage?: string;
  /**
   * Where the agent writes its termination message (outputs).
   * @default '/dev/termination-log'
   */
  readonly terminationMessagePath?: string;
  /**
   * sizeLimit of the workspace emptyDir (a quantity, e.g. `50Gi`); `''` or a zero quantity
   * renders none. A Task whose podOverrides set `resources.limits["ephemeral-storage"]` gets
   * no built-in sizeLimit whatever this says: its own limit bounds the Pod's storage.
   * @default '20Gi' ({@link DEFAULT_WORKSPACE_SIZE_LIMIT})
   */
  readonly workspaceSizeLimit?: string;
  /**
   * Deadline for Tasks that set none in podOverrides, in seconds.
   * @default - none (a Task runs until the agent exits)
   */
  readonly defaultActiveDeadlineSeconds?: number;
}

/** Everything the render needs. */
export interface RenderInput {
  readonly task: Task;
  /** The Workspace the Task names; required when it names one. */
  readonly workspace?: Workspace;
  /** The AgentConfigs the Task names (any order; merged in the Task's order). */
  readonly agentConfigs: readonly AgentConfig[];
  /** The prompt after dependency templating (see `renderPrompt`). */
  readonly prompt: string;
  /**
   * Secret holding `GITHUB_TOKEN` for git and gh. The reconciler sets it to the Secret it
   * minted for a GitHub App workspace.
   * @default - the Workspace's `secretRef`
   */
  readonly githubTokenSecretName?: string;
  readonly options?: RenderOptions;
}

/** The objects to create for a Task, or why they cannot be. */
export interface RenderResult {
  /** The Job; present exactly when there are no errors. */
  readonly job?: Job;
  /** ConfigMaps the Job mounts, owned by the Task; create them before the Job. */
  readonly configMaps: ConfigMap[];
  /** Problems that prevent running the Task. */
  readonly errors: Diagnostic[];
  /** Things the render changed or dropped that the user should know about. */
  readonly warnings: Diagnostic[];
}

/** Name of the ConfigMap that carries a Task's instructions, MCP servers, plugins and files. */
export const configMapName = (taskName: string): string => `${taskName}-agent-config`;

/** Default image of an agent type (or of the agent base), from the render options. */
export const defaultAgentImage = (
  type: string,
  options: Pick<RenderOptions, 'imageTag' | 'imageRepository'>,
): string =>
  `${options.imageRepository ?? DEFAULT_IMAGE_REPOSITORY}/${type}:${options.imageTag ?? DEFAULT_IMAGE_TAG}`;
