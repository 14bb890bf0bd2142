import { describe, expect, test } from 'vitest';
import type { Task } from '../../../src/api/object.ts';
import { checkTemplate } from '../../../src/template/check.ts';
import { type GoValue, renderTemplate, TemplateError } from '../../../src/template/go-template.ts';
import { promptData } from '../../../src/template/render-prompt.ts';
import {
  depsVariables,
  type SourceShape,
  sampleData,
  sourceVariables,
  type VarType,
} from '../../../src/template/variables.ts';

/** The data a template is checked against, and a sample of what the operator renders it over. */
interface Data {
  readonly type: VarType;
  readonly sample: GoValue;
}

const source = (shape: SourceShape): Data => ({ type: sourceVariables(shape), sample: sampleData(shape) });
const ISSUES = source({ source: 'githubIssues' });
const PUSH = source({ source: 'githubWebhook', events: ['push'] });
const PULL_REQUEST = source({ source: 'githubWebhook', events: ['pull_request'] });
const ISSUES_EVENT = source({ source: 'githubWebhook', events: ['issues'] });
const WITH_CONTEXT = source({ source: 'githubIssues', contextSources: ['docs'] });
const PROMPT: Data = {
  type: depsVariables(['a']),
  sample: promptData([{ metadata: { name: 'a' }, status: { outputs: ['branch: x'], results: {} } } as Task]),
};

const findings = (src: string, data: Data) =>
  checkTemplate(src, { data: data.type }).map(({ code, severity, line, column, message }) => ({
    code,
    severity,
    line,
    column,
    message,
  }));

/** How the operator's renderer refuses the template: its reason and where (1-based column; the templates are ASCII). */
const refusal = (src: string, sample: GoValue) => {
  try {
    return { rendered: renderTemplate(src, sample, { missingKey: 'error' }) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { line: e.line, column: e.column + 1, reason: e.reason };
  }
};

/** Template, data, the checker's message and code, and the renderer's own words for it. */
const REFUSED: readonly (readonly [string, Data, string, string, ('wrong-type' | 'wrong-arg-count')?])[] = [
  // The reviewer's three, on a githubIssues spawner.
  [
    'A {{ range .Labels }}{{ . }}{{ end }}',
    ISSUES,
    ".Labels: range can't iterate over string; it takes a list, a map or an int",
    "range can't iterate over bug",
  ],
  [
    'C {{ len .Number }}',
    ISSUES,
    'len of .Number: len of type int; len takes a string, a list or a map',
    'error calling len: len of type int',
  ],
  [
    'F {{ eq .Number "42" }}',
    ISSUES,
    'eq of .Number and "42": incompatible types for comparison: int and string',
    'error calling eq: incompatible types for comparison: int and string',
  ],
  // range
  [
    '{{ range $i, $l := .Number }}{{ $l }}{{ end }}',
    ISSUES,
    ".Number: range can't use int to iterate over more than one variable; only a list or a map has keys",
    "can't use 42 to iterate over more than one variable",
  ],
  [
    '{{ with .Title }}{{ range . }}{{ end }}{{ end }}',
    ISSUES,
    ".: range can't iterate over string; it takes a list, a map or an int",
    "range can't iterate over Fix the flaky login test",
  ],
  [
    '{{ range .Deps.a.Name }}{{ end }}',
    PROMPT,
    ".Deps.a.Name: range can't iterate over string; it takes a list, a map or an int",
    "range can't iterate over a",
  ],
  // len, also of a piped value
  [
    '{{ .Number | len }}',
    ISSUES,
    'len of .Number: len of type int; len takes a string, a list or a map',
    'error calling len: len of type int',
  ],
  [
    '{{ len (eq .Title "x") }}',
    ISSUES,
    'len of (eq .Title "x"): len of type bool; len takes a string, a list or a map',
    'error calling len: len of type bool',
  ],
  // comparisons
  [
    '{{ ne .ID 42 }}',
    ISSUES,
    'ne of .ID and 42: incompatible types for comparison: string and int',
    'error calling ne: incompatible types for comparison: string and int',
  ],
  [
    '{{ eq (len .Title) "3" }}',
    ISSUES,
    'eq of (len .Title) and "3": incompatible types for comparison: int and string',
    'error calling eq: incompatible types for comparison: int and string',
  ],
  [
    '{{ eq .ChangedFiles "a.go" }}',
    PUSH,
    'eq of .ChangedFiles and "a.go": incompatible types for comparison: list of string and string',
    'error calling eq: incompatible types for comparison: []interface {} and string',
  ],
  [
    '{{ eq (index .Deps "a" "Results" "pr") 7 }}',
    PROMPT,
    'eq of (index .Deps "a" "Results" "pr") and 7: incompatible types for comparison: string and int',
    'error calling eq: incompatible types for comparison: string and int',
  ],
  [
    '{{ lt .Title 3 }}',
    ISSUES,
    'lt of .Title and 3: incompatible types for comparison: string and int',
    'error calling lt: incompatible types for comparison: string and int',
  ],
  [
    '{{ ge .Number 1.5 }}',
    ISSUES,
    'ge of .Number and 1.5: incompatible types for comparison: int and float64',
    'error calling ge: incompatible types for comparison: int and float64',
  ],
  [
    '{{ le true false }}',
    ISSUES,
    'le of true and false: invalid type for comparison: bool; le compares strings or numbers',
    'error calling le: invalid type for comparison',
  ],
  [
    '{{ gt .ChangedFiles 0 }}',
    PUSH,
    'gt of .ChangedFiles and 0: invalid type for comparison: list of string; gt compares strings or numbers',
    'error calling gt: invalid type for comparison',
  ],
  [
    '{{ eq .Number }}',
    ISSUES,
    'eq of .Number: missing argument for comparison',
    'error calling eq: missing argument for comparison',
    'wrong-arg-count',
  ],
  // index and slice
  [
    '{{ index .Number 0 }}',
    ISSUES,
    "index of .Number: can't index item of type int; index takes a string, a list or a map",
    "error calling index: can't index item of type int",
  ],
  [
    '{{ index .ChangedFiles .Ref }}',
    PUSH,
    'index of .ChangedFiles with .Ref: cannot index slice/array with type string; the index must be an int',
    'error calling index: cannot index slice/array with type string',
  ],
  [
    '{{ index .Context 1 }}',
    WITH_CONTEXT,
    'index of .Context with 1: value has type int; should be string',
    'error calling index: value has type int; should be string',
  ],
  [
    '{{ slice .Number 1 }}',
    ISSUES,
    "slice of .Number: can't slice item of type int; slice takes a string or a list",
    "error calling slice: can't slice item of type int",
  ],
  [
    '{{ slice .Title 1 2 3 }}',
    ISSUES,
    'slice of .Title: cannot 3-index slice a string',
    'error calling slice: cannot 3-index slice a string',
  ],
  [
    '{{ slice .Title .ID }}',
    ISSUES,
    'slice of .Title with .ID: cannot index slice/array with type string; the index must be an int',
    'error calling slice: cannot index slice/array with type string',
  ],
  // printf's format, call, and the number of arguments
  [
    '{{ printf .Number }}',
    ISSUES,
    'printf of .Number: wrong type for value; expected string; got int',
    'wrong type for value; expected string; got int',
  ],
  ['{{ printf true }}', ISSUES, 'printf of true: expected string; found true', 'expected string; found true'],
  [
    '{{ call .Title }}',
    ISSUES,
    'call of .Title: the template data holds no functions, so call always fails',
    'error calling call: non-function .Title of type string',
  ],
  [
    '{{ len }}',
    ISSUES,
    'wrong number of args for len: want 1 got 0',
    'wrong number of args for len: want 1 got 0',
    'wrong-arg-count',
  ],
  [
    '{{ if not .Title .Body }}{{ end }}',
    ISSUES,
    'wrong number of args for not: want 1 got 2',
    'wrong number of args for not: want 1 got 2',
    'wrong-arg-count',
  ],
];

describe('checkTemplate: what the renderer refuses for the types of its operands', () => {
  const cases = REFUSED.map(([src, data, message, reason, code = 'wrong-type']) => ({
    src,
    data,
    message,
    reason,
    code,
  }));
  test.each(cases)('$src', ({ src, data, message, reason, code }) => {
    const got = findings(src, data);
    const refused = refusal(src, data.sample);
    expect(refused).toMatchObject({ reason });
    // One error, where the renderer stops.
    expect(got).toStrictEqual([
      {
        code,
        severity: 'error',
        line: refused.line,
        column: refused.column,
        message,
      },
    ]);
  });

  test("the reviewer's template: each line at its action", () => {
    const src = 'A {{ range .Labels }}{{ . }}{{ end }}\nC {{ len .Number }}\nF {{ eq .Number "42" }}\n';
    expect(findings(src, ISSUES).map((f) => `${f.line}:${f.column} ${f.code}`)).toStrictEqual([
      '1:12 wrong-type',
      '2:6 wrong-type',
      '3:6 wrong-type',
    ]);
  });

  test('a range over a pipeline is reported at its last command', () => {
    expect(findings('{{ range .Title | printf "%s" }}{{ end }}', ISSUES)).toStrictEqual([
      {
        code: 'wrong-type',
        severity: 'error',
        line: 1,
        column: 19,
        message: `.Title | printf "%s": range can't iterate over string; it takes a list, a map or an int`,
      },
    ]);
  });
});

/** The sample of an `issues` delivery with some fields of `.Payload.Issue` set. */
const issueSample = (fields: Record<string, GoValue>): GoValue => {
  const sample = structuredClone(ISSUES_EVENT.sample) as { Payload: { Issue: Record<string, GoValue> } };
  Object.assign(sample.Payload.Issue, fields);
  return sample;
};

/** Templates the checker passes, with the data they render over (the source's sample unless given). */
const ACCEPTED: readonly (readonly [string, Data, GoValue?])[] = [
  // range over lists, maps and ints (Go 1.22)
  ['{{ range .ChangedFiles }}{{ . }}{{ end }}', PUSH],
  ['{{ range $i, $f := .ChangedFiles }}{{ len $f }}{{ lt $i 3 }}{{ end }}', PUSH],
  ['{{ range .Payload.PullRequest.Labels }}{{ .Name }}{{ end }}', PULL_REQUEST],
  ['{{ range $k, $v := .Context }}{{ len $k }}{{ eq $v "" }}{{ end }}', WITH_CONTEXT],
  [
    '{{ range $name, $d := .Deps }}{{ eq $name $d.Name }}{{ range $d.Outputs }}{{ . }}{{ end }}{{ end }}',
    PROMPT,
  ],
  ['{{ range $k, $v := .Payload.Issue }}{{ len $k }}{{ end }}', ISSUES_EVENT],
  ['{{ range .Number }}{{ . }}{{ end }}{{ range $i := 3 }}{{ lt $i 3 }}{{ end }}', ISSUES],
  // len of strings, lists and maps (a go-github struct is a map to the engine)
  ['{{ len .Title }} {{ len .Labels }} {{ len .Comments }}', ISSUES],
  ['{{ len .Payload.Issue }} {{ len .Payload.Issue.Labels }}', ISSUES_EVENT],
  ['{{ len .ChangedFiles }} {{ .Ref | len }}', PUSH],
  // comparisons of one kind
  ['{{ eq .Number 42 }} {{ ne .Title "x" }} {{ eq .Kind "Issue" "PR" }} {{ eq 1.5 2.5 }}', ISSUES],
  ['{{ if lt .Number 100 }}small{{ end }} {{ ge (len .Title) 3 }} {{ gt .Title "a" }}', ISSUES],
  ['{{ eq .Number nil }}', ISSUES],
  // the other builtins take any value
  ['{{ index .Title 0 }} {{ slice .Title 1 3 }} {{ printf "%d" .Number }} {{ print .Number }}', ISSUES],
  ['{{ and .Title .Number }} {{ or .Body 0 }} {{ not .Number }} {{ html .Number }}', ISSUES],
  ['{{ js .Number }} {{ urlquery .Number true }} {{ println }} {{ .Number | printf "%d" }}', ISSUES],
  ['{{ index .ChangedFiles 0 | len }}', PUSH, { ...(PUSH.sample as object), ChangedFiles: ['a.go'] }],
  ['{{ index .Context "docs" | printf }}', WITH_CONTEXT],
  // a field GitHub left out is nil, and nil compares with anything and ranges over nothing
  [
    '{{ eq .Payload.Issue.Number "42" }}{{ range .Payload.Issue.Title }}{{ end }}',
    ISSUES_EVENT,
    issueSample({ Number: null, Title: null }),
  ],
  // a variable assigned with = may change type in a branch
  ['{{ $x := 1 }}{{ if .Title }}{{ $x = "ab" }}{{ end }}{{ len $x }}', ISSUES],
  [
    '{{ $x := "" }}{{ range .ChangedFiles }}{{ $x = 0 }}{{ end }}{{ range $x }}{{ end }}',
    PUSH,
    { ...(PUSH.sample as object), ChangedFiles: ['a.go'] },
  ],
];

describe('checkTemplate: what the renderer accepts stays silent', () => {
  const cases = ACCEPTED.map(([src, data, sample]) => ({ src, data, sample: sample ?? data.sample }));
  test.each(cases)('$src', ({ src, data, sample }) => {
    expect(findings(src, data)).toStrictEqual([]);
    expect(refusal(src, sample)).toHaveProperty('rendered');
  });

  test('a value of unknown type is not checked', () => {
    const hook = source({ source: 'webhook' });
    expect(
      findings(
        '{{ range .Payload.x }}{{ end }}{{ len .Payload.n }}{{ eq .Payload.n "1" }}{{ lt .Payload.a .Payload.b }}{{ index .Payload 0 }}',
        hook,
      ),
    ).toStrictEqual([]);
  });
});

describe('checkTemplate: .Deps in a spawner template', () => {
  test('says to print the action for the Task it makes, which reads .Deps', () => {
    expect(findings('{{index .Deps "scaffold" "Results" "branch"}}', ISSUES).map((f) => f.message)).toEqual([
      '.Deps is not a variable of a githubIssues source; .Deps is read when the Task it makes renders its prompt: write {{"{{"}}index .Deps "<task>" "Results" "<key>"}} so this template prints that action for it',
    ]);
  });
});
