/**
 * `magikrun ps [-a] [--json]`: the Linux containers on this host, from any process (they outlive the
 * `magikrun run` that created them), as `docker ps` / `runc list` show them. Without `-a` only running
 * containers, as docker; `-a` adds created and stopped ones with how they ended.
 *
 * @module commands/ps
 */
import type { Command } from 'commander';
import { formatAge, formatTable } from '../format.js';
import { listContainers, noHostRuntime, openHostRuntimes, type ContainerInfo } from '../host-containers.js';
import { formatError, type GlobalOptions } from '../global-options.js';

/** The image a container was made from (its annotation), else its bundle directory. */
export function imageOf(c: Pick<ContainerInfo, 'annotations' | 'bundle'>): string {
  return c.annotations?.['io.magikrun.image.reference'] ?? c.bundle;
}

/** `running`, `created`, `exited (3)`, `oom-killed (137)`, `killed (137)`, `signaled (143)`. */
export function statusText(c: Pick<ContainerInfo, 'status' | 'exit'>): string {
  if (c.status !== 'stopped') return c.status;
  if (!c.exit) return 'stopped';
  const word = c.exit.reason === 'exited' ? 'exited' : c.exit.reason === 'oom' ? 'oom-killed' : c.exit.reason;
  return `${word} (${c.exit.code})`;
}

export function registerPs(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('ps')
    .description('list Linux containers (running ones; -a for all)')
    .option('-a, --all', 'also created and stopped containers')
    .option('--json', 'print JSON: the OCI state of each, plus runtime, created and exit')
    .option('-q, --quiet', 'print only the ids')
    .action(async (opts: { all?: boolean; json?: boolean; quiet?: boolean }, cmd: Command) => {
      const hosts = await openHostRuntimes(cmd.optsWithGlobals<GlobalOptions>().root);
      if (hosts.runtimes.length === 0) {
        // Nothing can exist; say why rather than print an empty table as if all were well.
        process.stderr.write(`magikrun: ${formatError(noHostRuntime(hosts))}\n`);
      }
      const all = await listContainers(hosts.runtimes);
      const shown = all.filter((c) => opts.all || c.status === 'running').sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.id.localeCompare(b.id));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      } else if (opts.quiet) {
        process.stdout.write(shown.map((c) => `${c.id}\n`).join(''));
      } else {
        const now = Date.now();
        const rows = shown.map((c) => [c.id, imageOf(c), statusText(c), c.pid === undefined ? '-' : String(c.pid), c.created ? formatAge(c.created, now) : '-', c.runtime]);
        process.stdout.write(formatTable(['CONTAINER ID', 'IMAGE', 'STATUS', 'PID', 'CREATED', 'RUNTIME'], rows));
      }
      setExitCode(0);
    });
}
