/**
 * Unit test of the conformance suite's own logic, run against an in-memory fake runtime.
 * This is NOT evidence that any real backend conforms; backends run describeOciRuntime themselves.
 */
import { describeOciRuntime } from './describe-oci-runtime.js';
import { fakeFixture } from './fake-runtime.fixture.js';

describeOciRuntime('in-memory fake (unit test of the suite)', async () => fakeFixture(), { pid: false, signals: 'terminate-only' }, { timeoutMs: 10_000 });
