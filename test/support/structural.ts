/**
 * A static checker for the apiextensions.k8s.io/v1 "structural schema" rules, so that a CRD schema
 * that the apiserver would reject (or silently weaken) is caught when Kelos generates it rather than
 * when a cluster refuses the CRD.
 *
 * It follows the apiserver's own checks (k8s.io/apiextensions-apiserver, `pkg/apiserver/schema`
 * `validation.go` + `complete.go`, and `pkg/apis/apiextensions/validation`): structurality, the
 * IntOrString exceptions, completeness of value validations, list/map type extensions, formats the
 * apiserver recognises and keywords `JSONSchemaProps` does not have. Messages are
 * `path: problem`, with paths written like the apiserver's field paths
 * (`schema.properties[spec].items.type`).
 *
 * Not covered: CEL rules (`x-kubernetes-validations` are only checked for placement), cost
 * estimation, and full validation of defaults against their schema (only their JSON type is checked).
 */

/** Options for {@link structuralErrors} and {@link assertStructural}. */
export interface StructuralOptions {
  /**
   * Check the schema as a CRD version's `openAPIV3Schema` root, which adds the root-only rules
   * (type object, no additionalProperties, `metadata` may only restrict name/generateName). Leave it
   * unset for a schema that will be embedded as a field, like the ones `k8sTypeSchema` returns.
   */
  root?: boolean;
  /** Prefix of every reported path. Defaults to `schema`. */
  path?: string;
}

type Node = Record<string, unknown>;
type Level = 'root' | 'item' | 'field';

const TYPES = new Set(['array', 'boolean', 'integer', 'number', 'object', 'string']);

/** Every keyword apiextensions.k8s.io/v1 `JSONSchemaProps` can hold; anything else is dropped by the apiserver. */
const KNOWN_KEYWORDS = new Set([
  'id',
  '$schema',
  '$ref',
  'description',
  'type',
  'format',
  'title',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'patternProperties',
  'dependencies',
  'additionalItems',
  'definitions',
  'externalDocs',
  'example',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/** Keywords the apiserver refuses outright (`specStandardValidatorV3.validate`). */
const UNSUPPORTED_KEYWORDS = [
  'id',
  '$ref',
  'definitions',
  'dependencies',
  'patternProperties',
  'additionalItems',
];

/** Keywords that give a value a shape, and so may not appear inside anyOf/allOf/oneOf/not. */
const NESTED_FORBIDDEN = [
  'type',
  'additionalProperties',
  'default',
  'title',
  'description',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
];

const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;

/**
 * String formats the apiserver validates (k8s.io/apiextensions-apiserver `supportedVersionedFormats`
 * as of 1.0, dashes removed the way go-openapi normalises names). Others are dropped with a warning.
 */
const STRING_FORMATS = new Set(
  [
    'bsonobjectid',
    'uri',
    'email',
    'hostname',
    'ipv4',
    'ipv6',
    'cidr',
    'mac',
    'uuid',
    'uuid3',
    'uuid4',
    'uuid5',
    'isbn',
    'isbn10',
    'isbn13',
    'creditcard',
    'ssn',
    'hexcolor',
    'rgbcolor',
    'byte',
    'password',
    'date',
    'duration',
    'datetime',
  ].map((f) => f.replaceAll('-', '')),
);

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(path: string, key: string): string {
  return `${path}.${key}`;
}

function keyed(path: string, key: string, name: string): string {
  return `${path}.${key}[${name}]`;
}

/** True when `anyOf` is exactly `[{type: integer}, {type: string}]`, the IntOrString exception. */
function isIntOrStringAnyOf(anyOf: unknown): boolean {
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return false;
  return ['integer', 'string'].every((type, i) => {
    const entry: unknown = anyOf[i];
    return isNode(entry) && Object.keys(entry).length === 1 && entry['type'] === type;
  });
}

function typeOf(node: Node): string {
  return typeof node['type'] === 'string' ? node['type'] : '';
}

function defaultMatchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isNode(value);
    default:
      return true;
  }
}

class Checker {
  readonly errors: string[] = [];

  private report(path: string, problem: string): void {
    this.errors.push(`${path}: ${problem}`);
  }

  /** Rules that hold for every schema node, structural or nested in a value validation. */
  private common(node: Node, path: string): void {
    for (const key of Object.keys(node)) {
      if (!KNOWN_KEYWORDS.has(key)) {
        this.report(
          child(path, key),
          'is not a keyword of apiextensions.k8s.io/v1 JSONSchemaProps (the apiserver would drop it)',
        );
      }
    }
    for (const key of UNSUPPORTED_KEYWORDS) {
      if (key in node) this.report(child(path, key), `${key} is not supported`);
    }
    if (node['uniqueItems'] === true) {
      this.report(
        child(path, 'uniqueItems'),
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      );
    }
    const type = node['type'];
    if (type !== undefined) {
      if (type === 'null') {
        this.report(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative');
      } else if (typeof type !== 'string' || !TYPES.has(type)) {
        this.report(child(path, 'type'), `unsupported type ${JSON.stringify(type)}`);
      }
    }
    if ('items' in node && !isNode(node['items'])) {
      this.report(child(path, 'items'), 'items must be a schema object and not an array');
    }
    for (const key of ['exclusiveMaximum', 'exclusiveMinimum']) {
      if (key in node && typeof node[key] !== 'boolean') {
        this.report(child(path, key), 'must be a boolean (OpenAPI v3.0 semantics)');
      }
    }
    if (
      'x-kubernetes-preserve-unknown-fields' in node &&
      node['x-kubernetes-preserve-unknown-fields'] !== true
    ) {
      this.report(child(path, 'x-kubernetes-preserve-unknown-fields'), 'must be true or undefined');
    }
    this.format(node, path);
    this.collectionExtensions(node, path);
  }

  /** Formats the apiserver does not know are dropped (with only a warning), losing validation. */
  private format(node: Node, path: string): void {
    const format = node['format'];
    if (format === undefined) return;
    if (typeof format !== 'string') {
      this.report(child(path, 'format'), 'must be a string');
      return;
    }
    if (format === '') return;
    const type = typeOf(node);
    const ok =
      type === '' || type === 'string'
        ? STRING_FORMATS.has(format.replaceAll('-', ''))
        : type === 'integer'
          ? format === 'int32' || format === 'int64'
          : type === 'number'
            ? format === 'float' || format === 'double'
            : false;
    if (!ok) {
      this.report(
        child(path, 'format'),
        `format ${JSON.stringify(format)} is not supported for type ${type || '(none)'} (the apiserver would drop it)`,
      );
    }
  }

  /** x-kubernetes-list-type / list-map-keys / map-type rules. */
  private collectionExtensions(node: Node, path: string): void {
    const type = typeOf(node);
    const mapType = node['x-kubernetes-map-type'];
    if (mapType !== undefined) {
      if (type !== 'object') {
        this.report(child(path, 'type'), 'must be object if x-kubernetes-map-type is specified');
      }
      if (mapType !== 'atomic' && mapType !== 'granular') {
        this.report(child(path, 'x-kubernetes-map-type'), 'must be one of atomic, granular');
      }
    }
    const listType = node['x-kubernetes-list-type'];
    const keys = node['x-kubernetes-list-map-keys'];
    const items = isNode(node['items']) ? node['items'] : undefined;
    if (listType !== undefined) {
      if (type !== 'array') {
        this.report(child(path, 'type'), 'must be array if x-kubernetes-list-type is specified');
      }
      if (listType !== 'atomic' && listType !== 'set' && listType !== 'map') {
        this.report(child(path, 'x-kubernetes-list-type'), 'must be one of atomic, set, map');
      }
    }
    if (keys !== undefined && !(Array.isArray(keys) && keys.length === 0) && listType !== 'map') {
      this.report(
        child(path, 'x-kubernetes-list-type'),
        'must be map if x-kubernetes-list-map-keys is non-empty',
      );
    }
    if ((listType === 'set' || listType === 'map') && items?.['nullable'] === true) {
      this.report(
        child(child(path, 'items'), 'nullable'),
        `cannot be nullable when x-kubernetes-list-type is ${listType}`,
      );
    }
    if (listType === 'set' && items) {
      const itemType = typeOf(items);
      if (itemType === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
        this.report(
          child(child(path, 'items'), 'x-kubernetes-map-type'),
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        );
      }
      if (itemType === 'array' && (items['x-kubernetes-list-type'] ?? 'atomic') !== 'atomic') {
        this.report(
          child(child(path, 'items'), 'x-kubernetes-list-type'),
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        );
      }
    }
    if (listType !== 'map') return;
    if (!Array.isArray(keys) || keys.length === 0) {
      this.report(
        child(path, 'x-kubernetes-list-map-keys'),
        'must not be empty if x-kubernetes-list-type is map',
      );
      return;
    }
    if (!items) {
      this.report(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map');
      return;
    }
    if (typeOf(items) !== 'object') {
      this.report(
        child(child(path, 'items'), 'type'),
        "must be object if parent array's x-kubernetes-list-type is map",
      );
      return;
    }
    const properties = isNode(items['properties']) ? items['properties'] : {};
    const required = new Set(Array.isArray(items['required']) ? items['required'] : []);
    const seen = new Set<unknown>();
    for (const key of keys) {
      if (seen.has(key)) {
        this.report(child(path, 'x-kubernetes-list-map-keys'), 'must not contain duplicate entries');
      }
      seen.add(key);
      const prop = typeof key === 'string' ? properties[key] : undefined;
      if (!isNode(prop)) {
        this.report(
          child(path, 'x-kubernetes-list-map-keys'),
          'entries must all be names of item properties',
        );
        continue;
      }
      const propPath = keyed(child(path, 'items'), 'properties', key as string);
      const propType = typeOf(prop);
      if (propType === 'array' || propType === 'object') {
        this.report(
          child(propPath, 'type'),
          "must be a scalar type if parent array's x-kubernetes-list-type is map",
        );
      }
      if (!required.has(key) && prop['default'] === undefined) {
        this.report(
          child(propPath, 'default'),
          'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
        );
      }
      if (prop['nullable'] === true) {
        this.report(
          child(propPath, 'nullable'),
          'this property is in x-kubernetes-list-map-keys, so it cannot be nullable',
        );
      }
    }
  }

  /** A node of the structural skeleton: reached through properties, items and additionalProperties only. */
  structural(node: unknown, path: string, level: Level): void {
    if (!isNode(node)) {
      this.report(path, 'must be a schema object');
      return;
    }
    this.common(node, path);
    const type = typeOf(node);
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
    const embedded = node['x-kubernetes-embedded-resource'] === true;
    const properties = isNode(node['properties']) ? node['properties'] : undefined;
    const additional = node['additionalProperties'];

    if (type === 'array' && node['items'] === undefined) {
      this.report(child(path, 'items'), 'must be specified');
    }
    if (embedded && type !== 'object') {
      this.report(child(path, 'type'), 'must be object if x-kubernetes-embedded-resource is true');
    } else if (type === '' && !intOrString && !preserve) {
      const where =
        level === 'root'
          ? 'at the root'
          : level === 'item'
            ? 'for specified array items'
            : 'for specified object fields';
      this.report(child(path, 'type'), `must not be empty ${where}`);
    }
    if (level === 'root') {
      if (type !== '' && type !== 'object') this.report(child(path, 'type'), 'must be object at the root');
      if (node['nullable'] === true)
        this.report(child(path, 'nullable'), 'nullable cannot be true at the root');
    }
    if (additional !== undefined) {
      if (level === 'root') {
        this.report(child(path, 'additionalProperties'), 'must not be used at the root');
      }
      if (embedded) {
        this.report(
          child(path, 'additionalProperties'),
          'must not be used if x-kubernetes-embedded-resource is set',
        );
      }
      // `additionalProperties: true` next to properties is tolerated; a schema or false is not.
      if (properties && Object.keys(properties).length > 0 && additional !== true) {
        this.report(
          child(path, 'additionalProperties'),
          'additionalProperties and properties are mutual exclusive',
        );
      }
    }
    if (intOrString && preserve) {
      this.report(
        child(path, 'x-kubernetes-preserve-unknown-fields'),
        'must be false if x-kubernetes-int-or-string is true',
      );
    }
    if (intOrString && embedded) {
      this.report(
        child(path, 'x-kubernetes-embedded-resource'),
        'must be false if x-kubernetes-int-or-string is true',
      );
    }
    if (embedded && !preserve && (!properties || Object.keys(properties).length === 0)) {
      this.report(
        child(path, 'properties'),
        'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      );
    }
    if (node['default'] !== undefined && type !== '' && !defaultMatchesType(node['default'], type)) {
      this.report(child(path, 'default'), `must be of type ${type}`);
    }

    const checkMetadata = level === 'root' || embedded;
    if (properties && checkMetadata) {
      for (const key of ['kind', 'apiVersion']) {
        const prop = properties[key];
        if (isNode(prop) && typeOf(prop) !== 'string') {
          this.report(child(keyed(path, 'properties', key), 'type'), 'must be string');
        }
      }
      const metadata = properties['metadata'];
      if (isNode(metadata)) {
        const metaPath = keyed(path, 'properties', 'metadata');
        if (typeOf(metadata) !== 'object') this.report(child(metaPath, 'type'), 'must be object');
        if (level === 'root') this.rootMetadata(metadata, metaPath);
      }
    }

    // Value validations: the IntOrString shapes are the only typed entries allowed in them.
    const skipAnyOf = isIntOrStringAnyOf(node['anyOf']);
    const allOf = node['allOf'];
    const skipFirstAllOfAnyOf =
      Array.isArray(allOf) && isNode(allOf[0]) && isIntOrStringAnyOf(allOf[0]['anyOf']);
    this.valueValidations(node, path, node, path, skipAnyOf, skipFirstAllOfAnyOf);

    if (properties) {
      for (const [key, value] of Object.entries(properties)) {
        this.structural(value, keyed(path, 'properties', key), 'field');
      }
    } else if (node['properties'] !== undefined) {
      this.report(child(path, 'properties'), 'must be an object');
    }
    if (node['items'] !== undefined && isNode(node['items'])) {
      this.structural(node['items'], child(path, 'items'), 'item');
    }
    if (isNode(additional)) {
      this.structural(additional, child(path, 'additionalProperties'), 'field');
    }
  }

  /** At the root the apiserver owns metadata: a schema may only restrict name and generateName. */
  private rootMetadata(metadata: Node, path: string): void {
    const props = isNode(metadata['properties']) ? Object.keys(metadata['properties']) : [];
    const extra = Object.keys(metadata).filter((k) => k !== 'type' && k !== 'default' && k !== 'properties');
    if (extra.length > 0 || props.some((p) => p !== 'name' && p !== 'generateName')) {
      this.report(
        path,
        'must not specify anything other than name and generateName, but metadata is implicitly specified',
      );
    }
  }

  /** Walks anyOf/allOf/oneOf/not of `node`, checking them against the structural node they constrain. */
  private valueValidations(
    node: Node,
    path: string,
    structural: Node | undefined,
    structuralPath: string,
    skipAnyOf: boolean,
    skipFirstAllOfAnyOf: boolean,
  ): void {
    for (const junctor of JUNCTORS) {
      const list = node[junctor];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        this.report(child(path, junctor), 'must be a list of schemas');
        continue;
      }
      if (junctor === 'anyOf' && skipAnyOf) continue;
      list.forEach((entry: unknown, i) => {
        this.nested(
          entry,
          `${path}.${junctor}[${i}]`,
          structural,
          structuralPath,
          junctor === 'allOf' && i === 0 && skipFirstAllOfAnyOf,
        );
      });
    }
    if (node['not'] !== undefined)
      this.nested(node['not'], child(path, 'not'), structural, structuralPath, false);
  }

  /**
   * A node inside a value validation: it may only narrow values that the structural part already
   * describes (completeness), and may not carry anything that gives values a shape.
   */
  private nested(
    node: unknown,
    path: string,
    structural: Node | undefined,
    structuralPath: string,
    skipAnyOf = false,
  ): void {
    if (!isNode(node)) {
      this.report(path, 'must be a schema object');
      return;
    }
    if (!structural) {
      this.report(structuralPath, `must be specified because it is defined in ${path}`);
      return;
    }
    this.common(node, path);
    for (const key of NESTED_FORBIDDEN) {
      if (node[key] === undefined || node[key] === false) continue;
      if (key === 'x-kubernetes-list-map-keys' && Array.isArray(node[key]) && node[key].length === 0)
        continue;
      const problem =
        key === 'additionalProperties'
          ? 'must be undefined to be structural'
          : 'must be empty to be structural';
      this.report(child(path, key), problem);
    }
    this.valueValidations(node, path, structural, structuralPath, skipAnyOf, false);

    const properties = node['properties'];
    if (isNode(properties)) {
      if ('metadata' in properties) {
        this.report(keyed(path, 'properties', 'metadata'), 'must not be specified in a nested context');
      }
      const structuralProps = isNode(structural['properties']) ? structural['properties'] : {};
      for (const [key, value] of Object.entries(properties)) {
        const target = structuralProps[key];
        const targetPath = keyed(structuralPath, 'properties', key);
        this.nested(value, keyed(path, 'properties', key), isNode(target) ? target : undefined, targetPath);
      }
    }
    if (node['items'] !== undefined) {
      const target = structural['items'];
      this.nested(
        node['items'],
        child(path, 'items'),
        isNode(target) ? target : undefined,
        child(structuralPath, 'items'),
      );
    }
  }
}

/**
 * Lists every way `schema` breaks the apiextensions.k8s.io/v1 structural schema rules, as
 * human-readable `path: problem` lines (empty when the apiserver would accept it as structural).
 *
 * @param schema A plain JSON schema (TypeBox schemas work too: their symbol keys are ignored).
 * @param options `root: true` for a CRD version's `openAPIV3Schema`; `path` to prefix messages.
 */
export function structuralErrors(schema: unknown, options: StructuralOptions = {}): string[] {
  const checker = new Checker();
  checker.structural(schema, options.path ?? 'schema', options.root ? 'root' : 'field');
  return checker.errors;
}

/**
 * Throws an `Error` listing every {@link structuralErrors} problem of `schema`, one per line.
 *
 * @param schema The schema to check.
 * @param options As for {@link structuralErrors}.
 */
export function assertStructural(schema: unknown, options: StructuralOptions = {}): void {
  const errors = structuralErrors(schema, options);
  if (errors.length > 0) {
    throw new Error(`schema is not structural:\n${errors.join('\n')}`);
  }
}
