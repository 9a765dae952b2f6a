/**
 * `magikrun run IMAGE [ARGS…]`: pull if needed, build the bundle, run it, stream its stdout and stderr,
 * forward SIGINT/SIGTERM to it, remove the container, exit with its exit code (docker run's contract).
 *
 * One lifecycle for every backend. The image gives the bundle kinds it can run as (a Linux image as a
 * Linux container, or — runwasi's rule — as WebAssembly when its entrypoint is a module; a wasm image as
 * WebAssembly); the flags give what the run needs (limits, stdin, detach, a container that outlives this
 * process, user, hostname, network); the registry's selection step picks the kind and the runtime from
 * the runtimes' declared capabilities. A flag no chosen runtime can honour is refused with `UNSUPPORTED`
 * naming it, never ignored. Then: build the bundle, create, start, and either
 *
 * - attached (the default): stdio to ours, SIGINT/SIGTERM/SIGHUP forwarded (a second SIGINT or SIGTERM
 *   kills), wait, and exit with the container's code (137 for SIGKILL and for the OOM killer, which is
 *   named on stderr); the container and its bundle (and snapshot) are then removed, unless `--no-rm`
 *   keeps the stopped container for `ps -a` and `rm`;
 * - detached (`-d`): output to log files (`magikrun logs`), the id printed, exit 0 at once; the container
 *   keeps running until `magikrun stop` / `rm`.
 *
 * `--rm`: unlike `docker run`, an attached run removes its container when it ends by default (there is
 * no daemon to collect stopped containers later, and forgotten stopped containers are docker's most
 * common leak). A detached container is kept until `magikrun rm`, as docker keeps it; `-d --rm` is
 * refused (no process would be left to remove it).
 *
 * @module commands/run
 */
import { randomBytes } from 'node:crypto';
import { Option } from 'commander';
import type { Command } from 'commander';
import { err, ErrorCode, imageBundleKind, isMagikrunError, limitsGiven, parseNetworkMode } from '@magikrun/core';
import type { Bundle, BundleKind, ExitStatus, MagikrunError, NetworkModeKind, OciBuildOptions, OciRuntime, PulledImage, ResourceLimits, StdioOptions } from '@magikrun/core';
import type { RefusedRuntime, RuntimeNeeds, RuntimeRegistry } from '@magikrun/registry';
import { missingCapabilities } from '@magikrun/registry';
import { SignalForwarder } from '../signals.js';
import { networkFromFlag, resourcesFromFlags } from '../resource-flags.js';
import { reportExit } from '../report-exit.js';
import { buildRunBundle, removeRunBundle } from '../run-bundle.js';
import { reserveContainerName, validateContainerName } from '../container-name.js';
import { collect, parseEnv, parseVolume } from '../options.js';
import { addRegistryFlags, registryAccessFrom, type RegistryFlags } from '../registry-flags.js';
import { openContext, openRegistry, resolveImage, type CliContext } from '../image-source.js';
import type { GlobalOptions } from '../global-options.js';

interface RunOptions extends RegistryFlags {
  runtime?: string;
  platform?: string;
  env: string[];
  volume: string[];
  entrypoint?: string;
  workdir?: string;
  interactive?: boolean;
  pull: 'missing' | 'always' | 'never';
  name?: string;
  quiet?: boolean;
  fuel?: string;
  memory?: string;
  timeout?: string;
  allowAboveDefault?: boolean;
  cpus?: string;
  pidsLimit?: string;
  network?: string;
  user?: string;
  hostname?: string;
  detach?: boolean;
  /** true: --rm, false: --no-rm, undefined: the default (remove attached runs, keep detached ones). */
  rm?: boolean;
}

/** Everything `run` was asked for, checked before anything is pulled. */
interface RunPlan {
  reference: string;
  id: string;
  /** The name was made up here (no --name): nothing to look for under it. */
  generated: boolean;
  runtime?: string;
  needs: RuntimeNeeds;
  build: OciBuildOptions;
  resolve: { platform?: string; pull: RunOptions['pull']; quiet: boolean; access: ReturnType<typeof registryAccessFrom> };
  interactive: boolean;
  detach: boolean;
  /** Remove the container once it has stopped (attached runs). */
  remove: boolean;
  allowAboveDefault: boolean;
}

/** The flag a user typed for each need, for messages. */
const LIMIT_FLAGS: Readonly<Record<keyof ResourceLimits, string>> = { memoryBytes: '--memory', cpus: '--cpus', pids: '--pids-limit', wallClockMs: '--timeout', fuel: '--fuel' };
const NEED_FLAGS: Readonly<Record<Exclude<keyof RuntimeNeeds, 'limits'>, string>> = {
  stdin: '--interactive',
  detach: '--detach',
  outlive: '--no-rm',
  user: '--user',
  hostname: '--hostname',
  network: '--network',
};
/** How a bundle kind is named to users. */
const KIND_NOUNS: Readonly<Record<BundleKind, string>> = { oci: 'Linux', wasm: 'WebAssembly', microvm: 'microVM' };

export function registerRun(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('run')
    .description('run an image and exit with its exit code')
    .argument('<image>', 'image reference (registry/repo:tag, @sha256:…, or oci:DIR[:TAG] for an OCI layout)')
    .argument('[args...]', 'arguments, replacing the image Cmd')
    // docker's -h is --hostname; help stays --help.
    .helpOption('--help', 'display help for command')
    .option('--runtime <name>', 'backend to use (default: the first available for the image kind)')
    .option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image, e.g. wasip1/wasm')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-v, --volume <HOST:GUEST[:ro]>', 'map a host directory (repeatable)', collect, [])
    .option('--entrypoint <path>', 'override the image Entrypoint (clears its Cmd)')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-i, --interactive', 'connect stdin (otherwise it is closed)')
    .addOption(new Option('--pull <policy>', 'when to pull the image').choices(['missing', 'always', 'never']).default('missing'))
    .option('--name <id>', 'container id (default: a random one)')
    .option('-q, --quiet', 'no pull progress')
    .option('-d, --detach', 'linux: run in the background, print the id (see magikrun ps, logs, stop, rm)')
    .option('--rm', 'remove the container when it stops (the default for attached runs)')
    .option('--no-rm', 'linux: keep the stopped container of an attached run (for ps -a, rm)')
    .option('-u, --user <name|uid[:group|gid]>', "linux: user to run as, from the image's /etc/passwd and /etc/group")
    .option('-m, --memory <size>', 'memory limit, e.g. 64m or 1g (b, k, m, g: powers of 1024): linux: cgroup limit (OOM kill above it); wasm: linear memory, default 256m')
    .option('--cpus <n>', 'linux: CPU limit, e.g. 0.5')
    .option('--pids-limit <n>', 'linux: most processes and threads')
    .option('--network <none|host|PATH>', 'linux: none (own namespace, loopback only; default), host, or a network namespace path')
    .option('-h, --hostname <name>', 'linux: container hostname')
    .option('--fuel <n|unlimited>', 'wasm: fuel (about one unit per instruction); default 1e9')
    .option('--timeout <duration>', 'wasm: wall-clock limit from start: seconds, or a duration such as 1m30s; default none')
    .option('--allow-above-default', 'wasm: let --fuel/--memory exceed their defaults');
  addRegistryFlags(command)
    .passThroughOptions()
    .action(async (image: string, args: string[], opts: RunOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      setExitCode(await run(image, args, opts, globals));
    });
}

async function run(reference: string, args: string[], opts: RunOptions, globals: GlobalOptions): Promise<number> {
  const signals = new SignalForwarder();
  try {
    const plan = planRun(reference, args, opts);
    const ctx = await openContext(globals.root);
    const registry = await openRegistry(ctx);
    // Before anything is pulled or written: a taken name must not touch the container holding it, and
    // what a killed run left under it is removed. The claim is this run's until it ends.
    const claim = await reserveContainerName(ctx.root, registry, plan.id, { generated: plan.generated });
    try {
      return await execute(plan, ctx, registry, signals);
    } finally {
      await claim.release();
    }
  } catch (e) {
    if (signals.received) {
      process.stderr.write(`magikrun: interrupted by ${signals.received}\n`);
      return signals.exitCode();
    }
    throw e;
  } finally {
    signals.dispose();
  }
}

function networkKind(network: string): NetworkModeKind {
  const parsed = parseNetworkMode(network);
  return parsed.kind === 'netns' ? 'path' : parsed.kind;
}

/** Every option, checked. @throws MagikrunError `INVALID_ARGUMENT`, `UNSUPPORTED` (`-d --rm`) */
function planRun(reference: string, args: string[], opts: RunOptions): RunPlan {
  const resources = resourcesFromFlags(opts);
  const network = networkFromFlag(opts.network);
  const detach = opts.detach === true;
  if (detach && opts.rm === true) {
    throw err(ErrorCode.Unsupported, '--rm with -d is not supported: remove a detached container with "magikrun rm ID" once it has stopped (or "magikrun rm -f ID")', {});
  }
  const interactive = opts.interactive === true;
  return {
    reference,
    id: validateContainerName(opts.name ?? `magikrun-${randomBytes(6).toString('hex')}`),
    generated: opts.name === undefined,
    ...(opts.runtime !== undefined ? { runtime: opts.runtime } : {}),
    needs: {
      limits: limitsGiven(resources),
      stdin: interactive,
      detach,
      // -d needs a runtime that detaches (whose containers outlive their creator); --no-rm only the latter.
      outlive: opts.rm === false && !detach,
      user: opts.user !== undefined,
      hostname: opts.hostname !== undefined,
      ...(network !== undefined ? { network: networkKind(network) } : {}),
    },
    build: {
      args: args.length > 0 ? args : undefined,
      entrypoint: opts.entrypoint === undefined ? undefined : [opts.entrypoint],
      env: parseEnv(opts.env),
      volumes: opts.volume.map((v) => parseVolume(v)),
      workdir: opts.workdir,
      user: opts.user,
      hostname: opts.hostname,
      network,
      resources,
    },
    resolve: { platform: opts.platform, pull: opts.pull, quiet: opts.quiet === true, access: registryAccessFrom(opts) },
    interactive,
    detach,
    remove: opts.rm !== false,
    allowAboveDefault: opts.allowAboveDefault === true,
  };
}

/** Pull, select, build, then create → start → wait (or detach) → delete, with signals forwarded while it runs. */
async function execute(plan: RunPlan, ctx: CliContext, registry: RuntimeRegistry, signals: SignalForwarder): Promise<number> {
  const { id } = plan;
  // --runtime restricts the platforms a pull accepts to those that runtime runs.
  const named = plan.runtime !== undefined ? registry.require(plan.runtime) : undefined;
  const image = await resolveImage(ctx, registry, plan.reference, {
    ...plan.resolve,
    signal: signals.abort.signal,
    ...(named ? { kinds: named.capabilities.bundleKinds } : {}),
  });
  signals.throwIfReceived();
  const imageKind = imageBundleKind(image);
  // A Linux image may also run as WebAssembly when its entrypoint is a module (runwasi's rule).
  const kinds: BundleKind[] = imageKind === 'oci' ? ['oci', 'wasm'] : [imageKind];
  let selected: { runtime: OciRuntime; kind: BundleKind; refused: RefusedRuntime[] };
  try {
    selected = registry.select({ kinds, needs: plan.needs, ...(plan.runtime !== undefined ? { runtime: plan.runtime } : {}) });
  } catch (e) {
    throw explainRefusal(e, registry, image, imageKind, plan);
  }
  const { runtime, kind } = selected;
  const onWarning = (m: string): boolean => process.stderr.write(`magikrun: warning: ${m}\n`);
  const bundle = await buildRunBundle({ root: ctx.root, store: ctx.store, image, signal: signals.abort.signal, onWarning }, id, kind, plan.build).catch((e: unknown) => {
    if (kind !== imageKind && isMagikrunError(e, ErrorCode.InvalidArgument) && (e.details as { wasmModule?: unknown } | undefined)?.wasmModule === 'absent') {
      throw noModule(e, registry, image, selected.refused, plan, named);
    }
    throw e;
  });
  let keep = false;
  // Only a container this run created is deleted on the way out: a create refused with ALREADY_EXISTS
  // (another data root's run took the same id meanwhile) must not delete that other container.
  let created = false;
  try {
    signals.throwIfReceived();
    const stdio: StdioOptions = plan.detach
      ? { stdin: 'ignore' }
      : { stdin: plan.interactive ? process.stdin : 'ignore', stdout: process.stdout, stderr: process.stderr };
    await runtime.create(id, bundle, { stdio, detach: plan.detach, allowAboveDefault: plan.allowAboveDefault, signal: signals.abort.signal });
    created = true;
    signals.throwIfReceived();
    if (plan.detach) {
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
      if (plan.interactive) process.stdin.pause();
    }
    keep = !plan.remove;
    return reportExit(id, status);
  } finally {
    if (!keep) await discard(runtime, id, bundle, created);
  }
}

/**
 * Delete the container if this run created it (forced: it may still run after a failure), then remove
 * its bundle (and snapshot).
 */
async function discard(runtime: OciRuntime, id: string, bundle: Bundle, created: boolean): Promise<void> {
  if (created) {
    await runtime.delete(id, { force: true }).catch((e: unknown) => {
      if (!isMagikrunError(e, ErrorCode.NotFound)) throw e;
    });
  }
  await removeRunBundle(id, bundle.path, bundle.annotations);
}

/** The flags behind the needs that `refused` runtimes lacked, in the order typed. */
function flagsOf(refused: readonly RefusedRuntime[]): string[] {
  const flags = new Set<string>();
  for (const r of refused) for (const m of r.missing ?? []) flags.add(m.need === 'limits' ? LIMIT_FLAGS[m.limit!] : NEED_FLAGS[m.need]);
  return [...flags];
}

/** "X applies to Linux containers, not WebAssembly ones (…)", from what the available runtimes declare. */
function flagsError(registry: RuntimeRegistry, refused: readonly RefusedRuntime[], imageKind: BundleKind, plan: RunPlan, cause: unknown): MagikrunError {
  const lacking = refused.filter((r) => r.why === 'needs');
  const flags = flagsOf(lacking);
  const needs: RuntimeNeeds = {};
  for (const r of lacking) {
    for (const m of r.missing ?? []) {
      if (m.need === 'limits') needs.limits = [...(needs.limits ?? []), m.limit!];
      else (needs as Record<string, unknown>)[m.need] = plan.needs[m.need];
    }
  }
  const kinds = new Set(registry.runtimes().filter((rt) => missingCapabilities(rt, needs).length === 0).flatMap((rt) => rt.capabilities.bundleKinds));
  const verb = flags.length === 1 ? 'applies' : 'apply';
  const reasons = refused.map((r) => r.reason).join('; ');
  const lead =
    kinds.size > 0
      ? `${flags.join(', ')} ${verb} to ${[...kinds].map((k) => KIND_NOUNS[k]).join(' or ')} containers, not ${KIND_NOUNS[imageKind]} ones`
      : `no runtime on this host can apply ${flags.join(', ')}`;
  return err(ErrorCode.Unsupported, `${lead} (${reasons})`, { flags, refused }, cause);
}

/** The selection step's refusal, in the user's terms (the flags they typed). */
function explainRefusal(e: unknown, registry: RuntimeRegistry, image: PulledImage, imageKind: BundleKind, plan: RunPlan): unknown {
  if (!isMagikrunError(e, ErrorCode.Unsupported)) {
    if (isMagikrunError(e, ErrorCode.Unavailable) && plan.runtime === undefined) {
      const refused = ((e.details as { refused?: RefusedRuntime[] }).refused ?? []).map((r) => r.reason);
      const p = image.platform;
      return err(
        ErrorCode.Unavailable,
        `${image.reference} is a ${p.os}/${p.architecture} image and no runtime for ${KIND_NOUNS[imageKind]} containers is installed and usable on this host${refused.length ? `: ${refused.join('; ')}` : ''}`,
        { reference: image.reference, platform: p, refused },
        e,
      );
    }
    return e;
  }
  const refused = (e.details as { refused?: RefusedRuntime[] }).refused ?? [];
  if (!refused.some((r) => r.why === 'needs')) {
    if (plan.runtime === undefined) return e;
    const p = image.platform;
    return err(ErrorCode.Unsupported, `${e.message}: ${image.reference} is a ${p.os}/${p.architecture} image (${imageKind})`, { ...(e.details as object), reference: image.reference }, e);
  }
  return flagsError(registry, refused, imageKind, plan, e);
}

/** A Linux image chosen to run as WebAssembly (the first kind was refused) that holds no module. */
function noModule(e: MagikrunError, registry: RuntimeRegistry, image: PulledImage, refused: readonly RefusedRuntime[], plan: RunPlan, named: OciRuntime | undefined): MagikrunError {
  const p = image.platform;
  if (named) {
    return err(
      ErrorCode.InvalidArgument,
      `${image.reference} is a ${KIND_NOUNS.oci} image (${p.os}/${p.architecture}) with no WebAssembly module, and runtime ${named.name} runs only ${named.capabilities.bundleKinds.map((k) => KIND_NOUNS[k]).join(' and ')} images; drop --runtime to run it as a ${KIND_NOUNS.oci} container`,
      { reference: image.reference, platform: p, runtime: named.name },
      e,
    );
  }
  if (refused.some((r) => r.why === 'needs')) return flagsError(registry, refused, 'oci', plan, e);
  const why = refused.map((r) => r.reason);
  return err(
    ErrorCode.Unavailable,
    `${image.reference} is a ${p.os}/${p.architecture} image and no runtime for ${KIND_NOUNS.oci} containers is installed and usable on this host${why.length ? `: ${why.join('; ')}` : ''}`,
    { reference: image.reference, platform: p, refused: why },
    e,
  );
}
