/**
 * Writes `src/api/generated/types.ts`: one documented TypeScript object type per object schema the
 * API exports (`TaskSpawnerSpecSchema` → `TaskSpawnerSpec`), each property carrying its schema
 * `description` as TSDoc, so an editor shows on hover what `kubectl explain` shows. `Static<typeof
 * XSchema>` has the same shape but no documentation: TypeBox's types cannot carry it.
 *
 * They are aliases of object literals, not interfaces, on purpose: like the `Static` types they
 * replace, they are assignable to `Record<string, unknown>` (an interface has no implicit index
 * signature), so code that hands a spec to such a parameter keeps compiling.
 *
 * It also writes `test/unit/api/generated-types-match.ts`, which `tsc --noEmit -p tsconfig.json`
 * compiles: it fails when a generated type and its schema's `Static` type are not the same
 * type, so a schema changed without regenerating breaks the type check as well as the unit test
 * that compares these files with what this script writes.
 *
 * Usage: `node scripts/generate-api-types.ts` (writes), `node scripts/generate-api-types.ts --check`
 * (exits 1 and names the stale files).
 *
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, type TSchema } from '@sinclair/typebox';
import * as api from '../src/api/index.ts';
import { type K8sDefinitionName, k8sTypeNames, k8sTypeSchema } from '../src/api/k8s/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the documented types go, relative to the repository root. */
export const TYPES_FILE = 'src/api/generated/types.ts';
/** Where the type-level assertions go, relative to the repository root. */
export const MATCH_FILE = 'test/unit/api/generated-types-match.ts';

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A named type a schema node stands for, and where to import it from (undefined: this module). */
interface NamedType {
  readonly name: string;
  readonly from?: string;
}

/** The exported object schemas, by export name without `Schema`, sorted by name. */
export const namedSchemas = (): ReadonlyArray<readonly [name: string, schema: TSchema]> =>
  Object.entries(api)
    .filter(
      (entry): entry is [string, TSchema] =>
        entry[0].endsWith('Schema') && isNode(entry[1]) && (entry[1] as TSchema)[Kind] === 'Object',
    )
    .map(([key, schema]) => [key.slice(0, -'Schema'.length), schema] as const)
    // Sorted here: a namespace object lists its keys sorted under Node, not under every loader.
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Named types by the identity of their `properties` object. A field that reuses a schema
 * (`opt({ ...GitHubIssuesSchema })`, `{ ...SecretReferenceSchema, description }`) copies the top
 * level only, so its `properties` is the named schema's own: that is how a use is told from an
 * inline object that merely looks alike.
 */
const namedByProperties = (): Map<unknown, NamedType> => {
  const named = new Map<unknown, NamedType>();
  for (const [name, schema] of namedSchemas()) named.set(schema['properties'], { name });
  // Hand-written static types of schemas built with Type.Unsafe.
  named.set((api.ModelRatesSchema as Node)['properties'], { name: 'ModelRates', from: '../model-rates.ts' });
  // Kubernetes types keep the @kubernetes/client-node models (and their docs) as their static type.
  for (const full of k8sTypeNames) {
    const properties = (k8sTypeSchema(full) as Node)['properties'];
    if (properties !== undefined) named.set(properties, { name: k8sTypeRef(full), from: '../k8s/index.ts' });
  }
  return named;
};

const k8sTypeRef = (full: K8sDefinitionName): string => `K8sType<'${full.slice(full.lastIndexOf('.') + 1)}'>`;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const propertyKey = (key: string): string => (IDENTIFIER.test(key) ? key : `'${key.replaceAll("'", "\\'")}'`);
const literal = (value: unknown): string =>
  typeof value === 'string' ? `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : String(value);

/** Longest line the generated file has, the formatter's width. */
const LINE_WIDTH = 110;

/**
 * A TSDoc comment of `text` at `indent`, on one line when it fits, else wrapped at spaces (never
 * before a word starting with `@`, which would read as a tag). A description beginning
 * `Deprecated:` also gets `@deprecated`, so editors strike the field through.
 */
export const docComment = (text: string, indent: string): string[] => {
  const safe = text.replaceAll('*/', '*\\/').trim();
  const deprecated = /^Deprecated:\s*(.*?\.)(\s|$)/.exec(safe);
  const oneLine = `${indent}/** ${safe} */`;
  if (!safe.includes('\n') && deprecated === null && oneLine.length <= LINE_WIDTH) return [oneLine];
  const width = LINE_WIDTH - indent.length - 3;
  const lines: string[] = [];
  for (const paragraph of safe.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/)) {
      if (line !== '' && `${line} ${word}`.length > width && !word.startsWith('@')) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  if (deprecated !== null) lines.push(`@deprecated ${deprecated[1]}`);
  return [
    `${indent}/**`,
    ...lines.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)),
    `${indent} */`,
  ];
};

/**
 * `declared type;` on one line, or, past the line width, a union one member a line, as the
 * formatter writes it (so formatting the generated file changes nothing).
 */
const unionLines = (declared: string, type: string, indent: string): string[] => {
  if (`${declared} ${type};`.length <= LINE_WIDTH || type.includes('\n')) return [`${declared} ${type};`];
  // A list of a union, `(a | b)[]`: the formatter opens the parenthesis on the declaring line.
  const list = /^\((.*)\)\[\]$/.exec(type)?.[1];
  const members = (list ?? type).split(' | ');
  if (members.length < 2) return [`${declared} ${type};`];
  if (list !== undefined)
    return [`${declared} (`, ...members.map((m) => `${indent}  | ${m}`), `${indent})[];`];
  return [declared, ...members.map((m, i) => `${indent}  | ${m}${i === members.length - 1 ? ';' : ''}`)];
};

/** Emits TypeScript for schemas, collecting the imports the named types need. */
class Emitter {
  readonly imports = new Map<string, Set<string>>();
  private readonly named: Map<unknown, NamedType>;
  constructor(named: Map<unknown, NamedType>) {
    this.named = named;
  }

  private use(type: NamedType): string {
    if (type.from !== undefined) {
      const names = this.imports.get(type.from) ?? new Set<string>();
      names.add(type.name.replace(/<.*$/, ''));
      this.imports.set(type.from, names);
    }
    return type.name;
  }

  /** The type of `node`; `where` names it in errors. Multi-line results are indented for `indent`. */
  type(node: Node, where: string, indent: string): string {
    const named = node['properties'] === undefined ? undefined : this.named.get(node['properties']);
    if (named !== undefined) return this.use(named);
    if (Array.isArray(node['enum'])) return node['enum'].map(literal).join(' | ');
    if (Array.isArray(node['anyOf']))
      return [
        ...new Set(
          node['anyOf'].map((member, i) => this.type(member as Node, `${where}.anyOf[${i}]`, indent)),
        ),
      ].join(' | ');
    switch (node['type']) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        if (!isNode(node['items'])) throw new Error(`${where}: array without items`);
        const item = this.type(node['items'], `${where}[]`, indent);
        return /^[\w<>', ]+$/.test(item) || item.startsWith('{') ? `${item}[]` : `(${item})[]`;
      }
      case 'object': {
        if (isNode(node['properties']) && Object.keys(node['properties']).length === 0) return '{}';
        if (isNode(node['properties'])) return this.objectLiteral(node, where, indent);
        if (isNode(node['additionalProperties']))
          return `Record<string, ${this.type(node['additionalProperties'], `${where}{}`, indent)}>`;
        return '{}';
      }
      default:
        throw new Error(`${where}: no TypeScript type for schema ${JSON.stringify(node).slice(0, 200)}`);
    }
  }

  /** The members of an object schema, each with its description. */
  members(node: Node, where: string, indent: string): string[] {
    const properties = node['properties'] as Record<string, Node>;
    const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
    const lines: string[] = [];
    for (const [key, prop] of Object.entries(properties)) {
      const description = prop['description'];
      if (typeof description !== 'string' || description === '')
        throw new Error(`${where}.${key}: no description to document the field with`);
      lines.push(...docComment(description, indent));
      const declared = `${indent}${propertyKey(key)}${required.has(key) ? '' : '?'}:`;
      const type = this.type(prop, `${where}.${key}`, indent);
      // `{}` is what `Static` makes of a schema without properties; the Same check needs exactly it.
      if (type === '{}')
        lines.push(
          `${indent}// biome-ignore lint/complexity/noBannedTypes: Static<> of an object without fields`,
        );
      lines.push(...unionLines(declared, type, indent));
    }
    return lines;
  }

  private objectLiteral(node: Node, where: string, indent: string): string {
    return ['{', ...this.members(node, where, `${indent}  `), `${indent}}`].join('\n');
  }
}

const HEADER = [
  '/**',
  ' * GENERATED FILE, DO NOT EDIT: written by `node scripts/generate-api-types.ts` from the TypeBox',
  ' * schemas in src/api. Change a schema, then run that command; the unit tests and',
  ' * `tsc --noEmit` fail while this file is stale.',
  ' *',
  ' * One type per exported object schema (`TaskSpawnerSpecSchema` → {@link TaskSpawnerSpec}),',
  ' * each field documented with its schema description, the text `kubectl explain` shows.',
  ' *',
  ' * @packageDocumentation',
  ' */',
];

/** The text of {@link TYPES_FILE}. */
export const generateApiTypes = (): string => {
  const emitter = new Emitter(namedByProperties());
  const body: string[] = [];
  for (const [name, schema] of namedSchemas()) {
    const description = (schema as Node)['description'];
    if (typeof description !== 'string') throw new Error(`${name}Schema: no description`);
    body.push('', ...docComment(description, ''), `export type ${name} = {`);
    body.push(...emitter.members(schema as Node, name, '  '), '};');
  }
  const imports = [...emitter.imports]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, names]) => `import type { ${[...names].sort().join(', ')} } from '${from}';`);
  return [...HEADER, ...imports, ...body, ''].join('\n');
};

/** The text of {@link MATCH_FILE}. */
export const generateTypesMatch = (): string => {
  const names = namedSchemas().map(([name]) => name);
  return [
    '/**',
    ' * GENERATED FILE, DO NOT EDIT: written by `node scripts/generate-api-types.ts`.',
    ' *',
    ' * Compiled by `tsc --noEmit -p tsconfig.json`: each documented type of',
    ' * src/api/generated/types.ts must be the very type its schema’s `Static` is (the same fields,',
    ' * optionality and value types), so the two cannot drift apart.',
    ' *',
    ' * @packageDocumentation',
    ' */',
    "import type { Static } from '@sinclair/typebox';",
    `import type * as generated from '../../../src/api/generated/types.ts';`,
    `import type * as schemas from '../../../src/api/index.ts';`,
    '',
    '/** True when A and B are identical types (not merely assignable one way). */',
    'type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;',
    '',
    '/** Compiles only when every entry is `true`. */',
    'type AllTrue<T extends Record<string, true>> = T;',
    '',
    'export type GeneratedTypesMatchSchemas = AllTrue<{',
    ...names.map((n) => {
      const line = `  ${n}: Same<generated.${n}, Static<typeof schemas.${n}Schema>>;`;
      return line.length <= LINE_WIDTH
        ? line
        : `  ${n}: Same<\n    generated.${n},\n    Static<typeof schemas.${n}Schema>\n  >;`;
    }),
    '}>;',
    '',
  ].join('\n');
};

/** Each generated file whose committed text differs from what this script writes. */
export const staleFiles = (): string[] =>
  (
    [
      [TYPES_FILE, generateApiTypes()],
      [MATCH_FILE, generateTypesMatch()],
    ] as const
  )
    .filter(([file, text]) => {
      try {
        return readFileSync(join(ROOT, file), 'utf8') !== text;
      } catch {
        return true;
      }
    })
    .map(([file]) => file);

if (import.meta.main) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    for (const file of stale) console.error(`${file} is stale: run node scripts/generate-api-types.ts`);
    process.exitCode = stale.length === 0 ? 0 : 1;
  } else {
    writeFileSync(join(ROOT, TYPES_FILE), generateApiTypes());
    writeFileSync(join(ROOT, MATCH_FILE), generateTypesMatch());
  }
}
