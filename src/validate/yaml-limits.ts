/**
 * Limits on what a manifest may be before the validator walks it, so hostile or broken input
 * costs work in proportion to its size and ends in a located diagnostic, never a crash.
 *
 * - Duplicate keys are found here, with one set per mapping, instead of by the `yaml` library's
 *   `uniqueKeys` option, which compares every key with every earlier one (a valid file with
 *   50,000 labels took most of a minute).
 * - A self-referencing alias (`a: &x {b: *x}`) makes `toJS` return a cyclic value that every
 *   later walk would follow until the stack runs out.
 * - Nesting deeper than {@link MAX_DEPTH} is refused: no Kubernetes object comes near it, and
 *   the walks after loading (schema, CEL, policies) recurse.
 * - One document (one object) larger than {@link MAX_OBJECT_BYTES} is refused before it is
 *   parsed, at its line, and the other documents of its file are read: the API server refuses
 *   such an object whatever carries it, and kubectl and Argo CD send the objects of a file one
 *   by one, so a file of many objects may be larger (a vendored install bundle of CRDs: prometheus-operator's is 4–5 MB).
 * - A file (or standard input) larger than {@link MAX_FILE_BYTES} is refused before it is
 *   parsed: parsing and validating cost time and memory in proportion to the bytes, so this cap
 *   is what bounds what one input can cost. Measured with `kelos validate FILE` of bundles of
 *   the repository's own CRDs renamed (`kelos crds`, 1.7 MB, repeated; user CPU and peak RSS of
 *   the process from `/usr/bin/time -v`, 2 cores at load 10–18; 40 MB with this cap lifted):
 *
 *   | file            | plain YAML (the fast reader) | through the `yaml` library (one anchor in it) |
 *   | --------------- | ---------------------------- | --------------------------------------------- |
 *   | one object      | 0.9 s CPU, 128 MB            | (the same)                                    |
 *   | 5 MB            | 1.1 s CPU, 154 MB            | 2.6 s CPU, 216 MB                             |
 *   | 10 MB           | 1.3 s CPU, 169 MB            | 3.9 s CPU, 272 MB                             |
 *   | 20 MB           | 1.9 s CPU, 197 MB            | 6.3 s CPU, 381 MB                             |
 *   | 40 MB           | 2.5 s CPU, 258 MB            | 13.8 s CPU, 615 MB                            |
 *
 *   Vendored YAML often leaves the fast reader's subset (folded or multi-line strings), so the
 *   library's column is what to expect. 32 MiB keeps its worst near 11 s of CPU and 0.5 GB, what
 *   a CI runner spares, and is six times prometheus-operator's bundle; a
 *   40 MB file is refused in 1.5 s of CPU and 273 MB. Single huge scalars and keys are cheap
 *   to parse and need no cap of their own.
 *
 * All walks here use an explicit stack, so they cannot overflow themselves.
 *
 * @packageDocumentation
 */
import { isMap, isPair, isScalar, isSeq, type Document as YamlDocument } from 'yaml';
import { toPointer } from './diagnostic.ts';

/** Deepest nesting of mappings and lists a manifest may have. */
export const MAX_DEPTH = 128;

/**
 * Largest document (one object) the validator parses: 3 MiB, the kube-apiserver's limit on one
 * request body, which holds one object, and more than three times our largest CRD (the Task
 * CRD, about 0.8 MB).
 */
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;

/**
 * Largest file (or standard input) the validator parses: 32 MiB, the bound on what one input
 * costs (see the measurements above).
 */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/**
 * Most bytes read of one manifest file or of standard input. More bytes than this decode to more
 * than {@link MAX_FILE_BYTES} of UTF-8 whatever they hold (UTF-8 stays as long or grows, UTF-16
 * is at worst two bytes for one), so the input is over the limit whatever follows, and the rest
 * is not read: a 600 MB dump named `*.yaml` took 13 s and 700 MB of memory to be refused, and a
 * stream that never ends (`/dev/zero`, `yes | kelos validate -`) was read until memory ran out.
 */
export const MAX_READ_BYTES = 2 * MAX_FILE_BYTES + 2;

/**
 * An input over {@link MAX_READ_BYTES}, not read to its end: the text of the bytes read (enough
 * to say on which line the limit falls) and the whole size, when known (a regular file's).
 */
export interface CutText {
  readonly head: string;
  readonly bytes: number | undefined;
}

/** Thrown by a bounded read of standard input that passed its limit; `cut` is what was read. */
export class InputTooLarge extends Error {
  readonly cut: CutText;
  constructor(cut: CutText) {
    super(`more than ${MAX_READ_BYTES} bytes`);
    this.cut = cut;
  }
}

/**
 * The `yaml` library's bound on alias expansion (its `maxAliasCount`): aliases may stand for at
 * most this many times the nodes they name. An alias bomb (anchors of aliases of anchors) is a
 * few hundred bytes that expands into gigabytes; no manifest needs more.
 */
export const MAX_ALIAS_COUNT = 100;

/** How far a text is over a limit: its size and the line where the limit falls. */
export interface SizeProblem {
  readonly bytes: number;
  readonly line: number;
}

/** Whether `text` is over `limit` ({@link MAX_FILE_BYTES}) in UTF-8, and where the limit falls. */
export function sizeProblem(text: string, limit: number = MAX_FILE_BYTES): SizeProblem | undefined {
  // A UTF-8 byte is at most one UTF-16 unit, and a unit at most three bytes.
  if (text.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= limit) return undefined;
  // The line breaks in the first `limit` bytes, counted in the bytes: `limit` characters encode
  // to at least as many bytes, and nothing past them is encoded or decoded again.
  const head = Buffer.from(text.slice(0, limit), 'utf8');
  let line = 1;
  for (let i = head.indexOf(10); i !== -1 && i < limit; i = head.indexOf(10, i + 1)) line++;
  return { bytes, line };
}

/** A byte count in MiB for messages: `3 MiB`, `4.52 MiB`. */
export const mib = (bytes: number): string => `${Number((bytes / 1024 / 1024).toFixed(2))} MiB`;

/**
 * A size and the limit it is over, for messages: in MiB (`4.52 MiB`, `3 MiB`), or in bytes when
 * both round to the same MiB (`3,145,800 bytes`, `3,145,728 bytes`).
 */
export const overLimit = (bytes: number, limit: number): readonly [string, string] =>
  mib(bytes) === mib(limit)
    ? [`${bytes.toLocaleString('en-US')} bytes`, `${limit.toLocaleString('en-US')} bytes`]
    : [mib(bytes), mib(limit)];

interface Ranged {
  readonly range?: readonly [number, number, number] | null;
}

/**
 * A mapping key no Kubernetes object can have, and where it starts. (A key kubectl reads other
 * than as written, `on:` or `0755:`, is `map-keys.ts`'s.)
 */
export interface KeyProblem {
  readonly offset: number;
  /** `duplicate`: repeats an earlier key of its mapping; `collection`: is a list or mapping. */
  readonly kind: 'duplicate' | 'collection';
  /** The key as written. */
  readonly source?: string;
  /** For a duplicate: the earlier key as written, and where it starts. */
  readonly first?: { readonly source?: string; readonly offset: number };
  /** For a duplicate: the value both keys read as (`true` for `on` and `yes`). */
  readonly value?: unknown;
}

/** The source text of a scalar key, when the library kept it. */
const sourceOf = (key: unknown): string | undefined =>
  typeof (key as { source?: unknown }).source === 'string' ? (key as { source: string }).source : undefined;

/**
 * The keys the API server's decoder refuses: one that repeats an earlier key of the same
 * mapping (only scalar keys are compared, as the `yaml` library does), and one that is a list
 * or a mapping (JSON keys are strings; the library would stringify it and print a process
 * warning instead of an error). In source order. Two null keys written apart (`~:` and
 * `null:`) are left to `map-keys.ts`, which names both as one null key kubectl refuses.
 */
export function keyProblems(doc: YamlDocument): KeyProblem[] {
  const out: KeyProblem[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Map<unknown, { source?: string; offset: number }>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key;
        const offset = (key as Ranged).range?.[0] ?? 0;
        if (isMap(key) || isSeq(key)) out.push({ offset, kind: 'collection' });
        else if (isScalar(key) && key.value !== '<<') {
          const source = sourceOf(key);
          const first = seen.get(key.value);
          if (!first) seen.set(key.value, { ...(source !== undefined && { source }), offset });
          else if (key.value !== null || first.source === source)
            out.push({
              offset,
              kind: 'duplicate',
              ...(source !== undefined && { source }),
              first,
              value: key.value,
            });
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** Why a loaded value cannot be validated, and where (a JSON pointer). */
export interface ShapeProblem {
  readonly kind: 'cycle' | 'depth';
  readonly path: string;
}

/**
 * The first place where `value` refers back to one of its own ancestors (an alias inside its
 * own anchor), or nests deeper than {@link MAX_DEPTH}; `undefined` when neither happens.
 */
export function shapeProblem(value: unknown): ShapeProblem | undefined {
  type Frame = { node: object; path: Array<string | number>; exit?: true };
  const ancestors = new Set<object>();
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: Frame[] = [{ node: value, path: [] }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.exit) {
      ancestors.delete(frame.node);
      continue;
    }
    if (frame.path.length > MAX_DEPTH) return { kind: 'depth', path: toPointer(frame.path) };
    ancestors.add(frame.node);
    stack.push({ node: frame.node, path: frame.path, exit: true });
    const entries: Array<[string | number, unknown]> = Array.isArray(frame.node)
      ? frame.node.map((v, i) => [i, v])
      : Object.entries(frame.node);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string | number, unknown];
      if (typeof child !== 'object' || child === null) continue;
      if (ancestors.has(child)) return { kind: 'cycle', path: toPointer([...frame.path, key]) };
      stack.push({ node: child, path: [...frame.path, key] });
    }
  }
  return undefined;
}
