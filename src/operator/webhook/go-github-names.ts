/**
 * GitHub's webhook JSON as go-github's typed events, the `.Payload` of a GitHub webhook
 * Task's templates: `{{.Payload.PullRequest.Head.Ref}}` reads `pull_request.head.ref`.
 *
 * The conversion walks the event types `src/template/variables.ts` declares (the set the
 * template checker types templates against), so the runtime holds exactly the declared
 * fields: every declared field is present (null where GitHub sent nothing, as a nil pointer
 * in Go) and nothing else. Go field names map to go-github's JSON tags by one rule
 * (snake_case, with the acronyms Go spells in capitals) and a few tags go-github spells
 * differently. Times print as Go prints a `time.Time`. Written here because no library
 * knows go-github's names.
 *
 * @packageDocumentation
 */
import type { GoValue } from '../../template/go-template.ts';
import type { VarType } from '../../template/variables.ts';

/** go-github JSON tags that the snake_case rule does not give, per Go type (`*` for any). */
const TAG_EXCEPTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '*': { Repo: 'repository' },
  PullRequestBranch: { Repo: 'repo' },
  Issue: { PullRequestLinks: 'pull_request' },
  PullRequestComment: { InReplyTo: 'in_reply_to_id' },
  CommitAuthor: { Login: 'username' },
};

/** Initialisms Go writes in capitals inside field names. */
const ACRONYMS = ['HTML', 'URL', 'SSH', 'SHA', 'API', 'ID'];

/** The snake_case JSON name of a Go field name: `HTMLURL` → `html_url`, `MergeCommitSHA` → `merge_commit_sha`. */
export const snakeCase = (goName: string): string => {
  const words: string[] = [];
  let i = 0;
  while (i < goName.length) {
    const acronym = ACRONYMS.find(
      (a) => goName.startsWith(a, i) && !/[a-z]/.test(goName.charAt(i + a.length)),
    );
    if (acronym) {
      words.push(acronym.toLowerCase());
      i += acronym.length;
      continue;
    }
    const m = /^[A-Z]?[a-z0-9]+|^[A-Z]/.exec(goName.slice(i))!;
    words.push(m[0].toLowerCase());
    i += m[0].length;
  }
  return words.join('_');
};

/** The JSON key go-github reads a field of a Go type from. */
export const jsonTag = (goType: string, field: string): string =>
  TAG_EXCEPTIONS[goType]?.[field] ?? TAG_EXCEPTIONS['*']![field] ?? snakeCase(field);

/**
 * A GitHub time as Go prints a go-github `Timestamp` (`time.Time.String()`): RFC 3339 strings
 * keep their offset, numbers are Unix seconds (push events send `created_at` so).
 */
export const goTime = (value: unknown): GoValue => {
  if (typeof value === 'number' && Number.isFinite(value))
    return goTime(new Date(value * 1000).toISOString());
  if (typeof value !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!m) return value;
  const fraction = (m[3] ?? '').replace(/0+$/, '').replace(/^\.$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
  return `${m[1]} ${m[2]}${fraction} ${zone}`;
};

/** `value` as the declared type: the fields the type declares, each read from its JSON tag. */
export const toGo = (type: VarType, value: unknown): GoValue => {
  if (value === undefined || value === null) return null;
  switch (type.kind) {
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'bool':
      return typeof value === 'boolean' ? value : null;
    case 'time':
      return goTime(value);
    case 'list':
      return Array.isArray(value) ? value.map((e) => toGo(type.elem, e)) : null;
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) return null;
      const json = value as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(type.fields).map(([field, f]) => [
          field,
          toGo(f.type, json[jsonTag(type.name, field)]),
        ]),
      );
    }
    case 'map':
    case 'any':
      return value as GoValue;
  }
};
