/**
 * Which prop of a pattern each field of the objects it renders comes from, so `kelos synth` can
 * point a finding on such a field at the prop's key in the app (`model: 'opus'`), as it does for
 * an L1 construct, whose props are the spec's fields. A pattern's props have other names and
 * places than the fields they land in (`model` at `spec.taskTemplate.worker.model`), so each
 * pattern says where its props land, next to the code that puts them there.
 *
 * @packageDocumentation
 */
import type { IConstruct } from 'constructs';
import { escapePointer } from '../src/validate/diagnostic.ts';

/** Metadata type of the entry whose `data` is the object's {@link PropSource}s. */
export const PROP_SOURCES_METADATA = 'kelos:prop-sources';

/** A field of a rendered object and the pattern prop it comes from. */
export interface PropSource {
  /** JSON pointer of the field in the rendered object, e.g. `/spec/taskTemplate/worker/model`. */
  readonly field: string;
  /** JSON pointer of the prop in the pattern's props, e.g. `/model`. */
  readonly prop: string;
  /**
   * Whether the field holds the prop's value as written, so a field below it comes from the
   * same place below the prop (`credentials/secretRef/name`); otherwise a finding below the
   * field is about the prop as a whole (a Workspace construct rendered as `workspaceRef`).
   */
  readonly copied?: boolean;
}

/** The pointer of `prop` joined to a pointer below it. */
export const propPointer = (...segments: ReadonlyArray<string | number>): string =>
  segments.map((s) => `/${escapePointer(s)}`).join('');

/**
 * Where `pointer` (into a rendered object) was written among the props of the pattern call that
 * made it: the prop of the longest {@link PropSource} field at or above it; `''` (the call
 * itself) when no prop is its source (a default the pattern applied, a field it computed).
 */
export const propOf = (sources: readonly PropSource[], pointer: string): string => {
  let best: PropSource | undefined;
  for (const s of sources) {
    const at = pointer === s.field || pointer.startsWith(`${s.field}/`);
    if (at && (best === undefined || s.field.length > best.field.length)) best = s;
  }
  if (!best) return '';
  return best.copied ? `${best.prop}${pointer.slice(best.field.length)}` : best.prop;
};

// The outermost pattern under construction: its props are the ones written at the app's call,
// which is where every object it makes (through the patterns it uses, too) is sited.
let outermost: readonly PropSource[] | undefined;

/**
 * Runs `build` (which makes the L1 objects of a pattern) with `sources` as where their fields
 * come from, unless a pattern around this one already said: its props are the ones the app wrote.
 */
export const fromProps = <T>(sources: readonly PropSource[], build: () => T): T => {
  if (outermost !== undefined) return build();
  outermost = sources;
  try {
    return build();
  } finally {
    outermost = undefined;
  }
};

/** The {@link PropSource}s of the pattern being built, if one is. */
export const currentPropSources = (): readonly PropSource[] | undefined => outermost;

/** Records on `construct` where its fields come from, when a pattern is making it. */
export const recordPropSources = (construct: IConstruct): void => {
  if (outermost === undefined || construct.node.metadata.some((m) => m.type === PROP_SOURCES_METADATA))
    return;
  construct.node.addMetadata(PROP_SOURCES_METADATA, outermost);
};
