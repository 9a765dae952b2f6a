/**
 * Owner-bound containers: a container bound to the process that created it is killed and removed —
 * with its bundle, snapshot and staging directories — when that process dies, even by SIGKILL, as a
 * `docker run --rm` container goes with its client. A small watchdog process (owner/watchdog-main.ts),
 * started before anything is built, holds the read end of a pipe from the creator; the kernel closes
 * the write end when the creator dies, and the watchdog then takes the container down. A creator that
 * finishes normally releases it first.
 *
 * @module owner/bind
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { WatchdogMessage, WatchedContainer } from './protocol.js';

/** The built watchdog (`dist/watchdog.js`), found through this package's own exports. */
const WATCHDOG = createRequire(import.meta.url).resolve('@magikrun/registry/watchdog');

/** The creator's end of a watchdog. */
export interface OwnerBinding {
  /** Name the container to take down; call before anything of it is made (the bundle's claim, its build). */
  watch(container: WatchedContainer): void;
  /** The creator has removed the container itself (or keeps it on purpose): the watchdog exits without acting. */
  release(): Promise<void>;
}

function send(child: ChildProcess, m: WatchdogMessage): void {
  child.stdin?.write(`${JSON.stringify(m)}\n`);
}

/**
 * Start a watchdog bound to this process. It runs in its own session (`detached`), with no stdout or
 * stderr. Until {@link OwnerBinding.release} the pipe to it keeps this process's event loop alive, as
 * the bound container does.
 */
export function bindToCreator(): OwnerBinding {
  const child = spawn(process.execPath, [WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  // The pipe stays referenced: a process holding a bound container stays alive until it disposes of,
  // or unbinds, the container (unreferencing it kept a `magikrun run -i` whose stdin stays open from
  // exiting at all, measured on Node.js 20).

  child.on('error', () => undefined); // a watchdog that cannot start leaves the creator's own cleanup in charge
  child.stdin?.on('error', () => undefined);
  let released = false;
  return {
    watch: (container) => send(child, { watch: container }),
    release: async () => {
      if (released) return;
      released = true;
      send(child, { release: true });
      await new Promise<void>((resolve) => child.stdin?.end(resolve) ?? resolve());
    },
  };
}
