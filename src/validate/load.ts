/**
 * Reads manifests (multi-document YAML, JSON, JSON arrays and List kinds) into plain objects
 * that remember where every node came from, so a diagnostic can point at `file:line:column`.
 *
 * YAML is read with YAML 1.1 scalars (`yes`/`on` are booleans, `0755` is octal), as kubectl's
 * sigs.k8s.io/yaml does, so the validator sees the same values the API server will. Unquoted
 * timestamps and `1:20`-style sexagesimal numbers stay strings, as they do there.
 *
 * @packageDocumentation
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  type ScalarTag,
  type Tags,
  visit,
  type Document as YamlDocument,
  type Node as YamlNode,
} from 'yaml';
import type { Diagnostic, Finding, ResourceRef, SourceLocation } from './diagnostic.ts';
import { parsePointer, toPointer } from './diagnostic.ts';
import { describeValue, identityProblems, isPlainObject, resourceOf } from './identity.ts';
import { linePositions } from './line-index.ts';
import { type RetypedKey, retypedKeys } from './map-keys.ts';
import { memberOffset, readPlainYaml } from './plain-yaml.ts';
import { yamlSyntaxFindings } from './yaml-errors.ts';
import {
  type CutText,
  type KeyProblem,
  keyProblems,
  MAX_ALIAS_COUNT,
  MAX_DEPTH,
  MAX_FILE_BYTES,
  MAX_OBJECT_BYTES,
  MAX_READ_BYTES,
  overLimit,
  shapeProblem,
  sizeProblem,
} from './yaml-limits.ts';

/** A 1-based line and column in a source file. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** One object read from a manifest, with a way back to its source text. */
export interface LoadedDocument {
  /** The object, as plain JSON values. */
  readonly object: Record<string, unknown>;
  /** File it came from (`-` or `<stdin>` for standard input, or a synthetic name). */
  readonly file: string;
  /** Position of the object among the objects of its file, from 0. */
  readonly index: number;
  /** 1-based line where the object starts. */
  readonly line: number;
  /**
   * Maps a JSON pointer into {@link LoadedDocument.object} to the position of that node in the
   * source: the key for an object member, the item for an array element. When the node does not
   * exist (a missing required field), the nearest existing parent is returned.
   */
  locate(pointer: string): SourcePosition | undefined;
  /**
   * The source text of the scalar value at a JSON pointer, for checks that point inside a
   * string (a template's line and column); absent for objects that have no YAML source.
   */
  scalar?(pointer: string): ScalarSource | undefined;
}

/** How a string value was written in YAML, so a position inside it maps to the file. */
export interface ScalarSource {
  /** The YAML style: `PLAIN`, `QUOTE_DOUBLE`, `QUOTE_SINGLE`, `BLOCK_LITERAL`, `BLOCK_FOLDED`. */
  readonly style: string;
  /** The scalar as written, from its first character (quote or block indicator). */
  readonly raw: string;
  /** Position of an offset into {@link ScalarSource.raw}. */
  at(rawOffset: number): SourcePosition;
}

/** What {@link parseManifests} found in one text. */
export interface ParseResult {
  readonly documents: LoadedDocument[];
  /** Parse errors and malformed documents; those documents are left out of `documents`. */
  readonly diagnostics: Diagnostic[];
}

/** Codes of the errors after which a document's text could not be read into an object at all. */
const UNREAD_CODES: ReadonlySet<string> = new Set([
  'yaml/parse',
  'json/parse',
  'yaml/too-large',
  'yaml/too-deep',
  'yaml/alias-cycle',
]);

/**
 * The files whose text did not parse, so that what their documents define is unknown (a
 * duplicate key, bad indentation, a JSON syntax error), in the order of `diagnostics`.
 */
export const unreadFiles = (diagnostics: readonly Diagnostic[]): string[] => [
  ...new Set(
    diagnostics.flatMap((d) =>
      d.severity === 'error' && UNREAD_CODES.has(d.code) && d.source ? [d.source.file] : [],
    ),
  ),
];

const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';

/**
 * The integers kubectl reads that YAML 1.1 does not: its sigs.k8s.io/yaml (go-yaml v2) drops
 * every `_` and hands a plain scalar to Go's `strconv.ParseInt(s, 0, 64)`, which also takes the
 * `0o` octal prefix and the upper-case `0O`, `0B` and `0X` ones. So `ref: 0o17` is the integer
 * 15 there, refused as no string, and `activeDeadlineSeconds: 0o17` is accepted.
 */
export const goPrefixedInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  format: 'GO',
  default: true,
  test: /^[-+]?0(?:[oO]_*[0-7][0-7_]*|B_*[01][01_]*|X_*[0-9a-fA-F][0-9a-fA-F_]*)$/,
  resolve: (source) => {
    const plain = source.replaceAll('_', '');
    const negative = plain.startsWith('-');
    const digits = plain.replace(/^[-+]?0/, '0').toLowerCase();
    const value = Number(BigInt(digits));
    return negative ? -value : value;
  },
};

/**
 * YAML 1.1 tags minus the two kubectl does not resolve (timestamps, sexagesimal numbers), plus
 * the integer prefixes it takes from Go ({@link goPrefixedInt}).
 */
const kubectlTags = (tags: Tags): Tags => [
  ...tags.filter(
    (t) => typeof t === 'string' || (t.tag !== TIMESTAMP_TAG && (t as { format?: string }).format !== 'TIME'),
  ),
  goPrefixedInt,
];

/** Builds a document for an object that has no source text (for example one synthesized in memory). */
export const documentFromObject = (
  object: Record<string, unknown>,
  file = '<memory>',
  index = 0,
): LoadedDocument => ({ object, file, index, line: 1, locate: () => undefined });

/**
 * Where a writer put the members of an object it rendered: the position of member `key` of
 * `parent` (an object or array inside the rendered object), `undefined` when unknown.
 */
export type MemberPosition = (parent: object, key: string | number) => SourcePosition | undefined;

/**
 * The document {@link parseManifests} would make of `object` rendered on its own as YAML into
 * `file`, built from the positions the writer recorded instead of by parsing the text back:
 * the same object, index, line and `locate()` answers, the key for an object member and the
 * item for an array element, the nearest existing parent for a node that does not exist.
 *
 * @param start Position of the object's first key, where the document starts.
 * @returns `undefined` when parsing would not yield exactly this one document without
 *   diagnostics (a `kind: List`, or an object without apiVersion, kind or name), so the
 *   caller parses the text.
 */
export function documentFromPositions(
  object: Record<string, unknown>,
  file: string,
  start: SourcePosition,
  memberPosition: MemberPosition,
): LoadedDocument | undefined {
  if (identityProblems(object).length > 0) return undefined;
  if (isListObject(object)) return undefined;
  const locate = (pointer: string): SourcePosition => {
    let node: unknown = object;
    let at = start;
    // The walk of locateOffset, over the object instead of the YAML tree.
    for (const segment of parsePointer(pointer)) {
      let next: SourcePosition | undefined;
      if (Array.isArray(node)) {
        const index = /^\d+$/.test(segment) ? Number(segment) : -1;
        if (index < 0 || index >= node.length) return at;
        next = memberPosition(node, index);
        node = node[index];
      } else if (isPlainObject(node)) {
        if (!Object.hasOwn(node, segment) || node[segment] === undefined) return at;
        next = memberPosition(node, segment);
        node = node[segment];
      } else {
        return at;
      }
      if (next) at = next;
    }
    return at;
  };
  return { object, file, index: 0, line: start.line, locate };
}

/** Each mapping's pairs by key, built on first lookup: a lookup per diagnostic must not scan the map. */
const pairIndex = new WeakMap<object, Map<string, unknown>>();

const pairOf = (map: { items: unknown[] }, key: string): unknown => {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
    }
    pairIndex.set(map, index);
  }
  return index.get(key);
};

/** Finds a node in a parsed YAML tree by JSON-pointer segments; positions are source offsets. */
function locateOffset(
  doc: YamlDocument,
  root: YamlNode | null,
  segments: readonly string[],
): number | undefined {
  let node: unknown = root;
  let offset = (root as { range?: [number, number, number] } | null)?.range?.[0];
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = pairOf(node, segment);
      if (!isPair(pair)) return offset;
      const keyRange = (pair.key as { range?: [number, number, number] }).range;
      if (keyRange) offset = keyRange[0];
      node = pair.value;
    } else if (isSeq(node)) {
      const index = /^\d+$/.test(segment) ? Number(segment) : -1;
      const item = node.items[index] as { range?: [number, number, number] } | undefined;
      if (!item) return offset;
      if (item.range) offset = item.range[0];
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

/** The YAML node at JSON-pointer segments, aliases resolved; `undefined` when there is none. */
function nodeAt(doc: YamlDocument, root: YamlNode | null, segments: readonly string[]): unknown {
  let node: unknown = root;
  for (const segment of segments) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      node = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === segment)?.value;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      node = node.items[Number(segment)];
    } else return undefined;
  }
  return isAlias(node) ? node.resolve(doc) : node;
}

interface RawObject {
  readonly value: unknown;
  readonly node: YamlNode | null;
  /** Pointer of this object inside the document value, for List items and JSON arrays. */
  readonly prefix: readonly string[];
}

/**
 * Whether kubectl and Argo CD unpack `value` into its items: `kind: List`, and a typed list as
 * the API server returns one (`kind: TaskList`, `kind: DeploymentList`, what a `curl` of a
 * list URL saves). Both decoders read any object with an `items` array as a list; the kind's
 * `List` suffix keeps a stray `items:` on an object an unknown field here instead.
 */
const isListObject = (value: unknown): value is Record<string, unknown> & { items: unknown[] } =>
  isPlainObject(value) &&
  typeof value['kind'] === 'string' &&
  value['kind'].endsWith('List') &&
  Array.isArray(value['items']);

/** A document's top-level objects: the value itself, or the items of a JSON array or a List kind. */
function expand(value: unknown, node: YamlNode | null, arraysAreLists: boolean): RawObject[] {
  const itemsOf = (items: unknown[], seq: unknown, prefix: string[]): RawObject[] =>
    items.map((item, i) => ({
      value: item,
      node: (isSeq(seq) ? (seq.items[i] as YamlNode | undefined) : undefined) ?? null,
      prefix: [...prefix, String(i)],
    }));
  if (Array.isArray(value) && arraysAreLists) return itemsOf(value, node, []);
  if (isListObject(value)) {
    const itemsNode = isMap(node) ? node.get('items', true) : undefined;
    return itemsOf(value['items'], itemsNode, ['items']);
  }
  return [{ value, node, prefix: [] }];
}

/**
 * How many quotes that never close one file is read on after, each time parsing the rest
 * again: a 3 MiB file costs about 2 s a parse. After the last, the documents that follow are
 * reported as not read, and are not.
 */
const MAX_READS_ON = 3;

/** Parses `text` with the `yaml` library, as kubectl reads YAML. */
const parseYaml = (text: string, lineCounter?: LineCounter): YamlDocument[] => {
  const parsed = parseAllDocuments(text, {
    ...(lineCounter ? { lineCounter } : {}),
    version: '1.1',
    customTags: kubectlTags,
    prettyErrors: false,
    // Checked in linear time (keyProblems); the library's own check is quadratic in a mapping's size.
    uniqueKeys: false,
  });
  return Array.isArray(parsed) ? parsed : [];
};

/** The scalar tags the library resolves plain scalars with, for the fast path. */
let plainTags: Tags | undefined;

/** How the scalar at `segments` below `root` was written, when it is a scalar. */
function scalarSource(
  text: string,
  doc: YamlDocument,
  root: YamlNode | null,
  segments: readonly string[],
  position: (offset: number) => SourcePosition | undefined,
): ScalarSource | undefined {
  const node = nodeAt(doc, root, segments);
  if (!isScalar(node) || !node.range || typeof node.type !== 'string') return undefined;
  const from = node.range[0];
  return {
    style: node.type,
    raw: text.slice(from, node.range[1]),
    at: (o) => position(from + o) ?? { line: 1, column: 1 },
  };
}

/**
 * The documents of `text` read by the fast path ({@link readPlainYaml}), each the document the
 * library path below would make of it; `undefined` when the fast path does not apply or when a
 * document would have a diagnostic, so the library path reads the text and reports it.
 */
function plainDocuments(text: string, file: string): LoadedDocument[] | undefined {
  plainTags ??= parseDocument('', { version: '1.1', customTags: kubectlTags }).schema.tags;
  const plain = readPlainYaml(text, plainTags);
  if (!plain) return undefined;
  const position = linePositions(text);
  const memberPosition: MemberPosition = (parent, key) => {
    const offset = memberOffset(plain.offsets, parent, key);
    return offset === undefined ? undefined : position(offset);
  };
  // Template findings need a string's source as written: the library reads the text for them.
  let parsed: YamlDocument[] | undefined;
  const documents: LoadedDocument[] = [];
  for (const { value, start } of plain.documents) {
    const located = documentFromPositions(value, file, position(start), memberPosition);
    if (!located) return undefined;
    const scalar = (pointer: string): ScalarSource | undefined => {
      parsed ??= parseYaml(text);
      const doc = parsed.find((d) => (d.contents as YamlNode | null)?.range?.[0] === start);
      return doc && scalarSource(text, doc, doc.contents as YamlNode, parsePointer(pointer), position);
    };
    documents.push({ ...located, index: documents.length, scalar });
  }
  return documents;
}

/**
 * Why `text` is no JSON when kubectl or Argo CD would read it as JSON, else `undefined`.
 * kubectl decodes a stream whose first character (after white space) is `{` as JSON, and Argo
 * CD a `*.json` file; the YAML parser reads both, and YAML's flow style forgives what JSON does
 * not (a trailing comma, a comment, an unquoted key), so the file passed here and failed there.
 * One `JSON.parse` of such files only: YAML files pay nothing.
 */
function jsonProblem(text: string, file: string): { message: string; offset: number } | undefined {
  const json = file.endsWith('.json');
  // A test, not trimStart(): this runs on every file, and a copy of each would be the cost.
  if (json ? !/\S/.test(text) : !/^\s*\{/.test(text)) return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const reason = String((err as Error).message);
    const at = /at position (\d+)/.exec(reason)?.[1];
    // A stream of several objects, one after another, is JSON to kubectl too; the YAML reader
    // reports what is wrong with it, if anything.
    if (!json && /Unexpected non-whitespace character after JSON/.test(reason)) return undefined;
    return {
      message: `${json ? 'a .json file' : 'a file that starts with {'} is read as JSON by ${json ? 'Argo CD and kubectl' : 'kubectl'}, and this is no JSON: ${reason.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected token/, 'unexpected token')} (a trailing comma, a comment or an unquoted key is YAML, not JSON)`,
      offset: at === undefined ? 0 : Number(at),
    };
  }
}

/**
 * Parses manifests from `text`. Documents that do not parse, are not mappings, or lack
 * `apiVersion`, `kind` or `metadata.name` become error diagnostics and are left out; empty
 * documents are skipped, as kubectl skips them.
 *
 * @param text YAML (one or more documents) or JSON (an object or an array of objects); or the
 *   head of an input too large to read whole, which is one `yaml/too-large` error.
 * @param file Name used in diagnostics. A name ending in `.json` makes a top-level array a list of
 *   objects; so does text that starts with `[`.
 */
export function parseManifests(text: string | CutText, file: string): ParseResult {
  if (typeof text !== 'string')
    return { documents: [], diagnostics: [tooLarge(file, text.head, text.bytes ?? 'unbounded')] };
  if (sizeProblem(text)) return { documents: [], diagnostics: [tooLarge(file, text)] };
  // A byte order mark is no character of the first line: columns there count from after it.
  const whole = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // A document too large is blanked, its line breaks kept, so the others keep their positions.
  const { text: body, diagnostics: large, lists } = largeDocuments(whole, file);
  const read = parseFrom(body, file, { first: 0, readsOn: 0 });
  // A list's items are sent one by one, each its own request: each must fit, as a document must.
  const parsed =
    (/^\s*\[/.test(whole) || lists) && whole.length * 3 > MAX_OBJECT_BYTES
      ? withoutLargeItems(read, file)
      : read;
  const result = large.length > 0 ? { ...parsed, diagnostics: [...large, ...parsed.diagnostics] } : parsed;
  const control = controlCharacterError(body, file);
  const withControl = control ? { ...result, diagnostics: [control, ...result.diagnostics] } : result;
  const replaced = body.indexOf('\uFFFD');
  if (replaced < 0) return withControl;
  return {
    ...withControl,
    diagnostics: [replacementFinding(body, file, replaced), ...withControl.diagnostics],
  };
}

/**
 * `result` without the items of a JSON list over {@link MAX_OBJECT_BYTES} as kubectl sends them
 * (compact JSON), each a located `yaml/too-large` error naming it instead.
 */
function withoutLargeItems(result: ParseResult, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const documents = result.documents.filter((doc) => {
    const bytes = Buffer.byteLength(JSON.stringify(doc.object), 'utf8');
    if (bytes <= MAX_OBJECT_BYTES) return true;
    const [size, limit] = overLimit(bytes, MAX_OBJECT_BYTES);
    const resource = resourceOf(doc.object);
    diagnostics.push({
      severity: 'error',
      code: 'yaml/too-large',
      message: `item ${doc.index + 1} of the list is ${size}, more than the ${limit} the API server takes for one object (its limit on a request), so kubectl and Argo CD cannot apply it and it was not validated; the other items were`,
      hint: "the API server refuses it whatever applies it: make the object smaller (split a ConfigMap's data into several ConfigMaps), or leave it out of the manifests",
      path: '',
      ...(resource && { resource }),
      source: { file, line: doc.line },
    });
    return false;
  });
  return diagnostics.length === 0
    ? result
    : { ...result, documents, diagnostics: [...diagnostics, ...result.diagnostics] };
}

/** A line that starts a YAML document, where kubectl's reader cuts a stream: `---` and a space or the line's end. */
const DOCUMENT_START = /^---(?=[ \t\r\n]|$)/gm;

/**
 * The documents of `text` over {@link MAX_OBJECT_BYTES}, each a located `yaml/too-large` error,
 * and `text` with each of them blanked (its `---` kept, every other character but line breaks
 * a space), so the parse that follows reads an empty document in its place and every other
 * document at its own line. Documents are cut at `---` lines, as kubectl cuts a stream before
 * it parses; JSON is one document, and a JSON array (a list) none here: its items are
 * measured once parsed ({@link withoutLargeItems}). Costs nothing for a text
 * too short to hold one.
 */
function largeDocuments(
  text: string,
  file: string,
): { text: string; diagnostics: Diagnostic[]; lists: boolean } {
  // A JSON array is a list of objects, which kubectl and Argo CD apply one by one: only the
  // bound on the file applies to it.
  if (text.length * 3 <= MAX_OBJECT_BYTES || /^\s*\[/.test(text))
    return { text, diagnostics: [], lists: false };
  const json = isJsonText(text, file);
  const starts = [0];
  if (!json) for (const m of text.matchAll(DOCUMENT_START)) if (m.index > 0) starts.push(m.index);
  starts.push(text.length);
  const diagnostics: Diagnostic[] = [];
  const pieces: string[] = [];
  let kept = 0;
  let line = 1;
  let lineAt = 0;
  let lists = false;
  for (let i = 0; i + 1 < starts.length; i++) {
    const from = starts[i] as number;
    const to = starts[i + 1] as number;
    if ((to - from) * 3 <= MAX_OBJECT_BYTES) continue;
    const bytes = Buffer.byteLength(text.slice(from, to), 'utf8');
    if (bytes <= MAX_OBJECT_BYTES) continue;
    // A List (`kind: List`, `kind: ConfigMapList`) is applied item by item, as a JSON array is:
    // read whole, its items measured once parsed.
    if (isListKind(json ? jsonTopLevel(text.slice(from, to)).kind : yamlTopKind(text.slice(from, to)))) {
      lists = true;
      continue;
    }
    for (let n = text.indexOf('\n', lineAt); n !== -1 && n < from; n = text.indexOf('\n', n + 1)) line++;
    lineAt = from;
    diagnostics.push(
      largeDocument(
        text.slice(from, Math.min(to, from + NAME_SCAN)),
        file,
        i + 1,
        line,
        bytes,
        starts.length > 2,
        json ? jsonKindAndName(text) : undefined,
      ),
    );
    // Its `---` stays (the first document gets one), so the documents after it keep their numbers.
    const marker = json ? '' : '---';
    pieces.push(text.slice(kept, from), marker, text.slice(from + marker.length, to).replace(/[^\n]/g, ' '));
    kept = to;
  }
  if (diagnostics.length === 0) return { text, diagnostics, lists };
  pieces.push(text.slice(kept));
  return { text: pieces.join(''), diagnostics, lists };
}

/** Whether `kind` is a list kind kubectl unpacks (see `isListObject`). */
const isListKind = (kind: string | undefined): boolean => kind?.endsWith('List') === true;

/** A YAML document's top-level `kind`, when written plainly at the start of a line. */
const yamlTopKind = (document: string): string | undefined =>
  /^kind:[ \t]*(["']?)([A-Za-z0-9]+)\1[ \t]*(?:#.*)?\r?$/m.exec(document)?.[2];

/** How much of a document too large is searched for its kind and name. */
const NAME_SCAN = 64 * 1024;

/**
 * The top-level `kind` and `metadata.name` of `text`, one JSON object, when both are plain
 * strings; found by a scan that tracks only strings and nesting, never building the object.
 * Parsing an object over {@link MAX_OBJECT_BYTES} whole is the cost the byte limit is there to
 * spare, and a head like {@link NAME_SCAN} is not enough: `kubectl get -o json` sorts keys, so
 * a ConfigMap's megabytes of `data` come before its `kind` and `metadata`. Linear in the text,
 * which the file limit bounds. `undefined` when either is missing or not a string.
 */
function jsonKindAndName(text: string): { kind: string; name: string } | undefined {
  const { kind, name } = jsonTopLevel(text);
  return kind !== undefined && name !== undefined ? { kind, name } : undefined;
}

/** The top-level `kind` and `metadata.name` of `text`'s first JSON object, as far as written ({@link jsonKindAndName}). */
function jsonTopLevel(text: string): { kind?: string; name?: string } {
  let depth = 0;
  // The key at depth 1 whose value is being read, and whether depth 2 is inside `metadata`.
  let topKey: string | undefined;
  let inMetadata = false;
  let key: string | undefined;
  let kind: string | undefined;
  let name: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (end < text.length) {
        const q = text.indexOf('"', end);
        if (q < 0) return { kind, name };
        let slashes = 0;
        for (let b = q - 1; text.charCodeAt(b) === 0x5c; b--) slashes++;
        end = q + 1;
        if (slashes % 2 === 0) break;
      }
      const raw = text.slice(i, end);
      i = end - 1;
      let after = end;
      while (/\s/.test(text.charAt(after))) after++;
      if (text.charAt(after) === ':') {
        // A key: remembered only where it matters, and decoded only when short.
        key = raw.length <= 256 && (depth === 1 || (depth === 2 && inMetadata)) ? decode(raw) : undefined;
        if (depth === 1) topKey = key;
        continue;
      }
      if (depth === 1 && key === 'kind') kind ??= decode(raw);
      if (depth === 2 && inMetadata && key === 'name') name ??= decode(raw);
      if (kind !== undefined && name !== undefined) return { kind, name };
      key = undefined;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth === 2) inMetadata = c === 0x7b && topKey === 'metadata';
      key = undefined;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
      key = undefined;
      // The first object ended: a stream's next one names another object.
      if (depth === 0) return { kind, name };
    } else if (c === 0x2c /* , */) key = undefined;
  }
  return { kind, name };
}

/** A JSON string literal's value, or `undefined` when it is none. */
const decode = (literal: string): string | undefined => {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
};

/**
 * The `yaml/too-large` error of document `index` of `file`, whose text begins with `head` on
 * line `line`: named by its kind and `metadata.name` when they are written plainly at the top
 * of `head` (as they are in manifests), or as `jsonNamed` found them in JSON, at the line of
 * its first content. `others`: the text holds other documents, which are validated.
 */
function largeDocument(
  head: string,
  file: string,
  index: number,
  line: number,
  bytes: number,
  others: boolean,
  jsonNamed?: { kind: string; name: string },
): Diagnostic {
  const lines = head.split('\n');
  // The last line may be cut short: only whole lines are read.
  if (head.length === NAME_SCAN) lines.pop();
  const first = lines.findIndex((l, i) => !(i === 0 && /^---/.test(l)) && /^[^\s#]/.test(l));
  const plain = (value: string | undefined) => value?.replace(/^(["'])(.*)\1$/, '$2');
  let kind: string | undefined;
  let name: string | undefined;
  let metadata = false;
  let indent: string | undefined;
  for (const l of lines) {
    const top = /^([A-Za-z]+):[ \t]*(.*?)[ \t]*(?:#.*)?$/.exec(l);
    if (top) {
      metadata = top[1] === 'metadata';
      if (top[1] === 'kind' && kind === undefined) kind = plain(top[2]);
      continue;
    }
    if (!metadata || name !== undefined) continue;
    const child = /^([ \t]+)([^\s#][^:]*):[ \t]*(.*?)[ \t]*(?:#.*)?$/.exec(l);
    if (!child) continue;
    indent ??= child[1];
    if (child[1] === indent && child[2] === 'name') name = plain(child[3]);
  }
  kind = jsonNamed?.kind ?? kind;
  name = jsonNamed?.name ?? name;
  const named =
    kind && name && /^[\w.-]+$/.test(kind) && /^[\w.:-]+$/.test(name) ? { kind, name } : undefined;
  const [size, limit] = overLimit(bytes, MAX_OBJECT_BYTES);
  return {
    severity: 'error',
    code: 'yaml/too-large',
    message: `document ${index} is ${size}, more than the ${limit} the API server takes for one object (its limit on a request), so kubectl and Argo CD cannot apply it and it was not validated${others ? `; the other documents of ${file === '-' || file === '<stdin>' ? 'standard input' : 'the file'} were` : ''}`,
    hint: "the API server refuses it whatever applies it: make the object smaller (split a ConfigMap's data into several ConfigMaps), or leave it out of the manifests",
    path: '',
    ...(named && { resource: named }),
    source: { file, line: line + Math.max(first, 0) },
  };
}

/**
 * A character YAML does not allow in a stream: C0 and C1 controls (NUL, ESC, DEL, …) other than
 * tab, line feed, carriage return and NEL, and U+FFFE/U+FFFF. The `yaml` library reads them as
 * part of a value; kubectl's and Argo CD's reader (go-yaml, through `sigs.k8s.io/yaml`) refuses
 * the document: `yaml: control characters are not allowed`.
 */
const NOT_PRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * The error for the first character of `text` YAML does not allow ({@link NOT_PRINTABLE}), with
 * how many there are; none for text read as JSON (a `.json` file, or one that starts with `{`),
 * whose parser says what it refuses.
 */
function controlCharacterError(text: string, file: string): Diagnostic | undefined {
  const at = text.search(NOT_PRINTABLE);
  if (at < 0 || isJsonText(text, file)) return undefined;
  const count = text.split(new RegExp(NOT_PRINTABLE.source, 'gu')).length - 1;
  const code = `U+${text.codePointAt(at)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return {
    severity: 'error',
    code: 'yaml/control-character',
    message: `${count === 1 ? `a control character here (${code}) is` : `${count} control characters, the first here (${code}), are`} not allowed in YAML: kubectl and Argo CD refuse the document (yaml: control characters are not allowed)`,
    hint: 'remove it, or write it as an escape in a double-quoted string ("\\0", "\\e", "\\x7f")',
    path: '',
    source: { file, ...linePositions(text)(at) },
  };
}

/**
 * U+FFFD is what bytes that are no UTF-8 (a file saved as Latin-1 or Windows-1252) decode to.
 * kubectl and Argo CD read YAML with go-yaml, which refuses such bytes (`yaml: invalid leading
 * UTF-8 octet`): in YAML an error. Their JSON decoder reads them as U+FFFD, as here: `café` in a
 * prompt reaches the cluster as `caf�` with no word from either, so in JSON a warning. Once
 * decoded, U+FFFD written as is cannot be told from a byte that was no UTF-8; the hint says how
 * to write one on purpose.
 */
function replacementFinding(text: string, file: string, offset: number): Diagnostic {
  const count = text.split('\uFFFD').length - 1;
  const these = count === 1 ? 'a character here is' : `${count} characters, the first here, are`;
  const json = isJsonText(text, file);
  return {
    severity: json ? 'warning' : 'error',
    code: 'yaml/not-utf8',
    message: json
      ? `${these} not UTF-8 (a file saved as Latin-1?), or U+FFFD written as is: the object holds \uFFFD in ${count === 1 ? 'its' : 'their'} place, as kubectl would apply it`
      : `${these} not UTF-8 (a file saved as Latin-1?): kubectl and Argo CD refuse the document (yaml: invalid leading UTF-8 octet)`,
    hint: `save the file as UTF-8 (iconv -f latin1 -t utf-8, or your editor's "save with encoding")${json ? '' : '; a U+FFFD meant as such is written "\\uFFFD" in a double-quoted string'}`,
    path: '',
    source: { file, ...linePositions(text)(offset) },
  };
}

/** Whether `text` is read as JSON: a `.json` file, or one that starts with `{`. */
const isJsonText = (text: string, file: string): boolean => file.endsWith('.json') || /^\s*\{/.test(text);

/**
 * The `yaml/too-large` error of `file`, whose text is `text` or, given its `size`, begins with
 * it (`unbounded`: a stream, not read past {@link MAX_READ_BYTES}).
 */
function tooLarge(file: string, text: string, size?: number | 'unbounded'): Diagnostic {
  const stdin = file === '-' || file === '<stdin>';
  const what = stdin ? 'standard input' : file;
  // A head is over the limit by construction: MAX_READ_BYTES bytes decode to more than it.
  const problem = sizeProblem(text) ?? { bytes: Buffer.byteLength(text), line: 1 };
  const [sized, limit] = overLimit(
    size === 'unbounded' ? MAX_READ_BYTES : (size ?? problem.bytes),
    MAX_FILE_BYTES,
  );
  const said = size === 'unbounded' ? `more than ${sized} (read no further)` : sized;
  return {
    severity: 'error',
    code: 'yaml/too-large',
    message: `${what} is ${said}; kelos reads at most ${limit} ${stdin ? 'of standard input' : 'per file'}, which bounds the time and memory one input can cost, so nothing in it was validated (the limit falls on line ${problem.line})`,
    hint: stdin
      ? 'pipe less at a time: one kelos validate - per file or directory, or name the files instead of piping them'
      : "a file this large is most likely vendored (an install bundle): leave it out by naming the paths to validate without it (apps/ clusters/ rather than ., or the files: git ls-files '*.yaml' ':!:vendor/' | xargs kelos validate); an Argo CD directory.exclude does not keep kelos from reading a file under a path it is given",
    path: '',
    source: { file, line: problem.line },
  };
}

/**
 * {@link parseManifests} of `text` whose documents are numbered from `first` + 1; `readsOn`
 * counts how often the file was read on after a quote that never closes (see {@link MAX_READS_ON}).
 */
function parseFrom(
  text: string,
  file: string,
  { first, readsOn }: { readonly first: number; readonly readsOn: number },
): ParseResult {
  const lineCounter = new LineCounter();
  const documents: LoadedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const position = (offset: number | undefined): SourcePosition | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const notJson = first === 0 ? jsonProblem(text, file) : undefined;
  if (notJson) {
    diagnostics.push({
      severity: 'error',
      code: 'json/parse',
      message: notJson.message,
      path: '',
      source: { file, ...linePositions(text)(notJson.offset) },
    });
    return { documents, diagnostics };
  }
  const arraysAreLists = file.endsWith('.json') || /^\s*\[/.test(text);
  const plain = arraysAreLists ? undefined : plainDocuments(text, file);
  if (plain) return { documents: plain, diagnostics };
  let docs = parseYaml(text, lineCounter);
  // Where to read on after a quote that never closes (`false` past MAX_READS_ON: stop), and
  // the number of the document after it.
  let resume: number | false | undefined;
  let after = 0;

  for (const [i, doc] of docs.entries()) {
    const docIndex = first + i;
    const docLabel = `document ${docIndex + 1}`;
    // JSON (what jsonProblem read as JSON) is told about in its own words: it has no YAML.
    const json = file.endsWith('.json') || /^\s*\{/.test(text);
    const keyError = ({ offset, kind, source, first, value }: KeyProblem): Diagnostic => {
      const earlier = first && position(first.offset)?.line;
      return {
        severity: 'error',
        code: json && kind === 'duplicate' ? 'json/parse' : 'yaml/parse',
        message:
          kind !== 'duplicate'
            ? `${docLabel}: a mapping key is a list or a mapping; Kubernetes objects have string keys`
            : first?.source !== undefined && source !== undefined && first.source !== source
              ? `${docLabel} is not valid YAML: Map keys must be unique: key ${source} reads as the same key as ${first.source}${earlier ? ` on line ${earlier}` : ''}${typeof value === 'boolean' ? ' (YAML 1.1 reads y, yes, on and n, no, off as booleans)' : ''}; quote them`
              : json
                ? `the key ${JSON.stringify(source ?? '')} is in this JSON object twice${earlier ? ` (also on line ${earlier})` : ''}: the API server refuses a duplicate field under strict field validation (kubectl's default) and otherwise keeps the last one silently`
                : `${docLabel} is not valid YAML: Map keys must be unique${source !== undefined ? `: ${source} is also a key${earlier ? ` on line ${earlier}` : ''}` : ''}`,
        path: '',
        source: { file, ...position(offset) },
      };
    };
    if (doc.errors.length > 0) {
      // A key written twice before the syntax error is a finding of its own, with its line.
      const firstError = Math.min(...doc.errors.map((e) => e.pos[0]));
      for (const k of keyProblems(doc)) {
        if (k.offset < firstError) diagnostics.push(keyError(k));
      }
      for (const { offset, resume: at, ...finding } of yamlSyntaxFindings(doc.errors, docLabel, text, {
        readsOn: readsOn < MAX_READS_ON,
      })) {
        diagnostics.push({ ...finding, source: { file, ...position(offset) } });
        resume ??= at;
      }
      if (resume === undefined) continue;
      after = docIndex + 1;
      break;
    }
    const badKeys = keyProblems(doc);
    if (badKeys.length > 0) {
      for (const k of badKeys) diagnostics.push(keyError(k));
      continue;
    }
    for (const warning of doc.warnings) {
      diagnostics.push({
        severity: 'warning',
        code: 'yaml/warning',
        message: `${docLabel}: ${warning.message.split('\n')[0]}`,
        path: '',
        source: { file, ...position(warning.pos[0]) },
      });
    }
    const root = doc.contents as YamlNode | null;
    // A document with only comments or `---` holds nothing; kubectl skips it too.
    if (root === null || (isScalar(root) && root.value === null)) continue;
    // Before toJS: a number key takes the text kubectl makes of it.
    const retyped = retypedKeys(doc);
    /** The warning on a key the cluster gets other than as written, on the object holding it if any. */
    const keyWarning = (
      k: RetypedKey,
      at?: { object: Record<string, unknown>; prefix: readonly string[] },
    ) => {
      const boolean = k.reads.startsWith('the boolean');
      const reads =
        k.reads === '' || k.reads === 'null'
          ? undefined
          : `${k.source} reads as ${k.reads} ${boolean ? 'in YAML 1.1, as kubectl reads it' : "to kubectl (YAML 1.1's numbers and Go's)"}`;
      const line = (offset: number) => position(offset)?.line;
      let finding: Pick<Diagnostic, 'severity' | 'code' | 'message' | 'hint'>;
      if (k.same && k.reads === 'null') {
        // go-yaml makes one nil key of both, which sigs.k8s.io/yaml then refuses.
        finding = {
          severity: 'error',
          code: 'yaml/key-collision',
          message: `${docLabel}: keys ${k.same.source} (line ${line(k.same.offset)}) and ${k.source} (line ${line(k.offset)}) are one key to kubectl, null, and kubectl refuses a null key ("unsupported map key of type: %!s(<nil>)"), so the document cannot be applied`,
          hint: `quote both keys ("${k.same.source}" and "${k.source}") to make them two string keys, or write the key once, quoted`,
        };
      } else if (k.same) {
        // sigs.k8s.io/yaml makes a Go map of both, then writes their values under one key in
        // Go's random map order: the object gets either, from one apply to the next.
        const retyped = reads ? k.source : k.same.retyped ? k.same.source : undefined;
        finding = {
          severity: 'error',
          code: 'yaml/key-collision',
          message: `${docLabel}: keys ${k.same.source} (line ${line(k.same.offset)}) and ${k.source} (line ${line(k.offset)}) are one key to kubectl, "${k.key}"${reads ? ` (${k.source} reads as ${k.reads})` : ''}: kubectl keeps only one of their values, at random from one apply to the next`,
          hint: retyped
            ? `write the key once, or quote ${retyped} ("${retyped}") to keep both`
            : 'write the key once',
        };
      } else if (k.reads === 'null') {
        finding = {
          severity: 'error',
          code: 'yaml/null-key',
          message: `${docLabel}: key ${k.source} reads as null, and kubectl refuses a null key ("unsupported map key of type: %!s(<nil>)"), so the document cannot be applied`,
          hint: `quote the key ("${k.source}") to make it a string`,
        };
      } else {
        finding = {
          severity: 'warning',
          code: boolean ? 'yaml/boolean-key' : 'yaml/number-key',
          message: `${docLabel}: key ${reads}, so the object's key is "${k.key}"`,
          hint: `quote the key ("${k.source}") to keep it as written`,
        };
      }
      diagnostics.push({
        ...finding,
        path: at ? toPointer(k.path.slice(at.prefix.length)) : '',
        ...(at ? { resource: resourceOf(at.object) } : {}),
        source: { file, ...position(k.offset) },
      });
    };
    const warned = new Set<RetypedKey>();
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // The library names no position for an alias it cannot resolve (or a merge key whose
      // alias it could not): point at the first such alias rather than the document start.
      const alias = unresolvedAlias(doc);
      const bomb =
        !alias && /Excessive alias count/.test((err as Error).message) ? firstAlias(doc) : undefined;
      diagnostics.push({
        severity: 'error',
        code: 'yaml/parse',
        message: alias
          ? `${docLabel} cannot be read: alias *${alias.source} names no anchor set before it in this document (anchors do not carry over from one document to the next)`
          : bomb
            ? `${docLabel} cannot be read: its aliases (the first here, *${bomb.source}) expand beyond the bound on alias expansion (maxAliasCount: ${MAX_ALIAS_COUNT}), which keeps a small file from expanding into a huge one; write the repeated values out`
            : `${docLabel} cannot be read: ${(err as Error).message}`,
        path: '',
        source: { file, ...position((alias ?? bomb)?.range?.[0] ?? root.range?.[0]) },
      });
      continue;
    }
    const shape = shapeProblem(value);
    if (shape) {
      diagnostics.push({
        severity: 'error',
        code: shape.kind === 'cycle' ? 'yaml/alias-cycle' : 'yaml/too-deep',
        message:
          shape.kind === 'cycle'
            ? `${docLabel}: an alias refers to the node that contains it, so the value never ends`
            : `${docLabel} nests mappings and lists more than ${MAX_DEPTH} levels deep; no Kubernetes object does`,
        path: '',
        source: { file, ...position(locateOffset(doc, root, parsePointer(shape.path))) },
      });
      continue;
    }

    for (const raw of expand(value, root, arraysAreLists)) {
      const locate = (pointer: string) =>
        position(locateOffset(doc, root, [...raw.prefix, ...parsePointer(pointer)]));
      const start = locate('');
      const here = { file, ...start };
      const where = raw.prefix.length > 0 ? `${docLabel}, item ${toPointer(raw.prefix)}` : docLabel;
      if (!isPlainObject(raw.value)) {
        diagnostics.push({
          severity: 'error',
          code: 'manifest/not-object',
          message: `${where} is ${describeValue(raw.value)}, not a mapping; a manifest must be an object with apiVersion, kind and metadata`,
          path: '',
          source: here,
        });
        continue;
      }
      const object = raw.value;
      const problems = identityProblems(object);
      if (problems.length > 0) {
        // Clipped: a damaged object may carry a megabyte kind, and every problem names it.
        // Named as far as it names itself: a Task without its apiVersion is still `Task ns/fix`.
        const { apiVersion: _apiVersion, ...named } = resourceOf(object);
        const resource: ResourceRef | undefined = typeof object['kind'] === 'string' ? named : undefined;
        // Neither apiVersion nor kind: most likely no manifest at all (`kelos validate .` at a
        // project's root reads its package.json and tsconfig.json).
        const hint =
          object['apiVersion'] === undefined && object['kind'] === undefined
            ? 'a document with neither apiVersion nor kind is no Kubernetes object (a config file?); name the directories that hold manifests (such as dist/ and manifests/) rather than one that holds other YAML or JSON'
            : undefined;
        for (const [i, p] of problems.entries()) {
          diagnostics.push({
            severity: 'error',
            code: p.code,
            message: `${where}: ${p.message}`,
            path: p.path,
            ...(resource ? { resource } : {}),
            source: { file, ...locate(p.path) },
            ...(hint && i === 0 && { hint }),
          });
        }
        continue;
      }
      const scalar = (pointer: string): ScalarSource | undefined =>
        scalarSource(text, doc, root, [...raw.prefix, ...parsePointer(pointer)], position);
      documents.push({ object, file, index: documents.length, line: start?.line ?? 1, locate, scalar });
      for (const k of retyped) {
        if (warned.has(k) || !raw.prefix.every((segment, i) => k.path[i] === segment)) continue;
        warned.add(k);
        keyWarning(k, { object, prefix: raw.prefix });
      }
    }
    // Keys of what is no object (its errors are above) are still told about, at their line.
    for (const k of retyped) if (!warned.has(k)) keyWarning(k);
  }
  if (typeof resume === 'number') {
    // kubectl cuts a file at `---` lines before it parses, so a quote that never closes takes
    // no document after it along. Read on from that line the same way: everything before it
    // blanked, line breaks kept, so every offset and position stays the file's own. This
    // parse's documents after the quote are dropped first: they hold the rest of the file.
    docs = [];
    const rest = parseFrom(text.slice(0, resume).replace(/[^\n]/g, ' ') + text.slice(resume), file, {
      first: after,
      readsOn: readsOn + 1,
    });
    diagnostics.push(...rest.diagnostics);
    for (const d of rest.documents) documents.push({ ...d, index: documents.length });
  }
  return { documents, diagnostics };
}

export { resourceOf } from './identity.ts';

/** Ties a finding to the document it is about: names the resource and points at the source. */
export function toDiagnostic(doc: LoadedDocument, finding: Finding): Diagnostic {
  return { ...finding, resource: resourceOf(doc.object), source: sourceAt(doc, finding.path) };
}

/**
 * Where a finding about `doc` points: at `pointer` in its source, with the column, when the
 * document can locate it (the object's first key for the whole object), else at the line it
 * starts on.
 */
export const sourceAt = (
  doc: Pick<LoadedDocument, 'file' | 'line'> & Partial<Pick<LoadedDocument, 'locate'>>,
  pointer: string,
): SourceLocation => {
  const at = doc.locate?.(pointer);
  return { file: doc.file, line: at?.line ?? doc.line, ...(at ? { column: at.column } : {}) };
};

/** The first alias of `doc` that names no anchor before it, if any. */
/** The first alias of a document, in document order. */
const firstAlias = (doc: YamlDocument): { source: string; range?: readonly number[] | null } | undefined => {
  let found: { source: string; range?: readonly number[] | null } | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
};

const unresolvedAlias = (
  doc: YamlDocument,
): { source: string; range?: readonly number[] | null } | undefined => {
  let found: { source: string; range?: readonly number[] | null } | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      found = node;
      return visit.BREAK;
    },
  });
  return found;
};
