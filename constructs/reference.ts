/**
 * References between Kelos objects. A construct that refers to another takes the other
 * construct (or an import of an object defined elsewhere), never a bare name, so a typo
 * in a name cannot compile and a rename follows through.
 *
 * @packageDocumentation
 */
import { Construct, type IConstruct } from 'constructs';
import { Messages } from './messages.ts';
import type { Violations } from './validation.ts';

/** Anything another Kelos object can refer to by name: a construct in this app, or an import. */
export interface IKelosObject extends IConstruct {
  /** Kind of the object, e.g. `Workspace`. */
  readonly kind: string;
  /** `metadata.name` of the object. */
  readonly name: string;
  /**
   * `metadata.namespace` of the object.
   *
   * @default - unset: the namespace the manifests are applied to.
   */
  readonly namespace?: string;
}

/**
 * An object defined outside the app (already in the cluster, or rendered elsewhere).
 * It renders nothing; it only stands in for the object in references.
 */
export class ImportedObject extends Construct implements IKelosObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;

  constructor(scope: Construct, id: string, kind: string, name: string, namespace?: string) {
    super(scope, id);
    this.kind = kind;
    this.name = name;
    if (namespace !== undefined) this.namespace = namespace;
  }
}

/** `Kind namespace/name` or `Kind name`, for messages. */
export const describeRef = (ref: IKelosObject): string =>
  `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

/** The static method of each referable kind that imports an object defined elsewhere. */
const IMPORTERS: Record<string, string> = {
  Task: 'fromTaskName',
  Workspace: 'fromWorkspaceName',
  AgentConfig: 'fromAgentConfigName',
};

/** What a prop that should hold a construct holds instead, for the message. */
const describeValue = (value: unknown): string => {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value !== 'object' || value === null) return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  const ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
    ?.name;
  if (ctor && ctor !== 'Object') return `a ${ctor}, which is no Kelos construct`;
  try {
    return `an object that is no Kelos construct (${JSON.stringify(value).slice(0, 60)})`;
  } catch {
    return 'an object that is no Kelos construct';
  }
};

/**
 * A reference prop holds a construct (or an import) of the kind it names, in the referring
 * object's namespace. TypeScript says so at compile time, but synth runs apps without type
 * checking, and a name where a construct belongs would otherwise render as no reference at all.
 */
export const checkReference = (
  what: string,
  kind: string,
  ref: unknown,
  own: string | undefined,
  path: string,
  v: Violations,
): void => {
  const r = ref as Partial<IKelosObject> | null | undefined;
  if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || typeof r.kind !== 'string') {
    v.add(path, Messages.notAReference(kind, IMPORTERS[kind] ?? 'fromName', describeValue(ref)));
    return;
  }
  v.check(
    r.kind !== kind,
    path,
    `${what} must be ${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}, not ${describeRef(r as IKelosObject)}`,
  );
  v.check(
    r.namespace !== undefined && r.namespace !== own,
    path,
    Messages.sameNamespace(what, describeRef(r as IKelosObject), r.namespace, own),
  );
};

/** A list prop of references as given: the list itself, or none when it is no list (its check says so). */
export const refsOf = <T>(value: readonly T[] | undefined): readonly T[] =>
  Array.isArray(value) ? value : [];

/** The names a list prop of references renders to; an entry that is no reference is left to its check. */
export const refNames = (value: readonly { readonly name: string }[] | undefined): string[] | undefined => {
  const names = refsOf(value).flatMap((r) => (r !== null && typeof r?.name === 'string' ? [r.name] : []));
  return names.length > 0 ? names : undefined;
};

/** A list prop of references holds a list (`dependsOn: 'build'` would render as no reference). */
export const checkRefList = (
  prop: string,
  kind: string,
  value: unknown,
  path: string,
  v: Violations,
): void => {
  if (value !== undefined && !Array.isArray(value))
    v.add(path, `${prop} takes a list of ${kind} constructs; got ${describeValue(value)}`);
};
