/**
 * L1 construct for TaskBudget: a spending limit per period over the Tasks a selector picks.
 *
 * @packageDocumentation
 */
import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  API_VERSION,
  BudgetEnforcement,
  type BudgetPeriodType,
  type TaskBudgetSpec,
} from '../src/api/index.ts';
import { type IKelosObject, ImportedObject } from './reference.ts';
import { compact } from './render.ts';
import { recordSite } from './site.ts';
import { isObject, propsObject, throwIfInvalid, Violations } from './validation.ts';

/** A TaskBudget, defined in this app or imported with {@link TaskBudget.fromTaskBudgetName}. */
export interface ITaskBudget extends IKelosObject {
  readonly kind: 'TaskBudget';
}

/** Props of a {@link TaskBudget}: its spec plus object metadata. */
export interface TaskBudgetProps extends TaskBudgetSpec {
  /**
   * Object metadata.
   *
   * @default - name generated from the construct path; namespace of the chart.
   */
  readonly metadata?: ApiObjectMetadata;
}

/** Time zone periods start in when the spec leaves it unset (the API default). */
export const DEFAULT_BUDGET_TIMEZONE = 'UTC';

/**
 * A spending limit per period over the Tasks a label selector picks.
 *
 * @throws KelosValidationError when no limit is set or the cost limit is negative.
 */
export class TaskBudget extends ApiObject implements ITaskBudget {
  /**
   * Refers to a TaskBudget defined outside this app.
   *
   * @param name `metadata.name` of the TaskBudget.
   * @param namespace its namespace.
   */
  static fromTaskBudgetName(scope: Construct, id: string, name: string, namespace?: string): ITaskBudget {
    return new ImportedObject(scope, id, 'TaskBudget', name, namespace) as ITaskBudget;
  }

  declare readonly kind: 'TaskBudget';
  /** Namespace of the object, from its metadata or its chart. */
  readonly namespace?: string;
  /** The rendered spec. */
  readonly spec: TaskBudgetSpec;
  /** Period the usage is summed over. */
  readonly periodType: BudgetPeriodType;
  /** Time zone periods start in (`UTC` unless set). */
  readonly timezone: string;
  /** How the budget is enforced (`Admission` unless set). */
  readonly enforcement: BudgetEnforcement;

  constructor(scope: Construct, id: string, props: TaskBudgetProps) {
    const v = new Violations();
    const { metadata, ...rest } = propsObject(props, v);
    const spec = compact<TaskBudgetSpec>(rest);
    super(scope, id, { apiVersion: API_VERSION, kind: 'TaskBudget', metadata, spec });
    recordSite(this);
    this.spec = spec;
    if (this.metadata.namespace !== undefined) this.namespace = this.metadata.namespace;
    // A missing period is the shape check's to refuse; the construct is made first.
    const period: Partial<TaskBudgetSpec['period']> = isObject(spec.period) ? spec.period : {};
    this.periodType = period.type as BudgetPeriodType;
    this.timezone = period.timezone ?? DEFAULT_BUDGET_TIMEZONE;
    this.enforcement = spec.enforcement ?? BudgetEnforcement.Admission;
    throwIfInvalid(
      { kind: 'TaskBudget', namespace: this.namespace, name: this.name },
      { asWritten: spec },
      v,
    );
  }
}
