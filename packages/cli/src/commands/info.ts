/**
 * `magikrun info`: the host platform, each capability with its reason, and which runtimes are available.
 *
 * @module commands/info
 */
import type { Command } from 'commander';
import { CAPABILITIES, Platform } from '@magikrun/core';
import type { GlobalOptions } from '../global-options.js';
import { dataRoot, openRegistry } from '../image-source.js';

export function registerInfo(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('info')
    .description('show the platform, its capabilities and the available runtimes')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const platform = await Platform.detect();
      const registry = await openRegistry({ root: dataRoot(globals.root), platform });
      const info = {
        os: platform.os,
        arch: platform.arch,
        root: dataRoot(globals.root),
        capabilities: Object.fromEntries(CAPABILITIES.map((c) => [c, platform.capabilities[c]])),
        runtimes: registry.availableRuntimes(),
        unavailableRuntimes: registry.unavailableRuntimes(),
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      } else {
        const out: string[] = [`platform: ${info.os}/${info.arch}`, `data root: ${info.root}`, 'capabilities:'];
        for (const c of CAPABILITIES) {
          const s = platform.capabilities[c];
          out.push(`  ${s.available ? 'yes' : 'no '} ${c.padEnd(20)} ${s.reason}`);
        }
        out.push('runtimes:');
        for (const name of info.runtimes) out.push(`  yes ${name}`);
        for (const u of info.unavailableRuntimes) out.push(`  no  ${u.name.padEnd(20)} ${u.reason}`);
        process.stdout.write(`${out.join('\n')}\n`);
      }
      setExitCode(0);
    });
}
