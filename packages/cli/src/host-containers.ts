/**
 * The containers `ps`, `logs`, `stop` and `rm` work on: those of the runtimes whose containers outlive
 * the process that created them (core's `HostScopedRuntime`, `capabilities.scope` `'host'`), found from
 * any process. Containers of `'process'` scope live inside the `magikrun run` that started them and are
 * never listed here.
 *
 * @module host-containers
 */
import { err, ErrorCode, isHostScoped, isMagikrunError } from '@magikrun/core';
import type { ContainerDetails, ContainerState, ContainerStatus, ExitStatus, HostScopedRuntime, OciRuntime } from '@magikrun/core';
import type { RuntimeRegistry, UnavailableRuntime } from '@magikrun/registry';
import { openContext, openRegistry, type CliContext } from './image-source.js';

/** A container as the CLI shows it: the OCI state plus what the runtime knows beyond it. */
export interface ContainerInfo extends ContainerState {
  /** The runtime that holds it. */
  runtime: string;
  /** When it was created (ISO 8601). */
  created?: string;
  /** How it ended, once stopped. */
  exit?: ExitStatus;
  /** Files holding its stdout and stderr (containers started with `run -d`). */
  logs?: { stdout?: string; stderr?: string };
}

function infoOf(runtime: OciRuntime, d: ContainerDetails): ContainerInfo {
  return {
    ...d.state,
    runtime: runtime.name,
    created: d.createdAt.toISOString(),
    ...(d.exit ? { exit: d.exit } : {}),
    ...(d.logFiles.stdout || d.logFiles.stderr ? { logs: { ...d.logFiles } } : {}),
  };
}

/** The runtimes with host-scoped containers, and why the others of that kind are missing. */
export interface HostRuntimes {
  /** The data root and store they were opened with. */
  ctx: CliContext;
  runtimes: HostScopedRuntime[];
  unavailable: readonly UnavailableRuntime[];
}

/** The available runtimes of `registry` whose containers outlive their creator (`scope: 'host'`). */
export function hostScoped(registry: RuntimeRegistry): HostScopedRuntime[] {
  return registry.runtimes().filter(isHostScoped);
}

/** The status of container `id` in `runtime`, or undefined when it has none of that id. */
export async function containerStatus(runtime: OciRuntime, id: string): Promise<ContainerStatus | undefined> {
  try {
    return (await runtime.state(id)).status;
  } catch (e) {
    if (isMagikrunError(e, ErrorCode.NotFound)) return undefined;
    throw e;
  }
}

/** Whether one of `runtimes` has a container `id`, in any status. */
export async function containerExists(runtimes: readonly OciRuntime[], id: string): Promise<boolean> {
  for (const rt of runtimes) if ((await containerStatus(rt, id)) !== undefined) return true;
  return false;
}

/** Open the registry and pick the runtimes whose containers any process can see. */
export async function openHostRuntimes(root?: string): Promise<HostRuntimes> {
  const ctx = await openContext(root);
  const registry = await openRegistry(ctx);
  const runtimes = hostScoped(registry);
  // The runtimes of Linux containers that did not load, with why (what `ps` and friends then report).
  return { ctx, runtimes, unavailable: registry.unavailableRuntimes().filter((u) => u.bundleKinds.includes('oci')) };
}

/**
 * One container's details from its runtime.
 *
 * @throws MagikrunError `NOT_FOUND` as the runtime throws it.
 */
export async function describe(runtime: HostScopedRuntime, id: string): Promise<ContainerInfo> {
  return infoOf(runtime, await runtime.inspect(id));
}

/** Every container of `runtimes`, with details. */
export async function listContainers(runtimes: readonly HostScopedRuntime[]): Promise<ContainerInfo[]> {
  const out: ContainerInfo[] = [];
  for (const rt of runtimes) out.push(...(await rt.containers()).map((d) => infoOf(rt, d)));
  return out;
}

/**
 * The runtime holding container `id`, and its details.
 *
 * @throws MagikrunError `NOT_FOUND` (no runtime has it; the message points at `magikrun ps -a`),
 *   `UNAVAILABLE` (no runtime with host-scoped containers works here, with the reasons).
 */
export async function findContainer(hosts: HostRuntimes, id: string): Promise<{ runtime: HostScopedRuntime; info: ContainerInfo }> {
  if (hosts.runtimes.length === 0) throw noHostRuntime(hosts);
  for (const runtime of hosts.runtimes) {
    try {
      return { runtime, info: await describe(runtime, id) };
    } catch (e) {
      if (!isMagikrunError(e, ErrorCode.NotFound)) throw e;
    }
  }
  throw err(ErrorCode.NotFound, `no such container: ${id} (see "magikrun ps -a")`, { id });
}

/** The error for a host where no runtime with host-scoped containers is available. */
export function noHostRuntime(hosts: HostRuntimes): Error {
  const why = hosts.unavailable.map((u) => `${u.name}: ${u.reason}`);
  return err(
    ErrorCode.Unavailable,
    `no runtime for Linux containers is available on this host${why.length > 0 ? `: ${why.join('; ')}` : ''}`,
    { unavailable: hosts.unavailable.map((u) => ({ name: u.name, reason: u.reason })) },
  );
}
