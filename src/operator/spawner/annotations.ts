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
} as const;

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
