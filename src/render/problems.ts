/**
 * Collects the render's diagnostics, so every problem is reported at once.
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import type { ObjectMeta } from '../api/object.ts';
import type { Diagnostic, ResourceRef } from '../validate/diagnostic.ts';

/** The diagnostic `resource` of a Kelos object. */
export const kelosResource = (kind: string, meta: ObjectMeta): ResourceRef => ({
  apiVersion: API_VERSION,
  kind,
  name: meta.name ?? '',
  ...(meta.namespace ? { namespace: meta.namespace } : {}),
});

/** Errors and warnings found while rendering, about the Task unless said otherwise. */
export class Problems {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  private readonly task: ResourceRef;

  constructor(task: ResourceRef) {
    this.task = task;
  }

  /** Something that prevents running the Task. */
  error(code: string, path: string, message: string, resource: ResourceRef = this.task): void {
    this.errors.push({ severity: 'error', code, message, path, resource });
  }

  /** Something the render changed or dropped that the user should know about. */
  warn(code: string, path: string, message: string, resource: ResourceRef = this.task): void {
    this.warnings.push({ severity: 'warning', code, message, path, resource });
  }
}
