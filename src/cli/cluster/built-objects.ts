/**
 * Objects a command builds from its flags (`kelos run`, `kelos create …`) are checked offline,
 * as `kelos validate` checks a manifest, before they are printed with `--dry-run` or sent:
 * a dry run that prints what the API server refuses (a name with capitals, a repository URL
 * with credentials in it) would be a lie, and a real run should say which flag is wrong
 * rather than relay the server's words.
 *
 * @packageDocumentation
 */
import { ApiError } from '../../kube/api.ts';
import {
  type Diagnostic,
  documentFromObject,
  formatDiagnosticBlock,
  validateDocuments,
} from '../../validate/index.ts';
import { UsageError } from '../io.ts';

/** Which flag sets the field at a JSON pointer of a built object, where one flag does. */
export type FlagOf = (pointer: string) => string | undefined;

/**
 * Throws a {@link UsageError} listing every error offline validation finds in `objects`, each
 * with the flag that set the field when `flagOf` knows it; warnings do not stop the command.
 * The objects are validated as `kelos validate` validates a file holding them: one bundle, every
 * rule, not the schema and CEL rules alone, so what the API server accepts and the operator
 * then fails (a Task name its Job cannot take, a branch git refuses) is refused here too.
 */
export const refuseInvalid = (objects: readonly object[], flagOf: FlagOf = () => undefined): void => {
  const errors: Diagnostic[] = validateDocuments(
    objects.map((o, i) => documentFromObject(o as Record<string, unknown>, '<flags>', i)),
    { boundSize: true },
  )
    .filter((d) => d.severity === 'error')
    // Built from flags, the objects have no file or line to point at.
    .map(({ source: _source, ...d }) => d);
  if (errors.length === 0) return;
  const lines = errors.map((d) => {
    const flag = flagOf(d.path);
    return `  ${formatDiagnosticBlock(flag ? { ...d, message: `${d.message} (set by ${flag})` } : d).replaceAll('\n', '\n  ')}`;
  });
  throw new UsageError(
    `what these flags make would be refused or could not run, so nothing was printed or created:\n${lines.join('\n')}`,
  );
};

/** A {@link FlagOf} that also lists the pointers it knows, so a field named in prose can be found. */
export type PointerFlags = FlagOf & { readonly pointers: readonly string[] };

/** A {@link FlagOf} from JSON pointer prefixes, the longest matching prefix first. */
export const flagsByPointer = (table: Readonly<Record<string, string>>): PointerFlags =>
  Object.assign(
    (pointer: string) => {
      const prefix = Object.keys(table)
        .filter((p) => pointer === p || pointer.startsWith(`${p}/`))
        .sort((a, b) => b.length - a.length)[0];
      return prefix === undefined ? undefined : table[prefix];
    },
    { pointers: Object.keys(table) },
  );

/**
 * The flags behind the fields a refusal's text names, in the order named: the API server's
 * schema errors name the whole path (`spec.worker.model: Invalid value`), an admission
 * policy's message whatever its author wrote (`set podOverrides.activeDeadlineSeconds at or
 * under 14400`, `model "x" is not allowed`), so a name matches a known field when it starts
 * with the end of that field's pointer. Quoted text (object names, values) is not read.
 */
export const flagsNamedIn = (text: string, flags: PointerFlags): string[] => {
  const prose = text.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, ' ');
  const named: string[] = [];
  for (const [token] of prose.matchAll(/[A-Za-z]\w*(?:(?:\[\d+\])?\.[A-Za-z]\w*)*/g)) {
    const segments = token.replace(/\[\d+\]/g, '').split('.');
    for (const pointer of flags.pointers) {
      const field = pointer.split('/').slice(1);
      const from = field.findIndex((_, i) => field.slice(i).every((s, j) => segments[j] === s));
      if (from < 0) continue;
      const flag = flags(pointer);
      if (flag && !named.includes(flag)) named.push(flag);
    }
  }
  return named;
};

/**
 * `err` with the flags behind the fields it names appended, when it is the API server's
 * refusal of what the flags made: a 422 (schema validation, or an admission policy's `Deny`)
 * or an admission webhook's denial. Anything else comes back as it was.
 */
export const withFlagsOfRefusal = (err: unknown, flags: PointerFlags): unknown => {
  if (!(err instanceof ApiError)) return err;
  const admission = / denied (?:the )?request/.test(err.message);
  if (err.status !== 422 && !admission) return err;
  // An admission denial's own words follow "denied request:"; before them, and before any
  // refusal's, come only names (the request's path holds the namespace, which may be any word).
  const own = admission
    ? err.message.slice(err.message.search(/ denied (?:the )?request/))
    : err.message.replace(/^[A-Z]+ \S+: /, '');
  const named = flagsNamedIn(own, flags);
  if (named.length === 0) return err;
  return new ApiError(err.status, err.reason, `${err.message} (set by ${named.join(', ')})`, {
    ...(err.kind ? { kind: err.kind } : {}),
    causes: err.causes,
    cause: err,
  });
};
