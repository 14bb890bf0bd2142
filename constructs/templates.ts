/**
 * The constructs' eager template check: the validator's own template rule
 * (`src/validate/templates.ts`), run on the spec a construct renders, so a template that
 * cannot render fails at the line of the app that sets it.
 *
 * @packageDocumentation
 */
import type { CheckedFindings } from '../src/validate/index.ts';
import { locatedTemplateFindings } from '../src/validate/templates.ts';
import type { Violations } from './validation.ts';

/**
 * Records every template error of a rendered Task or TaskSpawner spec in `v`, and returns
 * every finding for `throwIfInvalid` to keep with the spec's CEL findings (one snapshot of
 * the spec for both).
 */
export const checkTemplates = (
  kind: 'Task' | 'TaskSpawner',
  spec: object,
  v: Violations,
): Pick<CheckedFindings, 'templates'> => {
  const located = locatedTemplateFindings({ kind, spec });
  for (const { finding: f } of located) if (f.severity === 'error') v.add(f.path, f.message, f.hint);
  return {
    templates: located.map(({ site, offset, finding }) => ({
      site: { path: site.path, text: site.text },
      ...(offset !== undefined && { offset }),
      finding,
    })),
  };
};
