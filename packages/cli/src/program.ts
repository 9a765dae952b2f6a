/**
 * The `magikrun` command tree (commander). Each command lives in `commands/<name>.ts`.
 *
 * @module program
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { formatError } from './global-options.js';
import { registerRun } from './commands/run.js';
import { registerPull } from './commands/pull.js';
import { registerInfo } from './commands/info.js';
import { registerImages } from './commands/images.js';
import { registerRmi } from './commands/rmi.js';
import { registerGc } from './commands/gc.js';
import { registerSave } from './commands/save.js';
import { registerLoad } from './commands/load.js';
import { registerBundle } from './commands/bundle.js';
import { registerPs } from './commands/ps.js';
import { registerLogs } from './commands/logs.js';
import { registerStop } from './commands/stop.js';
import { registerRm } from './commands/rm.js';
import { EXIT_MAGIKRUN_FAILED, exitCodeForError } from './exit-codes.js';

/** This package's version, from its package.json (dist/bin.js → ../package.json). */
function cliVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** Build the command tree; `setExitCode` receives each command's result. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('magikrun')
    .description('Run OCI images on isolation backends: WebAssembly (wasmtime), Linux containers, microVMs')
    .version(cliVersion(), '-V, --version')
    .option('--root <dir>', 'data root (blobs, images, bundles, cache); default $MAGIKRUN_ROOT or ~/.magikrun')
    .enablePositionalOptions()
    .exitOverride();
  registerRun(program, setExitCode);
  registerPull(program, setExitCode);
  registerInfo(program, setExitCode);
  registerImages(program, setExitCode);
  registerRmi(program, setExitCode);
  registerGc(program, setExitCode);
  registerSave(program, setExitCode);
  registerLoad(program, setExitCode);
  registerBundle(program, setExitCode);
  registerPs(program, setExitCode);
  registerLogs(program, setExitCode);
  registerStop(program, setExitCode);
  registerRm(program, setExitCode);
  for (const cmd of [program, ...program.commands]) cmd.configureOutput({ outputError: (text, write) => write(usageErrorLine(text, cmd)) });
  return program;
}

/**
 * A usage error (unknown option, missing argument, bad choice) as one line naming where help is, as
 * docker's "unknown flag: --x / See 'docker run --help'." but on one line: commander's message (with
 * its "Did you mean" hint) joined, without its "error: " prefix.
 */
export function usageErrorLine(text: string, cmd: Command): string {
  const message = text.replace(/^error: /, '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  const path = cmd.parent ? `magikrun ${cmd.name()}` : 'magikrun';
  return `magikrun: ${message} (see '${path} --help')\n`;
}

/** Run the CLI with `argv` (as `process.argv`); resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_MAGIKRUN_FAILED;
    process.stderr.write(`magikrun: ${formatError(e)}\n`);
    return exitCodeForError(e);
  }
}
