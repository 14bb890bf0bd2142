/**
 * L1 construct for TaskRecord: the immutable usage record of one finished Task. The
 * operator writes these; the construct exists for fixtures, imports and tests of budgets.
 *
 * @packageDocumentation
 */
import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import { API_VERSION, DEFAULT_TASK_RECORD_TTL_SECONDS, type TaskRecordSpec } from '../src/api/index.ts';
import { type IKelosObject, ImportedObject } from './reference.ts';
import { compact } from './render.ts';
import { recordSite } from './site.ts';
import { propsObject, throwIfInvalid, Violations } from './validation.ts';

/** A TaskRecord, defined in this app or imported with {@link TaskRecord.fromTaskRecordName}. */
export interface ITaskRecord extends IKelosObject {
  readonly kind: 'TaskRecord';
}

/** Props of a {@link TaskRecord}: its spec plus object metadata. */
export interface TaskRecordProps extends TaskRecordSpec {
  /**
   * Object metadata. The operator names records after the Task's UID.
   *
   * @default - name generated from the construct path; namespace of the chart.
   */
  readonly metadata?: ApiObjectMetadata;
}

/**
 * The usage record of one finished Task.
 *
 * @throws KelosValidationError when the recorded cost is negative.
 */
export class TaskRecord extends ApiObject implements ITaskRecord {
  /**
   * Refers to a TaskRecord defined outside this app.
   *
   * @param name `metadata.name` of the TaskRecord.
   * @param namespace its namespace.
   */
  static fromTaskRecordName(scope: Construct, id: string, name: string, namespace?: string): ITaskRecord {
    return new ImportedObject(scope, id, 'TaskRecord', name, namespace) as ITaskRecord;
  }

  declare readonly kind: 'TaskRecord';
  /** Namespace of the object, from its metadata or its chart. */
  readonly namespace?: string;
  /** The rendered spec. */
  readonly spec: TaskRecordSpec;
  /** Seconds after completion the record is deleted (35 days unless set, as the operator does). */
  readonly ttlSecondsAfterCompletion: number;

  constructor(scope: Construct, id: string, props: TaskRecordProps) {
    const v = new Violations();
    const { metadata, ...rest } = propsObject(props, v);
    const spec = compact<TaskRecordSpec>(rest);
    super(scope, id, { apiVersion: API_VERSION, kind: 'TaskRecord', metadata, spec });
    recordSite(this);
    this.spec = spec;
    if (this.metadata.namespace !== undefined) this.namespace = this.metadata.namespace;
    this.ttlSecondsAfterCompletion = spec.ttlSecondsAfterCompletion ?? DEFAULT_TASK_RECORD_TTL_SECONDS;
    throwIfInvalid(
      { kind: 'TaskRecord', namespace: this.namespace, name: this.name },
      { asWritten: spec },
      v,
    );
  }
}
