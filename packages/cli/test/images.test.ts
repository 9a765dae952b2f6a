// `magikrun pull` of archives, `images`, `save`, `rmi` and `gc` through the built CLI, with archives
// and layouts written and read by skopeo.
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './support.js';

const images = inject('images');

const blobCount = async (root: string) => {
  const dirs = await readdir(join(root, 'blobs', 'sha256'));
  let n = 0;
  for (const d of dirs) n += (await readdir(join(root, 'blobs', 'sha256', d))).length;
  return n;
};

describe('magikrun images, rmi, gc, save', () => {
  let dir: string;
  let root: string;
  let cleanup: () => Promise<void>;
  let ociArchive: string;
  let dockerArchive: string;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-images-');
    ({ dir, cleanup } = t);
    root = join(dir, 'root');
    ociArchive = join(dir, 'linux.oci.tar');
    dockerArchive = join(dir, 'linux.docker.tar');
    execFileSync('skopeo', ['copy', '-q', `oci:${images.layout}:linux`, `oci-archive:${ociArchive}:linux`]);
    execFileSync('skopeo', ['copy', '-q', `oci:${images.layout}:linux`, `docker-archive:${dockerArchive}:example.com/linux:v1`]);
  });
  afterAll(() => cleanup());

  it('pulls from a registry, an oci-archive and a docker-archive, lists, saves, removes and collects', async () => {
    for (const ref of [images.refs.hello, `oci-archive:${ociArchive}:linux`, `docker-archive:${dockerArchive}:example.com/linux:v1`]) {
      const r = await runCli(['pull', '-q', '--platform', ref.startsWith('127.') ? 'wasip1/wasm' : 'linux/amd64', ref], { root });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    }

    const table = await runCli(['images'], { root });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REFERENCE\s+DIGEST\s+PLATFORM\s+SIZE\s+PULLED$/);
    expect(lines).toHaveLength(4);
    const row = lines.find((l) => l.startsWith(images.refs.hello))!;
    expect(row).toMatch(/sha256:[a-f0-9]{12}\s+wasip1\/wasm\s+\d[\d.]*k?B\s+(just now|\d+ seconds? ago)$/);
    const json = JSON.parse((await runCli(['images', '--json'], { root })).stdout) as { reference: string; digest: string }[];
    expect(json.map((e) => e.reference).sort()).toEqual(
      [images.refs.hello, `oci-archive:${ociArchive}:linux`, `docker-archive:${dockerArchive}:example.com/linux:v1`].sort(),
    );

    // save → skopeo reads it
    const out = join(dir, 'saved');
    const saved = await runCli(['save', images.refs.hello, `oci:${out}:v1`], { root });
    expect(saved.code).toBe(0);
    const hello = json.find((e) => e.reference === images.refs.hello)!;
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${out}:v1`], { encoding: 'utf8' })) as { Digest: string };
    expect(inspected.Digest).toBe(hello.digest);

    // rmi: the docker-archive image (its layer is the only uncompressed one; its manifest is its own)
    const before = await blobCount(root);
    const rmi = await runCli(['rmi', `docker-archive:${dockerArchive}:example.com/linux:v1`, 'example.com/never-pulled:v1'], { root });
    expect(rmi.code).toBe(125);
    expect(rmi.stdout).toBe(`Untagged: docker-archive:${dockerArchive}:example.com/linux:v1\n`);
    expect(rmi.stderr).toMatch(/no such image: example.com\/never-pulled:v1 .*\[NOT_FOUND\]/);
    expect((await runCli(['images', '-q'], { root })).stdout.split('\n').filter(Boolean)).toHaveLength(2);

    const dry = await runCli(['gc', '--dry-run'], { root });
    expect(dry.code).toBe(0);
    // its manifest and its uncompressed layer; the config is shared with the oci-archive image
    expect(dry.stdout).toMatch(/would remove 2 blob\(s\)/);
    expect(await blobCount(root)).toBe(before);
    const real = await runCli(['gc', '--json'], { root });
    const report = JSON.parse(real.stdout) as { removed: unknown[]; freedBytes: number; dryRun: boolean };
    expect(report.dryRun).toBe(false);
    expect(report.removed).toHaveLength(2);
    expect(report.freedBytes).toBeGreaterThan(0);
    expect(await blobCount(root)).toBe(before - 2);
    // what remains is intact: both images still export
    expect((await runCli(['save', '-q', `oci-archive:${ociArchive}:linux`, `oci:${out}:linux`], { root })).code).toBe(0);
    expect((await runCli(['save', '-q', images.refs.hello, `oci:${out}:v2`], { root })).code).toBe(0);
    expect((await runCli(['gc'], { root })).stdout).toMatch(/^removed 0 blob\(s\)/);
  });

  it('load imports a docker save archive under its RepoTags and an OCI archive under its key', async () => {
    const tagged = join(dir, 'tagged.docker.tar');
    execFileSync('skopeo', ['copy', '-q', '--additional-tag', 'example.com/linux:v2', `oci:${images.layout}:linux`, `docker-archive:${tagged}:example.com/linux:v1`]);
    const root2 = join(dir, 'root-load');
    const r = await runCli(['load', '-i', tagged], { root: root2 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Loaded image: example.com/linux:v1\nLoaded image: example.com/linux:v2\n');
    const o = await runCli(['load', ociArchive], { root: root2 });
    expect(o.stdout).toBe(`Loaded image: oci-archive:${ociArchive}:linux\n`);
    const listed = JSON.parse((await runCli(['images', '--json'], { root: root2 })).stdout) as { reference: string; digest: string }[];
    expect(listed.map((e) => e.reference).sort()).toEqual([`oci-archive:${ociArchive}:linux`, 'example.com/linux:v1', 'example.com/linux:v2'].sort());
    // the loaded names work like pulled ones
    const out = join(dir, 'from-load');
    expect((await runCli(['save', '-q', 'example.com/linux:v2', `oci:${out}:x`], { root: root2 })).code).toBe(0);
    const bad = await runCli(['load', join(dir, 'missing.tar')], { root: root2 });
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('[NOT_FOUND]');
  });
});
