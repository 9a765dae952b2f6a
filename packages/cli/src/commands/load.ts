/**
 * `magikrun load [-i] FILE`: import every image of a `docker save` or OCI archive under the names it
 * carries (as `docker load` does); see `loadArchive`.
 *
 * @module commands/load
 */
import type { Command } from 'commander';
import { err, ErrorCode, loadArchive } from '@magikrun/core';
import { openContext } from '../image-source.js';
import type { GlobalOptions } from '../global-options.js';

export function registerLoad(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('load')
    .description('import the images of a docker save or OCI archive (tar or tar.gz) under their own names')
    .argument('[file]', 'the archive')
    .option('-i, --input <file>', 'the archive (as docker load takes it)')
    .option('-q, --quiet', 'print nothing')
    .action(async (file: string | undefined, opts: { input?: string; quiet?: boolean }, cmd: Command) => {
      const input = opts.input ?? file;
      if (input === undefined) throw err(ErrorCode.InvalidArgument, 'name the archive: magikrun load -i FILE', {});
      const ctx = await openContext(cmd.optsWithGlobals<GlobalOptions>().root);
      const loaded = await loadArchive(input, ctx.store);
      if (!opts.quiet) for (const { references } of loaded.images) for (const r of references) process.stdout.write(`Loaded image: ${r}\n`);
      setExitCode(0);
    });
}
