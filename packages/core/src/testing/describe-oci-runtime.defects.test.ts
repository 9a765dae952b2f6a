/**
 * The conformance suite must fail for a runtime with a bug. Runs the suite in a child vitest against
 * fakes with deliberate defects and checks that the test aimed at each defect fails.
 * (A unit test of the suite's logic, not evidence about any real backend.)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgRoot = path.resolve(here, '../..');
const vitestBin = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

const EXPECTED_FAILURE: Record<string, string> = {
  'start-twice-allowed': 'start twice is INVALID_STATE carrying the status (running, then stopped)',
  'sigkill-exit-0': 'SIGKILL ends a workload blocked in a sleep: killed, 137',
  'extra-state-key': 'create resolves with status created, and state serialises with exactly the OCI keys',
  'unknown-id-internal': 'an unknown id is NOT_FOUND for every operation',
  'sigwinch-kills': 'a signal whose default action is ignore (SIGWINCH) does not end it',
  'stop-never-escalates': 'stop escalates to SIGKILL when the stop signal is ignored',
  'ignores-limits': 'a bundle limiting memoryBytes: UNSUPPORTED (nothing left) unless capabilities.limits declares it',
};

interface JsonReport {
  testResults: { assertionResults: { ancestorTitles: string[]; title: string; status: string }[] }[];
}

describe('describeOciRuntime against broken fakes', () => {
  it('fails the test aimed at each deliberate defect', { timeout: 120_000 }, async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'magikrun-defects-'));
    try {
      const report = path.join(out, 'report.json');
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [vitestBin, 'run', '--config', 'src/testing/suite-defects/vitest.config.ts', '--reporter=json', `--outputFile=${report}`], {
          cwd: pkgRoot, stdio: 'ignore', env: { ...process.env, MAGIKRUN_REQUIRE: '' },
        });
        child.on('close', resolve);
      });
      expect(code).not.toBe(0);
      const json = JSON.parse(await readFile(report, 'utf8')) as JsonReport;
      const failed = new Map<string, string[]>();
      const passed = new Map<string, number>();
      for (const file of json.testResults) {
        for (const a of file.assertionResults) {
          const suite = a.ancestorTitles.find((t) => t.includes('defect ')) ?? '';
          const defect = suite.replace(/^.*defect /, '');
          if (a.status === 'failed') failed.set(defect, [...(failed.get(defect) ?? []), a.title]);
          if (a.status === 'passed') passed.set(defect, (passed.get(defect) ?? 0) + 1);
        }
      }
      for (const [defect, title] of Object.entries(EXPECTED_FAILURE)) {
        expect(failed.get(defect) ?? [], `defect ${defect}`).toContain(title);
        // The rest of the suite still ran for that runtime.
        expect(passed.get(defect) ?? 0, `defect ${defect}`).toBeGreaterThan(10);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
