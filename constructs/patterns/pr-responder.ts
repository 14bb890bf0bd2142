/**
 * PrResponder: an agent that answers review feedback on pull requests.
 *
 * @packageDocumentation
 */
import type { ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { fromProps } from '../prop-sources.ts';
import { type GitHubCommentPolicy, type GitHubPullRequestsSource, TaskSpawner } from '../task-spawner.ts';
import { refuseViolations, Violations } from '../validation.ts';
import type { IWorkspace } from '../workspace.ts';
import {
  AGENT_PROPS,
  type AgentProps,
  checkKnownProps,
  githubPropSources,
  isRestrictive,
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

/** The prompt a PrResponder gives its agent unless told otherwise. */
export const DEFAULT_PR_PROMPT = `You are addressing review feedback on pull request #{{.Number}}: {{.Title}}
{{.URL}}

The pull request branch {{.Branch}} is checked out. Latest review state: {{.ReviewState}}.

Review comments on the head commit:
{{.ReviewComments}}

Conversation:
{{.Comments}}

${UNTRUSTED_CONTENT_NOTE}

Address each review comment with a focused change, run the tests, commit and push to
{{.Branch}}. Reply to comments you disagree with instead of changing the code, and say why.
`;

/** Props of a {@link PrResponder}. */
export interface PrResponderProps extends AgentProps, TriggerPolicyProps {
  /** Object metadata of the TaskSpawner. @default - name generated from the construct path */
  readonly metadata?: ApiObjectMetadata;
  /** Workspace (repository) the agent works in; pull requests are polled from its repository unless `repo` is set. */
  readonly workspace: IWorkspace;
  /** GitHub login the agent acts as; by default only its pull requests are answered. */
  readonly botLogin: string;
  /**
   * Only pull requests opened by this login are answered.
   *
   * @default - `botLogin`
   */
  readonly author?: string;
  /**
   * Only pull requests whose latest reviews are in this state.
   *
   * @default 'any'
   */
  readonly reviewState?: GitHubPullRequestsSource['reviewState'];
  /**
   * Labels a pull request must all carry.
   *
   * @default - none
   */
  readonly labels?: readonly string[];
  /**
   * Labels that exclude a pull request.
   *
   * @default - none
   */
  readonly excludeLabels?: readonly string[];
  /**
   * Repository to poll (owner/repo or URL).
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
   * Go template of the prompt, over the pull request variables.
   *
   * @default DEFAULT_PR_PROMPT
   */
  readonly promptTemplate?: string;
  /**
   * Status reporting on the pull request.
   *
   * @default - a sticky status comment
   */
  readonly reporting?: GitHubPullRequestsSource['reporting'];
  /**
   * Labels of the spawned Tasks; values are Go templates.
   *
   * @default - none
   */
  readonly taskLabels?: Readonly<Record<string, string>>;
}

const PR_RESPONDER_PROPS: Readonly<Record<keyof PrResponderProps, PropShape>> = {
  ...AGENT_PROPS,
  ...TRIGGER_POLICY_PROPS,
  metadata: true,
  workspace: true,
  botLogin: true,
  author: true,
  reviewState: true,
  labels: 'list',
  excludeLabels: 'list',
  repo: true,
  pollInterval: true,
  maxConcurrency: true,
  maxTotalTasks: true,
  promptTemplate: true,
  reporting: true,
  taskLabels: 'object',
};

const PR_RESPONDER_REQUIRED: Readonly<Record<RequiredProps<PrResponderProps>, RequiredProp>> = {
  workspace: 'Workspace',
  botLogin: 'string',
  credentials: 'object',
};

/**
 * Polls pull requests and, when a maintainer comments `/kelos address-review`, runs an
 * agent on the pull request's own branch to address the review. Ready (non-draft) pull
 * requests of the bot only, by default.
 *
 * @throws KelosValidationError when `maxConcurrency` is below 1, `botLogin` is empty, or
 * the comment policy lets anyone trigger work.
 */
export class PrResponder extends Construct {
  // The fields are unset only while `kelos synth` collects refusals (see refusePatternProps),
  // which then renders nothing of the app.
  /** The TaskSpawner this pattern renders. */
  readonly spawner!: TaskSpawner;
  /** Unfinished Tasks at once. */
  readonly maxConcurrency!: number;
  /** Whose pull requests are answered. */
  readonly author!: string;
  /** Who may ask the agent to address a review. */
  readonly commentPolicy!: GitHubCommentPolicy;
  /** Seconds a finished Task is kept. */
  readonly ttlSecondsAfterFinished!: number;
  /** Seconds an agent may run. */
  readonly activeDeadlineSeconds!: number;

  constructor(scope: Construct, id: string, props: PrResponderProps) {
    super(scope, id);
    const v = new Violations();
    const resource = { kind: 'TaskSpawner', name: props?.metadata?.name ?? this.node.path };
    if (!checkKnownProps(v, 'PrResponder', props, PR_RESPONDER_PROPS, PR_RESPONDER_REQUIRED)) {
      refuseViolations(resource, v.items);
      return;
    }
    const unknown = v.items.length;
    this.maxConcurrency = props.maxConcurrency ?? PatternDefaults.maxConcurrency;
    this.author = props.author ?? props.botLogin;
    this.commentPolicy = resolveCommentPolicy(props, PatternDefaults.prTriggerComment);
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
      '/spec/when/githubPullRequests/author',
      PatternMessages.botLogin,
      '/botLogin',
    );
    v.check(
      !isRestrictive(this.commentPolicy),
      '/spec/when/githubPullRequests/commentPolicy',
      PatternMessages.openPolicy,
      '/commentPolicy',
    );
    if (refusePatternProps(resource, v, unknown)) return;

    const sources = [
      ...spawnerPropSources(props, '/promptTemplate'),
      ...githubPropSources(props, '/spec/when/githubPullRequests', [
        'repo',
        'labels',
        'excludeLabels',
        'reviewState',
        'reporting',
        'pollInterval',
      ]),
      {
        field: '/spec/when/githubPullRequests/author',
        prop: props.author !== undefined ? '/author' : '/botLogin',
      },
    ];
    this.spawner = fromProps(
      sources,
      () =>
        new TaskSpawner(this, 'Default', {
          ...(props.metadata && { metadata: props.metadata }),
          when: {
            githubPullRequests: {
              ...(props.repo !== undefined && { repo: props.repo }),
              ...(props.labels?.length && { labels: [...props.labels] }),
              ...(props.excludeLabels?.length && { excludeLabels: [...props.excludeLabels] }),
              state: 'open',
              draft: false,
              author: this.author,
              reviewState: props.reviewState ?? 'any',
              commentPolicy: this.commentPolicy,
              reporting: props.reporting ?? { comments: { mode: 'Sticky' } },
              ...(props.pollInterval !== undefined && { pollInterval: props.pollInterval }),
            },
          },
          taskTemplate: {
            worker: agent.worker,
            branch: '{{.Branch}}',
            promptTemplate: props.promptTemplate ?? DEFAULT_PR_PROMPT,
            ttlSecondsAfterFinished: agent.ttlSecondsAfterFinished,
            ...(props.taskLabels && { metadata: { labels: { ...props.taskLabels } } }),
          },
          maxConcurrency: this.maxConcurrency,
          maxTotalTasks: props.maxTotalTasks ?? PatternDefaults.maxTotalTasks,
        }),
    );
  }
}
