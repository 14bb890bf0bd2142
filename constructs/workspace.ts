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
import { isObject, propsObject, throwIfInvalid, Violations } from './validation.ts';

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
  // A repo that is missing or no string is the schema's to name (required, type), as the
  // validator does for every scalar; the URL check would only say `got "undefined"`.
  if (typeof spec.repo === 'string')
    v.check(!REPO_URL.test(spec.repo), '/spec/repo', Messages.repoPattern(spec.repo));
  // Lists and items of the wrong shape (an untyped app's `files: 'x'`) are the shape check's
  // to name (see throwIfInvalid); these checks read only what has the shape they need.
  const remotes = listOf(spec.remotes).map((r) => (isObject(r) ? r.name : undefined));
  v.check(
    duplicates(remotes.filter((n) => n !== undefined)).length > 0,
    '/spec/remotes',
    Messages.remoteNamesUnique,
  );
  listOf(spec.files).forEach((f, i) => {
    if (!isObject(f) || typeof f.path !== 'string') return;
    const bad = f.path.startsWith('/') || f.path.includes('\\') || f.path.split('/').includes('..');
    v.check(bad, `/spec/files/${i}/path`, Messages.workspaceFilePath(f.path));
  });
};

/** `value` when it is a list, else none: a prop of the wrong shape is refused elsewhere. */
const listOf = <T>(value: readonly T[] | undefined): readonly T[] => (Array.isArray(value) ? value : []);

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
