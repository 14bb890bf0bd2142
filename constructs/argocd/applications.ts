/**
 * The Argo CD Applications of a Kelos fleet, for the `dist/` layout `kelos synth` writes:
 *
 * - `kelos` (the root, app of apps): syncs `dist/argocd` itself (these objects and the
 *   argocd-cm health checks), so the waves below apply between the Applications;
 * - `kelos-crds` (wave -3): `dist/crds`, server-side (the Task CRD is far over the 256 KiB
 *   client-side apply annotation), never pruned: deleting a CRD deletes every object of it;
 * - `kelos-install` (wave -2 for RBAC and -1 for the operator, inside the app);
 * - the ApplicationSet `kelos-apps` (wave 0): one Application per app directory, whose
 *   objects get waves by kind through kustomize patches: Workspaces, AgentConfigs and
 *   TaskBudgets first, then TaskSpawners and Tasks.
 *
 * Tasks a spawner creates at run time carry no tracking annotation or instance label (the
 * spawner never copies them from its template), so Argo CD neither prunes them nor reports
 * the app out of sync; their owner reference shows them under their TaskSpawner.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { API_VERSION as API_VERSION_KELOS, GROUP } from '../../src/api/index.ts';
import { ArgoAnnotations } from './names.ts';
import { IGNORE_DIFFERENCES, SyncWaves, WAVE_KINDS } from './sync.ts';

/** Where the Applications find the fleet. */
export interface FleetSource {
  /** Git repository holding `dist/`. */
  readonly repoURL: string;
  /** @default `HEAD` */
  readonly targetRevision?: string;
  /** Argo CD project. @default `default` */
  readonly project?: string;
  /** Namespace of Argo CD. */
  readonly argocdNamespace: string;
  /** Paths in the repository. */
  readonly paths: {
    readonly argocd: string;
    readonly crds: string;
    readonly install: string;
    /** Directory whose subdirectories are apps (one Application each). */
    readonly apps: string;
  };
  /**
   * Namespace of app objects that name none, which Argo CD creates (`CreateNamespace=true`); it
   * creates no other, so an app whose objects name their own renders it (`AppNamespace`).
   * `{{.path.basename}}` gives each app directory a namespace of its own. @default `default`
   */
  readonly appsNamespace?: string;
}

const API_VERSION = 'argoproj.io/v1alpha1';

const RETRY = { limit: 10, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } };

const application = (
  scope: Construct,
  id: string,
  src: FleetSource,
  name: string,
  wave: number,
  path: string,
  spec: { namespace?: string; syncOptions: string[]; prune: boolean; ignoreDifferences?: unknown[] },
) =>
  new ApiObject(scope, id, {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: {
      name,
      namespace: src.argocdNamespace,
      annotations: { [ArgoAnnotations.syncWave]: String(wave) },
      // Deleting an Application removes what it deployed, not just the Application.
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: {
      project: src.project ?? 'default',
      source: { repoURL: src.repoURL, targetRevision: src.targetRevision ?? 'HEAD', path },
      destination: {
        server: 'https://kubernetes.default.svc',
        ...(spec.namespace !== undefined && { namespace: spec.namespace }),
      },
      syncPolicy: {
        automated: { prune: spec.prune, selfHeal: true },
        syncOptions: spec.syncOptions,
        retry: RETRY,
      },
      ...(spec.ignoreDifferences && { ignoreDifferences: spec.ignoreDifferences }),
    },
  });

/**
 * A kustomize patch that puts every object of `kind` into `wave`. A merge patch, not a JSON
 * patch: `add` under `/metadata/annotations` fails on objects without annotations. With a
 * target, kustomize applies it to each match under the match's own name.
 */
const wavePatch = (kind: string, wave: number) => ({
  target: { group: GROUP, kind },
  patch: stringify({
    apiVersion: API_VERSION_KELOS,
    kind,
    metadata: { name: 'any', annotations: { [ArgoAnnotations.syncWave]: String(wave) } },
  }),
});

/** The kustomize patches of an app Application: a wave per Kelos kind. */
export const appWavePatches = () =>
  Object.entries(WAVE_KINDS).flatMap(([wave, kinds]) => kinds.map((k) => wavePatch(k, Number(wave))));

/** Builds the root Application, the CRD and install Applications and the apps' ApplicationSet. */
export const fleetApplications = (scope: Construct, src: FleetSource): void => {
  application(scope, 'root', src, 'kelos', SyncWaves.config, src.paths.argocd, {
    namespace: src.argocdNamespace,
    syncOptions: ['ServerSideApply=true'],
    prune: true,
  });
  application(scope, 'crds', src, 'kelos-crds', SyncWaves.crds, src.paths.crds, {
    syncOptions: ['ServerSideApply=true'],
    prune: false,
  });
  application(scope, 'install', src, 'kelos-install', SyncWaves.rbac, src.paths.install, {
    syncOptions: ['ServerSideApply=true'],
    prune: true,
  });
  new ApiObject(scope, 'apps', {
    apiVersion: API_VERSION,
    kind: 'ApplicationSet',
    metadata: {
      name: 'kelos-apps',
      namespace: src.argocdNamespace,
      annotations: { [ArgoAnnotations.syncWave]: String(SyncWaves.references) },
    },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        {
          git: {
            repoURL: src.repoURL,
            revision: src.targetRevision ?? 'HEAD',
            directories: [{ path: `${src.paths.apps}/*` }],
          },
        },
      ],
      template: {
        metadata: { name: 'kelos-app-{{.path.basename}}' },
        spec: {
          project: src.project ?? 'default',
          source: {
            repoURL: src.repoURL,
            targetRevision: src.targetRevision ?? 'HEAD',
            path: '{{.path.path}}',
            kustomize: { patches: appWavePatches() },
          },
          destination: {
            server: 'https://kubernetes.default.svc',
            namespace: src.appsNamespace ?? 'default',
          },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true', 'ServerSideApply=true'],
            retry: RETRY,
          },
          ignoreDifferences: IGNORE_DIFFERENCES,
        },
      },
    },
  });
};
