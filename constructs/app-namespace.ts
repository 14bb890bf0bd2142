/**
 * The Namespace an app deploys into, rendered with the app. Argo CD's `CreateNamespace=true`
 * creates only an Application's destination namespace; objects that name another namespace
 * need it to exist already, or their sync fails with `namespaces "…" not found` (synth warns:
 * `argocd/namespace-missing`). Opt-in: a namespace a platform team creates is listed under
 * `externalNamespaces` in kelos.policy.yaml instead.
 *
 * @packageDocumentation
 */
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { KUBERNETES_NAMESPACES, namespaceNameProblem } from '../src/install/watch-namespaces.ts';
import { ArgoAnnotations } from './argocd/names.ts';
import { SyncWaves } from './argocd/sync.ts';
import { refuseViolations } from './validation.ts';

/** Settings of {@link AppNamespace}. */
export interface AppNamespaceProps {
  /** The namespace's name. */
  readonly name: string;
  /** Labels, e.g. `pod-security.kubernetes.io/enforce`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations, besides the Argo CD sync wave and sync options this construct sets. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * A Namespace for the app's objects, synced before them (one wave before the app's Workspaces,
 * AgentConfigs and TaskBudgets). Argo CD never prunes or deletes it (`Prune=false,Delete=false`),
 * as it never deletes one `CreateNamespace=true` made: deleting a namespace deletes the Secrets
 * created in it outside git and the Tasks the spawners created at run time.
 */
export class AppNamespace extends Construct {
  /** The namespace's name, for the `metadata.namespace` of the app's objects. */
  readonly name: string;
  /** The Namespace object. */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    const problem = KUBERNETES_NAMESPACES.has(props.name)
      ? `"${props.name}" is made by the API server in every cluster; an Argo CD-owned copy would only fight it (leave it out: nothing needs to create it)`
      : namespaceNameProblem(props.name);
    refuseViolations(
      { kind: 'Namespace', name: String(props.name) },
      problem ? [{ path: '/metadata/name', message: problem }] : [],
    );
    this.name = props.name;
    this.apiObject = new ApiObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: props.name,
        ...(props.labels && { labels: { ...props.labels } }),
        annotations: {
          ...props.annotations,
          [ArgoAnnotations.syncWave]: String(SyncWaves.references - 1),
          [ArgoAnnotations.syncOptions]: 'Prune=false,Delete=false',
        },
      },
    });
    // A chart with a namespace stamps it onto every object, cluster-scoped ones too.
    if (Chart.of(this).namespace !== undefined)
      this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
}
