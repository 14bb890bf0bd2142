/**
 * Linear webhook deliveries: a `linearWebhook` spawner's types and filters, and the template
 * variables a Task gets (upstream's `ExtractLinearWorkItem`). Linear posts
 * `{action, type, data, url, createdAt, webhookId, …}`; `data` is the entity (an Issue, a
 * Comment, …).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { LinearWebhookFilterSchema, LinearWebhookSchema } from '../../api/index.ts';
import type { GoValue } from '../../template/go-template.ts';
import { sourceItem } from '../spawner/annotations.ts';
import { hasAllLabels, hasAnyLabel } from '../spawner/github-repo.ts';
import { type Delivery, hashedId, inFold, type MatchResult, obj, str } from './delivery.ts';

/** One `linearWebhook.filters[]` entry. */
export type LinearWebhookFilter = Static<typeof LinearWebhookFilterSchema>;
/** A spawner's `when.linearWebhook`. */
export type LinearWebhook = Static<typeof LinearWebhookSchema>;

/** What a Linear delivery says, as filters and variables read it. */
export interface LinearFacts {
  readonly type: string;
  readonly action: string;
  readonly id: string;
  readonly title: string;
  readonly state: string;
  readonly labels: readonly string[];
  /** Whether the payload carries labels at all (a Comment's payload does not carry its issue's). */
  readonly labelsKnown: boolean;
  /** Comment events: the issue commented on. */
  readonly issueId?: string;
  /** The issue's key (`ENG-123`): the Issue's, or a Comment's issue's; '' for other types. */
  readonly identifier: string;
}

const labelNames = (v: unknown): string[] => (Array.isArray(v) ? v.map((l) => str(obj(l).name)) : []);

/**
 * The facts of a Linear delivery. Labels come from `data.labels`, else from `data.issue.labels`
 * (what a Comment's payload carries of its issue), as upstream reads them, else from what the
 * receiver fetched from Linear's API (`enrichment.linearIssueLabels`).
 */
export const linearFacts = (delivery: Delivery): LinearFacts => {
  const p = obj(delivery.payload);
  const data = obj(p.data);
  const issue = obj(data.issue);
  const type = str(p.type) || delivery.event;
  const inPayload = Array.isArray(data.labels) || Array.isArray(data.labelIds) || Array.isArray(issue.labels);
  const fetched = inPayload ? undefined : delivery.enrichment?.linearIssueLabels;
  const labels = fetched
    ? [...fetched]
    : Array.isArray(data.labels)
      ? labelNames(data.labels)
      : labelNames(issue.labels);
  const isComment = type.toLowerCase() === 'comment';
  return {
    type,
    action: str(p.action),
    id: str(data.id),
    title: str(data.title) || str(issue.title),
    state: str(obj(data.state).name) || str(obj(issue.state).name),
    labels,
    labelsKnown: inPayload || fetched !== undefined,
    ...(isComment ? { issueId: str(data.issueId) || str(issue.id) } : {}),
    identifier: isComment ? str(issue.identifier) : str(data.identifier),
  };
};

/**
 * Why a filter with `labels` or `excludeLabels` cannot judge a delivery without labels: Linear's
 * Comment payload names its issue but not the issue's labels, which the receiver fetches from
 * Linear's GraphQL API only when the operator has `LINEAR_API_KEY` (and the payload names the
 * issue). Without them `labels` would never match and `excludeLabels` never exclude, so such a
 * filter fails closed and the delivery is answered `invalid`, with a Warning Event on the
 * spawner (upstream lets an `excludeLabels` filter pass instead).
 */
export const LABELS_UNKNOWN =
  "labels/excludeLabels cannot be checked: the payload carries no labels (a Comment payload does not carry its issue's), and they were not fetched from Linear's API (the operator has no LINEAR_API_KEY, or the payload names no issue)";

/**
 * Whether judging `delivery` for this spawner needs its issue's labels from Linear's API: a
 * Comment of a type the spawner takes, whose payload carries no labels, and a filter for
 * Comments (or for every type) with `labels` or `excludeLabels`. Pure.
 */
export const linearLabelsNeeded = (spec: LinearWebhook, delivery: Delivery): boolean => {
  const facts = linearFacts(delivery);
  return (
    facts.type.toLowerCase() === 'comment' &&
    !facts.labelsKnown &&
    !!facts.issueId &&
    inFold(facts.type, spec.types) &&
    (spec.filters ?? []).some(
      (f) =>
        (!f.type || f.type.toLowerCase() === 'comment') &&
        ((f.labels?.length ?? 0) > 0 || (f.excludeLabels?.length ?? 0) > 0),
    )
  );
};

/** Why a filter does not match, or undefined when it does (fields AND). */
export const linearFilterMismatch = (f: LinearWebhookFilter, facts: LinearFacts): string | undefined => {
  if (f.type && f.type.toLowerCase() !== facts.type.toLowerCase())
    return `type is ${facts.type}, not ${f.type}`;
  if (f.action && f.action !== facts.action)
    return `action is ${JSON.stringify(facts.action)}, not ${f.action}`;
  if (f.states?.length && !inFold(facts.state, f.states))
    return `state ${JSON.stringify(facts.state)} is not listed`;
  if ((f.labels?.length || f.excludeLabels?.length) && !facts.labelsKnown) return LABELS_UNKNOWN;
  if (f.labels?.length && !hasAllLabels(facts.labels, f.labels)) return 'a required label is missing';
  if (f.excludeLabels?.length && hasAnyLabel(facts.labels, f.excludeLabels))
    return 'an excluded label is present';
  return undefined;
};

/**
 * The sha256 (hex) of what names and dedupes a Linear delivery's Task: the event as the signed
 * body states it (`webhookId`, `type`, `action`, `data.id`, `createdAt`, the time of the
 * action), else the body itself. Not `Linear-Delivery`: that header is not signed, so a
 * captured delivery posted again within the 60 s `webhookTimestamp` window under a fresh one
 * made a second Task. Not the whole body either: Linear retries a delivery 1 min, 1 h and 6 h
 * later, each time with a new `webhookTimestamp` (or its own 60 s check would refuse the
 * retry), so the body differs between a delivery and its retries while the event does not.
 */
export const linearEventDigest = (payload: unknown, body: Buffer): string => {
  const p = obj(payload);
  const id = str(obj(p.data).id);
  const webhookId = str(p.webhookId);
  const createdAt = str(p.createdAt);
  const hash = createHash('sha256');
  // A body that does not name its event (not one Linear sends) is deduped as sent: a replay is
  // the same bytes, since anything else needs the secret to sign it.
  if (id && webhookId && createdAt)
    hash.update(JSON.stringify([webhookId, str(p.type), str(p.action), id, createdAt]));
  else hash.update(body);
  return hash.digest('hex');
};

/** Matches a Linear delivery against a `linearWebhook` spawner: its types, then any filter. */
export const matchLinear = (spec: LinearWebhook, delivery: Delivery): MatchResult => {
  const facts = linearFacts(delivery);
  if (!inFold(facts.type, spec.types))
    return { matched: false, reason: `type ${facts.type} is not in types` };
  const filters = spec.filters ?? [];
  if (filters.length > 0) {
    const reasons = filters.map((f) => linearFilterMismatch(f, facts));
    if (!reasons.includes(undefined))
      return {
        matched: false,
        // Two filters failing on the same test give one reason, said once.
        reason: `no filter matches: ${[...new Set(reasons)].join('; ')}`,
        ...(reasons.includes(LABELS_UNKNOWN) ? { invalid: true as const } : {}),
      };
  }
  const vars: Record<string, GoValue> = {
    ID: facts.id,
    Title: facts.title,
    Kind: 'LinearWebhook',
    Type: facts.type,
    Action: facts.action,
    State: facts.state,
    Labels: facts.labels.join(', '),
    Payload: (delivery.payload ?? null) as GoValue,
  };
  if (facts.issueId !== undefined) vars.IssueID = facts.issueId;
  return {
    matched: true,
    id: hashedId(facts.type, delivery.contentDigest ?? delivery.deliveryId),
    vars,
    // The Task's name is a hash: the issue's key (`ENG-123`) is what leads back to it.
    annotations: sourceItem(facts.identifier),
  };
};
