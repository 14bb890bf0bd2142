/**
 * How Argo CD objects name the directories they sync, read offline: an Application's
 * `spec.source.path` and `spec.sources[].path` (below it too when its directory source
 * recurses), an ApplicationSet's git directory patterns (Go's `path.Match`, with the generators a
 * matrix or merge combines) and where each deploys. The pure reading `kelos synth`, `kelos check`
 * and `kelos validate` share; what each reports of it is theirs. Paths are relative to the git
 * repository, so a directory is named as an Argo CD path names it by {@link repositoryPath}.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from './diagnostic.ts';
import { isPlainObject as isRecord } from './identity.ts';
import type { SourcePosition } from './load.ts';

/** The API group prefix of Argo CD's objects (`argoproj.io/v1alpha1`). */
export const ARGO_GROUP = 'argoproj.io/';

type Json = Record<string, unknown>;

/** What the Argo CD readers take of an object: the object, the file it is in and, from an app, its construct path. */
export interface ObjectInFile {
  readonly object: Record<string, unknown>;
  readonly file: string;
  readonly constructPath?: string;
}

/** Whether an Argo CD source reads its directory recursively (`directory.recurse`). */
const recursive = (source: Json): boolean =>
  isRecord(source['directory']) && source['directory']['recurse'] === true;

/**
 * The file globs of an Argo CD directory source (`directory.include`, `directory.exclude`), when
 * it sets one: see {@link syncsFile}.
 */
const fileGlobsOf = (source: Json): { files?: FileGlobs } => {
  const directory = isRecord(source['directory']) ? source['directory'] : {};
  const glob = (key: string) =>
    typeof directory[key] === 'string' && directory[key] !== '' ? { [key]: directory[key] } : {};
  const files: FileGlobs = { ...glob('include'), ...glob('exclude') };
  return Object.keys(files).length > 0 ? { files } : {};
};

/** The repository an Argo CD source or git generator reads (`repoURL`), when it names one. */
const repoUrlOf = (source: Json): { repoURL?: string } =>
  typeof source['repoURL'] === 'string' && source['repoURL'] !== '' ? { repoURL: source['repoURL'] } : {};

/**
 * Where an Application (or an ApplicationSet's template) deploys: `spec.destination.namespace`,
 * the namespace of the objects that set none, and whether `CreateNamespace=true` makes Argo CD
 * create it (that one namespace only, never those the objects name themselves).
 */
interface Destination {
  readonly namespace?: string;
  readonly createNamespace: boolean;
}

const destinationOf = (spec: Json): Destination => {
  const destination = isRecord(spec['destination']) ? spec['destination'] : {};
  const syncPolicy = isRecord(spec['syncPolicy']) ? spec['syncPolicy'] : {};
  const options = Array.isArray(syncPolicy['syncOptions']) ? syncPolicy['syncOptions'] : [];
  return {
    ...(typeof destination['namespace'] === 'string' &&
      destination['namespace'] !== '' && { namespace: destination['namespace'] }),
    createNamespace: options.includes('CreateNamespace=true'),
  };
};

/** One path an Argo CD object syncs from; see {@link pathsOf}. */
export interface SyncedPath {
  pointer: string;
  /** An Application's directory; an ApplicationSet's git directory pattern. */
  path: string;
  apps: boolean;
  /** The directory a `<dir>/*` pattern generates an Application per subdirectory of. */
  parent?: string;
  repoURL?: string;
  recurse?: boolean;
  excludes?: readonly string[];
  /** The files of its directories it reads: its directory source's `include` and `exclude`. */
  files?: FileGlobs;
  /** How an ApplicationSet's template names its git generator's path parameters. */
  parameters?: PathParameters;
  destination: Destination;
}

/** A directory source's `directory.include` and `directory.exclude` globs. */
export interface FileGlobs {
  readonly include?: string;
  readonly exclude?: string;
}

/**
 * How the template of an ApplicationSet names the path parameters of a git directory generator:
 * Go templates (`goTemplate: true`: `{{.path.path}}`, `{{.path.basename}}`) or fasttemplate
 * (`{{path}}`, `{{path.basename}}`), each after the generator's `pathParamPrefix`. Argo CD
 * reads only its own form: a Go template naming `{{path.basename}}` fails to render, and
 * fasttemplate leaves `{{.path.basename}}` as written.
 */
export interface PathParameters {
  readonly goTemplate: boolean;
  /** `pathParamPrefix` and a dot (`app.`), or `''`. */
  readonly prefix: string;
}

/** The path parameters of git generator `git` of ApplicationSet `object`. */
const pathParametersOf = (object: Json, git: Json): PathParameters => ({
  goTemplate: isRecord(object['spec']) && object['spec']['goTemplate'] === true,
  prefix:
    typeof git['pathParamPrefix'] === 'string' && git['pathParamPrefix'] !== ''
      ? `${git['pathParamPrefix']}.`
      : '',
});

/**
 * The name a template gives path parameter `field` (`path`, `basename`, `basenameNormalized`):
 * `.path.basename` in a Go template, `path.basename` in fasttemplate; the path itself is
 * `.path.path` and `path`.
 */
const parameterName = ({ goTemplate, prefix }: PathParameters, field: string): string =>
  goTemplate ? `.${prefix}path.${field}` : field === 'path' ? `${prefix}path` : `${prefix}path.${field}`;

/** The generated directory as the template of ApplicationSet `object` names it (`{{.path.path}}`). */
const ownPath = (object: Json, git: Json): string =>
  `{{${parameterName(pathParametersOf(object, git), 'path')}}}`;

/**
 * The one parameter a template string consists of (`{{ .path.path }}`: `.path.path`; both
 * languages allow spaces inside the braces), else undefined.
 */
const soleParameter = (text: string): string | undefined => /^\{\{\s*(.*?)\s*\}\}$/.exec(text)?.[1];

/**
 * The paths an Argo CD object syncs from, each with its JSON pointer, the repository it is a
 * path of and where it deploys; an ApplicationSet's git directory patterns with those its
 * generator excludes (`exclude: true`). `recurse`: an Application's directory source, or the
 * source of an ApplicationSet's template that reads the generated directory, that reads the
 * subdirectories too.
 */
export const pathsOf = (object: Json): SyncedPath[] => [
  ...syncPathsOf(object).map((p) => ({ ...p, destination: destinationOf(specOf(object)) })),
  ...listPathsOf(object),
];

/** An Application's spec, or an ApplicationSet's Application template's. */
const specOf = (object: Json): Json => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] !== 'ApplicationSet') return spec;
  const template = isRecord(spec['template']) ? spec['template'] : {};
  return isRecord(template['spec']) ? template['spec'] : {};
};

const syncPathsOf = (object: Json): Array<Omit<SyncedPath, 'destination'>> => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] === 'Application') {
    const sources = Array.isArray(spec['sources']) ? spec['sources'] : [];
    return [
      ...(isRecord(spec['source']) && typeof spec['source']['path'] === 'string'
        ? [
            {
              pointer: '/spec/source/path',
              path: spec['source']['path'],
              apps: false,
              ...repoUrlOf(spec['source']),
              recurse: recursive(spec['source']),
              ...fileGlobsOf(spec['source']),
            },
          ]
        : []),
      ...sources.flatMap((s, i) =>
        isRecord(s) && typeof s['path'] === 'string'
          ? [
              {
                pointer: `/spec/sources/${i}/path`,
                path: s['path'],
                apps: false,
                ...repoUrlOf(s),
                recurse: recursive(s),
                ...fileGlobsOf(s),
              },
            ]
          : [],
      ),
    ];
  }
  return gitDirectoriesOf(object).flatMap((g) => {
    if (g.unevaluated.length > 0 || g.elsewhere !== undefined) return [];
    const source = templateSource(object, g.git) ?? {};
    return g.includes.map((d) => ({
      pointer: d.pointer,
      path: d.path,
      apps: true,
      ...(d.path.endsWith('/*') && { parent: d.path.slice(0, -2) }),
      ...repoUrlOf(g.git),
      recurse: recursive(source),
      ...fileGlobsOf(source),
      excludes: g.excludes,
      parameters: pathParametersOf(object, g.git),
    }));
  });
};

/**
 * The source of the Application template of an ApplicationSet that reads each directory git
 * generator `git` generates: the one (`source`, or one of `sources[]`) whose `path` is the
 * generator's path parameter as the template language writes it (`{{.path.path}}` with
 * `goTemplate: true`, else `{{path}}`; after `pathParamPrefix`, `{{.p.path.path}}`, `{{p.path}}`).
 * Its `directory` settings (`recurse`, `include`, `exclude`) are those of each generated
 * directory; another source's (a shared `base/` beside it) are not.
 */
const templateSource = (object: Json, git: Json): Json | undefined => {
  const spec = specOf(object);
  const parameter = parameterName(pathParametersOf(object, git), 'path');
  const sources = [spec['source'], ...(Array.isArray(spec['sources']) ? spec['sources'] : [])];
  return sources.find(
    (s): s is Json => isRecord(s) && typeof s['path'] === 'string' && soleParameter(s['path']) === parameter,
  );
};

/**
 * The git generators of an ApplicationSet that generate Applications, with their JSON pointers:
 * those in `spec.generators`, every one a matrix combines, and the first of a merge (the others
 * only add parameters to what it generates), nested in one another too.
 */
const gitGeneratorsOf = (generators: unknown, at: string): Array<{ pointer: string; git: Json }> =>
  Array.isArray(generators)
    ? generators.flatMap((g, i) => {
        if (!isRecord(g)) return [];
        const pointer = `${at}/${i}`;
        if (isRecord(g['git'])) return [{ pointer: `${pointer}/git`, git: g['git'] }];
        if (isRecord(g['matrix']))
          return gitGeneratorsOf(g['matrix']['generators'], `${pointer}/matrix/generators`);
        if (isRecord(g['merge']) && Array.isArray(g['merge']['generators']))
          return gitGeneratorsOf(g['merge']['generators'].slice(0, 1), `${pointer}/merge/generators`);
        return [];
      })
    : [];

/** An element of a list generator of an ApplicationSet, with its JSON pointer. */
interface ListElement {
  readonly pointer: string;
  readonly element: Json;
}

/**
 * The elements of the list generators in an ApplicationSet's `spec.generators` (not those a
 * matrix or merge combines with others, whose parameters only add to a git generator's), each
 * an Application of the template; `refused`: an element fasttemplate cannot read, with which
 * Argo CD makes no Application of the generator at all.
 */
const listGeneratorsOf = (
  object: Json,
): Array<{ pointer: string; elements: ListElement[]; refused?: { pointer: string; key: string } }> => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] !== 'ApplicationSet' || !Array.isArray(spec['generators'])) return [];
  const goTemplate = spec['goTemplate'] === true;
  return spec['generators'].flatMap((g, i) => {
    if (!isRecord(g) || !isRecord(g['list']) || !Array.isArray(g['list']['elements'])) return [];
    const pointer = `/spec/generators/${i}/list`;
    const elements = g['list']['elements'].flatMap((e, ei): ListElement[] =>
      isRecord(e) ? [{ pointer: `${pointer}/elements/${ei}`, element: e }] : [],
    );
    const refused = goTemplate ? undefined : elements.flatMap(unreadByFasttemplate)[0];
    return [{ pointer, elements, ...(refused && { refused }) }];
  });
};

/** The keys of a list element that fasttemplate refuses: a value, or one under `values`, that is no string. */
const unreadByFasttemplate = ({ pointer, element }: ListElement): Array<{ pointer: string; key: string }> =>
  Object.entries(element).flatMap(([key, value]) =>
    key === 'values' && isRecord(value)
      ? Object.entries(value)
          .filter(([, v]) => typeof v !== 'string')
          .map(([k]) => ({ pointer: `${pointer}/values/${k}`, key: `values.${k}` }))
      : typeof value === 'string'
        ? []
        : [{ pointer: `${pointer}/${key}`, key }],
  );

/**
 * The keys a tag's inside names in a list element (`env`, `values.a`; a Go template's `.a.b`),
 * or undefined for a tag that is no plain name (a function, a pipeline).
 */
const tagName = (inner: string, goTemplate: boolean): string[] | undefined => {
  const name = goTemplate ? /^\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$/.exec(inner)?.[1] : inner;
  if (name === undefined) return undefined;
  return goTemplate || name.startsWith('values.') ? name.split('.') : [name];
};

const TAG = /\{\{\s*(.*?)\s*\}\}/g;

/** The value of list element `element` at `keys`, nested maps followed. */
const valueAt = (element: Json, keys: readonly string[]): unknown => {
  let value: unknown = element;
  for (const key of keys) value = isRecord(value) ? value[key] : undefined;
  return value;
};

/**
 * `text` with the parameters of list element `element` as the ApplicationSet's template language
 * reads them: `{{.env}}` and `{{.a.b}}` (nested maps) in a Go template, `{{env}}` and
 * `{{values.a}}` in fasttemplate, spaces inside the braces allowed in both. A tag it cannot
 * resolve (a function, `{{ .env | upper }}`; a key the element lacks) is left as written.
 */
const renderElement = (text: string, element: Json, goTemplate: boolean): string =>
  text.replace(TAG, (tag, inner: string) => {
    const keys = tagName(inner, goTemplate);
    if (keys === undefined) return tag;
    const value = valueAt(element, keys);
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : tag;
  });

/** The parameters `text` names as plain tags that list element `element` lacks (`app.dir`). */
const missingParameters = (text: string, element: Json, goTemplate: boolean): string[] =>
  [...text.matchAll(TAG)].flatMap(([, inner]) => {
    const keys = tagName(inner ?? '', goTemplate);
    return keys !== undefined && (valueAt(element, keys) ?? null) === null ? [keys.join('.')] : [];
  });

/**
 * The source paths of the Applications an ApplicationSet's list generators make, one per element
 * and source of the template, rendered with the element's parameters (`path`; one that keeps a
 * `{{` could not be told offline), but those of a generator Argo CD refuses.
 */
const listSourcesOf = (object: Json) => {
  const goTemplate = isRecord(object['spec']) && object['spec']['goTemplate'] === true;
  return listGeneratorsOf(object).flatMap((g) =>
    g.refused
      ? []
      : g.elements.flatMap(({ pointer: elementPointer, element }) =>
          sourcesOf(object).flatMap(({ pointer, source }) =>
            isRecord(source) && typeof source['path'] === 'string'
              ? [
                  {
                    pointer: `${pointer}/path`,
                    template: source['path'],
                    path: renderElement(source['path'], element, goTemplate),
                    missing: missingParameters(source['path'], element, goTemplate),
                    source,
                    elementPointer,
                    render: (text: string) => renderElement(text, element, goTemplate),
                  },
                ]
              : [],
          ),
        ),
  );
};

/**
 * The paths the Applications of an ApplicationSet's list generators sync, each read as an
 * Application's: its path, repository and destination namespace with the element's parameters;
 * left out are those whose path keeps a parameter that cannot be told offline (see
 * {@link argocdUnevaluatedPathDiagnostics}).
 */
const listPathsOf = (object: Json): SyncedPath[] => {
  const destination = destinationOf(specOf(object));
  return listSourcesOf(object)
    .filter((l) => !l.path.includes('{{'))
    .map(({ pointer, path, source, render }) => {
      const repoURL = repoUrlOf(source).repoURL;
      return {
        pointer,
        path,
        apps: false,
        ...(repoURL !== undefined && { repoURL: render(repoURL) }),
        recurse: recursive(source),
        ...fileGlobsOf(source),
        // One that keeps a parameter is told apart by its readers, as an Application's.
        destination: {
          ...(destination.namespace !== undefined && { namespace: render(destination.namespace) }),
          createNamespace: destination.createNamespace,
        },
      };
    });
};

/** Generators read offline, at the top of `spec.generators` (a matrix or merge counts as its git generators). */
const READ_GENERATORS = new Set(['git', 'list', 'matrix', 'merge']);

/**
 * The generators in an ApplicationSet's `spec.generators` that make Applications whose paths
 * and namespaces cannot be read offline (`clusters`, `scmProvider`, `pullRequest`, `plugin`,
 * `clusterDecisionResource`, …; a list of `elementsYaml`), each named for the message.
 */
const otherGeneratorsOf = (object: Json): Array<{ pointer: string; what: string }> => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] !== 'ApplicationSet' || !Array.isArray(spec['generators'])) return [];
  return spec['generators'].flatMap((g, i) => {
    if (!isRecord(g)) return [];
    // Elements rendered from another generator's parameters: known only once Argo CD renders them.
    if (isRecord(g['list']) && !Array.isArray(g['list']['elements']))
      return [{ pointer: `/spec/generators/${i}/list`, what: 'a list generator of elementsYaml' }];
    const kind = Object.keys(g).find((k) => !READ_GENERATORS.has(k) && k !== 'selector');
    return kind === undefined
      ? []
      : [{ pointer: `/spec/generators/${i}/${kind}`, what: `a ${kind} generator` }];
  });
};

/** A git directory entry of an ApplicationSet: its pattern and where it is. */
interface GitDirectory {
  readonly pointer: string;
  readonly path: string;
  readonly exclude: boolean;
}

/**
 * The git directory generators of an ApplicationSet: each one's patterns that include, those it
 * excludes, and those that take a parameter of another generator (`{{.path.path}}/*` in a
 * matrix), whose directories cannot be told offline; with one of those, neither can the
 * generator's.
 */
const gitDirectoriesOf = (object: Json) => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] !== 'ApplicationSet') return [];
  return gitGeneratorsOf(spec['generators'], '/spec/generators').flatMap(({ pointer, git }) => {
    if (!Array.isArray(git['directories'])) return [];
    const entries = git['directories'].flatMap((d, di): GitDirectory[] =>
      isRecord(d) && typeof d['path'] === 'string'
        ? [{ pointer: `${pointer}/directories/${di}/path`, path: d['path'], exclude: d['exclude'] === true }]
        : [],
    );
    const unevaluated = entries.filter((d) => d.path.includes('{{'));
    return [
      {
        git,
        includes: entries.filter((d) => !d.exclude),
        excludes: entries.filter((d) => d.exclude).map((d) => d.path),
        unevaluated,
        // Told only when the directories are: the info names one reason at a time.
        elsewhere: unevaluated.length > 0 ? undefined : templatePathElsewhere(object, git),
      },
    ];
  });
};

/**
 * The path the Application template of an ApplicationSet syncs when it names paths and none is
 * the directory git generator `git` generates (see {@link templateSource}): a directory below it
 * (`{{.path.path}}/overlays/prod`), one of its parameters (`apps/{{.path.basename}}`), a fixed
 * one, or the parameter in the other template language (`{{path}}` in a Go template, which
 * Argo CD fails to render; `{{.path.path}}` in fasttemplate, which it leaves as written). What
 * it syncs is then not the generated directory, so that is not read as an app's; `undefined`
 * when the template syncs the generated directory, or names no path.
 */
const templatePathElsewhere = (object: Json, git: Json): { pointer: string; path: string } | undefined => {
  if (templateSource(object, git) !== undefined) return undefined;
  const spec = specOf(object);
  const sources = Array.isArray(spec['sources']) ? spec['sources'] : [];
  const named = [
    { pointer: '/spec/template/spec/source/path', source: spec['source'] },
    ...sources.map((source, i) => ({ pointer: `/spec/template/spec/sources/${i}/path`, source })),
  ].flatMap(({ pointer, source }) =>
    isRecord(source) && typeof source['path'] === 'string' ? [{ pointer, path: source['path'] }] : [],
  );
  return named[0];
};
/** The directories above `dir` (`a/b/c`: `a/b`, `a`), nearest first. */
const ancestors = (dir: string): string[] => {
  const out: string[] = [];
  for (let d = posix.dirname(dir); d !== '.' && d !== '/' && !out.includes(d); d = posix.dirname(d))
    out.push(d);
  return out;
};

/**
 * Whether repository path `path` names project directory `dir` itself: `dir` is relative to the
 * project, which the repository may hold in a subdirectory, so `path` may end with it; `exact`
 * when `dir` is relative to the repository root already. Cleaned as Argo CD joins it to the
 * repository root (`./` and `''` are the root, `a/./b/` is `a/b`); an absolute path or one that
 * leaves the repository names nothing, since Argo CD refuses it (`app path is absolute`,
 * `app path outside root`) and syncs nothing.
 */
const names = (path: string, dir: string, exact = false): boolean => {
  if (posix.isAbsolute(path)) return false;
  // normalize keeps a trailing slash it is given: `./` becomes `./`, then `.`.
  const p = path === '' ? '.' : posix.normalize(`${path}/`).slice(0, -1);
  if (p === '..' || p.startsWith('../')) return false;
  return p === dir || (!exact && p.endsWith(`/${dir}`));
};

/** One element of a Go `path.Match` pattern: `*`, `?`, a character, or a class (`[a-z]`, `[^x]`). */
type GlobToken =
  | '*'
  | '?'
  | { readonly char: string }
  | { readonly negated: boolean; readonly ranges: ReadonlyArray<readonly [number, number]> };

/**
 * A segment of a Go `path.Match` pattern (no `/`) as its elements; `undefined` for one Go
 * refuses (`ErrBadPattern`: `[a`, `[]`, an unescaped `-` or `]` in a class, a trailing `\`).
 * Written here rather than taken from picomatch or minimatch: those read patterns as a shell
 * does (`**` across directories, braces, `[!x]`), which Argo CD's `path.Match` does not.
 */
const globTokens = (segment: string): GlobToken[] | undefined => {
  const chars = [...segment];
  const out: GlobToken[] = [];
  let i = 0;
  // One character of a class, `\`-escaped or not: Go's getEsc.
  const classChar = (): number | undefined => {
    let c = chars[i];
    if (c === undefined || c === '-' || c === ']') return undefined;
    if (c === '\\') c = chars[++i];
    i++;
    return c?.codePointAt(0);
  };
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '*' || c === '?') {
      out.push(c);
      i++;
    } else if (c === '\\') {
      const escaped = chars[i + 1];
      if (escaped === undefined) return undefined;
      out.push({ char: escaped });
      i += 2;
    } else if (c !== '[') {
      out.push({ char: c });
      i++;
    } else {
      i++;
      const negated = chars[i] === '^';
      if (negated) i++;
      const ranges: Array<readonly [number, number]> = [];
      while (!(chars[i] === ']' && ranges.length > 0)) {
        const lo = classChar();
        if (lo === undefined) return undefined;
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          const to = classChar();
          if (to === undefined) return undefined;
          hi = to;
        }
        // Go reads `[z-a]` and matches nothing with it.
        ranges.push([lo, hi]);
      }
      i++;
      out.push({ negated, ranges });
    }
  }
  return out;
};

/** Whether `name` (one path segment) matches the elements of a Go `path.Match` pattern. */
const globMatches = (tokens: readonly GlobToken[], name: string): boolean => {
  const chars = [...name];
  const one = (t: Exclude<GlobToken, '*'>, c: string): boolean => {
    if (t === '?') return true;
    if ('char' in t) return t.char === c;
    const code = c.codePointAt(0)!;
    return t.ranges.some(([lo, hi]) => lo <= code && code <= hi) !== t.negated;
  };
  // reach[j]: the elements so far match the first j characters of the name.
  let reach = chars.map(() => false).concat(false);
  reach[0] = true;
  for (const t of tokens) {
    const next = reach.map(() => false);
    const from = reach.indexOf(true);
    if (from === -1) return false;
    if (t === '*') next.fill(true, from);
    else for (let j = from; j < chars.length; j++) if (reach[j] && one(t, chars[j]!)) next[j + 1] = true;
    reach = next;
  }
  return reach[chars.length] === true;
};

/**
 * Whether Argo CD's directory pattern `pattern` (a repository path, which Argo CD matches with
 * Go's `path.Match` against every directory of the repository: `*`, `?` and `[…]` within one
 * segment, `\` escaping, `**` no more than `*`) matches project directory `dir`, the repository
 * holding the project in a subdirectory or not: its last segments match those of `dir` (all of
 * them when `exact`: `dir` is relative to the repository root).
 */
const patternNames = (pattern: string, dir: string, exact = false): boolean => {
  const segments = pattern.split('/');
  // Matched as written against clean directory paths: `./dist/apps/*`, `dist/apps/web/` and
  // `dist//apps/*` match no directory in Argo CD, so none here (an Application's path is joined
  // and cleaned instead: see {@link names}).
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return false;
  const want = segments.map(globTokens);
  const have = dir.split('/');
  // A pattern Go refuses matches nothing: Argo CD logs the error and moves on.
  if (want.length < have.length || (exact && want.length > have.length) || want.some((t) => t === undefined))
    return false;
  return have.every((segment, i) => globMatches(want[want.length - have.length + i]!, segment));
};

/** Whether `sync` makes directory `dir` an app's own: its Application's path, or a directory its pattern generates one for. */
const appAt = (sync: SyncedPath, dir: string, exact: boolean): boolean =>
  sync.apps
    ? patternNames(sync.path, dir, exact) && !(sync.excludes ?? []).some((x) => patternNames(x, dir, exact))
    : names(sync.path, dir, exact);

/**
 * The directory of the app through which Argo CD syncs directory `dir` by `sync`: `dir` itself
 * (an Application's path, or an app directory its ApplicationSet's git directory pattern
 * matches and none its generator excludes does), or the nearest directory above it whose
 * Application's directory source recurses; `undefined` when `sync` does not sync `dir`.
 *
 * @param exact `dir` is relative to the repository root, so a path must name it whole; else it
 *   is relative to a project the repository may hold in a subdirectory (see {@link names}).
 */
export const appDirectoryOf = (sync: SyncedPath, dir: string, exact = false): string | undefined =>
  appAt(sync, dir, exact)
    ? dir
    : sync.recurse === true
      ? ancestors(dir).find((a) => appAt(sync, a, exact))
      : undefined;

/**
 * Whether Argo CD syncs project directory `dir` through `sync`: an Application's path (below it
 * too when its directory source recurses), or an app directory its ApplicationSet's git
 * directory pattern matches and none its generator excludes does.
 */
export const syncsDirectory = (sync: SyncedPath, dir: string): boolean =>
  appDirectoryOf(sync, dir) !== undefined;

/**
 * A gobwas/glob pattern, as Argo CD compiles a directory source's `include` and `exclude` (no
 * separators: `*` matches `/` too, so `*.yaml` matches `sub/a.yaml`; `?`, `[a-z]`, `[!a]`,
 * `{a,b}` alternatives, `\` escaping), as a regular expression; `undefined` for one gobwas
 * refuses (an unclosed `[` or `{`), which matches no file: Argo CD logs the error and moves on.
 */
const gobwasGlob = (pattern: string): RegExp | undefined => {
  const chars = [...pattern];
  let out = '';
  let braces = 0;
  const literal = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) return undefined;
      out += literal(next);
    } else if (c === '*') out += '[^]*';
    else if (c === '?') out += '[^]';
    else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else if (c === '[') {
      const close = chars.indexOf(']', i + 1);
      if (close === -1) return undefined;
      const body = chars.slice(i + 1, close);
      const negated = body[0] === '!';
      const members = (negated ? body.slice(1) : body).map((m) => (m === '-' ? '-' : literal(m))).join('');
      if (members === '') return undefined;
      out += `[${negated ? '^' : ''}${members}]`;
      i = close;
    } else out += literal(c);
  }
  return braces === 0 ? new RegExp(`^${out}$`, 'u') : undefined;
};

/**
 * Whether Argo CD reads file `relPath` (relative to the app's directory, `/`-separated) of a
 * directory that `sync` syncs: neither its directory source's `exclude` matches it nor, when set,
 * its `include` fails to (Argo CD's repo server, `findManifests`, matching the path below the app
 * directory, so `*.yaml` matches the files of subdirectories too).
 */
export const syncsFile = (sync: Pick<SyncedPath, 'files'>, relPath: string): boolean => {
  const { include, exclude } = sync.files ?? {};
  if (exclude !== undefined && gobwasGlob(exclude)?.test(relPath) === true) return false;
  return include === undefined || gobwasGlob(include)?.test(relPath) === true;
};

/** What synth and `kelos check` leave out for a generator whose directories cannot be told. */
export const TTL_UNEVALUATED =
  'argocd/task-ttl and argocd/namespace-missing do not judge the directories this generator generates Applications for';

/** What `kelos validate` and `kelos check` on paths leave out for such a generator. */
export const BUNDLES_UNEVALUATED =
  'the manifests outside every kustomization that it may sync are not bundled by the directories it syncs: they stay in one bundle with the other loose manifests, so a bundle/duplicate between two of those directories may be one Argo CD never sees';

/**
 * A warning for each source path of an Argo CD object among `objects` that Argo CD refuses
 * (absolute, or leaving the repository: it syncs nothing, and the directories read here take it
 * as syncing nothing too); an info for each git directory pattern of an ApplicationSet that takes a
 * parameter of another generator (`{{.path.path}}/*` in a matrix): what it matches cannot be
 * told offline, so what reads the directories Argo CD syncs leaves its generator out, and says
 * so here rather than pass in silence.
 *
 * @param locate Where a JSON pointer of an object is in its file.
 * @param effects What leaving the generator out means for the command reporting it, each a
 *   clause of the message ({@link TTL_UNEVALUATED}, {@link BUNDLES_UNEVALUATED}).
 */
export function argocdUnevaluatedPathDiagnostics<T extends ObjectInFile>(
  objects: readonly T[],
  locate: (o: T, pointer: string) => SourcePosition | undefined = () => undefined,
  effects: readonly string[] = [TTL_UNEVALUATED],
): Diagnostic[] {
  return objects.flatMap((o) => {
    const apiVersion = o.object['apiVersion'];
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith(ARGO_GROUP)) return [];
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    const name = String(metadata['name'] ?? '');
    const finding = (
      severity: Diagnostic['severity'],
      pointer: string,
      message: string,
      hint: string,
    ): Diagnostic => ({
      severity,
      code: 'argocd/path-not-evaluated',
      path: pointer,
      message,
      hint,
      resource: {
        apiVersion,
        kind: String(o.object['kind']),
        name,
        ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
      },
      source: {
        file: o.file,
        ...locate(o, pointer),
        ...(o.constructPath !== undefined && { constructPath: o.constructPath }),
      },
    });
    const info = (pointer: string, message: string, hint: string) => finding('info', pointer, message, hint);
    const refused = refusedPathsOf(o.object).map(({ pointer, path, reason }) =>
      finding(
        'warning',
        pointer,
        `${String(o.object['kind'])} "${name}" syncs path "${path}", which Argo CD refuses (${reason}): it syncs nothing from it`,
        'write the path relative to the root of the repository, without a leading / or .. (manifests/team)',
      ),
    );
    /** The info for a generator whose template syncs `elsewhere`, not the directories it generates. */
    const elsewhereInfo = (
      object: Json,
      git: Json,
      elsewhere: { pointer: string; path: string },
      includes: readonly GitDirectory[],
    ): Diagnostic => {
      const parameters = pathParametersOf(object, git);
      const { goTemplate } = parameters;
      const own = ownPath(object, git);
      // The generated directory as the other template language names it.
      const other = parameterName({ ...parameters, goTemplate: !goTemplate }, 'path');
      const generated = `each git directory it generates an Application for (${includes.map((d) => `"${d.path}"`).join(', ')})`;
      const what =
        soleParameter(elsewhere.path) === other
          ? goTemplate
            ? `names the directory of ${generated} as fasttemplate does, "${elsewhere.path}", but sets goTemplate: true, with which Argo CD fails to render the template: it syncs none of them`
            : `names the directory of ${generated} as a Go template does, "${elsewhere.path}", but sets no goTemplate: true: Argo CD leaves it as written and syncs none of them`
          : `syncs "${elsewhere.path}" for ${generated}, not that directory (${own})`;
      // A parameter of the other language anywhere in the path (`{{path}}/overlays` too): Argo CD
      // renders no Application, or one whose path does not exist, so it syncs nothing at all; a
      // path we only cannot follow offline stays an info.
      const tags = [...elsewhere.path.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1]!.trim());
      const otherLanguage = ['path', 'basename', 'basenameNormalized'].some((f) =>
        tags.includes(parameterName({ ...parameters, goTemplate: !goTemplate }, f)),
      );
      return finding(
        otherLanguage ? 'warning' : 'info',
        elsewhere.pointer,
        `ApplicationSet "${name}" ${what}: ${effects.join('; ')}`,
        `to have them judged, sync the generated directory itself (path: '${own}') and keep what lies below it to directory.recurse`,
      );
    };
    const badGlobs = uncompiledGlobsOf(o.object).map(({ pointer, key, glob }) =>
      finding(
        'warning',
        pointer,
        `${String(o.object['kind'])} "${name}" sets directory.${key} '${glob}', a glob Argo CD cannot compile (an unclosed [ or {, an empty class, a trailing \\): it matches no file, so ${key === 'include' ? 'the app syncs no file of its directory' : 'the app excludes no file'}`,
        `close the [ or { it opens ('[tw]*.yaml', '{task,workspace}.yaml'), or escape a literal one with \\ ('\\[a')`,
      ),
    );
    const namespace = namespaceInOtherLanguage(o.object);
    const wrongNamespace =
      namespace === undefined
        ? []
        : [
            finding(
              'warning',
              '/spec/template/spec/destination/namespace',
              namespace.goTemplate
                ? `ApplicationSet "${name}" names its destination namespace as fasttemplate does, "${namespace.namespace}", but sets goTemplate: true, with which Argo CD fails to render the template: it syncs none of its Applications; the objects that name no namespace are read here as naming none`
                : `ApplicationSet "${name}" names its destination namespace as a Go template does, "${namespace.namespace}", but sets no goTemplate: true: Argo CD leaves it as written, which is no namespace name, and the sync fails; the objects that name no namespace are read here as naming none`,
              `write the parameter as the template language reads it: namespace: '{{${namespace.own}}}'`,
            ),
          ];
    const lists = listGeneratorsOf(o.object).flatMap((g) =>
      g.refused
        ? [
            finding(
              'warning',
              g.refused.pointer,
              `ApplicationSet "${name}" sets no goTemplate: true, and "${g.refused.key}" of a list element is not a string: fasttemplate takes only strings, so Argo CD makes no Application of this list generator (error parsing value as string)`,
              `quote the value of ${g.refused.key} in every element, or set goTemplate: true and name the parameters as a Go template does ({{.${g.refused.key}}})`,
            ),
          ]
        : [],
    );
    const listSources = listSourcesOf(o.object).filter((l) => l.path.includes('{{'));
    const missingKeys = listSources
      .filter((l) => l.missing.length > 0)
      .map((l) =>
        finding(
          'warning',
          l.elementPointer,
          `ApplicationSet "${name}" syncs "${l.template}", but its list element at ${l.elementPointer} has no ${l.missing.map((k) => `"${k}"`).join(', ')}: Argo CD cannot render that Application's path from it (a Go template writes <no value> or fails, fasttemplate leaves the tag as written), so the Application syncs no directory of the repository`,
          `give the element ${l.missing.join(', ')}, or remove it from the list`,
        ),
      );
    const namespaceTemplate = destinationOf(specOf(o.object)).namespace;
    const goTemplate = isRecord(o.object['spec']) && o.object['spec']['goTemplate'] === true;
    const missingNamespaceKeys =
      namespaceTemplate === undefined
        ? []
        : listGeneratorsOf(o.object).flatMap((g) =>
            g.refused
              ? []
              : g.elements.flatMap(({ pointer, element }) => {
                  const missing = missingParameters(namespaceTemplate, element, goTemplate);
                  return missing.length === 0
                    ? []
                    : [
                        finding(
                          'warning',
                          pointer,
                          `ApplicationSet "${name}" deploys into namespace "${namespaceTemplate}", but its list element at ${pointer} has no ${missing.map((k) => `"${k}"`).join(', ')}: Argo CD cannot render that Application's namespace from it (a Go template writes <no value> or fails, fasttemplate leaves the tag as written), which is no namespace name, so its sync fails`,
                          `give the element ${missing.join(', ')}, or remove it from the list`,
                        ),
                      ];
                }),
          );
    // A function in the path: one info per source path of the template, not per element.
    const unevaluatedLists = [
      ...Map.groupBy(
        listSources.filter((l) => l.missing.length === 0),
        (l) => l.pointer,
      ).values(),
    ].map((group) => {
      const [first] = group as [(typeof group)[number]];
      return info(
        first.pointer,
        `ApplicationSet "${name}" syncs "${first.template}" for ${group.length === 1 ? `its list element at ${first.elementPointer}` : `${group.length} list elements`}, a path whose parameters cannot be told offline (a function): ${effects.join('; ')}`,
        "to have it judged, keep functions out of the path (name the element's keys as they are)",
      );
    });
    const unread = otherGeneratorsOf(o.object).map((g) =>
      info(
        g.pointer,
        `ApplicationSet "${name}" generates Applications with ${g.what}, whose paths and namespaces cannot be told offline: ${effects.join('; ')}`,
        'to have its directories judged, generate them from git directories (dist/apps/*) or a list',
      ),
    );
    return [
      ...refused,
      ...badGlobs,
      ...wrongNamespace,
      ...lists,
      ...missingKeys,
      ...missingNamespaceKeys,
      ...unevaluatedLists,
      ...unread,
      ...gitDirectoriesOf(o.object).flatMap((g) => [
        ...g.unevaluated.map((d) =>
          info(
            d.pointer,
            `ApplicationSet "${name}" ${d.exclude ? 'excludes' : 'generates Applications from'} the git directories "${d.path}", a template of generator parameters that cannot be told offline: ${effects.join('; ')}`,
            'to have them judged, name the directories in the generator (dist/apps/*) and keep the parameters to the template',
          ),
        ),
        ...(g.elsewhere === undefined ? [] : [elsewhereInfo(o.object, g.git, g.elsewhere, g.includes)]),
      ]),
    ];
  });
}

/**
 * The destination namespace of ApplicationSet `object` when it names a path parameter of one of
 * its git generators in the other template language (`{{path.basename}}` under `goTemplate: true`,
 * `{{.path.basename}}` without it), with the form its own language reads (`own`); else undefined.
 */
const namespaceInOtherLanguage = (
  object: Json,
): { namespace: string; goTemplate: boolean; own: string } | undefined => {
  const { namespace } = destinationOf(specOf(object));
  if (object['kind'] !== 'ApplicationSet' || namespace === undefined) return undefined;
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const tags = [...namespace.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1]!.trim());
  for (const { git } of gitGeneratorsOf(spec['generators'], '/spec/generators')) {
    const parameters = pathParametersOf(object, git);
    const other = { ...parameters, goTemplate: !parameters.goTemplate };
    for (const field of ['path', 'basename', 'basenameNormalized'])
      if (tags.includes(parameterName(other, field)))
        return { namespace, goTemplate: parameters.goTemplate, own: parameterName(parameters, field) };
  }
  return undefined;
};

/**
 * Why Argo CD refuses repository path `path` (`app path is absolute`, `app path outside root`,
 * its own words), else undefined. Of a template path only what precedes the first parameter is
 * judged: `{{.path.path}}/..` may stay inside the repository, `../{{.path.basename}}` cannot.
 */
export const refusedPath = (path: string): string | undefined => {
  const parameter = path.indexOf('{{');
  const fixed = parameter === -1 ? path : path.slice(0, path.lastIndexOf('/', parameter) + 1);
  if (posix.isAbsolute(fixed)) return 'app path is absolute';
  const clean = fixed === '' ? '.' : posix.normalize(fixed);
  return clean === '..' || clean.startsWith('../') ? 'app path outside root' : undefined;
};

/**
 * The `directory.include` and `directory.exclude` globs of the sources of an Application, or of
 * an ApplicationSet's template, that Argo CD cannot compile (see {@link gobwasGlob}).
 */
const uncompiledGlobsOf = (object: Json): Array<{ pointer: string; key: string; glob: string }> =>
  sourcesOf(object).flatMap(({ pointer, source }) => {
    const directory = isRecord(source) && isRecord(source['directory']) ? source['directory'] : {};
    return ['include', 'exclude'].flatMap((key) => {
      const glob = directory[key];
      return typeof glob === 'string' && glob !== '' && gobwasGlob(glob) === undefined
        ? [{ pointer: `${pointer}/directory/${key}`, key, glob }]
        : [];
    });
  });

/** The sources of an Application, or of an ApplicationSet's template, each with its JSON pointer. */
const sourcesOf = (object: Json): Array<{ pointer: string; source: unknown }> => {
  if (object['kind'] !== 'Application' && object['kind'] !== 'ApplicationSet') return [];
  const at = object['kind'] === 'Application' ? '/spec' : '/spec/template/spec';
  const spec = specOf(object);
  const sources = Array.isArray(spec['sources']) ? spec['sources'] : [];
  return [
    { pointer: `${at}/source`, source: spec['source'] },
    ...sources.map((source, i) => ({ pointer: `${at}/sources/${i}`, source })),
  ];
};

/** The source paths of an Application, or of an ApplicationSet's template, that Argo CD refuses. */
const refusedPathsOf = (object: Json): Array<{ pointer: string; path: string; reason: string }> =>
  sourcesOf(object).flatMap(({ pointer, source }) => {
    if (!isRecord(source) || typeof source['path'] !== 'string') return [];
    const reason = refusedPath(source['path']);
    return reason === undefined ? [] : [{ pointer: `${pointer}/path`, path: source['path'], reason }];
  });

/**
 * `namespace` with the ApplicationSet git generator's path parameters an app directory `dir`
 * gives it, in the form its template language names them (`parameters`; see
 * {@link PathParameters}): `{{.path.basename}}` or `{{path.basename}}` and their
 * `Normalized` forms; `undefined` when another parameter is left, whose value cannot be
 * told offline, or one of the other language (a Go template that names `{{path.basename}}` does
 * not render; fasttemplate leaves `{{.path.basename}}` as written, no namespace). An
 * Application's (no `parameters`) is as written.
 */
export const resolvedNamespace = (
  namespace: string,
  dir: string,
  parameters?: PathParameters,
): string | undefined => {
  const basename = posix.basename(dir);
  // The path itself is left out: a namespace holds no `/`.
  const values: Record<string, string> = {
    basename,
    // Argo CD's utils.SanitizeName.
    basenameNormalized: basename
      .toLowerCase()
      .replace(/[^-a-z0-9.]/g, '-')
      .slice(0, 253)
      .replace(/^[-.]+|[-.]+$/g, ''),
  };
  const resolved =
    parameters === undefined
      ? namespace
      : namespace.replace(/\{\{(.*?)\}\}/g, (tag, inner: string) => {
          const field = Object.keys(values).find((f) => parameterName(parameters, f) === inner.trim());
          return field === undefined ? tag : values[field]!;
        });
  return resolved.includes('{{') ? undefined : resolved;
};

/** The paths the Argo CD objects among `objects` sync, each with who syncs it, for messages. */
export const argoSyncs = (objects: readonly ObjectInFile[]) =>
  objects.flatMap((o) => {
    const apiVersion = o.object['apiVersion'];
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith(ARGO_GROUP)) return [];
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    const by = `Argo CD ${String(o.object['kind'])} "${String(metadata['name'] ?? '')}"`;
    return pathsOf(o.object).map((p) => ({ ...p, by }));
  });

/**
 * The root of the git repository holding directory `abs`: the nearest directory above with a
 * `.git`; undefined outside a repository. Cached in `roots`, by directory.
 */
export const repositoryRoot = (abs: string, roots: Map<string, string | undefined>): string | undefined => {
  let root: string | undefined;
  for (let d = abs; ; d = dirname(d)) {
    if (roots.has(d)) {
      root = roots.get(d);
      break;
    }
    if (existsSync(join(d, '.git'))) {
      root = d;
      break;
    }
    if (dirname(d) === d) break;
  }
  roots.set(abs, root);
  return root;
};

/**
 * The directory of `dir` (relative to `cwd`, as the user wrote it) in the git repository that
 * holds it, as an Argo CD path names it (`manifests/team`); relative to `cwd` outside a
 * repository.
 */
export const repositoryPath = (dir: string, cwd: string, roots: Map<string, string | undefined>): string => {
  const abs = resolve(cwd, dir);
  const path = relative(repositoryRoot(abs, roots) ?? cwd, abs)
    .split(sep)
    .join('/');
  return path === '' ? '.' : path;
};

/**
 * An info for each git directory pattern of an ApplicationSet among `objects` that matches none
 * of `dirs` (the directories of the files read, and of the repository that a pattern names, as
 * Argo CD paths name them; see {@link repositoryPath}), nor a directory above one whose template
 * recurses. The manifests
 * under it then stay with the loose manifests, so the `bundle/duplicate` between its directories
 * that follows is most often a pattern read against another root than the user meant (a run
 * from outside the repository reads it relative to the working directory), which this says.
 *
 * @param readFrom The directory the patterns were read relative to, as the message names it.
 */
export function argocdUnmatchedPatternDiagnostics<T extends ObjectInFile>(
  objects: readonly T[],
  dirs: readonly string[],
  readFrom: string,
  locate: (o: T, pointer: string) => SourcePosition | undefined = () => undefined,
): Diagnostic[] {
  return objects.flatMap((o) => {
    const apiVersion = o.object['apiVersion'];
    if (
      o.object['kind'] !== 'ApplicationSet' ||
      typeof apiVersion !== 'string' ||
      !apiVersion.startsWith(ARGO_GROUP)
    )
      return [];
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    const name = String(metadata['name'] ?? '');
    return pathsOf(o.object)
      .filter((p) => p.apps && !dirs.some((d) => appDirectoryOf(p, d, true) !== undefined))
      .map(
        (p): Diagnostic => ({
          severity: 'info',
          code: 'argocd/path-not-evaluated',
          path: p.pointer,
          message: `ApplicationSet "${name}" generates Applications from the git directories "${p.path}", which match no directory among the paths read, reading it relative to ${readFrom}: the manifests it may sync are not bundled by its directories, so a bundle/duplicate between two of them may be one Argo CD never sees`,
          hint: `run kelos from inside the repository the ApplicationSet reads (its patterns are relative to the repository root), or name among the paths the directories "${p.path}" matches`,
          resource: {
            apiVersion,
            kind: 'ApplicationSet',
            name,
            ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
          },
          source: {
            file: o.file,
            ...locate(o, p.pointer),
            ...(o.constructPath !== undefined && { constructPath: o.constructPath }),
          },
        }),
      );
  });
}
