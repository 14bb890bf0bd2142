/**
 * Inputs for the tests that hold the fast YAML writer to the `yaml` library: a generated fleet
 * built in-process, strings YAML makes hard, and a seeded source of random documents.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { buildFleet } from '../../../bench/lib/fleet.ts';
import type { AppObject } from '../../../src/compiler/app-run.ts';

/**
 * The objects of the benchmark's fleet of `count` objects, as the app runner sends them
 * (through JSON), with their construct paths.
 */
export const fleetObjects = (count: number): AppObject[] => {
  const app = new App({ outdir: '.' });
  const chart = new Chart(app, 'fleet');
  buildFleet(chart, { count });
  return app.node
    .findAll()
    .filter((c) => ApiObject.isApiObject(c))
    .map((c) => ({
      object: JSON.parse(JSON.stringify((c as ApiObject).toJson())) as Record<string, unknown>,
      constructPath: c.node.path,
    }));
};

/** Strings whose YAML form is not the string itself, or is easy to get wrong. */
export const NASTY_STRINGS: readonly string[] = [
  // YAML 1.1 booleans and null-likes
  ...['y', 'Y', 'n', 'N', 'yes', 'Yes', 'YES', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF'],
  ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', '~', ''],
  ...['yES', 'nO', 'oN', 'tRUE', 'nULL', 'yess', 'onn'],
  // numbers in every 1.1 notation, timestamps, sexagesimals, the merge key
  ...[
    '0',
    '42',
    '-7',
    '+7',
    '0755',
    '0o17',
    '0b101',
    '0x1F',
    '0xg',
    '1_000',
    '1e3',
    '1E-3',
    '.5',
    '5.',
    '-.5',
  ],
  ...['.inf', '-.Inf', '+.INF', '.nan', '.NaN', '1:20', '190:20:30', '1:20.5', '2025-01-06', '2025-1-6'],
  ...['2025-01-06T10:00:00Z', '2025-01-06 10:00:00 +01:00', '<<', '<', '=', '1.2.3', '08', '09.5', '1e'],
  // indicators and separators
  ...['-', '- x', '-x', '?', '? x', '?x', ':', ':x', 'x:', 'a: b', 'a:b', 'http://x.y/z?q=1#f', ' #', 'a #b'],
  ...['a#b', '#x', '&a', '*a', '!t', '|', '>', "'", '"', '%x', '@x', '`x`', ',x', 'x,', '[x]', '{x}', 'x]'],
  ...['"quoted"', "'single'", 'both " and \'', "it's", 'say "hi"', '\\', 'a\\nb', '\\u0041', '{{.Title}}'],
  ...[
    '$.data.event.title',
    '$' + '{VAR}',
    '*.go',
    '!important',
    'k=v',
    'a | b',
    'a > b',
    'x y',
    '---',
    '...',
  ],
  ...['--- x', '...x', 'x ---', '%', '%YAML 1.1'],
  // spaces and tabs at the edges and around line breaks
  ...[' x', 'x ', '  ', '\tx', 'x\t', 'a\tb', 'a \tb', 'a\t#b'],
  // multi-line
  ...['a\nb', 'a\nb\n', 'a\nb\n\n', 'a\nb\n\n\n', 'a\n\nb', '\na', '\n\na\n', ' a\nb', '  a\n b\n', 'a\n b'],
  ...['a \nb', 'a\n\tb', '\ta\nb\n', '- a\n- b\n', '# h\ntext', 'key: v\nk2: v2\n', 'a\n---\nb\n', '---\n'],
  ...['...\nx', '%x\ny', 'x\n%y\n', '\n', '\n\n', 'a\n\n', 'line "q"\nline \'s\'\n', 'é\n😀\n', 'a\nb\n \nc'],
  // unicode
  ...['é', '😀', 'ünïcödé key', '\u2028', 'a\u2029b', '\u00a0', 'x\u00a0', '\ufeffx', 'עברית'],
  // long
  'x'.repeat(2000),
  `${'word '.repeat(40)}end`,
  `${'long line '.repeat(30)}\nsecond`,
];

/** Values the fast writer leaves to the `yaml` library. */
export const UNSUPPORTED_VALUES: readonly unknown[] = [
  { control: 'bell\x07' },
  { crlf: 'a\r\nb' },
  { nel: 'a\x85b' },
  { surrogate: '\ud800' },
  { escape: '\x1b[0m' },
  { endsInBlankLine: 'a\n  ' },
  { tabLine: 'a\n\t' },
  { multiLineKey: { 'a\nb': 1 } },
  { longKey: { ['k'.repeat(1025)]: 1 } },
  { nan: Number.NaN },
  { infinity: Number.POSITIVE_INFINITY },
  { undefinedItem: [1, undefined, 2] },
  { date: new Date(0) },
  { map: new Map([['a', 1]]) },
  { big: 1n },
  'a scalar document',
  42,
  null,
];

/** A seeded pseudo-random source (a linear congruential generator), so failures reproduce. */
export const random = (seed: number): (() => number) => {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
};

const ALPHABET = [
  ...['a', 'b', 'y', 'e', 's', 'n', 'o', 'N', 'x', 'T', 'é', '😀', '0', '1', '7', '.', '-', '+', '_', ':'],
  ...['#', ' ', ' ', '\n', '\n', '\t', '"', "'", '\\', '?', '*', '&', '!', '|', '>', '%', '@', '`', ','],
  ...['[', ']', '{', '}', '~', '<', '=', '---', '...', '\u2028'],
];

/** A random document of nested maps, lists and scalars built from YAML's special characters. */
export const randomDocument = (next: () => number): Record<string, unknown> => {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const string = () => {
    let s = '';
    for (let n = Math.floor(next() * 12); n > 0; n--) s += pick(ALPHABET);
    return s;
  };
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 3 || r < 0.5) {
      const t = next();
      if (t < 0.65) return string();
      if (t < 0.7) return pick(NASTY_STRINGS);
      if (t < 0.8) return Math.floor(next() * 1000) - 500;
      if (t < 0.85) return next() * 10;
      if (t < 0.9) return next() < 0.5;
      if (t < 0.95) return null;
      return pick([1e21, -0, 0.1, 1e-7, 123456789012345680000, Number.MAX_SAFE_INTEGER]);
    }
    if (r < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let n = Math.floor(next() * 4); n > 0; n--)
      o[next() < 0.8 ? string() || 'k' : pick(NASTY_STRINGS)] = value(depth + 1);
    return o;
  };
  const doc: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' } };
  // Keys of the top-level map have a quoting rule of their own (document markers).
  doc[next() < 0.3 ? `---${string()}` : string()] = value(0);
  doc['data'] = value(0);
  return doc;
};
