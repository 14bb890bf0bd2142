/**
 * Waiting on the cluster from the CLI: `install --wait`, `delete` and `uninstall` poll what they
 * wait for, since one-shot commands hold no watch.
 *
 * @packageDocumentation
 */

/** Polls `check` every half second until it returns true or `seconds` pass. */
export async function pollUntil(seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}
