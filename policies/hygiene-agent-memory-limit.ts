/**
 * hygiene/agent-memory-limit: every Task and task template caps the agent's memory.
 *
 * The agent runs arbitrary code (installs, builds, test suites). Without a memory limit its
 * Pod may take all the memory of its node: the kernel's OOM killer or the kubelet's
 * memory-pressure eviction then picks among every Pod there, not only the agent. The operator
 * sets no default, since no one figure fits every repository and agent, and a limit too low
 * kills the agent in the middle of its work; so the rule asks the author to choose one.
 *
 * @packageDocumentation
 */
import type { AdmissionCheck, ObjectRule } from '../src/policy/rule.ts';
import { CEL_EXECUTION_ROOT, celHas, celWorkerField } from './lib/cel.ts';
import { executionOf } from './lib/worker.ts';

/** Message when no memory limit is set; shared verbatim with the admission policy. */
export const MEMORY_LIMIT_MISSING =
  'the agent has no memory limit, so it may take all the memory of its node and get other Pods OOM-killed or evicted; set podOverrides.resources.limits.memory';

export const agentMemoryLimit: ObjectRule = {
  id: 'hygiene/agent-memory-limit',
  scope: 'object',
  severity: 'warning',
  kinds: ['Task', 'TaskSpawner'],
  description:
    'Every Task and TaskSpawner task template sets podOverrides.resources.limits.memory for the agent.',
  rationale:
    'An agent runs arbitrary builds and installs; without a memory limit one runaway run can exhaust its node, and the OOM killer or the kubelet’s eviction then takes other Pods too. With a limit only the agent is killed (the Task fails with the reason).',
  hint: 'Set podOverrides.resources.limits.memory (for example 8Gi), and requests.memory so the scheduler places the agent where that memory is.',
  check({ object }) {
    const e = executionOf(object);
    // A WorkerPool carries its own limits; podOverrides may not be set with workerPoolRef.
    if (!e || e.spec['workerPoolRef'] !== undefined) return [];
    // A null is what YAML gives for `memory:` with no value; the API server drops it.
    const found = e.podOverride('resources', 'limits', 'memory');
    if (found && found.value !== null) return [];
    const where = e.spec['worker'] !== undefined ? [...e.base, 'worker'] : e.base;
    return [
      {
        path: `/${[...where, 'podOverrides', 'resources', 'limits', 'memory'].join('/')}`,
        message: MEMORY_LIMIT_MISSING,
      },
    ];
  },
  admission: () =>
    (['Task', 'TaskSpawner'] as const).map((kind): AdmissionCheck => {
      const root = CEL_EXECUTION_ROOT[kind]!;
      const limit = celWorkerField(root, ['podOverrides', 'resources', 'limits', 'memory']);
      const pooled = celHas(root, ['workerPoolRef']);
      return {
        kind,
        validations: [{ expression: `${pooled} || ${limit.has}`, message: MEMORY_LIMIT_MISSING }],
      };
    }),
};
