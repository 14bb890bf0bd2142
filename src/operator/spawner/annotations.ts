/**
 * Annotations a spawner puts on the Tasks it creates, with upstream's keys: where the item
 * came from, and how to report back to GitHub (read by the reporting step).
 *
 * @packageDocumentation
 */
import { Annotations, GROUP } from '../../api/group.ts';

/** Where a spawned Task's item came from. */
export const SourceAnnotations = {
  /** `issue` or `pull-request`. */
  Kind: Annotations.SourceKind,
  /** Issue or pull request number. */
  Number: Annotations.SourceNumber,
  Owner: `${GROUP}/source-owner`,
  Repo: `${GROUP}/source-repo`,
  /** Head commit of a pull request. */
  Sha: `${GROUP}/source-sha`,
  /**
   * The item a webhook Task was made for, as its sender names it: `acme/widgets#12` (GitHub),
   * `ENG-123` (a Linear issue), the mapped `id` as sent (a generic webhook). Not upstream's:
   * upstream's Linear and generic webhook Tasks carry nothing that leads back to their item.
   */
  Item: `${GROUP}/source-item`,
} as const;

/** Longest {@link SourceAnnotations.Item} kept: an id longer than this is no one's key. */
export const MAX_SOURCE_ITEM = 256;

/** The {@link SourceAnnotations.Item} annotation of `item`, cut to {@link MAX_SOURCE_ITEM}; none for ''. */
export const sourceItem = (item: string): Record<string, string> =>
  item
    ? {
        [SourceAnnotations.Item]:
          item.length > MAX_SOURCE_ITEM ? `${item.slice(0, MAX_SOURCE_ITEM - 1)}…` : item,
      }
    : {};

/** How a spawned Task reports back to GitHub. */
export const ReportingAnnotations = {
  /** `enabled` when status comments are on. */
  Comments: `${GROUP}/github-reporting`,
  /** `PerTask` or `Sticky`. */
  CommentMode: `${GROUP}/github-comment-mode`,
  /** `enabled` when check runs are on. */
  Checks: `${GROUP}/github-checks`,
  /** Name of the check run. */
  CheckName: `${GROUP}/github-check-name`,
} as const;
