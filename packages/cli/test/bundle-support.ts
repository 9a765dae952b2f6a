/**
 * Running an OCI bundle under Debian's runc (`runc run`), for the bundle tests. runc is a required
 * tool (tools/setup.sh installs it); a missing runc fails the test with the apt-get line, it does
 * not skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Throw unless `runc` is on PATH. */
export function requireRunc(): void {
  if (spawnSync('runc', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error('runc not found: apt-get install runc');
}

export interface RuncResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `runc --root STATE run --bundle DIR ID` with stdin closed; the container is deleted afterwards. */
export function runcRun(bundle: string, stateRoot: string): Promise<RuncResult> {
  const id = `mk-${randomBytes(5).toString('hex')}`;
  const child = spawn('runc', ['--root', stateRoot, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      spawnSync('runc', ['--root', stateRoot, 'delete', '--force', id], { stdio: 'ignore' });
      resolve({ code, stdout, stderr });
    });
  });
}

/** Edit `DIR/config.json` in place (for the comparison runs with a protection removed). */
export async function editConfig(bundle: string, edit: (config: Record<string, any>) => void): Promise<void> {
  const file = join(bundle, 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
  edit(config);
  await writeFile(file, JSON.stringify(config));
}
