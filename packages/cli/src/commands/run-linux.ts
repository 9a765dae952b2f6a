/**
 * The Linux-container path of `magikrun run`: the image's snapshot as the rootfs (core's
 * `build({ kind: 'oci', rootfs: 'snapshot' })`, see linux-bundle),
 * then create → start on a runtime whose containers outlive this process (youki), and either
 *
 * - attached (the default): stdout/stderr straight to ours, SIGINT/SIGTERM/SIGHUP forwarded (a second
 *   SIGINT or SIGTERM kills), wait, and exit with the container's code (137 for SIGKILL and for the
 *   OOM killer, which is named on stderr); the container, its bundle and its snapshot are then removed,
 *   unless `--no-rm` keeps the stopped container for `ps -a` and `rm`;
 * - detached (`-d`): output to log files (`magikrun logs`), the id printed, exit 0 at once; the
 *   container keeps running under its monitor until `magikrun stop` / `rm`.
 *
 * @module commands/run-linux
 */
import type { CreateOptions, ExitStatus, OciBuildOptions, OciBundle, OciRuntime, PulledImage } from '@magikrun/core';
import { isMagikrunError, ErrorCode } from '@magikrun/core';
import type { SignalForwarder } from '../signals.js';
import { buildLinuxBundle, removeLinuxBundle } from '../linux-bundle.js';
import { reportExit } from '../report-exit.js';
import type { CliContext } from '../image-source.js';

/** One Linux run. */
export interface LinuxRun {
  ctx: CliContext;
  runtime: OciRuntime;
  image: PulledImage;
  id: string;
  build: OciBuildOptions;
  interactive: boolean;
  detach: boolean;
  /** Remove the container once it has stopped (attached runs only). */
  remove: boolean;
  signals: SignalForwarder;
}


/** Run it; resolves with the exit code for the shell. */
export async function runLinux(run: LinuxRun): Promise<number> {
  const { ctx, runtime, id, signals } = run;
  const bundle = await buildLinuxBundle({ root: ctx.root, store: ctx.store, image: run.image, signal: signals.abort.signal, onWarning: (m) => process.stderr.write(`magikrun: warning: ${m}\n`) }, id, run.build);
  let keep = false;
  // Only a container this run created is deleted on the way out: a create refused with ALREADY_EXISTS
  // (another data root's run took the same id meanwhile) must not delete that other container.
  let created = false;
  try {
    signals.throwIfReceived();
    // Detached: `detach` makes the runtime send stdout/stderr to its log files (YoukiRuntime's
    // stdout.log / stderr.log), which outlive this process; `magikrun logs` reads them.
    const options: CreateOptions & { detach?: boolean } = run.detach
      ? { detach: true, stdio: { stdin: 'ignore' }, signal: signals.abort.signal }
      : { stdio: { stdin: run.interactive ? process.stdin : 'ignore', stdout: process.stdout, stderr: process.stderr }, signal: signals.abort.signal };
    await runtime.create(id, bundle, options);
    created = true;
    signals.throwIfReceived();
    if (run.detach) {
      await runtime.start(id);
      keep = true;
      process.stdout.write(`${id}\n`);
      return 0;
    }
    signals.attach((signal) => {
      runtime.kill(id, signal).catch(() => undefined);
    });
    let status: ExitStatus;
    try {
      await runtime.start(id);
      status = await runtime.wait(id);
    } finally {
      signals.detach();
      if (run.interactive) process.stdin.pause();
    }
    keep = !run.remove;
    return reportExit(id, status);
  } finally {
    if (!keep) await discard(runtime, id, bundle, created);
  }
}

/**
 * Delete the container if this run created it (forced: it may still run after a failure), then remove
 * the bundle and snapshot.
 */
async function discard(runtime: OciRuntime, id: string, bundle: OciBundle, created: boolean): Promise<void> {
  if (created) {
    await runtime.delete(id, { force: true }).catch((e: unknown) => {
      if (!isMagikrunError(e, ErrorCode.NotFound)) throw e;
    });
  }
  await removeLinuxBundle(id, bundle.path, bundle.annotations);
}
