/**
 * The policy step of `kelos synth`: runs the built-in rules over every rendered object, with
 * the project's policy configuration, so synth writes nothing when a policy error is found.
 *
 * @packageDocumentation
 */

import { policyFileModelNames } from '../../policies/hygiene-model-name.ts';
import { BUILTIN_RULES } from '../../policies/index.ts';
import { groupBy } from '../../policies/lib/group.ts';
import type { PolicyConfig } from '../policy/config.ts';
import { type PolicyDocument, type PolicyReport, runPolicies } from '../policy/engine.ts';
import { loadPolicyConfig } from '../policy/load-config.ts';
import { type Diagnostic, sortDiagnostics } from '../validate/diagnostic.ts';
import type { LoadedDocument } from '../validate/load.ts';
import type { SynthObject } from './render.ts';

/** A rendered object as synth holds it: its app, the object, its output file and its construct path. */
export interface RenderedObject {
  /** App it belongs to; each app is checked as its own bundle, as it is deployed, beside the others. */
  readonly app?: string;
  readonly object: Record<string, unknown>;
  readonly file: string;
  readonly constructPath?: string;
}

/**
 * Where each field of a rendered object is in its output file (synth's `renderedDocument`, which
 * the caller passes: this module is on the one-file check's start-up path, synth's is not).
 */
export type RenderedPlaces = (o: RenderedObject) => Pick<LoadedDocument, 'line' | 'locate'> | undefined;

/**
 * Rendered objects as policy documents; findings point at the field in the output file, and the
 * construct. The places are worked out only for an object a rule reports on.
 */
export const documentsFromRendered = (
  objects: readonly RenderedObject[],
  placesOf?: RenderedPlaces,
): PolicyDocument[] =>
  objects.map((o) => {
    let places: ReturnType<RenderedPlaces> | null = null;
    const placed = () => {
      places ??= placesOf?.(o);
      return places;
    };
    return {
      object: o.object,
      file: o.file,
      get line() {
        return placed()?.line ?? 1;
      },
      locate: (pointer: string) => placed()?.locate(pointer),
      ...(o.constructPath !== undefined ? { constructPath: o.constructPath } : {}),
    };
  });

/**
 * Checks rendered objects one app at a time (each app is deployed on its own, beside the
 * others) and merges the reports: what `kelos check` does with no paths.
 */
export function checkRendered(
  objects: readonly RenderedObject[],
  config: PolicyConfig,
  placesOf?: RenderedPlaces,
): PolicyReport {
  const apps = groupBy(objects, (o) => o.app ?? '');
  const reports = [...apps.entries()].map(([name, app]) =>
    runPolicies(documentsFromRendered(app, placesOf), {
      config,
      rules: BUILTIN_RULES,
      alongside: objects.filter((o) => (o.app ?? '') !== name).map((o) => o.object),
    }),
  );
  return {
    diagnostics: sortDiagnostics([...reports.flatMap((r) => r.diagnostics), ...policyFileModelNames(config)]),
    suppressions: reports.flatMap((r) => r.suppressions),
    rules: reports[0]?.rules ?? runPolicies([], { config, rules: BUILTIN_RULES }).rules,
    objects: objects.length,
  };
}

/**
 * Loads the policy config of `root` and checks the rendered objects, one app at a time. With
 * `synth: report` in the config, errors are reported as warnings, so they do not stop synth.
 *
 * @throws PolicyConfigError when the project's policy config is invalid.
 */
export async function synthPolicyDiagnostics(
  root: string,
  objects: readonly RenderedObject[],
): Promise<Diagnostic[]> {
  const config = await loadPolicyConfig(
    root,
    BUILTIN_RULES.map((r) => r.id),
  );
  const { renderedDocument } = await import('./synth.ts');
  const placesOf: RenderedPlaces = (o) => renderedDocument(o as SynthObject);
  return checkRendered(objects, config, placesOf).diagnostics.map((d) =>
    config.synth === 'report' && d.severity === 'error'
      ? {
          ...d,
          severity: 'warning',
          message: `${d.message} (reported, not enforced: synth: report in the policy config)`,
        }
      : d,
  );
}
