import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  contentTypeProblem,
  MAX_PAYLOAD_DEPTH,
  nestsDeeperThan,
  readBody,
} from '../../../../src/operator/webhook/body.ts';
import { deliveryIdOf, routeOf } from '../../../../src/operator/webhook/receiver.ts';

describe('routes', () => {
  it('maps upstream paths to sources', () => {
    expect(routeOf('POST', '/webhook/github', {})).toEqual({ source: 'github' });
    expect(routeOf('POST', '/webhook/linear', {})).toEqual({ source: 'linear' });
    expect(routeOf('POST', '/webhook/sentry?x=1', {})).toEqual({ source: 'generic', event: 'sentry' });
    // Upstream's per-source servers listen on /: told apart by their headers.
    expect(routeOf('POST', '/', { 'x-github-event': 'push' })).toEqual({ source: 'github' });
    expect(routeOf('POST', '/', { 'linear-signature': 'ab' })).toEqual({ source: 'linear' });
  });
  it('refuses other paths, methods and request targets with a clear status', () => {
    expect(routeOf('POST', '/', {})).toMatchObject({ status: 404 });
    expect(routeOf('POST', '/webhook/Bad_Name', {})).toMatchObject({ status: 404 });
    expect(routeOf('POST', '/webhook/a/b', {})).toMatchObject({ status: 404 });
    expect(routeOf('GET', '/webhook/github', {})).toMatchObject({ status: 405 });
    expect(routeOf('POST', 'http://[', {})).toMatchObject({ status: 400 });
  });
});

describe('content type', () => {
  it('accepts JSON, and form encoding where GitHub may use it', () => {
    expect(contentTypeProblem('application/json')).toBeUndefined();
    expect(contentTypeProblem('application/json; charset=utf-8')).toBeUndefined();
    expect(contentTypeProblem('application/vnd.api+json')).toBeUndefined();
    expect(contentTypeProblem('application/x-www-form-urlencoded')?.message).toContain(
      'accepted from GitHub only',
    );
    expect(contentTypeProblem('application/x-www-form-urlencoded', true)).toBeUndefined();
    expect(contentTypeProblem(undefined)).toMatchObject({ status: 415 });
    expect(contentTypeProblem('text/plain')).toMatchObject({ status: 415 });
  });
});

const stream = (headers: Record<string, string>) => {
  const s = new PassThrough() as unknown as IncomingMessage & PassThrough;
  (s as { headers: Record<string, string> }).headers = headers;
  return s;
};

describe('body limit', () => {
  it('refuses a declared length over the limit before reading', async () => {
    expect(await readBody(stream({ 'content-length': '11' }), 10)).toMatchObject({ status: 413 });
  });
  it('cuts off an undeclared body as soon as it passes the limit', async () => {
    const s = stream({});
    const read = readBody(s, 10);
    s.write(Buffer.alloc(6));
    s.write(Buffer.alloc(6));
    expect(await read).toMatchObject({ status: 413 });
  });
  it('returns a body within the limit', async () => {
    const s = stream({});
    const read = readBody(s, 10);
    s.end(Buffer.from('{"a":1}'));
    expect((await read).toString()).toBe('{"a":1}');
  });
});

describe('nesting limit', () => {
  const nested = (depth: number): unknown => {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
    return v;
  };
  it('takes nesting up to the limit and refuses one level more, at a depth that would overflow a recursive walk', () => {
    expect(nestsDeeperThan(nested(MAX_PAYLOAD_DEPTH), MAX_PAYLOAD_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_PAYLOAD_DEPTH + 1), MAX_PAYLOAD_DEPTH)).toBe(true);
    expect(
      nestsDeeperThan(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), MAX_PAYLOAD_DEPTH),
    ).toBe(true);
    expect(nestsDeeperThan({ wide: Array.from({ length: 10_000 }, (_, i) => ({ i })) }, 3)).toBe(false);
  });
});

describe('delivery ids', () => {
  const body = Buffer.from('{}');
  it('uses the sender id, else upstream fallbacks', () => {
    expect(deliveryIdOf('github', { 'x-github-delivery': 'abc' }, {}, body)).toBe('abc');
    expect(deliveryIdOf('github', {}, {}, body)).toMatch(/^github-[0-9a-f]{64}$/);
    expect(deliveryIdOf('linear', { 'linear-delivery': 'd1' }, {}, body)).toBe('d1');
    expect(deliveryIdOf('linear', {}, { webhookId: 'w', createdAt: 't' }, body)).toBe('w:t');
    expect(deliveryIdOf('generic', {}, {}, body)).toBe('');
  });
});
