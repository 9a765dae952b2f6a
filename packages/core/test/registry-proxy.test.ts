/**
 * HTTP(S)_PROXY: registry traffic goes through a proxy the test runs on 127.0.0.1 (CONNECT tunnels,
 * the way curl, Go and undici use proxies); loopback registries bypass it. The proxy sends every
 * tunnel to the test's scripted registry, so no name is ever resolved. (NO_PROXY is undici's
 * EnvHttpProxyAgent's business; testing it would need a name resolved off loopback.)
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/image/registry-client.js';
import { startReplayServer, type ReplayServer } from './recorded/replay-server.js';
import { MANIFEST, MANIFEST_DIGEST } from './recorded/vendors.js';

let registry: ReplayServer;
let proxy: Server;
let proxyUrl: string;
const tunnels: string[] = [];
const sockets = new Set<Socket>();
const saved: Record<string, string | undefined> = {};
const VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

beforeAll(async () => {
  registry = await startReplayServer((r) =>
    r.url === '/v2/' ? { status: 200 } : { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': MANIFEST_DIGEST }, body: MANIFEST },
  );
  proxy = createServer((_req, res) => res.writeHead(501).end());
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [, port] = registry.host.split(':');
    const upstream = connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  proxy?.close();
  await registry?.close();
});
beforeEach(() => {
  tunnels.length = 0;
  for (const v of VARS) {
    saved[v] = process.env[v];
    delete process.env[v];
  }
});
afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

const client = (registryName: string) => new RegistryClient(registryName, { plainHttp: true, dockerConfig: false, retry: { attempts: 1 } });

describe('proxies from the environment', () => {
  it('HTTP_PROXY carries requests to a registry that is not on loopback (CONNECT registry.example:80)', async () => {
    process.env.HTTP_PROXY = proxyUrl;
    const m = await client('registry.example').getManifest('a/b', 'latest', 'x');
    expect(m.digestHeader).toBe(MANIFEST_DIGEST);
    expect(tunnels).toContain('registry.example:80');
  });

  it('lower-case https_proxy carries HTTPS requests (the tunnel is made; TLS then meets the plain test server)', async () => {
    process.env.https_proxy = proxyUrl;
    const c = new RegistryClient('registry2.example:5000', { dockerConfig: false, retry: { attempts: 1 } });
    const e = (await c.getManifest('a/b', 'latest', 'x').catch((x: unknown) => x)) as { code: string; message: string };
    expect(tunnels).toContain('registry2.example:5000');
    expect(e.code).toBe('REGISTRY');
  });

  it('loopback registries bypass the proxy (as Go’s ProxyFromEnvironment)', async () => {
    process.env.HTTP_PROXY = proxyUrl;
    process.env.HTTPS_PROXY = proxyUrl;
    await client(registry.host).getManifest('a/b', 'latest', 'x');
    expect(tunnels).toEqual([]);
  });
});
