/**
 * L1 construct for Workspace: the git repository an agent works in.
 *
 * @packageDocumentation
 */
import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import { API_VERSION, REPO_URL_PATTERN, type WorkspaceSpec } from '../src/api/index.ts';
import { Messages } from './messages.ts';
import { type IKelosObject, ImportedObject } from './reference.ts';
import { compact, duplicates } from './render.ts';
import { recordSite } from './site.ts';
import { propsObject, throwIfInvalid, Violations } from './validation.ts';

/** A Workspace, defined in this app or imported with {@link Workspace.fromWorkspaceName}. */
export interface IWorkspace extends IKelosObject {
  readonly kind: 'Workspace';
}

/** Props of a {@link Workspace}: its spec plus object metadata. */
export interface WorkspaceProps extends WorkspaceSpec {
  /**
   * Object metadata.
   *
   * @default - name generated from the construct path; namespace of the chart.
   */
  readonly metadata?: ApiObjectMetadata;
}

const REPO_URL = new RegExp(REPO_URL_PATTERN);

/** Checks of a Workspace spec the API states as a pattern or list-map key, not CEL; pointers from the object root. */
export const checkWorkspaceSpec = (spec: WorkspaceSpec, v: Violations): void => {
  v.check(!REPO_URL.test(spec.repo), '/spec/repo', Messages.repoPattern(spec.repo));
  const remotes = (spec.remotes ?? []).map((r) => r.name);
  v.check(duplicates(remotes).length > 0, '/spec/remotes', Messages.remoteNamesUnique);
  (spec.files ?? []).forEach((f, i) => {
    const bad = f.path.startsWith('/') || f.path.includes('\\') || f.path.split('/').includes('..');
    v.check(bad, `/spec/files/${i}/path`, Messages.workspaceFilePath(f.path));
  });
};

/**
 * A git repository agents clone and work in.
 *
 * @throws KelosValidationError when `repo` is not a clone URL, a remote is called
 * `origin` or repeats, or a file path escapes the repository.
 */
export class Workspace extends ApiObject implements IWorkspace {
  /**
   * Refers to a Workspace defined outside this app.
   *
   * @param name `metadata.name` of the Workspace.
   * @param namespace its namespace, when the referring objects name theirs.
   */
  static fromWorkspaceName(scope: Construct, id: string, name: string, namespace?: string): IWorkspace {
    return new ImportedObject(scope, id, 'Workspace', name, namespace) as IWorkspace;
  }

  declare readonly kind: 'Workspace';
  /** Namespace of the object, from its metadata or its chart. */
  readonly namespace?: string;
  /** The rendered spec. */
  readonly spec: WorkspaceSpec;

  constructor(scope: Construct, id: string, props: WorkspaceProps) {
    const v = new Violations();
    const { metadata, ...rest } = propsObject(props, v);
    const spec = compact<WorkspaceSpec>(rest);
    super(scope, id, { apiVersion: API_VERSION, kind: 'Workspace', metadata, spec });
    recordSite(this);
    this.spec = spec;
    if (this.metadata.namespace !== undefined) this.namespace = this.metadata.namespace;
    if (!v.blocked) checkWorkspaceSpec(spec, v);
    throwIfInvalid({ kind: 'Workspace', namespace: this.namespace, name: this.name }, { asWritten: spec }, v);
  }
}
