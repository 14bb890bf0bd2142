/**
 * The version of this package, from its package.json (see `src/api/version.ts`).
 *
 * @packageDocumentation
 */
import { KELOS_VERSION } from '../api/version.ts';

/** The version in our package.json. */
export const packageVersion = (): string => KELOS_VERSION;
