/**
 * `magikrun run IMAGE [ARGS…]`: pull if needed, build the bundle, run it, stream its stdout and stderr,
 * forward SIGINT/SIGTERM to it, remove the container, exit with its exit code (docker run's contract).
 *
 * The runtime follows the image: a Linux image runs as a Linux container (youki, when this host
 * supports it; see run-linux.ts for `-d`, `--no-rm` and the resource flags), a WebAssembly image on
 * wasmtime in this process. A Linux image without a usable Linux runtime may still hold a wasm
 * entrypoint (runwasi's rule); otherwise it fails with `UNAVAILABLE` naming what is missing.
 *
 * `--rm`: unlike `docker run`, an attached run removes its container when it ends by default (there is
 * no daemon to collect stopped containers later, and forgotten stopped containers are docker's most
 * common leak); `--no-rm` keeps it for `ps -a` and `rm`. A detached (`-d`) container is kept until
 * `magikrun rm`, as docker keeps it; `-d --rm` is refused (no process would be left to remove it).
 *
 * @module commands/run
 */
import { randomBytes } from 'node:crypto';
import { Option } from 'commander';
import type { Command } from 'commander';
import { BundleBuilder, err, ErrorCode, imageBundleKind, isMagikrunError, removeBundle } from '@magikrun/core';
import type { Bundle, BundleKind, CreateOptions, ExitStatus, OciBuildOptions, OciRuntime } from '@magikrun/core';
import { SignalForwarder } from '../signals.js';
import { limitsFromFlags } from '../limits.js';
import { networkFromFlag, resourcesFromFlags } from '../linux-flags.js';
import { reportExit } from '../report-exit.js';
import { runLinux } from './run-linux.js';
import { reserveContainerName, validateContainerName } from '../container-name.js';
import { collect, parseEnv, parseVolume } from '../options.js';
import { addRegistryFlags, registryAccessFrom, type RegistryFlags } from '../registry-flags.js';
import { openContext, openRegistry, resolveImage, type CliContext } from '../image-source.js';
import type { RuntimeRegistry } from '@magikrun/registry';
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

/** Flags that only Linux containers take, with their names as typed. */
const LINUX_ONLY: readonly [keyof RunOptions, string][] = [
  ['cpus', '--cpus'],
  ['pidsLimit', '--pids-limit'],
  ['network', '--network'],
  ['user', '--user'],
  ['hostname', '--hostname'],
  ['detach', '--detach'],
];
/** Flags that only WebAssembly containers take. */
const WASM_ONLY: readonly [keyof RunOptions, string][] = [
  ['fuel', '--fuel'],
  ['timeout', '--timeout'],
  ['allowAboveDefault', '--allow-above-default'],
];

function refuseFlags(opts: RunOptions, flags: readonly [keyof RunOptions, string][], what: string): void {
  const given = flags.filter(([k]) => opts[k] !== undefined && opts[k] !== false).map(([, f]) => f);
  if (given.length > 0) throw err(ErrorCode.Unsupported, `${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} to ${what}`, { flags: given });
}

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
    return await runWith(signals, reference, args, opts, globals);
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

async function runWith(signals: SignalForwarder, reference: string, args: string[], opts: RunOptions, globals: GlobalOptions): Promise<number> {
  // Every option is checked before anything is pulled.
  const limits = limitsFromFlags(opts);
  const resources = resourcesFromFlags(opts);
  const network = networkFromFlag(opts.network);
  if (opts.detach && opts.rm === true) {
    throw err(ErrorCode.Unsupported, '--rm with -d is not supported: remove a detached container with "magikrun rm ID" once it has stopped (or "magikrun rm -f ID")', {});
  }
  const access = registryAccessFrom(opts);
  const env = parseEnv(opts.env);
  const volumes = opts.volume.map((v) => parseVolume(v));
  const id = validateContainerName(opts.name ?? `magikrun-${randomBytes(6).toString('hex')}`);
  const ctx = await openContext(globals.root);
  const registry = await openRegistry(ctx);
  // Before anything is pulled or written: a taken name must not touch the container holding it, and
  // what a killed run left under it is removed. The claim is this run's until it ends.
  const claim = await reserveContainerName(ctx.root, registry, id, { generated: opts.name === undefined });
  try {
    return await runReserved(signals, reference, args, opts, { ctx, registry, id, limits, resources, network, access, env, volumes });
  } finally {
    await claim.release();
  }
}

interface Reserved {
  ctx: CliContext;
  registry: RuntimeRegistry;
  id: string;
  limits: ReturnType<typeof limitsFromFlags>;
  resources: ReturnType<typeof resourcesFromFlags>;
  network: ReturnType<typeof networkFromFlag>;
  access: ReturnType<typeof registryAccessFrom>;
  env: string[];
  volumes: ReturnType<typeof parseVolume>[];
}

async function runReserved(signals: SignalForwarder, reference: string, args: string[], opts: RunOptions, r: Reserved): Promise<number> {
  const { ctx, registry, id, limits, resources, network, access, env, volumes } = r;
  // --runtime restricts the platforms a pull accepts to those that runtime runs.
  const chosen = opts.runtime ? registry.require(opts.runtime) : undefined;
  const image = await resolveImage(ctx, registry, reference, {
    platform: opts.platform,
    pull: opts.pull,
    quiet: opts.quiet === true,
    access,
    signal: signals.abort.signal,
    ...(chosen ? { kinds: chosen.bundleKinds } : {}),
  });
  signals.throwIfReceived();
  const runtimeFor = (kind: BundleKind): OciRuntime => chosen ?? registry.requireForBundle(kind);
  // A Linux image runs on a Linux runtime; without one (or with --runtime naming a wasm runtime), it
  // may still hold a wasm entrypoint (runwasi's rule).
  const linuxRuntime = chosen ? (chosen.bundleKinds.includes('oci') ? chosen : undefined) : registry.forBundle('oci');
  const kind: BundleKind = imageBundleKind(image) === 'oci' && !linuxRuntime ? 'wasm' : imageBundleKind(image);
  if (chosen && !chosen.bundleKinds.includes(kind)) {
    const p = image.platform;
    throw err(ErrorCode.Unsupported, `runtime ${chosen.name} runs ${chosen.bundleKinds.join(', ')} bundles; ${image.reference} is a ${p.os}/${p.architecture} image (${kind}); drop --runtime or pick another`, {
      runtime: chosen.name,
      kind,
    });
  }

  if (kind === 'oci') {
    refuseFlags(opts, WASM_ONLY, 'WebAssembly containers, not Linux ones');
    const build: OciBuildOptions = {
      args: args.length > 0 ? args : undefined,
      entrypoint: opts.entrypoint === undefined ? undefined : [opts.entrypoint],
      env,
      volumes,
      workdir: opts.workdir,
      user: opts.user,
      hostname: opts.hostname,
      network,
      resources,
    };
    const runtime = runtimeFor('oci');
    if (runtime.scope !== 'host' && (opts.detach || opts.rm === false)) {
      throw err(ErrorCode.Unsupported, `-d and --no-rm need a runtime whose containers outlive magikrun; ${runtime.name}'s live in this process`, { runtime: runtime.name });
    }
    return runLinux({ ctx, runtime, image, id, build, interactive: opts.interactive === true, detach: opts.detach === true, remove: opts.rm !== false, signals });
  }
  refuseFlags(opts, LINUX_ONLY, 'Linux containers, not WebAssembly ones (which live in this process)');
  if (opts.rm === false) throw err(ErrorCode.Unsupported, '--no-rm applies to Linux containers; a WebAssembly container ends with this process', {});

  const bundle = await new BundleBuilder({ root: ctx.root })
    .image(image)
    .storage(ctx.store)
    .build({
      id,
      args: args.length > 0 ? args : undefined,
      entrypoint: opts.entrypoint === undefined ? undefined : [opts.entrypoint],
      env,
      volumes,
      workdir: opts.workdir,
      kind,
    })
    .catch((e: unknown) => {
      if (kind !== imageBundleKind(image) && isMagikrunError(e, ErrorCode.InvalidArgument) && /no WebAssembly module/.test(e.message) && chosen) {
        // --runtime named a wasm runtime for a Linux image without a wasm entrypoint.
        throw err(
          ErrorCode.InvalidArgument,
          `${image.reference} is a Linux image (${image.platform.os}/${image.platform.architecture}) with no WebAssembly module, and runtime ${chosen.name} runs only WebAssembly images; drop --runtime to run it as a Linux container`,
          { reference: image.reference, platform: image.platform, runtime: chosen.name },
          e,
        );
      }
      if (kind !== imageBundleKind(image) && isMagikrunError(e, ErrorCode.InvalidArgument) && /no WebAssembly module/.test(e.message)) {
        // Not a wasm image after all: say what is missing rather than what the wasm check found.
        const why = registry.unavailableRuntimes().map((u) => `${u.name}: ${u.reason}`);
        throw err(
          ErrorCode.Unavailable,
          `${image.reference} is a ${image.platform.os}/${image.platform.architecture} image and no runtime for Linux containers is installed and usable on this host${why.length ? `: ${why.join('; ')}` : ''}`,
          { reference: image.reference, platform: image.platform },
          e,
        );
      }
      throw e;
    });
  try {
    signals.throwIfReceived();
    const runtime = runtimeFor(bundle.kind);
    if (limits && runtime.name !== 'wasmtime') {
      throw err(ErrorCode.Unsupported, `--fuel, --memory and --timeout apply to the wasmtime runtime, not ${runtime.name}`, { runtime: runtime.name });
    }
    const status = await runContainer(runtime, id, bundle, opts.interactive === true, limits, signals);
    return reportExit(id, status);
  } finally {
    await removeBundle(bundle);
  }
}

/** create → start → wait → delete, with SIGINT/SIGTERM forwarded to the workload while it runs. */
async function runContainer(
  runtime: OciRuntime,
  id: string,
  bundle: Bundle,
  interactive: boolean,
  limits: Record<string, unknown> | undefined,
  signals: SignalForwarder,
): Promise<ExitStatus> {
  const options: CreateOptions & { limits?: Record<string, unknown> } = {
    stdio: { stdin: interactive ? process.stdin : 'ignore', stdout: process.stdout, stderr: process.stderr },
    signal: signals.abort.signal,
  };
  if (limits) options.limits = limits;
  await runtime.create(id, bundle, options);
  try {
    signals.throwIfReceived();
    signals.attach((signal) => {
      runtime.kill(id, signal).catch(() => undefined);
    });
    await runtime.start(id);
    return await runtime.wait(id);
  } finally {
    signals.detach();
    await runtime.delete(id, { force: true });
    if (interactive) process.stdin.pause();
  }
}

