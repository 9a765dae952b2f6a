import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { loadCustomCa, SYSTEM_CA_BUNDLE_PATHS, systemCaBundle, tlsConnectOptions } from './tls.js';

const PEM = `${rootCertificates[0]}\n`;

describe('TLS trust', () => {
  it('loads the system CA bundle explicitly when the machine has one (Node 20 does not)', () => {
    const present = SYSTEM_CA_BUNDLE_PATHS.find((p) => existsSync(p));
    const sys = systemCaBundle();
    if (present === undefined && !process.env.SSL_CERT_FILE) {
      expect(sys).toBeNull();
      return;
    }
    expect(sys).not.toBeNull();
    expect(sys!.pem).toContain('-----BEGIN CERTIFICATE-----');
    const o = tlsConnectOptions();
    expect(o.ca).toContain(sys!.pem);
    expect(o.ca.length).toBe(rootCertificates.length + 1);
    expect(o.rejectUnauthorized).toBe(true);
  });

  it('adds a custom CA from PEM text or a file, keeping Node’s list', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'magikrun-tls-'));
    try {
      const file = path.join(dir, 'ca.pem');
      writeFileSync(file, PEM);
      expect(loadCustomCa(PEM)).toBe(PEM);
      expect(loadCustomCa(file)).toBe(PEM);
      expect(loadCustomCa(Buffer.from(PEM))).toBe(PEM);
      const o = tlsConnectOptions({ ca: file, systemCa: false });
      expect(o.ca).toEqual([...rootCertificates, PEM]);
      const bad = path.join(dir, 'bad.pem');
      writeFileSync(bad, 'not a certificate');
      expect(() => loadCustomCa(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => loadCustomCa(path.join(dir, 'missing.pem'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips verification only when asked', () => {
    expect(tlsConnectOptions({ insecureSkipTlsVerify: true, systemCa: false }).rejectUnauthorized).toBe(false);
    expect(tlsConnectOptions({ insecureSkipTlsVerify: false, systemCa: false }).rejectUnauthorized).toBe(true);
  });
});
