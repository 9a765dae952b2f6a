// The pull benchmark: a multi-layer Debian image (debootstrap + umoci, cached under
// ~/.cache/magikrun-bench, see build-debian-image.sh) pushed by skopeo to Debian's docker-registry on
// 127.0.0.1, then pulled into a fresh root each run by `magikrun pull` and by
// `skopeo copy docker://… oci:…`, alternating, in the same run. Wall time and peak RSS of each process
// come from /usr/bin/time (-f '%e %M'). Goals (reported only): faster than skopeo, RSS < 150 MB.
import { execFileSync } from 'node:child_process';
import { rmSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { manifestOf, stats, table, timed } from './stats.mjs';

export const name = 'pull';
export const description = 'multi-layer Debian image (≥100 MB) from a local registry: magikrun pull vs skopeo copy, peak RSS';
export const defaultRuns = 3;

const TAG = 'bench';

function layoutSizes(layout) {
  const manifest = manifestOf(layout, TAG);
  return { layers: manifest.layers.length, compressed: manifest.layers.reduce((n, l) => n + l.size, 0) };
}

function dirBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

/** @param {{ repo: string, runs: number, work: string }} ctx */
export async function run({ repo, runs, work }) {
  const cli = join(repo, 'packages/cli/dist/bin.js');
  const layout = execFileSync(join(repo, 'tools/bench/build-debian-image.sh'), [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  const { layers, compressed } = layoutSizes(layout);
  const unpacked = dirBytes(join(layout, '..', 'debian-rootfs'));

  const { startRegistry } = await import(join(repo, 'tools/registry/registry.mjs'));
  const reg = await startRegistry();
  try {
    const ref = `${reg.host}/bench/debian:${TAG}`;
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:${TAG}`, `docker://${ref}`], { stdio: ['ignore', 'ignore', 'inherit'] });

    // MAGIKRUN_BENCH_BASELINE_CLI=<another build's packages/cli/dist/bin.js> adds a row for it, alternating
    // in the same run (before/after comparisons of a change).
    const baseline = process.env.MAGIKRUN_BENCH_BASELINE_CLI;
    const mk = [];
    const bl = [];
    const sk = [];
    const pullWith = (bin, out, i) => {
      const root = join(work, `root-${i}`);
      out.push(timed(process.execPath, [bin, '--root', root, 'pull', '-q', '--platform', 'linux/amd64', ref]));
      rmSync(root, { recursive: true, force: true });
    };
    for (let i = 0; i < runs; i++) {
      if (baseline) pullWith(baseline, bl, i);
      pullWith(cli, mk, i);
      const dest = join(work, `skopeo-${i}`);
      sk.push(timed('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:${TAG}`]));
      rmSync(dest, { recursive: true, force: true });
    }
    const m = stats('magikrun pull', mk.map((r) => r.ms));
    const s = stats('skopeo copy docker:// → oci:', sk.map((r) => r.ms));
    const rows = [[m, mk], [s, sk]];
    if (baseline) rows.splice(1, 0, [stats('magikrun pull (baseline build)', bl.map((r) => r.ms)), bl]);
    const rss = (rs) => Math.max(...rs.map((r) => r.rssKiB)) / 1024;
    const mib = (b) => (b / 1024 / 1024).toFixed(1);
    console.log(`\nimage: ${layers} gzip layers, ${mib(compressed)} MiB compressed, ${mib(unpacked)} MiB unpacked; registry ${reg.host}; ${runs} runs each, fresh destination every run\n`);
    if (baseline) console.log(`baseline build: ${baseline}`);
    console.log(table(['tool', 'median ms', 'p90 ms', 'MiB/s (compressed)', 'peak RSS MiB (max)', 'vs skopeo'], rows.map(([r, rs]) => [
      r.name,
      r.median.toFixed(0),
      r.p90.toFixed(0),
      (compressed / 1024 / 1024 / (r.median / 1000)).toFixed(1),
      rss(rs).toFixed(1),
      `${(r.median / s.median).toFixed(2)}x`,
    ])));
    console.log(`\ngoals (reported, not asserted): magikrun faster than skopeo: ${m.median < s.median ? 'yes' : 'no'}; magikrun peak RSS < 150 MiB: ${rss(mk) < 150 ? 'yes' : 'no'}`);
  } finally {
    await reg.stop();
  }
}
