/**
 * `--beside <paths...>` of `kelos check` and `kelos validate`: manifests deployed beside the
 * paths named (the rendered apps in `dist/`), read so what spans bundles (a TaskBudget there
 * covering a spawner here, a reference to a Workspace there) resolves, their Argo CD objects
 * bundling the paths as those among the paths do, and never reported on: what is wrong with
 * those files is their own check's.
 *
 * @packageDocumentation
 */
import { ARGO_GROUP } from '../validate/argocd-paths.ts';
import { type Bundle, type BundleLoad, loadBundles } from '../validate/kustomization.ts';
import { type CliIo, UsageError } from './io.ts';

/**
 * Refuses `--beside` where it has no meaning: without paths (the apps are then read, each
 * beside the others), or naming standard input.
 *
 * @param command the command's name: `check`, `validate`.
 * @param verb what the command does to its paths: `checked`, `validated`.
 * @throws UsageError naming what was expected.
 */
export const assertBesideUsable = (
  beside: readonly string[] | undefined,
  paths: readonly string[],
  command: string,
  verb: string,
): void => {
  if (beside === undefined) return;
  if (paths.length === 0) {
    // --beside takes every argument after it: `--beside dist/ manifests/` leaves no paths.
    const [first, ...rest] = beside;
    throw new UsageError(
      rest.length > 0
        ? `--beside took every argument after it (${beside.join(' ')}), so no paths are left to be ${verb}; name the paths before --beside (kelos ${command} ${rest.join(' ')} --beside ${first}), or write --beside=${first}`
        : `--beside reads manifests beside the paths ${verb}; with no paths the apps are ${verb}, each beside the others`,
    );
  }
  if (beside.includes('-')) throw new UsageError('--beside reads files and directories, not standard input');
};

/**
 * Loads the paths a command reads (`paths`) with those `--beside` them (`beside`): the paths'
 * bundles, the Argo CD Applications and ApplicationSets beside bundling the paths' loose
 * manifests as those among the paths do (the apps live in `argocd/`, the manifests they sync are
 * checked), and the bundles the `--beside` paths deploy (`context`), without the documents of
 * files the paths read too: those are reported on where they are. Each bundle beside keeps its
 * files that did not parse (`unread`), which are not reported either: a reference that resolves
 * nowhere may name an object of one of them.
 *
 * @throws Error naming the path when a path, or one beside, does not exist or cannot be read.
 */
export const loadWithBeside = async (
  paths: readonly string[],
  beside: readonly string[] | undefined,
  io: CliIo,
): Promise<{ loaded: BundleLoad; context: Bundle[] }> => {
  if (beside === undefined || beside.length === 0)
    return { loaded: await loadBundles(paths, io.readStdin, io.cwd), context: [] };
  // Beside first: its Argo CD objects decide how the paths' loose manifests are bundled.
  const around = await loadBundles(beside, io.readStdin, io.cwd);
  const argocd = around.bundles.flatMap((b) =>
    b.documents.filter((d) => String(d.object['apiVersion'] ?? '').startsWith(ARGO_GROUP)),
  );
  const loaded = await loadBundles(paths, io.readStdin, io.cwd, argocd);
  const checked = new Set(loaded.files);
  // Loose manifests (no kustomization root) are a bundle named '' here as among the paths; named
  // alike, a reference from the paths' loose manifests to them would count as within its own
  // bundle and never resolve beside it. They are named after the --beside paths instead.
  const context = around.bundles.map((b) => {
    const unread = (b.unread ?? []).filter((f) => !checked.has(f));
    return {
      name: b.name === '' ? beside.join(', ') : b.name,
      documents: b.documents.filter((d) => !checked.has(d.file)),
      ...(unread.length > 0 && { unread }),
    };
  });
  return { loaded, context };
};
