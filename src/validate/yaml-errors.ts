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
 * The errors of one document as findings, one per position: the library often reports one
 * mistake twice at the same place, under two codes.
 *
 * @param what What failed to parse, e.g. `document 2` or `kustomization`.
 */
export const yamlSyntaxFindings = (
  errors: readonly YAMLError[],
  what: string,
): Array<Finding & { readonly offset: number }> => {
  const byOffset = new Map<number, Finding & { readonly offset: number }>();
  for (const err of errors) {
    const offset = err.pos[0];
    if (byOffset.has(offset)) continue;
    const said = err.message.split('\n')[0] ?? err.code;
    const explained = EXPLAINED[err.code];
    byOffset.set(offset, {
      severity: 'error',
      code: 'yaml/parse',
      message: explained
        ? `${what} is not valid YAML: ${explained.means} (${said})`
        : `${what} is not valid YAML: ${said}`,
      path: '',
      ...(explained ? { hint: explained.hint } : {}),
      offset,
    });
  }
  return [...byOffset.values()];
};
