/**
 * A fake Slack for Socket Mode on loopback: the Web API methods the client calls
 * (`apps.connections.open`, `auth.test`, `chat.postMessage`, checking the bearer tokens) and
 * slash commands' `response_url`s ({@link FakeSlack.responseUrl}) over node:http, and the
 * Socket Mode WebSocket (with `ws`) on the same port. It says `hello` on
 * each connection, records every frame the client sends (acks), and lets a test push
 * envelopes, ask for a reconnect (`disconnect`), cut a connection, or fail the next opens; a
 * connection's `pause()` makes it a peer that vanished without a close.
 *
 * @packageDocumentation
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export const APP_TOKEN = 'xapp-1-A0KELOS01-1-fake';
export const BOT_TOKEN = 'xoxb-1-fake';

/** One `chat.postMessage` the fake received. */
export interface PostedMessage {
  readonly channel: string;
  readonly text: string;
  readonly thread_ts?: string;
}

/** The fake; {@link startFakeSlack} makes one. */
export class FakeSlack {
  readonly server: Server;
  readonly wss: WebSocketServer;
  /** Frames clients sent, parsed, in order. */
  readonly received: Record<string, unknown>[] = [];
  readonly posted: PostedMessage[] = [];
  /** What was posted to `response_url`s, by path, in order. */
  readonly responses: Array<{ readonly path: string; readonly body: Record<string, unknown> }> = [];
  /** `apps.connections.open` calls, failed ones included. */
  opens = 0;
  /** How many of the next opens answer `ok: false`. */
  failOpens = 0;
  /** How many of the next connections never say hello. */
  silentConnections = 0;
  /** Ping frames clients sent (the `ws` server answers each with a pong unless paused). */
  pings = 0;
  /** While set, `chat.postMessage` calls are received but not answered until {@link releasePosts}. */
  holdPosts = false;
  /** `chat.postMessage` calls received and held, not yet answered. */
  readonly heldPosts: Array<() => void> = [];
  /** Connections that got their hello, in order. */
  readonly sockets: WebSocket[] = [];
  #waiters: Array<() => void> = [];
  #envelopes = 0;
  #port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        if ((req.url ?? '').startsWith('/commands/')) {
          // A response_url: no token, answered with Slack's plain `ok`.
          this.responses.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return this.#wake();
        }
        const method = (req.url ?? '').replace(/^\/api\//, '');
        const auth = req.headers.authorization ?? '';
        const answer = (json: object) => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
          this.#wake();
        };
        if (method === 'apps.connections.open') {
          this.opens++;
          if (auth !== `Bearer ${APP_TOKEN}`) return answer({ ok: false, error: 'invalid_auth' });
          if (this.failOpens > 0) {
            this.failOpens--;
            return answer({ ok: false, error: 'internal_error' });
          }
          const { port } = this.server.address() as AddressInfo;
          return answer({ ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${this.opens}` });
        }
        if (auth !== `Bearer ${BOT_TOKEN}`) return answer({ ok: false, error: 'invalid_auth' });
        if (method === 'auth.test')
          return answer({
            ok: true,
            url: 'https://acme.slack.com/',
            team_id: 'T0ACME001',
            user_id: 'U0KELOSBOT',
          });
        if (method === 'chat.postMessage') {
          const post = () => {
            this.posted.push(JSON.parse(body) as PostedMessage);
            answer({ ok: true, channel: 'C0ENG00001', ts: '1763712001.000200' });
          };
          if (!this.holdPosts) return post();
          this.heldPosts.push(post);
          return this.#wake();
        }
        return answer({ ok: false, error: 'unknown_method' });
      });
    });
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        this.received.push(JSON.parse(String(data)) as Record<string, unknown>);
        this.#wake();
      });
      ws.on('ping', () => {
        this.pings++;
        this.#wake();
      });
      ws.on('close', () => this.#wake());
      if (this.silentConnections > 0) this.silentConnections--;
      else {
        ws.send(JSON.stringify({ type: 'hello', num_connections: this.wss.clients.size }));
        this.sockets.push(ws);
      }
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /**
   * Resolves once `check` holds: re-checked on every request, frame and connection the fake
   * sees, and every 10 ms for what only the client sees (the test's timeout bounds the wait).
   */
  async until(check: () => boolean): Promise<void> {
    while (!check()) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 10);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The newest connection that is open. */
  get current(): WebSocket | undefined {
    return this.sockets.findLast((s) => s.readyState === WebSocket.OPEN);
  }

  /** Sends an Events API envelope carrying `payload` on the newest connection; returns its envelope id. */
  sendEvent(payload: unknown, retryAttempt = 0, envelopeId?: string): string {
    const id = envelopeId ?? `env-${++this.#envelopes}`;
    this.current?.send(
      JSON.stringify({
        envelope_id: id,
        type: 'events_api',
        accepts_response_payload: false,
        retry_attempt: retryAttempt,
        retry_reason: retryAttempt > 0 ? 'timeout' : '',
        payload,
      }),
    );
    return id;
  }

  /** Sends a slash command envelope (`slash_commands`) carrying `payload` on the newest connection; returns its envelope id. */
  sendSlashCommand(payload: unknown): string {
    const id = `env-${++this.#envelopes}`;
    this.current?.send(
      JSON.stringify({ envelope_id: id, type: 'slash_commands', accepts_response_payload: true, payload }),
    );
    return id;
  }

  /** Sends a `disconnect` frame, as Slack does before it refreshes a connection. */
  disconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    this.current?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake' } }));
  }

  /** Stops holding `chat.postMessage` and answers the held ones. */
  releasePosts(): void {
    this.holdPosts = false;
    for (const post of this.heldPosts.splice(0)) post();
  }

  /** Whether the client acknowledged `envelopeId`. */
  acked(envelopeId: string): boolean {
    return this.received.some((f) => f.envelope_id === envelopeId);
  }

  /** A slash command's `response_url` on this fake (`/commands/<id>`). */
  responseUrl(id: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/commands/${id}`;
  }

  /** The Web API base URL (the same while {@link down}). */
  get apiBaseUrl(): string {
    const port = (this.server.address() as AddressInfo | null)?.port ?? this.#port;
    return `http://127.0.0.1:${port}/api/`;
  }

  /** Stops listening, as a Slack out of reach: connections are refused until {@link up}. */
  async down(): Promise<void> {
    this.#port = (this.server.address() as AddressInfo).port;
    for (const s of this.wss.clients) s.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Listens again on the port it had before {@link down}. */
  async up(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(this.#port, '127.0.0.1', r));
  }

  async close(): Promise<void> {
    for (const s of this.wss.clients) s.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Starts a fake Slack on a free loopback port. */
export const startFakeSlack = async (): Promise<FakeSlack> => {
  const fake = new FakeSlack();
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  return fake;
};
