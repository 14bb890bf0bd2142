/**
 * A KelosConfig is cluster-scoped and the operator reads one of them, by name
 * ({@link KELOS_CONFIG_NAME}). The CRD takes any name, so `kelos-config` applies cleanly and
 * configures nothing: the pod security floor, network isolation and outbound policy stay as with
 * no KelosConfig at all, and a ServiceAccount it lists is still refused. Said where the object is
 * written, before anyone wonders why the cluster ignores it.
 *
 * @packageDocumentation
 */
import { API_VERSION, KELOS_CONFIG_NAME } from '../api/group.ts';
import type { Diagnostic } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import { isNode } from './object-schema.ts';

/** A warning for each KelosConfig of `docs` whose name is not the one the operator reads. */
export const checkKelosConfigNames = (docs: readonly LoadedDocument[]): Diagnostic[] =>
  docs.flatMap((doc) => {
    const { object } = doc;
    if (object['apiVersion'] !== API_VERSION || object['kind'] !== 'KelosConfig') return [];
    const metadata = object['metadata'];
    const name = isNode(metadata) ? metadata['name'] : undefined;
    if (typeof name !== 'string' || name === '' || name === KELOS_CONFIG_NAME) return [];
    return [
      toDiagnostic(doc, {
        severity: 'warning',
        code: 'config/name',
        path: '/metadata/name',
        message: `KelosConfig "${name}" is read by nothing: the operator reads only the KelosConfig named "${KELOS_CONFIG_NAME}", so its pod security floor, network isolation and outbound policy stay as with no KelosConfig`,
        hint: `name it ${KELOS_CONFIG_NAME} (metadata.name: ${KELOS_CONFIG_NAME})`,
      }),
    ];
  });
