/**
 * The watchdog process of an owner-bound container (see owner/bind.ts). It reads what to watch on its
 * stdin, a pipe from the creating process. End-of-file without a `release` means the creator is gone —
 * however it died, SIGKILL included, the kernel closes its end of the pipe — and the watchdog takes
 * the container down: SIGKILL and forced delete through its runtime (retried while a create or delete by
 * another process is still under way), then the bundle, its snapshot, staging directories and claim
 * (core's `sweepBundleLeftovers`). It runs in its own session, so the signals that ended its creator's
 * process group do not reach it; what it cannot do is written to stderr, which is discarded.
 *
 * @module owner/watchdog-main
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, isHostScoped, isMagikrunError, sweepBundleLeftovers, type HostScopedRuntime } from '@magikrun/core';
import { RuntimeRegistry } from '../registry.js';
import type { WatchdogMessage, WatchedContainer } from './protocol.js';

/** How long the watchdog keeps trying to delete, in ms (a create under way may need its monitor's undo first). */
const DELETE_FOR_MS = 30_000;

async function readMessages(): Promise<{ watched: WatchedContainer | undefined; released: boolean }> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  let watched: WatchedContainer | undefined;
  let released = false;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = JSON.parse(line) as WatchdogMessage;
    if ('watch' in m) watched = m.watch;
    if ('release' in m) released = true;
  }
  return { watched, released };
}

/**
 * Whether container `w.id` is the one the creator was creating: it names the creator's bundle and was
 * created since the creator's create began. A container that had the id before (the creator lost the
 * race for it) is never taken down. While it is still being created its record may not be readable yet:
 * look again until `deadline`.
 */
async function createdByCreator(runtime: HostScopedRuntime, w: WatchedContainer, deadline: number): Promise<boolean> {
  if (w.bundle === undefined || w.since === undefined) return false;
  for (;;) {
    try {
      const d = await runtime.inspect(w.id);
      return d.state.bundle === w.bundle && d.createdAt.getTime() >= w.since;
    } catch (e) {
      if (isMagikrunError(e, ErrorCode.NotFound)) return false; // never created, or undone by its monitor
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

async function takeDown(w: WatchedContainer): Promise<void> {
  const registry = await RuntimeRegistry.create(undefined, {
    ...(w.root !== undefined ? { root: w.root } : {}),
    ...(w.runtime !== undefined ? { runtimeOptions: { [w.runtime]: { stateRoot: w.stateRoot } } } : {}),
  });
  const found = w.runtime === undefined ? undefined : registry.get(w.runtime);
  const runtime = found && isHostScoped(found) ? found : undefined;
  const deadline = Date.now() + DELETE_FOR_MS;
  if (runtime && (await createdByCreator(runtime, w, deadline))) {
    for (;;) {
      try {
        await runtime.delete(w.id, { force: true });
        break;
      } catch (e) {
        if (isMagikrunError(e, ErrorCode.NotFound)) break;
        if (Date.now() > deadline) throw e;
        await sleep(100); // being created or deleted by another process: try again
      }
    }
  }
  const root = w.root;
  if (root === undefined) return;
  // Never touch what a container of any host-scoped runtime uses: one of this id whose bundle is this
  // root's (a name the creator never got). A container of the id elsewhere does not hold this bundle.
  const inUse = async (id: string): Promise<boolean> => {
    const mine = path.join(root, 'bundles', id);
    for (const rt of registry.runtimes().filter(isHostScoped)) {
      try {
        if ((await rt.state(id)).bundle === mine) return true;
      } catch (e) {
        if (!isMagikrunError(e, ErrorCode.NotFound)) return true; // unsure: keep it
      }
    }
    return false;
  };
  for (;;) {
    try {
      const report = await sweepBundleLeftovers(root, { ids: [w.id], inUse });
      // Kept: another live process holds the claim (a `magikrun rm` or `gc` removing it too), or the
      // container still exists (its delete by another process is under way). Look again shortly.
      if ((!report.busy.some((b) => b.id === w.id) && !report.inUse.includes(w.id)) || Date.now() > deadline) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await sleep(100);
  }
}

const { watched, released } = await readMessages();
if (watched && !released) {
  try {
    await takeDown(watched);
  } catch (e) {
    process.stderr.write(`magikrun watchdog: ${watched.id}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
