/**
 * Five-field cron schedules with upstream's semantics: robfig/cron v3's `ParseStandard`
 * (minute hour day-of-month month day-of-week; names; `*`, `?`, ranges, lists, steps,
 * `N/step` meaning `N-max/step`; `@yearly` … `@hourly` and `@every <duration>`), evaluated
 * in UTC.
 *
 * Why not `croner` (already a dependency, used by the policy forecast): its answers differ
 * from robfig's where it matters to a spawner. robfig treats `*` and `?` as "star" (also
 * with a step of 1): when either day field is a star the two day fields are ANDed, otherwise
 * ORed. croner ORs a day-of-month of `*` with a step of 1 against a day-of-week (every day;
 * robfig: only that weekday), reads `?` as "the current value" (`0 0 ? * 1` fires on a
 * Saturday; robfig: Mondays), and accepts 7 for Sunday and `L`/`W`/`#`, which robfig
 * refuses, so a schedule we accept might not run upstream. The matcher is small and is
 * tested against a table derived from robfig's documented behaviour, croner's differences
 * included.
 *
 * `CRON_TZ=`/`TZ=` prefixes (a robfig extension) are accepted only for UTC: the TaskSpawner
 * API has no time zone field and upstream evaluates schedules in UTC.
 *
 * @packageDocumentation
 */
import { parseDuration } from '../kube/duration.ts';

/** A parsed schedule. */
export type CronSchedule =
  | {
      readonly kind: 'spec';
      readonly minute: ReadonlySet<number>;
      readonly hour: ReadonlySet<number>;
      readonly dom: ReadonlySet<number>;
      readonly month: ReadonlySet<number>;
      readonly dow: ReadonlySet<number>;
      /** Whether either day field is a star: then both day fields must match, else either. */
      readonly dayStar: boolean;
    }
  | { readonly kind: 'every'; readonly seconds: number };

/** A schedule that does not parse, with robfig's reason. */
export class CronSyntaxError extends Error {
  constructor(schedule: string, reason: string) {
    super(`invalid cron schedule ${JSON.stringify(schedule)}: ${reason}`);
    this.name = 'CronSyntaxError';
  }
}

interface Bounds {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: readonly Bounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])) },
  { name: 'day of week', min: 0, max: 6, names: Object.fromEntries(DAYS.map((d, i) => [d, i])) },
];

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Parses one field into its values and whether it is a star. */
const parseField = (schedule: string, text: string, b: Bounds): { values: Set<number>; star: boolean } => {
  const values = new Set<number>();
  let star = false;
  const value = (s: string): number => {
    const named = b.names?.[s.toLowerCase()];
    if (named !== undefined) return named;
    if (!/^\d+$/.test(s)) throw new CronSyntaxError(schedule, `failed to parse int from ${s}`);
    return Number(s);
  };
  for (const part of text.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronSyntaxError(schedule, `too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    let isStar = false;
    if (range === '*' || range === '?') {
      [lo, hi, isStar] = [b.min, b.max, true];
    } else {
      const [a = '', z, more] = range.split('-');
      if (more !== undefined) throw new CronSyntaxError(schedule, `too many hyphens: ${range}`);
      lo = value(a);
      hi = z === undefined ? lo : value(z);
      // robfig: "N/step" means "N-max/step".
      if (z === undefined && stepText !== undefined) hi = b.max;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronSyntaxError(schedule, `step of range should be a positive number: ${part}`);
      }
      step = Number(stepText);
      if (step > 1) isStar = false;
    }
    if (lo < b.min)
      throw new CronSyntaxError(schedule, `beginning of range (${lo}) below minimum (${b.min}): ${part}`);
    if (hi > b.max)
      throw new CronSyntaxError(schedule, `end of range (${hi}) above maximum (${b.max}): ${part}`);
    if (lo > hi)
      throw new CronSyntaxError(schedule, `beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
    star ||= isStar;
  }
  return { values, star };
};

/** A schedule with its UTC prefix and any descriptor resolved: a fixed interval, or the field text. */
export type ExpandedSchedule =
  | { readonly kind: 'every'; readonly seconds: number }
  | { readonly kind: 'fields'; readonly text: string };

/**
 * Resolves what robfig/cron's `ParseStandard` reads before the fields: a `CRON_TZ=`/`TZ=`
 * prefix (UTC only), `@every <duration>`, and the named descriptors (`@daily`, …). The fields
 * themselves are not checked.
 * @throws {CronSyntaxError} with robfig's reason
 */
export function expandCronSchedule(schedule: string): ExpandedSchedule {
  let text = schedule.trim();
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(text);
  if (tz) {
    if (tz[1] !== 'UTC' && tz[1] !== 'Etc/UTC') {
      throw new CronSyntaxError(
        schedule,
        `time zone ${tz[1]} is not supported; schedules are evaluated in UTC`,
      );
    }
    text = text.slice(tz[0].length).trim();
  }
  if (text === '') throw new CronSyntaxError(schedule, 'empty spec string');
  if (text.startsWith('@every ')) {
    const seconds = parseDuration(text.slice('@every '.length));
    if (seconds === undefined || /^\s*\d+\s*$/.test(text.slice(7))) {
      throw new CronSyntaxError(schedule, `failed to parse duration ${text}`);
    }
    // robfig rounds to whole seconds, at least one.
    return { kind: 'every', seconds: Math.max(1, Math.floor(seconds)) };
  }
  if (text.startsWith('@')) {
    const expanded = DESCRIPTORS[text];
    if (!expanded) throw new CronSyntaxError(schedule, `unrecognized descriptor: ${text}`);
    return { kind: 'fields', text: expanded };
  }
  return { kind: 'fields', text };
}

/**
 * Parses a schedule the way robfig/cron's `ParseStandard` does.
 * @throws {CronSyntaxError} with robfig's reason
 */
export function parseCronSchedule(schedule: string): CronSchedule {
  const expanded = expandCronSchedule(schedule);
  if (expanded.kind === 'every') return expanded;
  const { text } = expanded;
  const fields = text.split(/\s+/);
  if (fields.length !== 5)
    throw new CronSyntaxError(schedule, `expected exactly 5 fields, found ${fields.length}: ${text}`);
  const [minute, hour, dom, month, dow] = fields.map((f, i) => parseField(schedule, f, FIELDS[i]!)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  return {
    kind: 'spec',
    minute: minute.values,
    hour: hour.values,
    dom: dom.values,
    month: month.values,
    dow: dow.values,
    dayStar: dom.star || dow.star,
  };
}

const dayMatches = (s: Extract<CronSchedule, { kind: 'spec' }>, d: Date): boolean => {
  const domMatch = s.dom.has(d.getUTCDate());
  const dowMatch = s.dow.has(d.getUTCDay());
  return s.dayStar ? domMatch && dowMatch : domMatch || dowMatch;
};

/**
 * The first activation strictly after `after`, or undefined when there is none within five
 * years (robfig's bound; for example `0 0 30 2 *`).
 */
export function nextActivation(s: CronSchedule, after: Date): Date | undefined {
  if (s.kind === 'every') return new Date(Math.floor(after.getTime() / 1000) * 1000 + s.seconds * 1000);
  // Next whole minute after `after`.
  const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
  const limit = t.getUTCFullYear() + 5;
  while (t.getUTCFullYear() <= limit) {
    if (!s.month.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(s, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!s.hour.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!s.minute.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else {
      return t;
    }
  }
  return undefined;
}

/** Why `schedule` does not parse as upstream parses it, or `undefined` when it does. */
export function cronScheduleError(schedule: string): string | undefined {
  try {
    parseCronSchedule(schedule);
    return undefined;
  } catch (e) {
    if (e instanceof CronSyntaxError) return e.message;
    throw e;
  }
}
