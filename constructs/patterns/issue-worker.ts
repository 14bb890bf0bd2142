/**
 * IssueWorker: GitHub issues to Tasks, with safe defaults.
 *
 * @packageDocumentation
 */
import type { ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { fromProps } from '../prop-sources.ts';
import { type GitHubCommentPolicy, type GitHubIssuesSource, TaskSpawner } from '../task-spawner.ts';
import { refuseViolations, Violations } from '../validation.ts';
import type { IWorkspace } from '../workspace.ts';
import {
  AGENT_PROPS,
  type AgentProps,
  checkKnownProps,
  githubPropSources,
  isRestrictive,
  loginSet,
  PatternDefaults,
  type PropShape,
  type RequiredProp,
  type RequiredProps,
  refusePatternProps,
  resolveAgent,
  resolveCommentPolicy,
  spawnerPropSources,
  TRIGGER_POLICY_PROPS,
  type TriggerPolicyProps,
  UNTRUSTED_CONTENT_NOTE,
} from './agent.ts';
import { PatternMessages } from './messages.ts';

/** The prompt an IssueWorker gives its agent unless told otherwise. */
export const DEFAULT_ISSUE_PROMPT = `You are resolving GitHub issue #{{.Number}}: {{.Title}}
{{.URL}}

{{.Body}}
{{- if .Comments}}

Discussion so far:
{{.Comments}}
{{- end}}

${UNTRUSTED_CONTENT_NOTE}

Implement the change on the current branch, keep it focused on this issue, run the tests,
commit, push, and open a pull request whose description says "Closes #{{.Number}}".
If the issue is unclear or too large for one pull request, comment on it with what you
need instead of guessing.
`;

/** Branch each issue is worked on, unless told otherwise. */
export const DEFAULT_ISSUE_BRANCH = 'kelos/issue-{{.Number}}';

/** Props of an {@link IssueWorker}. */
export interface IssueWorkerProps extends AgentProps, TriggerPolicyProps {
  /** Object metadata of the TaskSpawner. @default - name generated from the construct path */
  readonly metadata?: ApiObjectMetadata;
  /** Workspace (repository) the agent works in; issues are polled from its repository unless `repo` is set. */
  readonly workspace: IWorkspace;
  /**
   * GitHub login the agent acts as. Its own issues are excluded, so the agent never picks
   * up work it filed itself.
   */
  readonly botLogin: string;
  /**
   * Other logins whose issues are ignored (added to `botLogin`).
   *
   * @default - none
   */
  readonly excludeAuthors?: readonly string[];
  /**
   * Labels an issue must all carry.
   *
   * @default - none: the comment policy alone decides
   */
  readonly labels?: readonly string[];
  /**
   * Labels that exclude an issue.
   *
   * @default - none
   */
  readonly excludeLabels?: readonly string[];
  /**
   * Labels that order the queue, most urgent first.
   *
   * @default - none
   */
  readonly priorityLabels?: readonly string[];
  /**
   * Repository to poll (owner/repo or URL), for a fork workflow.
   *
   * @default - the workspace repository
   */
  readonly repo?: string;
  /**
   * How often GitHub is polled.
   *
   * @default '5m'
   */
  readonly pollInterval?: string;
  /**
   * Unfinished Tasks at once; must be at least 1.
   *
   * @default 2
   */
  readonly maxConcurrency?: number;
  /**
   * Tasks over the spawner's lifetime.
   *
   * @default PatternDefaults.maxTotalTasks
   */
  readonly maxTotalTasks?: number;
  /**
   * Go template of the prompt, over the issue variables.
   *
   * @default DEFAULT_ISSUE_PROMPT
   */
  readonly promptTemplate?: string;
  /**
   * Go template of the branch each issue is worked on.
   *
   * @default 'kelos/issue-{{.Number}}'
   */
  readonly branch?: string;
  /**
   * Status reporting on the issue.
   *
   * @default - a sticky status comment
   */
  readonly reporting?: GitHubIssuesSource['reporting'];
  /**
   * Labels of the spawned Tasks (for budgets and selection); values are Go templates.
   *
   * @default - none
   */
  readonly taskLabels?: Readonly<Record<string, string>>;
}

const ISSUE_WORKER_PROPS: Readonly<Record<keyof IssueWorkerProps, PropShape>> = {
  ...AGENT_PROPS,
  ...TRIGGER_POLICY_PROPS,
  metadata: true,
  workspace: true,
  botLogin: true,
  excludeAuthors: 'list',
  labels: 'list',
  excludeLabels: 'list',
  priorityLabels: 'list',
  repo: true,
  pollInterval: true,
  maxConcurrency: true,
  maxTotalTasks: true,
  promptTemplate: true,
  branch: true,
  reporting: true,
  taskLabels: 'object',
};

const ISSUE_WORKER_REQUIRED: Readonly<Record<RequiredProps<IssueWorkerProps>, RequiredProp>> = {
  workspace: 'Workspace',
  botLogin: 'string',
  credentials: 'object',
};

/**
 * Polls GitHub issues and turns each one a maintainer hands over into a Task. Safe by
 * default: at most two at a time, never the bot's own issues, only on a command from a
 * maintainer, and every Task has a deadline and is cleaned up after an hour.
 *
 * @throws KelosValidationError when `maxConcurrency` is below 1, `botLogin` is empty, or
 * the comment policy lets anyone trigger work.
 */
export class IssueWorker extends Construct {
  // The fields are unset only while `kelos synth` collects refusals (see refusePatternProps),
  // which then renders nothing of the app.
  /** The TaskSpawner this pattern renders. */
  readonly spawner!: TaskSpawner;
  /** Unfinished Tasks at once. */
  readonly maxConcurrency!: number;
  /** Logins whose issues are ignored, the bot's included. */
  readonly excludeAuthors!: readonly string[];
  /** Who may hand an issue to the agent. */
  readonly commentPolicy!: GitHubCommentPolicy;
  /** Seconds a finished Task is kept. */
  readonly ttlSecondsAfterFinished!: number;
  /** Seconds an agent may run. */
  readonly activeDeadlineSeconds!: number;

  constructor(scope: Construct, id: string, props: IssueWorkerProps) {
    super(scope, id);
    const v = new Violations();
    const resource = { kind: 'TaskSpawner', name: props?.metadata?.name ?? this.node.path };
    if (!checkKnownProps(v, 'IssueWorker', props, ISSUE_WORKER_PROPS, ISSUE_WORKER_REQUIRED)) {
      refuseViolations(resource, v.items);
      return;
    }
    const unknown = v.items.length;
    this.maxConcurrency = props.maxConcurrency ?? PatternDefaults.maxConcurrency;
    this.excludeAuthors = loginSet([props.botLogin], props.excludeAuthors);
    this.commentPolicy = resolveCommentPolicy(props);
    const agent = resolveAgent(props, props.workspace);
    this.ttlSecondsAfterFinished = agent.ttlSecondsAfterFinished;
    this.activeDeadlineSeconds = agent.activeDeadlineSeconds;

    v.check(
      this.maxConcurrency < 1,
      '/spec/maxConcurrency',
      PatternMessages.maxConcurrency(this.maxConcurrency),
      '/maxConcurrency',
    );
    v.check(
      props.botLogin.trim() === '',
      '/spec/when/githubIssues/excludeAuthors',
      PatternMessages.botLogin,
      '/botLogin',
    );
    v.check(
      !isRestrictive(this.commentPolicy),
      '/spec/when/githubIssues/commentPolicy',
      PatternMessages.openPolicy,
      '/commentPolicy',
    );
    if (refusePatternProps(resource, v, unknown)) return;

    const sources = [
      ...spawnerPropSources(props, '/promptTemplate'),
      { field: '/spec/taskTemplate/branch', prop: '/branch' },
      ...githubPropSources(props, '/spec/when/githubIssues', [
        'repo',
        'labels',
        'excludeLabels',
        'priorityLabels',
        'reporting',
        'pollInterval',
      ]),
    ];
    this.spawner = fromProps(
      sources,
      () =>
        new TaskSpawner(this, 'Default', {
          ...(props.metadata && { metadata: props.metadata }),
          when: {
            githubIssues: {
              ...(props.repo !== undefined && { repo: props.repo }),
              ...(props.labels?.length && { labels: [...props.labels] }),
              ...(props.excludeLabels?.length && { excludeLabels: [...props.excludeLabels] }),
              ...(props.priorityLabels?.length && { priorityLabels: [...props.priorityLabels] }),
              state: 'open',
              excludeAuthors: [...this.excludeAuthors],
              commentPolicy: this.commentPolicy,
              reporting: props.reporting ?? { comments: { mode: 'Sticky' } },
              ...(props.pollInterval !== undefined && { pollInterval: props.pollInterval }),
            },
          },
          taskTemplate: {
            worker: agent.worker,
            branch: props.branch ?? DEFAULT_ISSUE_BRANCH,
            promptTemplate: props.promptTemplate ?? DEFAULT_ISSUE_PROMPT,
            ttlSecondsAfterFinished: agent.ttlSecondsAfterFinished,
            ...(props.taskLabels && { metadata: { labels: { ...props.taskLabels } } }),
          },
          maxConcurrency: this.maxConcurrency,
          maxTotalTasks: props.maxTotalTasks ?? PatternDefaults.maxTotalTasks,
        }),
    );
  }
}
