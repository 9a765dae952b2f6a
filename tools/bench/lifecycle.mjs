// The lifecycle benchmark: create → start → wait → delete of busybox `true`, the same OCI bundle (written
// by `magikrun bundle` from the busybox test image: Debian's busybox-static built by umoci) under
//   - magikrun: YoukiRuntime through its API, in this process (a monitor process per container),
//   - `runc run` (Debian's runc, which creates, starts, waits and deletes),
//   - `youki run` (the youki CLI of the same 0.7 line, installed by install-youki.sh into a cache),
// each `runs` times sequentially and `runs` times 4 at a time, in one run (the tools take turns in
// blocks, so that drift of the machine hits all of them alike). Also the latency of magikrun's
// `state()` of a running container over many calls. Prints p50/p95 per tool and the goals:
// p50 at or below runc's, within 1.2× of the youki CLI, state() under 1 ms. Reported, never asserted.
//
// Needs root, namespaces and cgroups (as the runtimes do), runc (apt-get install runc), cargo (for the
// first install of youki). MAGIKRUN_BENCH_YOUKI=/path/to/youki skips the install.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { table } from './stats.mjs';

export const name = 'lifecycle';
export const description = 'busybox `true` create→start→wait→delete: magikrun (YoukiRuntime API) vs runc run vs youki run, sequential and 4 at a time, plus state() latency';
export const defaultRuns = 100;

/** How many containers run at once in the concurrent rounds. */
const CONCURRENCY = 4;
/** How many `state()` calls are timed. */
const STATE_CALLS = 2000;
/** Runs per tool before the next tool takes its turn. */
const BLOCK = 10;

/** The q-quantile (0..1) of sorted samples, nearest rank. */
function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** p50/p95 of the runs that ended; `hung` counts those that did not (null samples). */
function summary(samples) {
  const s = samples.filter((x) => x !== null).sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), n: s.length, hung: samples.length - s.length };
}

/** A run of a CLI that has not ended after this long (ms) counts as hung. */
const HANG_MS = 3000;

/**
 * Spawn `file args` with stdio closed; resolves with its wall time in ms, or with null when it hung.
 * A hung run is first sent SIGCHLD — `youki run` 0.7 can lose the SIGCHLD of a container that exits
 * before it has blocked signals, and then waits for it forever; a fresh SIGCHLD lets it reap, delete
 * and exit normally (so no zombie is left to PID 1) — and SIGKILLed plus `cleanup()` if even that does
 * not end it. Rejects on a non-zero exit.
 */
function timedProcess(file, args, cleanup) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let hung = false;
    let killed = false;
    const nudge = setTimeout(() => {
      hung = true;
      child.kill('SIGCHLD');
    }, HANG_MS);
    const watchdog = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 2 * HANG_MS);
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(nudge);
      clearTimeout(watchdog);
      const ms = performance.now() - t;
      if (killed) return cleanup().then(() => resolve(null), reject);
      if (code !== 0) return reject(new Error(`${file} ${args.join(' ')} ended with ${code ?? signal}: ${stderr.trim()}`));
      resolve(hung ? null : ms);
    });
  });
}

/** `CLI --root STATE delete --force ID`, for a hung run. */
function forceDelete(file, state, id) {
  return new Promise((resolve) => spawn(file, ['--root', state, 'delete', '--force', id], { stdio: 'ignore' }).on('close', () => resolve()));
}

/** Run `count` jobs with at most `limit` at a time; resolves with each job's result. */
async function pool(count, limit, job) {
  const out = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

function ensureRunc() {
  try {
    return execFileSync('runc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error('runc not found: apt-get install runc');
  }
}

function ensureYouki(repo) {
  const bin = process.env.MAGIKRUN_BENCH_YOUKI ?? execFileSync(join(repo, 'tools/bench/install-youki.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  return { bin, version };
}

/** @param {{ repo: string, runs: number, work: string }} ctx */
export async function run({ repo, runs: RUNS, work }) {
  if (process.getuid?.() !== 0) throw new Error('the lifecycle benchmark needs root (the runtimes create namespaces and cgroups)');
  const runcVersion = ensureRunc();
  const youki = ensureYouki(repo);
  const { YoukiRuntime } = await import(join(repo, 'packages/runtime-youki/dist/index.js'));

  // The bundle: busybox built by umoci from Debian's busybox-static, written by `magikrun bundle`.
  const layout = join(work, 'layout');
  execFileSync(join(repo, 'tools/images/build-busybox-layout.sh'), [layout, 'busybox'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bundleDir = join(work, 'bundle');
  const cli = join(repo, 'packages/cli/dist/bin.js');
  execFileSync(process.execPath, [cli, '--root', join(work, 'root'), 'bundle', '-q', `oci:${layout}:busybox`, bundleDir, 'true'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bundle = { kind: 'oci', path: bundleDir, rootfs: join(bundleDir, 'rootfs') };

  const states = { magikrun: join(work, 'state-magikrun'), runc: join(work, 'state-runc'), youki: join(work, 'state-youki') };
  for (const dir of Object.values(states)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const runtime = new YoukiRuntime({ stateRoot: states.magikrun });

  let n = 0;
  const id = (tool) => `bench-${tool}-${process.pid}-${n++}`;
  const tools = {
    magikrun: async () => {
      const cid = id('m');
      const t = performance.now();
      await runtime.create(cid, bundle, { stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } });
      await runtime.start(cid);
      const status = await runtime.wait(cid);
      await runtime.delete(cid);
      const ms = performance.now() - t;
      if (status.code !== 0) throw new Error(`magikrun: busybox true exited ${status.code} (${status.reason})`);
      return ms;
    },
    'runc run': () => {
      const cid = id('r');
      return timedProcess('runc', ['--root', states.runc, 'run', '--bundle', bundleDir, cid], () => forceDelete('runc', states.runc, cid));
    },
    'youki run': () => {
      const cid = id('y');
      return timedProcess(youki.bin, ['--root', states.youki, 'run', '--bundle', bundleDir, cid], () => forceDelete(youki.bin, states.youki, cid));
    },
  };
  const names = Object.keys(tools);

  // Warm-up: page cache, binaries, the monitor executable.
  for (const name of names) for (let i = 0; i < 3; i++) await tools[name]();

  const sequential = Object.fromEntries(names.map((name) => [name, []]));
  for (let done = 0; done < RUNS; done += BLOCK) {
    const k = Math.min(BLOCK, RUNS - done);
    for (const name of names) for (let i = 0; i < k; i++) sequential[name].push(await tools[name]());
  }
  const concurrent = Object.fromEntries(names.map((name) => [name, { samples: [], wallMs: 0 }]));
  for (let done = 0; done < RUNS; done += BLOCK * CONCURRENCY) {
    const k = Math.min(BLOCK * CONCURRENCY, RUNS - done);
    for (const name of names) {
      const t = performance.now();
      concurrent[name].samples.push(...(await pool(k, CONCURRENCY, () => tools[name]())));
      concurrent[name].wallMs += performance.now() - t;
    }
  }

  // state() of a running container (busybox sleep): each call timed alone.
  const sleeper = join(work, 'bundle-sleep');
  execFileSync(process.execPath, [cli, '--root', join(work, 'root'), 'bundle', '-q', `oci:${layout}:busybox`, sleeper, 'sleep', '3600'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const sid = id('s');
  await runtime.create(sid, { kind: 'oci', path: sleeper, rootfs: join(sleeper, 'rootfs') }, { stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } });
  const stateSamples = [];
  try {
    await runtime.start(sid);
    for (let i = 0; i < 50; i++) await runtime.state(sid);
    for (let i = 0; i < STATE_CALLS; i++) {
      const t = performance.now();
      const s = await runtime.state(sid);
      stateSamples.push(performance.now() - t);
      if (s.status !== 'running') throw new Error(`state() says ${s.status}, expected running`);
    }
  } finally {
    await runtime.delete(sid, { force: true });
  }

  const leftovers = Object.entries(states).flatMap(([tool, dir]) => readdirSync(dir).map((e) => `${tool}: ${e}`));

  const fmt = (ms) => ms.toFixed(1);
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  const rows = [];
  for (const [mode, get] of [
    ['sequential', (name) => summary(sequential[name])],
    [`${CONCURRENCY} at a time`, (name) => summary(concurrent[name].samples)],
  ]) {
    const runc = get('runc run');
    const yk = get('youki run');
    for (const name of names) {
      const s = get(name);
      const extra = mode === 'sequential' ? '' : ` (${(concurrent[name].samples.length / (concurrent[name].wallMs / 1000)).toFixed(0)}/s)`;
      rows.push([`${name}, ${mode}`, String(s.n), String(s.hung), fmt(s.p50), fmt(s.p95), ratio(s.p50, runc.p50), ratio(s.p50, yk.p50) + extra]);
    }
  }
  console.log(`magikrun: YoukiRuntime in-process; ${runcVersion}; ${youki.version} (${youki.bin})\n`);
  console.log(table(['create→start→wait→delete, busybox true', 'n', `hung (> ${HANG_MS / 1000} s)`, 'p50 ms', 'p95 ms', 'p50 / runc', 'p50 / youki'], rows));
  if (names.some((name) => summary(sequential[name]).hung + summary(concurrent[name].samples).hung > 0)) {
    console.log(
      `\nhung: runs still going after ${HANG_MS / 1000} s, left out of p50/p95. \`youki run\` 0.7 blocks signals only after the ` +
        'container has started, so the SIGCHLD of a container that exits at once can be lost and it waits forever; sent a SIGCHLD, ' +
        `it reaps and finishes (a run that still does not end is killed after ${(2 * HANG_MS) / 1000} s and force-deleted).`,
    );
  }
  const st = summary(stateSamples);
  console.log(`\nmagikrun state() of a running container: p50 ${st.p50.toFixed(3)} ms, p95 ${st.p95.toFixed(3)} ms over ${st.n} calls`);
  const m = summary(sequential.magikrun).p50;
  const goals = [
    [`sequential p50 at or below runc's`, m <= summary(sequential['runc run']).p50],
    [`sequential p50 within 1.2× of youki run`, m <= 1.2 * summary(sequential['youki run']).p50],
    ['state() p50 under 1 ms', st.p50 < 1],
  ];
  console.log(`\ngoals (reported, not gated): ${goals.map(([g, ok]) => `${g}: ${ok ? 'met' : 'NOT met'}`).join('; ')}`);
  if (leftovers.length > 0) console.log(`\nwarning: state left behind: ${leftovers.join(', ')}`);
  for (const dir of Object.values(states)) rmSync(dir, { recursive: true, force: true });
}
