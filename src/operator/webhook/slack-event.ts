/**
 * Slack messages and slash commands: a `slack` spawner's channels, bot message policy, exclude
 * patterns and triggers, and the template variables a Task gets (upstream's
 * `internal/slack/filter.go`). A message delivery's payload is the Events API `event_callback`
 * body Socket Mode carries; its `authorizations[0].user_id` is this app's bot user, which a
 * message mentions as `<@U…>`. A slash command's payload is the command's form fields
 * (`command`, `text`, `channel_id`, `user_id`, `trigger_id`, …); it is addressed to the app,
 * so it counts as a mention, and as upstream its id is the command's (`trigger_id`), not a
 * message timestamp: it has no message, so no thread until the app posts one.
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import { GROUP } from '../../api/group.ts';
import type { SlackSchema } from '../../api/index.ts';
import type { Delivery, MatchResult } from './delivery.ts';
import { hashedId, obj, str } from './delivery.ts';
import { re2Test } from './patterns.ts';

/** A spawner's `when.slack`. */
export type Slack = Static<typeof SlackSchema>;

/** Annotations a Slack-created Task carries, so its progress can be posted in the thread. */
export const SlackAnnotations = {
  Channel: `${GROUP}/slack-channel`,
  /** The thread to reply in: the message's thread, or the message itself. */
  ThreadTs: `${GROUP}/slack-thread-ts`,
  User: `${GROUP}/slack-user`,
  /** The Task phase last posted to the thread (kept by the Slack client). */
  ReportPhase: `${GROUP}/slack-report-phase`,
} as const;

/** The {@link Delivery.event} of a slash command (Socket Mode envelope type `slash_commands`). */
export const SLASH_COMMAND = 'slash_command';

/** Message subtypes that are someone saying something; edits, deletions and joins are not. */
const SAID = new Set(['', 'bot_message', 'thread_broadcast', 'file_share', 'me_message']);

/** What a Slack message says, as the filters and variables read it. */
export interface SlackFacts {
  readonly channel: string;
  readonly ts: string;
  readonly threadTs: string;
  readonly user: string;
  readonly subtype: string;
  /** The text with this bot's mentions taken out. */
  readonly text: string;
  readonly mentioned: boolean;
  readonly fromBot: boolean;
  readonly fromSelf: boolean;
  /** A slash command's `trigger_id`; undefined for a message. */
  readonly triggerId?: string;
}

/** The facts of a slash command: addressed to the app, said by a person, in no thread yet. */
const slashFacts = (payload: unknown): SlackFacts => {
  const p = obj(payload);
  return {
    channel: str(p.channel_id),
    ts: '',
    threadTs: '',
    user: str(p.user_id),
    subtype: '',
    text: str(p.text).trim(),
    mentioned: true,
    fromBot: false,
    fromSelf: false,
    triggerId: str(p.trigger_id),
  };
};

/** The facts of a Slack message delivery. */
export const slackFacts = (delivery: Delivery): SlackFacts => {
  if (delivery.event === SLASH_COMMAND) return slashFacts(delivery.payload);
  const p = obj(delivery.payload);
  const e = obj(p.event);
  const auth = obj(Array.isArray(p.authorizations) ? p.authorizations[0] : undefined);
  const botUser = str(auth.user_id);
  const raw = str(e.text);
  // A mention is `<@U123>` or `<@U123|name>`; user ids are [A-Z0-9], so the id needs no escaping.
  const mention = /^[A-Z0-9]+$/i.test(botUser) ? `<@${botUser}(?:\\|[^>]*)?>` : undefined;
  const ts = str(e.ts);
  const subtype = str(e.subtype);
  return {
    channel: str(e.channel),
    ts,
    threadTs: str(e.thread_ts) || ts,
    user: str(e.user),
    subtype,
    text: (mention ? raw.replace(new RegExp(mention, 'g'), '') : raw).trim(),
    mentioned: mention ? new RegExp(mention).test(raw) : false,
    fromBot: str(e.bot_id) !== '' || subtype === 'bot_message',
    fromSelf:
      (botUser !== '' && str(e.user) === botUser) ||
      (str(p.api_app_id) !== '' && str(e.app_id) === str(p.api_app_id)),
  };
};

/** The permalink of a message, from the workspace URL; empty when that is not known. */
export const permalink = (teamUrl: string | undefined, channel: string, ts: string): string =>
  teamUrl ? `${teamUrl.replace(/\/?$/, '/')}archives/${channel}/p${ts.replace('.', '')}` : '';

/** Why a message does not start a Task for this spawner, or undefined when it does. Throws on an invalid pattern. */
export const slackMismatch = (spec: Slack, facts: SlackFacts): string | undefined => {
  if (!SAID.has(facts.subtype)) return `message subtype ${facts.subtype} is not a message`;
  if (spec.channels?.length && !spec.channels.includes(facts.channel))
    return `channel ${facts.channel} is not in channels`;
  const policy = spec.botMessagePolicy ?? 'None';
  if (facts.fromBot && policy === 'None') return 'bot messages are not accepted (botMessagePolicy None)';
  if (facts.fromBot && facts.fromSelf && policy === 'OthersOnly')
    return "this app's own messages are not accepted (botMessagePolicy OthersOnly)";
  if (spec.excludePatterns?.some((p) => re2Test(p, facts.text)))
    return 'the message matches an excludePatterns';
  const triggers = spec.triggers?.length ? spec.triggers : [{}];
  const fired = triggers.some(
    (t) => (facts.mentioned || t.mentionOptional === true) && (!t.pattern || re2Test(t.pattern, facts.text)),
  );
  if (!fired) return facts.mentioned ? 'no trigger pattern matches' : 'the bot is not mentioned';
  return undefined;
};

/** Matches a Slack message against a `slack` spawner. */
export const matchSlack = (spec: Slack, delivery: Delivery): MatchResult => {
  const facts = slackFacts(delivery);
  let why: string | undefined;
  try {
    why = slackMismatch(spec, facts);
  } catch (e) {
    why = (e as Error).message;
  }
  if (why !== undefined) return { matched: false, reason: why };
  const slash = facts.triggerId !== undefined;
  if (slash && !facts.triggerId) return { matched: false, reason: 'the slash command has no trigger_id' };
  return {
    matched: true,
    id: hashedId('slack', slash ? (facts.triggerId ?? '') : `${facts.channel}-${facts.ts}`),
    vars: {
      ID: slash ? (facts.triggerId ?? '') : facts.ts,
      Title: facts.text.split('\n', 1)[0] ?? '',
      Body: facts.text,
      URL: slash ? '' : permalink(delivery.enrichment?.slackTeamUrl, facts.channel, facts.ts),
      Kind: 'SlackMessage',
    },
    annotations: {
      [SlackAnnotations.Channel]: facts.channel,
      // A slash command's thread is the "accepted" message the intake posts for it.
      ...(facts.threadTs ? { [SlackAnnotations.ThreadTs]: facts.threadTs } : {}),
      [SlackAnnotations.User]: facts.user,
    },
  };
};
