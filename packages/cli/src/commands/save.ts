/**
 * `magikrun save IMAGE oci:DIR[:TAG]`: export a stored image to an OCI image layout that skopeo,
 * umoci, podman and containerd read.
 *
 * @module commands/save
 */
import type { Command } from 'commander';
import { exportImage } from '@magikrun/core';
import { formatBytes } from '../format.js';
import { openContext } from '../image-source.js';
import type { GlobalOptions } from '../global-options.js';

export function registerSave(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('save')
    .alias('export')
    .description('export a stored image to an OCI image layout directory')
    .argument('<image>', 'an image in the local store (see "magikrun images")')
    .argument('<destination>', 'oci:DIR[:TAG]; an existing layout keeps its other images')
    .option('-q, --quiet', 'print nothing')
    .action(async (image: string, destination: string, opts: { quiet?: boolean }, cmd: Command) => {
      const ctx = await openContext(cmd.optsWithGlobals<GlobalOptions>().root);
      const res = await exportImage(image, ctx.store, destination);
      if (!opts.quiet) process.stdout.write(`saved ${res.digest} to ${res.destination} (${formatBytes(res.size)}, ${res.written} blob(s) written)\n`);
      setExitCode(0);
    });
}
