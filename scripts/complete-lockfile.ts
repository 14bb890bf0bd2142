/**
 * Completes package-lock.json with entries for Biome's platform binaries that the registry
 * proxy of our machines does not serve (it answers 404 for every platform but linux-x64 and
 * linux-arm64 glibc).
 *
 * `npm install` leaves an optional dependency it cannot resolve out of the lock, and
 * `npm ci` then refuses the lock as out of sync. An entry whose `os`/`cpu`/`libc` do not
 * match the machine is never fetched, only skipped, so these entries carry no integrity.
 * `npm install` keeps them once they are there; run this again only after regenerating
 * the lock from scratch: `node scripts/complete-lockfile.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK = join(import.meta.dirname, '../package-lock.json');

/** Biome's platform packages: name → [os, cpu, libc]. */
const PLATFORMS: Record<string, [string, string, string?]> = {
  'cli-win32-x64': ['win32', 'x64'],
  'cli-win32-arm64': ['win32', 'arm64'],
  'cli-darwin-x64': ['darwin', 'x64'],
  'cli-darwin-arm64': ['darwin', 'arm64'],
  'cli-linux-x64': ['linux', 'x64', 'glibc'],
  'cli-linux-arm64': ['linux', 'arm64', 'glibc'],
  'cli-linux-x64-musl': ['linux', 'x64', 'musl'],
  'cli-linux-arm64-musl': ['linux', 'arm64', 'musl'],
  'cli-android-x64': ['android', 'x64'],
  'cli-android-arm64': ['android', 'arm64'],
};

type Entry = Record<string, unknown>;
const lock = JSON.parse(readFileSync(LOCK, 'utf8')) as { packages: Record<string, Entry> };
const biome = lock.packages['node_modules/@biomejs/biome'];
if (!biome) throw new Error(`${LOCK}: @biomejs/biome is not in the lock; nothing to complete`);

let added = 0;
for (const [name, [os, cpu, libc]] of Object.entries(PLATFORMS)) {
  const key = `node_modules/@biomejs/${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = {
    version: biome['version'],
    cpu: [cpu],
    dev: true,
    ...(libc ? { libc: [libc] } : {}),
    license: 'MIT OR Apache-2.0',
    optional: true,
    os: [os],
    engines: { node: '>=14.21.3' },
  };
  added++;
}
// npm writes the root entry first and the rest sorted by path; keep that order.
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} Biome platform entries`);
