/**
 * How KelosConfig `spec.podSecurity.allowedServiceAccounts` grants a ServiceAccount: an entry
 * `name` grants it in every namespace (a cloud role's trust policy usually names the namespace
 * too, but not always); `namespace/name` only in that namespace, for multi-tenant clusters where
 * one team's ServiceAccount name must not serve another team's Tasks. Apart from the schema, so
 * the policies of a pre-commit `kelos check` read it without TypeBox.
 *
 * @packageDocumentation
 */

/**
 * Whether `allowed` lets a Task in `namespace` run as ServiceAccount `name`. With `namespace`
 * undefined (a manifest that sets none, read offline), any entry of that name does.
 */
export const allowsServiceAccount = (
  allowed: readonly string[],
  namespace: string | undefined,
  name: string,
): boolean =>
  allowed.some((entry) => {
    const slash = entry.indexOf('/');
    if (slash < 0) return entry === name;
    return (
      entry.slice(slash + 1) === name && (namespace === undefined || entry.slice(0, slash) === namespace)
    );
  });
