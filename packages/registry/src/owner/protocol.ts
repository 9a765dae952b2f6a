/**
 * What the creating process tells its watchdog, one JSON object per line on the watchdog's stdin.
 *
 * @module owner/protocol
 */

/** The container to take down should the creator die. */
export interface WatchedContainer {
  /** Data root holding the container's bundle, snapshot and claim; absent for a bundle the caller made (then only the container is removed). */
  root?: string;
  id: string;
  /**
   * The runtime that is creating it, as the registry names it, and its state root; sent just before
   * `create` (until then only the bundle's leftovers are removed).
   */
  runtime?: string;
  stateRoot?: string;
  /**
   * The bundle directory the creator's create uses, and when (ms since the epoch) it began: only a
   * container of this id whose state names this bundle and which was created since then is the
   * creator's — never another process's container that already had the id.
   */
  bundle?: string;
  since?: number;
}

/** One line: `watch` a container (a later `watch` replaces an earlier one, as more becomes known), or `release` it (the creator has removed it, or keeps it on purpose). */
export type WatchdogMessage = { watch: WatchedContainer } | { release: true };
