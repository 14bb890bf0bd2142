/**
 * Generic webhook deliveries: `fieldMapping`, `filters` and `excludeFilters` of a `webhook`
 * spawner, all JSONPath into the posted JSON, and the template variables a Task gets.
 *
 * JSONPath is jsonpath-plus (maintained, typed, already the context sources' JSONPath, and
 * its script filters run in its own safe evaluator rather than `eval`); the unmaintained
 * `jsonpath` package evaluates filter scripts with a static-eval that has had escapes.
 * Values compare as Go's `fmt.Sprint` prints them, as upstream; objects and arrays print as
 * JSON (Go would print `map[…]`, which no one filters on).
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { JSONPath } from 'jsonpath-plus';
import type { GenericWebhookFilterSchema, GenericWebhookSchema } from '../../api/index.ts';
import type { GoValue } from '../../template/go-template.ts';
import { sourceItem } from '../spawner/annotations.ts';
import type { Delivery, MatchResult } from './delivery.ts';
import { re2Test } from './patterns.ts';

/** One `webhook.filters[]` or `excludeFilters[]` entry. */
export type GenericWebhookFilter = Static<typeof GenericWebhookFilterSchema>;
/** A spawner's `when.webhook`. */
export type GenericWebhook = Static<typeof GenericWebhookSchema>;

/** Lower-case mapping keys upstream mirrors to the polling sources' names (always present). */
const MIRRORED = [
  ['id', 'ID'],
  ['title', 'Title'],
  ['body', 'Body'],
  ['url', 'URL'],
] as const;

/** JSON text of an integer the receiver kept exact as a bigint (`parseDelivery`): its digits. */
const exactJson = (_key: string, v: unknown): unknown =>
  typeof v === 'bigint' ? (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(String(v)) : v;

/** A field's value as Go's `fmt.Sprint` prints the decoded JSON. */
const sprint = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, exactJson);
};

/**
 * The value a JSONPath selects: undefined when nothing (or only null) is there; one match as
 * itself, several as an array. Throws on a malformed expression.
 */
export const selectPath = (payload: unknown, path: string): unknown => {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const found = JSONPath({ path, json: payload as object, wrap: true, eval: 'safe' }) as
    | unknown[]
    | undefined;
  const values = (found ?? []).filter((v) => v !== null && v !== undefined);
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values;
};

/** An id that is a Task name's tail as it is: lower case, `[a-z0-9.-]`, alphanumeric at both ends. */
const NAME_SAFE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/**
 * What names and dedupes the Task of a mapped id. A name-safe id is itself (`alerts-a-1`);
 * any other keeps a readable form plus a hash of the id as sent, because the Task name is
 * lower-cased and every other character becomes `-`: `A1` and `a1`, `x/y` and `x-y`, or two
 * ids of non-Latin letters would otherwise name one Task, and the second delivery would be
 * answered as a duplicate of the first and lost.
 */
export const genericTaskId = (id: string): string => {
  if (NAME_SAFE.test(id)) return id;
  const readable = id
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return readable ? `${readable}-${hash}` : hash;
};

/** Whether a filter matches: a missing field never does (so a filter fails and an exclude does not). */
export const genericFilterMatches = (f: GenericWebhookFilter, payload: unknown): boolean => {
  const v = selectPath(payload, f.field);
  if (v === undefined) return false;
  const s = sprint(v);
  if (f.value !== undefined) return s === f.value;
  return f.pattern ? re2Test(f.pattern, s) : false;
};

/** Matches a generic delivery against a `webhook` spawner, by source, filters and the mapped id. */
export const matchGeneric = (spec: GenericWebhook, delivery: Delivery): MatchResult => {
  if (spec.source !== delivery.event)
    return { matched: false, reason: `source ${delivery.event} is not ${spec.source}` };
  try {
    for (const [i, f] of (spec.filters ?? []).entries())
      if (!genericFilterMatches(f, delivery.payload))
        return { matched: false, reason: `filters/${i} (${f.field}) does not match` };
    for (const [i, f] of (spec.excludeFilters ?? []).entries())
      if (genericFilterMatches(f, delivery.payload))
        return { matched: false, reason: `excludeFilters/${i} (${f.field}) matches` };
    const vars: Record<string, GoValue> = {
      Kind: 'GenericWebhook',
      Payload: (delivery.payload ?? null) as GoValue,
    };
    for (const [key, path] of Object.entries(spec.fieldMapping)) {
      const v = selectPath(delivery.payload, path);
      vars[key] = v === undefined ? '' : sprint(v);
    }
    for (const [from, to] of MIRRORED) vars[to] = vars[from] ?? '';
    const id = vars.id;
    if (typeof id !== 'string' || id === '')
      return {
        matched: false,
        reason: `fieldMapping.id (${spec.fieldMapping.id}) selects nothing in the delivery; no Task was created`,
        invalid: true,
      };
    return { matched: true, id: genericTaskId(id), vars, annotations: sourceItem(id) };
  } catch (e) {
    return { matched: false, reason: `invalid filter or mapping: ${(e as Error).message}`, invalid: true };
  }
};
