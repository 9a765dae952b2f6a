/**
 * OCI `create`: spawn the monitor, which reserves the id, mounts the rootfs, creates the container
 * through libcontainer and reports its init's pid.
 *
 * @module lifecycle/create
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CONTAINER_START_TIMEOUT } from '@magikrun/core/constants';
import { err, ErrorCode, isMagikrunError } from '@magikrun/core/errors';
import { type Bundle, type ContainerState, type OciBundle, validateContainerId } from '@magikrun/core/runtime';
import { nativeErrorCode } from '@magikrun/core/native';
import { fromBindingError, fromMonitorFailure } from '../binding/errors.js';
import type { MonitorConfig } from '../binding/monitor-protocol.js';
import { containerStateOf } from '../exit-status.js';
import type { YoukiCreateOptions } from '../options.js';
import { planStdio } from '../stdio/plan.js';
import { checkBundleResources } from './bundle-resources.js';
import { rootHandle, type RuntimeContext } from './context.js';
import { readReport, spawnMonitor } from './spawn-monitor.js';

/** Resolves once `child` has exited (and Node.js has reaped it). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

function checkBundle(bundle: Bundle): OciBundle {
  if (bundle?.kind !== 'oci') {
    throw err(ErrorCode.InvalidArgument, `the youki runtime runs OCI bundles (kind 'oci'), not ${JSON.stringify(bundle?.kind)}`, { kind: bundle?.kind });
  }
  for (const key of ['path', 'rootfs'] as const) {
    const p = bundle[key];
    if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0')) {
      throw err(ErrorCode.InvalidArgument, `bundle.${key} must be an absolute path, not ${JSON.stringify(p)}`, { [key]: p });
    }
  }
  for (const m of bundle.rootfsMounts ?? []) {
    if ((m.type !== 'overlay' && m.type !== 'bind') || typeof m.source !== 'string' || !Array.isArray(m.options)) {
      throw err(ErrorCode.InvalidArgument, `a rootfs mount must be { type: 'overlay' | 'bind', source, options[] }, not ${JSON.stringify(m)}`, {});
    }
  }
  return bundle;
}

/**
 * @throws MagikrunError `INVALID_ARGUMENT` (bad id, bundle or stdio; libcontainer refused the
 *   config), `NOT_FOUND` (no config.json), `ALREADY_EXISTS`, `UNAVAILABLE` (host or monitor),
 *   `TIMEOUT`, `ABORTED`, `INTERNAL`.
 */
export async function create(ctx: RuntimeContext, id: string, bundle: Bundle, options: YoukiCreateOptions = {}): Promise<ContainerState> {
  validateContainerId(id);
  const oci = checkBundle(bundle);
  const plan = planStdio(options.stdio, options.detach === true);
  const root = path.resolve(options.stateRoot ?? ctx.stateRoot);
  await ctx.hostReady();
  await checkBundleResources(oci);
  if (options.signal?.aborted) throw err(ErrorCode.Aborted, `create "${id}" was aborted`, { id });
  const handle = rootHandle(ctx, root);
  if (ctx.local.has(id) && ctx.local.get(id)?.root !== root) {
    throw err(ErrorCode.AlreadyExists, `container "${id}" already exists (in ${ctx.local.get(id)?.root})`, { id });
  }
  // A fast answer for the common case; the monitor's atomic rename is what decides.
  try {
    handle.state(id);
    throw err(ErrorCode.AlreadyExists, `container "${id}" already exists in ${root}; delete it or choose another id`, { id, stateRoot: root });
  } catch (e) {
    if (isMagikrunError(e)) throw e;
    if (nativeErrorCode(e) !== ErrorCode.NotFound) throw fromBindingError(e, `create "${id}"`, { id });
  }

  const config: MonitorConfig = {
    id,
    stateRoot: root,
    bundle: oci.path,
    rootfs: oci.rootfs,
    rootfsMounts: (oci.rootfsMounts ?? []).map((m) => ({ type: m.type, source: m.source, options: [...m.options] })),
    ...(oci.stopSignal ? { stopSignal: oci.stopSignal } : {}),
    systemd: ctx.systemdCgroup,
    ...plan.monitor,
  };
  const child = spawnMonitor(ctx.monitorPath, config, plan.spawn);
  const attached = plan.attach(child);
  let report;
  try {
    report = await readReport(child, id, options.timeoutMs ?? CONTAINER_START_TIMEOUT, options.signal);
  } catch (e) {
    // Timed out or aborted mid-way: stop the monitor and remove whatever it made (only if it is ours).
    child.kill('SIGKILL');
    await exited(child);
    try {
      if (handle.state(id).monitorPid === child.pid) await handle.delete(id, true, ctx.deleteTimeoutMs);
    } catch {
      // nothing of it was left, or another container holds the id
    }
    // A monitor killed while it wrote its reservation leaves an `@creating-<pid>-…` directory: list
    // removes those of dead monitors (this one is dead and reaped now).
    await handle.list().catch(() => undefined);
    throw e;
  }
  if (!report.ok) {
    // The monitor has undone what it made and is exiting: wait for it (SIGKILL after the delete
    // timeout), so that a failed create has left no process behind when it rejects.
    const timer = setTimeout(() => child.kill('SIGKILL'), ctx.deleteTimeoutMs);
    await exited(child);
    clearTimeout(timer);
    throw fromMonitorFailure(report, `create "${id}"`, { id, bundle: oci.path });
  }
  // The container does not keep this process alive (pipes to it still do, while open).
  child.unref();
  child.on('error', () => undefined);
  ctx.local.set(id, { root, streams: attached.streams, outputDone: attached.outputDone });
  try {
    return containerStateOf(handle.state(id));
  } catch (e) {
    throw fromBindingError(e, `create "${id}"`, { id });
  }
}
