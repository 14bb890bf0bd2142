/**
 * Objects a command builds from its flags (`kelos run`, `kelos create …`) are checked offline,
 * as `kelos validate` checks a manifest, before they are printed with `--dry-run` or sent:
 * a dry run that prints what the API server refuses (a name with capitals, a repository URL
 * with credentials in it) would be a lie, and a real run should say which flag is wrong
 * rather than relay the server's words.
 *
 * @packageDocumentation
 */
import { resourceOf } from '../../validate/identity.ts';
import { type Diagnostic, formatDiagnosticBlock, validateObject } from '../../validate/index.ts';
import { taskMetadataFindings } from '../../validate/task-metadata.ts';
import { UsageError } from '../io.ts';

/** Which flag sets the field at a JSON pointer of a built object, where one flag does. */
export type FlagOf = (pointer: string) => string | undefined;

/**
 * Throws a {@link UsageError} listing every error offline validation finds in `objects`, each
 * with the flag that set the field when `flagOf` knows it; warnings do not stop the command.
 */
export const refuseInvalid = (objects: readonly object[], flagOf: FlagOf = () => undefined): void => {
  const errors: Diagnostic[] = objects.flatMap((o) =>
    [
      ...validateObject(o as Record<string, unknown>),
      // What the API server accepts and the operator then fails (a Task name its Job cannot take).
      ...taskMetadataFindings(o as Record<string, unknown>).map((f) => ({
        ...f,
        resource: resourceOf(o as Record<string, unknown>),
      })),
    ].filter((d) => d.severity === 'error'),
  );
  if (errors.length === 0) return;
  const lines = errors.map((d) => {
    const flag = flagOf(d.path);
    return `  ${formatDiagnosticBlock(flag ? { ...d, message: `${d.message} (set by ${flag})` } : d).replaceAll('\n', '\n  ')}`;
  });
  throw new UsageError(
    `what these flags make would be refused or could not run, so nothing was printed or created:\n${lines.join('\n')}`,
  );
};

/** A {@link FlagOf} from JSON pointer prefixes, the longest matching prefix first. */
export const flagsByPointer =
  (table: Readonly<Record<string, string>>): FlagOf =>
  (pointer) => {
    const prefix = Object.keys(table)
      .filter((p) => pointer === p || pointer.startsWith(`${p}/`))
      .sort((a, b) => b.length - a.length)[0];
    return prefix === undefined ? undefined : table[prefix];
  };
