/**
 * The containers `ps`, `logs`, `stop` and `rm` work on: those of the runtimes whose containers outlive
 * the process that created them (`scope: 'host'`, such as youki), found from any process. WebAssembly
 * containers live inside the `magikrun run` that started them and are never listed here.
 *
 * @module host-containers
 */
import { err, ErrorCode, isMagikrunError } from '@magikrun/core';
import type { ContainerState, ContainerStatus, ExitStatus, OciRuntime } from '@magikrun/core';
import { BUILTIN_CANDIDATES } from '@magikrun/registry';
import type { RuntimeRegistry, UnavailableRuntime } from '@magikrun/registry';
import { openContext, openRegistry, type CliContext } from './image-source.js';

/** A container as the CLI shows it: the OCI state plus what the runtime knows beyond it. */
export interface ContainerInfo extends ContainerState {
  /** The runtime that holds it. */
  runtime: string;
  /** When it was created (ISO 8601), if the runtime records it. */
  created?: string;
  /** How it ended, once stopped. */
  exit?: ExitStatus;
  /** Files holding its stdout and stderr (containers started with `run -d`). */
  logs?: { stdout?: string; stderr?: string };
}

/** A log stream of a container (a Readable of its bytes). */
export type LogReadable = NodeJS.ReadableStream;

/**
 * What a runtime may offer beyond `OciRuntime` for the CLI — YoukiRuntime's `inspect`, `containers`
 * and `logs`. Checked at run time, so that the CLI needs no runtime package to build.
 */
interface HostDetails {
  inspect(id: string): Promise<InspectResult>;
  containers?(): Promise<InspectResult[]>;
  logs?(id: string, options?: { follow?: boolean; signal?: AbortSignal }): { stdout?: LogReadable; stderr?: LogReadable };
}

interface InspectResult {
  state: ContainerState;
  createdAt?: Date;
  exit?: ExitStatus;
  logFiles?: { stdout?: string; stderr?: string };
}

function hasDetails(rt: OciRuntime): rt is OciRuntime & HostDetails {
  return typeof (rt as Partial<HostDetails>).inspect === 'function';
}

function infoOf(runtime: OciRuntime, d: InspectResult): ContainerInfo {
  return {
    ...d.state,
    runtime: runtime.name,
    ...(d.createdAt ? { created: d.createdAt.toISOString() } : {}),
    ...(d.exit ? { exit: d.exit } : {}),
    ...(d.logFiles && (d.logFiles.stdout || d.logFiles.stderr) ? { logs: { ...d.logFiles } } : {}),
  };
}

/**
 * The log streams of container `id` (stdout, stderr), following them until it stops with `follow`.
 *
 * @throws MagikrunError `UNSUPPORTED` when the runtime keeps no logs; `NOT_FOUND`.
 */
export function containerLogs(runtime: OciRuntime, id: string, options: { follow?: boolean; signal?: AbortSignal }): { stdout?: LogReadable; stderr?: LogReadable } {
  if (!hasDetails(runtime) || typeof runtime.logs !== 'function') {
    throw err(ErrorCode.Unsupported, `the ${runtime.name} runtime keeps no logs of its containers`, { runtime: runtime.name });
  }
  return runtime.logs(id, options);
}

/** The runtimes with host-scoped containers, and why the others of that kind are missing. */
export interface HostRuntimes {
  /** The data root and store they were opened with. */
  ctx: CliContext;
  runtimes: OciRuntime[];
  unavailable: readonly UnavailableRuntime[];
}

/** The available runtimes of `registry` whose containers outlive their creator (`scope: 'host'`). */
export function hostScoped(registry: RuntimeRegistry): OciRuntime[] {
  return registry.availableRuntimes().map((n) => registry.get(n)!).filter((rt) => rt.scope === 'host');
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
  const linux = new Set(BUILTIN_CANDIDATES.filter((c) => c.bundleKinds.includes('oci')).map((c) => c.name));
  return { ctx, runtimes, unavailable: registry.unavailableRuntimes().filter((u) => linux.has(u.name)) };
}

/**
 * One container's details from its runtime.
 *
 * @throws MagikrunError `NOT_FOUND` as the runtime throws it.
 */
export async function describe(runtime: OciRuntime, id: string): Promise<ContainerInfo> {
  if (hasDetails(runtime)) return infoOf(runtime, await runtime.inspect(id));
  return { ...(await runtime.state(id)), runtime: runtime.name };
}

/** Every container of `runtimes`, with details. */
export async function listContainers(runtimes: readonly OciRuntime[]): Promise<ContainerInfo[]> {
  const out: ContainerInfo[] = [];
  for (const rt of runtimes) {
    if (hasDetails(rt) && typeof rt.containers === 'function') {
      out.push(...(await rt.containers()).map((d) => infoOf(rt, d)));
      continue;
    }
    for (const s of await rt.list()) {
      try {
        out.push(await describe(rt, s.id));
      } catch (e) {
        if (!isMagikrunError(e, ErrorCode.NotFound)) throw e; // removed meanwhile
      }
    }
  }
  return out;
}

/**
 * The runtime holding container `id`, and its details.
 *
 * @throws MagikrunError `NOT_FOUND` (no runtime has it; the message points at `magikrun ps -a`),
 *   `UNAVAILABLE` (no runtime with host-scoped containers works here, with the reasons).
 */
export async function findContainer(hosts: HostRuntimes, id: string): Promise<{ runtime: OciRuntime; info: ContainerInfo }> {
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
