/**
 * What a GitHub delivery's filters need that its body does not say ({@link enrichmentNeeded}):
 * the files a pull request changes (`filePatterns`) and, for a comment on a pull request, its
 * head branch. Fetched with the spawner's own GitHub access (its Workspace's token and the
 * outbound guard, through the same {@link Pollers} the polling spawner uses, so the timeout
 * and the host policy are the same). A failure rejects: the receiver answers 503 so GitHub
 * retries rather than filtering on a guess.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../api/index.ts';
import type { Pollers } from '../reconcilers/task-spawner/source.ts';
import { type GitHubRepo, repoPath } from '../spawner/github-repo.ts';
import { obj } from './delivery.ts';
import type { Delivery, DeliveryEnrichment, enrichmentNeeded } from './match.ts';

/** Fetches the enrichment of a delivery for one spawner. */
export type Enricher = (
  spawner: TaskSpawner,
  delivery: Delivery,
  need: ReturnType<typeof enrichmentNeeded>,
) => Promise<DeliveryEnrichment>;

/** The pull request a delivery is about: `pull_request.number`, or the commented issue's number. */
const pullNumberOf = (payload: unknown): number | undefined => {
  const p = obj(payload);
  const n = obj(p.pull_request).number ?? obj(p.issue).number;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
};

/**
 * The repository a delivery is about (`repository.owner.login`/`repository.name`), on the
 * spawner's GitHub host; the spawner's own repository when the payload names none. A spawner
 * without `repository` hears every repository its hook covers (an organization hook), and the
 * pull request is the commented or changed one there, not the one of the same number in the
 * spawner's Workspace repository.
 */
const deliveryRepo = (payload: unknown, own: GitHubRepo): GitHubRepo => {
  const r = obj(obj(payload).repository);
  const owner = obj(r.owner).login;
  const name = r.name;
  return typeof owner === 'string' && owner && typeof name === 'string' && name
    ? { ...own, owner, repo: name }
    : own;
};

/** An {@link Enricher} over the spawners' GitHub access. */
export const githubEnricher =
  (pollers: Pick<Pollers, 'get'>): Enricher =>
  async (spawner, delivery, need) => {
    const n = pullNumberOf(delivery.payload);
    if (n === undefined) return {};
    const github = (await pollers.get(spawner)).github;
    if (!github) throw new Error('the TaskSpawner has no GitHub access');
    const base = `${repoPath(deliveryRepo(delivery.payload, github.repo))}/pulls/${n}`;
    const out: { changedFiles?: string[]; pullRequestHeadBranch?: string } = {};
    if (need.changedFiles) {
      const files = await github.client.list<{ filename: string }>(`${base}/files?per_page=100`);
      out.changedFiles = files.data.map((f) => f.filename);
    }
    if (need.pullRequestHeadBranch) {
      const pr = await github.client.get<{ head?: { ref?: string } }>(base);
      const ref = pr.data.head?.ref;
      if (ref) out.pullRequestHeadBranch = ref;
    }
    return out;
  };
