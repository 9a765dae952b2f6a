/**
 * `magikrun pull IMAGE`: pull an image into the local store, with a progress bar.
 *
 * @module commands/pull
 */
import type { Command } from 'commander';
import { openContext, openRegistry, resolveImage } from '../image-source.js';
import type { GlobalOptions } from '../global-options.js';
import { addRegistryFlags, registryAccessFrom, type RegistryFlags } from '../registry-flags.js';

export function registerPull(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('pull')
    .description('pull an image (all blobs verified) into the local store')
    .argument('<image>', 'image reference, oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]')
    .option('--platform <os/arch[/variant]>', 'platform to choose from a multi-platform image')
    .option('-q, --quiet', 'print only the manifest digest');
  addRegistryFlags(command)
    .action(async (image: string, opts: { platform?: string; quiet?: boolean } & RegistryFlags, cmd: Command) => {
      const access = registryAccessFrom(opts);
      const ctx = await openContext(cmd.optsWithGlobals<GlobalOptions>().root);
      const registry = opts.platform ? undefined : await openRegistry(ctx);
      const pulled = await resolveImage(ctx, registry, image, { platform: opts.platform, pull: 'always', quiet: opts.quiet === true, access });
      if (opts.quiet) process.stdout.write(`${pulled.digest}\n`);
      setExitCode(0);
    });
}
