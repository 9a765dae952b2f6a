// The start-up benchmark: `magikrun --version` (the CLI's own cost: Node.js, commander, the command
// table; no command module is loaded) beside `node -e ''` (Node.js alone), alternating, whole processes.
// Goal (reported, never asserted): ≤ 1.5× node. The warm `magikrun run` of a wasm image against
// node:wasi is hello.mjs's table.
import { join } from 'node:path';
import { nodeProcess as proc, stats } from './stats.mjs';

export const name = 'startup';
export const description = "magikrun --version vs node -e '' (whole processes; goal ≤ 1.5×)";
export const defaultRuns = 30;

/** @param {{ repo: string, runs: number }} ctx */
export async function run({ repo, runs: RUNS }) {
  const cli = join(repo, 'packages/cli/dist/bin.js');
  // Alternate the two so that a busy moment of the machine falls on both alike.
  const node = [];
  const version = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(proc(['-e', '']));
    version.push(proc([cli, '--version']));
  }
  const rows = [stats("node -e ''", node), stats('magikrun --version', version)];
  console.log(`\nstart-up, ${RUNS} runs each, ms (goal: magikrun --version ≤ 1.5× node -e '')\n`);
  console.log("| process | median | p90 | vs node -e '' |");
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.name} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${(r.median / rows[0].median).toFixed(2)}x |`);
}
