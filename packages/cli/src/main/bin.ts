/**
 * `magikrun` command line entry point. Thin: parse, call one library function, map errors to exit codes.
 */
import { main } from './program.js';

// A closed pipe on our own output (`magikrun run … | head`) must not crash magikrun before it has
// cleaned up; the workload's writes fail instead, and magikrun still removes the container.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`magikrun: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 125;
  },
);
