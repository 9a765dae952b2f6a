// Shared helpers of the benchmarks: timing a command, reading a layout's manifest, medians and p90s of
// repeated measurements, markdown tables.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Run a command under /usr/bin/time; returns wall ms (measured here) and peak RSS in KiB. */
export function timed(cmd, args) {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  return { ms, rssKiB: Number(lines[lines.length - 1]) };
}

/** Run `node ARGS…` to its end; returns the wall time in ms. @throws when it exits with another status than 0 */
export function nodeProcess(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** The manifest tagged `tag` in the OCI layout `layout` (the benchmark images' layouts). */
export function manifestOf(layout, tag) {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  return JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', desc.digest.slice(7)), 'utf8'));
}

/** @returns {{ name: string, median: number, p90: number, samples: number[] }} */
export function stats(name, samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { name, median: q(0.5), p90: q(0.9), samples };
}

export function measure(runs, name, fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(fn());
  return stats(name, samples);
}

export async function measureAsync(runs, name, fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await fn());
  return stats(name, samples);
}

/** A markdown table. */
export function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
