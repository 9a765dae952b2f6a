/**
 * `magikrun` command line entry point. Thin: parse, call one library function, map errors to exit codes.
 */
import { main } from './program.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`magikrun: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 125;
  },
);
