/**
 * YAML syntax errors in the words of someone who edits manifests. The `yaml` library's
 * messages describe its grammar ("Nested mappings are not allowed in compact mappings"); most
 * of them, in a Kubernetes manifest, mean one line is indented wrongly. Each error keeps the
 * library's message, says what it usually means, and says how to fix it.
 *
 * @packageDocumentation
 */
import { CST, LineCounter, Parser, parseAllDocuments, type YAMLError } from 'yaml';
import type { Finding } from './diagnostic.ts';
import { MAX_ALIAS_COUNT, MAX_DEPTH } from './yaml-limits.ts';

/** What one of the library's errors usually means in a manifest, and how to fix it. */
interface Explanation {
  /** Which errors: the library reuses codes for unrelated mistakes, so the message decides. */
  readonly matches: (code: YAMLError['code'], message: string) => boolean;
  readonly means: string;
  readonly hint: string;
  /** The library reports it at the start of the line; point at the token there instead. */
  readonly atToken?: boolean;
}

const SAME_COLUMN =
  'keys of one mapping start at the same column; a nested mapping starts on the line after its key, indented further than it';

const UNCLOSED_QUOTE = /^Missing closing ["']quote/;

const UNCLOSED_FLOW = /must end with a|sufficiently indented and end with a/;

/** The mistakes a hand edit most often makes, first match wins. */
const EXPLAINED: readonly Explanation[] = [
  {
    matches: (_code, message) =>
      message.startsWith('Block collection cannot start on same line with directives-end marker'),
    means:
      'a mapping or list starts on the `---` line itself, which kubectl refuses as an invalid document separator',
    hint: 'put nothing but a comment after `---`, and start the document on the next line',
  },
  {
    matches: (code) => code === 'TAB_AS_INDENT',
    means: 'YAML indents with spaces only',
    hint: 'replace the tabs at the start of the line with spaces',
  },
  {
    matches: (_code, message) => UNCLOSED_QUOTE.test(message),
    means: 'a quoted value is not closed',
    hint: 'a quote opened before this point has no closing quote; close it on the line it opens',
  },
  {
    matches: (_code, message) => UNCLOSED_FLOW.test(message),
    means: 'a [ or { is not closed (or a line inside it is indented less than its key)',
    hint: 'close the list or mapping on the line it ends, or write it as an indented block',
  },
  {
    matches: (_code, message) => message.startsWith('Implicit map keys need to be followed by map values'),
    means: 'a key has no `:` after it',
    hint: 'write `key: value`, or `key:` with the value indented on the lines below',
  },
  {
    matches: (_code, message) =>
      message.startsWith('A block sequence may not be used as an implicit map key'),
    means: 'a list item (`- …`) sits among the keys of a mapping',
    hint: 'a list goes under a key of its own: `key:` on its line, then the `- item` lines indented below it',
    atToken: true,
  },
  {
    matches: (code) => code === 'BLOCK_AS_IMPLICIT_KEY',
    means:
      "a `key: value` sits inside another key's value (two keys on one line, or a line indented deeper than the keys beside it)",
    hint: SAME_COLUMN,
  },
  {
    matches: (code) => code === 'MULTILINE_IMPLICIT_KEY',
    means:
      'a key runs over more than one line (a line missing its `:`, or a line indented deeper than the keys beside it)',
    hint: SAME_COLUMN,
  },
  {
    // `schedule: @weekly`, `command: \`make\``: kubectl refuses them too ("found character that
    // cannot start any token").
    matches: (code) => code === 'BAD_SCALAR_START',
    means: 'a value starts with a character YAML reserves (`@`, `` ` ``, `%`), so it must be quoted',
    hint: 'put the whole value in quotes: `"@weekly"`, not `@weekly`',
  },
  {
    matches: (code, message) => code === 'UNEXPECTED_TOKEN' && /^Unexpected scalar at node end/.test(message),
    means: 'text follows a closing quote, `]` or `}` on the same line',
    hint: 'put the whole value inside the quotes (`"0 9 * * 1"`, not `"0 9 * * 1"x`), or start what follows on a line of its own',
  },
  {
    matches: (code, message) => code === 'BAD_INDENT' && /must start at the same column/.test(message),
    means: 'this line is indented differently from the lines of the mapping or list it belongs to',
    hint: 'indent every key of one mapping, and every `-` of one list, to the same column',
  },
];

/**
 * Where the quoted value that never closes opens: the library reports the error where the
 * text ends, often many lines below the quote that caused it. The last quoted scalar that
 * starts before `end` and does not end with its own quote is the one.
 */
const unclosedQuoteAt = (text: string, end: number): number | undefined => {
  let at: number | undefined;
  for (const token of new Parser().parse(text)) {
    // Documents after the error cannot hold its quote; parsing them was most of the cost on a
    // large file (1 s of a 1.5 MiB one).
    if (token.offset > end) break;
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      for (const t of [item.key, item.value]) {
        if (t?.type !== 'double-quoted-scalar' && t?.type !== 'single-quoted-scalar') continue;
        const quote = t.source[0] ?? '';
        const closed = t.source.length > 1 && t.source.trimEnd().endsWith(quote);
        if (!closed && t.offset < end && (at === undefined || t.offset > at)) at = t.offset;
      }
    });
  }
  return at;
};

/**
 * Where the `[` or `{` that never closes opens: the library reports it where the collection's
 * text ends (the next line, or the end of the file), not at the bracket that caused it. The last
 * flow collection that starts before `end` without its own closing bracket (none, or the other
 * kind: `{a: [1}` leaves the `[` open) is the one.
 */
const unclosedFlowAt = (text: string, end: number): number | undefined => {
  let at: number | undefined;
  const look = (t: CST.Token | undefined) => {
    if (t?.type !== 'flow-collection' || t.offset >= end) return;
    const closer = t.start.source === '[' ? 'flow-seq-end' : 'flow-map-end';
    if (!t.end.some((e) => e.type === closer) && (at === undefined || t.offset > at)) at = t.offset;
  };
  for (const token of new Parser().parse(text)) {
    if (token.offset > end) break;
    if (token.type !== 'document') continue;
    look(token.value);
    CST.visit(token, (item) => {
      look(item.key ?? undefined);
      look(item.value);
    });
  }
  return at;
};

/** The offset of the first character after the spaces at `offset`. */
const pastSpaces = (text: string, offset: number): number => {
  let at = offset;
  while (text[at] === ' ') at++;
  return at;
};

/** A line that starts a new document: `---`, then nothing but white space or a comment. */
const SEPARATOR = /\n---(?=\s|$)/;

/**
 * Where the documents after a quote that never closes begin (the first `---` line after it),
 * and how many there are; `undefined` when the quote runs to the end of the text.
 */
const separatorsAfter = (
  text: string,
  quote: number,
): { readonly at: number; readonly count: number } | undefined => {
  const rest = text.slice(quote);
  // A document of nothing but blank lines and comments (a trailing `---`) is none, as for kubectl.
  const count = rest
    .split(SEPARATOR)
    .slice(1)
    .filter((chunk) => /^[ \t]*[^\s#]/m.test(chunk)).length;
  return count === 0 ? undefined : { at: quote + rest.search(SEPARATOR) + 1, count };
};

/**
 * What a quote that never closes took with it: the documents after it, which the parser read as
 * part of its value. `readsOn`: whether the caller reads them again on their own from the next
 * `---` line (`false`: it stopped doing so for this file; `undefined`: it never does).
 */
const swallowed = (count: number, readsOn: boolean | undefined): string => {
  if (count === 0) return '';
  const them = count === 1 ? 'the document after it' : `the ${count} documents after it`;
  const are = count === 1 ? 'is' : 'are';
  if (readsOn === true)
    return `; ${them} ${are} read from the next --- line on, as kubectl splits a file at --- lines before it parses`;
  if (readsOn === false) return `; ${them} ${are} not read: too many quoted values in this file never close`;
  return `; ${them} ${are} inside the quoted value, so ${count === 1 ? 'it was' : 'they were'} not read`;
};

/**
 * The offset of the first `[` or `{` that opens a flow collection deeper than {@link MAX_DEPTH}
 * in `text` before `end` (quoted scalars skipped), or undefined. Where the parser ran out of
 * stack depends on how much stack the process had left (`kelos check` and `kelos validate`
 * said two columns for one file); this place does not.
 */
const tooDeepAt = (text: string, end: number): number | undefined => {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < end && i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
};

/**
 * The first syntax error of one document as a finding (none when there is no error). The parser goes on after an error,
 * and what it reports next is most often a consequence of the first (one tab made five more
 * "indented differently" errors on lines that were right), so the others are counted in the
 * message rather than listed: fix the first and run again, as with a compiler.
 *
 * @param what What failed to parse, e.g. `document 2` or `kustomization`.
 * @param text The whole text parsed, to point at the quote of a quoted value that never closes.
 * @param options `readsOn`: whether the caller reads the documents a quote that never closes
 *   took with it again, on their own from the first `---` line after it (`false`: no longer, in
 *   this file). Such a finding says so and carries `resume`: that line's offset, or `false`.
 */
export const yamlSyntaxFindings = (
  errors: readonly YAMLError[],
  what: string,
  text?: string,
  options: { readonly readsOn?: boolean } = {},
): Array<Finding & { readonly offset: number; readonly resume?: number | false }> => {
  const earliest = errors.reduce<YAMLError | undefined>(
    (a, e) => (a === undefined || e.pos[0] < a.pos[0] ? e : a),
    undefined,
  );
  if (earliest === undefined) return [];
  // A tab that indents the next line is the cause of what the parser reports at the end of
  // this one (a list item under a key, indented with a tab, read as a key of its own).
  const tab = errors.find((e) => e.code === 'TAB_AS_INDENT');
  const first =
    tab !== undefined &&
    text !== undefined &&
    tab.pos[0] >= earliest.pos[0] &&
    !text.slice(earliest.pos[0], tab.pos[0]).slice(1).includes('\n')
      ? tab
      : earliest;
  const said = first.message.split('\n')[0] ?? first.code;
  // The parser recurses into flow collections; nested by the thousand, it runs out of stack.
  // Where the stack runs out decides the words: in a call (`Maximum call stack size exceeded`),
  // or while V8 compiles one of the parser's regular expressions (`Invalid regular expression:
  // /…/: Stack overflow`), which is where `kelos validate` itself, with less stack left than a
  // test, runs out.
  if (/Maximum call stack size exceeded|Invalid regular expression: .*: Stack overflow/.test(said)) {
    return [
      {
        severity: 'error',
        code: 'yaml/too-deep',
        message: `${what} nests mappings and lists more than ${MAX_DEPTH} levels deep (too deep to parse); no Kubernetes object does`,
        path: '',
        offset: (text !== undefined ? tooDeepAt(text, first.pos[0] + 1) : undefined) ?? first.pos[0],
      },
    ];
  }
  const explained = EXPLAINED.find((e) => e.matches(first.code, said));
  // The parser often reports one mistake twice at the same place, under two codes.
  const more = new Set(errors.map((e) => e.pos[0])).size - 1;
  const after =
    more > 0
      ? `; ${more} more YAML ${more === 1 ? 'error follows' : 'errors follow'} in this document, often from this one`
      : '';
  const quote =
    text !== undefined && UNCLOSED_QUOTE.test(said) ? unclosedQuoteAt(text, first.pos[0]) : undefined;
  const next = quote !== undefined && text !== undefined ? separatorsAfter(text, quote) : undefined;
  const flow =
    text !== undefined && UNCLOSED_FLOW.test(said) ? unclosedFlowAt(text, first.pos[0]) : undefined;
  const readsOn = next === undefined ? undefined : options.readsOn;
  return [
    quote !== undefined
      ? {
          severity: 'error',
          code: 'yaml/parse',
          message: `${what} is not valid YAML: the quoted value that starts here is not closed (${said.replace(/ at line \d+, column \d+:?$/, '')})${swallowed(next?.count ?? 0, readsOn)}${after}`,
          path: '',
          hint: 'close it with the same quote on this line; a quote inside it is written twice in single quotes, as \\" in double quotes',
          offset: quote,
          ...(next !== undefined && readsOn !== undefined && { resume: readsOn && next.at }),
        }
      : {
          severity: 'error',
          code: 'yaml/parse',
          message:
            flow !== undefined
              ? `${what} is not valid YAML: the ${text?.[flow]} that opens here is not closed (or a line inside it is indented less than its key) (${said})${after}`
              : explained
                ? `${what} is not valid YAML: ${explained.means} (${said})${after}`
                : `${what} is not valid YAML: ${said}${after}`,
          path: '',
          ...(explained ? { hint: explained.hint } : {}),
          offset:
            flow ??
            (explained?.atToken && text !== undefined ? pastSpaces(text, first.pos[0]) : first.pos[0]),
        },
  ];
};

/**
 * The first syntax error of a configuration file (`cdk8s.yaml`, `kelos.policy.yaml`) as one
 * line, `file:line:column: not valid YAML: …; <how to fix it>`, in the words the validator uses for
 * manifests; undefined when it parses. Parse it with `prettyErrors: false`, so the library's
 * message is not followed by its own location and a code frame.
 */
export const configSyntaxError = (
  errors: readonly YAMLError[],
  text: string,
  file: string,
  linePos: (offset: number) => { line: number; col: number },
): string | undefined => {
  const [first] = yamlSyntaxFindings(errors, 'the file', text);
  if (!first) return undefined;
  const { line, col } = linePos(first.offset);
  const message = first.message.replace(/^the file is /, '');
  return `${file}:${line}:${col}: ${message}${first.hint ? `; ${first.hint}` : ''}`;
};

/**
 * `doc.toJS()` of a configuration file, bounded as manifests are (`maxAliasCount`): an alias
 * bomb is a one-line error naming the bound, not the library's words about an attack.
 *
 * @throws Error `file: cannot be read: …` when the aliases expand beyond the bound.
 */
export const configValue = (
  doc: { toJS(options: { maxAliasCount: number }): unknown },
  file: string,
): unknown => {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new Error(
      `${file}: cannot be read: its aliases expand beyond the bound on alias expansion (maxAliasCount: ${MAX_ALIAS_COUNT}), which keeps a small file from expanding into a huge one (${(err as Error).message})`,
    );
  }
};

/**
 * The value of each document of a YAML file read as input other than manifests (a values file,
 * CRDs to compare against), bounded and worded as a configuration file is: a syntax error, a
 * nesting too deep to parse and an alias bomb are each one line naming the file
 * ({@link configSyntaxError}, {@link configValue}), never the parser's stack overflow.
 *
 * @throws Error with that line.
 */
export const configDocuments = (text: string, file: string): unknown[] => {
  const lines = new LineCounter();
  // What bytes that are no UTF-8 decode to: go-yaml, and so Helm and kubectl, refuse them
  // ("invalid leading UTF-8 octet"); read on, `café` would become `caf\uFFFD` with no word.
  const notUtf8 = text.indexOf('\uFFFD');
  if (notUtf8 >= 0) {
    const before = text.slice(0, notUtf8);
    const line = before.split('\n').length;
    const col = notUtf8 - before.lastIndexOf('\n');
    throw new Error(
      `${file}:${line}:${col}: a character here is not UTF-8 (a file saved as Latin-1?), which Helm and kubectl refuse; save the file as UTF-8 (iconv -f latin1 -t utf-8), or write a U+FFFD meant as such "\\uFFFD" in a double-quoted string`,
    );
  }
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  for (const doc of docs) {
    const syntax = configSyntaxError(doc.errors, text, file, (o) => lines.linePos(o));
    if (syntax) throw new Error(syntax);
  }
  return docs.map((doc) => configValue(doc, file));
};
