/**
 * `kelos __complete --current=<word> <words before it>…`: what the completion scripts offer
 * for the word being typed, one candidate per line. Commands, subcommands and flags come from
 * the commander program itself (so a new command or flag completes without a change here),
 * kinds from the API's kind table, argument and flag choices from commander, and resource
 * names live from the cluster the typed `--kubeconfig`, `--context` and `-n` select.
 *
 * A lookup in the cluster gets {@link LIVE_TIMEOUT_MS}; on any error or timeout it offers
 * nothing, and the completion prints nothing (a TAB must never print an error into the
 * user's command line).
 *
 * @packageDocumentation
 */
import type { Argument, Command, Option } from 'commander';
import { KINDS } from '../../api/index.ts';
import { CoreResources, type ResourceType } from '../../kube/client.ts';
import { Resources } from '../../operator/resources.ts';
import { type Cluster, type ClusterFlags, connect } from '../cluster/connection.ts';
import { namesOf, resolveKind } from '../cluster/kinds.ts';
import type { CliIo } from '../io.ts';

/** How long a completion may wait for the cluster. */
export const LIVE_TIMEOUT_MS = 2_000;

/** Names of the objects of a type in the namespace the typed flags select; [] when unknown. */
export type NameLister = (type: ResourceType, flags: ClusterFlags) => Promise<string[]>;

/** Kinds whose objects a flag's value names, by the flag's attribute name. */
const FLAG_KINDS: Readonly<Record<string, ResourceType>> = {
  namespace: CoreResources.Namespace,
  workspace: Resources.Workspace,
  agentConfig: Resources.AgentConfig,
  dependsOn: Resources.Task,
};

/** Commands whose `<kind>` argument takes TaskSpawners only. */
const SPAWNER_ONLY = new Set(['suspend', 'resume']);

const takesValue = (opt: Option): boolean => opt.required || opt.optional;

const findOption = (cmd: Command, flag: string): Option | undefined =>
  cmd.options.find((o) => o.long === flag || o.short === flag);

const findCommand = (cmd: Command, word: string): Command | undefined =>
  cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));

/** What the words before the cursor say: the command, its positional arguments, its flags. */
interface Parsed {
  readonly command: Command;
  readonly positionals: string[];
  readonly flags: ClusterFlags & Record<string, unknown>;
  /** The flag whose value is being typed. */
  readonly pending: Option | undefined;
}

/** Walks the words as commander would: subcommands, flags (and their values), positionals. */
export function parseWords(program: Command, words: readonly string[]): Parsed {
  let command = program;
  const positionals: string[] = [];
  const flags: Record<string, unknown> = {};
  let pending: Option | undefined;
  /** The pending flag's word was a long one (`--type`), which bash may split from its `=`. */
  let pendingLong = false;
  let operandsOnly = false;
  for (const word of words) {
    if (pending && pendingLong && word === '=') {
      // bash splits `--type=codex` into `--type`, `=`, `codex` (COMP_WORDBREAKS holds `=`).
      pendingLong = false;
    } else if (pending) {
      flags[pending.attributeName()] = word;
      pending = undefined;
    } else if (!operandsOnly && word === '--') {
      operandsOnly = true;
    } else if (!operandsOnly && word.startsWith('-') && word !== '-') {
      const eq = word.indexOf('=');
      const opt = findOption(command, eq > 0 ? word.slice(0, eq) : word);
      if (opt && takesValue(opt)) {
        if (eq > 0) flags[opt.attributeName()] = word.slice(eq + 1);
        else {
          pending = opt;
          pendingLong = word.startsWith('--');
        }
      } else if (opt) flags[opt.attributeName()] = true;
    } else {
      const sub = positionals.length === 0 ? findCommand(command, word) : undefined;
      if (sub) command = sub;
      else positionals.push(word);
    }
  }
  return { command, positionals, flags, pending };
}

/** The flags a command takes, long and short. */
const flagsOf = (cmd: Command): string[] => [
  ...cmd.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)),
  '--help',
];

/** Every name of every served kind (`task`, `tasks`, `tk`, …); TaskSpawner's alone for suspend/resume. */
const kindNames = (cmd: Command): string[] =>
  KINDS.filter((k) => !SPAWNER_ONLY.has(cmd.name()) || k.kind === 'TaskSpawner').flatMap(namesOf);

/** The candidates for positional argument `index` of `parsed.command`. */
async function argumentCandidates(parsed: Parsed, list: NameLister): Promise<string[]> {
  const { command, positionals, flags } = parsed;
  const args: readonly Argument[] = command.registeredArguments;
  const last = args.at(-1);
  const arg = args[positionals.length] ?? (last?.variadic ? last : undefined);
  if (!arg) return [];
  if (arg.argChoices) return arg.argChoices;
  switch (arg.name()) {
    case 'kind':
      return kindNames(command);
    case 'task':
      return list(Resources.Task, flags);
    case 'name':
    case 'names': {
      const kindIndex = args.findIndex((a) => a.name() === 'kind');
      const kindArg = kindIndex >= 0 ? positionals[kindIndex] : undefined;
      if (kindArg === undefined) return [];
      try {
        return await list(resolveKind(kindArg).type, flags);
      } catch {
        return [];
      }
    }
    default:
      return [];
  }
}

/** The candidates for the value of `opt`. */
async function optionCandidates(opt: Option, flags: ClusterFlags, list: NameLister): Promise<string[]> {
  if (opt.argChoices) return opt.argChoices;
  const attribute = opt.attributeName();
  if (attribute === 'from') return (await list(Resources.TaskSpawner, flags)).map((n) => `taskspawner/${n}`);
  const type = FLAG_KINDS[attribute];
  return type ? list(type, flags) : [];
}

/** What to offer for `current`, given the words before it. */
export async function completeWords(
  program: Command,
  words: readonly string[],
  current: string,
  list: NameLister,
): Promise<string[]> {
  const parsed = parseWords(program, words);
  // The equals form, `--type=co` typed as one word (zsh, fish, PowerShell): the flag's values,
  // each as the whole word the shell replaces.
  const eq = !parsed.pending && current.startsWith('--') ? current.indexOf('=') : -1;
  const flag = eq > 0 ? findOption(parsed.command, current.slice(0, eq)) : undefined;
  if (flag && takesValue(flag)) {
    const prefix = current.slice(0, eq + 1);
    const values = await optionCandidates(flag, parsed.flags, list);
    return [...new Set(values.map((v) => `${prefix}${v}`).filter((c) => c.startsWith(current)))];
  }
  let candidates: string[];
  if (parsed.pending) candidates = await optionCandidates(parsed.pending, parsed.flags, list);
  else if (current.startsWith('-')) candidates = flagsOf(parsed.command);
  else if (parsed.command.commands.length > 0 && parsed.positionals.length === 0) {
    candidates = parsed.command.commands.map((c) => c.name());
  } else candidates = await argumentCandidates(parsed, list);
  return [...new Set(candidates.filter((c) => c.startsWith(current)))];
}

/** Lists names from the cluster the flags select, within {@link LIVE_TIMEOUT_MS}; [] on any failure. */
export const liveNames =
  (io: CliIo, timeoutMs = LIVE_TIMEOUT_MS): NameLister =>
  async (type, flags) => {
    let finished = false;
    let cluster: Cluster | undefined;
    let timer: NodeJS.Timeout | undefined;
    const lookup = (async () => {
      const connected = await connect(flags, io);
      cluster = connected;
      // Connected after the deadline: nothing may stay open.
      if (finished) connected.close();
      const page = await connected.client.list(type, {
        ...(type.namespaced ? { namespace: connected.namespace } : {}),
        limit: 500,
      });
      return page.items.map((o) => o.metadata.name ?? '').filter(Boolean);
    })();
    lookup.catch(() => {});
    const timeout = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), timeoutMs);
    });
    try {
      return await Promise.race([lookup, timeout]);
    } catch {
      return [];
    } finally {
      finished = true;
      clearTimeout(timer);
      // Destroys the sockets, so a request still waiting cannot keep the process alive.
      cluster?.close();
    }
  };

/**
 * Runs `kelos __complete`: prints the candidates, one per line; never an error. `program`
 * builds the program with the one command named (loading every command module costs seconds,
 * too slow for a TAB); `commandNames` answers the command word itself.
 */
export async function completeMain(
  args: readonly string[],
  io: CliIo,
  program: (command: string | undefined) => Promise<Command>,
  commandNames: readonly string[],
): Promise<void> {
  const first = args[0] ?? '';
  const current = first.startsWith('--current=') ? first.slice('--current='.length) : '';
  const words = first.startsWith('--current=') ? args.slice(1) : args;
  try {
    const candidates =
      words.length === 0 && !current.startsWith('-')
        ? commandNames.filter((n) => n.startsWith(current))
        : await completeWords(await program(words[0]), words, current, liveNames(io));
    if (candidates.length > 0) io.stdout(`${candidates.join('\n')}\n`);
  } catch {
    // Nothing to offer; the shell falls back to its default.
  }
}
