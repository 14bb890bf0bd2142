/**
 * Small builders over TypeBox that keep the API files readable: every field is built
 * with its description first, because the description is what `kubectl explain` shows.
 *
 * The schemas built here are plain JSON Schema and stay structural in the
 * apiextensions.k8s.io/v1 sense: maps use `additionalProperties`, never
 * `patternProperties`, and int-or-string values carry `x-kubernetes-int-or-string`.
 *
 * @packageDocumentation
 */
import {
  type SchemaOptions,
  type Static,
  type TArray,
  type TBoolean,
  type TInteger,
  type TObject,
  type TSchema,
  type TString,
  type TUnsafe,
  Type,
} from '@sinclair/typebox';

/**
 * A cross-field rule, evaluated by the API server (`x-kubernetes-validations`) and by the
 * offline validator on the very same expression string.
 */
export interface CelRule {
  /** CEL expression over `self` (and `oldSelf` for transition rules). */
  readonly rule: string;
  /** Message shown when the rule is false. Shared verbatim by the server and `kelos validate`. */
  readonly message: string;
  /** JSON path (relative to `self`) of the field the message is about, e.g. `.credentials`. */
  readonly fieldPath?: string;
}

/** Extra schema keys this API uses beyond plain JSON Schema. */
export interface KubeSchemaOptions extends SchemaOptions {
  'x-kubernetes-validations'?: readonly CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** A string field. */
export const str = (description: string, options: KubeSchemaOptions = {}): TString =>
  Type.String({ description, ...options });

/** A string field restricted to `values`. */
export const strEnum = <const V extends readonly string[]>(
  values: V,
  description: string,
  options: KubeSchemaOptions = {},
): TUnsafe<V[number]> =>
  Type.Unsafe<V[number]>({ type: 'string', enum: [...values], description, ...options });

/** A 32-bit integer field. */
export const int32 = (description: string, options: KubeSchemaOptions = {}): TInteger =>
  Type.Integer({ format: 'int32', description, ...options });

/** A 64-bit integer field. */
export const int64 = (description: string, options: KubeSchemaOptions = {}): TInteger =>
  Type.Integer({ format: 'int64', description, ...options });

/** A boolean field. */
export const bool = (description: string, options: KubeSchemaOptions = {}): TBoolean =>
  Type.Boolean({ description, ...options });

/** A list of strings. */
export const strList = (
  description: string,
  options: KubeSchemaOptions = {},
  item: SchemaOptions = {},
): TArray<TString> => Type.Array(Type.String(item), { description, ...options });

/** A list of objects. */
export const list = <T extends TSchema>(
  items: T,
  description: string,
  options: KubeSchemaOptions = {},
): TArray<T> => Type.Array(items, { description, ...options });

/** A map from string to string, written the structural way (`additionalProperties`). */
export const strMap = (
  description: string,
  options: KubeSchemaOptions = {},
): TUnsafe<Record<string, string>> =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    description,
    ...options,
  });

/** An object with the given properties. */
export const obj = <P extends Record<string, TSchema>>(
  properties: P,
  description: string,
  options: KubeSchemaOptions = {},
): TObject<P> => Type.Object(properties, { description, ...options });

/** Marks a property optional. */
export const opt = Type.Optional;

/** A `metav1.Time` value (RFC 3339). */
export const time = (description: string): TString => Type.String({ format: 'date-time', description });

/** Pattern the API server uses for `resource.Quantity`. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/**
 * A `resource.Quantity`: an integer or a decimal string such as `"12.50"`.
 * Shaped exactly as controller-gen emits it, so the server and the offline validator agree.
 */
export const quantity = (description: string, options: KubeSchemaOptions = {}): TUnsafe<string | number> =>
  Type.Unsafe<string | number>({
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY_PATTERN,
    'x-kubernetes-int-or-string': true,
    description,
    ...options,
  });

/** CEL rule that rejects a negative quantity, as upstream's TaskUsage does. */
export const NON_NEGATIVE_QUANTITY: CelRule = {
  rule: "type(self) == int ? self >= 0 : !quantity(self).isLessThan(quantity('0'))",
  message: 'must be a non-negative quantity',
};

/** A reference to another object in the same namespace by name. */
export const nameRef = (description: string, nameDescription: string): TObject<{ name: TString }> =>
  Type.Object({ name: Type.String({ minLength: 1, description: nameDescription }) }, { description });

/** Printer column shown by `kubectl get`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  /** 0 for the default view, 1 for `-o wide`. */
  readonly priority?: 0 | 1;
}

/**
 * Everything about one kind that is not its field schema: names, scope, columns, and
 * whether it has a status subresource. `src/crd` turns it and the schemas into a CRD.
 */
export interface KindDefinition<Spec extends TSchema = TSchema, Status extends TSchema = TSchema> {
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Schema of `.spec`; its `x-kubernetes-validations` are the kind's cross-field rules. */
  readonly spec: Spec;
  /** Whether `.spec` must be present. */
  readonly specRequired: boolean;
  /** Schema of `.status`, when the kind has a status subresource. */
  readonly status?: Status;
  readonly printerColumns: readonly PrinterColumn[];
  /** One-line description of the kind, used as the CRD's root description. */
  readonly description: string;
}

/** The static type of a schema. */
export type { Static };
