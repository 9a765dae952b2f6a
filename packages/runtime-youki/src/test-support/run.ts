/**
 * Test helpers around a runtime: run a bundle to completion collecting its output, and find a
 * container's cgroup directories.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ExitStatus, OciBundle } from '@magikrun/core';
import type { YoukiRuntime } from '../runtime.js';

let n = 0;
/** A fresh container id for this test process. */
export function newId(prefix: string): string {
  return `${prefix}-${process.pid}-${++n}`;
}

/** A Writable that keeps what it is given. */
export function sink(): Writable & { text(): string } {
  const parts: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(Buffer.from(chunk));
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(parts).toString('utf8') });
}

/** Create, start and wait for a bundle; its stdout and stderr; the container is deleted afterwards. */
export async function runToEnd(rt: YoukiRuntime, bundle: OciBundle, id = newId('run')): Promise<{ status: ExitStatus; stdout: string; stderr: string }> {
  const out = sink();
  const errOut = sink();
  await rt.create(id, bundle, { stdio: { stdout: out, stderr: errOut } });
  try {
    await rt.start(id);
    const status = await rt.wait(id);
    return { status, stdout: out.text(), stderr: errOut.text() };
  } finally {
    await rt.delete(id, { force: true });
  }
}

/** Host paths of the cgroup of `pid` in each v1 controller (`memory`, `pids`, `cpu`…), by controller; root cgroups left out. */
export async function cgroupPaths(pid: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n')) {
    // `N:controllers:path`; the path may itself hold colons (libcontainer's default is `/:youki:<id>`).
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, controllers = '', rel = ''] = m;
    if (rel === '/') continue;
    for (const c of controllers.split(',')) if (c) out[c] = path.join('/sys/fs/cgroup', c, rel);
  }
  return out;
}
