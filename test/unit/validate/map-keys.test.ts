/**
 * The key kubectl (sigs.k8s.io/yaml on go-yaml v2) makes of a plain key that reads as a number:
 * Go's ParseInt with base 0 for integers, go-yaml's float pattern, and FormatFloat(f, 'g', -1,
 * 32) to write the key back.
 */
import { describe, expect, test } from 'vitest';
import { goFloat32, kubectlNumberKey } from '../../../src/validate/map-keys.ts';

describe('kubectlNumberKey', () => {
  test.each([
    ['0755', 'integer', '493'],
    ['007', 'integer', '7'],
    ['0o17', 'integer', '15'],
    ['0X1f', 'integer', '31'],
    ['0b101', 'integer', '5'],
    ['1_000', 'integer', '1000'],
    ['+1', 'integer', '1'],
    ['-0', 'integer', '0'],
    ['8080', 'integer', '8080'],
    ['08', 'float', '8'],
    ['1.0', 'float', '1'],
    ['1e3', 'float', '1000'],
    ['1e6', 'float', '1e+06'],
    ['1e-7', 'float', '1e-07'],
    ['.5', 'float', '0.5'],
    ['3.14159265358979', 'float', '3.1415927'],
    ['-.inf', 'float', '-.inf'],
    ['.NaN', 'float', '.nan'],
    ['99999999999999999999', 'float', '1e+20'],
  ])('%s reads as the %s whose key is %s', (source, what, key) => {
    expect(kubectlNumberKey(source)).toStrictEqual({ what, key });
  });

  test.each(['abc', '0o8', '1:20', '2024-01-01', '9223372036854775808', '0x', '.', 'yes', '1.2.3'])(
    '%s is no number key',
    (source) => {
      expect(kubectlNumberKey(source)).toBeUndefined();
    },
  );

  test('float32 formatting follows Go', () => {
    expect([0, -0, 0.1, 1234567, 123456, 1e21, 0.0001, 0.00001].map(goFloat32)).toStrictEqual([
      '0',
      '-0',
      '0.1',
      '1.234567e+06',
      '123456',
      '1e+21',
      '0.0001',
      '1e-05',
    ]);
  });
});
