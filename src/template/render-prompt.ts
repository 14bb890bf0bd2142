/**
 * Renders a Task's prompt with the results of the Tasks it depends on (`{{.Deps}}`), the
 * way upstream's `resolvePromptTemplate` does, except that a render error fails the Task
 * with a clear message instead of silently running the raw prompt; and writes the text a
 * TaskSpawner puts into such a prompt so that this second pass prints it as it is.
 *
 * @packageDocumentation
 */
import type { Task } from '../api/object.ts';
import { checkTemplate } from './check.ts';
import { parseTemplate, TemplateError } from './go-template.ts';
import { asStringMap, GoFloat, type GoValue, isMap, mapZero } from './values.ts';
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

/** A run of `{` that, as it is, could open an action of the second pass. */
const BRACES = /\{+/g;

/**
 * `text` written so that rendering it as a Go template prints it unchanged: every `{` that
 * could open an action (two or more in a row, or one at either end, where the text around it
 * may bring the second) becomes the action `{{"{"}}`, a run of them one action. `{{ broken`
 * becomes `{{"{{"}} broken`; text without braces is itself.
 */
export const asTemplateText = (text: string): string =>
  text.includes('{')
    ? text.replace(BRACES, (run, at: number) =>
        run.length > 1 || at === 0 || at + 1 === text.length ? `{{"${run}"}}` : run,
      )
    : text;

/**
 * `data` with every string in it, map keys too, passed through {@link asTemplateText}: what a
 * TaskSpawner renders a prompt of a Task with `dependsOn` over, so the text of a work item (an
 * issue's title, body, comments, a webhook's payload, a context source's answer) is never
 * parsed by the Task's own render over `.Deps`: a stray `{{` cannot fail the Task, and an
 * issue author cannot write `{{index .Deps …}}` to pull another Task's results into the
 * prompt. The template the user wrote is untouched: its `{{"{{"}}index .Deps …}}` still
 * reaches that render as an action.
 */
export const asTemplateData = (data: GoValue): GoValue => {
  if (typeof data === 'string') return asTemplateText(data);
  if (Array.isArray(data)) return data.map(asTemplateData);
  if (data instanceof GoFloat || !isMap(data)) return data;
  const out: Record<string, GoValue> = {};
  for (const [k, v] of Object.entries(data)) out[asTemplateText(k)] = asTemplateData(v);
  // A map[string]string stays one, so `index` of a missing key still yields "".
  return mapZero(data) === '' ? asStringMap(out as Record<string, string>) : out;
};
