/**
 * The webhook receiver: `POST /webhook/github`, `POST /webhook/linear` and
 * `POST /webhook/<source>` (generic senders; a generic source named `github` or `linear` is
 * shadowed, as behind upstream's Ingress). Upstream's per-source servers listen on `/`: a POST
 * to `/` carrying `X-GitHub-Event` or `Linear-Signature` is taken as GitHub or Linear, so
 * existing settings keep working.
 *
 * Every replica accepts deliveries (no leader needed): what must be exact across replicas
 * (dedupe, `maxTotalTasks`) is decided in the API server (AlreadyExists, the ledger's
 * optimistic-concurrency writes), never in one process's memory. The order of checks keeps a
 * hostile request cheap: method, route, content type and size are checked before the body is
 * read; the signature before it is parsed; nothing is created before all of that passed.
 *
 * GitHub may post form-encoded (`payload=<JSON>`, its webhook form's default content type):
 * verified over the body as sent, then parsed from the `payload` field.
 *
 * Answers: 405/404/415/413/400 for bad requests (404 also for a route no spawner receives),
 * 401 when no spawner's secret verifies the delivery (or a timestamp is stale), 429 with
 * `Retry-After` when a spawner's queue is full, 422 when a spawner's template renders a Task that cannot run for the delivery (a branch git
 * refuses: nothing created or recorded, so it can be sent again once the template is fixed),
 * 500/503 for transient failures (the sender retries; dedupe makes that safe; a Secret that
 * could not be read answers 503 only when no other spawner took the delivery, else the
 * delivery is checked again for its spawner in the background), else 200 with a
 * JSON body naming, per spawner the delivery verified for, what became of it (`created`,
 * `duplicate`, `filtered`, `suspended`, `over-limit`, `invalid`). A request sent again (a
 * sender's retry after a timeout, or a captured one replayed inside the signature's window) is
 * answered as any delivery is, by the dedupe: 200 and `duplicate` with the Task's name, as a
 * GitHub redelivery is. A refusal there would tell a sender whose first answer was lost that
 * its delivery failed, and it would retry and alert, while a replay is a duplicate by the same dedupe.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { Task, TaskSpawner } from '../../api/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { Clock } from '../../kube/clock.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { type EndpointLimits, type EndpointServer, originForm, serveHardened } from '../../kube/http.ts';
import type { Informer } from '../../kube/informer.ts';
import type { Logger, LogLevel } from '../../kube/log.ts';
import { LogSampler } from '../../kube/log-sampler.ts';
import type { ContextFetcher } from '../reconcilers/task-spawner/context-fetch.ts';
import { SourceAnnotations } from '../spawner/annotations.ts';
import {
  contentTypeProblem,
  DEFAULT_MAX_BODY_BYTES,
  discardBody,
  FORM_CONTENT_TYPE,
  jsonText,
  MAX_PAYLOAD_DEPTH,
  MAX_UNSIGNED_BODY_BYTES,
  mediaType,
  nestsDeeperThan,
  parseDelivery,
  type Refusal,
  readBody,
} from './body.ts';
import { deliverTo, type Outcome } from './deliver.ts';
import type { Enricher } from './enrich.ts';
import { Ledgers } from './ledger.ts';
import type { LinearLabelFetcher } from './linear-api.ts';
import { linearEventDigest, linearFacts } from './linear-event.ts';
import {
  type Delivery,
  type DeliveryEnrichment,
  enrichmentNeeded,
  type MatchResult,
  matchDelivery,
  type WebhookSource,
} from './match.ts';
import { type ClusterSecrets, SecretCache } from './secrets.ts';
import { checkLinearTimestamp, SignatureHeaders } from './signature.ts';
import { type CreatedFor, SpawnerNotices } from './spawner-notices.ts';
import { ledgerSeed } from './task-delivery.ts';
import { verifyFor } from './verify.ts';

/** Limits of the receiver: upstream's server timeouts, more connections than the probes get. */
export const RECEIVER_LIMITS: EndpointLimits = {
  maxUrlBytes: 2048,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

/** Seconds a sender is asked to wait when a queue is full. */
export const RETRY_AFTER_SECONDS = 30;

const GENERIC_SOURCE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Options of {@link WebhookReceiver}. */
export interface ReceiverOptions {
  /** A client without the leader write fence: every replica creates Tasks. */
  readonly client: KubeClient;
  readonly spawners: Informer<TaskSpawner>;
  /** Tasks, indexed by spawner (`addTaskIndexes`). */
  readonly tasks: Informer<Task>;
  /** Whether generic spawners in `namespace` may receive unsigned deliveries (KelosConfig). */
  readonly allowUnsigned: (namespace: string) => boolean;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry?: Registry;
  readonly clusterSecrets?: ClusterSecrets;
  /** Whether spawners in `namespace` may use `clusterSecrets` (KelosConfig); default every namespace. */
  readonly clusterSecretAllowed?: (namespace: string) => boolean;
  readonly maxBodyBytes?: number;
  readonly limits?: Partial<EndpointLimits>;
  readonly ledger?: { readonly retentionMs?: number; readonly maxEntries?: number };
  readonly onError?: (source: 'client' | 'handler', err: unknown) => void;
  /** Fetches what a spawner's filters need beyond the body (`enrichmentNeeded`); unset: nothing is fetched. */
  readonly enrich?: Enricher;
  /**
   * Fetches a Linear issue's labels (the operator's `LINEAR_API_KEY`), for filters that judge a
   * Comment delivery by them; unset: such deliveries are `invalid` for those spawners.
   */
  readonly linearLabels?: LinearLabelFetcher;
  /** Fetches a spawner's `contextSources` (the poll loop's fetcher); unset: such spawners get `invalid`. */
  readonly context?: ContextFetcher;
  /** Delays of the re-checks of a delivery a spawner's Secret could not be read for. @default {@link RECHECK_DELAYS_MS} */
  readonly recheckDelaysMs?: readonly number[];
}

/**
 * When a delivery other spawners took is checked again for a spawner whose Secret could not
 * be read (ms after the previous try): about half a minute in all, long enough for an API
 * server's hiccup, short enough to hold little.
 */
export const RECHECK_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000];

/** Most deliveries held for re-checks at once; past it (or {@link MAX_RECHECK_BYTES}) one is dropped at once, with its Event. */
export const MAX_RECHECKS = 100;

/** Most body bytes held for re-checks at once. */
export const MAX_RECHECK_BYTES = 64 * 1024 * 1024;

/**
 * Which source a request is for, or why it is refused; a request refused for its method still
 * names the route's source, for its access line.
 */
export function routeOf(
  method: string | undefined,
  target: string,
  headers: IncomingMessage['headers'],
):
  | { readonly source: WebhookSource; readonly event?: string }
  | (Refusal & { readonly source?: WebhookSource }) {
  const url = originForm(target);
  if (!url) return { status: 400, message: 'bad request target' };
  const parts = url.path.split('/');
  let route: { source: WebhookSource; event?: string } | undefined;
  if (url.path === '/' || url.path === '') {
    if (headers['x-github-event']) route = { source: 'github' };
    else if (headers[SignatureHeaders.Linear]) route = { source: 'linear' };
  } else if (parts.length === 3 && parts[0] === '' && parts[1] === 'webhook') {
    const seg = parts[2]!;
    if (seg === 'github') route = { source: 'github' };
    else if (seg === 'linear') route = { source: 'linear' };
    else if (GENERIC_SOURCE.test(seg) && seg.length <= 253) route = { source: 'generic', event: seg };
  }
  if (!route)
    return {
      status: 404,
      message: 'not found: POST to /webhook/github, /webhook/linear or /webhook/<source>',
    };
  if (method !== 'POST')
    return { status: 405, message: 'method not allowed: deliveries are POSTed', source: route.source };
  return route;
}

/** The field of `spec.when` that makes a TaskSpawner receive GitHub's or Linear's deliveries. */
const WHEN_FIELD = {
  github: { field: 'spec.when.githubWebhook', sender: 'GitHub', header: 'X-GitHub-Event' },
  linear: { field: 'spec.when.linearWebhook', sender: 'Linear', header: 'Linear-Signature' },
} as const;

/**
 * Why no spawner takes a route, for a sender (or the engineer pointing it here) who typed the
 * path: each names the path and the `spec.when` field that would serve it (a generic source
 * names its own path), and Slack's Events API is not served over HTTP. `root`: the request
 * came to `/`, routed by its header.
 */
const noReceiver = (
  route: { readonly source: WebhookSource; readonly event?: string },
  root = false,
): string => {
  if (route.source === 'github' || route.source === 'linear') {
    const w = WHEN_FIELD[route.source];
    const at = root ? `/ (with ${w.header})` : `/webhook/${route.source}`;
    return `no TaskSpawner receives deliveries at ${at}: a TaskSpawner with ${w.field} receives ${w.sender}'s deliveries`;
  }
  const slack =
    route.event === 'slack'
      ? "; Slack's events are not taken over HTTP: a TaskSpawner with when.slack receives them through Socket Mode"
      : '';
  return `no TaskSpawner receives deliveries at /webhook/${route.event}: a generic webhook TaskSpawner's spec.when.webhook.source names its path${slack}`;
};

/** What {@link WebhookReceiver} learned of a request before answering it. */
interface Seen {
  source: string;
  /** The body was read to its end: nothing of this request is left on the connection. */
  bodyRead: boolean;
  /** A webhook route no TaskSpawner receives (a sender or a spawner pointed at the wrong path). */
  unserved?: boolean;
  /** The spawners that take the route: named in the access line of a delivery refused for them. */
  candidates?: readonly TaskSpawner[];
  /** The delivery's id, once the body is parsed. */
  delivery?: string;
  /** What became of the delivery per spawner, once it was delivered. */
  results?: readonly ({ readonly taskSpawner: string } & Outcome)[];
  /** A spawner's secret verified the delivery: its sender holds that secret. */
  signed?: boolean;
}

/** The `msg` of the line that counts the access lines of a window that were not written. */
export const ACCESS_SUMMARY_MSG = 'Webhook delivery answers not logged';

/**
 * Whether a request's access line is always written: the delivery was signed by a spawner's
 * secret, or made a Task. Their number is bounded by real senders' traffic (and the Tasks they
 * make); everything else, refusals above all, whoever reaches the port can send at any rate, so
 * those lines are sampled. So is a delivery that only found its Tasks again: a signed delivery
 * captured once can be replayed at any rate (GitHub's carry no timestamp), and each answer
 * after the first says nothing new.
 */
export const alwaysLogged = (
  signed: boolean,
  outcomes: readonly { readonly outcome: string }[] | undefined,
): boolean => {
  const again = !!outcomes?.length && outcomes.every((o) => o.outcome === 'duplicate');
  return !again && (signed || !!outcomes?.some((o) => o.outcome === 'created'));
};

/** Outcomes that mean a spawner's setup is at fault: a person has to look. */
const SETUP_OUTCOMES: ReadonlySet<string> = new Set(['invalid', 'rejected', 'failed', 'queue-full']);

/**
 * The level of a delivery's access line: `warn` when someone has to fix something (a signature
 * or timestamp that does not verify, a route no spawner receives, a spawner that cannot take
 * it, a queue that is full) or the sender is told to retry (5xx); `info` for what was taken
 * (created, duplicate, filtered, …) and for requests that are simply malformed (405, 404 for a
 * path that is no webhook route, 415, 413, 400), which a scanner on an exposed port sends.
 */
export function accessLevel(
  status: number,
  unserved: boolean,
  outcomes: readonly { readonly outcome: string }[] | undefined,
): LogLevel {
  if (status === 401 || status === 429 || status >= 500 || unserved) return 'warn';
  if (outcomes?.some((o) => SETUP_OUTCOMES.has(o.outcome))) return 'warn';
  return 'info';
}

/** The request target without its query (which may carry a token) and capped for the log line. */
const pathOf = (target: string | undefined): string => {
  const t = target ?? '';
  const q = t.indexOf('?');
  const path = q < 0 ? t : t.slice(0, q);
  return path.length > 256 ? `${path.slice(0, 256)}…` : path;
};

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The receiver. */
export class WebhookReceiver {
  readonly #o: ReceiverOptions;
  readonly #secrets: SecretCache;
  readonly #ledgers: Ledgers;
  readonly #notices: SpawnerNotices;
  readonly #requests: Counter<'source' | 'code'>;
  readonly #outcomes: Counter<'outcome'>;
  /** Deliveries held to be checked again ({@link WebhookReceiver.#recheck}), and their bytes. */
  readonly #rechecks = { count: 0, bytes: 0 };
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Samples the access lines a sender controls the number of ({@link alwaysLogged}). */
  readonly #sampler: LogSampler;
  #server: EndpointServer | undefined;

  constructor(o: ReceiverOptions) {
    this.#o = o;
    this.#secrets = new SecretCache(o.client, o.clock, o.clusterSecrets, o.clusterSecretAllowed);
    this.#ledgers = new Ledgers({
      client: o.client,
      clock: o.clock,
      ...o.ledger,
      seed: (s) => ledgerSeed(s, o.tasks),
      spawners: o.spawners,
      onRecorded: (s, total) => this.#notices.recorded(s, total),
    });
    this.#notices = new SpawnerNotices(o.client, o.events, o.clock, o.log);
    this.#sampler = new LogSampler({ log: o.log, clock: o.clock, summary: ACCESS_SUMMARY_MSG });
    const registers = o.registry ? [o.registry] : [];
    this.#requests = new Counter({
      name: 'kelos_webhook_requests_total',
      help: 'Webhook requests answered, by source and HTTP status.',
      labelNames: ['source', 'code'],
      registers,
    });
    this.#outcomes = new Counter({
      name: 'kelos_webhook_deliveries_total',
      help: 'What became of verified webhook deliveries per spawner: created, duplicate, filtered, suspended, over-limit, queue-full, invalid, rejected, failed; dropped: taken by other spawners, never checked for this one (its Secret could not be read).',
      labelNames: ['outcome'],
      registers,
    });
  }

  /** Listens on `addr`; resolves with the bound address. */
  async listen(addr: string): Promise<string | undefined> {
    this.#server = await serveHardened(addr, (req, res) => this.#handle(req, res), {
      limits: { ...RECEIVER_LIMITS, ...this.#o.limits },
      ...(this.#o.onError ? { onError: this.#o.onError } : {}),
    });
    return this.#server?.address;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    await this.#server?.close();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#notices.stop();
    this.#sampler.flush();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const seen: Seen = { source: 'unknown', bodyRead: false };
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.#requests.inc({ source: seen.source, code: String(status) });
      this.#accessLine(req, seen, status, typeof body === 'string' ? body : undefined, started);
      if (res.headersSent || res.destroyed) return;
      const text = `${typeof body === 'string' ? JSON.stringify({ error: body }) : JSON.stringify(body)}\n`;
      res.writeHead(status, {
        'content-type': 'application/json',
        // A known length: one write with the headers, no chunked framing.
        'content-length': String(Buffer.byteLength(text)),
        'cache-control': 'no-store',
        // A request refused before its body was read may leave body bytes unread: close
        // rather than parse them as the next request. Once the body was read whole (a bad
        // signature), the connection is kept: a sender retrying, or a flood of wrongly signed
        // deliveries, costs no new connection per request.
        ...(status >= 400 && !seen.bodyRead ? { connection: 'close' } : {}),
        ...headers,
      });
      if (seen.bodyRead || req.complete) {
        res.end(text);
        return;
      }
      // The sender may still be writing the body (no `Expect: 100-continue`): the answer goes
      // out now, the connection closes once the rest is thrown away (discardBody says why).
      res.write(text);
      void discardBody(req, 2 * (this.#o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)).then(() => {
        if (!res.destroyed) res.end();
      });
    };
    this.#process(req, seen).then(
      (r) => reply(r.status, r.body, r.headers),
      (err: unknown) => {
        this.#o.onError?.('handler', err);
        this.#o.log.error('Webhook delivery failed', { error: err });
        reply(500, 'internal error; retry the delivery');
      },
    );
  }

  /**
   * One line per request answered, as any HTTP service's access log: route, source, the
   * spawners and what became of the delivery for each (Task names, reasons), the status, or why
   * it was refused. Never a header's value nor the body: those carry signatures and payloads.
   * Lines not {@link alwaysLogged} are sampled per route, status and outcome: a flood of
   * refusals is a few lines and a count per minute, not a line each.
   */
  #accessLine(
    req: IncomingMessage,
    seen: Seen,
    status: number,
    reason: string | undefined,
    started: number,
  ): void {
    const log = this.#o.log;
    const level = accessLevel(status, !!seen.unserved, seen.results);
    if (!log.enabled(level)) return;
    const results = seen.results;
    const outcome = results
      ? [...new Set(results.map((r) => r.outcome))].join(',')
      : status >= 500
        ? 'failed'
        : 'refused';
    const route = pathOf(req.url);
    if (
      !alwaysLogged(!!seen.signed, results) &&
      !this.#sampler.admit(
        `${route}\0${status}\0${outcome}`,
        level,
        () => ({ source: seen.source, route, status, outcome }),
        { key: String(status), fields: () => ({ status }) },
      )
    )
      return;
    log[level]('Webhook delivery answered', {
      source: seen.source,
      route,
      status,
      outcome,
      delivery:
        seen.delivery ||
        first(req.headers['x-github-delivery']) ||
        first(req.headers['linear-delivery']) ||
        undefined,
      results,
      taskSpawners:
        !results && seen.candidates?.length
          ? seen.candidates.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)
          : undefined,
      reason,
      remote: req.socket.remoteAddress,
      durationMs: Math.round(performance.now() - started),
    });
  }

  async #process(
    req: IncomingMessage,
    seen: Seen,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const refuse = (r: Refusal) => ({ status: r.status, body: r.message });
    const route = routeOf(req.method, req.url ?? '', req.headers);
    if ('status' in route) {
      if (route.source) seen.source = route.source;
      return refuse(route);
    }
    seen.source = route.source;
    const candidates = this.#o.spawners
      .list()
      .filter((s) => !s.metadata.deletionTimestamp && wants(s, route.source, route.event));
    // A path nothing serves is a 404 like any unknown path, answered before the body is read:
    // a 401 there sent senders looking for a signature problem they did not have.
    if (candidates.length === 0) {
      seen.unserved = true;
      return { status: 404, body: noReceiver(route, !pathOf(req.url).includes('/webhook/')) };
    }
    seen.candidates = candidates;
    const ct = contentTypeProblem(first(req.headers['content-type']), route.source === 'github');
    if (ct) return refuse(ct);
    const form = mediaType(first(req.headers['content-type'])) === FORM_CONTENT_TYPE;
    const githubEvent = first(req.headers['x-github-event']);
    if (route.source === 'github' && !githubEvent)
      return { status: 400, body: 'missing X-GitHub-Event header' };
    const body = await readBody(req, this.#o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    if (!Buffer.isBuffer(body)) return refuse(body);
    seen.bodyRead = true;

    const now = this.#o.clock.now();
    const verdicts = await Promise.all(
      candidates.map((s) =>
        verifyFor(s, route.source, body, req.headers, now, this.#secrets, this.#o.allowUnsigned),
      ),
    );
    seen.signed = verdicts.some((v) => v.ok && v.scheme !== 'unsigned');
    // A delivery signed for a spawner's secret is that spawner's, not also every unsigned
    // spawner's on the path: the source names are shared across namespaces, and an unsigned
    // spawner in another tenant's namespace would receive what was signed for this one. So is
    // one that carries such a spawner's signature header and does not verify (its Secret being
    // rotated, missing or unread): the sender hears the 401 or 503 and sends it again.
    const forSigned = seen.signed || carriesSignature(candidates, req.headers);
    const verified = candidates.filter((_, i) => {
      const v = verdicts[i]!;
      return v.ok && !(forSigned && v.scheme === 'unsigned');
    });
    // Spawners whose Secret could not be read: the delivery may be theirs or not.
    const unread = candidates.filter((_, i) => {
      const v = verdicts[i]!;
      return !v.ok && v.transient;
    });
    if (verified.length === 0) {
      if (verdicts.some((v) => !v.ok && v.transient))
        return { status: 503, body: 'secrets could not be read; retry', headers: { 'retry-after': '5' } };
      // What is wrong with a spawner's setup names its namespace and Secret: that goes to the
      // spawner's Events, never to a sender who has not proved who it is.
      candidates.forEach((s, i) => {
        const v = verdicts[i];
        if (v && !v.ok && v.setup) this.#notices.cannotVerify(s, v.reason);
      });
      const told = [...new Set(verdicts.flatMap((v) => (!v.ok && !v.setup ? [v.reason] : [])))];
      return {
        status: 401,
        body:
          told.length > 0
            ? `signature not verified: ${told.slice(0, 3).join('; ')}`
            : 'signature not verified: no TaskSpawner here can verify this delivery (each records why in a Warning Event)',
      };
    }
    // Parsing is what a large body costs (JSON.parse of 8 MB of `[]` held the event loop for
    // seconds); only a sender that proved who it is gets the whole body limit.
    const unsignedOnly = verdicts.every((v) => !v.ok || v.scheme === 'unsigned');
    if (unsignedOnly && body.length > MAX_UNSIGNED_BODY_BYTES)
      return {
        status: 413,
        body: `an unsigned delivery may be at most ${MAX_UNSIGNED_BODY_BYTES} bytes; a signed one up to ${this.#o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES}`,
      };
    // The signature covers the body as sent; a form-encoded one carries the JSON in `payload`.
    const text = jsonText(body, form);
    if (text === undefined) return { status: 400, body: 'form-encoded body has no payload field' };
    let payload: unknown;
    try {
      payload = parseDelivery(text);
    } catch {
      return { status: 400, body: form ? 'payload field is not valid JSON' : 'body is not valid JSON' };
    }
    if (nestsDeeperThan(payload, MAX_PAYLOAD_DEPTH))
      return { status: 400, body: `body nests deeper than ${MAX_PAYLOAD_DEPTH} arrays and objects` };
    if (route.source === 'linear') {
      const ts = checkLinearTimestamp(payload, now);
      if (!ts.ok) return { status: 401, body: ts.reason };
    }
    const delivery: Delivery = {
      source: route.source,
      event:
        route.source === 'github'
          ? (githubEvent ?? '')
          : route.source === 'linear'
            ? linearType(payload)
            : (route.event ?? ''),
      deliveryId: deliveryIdOf(route.source, req.headers, payload, body),
      ...(route.source === 'github'
        ? { contentDigest: createHash('sha256').update(body).digest('hex') }
        : route.source === 'linear'
          ? { contentDigest: linearEventDigest(payload, body) }
          : {}),
      payload,
    };
    seen.delivery = delivery.deliveryId;
    // Taken by others, so the sender hears a 2xx and may never send it again: checked again
    // here for the spawners whose Secret could not be read, rather than a 503 for every tenant
    // on the path while one tenant's Secret cannot be read.
    for (const s of unread) this.#recheck(s, route.source, body, req.headers, now, delivery);
    // One look-up of the commented issue's labels serves every spawner that needs them.
    let issueLabels: Promise<readonly string[]> | undefined;
    const linearLabels = this.#o.linearLabels;
    const labelsOnce = linearLabels
      ? () => {
          issueLabels ??= linearLabels(linearFacts(delivery).issueId ?? '');
          return issueLabels;
        }
      : undefined;
    const enriched = await Promise.all(verified.map((s) => this.#enrich(s, delivery, labelsOnce)));
    // A spawner whose details could not be fetched fails alone: the others' Tasks are made (a
    // tenant's spawner whose fetch always fails held up every tenant's deliveries on the path),
    // and the answer still asks for the delivery again, which the ledgers make a duplicate for
    // the spawners that took it. Why it failed goes to that spawner's Events, not the sender.
    const results = await Promise.all(
      verified.map((s, i) => {
        const e = enriched[i]!;
        if (!('error' in e)) return this.#deliverOne(s, e.delivery);
        this.#outcomes.inc({ outcome: 'failed' });
        return {
          taskSpawner: `${s.metadata.namespace}/${s.metadata.name}`,
          outcome: 'failed' as const,
          reason: `${e.what} could not be fetched; send the delivery again (the TaskSpawner's Events say why)`,
        };
      }),
    );
    seen.results = results;
    const unfetched = enriched.some((e) => 'error' in e);
    const failed = results.some((r, i) => r.outcome === 'failed' && !('error' in enriched[i]!));
    const full = results.some((r) => r.outcome === 'queue-full');
    // A 2xx tells the sender its delivery is done; a rejected one has no Task and no record.
    const rejected = results.some((r) => r.outcome === 'rejected');
    const status = failed ? 500 : unfetched ? 503 : full ? 429 : rejected ? 422 : 200;
    return {
      status,
      body: { delivery: delivery.deliveryId || undefined, results },
      ...(status === 503 || (full && !failed)
        ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } }
        : {}),
    };
  }

  /**
   * Checks a delivery again for a spawner whose Secret could not be read when it came, after
   * each of {@link ReceiverOptions.recheckDelaysMs} (the timestamp windows as at its arrival),
   * and delivers it if it verifies; a delivery for someone else (no match) is dropped quietly.
   * One still unchecked or not delivered after the last try is named in a
   * `WebhookDeliveryDropped` Warning Event on the spawner, for its owner to have it sent again.
   * Held in memory, at most {@link MAX_RECHECKS} deliveries and {@link MAX_RECHECK_BYTES}.
   */
  #recheck(
    spawner: TaskSpawner,
    source: WebhookSource,
    body: Buffer,
    headers: IncomingMessage['headers'],
    receivedAt: number,
    delivery: Delivery,
  ): void {
    const ref = `${spawner.metadata.namespace}/${spawner.metadata.name}`;
    const what = delivery.deliveryId
      ? `delivery ${delivery.deliveryId}`
      : `the ${source === 'generic' ? delivery.event : source} delivery of ${new Date(receivedAt).toISOString()}`;
    const drop = (why: string) => {
      this.#outcomes.inc({ outcome: 'dropped' });
      this.#o.log.warn('Webhook delivery dropped for a spawner whose Secret could not be read', {
        taskSpawner: ref,
        delivery: delivery.deliveryId,
        error: why,
      });
      this.#notices.dropped(spawner, `${what} was not delivered: ${why}; have the sender send it again`);
    };
    if (this.#rechecks.count >= MAX_RECHECKS || this.#rechecks.bytes + body.length > MAX_RECHECK_BYTES) {
      drop(
        `its Secret could not be read and ${this.#rechecks.count} deliveries already wait to be checked again`,
      );
      return;
    }
    this.#rechecks.count++;
    this.#rechecks.bytes += body.length;
    const delays = this.#o.recheckDelaysMs ?? RECHECK_DELAYS_MS;
    const done = () => {
      this.#rechecks.count--;
      this.#rechecks.bytes -= body.length;
    };
    const attempt = async (i: number): Promise<void> => {
      const current = this.#o.spawners.get(spawner.metadata.namespace ?? '', spawner.metadata.name ?? '');
      if (!current || current.metadata.uid !== spawner.metadata.uid || current.metadata.deletionTimestamp)
        return done();
      let why: string;
      try {
        const v = await verifyFor(
          current,
          source,
          body,
          headers,
          receivedAt,
          this.#secrets,
          this.#o.allowUnsigned,
        );
        if (v.ok) {
          const labels = this.#o.linearLabels;
          const e = await this.#enrich(
            current,
            delivery,
            labels && (() => labels(linearFacts(delivery).issueId ?? '')),
          );
          if ('error' in e) why = e.error;
          else {
            const out = await this.#deliverOne(current, e.delivery);
            if (out.outcome !== 'failed') return done();
            why = out.reason;
          }
        } else if (v.transient) why = v.reason;
        else {
          // Not this spawner's delivery (its signature does not match), or its setup is at fault.
          if (v.setup) this.#notices.cannotVerify(current, v.reason);
          return done();
        }
      } catch (e) {
        why = (e as Error).message;
      }
      if (i + 1 >= delays.length) {
        done();
        drop(why);
        return;
      }
      this.#schedule(() => attempt(i + 1), delays[i + 1]!);
    };
    this.#o.log.warn('Webhook delivery held: a spawner’s Secret could not be read; it is checked again', {
      taskSpawner: ref,
      delivery: delivery.deliveryId,
    });
    this.#schedule(() => attempt(0), delays[0] ?? 0);
  }

  #schedule(fn: () => Promise<void>, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn().catch((err: unknown) => this.#o.log.error('Webhook re-check failed', { error: err }));
    }, ms);
    t.unref?.();
    this.#timers.add(t);
  }

  /**
   * The delivery with what this spawner's filters need fetched, or why it could not be (and
   * what: for the answer). A failure is also a `WebhookEnrichmentFailed` Warning Event on the
   * spawner, since the sender's retry may come hours later (Linear's) or only by hand
   * (GitHub's), and its owner otherwise sees no Task and no reason.
   */
  async #enrich(
    spawner: TaskSpawner,
    delivery: Delivery,
    linearLabels: (() => Promise<readonly string[]>) | undefined,
  ): Promise<{ delivery: Delivery } | { error: string; what: string }> {
    const need = enrichmentNeeded(spawner, delivery);
    const github = need.changedFiles || need.pullRequestHeadBranch ? this.#o.enrich : undefined;
    const labels = need.linearIssueLabels ? linearLabels : undefined;
    if (!github && !labels) return { delivery };
    const what = labels
      ? `the labels of Linear issue ${linearFacts(delivery).issueId}`
      : 'pull request details';
    try {
      const e: DeliveryEnrichment = github
        ? await github(spawner, delivery, need)
        : labels
          ? { linearIssueLabels: await labels() }
          : {};
      return { delivery: { ...delivery, enrichment: { ...delivery.enrichment, ...e } } };
    } catch (err) {
      const taskSpawner = `${spawner.metadata.namespace}/${spawner.metadata.name}`;
      const message = (err as Error).message;
      this.#o.log.warn('Webhook enrichment failed; the sender is asked to retry', {
        taskSpawner,
        delivery: delivery.deliveryId,
        error: err,
      });
      this.#notices.enrichmentFailed(
        spawner,
        `${what} could not be fetched, so this spawner made no Task of the delivery and the sender was asked to send it again: ${message}`,
      );
      return { error: `${taskSpawner}: ${message}`, what };
    }
  }

  /**
   * Delivers an already matched delivery to one spawner through this receiver's ledgers,
   * metrics and spawner notices: the Slack intake's path, so a Slack message meets the same
   * caps, queue bound and dedupe as an HTTP delivery.
   */
  async deliver(
    spawner: TaskSpawner,
    delivery: Delivery,
    match: Extract<MatchResult, { matched: true }>,
  ): Promise<Outcome> {
    let out: Outcome;
    try {
      out = await deliverTo(
        { client: this.#o.client, tasks: this.#o.tasks, ledgers: this.#ledgers, context: this.#o.context },
        spawner,
        delivery,
        match,
      );
    } catch (e) {
      out = { outcome: 'failed', reason: (e as Error).message };
    }
    this.#outcomes.inc({ outcome: out.outcome });
    this.#notices.note(spawner, out, createdFor(delivery, match));
    return out;
  }

  async #deliverOne(spawner: TaskSpawner, delivery: Delivery): Promise<{ taskSpawner: string } & Outcome> {
    const taskSpawner = `${spawner.metadata.namespace}/${spawner.metadata.name}`;
    let out: Outcome;
    let m: MatchResult | undefined;
    try {
      m = matchDelivery(spawner, delivery);
      out = m.matched
        ? await deliverTo(
            {
              client: this.#o.client,
              tasks: this.#o.tasks,
              ledgers: this.#ledgers,
              context: this.#o.context,
            },
            spawner,
            delivery,
            m,
          )
        : { outcome: m.invalid ? 'invalid' : 'filtered', reason: m.reason };
    } catch (e) {
      out = { outcome: 'failed', reason: (e as Error).message };
    }
    this.#outcomes.inc({ outcome: out.outcome });
    this.#notices.note(spawner, out, createdFor(delivery, m?.matched ? m : undefined));
    return { taskSpawner, ...out };
  }
}

/** Whether `spawner` takes deliveries from `source` (generic: for this path segment). */
const wants = (s: TaskSpawner, source: WebhookSource, event: string | undefined): boolean => {
  const w = s.spec.when;
  if (source === 'github') return !!w.githubWebhook;
  if (source === 'linear') return !!w.linearWebhook;
  return w.webhook?.source === event;
};

/** What a delivery's Task is made for, for its Event: the matched source item, else the delivery id. */
const createdFor = (
  delivery: Delivery,
  match: Extract<MatchResult, { matched: true }> | undefined,
): CreatedFor => {
  const item = match?.annotations[SourceAnnotations.Item];
  return item ? { item } : delivery.deliveryId ? { delivery: delivery.deliveryId } : {};
};

const linearType = (payload: unknown): string => {
  const t = (payload as { type?: unknown } | null)?.type;
  return typeof t === 'string' ? t : '';
};

/** The sender's delivery id (upstream's fallbacks: a hash of the body). */
export function deliveryIdOf(
  source: WebhookSource,
  headers: IncomingMessage['headers'],
  payload: unknown,
  body: Buffer,
): string {
  const hash = () => createHash('sha256').update(body).digest('hex');
  if (source === 'github') return first(headers['x-github-delivery']) || `github-${hash()}`;
  if (source === 'linear') {
    const h = first(headers['linear-delivery']);
    if (h) return h;
    const p = payload as { webhookId?: unknown; createdAt?: unknown } | null;
    if (typeof p?.webhookId === 'string' && typeof p.createdAt === 'string')
      return `${p.webhookId}:${p.createdAt}`;
    return `linear-${hash()}`;
  }
  return '';
}

/**
 * Whether the delivery carries the signature header a generic spawner with a secret on its path
 * verifies (`X-Kelos-Signature-256`, or the spawner's `signatureHeader`): a delivery its sender
 * signed, whether or not it verified.
 */
const carriesSignature = (candidates: readonly TaskSpawner[], headers: IncomingHttpHeaders): boolean =>
  candidates.some((s) => {
    const generic = s.spec.when.webhook;
    if (!generic?.secretRef) return false;
    const name = (generic.signatureHeader ?? SignatureHeaders.Kelos).toLowerCase();
    return headers[name] !== undefined;
  });
