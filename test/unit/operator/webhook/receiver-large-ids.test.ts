// Integers past 2^53 in a delivery, as Sentry-like senders post ids: JSON.parse rounds them,
// so two senders' ids named one Task and the second delivery was answered as its duplicate.
// Real HTTP on loopback to the receiver over a FakeKube.
import { afterEach, describe, expect, it } from 'vitest';
import type { Task, When } from '../../../../src/api/index.ts';
import { Resources } from '../../../../src/operator/resources.ts';
import { firstResult, kelosHeaders, post } from '../../../support/webhook-payloads.ts';
import { listeningReceiver } from '../../../support/webhook-receiver.ts';

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const SECRET = 'sentry-secret';

describe('a generic delivery whose id is an integer past 2^53', () => {
  it('keeps the id exactly as sent: two ids a double cannot tell apart make two Tasks, filters and mapped fields see the digits', async () => {
    const { r, addr } = await listeningReceiver(
      {
        webhook: {
          source: 'sentry',
          fieldMapping: { id: '$.id', title: '$.detail' },
          filters: [{ field: '$.id', pattern: '^1234567890123456789[01]$' }],
          secretRef: { name: 'hook' },
        },
      } as When,
      stops,
      SECRET,
    );

    // Written by hand: JSON.stringify of a JavaScript number could not produce these digits.
    const send = async (id: string) => {
      const body = `{"id":${id},"detail":{"events":${id},"level":"error"}}`;
      const answer = await post(addr, '/webhook/sentry', body, kelosHeaders(body, SECRET));
      expect(answer.status, answer.body).toBe(200);
      return firstResult(answer);
    };
    expect(await send('12345678901234567890')).toMatchObject({
      outcome: 'created',
      task: 's-12345678901234567890',
    });
    expect(await send('12345678901234567891')).toMatchObject({
      outcome: 'created',
      task: 's-12345678901234567891',
    });
    // The same id again is still one Task.
    expect(await send('12345678901234567891')).toMatchObject({
      outcome: 'duplicate',
      task: 's-12345678901234567891',
    });
    const prompts = Object.fromEntries(
      r.kube.objects<Task>(Resources.Task, 'team-a').map((t) => [t.metadata.name, t.spec.prompt]),
    );
    expect(prompts).toStrictEqual({
      's-12345678901234567890': '{"events":12345678901234567890,"level":"error"}',
      's-12345678901234567891': '{"events":12345678901234567891,"level":"error"}',
    });
  });
});
