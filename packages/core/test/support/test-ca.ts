/**
 * The test CA of tools/registry/test-ca.mjs (openssl; a server certificate for 127.0.0.1), typed.
 */
// @ts-expect-error -- plain ESM tooling without type declarations
import { makeTestCa as make } from '../../../../tools/registry/test-ca.mjs';

export interface TestCa {
  dir: string;
  /** CA certificate (PEM file) */
  caFile: string;
  caPem: string;
  /** server certificate and key (PEM files) for 127.0.0.1 */
  certFile: string;
  keyFile: string;
  remove(): void;
}

export const makeTestCa = make as () => TestCa;
