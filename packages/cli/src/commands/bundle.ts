/**
 * `magikrun bundle IMAGE DIR [ARGS…]`: write an OCI runtime bundle — `DIR/rootfs` (a plain copy of
 * the image's layers) and `DIR/config.json` — that any OCI runtime runs (`runc run -b DIR ID`), as
 * `umoci unpack` does. DIR must not exist or be empty; it is written atomically and is 0700.
 * config.json also bind-mounts `DIR/hosts`, `DIR/hostname` and `DIR/resolv.conf` by absolute path, so
 * a moved bundle must be built again.
 *
 * @module commands/bundle
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { checkDestination, err, ErrorCode, formatOciPlatform, hostLinuxPlatform, resolveLimits, writeOciBundle } from '@magikrun/core';
import type { OciBuildOptions } from '@magikrun/core';
import { networkFromFlag, resourcesFromFlags, type ResourceFlags, type NetworkFlag } from '../resource-flags.js';
import { collect, parseEnv, parseVolume } from '../options.js';
import { addRegistryFlags, registryAccessFrom, type RegistryFlags } from '../registry-flags.js';
import { openContext, resolveImage } from '../image-source.js';
import { SignalForwarder } from '../signals.js';
import type { GlobalOptions } from '../global-options.js';

/** The flags; `--memory`, `--cpus`, `--pids-limit` and `--network` are `run`'s (see resource-flags). */
interface BundleFlags extends RegistryFlags, Pick<ResourceFlags, 'memory' | 'cpus' | 'pidsLimit'>, NetworkFlag {
  platform?: string;
  env: string[];
  volume: string[];
  annotation: string[];
  entrypoint?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  pull: 'missing' | 'always' | 'never';
  quiet?: boolean;
}

export function registerBundle(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('bundle')
    .description('write an OCI runtime bundle (DIR/rootfs + DIR/config.json) for runc or any OCI runtime')
    .argument('<image>', 'image reference (registry/repo:tag, @sha256:…, or oci:DIR[:TAG])')
    .argument('<dir>', 'bundle directory to create (must not exist, or be empty)')
    .argument('[args...]', 'arguments, replacing the image Cmd')
    // As run: -h is --hostname (docker's), help is --help.
    .helpOption('--help', 'display help for command')
    .option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image (default: this host\'s linux platform)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <name|uid[:group|gid]>', 'user to run as, resolved in the image\'s /etc/passwd and /etc/group')
    .option('-w, --workdir <dir>', 'working directory inside the container (created if missing)')
    .option('--entrypoint <path>', 'override the image Entrypoint (clears its Cmd)')
    .option('-h, --hostname <name>', 'container hostname (default: random, or the host\'s with --network host)')
    .option('--network <none|host|PATH>', 'none: own namespace with loopback only (default); host; or a network namespace path')
    .option('-v, --volume <HOST:GUEST[:ro]>', 'bind-mount a host file or directory (repeatable)', collect, [])
    .option('-m, --memory <size>', 'memory limit, e.g. 256m or 1g (b, k, m, g: powers of 1024)')
    .option('--cpus <n>', 'CPU limit, e.g. 1.5')
    .option('--pids-limit <n>', 'most processes and threads')
    .option('--annotation <KEY=VALUE>', 'add an annotation to config.json (repeatable)', collect, [])
    .addOption(new Option('--pull <policy>', 'when to pull the image').choices(['missing', 'always', 'never']).default('missing'))
    .option('-q, --quiet', 'no pull progress');
  addRegistryFlags(command)
    .passThroughOptions()
    .action(async (image: string, dir: string, args: string[], opts: BundleFlags, cmd: Command) => {
    setExitCode(await bundle(image, dir, args, opts, cmd.optsWithGlobals<GlobalOptions>()));
  });
}

function annotationsFromFlags(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw err(ErrorCode.InvalidArgument, `--annotation ${JSON.stringify(v)}: expected KEY=VALUE`, { annotation: v });
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

async function bundle(reference: string, dir: string, args: string[], opts: BundleFlags, globals: GlobalOptions): Promise<number> {
  const signals = new SignalForwarder();
  try {
    // Every option is checked before anything is pulled.
    const options: OciBuildOptions = {
      args: args.length > 0 ? args : undefined,
      entrypoint: opts.entrypoint === undefined ? undefined : [opts.entrypoint],
      env: parseEnv(opts.env),
      volumes: opts.volume.map((v) => parseVolume(v)),
      workdir: opts.workdir,
      user: opts.user,
      hostname: opts.hostname,
      network: networkFromFlag(opts.network),
      resources: resourcesFromFlags(opts),
      annotations: annotationsFromFlags(opts.annotation),
    };
    const access = registryAccessFrom(opts);
    const dest = resolve(dir);
    const existedBefore = await lstat(dest).then(
      () => true,
      () => false,
    );
    await checkDestination(dest, 'absent-or-empty');
    const ctx = await openContext(globals.root);
    const platform = opts.platform ?? formatOciPlatform(hostLinuxPlatform());
    const image = await resolveImage(ctx, undefined, reference, { platform, pull: opts.pull, quiet: opts.quiet === true, access, signal: signals.abort.signal });
    signals.throwIfReceived();
    const b = await writeOciBundle({ image, store: ctx.store, limits: resolveLimits(), onWarning: (m) => process.stderr.write(`magikrun: warning: ${m}\n`) }, dest, options);
    if (signals.received) {
      // Interrupted while the bundle was written: take it back (leaving DIR as empty as it may have been).
      await rm(b.path, { recursive: true, force: true });
      if (existedBefore) await mkdir(b.path, { mode: 0o700 }).catch(() => undefined);
      signals.throwIfReceived();
    }
    process.stdout.write(`${b.path}\n`);
    return 0;
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
