/**
 * A stand-in kubelet for one rendered Pod, as local processes: it materialises the Pod's
 * volumes under a temporary root (emptyDir, Secret and ConfigMap volumes from test data),
 * links each mount path under the root to its volume, resolves env (`value`,
 * `secretKeyRef`, `configMapKeyRef`, and Kubernetes' `$(VAR)` expansion), rewrites
 * values that are paths under a mount (or the termination message path) to the remapped
 * location, and runs containers from the image files they name.
 *
 * It knows only Kubernetes, not Kelos: every Kelos name the agent sees comes from the
 * rendered Job. Anything it cannot reproduce faithfully (another volume or env source, a
 * subPath) throws, so a render change that uses one fails the contract test loudly.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { K8sType } from '../../../src/api/k8s/index.ts';

type Container = K8sType<'Container'>;
type EnvVar = K8sType<'EnvVar'>;
type PodSpec = NonNullable<NonNullable<NonNullable<K8sType<'Job'>['spec']>['template']>['spec']>;

/** Objects the Pod references, by name: key → value. */
export interface ClusterData {
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A process's outcome. */
export interface ContainerRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Kubernetes' expansion of `$(VAR)` in env values, commands and args: a defined variable
 * is replaced, an undefined one is left as written, and `$$` is an escaped `$`.
 */
export const expandK8sVars = (text: string, vars: Readonly<Record<string, string>>): string =>
  text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : (vars[name] ?? m),
  );

export class PodRunner {
  /** Mount paths of every container and the termination message paths, longest first. */
  private readonly remapped: string[];
  private readonly pod: PodSpec;
  /** Where the Pod's filesystem paths live. */
  readonly root: string;
  private readonly data: ClusterData;

  constructor(pod: PodSpec, root: string, data: ClusterData) {
    this.pod = pod;
    this.root = root;
    this.data = data;
    const containers = [...(pod.initContainers ?? []), ...pod.containers];
    this.remapped = [
      ...new Set(
        containers.flatMap((c) => [
          ...(c.volumeMounts ?? []).map((m) => m.mountPath),
          ...(c.terminationMessagePath ? [c.terminationMessagePath] : []),
        ]),
      ),
    ].sort((a, b) => b.length - a.length);
    this.materialiseVolumes();
    for (const c of containers) this.mount(c);
  }

  /** Where a Pod path lives on this machine. */
  path(podPath: string): string {
    return join(this.root, podPath);
  }

  /** A value that is a path under a mount (or a termination message path), remapped; else unchanged. */
  remap(value: string): string {
    return this.remapped.some((p) => value === p || value.startsWith(`${p}/`)) ? this.path(value) : value;
  }

  private volumeDir(name: string): string {
    return join(this.root, '.volumes', name);
  }

  private lookup(
    kind: 'secrets' | 'configMaps',
    name: string,
    key: string,
    optional?: boolean,
  ): string | undefined {
    const value = this.data[kind][name]?.[key];
    if (value === undefined && !optional) throw new Error(`${kind} ${name} has no key ${key}`);
    return value;
  }

  private materialiseVolumes(): void {
    for (const v of this.pod.volumes ?? []) {
      const dir = this.volumeDir(v.name);
      mkdirSync(dir, { recursive: true });
      const source = v.secret
        ? {
            kind: 'secrets' as const,
            name: v.secret.secretName!,
            items: v.secret.items,
            optional: v.secret.optional,
          }
        : v.configMap
          ? {
              kind: 'configMaps' as const,
              name: v.configMap.name!,
              items: v.configMap.items,
              optional: v.configMap.optional,
            }
          : undefined;
      if (source === undefined) {
        if (!v.emptyDir)
          throw new Error(`volume ${v.name}: only emptyDir, secret and configMap volumes are simulated`);
        continue;
      }
      const all = this.data[source.kind][source.name];
      if (all === undefined && !source.optional)
        throw new Error(`volume ${v.name}: no ${source.kind} ${source.name}`);
      const items = source.items ?? Object.keys(all ?? {}).map((key) => ({ key, path: key }));
      for (const item of items) {
        const value = this.lookup(source.kind, source.name, item.key, source.optional);
        if (value === undefined) continue;
        mkdirSync(dirname(join(dir, item.path)), { recursive: true });
        writeFileSync(join(dir, item.path), value);
      }
    }
  }

  private mount(c: Container): void {
    for (const m of c.volumeMounts ?? []) {
      if (m.subPath || m.subPathExpr) throw new Error(`${c.name}: subPath mounts are not simulated`);
      const at = this.path(m.mountPath);
      const target = this.volumeDir(m.name);
      mkdirSync(dirname(at), { recursive: true });
      try {
        symlinkSync(target, at);
      } catch (e) {
        // Two containers mounting the same volume at the same path share the link.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  /** The container's environment as the process sees it: image env, then the container's. */
  env(c: Container, imageEnv: Readonly<Record<string, string>>): Record<string, string> {
    const env: Record<string, string> = { ...imageEnv };
    for (const e of c.env ?? []) {
      const value = this.envValue(e, env);
      if (value === undefined) delete env[e.name];
      else env[e.name] = value;
    }
    return env;
  }

  private envValue(e: EnvVar, env: Readonly<Record<string, string>>): string | undefined {
    const from = e.valueFrom;
    if (from === undefined) return this.remap(expandK8sVars(e.value ?? '', env));
    if (from.secretKeyRef) {
      const r = from.secretKeyRef;
      return this.lookup('secrets', r.name!, r.key, r.optional);
    }
    if (from.configMapKeyRef) {
      const r = from.configMapKeyRef;
      return this.lookup('configMaps', r.name!, r.key, r.optional);
    }
    throw new Error(`env ${e.name}: only value, secretKeyRef and configMapKeyRef are simulated`);
  }

  /**
   * Runs a container: its command (each element mapped through `imageFiles`, for the files
   * the image provides) with its args, in its working directory, with its env.
   */
  run(
    c: Container,
    opts: {
      readonly imageEnv: Readonly<Record<string, string>>;
      readonly imageFiles?: Readonly<Record<string, string>>;
      readonly imageWorkingDir?: string;
    },
  ): ContainerRun {
    const env = this.env(c, opts.imageEnv);
    const command = (c.command ?? []).map((a) => opts.imageFiles?.[a] ?? expandK8sVars(a, env));
    const args = (c.args ?? []).map((a) => expandK8sVars(a, env));
    if (command.length === 0)
      throw new Error(`${c.name}: no command (the image's own entrypoint is not simulated)`);
    const r = spawnSync(command[0]!, [...command.slice(1), ...args], {
      cwd: c.workingDir ? this.remap(c.workingDir) : (opts.imageWorkingDir ?? this.root),
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.error) throw r.error;
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
}
