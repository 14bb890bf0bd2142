// An unsigned delivery (accepted only where the KelosConfig lets a namespace take them) may be
// sent by anyone who reaches the port: it gets a tenth of the body limit, since parsing 10 MiB
// of pathological JSON holds the operator's event loop for seconds.
import { afterEach, describe, expect, it } from 'vitest';
import type { When } from '../../../../src/api/index.ts';
import type { ApiObject } from '../../../../src/kube/client.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { MAX_UNSIGNED_BODY_BYTES } from '../../../../src/operator/webhook/body.ts';
import { kelosHeaders, post } from '../../../support/webhook-payloads.ts';
import { addSpawner, receiverOver } from '../../../support/webhook-receiver.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

/** A body of `bytes` bytes: an alert with a long title. */
const alertOf = (id: string, bytes: number): string => {
  const head = JSON.stringify({ data: { id, title: '' } });
  return JSON.stringify({ data: { id, title: 'x'.repeat(bytes - head.length) } });
};

describe('an unsigned delivery', () => {
  it('is refused past 1 MiB with 413 naming both limits; within it, and signed past it, delivered', async () => {
    const webhook = { source: 'alerts', fieldMapping: { id: '$.data.id', title: '$.data.title' } };
    const unsigned = await receiverOver({ webhook } as When, stops, { allowUnsigned: () => true });
    const open = (await unsigned.receiver.listen('127.0.0.1:0')) ?? '';
    const json = { 'content-type': 'application/json' };

    const over = await post(open, '/webhook/alerts', alertOf('a-1', MAX_UNSIGNED_BODY_BYTES + 1), json);
    expect([over.status, JSON.parse(over.body).error]).toStrictEqual([
      413,
      'an unsigned delivery may be at most 1048576 bytes; a signed one up to 10485760',
    ]);
    const within = await post(open, '/webhook/alerts', alertOf('a-2', MAX_UNSIGNED_BODY_BYTES), json);
    expect(within.status, within.body).toBe(200);

    const signed = await receiverOver(
      { webhook: { ...webhook, secretRef: { name: 'hook' } } } as When,
      stops,
    );
    await signed.kube.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook', namespace: 'team-a' },
      data: { WEBHOOK_SECRET: Buffer.from('s3cret').toString('base64') },
    } as ApiObject);
    const addr = (await signed.receiver.listen('127.0.0.1:0')) ?? '';
    const big = alertOf('a-3', 2 * MAX_UNSIGNED_BODY_BYTES);
    const r = await post(addr, '/webhook/alerts', big, kelosHeaders(big, 's3cret'));
    expect(r.status, r.body).toBe(200);
    // The 1 MiB limit is for a delivery taken unsigned: where the spawner signs, a large
    // unsigned body lacks its signature, and saying so tells the sender what to fix.
    const bare = await post(addr, '/webhook/alerts', alertOf('a-4', 2 * MAX_UNSIGNED_BODY_BYTES), json);
    expect([bare.status, JSON.parse(bare.body).error]).toStrictEqual([
      401,
      'signature not verified: missing X-Kelos-Signature-256 header',
    ]);
  });

  it("a delivery signed for one namespace's spawner does not also go to another's unsigned spawner on the path", async () => {
    const webhook = { source: 'alerts', fieldMapping: { id: '$.data.id', title: '$.data.title' } };
    // team-a takes unsigned deliveries on `alerts`; team-b signs its own.
    const r = await receiverOver({ webhook } as When, stops, { allowUnsigned: (ns) => ns === 'team-a' });
    await r.kube.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook', namespace: 'team-b' },
      data: { WEBHOOK_SECRET: Buffer.from('b-secret').toString('base64') },
    } as ApiObject);
    await addSpawner(r, { webhook: { ...webhook, secretRef: { name: 'hook' } } } as When, 'team-b', 'signed');
    const addr = (await r.receiver.listen('127.0.0.1:0')) ?? '';
    const body = JSON.stringify({ data: { id: 'b-1', title: 'team-b only' } });
    const signed = await post(addr, '/webhook/alerts', body, kelosHeaders(body, 'b-secret'));
    expect(signed.status, signed.body).toBe(200);
    expect(JSON.parse(signed.body).results).toEqual([
      expect.objectContaining({ taskSpawner: 'team-b/signed', outcome: 'created' }),
    ]);
    // Signed with a key team-b's Secret no longer holds (a rotation): not team-a's either, and
    // the sender hears why, to send it again.
    const stale = JSON.stringify({ data: { id: 'b-2', title: 'team-b only' } });
    const refused = await post(addr, '/webhook/alerts', stale, kelosHeaders(stale, 'old-secret'));
    expect(refused.status, refused.body).toBe(401);
    expect(JSON.parse(refused.body).error).toContain('signature not verified');
    expect(await r.kube.list(Resources.Task, { namespace: 'team-a' })).toMatchObject({ items: [] });
    // Unsigned, it is team-a's alone, as before.
    const open = JSON.stringify({ data: { id: 'a-1', title: 'anyone' } });
    const bare = await post(addr, '/webhook/alerts', open, { 'content-type': 'application/json' });
    expect(JSON.parse(bare.body).results).toEqual([
      expect.objectContaining({ taskSpawner: 'team-a/s', outcome: 'created' }),
    ]);
  });
});
