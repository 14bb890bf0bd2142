/**
 * Types shared by several kinds: credentials, the worker (how an agent runs), Pod
 * overrides, references and usage.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type {
  AgentConfigReference,
  Condition,
  Credentials,
  PodOverrides,
  SecretReference,
  SpawnerCredential,
  TaskUsage,
  WorkerPoolReference,
  WorkerSpec,
  WorkspaceReference,
} from './generated/types.ts';
import { AGENT_TYPES, RESERVED_CONTAINER_NAMES, RESERVED_PREFIX, WORKSPACE_VOLUME } from './group.ts';
import { k8sTypeSchema } from './k8s/index.ts';
import {
  type CelRule,
  int64,
  list,
  NON_NEGATIVE_QUANTITY,
  nameRef,
  obj,
  opt,
  quantity,
  str,
  strEnum,
  strMap,
  time,
} from './schema.ts';

/** How an agent authenticates to its model provider. */
export const CredentialType = { ApiKey: 'api-key', OAuth: 'oauth', None: 'none' } as const;
/** One of {@link CredentialType}. */
export type CredentialType = (typeof CredentialType)[keyof typeof CredentialType];

/** Values `type` may take; the empty string means "not set" and is kept for upstream compatibility. */
const AGENT_TYPE_VALUES = [...AGENT_TYPES, ''] as const;

export const SecretReferenceSchema = obj(
  { name: str('name of the Secret in the same namespace.', { minLength: 1 }) },
  'SecretReference names a Secret in the same namespace as the referring object.',
);

export const CredentialsSchema = obj(
  {
    type: strEnum(
      Object.values(CredentialType),
      'type is how the agent authenticates: api-key (an API key env var), oauth (an OAuth token env var) or none (no built-in injection; supply env through podOverrides).',
    ),
    secretRef: opt({
      ...SecretReferenceSchema,
      description:
        'secretRef names the Secret that holds the credential. Required for api-key and oauth. The keys read depend on the agent type (for example ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN for claude-code).',
    }),
  },
  'Credentials says how the agent authenticates to its model provider.',
);

/** Rule shared by every struct that carries `credentials`. */
export const CREDENTIALS_SECRET_RULE: CelRule = {
  rule: "!has(self.credentials) || self.credentials.type == 'none' || has(self.credentials.secretRef)",
  message: 'credentials.secretRef is required for api-key and oauth credential types',
};

export const WorkspaceReferenceSchema = nameRef(
  'WorkspaceReference names the Workspace (git repository) the agent works in.',
  'name of the Workspace in the same namespace.',
);

export const AgentConfigReferenceSchema = nameRef(
  'AgentConfigReference names an AgentConfig in the same namespace.',
  'name of the AgentConfig.',
);

export const WorkerPoolReferenceSchema = nameRef(
  'WorkerPoolReference names a WorkerPool that runs the Task on one of its pre-warmed workers.',
  'name of the WorkerPool in the same namespace.',
);

const containerNameRules = (field: string): CelRule[] => [
  {
    rule: 'self.all(c, size(c.name) > 0)',
    message: `${field} names must not be empty`,
  },
  {
    rule: `self.all(c, !c.name.startsWith('${RESERVED_PREFIX}') && !(c.name in [${RESERVED_CONTAINER_NAMES.map((n) => `'${n}'`).join(', ')}]))`,
    message: `${field} names must not start with '${RESERVED_PREFIX}' or use a built-in init container name (${RESERVED_CONTAINER_NAMES.join(', ')})`,
  },
];

export const PodOverridesSchema = obj(
  {
    labels: opt(
      strMap(
        'labels are merged onto the Job and its Pod. Labels the operator sets win on conflict, so selectors keep working.',
      ),
    ),
    resources: opt(
      k8sTypeSchema('ResourceRequirements', {
        description: 'resources are the compute requests and limits of the agent container.',
      }),
    ),
    activeDeadlineSeconds: opt(
      int64(
        'activeDeadlineSeconds bounds how long the Task may run, in seconds. It is set on the Job; when it passes, the Task fails.',
        { minimum: 1 },
      ),
    ),
    env: opt(
      list(
        k8sTypeSchema('EnvVar'),
        'env is appended to the agent container after the built-in variables. A variable whose name collides with a built-in one is dropped, and KELOS_SETUP_COMMAND is always dropped.',
      ),
    ),
    nodeSelector: opt(strMap('nodeSelector constrains which nodes the Pod may run on.')),
    tolerations: opt(list(k8sTypeSchema('Toleration'), 'tolerations are added to the Pod.')),
    affinity: opt(
      k8sTypeSchema('Affinity', { description: 'affinity holds the Pod scheduling constraints.' }),
    ),
    imagePullSecrets: opt(
      list(
        k8sTypeSchema('LocalObjectReference'),
        'imagePullSecrets name Secrets used to pull the agent image and any extra container images.',
      ),
    ),
    serviceAccountName: opt(
      str(
        'serviceAccountName runs the Pod as this ServiceAccount, for example to use workload identity (IRSA, GKE Workload Identity).',
      ),
    ),
    volumes: opt(
      list(
        k8sTypeSchema('Volume'),
        `volumes are added to the Pod. Names must be unique, must not start with '${RESERVED_PREFIX}' and must not be '${WORKSPACE_VOLUME}'.`,
        {
          // Unique names, enforced by the server as the Pod's own volumes list is.
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-validations': [
            {
              rule: `self.all(v, !v.name.startsWith('${RESERVED_PREFIX}') && v.name != '${WORKSPACE_VOLUME}')`,
              message: `volume names must not start with '${RESERVED_PREFIX}' or be '${WORKSPACE_VOLUME}'`,
            },
          ],
        },
      ),
    ),
    volumeMounts: opt(
      list(
        k8sTypeSchema('VolumeMount'),
        'volumeMounts are added to the agent container. They may mount user volumes or the built-in workspace volume.',
      ),
    ),
    podSecurityContext: opt(
      k8sTypeSchema('PodSecurityContext', {
        description:
          'podSecurityContext is merged field by field over the hardened default Pod security context (runAsNonRoot, runAsUser and fsGroup 61100, RuntimeDefault seccomp): a field set here wins, the others keep their defaults.',
      }),
    ),
    containerSecurityContext: opt(
      k8sTypeSchema('SecurityContext', {
        description:
          'containerSecurityContext is merged field by field over the hardened default security context of the agent container (no privilege escalation, all capabilities dropped): a field set here wins, the others keep their defaults.',
      }),
    ),
    extraContainers: opt(
      list(
        k8sTypeSchema('Container'),
        `extraContainers run beside the agent container, for example a database the agent tests against. At most 8; names must be unique and must not start with '${RESERVED_PREFIX}'.`,
        {
          maxItems: 8,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-validations': containerNameRules('extraContainers'),
        },
      ),
    ),
    extraInitContainers: opt(
      list(
        k8sTypeSchema('Container'),
        'extraInitContainers run after every built-in init container. restartPolicy: Always makes one a native sidecar. At most 8; names follow the extraContainers rules.',
        {
          maxItems: 8,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-validations': containerNameRules('extraInitContainers'),
        },
      ),
    ),
  },
  'PodOverrides customise the Pod that runs the agent. Built-in settings win where they must (labels, reserved env names, reserved volume and container names).',
);

/** Builds the WorkerSpec fields; shared so legacy Task fields can reuse the descriptions. */
export const workerFields = () => ({
  type: opt(
    strEnum(
      AGENT_TYPE_VALUES,
      'type is the agent to run: claude-code, codex, gemini, opencode or cursor. It picks the default image and how credentials are injected.',
    ),
  ),
  credentials: opt({
    ...CredentialsSchema,
    description: 'credentials say how the agent authenticates to its model provider.',
  }),
  model: opt(str('model is passed to the agent as KELOS_MODEL, for example claude-sonnet-4-5.')),
  effort: opt(
    str(
      'effort is an agent-specific reasoning effort (for example low, medium, high), passed as KELOS_EFFORT. It is not validated by the API.',
    ),
  ),
  image: opt(
    str('image overrides the default agent image. It must implement the Kelos agent image interface.'),
  ),
  workspaceRef: opt({
    ...WorkspaceReferenceSchema,
    description: 'workspaceRef names the Workspace the agent clones and works in.',
  }),
  agentConfigRefs: opt(
    list(
      AgentConfigReferenceSchema,
      'agentConfigRefs name AgentConfigs merged in order: instructions are joined, plugins and skills appended, and a later MCP server replaces an earlier one of the same name.',
      { minItems: 1 },
    ),
  ),
  podOverrides: opt({
    ...PodOverridesSchema,
    description: 'podOverrides customise the Pod that runs the agent.',
  }),
});

export const WorkerSpecSchema = obj(
  workerFields(),
  'WorkerSpec says how an agent runs: which agent, model, credentials, image, workspace, configuration and Pod settings.',
  { 'x-kubernetes-validations': [CREDENTIALS_SECRET_RULE] },
);

export const SpawnerCredentialSchema = obj(
  {
    name: str('name identifies the credential; it is recorded in the kelos.dev/spawner-credential label.', {
      minLength: 1,
      maxLength: 63,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    }),
    type: strEnum(['api-key', 'oauth'] as const, 'type is how the agent authenticates with this credential.'),
    secretRef: {
      ...SecretReferenceSchema,
      description: 'secretRef names the Secret holding the credential.',
    },
  },
  'SpawnerCredential is one credential in a pool; each spawned Task gets one picked at random.',
);

export const TaskUsageSchema = obj(
  {
    costUSD: opt(
      quantity('costUSD is the cost in US dollars, as a decimal string such as "1.25".', {
        'x-kubernetes-validations': [NON_NEGATIVE_QUANTITY],
      }),
    ),
    inputTokens: opt(int64('inputTokens is the number of input tokens the agent used.', { minimum: 0 })),
    outputTokens: opt(
      int64('outputTokens is the number of output tokens the agent produced.', { minimum: 0 }),
    ),
  },
  'TaskUsage is the cost and token usage of one Task or the sum over many.',
);

export const ConditionSchema = obj(
  {
    type: str('type of the condition in CamelCase, for example BudgetBlocked.', { maxLength: 316 }),
    status: strEnum(['True', 'False', 'Unknown'] as const, 'status of the condition.'),
    observedGeneration: opt(
      int64('observedGeneration is the .metadata.generation the condition was set from.', { minimum: 0 }),
    ),
    lastTransitionTime: time('lastTransitionTime is when the condition last changed status.'),
    reason: str('reason is a CamelCase, machine-readable reason for the last transition.', {
      minLength: 1,
      maxLength: 1024,
    }),
    message: str('message is a human-readable explanation of the last transition.', { maxLength: 32768 }),
  },
  'Condition is one aspect of an object’s current state (metav1.Condition).',
);

/** Conditions list with the list-map semantics upstream uses. */
export const conditions = (description: string) =>
  list(ConditionSchema, description, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

export const LabelSelectorSchema = k8sTypeSchema('LabelSelector');

/** A typed empty object, for markers such as `ghproxy: {}`. */
export const emptyObject = (description: string) => Type.Object({}, { description });

export { effectiveWorkerField, WORKER_FIELDS, type WorkerField } from './worker-field.ts';

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type {
  AgentConfigReference,
  Condition,
  Credentials,
  PodOverrides,
  SecretReference,
  SpawnerCredential,
  TaskUsage,
  WorkerPoolReference,
  WorkerSpec,
  WorkspaceReference,
};
