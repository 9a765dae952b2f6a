// The unpack benchmark: the same multi-layer Debian image (debootstrap + umoci, ≥ 100 MB compressed,
// cached under ~/.cache/magikrun-bench, see build-debian-image.sh) unpacked into a fresh directory each
// run by
//   - magikrun: core's unpackRootfs in a child process (`node unpack.mjs --child …`, Node start included),
//   - `umoci raw unpack` (the reference unpacker, same layers from the same OCI layout),
//   - GNU `tar -xzpf` once per layer blob, in order (no whiteout handling: the floor for the bytes),
// alternating, N runs each, with wall time and peak RSS (/usr/bin/time -f %M); then a second rootfs
// from the cached snapshots: Snapshotter.prepare on an image whose layer snapshots exist (overlay where
// this host can mount it: root + overlayfs; else the copy mode), alone and with the overlay mount.
// Goals (reported, never asserted): faster than umoci, within 1.3x of GNU tar, second rootfs < 50 ms.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { manifestOf, stats, table, timed } from './stats.mjs';

export const name = 'unpack';
export const description = 'multi-layer Debian image (≥100 MB): magikrun unpackRootfs vs umoci raw unpack vs GNU tar -x, and a second rootfs from cached snapshots';
export const defaultRuns = 5;

const TAG = 'bench';
const self = fileURLToPath(import.meta.url);

function dirBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

const mib = (b) => (b / 1024 / 1024).toFixed(1);

/** @param {{ repo: string, runs: number, work: string }} ctx */
export async function run({ repo, runs, work }) {
  for (const t of ['umoci', 'tar', '/usr/bin/time']) {
    if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) throw new Error(`${t} not found: apt-get install umoci tar time`);
  }
  const core = join(repo, 'packages/core/dist/index.js');
  const { BlobStore, pullImage, Snapshotter } = await import(core);
  const layout = execFileSync(join(repo, 'tools/bench/build-debian-image.sh'), [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  const manifest = manifestOf(layout, TAG);
  const compressed = manifest.layers.reduce((n, l) => n + l.size, 0);
  const unpacked = dirBytes(join(layout, '..', 'debian-rootfs'));
  const ref = `oci:${layout}:${TAG}`;
  const root = join(work, 'root');
  const store = await BlobStore.open({ root });
  await pullImage(ref, store);

  // --- one full unpack per run, alternating ---
  const mk = [];
  const um = [];
  const gt = [];
  const fresh = (n) => {
    const d = join(work, n);
    rmSync(d, { recursive: true, force: true });
    return d;
  };
  for (let i = 0; i < runs; i++) {
    const a = fresh('magikrun');
    mk.push(timed(process.execPath, [self, '--child', root, ref, a]));
    rmSync(a, { recursive: true, force: true });
    const b = fresh('umoci');
    um.push(timed('umoci', ['raw', 'unpack', '--image', `${layout}:${TAG}`, b]));
    rmSync(b, { recursive: true, force: true });
    const c = fresh('tar');
    mkdirSync(c);
    const script = manifest.layers.map((l) => `tar --numeric-owner -xpzf ${join(layout, 'blobs', 'sha256', l.digest.slice(7))} -C ${c}`).join(' && ');
    gt.push(timed('sh', ['-c', script]));
    rmSync(c, { recursive: true, force: true });
  }
  const m = stats('magikrun unpackRootfs (node process)', mk.map((r) => r.ms));
  const u = stats('umoci raw unpack', um.map((r) => r.ms));
  const g = stats('GNU tar -xzpf per layer (no whiteouts)', gt.map((r) => r.ms));
  const rss = (rs) => Math.max(...rs.map((r) => r.rssKiB)) / 1024;
  console.log(`\nimage: ${manifest.layers.length} gzip layers, ${mib(compressed)} MiB compressed, ${mib(unpacked)} MiB unpacked; ${runs} runs each, fresh destination every run, page cache warm\n`);
  console.log(table(['unpack', 'median ms', 'p90 ms', 'MiB/s (unpacked)', 'peak RSS MiB', 'vs umoci', 'vs GNU tar'], [[m, mk], [u, um], [g, gt]].map(([r, rs]) => [
    r.name,
    r.median.toFixed(0),
    r.p90.toFixed(0),
    (unpacked / 1024 / 1024 / (r.median / 1000)).toFixed(1),
    rss(rs).toFixed(1),
    `${(r.median / u.median).toFixed(2)}x`,
    `${(r.median / g.median).toFixed(2)}x`,
  ])));

  // --- rootfs from the snapshot cache ---
  const snaps = await Snapshotter.open({ store });
  const image = { layers: manifest.layers, diffIds: JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8')).rootfs.diff_ids };
  const t0 = performance.now();
  await snaps.prepare('first', image);
  const first = performance.now() - t0;
  await snaps.remove('first');
  const prep = [];
  const withMount = [];
  const target = join(work, 'mnt');
  mkdirSync(target);
  const snapRuns = Math.max(runs * 4, 20);
  for (let i = 0; i < snapRuns; i++) {
    const t = performance.now();
    await snaps.prepare(`c${i}`, image);
    prep.push(performance.now() - t);
    await snaps.remove(`c${i}`);
  }
  if (snaps.mode === 'overlay') {
    for (let i = 0; i < snapRuns; i++) {
      const t = performance.now();
      const [mnt] = await snaps.prepare(`m${i}`, image);
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', mnt.options.join(','), target]);
      withMount.push(performance.now() - t);
      execFileSync('umount', [target]);
      await snaps.remove(`m${i}`);
    }
  }
  const rows = [
    ['first rootfs (unpack into snapshots, in process)', first.toFixed(0), '', ''],
    ...[stats('second rootfs: prepare from cached snapshots', prep), ...(withMount.length ? [stats('second rootfs: prepare + overlay mount', withMount)] : [])].map((r) => [r.name, r.median.toFixed(1), r.p90.toFixed(1), String(r.samples.length)]),
  ];
  console.log(`\nsnapshots: ${snaps.mode} mode (${snaps.modeReason})\n`);
  console.log(table(['rootfs from snapshots', 'median ms', 'p90 ms', 'runs'], rows));
  const second = stats('', prep).median;
  console.log(
    `\ngoals (reported, not asserted): faster than umoci: ${m.median < u.median ? 'yes' : 'no'} (${(m.median / u.median).toFixed(2)}x); ` +
      `within 1.3x of GNU tar: ${m.median <= 1.3 * g.median ? 'yes' : 'no'} (${(m.median / g.median).toFixed(2)}x); ` +
      `second rootfs < 50 ms${snaps.mode === 'overlay' ? '' : ' (goal is for overlay; this host uses copies)'}: ${second < 50 ? 'yes' : 'no'} (${second.toFixed(1)} ms)`,
  );
  await snaps.gc();
}

// Child mode: one unpack in a fresh process, as a user's program would do it.
//   node unpack.mjs --child ROOT REF DEST
if (process.argv[2] === '--child' && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [root, ref, dest] = process.argv.slice(3);
  const core = join(fileURLToPath(new URL('../..', import.meta.url)), 'packages/core/dist/index.js');
  const { BlobStore, loadImage, unpackRootfs } = await import(core);
  const store = await BlobStore.open({ root });
  const image = await loadImage(ref, store);
  await unpackRootfs({ store, layers: image.manifest.layers, diffIds: image.config.diffIds, dest });
}
