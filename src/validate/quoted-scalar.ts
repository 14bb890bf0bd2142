/**
 * The value of a one-line quoted YAML scalar, for the plain-YAML reader's fast path.
 *
 * @packageDocumentation
 */

/** Double-quoted escapes that stand for one fixed string. */
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '"': '"',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  b: '\b',
  f: '\f',
  ' ': ' ',
};

/**
 * The value of a quoted scalar's `body` (the text between its quotes), or `undefined` for an
 * escape the fast path leaves to the `yaml` library (`\x`, `\U`, a lone surrogate, ...).
 */
export function unquote(body: string, single: boolean): string | undefined {
  if (single) return body.replaceAll("''", "'");
  if (!body.includes('\\')) return body;
  let refused = false;
  const value = body.replace(/\\(u[0-9a-fA-F]{4}|.?)/g, (_, e: string) => {
    const simple = ESCAPES[e];
    if (simple !== undefined) return simple;
    const code = e.length === 5 ? Number.parseInt(e.slice(1), 16) : Number.NaN;
    // Lone surrogates (and anything but \uXXXX) are left to the library.
    if (Number.isNaN(code) || (code >= 0xd800 && code <= 0xdfff)) {
      refused = true;
      return '';
    }
    return String.fromCharCode(code);
  });
  return refused ? undefined : value;
}
