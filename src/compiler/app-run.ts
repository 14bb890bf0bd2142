/**
 * What running one app produces, whichever way it ran: the objects it rendered (with the
 * construct path each came from) and the failures that stopped it. This crosses the
 * process boundary between `kelos synth` and its app runner as JSON.
 *
 * @packageDocumentation
 */
import type { PropSource } from '../../constructs/prop-sources.ts';
import type { CheckedFindings } from '../validate/index.ts';

/** One object an app rendered. */
export interface AppObject {
  /** The object as cdk8s renders it. */
  readonly object: Record<string, unknown>;
  /** Path of the construct in the app's tree, e.g. `simple-task/fix-bugs`. */
  readonly constructPath?: string;
  /** The line of the app that created it, when a Kelos construct recorded it. */
  readonly site?: SourceSite;
  /**
   * Which prop of the pattern called at `site` each field comes from, when a pattern made it:
   * a finding on a field points at that prop's key, not at a key named as the field.
   */
  readonly propSources?: readonly PropSource[];
  /** The YAML file a cdk8s `Include` read it from, when it read a file of the project. */
  readonly included?: IncludedFrom;
  /**
   * What the construct that made it already checked on its spec (CEL rules, templates), when
   * the rendered spec is the one checked: the validator takes these findings as they are.
   */
  readonly checked?: CheckedFindings;
  /**
   * Its construct refused its props (a `construct/invalid` failure of the run): it is in the
   * bundle so that references to it resolve, but its findings are the refusal's.
   */
  readonly refused?: true;
}

/** A place in the app's source code (1-based). */
export interface SourceSite {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** Where a cdk8s `Include` read an object from (see include-origin.ts). */
export interface IncludedFrom {
  /** The file, relative to the project root. */
  readonly file: string;
  /**
   * First line (1-based) of the object's document in the file; absent when the file no longer
   * reads as the documents the `Include` made objects of.
   */
  readonly line?: number;
}

/** Why an app, or one construct in it, failed. */
export interface AppFailure {
  /**
   * `construct/invalid` for a construct's eager validation (a violation in the app's input);
   * `construct/validation` for a cdk8s `node.addValidation` error;
   * `synth/app-failed` when the app could not load or crashed.
   */
  readonly code: 'construct/invalid' | 'construct/validation' | 'synth/app-failed';
  readonly message: string;
  /** The object the failure is about, when a construct said. */
  readonly resource?: { readonly kind: string; readonly namespace?: string; readonly name: string };
  /** JSON pointer into that object. */
  readonly path?: string;
  /**
   * JSON pointer of the prop it is about among the props of the pattern called at `site`
   * (`''`: the call as a whole), when a pattern made the object; `path` names a prop otherwise.
   */
  readonly prop?: string;
  /** How to fix it, when the check that found it says. */
  readonly hint?: string;
  /** Where in the app's code it happened. */
  readonly site?: SourceSite;
  readonly constructPath?: string;
}

/** The result of running one app. */
export interface AppRun {
  /** App name: its output directory under the configured outdir. */
  readonly name: string;
  /** Where the app came from: its module path, or `cdk8s.yaml app` for the cdk8s app's charts. */
  readonly source: string;
  readonly objects: readonly AppObject[];
  readonly failures: readonly AppFailure[];
  /** Milliseconds the app took to build and render. */
  readonly millis: number;
}

/** The `apiVersion` and `kind` of an object. */
export interface ObjectKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** A module app to run: its name and its path relative to the project root. */
export interface ModuleApp {
  readonly name: string;
  readonly file: string;
}

/** The code of an app that could not run (threw, timed out, exited): a runtime error, exit 1. */
export const APP_FAILED = 'synth/app-failed';

/** Whether an app failed to run; synth, check and validate then exit 1, not 2. */
export const appFailed = (diagnostics: ReadonlyArray<{ readonly code: string }>): boolean =>
  diagnostics.some((d) => d.code === APP_FAILED);

/**
 * Whether the objects an app rendered stand beside its `failures`: only when every one is a
 * construct's refusal of its props (`construct/invalid`). The app then ran to its end and its
 * other constructs' objects are validated in the same run, so a user sees every mistake at
 * once, not one a run; nothing is written while any error exists. After a crash or a timeout,
 * what was rendered is not what the app makes.
 */
export const keepsObjects = (failures: readonly Pick<AppFailure, 'code'>[]): boolean =>
  failures.every((f) => f.code === 'construct/invalid');
