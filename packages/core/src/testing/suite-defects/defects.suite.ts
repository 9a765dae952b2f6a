// Each defect of the fake runtime gets the full conformance suite; some of its tests must fail.
import { describeOciRuntime } from '../describe-oci-runtime.js';
import { fakeFixture, type FakeDefect } from '../fake-runtime.fixture.js';

export const DEFECTS: readonly FakeDefect[] = ['start-twice-allowed', 'sigkill-exit-0', 'extra-state-key', 'unknown-id-internal', 'sigwinch-kills', 'stop-never-escalates', 'ignores-limits'];

for (const d of DEFECTS) {
  describeOciRuntime(`defect ${d}`, async () => fakeFixture([d]), { pid: false, signals: 'terminate-only' }, { timeoutMs: 3000 });
}
