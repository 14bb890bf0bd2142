/**
 * The kind argument of `kelos get|delete <kind>`: the names a kubectl user types (kind,
 * singular, plural, short name, any case) resolved to a served kind.
 *
 * @packageDocumentation
 */
import { API_VERSION, GROUP, KINDS, type KindDefinition, UNSERVED_KINDS, VERSION } from '../../api/index.ts';
import type { ResourceType } from '../../kube/client.ts';
import { closest } from '../../validate/echo.ts';
import { UsageError } from '../io.ts';

/** A served kind with its resource type. */
export interface CliKind {
  readonly def: KindDefinition;
  readonly type: ResourceType;
}

/** Every name of a kind that the CLI accepts, lower-case. */
export const namesOf = (def: KindDefinition): string[] =>
  [def.kind.toLowerCase(), def.singular, def.plural, ...def.shortNames].filter(
    (n, i, all) => all.indexOf(n) === i,
  );

/** The kinds as the help of a kind argument lists them: `task(s)/tk, …, kelosconfig(s)/kc`. */
export const kindArgumentHelp = (kinds: readonly KindDefinition[] = KINDS): string =>
  `kind: ${kinds.map((k) => `${k.singular}(s)${k.shortNames.map((n) => `/${n}`).join('')}`).join(', ')}`;

/** The resource type of a served kind. */
export const typeOf = (def: KindDefinition): ResourceType => ({
  group: GROUP,
  version: VERSION,
  plural: def.plural,
  kind: def.kind,
  namespaced: def.namespaced !== false,
});

/**
 * Resolves a kind argument (`task`, `tasks`, `Task`, `tk`, `ts`, `tasks.kelos.dev`, …) or fails
 * with a usage error listing the kinds there are.
 */
export function resolveKind(arg: string, kinds: readonly KindDefinition[] = KINDS): CliKind {
  const name = arg.toLowerCase().replace(new RegExp(`\\.${GROUP.replace('.', '\\.')}$`), '');
  const def = kinds.find((k) => namesOf(k).includes(name));
  if (def) return { def, type: typeOf(def) };
  const unserved = Object.entries(UNSERVED_KINDS).find(([kind]) =>
    [kind.toLowerCase(), `${kind.toLowerCase()}s`].includes(name),
  );
  if (unserved) throw new UsageError(unserved[1]);
  const known = kinds.map(
    (k) =>
      `${k.plural} (${namesOf(k)
        .filter((n) => n !== k.plural)
        .join(', ')})`,
  );
  const near = closest(name, kinds.flatMap(namesOf));
  throw new UsageError(
    `unknown kind "${arg}" of ${API_VERSION};${near ? ` did you mean "${near}"?` : ''} expected one of: ${known.join('; ')}`,
  );
}
