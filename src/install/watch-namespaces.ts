/**
 * The namespaces a namespaced operator watches, as `kelos operator --namespace` reads them
 * and the install writes them: one flag value may list several, comma-separated
 * (`--namespace=team-a,team-b`), and the flag may be repeated. Shared by the CLI (which
 * parses the flag) and the install constructs (which render it), so the two agree on the
 * format.
 *
 * @packageDocumentation
 */

/** What the API server accepts as a Namespace name: an RFC 1123 label. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Namespaces every cluster has (the API server makes them): nothing needs to create them. */
export const KUBERNETES_NAMESPACES: ReadonlySet<string> = new Set([
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
]);

/** Separates namespaces in one `--namespace` value. */
export const NAMESPACE_LIST_SEPARATOR = ',';

/** What a namespace name must be, as messages say it. */
export const NAMESPACE_NAME_RULE =
  "a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";

/** Whether the API server takes `name` as a Namespace name. */
export const isNamespaceName = (name: string): boolean => NAMESPACE_NAME.test(name);

/** Why `name` cannot be a namespace, or undefined when it can. */
export const namespaceNameProblem = (name: string): string | undefined =>
  isNamespaceName(name) ? undefined : `"${name}" is not ${NAMESPACE_NAME_RULE}`;

/**
 * The namespaces `--namespace` values name, in order of first mention, each once.
 *
 * @param values - the flag's values, one per occurrence; each may list several.
 * @returns the namespaces, or the problem of the first value that is not a list of namespace
 *   names (an empty item, a name the API server would refuse).
 */
export const parseNamespaceList = (
  values: readonly string[],
): { namespaces: string[] } | { problem: string } => {
  const namespaces: string[] = [];
  for (const value of values) {
    for (const item of value.split(NAMESPACE_LIST_SEPARATOR)) {
      const name = item.trim();
      if (!name) return { problem: `"${value}" has an empty namespace name` };
      const problem = namespaceNameProblem(name);
      if (problem) return { problem };
      if (!namespaces.includes(name)) namespaces.push(name);
    }
  }
  return { namespaces };
};

/** The one `--namespace` flag that makes the operator watch `namespaces`. */
export const namespaceListFlag = (namespaces: readonly string[]): string =>
  `--namespace=${namespaces.join(NAMESPACE_LIST_SEPARATOR)}`;
