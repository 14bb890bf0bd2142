/**
 * Where in the app each Kelos object was created, so `kelos synth` can point a finding about
 * the rendered object at the TypeScript line that made it (as it already does for errors a
 * construct throws). Recorded with the constructs library's own stack-trace metadata.
 *
 * @packageDocumentation
 */
import { fileURLToPath } from 'node:url';
import type { IConstruct } from 'constructs';
import { recordPropSources } from './prop-sources.ts';

/** Metadata type of the entry whose `trace` is the creating call stack. */
export const SITE_METADATA = 'kelos:site';

const CONSTRUCTS_URL = new URL('./', import.meta.url).href;
const CONSTRUCTS_DIR = fileURLToPath(CONSTRUCTS_URL);

/**
 * Whether a frame's file (a `file:` URL for ES modules, a path for CommonJS) is ours or a
 * dependency's: never the app line that created an object. Compared as written, without
 * turning every frame's URL into a path: V8 names a module by the URL Node loaded it from,
 * which is how `import.meta.url` spells this directory too.
 */
const isLibraryFile = (file: string): boolean =>
  file.startsWith(CONSTRUCTS_URL) || file.startsWith(CONSTRUCTS_DIR) || file.includes('/node_modules/');

/**
 * The frames of the call stack below `recordSite` outside the constructs and dependencies, as
 * `file:line:column`; `undefined` when Node maps stack positions through source maps (the
 * library's own formatted trace has them mapped). Formatting every frame of every object's
 * stack as text was most of what recording sites cost; the app's frames are all a site needs.
 */
const appFrames = (): string[] | undefined => {
  if (process.sourceMapsEnabled) return undefined;
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.captureStackTrace(holder, recordSite);
    const frames: string[] = [];
    for (const site of holder.stack as NodeJS.CallSite[]) {
      const file = site.getFileName();
      if (!file || site.isEval() || site.isNative() || isLibraryFile(file)) continue;
      frames.push(`${file}:${site.getLineNumber()}:${site.getColumnNumber()}`);
    }
    return frames;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
};

/**
 * Records the call stack that is creating `construct`: its frames in the app's code. Once: the
 * synth runner records every ApiObject's site while cdk8s constructs it (see
 * src/compiler/object-sites.ts), before a Kelos construct's own call after `super()`. A pattern's
 * object also records which of the pattern's props its fields come from (see prop-sources.ts).
 */
export const recordSite = (construct: IConstruct): void => {
  recordPropSources(construct);
  if (construct.node.metadata.some((m) => m.type === SITE_METADATA)) return;
  const frames = appFrames();
  construct.node.addMetadata(
    SITE_METADATA,
    true,
    frames && frames.length > 0 ? { stackTraceOverride: frames } : { stackTrace: true },
  );
};
