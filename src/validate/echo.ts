/**
 * How the validator quotes input back in messages and suggests fixes. Input may be hostile or
 * secret, so every quote is bounded and scrubbed:
 *
 * - a quoted value or name is clipped to a few dozen characters, whatever its size;
 * - credentials in URLs (`https://user:token@host`) are masked;
 * - values under a Secret's `data` and `stringData` are never quoted at all;
 * - "did you mean" compares only names whose lengths are within the suggestion limit, so an
 *   unknown key of a megabyte costs nothing (the edit distance is at least the length difference).
 *
 * @packageDocumentation
 */

/** Longest quote of an input value in a message, in characters (JSON text, quotes included). */
const MAX_QUOTE = 60;
/** Longest input name (field, key, kind) quoted whole in a message. */
const MAX_NAME = 80;

/** Masks the user-info part of URLs: `https://x:ghp_1@github.com` → `https://***@github.com`. */
export const maskCredentials = (text: string): string =>
  text.includes('@') ? text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"]*@/gi, '$1***@') : text;

/** A name from the input (a field, key or kind), clipped for a message. */
export const clipName = (name: string, max: number = MAX_NAME): string =>
  name.length > max ? `${name.slice(0, max - 20)}… (${name.length} characters)` : name;

/** Longest JSON-pointer segment a diagnostic's path keeps. */
const MAX_SEGMENT = 256;

/**
 * A JSON pointer cut before its first segment longer than {@link MAX_SEGMENT} characters: the
 * diagnostic then points at the object holding the overlong key, and its message names it clipped.
 */
export const clipPointer = (pointer: string): string => {
  if (pointer.length <= MAX_SEGMENT) return pointer;
  const segments = pointer.split('/');
  const long = segments.findIndex((s) => s.length > MAX_SEGMENT);
  return long < 0 ? pointer : segments.slice(0, long).join('/');
};

/** A value from the input, as JSON text, clipped and with credentials masked. */
export const show = (value: unknown): string => {
  // JSON has no infinity or NaN (it writes null); say them as YAML does.
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  let text: string | undefined;
  if (typeof value === 'string' && value.length > 4 * MAX_QUOTE) {
    text = JSON.stringify(`${value.slice(0, 2 * MAX_QUOTE)}`);
  } else {
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined;
    }
  }
  if (text === undefined) return String(value).slice(0, MAX_QUOTE);
  text = maskCredentials(text);
  return text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE - 3)}...` : text;
};

/** Whether a value at `pointer` of an object of `apiVersion`/`kind` is secret and must not be quoted. */
export const isSecretValue = (apiVersion: string, kind: string, pointer: string): boolean =>
  apiVersion === 'v1' &&
  kind === 'Secret' &&
  (pointer === '/data' ||
    pointer === '/stringData' ||
    pointer.startsWith('/data/') ||
    pointer.startsWith('/stringData/'));

/** Largest edit distance a suggestion may have. */
const limitFor = (name: string): number => Math.min(3, Math.max(1, Math.floor(name.length / 3)));

/**
 * Edit distance counting an adjacent swap as one edit (optimal string alignment), case-blind,
 * for "did you mean" suggestions: `modle` is one edit from `model`.
 */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const rows: number[][] = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    const row = rows[i]!;
    const up = rows[i - 1]!;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
  }
  return rows[x.length]![y.length]!;
}

/**
 * The known name closest to `name`, when one is close enough to be a likely typo.
 *
 * @param maxDistance A tighter limit than the one for the name's length, for names whose
 *   neighbours are real names too (`claude-opus-4-1` is three edits from `claude-haiku-4-5`).
 */
export function closest(
  name: string,
  known: readonly string[],
  maxDistance = Number.POSITIVE_INFINITY,
): string | undefined {
  const limit = Math.min(limitFor(name), maxDistance);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    // The distance is at least the difference in length: skip what cannot be close enough.
    if (Math.abs(candidate.length - name.length) > limit) continue;
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * The one known field name that is `name` with words added before or after it (`containers`
 * for `extraContainers`, `prompt` for `promptTemplate`, `serviceAccount` for
 * `serviceAccountName`): the name a reader of the Pod or Task API writes where this API says
 * more. Of several, the one that adds the fewest letters (`containers`: `extraContainers`, not
 * `extraInitContainers`); `undefined` when none is, when two tie, or for a name shorter than
 * four letters.
 */
export function extended(name: string, known: readonly string[]): string | undefined {
  if (name.length < 4) return undefined;
  const lower = name.toLowerCase();
  const found = known.filter((k) => {
    const l = k.toLowerCase();
    return l.length > lower.length && (l.startsWith(lower) || l.endsWith(lower));
  });
  const shortest = Math.min(...found.map((k) => k.length));
  const fewest = found.filter((k) => k.length === shortest);
  return fewest.length === 1 ? fewest[0] : undefined;
}
