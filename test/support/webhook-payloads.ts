/**
 * Webhook deliveries in the senders' real formats (trimmed to the fields the receiver and the
 * matchers read, with the shapes GitHub's and Linear's documentation show), and how to POST
 * them signed the way each sender signs.
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { sign } from '../../src/operator/webhook/signature.ts';

/** GitHub `issue_comment` (action `created`) on issue `number` of acme/widgets. */
export const githubIssueComment = (number: number, body = '/kelos pick-up') => ({
  action: 'created',
  issue: {
    url: `https://api.github.com/repos/acme/widgets/issues/${number}`,
    html_url: `https://github.com/acme/widgets/issues/${number}`,
    id: 1_000_000 + number,
    number,
    title: `Issue ${number}`,
    user: { login: 'octocat', id: 1, type: 'User' },
    labels: [{ id: 208045946, name: 'bug' }],
    state: 'open',
    body: 'It is broken.',
  },
  comment: {
    id: 2_000_000 + number,
    html_url: `https://github.com/acme/widgets/issues/${number}#issuecomment-${2_000_000 + number}`,
    user: { login: 'octocat', id: 1, type: 'User' },
    body,
    author_association: 'OWNER',
  },
  repository: {
    id: 1296269,
    name: 'widgets',
    full_name: 'acme/widgets',
    owner: { login: 'acme', id: 2, type: 'Organization' },
    private: false,
    html_url: 'https://github.com/acme/widgets',
    default_branch: 'main',
  },
  sender: { login: 'octocat', id: 1, type: 'User' },
});

/** A generic (Sentry-like) alert delivery. */
export const genericAlert = (id: string, title = `Alert ${id}`) => ({
  action: 'triggered',
  data: { id, title, level: 'error', url: `https://sentry.example/issues/${id}` },
});

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: () => Record<string, unknown>;
}

/** The receiver's verdict on the first spawner a delivery reached (`outcome`, `reason`, …); `{}` when none. */
export const firstResult = (answer: Answer): Record<string, string> =>
  (answer.json()['results'] as Array<Record<string, string>> | undefined)?.[0] ?? {};

/** POSTs `body` to `http://<address><path>` with `headers`. */
export function post(
  address: string,
  path: string,
  body: string | Buffer,
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Answer> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        path,
        method: 'POST',
        headers: headers['transfer-encoding']
          ? headers
          : { 'content-length': String(Buffer.byteLength(body)), ...headers },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** `127.0.0.1:123` or `[::1]:123` → host and port. */
export const splitAddress = (address: string): [string, number] => {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
};

/** Headers of a GitHub delivery signed with `secret`. */
export const githubHeaders = (body: string, secret: string, event: string, delivery: string) => ({
  'content-type': 'application/json',
  'x-github-event': event,
  'x-github-delivery': delivery,
  'x-hub-signature-256': sign.github(body, secret),
  'user-agent': 'GitHub-Hookshot/abc123',
});

/** Headers of a generic delivery signed with the Kelos scheme at `unixSeconds`. */
export const kelosHeaders = (body: string, secret: string, unixSeconds = Math.floor(Date.now() / 1000)) => ({
  'content-type': 'application/json',
  ...sign.kelos(body, secret, unixSeconds),
});

/**
 * Headers of a Linear delivery signed with `secret`: `Linear-Signature` is the hex HMAC-SHA256
 * of the raw body, computed here as Linear's documentation shows it rather than with the
 * receiver's own `sign`, so a mistake shared by both would still fail.
 */
export const linearHeaders = (body: string, secret: string, delivery: string) => ({
  'content-type': 'application/json; charset=utf-8',
  'linear-delivery': delivery,
  'linear-event': 'Issue',
  'linear-signature': createHmac('sha256', secret).update(body).digest('hex'),
  'user-agent': 'Linear-Webhook',
});
