import { describe, expect, test } from 'vitest';
import { refNameProblem } from '../../../src/validate/git-refs.ts';

describe('git names', () => {
  test.each([
    'main',
    'kelos/issue-42',
    'release/v1.2.3',
    'refs/heads/fix',
    'v2.0.0-rc.1',
    '0123456789abcdef0123456789abcdef01234567',
    'feature/ümlaut',
  ])('%s is a name git takes', (name) => {
    expect(refNameProblem(name)).toBeUndefined();
  });

  test.each([
    ['main branch', 'holds a space'],
    ['fix\tbug', 'holds a control character'],
    ['a~1', 'holds "~"'],
    ['a^', 'holds "^"'],
    ['a:b', 'holds ":"'],
    ['a?', 'holds "?"'],
    ['a*', 'holds "*"'],
    ['a[1]', 'holds "["'],
    ['a\\b', 'holds "\\"'],
    ['fix..bug', 'holds ".."'],
    ['a@{1}', 'holds "@{"'],
    ['@', 'is "@"'],
    ['-f', 'starts with "-"'],
    ['/a', 'has an empty path component'],
    ['a/', 'has an empty path component'],
    ['a//b', 'has an empty path component'],
    ['a.', 'ends with "."'],
    ['a/.hidden', 'has the path component ".hidden"'],
    ['topic.lock/x', 'has the path component "topic.lock"'],
  ])('%s is refused: it %s', (name, why) => {
    expect(refNameProblem(name)).toMatch(new RegExp(`^${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});
