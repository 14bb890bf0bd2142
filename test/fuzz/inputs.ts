/**
 * Fuzz inputs for the manifest validator: seed manifests (test/fixtures and upstream Kelos's
 * examples) mutated by structure (field deletions, type swaps, huge strings and keys, deep
 * nesting, dependency cliques, many documents) and by text (alias and merge bombs, binary
 * garbage, BOM, CRLF, NUL, truncation, byte flips).
 *
 * Input `i` of a run depends only on the run's seed and `i` ({@link inputAt}), so any input a
 * run reports can be made again on its own. The PRNG is mulberry32 (small, fast, and good
 * enough for choosing mutations; no library needed for 10 lines).
 *
 * @packageDocumentation
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/** A seeded PRNG: floats in [0, 1). */
export type Random = () => number;

/** mulberry32: a 32-bit seeded PRNG. */
export const prng = (seed: number): Random => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** One seed manifest: its name and text. */
export interface Seed {
  readonly name: string;
  readonly text: string;
}

const ROOT = join(import.meta.dirname, '../..');

/** Default seed directories: our fixtures and upstream Kelos's examples (when present). */
export const SEED_DIRS: readonly string[] = [
  join(ROOT, 'test/fixtures'),
  join(ROOT, 'examples'),
  '/work/shared/compat/kelos-examples',
];

/** Every `*.yaml`/`*.yml`/`*.json` under `dirs`, sorted by path so a seed means the same corpus. */
export const loadSeeds = (dirs: readonly string[] = SEED_DIRS): Seed[] => {
  const out: Seed[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile() && /\.(ya?ml|json)$/.test(e.name))
        out.push({ name: path, text: readFileSync(path, 'utf8') });
    }
  };
  for (const dir of dirs) if (existsSync(dir)) walk(dir);
  return out;
};

type Json = unknown;

/** Every (parent, key) pair in a value, so a mutation can pick any node. */
const slots = (value: Json): Array<[Record<string, Json> | Json[], string | number]> => {
  const out: Array<[Record<string, Json> | Json[], string | number]> = [];
  const stack: Json[] = [value];
  while (stack.length > 0 && out.length < 5000) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const [i, c] of v.entries()) {
        out.push([v, i]);
        stack.push(c);
      }
    } else if (v && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) {
        out.push([v as Record<string, Json>, k]);
        stack.push(c);
      }
    }
  }
  return out;
};

const set = (parent: Record<string, Json> | Json[], key: string | number, value: Json) => {
  (parent as Record<string | number, Json>)[key] = value;
};

const hugeString = (r: Random): string =>
  pick(r, ['a', 'ö', '{{', '\\', ' ', 'x-'])!.repeat(
    r() < 0.8 ? int(r, 1_000, 50_000) : int(r, 50_000, 1_000_000),
  );

const nested = (depth: number, leaf: Json, r: Random): Json => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = r() < 0.5 ? [v] : { n: v };
  return v;
};

/** Structural mutations of one object. */
const STRUCTURAL: ReadonlyArray<(doc: Record<string, Json>, r: Random) => void> = [
  // delete a field
  (doc, r) => {
    const s = slots(doc);
    if (s.length === 0) return;
    const [p, k] = pick(r, s);
    if (Array.isArray(p)) p.splice(Number(k), 1);
    else delete p[k];
  },
  // swap a value's type
  (doc, r) => {
    const s = slots(doc);
    if (s.length === 0) return;
    const [p, k] = pick(r, s);
    set(p, k, pick(r, [null, 0, -1, 1.5, 2 ** 53, true, '', 'x', [], {}, ['a'], { a: 1 }, 'NaN', '0x1F']));
  },
  // huge string value
  (doc, r) => {
    const s = slots(doc);
    if (s.length > 0) {
      const [p, k] = pick(r, s);
      set(p, k, hugeString(r));
    }
  },
  // huge key
  (doc, r) => {
    const s = slots(doc).filter(([p]) => !Array.isArray(p));
    const target = s.length > 0 ? (pick(r, s)[0] as Record<string, Json>) : doc;
    target[hugeString(r)] = 'v';
  },
  // deep nesting
  (doc, r) => {
    const s = slots(doc);
    const [p, k] = s.length > 0 ? pick(r, s) : [doc, 'spec'];
    set(p, k, nested(r() < 0.8 ? int(r, 5, 200) : int(r, 200, 3000), 'leaf', r));
  },
  // many labels and annotations
  (doc, r) => {
    const n = r() < 0.8 ? int(r, 10, 500) : int(r, 500, 20_000);
    const labels: Record<string, string> = {};
    for (let i = 0; i < n; i++)
      labels[r() < 0.1 ? `Bad Key ${i}` : `k${i}`] = r() < 0.1 ? '!bad value' : `v${i}`;
    if (!doc['metadata'] || typeof doc['metadata'] !== 'object') doc['metadata'] = {};
    const meta = doc['metadata'] as Record<string, Json>;
    meta[r() < 0.5 ? 'labels' : 'annotations'] = labels;
  },
  // rename a field to a near miss or a stranger
  (doc, r) => {
    const s = slots(doc).filter(([p]) => !Array.isArray(p));
    if (s.length === 0) return;
    const [p, k] = pick(r, s) as [Record<string, Json>, string];
    const v = p[k];
    delete p[k];
    p[pick(r, [`${k}x`, k.slice(1), k.toUpperCase(), `${k}/`, '~0', '', ' ', '__proto__', 'constructor'])] =
      v;
  },
  // long list
  (doc, r) => {
    const s = slots(doc);
    if (s.length === 0) return;
    const [p, k] = pick(r, s);
    const item = (p as Record<string | number, Json>)[k];
    set(
      p,
      k,
      Array.from({ length: r() < 0.8 ? int(r, 10, 100) : int(r, 100, 2000) }, () => item),
    );
  },
  // identity damage
  (doc, r) => {
    const field = pick(r, ['apiVersion', 'kind', 'metadata']);
    doc[field] = pick(r, [undefined, '', 42, ['x'], 'kelos.dev/v9', 'Tsk', 'v1', { name: 'Upper_Case' }]);
  },
];

/** Documents that are hostile on their own. */
const GENERATED: ReadonlyArray<(r: Random) => string> = [
  // self-referencing alias
  () => 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: &x {k: *x}\n',
  // billion laughs
  (r) => {
    let s = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    const levels = int(r, 3, 9);
    for (let i = 1; i <= levels; i++)
      s += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]\n`;
    return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n${s}`;
  },
  // merge-key bomb
  (r) => {
    let s = 'm0: &m0 {a: 1, b: 2, c: 3}\n';
    const levels = int(r, 3, 12);
    for (let i = 1; i <= levels; i++)
      s += `m${i}: &m${i} {<<: [*m${i - 1}, *m${i - 1}], x${i}: *m${i - 1}}\n`;
    return `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata: {name: w}\nspec:\n  repo: https://github.com/a/b.git\n  <<: *m${levels}\n${s}`;
  },
  // dependsOn clique
  (r) => {
    const n = r() < 0.95 ? int(r, 5, 40) : int(r, 40, 300);
    const names = Array.from({ length: n }, (_, i) => `t${i}`);
    return names
      .map(
        (t) =>
          `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: ${t}}\nspec: {prompt: p, worker: {type: codex, credentials: {type: none}}, dependsOn: [${names.filter((x) => x !== t && r() < 0.8).join(',')}]}\n`,
      )
      .join('---\n');
  },
  // deep flow nesting in text
  (r) => {
    const d = int(r, 100, 20_000);
    return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: ${'['.repeat(d)}${']'.repeat(d)}\n`;
  },
  // binary garbage
  (r) => {
    const bytes = Buffer.alloc(r() < 0.8 ? int(r, 1, 2_000) : int(r, 2_000, 200_000));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(r, 0, 255);
    return bytes.toString(r() < 0.5 ? 'latin1' : 'utf8');
  },
  // empty-ish
  (r) =>
    pick(r, [
      '',
      '---',
      '---\n---\n',
      '\uFEFF',
      '\0',
      '# c\n',
      '[]',
      '{}',
      'null',
      '~',
      '[[]]',
      '- 1\n- 2\n',
    ]),
];

/** Text-level damage applied after serializing. */
const TEXTUAL: ReadonlyArray<(text: string, r: Random) => string> = [
  (t) => `\uFEFF${t}`,
  (t) => t.replaceAll('\n', '\r\n'),
  (t, r) => {
    const at = int(r, 0, t.length);
    return `${t.slice(0, at)}\0${t.slice(at)}`;
  },
  (t, r) => t.slice(0, int(r, 0, t.length)),
  (t, r) => {
    const chars = [...t.slice(0, 200_000)];
    for (let i = 0; i < int(r, 1, 20); i++)
      chars[int(r, 0, Math.max(0, chars.length - 1))] = pick(r, [
        ':',
        '-',
        '[',
        '{',
        '&',
        '*',
        '!',
        '|',
        '>',
        '%',
        '@',
        '`',
        '"',
        "'",
        '\t',
        ' ',
        '\n',
        '#',
        '?',
        ',',
      ]);
    return chars.join('');
  },
  // thousands of documents
  (t, r) =>
    Array.from(
      { length: t.length > 4000 ? 3 : r() < 0.8 ? int(r, 10, 200) : int(r, 200, 2000) },
      () => t,
    ).join('\n---\n'),
];

/** The text of input `index` of the run with `seed`, and a label saying how it was made. */
export const inputAt = (
  seeds: readonly Seed[],
  seed: number,
  index: number,
): { text: string; label: string } => {
  const r = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  if (r() < 0.12) {
    const g = int(r, 0, GENERATED.length - 1);
    return { text: GENERATED[g]!(r), label: `generated#${g}` };
  }
  const base = pick(r, seeds);
  const steps: string[] = [];
  let text = base.text;
  if (r() < 0.8) {
    let docs: Json[];
    try {
      docs = parseAllDocuments(base.text).map((d) => d.toJS({ maxAliasCount: 100 }) as Json);
    } catch {
      docs = [];
    }
    const objects = docs.filter(
      (d): d is Record<string, Json> => !!d && typeof d === 'object' && !Array.isArray(d),
    );
    if (objects.length > 0) {
      for (let i = int(r, 1, 3); i > 0; i--) {
        // Cheap mutations (deletions, type swaps, renames, identity damage) most of the time.
        const m = r() < 0.9 ? pick(r, [0, 1, 6, 8]) : int(r, 0, STRUCTURAL.length - 1);
        STRUCTURAL[m]!(pick(r, objects), r);
        steps.push(`s${m}`);
      }
      try {
        text =
          r() < 0.3
            ? JSON.stringify(docs.length === 1 ? docs[0] : docs)
            : docs.map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n');
      } catch {
        try {
          text = JSON.stringify(docs);
        } catch {
          text = base.text; // too large to serialize: the mutation is dropped
          steps.push('dropped');
        }
      }
    }
  }
  if (r() < 0.35) {
    const m = int(r, 0, TEXTUAL.length - 1);
    text = TEXTUAL[m]!(text, r);
    steps.push(`t${m}`);
  }
  // Inputs stay under 16 MB, the most a manifest file can reasonably be (and what fits a string).
  if (text.length > 16_000_000) {
    text = text.slice(0, 16_000_000);
    steps.push('clipped');
  }
  return { text, label: `${base.name.replace(/^.*\/(test|shared|examples)\//, '$1/')} ${steps.join(',')}` };
};
