/**
 * A YAML writer for plain JSON data that writes exactly the bytes `yaml.stringify` writes
 * with {@link YAML_OPTIONS}, about ten times faster, and that can record where each node
 * lands, so synth's diagnostics can point at lines without parsing its own output back.
 *
 * It is a port of the parts of the `yaml` library's stringifier that manifests reach: block
 * maps and sequences indented by two, `{}` and `[]` for empty ones, plain scalars where a
 * YAML 1.1 reader would read them back as the same string (the library's own 1.1 tag tests
 * decide), otherwise single quotes for strings with `"` and no `'`, double quotes (JSON
 * escapes) for the rest, and literal block scalars (`|`, `|-`, `|+`, with an indentation
 * indicator for a leading space) for multi-line strings. Whatever else the library would
 * write its own way (non-finite numbers, control characters, unpaired surrogates, multi-line
 * strings ending in a line of only spaces, multi-line or over-long keys, the string `<<`,
 * `undefined` list items, objects that are not plain, scalar documents) makes it give up, and
 * the caller uses the library. `test/unit/compiler/emit-yaml.test.ts` holds the two writers
 * to the same bytes.
 *
 * @packageDocumentation
 */
import { Document, type Tags } from 'yaml';
import { goPrefixedInt } from '../validate/load.ts';

/**
 * The options synth renders YAML with: YAML 1.1 quoting, so `yes`, `on` or `0755` stay strings
 * for kubectl's parser too, and so do `0o17` and `0X10`, integers to kubectl (Go's prefixes,
 * see {@link goPrefixedInt}); no line folding and no anchors, so the text is stable and greppable.
 */
export const YAML_OPTIONS = {
  version: '1.1',
  lineWidth: 0,
  aliasDuplicateObjects: false,
  customTags: (tags: Tags): Tags => [...tags, goPrefixedInt],
} as const;

/**
 * Where the members of each rendered object and array start: for every container, the
 * position of each member's key (objects, in key order, `undefined` members skipped) or of
 * each item (arrays), encoded as `line * 65536 + column` (1-based, lines of the rendered text).
 */
export type PositionTable = Map<object, number[]>;

/** A rendering with the positions of its nodes. */
export interface TrackedYaml {
  readonly text: string;
  readonly positions: PositionTable;
}

/** Encodes a 1-based line and column as one number (see {@link PositionTable}). */
const encode = (line: number, column: number): number => line * 65536 + column;

/** Line and column of an encoded position. */
export const decodePosition = (encoded: number): { line: number; column: number } => ({
  line: Math.floor(encoded / 65536),
  column: encoded % 65536,
});

const STRING_TAG = 'tag:yaml.org,2002:str';

/**
 * The tests by which the library quotes a string that a YAML 1.1 reader would resolve to
 * another type (booleans, null, numbers, timestamps, sexagesimals, the merge key), taken from
 * the library's own 1.1 schema so the two writers cannot disagree.
 */
const RESOLVES_TO_OTHER_TYPE: readonly RegExp[] = (() => {
  const { tags, compat } = new Document(null, YAML_OPTIONS).schema;
  const out: RegExp[] = [];
  for (const tag of [...tags, ...(compat ?? [])]) {
    const { default: isDefault, test } = tag as { default?: unknown; test?: RegExp };
    if (isDefault && tag.tag !== STRING_TAG && test) out.push(test);
  }
  return out;
})();

/** Characters the library always writes double-quoted with YAML escapes; not ported. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the library's own rule, verbatim.
const FORCES_ESCAPES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** Text that could end a document; the library quotes such keys of the top-level map. */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** What a plain scalar cannot hold (the library's rule, verbatim). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** A block scalar cannot end in a line of only spaces or tabs; the library quotes those. */
const ENDS_IN_BLANK_LINE = /\n[\t ]+$/;
/** Trailing newlines of a kept block that are followed by more text (the library's rule). */
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;
/** Keys longer than this become explicit (`? key`) in the library; not ported. */
const MAX_IMPLICIT_KEY = 1024;

/** Single-line scalars rendered so far; manifests repeat keys and values a lot. */
const scalarCache = new Map<string, string>();
const CACHE_LIMIT = 50_000;
const CACHEABLE_LENGTH = 100;

const quoted = (value: string): string =>
  value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value);

/**
 * The YAML 1.1 merge key. The library writes the string `<<` plain, as the merge key itself,
 * which a reader does not read back as the string; not ported.
 */
const MERGE_KEY = '<<';

/** A string without line breaks, as a key or a value; `undefined` when not ported. */
const singleLine = (value: string): string | undefined => {
  const cached = scalarCache.get(value);
  if (cached !== undefined) return cached;
  if (value === MERGE_KEY || FORCES_ESCAPES.test(value)) return undefined;
  let out = value;
  if (NOT_PLAIN.test(value)) out = quoted(value);
  else {
    for (const test of RESOLVES_TO_OTHER_TYPE) {
      if (test.test(value)) {
        out = quoted(value);
        break;
      }
    }
  }
  if (value.length <= CACHEABLE_LENGTH) {
    if (scalarCache.size >= CACHE_LIMIT) scalarCache.clear();
    scalarCache.set(value, out);
  }
  return out;
};

/**
 * A multi-line string as a literal block scalar whose lines are indented by `indent`: the
 * library's `blockString` for `lineWidth: 0`, step for step.
 */
const literalBlock = (text: string, indent: string): string | undefined => {
  if (FORCES_ESCAPES.test(text) || ENDS_IN_BLANK_LINE.test(text)) return undefined;
  let value = text;
  let endStart = value.length;
  for (; endStart > 0; --endStart) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  const chomp = endNlPos === -1 ? '-' : value === end || endNlPos !== end.length - 1 ? '+' : '';
  if (end) {
    value = value.slice(0, -end.length);
    if (end[end.length - 1] === '\n') end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd = 0;
  let startNlPos = -1;
  for (; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? '2' : '') + chomp;
  return `|${header}\n${indent}${start}${value.replace(/\n+/g, `$&${indent}`)}${end}`;
};

/** Thrown inside the writer to give up; never escapes this module. */
const UNSUPPORTED = Symbol('unsupported');

const isPlainObject = (v: object): v is Record<string, unknown> =>
  Object.getPrototypeOf(v) === Object.prototype;

/**
 * One rendering in progress. The text is appended in order, so the current line is always
 * known and a node's position is recorded as it is written.
 */
class Writer {
  out = '';
  line = 1;
  readonly positions: PositionTable | undefined;

  constructor(track: boolean) {
    this.positions = track ? new Map() : undefined;
  }

  /** Starts recording the positions of a container's members; a shared container cannot be tracked. */
  private table(container: object): number[] | undefined {
    if (!this.positions) return undefined;
    if (this.positions.has(container)) throw UNSUPPORTED;
    const table: number[] = [];
    this.positions.set(container, table);
    return table;
  }

  /** A scalar; `indent` is the indentation of a block scalar's lines. */
  scalar(value: unknown, indent: string): string {
    switch (typeof value) {
      case 'string': {
        if (!value.includes('\n')) {
          const s = singleLine(value);
          if (s === undefined) throw UNSUPPORTED;
          return s;
        }
        const block = literalBlock(value, indent);
        if (block === undefined) throw UNSUPPORTED;
        if (this.positions) {
          for (let i = block.indexOf('\n'); i !== -1; i = block.indexOf('\n', i + 1)) this.line += 1;
        }
        return block;
      }
      case 'number':
        if (!Number.isFinite(value)) throw UNSUPPORTED;
        return Object.is(value, -0) ? '-0' : String(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'object':
        if (value === null) return 'null';
        throw UNSUPPORTED;
      default:
        throw UNSUPPORTED;
    }
  }

  /** A non-empty block map whose pairs are indented by `indent`; the first pair goes where the text ends. */
  map(object: Record<string, unknown>, keys: readonly string[], indent: string): void {
    const table = this.table(object);
    const childIndent = `${indent}  `;
    let first = true;
    for (const key of keys) {
      const value = object[key];
      if (value === undefined) continue;
      if (key === '__proto__' || key.includes('\n')) throw UNSUPPORTED;
      let k = singleLine(key);
      if (k === undefined) throw UNSUPPORTED;
      if (indent === '' && DOCUMENT_MARKER.test(key)) k = quoted(key);
      if (k.length > MAX_IMPLICIT_KEY) throw UNSUPPORTED;
      if (first) first = false;
      else {
        this.out += `\n${indent}`;
        this.line += 1;
      }
      table?.push(encode(this.line, indent.length + 1));
      this.out += `${k}:`;
      this.value(value, childIndent);
    }
  }

  /** A non-empty block sequence whose items are indented by `indent`; the first item goes where the text ends. */
  seq(items: readonly unknown[], indent: string): void {
    const table = this.table(items);
    const itemIndent = `${indent}  `;
    for (let i = 0; i < items.length; i++) {
      if (i > 0) {
        this.out += `\n${indent}`;
        this.line += 1;
      }
      this.out += '- ';
      table?.push(encode(this.line, indent.length + 3));
      this.node(items[i], itemIndent);
    }
  }

  /** A map value: after `key:`, on the same line, or on the next for a non-empty collection. */
  value(value: unknown, indent: string): void {
    if (typeof value === 'object' && value !== null) {
      const keys = this.collectionKeys(value);
      if (keys === undefined) {
        this.out += Array.isArray(value) ? ' []' : ' {}';
        return;
      }
      this.out += `\n${indent}`;
      this.line += 1;
      if (Array.isArray(value)) this.seq(value, indent);
      else this.map(value as Record<string, unknown>, keys, indent);
      return;
    }
    this.out += ` ${this.scalar(value, indent)}`;
  }

  /**
   * The keys of a non-empty object (`[]` for a non-empty array), `undefined` for an empty
   * collection, which is written in flow style.
   */
  private collectionKeys(value: object): readonly string[] | undefined {
    if (Array.isArray(value)) {
      if (value.length === 0) return undefined;
      for (let i = 0; i < value.length; i++) if (value[i] === undefined) throw UNSUPPORTED;
      return [];
    }
    if (!isPlainObject(value)) throw UNSUPPORTED;
    const keys = Object.keys(value);
    for (const key of keys) if (value[key] !== undefined) return keys;
    return undefined;
  }

  /** A node written where the text ends: a sequence item, or the document. */
  node(value: unknown, indent: string): void {
    if (typeof value === 'object' && value !== null) {
      const keys = this.collectionKeys(value);
      if (keys === undefined) {
        this.out += Array.isArray(value) ? '[]' : '{}';
        return;
      }
      if (Array.isArray(value)) this.seq(value, indent);
      else this.map(value as Record<string, unknown>, keys, indent);
      return;
    }
    this.out += this.scalar(value, indent);
  }
}

const write = (value: unknown, track: boolean): Writer | undefined => {
  // A scalar document has rules of its own (document markers, top-level block scalars); manifests are maps.
  if (typeof value !== 'object' || value === null) return undefined;
  const writer = new Writer(track);
  try {
    writer.node(value, '');
  } catch (err) {
    if (err === UNSUPPORTED) return undefined;
    throw err;
  }
  writer.out += '\n';
  return writer;
};

/**
 * `value` as YAML, byte for byte what `yaml.stringify(value, YAML_OPTIONS)` writes, or
 * `undefined` when the value holds something this writer does not cover.
 */
export const emitYaml = (value: unknown): string | undefined => write(value, false)?.out;

/**
 * Like {@link emitYaml}, and records the position of every member and item. Also
 * `undefined` when one object or array occurs twice in the value (its positions would be
 * ambiguous).
 */
export const emitTrackedYaml = (value: unknown): TrackedYaml | undefined => {
  const writer = write(value, true);
  return writer?.positions ? { text: writer.out, positions: writer.positions } : undefined;
};

/**
 * The position of member `key` of `parent` (an object or array of a tracked rendering), as
 * recorded in `positions`; `undefined` when the rendering did not write it.
 */
export const memberPosition = (
  positions: PositionTable,
  parent: object,
  key: string | number,
): { line: number; column: number } | undefined => {
  const table = positions.get(parent);
  if (!table) return undefined;
  let index = -1;
  if (typeof key === 'number') index = key;
  else {
    // Members are recorded in key order, without the `undefined` ones the writer skips.
    let i = 0;
    for (const k of Object.keys(parent)) {
      if ((parent as Record<string, unknown>)[k] === undefined) continue;
      if (k === key) {
        index = i;
        break;
      }
      i += 1;
    }
  }
  const encoded = table[index];
  return encoded === undefined ? undefined : decodePosition(encoded);
};
