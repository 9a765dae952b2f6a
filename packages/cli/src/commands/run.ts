/**
 * `magikrun run IMAGE [ARGS…]`: pull if needed, build the bundle, run it, stream its stdout and stderr,
 * forward SIGINT/SIGTERM to it, remove the container, exit with its exit code (docker run's contract).
 *
 * @module commands/run
 */
import { randomBytes } from 'node:crypto';
import { Option } from 'commander';
import type { Command } from 'commander';
import { BundleBuilder, err, ErrorCode, imageBundleKind, isMagikrunError, removeBundle, validateContainerId } from '@magikrun/core';
import type { Bundle, BundleKind, CreateOptions, ExitStatus, OciRuntime } from '@magikrun/core';
import { SignalForwarder } from '../signals.js';
import { isShellExitCode, shellExitCode } from '../exit-codes.js';
import { limitsFromFlags } from '../limits.js';
import { parseEnv, parseVolume } from '../options.js';
import { addRegistryFlags, registryAccessFrom, type RegistryFlags } from '../registry-flags.js';
import { openContext, openRegistry, resolveImage } from '../image-source.js';
import type { GlobalOptions } from '../program.js';

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
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerRun(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('run')
    .description('run an image and exit with its exit code')
    .argument('<image>', 'image reference (registry/repo:tag, @sha256:…, or oci:DIR[:TAG] for an OCI layout)')
    .argument('[args...]', 'arguments, replacing the image Cmd')
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
    .option('--fuel <n|unlimited>', 'wasm: fuel (about one unit per instruction); default 1e9')
    .option('--memory <size>', 'wasm: linear memory limit, e.g. 64mb; default 256mb')
    .option('--timeout <duration>', 'wall-clock limit from start, e.g. 30s; default none')
    .option('--allow-above-default', 'let --fuel/--memory exceed their defaults');
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
  const access = registryAccessFrom(opts);
  const env = parseEnv(opts.env);
  const volumes = opts.volume.map((v) => parseVolume(v));
  const id = validateContainerId(opts.name ?? `magikrun-${randomBytes(6).toString('hex')}`);
  const ctx = await openContext(globals.root);
  const registry = await openRegistry(ctx);
  const image = await resolveImage(ctx, registry, reference, { platform: opts.platform, pull: opts.pull, quiet: opts.quiet === true, access, signal: signals.abort.signal });
  signals.throwIfReceived();
  const runtimeFor = (kind: BundleKind): OciRuntime => (opts.runtime ? registry.require(opts.runtime) : registry.requireForBundle(kind));
  // A Linux image runs on a Linux runtime; without one, it may still hold a wasm entrypoint (runwasi's rule).
  const kind: BundleKind = imageBundleKind(image) === 'oci' && !opts.runtime && !registry.supports('oci') ? 'wasm' : imageBundleKind(image);

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
      if (kind !== imageBundleKind(image) && isMagikrunError(e, ErrorCode.InvalidArgument) && /no WebAssembly module/.test(e.message)) {
        // Not a wasm image after all: say what is missing rather than what the wasm check found.
        const why = registry.unavailableRuntimes().map((u) => `${u.name}: ${u.reason}`);
        throw err(
          ErrorCode.Unavailable,
          `${image.reference} is a ${image.platform.os}/${image.platform.architecture} image and no runtime for Linux containers is installed (the youki backend is planned)${why.length ? `; ${why.join('; ')}` : ''}`,
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
    if (status.reason !== 'exited' && status.message) process.stderr.write(`magikrun: ${id}: ${status.reason}: ${status.message}\n`);
    if (!isShellExitCode(status.code)) process.stderr.write(`magikrun: ${id}: exit code ${status.code} is outside 0-255; exiting with 255\n`);
    return shellExitCode(status.code);
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

