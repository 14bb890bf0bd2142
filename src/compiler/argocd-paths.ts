/**
 * Argo CD objects that point at a path this project's synth does not render. An Application's
 * `spec.source.path` and an ApplicationSet's git directory (`<dir>/*`) are plain strings in the
 * app, set apart from `cdk8s.yaml`; when the two drift (an `outdir` moved, the default
 * `dist/examples` left in place), Argo CD syncs an empty or stale directory and reports nothing
 * wrong. Paths are relative to the git repository, which may hold the project in a
 * subdirectory, so a path matches an output directory it ends with.
 *
 * @packageDocumentation
 */
import { posix } from 'node:path';
import { isPlainObject as isRecord } from '../validate/identity.ts';
import type { Diagnostic } from '../validate/index.ts';
import type { SynthObject } from './render.ts';

const ARGO_GROUP = 'argoproj.io/';

type Json = Record<string, unknown>;

/** Whether repository path `path` is output directory `dir`, or lies below it. */
const rendersTo = (path: string, dir: string): boolean => {
  const p = posix.normalize(path).replace(/^\.\/|\/$/g, '');
  return p === dir || p.endsWith(`/${dir}`) || p.startsWith(`${dir}/`) || p.includes(`/${dir}/`);
};

/** The paths an Argo CD object syncs from, each with its JSON pointer; the ApplicationSet's `/*` dropped. */
const pathsOf = (object: Json): Array<{ pointer: string; path: string; apps: boolean }> => {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (object['kind'] === 'Application') {
    const sources = Array.isArray(spec['sources']) ? spec['sources'] : [];
    return [
      ...(isRecord(spec['source']) && typeof spec['source']['path'] === 'string'
        ? [{ pointer: '/spec/source/path', path: spec['source']['path'], apps: false }]
        : []),
      ...sources.flatMap((s, i) =>
        isRecord(s) && typeof s['path'] === 'string'
          ? [{ pointer: `/spec/sources/${i}/path`, path: s['path'], apps: false }]
          : [],
      ),
    ];
  }
  if (object['kind'] !== 'ApplicationSet' || !Array.isArray(spec['generators'])) return [];
  return spec['generators'].flatMap((g, gi) => {
    const dirs =
      isRecord(g) && isRecord(g['git']) && Array.isArray(g['git']['directories'])
        ? g['git']['directories']
        : [];
    return dirs.flatMap((d, di) =>
      isRecord(d) && typeof d['path'] === 'string' && d['exclude'] !== true && d['path'].endsWith('/*')
        ? [
            {
              pointer: `/spec/generators/${gi}/git/directories/${di}/path`,
              path: d['path'].slice(0, -2),
              apps: true,
            },
          ]
        : [],
    );
  });
};

/**
 * A warning for each Argo CD path that no output directory of this project matches.
 *
 * @param appsDir `kelos.outdir`, whose subdirectories are the apps an ApplicationSet generates from.
 * @param outputDirs Every other output directory (CRDs, bundles), relative to the project root.
 */
export function argocdPathDiagnostics(
  objects: readonly SynthObject[],
  appsDir: string,
  outputDirs: readonly string[],
): Diagnostic[] {
  const all = [appsDir, ...outputDirs];
  const out: Diagnostic[] = [];
  for (const o of objects) {
    const apiVersion = o.object['apiVersion'];
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith(ARGO_GROUP)) continue;
    const metadata = isRecord(o.object['metadata']) ? o.object['metadata'] : {};
    for (const p of pathsOf(o.object)) {
      const matched = p.apps
        ? rendersTo(p.path, appsDir) && !all.some((d) => d !== appsDir && rendersTo(p.path, d))
        : all.some((d) => rendersTo(p.path, d));
      if (matched) continue;
      out.push({
        severity: 'warning',
        code: 'argocd/path-not-rendered',
        path: p.pointer,
        message: p.apps
          ? `the ApplicationSet generates an Application per directory of "${p.path}", but kelos synth writes the apps to ${appsDir} (kelos.outdir in cdk8s.yaml)`
          : `Argo CD syncs "${p.path}", which kelos synth does not write in this project; it writes ${all.join(', ')}`,
        hint: 'set the paths of KelosArgoCd (argocd, crds, install, apps) to the output directories of cdk8s.yaml',
        resource: {
          apiVersion,
          kind: String(o.object['kind']),
          name: String(metadata['name'] ?? ''),
          ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
        },
        source: { file: o.file },
      });
    }
  }
  return out;
}
