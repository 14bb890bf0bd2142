/**
 * The shape of a policy rule, what a rule sees when it runs, and what it returns. Rules live in
 * `policies/`, one per file; the engine in `engine.ts` runs them and turns their findings into
 * the shared {@link Diagnostic}.
 *
 * @packageDocumentation
 */
import type { KubeObject } from '../api/object.ts';
import type { Severity } from '../validate/diagnostic.ts';
import type { PolicyConfig } from './config.ts';

/** The family a rule id starts with; reports group rules by it. */
export type RuleCategory = 'budget' | 'forecast' | 'concurrency' | 'security' | 'hygiene';

/** One thing a rule found wrong with one object. */
export interface Finding {
  /** What is wrong and what was expected, in one sentence. Asserted verbatim by the tests. */
  readonly message: string;
  /** JSON pointer into the object the finding is about; empty for the whole object. */
  readonly path: string;
  /**
   * The object the finding is about. Object rules may leave it out (it is the object being
   * checked); bundle rules must set it.
   */
  readonly object?: KubeObject;
  /** A hint more specific than the rule's own. */
  readonly hint?: string;
  /**
   * Milder than the rule's severity for this finding (a risk, where the rule's other findings
   * are breaches); never raises it, so a config that lowers the rule lowers this too.
   */
  readonly severity?: Severity;
}

/** Every object the check runs on, with lookups bundle rules need. */
export interface Bundle {
  /** All objects, in input order. */
  readonly objects: readonly KubeObject[];
  /** The objects of one kind, in input order. */
  ofKind(kind: string): readonly KubeObject[];
  /**
   * The objects of one kind deployed beside this bundle: the other apps, or kustomization roots,
   * of the same check. They are in the cluster too (a TaskBudget of another app covers this
   * app's spawners), so a rule may read them; findings are only ever on the bundle's own.
   */
  alongside(kind: string): readonly KubeObject[];
  /**
   * Where an object {@link Bundle.alongside} returns is defined (`dist/apps/a/budget.yaml:1`)
   * when no bundle of the check reports on it (read from `--beside` paths); undefined for the
   * objects of another bundle of the check, whose findings that bundle reports. A rule whose
   * finding would sit on such an object reports at this bundle's objects instead, naming it,
   * or the finding would reach no one.
   */
  definedBeside(object: KubeObject): string | undefined;
}

/** What a rule sees: the effective configuration and the whole bundle. */
export interface BundleContext {
  readonly config: PolicyConfig;
  readonly bundle: Bundle;
}

/** What a per-object rule sees: additionally the object being checked. */
export interface ObjectContext extends BundleContext {
  readonly object: KubeObject;
}

/**
 * One CEL check a ValidatingAdmissionPolicy runs: the same condition as the rule's `check`,
 * over the admitted `object`. `messageExpression`, when set, builds the same message the
 * offline check prints.
 */
export interface AdmissionValidation {
  readonly expression: string;
  readonly message: string;
  readonly messageExpression?: string;
}

/** The part of a rule the API server can enforce for one kind. */
export interface AdmissionCheck {
  /** The Kelos kind the policy matches (e.g. `Task`); compiled to a resource rule. */
  readonly kind: string;
  /** Named CEL expressions shared by the validations (`variables.<name>`). */
  readonly variables?: ReadonlyArray<{ readonly name: string; readonly expression: string }>;
  readonly validations: readonly AdmissionValidation[];
}

/** What every rule has, whatever it looks at. */
interface RuleBase {
  /** Stable id, `<category>/<name>`; used in reports, configs and suppressions. */
  readonly id: string;
  /** Severity unless the config overrides it. */
  readonly severity: Severity;
  /** What the rule requires, in one sentence. */
  readonly description: string;
  /** Why it matters. */
  readonly rationale: string;
  /** How to fix a violation. */
  readonly hint: string;
  /** Kinds the rule looks at; an object rule runs once per object of these kinds. */
  readonly kinds: readonly string[];
  /**
   * The CEL form of the rule for in-cluster enforcement, built from the effective config;
   * one check per kind it matches. Absent when the rule needs more than one object; empty when
   * the configuration leaves nothing to enforce.
   */
  readonly admission?: (config: PolicyConfig) => readonly AdmissionCheck[];
}

/** A rule that looks at one object at a time. */
export interface ObjectRule extends RuleBase {
  readonly scope: 'object';
  check(ctx: ObjectContext): readonly Finding[];
}

/** A rule that looks at the whole bundle at once (coverage, pairs, forecasts). */
export interface BundleRule extends RuleBase {
  readonly scope: 'bundle';
  check(ctx: BundleContext): readonly Finding[];
}

/** A built-in or user policy rule. */
export type PolicyRule = ObjectRule | BundleRule;

/** The category of a rule id (`budget/x` → `budget`). */
export const ruleCategory = (id: string): string => id.split('/')[0] ?? id;
