#!/usr/bin/env node
/**
 * A throw-away CNCF distribution registry (Debian's `docker-registry`) on 127.0.0.1.
 *
 * Library use (vitest globalSetup, benchmarks):
 *
 *   import { startRegistry } from '../../tools/registry/registry.mjs'
 *   const reg = await startRegistry({ htpasswd: '/path/htpasswd' })   // or { token: {...} } or {}
 *   // reg.host === '127.0.0.1:41234', reg.port, reg.storageDir, reg.pid
 *   await reg.stop()
 *
 * Command-line use (see start.sh / stop.sh):
 *
 *   node tools/registry/registry.mjs start [--state DIR]   prints 127.0.0.1:PORT, writes DIR/registry.json
 *   node tools/registry/registry.mjs stop  [--state DIR]   stops it and removes its storage
 *
 * The server listens on 127.0.0.1 only, over plain HTTP, with its storage in a fresh temporary
 * directory. Nothing else on the machine is touched.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

/** The registry executable (Debian package `docker-registry`). Overridable with MAGIKRUN_DOCKER_REGISTRY. */
export const REGISTRY_BIN = process.env.MAGIKRUN_DOCKER_REGISTRY ?? 'docker-registry';

/** Ask the kernel for a free TCP port on 127.0.0.1. */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/**
 * Write the registry's YAML configuration.
 * @param {{ port: number, storageDir: string, htpasswd?: string, redirectBaseUrl?: string, schema1?: boolean,
 *           token?: { realm: string, service: string, issuer: string, rootCertBundle: string },
 *           tls?: { certificate: string, key: string } }} o
 */
export function registryConfig(o) {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(o.storageDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${o.port}`,
    '  secret: magikrun-test-registry',
  ];
  if (o.tls) {
    // Serve HTTPS with a certificate the caller made (e.g. signed by a test CA): http.tls.
    lines.push('  tls:', `    certificate: ${JSON.stringify(o.tls.certificate)}`, `    key: ${JSON.stringify(o.tls.key)}`);
  }
  if (o.schema1) {
    // Accept Docker schema 1 pushes (skopeo copy --format v2s1), to test that pulls refuse them.
    lines.push('compatibility:', '  schema1:', '    enabled: true');
  }
  if (o.redirectBaseUrl) {
    // distribution's "redirect" storage middleware: blob GETs answer 307 to baseurl + storage path,
    // as a registry behind a CDN or object store does.
    lines.push('middleware:', '  storage:', '    - name: redirect', '      options:', `        baseurl: ${JSON.stringify(o.redirectBaseUrl)}`);
  }
  if (o.htpasswd && o.token) throw new Error('startRegistry: choose htpasswd or token auth, not both');
  if (o.htpasswd) {
    lines.push('auth:', '  htpasswd:', '    realm: magikrun-test', `    path: ${JSON.stringify(o.htpasswd)}`);
  }
  if (o.token) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(o.token.realm)}`,
      `    service: ${JSON.stringify(o.token.service)}`,
      `    issuer: ${JSON.stringify(o.token.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(o.token.rootCertBundle)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** GET https://host/v2/ without certificate checks (a readiness probe only; it carries nothing). */
function probeTls(host) {
  return new Promise((resolve, reject) => {
    const [hostname, port] = host.split(':');
    const req = httpsRequest({ hostname, port: Number(port), path: '/v2/', rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Resolve when GET http(s)://host/v2/ answers at all (200, or 401 when auth is on). */
async function waitReady(host, child, logFile, timeoutMs, tls = false) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) break;
    try {
      let status;
      if (tls) {
        status = await probeTls(host);
      } else {
        const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        status = res.status;
      }
      if (status === 200 || status === 401) return;
      lastError = new Error(`GET /v2/ answered ${status}`);
    } catch (e) {
      lastError = e;
    }
    await sleep(50);
  }
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8').slice(-4000);
  } catch {}
  throw new Error(
    `docker-registry on ${host} did not become ready (${lastError?.message ?? 'exited'}); log:\n${log}`,
  );
}

/**
 * Start docker-registry on 127.0.0.1 on a free port, storage in a new temporary directory.
 *
 * @param {{ htpasswd?: string,
 *           token?: { realm: string, service: string, issuer: string, rootCertBundle: string },
 *           tls?: { certificate: string, key: string },
 *           redirectBaseUrl?: string, schema1?: boolean, detached?: boolean, dir?: string, readyTimeoutMs?: number }} [options]
 *   `htpasswd`: path of a bcrypt htpasswd file (basic auth); `token`: Bearer token auth settings;
 *   `schema1`: accept Docker schema 1 manifests (off in distribution 2.8 by default);
 *   `redirectBaseUrl`: answer blob GETs with a redirect to this base URL + the blob's storage path;
 *   `tls`: serve HTTPS with this PEM certificate (chain) and key instead of plain HTTP;
 *   `detached`: let the server outlive this process (the CLI mode uses it).
 * @returns {Promise<{ host: string, port: number, pid: number, dir: string, storageDir: string,
 *                     configFile: string, logFile: string, stop(): Promise<void> }>}
 * @throws Error when docker-registry is not installed (install the Debian package `docker-registry`)
 *   or does not answer within `readyTimeoutMs` (default 15000 ms).
 */
export async function startRegistry(options = {}) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'magikrun-registry-'));
  const storageDir = join(dir, 'storage');
  mkdirSync(storageDir, { recursive: true });
  const configFile = join(dir, 'config.yml');
  const logFile = join(dir, 'registry.log');
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    writeFileSync(configFile, registryConfig({ port, storageDir, htpasswd: options.htpasswd, token: options.token, redirectBaseUrl: options.redirectBaseUrl, schema1: options.schema1, tls: options.tls }));
    const log = openSync(logFile, 'a');
    const child = spawn(REGISTRY_BIN, ['serve', configFile], {
      stdio: ['ignore', log, log],
      detached: options.detached === true,
    });
    closeSync(log);
    const spawned = await Promise.race([
      once(child, 'spawn').then(() => null),
      once(child, 'error').then(([e]) => e),
    ]);
    if (spawned) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `cannot run ${REGISTRY_BIN} (${spawned.message}): install Debian's docker-registry package (apt-get install docker-registry)`,
      );
    }
    try {
      await waitReady(host, child, logFile, options.readyTimeoutMs ?? 15_000, Boolean(options.tls));
    } catch (e) {
      lastError = e;
      child.kill('SIGKILL');
      continue; // most likely the port was taken between freePort() and bind(); try another
    }
    if (options.detached) child.unref();
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    return { host, port, pid: child.pid, dir, storageDir, configFile, logFile, stop };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function stateDir(argv) {
  const i = argv.indexOf('--state');
  if (i >= 0 && argv[i + 1]) return argv[i + 1];
  return process.env.MAGIKRUN_REGISTRY_STATE ?? join(tmpdir(), 'magikrun-registry');
}

async function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function cli(argv) {
  const cmd = argv[0];
  const state = stateDir(argv);
  const stateFile = join(state, 'registry.json');
  if (cmd === 'start') {
    if (existsSync(stateFile)) {
      const s = JSON.parse(readFileSync(stateFile, 'utf8'));
      if (await pidAlive(s.pid)) {
        process.stdout.write(`${s.host}\n`);
        process.stderr.write(`registry already running (pid ${s.pid}); state in ${stateFile}\n`);
        return;
      }
    }
    const reg = await startRegistry({ detached: true });
    mkdirSync(state, { recursive: true });
    const info = { host: reg.host, port: reg.port, pid: reg.pid, dir: reg.dir, storageDir: reg.storageDir, logFile: reg.logFile };
    writeFileSync(stateFile, JSON.stringify(info, null, 2) + '\n');
    process.stdout.write(`${reg.host}\n`);
    process.stderr.write(`docker-registry pid ${reg.pid} on http://${reg.host}/v2/; state in ${stateFile}\n`);
    return;
  }
  if (cmd === 'stop') {
    if (!existsSync(stateFile)) {
      process.stderr.write(`no registry state in ${stateFile}; nothing to stop\n`);
      return;
    }
    const s = JSON.parse(readFileSync(stateFile, 'utf8'));
    if (await pidAlive(s.pid)) {
      process.kill(s.pid, 'SIGTERM');
      for (let i = 0; i < 100 && (await pidAlive(s.pid)); i++) await sleep(50);
      if (await pidAlive(s.pid)) process.kill(s.pid, 'SIGKILL');
    }
    rmSync(s.dir, { recursive: true, force: true });
    rmSync(stateFile, { force: true });
    process.stderr.write(`stopped docker-registry pid ${s.pid} (${s.host})\n`);
    return;
  }
  if (cmd === 'status') {
    if (!existsSync(stateFile)) {
      process.stderr.write('not running\n');
      process.exitCode = 1;
      return;
    }
    const s = JSON.parse(readFileSync(stateFile, 'utf8'));
    const alive = await pidAlive(s.pid);
    process.stdout.write(alive ? `${s.host}\n` : '');
    process.stderr.write(alive ? `running, pid ${s.pid}\n` : `stale state (pid ${s.pid} is gone)\n`);
    process.exitCode = alive ? 0 : 1;
    return;
  }
  process.stderr.write('usage: registry.mjs start|stop|status [--state DIR]\n');
  process.exitCode = 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
  });
}
