/**
 * ScheduledAgent: an agent that runs on a cron schedule.
 *
 * @packageDocumentation
 */
import type { ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { cronScheduleError } from '../../src/api/cron-schedule.ts';
import { fromProps } from '../prop-sources.ts';
import { TaskSpawner } from '../task-spawner.ts';
import { refuseViolations, Violations } from '../validation.ts';
import type { IWorkspace } from '../workspace.ts';
import {
  AGENT_PROPS,
  type AgentProps,
  checkKnownProps,
  PatternDefaults,
  type PropShape,
  type RequiredProp,
  type RequiredProps,
  refusePatternProps,
  resolveAgent,
  spawnerPropSources,
} from './agent.ts';
import { PatternMessages } from './messages.ts';

/** Props of a {@link ScheduledAgent}. */
export interface ScheduledAgentProps extends AgentProps {
  /** Object metadata of the TaskSpawner. @default - name generated from the construct path */
  readonly metadata?: ApiObjectMetadata;
  /** Five-field cron schedule, in UTC, e.g. `0 9 * * 1`. */
  readonly schedule: string;
  /** What the agent does on each run; a Go template over `.Time` and `.Schedule`. */
  readonly prompt: string;
  /**
   * Workspace the agent works in.
   *
   * @default - none: the agent starts in an empty directory
   */
  readonly workspace?: IWorkspace;
  /**
   * Go template of the branch each run works on. Each run gets its own branch, so spawners
   * sharing a Workspace never push to one branch at once.
   *
   * @default 'kelos/<metadata.name or construct id>-{{.ID}}' (`.ID` is the run's YYYYMMDD-HHMM)
   */
  readonly branch?: string;
  /**
   * Unfinished runs at once; must be at least 1.
   *
   * @default 1 (runs never overlap)
   */
  readonly maxConcurrency?: number;
  /**
   * Runs over the spawner's lifetime.
   *
   * @default PatternDefaults.maxTotalTasks
   */
  readonly maxTotalTasks?: number;
  /**
   * Labels of the spawned Tasks.
   *
   * @default - none
   */
  readonly taskLabels?: Readonly<Record<string, string>>;
}

const SCHEDULED_AGENT_PROPS: Readonly<Record<keyof ScheduledAgentProps, PropShape>> = {
  ...AGENT_PROPS,
  metadata: true,
  schedule: true,
  prompt: true,
  workspace: true,
  branch: true,
  maxConcurrency: true,
  maxTotalTasks: true,
  taskLabels: 'object',
};

const SCHEDULED_AGENT_REQUIRED: Readonly<Record<RequiredProps<ScheduledAgentProps>, RequiredProp>> = {
  schedule: 'string',
  prompt: 'string',
  credentials: 'object',
};

/**
 * Runs an agent on a schedule. Runs never overlap by default, and each has a deadline.
 *
 * @throws KelosValidationError when the schedule does not parse as the spawner parses it
 * (five fields or a descriptor such as `@daily`, in UTC) or
 * `maxConcurrency` is below 1.
 */
export class ScheduledAgent extends Construct {
  // The fields are unset only while `kelos synth` collects refusals (see refusePatternProps),
  // which then renders nothing of the app.
  /** The TaskSpawner this pattern renders. */
  readonly spawner!: TaskSpawner;
  /** Unfinished runs at once. */
  readonly maxConcurrency!: number;
  /** Seconds a finished run is kept. */
  readonly ttlSecondsAfterFinished!: number;
  /** Seconds a run may take. */
  readonly activeDeadlineSeconds!: number;

  constructor(scope: Construct, id: string, props: ScheduledAgentProps) {
    super(scope, id);
    const v = new Violations();
    const resource = { kind: 'TaskSpawner', name: props?.metadata?.name ?? this.node.path };
    if (!checkKnownProps(v, 'ScheduledAgent', props, SCHEDULED_AGENT_PROPS, SCHEDULED_AGENT_REQUIRED)) {
      refuseViolations(resource, v.items);
      return;
    }
    const unknown = v.items.length;
    this.maxConcurrency = props.maxConcurrency ?? PatternDefaults.scheduledMaxConcurrency;
    const agent = resolveAgent(props, props.workspace);
    this.ttlSecondsAfterFinished = agent.ttlSecondsAfterFinished;
    this.activeDeadlineSeconds = agent.activeDeadlineSeconds;

    const scheduleError = cronScheduleError(props.schedule);
    v.check(scheduleError !== undefined, '/spec/when/cron/schedule', scheduleError ?? '', '/schedule');
    v.check(
      this.maxConcurrency < 1,
      '/spec/maxConcurrency',
      PatternMessages.maxConcurrency(this.maxConcurrency),
      '/maxConcurrency',
    );
    if (refusePatternProps(resource, v, unknown)) return;

    const sources = [
      ...spawnerPropSources(props, '/prompt'),
      { field: '/spec/taskTemplate/branch', prop: '/branch' },
      { field: '/spec/when/cron/schedule', prop: '/schedule' },
    ];
    this.spawner = fromProps(
      sources,
      () =>
        new TaskSpawner(this, 'Default', {
          ...(props.metadata && { metadata: props.metadata }),
          when: { cron: { schedule: props.schedule } },
          taskTemplate: {
            worker: agent.worker,
            branch: props.branch ?? `kelos/${props.metadata?.name ?? id}-{{.ID}}`,
            promptTemplate: props.prompt,
            ttlSecondsAfterFinished: agent.ttlSecondsAfterFinished,
            ...(props.taskLabels && { metadata: { labels: { ...props.taskLabels } } }),
          },
          maxConcurrency: this.maxConcurrency,
          maxTotalTasks: props.maxTotalTasks ?? PatternDefaults.maxTotalTasks,
        }),
    );
  }
}
