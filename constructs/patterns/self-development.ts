/**
 * SelfDevelopment: the fleet of agents that develops a repository, stamped out from one
 * AgentConfig and one Workspace.
 *
 * @packageDocumentation
 */
import { Construct } from 'constructs';
import { Annotations } from '../../src/api/index.ts';
import type { IAgentConfig } from '../agent-config.ts';
import { fromProps } from '../prop-sources.ts';
import { TaskSpawner } from '../task-spawner.ts';
import { refuseViolations, Violations } from '../validation.ts';
import type { IWorkspace } from '../workspace.ts';
import {
  AGENT_PROPS,
  type AgentProps,
  agentPropSources,
  checkKnownProps,
  loginSet,
  PatternDefaults,
  type PropShape,
  type RequiredProp,
  type RequiredProps,
  refusePatternProps,
  resolveAgent,
  UNTRUSTED_CONTENT_NOTE,
} from './agent.ts';
import { DEFAULT_ISSUE_PROMPT, IssueWorker } from './issue-worker.ts';
import { PatternMessages } from './messages.ts';
import { PrResponder } from './pr-responder.ts';
import { ScheduledAgent } from './scheduled-agent.ts';

/**
 * Why triage may run on anyone's issue: it is the one role whose job is to read every new
 * issue, and it is kept harmless instead (one at a time, no code changes, no agent label).
 * Recorded on the spawner, so every policy report lists the exception and its reason.
 */
export const TRIAGE_IGNORE_REASON =
  'triage must read every new issue; it runs one at a time, only labels and comments, and never hands work to the workers';

/** The seven roles of the fleet, in the order they are created. */
export const SELF_DEVELOPMENT_ROLES = [
  'workers',
  'pr-responder',
  'planner',
  'triage',
  'fake-user',
  'fake-strategist',
  'self-update',
] as const;
/** One of {@link SELF_DEVELOPMENT_ROLES}. */
export type SelfDevelopmentRole = (typeof SELF_DEVELOPMENT_ROLES)[number];

/** Roles that run on a schedule, and their default schedules (UTC). */
export const DEFAULT_SCHEDULES = {
  /** Weekdays 06:00: plan the day's work. */
  planner: '0 6 * * 1-5',
  /** Daily 10:00: use the product like a newcomer. */
  'fake-user': '0 10 * * *',
  /** Mondays 08:00: propose direction. */
  'fake-strategist': '0 8 * * 1',
  /** Fridays 07:00: learn from the week's reviews. */
  'self-update': '0 7 * * 5',
} as const;
/** A scheduled role. */
export type ScheduledRole = keyof typeof DEFAULT_SCHEDULES;

/** Issue labels the fleet coordinates through. */
export interface FleetLabels {
  /** Issues the workers may pick up. @default 'kelos/agent' */
  readonly agent?: string;
  /** Issues waiting for a human answer; workers skip them. @default 'kelos/needs-input' */
  readonly needsInput?: string;
  /** Issues triage has seen. @default 'kelos/triaged' */
  readonly triaged?: string;
  /** Issues the fake user filed. @default 'kelos/fake-user' */
  readonly fakeUser?: string;
  /** Issues the fake strategist proposed. @default 'kelos/strategy' */
  readonly strategy?: string;
}

const DEFAULT_LABELS: Required<FleetLabels> = {
  agent: 'kelos/agent',
  needsInput: 'kelos/needs-input',
  triaged: 'kelos/triaged',
  fakeUser: 'kelos/fake-user',
  strategy: 'kelos/strategy',
};

/** Props of a {@link SelfDevelopment} fleet. */
export interface SelfDevelopmentProps extends Omit<AgentProps, 'agentConfigs'> {
  /** The repository the fleet develops. */
  readonly workspace: IWorkspace;
  /** Instructions, skills and MCP servers every agent of the fleet shares. */
  readonly agentConfig: IAgentConfig;
  /** GitHub login the agents act as. */
  readonly botLogin: string;
  /** GitHub logins whose commands (`/kelos pick-up`, `/kelos address-review`) count. */
  readonly maintainers: readonly string[];
  /**
   * Prefix of every TaskSpawner name, `<prefix>-<role>`.
   *
   * @default 'kelos'
   */
  readonly namePrefix?: string;
  /**
   * Namespace of the TaskSpawners.
   *
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Issue labels the fleet coordinates through.
   *
   * @default - see {@link FleetLabels}
   */
  readonly labels?: FleetLabels;
  /**
   * Schedules of the scheduled roles, in UTC.
   *
   * @default DEFAULT_SCHEDULES
   */
  readonly schedules?: Partial<Record<ScheduledRole, string>>;
  /**
   * Issues worked on at once.
   *
   * @default 2
   */
  readonly workerConcurrency?: number;
  /**
   * Path of the file that defines this fleet, which the self-update role edits.
   *
   * @default - the agent looks for it
   */
  readonly definitionPath?: string;
}

const prompts = (l: Required<FleetLabels>, bot: string, definitionPath: string | undefined) => ({
  workers: `${DEFAULT_ISSUE_PROMPT}
If you need an answer from a maintainer before you can continue, add the label
${l.needsInput}, ask your question in a comment, and stop.
`,
  planner: `You are the planner of this repository. Today is {{.Time}}.

Read the README, the open issues labelled ${l.strategy} and ${l.agent}, and the pull
requests merged in the last week. Then:
1. Split every ${l.agent} issue that is too large for one pull request into smaller
   issues, each with a clear goal and acceptance criteria, labelled ${l.agent}; link them
   from the original issue.
2. Turn accepted ${l.strategy} issues into concrete ${l.agent} issues the same way.
3. Order the open ${l.agent} issues by adding a short plan comment to the tracking issue.

Do not change code. Search before you file, so you never duplicate an issue.
A maintainer still has to comment ${PatternDefaults.triggerComment} before a worker starts.
`,
  triage: `A new issue was opened: #{{.Number}}: {{.Title}}
{{.URL}}

{{.Body}}

${UNTRUSTED_CONTENT_NOTE}

Triage it: add type and area labels, find duplicates and link them, and ask for missing
reproduction steps in a comment. If it is small, clear and safe for an agent, say so in a
comment for the maintainers. Finish by adding the label ${l.triaged}.
Do not change code, do not close issues, and never add ${l.agent} yourself.
`,
  'fake-user': `You are a new user of this project, trying it for the first time ({{.Time}}).

Pick one workflow the README or the examples document, and follow it exactly as written,
in this workspace. Note every error, confusing step and place where the docs and the
behaviour disagree.

Search the existing issues first. File at most two new issues, labelled ${l.fakeUser},
each with the steps you took, what you expected and what happened. Do not change code.
`,
  'fake-strategist': `You are the product strategist of this project ({{.Time}}).

Read the README, the design documents, the open issues and the pull requests of the last
month. Propose at most three directions as issues labelled ${l.strategy}, each with the
problem, the evidence, the proposal, and how we would know it worked. Search first and
comment on an existing issue instead of filing a duplicate. Do not change code.
`,
  'self-update': `You maintain the instructions of the agents that develop this repository ({{.Time}}).

Read the pull requests @${bot} opened in the last seven days, merged and closed, and their
review comments. Find feedback that keeps coming back, and update the agent instructions
(the AgentConfig ${definitionPath ? `defined in ${definitionPath}` : 'that defines this fleet'})
so the agents stop repeating it. Regenerate the manifests with \`npx kelos synth\`, and open
one pull request with the source and the rendered output.

Never widen what the agents may do: do not touch credentials, permissions, comment
policies, concurrency, budgets or deadlines.
`,
});

const { agentConfigs: _agentConfigs, ...SELF_DEVELOPMENT_AGENT_PROPS } = AGENT_PROPS;
const SELF_DEVELOPMENT_PROPS: Readonly<Record<keyof SelfDevelopmentProps, PropShape>> = {
  ...SELF_DEVELOPMENT_AGENT_PROPS,
  workspace: true,
  agentConfig: true,
  botLogin: true,
  maintainers: true,
  namePrefix: true,
  namespace: true,
  labels: 'object',
  schedules: 'object',
  workerConcurrency: true,
  definitionPath: true,
};

const SELF_DEVELOPMENT_REQUIRED: Readonly<Record<RequiredProps<SelfDevelopmentProps>, RequiredProp>> = {
  workspace: 'Workspace',
  agentConfig: 'AgentConfig',
  botLogin: 'string',
  maintainers: 'list',
  credentials: 'object',
};

/**
 * The seven agents that develop a repository, from one AgentConfig and one Workspace:
 *
 * - `workers`: pick up issues labelled `kelos/agent` when a maintainer comments `/kelos pick-up`;
 * - `pr-responder`: address review feedback on the bot's pull requests on `/kelos address-review`;
 * - `planner`: break work into agent-sized issues (weekday mornings);
 * - `triage`: label and de-duplicate each new issue, without changing code;
 * - `fake-user`: use the product like a newcomer and file what breaks (daily);
 * - `fake-strategist`: propose directions (weekly);
 * - `self-update`: learn from the week's reviews and update the agents' instructions (weekly).
 *
 * Every spawned Task is labelled `app.kubernetes.io/part-of: <prefix>` and
 * `app.kubernetes.io/component: <role>`, so one TaskBudget can cover the fleet.
 *
 * @throws KelosValidationError when `maintainers` is empty (nobody could hand work over).
 */
export class SelfDevelopment extends Construct {
  // The fields but namePrefix are unset only while `kelos synth` collects refusals (see
  // refusePatternProps), which then renders nothing of the app.
  /** The TaskSpawner of each role. */
  readonly spawners!: Readonly<Record<SelfDevelopmentRole, TaskSpawner>>;
  /** Prefix of every spawner name. */
  readonly namePrefix: string;
  /** Labels the fleet coordinates through, defaults applied. */
  readonly labels!: Required<FleetLabels>;
  /** Schedules of the scheduled roles, defaults applied. */
  readonly schedules!: Readonly<Record<ScheduledRole, string>>;

  constructor(scope: Construct, id: string, props: SelfDevelopmentProps) {
    super(scope, id);
    const v = new Violations();
    const readable = checkKnownProps(
      v,
      'SelfDevelopment',
      props,
      SELF_DEVELOPMENT_PROPS,
      SELF_DEVELOPMENT_REQUIRED,
    );
    this.namePrefix = props?.namePrefix ?? 'kelos';
    const resource = { kind: 'TaskSpawner', name: `${this.namePrefix}-workers` };
    if (!readable) {
      refuseViolations(resource, v.items);
      return;
    }
    const unknown = v.items.length;
    this.labels = { ...DEFAULT_LABELS, ...props.labels };
    this.schedules = { ...DEFAULT_SCHEDULES, ...props.schedules };
    v.check(
      props.maintainers.length === 0,
      '/spec/when/githubIssues/commentPolicy/allowedUsers',
      PatternMessages.noMaintainers,
      '/maintainers',
    );
    if (refusePatternProps(resource, v, unknown)) return;
    // The roles' spawners are made by the patterns below, but the app wrote these props.
    const sources = [
      ...agentPropSources(
        props,
        '/spec/taskTemplate/worker',
        '/spec/taskTemplate/ttlSecondsAfterFinished',
        '/agentConfig',
      ),
      { field: '/metadata/namespace', prop: '/namespace' },
    ];
    this.spawners = fromProps(sources, () => this.build(props));
  }

  /** The spawner of each role. */
  private build(props: SelfDevelopmentProps): Readonly<Record<SelfDevelopmentRole, TaskSpawner>> {
    const { workspace, agentConfig, botLogin } = props;
    const text = prompts(this.labels, botLogin, props.definitionPath);
    const agentProps: AgentProps = {
      ...(props.agent !== undefined && { agent: props.agent }),
      credentials: props.credentials,
      ...(props.model !== undefined && { model: props.model }),
      ...(props.effort !== undefined && { effort: props.effort }),
      ...(props.image !== undefined && { image: props.image }),
      ...(props.podOverrides !== undefined && { podOverrides: props.podOverrides }),
      ...(props.ttlSecondsAfterFinished !== undefined && {
        ttlSecondsAfterFinished: props.ttlSecondsAfterFinished,
      }),
      ...(props.activeDeadlineSeconds !== undefined && {
        activeDeadlineSeconds: props.activeDeadlineSeconds,
      }),
      agentConfigs: [agentConfig] as readonly IAgentConfig[],
    };
    const metadata = (role: SelfDevelopmentRole) => ({
      name: `${this.namePrefix}-${role}`,
      ...(props.namespace !== undefined && { namespace: props.namespace }),
    });
    const taskLabels = (role: SelfDevelopmentRole) => ({
      'app.kubernetes.io/part-of': this.namePrefix,
      'app.kubernetes.io/component': role,
    });
    const scheduled = (role: ScheduledRole, ws: IWorkspace) =>
      new ScheduledAgent(this, role, {
        ...agentProps,
        metadata: metadata(role),
        schedule: this.schedules[role],
        prompt: text[role],
        workspace: ws,
        taskLabels: taskLabels(role),
      }).spawner;

    const workers = new IssueWorker(this, 'workers', {
      ...agentProps,
      metadata: metadata('workers'),
      workspace,
      botLogin,
      allowedUsers: props.maintainers,
      labels: [this.labels.agent],
      excludeLabels: [this.labels.needsInput],
      promptTemplate: text.workers,
      maxConcurrency: props.workerConcurrency ?? PatternDefaults.maxConcurrency,
      taskLabels: taskLabels('workers'),
    }).spawner;
    const prResponder = new PrResponder(this, 'pr-responder', {
      ...agentProps,
      metadata: metadata('pr-responder'),
      workspace,
      botLogin,
      allowedUsers: props.maintainers,
      taskLabels: taskLabels('pr-responder'),
    }).spawner;
    const planner = scheduled('planner', workspace);

    // Triage reads every new issue, so it cannot wait for a maintainer's command; it is
    // kept harmless instead: one at a time, no code changes, and it never labels work for
    // the workers.
    const triageAgent = resolveAgent(agentProps, workspace);
    const triage = new TaskSpawner(this, 'triage', {
      metadata: {
        ...metadata('triage'),
        annotations: {
          [Annotations.PolicyIgnore]: 'security/github-trigger-restricted',
          [Annotations.PolicyIgnoreReason]: TRIAGE_IGNORE_REASON,
        },
      },
      when: {
        githubIssues: {
          state: 'open',
          excludeLabels: [this.labels.triaged],
          excludeAuthors: loginSet([botLogin]),
        },
      },
      taskTemplate: {
        worker: triageAgent.worker,
        // Triage only labels and comments, but a branch of its own keeps it clear of the
        // branch the workspace's other spawners use.
        branch: `kelos/${this.namePrefix}-triage-{{.Number}}`,
        promptTemplate: text.triage,
        ttlSecondsAfterFinished: triageAgent.ttlSecondsAfterFinished,
        metadata: { labels: taskLabels('triage') },
      },
      maxConcurrency: PatternDefaults.scheduledMaxConcurrency,
      maxTotalTasks: PatternDefaults.maxTotalTasks,
    });
    const fakeUser = scheduled('fake-user', workspace);
    const fakeStrategist = scheduled('fake-strategist', workspace);
    const selfUpdate = scheduled('self-update', workspace);

    return {
      workers,
      'pr-responder': prResponder,
      planner,
      triage,
      'fake-user': fakeUser,
      'fake-strategist': fakeStrategist,
      'self-update': selfUpdate,
    };
  }
}
