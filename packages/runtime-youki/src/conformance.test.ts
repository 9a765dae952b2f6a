/**
 * core's OciRuntime conformance suite against YoukiRuntime on real kernel namespaces and cgroups,
 * with busybox bundles (BundleBuilder, then an overlay clone per container).
 */
import { describe } from 'vitest';
import type { OciBundle } from '@magikrun/core';
import { describeOciRuntime } from '@magikrun/core/testing';
import { YoukiRuntime } from './runtime.js';
import { sh, SLEEP_SCRIPT, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();

describe.runIf(ready)('YoukiRuntime', () => {
  let ws: Workspace;
  let base: OciBundle;
  describeOciRuntime(
    'youki',
    async () => {
      ws = await workspace('conformance');
      base = await ws.build({ args: ['true'] });
      const runtime = new YoukiRuntime({ stateRoot: ws.stateRoot });
      return {
        runtime,
        exitBundle: (code, output = {}) =>
          ws.clone(base, (c) => (c.process.args = sh('cat /stdout.txt; cat /stderr.txt >&2; exit "$1"', String(code))), {
            'stdout.txt': output.stdout ?? '',
            'stderr.txt': output.stderr ?? '',
          }),
        // Without a pid namespace the shell is not pid 1, so SIGTERM's default action ends it even in
        // the instant between exec and its trap (a pid-1 shell ignores a signal it has no handler for
        // yet: the same race runc has). With the trap installed it exits 143 as well.
        sleepBundle: () =>
          ws.clone(base, (c) => {
            c.process.args = sh(SLEEP_SCRIPT);
            const linux = c.linux as { namespaces?: { type: string }[] };
            linux.namespaces = (linux.namespaces ?? []).filter((ns) => ns.type !== 'pid');
          }),
        cleanup: async () => {
          for (const s of await runtime.list()) await runtime.delete(s.id, { force: true });
          await ws.cleanup();
        },
      };
    },
    { pid: true, signals: 'posix' },
  );
});
