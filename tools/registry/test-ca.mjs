/**
 * A throw-away certificate authority made with openssl, and a server certificate it signs for
 * 127.0.0.1 / localhost (subjectAltName), for TLS tests against docker-registry:
 *
 *   const ca = makeTestCa();
 *   const reg = await startRegistry({ tls: { certificate: ca.certFile, key: ca.keyFile } });
 *   // trust ca.caFile (or ca.caPem); ca.remove() when done
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * @returns {{ dir: string, caFile: string, caPem: string, certFile: string, keyFile: string, remove(): void }}
 * @throws Error when openssl is missing (apt-get install openssl).
 */
export function makeTestCa() {
  const dir = mkdtempSync(join(tmpdir(), 'magikrun-test-ca-'));
  const f = (n) => join(dir, n);
  const run = (args) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=magikrun test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('ext.cnf')]);
  return {
    dir,
    caFile: f('ca.pem'),
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    certFile: f('server.pem'),
    keyFile: f('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
