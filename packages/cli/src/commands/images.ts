/**
 * `magikrun images`: the local image index as a table (reference, manifest digest, platform, size,
 * age) or JSON.
 *
 * @module commands/images
 */
import type { Command } from 'commander';
import { formatPlatform, LocalImageIndex } from '@magikrun/core';
import { formatAge, formatBytes, formatTable } from '../format.js';
import { dataRoot } from '../image-source.js';
import type { GlobalOptions } from '../global-options.js';

export function registerImages(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('images')
    .description('list the images in the local store')
    .option('--json', 'print the index entries as JSON')
    .option('-q, --quiet', 'print only the references')
    .option('--no-trunc', 'print full digests')
    .action(async (opts: { json?: boolean; quiet?: boolean; trunc: boolean }, cmd: Command) => {
      const entries = await new LocalImageIndex(dataRoot(cmd.optsWithGlobals<GlobalOptions>().root)).list();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      } else if (opts.quiet) {
        process.stdout.write(entries.map((e) => `${e.reference}\n`).join(''));
      } else {
        const now = Date.now();
        const rows = entries.map((e) => [
          e.reference,
          opts.trunc ? e.digest.slice(0, 'sha256:'.length + 12) : e.digest,
          e.platform.os === '' ? '-' : formatPlatform(e.platform),
          formatBytes(e.size),
          formatAge(e.pulledAt, now),
        ]);
        process.stdout.write(formatTable(['REFERENCE', 'DIGEST', 'PLATFORM', 'SIZE', 'PULLED'], rows));
      }
      setExitCode(0);
    });
}
