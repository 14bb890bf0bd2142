/**
 * The resource types the operator reads and writes: the built-in ones of the controller
 * runtime, and the Kelos kinds, whose plurals come from `src/api`.
 *
 * @packageDocumentation
 */
import { API_VERSION, GROUP, KINDS, VERSION } from '../api/index.ts';
import { CoreResources, type ResourceType } from '../kube/client.ts';

const kelos = (kind: string): ResourceType => {
  const def = KINDS.find((k) => k.kind === kind);
  if (!def) throw new Error(`kind ${kind} is not in src/api KINDS`);
  return { group: GROUP, version: VERSION, plural: def.plural, kind, namespaced: def.namespaced !== false };
};

/** Every resource type the operator touches. */
export const Resources = {
  ...CoreResources,
  NetworkPolicy: {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
  EndpointSlice: {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  Task: kelos('Task'),
  Workspace: kelos('Workspace'),
  AgentConfig: kelos('AgentConfig'),
  TaskSpawner: kelos('TaskSpawner'),
  TaskBudget: kelos('TaskBudget'),
  TaskRecord: kelos('TaskRecord'),
  KelosConfig: kelos('KelosConfig'),
} as const satisfies Record<string, ResourceType>;

/** The Kelos `apiVersion`, for owner references. */
export const KELOS_API_VERSION = API_VERSION;

/** Field manager for every write the operator makes, so `kubectl` shows who owns which field. */
export const FIELD_MANAGER = 'kelos-operator';

/** `reportingController` of every Event the operator writes. */
export const REPORTING_CONTROLLER = 'kelos.dev/operator';
