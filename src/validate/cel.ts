/**
 * Offline evaluation of the `x-kubernetes-validations` rules of a schema, with a real CEL
 * evaluator (`@bufbuild/cel`) on the very same rule strings the API server runs, extended with
 * the Kubernetes CEL functions the rules use (the `quantity` library, time zones, strings).
 *
 * The walk follows the API server: a rule runs where its schema node has a value, with `self`
 * bound to that value; integers are CEL `int`, `type: number` fields `double`. Transition rules
 * (those that read `oldSelf`) are skipped, as the server skips them on create.
 *
 * @packageDocumentation
 */
import {
  CelScalar,
  type CelValue,
  celEnv,
  celFunc,
  celList,
  celMap,
  celMethod,
  isCelError,
  objectType,
  parse,
  plan,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { create, createFileRegistry, type DescMessage } from '@bufbuild/protobuf';
import { type ReflectMessage, reflect } from '@bufbuild/protobuf/reflect';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  timestampDate,
} from '@bufbuild/protobuf/wkt';
import { RE2JS } from '@bufbuild/re2';
import type { CelRule } from '../api/schema.ts';
import { compileRuleClosure, holds, type RuleClosure } from './cel-closure.ts';
import { escapePointer } from './diagnostic.ts';
import {
  addQuantities,
  compareQuantities,
  formatQuantity,
  isIntegerQuantity,
  parseQuantity,
  type Quantity,
  quantityFloat,
  quantityInteger,
  quantitySign,
} from './quantity.ts';

type SchemaNode = Readonly<Record<string, unknown>>;

/** A rule and where it sits. */
export interface RuleSite {
  /**
   * JSON pointer of the value the rule is evaluated on, with `*` standing for any array item or
   * map value, e.g. `/spec/worker/podOverrides/volumes`.
   */
  readonly pointer: string;
  readonly rule: CelRule;
}

/** A rule that did not hold, or could not be evaluated, for one value. */
export interface RuleFinding {
  readonly code: 'cel/rule' | 'cel/error';
  /** The rule's message; for `cel/error`, prefixed with what went wrong, as the server words it. */
  readonly message: string;
  /** Pointer of the value that carries the rule (plus the rule's `fieldPath`, when it has one). */
  readonly path: string;
  readonly rule: CelRule;
}

const isNode = (v: unknown): v is SchemaNode => typeof v === 'object' && v !== null && !Array.isArray(v);

const rulesOf = (schema: SchemaNode): readonly CelRule[] => {
  const rules = schema['x-kubernetes-validations'];
  return Array.isArray(rules) ? (rules as CelRule[]) : [];
};

/** Whether a rule compares against the previous object; such rules only run on update. */
export const isTransitionRule = (rule: CelRule): boolean => {
  let transition = transitionRules.get(rule);
  if (transition === undefined) {
    transition = /\boldSelf\b/.test(rule.rule);
    transitionRules.set(rule, transition);
  }
  return transition;
};

const transitionRules = new WeakMap<CelRule, boolean>();

/**
 * Every `x-kubernetes-validations` rule in a schema, wherever it sits (properties, array items,
 * map values, `anyOf` branches), in schema order.
 */
export function collectRules(schema: object, pointer = ''): RuleSite[] {
  const out: RuleSite[] = [];
  const visit = (node: unknown, at: string) => {
    if (!isNode(node)) return;
    for (const rule of rulesOf(node)) out.push({ pointer: at, rule });
    const properties = node['properties'];
    if (isNode(properties)) {
      for (const [key, child] of Object.entries(properties)) visit(child, `${at}/${escapePointer(key)}`);
    }
    visit(node['items'], `${at}/*`);
    visit(node['additionalProperties'], `${at}/*`);
    for (const junctor of ['anyOf', 'allOf', 'oneOf'] as const) {
      const branches = node[junctor];
      if (Array.isArray(branches)) for (const branch of branches) visit(branch, at);
    }
  };
  visit(schema, pointer);
  return out;
}

/** Whether a schema has any rule below it; lets the walk skip rule-free subtrees (most of a Pod). */
const hasRulesCache = new WeakMap<object, boolean>();
function hasRules(schema: unknown): boolean {
  if (!isNode(schema)) return false;
  const cached = hasRulesCache.get(schema);
  if (cached !== undefined) return cached;
  hasRulesCache.set(schema, false); // guards against cycles
  const result = collectRules(schema).length > 0;
  hasRulesCache.set(schema, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The Kubernetes CEL library subset, on top of the CEL standard library
// ---------------------------------------------------------------------------------------------

/** `kubernetes.Quantity`, a message type so `type(quantity('1'))` is a distinct CEL type. */
const quantityDesc: DescMessage = (() => {
  const file = create(FileDescriptorProtoSchema, {
    name: 'kelos/kubernetes/quantity.proto',
    package: 'kubernetes',
    syntax: 'proto3',
    messageType: [
      {
        name: 'Quantity',
        field: [
          {
            name: 'value',
            jsonName: 'value',
            number: 1,
            type: FieldDescriptorProto_Type.STRING,
            label: FieldDescriptorProto_Label.OPTIONAL,
          },
        ],
      },
    ],
  });
  const desc = createFileRegistry(file, () => undefined).getMessage('kubernetes.Quantity');
  if (!desc) throw new Error('kubernetes.Quantity descriptor was not built');
  return desc;
})();

const QUANTITY = objectType(quantityDesc);
const { BOOL, DOUBLE, INT, STRING } = CelScalar;

const quantityValue = (q: Quantity): ReflectMessage =>
  reflect(quantityDesc, create(quantityDesc, { value: formatQuantity(q) } as never));

const quantityOf = (m: ReflectMessage): Quantity => {
  const text = (m.message as unknown as { value: string }).value;
  const q = parseQuantity(text);
  if (!q) throw new Error(`invalid quantity ${JSON.stringify(text)}`);
  return q;
};

const parseOrThrow = (text: string): Quantity => {
  const q = parseQuantity(text);
  // The Kubernetes quantity library's own error (`resource.ErrFormatWrong`), as the server says it.
  if (!q)
    throw new Error(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
  return q;
};

const int64 = (n: bigint): bigint => {
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw new Error('integer overflow');
  return n;
};

const quantityFuncs = [
  celFunc('quantity', [STRING], QUANTITY, (s) => quantityValue(parseOrThrow(s))),
  celFunc('isQuantity', [STRING], BOOL, (s) => parseQuantity(s) !== undefined),
  celMethod('sign', QUANTITY, [], INT, function () {
    return BigInt(quantitySign(quantityOf(this)));
  }),
  celMethod('isInteger', QUANTITY, [], BOOL, function () {
    return isIntegerQuantity(quantityOf(this));
  }),
  celMethod('asInteger', QUANTITY, [], INT, function () {
    const q = quantityOf(this);
    if (!isIntegerQuantity(q)) throw new Error('cannot convert value to integer');
    return int64(quantityInteger(q));
  }),
  celMethod('asApproximateFloat', QUANTITY, [], DOUBLE, function () {
    return quantityFloat(quantityOf(this));
  }),
  celMethod('isGreaterThan', QUANTITY, [QUANTITY], BOOL, function (other) {
    return compareQuantities(quantityOf(this), quantityOf(other)) > 0;
  }),
  celMethod('isLessThan', QUANTITY, [QUANTITY], BOOL, function (other) {
    return compareQuantities(quantityOf(this), quantityOf(other)) < 0;
  }),
  celMethod('compareTo', QUANTITY, [QUANTITY], INT, function (other) {
    return BigInt(compareQuantities(quantityOf(this), quantityOf(other)));
  }),
  celMethod('add', QUANTITY, [QUANTITY], QUANTITY, function (other) {
    return quantityValue(addQuantities(quantityOf(this), quantityOf(other)));
  }),
  celMethod('add', QUANTITY, [INT], QUANTITY, function (n) {
    return quantityValue(addQuantities(quantityOf(this), { numerator: n, scale: 0 }));
  }),
  celMethod('sub', QUANTITY, [QUANTITY], QUANTITY, function (other) {
    const o = quantityOf(other);
    return quantityValue(addQuantities(quantityOf(this), { numerator: -o.numerator, scale: o.scale }));
  }),
  celMethod('sub', QUANTITY, [INT], QUANTITY, function (n) {
    return quantityValue(addQuantities(quantityOf(this), { numerator: -n, scale: 0 }));
  }),
];

const zoneCache = new Map<string, Intl.DateTimeFormat>();

/**
 * A formatter for an IANA time zone. Intl decides which names exist; a name that only differs
 * from a known zone in letter case is refused, because the server's Go time zone database is
 * case-sensitive (`europe/berlin` is not a zone there), and so is an offset, which Intl takes
 * as a zone (`-12`, `+0530`) and Go's `time.LoadLocation` does not.
 */
function zoneFormat(tz: string): Intl.DateTimeFormat {
  let format = zoneCache.get(tz);
  if (format) return format;
  if (/^[+-]/.test(tz)) throw new Error(`unknown time zone ${tz}`);
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new Error(`unknown time zone ${tz}`);
  }
  const resolved = format.resolvedOptions().timeZone;
  if (resolved !== tz && resolved.toLowerCase() === tz.toLowerCase())
    throw new Error(`unknown time zone ${tz}`);
  zoneCache.set(tz, format);
  return format;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

/** Go's `strconv.Atoi`: an optional sign and decimal digits, nothing else. */
const atoi = (text: string): number | undefined => (/^[+-]?\d+$/.test(text) ? Number(text) : undefined);

/**
 * cel-go's reading of a time zone with a colon in it (`common/types/timestamp.go`): a fixed
 * offset, hours and minutes as Go's `strconv.Atoi` reads them, the minutes subtracted when it
 * starts with `-` (`-05:30` is −5 h 30 min). Any other text with a colon is an error, as there.
 */
function offsetMinutes(tz: string, colon: number): number {
  const [hours, minutes] = [tz.slice(0, colon), tz.slice(colon + 1)].map((part) => {
    const n = atoi(part);
    // The error cel-go passes on, in Go's words.
    if (n === undefined) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(part)}: invalid syntax`);
    return n;
  }) as [number, number];
  return tz.startsWith('-') ? hours * 60 - minutes : hours * 60 + minutes;
}

function zonedParts(ts: ReflectMessage, tz: string): ZonedParts {
  const date = timestampDate(ts.message as never);
  const colon = tz.indexOf(':');
  if (colon !== -1) {
    const shifted = new Date(date.getTime() + offsetMinutes(tz, colon) * 60_000);
    return {
      year: shifted.getUTCFullYear(),
      month: shifted.getUTCMonth(),
      day: shifted.getUTCDate(),
      weekday: shifted.getUTCDay(),
      hour: shifted.getUTCHours(),
      minute: shifted.getUTCMinutes(),
      second: shifted.getUTCSeconds(),
    };
  }
  const parts: Record<string, string> = {};
  for (const p of zoneFormat(tz).formatToParts(date)) parts[p.type] = p.value;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']) - 1,
    day: Number(parts['day']),
    weekday: WEEKDAYS.indexOf(parts['weekday'] ?? ''),
    hour: Number(parts['hour']),
    minute: Number(parts['minute']),
    second: Number(parts['second']),
  };
}

const TIMESTAMP = objectType('google.protobuf.Timestamp');

/**
 * Timestamp accessors with a time zone argument, replacing the standard ones so every zone name
 * goes through {@link zoneFormat}. Day-of-year needs no override for the rules we have.
 */
const timeZoneFuncs = (
  [
    ['getFullYear', (p: ZonedParts) => p.year],
    ['getMonth', (p: ZonedParts) => p.month],
    ['getDate', (p: ZonedParts) => p.day],
    ['getDayOfMonth', (p: ZonedParts) => p.day - 1],
    ['getDayOfWeek', (p: ZonedParts) => p.weekday],
    ['getHours', (p: ZonedParts) => p.hour],
    ['getMinutes', (p: ZonedParts) => p.minute],
    ['getSeconds', (p: ZonedParts) => p.second],
  ] as const
).map(([name, pick]) =>
  celMethod(name, TIMESTAMP, [STRING], INT, function (tz) {
    return BigInt(pick(zonedParts(this as unknown as ReflectMessage, tz)));
  }),
);

/** Compiled `matches` patterns (or why one does not compile), bounded: a pattern may come from data. */
const patterns = new Map<string, RE2JS | { readonly thrown: unknown }>();
const MAX_PATTERNS = 1024;

/**
 * The library's own RE2 engine, compiling each pattern once: its `matches` compiles the pattern
 * on every call, and the same few patterns of the rules meet every object. A pattern that does
 * not compile throws the same error on every call, as before.
 */
const re2 = {
  compile(pattern: string): RE2JS {
    let re = patterns.get(pattern);
    if (re === undefined) {
      try {
        re = RE2JS.compile(pattern);
      } catch (thrown) {
        re = { thrown };
      }
      if (patterns.size >= MAX_PATTERNS) patterns.delete(patterns.keys().next().value as string);
      patterns.set(pattern, re);
    }
    if ('thrown' in re) throw re.thrown;
    return re;
  },
};

const env = celEnv({ funcs: [...strings, ...quantityFuncs, ...timeZoneFuncs], re2 });

type Program = (bindings: { self: unknown }) => CelValue | Error;

/** The interpreter's answer: the rule holds (`true`), does not (`false`), or why it could not tell. */
type Outcome = boolean | string;

interface Compiled {
  /** The interpreter's plan, or why the rule does not compile. */
  readonly program: Program | Error;
  /** The rule as a closure over plain JSON, when it uses only what cel-closure.ts compiles. */
  readonly closure: RuleClosure | undefined;
  /** Outcomes on scalar values, by {@link scalarKey}, bounded by {@link MAX_SCALARS}. */
  readonly scalars: Map<string, Outcome>;
}

/**
 * Scalar outcomes kept per rule. A rule on a scalar (a time zone, a cost) meets the same few
 * values on every object: 1,000 interpreter runs on the benchmark's fleet took 0.12 s.
 */
const MAX_SCALARS = 256;

/** A scalar CEL value as a key, its CEL type included (`1` as an int and as a double differ). */
const scalarKey = (self: unknown): string | undefined => {
  switch (typeof self) {
    case 'string':
      return `s${self}`;
    case 'bigint':
      return `i${self}`;
    case 'number':
      return Object.is(self, -0) ? 'd-0' : `d${self}`;
    case 'boolean':
      return `b${self}`;
    default:
      return undefined;
  }
};

const programs = new Map<string, Compiled>();

/** A rule's closure; none, rather than no rule, if compiling one ever fails. */
const closureOf = (parsed: ReturnType<typeof parse>): RuleClosure | undefined => {
  try {
    return compileRuleClosure(parsed, (pattern) => re2.compile(pattern));
  } catch {
    return undefined;
  }
};

/** Parses and plans a rule once; the same string always gets the same program. */
function compile(rule: string): Compiled {
  let compiled = programs.get(rule);
  if (compiled === undefined) {
    try {
      const parsed = parse(rule);
      const run = plan(env, parsed);
      compiled = {
        program: (bindings) => run(bindings as never) as CelValue | Error,
        closure: closureOf(parsed),
        scalars: new Map(),
      };
    } catch (err) {
      compiled = {
        program: new Error(`compilation failed: ${(err as Error).message.split('\n')[0]}`),
        closure: undefined,
        scalars: new Map(),
      };
    }
    programs.set(rule, compiled);
  }
  return compiled;
}

/**
 * Converts a JSON value into what CEL expects for it under `schema`: integers become `int`
 * (bigint) unless the schema says `type: number`, as the server types them.
 *
 * @param memo Converted objects by identity: rules on nested nodes reuse what a rule on an
 *   enclosing node already converted.
 */
export function toCelValue(schema: unknown, value: unknown, memo?: WeakMap<object, unknown>): unknown {
  if (typeof value === 'number') {
    const type = isNode(schema) ? schema['type'] : undefined;
    return type !== 'number' && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const cached = memo?.get(value);
  if (cached !== undefined) return cached;
  // Built as CEL lists and maps, which the evaluator takes as they are: a plain object or array
  // would be wrapped anew (its entries copied into a Map) on every access by every rule.
  let out: unknown;
  if (Array.isArray(value)) {
    const items = isNode(schema) ? schema['items'] : undefined;
    out = celList(value.map((v) => toCelValue(items, v, memo)) as never);
  } else {
    const node = isNode(schema) ? schema : {};
    const properties = isNode(node['properties']) ? node['properties'] : {};
    const additional = node['additionalProperties'];
    const entries = new Map<string, unknown>();
    for (const [key, v] of Object.entries(value))
      entries.set(key, toCelValue(properties[key] ?? additional, v, memo));
    out = celMap(entries as never);
  }
  memo?.set(value, out);
  return out;
}

/** JSON pointer segments of a rule's `fieldPath` (`.a.b`, `.a['b.c']`, `.a[0]`). */
function fieldPathSegments(fieldPath: string): string[] {
  const segments: string[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*(\d+)\s*\]/g;
  for (const m of fieldPath.matchAll(re)) segments.push(m[1] ?? m[2] ?? m[3] ?? '');
  return segments;
}

/** Runs the interpreter, or recalls its outcome on the same scalar. */
function interpret({ program, scalars }: Compiled, self: unknown): Outcome {
  if (program instanceof Error) return program.message;
  const key = scalarKey(self);
  const known = key === undefined ? undefined : scalars.get(key);
  if (known !== undefined) return known;
  let result: CelValue | Error;
  try {
    result = program({ self });
  } catch (err) {
    result = err as Error;
  }
  const outcome =
    isCelError(result) || result instanceof Error
      ? result.message
      : typeof result === 'boolean'
        ? result
        : `rule returned ${typeof result}, not a boolean`;
  if (key !== undefined) {
    if (scalars.size >= MAX_SCALARS) scalars.clear();
    scalars.set(key, outcome);
  }
  return outcome;
}

/** Evaluates one rule against `self`; `undefined` when it holds. */
export function evaluateRule(rule: CelRule, self: unknown, path: string): RuleFinding | undefined {
  const outcome = interpret(compile(rule.rule), self);
  if (outcome === true) return undefined;
  const at = rule.fieldPath
    ? path +
      fieldPathSegments(rule.fieldPath)
        .map((s) => `/${escapePointer(s)}`)
        .join('')
    : path;
  if (outcome === false) return { code: 'cel/rule', message: rule.message, path: at, rule };
  return { code: 'cel/error', message: `${outcome} evaluating rule: ${rule.message}`, path: at, rule };
}

/**
 * Runs every non-transition rule of `schema` and of every schema node below it that has a value
 * in `value`, and returns the rules that did not hold or failed to evaluate. Only subtrees
 * whose schema has rules are visited or converted.
 *
 * @param schema The schema of `value` (for a whole object, the object's schema).
 * @param value The JSON value (nulls already dropped, as the server prunes them).
 * @param pointer JSON pointer of `value` inside its object, prefixed to finding paths.
 */
export function evaluateRules(schema: object, value: unknown, pointer = ''): RuleFinding[] {
  const findings: RuleFinding[] = [];
  walk(schema, value, pointer, findings, new WeakMap());
  return findings;
}

function walk(
  schema: unknown,
  value: unknown,
  at: string,
  out: RuleFinding[],
  memo: WeakMap<object, unknown>,
): void {
  if (value === undefined || !isNode(schema) || !hasRules(schema)) return;
  const rules = rulesOf(schema);
  if (rules.length > 0) {
    // Converted for the interpreter only when a rule's closure cannot say it holds.
    let self: unknown;
    for (const rule of rules) {
      if (isTransitionRule(rule)) continue;
      const { closure } = compile(rule.rule);
      if (closure && holds(closure, value)) continue;
      self ??= toCelValue(schema, value, memo);
      const finding = evaluateRule(rule, self, at);
      if (finding) out.push(finding);
    }
  }
  for (const junctor of ['anyOf', 'allOf', 'oneOf'] as const) {
    const branches = schema[junctor];
    if (Array.isArray(branches)) for (const branch of branches) walk(branch, value, at, out, memo);
  }
  if (Array.isArray(value)) {
    const items = schema['items'];
    if (!hasRules(items)) return;
    value.forEach((item, i) => {
      walk(items, item, `${at}/${i}`, out, memo);
    });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const properties = isNode(schema['properties']) ? schema['properties'] : {};
  const additional = schema['additionalProperties'];
  for (const [key, child] of Object.entries(value)) {
    const childSchema = properties[key] ?? additional;
    if (hasRules(childSchema)) walk(childSchema, child, `${at}/${escapePointer(key)}`, out, memo);
  }
}
