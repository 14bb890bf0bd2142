/**
 * A fast reader for the plain subset of YAML that manifests are written in: block mappings and
 * sequences, one-line plain and quoted scalars, literal and folded-free block scalars (`|`,
 * `|-`, `|+`), empty flow collections and comments. It yields the plain values and the source
 * offset of every mapping key and sequence item, which is all {@link parseManifests} keeps.
 *
 * Why not only the `yaml` library: its document model (a node per scalar, pair and collection,
 * with ranges, comments and tags) cost more than a whole kubeconform run on 10,000 manifests,
 * and the trees had to be kept for locating diagnostics. This reader allocates only the values
 * and one offset per key or item, at a fraction of the time.
 *
 * It is a fast path, never a second YAML implementation: on anything outside the subset
 * (anchors, aliases, tags, flow collections with content, multi-line plain or quoted scalars,
 * folded scalars, explicit indentation, tabs, carriage returns, control characters, duplicate
 * keys, keys that are not strings, documents that are not mappings) it gives up and the caller
 * parses the whole text with the `yaml` library, so every value, position and diagnostic is
 * the library's. Scalars are resolved with the library's own YAML 1.1 tags, passed in.
 *
 * @packageDocumentation
 */
import type { Tags } from 'yaml';
import { byKey, INDEX_LIKE, MAX_LISTED, type MemberOffsets } from './member-offsets.ts';
import { unquote } from './quoted-scalar.ts';

export { type MemberOffsets, memberOffset } from './member-offsets.ts';

/** One document read by {@link readPlainYaml}. */
export interface PlainDocument {
  /** The document's value: always a mapping. */
  readonly value: Record<string, unknown>;
  /** Offset where the document's mapping starts (its first key). */
  readonly start: number;
}

/** What {@link readPlainYaml} read from one text. */
export interface PlainYaml {
  readonly documents: PlainDocument[];
  /** Offsets of the members of every object and array of every document, by identity. */
  readonly offsets: Map<object, MemberOffsets>;
}

/** Thrown (and caught in {@link readPlainYaml}) when the text leaves the subset. */
const OUTSIDE = Symbol('outside the plain subset');

/** Nesting beyond this is left to the library, which reports what is too deep. */
const MAX_NESTING = 100;

/** Characters the fast path refuses anywhere: tabs, CR, other controls, NEL, LS, PS, BOM. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters refused
const REFUSED = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;

/** First characters of a plain scalar that the subset does not read as one. */
const INDICATOR = new Set([...'-?:,[]{}#&*!|>\'"%@`']);

const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;

type ScalarTag = {
  readonly default?: boolean | 'key';
  readonly test?: RegExp;
  readonly collection?: string;
  resolve(value: string, onError: (message: string) => void, options: object): unknown;
};

const RESOLVE_OPTIONS = { intAsBigInt: false };

/** Most entries a cache of {@link Reader} holds, so distinct input costs no unbounded memory. */
const CACHE_LIMIT = 4096;

/** Per set of tags: the scalar tags, and what keys and plain scalars resolved to. */
const caches = new WeakMap<
  readonly ScalarTag[],
  { tags: readonly ScalarTag[]; plainKeys: Map<string, boolean>; scalars: Map<string, unknown> }
>();

const remember = <T>(cache: Map<string, T>, key: string, value: T): void => {
  if (cache.size < CACHE_LIMIT && key.length <= 256) cache.set(key, value);
};

const outside = (): never => {
  throw OUTSIDE;
};

/**
 * Reads `text` when it lies in the plain subset; `undefined` when it does not (or holds no
 * document), and the caller must parse it with the `yaml` library.
 *
 * @param tags The scalar tags the library resolves plain scalars with (its `schema.tags`).
 */
export function readPlainYaml(text: string, tags: Tags): PlainYaml | undefined {
  if (REFUSED.test(text)) return undefined;
  try {
    return new Reader(text, tags as unknown as readonly ScalarTag[]).read();
  } catch (err) {
    if (err === OUTSIDE) return undefined;
    throw err;
  }
}

class Reader {
  private readonly text: string;
  private readonly tags: readonly ScalarTag[];
  /** Start offset of the current line. */
  private line = 0;
  /** End of the current line (offset of its newline, or the text's length). */
  private end = 0;
  /** Offset of the current line's first non-space character. */
  private first = 0;
  private depth = 0;
  private readonly offsets = new Map<object, MemberOffsets>();
  /** Keys and plain scalars already resolved: manifests repeat the same few over and over. */
  private readonly plainKeys: Map<string, boolean>;
  private readonly scalars: Map<string, unknown>;

  constructor(text: string, tags: readonly ScalarTag[]) {
    this.text = text;
    let cache = caches.get(tags);
    if (!cache) {
      cache = {
        tags: tags.filter((t) => !t.collection && t.test),
        plainKeys: new Map(),
        scalars: new Map(),
      };
      caches.set(tags, cache);
    }
    this.tags = cache.tags;
    this.plainKeys = cache.plainKeys;
    this.scalars = cache.scalars;
  }

  read(): PlainYaml | undefined {
    const documents: PlainDocument[] = [];
    this.at(0);
    for (;;) {
      this.skipBlank();
      if (this.line >= this.text.length) break;
      if (this.isMarker('---')) {
        if (this.first !== this.line) outside();
        const rest = this.afterSpaces(this.line + 3);
        if (rest < this.end && this.text.charCodeAt(rest) !== HASH) outside();
        this.next();
        continue;
      }
      if (this.isMarker('...')) outside();
      if (this.first !== this.line) outside();
      const start = this.first;
      const value = this.node(this.first - this.line, -1);
      if (!isObject(value)) outside();
      documents.push({ value: value as Record<string, unknown>, start });
    }
    return documents.length > 0 ? { documents, offsets: this.offsets } : undefined;
  }

  /** Moves to the line starting at `offset`. */
  private at(offset: number): void {
    this.line = offset;
    const nl = this.text.indexOf('\n', offset);
    this.end = nl === -1 ? this.text.length : nl;
    let i = offset;
    while (i < this.end && this.text.charCodeAt(i) === SPACE) i++;
    this.first = i;
  }

  private next(): void {
    this.at(this.end + 1);
  }

  /** Skips blank and comment-only lines. */
  private skipBlank(): void {
    while (
      this.line < this.text.length &&
      (this.first === this.end || this.text.charCodeAt(this.first) === HASH)
    )
      this.next();
  }

  private isMarker(marker: string): boolean {
    return (
      this.text.startsWith(marker, this.line) &&
      (this.line + 3 === this.end || this.text.charCodeAt(this.line + 3) === SPACE)
    );
  }

  private afterSpaces(offset: number): number {
    let i = offset;
    while (i < this.end && this.text.charCodeAt(i) === SPACE) i++;
    return i;
  }

  /** The next content line's indentation; -1 at the end of the document. */
  private nextIndent(): number {
    this.skipBlank();
    if (this.line >= this.text.length) return -1;
    if (this.first === this.line && (this.isMarker('---') || this.isMarker('...'))) return -1;
    return this.first - this.line;
  }

  private isSeqItem(offset: number): boolean {
    return (
      this.text.charCodeAt(offset) === DASH &&
      (offset + 1 === this.end || this.text.charCodeAt(offset + 1) === SPACE)
    );
  }

  /** A block node starting at the current line's first character, at column `indent`. */
  private node(indent: number, parent: number): unknown {
    if (indent <= parent) outside();
    if (++this.depth > MAX_NESTING) outside();
    const value = this.isSeqItem(this.first) ? this.sequence(indent) : this.mapping(indent, this.first);
    this.depth--;
    return value;
  }

  /** A block mapping whose first key starts at `from` (on the current line), at column `indent`. */
  private mapping(indent: number, from: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    const keys: string[] = [];
    const offsets: number[] = [];
    let keyed = false;
    let keyAt = from;
    for (;;) {
      const { key, colon } = this.key(keyAt);
      if (key === '__proto__' || Object.hasOwn(object, key)) outside();
      // Offsets in key order, which is the object's own order unless a key looks like an index.
      if (INDEX_LIKE.test(key)) keyed = true;
      keys.push(key);
      offsets.push(keyAt);
      object[key] = this.value(colon + 1, indent, true);
      const nextIndent = this.nextIndent();
      if (nextIndent < indent) {
        // Copied to their exact length: an array grown by push keeps room for 17 numbers.
        this.offsets.set(
          object,
          keyed || offsets.length > MAX_LISTED ? byKey(keys, offsets) : offsets.slice(),
        );
        return object;
      }
      if (nextIndent > indent || this.isSeqItem(this.first)) outside();
      keyAt = this.first;
    }
  }

  /** A block sequence at column `indent`, its first `-` on the current line. */
  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    const offsets: number[] = [];
    for (;;) {
      const itemAt = this.afterSpaces(this.first + 1);
      if (itemAt === this.end || this.text.charCodeAt(itemAt) === HASH) {
        // `-` alone: the item is on the lines below (or empty, which the library places oddly).
        this.next();
        const below = this.nextIndent();
        if (below <= indent) outside();
        offsets.push(this.first);
        items.push(this.node(below, indent));
      } else if (this.isSeqItem(itemAt)) {
        outside();
      } else if (this.keyEnd(itemAt) !== -1) {
        offsets.push(itemAt);
        if (++this.depth > MAX_NESTING) outside();
        items.push(this.mapping(itemAt - this.line, itemAt));
        this.depth--;
      } else {
        offsets.push(itemAt);
        items.push(this.value(itemAt, indent, false));
      }
      const nextIndent = this.nextIndent();
      if (nextIndent < indent) return this.sequenceOf(items, offsets);
      if (nextIndent > indent || !this.isSeqItem(this.first)) {
        // A key at the sequence's column ends a sequence that is a mapping's value.
        if (nextIndent === indent && !this.isSeqItem(this.first)) return this.sequenceOf(items, offsets);
        outside();
      }
    }
  }

  /** A sequence's items and their offsets, copied to their exact length. */
  private sequenceOf(items: unknown[], offsets: number[]): unknown[] {
    const exact = items.slice();
    this.offsets.set(exact, offsets.slice());
    return exact;
  }

  /**
   * Where the key starting at `from` ends: the offset of its `:`, or -1 when the line does not
   * start with a key the subset reads.
   */
  private keyEnd(from: number): number {
    const text = this.text;
    const c = text.charCodeAt(from);
    if (c === 34 || c === 39) {
      const close = this.quotedEnd(from);
      if (close === -1) return -1;
      const colon = close + 1;
      return text.charCodeAt(colon) === COLON &&
        (colon + 1 === this.end || text.charCodeAt(colon + 1) === SPACE)
        ? colon
        : -1;
    }
    for (let i = from; i < this.end; i++) {
      const d = text.charCodeAt(i);
      if (d === COLON && (i + 1 === this.end || text.charCodeAt(i + 1) === SPACE)) return i;
      if (d === HASH && text.charCodeAt(i - 1) === SPACE) return -1;
    }
    return -1;
  }

  /** Reads the key at `from`: its text and the offset of the `:` after it. */
  private key(from: number): { key: string; colon: number } {
    const colon = this.keyEnd(from);
    if (colon === -1) outside();
    const c = this.text.charCodeAt(from);
    if (c === 34 || c === 39) return { key: this.quoted(from, colon - 1), colon };
    const raw = this.text.slice(from, colon);
    let plain = this.plainKeys.get(raw);
    if (plain === undefined) {
      plain =
        !INDICATOR.has(raw[0] as string) &&
        !raw.endsWith(' ') &&
        !/[[\]{},#&*!|>'"%@`]/.test(raw) &&
        // A plain key the library would resolve to a boolean, number, null or merge is left to it.
        !this.tags.some((tag) => tag.default && tag.test?.test(raw));
      remember(this.plainKeys, raw, plain);
    }
    if (!plain) outside();
    return { key: raw, colon };
  }

  /**
   * The value after a key's `:` (or a sequence item's `-`), from `from` on the current line;
   * moves past it. `indent` is the column of the collection holding it.
   */
  private value(from: number, indent: number, ofKey: boolean): unknown {
    const start = this.afterSpaces(from);
    if (start === this.end || this.text.charCodeAt(start) === HASH) {
      if (!ofKey) outside();
      this.next();
      const below = this.nextIndent();
      if (below > indent) return this.node(below, indent);
      // An indentless sequence: a mapping's value may start at the mapping's own column.
      if (below === indent && this.isSeqItem(this.first)) {
        if (++this.depth > MAX_NESTING) outside();
        const items = this.sequence(indent);
        this.depth--;
        return items;
      }
      return null;
    }
    const c = this.text.charCodeAt(start);
    if (c === 124) return this.block(start, indent);
    let value: unknown;
    let after: number;
    if (c === 34 || c === 39) {
      const close = this.quotedEnd(start);
      if (close === -1) outside();
      value = this.quoted(start, close);
      after = close + 1;
    } else if (c === 91 || c === 123) {
      const close = start + 1;
      if (this.text.charCodeAt(close) !== (c === 91 ? 93 : 125)) outside();
      value = c === 91 ? [] : {};
      this.offsets.set(value as object, c === 91 ? [] : new Map());
      after = close + 1;
    } else {
      const { text, end } = this.plain(start);
      value = this.resolve(text);
      after = end;
    }
    const rest = this.afterSpaces(after);
    if (rest < this.end && !(this.text.charCodeAt(rest) === HASH && rest > after)) outside();
    this.next();
    return value;
  }

  /** A one-line plain scalar from `start`: its text and where it ends. */
  private plain(start: number): { text: string; end: number } {
    const text = this.text;
    const first = text[start] as string;
    if (INDICATOR.has(first)) {
      const second = text.charCodeAt(start + 1);
      const spaced = start + 1 === this.end || second === SPACE;
      // `-1`, `-x`, `:x` and `?x` are plain scalars; the other indicators never start one.
      if (!((first === '-' || first === ':' || first === '?') && !spaced)) outside();
    }
    let end = this.end;
    for (let i = start; i < this.end; i++) {
      const d = text.charCodeAt(i);
      if (d === HASH && text.charCodeAt(i - 1) === SPACE) {
        end = i;
        break;
      }
      // `a: b` inside a value is a mapping the subset does not read (or an error).
      if (d === COLON && (i + 1 === this.end || text.charCodeAt(i + 1) === SPACE)) outside();
    }
    while (end > start && text.charCodeAt(end - 1) === SPACE) end--;
    return { text: text.slice(start, end), end };
  }

  /** A plain scalar's value, resolved by the library's tags. */
  private resolve(raw: string): unknown {
    const known = this.scalars.get(raw);
    if (known !== undefined) return known;
    const value = this.resolveByTags(raw);
    remember(this.scalars, raw, value);
    return value;
  }

  private resolveByTags(raw: string): unknown {
    for (const tag of this.tags) {
      if (tag.default !== true || !tag.test?.test(raw)) continue;
      const resolved = tag.resolve(raw, outside, RESOLVE_OPTIONS);
      const value =
        typeof resolved === 'object' && resolved !== null && 'value' in resolved
          ? (resolved as { value: unknown }).value
          : resolved;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'object' && value !== null) outside();
      return value;
    }
    return raw;
  }

  /** Offset of the closing quote of the one-line quoted scalar at `start`; -1 when it has none. */
  private quotedEnd(start: number): number {
    const text = this.text;
    const quote = text.charCodeAt(start);
    for (let i = start + 1; i < this.end; i++) {
      const d = text.charCodeAt(i);
      if (quote === 34 && d === 92) i++;
      else if (d === quote) {
        if (quote === 39 && text.charCodeAt(i + 1) === 39) i++;
        else return i;
      }
    }
    return -1;
  }

  /** The value of the quoted scalar from `start` to its closing quote at `close`. */
  private quoted(start: number, close: number): string {
    const value = unquote(this.text.slice(start + 1, close), this.text.charCodeAt(start) === 39);
    return value ?? outside();
  }

  /**
   * A literal block scalar (`|`, `|-`, `|+`) whose indicator is at `start`, in a collection at
   * column `indent`; moves past its last line.
   */
  private block(start: number, indent: number): string {
    const text = this.text;
    let i = start + 1;
    const chomp = text[i] === '-' ? 'strip' : text[i] === '+' ? 'keep' : 'clip';
    if (chomp !== 'clip') i++;
    const rest = this.afterSpaces(i);
    if (rest < this.end && !(text.charCodeAt(rest) === HASH && rest > i)) outside();
    // Body lines: the first non-empty one sets the indentation.
    this.next();
    const lines: string[] = [];
    let contentIndent = -1;
    let maxEmpty = 0;
    while (this.line < text.length) {
      const lineIndent = this.first - this.line;
      if (this.first === this.end) {
        // An empty line (spaces only) belongs to the block; one with more spaces than the
        // content's indentation keeps them, which is left to the library.
        if (contentIndent !== -1 && lineIndent > contentIndent) outside();
        if (contentIndent === -1) maxEmpty = Math.max(maxEmpty, lineIndent);
        lines.push('');
        this.next();
        continue;
      }
      if (contentIndent === -1) {
        if (lineIndent <= indent) break;
        // Leading empty lines indented more than the content are an error in YAML.
        if (maxEmpty > lineIndent) outside();
        contentIndent = lineIndent;
      } else if (lineIndent < contentIndent) break;
      if (this.line === this.first && (this.isMarker('---') || this.isMarker('...'))) break;
      lines.push(text.slice(this.line + contentIndent, this.end));
      this.next();
    }
    // Trailing empty lines: kept with `|+`, one newline with `|`, none with `|-`.
    let last = lines.length;
    while (last > 0 && lines[last - 1] === '') last--;
    if (last === 0) outside();
    const body = lines.slice(0, last).join('\n');
    if (chomp === 'strip') return body;
    if (chomp === 'clip') return `${body}\n`;
    return `${body}\n${'\n'.repeat(lines.length - last)}`;
  }
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
