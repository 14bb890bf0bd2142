/**
 * The capture step: the agent's stdout passes through it unchanged while its JSON stream
 * is read for usage; afterwards it collects what the run produced (branch, commit, pull
 * requests, base branch, tokens, cost, final message) and reports it twice — as the
 * upstream marker block on stdout, and as the container's termination message, which is
 * how the operator reads it without scraping logs.
 *
 * Also runnable on its own (`node src/agent/capture.ts`), reading the agent stream on
 * stdin, for custom images that pipe their agent into it as upstream's `kelos-capture`.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import {
  OUTPUTS_END,
  OUTPUTS_START,
  OutputKeys,
  TERMINATION_MESSAGE_MAX_BYTES,
} from '../contract/outputs.ts';
import { DEFAULT_TERMINATION_MESSAGE_PATH, Env } from '../contract/pod.ts';
import { createUsageAccumulator, type StreamReport, type UsageAccumulator } from './usage.ts';

/** Each git and gh call may take this long before it is abandoned (as upstream). */
export const COMMAND_TIMEOUT_MS = 30_000;

/** Longest stream line parsed for usage; longer lines are forwarded but not parsed. */
export const MAX_PARSED_LINE_BYTES = 32 * 1024 * 1024;

/** Longest final message kept (before base64). */
export const MAX_RESPONSE_BYTES = 48 * 1024;

/** Runs a command and returns its trimmed stdout, or undefined when it fails or times out. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  cwd: string,
) => Promise<string | undefined>;

/** Runs commands for real, with {@link COMMAND_TIMEOUT_MS}, stderr discarded. */
export const execRunner =
  (env: NodeJS.ProcessEnv, timeoutMs = COMMAND_TIMEOUT_MS): CommandRunner =>
  (command, args, cwd) =>
    new Promise((resolve) => {
      execFile(
        command,
        [...args],
        { cwd, env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
        (err, stdout) => {
          resolve(err ? undefined : String(stdout).trim());
        },
      );
    });

/**
 * Forwards the agent's stdout byte for byte (adding a final newline if it lacked one, as
 * upstream does, so the marker block starts on its own line) and feeds complete lines to
 * the agent's usage accumulator. Also remembers pull-request URLs the stream mentions.
 */
export class StreamTap {
  private readonly acc: UsageAccumulator | undefined;
  private readonly out: Writable;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overflow = false;
  private lastByte = 0x0a;
  /** Pull-request URLs seen in the stream, in order, without duplicates. */
  readonly prUrls: string[] = [];

  constructor(agentType: string, out: Writable) {
    this.acc = createUsageAccumulator(agentType);
    this.out = out;
  }

  /** Takes the next chunk of agent output. */
  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.out.write(chunk);
    this.lastByte = chunk[chunk.length - 1]!;
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      this.push(chunk.subarray(start, i));
      this.flushLine();
      start = i + 1;
    }
    this.push(chunk.subarray(start));
  }

  /** Ends the stream; returns what the agent reported. */
  end(): StreamReport {
    if (this.pendingBytes > 0 || this.overflow) this.flushLine();
    if (this.lastByte !== 0x0a) this.out.write('\n');
    return this.acc?.report() ?? {};
  }

  private push(part: Buffer): void {
    if (part.length === 0 || this.overflow) return;
    if (this.pendingBytes + part.length > MAX_PARSED_LINE_BYTES) {
      this.overflow = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private flushLine(): void {
    if (!this.overflow && this.pendingBytes > 0) {
      const line = Buffer.concat(this.pending).toString('utf8');
      this.acc?.addLine(line);
      for (const m of line.matchAll(PR_URL)) {
        const url = m[0].replace(/\\+$/, '');
        if (!this.prUrls.includes(url)) this.prUrls.push(url);
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.overflow = false;
  }
}

const PR_URL = /https:\/\/[A-Za-z0-9.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/pull\/[0-9]+/g;

/** `owner/repo` of a remote URL. */
const ownerRepoOf = (url: string): string | undefined => {
  const path = /^[^@/]+@[^:/]+:(.+)$/.exec(url)?.[1] ?? /^[a-z+]+:\/\/[^/]+\/(.+)$/i.exec(url)?.[1];
  const parts = path
    ?.replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/');
  return parts && parts.length >= 2 ? parts.slice(-2).join('/').toLowerCase() : undefined;
};

/** One output line. */
const line = (key: string, value: string): string => `${key}: ${value}`;

/** What the capture step needs from its surroundings. */
export interface CollectInput {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly run: CommandRunner;
  readonly report: StreamReport;
  /** PR URLs seen in the agent's output; used only when `gh` cannot be asked. */
  readonly streamPrUrls?: readonly string[];
}

const prsFromGh = async (
  run: CommandRunner,
  cwd: string,
  branch: string,
  repo?: string,
): Promise<string[] | undefined> => {
  const out = await run(
    'gh',
    ['pr', 'list', '--head', branch, '--json', 'url', ...(repo ? ['--repo', repo] : [])],
    cwd,
  );
  if (out === undefined) return undefined;
  try {
    const prs: unknown = JSON.parse(out || '[]');
    if (!Array.isArray(prs)) return undefined;
    return prs
      .map((p) => (p as { url?: unknown }).url)
      .filter((u): u is string => typeof u === 'string' && u !== '');
  } catch {
    return undefined;
  }
};

/**
 * Collects the output lines, in upstream's order: branch, pr (each), commit, base-branch,
 * cost-usd, input-tokens, output-tokens, then response (base64 of the final message).
 * Pull requests come from `gh pr list --head <branch>` on origin and on
 * `$KELOS_UPSTREAM_REPO`; when gh is missing or fails, from PR URLs of this repository
 * that the agent's output mentioned.
 */
export const collectOutputs = async (input: CollectInput): Promise<string[]> => {
  const { cwd, env, run, report } = input;
  const lines: string[] = [];
  const inRepo = (await run('git', ['rev-parse', '--is-inside-work-tree'], cwd)) === 'true';
  if (inRepo) {
    const branch = await run('git', ['branch', '--show-current'], cwd);
    if (branch) {
      lines.push(line(OutputKeys.Branch, branch));
      const upstream = env[Env.UpstreamRepo];
      const fromGh = await prsFromGh(run, cwd, branch);
      const fromUpstream = upstream ? await prsFromGh(run, cwd, branch, upstream) : [];
      let prs: string[];
      if (fromGh !== undefined && fromUpstream !== undefined) {
        prs = [...fromGh, ...fromUpstream];
      } else {
        const origin = ownerRepoOf((await run('git', ['remote', 'get-url', 'origin'], cwd)) ?? '');
        const repos = new Set([origin, upstream?.toLowerCase()].filter((r): r is string => !!r));
        prs = (input.streamPrUrls ?? []).filter((u) => {
          const m = /^https:\/\/[^/]+\/([^/]+\/[^/]+)\/pull\/\d+$/.exec(u);
          return m !== null && repos.has(m[1]!.toLowerCase());
        });
      }
      for (const pr of [...new Set(prs)]) lines.push(line(OutputKeys.PR, pr));
    }
    const commit = await run('git', ['rev-parse', 'HEAD'], cwd);
    if (commit) lines.push(line(OutputKeys.Commit, commit));
  }
  const baseBranch = env[Env.BaseBranch];
  if (baseBranch) {
    lines.push(line(OutputKeys.BaseBranch, baseBranch));
  } else if (inRepo) {
    const ref = await run('git', ['symbolic-ref', 'refs/remotes/origin/HEAD'], cwd);
    const base = ref?.replace(/^refs\/remotes\/origin\//, '');
    if (base) lines.push(line(OutputKeys.BaseBranch, base));
  }
  if (report.costUSD !== undefined) lines.push(line(OutputKeys.CostUSD, report.costUSD));
  if (report.inputTokens !== undefined) lines.push(line(OutputKeys.InputTokens, report.inputTokens));
  if (report.outputTokens !== undefined) lines.push(line(OutputKeys.OutputTokens, report.outputTokens));
  if (report.response) {
    const bytes = Buffer.from(report.response, 'utf8').subarray(0, MAX_RESPONSE_BYTES);
    lines.push(line(OutputKeys.Response, bytes.toString('base64')));
  }
  return lines;
};

/** The marker block as printed on stdout; empty when there is nothing to report. */
export const formatOutputBlock = (lines: readonly string[]): string =>
  lines.length === 0 ? '' : `${[OUTPUTS_START, ...lines, OUTPUTS_END].join('\n')}\n`;

const PRIORITY: readonly string[] = [
  OutputKeys.Branch,
  OutputKeys.Commit,
  OutputKeys.BaseBranch,
  OutputKeys.CostUSD,
  OutputKeys.InputTokens,
  OutputKeys.OutputTokens,
  OutputKeys.PR,
];

/**
 * The termination message: the marker block, within Kubernetes' 4096-byte limit. When
 * everything does not fit, lines are kept by importance (branch, commit, base branch,
 * usage, pull requests, anything else, the final message last) and printed in their
 * original order.
 */
export const formatTerminationMessage = (
  lines: readonly string[],
  maxBytes = TERMINATION_MESSAGE_MAX_BYTES,
): string => {
  if (lines.length === 0) return '';
  const rank = (l: string): number => {
    const key = l.slice(0, l.indexOf(': '));
    const i = PRIORITY.indexOf(key);
    return key === OutputKeys.Response ? PRIORITY.length + 1 : i === -1 ? PRIORITY.length : i;
  };
  const order = lines.map((l, i) => ({ l, i })).sort((a, b) => rank(a.l) - rank(b.l) || a.i - b.i);
  let size = Buffer.byteLength(`${OUTPUTS_START}\n${OUTPUTS_END}\n`);
  const keep = new Set<number>();
  for (const { l, i } of order) {
    const n = Buffer.byteLength(`${l}\n`);
    if (size + n <= maxBytes) {
      keep.add(i);
      size += n;
    }
  }
  return formatOutputBlock(lines.filter((_, i) => keep.has(i)));
};

/** Writes the termination message; a failure to write is reported, not fatal. */
export const writeTerminationMessage = (path: string, message: string, stderr: Writable): void => {
  if (message === '') return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, message);
  } catch (e) {
    stderr.write(`kelos-capture: cannot write termination message ${path}: ${(e as Error).message}\n`);
  }
};

/** Pipes `input` through a {@link StreamTap} to `output` and resolves with what it saw. */
export const tapStream = (
  agentType: string,
  input: Readable,
  output: Writable,
): Promise<StreamTap & { report: StreamReport }> =>
  new Promise((resolve, reject) => {
    const tap = new StreamTap(agentType, output);
    input.on('data', (chunk: Buffer) => tap.write(chunk));
    input.on('error', reject);
    input.on('end', () => resolve(Object.assign(tap, { report: tap.end() })));
  });

/** Collects outputs, prints the marker block and writes the termination message. */
export const finishCapture = async (opts: {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly report: StreamReport;
  readonly streamPrUrls: readonly string[];
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly run?: CommandRunner;
}): Promise<string[]> => {
  const lines = await collectOutputs({
    cwd: opts.cwd,
    env: opts.env,
    run: opts.run ?? execRunner(opts.env),
    report: opts.report,
    streamPrUrls: opts.streamPrUrls,
  });
  opts.stdout.write(formatOutputBlock(lines));
  writeTerminationMessage(
    opts.env[Env.TerminationMessagePath] || DEFAULT_TERMINATION_MESSAGE_PATH,
    formatTerminationMessage(lines),
    opts.stderr,
  );
  return lines;
};

/**
 * `kelos-capture` for custom images: `agent … | node /kelos/src/agent/capture.ts`. Exits
 * 1 when Claude Code reported an incomplete run, else 0.
 */
export const captureMain = async (): Promise<number> => {
  const env = process.env;
  const tapped = await tapStream(env[Env.AgentType] ?? '', process.stdin, process.stdout);
  await finishCapture({
    cwd: process.cwd(),
    env,
    report: tapped.report,
    streamPrUrls: tapped.prUrls,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (tapped.report.failure) {
    process.stderr.write(`kelos-capture: ${tapped.report.failure}\n`);
    return 1;
  }
  return 0;
};

if (import.meta.main) {
  process.exitCode = await captureMain();
}
