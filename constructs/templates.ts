/**
 * The constructs' eager template check: the validator's own template rule
 * (`src/validate/templates.ts`), run on the spec a construct renders, so a template that
 * cannot render fails at the line of the app that sets it.
 *
 * @packageDocumentation
 */
import { templateFindings } from '../src/validate/templates.ts';
import type { Violations } from './validation.ts';

/** Records every template error of a rendered Task or TaskSpawner spec. */
export const checkTemplates = (kind: 'Task' | 'TaskSpawner', spec: object, v: Violations): void => {
  for (const f of templateFindings({ kind, spec })) if (f.severity === 'error') v.add(f.path, f.message);
};
