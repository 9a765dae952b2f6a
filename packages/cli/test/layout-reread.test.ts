// An OCI layout is read on every use, as skopeo and podman read `oci:DIR:TAG`: after the layout changed
// (umoci retagged TAG to a new manifest), run, bundle and pull use what it holds now, not the copy
// recorded when it was first read. Blobs already in the store are not copied again.
import { execFileSync } from 'node:child_process';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './support.js';

const images = inject('images');

/** The manifest digest `tag` points at in the layout `dir`. */
async function tagDigest(dir: string, tag: string): Promise<string> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  return index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)!.digest;
}

describe('oci:DIR:TAG after the layout changed', () => {
  let root: string;
  let work: string;
  let layout: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-layout-');
    cleanup = t.cleanup;
    work = t.dir;
    root = join(t.dir, 'root');
    layout = join(t.dir, 'layout');
    await cp(images.layout, layout, { recursive: true });
  });
  afterAll(() => cleanup());

  it('run uses the manifest the tag points at now (with --pull missing and never), copying only the new blobs', async () => {
    const ref = `oci:${layout}:latest`;
    const first = await runCli(['run', '-q', ref], { root });
    expect(first.stdout).toContain('argv[1]=world\n');
    expect(first.code).toBe(0);

    // Unchanged: nothing to copy, and nothing said about it.
    const same = await runCli(['run', ref], { root });
    expect(same.stderr).not.toContain('pulling');
    expect(same.code).toBe(0);

    execFileSync('umoci', ['config', '--image', `${layout}:latest`, '--no-history', '--config.cmd', 'rebuilt']);
    const rebuilt = await tagDigest(layout, 'latest');
    const second = await runCli(['run', ref], { root });
    expect(second.stdout).toContain('argv[1]=rebuilt\n');
    expect(second.code).toBe(0);
    // Only the config and manifest are new: the layer is already in the store.
    expect(second.stderr).toContain(`pulling ${ref}`);
    expect(second.stderr).toMatch(/ layer [0-9a-f]{12} already present\n/);
    expect(second.stderr).toContain(`pulled ${rebuilt}`);

    execFileSync('umoci', ['config', '--image', `${layout}:latest`, '--no-history', '--config.cmd', 'again']);
    const never = await runCli(['run', '-q', '--pull', 'never', ref], { root });
    expect(never.stdout).toContain('argv[1]=again\n');
    expect(never.code).toBe(0);

    const listed = await runCli(['images', '--no-trunc'], { root });
    expect(listed.stdout).toContain(await tagDigest(layout, 'latest'));
  });

  it('bundle and pull use the manifest the tag points at now', async () => {
    const ref = `oci:${layout}:busybox`;
    const args = async (dir: string) => (JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { process: { args: string[] } }).process.args;
    const first = await runCli(['bundle', '-q', ref, join(work, 'b1')], { root });
    expect(first.code).toBe(0);
    expect(await args(join(work, 'b1'))).toEqual(['sh']);

    execFileSync('umoci', ['config', '--image', `${layout}:busybox`, '--no-history', '--config.cmd', 'echo', '--config.cmd', 'rebuilt']);
    const second = await runCli(['bundle', '-q', ref, join(work, 'b2')], { root });
    expect(second.code).toBe(0);
    expect(await args(join(work, 'b2'))).toEqual(['echo', 'rebuilt']);

    execFileSync('umoci', ['config', '--image', `${layout}:busybox`, '--no-history', '--config.cmd', 'true']);
    const pulled = await runCli(['pull', '-q', ref], { root });
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe(`${await tagDigest(layout, 'busybox')}\n`);
  });

  it('a layout that is gone fails with 125 (NOT_FOUND) instead of running the copy read before', async () => {
    const gone = join(work, 'gone');
    await cp(images.layout, gone, { recursive: true });
    const ref = `oci:${gone}:latest`;
    expect((await runCli(['run', '-q', ref], { root })).code).toBe(0);
    await rm(gone, { recursive: true });
    const r = await runCli(['run', '-q', ref], { root });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/not an OCI image layout.*\[NOT_FOUND\]/);
    expect(r.stdout).toBe('');
  });
});
