/**
 * `magikrun rmi IMAGE…`: remove images from the local image index. Their blobs stay until
 * `magikrun gc` (another image may share them).
 *
 * @module commands/rmi
 */
import type { Command } from 'commander';
import { err, ErrorCode, isDigest, LocalImageIndex, parseImageSource, sourceKey } from '@magikrun/core';
import { dataRoot } from '../image-source.js';
import { eachArgument, type GlobalOptions } from '../global-options.js';

export function registerRmi(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('rmi')
    .description('remove images from the local index (run "magikrun gc" to free their blobs)')
    .argument('<image...>', 'references as pulled (alpine, oci:DIR:TAG, docker-archive:FILE…), or a manifest digest sha256:…')
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      const index = new LocalImageIndex(dataRoot(cmd.optsWithGlobals<GlobalOptions>().root));
      setExitCode(
        await eachArgument(refs, async (ref) => {
          let keys: string[];
          if (isDigest(ref)) {
            keys = (await index.list()).filter((e) => e.digest === ref || e.indexDigest === ref).map((e) => e.reference);
          } else {
            keys = [sourceKey(parseImageSource(ref))];
          }
          const removed: string[] = [];
          for (const k of keys) if (await index.delete(k)) removed.push(k);
          if (removed.length === 0) throw err(ErrorCode.NotFound, `no such image: ${ref} (see "magikrun images")`, { reference: ref });
          for (const k of removed) process.stdout.write(`Untagged: ${k}\n`);
        }),
      );
    });
}
