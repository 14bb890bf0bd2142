/**
 * The documented API interfaces (src/api/generated/types.ts) are what
 * scripts/generate-api-types.ts writes from the schemas, and an editor hovering a field of a
 * construct's props shows the field's schema description: asked of the TypeScript language
 * service, as an editor asks it, on an app importing the package's public entry.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import {
  generateApiTypes,
  generateTypesMatch,
  MATCH_FILE,
  TYPES_FILE,
} from '../../../scripts/generate-api-types.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('generated API types', () => {
  test.each([
    [TYPES_FILE, generateApiTypes],
    [MATCH_FILE, generateTypesMatch],
  ])('%s is what scripts/generate-api-types.ts writes (run it after changing a schema)', (file, generate) => {
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(generate());
  });
});

/** An app as a new user writes it; `¦name` marks the field whose hover text is asked for. */
const APP = `import { App, Chart } from 'cdk8s';
import { Task, TaskBudget, TaskSpawner, Workspace } from 'kelos-ts';

const chart = new Chart(new App(), 'app');
const workspace = new Workspace(chart, 'ws', {
  repo: 'https://github.com/o/r.git',
  ¦secretRef: { name: 'github-token' },
});
new TaskSpawner(chart, 'spawner', {
  when: {
    githubIssues: {
      ¦pollInterval: '5m',
      ¦commentPolicy: { ¦minimumPermission: 'write' },
      ¦excludeAuthors: ['bot'],
    },
  },
  taskTemplate: {
    worker: { type: 'claude-code', credentials: { type: 'oauth', secretRef: { name: 's' } }, workspace },
    ¦promptTemplate: '{{.Title}}',
    ¦ttlSecondsAfterFinished: 3600,
  },
  ¦maxConcurrency: 3,
});
new Task(chart, 'task', {
  prompt: 'fix it',
  worker: { type: 'codex', ¦credentials: { type: 'api-key', secretRef: { name: 'k' } }, workspace },
  ¦ttlSecondsAfterFinished: 60,
});
new TaskBudget(chart, 'budget', { taskSelector: {}, period: { type: 'Daily' }, ¦maxCostUSD: '50' });
`;

const APP_FILE = join(ROOT, 'hover-probe.ts');

/** The language service over the repository, with the app above as one more file. */
const languageService = (text: string): ts.LanguageService => {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config as object;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => ({
      ...options,
      // `kelos-ts` is the package's public entry (constructs/index.ts, built to lib/constructs).
      paths: { 'kelos-ts': ['./constructs/index.ts'] },
      baseUrl: ROOT,
    }),
    getScriptFileNames: () => [APP_FILE],
    getScriptVersion: () => '1',
    getScriptSnapshot: (file) => {
      const content = file === APP_FILE ? text : ts.sys.readFile(file);
      return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content);
    },
    getCurrentDirectory: () => ROOT,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: (file) => file === APP_FILE || ts.sys.fileExists(file),
    readFile: (file) => (file === APP_FILE ? text : ts.sys.readFile(file)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  return ts.createLanguageService(host, ts.createDocumentRegistry());
};

/** Hover text (signature and documentation) of every marked field, in order. */
const hovers = (): Array<{ field: string; signature: string; docs: string }> => {
  const marks: number[] = [];
  let text = '';
  for (const [i, part] of APP.split('¦').entries()) {
    if (i > 0) marks.push(text.length);
    text += part;
  }
  const service = languageService(text);
  return marks.map((at) => {
    const info = service.getQuickInfoAtPosition(APP_FILE, at);
    return {
      field: /^\w+/.exec(text.slice(at))?.[0] ?? '',
      signature: ts.displayPartsToString(info?.displayParts),
      docs: ts.displayPartsToString(info?.documentation),
    };
  });
};

describe('hovering a field of a construct’s props', () => {
  test('shows the field’s schema description, and enums as their values', { timeout: 120_000 }, () => {
    const all = hovers();
    const byField = new Map(all.map((h) => [h.field, h]));
    const docs = (field: string) => byField.get(field)?.docs;
    // Both uses, the spawner's template and the Task, carry the description.
    expect(all.filter((h) => h.field === 'ttlSecondsAfterFinished').map((h) => h.docs)).toStrictEqual([
      expect.stringContaining('ttlSecondsAfterFinished deletes the Task'),
      expect.stringContaining('ttlSecondsAfterFinished deletes the Task'),
    ]);
    expect(docs('pollInterval')).toContain('pollInterval is how often the source is polled');
    expect(docs('commentPolicy')).toContain('GitHubCommentPolicy decides which comments trigger');
    expect(docs('excludeAuthors')).toContain('excludeAuthors drop items opened by these logins');
    expect(docs('promptTemplate')).toContain('promptTemplate is the Go template of the prompt');
    expect(docs('maxConcurrency')).toContain('maxConcurrency caps the spawned Tasks that are not finished');
    expect(docs('secretRef')).toContain('secretRef names a Secret with either GITHUB_TOKEN');
    expect(docs('credentials')).toContain('credentials say how the agent authenticates');
    expect(docs('maxCostUSD')).toContain('maxCostUSD is the most the covered Tasks may cost');
    expect(byField.get('minimumPermission')?.signature).toContain(
      '"read" | "triage" | "write" | "maintain" | "admin"',
    );
  });
});
