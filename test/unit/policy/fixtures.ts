/**
 * Shared helpers of the policy tests: the test config and fixture loading.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from '../../../src/policy/config.ts';
import type { LoadedDocument } from '../../../src/validate/load.ts';
import { parseManifests } from '../../../src/validate/load.ts';

/** Root of the repository. */
export const ROOT = resolve(import.meta.dirname, '../../..');

/** Directory of the policy fixtures. */
export const FIXTURES = resolve(ROOT, 'test/fixtures/policy');

/** The defaults, plus a bot identity and one allowed literal Secret, so every rule has work. */
export const TEST_CONFIG: PolicyConfig = {
  ...DEFAULT_POLICY_CONFIG,
  botIdentities: ['kelos-bot'],
  allowlists: { ...DEFAULT_POLICY_CONFIG.allowlists, literalSecrets: ['allowed-demo'] },
};

/** Parses a fixture file (path relative to the fixtures directory); fails on parse errors. */
export function loadFixture(relativePath: string): LoadedDocument[] {
  const file = `test/fixtures/policy/${relativePath}`;
  const { documents, diagnostics } = parseManifests(readFileSync(resolve(ROOT, file), 'utf8'), file);
  if (diagnostics.length > 0)
    throw new Error(`${file} does not parse: ${diagnostics.map((d) => d.message).join('; ')}`);
  return documents;
}
