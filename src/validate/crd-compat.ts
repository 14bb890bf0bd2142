/**
 * Whether new CustomResourceDefinitions still accept every object the previous ones accepted:
 * the upgrade check a release runs before it ships CRDs, and a user can run against the CRDs
 * installed in their cluster (`kelos crds --check-against`).
 *
 * Why a schema comparison and not only a corpus: a corpus proves the objects it holds; users
 * hold others. Every keyword that can make the API server refuse (or prune) a value is compared
 * old → new, and any narrowing is a finding at its JSON pointer in the CRD. Where containment
 * cannot be decided offline (a changed `pattern`, a new CEL rule, a changed `anyOf`), the change
 * is reported too: a release lists it as a migration with its reason, or reverts it. Widening
 * (a new optional field, a looser bound, a removed rule) is never reported.
 *
 * @packageDocumentation
 */
import { type Diagnostic, escapePointer, type ResourceRef } from './diagnostic.ts';

type Schema = Record<string, unknown>;

/** A CRD as read from a file or the cluster: only the fields the comparison reads. */
export interface CrdLike {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly group: string;
    readonly scope: string;
    readonly names: { readonly kind: string; readonly plural: string };
    readonly versions: readonly {
      readonly name: string;
      readonly served: boolean;
      readonly storage: boolean;
      readonly schema?: { readonly openAPIV3Schema?: Schema };
    }[];
  };
}

/** A deliberate incompatible change, listed with its reason so the check lets it pass. */
export interface CrdMigration {
  /** CRD name, e.g. `tasks.kelos.dev`. */
  readonly crd: string;
  /** JSON pointer of the finding in the new CRD, as the check reports it. */
  readonly path: string;
  readonly reason: string;
}

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Lower bounds that may only go down, upper bounds that may only go up. */
const LOWER_BOUNDS = ['minimum', 'minLength', 'minItems', 'minProperties'] as const;
const UPPER_BOUNDS = ['maximum', 'maxLength', 'maxItems', 'maxProperties'] as const;

interface Change {
  readonly path: string;
  /** Dotted field path for the message, e.g. `spec.workspaceRef.name`. */
  readonly field: string;
  readonly code: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** Every way `next` refuses or prunes a value that `prev` accepted, at one schema node and below. */
function narrowings(prev: Schema, next: Schema, path: string, field: string, out: Change[]): void {
  const at = field || '<root>';
  const report = (code: string, message: string, severity: 'error' | 'warning' = 'error', where = path) =>
    out.push({ path: where, field: at, code: `crd/${code}`, message: `${at}: ${message}`, severity });

  const flexible = (s: Schema) =>
    s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
  if (prev['type'] !== next['type'] && next['type'] !== undefined && !flexible(next)) {
    report('type-changed', `type changed from ${String(prev['type'] ?? 'any')} to ${String(next['type'])}`);
  }
  for (const flag of ['x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'nullable']) {
    if (prev[flag] === true && next[flag] !== true) report('flag-removed', `${flag} was removed`);
  }
  if (Array.isArray(next['enum'])) {
    if (!Array.isArray(prev['enum']))
      report('enum-added', `values are now limited to ${JSON.stringify(next['enum'])}`);
    else {
      const gone = prev['enum'].filter((v) => !(next['enum'] as unknown[]).some((w) => same(v, w)));
      if (gone.length > 0)
        report('enum-narrowed', `enum values ${JSON.stringify(gone)} are no longer accepted`);
    }
  }
  for (const key of ['pattern', 'format', 'multipleOf'] as const) {
    if (next[key] !== undefined && !same(prev[key], next[key])) {
      report(
        `${key}-changed`,
        `${key} changed from ${JSON.stringify(prev[key] ?? null)} to ${JSON.stringify(next[key])}`,
      );
    }
  }
  for (const key of LOWER_BOUNDS) {
    const p = prev[key] as number | undefined;
    const n = next[key] as number | undefined;
    if (n !== undefined && (p === undefined || n > p))
      report('bound-narrowed', `${key} raised from ${p ?? 'none'} to ${n}`);
  }
  for (const key of UPPER_BOUNDS) {
    const p = prev[key] as number | undefined;
    const n = next[key] as number | undefined;
    if (n !== undefined && (p === undefined || n < p))
      report('bound-narrowed', `${key} lowered from ${p ?? 'none'} to ${n}`);
  }
  for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (next[key] === true && prev[key] !== true) report('bound-narrowed', `${key} is now set`);
  }
  const required = new Set((prev['required'] as string[] | undefined) ?? []);
  const added = ((next['required'] as string[] | undefined) ?? []).filter((r) => !required.has(r));
  if (added.length > 0)
    report('required-added', `newly required: ${added.join(', ')}`, 'error', `${path}/required`);

  const prevRules = new Set(
    ((prev['x-kubernetes-validations'] as Schema[] | undefined) ?? []).map((r) => r['rule']),
  );
  for (const [i, rule] of ((next['x-kubernetes-validations'] as Schema[] | undefined) ?? []).entries()) {
    if (!prevRules.has(rule['rule'])) {
      report(
        'rule-added',
        `new CEL rule ${JSON.stringify(rule['rule'])}`,
        'error',
        `${path}/x-kubernetes-validations/${i}`,
      );
    }
  }
  const listType = (s: Schema) => (s['x-kubernetes-list-type'] as string | undefined) ?? 'atomic';
  if (listType(prev) !== listType(next) && listType(next) !== 'atomic') {
    report(
      'list-type-changed',
      `x-kubernetes-list-type changed from ${listType(prev)} to ${listType(next)} (items must now be unique)`,
    );
  } else if (!same(prev['x-kubernetes-list-map-keys'], next['x-kubernetes-list-map-keys'])) {
    report('list-type-changed', 'x-kubernetes-list-map-keys changed');
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if (next[key] !== undefined && !same(prev[key], next[key]))
      report('composition-changed', `${key} changed`);
  }
  if (prev['default'] !== undefined && !same(prev['default'], next['default'])) {
    report(
      'default-changed',
      `default changed from ${JSON.stringify(prev['default'])} to ${JSON.stringify(next['default'] ?? null)}: objects written without the field now mean something else`,
      'warning',
    );
  }

  const prevProps = isSchema(prev['properties']) ? prev['properties'] : undefined;
  const nextProps = isSchema(next['properties']) ? next['properties'] : undefined;
  const keepsUnknown = next['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [key, sub] of Object.entries(prevProps ?? {})) {
    const child = `${path}/properties/${escapePointer(key)}`;
    const name = field ? `${field}.${key}` : key;
    const nextSub = nextProps?.[key];
    if (isSchema(nextSub) && isSchema(sub)) narrowings(sub, nextSub, child, name, out);
    else if (!keepsUnknown && !isSchema(next['additionalProperties'])) {
      out.push({
        path: child,
        field: name,
        code: 'crd/field-removed',
        severity: 'error',
        message: `${name}: field removed; the API server prunes it from stored objects`,
      });
    }
  }
  const prevAdditional = prev['additionalProperties'];
  const nextAdditional = next['additionalProperties'];
  if (isSchema(prevAdditional)) {
    if (isSchema(nextAdditional))
      narrowings(prevAdditional, nextAdditional, `${path}/additionalProperties`, `${field}[*]`, out);
    else if (!keepsUnknown) report('map-closed', 'arbitrary keys are no longer accepted');
  }
  if (isSchema(prev['items']) && isSchema(next['items'])) {
    narrowings(prev['items'], next['items'], `${path}/items`, `${field}[]`, out);
  }
}

const crdRef = (name: string): ResourceRef => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  name,
});

/**
 * Compares the CRDs a cluster has (or the previous release shipped) with the new ones. Every
 * change that could refuse or prune an object the previous CRDs accepted is an error, unless
 * `migrations` lists it (then an `info` naming the reason); changed defaults are warnings.
 * Pointers are into the new CRD (`/spec/versions/0/schema/openAPIV3Schema/...`).
 */
export function crdNarrowings(
  previous: readonly CrdLike[],
  next: readonly CrdLike[],
  migrations: readonly CrdMigration[] = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map(next.map((c) => [c.metadata.name, c]));
  for (const prev of previous) {
    const name = prev.metadata.name;
    const resource = crdRef(name);
    const push = (path: string, code: string, message: string, severity: 'error' | 'warning' = 'error') => {
      const migration = migrations.find((m) => m.crd === name && m.path === path);
      out.push(
        migration
          ? {
              severity: 'info',
              code,
              message: `${message} (listed migration: ${migration.reason})`,
              path,
              resource,
            }
          : { severity, code, message, path, resource },
      );
    };
    const cur = byName.get(name);
    if (!cur) {
      push('', 'crd/removed', `CRD ${name} is gone; deleting it deletes every stored object of its kind`);
      continue;
    }
    if (cur.spec.scope !== prev.spec.scope) {
      push('/spec/scope', 'crd/scope-changed', `scope changed from ${prev.spec.scope} to ${cur.spec.scope}`);
    }
    if (cur.spec.names.kind !== prev.spec.names.kind) {
      push(
        '/spec/names/kind',
        'crd/renamed',
        `kind changed from ${prev.spec.names.kind} to ${cur.spec.names.kind}`,
      );
    }
    for (const version of prev.spec.versions.filter((v) => v.served)) {
      const index = cur.spec.versions.findIndex((v) => v.name === version.name);
      const curVersion = cur.spec.versions[index];
      if (!curVersion?.served) {
        push('/spec/versions', 'crd/version-removed', `version ${version.name} is no longer served`);
        continue;
      }
      const base = `/spec/versions/${index}/schema/openAPIV3Schema`;
      const changes: Change[] = [];
      narrowings(
        version.schema?.openAPIV3Schema ?? {},
        curVersion.schema?.openAPIV3Schema ?? {},
        base,
        '',
        changes,
      );
      for (const c of changes) push(c.path, c.code, `${version.name} ${c.message}`, c.severity);
    }
  }
  return out;
}
