/**
 * Issue 9, finding 1: 10,000 hostile requests to a running operator's endpoints (`/metrics`
 * with a bearer token, `/healthz`, `/readyz`, on two ports), and proof that it never exits.
 *
 * The operator runs as its own process (`kelos operator`) against the local control plane
 * (started for the run unless `KELOS_BENCH_KUBECONFIG` points at one). Each request is sent
 * over a raw TCP socket, so malformed bytes reach the server as written: unparseable and
 * absolute-form targets (`GET http://[`, the request that used to stop the operator), huge
 * URLs and headers, wrong methods, binary garbage, NULs, truncated requests, random byte
 * flips of a valid request, metrics without or with a wrong token, and slow clients that drip
 * their headers. Reported: responses by status, wall time, the operator's RSS before and
 * after, `kelos_operator_faults_total`, and whether the process is alive and answering.
 * Reference measured in the same run: the same number of well-formed `/healthz` requests.
 *
 * Usage: node bench/hostile-http.ts [--requests 10000] [--in-flight 64]
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HttpKubeClient } from '../src/kube/client.ts';
import { loadKubeconfigFile } from '../src/kube/kubeconfig.ts';
import { applyCrds, benchControlPlane, spawnOperator, stopProcess } from './lib/cluster.ts';
import { timedLoad } from './lib/load.ts';
import { currentRss } from './lib/memory.ts';
import { printRatio, printRows, printTitle } from './lib/report.ts';
import { formatBytes } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: { requests: { type: 'string', default: '10000' }, 'in-flight': { type: 'string', default: '64' } },
});
const REQUESTS = Number(args.requests);
const IN_FLIGHT = Number(args['in-flight']);
const TOKEN = randomBytes(16).toString('hex');

/** One hostile request: its bytes, and whether to drip them one byte at a time. */
type Hostile = { readonly bytes: Buffer; readonly dripMs?: number };
const req = (line: string, headers: string[] = []): Buffer =>
  Buffer.from(
    `${line}\r\nhost: x\r\n${headers.map((h) => `${h}\r\n`).join('')}connection: close\r\n\r\n`,
    'latin1',
  );
const PATHS = ['/metrics', '/healthz', '/readyz', '/readyz?verbose'];
const GENERATORS: Array<(i: number) => Hostile> = [
  () => ({ bytes: req('GET http://[ HTTP/1.1') }),
  (i) => ({ bytes: req(`GET http://evil.example${PATHS[i % 4]} HTTP/1.1`) }),
  () => ({ bytes: req(`GET /metrics?${'a'.repeat(20_000)} HTTP/1.1`) }),
  () => ({ bytes: req('GET /healthz HTTP/1.1', [`x-big: ${'b'.repeat(64_000)}`]) }),
  (i) => ({
    bytes: req(`${['POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'OPTIONS'][i % 6]} ${PATHS[i % 4]} HTTP/1.1`),
  }),
  () => ({ bytes: randomBytes(256) }),
  () => ({ bytes: req('GET /hea\0lthz HTTP/1.1') }),
  () => ({ bytes: Buffer.from('GET /metr') }),
  () => ({ bytes: req('GET /metrics HTTP/1.1') }),
  () => ({ bytes: req('GET /metrics HTTP/1.1', ['authorization: Bearer wrong']) }),
  () => ({ bytes: req('GET * HTTP/1.1') }),
  () => ({ bytes: req('GET //evil/healthz HTTP/9.9') }),
  (i) => {
    const b = Buffer.from(req(`GET ${PATHS[i % 4]} HTTP/1.1`, [`authorization: Bearer ${TOKEN}`]));
    for (let k = 0; k < 4; k++) b[(i * 7 + k * 13) % b.length] = (i * 31 + k) & 0xff;
    return { bytes: b };
  },
];
const hostile = (i: number): Hostile =>
  // One request in 250 is a slow client dripping its headers (40 in 10,000).
  i % 250 === 0
    ? { bytes: req('GET /healthz HTTP/1.1', ['x-slow: 1']), dripMs: 100 }
    : (GENERATORS[i % GENERATORS.length] as (i: number) => Hostile)(i);

/** Sends one request; resolves with the status the server answered (0: closed unanswered). */
const send = (address: string, h: Hostile): Promise<number> => {
  const at = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect(Number(address.slice(at + 1)), address.slice(0, at));
    let head = '';
    let timer: NodeJS.Timeout | undefined;
    const cutoff = setTimeout(() => socket.destroy(), 20_000);
    socket.on('data', (c) => {
      if (head.length < 32) head += c.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(cutoff);
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0));
    });
    socket.on('connect', () => {
      if (!h.dripMs) {
        socket.write(h.bytes);
        return;
      }
      let k = 0;
      timer = setInterval(() => {
        if (k < h.bytes.length && socket.writable) socket.write(h.bytes.subarray(k, ++k));
      }, h.dripMs);
    });
  });
};

/** Sends `REQUESTS` of `make`'s requests, `IN_FLIGHT` at a time, over the operator's ports. */
const run = async (addresses: readonly string[], make: (i: number) => Hostile) => {
  const load = await timedLoad(REQUESTS, IN_FLIGHT, (i) =>
    send(addresses[i % addresses.length] as string, make(i)),
  );
  return { ms: load.ms, statuses: load.outcomes };
};

async function startOperator(
  kubeconfig: string,
  tokenFile: string,
): Promise<{ child: ChildProcess; addresses: string[] }> {
  const { child, match } = await spawnOperator(
    [
      '--kubeconfig',
      kubeconfig,
      '--metrics-addr',
      '127.0.0.1:0',
      '--health-addr',
      '127.0.0.1:0',
      '--metrics-token-file',
      tokenFile,
    ],
    /"msg":"Operator running".*?"endpoints":\[([^\]]+)\]/,
  );
  process.stderr.write(`operator endpoints: ${match[1]}\n`);
  return { child, addresses: JSON.parse(`[${match[1]}]`) as string[] };
}

async function main(): Promise<void> {
  const { kubeconfig, stop: stopControlPlane } = await benchControlPlane();
  let child: ChildProcess | undefined;
  try {
    const c = new HttpKubeClient(await loadKubeconfigFile(kubeconfig));
    await applyCrds(c);
    c.close();
    const tokenFile = join(await mkdtemp(join(tmpdir(), 'kelos-bench-token-')), 'token');
    writeFileSync(tokenFile, TOKEN);
    const started = await startOperator(kubeconfig, tokenFile);
    child = started.child;
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = `code ${code} signal ${signal}`;
    });
    const rssBefore = currentRss(child.pid as number);
    const reference = await run(started.addresses, () => ({ bytes: req('GET /healthz HTTP/1.1') }));
    const attack = await run(started.addresses, hostile);
    const rssAfter = exited ? undefined : currentRss(child.pid as number);
    const metricsAddress = started.addresses[0] as string;
    const healthAddress = started.addresses[started.addresses.length - 1] as string;
    const health = exited ? 0 : (await fetch(`http://${healthAddress}/healthz`)).status;
    const metrics = exited
      ? ''
      : await (
          await fetch(`http://${metricsAddress}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
        ).text();
    const faults = [...metrics.matchAll(/^kelos_operator_faults_total\{source="([^"]+)"\} (\d+)/gm)].map(
      (m) => `${m[1]}=${m[2]}`,
    );

    printTitle(
      `Operator under ${REQUESTS.toLocaleString('en')} hostile requests (${IN_FLIGHT} in flight, ${started.addresses.length} port(s))`,
    );
    printRows([
      [
        'responses by status',
        [...attack.statuses]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s || 'closed'}: ${n}`)
          .join(', '),
      ],
      ['operator process', exited ? `EXITED (${exited})` : 'alive'],
      ['/healthz afterwards', String(health)],
      ['faults counted', faults.join(', ') || '(none)'],
      [
        'RSS before → after',
        `${formatBytes(rssBefore ?? 0)} → ${rssAfter === undefined ? '-' : formatBytes(rssAfter)}`,
      ],
    ]);
    printRatio('hostile requests', attack.ms, `${REQUESTS} well-formed /healthz`, reference.ms);
    if (exited || health !== 200) process.exitCode = 1;
  } finally {
    if (child) await stopProcess(child);
    await stopControlPlane();
  }
}

await main();
