/**
 * Renders a Task's prompt with the results of the Tasks it depends on (`{{.Deps}}`), the
 * way upstream's `resolvePromptTemplate` does, except that a render error fails the Task
 * with a clear message instead of silently running the raw prompt.
 *
 * @packageDocumentation
 */
import type { Task } from '../api/object.ts';
import { checkTemplate } from './check.ts';
import { parseTemplate, TemplateError } from './go-template.ts';
import { asStringMap, type GoValue } from './values.ts';
import { depsVariables } from './variables.ts';

/** Name the prompt template carries in error messages. */
export const PROMPT_TEMPLATE_NAME = 'prompt';

/** The outcome of rendering a prompt: the text, or why it could not be rendered. */
export type RenderPromptResult =
  | { readonly ok: true; readonly prompt: string }
  | {
      readonly ok: false;
      /** Suitable for the Task's `status.message`. */
      readonly message: string;
      /** The underlying template error, with line and column. */
      readonly error: TemplateError;
    };

/**
 * The data a prompt template sees: `{Deps: {<name>: {Name, Outputs, Results}}}` for every
 * given dependency. `Results` behaves as Go's `map[string]string` (a missing key read with
 * `index` is `""`); `Outputs` is the list of raw `key: value` lines.
 */
export const promptData = (deps: readonly Task[]): GoValue => {
  const out: Record<string, GoValue> = {};
  for (const d of deps) {
    const name = d.metadata.name ?? '';
    out[name] = {
      Name: name,
      Outputs: [...(d.status?.outputs ?? [])],
      Results: asStringMap({ ...(d.status?.results ?? {}) }),
    };
  }
  return { Deps: out };
};

/**
 * Renders `task.spec.prompt`. Without `dependsOn` the prompt is used as written (upstream
 * only templates prompts of Tasks with dependencies, so braces in other prompts stay
 * literal). With `dependsOn`, it is a Go template over {@link promptData}, executed with
 * `missingkey=error`.
 *
 * @param task the Task whose prompt to render
 * @param deps the Tasks it depends on, normally all Succeeded
 */
export const renderPrompt = (task: Task, deps: readonly Task[]): RenderPromptResult => {
  const prompt = task.spec.prompt;
  if ((task.spec.dependsOn ?? []).length === 0) return { ok: true, prompt };
  try {
    const tmpl = parseTemplate(prompt, { name: PROMPT_TEMPLATE_NAME, missingKey: 'error' });
    // Then the validator's type check, so what `kelos validate` rejects never half-renders.
    const problem = checkTemplate(prompt, { data: depsVariables(task.spec.dependsOn ?? []) }).find(
      (f) => f.severity === 'error',
    );
    if (problem) {
      // Go's convention in the location: 0-based column.
      const at = { line: problem.line, column: problem.column - 1 };
      throw new TemplateError(
        `template: ${PROMPT_TEMPLATE_NAME}:${at.line}:${at.column}: ${problem.message}`,
        {
          templateName: PROMPT_TEMPLATE_NAME,
          ...at,
          phase: 'parse',
          reason: problem.message,
        },
      );
    }
    return { ok: true, prompt: tmpl.execute(promptData(deps)) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { ok: false, message: `Failed to render prompt template: ${e.message}`, error: e };
  }
};
