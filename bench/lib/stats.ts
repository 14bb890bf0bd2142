/**
 * Numbers for benchmark reports: medians, rates, ratios and their text forms.
 *
 * @packageDocumentation
 */

/**
 * The median of `values` (the mean of the middle two for an even count).
 *
 * @throws RangeError for an empty list, which has no median.
 */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * The `p`th percentile (0 < p ≤ 100) of `values` by the nearest-rank method: the smallest
 * value that at least p% of the values do not exceed. 0 for an empty list.
 */
export const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/** Items per second for `count` items done in `millis`. */
export const perSecond = (count: number, millis: number): number =>
  millis > 0 ? (count * 1000) / millis : 0;

/** Milliseconds as text: `842 ms` below ten seconds' worth of precision matters, else `12.34 s`. */
export const formatMillis = (millis: number): string =>
  millis < 1000 ? `${millis.toFixed(0)} ms` : `${(millis / 1000).toFixed(2)} s`;

/** Bytes as MiB text. */
export const formatBytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** A rate as text with thousands separators: `5,123 objects/s`. */
export const formatRate = (rate: number, unit: string): string =>
  `${Math.round(rate).toLocaleString('en-US')} ${unit}/s`;

/**
 * How many times slower `subject` is than `reference` (both in milliseconds), as text:
 * `3.20x` means the subject took 3.2 times as long.
 */
export const formatRatio = (subject: number, reference: number): string =>
  reference > 0 ? `${(subject / reference).toFixed(2)}x` : 'n/a';
