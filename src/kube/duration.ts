/**
 * Go durations (`30s`, `5m`, `1h30m`), as the spawner parses `pollInterval` with
 * `time.ParseDuration`, plus the bare-seconds form upstream also accepts.
 *
 * @packageDocumentation
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration or a bare number of seconds into seconds.
 *
 * @returns the seconds, or `undefined` when the text is neither form.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[-+]/, '');
  if (body === '0') return 0;
  if (body === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < body.length) {
    const at = PART.lastIndex;
    const m = PART.exec(body);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}

/** Formats seconds the short way people write them: `90s` → `1m30s`, `7200` → `2h`. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round((seconds % 60) * 1000) / 1000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

/**
 * A deadline as `activeDeadlineSeconds` takes it: a duration (`6h`, `90m`, a bare number of
 * seconds) of at least 1s, rounded up to whole seconds; undefined when the text is not one.
 */
export function deadlineSeconds(text: string): number | undefined {
  const seconds = parseDuration(text);
  return seconds === undefined || seconds < 1 ? undefined : Math.ceil(seconds);
}
