/**
 * What the operator and its install share: the RBAC table and the install defaults. Pure
 * data and functions, so both the constructs (which render the install) and the operator
 * (which checks its requests against the same table) may import it.
 *
 * @packageDocumentation
 */
export * from './defaults.ts';
export * from './gitops.ts';
export * from './rbac.ts';
export * from './user-roles.ts';
export * from './watch-namespaces.ts';
