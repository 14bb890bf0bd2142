import { describe, expect, test } from 'vitest';
import {
  asStringMap,
  FunctionError,
  parseTemplate,
  referencesField,
  renderTemplate,
  TemplateError,
} from '../../../src/template/go-template.ts';

const errorOf = (fn: () => unknown): TemplateError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
};

describe('renderTemplate', () => {
  test('renders the upstream pipeline example', () => {
    const data = { Deps: { scaffold: { Results: asStringMap({ branch: 'feature/auth' }) } } };
    expect(renderTemplate('on branch {{index .Deps "scaffold" "Results" "branch"}}.', data)).toBe(
      'on branch feature/auth.',
    );
  });

  test('missing map key fails by default (missingkey=error) and names the key', () => {
    const e = errorOf(() =>
      renderTemplate('Hello\n  {{.Issue.Titel}}', { Issue: { Title: 'x' } }, { name: 'prompt' }),
    );
    expect(e.message).toBe(
      'template: prompt:2:10: executing "prompt" at <.Issue.Titel>: map has no entry for key "Titel"',
    );
    expect(e).toMatchObject({ phase: 'execute', line: 2, column: 10, templateName: 'prompt' });
    expect(e.reason).toBe('map has no entry for key "Titel"');
  });

  test('missingKey default prints <no value> like Go', () => {
    expect(renderTemplate('[{{.Nope}}]', {}, { missingKey: 'default' })).toBe('[<no value>]');
  });

  test('parse errors carry line and column', () => {
    const e = errorOf(() => parseTemplate('ok\n{{if .X}}\n{{nofunc .Y}}{{end}}', { name: 'n' }));
    expect(e.message).toBe('template: n:3:2: function "nofunc" not defined');
    expect(e).toMatchObject({ phase: 'parse', line: 3, column: 2 });
  });

  test('an unterminated if is reported at end of input', () => {
    const e = errorOf(() => parseTemplate('{{if .X}}yes'));
    expect(e.message).toBe('template: template:1:12: unexpected EOF');
  });

  test('columns count bytes, as Go does', () => {
    const e = errorOf(() => renderTemplate('héllo {{.X}}', {}));
    expect(e.column).toBe(9);
  });

  test('a parsed template executes many times with different data', () => {
    const t = parseTemplate('{{.N}}');
    expect([t.execute({ N: 1 }), t.execute({ N: 'two' })]).toEqual(['1', 'two']);
  });

  test('custom functions are callable and their errors are wrapped', () => {
    const funcs = {
      upper: { params: ['string'] as const, call: ([s]: unknown[]) => String(s).toUpperCase() },
      boom: {
        params: [] as const,
        call: () => {
          throw new FunctionError('no luck');
        },
      },
    };
    expect(renderTemplate('{{.X | upper}}', { X: 'abc' }, { funcs })).toBe('ABC');
    expect(errorOf(() => renderTemplate('{{boom}}', {}, { funcs })).reason).toBe(
      'error calling boom: no luck',
    );
    expect(errorOf(() => renderTemplate('{{upper 1 2}}', {}, { funcs })).reason).toBe(
      'wrong number of args for upper: want 1 got 2',
    );
  });

  test('index of a missing key in a string map is the empty string; in other maps <no value>', () => {
    expect(renderTemplate('[{{index .S "x"}}][{{index .M "x"}}]', { S: asStringMap({}), M: {} })).toBe(
      '[][<no value>]',
    );
  });

  test('range over a map visits keys in sorted order', () => {
    expect(renderTemplate('{{range $k, $v := .}}{{$k}}={{$v}} {{end}}', { b: 2, a: 1, c: 3 })).toBe(
      'a=1 b=2 c=3 ',
    );
  });

  test('trim markers remove surrounding whitespace including newlines', () => {
    expect(renderTemplate('a\n  {{- if true -}}\n  b\n  {{- end -}}\n c', {})).toBe('abc');
  });

  test('numbers keep their Go type: integral JSON numbers are ints', () => {
    expect(renderTemplate('{{printf "%d %v %T %T" .N .F .N .F}}', { N: 3, F: 0.5 })).toBe(
      '3 0.5 int float64',
    );
  });
});

describe('referencesField', () => {
  test.each([
    ['{{.Context}}', true],
    ['{{.Context.issue}}', true],
    ['{{$.Context.x}}', true],
    ['{{index . "Context"}}', true],
    ['{{index $ "Context" "x"}}', true],
    ['{{if .X}}{{.Context.a}}{{end}}', true],
    ['{{range .L}}{{else}}{{printf "%s" .Context}}{{end}}', true],
    ['{{with .Context}}x{{end}}', true],
    ['{{.Title | printf "%s-%s" (.Context.a)}}', true],
    ['{{.Title}}-{{.Number}}', false],
    ['{{.ContextX}}', false],
    ['{{.Issue.Context}}', false],
    ['{{index .M "Context"}}', false],
    ['plain text mentioning .Context', false],
  ])('%s → %s', (src, want) => {
    expect(referencesField(src, 'Context')).toBe(want);
  });

  test('throws on a template that does not parse', () => {
    expect(() => referencesField('{{.Context', 'Context')).toThrow(TemplateError);
  });
});
