/**
 * References between Kelos objects. A construct that refers to another takes the other
 * construct (or an import of an object defined elsewhere), never a bare name, so a typo
 * in a name cannot compile and a rename follows through.
 *
 * @packageDocumentation
 */
import { Construct, type IConstruct } from 'constructs';

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
