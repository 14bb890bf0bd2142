/**
 * The version of this package, from its package.json.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';

/**
 * The version in our package.json, found through the package's self-reference: a relative path
 * to it differs between the source tree and the built package (`lib/`), and importing it would
 * make tsc copy package.json into `lib/`.
 */
export const packageVersion = (): string =>
  (
    JSON.parse(readFileSync(new URL(import.meta.resolve('kelos-ts/package.json')), 'utf8')) as {
      version: string;
    }
  ).version;
