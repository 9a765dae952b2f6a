/**
 * `magikrun run IMAGE [ARGS…]`: pull if needed, build the bundle, run it, stream its stdout and stderr,
 * forward SIGINT/SIGTERM to it, remove the container, exit with its exit code (docker run's contract).
 *
 * @module commands/run
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { BundleBuilder, parseSignal } from '@magikrun/core';
import type { ExitStatus, OciRuntime, Signal } from '@magikrun/core';
import { RuntimeRegistry } from '@magikrun/registry';
import { parseEnv, parseVolume } from '../options.js';
import { openContext, resolveImage } from '../image-source.js';
import type { GlobalOptions } from '../program.js';

interface RunOptions {
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
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerRun(program: Command, setExitCode: (code: number) => void): void {
  program
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
    .option('--pull <policy>', 'missing | always | never', 'missing')
    .option('--name <id>', 'container id (default: a random one)')
    .option('-q, --quiet', 'no pull progress')
    .passThroughOptions()
    .action(async (image: string, args: string[], opts: RunOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      setExitCode(await run(image, args, opts, globals));
    });
}

async function run(reference: string, args: string[], opts: RunOptions, globals: GlobalOptions): Promise<number> {
  const ctx = await openContext(globals.root);
  const registry = await RuntimeRegistry.create(ctx.platform);
  const image = await resolveImage(ctx, registry, reference, { platform: opts.platform, pull: opts.pull, quiet: opts.quiet === true });

  const id = opts.name ?? `magikrun-${randomBytes(6).toString('hex')}`;
  const bundle = await new BundleBuilder({ root: ctx.root })
    .image(image)
    .storage(ctx.store)
    .build({
      id,
      args: args.length > 0 ? args : undefined,
      entrypoint: opts.entrypoint === undefined ? undefined : [opts.entrypoint],
      env: parseEnv(opts.env),
      volumes: opts.volume.map((v) => parseVolume(v)),
      workdir: opts.workdir,
    });
  try {
    const runtime = opts.runtime ? registry.require(opts.runtime) : registry.requireForBundle(bundle.kind);
    const status = await runContainer(runtime, id, bundle, opts.interactive === true);
    if (status.reason !== 'exited' && status.message) process.stderr.write(`magikrun: ${id}: ${status.reason}: ${status.message}\n`);
    return status.code;
  } finally {
    await rm(bundle.path, { recursive: true, force: true });
  }
}

/** create → start → wait → delete, with SIGINT/SIGTERM forwarded to the workload while it runs. */
async function runContainer(runtime: OciRuntime, id: string, bundle: Parameters<OciRuntime['create']>[1], interactive: boolean): Promise<ExitStatus> {
  await runtime.create(id, bundle, {
    stdio: { stdin: interactive ? process.stdin : 'ignore', stdout: process.stdout, stderr: process.stderr },
  });
  const forward = (sig: NodeJS.Signals): void => {
    runtime.kill(id, parseSignal(sig) as Signal).catch(() => undefined);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    await runtime.start(id);
    return await runtime.wait(id);
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    await runtime.delete(id, { force: true });
    if (interactive) process.stdin.pause();
  }
}
