/**
 * What a Task's name and a TaskSpawner's `taskTemplate.metadata` must be for the Tasks to run.
 *
 * A Task's Job takes the Task's name, and a Job name becomes a Pod label value, so a Task
 * named with more than {@link MAX_TASK_NAME_LENGTH} characters is accepted by the API server
 * (names run to 253) and then always fails in the operator's render: an error here, in
 * `kelos validate` and `kelos run`, not a Task that fails once created.
 *
 * A TaskSpawner's `taskTemplate.metadata` must mean for the Tasks it spawns to be
 * accepted. The CRD keeps `labels` and `annotations` plain string maps, so the API server
 * accepts the spawner; the operator copies the keys as written and renders each value as a Go
 * template over the item (`src/operator/spawner/task-build.ts`), with no sanitizing, and the API
 * server refuses a Task whose metadata breaks its rules. These checks move that failure to CI:
 *
 * - every label and annotation key must be a qualified name (keys are never rendered);
 * - a label value with no template action must be a label value;
 * - a templated label value is a warning when it can render something else: when it reads a
 *   variable that is free text (`.Title`, `.Body`, …) or when it renders no label value for
 *   the source's sample item (the one the preview shows).
 *
 * The rules are the validator's own for metadata and Pod labels (`object-schema.ts`).
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import { type GoValue, referencesField, renderTemplate, TemplateError } from '../template/go-template.ts';
import { type SourceShape, sampleData, sourceVariables, WEBHOOK_MIRRORED } from '../template/variables.ts';
import { type Diagnostic, type Finding, toPointer } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import {
  isLabelValue,
  isNode,
  isQualifiedName,
  LABEL_VALUE_RULE,
  QUALIFIED_NAME_RULE,
} from './object-schema.ts';
import { sourceShape } from './templates.ts';

/** What happens when a key or a static value is refused: it is so for every item. */
const EVERY_TASK = 'the API server accepts the TaskSpawner but refuses every Task it spawns';

/**
 * Item variables whose text people write freely (or join), with what they are and a value of
 * that kind which is no label value: a template that prints one prints such text some day.
 */
const FREE_TEXT: Readonly<Record<string, FreeText>> = {
  Title: { what: 'free text', example: 'Fix the flaky login test' },
  Body: { what: 'free text', example: 'The login test fails one run in ten.' },
  Comments: { what: 'free text', example: 'Still failing on main.' },
  ReviewComments: { what: 'free text', example: 'Please add a test.' },
  CommentBody: { what: 'free text', example: '/kelos pick-up' },
  Labels: { what: 'the item\'s labels joined with ", "', example: 'bug, help wanted' },
};

/**
 * What a generic webhook's mapped variables are: whatever the sender puts where `fieldMapping`
 * points (an Alertmanager `groupKey` is `{}:{alertname="DiskFull"}`), with a value of that kind
 * which is neither a label value nor a git name.
 */
const senderText = (key: string): FreeText => ({
  what: `whatever the sender puts where fieldMapping.${key} points`,
  example: '{}:{alertname="DiskFull"}',
});

/** A free-text variable: what it is, and a value of that kind that no check takes. */
interface FreeText {
  readonly what: string;
  readonly example: string;
}

/**
 * The free-text variables of a source's items, by name: those of {@link FREE_TEXT} it always or
 * sometimes sets; for a generic webhook, every `fieldMapping` key and the mirrored name of each
 * (`.id` and `.ID`), whose text the sender writes (GitHub's `.Number` is always safe, a sender's
 * id is not). A cron tick has none (its Title is the time of the tick).
 */
const freeTextOf = (shape: SourceShape): ReadonlyMap<string, FreeText> => {
  const out = new Map<string, FreeText>();
  if (shape.source === 'cron') return out;
  if (shape.source === 'webhook') {
    for (const key of shape.fieldMapping ?? []) {
      out.set(key, senderText(key));
      const twin = WEBHOOK_MIRRORED[key];
      if (twin !== undefined) out.set(twin, senderText(key));
    }
    return out;
  }
  const vars = sourceVariables(shape);
  const fields = vars.kind === 'struct' ? vars.fields : {};
  for (const [name, text] of Object.entries(FREE_TEXT)) {
    const v = fields[name];
    if (v?.type.kind === 'string' && v.presence.when !== 'empty') out.set(name, text);
  }
  return out;
};

/** The sample item's data with `name` set to `text`. */
const withFreeText = (sample: GoValue, name: string, text: string): GoValue =>
  isNode(sample) ? { ...(sample as Record<string, GoValue>), [name]: text } : sample;

/** The output of a label value template over `data`; undefined when it does not render (the template check says why). */
const rendered = (template: string, data: GoValue): string | undefined => {
  try {
    return renderTemplate(template, data, { missingKey: 'error' });
  } catch (e) {
    if (e instanceof TemplateError) return undefined;
    throw e;
  }
};

/**
 * Why a template over the item may render something `valid` refuses: the free-text variable
 * whose text makes it so, and what it renders for the source's sample item when that is refused
 * already; `undefined` when neither (or when it does not render: the template check says why).
 */
export const templateRisk = (
  template: string,
  shape: SourceShape,
  sample: GoValue,
  valid: (text: string) => boolean,
): TemplateRisk | undefined => {
  const output = rendered(template, sample);
  if (output === undefined) return undefined;
  // A free-text variable matters where it reaches the output (not in `{{if .Title}}`).
  const free = [...freeTextOf(shape)].find(([name, text]) => {
    if (!referencesField(template, name)) return false;
    const out = rendered(template, withFreeText(sample, name, text.example));
    return out !== undefined && !valid(out);
  });
  const renders = valid(output)
    ? undefined
    : `renders ${JSON.stringify(output)} for a sample ${shape.source} item`;
  if (!free && !renders) return undefined;
  return {
    ...(free && { free: free[0], what: free[1].what, sender: shape.source === 'webhook' }),
    ...(renders && { renders }),
  };
};

/** What {@link templateRisk} found: the free-text variable printed (what it is, and whether a webhook's sender writes it), and what the sample renders when that is refused. */
export interface TemplateRisk {
  readonly free?: string;
  readonly what?: string;
  /** The free text is a generic webhook's mapped field: no variable of that source is safe. */
  readonly sender?: boolean;
  readonly renders?: string;
}

/** How a finding says what {@link templateRisk} found. */
export const riskWords = (risk: TemplateRisk): string =>
  risk.free
    ? `prints .${risk.free}, which is ${risk.what}${risk.renders ? ` (it ${risk.renders})` : ''}`
    : (risk.renders ?? '');

/** Longest Task name whose Job can exist: Job names become a Pod label value (63 characters). */
export const MAX_TASK_NAME_LENGTH = 63;

/** Why a Task named `name` cannot run, which is longer than {@link MAX_TASK_NAME_LENGTH}. */
export const taskNameTooLong = (name: string): string =>
  `Task name is ${name.length} characters; its Job needs a name of at most ${MAX_TASK_NAME_LENGTH} (Job names become a Pod label value)`;

/** Findings for a Task's name, or the metadata of a TaskSpawner's task template; none for other objects. */
export function taskMetadataFindings(object: Readonly<Record<string, unknown>>): Finding[] {
  if (object['apiVersion'] !== API_VERSION) return [];
  if (object['kind'] === 'Task') {
    const name = isNode(object['metadata']) ? object['metadata']['name'] : undefined;
    return typeof name === 'string' && name.length > MAX_TASK_NAME_LENGTH
      ? [
          {
            severity: 'error',
            code: 'task/name-too-long',
            path: '/metadata/name',
            message: `${taskNameTooLong(name)}: the API server accepts the Task and the operator fails it`,
            hint: `shorten the name to at most ${MAX_TASK_NAME_LENGTH} characters`,
          },
        ]
      : [];
  }
  if (object['kind'] !== 'TaskSpawner') return [];
  const spec = isNode(object['spec']) ? object['spec'] : {};
  const template = isNode(spec['taskTemplate']) ? spec['taskTemplate'] : {};
  const metadata = isNode(template['metadata']) ? template['metadata'] : {};
  const base = ['spec', 'taskTemplate', 'metadata'];
  const out: Finding[] = [];
  const shape = sourceShape(spec);
  let sample: GoValue | undefined;
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (!isNode(map)) continue;
    const what = field === 'labels' ? 'label' : 'annotation';
    for (const [key, value] of Object.entries(map)) {
      const path = toPointer([...base, field, key]);
      if (!isQualifiedName(key)) {
        out.push({
          severity: 'error',
          code: `spawner/${what}-key`,
          path,
          message: `task ${what} key "${key}" must be ${QUALIFIED_NAME_RULE}; ${EVERY_TASK}`,
        });
      }
      if (field !== 'labels' || typeof value !== 'string') continue;
      if (!value.includes('{{')) {
        if (!isLabelValue(value)) {
          out.push({
            severity: 'error',
            code: 'spawner/label-value',
            path,
            message: `task label value "${value}" must be ${LABEL_VALUE_RULE}; ${EVERY_TASK}`,
          });
        }
        continue;
      }
      if (!shape) continue;
      sample ??= sampleData(shape);
      const risk = templateRisk(value, shape, sample, isLabelValue);
      if (!risk) continue;
      out.push({
        // A sender's mapped field may well be safe, and no rule can tell (see git-refs.ts).
        severity: risk.sender ? 'info' : 'warning',
        code: 'spawner/label-value',
        path,
        message: `task label value template ${riskWords(risk)}; every rendered value must be ${LABEL_VALUE_RULE}, and where it is not, the API server refuses that item's Task and none is created for it`,
        hint: 'keep label values to text that is always a label value (such as .Number), and put free text in metadata.annotations, whose values may be any text',
      });
    }
  }
  return out;
}

/** {@link taskMetadataFindings} for every object of a bundle, located in its file. */
export const checkTaskMetadata = (docs: readonly LoadedDocument[]): Diagnostic[] =>
  docs.flatMap((d) => taskMetadataFindings(d.object).map((f) => toDiagnostic(d, f)));
