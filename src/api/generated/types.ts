/**
 * GENERATED FILE, DO NOT EDIT: written by `node scripts/generate-api-types.ts` from the TypeBox
 * schemas in src/api. Change a schema, then run that command; the unit tests and
 * `tsc --noEmit` fail while this file is stale.
 *
 * One type per exported object schema (`TaskSpawnerSpecSchema` → {@link TaskSpawnerSpec}),
 * each field documented with its schema description, the text `kubectl explain` shows.
 *
 * @packageDocumentation
 */
import type { K8sType } from '../k8s/index.ts';
import type { ModelRates } from '../model-rates.ts';

/**
 * admission decides which opt-outs the generated ValidatingAdmissionPolicies honour in the cluster. Default:
 * none; an object’s own annotation is not enough.
 */
export type AdmissionExemptions = {
  /** exemptNamespaces whose objects may opt out of policy rules with policy.kelos.dev/ignore. */
  exemptNamespaces?: string[];
  /**
   * exemptNamespaceSelector selects namespaces (by their labels, which only cluster admins set) whose objects
   * may opt out of policy rules with policy.kelos.dev/ignore.
   */
  exemptNamespaceSelector?: K8sType<'LabelSelector'>;
};

/** AgentConfigReference names an AgentConfig in the same namespace. */
export type AgentConfigReference = {
  /** name of the AgentConfig. */
  name: string;
};

/** AgentConfigSpec is reusable configuration for agents. */
export type AgentConfigSpec = {
  /**
   * agentsMD holds user-level instructions written where each agent reads them (~/.claude/CLAUDE.md,
   * ~/.codex/AGENTS.md, …). Repository files are left alone.
   */
  agentsMD?: string;
  /** plugins are written into the Pod and loaded by the agent. */
  plugins?: PluginSpec[];
  /** skills are packages installed with the skills CLI before the agent starts. */
  skills?: SkillsShSpec[];
  /** mcpServers are the MCP servers the agent may use. */
  mcpServers?: McpServerSpec[];
  /**
   * networkAllowances names in-cluster destinations (MCP servers, context sources) the agent may reach: each
   * must be one of the cluster admin’s KelosConfig networkIsolation.inClusterAllowances granted to this
   * namespace, or the Task fails. A Kelos extension; upstream has no such field.
   */
  networkAllowances?: string[];
};

/** One extra destination for every agent Pod. */
export type AllowedDestination = {
  /** cidr the agents may reach (an address range; NetworkPolicy cannot name hosts). */
  cidr: string;
  /** ports on it the agents may reach; at least one. */
  ports: NetworkPort[];
};

/** BudgetPeriod is the window usage is summed over; it rolls over at its boundary. */
export type BudgetPeriod = {
  /**
   * type of the period: Daily (midnight to midnight), Weekly (from Monday 00:00) or Monthly (from the 1st,
   * 00:00), in timezone.
   */
  type: 'Daily' | 'Weekly' | 'Monthly';
  /** timezone is the IANA time zone periods start in, for example Europe/Berlin. */
  timezone?: string;
};

/** Condition is one aspect of an object’s current state (metav1.Condition). */
export type Condition = {
  /** type of the condition in CamelCase, for example BudgetBlocked. */
  type: string;
  /** status of the condition. */
  status: 'True' | 'False' | 'Unknown';
  /** observedGeneration is the .metadata.generation the condition was set from. */
  observedGeneration?: number;
  /** lastTransitionTime is when the condition last changed status. */
  lastTransitionTime: string;
  /** reason is a CamelCase, machine-readable reason for the last transition. */
  reason: string;
  /** message is a human-readable explanation of the last transition. */
  message: string;
};

/** ContextSource fetches extra context for each item before its Task is created. */
export type ContextSource = {
  /** name of the context value, read in templates as .Context.<name>. */
  name: string;
  /** http fetches the context over HTTP. */
  http?: {
    /** url to fetch; a Go template over the item variables. HTTPS unless allowInsecure. */
    url: string;
    /** method of the request. */
    method?: 'GET' | 'POST';
    /** headers of the request; values are Go templates. */
    headers?: Record<string, string>;
    /** headersFrom set headers from Secrets; they win over headers. */
    headersFrom?: {
      /** header name. */
      header: string;
      /** secretName is the Secret holding the value. */
      secretName: string;
      /** secretKey is the key in the Secret. */
      secretKey: string;
    }[];
    /**
     * githubAppAuth authenticates with a GitHub App installation token unless an Authorization header is set.
     */
    githubAppAuth?: {
      /** secretRef names a Secret with appID, installationID and privateKey. */
      secretRef: SecretReference;
      /** apiBaseURL of the GitHub API, for GitHub Enterprise. */
      apiBaseURL?: string;
    };
    /** body of a POST request; a Go template. */
    body?: string;
    /** responseFilter keeps only part of a JSON response. */
    responseFilter?: {
      /** type of the filter expression. */
      type: 'JSONPath';
      /** expression selecting the part of the response to keep. */
      expression: string;
    };
    /** allowInsecure permits plain HTTP. */
    allowInsecure?: boolean;
    /** timeoutSeconds bounds the request. */
    timeoutSeconds?: number;
    /** maxResponseBytes bounds the response size. */
    maxResponseBytes?: number;
  };
  /** failurePolicy: Fail skips the item when the fetch fails; Ignore uses an empty string. */
  failurePolicy?: 'Fail' | 'Ignore';
};

/** Credentials says how the agent authenticates to its model provider. */
export type Credentials = {
  /**
   * type is how the agent authenticates: api-key (an API key env var), oauth (an OAuth token env var) or none
   * (no built-in injection; supply env through podOverrides).
   */
  type: 'api-key' | 'oauth' | 'none';
  /**
   * secretRef names the Secret that holds the credential. Required for api-key and oauth. The keys read
   * depend on the agent type (for example ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN for claude-code).
   */
  secretRef?: SecretReference;
};

/** Cron creates a Task on a schedule. */
export type Cron = {
  /**
   * schedule in five-field cron syntax (minute hour day-of-month month day-of-week) or a descriptor (@hourly, @daily, @weekly, @monthly, @yearly, @every
   * 90m), evaluated in UTC, for example "0 9 * * 1-5".
   */
  schedule: string;
};

/** GenericWebhook creates Tasks from JSON posted by any system. */
export type GenericWebhook = {
  /** source names the sender; deliveries are posted to /webhook/<source>. */
  source: string;
  /**
   * fieldMapping maps template variables to JSONPath expressions into the payload. The id key is required: it
   * names and deduplicates Tasks.
   */
  fieldMapping: Record<string, string>;
  /** filters must all match for a delivery to create a Task. */
  filters?: GenericWebhookFilter[];
  /** excludeFilters drop a delivery when any matches. */
  excludeFilters?: GenericWebhookFilter[];
  /**
   * secretRef names a Secret whose WEBHOOK_SECRET key signs deliveries (WEBHOOK_SECRET_PREVIOUS is accepted
   * too during a rotation): by default the sender sends X-Kelos-Signature-256: sha256=<hex HMAC-SHA256 of
   * "<timestamp>.<body>"> and X-Kelos-Timestamp (Unix seconds, within 5 minutes); with signatureHeader, the
   * hex HMAC-SHA256 of the raw body in that header. Unsigned or stale deliveries are refused with 401; one
   * sent again within the window (the same body, timestamp and signature: a retry after a lost answer, or a
   * captured request replayed) is answered 200 as a duplicate and creates no second Task; without secretRef
   * the delivery is refused unless the KelosConfig allows unsigned deliveries in the namespace. Kelos
   * extension; upstream generic webhooks are unauthenticated.
   */
  secretRef?: SecretReference;
  /**
   * signatureHeader switches the signature scheme to "hex HMAC-SHA256 of the raw body in this header" (an
   * optional sha256= prefix is ignored), as Sentry (Sentry-Hook-Signature) and similar senders sign. It
   * carries no timestamp, so only the delivery id dedupes replays. Kelos extension.
   */
  signatureHeader?: string;
};

/** GenericWebhookFilter matches one payload field. Exactly one of value and pattern is set. */
export type GenericWebhookFilter = {
  /** field is a JSONPath into the payload, for example $.data.level. */
  field: string;
  /** value the field must equal, compared as a string. */
  value?: string;
  /** pattern is an RE2 expression the field must match. */
  pattern?: string;
};

/** githubApp governs the GitHub App installation tokens the operator mints for agents. */
export type GitHubAppSettings = {
  /**
   * tokenScope of the installation token minted for a Task whose Workspace Secret holds GitHub App keys:
   * Repository (the default) narrows it to the Workspace’s repository and those of its remotes and, for a
   * spawned Task, of its TaskSpawner’s source (githubIssues.repo, githubPullRequests.repo,
   * githubWebhook.repository) that the same owner has, so an agent can push to, comment on and read no other
   * repository of the installation; Installation gives it every repository the installation covers, as
   * upstream Kelos does.
   */
  tokenScope?: 'Repository' | 'Installation';
};

/**
 * GitHubCommentPolicy decides which comments trigger or withdraw an item, and whose comments count. With no
 * allowedUsers, allowedTeams or minimumPermission, anyone’s comments count.
 */
export type GitHubCommentPolicy = {
  /**
   * triggerComment is a command (for example /kelos pick-up) that must appear as a whole line of the body or
   * of a comment before an item is picked up.
   */
  triggerComment?: string;
  /** excludeComments are commands that withdraw an item; the most recent authorized command wins. */
  excludeComments?: string[];
  /** allowedUsers are GitHub logins whose commands count. */
  allowedUsers?: string[];
  /** allowedTeams are teams (org/team-slug) whose active members’ commands count. */
  allowedTeams?: string[];
  /** minimumPermission is the least repository permission whose holders’ commands count. */
  minimumPermission?: 'read' | 'triage' | 'write' | 'maintain' | 'admin';
};

/** GitHubIssues polls a repository’s issues (and optionally pull requests). */
export type GitHubIssues = {
  /**
   * repo overrides the repository to poll (owner/repo or a clone URL). Defaults to the Workspace repository.
   */
  repo?: string;
  /** types of items to pick up: issues, pulls, or both. */
  types?: ('issues' | 'pulls')[];
  /** labels an item must all carry (filtered by GitHub). */
  labels?: string[];
  /** excludeLabels drop an item carrying any of them. */
  excludeLabels?: string[];
  /** state of the items to pick up. */
  state?: 'open' | 'closed' | 'all';
  /**
   * GitHubCommentPolicy decides which comments trigger or withdraw an item, and whose comments count. With no
   * allowedUsers, allowedTeams or minimumPermission, anyone’s comments count.
   */
  commentPolicy?: GitHubCommentPolicy;
  /** assignee filters by assignee login; * means any, none means unassigned. */
  assignee?: string;
  /** author filters by the login that opened the item. */
  author?: string;
  /**
   * excludeAuthors drop items opened by these logins. Include the bot’s own login to avoid self-triggering
   * loops.
   */
  excludeAuthors?: string[];
  /**
   * priorityLabels order new items: items with an earlier label in this list are picked up first, before
   * maxConcurrency and maxTotalTasks apply.
   */
  priorityLabels?: string[];
  /** GitHubReporting reports Task status back to GitHub. */
  reporting?: {
    /**
     * Deprecated: use comments. enabled turns on per-Task status comments.
     * @deprecated use comments.
     */
    enabled?: boolean;
    /** comments posts the Task status as comments on the issue or pull request. */
    comments?: {
      /** mode is PerTask (one comment per Task) or Sticky (one comment edited in place). */
      mode?: 'PerTask' | 'Sticky';
    };
    /** checks is not supported for this source. */
    checks?: {
      /** name of the check run. Defaults to "Kelos: <taskspawner-name>". */
      name?: string;
    };
  };
  /** pollInterval is how often the source is polled, as a Go duration (30s, 5m, 1h) or bare seconds. */
  pollInterval?: string;
};

/** GitHubPullRequests polls a repository’s pull requests. */
export type GitHubPullRequests = {
  /**
   * repo overrides the repository to poll (owner/repo or a clone URL). Defaults to the Workspace repository.
   */
  repo?: string;
  /** labels a pull request must all carry. */
  labels?: string[];
  /** excludeLabels drop a pull request carrying any of them. */
  excludeLabels?: string[];
  /** state of the pull requests to pick up. */
  state?: 'open' | 'closed' | 'all';
  /** reviewState keeps pull requests whose latest reviews on the head commit are in this state. */
  reviewState?: 'approved' | 'changes_requested' | 'any';
  /**
   * GitHubCommentPolicy decides which comments trigger or withdraw an item, and whose comments count. With no
   * allowedUsers, allowedTeams or minimumPermission, anyone’s comments count.
   */
  commentPolicy?: GitHubCommentPolicy;
  /** author filters by the login that opened the pull request. */
  author?: string;
  /** excludeAuthors drop pull requests opened by these logins. */
  excludeAuthors?: string[];
  /** draft, when set, keeps only draft (true) or only ready (false) pull requests. */
  draft?: boolean;
  /**
   * priorityLabels order new items: items with an earlier label in this list are picked up first, before
   * maxConcurrency and maxTotalTasks apply.
   */
  priorityLabels?: string[];
  /** GitHubReporting reports Task status back to GitHub. */
  reporting?: {
    /**
     * Deprecated: use comments. enabled turns on per-Task status comments.
     * @deprecated use comments.
     */
    enabled?: boolean;
    /** comments posts the Task status as comments on the issue or pull request. */
    comments?: {
      /** mode is PerTask (one comment per Task) or Sticky (one comment edited in place). */
      mode?: 'PerTask' | 'Sticky';
    };
    /** checks reports the Task status as a check run on the pull request head commit. Needs checks:write. */
    checks?: {
      /** name of the check run. Defaults to "Kelos: <taskspawner-name>". */
      name?: string;
    };
  };
  /** FilePatterns select items by the files they change. */
  filePatterns?: {
    /** include keeps items that change at least one matching file (doublestar globs). */
    include?: string[];
    /**
     * exclude drops files before include is applied; an item whose changed files are all excluded is skipped.
     */
    exclude?: string[];
  };
  /** pollInterval is how often the source is polled, as a Go duration (30s, 5m, 1h) or bare seconds. */
  pollInterval?: string;
};

/** GitHubWebhook creates Tasks from GitHub webhook deliveries, verified with the X-Hub-Signature-256 HMAC. */
export type GitHubWebhook = {
  /** events are the GitHub event types this spawner receives. */
  events: string[];
  /** repository restricts deliveries to one repository (owner/repo). */
  repository?: string;
  /** excludeAuthors drop events sent by these logins, before any filter runs. */
  excludeAuthors?: string[];
  /** filters narrow the events; with none, every listed event creates a Task. */
  filters?: GitHubWebhookFilter[];
  /** GitHubReporting reports Task status back to GitHub. */
  reporting?: {
    /**
     * Deprecated: use comments. enabled turns on per-Task status comments.
     * @deprecated use comments.
     */
    enabled?: boolean;
    /** comments posts the Task status as comments on the issue or pull request. */
    comments?: {
      /** mode is PerTask (one comment per Task) or Sticky (one comment edited in place). */
      mode?: 'PerTask' | 'Sticky';
    };
    /** checks reports the Task status as a check run on the pull request head commit. Needs checks:write. */
    checks?: {
      /** name of the check run. Defaults to "Kelos: <taskspawner-name>". */
      name?: string;
    };
  };
  /**
   * secretRef names a Secret in the spawner's namespace whose WEBHOOK_SECRET key verifies the
   * X-Hub-Signature-256 HMAC; during a rotation the WEBHOOK_SECRET_PREVIOUS key is accepted too. Deliveries
   * go only to spawners whose secret verifies them. Unset: the operator's cluster-wide secret
   * (--webhook-github-secret-file). Kelos extension.
   */
  secretRef?: SecretReference;
};

/**
 * GitHubWebhookFilter matches one kind of event. Fields within a filter must all match; filters for the same
 * event are alternatives.
 */
export type GitHubWebhookFilter = {
  /** event type this filter applies to, for example pull_request. */
  event: string;
  /** action of the event, for example opened. */
  action?: string;
  /**
   * Deprecated: use bodyPattern. bodyContains is a substring the body must contain.
   * @deprecated use bodyPattern.
   */
  bodyContains?: string;
  /** bodyPattern is an RE2 expression the body must match. */
  bodyPattern?: string;
  /** excludeBodyPatterns drop the event when the body matches any of them. */
  excludeBodyPatterns?: string[];
  /** labels the issue or pull request must all carry. */
  labels?: string[];
  /** excludeLabels drop the event when any is present. */
  excludeLabels?: string[];
  /** state of the issue or pull request, for example open. */
  state?: string;
  /** branch is a glob matched against the pushed, created or head branch. */
  branch?: string;
  /** tag is a glob matched against created or released tags. */
  tag?: string;
  /** draft keeps only draft (true) or only ready (false) pull requests. */
  draft?: boolean;
  /** commentOn restricts issue_comment events to comments on issues or on pull requests. */
  commentOn?: 'Issue' | 'PullRequest' | '';
  /** author is the login of the sender. */
  author?: string;
  /** excludeAuthors drop events sent by these logins. */
  excludeAuthors?: string[];
  /** FilePatterns select items by the files they change. */
  filePatterns?: {
    /** include keeps items that change at least one matching file (doublestar globs). */
    include?: string[];
    /**
     * exclude drops files before include is applied; an item whose changed files are all excluded is skipped.
     */
    exclude?: string[];
  };
  /** conclusion of a check_run event. */
  conclusion?:
    | 'success'
    | 'failure'
    | 'cancelled'
    | 'timed_out'
    | 'action_required'
    | 'neutral'
    | 'skipped'
    | 'stale';
  /** checkName is a glob matched against the check run name (check_run only). */
  checkName?: string;
};

/** GitRemote is an extra git remote added after cloning. */
export type GitRemote = {
  /** name of the git remote, for example upstream. */
  name: string;
  /** url of the remote repository. */
  url: string;
};

/** One in-cluster destination agents may reach by name. */
export type InClusterAllowance = {
  /** name AgentConfigs use in spec.networkAllowances (a DNS-1123 label). */
  name: string;
  /** namespace of the destination Pods; exactly one of namespace and namespaceSelector. */
  namespace?: string;
  /** namespaceSelector picks the namespaces of the destination Pods by their labels. */
  namespaceSelector?: K8sType<'LabelSelector'>;
  /**
   * podSelector picks the destination Pods; it must not be empty (least privilege: one workload, not a
   * namespace).
   */
  podSelector: K8sType<'LabelSelector'>;
  /** ports of the destination the agents may reach; at least one. */
  ports: NetworkPort[];
  /**
   * tenantNamespaces whose AgentConfigs may name this allowance. Default: every namespace the operator runs
   * Tasks in.
   */
  tenantNamespaces?: string[];
};

/** Jira polls a Jira project. */
export type Jira = {
  /** baseUrl of the Jira instance, for example https://example.atlassian.net. */
  baseUrl: string;
  /** project key, for example ENG. */
  project: string;
  /** jql narrows the search; it is combined as project = <project> AND (<jql>). */
  jql?: string;
  /**
   * secretRef names a Secret with JIRA_TOKEN and optionally JIRA_USER (Basic auth when present, else a bearer
   * token).
   */
  secretRef: SecretReference;
  /** pollInterval is how often the source is polled, as a Go duration (30s, 5m, 1h) or bare seconds. */
  pollInterval?: string;
};

/** KelosConfigSpec holds the settings only the cluster admin controls. */
export type KelosConfigSpec = {
  /**
   * podSecurity is the floor the operator enforces on every Task whatever its podOverrides say: a Task asking
   * for more fails with a reason naming the field.
   */
  podSecurity?: PodSecurityFloor;
  /** outbound limits the HTTP calls the operator makes on a tenant’s behalf. */
  outbound?: Outbound;
  /**
   * networkIsolation: the NetworkPolicy the operator keeps in every namespace where it runs Tasks (no
   * ingress; egress to DNS and to addresses outside the cluster’s ranges). Needs a CNI that enforces
   * NetworkPolicy.
   */
  networkIsolation?: NetworkIsolation;
  /**
   * rates is the worst-case cost of one running agent in USD per hour, by agent type and model; a dated
   * snapshot (claude-opus-4-1-20250805) takes its model's rate unless listed itself; the key "default" prices
   * models not listed and Tasks that leave the model unset.
   */
  rates?: ModelRates;
  /**
   * admission decides which opt-outs the generated ValidatingAdmissionPolicies honour in the cluster.
   * Default: none; an object’s own annotation is not enough.
   */
  admission?: AdmissionExemptions;
  /** webhooks governs the webhook receiver. */
  webhooks?: WebhookSettings;
  /** githubApp governs the GitHub App installation tokens the operator mints for agents. */
  githubApp?: GitHubAppSettings;
};

/** LinearWebhook creates Tasks from Linear webhook deliveries, verified with the Linear-Signature HMAC. */
export type LinearWebhook = {
  /** types of Linear entities to receive, for example Issue or Comment (case-insensitive). */
  types: string[];
  /** filters narrow the events. */
  filters?: LinearWebhookFilter[];
  /**
   * secretRef names a Secret in the spawner's namespace whose WEBHOOK_SECRET key verifies the
   * Linear-Signature HMAC; during a rotation the WEBHOOK_SECRET_PREVIOUS key is accepted too. Deliveries go
   * only to spawners whose secret verifies them. Unset: the operator's cluster-wide secret
   * (--webhook-linear-secret-file). Kelos extension.
   */
  secretRef?: SecretReference;
};

/** LinearWebhookFilter matches Linear events. */
export type LinearWebhookFilter = {
  /** type of the Linear entity this filter applies to, for example Issue. */
  type?: string;
  /** action of the event. */
  action?: 'create' | 'update' | 'remove' | '';
  /** states the issue must be in (case-insensitive). */
  states?: string[];
  /** labels the issue must all carry (case-insensitive). */
  labels?: string[];
  /** excludeLabels drop the event when any is present. */
  excludeLabels?: string[];
};

/** McpServerSpec is a Model Context Protocol server made available to the agent. */
export type McpServerSpec = {
  /**
   * name of the server in the agent configuration. A later AgentConfig replaces an earlier server of the same
   * name.
   */
  name: string;
  /** type is the transport: stdio runs a command; http and sse connect to a URL. */
  type: 'stdio' | 'http' | 'sse';
  /** command runs the server (stdio only). */
  command?: string;
  /** args are passed to command (stdio only). */
  args?: string[];
  /** url of the server (http and sse only). */
  url?: string;
  /** headers are sent to the server (http and sse only). Use headersFrom for secrets. */
  headers?: Record<string, string>;
  /**
   * headersFrom turns every key of a Secret into a header; it wins over headers. Values are mounted, never
   * inlined.
   */
  headersFrom?: {
    /** secretRef names the Secret whose keys become the values. */
    secretRef: SecretReference;
  };
  /**
   * env is set for the server process. Only value and valueFrom.secretKeyRef or configMapKeyRef are honoured;
   * secret values are referenced, never copied.
   */
  env?: K8sType<'EnvVar'>[];
  /** envFrom turns every key of a Secret into an env var; it wins over env. */
  envFrom?: {
    /** secretRef names the Secret whose keys become the values. */
    secretRef: SecretReference;
  };
};

/**
 * networkIsolation: the NetworkPolicy the operator keeps in every namespace where it runs Tasks (no ingress;
 * egress to DNS and to addresses outside the cluster’s ranges). Needs a CNI that enforces NetworkPolicy.
 */
export type NetworkIsolation = {
  /**
   * enabled isolates agent Pods with a NetworkPolicy per namespace. Default true; false is the only opt-out,
   * and every Task admitted without isolation says so in its status and an Event.
   */
  enabled?: boolean;
  /**
   * exemptNamespaces where agent Pods run without the operator’s NetworkPolicy (shown like enabled: false on
   * each Task). Default none.
   */
  exemptNamespaces?: string[];
  /** podCIDRs of the cluster: agents may not reach them. */
  podCIDRs?: string[];
  /** serviceCIDRs of the cluster: agents may not reach them. */
  serviceCIDRs?: string[];
  /** nodeCIDRs: the nodes’ and VPC ranges agents may not reach. */
  nodeCIDRs?: string[];
  /**
   * blockedCIDRs: further ranges agents may not reach (on-premises networks). Link-local and metadata
   * addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) and the API server’s endpoints are always blocked.
   */
  blockedCIDRs?: string[];
  /**
   * egressPorts agents may reach outside the blocked ranges. Default 443/TCP; ports of the namespace’s
   * Workspace repositories (22 for SSH, 9418 for git://, explicit ports) are added.
   */
  egressPorts?: NetworkPort[];
  /**
   * dns says where the cluster DNS runs; agents may reach it on its ports (UDP and TCP). A node-local cache
   * (NodeLocal DNSCache’s 169.254.20.10) is a link-local address, blocked unless extraAllowedDestinations
   * names it with port 53.
   */
  dns?: {
    /** namespace of the cluster DNS Pods. Default kube-system. */
    namespace: string;
    /** podSelector of the cluster DNS Pods. Default k8s-app=kube-dns. */
    podSelector: K8sType<'LabelSelector'>;
    /**
     * ports the DNS Pods serve on, as the Pods see them: a NetworkPolicy matches after the Service maps its
     * port (OpenShift’s DNS Pods serve on 5353). Each is opened for UDP and TCP. Default [53].
     */
    ports?: number[];
  };
  /** extraAllowedDestinations every agent Pod may reach beyond the defaults. */
  extraAllowedDestinations?: AllowedDestination[];
  /** inClusterAllowances AgentConfigs may name in spec.networkAllowances. */
  inClusterAllowances?: InClusterAllowance[];
};

/** A port an agent may connect to. */
export type NetworkPort = {
  /** port number. */
  port: number;
  /** protocol of the port. Default TCP. */
  protocol?: 'TCP' | 'UDP' | 'SCTP';
};

/** outbound limits the HTTP calls the operator makes on a tenant’s behalf. */
export type Outbound = {
  /**
   * allowedHosts the operator may call on a tenant’s behalf (GitHub and GitHub App API, Jira, context
   * sources): exact host names, or "*.example.com" for subdomains. Default: api.github.com and github.com.
   */
  allowedHosts?: string[];
  /**
   * allowPrivateNetworks lets allowed hosts resolve to private, loopback or link-local addresses (an
   * in-cluster GitHub Enterprise). Default false.
   */
  allowPrivateNetworks?: boolean;
  /** timeoutSeconds bounds each outbound call. Default 10. */
  timeoutSeconds?: number;
};

/** PluginSpec is a plugin of skills and sub-agents, written into the Pod before the agent starts. */
export type PluginSpec = {
  /** name of the plugin directory; Claude Code namespaces its skills as <name>:<skill>. */
  name: string;
  /** skills in the plugin. */
  skills?: {
    /** name of the skill; it becomes <plugin>/skills/<name>/SKILL.md. */
    name: string;
    /** content of the skill in Markdown. */
    content: string;
  }[];
  /** agents (sub-agents) in the plugin. */
  agents?: {
    /** name of the sub-agent; it becomes <plugin>/agents/<name>.md. */
    name: string;
    /** content of the sub-agent in Markdown. */
    content: string;
  }[];
};

/**
 * PodOverrides customise the Pod that runs the agent. Built-in settings win where they must (labels, reserved
 * env names, reserved volume and container names).
 */
export type PodOverrides = {
  /**
   * labels are merged onto the Job and its Pod. Labels the operator sets win on conflict, so selectors keep
   * working.
   */
  labels?: Record<string, string>;
  /** resources are the compute requests and limits of the agent container. */
  resources?: K8sType<'ResourceRequirements'>;
  /**
   * activeDeadlineSeconds bounds how long the Task may run, in seconds. It is set on the Job; when it passes,
   * the Task fails.
   */
  activeDeadlineSeconds?: number;
  /**
   * env is appended to the agent container after the built-in variables. A variable whose name collides with
   * a built-in one is dropped, and KELOS_SETUP_COMMAND is always dropped.
   */
  env?: K8sType<'EnvVar'>[];
  /** nodeSelector constrains which nodes the Pod may run on. */
  nodeSelector?: Record<string, string>;
  /** tolerations are added to the Pod. */
  tolerations?: K8sType<'Toleration'>[];
  /** affinity holds the Pod scheduling constraints. */
  affinity?: K8sType<'Affinity'>;
  /** imagePullSecrets name Secrets used to pull the agent image and any extra container images. */
  imagePullSecrets?: K8sType<'LocalObjectReference'>[];
  /**
   * serviceAccountName runs the Pod as this ServiceAccount, for example to use workload identity (IRSA, GKE
   * Workload Identity).
   */
  serviceAccountName?: string;
  /**
   * volumes are added to the Pod. Names must be unique, must not start with 'kelos-' and must not be
   * 'workspace'.
   */
  volumes?: K8sType<'Volume'>[];
  /**
   * volumeMounts are added to the agent container. They may mount user volumes or the built-in workspace
   * volume.
   */
  volumeMounts?: K8sType<'VolumeMount'>[];
  /**
   * podSecurityContext is merged field by field over the hardened default Pod security context (runAsNonRoot,
   * runAsUser and fsGroup 61100, RuntimeDefault seccomp): a field set here wins, the others keep their
   * defaults.
   */
  podSecurityContext?: K8sType<'PodSecurityContext'>;
  /**
   * containerSecurityContext is merged field by field over the hardened default security context of the agent
   * container (no privilege escalation, all capabilities dropped): a field set here wins, the others keep
   * their defaults.
   */
  containerSecurityContext?: K8sType<'SecurityContext'>;
  /**
   * extraContainers run beside the agent container, for example a database the agent tests against. At most
   * 8; names must be unique and must not start with 'kelos-'.
   */
  extraContainers?: K8sType<'Container'>[];
  /**
   * extraInitContainers run after every built-in init container. restartPolicy: Always makes one a native
   * sidecar. At most 8; names follow the extraContainers rules.
   */
  extraInitContainers?: K8sType<'Container'>[];
};

/**
 * podSecurity is the floor the operator enforces on every Task whatever its podOverrides say: a Task asking
 * for more fails with a reason naming the field.
 */
export type PodSecurityFloor = {
  /** allowPrivileged lets containers run privileged. Default false. */
  allowPrivileged?: boolean;
  /** allowRunAsRoot lets containers run as UID 0 or with runAsNonRoot false. Default false. */
  allowRunAsRoot?: boolean;
  /** allowPrivilegeEscalation lets containers set allowPrivilegeEscalation true. Default false. */
  allowPrivilegeEscalation?: boolean;
  /** allowHostNamespaces lets Pods use hostNetwork, hostPID or hostIPC. Default false. */
  allowHostNamespaces?: boolean;
  /** allowedHostPaths are path prefixes hostPath volumes may mount. Default none. */
  allowedHostPaths?: string[];
  /**
   * allowedVolumeTypes are volume types beyond those of the restricted Pod Security Standard (configMap, csi,
   * downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret) that podOverrides may add,
   * such as nfs. Default none: the node mounts such volumes itself, outside the agent NetworkPolicy. hostPath
   * is governed by allowedHostPaths.
   */
  allowedVolumeTypes?: (
    | 'awsElasticBlockStore'
    | 'azureDisk'
    | 'azureFile'
    | 'cephfs'
    | 'cinder'
    | 'fc'
    | 'flexVolume'
    | 'flocker'
    | 'gcePersistentDisk'
    | 'gitRepo'
    | 'glusterfs'
    | 'image'
    | 'iscsi'
    | 'nfs'
    | 'photonPersistentDisk'
    | 'portworxVolume'
    | 'quobyte'
    | 'rbd'
    | 'scaleIO'
    | 'storageos'
    | 'vsphereVolume'
  )[];
  /** allowedCapabilities may be added to containers (capabilities.add). Default none. */
  allowedCapabilities?: string[];
  /**
   * allowedServiceAccounts may be named in podOverrides.serviceAccountName: a name, for Tasks of every
   * namespace, or namespace/name, for that namespace only. Default none: Tasks run as the namespace default
   * ServiceAccount.
   */
  allowedServiceAccounts?: string[];
};

/** SecretReference names a Secret in the same namespace as the referring object. */
export type SecretReference = {
  /** name of the Secret in the same namespace. */
  name: string;
};

/** SkillsShSpec is a skills package installed before the agent starts. */
export type SkillsShSpec = {
  /** source is a skills package: owner/repo on skills.sh, or an HTTPS git URL. */
  source: string;
  /** skill installs one skill of the package instead of all of them. */
  skill?: string;
  /** secretRef names a Secret with GITHUB_TOKEN, for private packages. */
  secretRef?: SecretReference;
};

/** Slack creates Tasks from Slack messages and slash commands. */
export type Slack = {
  /** channels the bot listens in (IDs such as C0123456789). */
  channels?: string[];
  /** botMessagePolicy says which bot-authored messages may trigger Tasks. */
  botMessagePolicy?: 'None' | 'All' | 'OthersOnly';
  /** triggers are alternatives; by default a trigger also needs the bot to be mentioned. */
  triggers?: SlackTrigger[];
  /** excludePatterns drop a message matching any of them. */
  excludePatterns?: string[];
};

/** SlackTrigger is one way a Slack message can start a Task. */
export type SlackTrigger = {
  /** pattern is an RE2 expression the message must match; unset matches every message. */
  pattern?: string;
  /** mentionOptional lets the trigger match without mentioning the bot. */
  mentionOptional?: boolean;
};

/** SpawnerCredential is one credential in a pool; each spawned Task gets one picked at random. */
export type SpawnerCredential = {
  /** name identifies the credential; it is recorded in the kelos.dev/spawner-credential label. */
  name: string;
  /** type is how the agent authenticates with this credential. */
  type: 'api-key' | 'oauth';
  /** secretRef names the Secret holding the credential. */
  secretRef: SecretReference;
};

/**
 * TaskBudgetSpec is a spending limit per period over the Tasks a selector picks. Usage is summed from
 * TaskRecords of finished Tasks.
 */
export type TaskBudgetSpec = {
  /**
   * taskSelector picks the Tasks this budget covers, by their labels. {} covers every Task in the namespace.
   */
  taskSelector: K8sType<'LabelSelector'>;
  /** BudgetPeriod is the window usage is summed over; it rolls over at its boundary. */
  period: BudgetPeriod;
  /** maxCostUSD is the most the covered Tasks may cost in a period, in US dollars, for example "50". */
  maxCostUSD?: number | string;
  /** maxInputTokens is the most input tokens the covered Tasks may use in a period. */
  maxInputTokens?: number;
  /** maxOutputTokens is the most output tokens the covered Tasks may produce in a period. */
  maxOutputTokens?: number;
  /**
   * enforcement is Admission (new Tasks wait while the budget is used up; running Tasks finish) or
   * StopRunning (running covered Tasks are also stopped and fail with reason BudgetExceeded). Kelos
   * extension.
   */
  enforcement?: 'Admission' | 'StopRunning';
};

/** TaskBudgetStatus is the observed usage of a TaskBudget. */
export type TaskBudgetStatus = {
  /** observedGeneration is the generation the status was computed from. */
  observedGeneration?: number;
  /** currentPeriodStart is the start of the current period (inclusive). */
  currentPeriodStart?: string;
  /** currentPeriodEnd is the end of the current period (exclusive). */
  currentPeriodEnd?: string;
  /** used is the usage summed over the current period. */
  used?: TaskUsage;
  /**
   * waitingTasks is how many Tasks wait because of this budget (condition Holding says why: used up, or what
   * its running Tasks reserve). Kelos extension.
   */
  waitingTasks?: number;
  /** conditions: Degraded when the budget cannot be evaluated; Holding while Tasks wait because of it. */
  conditions?: Condition[];
};

/** TaskRecordSpec is the usage of one finished Task. It is immutable. */
export type TaskRecordSpec = {
  /** taskRef identifies the finished Task. The record outlives it. */
  taskRef: {
    /** name of the Task. */
    name: string;
    /** uid of the Task; the record is named after it. */
    uid?: string;
  };
  /** type of agent that ran. */
  type?: 'claude-code' | 'codex' | 'gemini' | 'opencode' | 'cursor';
  /** model the agent used. */
  model?: string;
  /** phase the Task finished in. */
  phase: 'Succeeded' | 'Failed';
  /** startTime is when the agent started. */
  startTime?: string;
  /** completionTime is when the Task finished; it decides which budget period the usage counts in. */
  completionTime: string;
  /** usage reported by the agent, or estimated when estimated is true. */
  usage?: TaskUsage;
  /**
   * estimated is true when the agent reported no usage and the operator charged its runtime times the hourly
   * rate of its model (KelosConfig rates).
   */
  estimated?: boolean;
  /**
   * ttlSecondsAfterCompletion deletes the record this long after completionTime. The operator sets 35 days.
   */
  ttlSecondsAfterCompletion?: number;
};

/** TaskSpawnerSpec is a trigger and the Task it creates. */
export type TaskSpawnerSpec = {
  /** When is the trigger. Set exactly one source. */
  when: When;
  /** TaskTemplate is the Task every trigger creates. */
  taskTemplate: TaskTemplate;
  /** credentials is a pool; each spawned Task gets one picked at random. */
  credentials?: SpawnerCredential[];
  /**
   * maxConcurrency caps the spawned Tasks that are not finished. 0 or unset means no cap. It holds on every
   * trigger path; webhook work over the cap is queued.
   */
  maxConcurrency?: number;
  /** suspend stops creating Tasks; running Tasks are not affected. */
  suspend?: boolean;
  /** maxTotalTasks caps the Tasks this spawner creates over its lifetime. 0 or unset means no cap. */
  maxTotalTasks?: number;
  /**
   * maxQueuedTasks bounds the spawned Tasks waiting for room under maxConcurrency. A webhook delivery beyond
   * it is answered 429 with Retry-After (the sender retries; nothing is lost); polling leaves the items for a
   * later pass. Default: twice maxConcurrency and at least 10 for polling, 100 for webhooks. Kelos extension.
   */
  maxQueuedTasks?: number;
};

/** TaskSpawnerStatus is the observed state of a TaskSpawner. */
export type TaskSpawnerStatus = {
  /** observedGeneration is the generation last acted on. */
  observedGeneration?: number;
  /** phase is Pending, Running, Failed or Suspended. */
  phase?: string;
  /** deploymentName of the poller, for polling sources. */
  deploymentName?: string;
  /** cronJobName of the CronJob, for cron sources. */
  cronJobName?: string;
  /** totalDiscovered is the number of items found in the last discovery cycle. */
  totalDiscovered?: number;
  /** totalTasksCreated is the number of Tasks created over the spawner’s lifetime. */
  totalTasksCreated?: number;
  /**
   * activeTasks is the number of spawned Tasks admitted and not finished: what maxConcurrency counts. Tasks
   * waiting for a place are queuedItems.
   */
  activeTasks?: number;
  /**
   * queuedItems is the number of spawned Tasks created and not yet admitted: they wait in phase Waiting for a
   * place under maxConcurrency (or for the spawner to resume). Kelos extension.
   */
  queuedItems?: number;
  /**
   * webhookDeliveriesRefused counts webhook deliveries answered 429 because maxQueuedTasks Tasks were waiting
   * (the sender retries them).
   */
  webhookDeliveriesRefused?: number;
  /**
   * webhookDeliveriesOverLimit counts webhook deliveries not turned into a Task because maxTotalTasks was
   * reached.
   */
  webhookDeliveriesOverLimit?: number;
  /** lastDiscoveryTime is when the last discovery cycle ran; cron uses it as its watermark. */
  lastDiscoveryTime?: string;
  /** message explains the phase. */
  message?: string;
  /**
   * conditions: Suspended, DiscoveryError, MaxTotalTasksReached, and TaskBudgetExhausted (the same
   * maxTotalTasks state under the second name upstream writes; not about TaskBudgets).
   */
  conditions?: Condition[];
};

/** TaskSpec is the desired run of one agent. It is immutable after creation. */
export type TaskSpec = {
  /**
   * worker says how the agent runs. This is the preferred form; the top-level type, credentials, model,
   * effort, image, workspaceRef, agentConfigRefs and podOverrides are deprecated.
   */
  worker?: WorkerSpec;
  /**
   * workerPoolRef dispatches the Task to a WorkerPool instead of a new Job. WorkerPools are not served by
   * this operator yet.
   */
  workerPoolRef?: WorkerPoolReference;
  /**
   * prompt is the instruction given to the agent. With dependsOn it is a Go template: {{index .Deps "task"
   * "Results" "branch"}} reads a result of a finished dependency.
   */
  prompt: string;
  /**
   * Deprecated: use worker.type. type is the agent to run: claude-code, codex, gemini, opencode or cursor. It
   * picks the default image and how credentials are injected.
   * @deprecated use worker.type.
   */
  type?: 'claude-code' | 'codex' | 'gemini' | 'opencode' | 'cursor' | '';
  /**
   * Deprecated: use worker.credentials. credentials say how the agent authenticates.
   * @deprecated use worker.credentials.
   */
  credentials?: Credentials;
  /**
   * Deprecated: use worker.model. model is passed to the agent as KELOS_MODEL, for example claude-sonnet-4-5.
   * @deprecated use worker.model.
   */
  model?: string;
  /**
   * Deprecated: use worker.effort. effort is an agent-specific reasoning effort (for example low, medium,
   * high), passed as KELOS_EFFORT. It is not validated by the API.
   * @deprecated use worker.effort.
   */
  effort?: string;
  /**
   * Deprecated: use worker.image. image overrides the default agent image. It must implement the Kelos agent
   * image interface.
   * @deprecated use worker.image.
   */
  image?: string;
  /**
   * Deprecated: use worker.workspaceRef. workspaceRef names the Workspace the agent clones and works in.
   * @deprecated use worker.workspaceRef.
   */
  workspaceRef?: WorkspaceReference;
  /**
   * Deprecated: use worker.agentConfigRefs. agentConfigRefs name AgentConfigs merged in order: instructions
   * are joined, plugins and skills appended, and a later MCP server replaces an earlier one of the same name.
   * @deprecated use worker.agentConfigRefs.
   */
  agentConfigRefs?: AgentConfigReference[];
  /**
   * Deprecated: use worker.podOverrides. podOverrides customise the Pod that runs the agent.
   * @deprecated use worker.podOverrides.
   */
  podOverrides?: PodOverrides;
  /** dependsOn names Tasks in the same namespace that must succeed before this one starts. */
  dependsOn?: string[];
  /**
   * branch is checked out (or created) before the agent runs. Tasks on the same workspace and branch run one
   * at a time, oldest first.
   */
  branch?: string;
  /** upstreamRepo is the upstream repository as owner/repo, passed as KELOS_UPSTREAM_REPO. */
  upstreamRepo?: string;
  /**
   * ttlSecondsAfterFinished deletes the Task this many seconds after it finishes. 0 deletes it at once; unset
   * keeps it.
   */
  ttlSecondsAfterFinished?: number;
  /**
   * podFailurePolicy is copied to the Job; it decides which Pod failures count against the backoff limit. The
   * FailIndex action is not allowed.
   */
  podFailurePolicy?: K8sType<'PodFailurePolicy'>;
};

/** TaskStatus is the observed state of a Task. */
export type TaskStatus = {
  /** phase is where the Task is in its life: Waiting, Pending, Running, Succeeded or Failed. */
  phase?: string;
  /** jobName is the name of the Job that runs the Task. */
  jobName?: string;
  /** podName is the name of the newest Pod of the Job. */
  podName?: string;
  /** startTime is when the agent started running. */
  startTime?: string;
  /** completionTime is when the Task reached Succeeded or Failed. */
  completionTime?: string;
  /** message explains the current phase in words. */
  message?: string;
  /** outputs are the raw "key: value" lines the agent reported. */
  outputs?: string[];
  /** results are the outputs parsed into a map: branch, commit, pr, base-branch and others. */
  results?: Record<string, string>;
  /** usage is the cost and tokens the agent reported. */
  usage?: TaskUsage;
  /** conditions say why the Task waits or failed (BudgetBlocked, DependenciesReady, BranchLocked). */
  conditions?: Condition[];
};

/** TaskTemplate is the Task every trigger creates. */
export type TaskTemplate = {
  /** worker says how the agent of each spawned Task runs. */
  worker?: WorkerSpec;
  /** WorkerPoolReference names a WorkerPool that runs the Task on one of its pre-warmed workers. */
  workerPoolRef?: WorkerPoolReference;
  /**
   * Deprecated: use worker.type. type is the agent to run: claude-code, codex, gemini, opencode or cursor. It
   * picks the default image and how credentials are injected.
   * @deprecated use worker.type.
   */
  type?: 'claude-code' | 'codex' | 'gemini' | 'opencode' | 'cursor' | '';
  /**
   * Deprecated: use worker.credentials. credentials say how the agent authenticates.
   * @deprecated use worker.credentials.
   */
  credentials?: Credentials;
  /**
   * Deprecated: use worker.model. model is passed to the agent as KELOS_MODEL, for example claude-sonnet-4-5.
   * @deprecated use worker.model.
   */
  model?: string;
  /**
   * Deprecated: use worker.effort. effort is an agent-specific reasoning effort (for example low, medium,
   * high), passed as KELOS_EFFORT. It is not validated by the API.
   * @deprecated use worker.effort.
   */
  effort?: string;
  /**
   * Deprecated: use worker.image. image overrides the default agent image. It must implement the Kelos agent
   * image interface.
   * @deprecated use worker.image.
   */
  image?: string;
  /**
   * Deprecated: use worker.workspaceRef. workspaceRef names the Workspace the agent clones and works in.
   * @deprecated use worker.workspaceRef.
   */
  workspaceRef?: WorkspaceReference;
  /**
   * Deprecated: use worker.agentConfigRefs. agentConfigRefs name AgentConfigs merged in order: instructions
   * are joined, plugins and skills appended, and a later MCP server replaces an earlier one of the same name.
   * @deprecated use worker.agentConfigRefs.
   */
  agentConfigRefs?: AgentConfigReference[];
  /**
   * Deprecated: use worker.podOverrides. podOverrides customise the Pod that runs the agent.
   * @deprecated use worker.podOverrides.
   */
  podOverrides?: PodOverrides;
  /** dependsOn is copied to every spawned Task. */
  dependsOn?: string[];
  /**
   * branch is a Go template over the item variables, for example kelos/issue-{{.Number}}. Every item must
   * render a name git takes: build it from .Number or .ID (a cron tick's ID is its UTC time as
   * YYYYMMDD-HHMM), not from free text such as .Title, nor from a cron .Time, whose colons git refuses.
   */
  branch?: string;
  /** promptTemplate is the Go template of the prompt. Defaults to {{.Title}}. */
  promptTemplate?: string;
  /**
   * nameTemplate is the Go template of the Task name; it is lowercased, sanitized and cut to 63 characters,
   * and may not use .Context.
   */
  nameTemplate?: string;
  /**
   * ttlSecondsAfterFinished deletes the Task this many seconds after it finishes. 0 deletes it at once; unset
   * keeps it.
   */
  ttlSecondsAfterFinished?: number;
  /**
   * podFailurePolicy is copied to the Job; it decides which Pod failures count against the backoff limit. The
   * FailIndex action is not allowed.
   */
  podFailurePolicy?: K8sType<'PodFailurePolicy'>;
  /**
   * metadata is added to every spawned Task. The kelos.dev/taskspawner label is always set by the spawner.
   */
  metadata?: {
    /** labels of spawned Tasks; values are Go templates. */
    labels?: Record<string, string>;
    /** annotations of spawned Tasks; values are Go templates. */
    annotations?: Record<string, string>;
  };
  /** contextSources fetch extra context per item, read as .Context.<name>; names are unique. */
  contextSources?: ContextSource[];
  /** upstreamRepo (owner/repo) is derived from the GitHub source when unset. */
  upstreamRepo?: string;
};

/** TaskUsage is the cost and token usage of one Task or the sum over many. */
export type TaskUsage = {
  /** costUSD is the cost in US dollars, as a decimal string such as "1.25". */
  costUSD?: number | string;
  /** inputTokens is the number of input tokens the agent used. */
  inputTokens?: number;
  /** outputTokens is the number of output tokens the agent produced. */
  outputTokens?: number;
};

/** webhooks governs the webhook receiver. */
export type WebhookSettings = {
  /**
   * allowUnsignedNamespaces whose generic webhook spawners may receive deliveries without a secretRef (anyone
   * who can reach the receiver can then create their Tasks). Default none: a generic spawner without a secret
   * receives nothing.
   */
  allowUnsignedNamespaces?: string[];
  /**
   * clusterSecretNamespaces whose GitHub and Linear webhook spawners without a secretRef may use the
   * operator’s cluster-wide secrets (--webhook-github-secret-file, --webhook-linear-secret-file). Unset:
   * every namespace, as upstream, so a spawner in any namespace receives every delivery signed with them, for
   * any repository it names; on a cluster tenants share, list the namespaces trusted with them and give the
   * others a secretRef.
   */
  clusterSecretNamespaces?: string[];
};

/** When is the trigger. Set exactly one source. */
export type When = {
  /** GitHubIssues polls a repository’s issues (and optionally pull requests). */
  githubIssues?: GitHubIssues;
  /** GitHubPullRequests polls a repository’s pull requests. */
  githubPullRequests?: GitHubPullRequests;
  /** Cron creates a Task on a schedule. */
  cron?: Cron;
  /** Jira polls a Jira project. */
  jira?: Jira;
  /**
   * GitHubWebhook creates Tasks from GitHub webhook deliveries, verified with the X-Hub-Signature-256 HMAC.
   */
  githubWebhook?: GitHubWebhook;
  /** LinearWebhook creates Tasks from Linear webhook deliveries, verified with the Linear-Signature HMAC. */
  linearWebhook?: LinearWebhook;
  /** GenericWebhook creates Tasks from JSON posted by any system. */
  webhook?: GenericWebhook;
  /** Slack creates Tasks from Slack messages and slash commands. */
  slack?: Slack;
};

/** WorkerPoolReference names a WorkerPool that runs the Task on one of its pre-warmed workers. */
export type WorkerPoolReference = {
  /** name of the WorkerPool in the same namespace. */
  name: string;
};

/**
 * WorkerSpec says how an agent runs: which agent, model, credentials, image, workspace, configuration and Pod
 * settings.
 */
export type WorkerSpec = {
  /**
   * type is the agent to run: claude-code, codex, gemini, opencode or cursor. It picks the default image and
   * how credentials are injected.
   */
  type?: 'claude-code' | 'codex' | 'gemini' | 'opencode' | 'cursor' | '';
  /** credentials say how the agent authenticates to its model provider. */
  credentials?: Credentials;
  /** model is passed to the agent as KELOS_MODEL, for example claude-sonnet-4-5. */
  model?: string;
  /**
   * effort is an agent-specific reasoning effort (for example low, medium, high), passed as KELOS_EFFORT. It
   * is not validated by the API.
   */
  effort?: string;
  /** image overrides the default agent image. It must implement the Kelos agent image interface. */
  image?: string;
  /** workspaceRef names the Workspace the agent clones and works in. */
  workspaceRef?: WorkspaceReference;
  /**
   * agentConfigRefs name AgentConfigs merged in order: instructions are joined, plugins and skills appended,
   * and a later MCP server replaces an earlier one of the same name.
   */
  agentConfigRefs?: AgentConfigReference[];
  /** podOverrides customise the Pod that runs the agent. */
  podOverrides?: PodOverrides;
};

/** WorkspaceFile is a file written into the repository before the agent starts. */
export type WorkspaceFile = {
  /**
   * path of the file relative to the repository root. Absolute paths, backslashes and .. segments are
   * refused.
   */
  path: string;
  /** content of the file. */
  content: string;
};

/** WorkspaceReference names the Workspace (git repository) the agent works in. */
export type WorkspaceReference = {
  /** name of the Workspace in the same namespace. */
  name: string;
};

/** WorkspaceSpec describes a git repository and how to prepare it. */
export type WorkspaceSpec = {
  /** repo is the clone URL of the git repository (https://, git:// or git@). */
  repo: string;
  /**
   * ref is the branch, tag or commit to check out. A 40-character hex string is treated as a commit. Defaults
   * to the remote default branch.
   */
  ref?: string;
  /**
   * secretRef names a Secret with either GITHUB_TOKEN or the GitHub App keys appID, installationID and
   * privateKey. It authenticates the clone, the remotes and the gh CLI.
   */
  secretRef?: SecretReference;
  /**
   * ghproxy, when present, puts a caching proxy in front of the GitHub API for spawners that poll this
   * workspace.
   */
  // biome-ignore lint/complexity/noBannedTypes: Static<> of an object without fields
  ghproxy?: {};
  /**
   * remotes are extra git remotes, with unique names. A remote named upstream also sets KELOS_UPSTREAM_REPO.
   */
  remotes?: GitRemote[];
  /** files are written into the repository before the agent starts. */
  files?: WorkspaceFile[];
  /**
   * setupCommand runs in the repository before the agent, without a shell (exec form), as the agent user. A
   * non-zero exit fails the Task.
   */
  setupCommand?: string[];
};
