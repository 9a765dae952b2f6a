/**
 * vitest globalSetup of @magikrun/runtime-youki: builds the busybox test image with umoci from
 * Debian's busybox-static (tools/images/build-busybox-layout.sh) into an OCI layout in a temp
 * directory, provided to the tests as `inject('youkiLayout')` (`oci:<dir>:busybox` pulls it).
 * A missing tool fails the run with the apt-get line that installs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export default function setup(project: TestProject): () => void {
  for (const [tool, pkg] of [['umoci', 'umoci'], ['busybox', 'busybox-static']] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`the youki tests need ${tool}: apt-get install ${pkg}`);
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'magikrun-youki-images-'));
  const layout = join(work, 'layout');
  execFileSync(join(repo, 'tools/images/build-busybox-layout.sh'), [layout, 'busybox'], { stdio: ['ignore', 'ignore', 'inherit'] });
  // `youkiLayout` is declared in src/test-support/fixtures.ts (ProvidedContext).
  project.provide('youkiLayout', layout);
  return () => rmSync(work, { recursive: true, force: true });
}
