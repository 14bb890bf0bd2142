/**
 * Which objects of an app a cdk8s `Include` read from a YAML file of the project, so that a
 * finding about one can point at the file the user edits instead of the `dist/` file it
 * renders to (included-yaml.ts does the pointing).
 *
 * cdk8s keeps neither the `url` of an `Include` nor, on the ApiObjects it makes, any trace of
 * where they came from. What its `Include` does keep is an order: the construct joins the tree
 * (in its `super()` call), calls `Yaml.load(url)` once, and adds one ApiObject child per object
 * returned, in the order returned. So while an app runs, the runner wraps `Yaml.load` and, at
 * each call, takes the one `Include` of the app's tree that has not loaded yet as the caller;
 * after the app, an ApiObject child of such an `Include` came from the object at its position
 * in that load, which it is checked against (kind, apiVersion, name) in case the app added or
 * removed children since. Nothing else of cdk8s is replaced, and no private member is read: the
 * alternatives were reading ApiObject's private `props` (the loaded object itself), or
 * replacing the `Include` class, which ES module bindings an app already imported do not see.
 *
 * The wrapper is installed on the cdk8s the runner uses and, when the app resolves another copy
 * of cdk8s (its own `node_modules`) that it has loaded, on that copy too; it is removed when the
 * app returns. Only reads of local files are recorded: an object of an `Include` of an http(s)
 * URL, of a `Yaml.load` the app calls itself, or of anything that does not match up points at
 * the app line that made it (object-sites.ts), with the rendered file second.
 *
 * @packageDocumentation
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative, resolve } from 'node:path';
import { ApiObject, Include, Yaml } from 'cdk8s';
import type { IConstruct } from 'constructs';
import type * as YamlLibrary from 'yaml';
import { isPlainObject } from '../validate/identity.ts';
import type { IncludedFrom } from './app-run.ts';

/** What this needs of one copy of cdk8s. */
interface Cdk8sCopy {
  readonly Yaml: { load(urlOrFile: string): unknown[] };
  readonly Include: abstract new (...args: never[]) => IConstruct;
}

/** The cdk8s copies an app may include with: ours, and the one it resolves if it loaded another. */
const cdk8sCopies = (appFile: string): Cdk8sCopy[] => {
  const copies: Cdk8sCopy[] = [{ Yaml, Include }];
  try {
    const theirs = createRequire(appFile);
    // Only a copy the app already loaded: loading one it does not use would cost a second cdk8s.
    const loaded = theirs.cache[theirs.resolve('cdk8s')]?.exports as Partial<Cdk8sCopy> | undefined;
    if (loaded?.Yaml && loaded.Include && loaded.Yaml !== Yaml) {
      copies.push({ Yaml: loaded.Yaml, Include: loaded.Include });
    }
  } catch {
    // The app's directory resolves no cdk8s: it uses ours.
  }
  return copies;
};

const requireHere = createRequire(import.meta.url);

/**
 * The `yaml` library, loaded at the first include of a local file: most apps include none, and
 * the runner would otherwise load it for every app.
 */
let yamlLibrary: typeof YamlLibrary | undefined;

/** True for the documents cdk8s's `Yaml.load` skips: no value, null, `[]` and `{}`. */
const isEmptyDocument = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && Object.keys(value).length === 0);

/**
 * The first line of each document `Yaml.load` made an object of, in its order: the text read
 * with its options, skipping the documents it skips. `undefined` when that does not yield
 * `count` documents (the file changed since cdk8s read it).
 */
export const includedDocumentLines = (text: string, count: number): number[] | undefined => {
  try {
    yamlLibrary ??= requireHere('yaml') as typeof YamlLibrary;
    const lineCounter = new yamlLibrary.LineCounter();
    const parsed = yamlLibrary.parseAllDocuments(text, { version: '1.1', lineCounter });
    const lines: number[] = [];
    for (const doc of Array.isArray(parsed) ? parsed : []) {
      if (isEmptyDocument(doc.toJSON())) continue;
      const offset = (doc.contents as { range?: readonly number[] } | null)?.range?.[0] ?? 0;
      lines.push(lineCounter.linePos(offset).line);
    }
    return lines.length === count ? lines : undefined;
  } catch {
    // cdk8s read the same text without throwing; a text that throws now has changed since.
    return undefined;
  }
};

/** One local file an `Include` loaded. */
interface Load {
  /** The file, relative to the project root. */
  readonly file: string;
  /** What `Yaml.load` returned. */
  readonly objects: readonly unknown[];
  /** First line of each object's document, when known. */
  readonly lines?: readonly number[];
}

/** The load of `url` when it names a local file (cdk8s reads a path relative to the working directory). */
const localLoad = (root: string, url: string, objects: readonly unknown[]): Load | undefined => {
  const path = resolve(url);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
  let lines: number[] | undefined;
  try {
    lines = includedDocumentLines(readFileSync(path, 'utf8'), objects.length);
  } catch {
    // Read by cdk8s a moment ago and gone now: the file is still where the object came from.
  }
  return { file: relative(root, path), objects, ...(lines && { lines }) };
};

/** Whether `loaded` is the object `object` was made of: same kind, apiVersion and name. */
const madeOf = (object: ApiObject, loaded: unknown): boolean => {
  if (!isPlainObject(loaded)) return false;
  const metadata = loaded['metadata'];
  const name = isPlainObject(metadata) ? metadata['name'] : undefined;
  return (
    loaded['kind'] === object.kind &&
    loaded['apiVersion'] === object.apiVersion &&
    (name === undefined || name === object.name)
  );
};

/** What {@link trackIncludes} found out while an app ran. */
export interface IncludeTracker {
  /** Where an `Include` read `object` from; `undefined` for an object no `Include` of a local file made. */
  originOf(object: ApiObject): IncludedFrom | undefined;
  /** Puts cdk8s's own `Yaml.load` back. */
  stop(): void;
}

/**
 * Starts recording which `Include` constructs of `tree` load which local files, until
 * {@link IncludeTracker.stop}.
 *
 * @param root Project root: recorded files are relative to it.
 * @param tree Root of the app's construct tree.
 * @param appFile Absolute path of the app module, to find the cdk8s it resolves.
 */
export const trackIncludes = (root: string, tree: IConstruct, appFile: string): IncludeTracker => {
  const copies = cdk8sCopies(appFile);
  const isInclude = (c: IConstruct): boolean => copies.some((copy) => c instanceof copy.Include);
  // Every Include seen at a load: only a newer one can be the next caller.
  const seen = new WeakSet<IConstruct>();
  const loads = new WeakMap<IConstruct, Load>();
  const restores = copies.map((copy) => {
    const load = copy.Yaml.load;
    copy.Yaml.load = (urlOrFile: string): unknown[] => {
      const callers = tree.node.findAll().filter((c) => isInclude(c) && !seen.has(c));
      for (const c of callers) seen.add(c);
      const objects = load.call(copy.Yaml, urlOrFile);
      // None: the app called Yaml.load itself; several: an Include that failed to load earlier
      // is still in the tree, and which one calls cannot be told.
      const caller = callers.length === 1 ? callers[0] : undefined;
      const local = caller && typeof urlOrFile === 'string' ? localLoad(root, urlOrFile, objects) : undefined;
      if (caller && local) loads.set(caller, local);
      return objects;
    };
    return () => {
      copy.Yaml.load = load;
    };
  });
  // Position of each ApiObject among its Include's, built once per Include.
  const positions = new WeakMap<IConstruct, Map<IConstruct, number>>();
  return {
    originOf(object) {
      const include = object.node.scope;
      const load = include && loads.get(include);
      if (!include || !load) return undefined;
      let byObject = positions.get(include);
      if (!byObject) {
        byObject = new Map(include.node.children.filter(ApiObject.isApiObject).map((c, i) => [c, i]));
        positions.set(include, byObject);
      }
      const k = byObject.get(object) ?? -1;
      if (!madeOf(object, load.objects[k])) return undefined;
      const line = load.lines?.[k];
      return { file: load.file, ...(line !== undefined && { line }) };
    },
    stop() {
      for (const restore of restores) restore();
    },
  };
};
