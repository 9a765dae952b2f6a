/**
 * The `magikrun` command tree (commander). Each command lives in `commands/<name>.ts`.
 *
 * @module program
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { formatError } from '../global-options.js';
import { EXIT_MAGIKRUN_FAILED, exitCodeForError } from '../exit-codes.js';

/** This package's version, from its package.json (dist/bin.js → ../package.json). */
function cliVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

type Register = (program: Command, setExitCode: (code: number) => void) => void;

/**
 * Each command's module, in the order help lists them. A command's module (and what it imports: the
 * image store, the runtimes) is loaded only when that command runs, or when help lists them all.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  run: async () => (await import('../commands/run.js')).registerRun,
  pull: async () => (await import('../commands/pull.js')).registerPull,
  info: async () => (await import('../commands/info.js')).registerInfo,
  images: async () => (await import('../commands/images.js')).registerImages,
  rmi: async () => (await import('../commands/rmi.js')).registerRmi,
  gc: async () => (await import('../commands/gc.js')).registerGc,
  save: async () => (await import('../commands/save.js')).registerSave,
  load: async () => (await import('../commands/load.js')).registerLoad,
  bundle: async () => (await import('../commands/bundle.js')).registerBundle,
  ps: async () => (await import('../commands/ps.js')).registerPs,
  logs: async () => (await import('../commands/logs.js')).registerLogs,
  stop: async () => (await import('../commands/stop.js')).registerStop,
  rm: async () => (await import('../commands/rm.js')).registerRm,
};

/** The global options that take a value (their value is not the command name). */
const VALUE_OPTIONS = new Set(['--root']);

/**
 * The commands to load for `args` (`process.argv` without node and the script): the one named, none
 * for `--version` alone, and all of them otherwise (help, a mistyped command — commander then lists
 * them or suggests the nearest).
 */
export function commandsFor(args: readonly string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a === '--') break;
    if (a.startsWith('-')) continue;
    return Object.hasOwn(COMMANDS, a) ? [a] : Object.keys(COMMANDS);
  }
  return args.some((a) => a === '-V' || a === '--version') && !args.some((a) => a === '-h' || a === '--help') ? [] : Object.keys(COMMANDS);
}

/** Build the command tree with the commands `names` (default: all); `setExitCode` receives each command's result. */
export async function buildProgram(setExitCode: (code: number) => void, names: readonly string[] = Object.keys(COMMANDS)): Promise<Command> {
  const program = new Command('magikrun')
    .description('Run OCI images on isolation backends: WebAssembly (wasmtime), Linux containers, microVMs')
    .version(cliVersion(), '-V, --version')
    .option('--root <dir>', 'data root (blobs, images, bundles, cache); default $MAGIKRUN_ROOT or ~/.magikrun')
    .enablePositionalOptions()
    .exitOverride();
  const registers = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const register of registers) register(program, setExitCode);
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
  const program = await buildProgram((c) => {
    code = c;
  }, commandsFor(argv.slice(2)));
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_MAGIKRUN_FAILED;
    process.stderr.write(`magikrun: ${formatError(e)}\n`);
    return exitCodeForError(e);
  }
}
