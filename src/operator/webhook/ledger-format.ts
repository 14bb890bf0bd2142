/**
 * The stored form of the webhook ledger (ledger.ts): its ConfigMap keys, the one-line-per-
 * delivery entries, and the first format's keys it still reads.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { GROUP } from '../../api/index.ts';
import type { ApiObject } from '../../kube/client.ts';

export interface ConfigMap extends ApiObject {
  data?: Record<string, string>;
  immutable?: boolean;
}

export interface Entry {
  readonly seq: number;
  readonly state: 'r' | 'c';
  readonly at: number;
}

/** A sealed archive: its entries (all confirmed) and the newest one's time. */
export interface Archive {
  readonly entries: ReadonlyMap<string, Entry>;
  readonly newest: number;
}

export interface State {
  readonly rv: string;
  readonly seq: number;
  readonly live: ReadonlyMap<string, Entry>;
  readonly archives: readonly string[];
  /** Data keys of the first ledger format (`d.<hash>`), folded into `entries` on the next write. */
  readonly legacy: readonly string[];
}

export const SEQUENCE_KEY = 'sequence';
export const UID_KEY = 'spawner-uid';
export const ENTRIES_KEY = 'entries';
export const ARCHIVES_KEY = 'archives';
const LEGACY_PREFIX = 'd.';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The ledger ConfigMap's name for a spawner. */
export const ledgerName = (spawner: string): string => {
  const name = `kelos-webhook-${spawner}`;
  if (name.length <= 253) return name;
  return `${name.slice(0, 244)}-${sha256(name).slice(0, 8)}`;
};

/**
 * The ledger's key of a delivery: 80 bits of its hash (sender ids are not valid keys; a
 * collision among 4,096 entries has a chance of about 1e-17). The first ledger format's
 * `d.<32 hex>` keys start with the same digits.
 */
export const entryKey = (deliveryKey: string): string => sha256(deliveryKey).slice(0, 20);

/**
 * The annotation a webhook Task is created with: its delivery's {@link entryKey}, so the
 * Task reconciler can make sure the ledger holds the delivery before it deletes the Task.
 */
export const DELIVERY_ANNOTATION = `${GROUP}/webhook-delivery`;

/** Whether `s` has the form of an {@link entryKey} (an annotation is anyone's to edit). */
export const isEntryKey = (s: string): boolean => /^[0-9a-f]{20}$/.test(s);

export const formatEntries = (entries: Iterable<[string, Entry]>): string => {
  const lines: string[] = [];
  for (const [k, e] of entries) lines.push(`${k} ${e.seq} ${e.state} ${Math.floor(e.at / 1000)}`);
  return lines.join('\n');
};

const parseEntry = (v: string): Entry | undefined => {
  const m = /^(\d+)[: ]([rc])[: ](\d+)$/.exec(v);
  return m ? { seq: Number(m[1]), state: m[2] as 'r' | 'c', at: Number(m[3]) * 1000 } : undefined;
};

export const parseEntries = (
  text: string | undefined,
  into = new Map<string, Entry>(),
): Map<string, Entry> => {
  for (const line of (text ?? '').split('\n')) {
    const sp = line.indexOf(' ');
    const e = sp > 0 ? parseEntry(line.slice(sp + 1)) : undefined;
    if (e) into.set(line.slice(0, sp), e);
  }
  return into;
};

export const parseState = (cm: ConfigMap): State => {
  const live = parseEntries(cm.data?.[ENTRIES_KEY]);
  const legacy: string[] = [];
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    if (!k.startsWith(LEGACY_PREFIX)) continue;
    legacy.push(k);
    const e = parseEntry(v);
    if (e) live.set(k.slice(LEGACY_PREFIX.length, LEGACY_PREFIX.length + 20), e);
  }
  return {
    rv: cm.metadata.resourceVersion ?? '',
    seq: Number(cm.data?.[SEQUENCE_KEY]) || 0,
    live,
    archives: (cm.data?.[ARCHIVES_KEY] ?? '').split(' ').filter(Boolean),
    legacy,
  };
};

export const archiveOf = (entries: ReadonlyMap<string, Entry>): Archive => {
  let newest = 0;
  for (const e of entries.values()) newest = Math.max(newest, e.at);
  return { entries, newest };
};
