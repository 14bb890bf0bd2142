import { describe, expect, test } from 'vitest';
import { validateObject } from '../../../src/validate/index.ts';

const MiB = 1024 * 1024;
const configMap = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'big' },
  data,
});

describe('the API server’s 1 MiB cap on a ConfigMap’s or Secret’s data', () => {
  test('a ConfigMap past it is an error at its data, with the size; at it, none', () => {
    expect(validateObject(configMap({ k: 'x'.repeat(MiB) }))).toStrictEqual([]);
    expect(validateObject(configMap({ k: 'x'.repeat(MiB), l: 'é' }))).toStrictEqual([
      {
        severity: 'error',
        code: 'schema/max-size',
        path: '/data',
        message: 'a ConfigMap holds at most 1048576 bytes of data (1 MiB); this one holds 1048578',
        hint: 'split it into several ConfigMaps, or keep large files in the image or a volume',
        resource: { apiVersion: 'v1', kind: 'ConfigMap', name: 'big' },
      },
    ]);
  });

  test('a ConfigMap whose data and binaryData together pass it: the error is the object’s, as the server’s', () => {
    const both = {
      ...configMap({ k: 'x'.repeat(MiB / 2 + 1) }),
      binaryData: { b: Buffer.alloc(MiB / 2).toString('base64') },
    };
    expect(validateObject(both).map((d) => [d.path, d.message])).toStrictEqual([
      ['', 'a ConfigMap holds at most 1048576 bytes of data (1 MiB); this one holds 1048577'],
    ]);
    const binary = { ...configMap({}), binaryData: { b: Buffer.alloc(MiB + 1).toString('base64') } };
    expect(validateObject(binary).map((d) => d.path)).toStrictEqual(['/binaryData']);
  });

  test('a Secret counts its data decoded and its stringData, a stringData key replacing data’s', () => {
    const secret = (data: Record<string, string>, stringData: Record<string, string> = {}) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data,
      stringData,
    });
    const full = Buffer.alloc(MiB).toString('base64');
    expect(validateObject(secret({ k: full }))).toStrictEqual([]);
    expect(validateObject(secret({ k: full }, { k: 'x' }))).toStrictEqual([]);
    expect(validateObject(secret({ k: full }, { l: 'x' })).map((d) => d.message)).toStrictEqual([
      'a Secret holds at most 1048576 bytes of data (1 MiB); this one holds 1048577',
    ]);
  });
});
