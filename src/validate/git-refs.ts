/**
 * Git names the agent's setup passes to git: a Workspace's `ref` (cloned) and a Task's or a
 * TaskSpawner's `branch` (checked out or created). The CRDs take any string, as upstream's do,
 * so `branch: fix bug` passes `kubectl apply` and fails the Task when its Pod runs git. These
 * are git's own rules for a name (`git check-ref-format --branch`), checked before anything
 * runs. A TaskSpawner's branch is a template rendered per item: the text around its actions is
 * in every name (an error when git refuses it), and a template that prints free text or renders
 * no git name for the source's sample item is a warning (`templateRisk`, as for label values).
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import { sampleData } from '../template/variables.ts';
import { type Diagnostic, type Finding, toPointer } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import { isNode } from './object-schema.ts';
import { riskWords, templateRisk } from './task-metadata.ts';
import { sourceShape } from './templates.ts';

/**
 * Why git refuses `name` as a branch or ref name, or `undefined` when it takes it. The rules of
 * `git check-ref-format --branch` (git-check-ref-format(1)), worded for the finding.
 */
export const refNameProblem = (name: string): string | undefined => {
  if (name === '@') return 'is "@", which git reserves for HEAD';
  if (name.startsWith('-')) return 'starts with "-", which git reads as an option';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
  const bad = /[\u0000-\u0020\u007f~^:?*[\\]/.exec(name)?.[0];
  if (bad !== undefined) {
    return `holds ${bad === ' ' ? 'a space' : bad < ' ' || bad === '\u007f' ? 'a control character' : `"${bad}"`} (no git name holds white space, a control character or any of ~ ^ : ? * [ \\)`;
  }
  if (name.includes('..')) return 'holds "..", which no git name may hold';
  if (name.includes('@{')) return 'holds "@{", which no git name may hold';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return 'has an empty path component (a leading, trailing or doubled "/")';
  if (name.endsWith('.')) return 'ends with "."';
  const part = name.split('/').find((p) => p.startsWith('.') || p.endsWith('.lock'));
  if (part !== undefined)
    return `has the path component "${part}", and no component of a git name may start with "." or end with ".lock"`;
  return undefined;
};

/**
 * Why git refuses `name` as a branch name (`git check-ref-format --branch`): a ref name's rules,
 * and `HEAD`, which names the checked-out commit; `undefined` when it takes it.
 */
const branchNameProblem = (name: string): string | undefined =>
  name === 'HEAD' ? 'is "HEAD", which git keeps for the checked-out commit' : refNameProblem(name);

/**
 * Why `branch` cannot be a Task's branch, worded for the Task's render and a spawner's refusal
 * of an item alike (`"a:b" is not a valid git branch name: it holds ":" …`); `undefined` when git
 * takes it.
 */
export const invalidBranchName = (branch: string): string | undefined => {
  const problem = branchNameProblem(branch);
  return problem === undefined
    ? undefined
    : `${JSON.stringify(branch)} is not a valid git branch name: it ${problem}`;
};

/** The git names of one object: where each is, and whether it is a branch or a ref. */
const namesOf = (object: Readonly<Record<string, unknown>>): Array<{ path: string[]; value: unknown }> => {
  const spec = isNode(object['spec']) ? object['spec'] : {};
  switch (object['kind']) {
    case 'Workspace':
      return [{ path: ['spec', 'ref'], value: spec['ref'] }];
    case 'Task':
      return [{ path: ['spec', 'branch'], value: spec['branch'] }];
    case 'TaskSpawner': {
      const template = isNode(spec['taskTemplate']) ? spec['taskTemplate'] : {};
      return [{ path: ['spec', 'taskTemplate', 'branch'], value: template['branch'] }];
    }
    default:
      return [];
  }
};

/** Template actions, for the text around them. */
const ACTIONS = /\{\{.*?\}\}/gs;

/** Findings for the git names of one Workspace, Task or TaskSpawner; none for other objects. */
export function gitNameFindings(object: Readonly<Record<string, unknown>>): Finding[] {
  if (object['apiVersion'] !== API_VERSION) return [];
  const out: Finding[] = [];
  const failsAt = object['kind'] === 'Workspace' ? 'the clone fails' : 'the checkout fails';
  for (const { path, value } of namesOf(object)) {
    if (typeof value !== 'string' || value === '') continue;
    const field = path.at(-1);
    // Only a spawner's branch is rendered; a Task's is the name as written.
    const templated = object['kind'] === 'TaskSpawner' && value.includes('{{');
    // The text around the actions is in every name the template renders.
    const name = templated ? value.replace(ACTIONS, 'x') : value;
    const problem = field === 'branch' ? branchNameProblem(name) : refNameProblem(name);
    if (problem !== undefined) {
      out.push({
        severity: 'error',
        code: 'git/ref-name',
        path: toPointer(path),
        message: `${field} ${templated ? 'template ' : ''}"${value}" is no name git takes: ${templated ? 'the text around its template actions' : 'it'} ${problem}; the API server accepts it, and ${failsAt} when the agent's Pod runs${templated ? ', whatever the item' : ''}`,
      });
      continue;
    }
    if (!templated) continue;
    const spec = isNode(object['spec']) ? object['spec'] : {};
    const shape = sourceShape(spec);
    if (!shape) continue;
    const risk = templateRisk(value, shape, sampleData(shape), (name) => refNameProblem(name) === undefined);
    if (!risk) continue;
    // A sender's field may well be safe (an id, a hash), and no rule can tell: a warning would
    // fail `--strict` for good, with nothing the user can change, so it is noted instead.
    out.push({
      severity: risk.sender ? 'info' : 'warning',
      code: 'git/ref-name',
      path: toPointer(path),
      message: `branch template ${riskWords(risk)}; every rendered branch must be a name git takes, and where it is not, that item gets no Task (the operator refuses it: a webhook delivery with 422, a polled item in an Event, tried again each poll)`,
      hint: risk.sender
        ? 'a generic webhook\'s mapped fields hold whatever the sender sends, so this is noted while the branch prints one (an info, as no rule can tell a safe field): print only a field the sender keeps to letters, digits, "-" and "/" (Alertmanager\'s $.alerts[0].fingerprint is hex, its $.groupKey is not), or leave branch unset; a delivery it renders no git name for is answered 422 and can be sent again once the template is fixed'
        : 'build branch names from values that are always safe (.Number, .ID), not from free text or a time with ":" in it',
    });
  }
  return out;
}

/** {@link gitNameFindings} for every object of a bundle, located in its file. */
export const checkGitNames = (docs: readonly LoadedDocument[]): Diagnostic[] =>
  docs.flatMap((d) => gitNameFindings(d.object).map((f) => toDiagnostic(d, f)));
