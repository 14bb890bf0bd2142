/**
 * Pipeline: ordered Tasks on one branch, each starting when the previous one succeeded
 * and reading its results.
 *
 * @packageDocumentation
 */
import { Construct } from 'constructs';
import { GIT_LIFECYCLE } from '../../src/api/group.ts';
import { fromProps, type PropSource, propPointer } from '../prop-sources.ts';
import { duplicates } from '../render.ts';
import { type ITask, Task } from '../task.ts';
import { refuseViolations, Violations } from '../validation.ts';
import type { IWorkspace } from '../workspace.ts';
import {
  AGENT_PROPS,
  type AgentProps,
  agentPropSources,
  checkKnownProps,
  type PropShape,
  type RequiredProp,
  type RequiredProps,
  refusePatternProps,
  resolveAgent,
} from './agent.ts';
import { PatternMessages } from './messages.ts';

/**
 * The template expression that reads a result of a finished dependency inside a prompt,
 * e.g. `depResult(scaffold, 'branch')` is `{{index .Deps "scaffold" "Results" "branch"}}`.
 */
export const depResult = (task: ITask, key: string): string =>
  `{{index .Deps ${JSON.stringify(task.name)} "Results" ${JSON.stringify(key)}}}`;

/** What a step's prompt may refer to. */
export interface StepContext {
  /** The step before this one; undefined for the first step. */
  readonly previous?: ITask;
}

/** One step of a {@link Pipeline}. */
export interface PipelineStep {
  /** `metadata.name` of the step's Task. */
  readonly name: string;
  /** The prompt, or a function of the previous step (use {@link depResult} to read its results). */
  readonly prompt: string | ((ctx: StepContext) => string);
  /**
   * Labels of the step's Task.
   *
   * @default - the pipeline's labels
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Props of a {@link Pipeline}. */
export interface PipelineProps extends AgentProps {
  /** Workspace every step works in. */
  readonly workspace: IWorkspace;
  /** Branch every step works on; the steps hold it one after another. */
  readonly branch: string;
  /** The steps, in order. */
  readonly steps: readonly PipelineStep[];
  /**
   * Namespace of the Tasks.
   *
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Labels of every Task.
   *
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Seconds a finished step's Task is kept before the operator deletes it. Set it only when the
   * Tasks are applied once (`kubectl apply`), not synced from Git: under Argo CD self-heal a
   * deleted step is created again and its agent runs again.
   *
   * @default - none: every step's Task is annotated `kelos.dev/lifecycle: git` and is cleaned
   *   up by removing the Pipeline from Git (Argo CD prunes it)
   */
  readonly ttlSecondsAfterFinished?: number;
}

const PIPELINE_PROPS: Readonly<Record<keyof PipelineProps, PropShape>> = {
  ...AGENT_PROPS,
  workspace: true,
  branch: true,
  steps: true,
  namespace: true,
  labels: 'object',
};

const STEP_PROPS: Readonly<Record<keyof PipelineStep, PropShape>> = {
  name: true,
  prompt: true,
  labels: 'object',
};

const PIPELINE_REQUIRED: Readonly<Record<RequiredProps<PipelineProps>, RequiredProp>> = {
  workspace: 'Workspace',
  branch: 'string',
  steps: 'list',
  credentials: 'object',
};

/**
 * Ordered Tasks on one branch: step N depends on step N-1, so it starts only when that one
 * succeeded, and can read its results with {@link depResult}. The Tasks are kept in Git
 * (`kelos.dev/lifecycle: git`, no TTL) unless `ttlSecondsAfterFinished` is set.
 *
 * @throws KelosValidationError when there are no steps, step names repeat or the branch is empty.
 */
export class Pipeline extends Construct {
  /**
   * The Tasks, in step order. Unset only while `kelos synth` collects refusals (see
   * refusePatternProps), which then renders nothing of the app.
   */
  readonly tasks!: readonly Task[];

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const v = new Violations();
    const resource = { kind: 'Task', name: this.node.path };
    if (!checkKnownProps(v, 'Pipeline', props, PIPELINE_PROPS, PIPELINE_REQUIRED)) {
      refuseViolations(resource, v.items);
      return;
    }
    const unknown = v.items.length;
    v.check(props.steps.length === 0, '/spec', PatternMessages.noSteps, '/steps');
    // Each step is an object with a name (an app run without type checks may hold anything).
    props.steps.forEach((step, i) => {
      v.check(
        typeof step !== 'object' || step === null || typeof step.name !== 'string',
        '',
        PatternMessages.badStep(i, step),
        propPointer('steps', i),
      );
    });
    if (v.items.length > unknown) {
      refuseViolations(resource, v.items);
      return;
    }
    // A misspelt step prop (`lables`) would drop the step's labels, and with them a budget's hold.
    let readable = true;
    props.steps.forEach((step, i) => {
      const at = propPointer('steps', i);
      readable = checkKnownProps(v, `Pipeline step "${step.name}"`, step, STEP_PROPS, {}, at) && readable;
    });
    // Unknown props are ignored; a step's labels that are no object would be spread as one.
    const ignored = readable ? v.items.length : 0;
    const names = props.steps.map((s) => s.name);
    for (const name of duplicates(names))
      v.add(
        '/metadata/name',
        PatternMessages.duplicateStep(name),
        undefined,
        propPointer('steps', names.lastIndexOf(name), 'name'),
      );
    v.check(props.branch.trim() === '', '/spec/branch', PatternMessages.emptyBranch, '/branch');
    if (refusePatternProps(resource, v, ignored)) return;

    const agent = resolveAgent(props, props.workspace);
    // The steps are plain Tasks the app renders into Git: without a TTL of the user's, Git ends
    // their life (the patterns' default TTL would make Argo CD run each step again after it).
    const ttl = props.ttlSecondsAfterFinished;
    const tasks: Task[] = [];
    for (const [i, step] of props.steps.entries()) {
      const previous = tasks.at(-1);
      const labels = step.labels ?? props.labels;
      const sources: PropSource[] = [
        ...agentPropSources(props, '/spec/worker', '/spec/ttlSecondsAfterFinished'),
        { field: '/metadata/name', prop: propPointer('steps', i, 'name') },
        { field: '/metadata/namespace', prop: '/namespace' },
        {
          field: '/metadata/labels',
          prop: step.labels !== undefined ? propPointer('steps', i, 'labels') : '/labels',
          copied: true,
        },
        { field: '/spec/branch', prop: '/branch' },
        { field: '/spec/prompt', prop: propPointer('steps', i, 'prompt') },
      ];
      tasks.push(
        fromProps(
          sources,
          () =>
            new Task(this, step.name, {
              metadata: {
                name: step.name,
                ...(props.namespace !== undefined && { namespace: props.namespace }),
                ...(labels && { labels: { ...labels } }),
                ...(ttl === undefined && {
                  annotations: { [GIT_LIFECYCLE.annotation]: GIT_LIFECYCLE.value },
                }),
              },
              worker: agent.worker,
              branch: props.branch,
              prompt:
                typeof step.prompt === 'function' ? step.prompt(previous ? { previous } : {}) : step.prompt,
              ...(previous && { dependsOn: [previous] }),
              ...(ttl !== undefined && { ttlSecondsAfterFinished: ttl }),
            }),
        ),
      );
    }
    this.tasks = tasks;
  }
}
