/**
 * Where in the app each Kelos object was created, so `kelos synth` can point a finding about
 * the rendered object at the TypeScript line that made it (as it already does for errors a
 * construct throws). Recorded with the constructs library's own stack-trace metadata.
 *
 * @packageDocumentation
 */
import type { IConstruct } from 'constructs';

/** Metadata type of the entry whose `trace` is the creating call stack. */
export const SITE_METADATA = 'kelos:site';

/** Records the call stack that is creating `construct`. */
export const recordSite = (construct: IConstruct): void => {
  construct.node.addMetadata(SITE_METADATA, true, { stackTrace: true });
};
