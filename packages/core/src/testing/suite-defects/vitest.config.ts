// Runs the conformance suite against deliberately broken fakes; driven by ../describe-oci-runtime.defects.test.ts.
import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['src/testing/suite-defects/*.suite.ts'], root: new URL('../../..', import.meta.url).pathname } });
