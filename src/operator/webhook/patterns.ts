/**
 * The patterns webhook filters hold: RE2 expressions (`bodyPattern`, `excludeBodyPatterns`,
 * Slack `triggers[].pattern` and `excludePatterns`, generic filter `pattern`) and Go
 * `filepath.Match` globs (`branch`, `tag`, `checkName`).
 *
 * RE2 goes through `re2js`, a port of RE2 that matches in linear time: the patterns are a
 * tenant's and the text is whatever a sender posts, so a backtracking engine (JavaScript's
 * `RegExp`) would let one spawner's `(a+)+$` stall the receiver for everyone. It also refuses
 * what RE2 refuses (backreferences, lookaround), as upstream's Go `regexp` does. Globs use
 * picomatch, with its extensions (globstar, braces, extglobs, negation) switched off so `*`
 * stops at `/` as Go's does.
 *
 * @packageDocumentation
 */
import picomatch from 'picomatch';
import { RE2JS } from 're2js';

/** Compiled patterns, kept because the same few patterns meet every delivery. */
const compiled = new Map<string, RE2JS | Error>();
const MAX_CACHED = 1024;

const compile = (pattern: string): RE2JS | Error => {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch (e) {
      re = new Error(`invalid RE2 pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(pattern, re);
  }
  return re;
};

/**
 * Whether the RE2 `pattern` matches anywhere in `text` (Go's `MatchString`). Throws on a
 * pattern RE2 refuses: callers fail closed, as upstream rejects the event.
 */
export const re2Test = (pattern: string, text: string): boolean => {
  const re = compile(pattern);
  if (re instanceof Error) throw re;
  return re.test(text);
};

/** The error of an RE2 pattern, or undefined when it compiles. */
export const re2Error = (pattern: string): string | undefined => {
  const re = compile(pattern);
  return re instanceof Error ? re.message : undefined;
};

const GLOB_OPTIONS = {
  dot: true,
  nobrace: true,
  noextglob: true,
  noglobstar: true,
  nonegate: true,
  strictSlashes: true,
} as const;

/** Whether `name` matches the glob `pattern` with Go's `filepath.Match` rules. */
export const globMatch = (pattern: string, name: string): boolean =>
  picomatch.isMatch(name, pattern, GLOB_OPTIONS);
