/**
 * The API server's cap on what a ConfigMap or Secret holds: 1 MiB of data (`MaxSecretSize` in
 * Kubernetes' core validation). The OpenAPI schema cannot say it, so a schema-only check passed
 * a ConfigMap the server refuses ("Too long: may not be more than 1048576 bytes").
 *
 * @packageDocumentation
 */
import type { Finding } from './diagnostic.ts';
import { isNode } from './object-schema.ts';
import { MAX_OBJECT_BYTES, overLimit } from './yaml-limits.ts';

/** Bytes of data a ConfigMap or Secret may hold. */
export const MAX_DATA_BYTES = 1024 * 1024;

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const base64Bytes = (s: string): number => Buffer.byteLength(s, 'base64');

const entries = (value: unknown): Array<[string, string]> =>
  isNode(value) ? Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string') : [];

/**
 * The size the API server counts: the values (not the keys) of a ConfigMap's `data` and
 * `binaryData` (decoded), of a Secret's `data` (decoded) and `stringData` (which the server
 * folds into `data`, a key there replacing `data`'s).
 */
const dataBytes = (kind: string, object: Record<string, unknown>): number => {
  if (kind === 'ConfigMap') {
    let total = 0;
    for (const [, v] of entries(object['data'])) total += utf8Bytes(v);
    for (const [, v] of entries(object['binaryData'])) total += base64Bytes(v);
    return total;
  }
  const values = new Map(entries(object['data']).map(([k, v]) => [k, base64Bytes(v)]));
  for (const [k, v] of entries(object['stringData'])) values.set(k, utf8Bytes(v));
  let total = 0;
  for (const n of values.values()) total += n;
  return total;
};

/** The error for a core v1 ConfigMap or Secret holding more than {@link MAX_DATA_BYTES}, if it does. */
export const dataSizeFinding = (
  apiVersion: string,
  kind: string,
  object: Record<string, unknown>,
): Finding | undefined => {
  if (apiVersion !== 'v1' || (kind !== 'ConfigMap' && kind !== 'Secret')) return undefined;
  const bytes = dataBytes(kind, object);
  if (bytes <= MAX_DATA_BYTES) return undefined;
  // Where the data is: a Secret's stringData lands in its data; a ConfigMap's two fields
  // together are the object's, as the API server says it.
  const fields = ['data', 'binaryData'].filter((f) => entries(object[f]).length > 0);
  return {
    severity: 'error',
    code: 'schema/max-size',
    path: kind === 'Secret' ? '/data' : fields.length === 1 ? `/${fields[0]}` : '',
    message: `a ${kind} holds at most ${MAX_DATA_BYTES} bytes of data (1 MiB); this one holds ${bytes}`,
    hint:
      kind === 'ConfigMap'
        ? 'split it into several ConfigMaps, or keep large files in the image or a volume'
        : 'split it into several Secrets',
  };
};

/**
 * The error for an object over {@link MAX_OBJECT_BYTES} as JSON, the form kubectl and Argo CD
 * send it in, if it is. A document parsed from a file is bounded before it is parsed; an object
 * an app builds (`kelos synth`) or `kelos run` makes from a prompt file is not, and a prompt of
 * megabytes passed every check, to be refused by the API server whatever applies it.
 */
export const objectSizeFinding = (object: Record<string, unknown>): Finding | undefined => {
  let json: string;
  try {
    json = JSON.stringify(object);
  } catch {
    return undefined;
  }
  if (json.length * 3 <= MAX_OBJECT_BYTES) return undefined;
  const bytes = utf8Bytes(json);
  if (bytes <= MAX_OBJECT_BYTES) return undefined;
  const [size, limit] = overLimit(bytes, MAX_OBJECT_BYTES);
  return {
    severity: 'error',
    code: 'schema/max-size',
    path: '',
    message: `the object is ${size} as JSON, more than the ${limit} the API server takes for one object (its limit on a request), so kubectl and Argo CD cannot apply it and it was not validated further`,
    hint: "make the object smaller: a long prompt or agentsMD belongs in the repository the agent clones; split a ConfigMap's data into several ConfigMaps",
  };
};
