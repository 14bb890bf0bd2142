import { describe, expect, test } from 'vitest';
import type { Task } from '../../../src/api/object.ts';
import { renderTemplate } from '../../../src/template/go-template.ts';
import {
  asTemplateData,
  asTemplateText,
  promptData,
  renderPrompt,
} from '../../../src/template/render-prompt.ts';
import { asStringMap, typeName } from '../../../src/template/values.ts';

const task = (name: string, spec: Partial<Task['spec']>, status?: Task['status']): Task => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name, namespace: 'default' },
  spec: { prompt: '', ...spec },
  ...(status ? { status } : {}),
});

const scaffold = task(
  'scaffold',
  {},
  {
    phase: 'Succeeded',
    outputs: ['branch: feature/auth', 'commit: 0123abc'],
    results: { branch: 'feature/auth', commit: '0123abc' },
  },
);

describe('renderPrompt', () => {
  test('a Task without dependsOn keeps its prompt verbatim, braces included', () => {
    const t = task('a', { prompt: 'Fix {{.Title}} please' });
    expect(renderPrompt(t, [])).toEqual({ ok: true, prompt: 'Fix {{.Title}} please' });
  });

  test('renders dependency results with index (upstream example 07)', () => {
    const t = task('write-tests', {
      dependsOn: ['scaffold'],
      prompt: 'The scaffold task created a module on branch {{index .Deps "scaffold" "Results" "branch"}}.',
    });
    expect(renderPrompt(t, [scaffold])).toEqual({
      ok: true,
      prompt: 'The scaffold task created a module on branch feature/auth.',
    });
  });

  test('renders outputs, names and results through fields and range', () => {
    const t = task('x', {
      dependsOn: ['scaffold'],
      prompt: '{{with .Deps.scaffold}}{{.Name}}@{{.Results.commit}}:{{range .Outputs}} [{{.}}]{{end}}{{end}}',
    });
    expect(renderPrompt(t, [scaffold])).toEqual({
      ok: true,
      prompt: 'scaffold@0123abc: [branch: feature/auth] [commit: 0123abc]',
    });
  });

  test('a missing result read with index is empty, as for a Go map[string]string', () => {
    const t = task('x', { dependsOn: ['scaffold'], prompt: '[{{index .Deps "scaffold" "Results" "pr"}}]' });
    expect(renderPrompt(t, [scaffold])).toEqual({ ok: true, prompt: '[]' });
  });

  test('a missing result read as a field fails with a message naming the key', () => {
    const t = task('x', { dependsOn: ['scaffold'], prompt: 'PR: {{.Deps.scaffold.Results.pr}}' });
    const r = renderPrompt(t, [scaffold]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toBe(
      'Failed to render prompt template: template: prompt:1:11: executing "prompt" at <.Deps.scaffold.Results.pr>: map has no entry for key "pr"',
    );
    expect(r.error.line).toBe(1);
  });

  test('a dependency that is not given fails instead of rendering the raw prompt', () => {
    const t = task('x', {
      dependsOn: ['scaffold', 'other'],
      prompt: '{{index .Deps "other" "Results" "branch"}}',
    });
    const r = renderPrompt(t, [scaffold]);
    expect(r).toMatchObject({ ok: false });
    expect(r.ok ? '' : r.error.reason).toBe('error calling index: index of nil pointer');
  });

  test('a syntax error fails with a clear message', () => {
    const t = task('x', { dependsOn: ['scaffold'], prompt: 'see {{.Deps.scaffold' });
    const r = renderPrompt(t, [scaffold]);
    expect(r.ok ? '' : r.message).toBe(
      'Failed to render prompt template: template: prompt:1:4: unclosed action',
    );
  });

  test('a dependency without status renders empty outputs and results', () => {
    const t = task('x', {
      dependsOn: ['bare'],
      prompt: '{{len .Deps.bare.Outputs}}{{len .Deps.bare.Results}}',
    });
    expect(renderPrompt(t, [task('bare', {})])).toEqual({ ok: true, prompt: '00' });
  });
});

describe('promptData', () => {
  test('builds Deps keyed by Task name', () => {
    expect(promptData([scaffold])).toEqual({
      Deps: {
        scaffold: {
          Name: 'scaffold',
          Outputs: ['branch: feature/auth', 'commit: 0123abc'],
          Results: { branch: 'feature/auth', commit: '0123abc' },
        },
      },
    });
  });
});

describe('renderPrompt runs the offline check first', () => {
  test('a field a dependency does not have fails before anything renders, as kelos validate reports it', () => {
    const dep = {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: { name: 'build' },
      spec: { prompt: 'b' },
      status: { results: { branch: 'x' } },
    } as unknown as Task;
    const task = {
      ...dep,
      metadata: { name: 't' },
      spec: { prompt: 'Use {{.Deps.build.Result.branch}}', dependsOn: ['build'] },
    } as unknown as Task;
    const r = renderPrompt(task, [dep]);
    expect(r).toMatchObject({
      ok: false,
      message:
        'Failed to render prompt template: template: prompt:1:11: .Deps.build.Result: Dependency has no field Result',
    });
  });
});

describe('asTemplateText: item text a second render prints as it is', () => {
  test.each([
    '{{ broken',
    '{{index .Deps "x" "Results" "branch"}}',
    'a{b',
    '{',
    'x{',
    '{{{',
    'a}}b{{-',
    '{"a":{"b":1}}',
  ])('%j', (text) => {
    // Between the template's own text and its own escaped action, as a spawner's prompt holds it.
    expect(renderTemplate(`A${asTemplateText(text)}{{"{{"}}.x}}`, {})).toBe(`A${text}{{.x}}`);
  });
  test('text without a brace to fear is itself; a map[string]string stays one', () => {
    expect(asTemplateText('a{b} plain')).toBe('a{b} plain');
    expect(asTemplateText('{{ broken')).toBe('{{"{{"}} broken');
    expect(asTemplateData({ T: '{{x', L: ['{{'], N: 4 })).toEqual({ T: '{{"{{"}}x', L: ['{{"{{"}}'], N: 4 });
    const results = asTemplateData(asStringMap({ '{{k': 'v' }));
    expect(Object.keys(results as object)).toEqual(['{{"{{"}}k']);
    expect(typeName(results)).toBe('map[string]string');
  });
});
