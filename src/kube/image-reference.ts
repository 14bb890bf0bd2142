/**
 * Image references as the kubelet parses them (the distribution project's reference grammar):
 * `[registry-host[:port]/]path[:tag][@digest]`, path components in lowercase. The API server
 * takes any string as a container's image; the kubelet refuses what does not parse
 * (`InvalidImageName`) when the Pod starts, after everything was applied. Checked before: by
 * `kelos install` for the operator's image, and by `kelos validate` for an agent's.
 *
 * @packageDocumentation
 */

/** An image tag as registries take it: at most 128 characters. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const REGISTRY_HOST = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/**
 * Whether `prefix` (`ghcr.io/kelos-ts`, `localhost:5000/team`, a trailing `/` allowed) can start
 * an image reference: a registry host (one with a `.` or a port, or `localhost`) or a first
 * path component, then path components.
 */
export const isImagePrefix = (prefix: string): boolean => {
  const [first = '', ...rest] = prefix.replace(/\/+$/, '').split('/');
  const host = first.includes('.') || first.includes(':') || first === 'localhost';
  return (
    (host ? REGISTRY_HOST.test(first) : PATH_COMPONENT.test(first)) &&
    rest.every((c) => PATH_COMPONENT.test(c))
  );
};

/**
 * Why the kubelet would refuse `image` as a reference, or `undefined` when it parses: worded
 * to follow `"<image>" is not an image reference: `.
 */
export const imageReferenceProblem = (image: string): string | undefined => {
  if (image.trim() !== image) return 'it has white space before or after it';
  const at = image.indexOf('@');
  const named = at < 0 ? image : image.slice(0, at);
  if (at >= 0 && !DIGEST.test(image.slice(at + 1)))
    return 'what follows "@" is not a digest (algorithm:hex, e.g. sha256: and 64 hex digits)';
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tagged = colon > slash;
  const repository = tagged ? named.slice(0, colon) : named;
  if (tagged && !IMAGE_TAG.test(named.slice(colon + 1)))
    return 'its tag is not one (letters, digits, "_", "." and "-", not starting with "." or "-", at most 128)';
  if (repository === '' || repository.endsWith('/') || !isImagePrefix(repository))
    return 'its repository is not one (a registry host, then path components in lowercase: letters, digits and single separators . _ __ -)';
  return undefined;
};
