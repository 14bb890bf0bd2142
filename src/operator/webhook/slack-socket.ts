/**
 * Slack through Socket Mode: the operator dials out to Slack (no public endpoint, no request
 * signing to check), receives Events API and slash command envelopes over a WebSocket,
 * acknowledges them and turns message events and slash commands into {@link Delivery}s for
 * `matchDelivery`; it replies in the thread with `chat.postMessage`.
 *
 * Tokens: Socket Mode belongs to one Slack app, so, as upstream's `kelos-slack-server`, the
 * cluster has one: a Secret in the operator's namespace with `SLACK_APP_TOKEN` (the app-level
 * `xapp-` token, scope `connections:write`) and `SLACK_BOT_TOKEN` (the `xoxb-` bot token:
 * `chat:write`, plus `channels:history`/`groups:history` for the message events), handed to
 * the operator as environment variables ({@link slackTokensFromEnv}). Every `slack` spawner in
 * the cluster hears that app; `channels` narrows a spawner to its own channels.
 *
 * Written on undici's `WebSocket` (the one Node ships as a global, from the undici we depend on
 * for its `ping`) and `fetch` instead of `@slack/socket-mode`, which brings `ws`, axios and the
 * whole Web API client for the four calls made here (open, hello, ack, disconnect) and retries
 * on a schedule of its own that would not honour our timeouts.
 *
 * Delivery guarantees: an envelope is acknowledged after `onDelivery` resolves. If it throws
 * or outlives the ack deadline the envelope is left unacknowledged and Slack redelivers it;
 * the Task name derives from channel and timestamp, so a redelivery creates nothing twice.
 * A slash command is different: Slack never sends one again, and one not acknowledged in
 * 3 s shows its asker `operation_timeout` though its Task may be on the way. So it is always
 * acknowledged, with what `onDelivery` resolved to for the asker (or why it failed); at the
 * deadline, with "working on it", and the outcome follows through the command's
 * `response_url` once `onDelivery` settles.
 * Nothing here can end the process: every failure is logged and followed by a reconnect with
 * exponential backoff, every HTTP call has a timeout, and a connection that says no `hello`
 * in time is dropped.
 *
 * Logging of failures: with Slack out of reach the client redials every 20 to 30 s for as long
 * as the outage lasts, and a `warn` line per try buried the log while saying nothing new. As a
 * failing spawner is (`failure-log.ts`), it is logged when it starts and when its message
 * changes, then at most once per `failureLogIntervalMs` with the tries since, and once more,
 * at `info`, when a connection says hello again; each message names the URL and the cause.
 *
 * Liveness: a connection whose peer vanished without a close (a NAT or proxy that dropped the
 * flow, a Slack host gone) stays OPEN for as long as nothing is written to it, and a quiet
 * workspace writes nothing, so the spawners would hear nothing until the next restart. The
 * client pings every `heartbeat.intervalMs` and drops and redials a connection from which no
 * frame, ping or pong arrived for `heartbeat.timeoutMs`, as Slack's own SDK does.
 *
 * @packageDocumentation
 */
import { channel } from 'node:diagnostics_channel';
import { ping, WebSocket as UndiciWebSocket } from 'undici';
import { type Logger, silentLogger } from '../../kube/log.ts';
import {
  decideFailureLog,
  FAILURE_LOG_INTERVAL_MS,
  type FailureLog,
} from '../reconcilers/task-spawner/failure-log.ts';
import { fetchNamed, jsonOf } from '../spawner/github-client.ts';
import type { Delivery } from './delivery.ts';
import { obj, str } from './delivery.ts';
import { SLASH_COMMAND } from './slack-event.ts';

/** The Slack tokens of the cluster's Slack app. */
export interface SlackTokens {
  /** App-level token (`xapp-…`) for `apps.connections.open`. */
  readonly appToken: string;
  /** Bot token (`xoxb-…`) for `auth.test` and `chat.postMessage`. */
  readonly botToken: string;
}

/** The tokens from `SLACK_APP_TOKEN` and `SLACK_BOT_TOKEN`; undefined when Slack is not configured. */
export const slackTokensFromEnv = (env: NodeJS.ProcessEnv): SlackTokens | undefined => {
  const appToken = env.SLACK_APP_TOKEN?.trim();
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  if (!appToken && !botToken) return undefined;
  if (!appToken?.startsWith('xapp-')) throw new Error('SLACK_APP_TOKEN must be an app-level token (xapp-…)');
  if (!botToken?.startsWith('xoxb-')) throw new Error('SLACK_BOT_TOKEN must be a bot token (xoxb-…)');
  return { appToken, botToken };
};

/**
 * Whether the client can receive: connected (a connection said `hello`), or not, with the
 * failure of the last try. The TaskSpawner reconciler puts it in every Slack spawner's status.
 */
export interface SlackConnectionState {
  readonly connected: boolean;
  /** Since when it is connected, or failing. */
  readonly since: number;
  /** Why the last try failed, naming the URL and the cause; unset while connected or before the first try ends. */
  readonly lastError?: string;
}

/** Options of {@link SlackSocketClient}. */
export interface SlackSocketOptions extends SlackTokens {
  /**
   * Receives each message event and slash command; resolve to have the envelope acknowledged.
   * For a slash command, the text it resolves to is shown to the asker (only them).
   */
  readonly onDelivery: (delivery: Delivery) => Promise<void> | Promise<string | undefined>;
  /** Web API base. @default 'https://slack.com/api/' */
  readonly apiBaseUrl?: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly log?: Logger;
  /**
   * Called when {@link SlackSocketClient.connection} changes: connected, disconnected, or a
   * new failure. Not on every failed try: an outage that fails alike calls it once.
   */
  readonly onStateChange?: (state: SlackConnectionState) => void;
  /** At most one `warn` line per this long while connecting keeps failing the same way. @default 5 minutes */
  readonly failureLogIntervalMs?: number;
  /** Timeout of each Web API call. @default 10000 */
  readonly callTimeoutMs?: number;
  /** How long a new connection may take to say `hello`. @default 10000 */
  readonly helloTimeoutMs?: number;
  /** How long `onDelivery` may take before the envelope is left for Slack to redeliver (Slack waits 3 s). @default 2500 */
  readonly ackDeadlineMs?: number;
  /** Reconnect backoff, doubled per failed attempt up to `maxMs`, with jitter. @default {initialMs: 1000, maxMs: 30000} */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * Ping every `intervalMs`; drop and redial a connection not heard from (frame, ping or pong)
   * for `timeoutMs`. @default {intervalMs: 10000, timeoutMs: 30000}
   */
  readonly heartbeat?: { readonly intervalMs: number; readonly timeoutMs: number };
}

/** Counters of the client, for metrics and tests. */
export interface SlackSocketStats {
  /** Connections that said `hello`. */
  connections: number;
  acks: number;
  deliveries: number;
  /** Deliveries whose handler failed or missed the ack deadline (left for redelivery). */
  unacked: number;
  /** Slash commands acknowledged at the deadline with "working on it", their outcome sent later. */
  deferred: number;
  /** Follow-ups posted to slash commands' `response_url`s. */
  followUps: number;
  /** Connections dropped because nothing was heard from them for the heartbeat's timeout. */
  silent: number;
}

/** What a slash command's asker is told when its handling outlives the ack deadline. */
export const SLASH_WORKING =
  ':hourglass_flowing_sand: Working on it: Kelos is still taking this command; the outcome follows here.';

/** What the asker is told afterwards when the handling had nothing more to say. */
export const SLASH_DONE = 'Done: Kelos has taken this command.';

/** What the asker is told when the handling failed: Slack never resends a slash command. */
export const slashFailedText = (e: unknown): string =>
  `:warning: Kelos could not take this command (${e instanceof Error ? e.message : String(e)}). Run it again.`;

/** An error's message, for comparing one failure with the next. */
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Message event types that carry someone's words (`app_mention` duplicates `message`, deduped by Task name). */
const MESSAGE_EVENTS = new Set(['message', 'app_mention']);

/**
 * When each open socket last heard a ping or pong frame. undici hands control frames only to
 * these process-wide diagnostics channels, so one subscription serves every client.
 */
const heardControl = new WeakMap<object, number>();
const onControlFrame = (message: unknown): void => {
  const ws = (message as { websocket?: object }).websocket;
  if (ws) heardControl.set(ws, Date.now());
};
channel('undici:websocket:ping').subscribe(onControlFrame);
channel('undici:websocket:pong').subscribe(onControlFrame);

/** One Socket Mode connection, kept open (reconnecting) from {@link start} until {@link stop}. */
export class SlackSocketClient {
  readonly stats: SlackSocketStats = {
    connections: 0,
    acks: 0,
    deliveries: 0,
    unacked: 0,
    silent: 0,
    deferred: 0,
    followUps: 0,
  };
  readonly #o: SlackSocketOptions;
  readonly #log: Logger;
  readonly #fetch: typeof globalThis.fetch;
  #socket: UndiciWebSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = true;
  #teamUrl: string | undefined;
  /** The connection failure being logged, so a redial that fails alike is not a new `warn` line. */
  #failureLog: FailureLog | undefined;
  /** Likewise for `auth.test`, whose failure only costs permalinks. */
  #authFailureLog: FailureLog | undefined;
  #state: SlackConnectionState = { connected: false, since: Date.now() };

  constructor(options: SlackSocketOptions) {
    this.#o = options;
    this.#log = (options.log ?? silentLogger).child({ component: 'slack-socket' });
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Whether it can receive now, and if not, why. */
  get connection(): SlackConnectionState {
    return this.#state;
  }

  #setState(next: SlackConnectionState): void {
    const prev = this.#state;
    if (prev.connected === next.connected && prev.lastError === next.lastError) return;
    this.#state = next;
    this.#o.onStateChange?.(next);
  }

  /** Connects, and keeps reconnecting until {@link stop}. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#later(0);
  }

  /** Closes the connection; no reconnect follows. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#drop(this.#socket, 1000, 'stopping');
  }

  /** Posts `text` in a thread (or the channel when `threadTs` is empty), as the bot; resolves with the new message's `ts`. */
  async postMessage(channel: string, text: string, threadTs?: string): Promise<string> {
    const r = await this.#call('chat.postMessage', this.#o.botToken, {
      channel,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return str(r.ts);
  }

  /** A Web API call: POST JSON with a bearer token and a timeout; throws on a transport error or `ok: false`. */
  async #call(
    method: string,
    token: string,
    body: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    const base = (this.#o.apiBaseUrl ?? 'https://slack.com/api/').replace(/\/?$/, '/');
    const url = `${base}${method}`;
    const timeoutMs = this.#o.callTimeoutMs ?? 10_000;
    // Named errors: "fetch failed" alone said neither which host nor why (DNS, refused, TLS).
    const res = await fetchNamed(this.#fetch, 'Slack', url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      timeoutMs,
    });
    const json = obj(await jsonOf<unknown>(res, 'Slack', 'POST', url));
    if (json.ok !== true) throw new Error(`Slack ${method}: ${str(json.error) || `HTTP ${res.status}`}`);
    return json;
  }

  get #logEveryMs(): number {
    return this.#o.failureLogIntervalMs ?? FAILURE_LOG_INTERVAL_MS;
  }

  /** Reads the workspace's URL for permalinks; a failure costs only those, so it is logged and passed. */
  async #authTest(): Promise<void> {
    try {
      this.#teamUrl = str((await this.#call('auth.test', this.#o.botToken)).url);
    } catch (e) {
      const d = decideFailureLog(this.#authFailureLog, [errorText(e)], false, Date.now(), this.#logEveryMs);
      this.#authFailureLog = d.next;
      this.#log[d.level ?? 'debug']('Slack auth.test failed; messages will have no permalink', {
        error: e,
        ...d.fields,
      });
      return;
    }
    if (!this.#authFailureLog) return;
    const d = decideFailureLog(this.#authFailureLog, [], false, Date.now());
    this.#authFailureLog = undefined;
    this.#log.info('Slack auth.test answered; messages have permalinks again', { ...d.fields });
  }

  #later(delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#connect().catch((e: unknown) => this.#failed('connecting failed', e));
    }, delayMs);
  }

  #failed(msg: string, error: unknown): void {
    if (this.#stopped) return;
    const b = this.#o.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    const delay = Math.min(b.maxMs, b.initialMs * 2 ** this.#failures) * (0.5 + Math.random() / 2);
    this.#failures = Math.min(this.#failures + 1, 30);
    const failure = `${msg}: ${errorText(error)}`;
    const d = decideFailureLog(this.#failureLog, [failure], false, Date.now(), this.#logEveryMs);
    this.#failureLog = d.next;
    this.#log[d.level ?? 'debug'](msg, { error, retryInMs: Math.round(delay), ...d.fields });
    const prev = this.#state;
    this.#setState({
      connected: false,
      since: prev.connected || prev.lastError === undefined ? Date.now() : prev.since,
      lastError: errorText(error),
    });
    this.#later(delay);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const url = str((await this.#call('apps.connections.open', this.#o.appToken)).url);
    if (!url) throw new Error('Slack apps.connections.open returned no url');
    // After the open, so a Slack out of reach is one failure, not this one besides.
    if (this.#teamUrl === undefined) await this.#authTest();
    if (this.#stopped) return;
    this.#open(url);
  }

  #open(url: string): void {
    const ws = new UndiciWebSocket(url);
    this.#socket = ws;
    let hello = false;
    let heardFrame = Date.now();
    const beat = this.#o.heartbeat ?? { intervalMs: 10_000, timeoutMs: 30_000 };
    const heartbeat = setInterval(() => {
      if (this.#socket !== ws) return clearInterval(heartbeat); // Dropped; its close may never come.
      if (!hello) return;
      const heard = Math.max(heardFrame, heardControl.get(ws) ?? 0);
      if (Date.now() - heard >= beat.timeoutMs) {
        this.stats.silent++;
        this.#drop(ws, 4000, 'silent');
        this.#failed(
          'Slack connection silent past the heartbeat timeout; redialling',
          new Error(`nothing heard from ${new URL(url).host} for ${beat.timeoutMs} ms`),
        );
      } else ping(ws);
    }, beat.intervalMs).unref();
    const helloTimer = setTimeout(() => {
      if (!hello) {
        this.#drop(ws, 4000, 'no hello');
        this.#failed(
          'Slack connection said no hello in time',
          new Error(`no hello from ${new URL(url).host} within ${this.#o.helloTimeoutMs ?? 10_000} ms`),
        );
      }
    }, this.#o.helloTimeoutMs ?? 10_000);
    ws.addEventListener('message', (ev: MessageEvent) => {
      heardFrame = Date.now();
      let envelope: Record<string, unknown>;
      try {
        envelope = obj(JSON.parse(String(ev.data)));
      } catch {
        this.#log.warn('Slack sent a frame that is not JSON');
        return;
      }
      if (envelope.type === 'hello') {
        hello = true;
        clearTimeout(helloTimer);
        this.#failures = 0;
        this.stats.connections++;
        const d = decideFailureLog(this.#failureLog, [], false, Date.now());
        this.#failureLog = undefined;
        this.#setState({ connected: true, since: Date.now() });
        this.#log.info('Slack Socket Mode connected', {
          connections: obj(envelope).num_connections,
          host: new URL(url).host,
          ...d.fields,
        });
        return;
      }
      this.#onEnvelope(ws, envelope).catch((e: unknown) =>
        this.#log.error('Slack envelope failed', { error: e }),
      );
    });
    ws.addEventListener('error', () => {
      // The close event follows and reconnects; an error carries nothing more to say.
    });
    ws.addEventListener('close', (ev: CloseEvent) => {
      clearTimeout(helloTimer);
      clearInterval(heartbeat);
      if (this.#socket !== ws) return;
      this.#socket = undefined;
      if (hello) {
        this.#log.info('Slack connection closed; reconnecting', { code: ev.code });
        this.#later(0);
      } else
        this.#failed(
          'Slack connection closed before hello',
          new Error(`the WebSocket to ${new URL(url).host} closed with code ${ev.code}`),
        );
    });
  }

  /** Closes a socket whatever its state, without letting its close reconnect. */
  #drop(ws: UndiciWebSocket | undefined, code: number, reason: string): void {
    if (!ws) return;
    if (this.#socket === ws) this.#socket = undefined;
    try {
      ws.close(code, reason);
    } catch {
      // Already closed or never opened: nothing to do.
    }
  }

  async #onEnvelope(ws: UndiciWebSocket, envelope: Record<string, unknown>): Promise<void> {
    if (envelope.type === 'disconnect') {
      const reason = str(envelope.reason);
      this.#log.info('Slack asked to reconnect', { reason });
      this.#drop(ws, 1000, reason);
      if (reason === 'link_disabled')
        this.#failed(
          'Slack disabled Socket Mode for the app',
          new Error('Slack disabled Socket Mode for the app (disconnect reason link_disabled)'),
        );
      else this.#later(0);
      return;
    }
    const id = str(envelope.envelope_id);
    if (!id) return;
    const payload = obj(envelope.payload);
    const event = obj(payload.event);
    const slash = envelope.type === 'slash_commands';
    if (
      !slash &&
      (envelope.type !== 'events_api' ||
        payload.type !== 'event_callback' ||
        !MESSAGE_EVENTS.has(str(event.type)))
    ) {
      this.#ack(ws, id); // Not ours to act on; acknowledged so Slack does not redeliver it.
      return;
    }
    this.stats.deliveries++;
    const delivery: Delivery = {
      source: 'slack',
      event: slash ? SLASH_COMMAND : 'message',
      deliveryId: str(slash ? payload.trigger_id : payload.event_id),
      payload,
      ...(this.#teamUrl ? { enrichment: { slackTeamUrl: this.#teamUrl } } : {}),
    };
    if (slash) return this.#onSlashCommand(ws, id, delivery);
    let deadline: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#o.onDelivery(delivery),
        new Promise((_, reject) => {
          deadline = setTimeout(
            () => reject(new Error('ack deadline passed')),
            this.#o.ackDeadlineMs ?? 2500,
          );
        }),
      ]);
      this.#ack(ws, id);
    } catch (e) {
      this.stats.unacked++;
      this.#log.warn('Slack message not handled; left for redelivery', {
        error: e,
        eventId: delivery.deliveryId,
      });
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * A slash command: acknowledged with its outcome when `onDelivery` settles within the
   * deadline, else at the deadline with {@link SLASH_WORKING} and the outcome posted to its
   * `response_url` when it settles.
   */
  async #onSlashCommand(ws: UndiciWebSocket, envelopeId: string, delivery: Delivery): Promise<void> {
    const handled: Promise<unknown> = this.#o.onDelivery(delivery);
    const outcome = handled.then(
      (text) => (typeof text === 'string' ? text : undefined),
      (e: unknown) => {
        this.#log.warn('Slack slash command not handled', { error: e, triggerId: delivery.deliveryId });
        return slashFailedText(e);
      },
    );
    let deadline: NodeJS.Timeout | undefined;
    const late = Symbol('late');
    const first = await Promise.race([
      outcome,
      new Promise<typeof late>((resolve) => {
        deadline = setTimeout(() => resolve(late), this.#o.ackDeadlineMs ?? 2500);
      }),
    ]);
    clearTimeout(deadline);
    if (first !== late) {
      this.#ack(ws, envelopeId, first);
      return;
    }
    this.#ack(ws, envelopeId, SLASH_WORKING);
    this.stats.deferred++;
    const text = (await outcome) ?? SLASH_DONE;
    const url = str(obj(delivery.payload).response_url);
    try {
      await this.#followUp(url, text);
      this.stats.followUps++;
    } catch (e) {
      this.#log.warn('Slack slash command outcome not posted to its response_url', {
        error: e,
        triggerId: delivery.deliveryId,
      });
    }
  }

  /**
   * Posts `text` to a slash command's `response_url`, for its asker only. The URL comes in a
   * payload, so only an https one (Slack's `hooks.slack.com`) or one on the Web API's origin
   * (a stand-in) is called.
   */
  async #followUp(url: string, text: string): Promise<void> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new Error(`response_url ${JSON.stringify(url)} is not a URL`);
    }
    const api = new URL(this.#o.apiBaseUrl ?? 'https://slack.com/api/');
    if (target.protocol !== 'https:' && target.origin !== api.origin)
      throw new Error(`response_url ${target.origin} is not https`);
    const res = await this.#fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ response_type: 'ephemeral', text }),
      signal: AbortSignal.timeout(this.#o.callTimeoutMs ?? 10_000),
    });
    const answer = await res.text();
    if (!res.ok) throw new Error(`response_url: HTTP ${res.status} ${answer.slice(0, 200)}`);
  }

  /** Acknowledges an envelope; `text` answers a slash command's asker (only them). */
  #ack(ws: UndiciWebSocket, envelopeId: string, text?: string): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(
      JSON.stringify({
        envelope_id: envelopeId,
        ...(text ? { payload: { response_type: 'ephemeral', text } } : {}),
      }),
    );
    this.stats.acks++;
  }
}
