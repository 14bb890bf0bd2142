/**
 * The printed form every benchmark shares: a title, aligned `label  value` rows, and
 * ratio lines that name the subject and the reference measured in the same run.
 *
 * @packageDocumentation
 */
import { formatRatio } from './stats.ts';

/** Where report lines go; a parameter so a caller can collect them. */
export type Print = (line: string) => void;

const defaultPrint: Print = (line) => process.stdout.write(`${line}\n`);

/** Prints a section title. */
export const printTitle = (title: string, print: Print = defaultPrint): void => {
  print('');
  print(title);
  print('-'.repeat(title.length));
};

/** Prints `label  value` rows with the values aligned. */
export const printRows = (
  rows: ReadonlyArray<readonly [string, string]>,
  print: Print = defaultPrint,
): void => {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  for (const [label, value] of rows) print(`  ${label.padEnd(width)}  ${value}`);
};

/**
 * Prints how `subject` compares with `reference`, both medians in milliseconds measured in
 * this run: `ratio  kelos synth / yaml floor = 3.20x (12.3 s vs 3.8 s)`.
 */
export const printRatio = (
  subjectLabel: string,
  subjectMs: number,
  referenceLabel: string,
  referenceMs: number,
  print: Print = defaultPrint,
): void => {
  print(
    `  ratio  ${subjectLabel} / ${referenceLabel} = ${formatRatio(subjectMs, referenceMs)} (${(subjectMs / 1000).toFixed(2)} s vs ${(referenceMs / 1000).toFixed(2)} s)`,
  );
};
