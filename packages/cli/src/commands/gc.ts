/**
 * `magikrun gc [--dry-run]`: remove what a dead process left of containers (staging directories,
 * bundles and snapshots that no container uses and no live magikrun process claims — core's
 * `sweepBundleLeftovers`, after each runtime's `list` cleaned up containers whose monitor died), then
 * blobs no image and no live lease references (mark and sweep).
 *
 * @module commands/gc
 */
import type { Command } from 'commander';
import { gc, sweepBundleLeftovers } from '@magikrun/core';
import { formatBytes } from '../format.js';
import { containerExists, openHostRuntimes } from '../host-containers.js';
import type { GlobalOptions } from '../global-options.js';

export function registerGc(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('gc')
    .description('remove blobs that no image and no in-flight pull references')
    .option('--dry-run', 'list what would be removed; remove nothing')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const hosts = await openHostRuntimes(cmd.optsWithGlobals<GlobalOptions>().root);
      const { ctx } = hosts;
      // list() also removes the state of containers whose monitor and init died without a record.
      for (const rt of hosts.runtimes) await rt.list();
      const containers = await sweepBundleLeftovers(ctx.root, { dryRun: opts.dryRun === true, inUse: (id) => containerExists(hosts.runtimes, id) });
      const report = await gc(ctx.store, { dryRun: opts.dryRun === true });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...report, leftoverContainers: containers }, null, 2)}\n`);
      } else {
        const verbC = containers.dryRun ? 'would remove' : 'removed';
        if (containers.removed.length > 0) process.stdout.write(`${verbC} what ${containers.removed.length} ended container(s) left: ${containers.removed.join(', ')}\n`);
        const verb = report.dryRun ? 'would remove' : 'removed';
        if (report.dryRun) for (const b of report.removed) process.stdout.write(`${b.digest}\t${formatBytes(b.size)}\n`);
        process.stdout.write(
          `${verb} ${report.removed.length} blob(s), ${formatBytes(report.freedBytes)} (${report.freedBytes} bytes); kept ${report.kept}` +
            `${report.liveLeases.length ? `; ${report.liveLeases.length} live lease(s)` : ''}` +
            `${report.deadLeases.length ? `; ${verb} ${report.deadLeases.length} dead lease(s)` : ''}\n`,
        );
      }
      setExitCode(0);
    });
}
