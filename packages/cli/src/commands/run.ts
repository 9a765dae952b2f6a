/**
 * `magikrun run IMAGE [ARGS…]`: pull if needed, build the bundle, run it, stream its stdout and stderr,
 * forward SIGINT/SIGTERM to it, remove the container, exit with its exit code (docker run's contract).
 *
 * One lifecycle for every backend. The image gives the bundle kinds it can run as (a Linux image as a
 * Linux container, or — runwasi's rule — as WebAssembly when its entrypoint is a module; a wasm image as
 * WebAssembly); the flags give what the run needs (limits, stdin, detach, a container that outlives this
 * process, user, hostname, network); the registry's selection step picks the kind and the runtime from
 * the runtimes' declared capabilities (the registry's `createContainer`, the library's one lifecycle). A
 * flag no chosen runtime can honour is refused with `UNSUPPORTED` naming it, never ignored. Then: build
 * the bundle, create, start, and either
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
import { err, ErrorCode, imageBundleKind, isMagikrunError } from '@magikrun/core';
import type { BundleKind, ExitStatus, OciBuildOptions, PulledImage, ResourceLimits } from '@magikrun/core';
import type { Container, ContainerOptions, OwnerBinding, RefusedRuntime, RuntimeNeeds, RuntimeRegistry } from '@magikrun/registry';
import { bindToCreator, createContainer, KIND_NOUNS, missingCapabilities, needsOf } from '@magikrun/registry';
import { SignalForwarder } from '../signals.js';
import { networkFromFlag, resourcesFromFlags } from '../resource-flags.js';
import { reportExit } from '../report-exit.js';
import { DATA_ROOT_ANNOTATION } from '../run-bundle.js';
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
  /** --no-rm: the container must outlive this process. */
  outlive: boolean;
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
    // The run is bound to this process from here on (a detached one until its container has started):
    // should it die, even by SIGKILL, while it reserves the name, pulls, builds, creates or waits, its
    // watchdog removes the container and everything made for it (never what another container or a
    // live process holds).
    const binding = bindToCreator();
    binding.watch({ root: ctx.root, id: plan.id });
    let claim: Awaited<ReturnType<typeof reserveContainerName>>;
    try {
      claim = await reserveContainerName(ctx.root, registry, plan.id, { generated: plan.generated });
    } catch (e) {
      await binding.release();
      throw e;
    }
    try {
      return await execute(plan, ctx, registry, signals, binding);
    } finally {
      await claim.release();
      await binding.release();
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
    // -d needs a runtime that detaches (whose containers outlive their creator); --no-rm only the latter.
    outlive: opts.rm === false && !detach,
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

/** Pull, then (through core's one lifecycle, `createContainer`) select, build and create; start; wait or detach; dispose. */
async function execute(plan: RunPlan, ctx: CliContext, registry: RuntimeRegistry, signals: SignalForwarder, binding: OwnerBinding): Promise<number> {
  const { id } = plan;
  // --runtime restricts the platforms a pull accepts to those that runtime runs.
  const named = plan.runtime !== undefined ? registry.require(plan.runtime) : undefined;
  const image = await resolveImage(ctx, registry, plan.reference, {
    ...plan.resolve,
    signal: signals.abort.signal,
    ...(named ? { kinds: named.capabilities.bundleKinds } : {}),
  });
  signals.throwIfReceived();
  const options: ContainerOptions = {
    ...plan.build,
    id,
    root: ctx.root,
    store: ctx.store,
    registry,
    ...(plan.runtime !== undefined ? { runtime: plan.runtime } : {}),
    ...(plan.outlive ? { needs: { outlive: true } } : {}),
    stdio: plan.detach ? { stdin: 'ignore' } : { stdin: plan.interactive ? process.stdin : 'ignore', stdout: process.stdout, stderr: process.stderr },
    detach: plan.detach,
    binding,
    allowAboveDefault: plan.allowAboveDefault,
    // Any later magikrun process (rm, gc) knows the bundle and snapshot of this data root are its to remove.
    annotations: { ...plan.build.annotations, [DATA_ROOT_ANNOTATION]: ctx.root },
    onWarning: (m) => void process.stderr.write(`magikrun: warning: ${m}\n`),
    signal: signals.abort.signal,
  };
  let c: Container;
  try {
    c = await createContainer(image, options);
  } catch (e) {
    throw explainRefusal(e, registry, image, options);
  }
  let keep = false;
  try {
    signals.throwIfReceived();
    if (plan.detach) {
      await c.start();
      keep = true;
      process.stdout.write(`${id}\n`);
      return 0;
    }
    signals.attach((signal) => {
      c.kill(signal).catch(() => undefined);
    });
    let status: ExitStatus;
    try {
      await c.start();
      status = await c.wait();
    } finally {
      signals.detach();
      // The workload is gone: nothing more is read from our stdin (docker run -i returns then too). Pausing
      // is not enough — Node keeps a paused pipe reading to refill its buffer (maybeReadMore), and a
      // producer that keeps the pipe open but quiet would then keep this process alive — so close it.
      if (plan.interactive) process.stdin.destroy();
    }
    keep = !plan.remove;
    if (keep) await c.unbind(); // --no-rm: the stopped container stays for ps -a and rm
    return reportExit(id, status);
  } finally {
    if (!keep) await c.dispose();
  }
}

/** The flags behind the needs that `refused` runtimes lacked, in the order typed. */
function flagsOf(refused: readonly RefusedRuntime[]): string[] {
  const flags = new Set<string>();
  for (const r of refused) for (const m of r.missing ?? []) flags.add(m.need === 'limits' ? LIMIT_FLAGS[m.limit!] : NEED_FLAGS[m.need]);
  return [...flags];
}

/**
 * A refusal of the selection step (or of a Linux image that fell back to WebAssembly and holds no module),
 * in the user's terms: "X applies to Linux containers, not WebAssembly ones (…)" from what the available
 * runtimes declare, or "no runtime for Linux containers is installed and usable on this host: …".
 */
function explainRefusal(e: unknown, registry: RuntimeRegistry, image: PulledImage, options: ContainerOptions): unknown {
  if (!isMagikrunError(e)) return e;
  const refused = (e.details as { refused?: RefusedRuntime[] }).refused;
  if (!refused) return e;
  const imageKind = imageBundleKind(image);
  const p = image.platform;
  const lacking = refused.filter((r) => r.why === 'needs');
  if (lacking.length > 0) {
    const flags = flagsOf(lacking);
    const asked = needsOf(options);
    const needs: RuntimeNeeds = {};
    for (const m of lacking.flatMap((r) => r.missing ?? [])) {
      if (m.need === 'limits') needs.limits = [...(needs.limits ?? []), m.limit!];
      else (needs as Record<string, unknown>)[m.need] = asked[m.need];
    }
    const kinds = new Set(registry.runtimes().filter((rt) => missingCapabilities(rt, needs).length === 0).flatMap((rt) => rt.capabilities.bundleKinds));
    const lead =
      kinds.size > 0
        ? `${flags.join(', ')} ${flags.length === 1 ? 'applies' : 'apply'} to ${[...kinds].map((k) => KIND_NOUNS[k]).join(' or ')} containers, not ${KIND_NOUNS[imageKind]} ones`
        : `no runtime on this host can apply ${flags.join(', ')}`;
    return err(ErrorCode.Unsupported, `${lead} (${refused.map((r) => r.reason).join('; ')})`, { flags, refused }, e);
  }
  if (isMagikrunError(e, ErrorCode.Unavailable) && options.runtime === undefined) {
    const why = refused.map((r) => r.reason);
    return err(
      ErrorCode.Unavailable,
      `${image.reference} is a ${p.os}/${p.architecture} image and no runtime for ${KIND_NOUNS[imageKind]} containers is installed and usable on this host${why.length ? `: ${why.join('; ')}` : ''}`,
      { reference: image.reference, platform: p, refused },
      e,
    );
  }
  return e;
}
