/**
 * GENERATED FILE, DO NOT EDIT: written by `node scripts/generate-api-types.ts`.
 *
 * Compiled by `tsc --noEmit -p tsconfig.json`: each documented type of
 * src/api/generated/types.ts must be the very type its schema’s `Static` is (the same fields,
 * optionality and value types), so the two cannot drift apart.
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import type * as generated from '../../../src/api/generated/types.ts';
import type * as schemas from '../../../src/api/index.ts';

/** True when A and B are identical types (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when every entry is `true`. */
type AllTrue<T extends Record<string, true>> = T;

export type GeneratedTypesMatchSchemas = AllTrue<{
  AdmissionExemptions: Same<generated.AdmissionExemptions, Static<typeof schemas.AdmissionExemptionsSchema>>;
  AgentConfigReference: Same<
    generated.AgentConfigReference,
    Static<typeof schemas.AgentConfigReferenceSchema>
  >;
  AgentConfigSpec: Same<generated.AgentConfigSpec, Static<typeof schemas.AgentConfigSpecSchema>>;
  AllowedDestination: Same<generated.AllowedDestination, Static<typeof schemas.AllowedDestinationSchema>>;
  BudgetPeriod: Same<generated.BudgetPeriod, Static<typeof schemas.BudgetPeriodSchema>>;
  Condition: Same<generated.Condition, Static<typeof schemas.ConditionSchema>>;
  ContextSource: Same<generated.ContextSource, Static<typeof schemas.ContextSourceSchema>>;
  Credentials: Same<generated.Credentials, Static<typeof schemas.CredentialsSchema>>;
  Cron: Same<generated.Cron, Static<typeof schemas.CronSchema>>;
  GenericWebhook: Same<generated.GenericWebhook, Static<typeof schemas.GenericWebhookSchema>>;
  GenericWebhookFilter: Same<
    generated.GenericWebhookFilter,
    Static<typeof schemas.GenericWebhookFilterSchema>
  >;
  GitHubAppSettings: Same<generated.GitHubAppSettings, Static<typeof schemas.GitHubAppSettingsSchema>>;
  GitHubCommentPolicy: Same<generated.GitHubCommentPolicy, Static<typeof schemas.GitHubCommentPolicySchema>>;
  GitHubIssues: Same<generated.GitHubIssues, Static<typeof schemas.GitHubIssuesSchema>>;
  GitHubPullRequests: Same<generated.GitHubPullRequests, Static<typeof schemas.GitHubPullRequestsSchema>>;
  GitHubWebhook: Same<generated.GitHubWebhook, Static<typeof schemas.GitHubWebhookSchema>>;
  GitHubWebhookFilter: Same<generated.GitHubWebhookFilter, Static<typeof schemas.GitHubWebhookFilterSchema>>;
  GitRemote: Same<generated.GitRemote, Static<typeof schemas.GitRemoteSchema>>;
  InClusterAllowance: Same<generated.InClusterAllowance, Static<typeof schemas.InClusterAllowanceSchema>>;
  Jira: Same<generated.Jira, Static<typeof schemas.JiraSchema>>;
  KelosConfigSpec: Same<generated.KelosConfigSpec, Static<typeof schemas.KelosConfigSpecSchema>>;
  LinearWebhook: Same<generated.LinearWebhook, Static<typeof schemas.LinearWebhookSchema>>;
  LinearWebhookFilter: Same<generated.LinearWebhookFilter, Static<typeof schemas.LinearWebhookFilterSchema>>;
  McpServerSpec: Same<generated.McpServerSpec, Static<typeof schemas.McpServerSpecSchema>>;
  NetworkIsolation: Same<generated.NetworkIsolation, Static<typeof schemas.NetworkIsolationSchema>>;
  NetworkPort: Same<generated.NetworkPort, Static<typeof schemas.NetworkPortSchema>>;
  Outbound: Same<generated.Outbound, Static<typeof schemas.OutboundSchema>>;
  PluginSpec: Same<generated.PluginSpec, Static<typeof schemas.PluginSpecSchema>>;
  PodOverrides: Same<generated.PodOverrides, Static<typeof schemas.PodOverridesSchema>>;
  PodSecurityFloor: Same<generated.PodSecurityFloor, Static<typeof schemas.PodSecurityFloorSchema>>;
  SecretReference: Same<generated.SecretReference, Static<typeof schemas.SecretReferenceSchema>>;
  SkillsShSpec: Same<generated.SkillsShSpec, Static<typeof schemas.SkillsShSpecSchema>>;
  Slack: Same<generated.Slack, Static<typeof schemas.SlackSchema>>;
  SlackTrigger: Same<generated.SlackTrigger, Static<typeof schemas.SlackTriggerSchema>>;
  SpawnerCredential: Same<generated.SpawnerCredential, Static<typeof schemas.SpawnerCredentialSchema>>;
  TaskBudgetSpec: Same<generated.TaskBudgetSpec, Static<typeof schemas.TaskBudgetSpecSchema>>;
  TaskBudgetStatus: Same<generated.TaskBudgetStatus, Static<typeof schemas.TaskBudgetStatusSchema>>;
  TaskRecordSpec: Same<generated.TaskRecordSpec, Static<typeof schemas.TaskRecordSpecSchema>>;
  TaskSpawnerSpec: Same<generated.TaskSpawnerSpec, Static<typeof schemas.TaskSpawnerSpecSchema>>;
  TaskSpawnerStatus: Same<generated.TaskSpawnerStatus, Static<typeof schemas.TaskSpawnerStatusSchema>>;
  TaskSpec: Same<generated.TaskSpec, Static<typeof schemas.TaskSpecSchema>>;
  TaskStatus: Same<generated.TaskStatus, Static<typeof schemas.TaskStatusSchema>>;
  TaskTemplate: Same<generated.TaskTemplate, Static<typeof schemas.TaskTemplateSchema>>;
  TaskUsage: Same<generated.TaskUsage, Static<typeof schemas.TaskUsageSchema>>;
  WebhookSettings: Same<generated.WebhookSettings, Static<typeof schemas.WebhookSettingsSchema>>;
  When: Same<generated.When, Static<typeof schemas.WhenSchema>>;
  WorkerPoolReference: Same<generated.WorkerPoolReference, Static<typeof schemas.WorkerPoolReferenceSchema>>;
  WorkerSpec: Same<generated.WorkerSpec, Static<typeof schemas.WorkerSpecSchema>>;
  WorkspaceFile: Same<generated.WorkspaceFile, Static<typeof schemas.WorkspaceFileSchema>>;
  WorkspaceReference: Same<generated.WorkspaceReference, Static<typeof schemas.WorkspaceReferenceSchema>>;
  WorkspaceSpec: Same<generated.WorkspaceSpec, Static<typeof schemas.WorkspaceSpecSchema>>;
}>;
