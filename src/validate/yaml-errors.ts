/**
 * YAML syntax errors in the words of someone who edits manifests. The `yaml` library's
 * messages describe its grammar ("Nested mappings are not allowed in compact mappings"); most
 * of them, in a Kubernetes manifest, mean one line is indented wrongly. Each error keeps the
 * library's message, says what it usually means, and says how to fix it.
 *
 * @packageDocumentation
 */
import type { YAMLError } from 'yaml';
import type { Finding } from './diagnostic.ts';

/** The usual cause and fix of the library's error codes that a hand edit most often causes. */
const EXPLAINED: Partial<Record<YAMLError['code'], { readonly means: string; readonly hint: string }>> = {
  BLOCK_AS_IMPLICIT_KEY: {
    means:
      "a `key: value` sits inside another key's value (two keys on one line, or a line indented deeper than the keys beside it)",
    hint: 'keys of one mapping start at the same column; a nested mapping starts on the line after its key, indented further than it',
  },
  MULTILINE_IMPLICIT_KEY: {
    means: 'a key runs over more than one line (usually a line indented deeper than the keys beside it)',
    hint: 'keys of one mapping start at the same column; a nested mapping starts on the line after its key, indented further than it',
  },
  BAD_INDENT: {
    means: 'this line is indented differently from the lines of the mapping or list it belongs to',
    hint: 'indent every key of one mapping, and every `-` of one list, to the same column',
  },
  TAB_AS_INDENT: {
    means: 'YAML indents with spaces only',
    hint: 'replace the tabs at the start of the line with spaces',
  },
  MISSING_CHAR: {
    means: 'a quote, bracket or brace is not closed',
    hint: 'close it on this line, or quote the whole value',
  },
};

/**
 * The first syntax error of one document as a finding (none when there is no error). The parser goes on after an error,
 * and what it reports next is most often a consequence of the first (one tab made five more
 * "indented differently" errors on lines that were right), so the others are counted in the
 * message rather than listed: fix the first and run again, as with a compiler.
 *
 * @param what What failed to parse, e.g. `document 2` or `kustomization`.
 */
export const yamlSyntaxFindings = (
  errors: readonly YAMLError[],
  what: string,
): Array<Finding & { readonly offset: number }> => {
  const first = errors.reduce<YAMLError | undefined>(
    (a, e) => (a === undefined || e.pos[0] < a.pos[0] ? e : a),
    undefined,
  );
  if (first === undefined) return [];
  const said = first.message.split('\n')[0] ?? first.code;
  const explained = EXPLAINED[first.code];
  // The parser often reports one mistake twice at the same place, under two codes.
  const more = new Set(errors.map((e) => e.pos[0])).size - 1;
  const after =
    more > 0
      ? `; ${more} more YAML ${more === 1 ? 'error follows' : 'errors follow'} in this document, often from this one`
      : '';
  return [
    {
      severity: 'error',
      code: 'yaml/parse',
      message: explained
        ? `${what} is not valid YAML: ${explained.means} (${said})${after}`
        : `${what} is not valid YAML: ${said}${after}`,
      path: '',
      ...(explained ? { hint: explained.hint } : {}),
      offset: first.pos[0],
    },
  ];
};
