/**
 * TLS trust for registry connections.
 *
 * Node 20 verifies servers against its compiled-in Mozilla list (`tls.rootCertificates`) and does not
 * read the operating system's CA bundle, so a registry signed by a corporate or distribution-added CA
 * fails there although `curl`, skopeo and containerd accept it. magikrun therefore loads the system
 * bundle explicitly (the first readable of `SSL_CERT_FILE` and the standard paths Go's crypto/x509
 * searches on Linux), adds it to Node's list, and adds a caller's custom CA (a PEM string or a path).
 *
 * @module image/tls
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { err, ErrorCode } from '../errors.js';

/**
 * Where Linux distributions keep their CA bundle, as Go's crypto/x509 (root_linux.go) lists them:
 * Debian/Ubuntu/Gentoo/Arch, Fedora/RHEL 6, openSUSE, OpenELEC, CentOS/RHEL 7, Alpine.
 */
export const SYSTEM_CA_BUNDLE_PATHS: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/** Largest CA file read, in bytes: 8 MiB (Debian's bundle is about 220 KiB). */
const MAX_CA_FILE = 8 * 1024 * 1024;

/** TLS options of a registry connection. */
export interface RegistryTlsOptions {
  /**
   * Extra CA certificate(s) to trust, in PEM: the text itself (it contains `-----BEGIN CERTIFICATE-----`)
   * or the path of a PEM file. Added to the system bundle and Node's list, not replacing them.
   * @default none
   */
  ca?: string | Buffer;
  /**
   * Accept any server certificate (no verification at all). Only for tests and throw-away registries;
   * never implied.
   * @default false
   */
  insecureSkipTlsVerify?: boolean;
  /**
   * Load the operating system's CA bundle ({@link SYSTEM_CA_BUNDLE_PATHS}, or `$SSL_CERT_FILE`).
   * @default true
   */
  systemCa?: boolean;
}

let systemBundle: { path: string; pem: string } | null | undefined;

/**
 * The system CA bundle: `$SSL_CERT_FILE` when set, else the first readable standard path; null when
 * there is none. Read once per process.
 */
export function systemCaBundle(): { path: string; pem: string } | null {
  if (systemBundle !== undefined) return systemBundle;
  const candidates = process.env.SSL_CERT_FILE ? [process.env.SSL_CERT_FILE, ...SYSTEM_CA_BUNDLE_PATHS] : SYSTEM_CA_BUNDLE_PATHS;
  systemBundle = null;
  for (const p of candidates) {
    try {
      const pem = readFileSync(p, 'utf8');
      if (pem.length <= MAX_CA_FILE && pem.includes('-----BEGIN CERTIFICATE-----')) {
        systemBundle = { path: p, pem };
        break;
      }
    } catch {
      // not there; try the next
    }
  }
  return systemBundle;
}

/**
 * Read a custom CA option: PEM text is used as is, anything else is a file path.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` when the file cannot be read or holds no PEM certificate.
 */
export function loadCustomCa(ca: string | Buffer): string {
  const text = Buffer.isBuffer(ca) ? ca.toString('utf8') : ca;
  if (text.includes('-----BEGIN CERTIFICATE-----')) return text;
  let pem: string;
  try {
    pem = readFileSync(text, 'utf8');
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `cannot read the CA certificate file ${JSON.stringify(text)}: ${(e as Error).message}; give a PEM file path or the PEM text`, { ca: text }, e);
  }
  if (pem.length > MAX_CA_FILE || !pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw err(ErrorCode.InvalidArgument, `${JSON.stringify(text)} holds no PEM certificate (-----BEGIN CERTIFICATE-----); give a PEM file`, { ca: text });
  }
  return pem;
}

/**
 * The `connect` TLS options for undici: `ca` = Node's list + system bundle + custom CA, and
 * `rejectUnauthorized: false` only for `insecureSkipTlsVerify`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for an unreadable custom CA.
 */
export function tlsConnectOptions(o: RegistryTlsOptions = {}): { ca: string[]; rejectUnauthorized: boolean } {
  const ca = [...rootCertificates];
  if (o.systemCa !== false) {
    const sys = systemCaBundle();
    if (sys) ca.push(sys.pem);
  }
  if (o.ca !== undefined) ca.push(loadCustomCa(o.ca));
  return { ca, rejectUnauthorized: o.insecureSkipTlsVerify !== true };
}
