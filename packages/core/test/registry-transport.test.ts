/**
 * HTTP behaviour of RegistryClient / pullImage against scripted loopback servers: retries with
 * backoff (5xx, 429, resets, bodies cut short), connect/idle timeouts, non-distributable layers and
 * their `urls`, and where credentials may go.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullImage } from '../src/image/pull.js';
import { RegistryAuth } from '../src/image/registry-auth.js';
import { RegistryClient, type RegistryClientOptions } from '../src/image/registry-client.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { startReplayServer, type Reply, type ReplayServer } from './recorded/replay-server.js';
import { CONFIG, CONFIG_DIGEST, LAYER, LAYER_DIGEST, MANIFEST, MANIFEST_DIGEST } from './recorded/vendors.js';
import { filesUnder, tempStore } from './support/store.js';
import { failure } from './support/outcome.js';

let server: ReplayServer;
let other: ReplayServer;
beforeAll(async () => {
  server = await startReplayServer(() => ({ status: 500 }));
  other = await startReplayServer(() => ({ status: 404 }), '127.0.0.2');
});
afterAll(async () => {
  await Promise.all([server?.close(), other?.close()]);
});
beforeEach(() => {
  server.requests.length = 0;
  other.requests.length = 0;
});

const client = (o: RegistryClientOptions = {}) => new RegistryClient(server.host, { dockerConfig: false, retry: { baseDelayMs: 1 }, ...o });
const manifestOk = (): Reply => ({ status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': MANIFEST_DIGEST }, body: MANIFEST });
const manifestGets = () => server.requests.filter((r) => r.url.includes('/manifests/')).length;
/** Answers /v2/ with 200 and manifests with `script[n]` in turn (the last one repeats). */
function scripted(script: Reply[]): (r: { url: string }) => Reply {
  let n = 0;
  return (r) => (r.url === '/v2/' ? { status: 200, body: '{}' } : r.url.includes('/manifests/') ? script[Math.min(n++, script.length - 1)]! : { status: 404 });
}

describe('retries of idempotent requests', () => {
  it('503 then 200: the manifest arrives after a retry', async () => {
    server.handler = scripted([{ status: 503, body: 'busy' }, manifestOk()]);
    const m = await client().getManifest('a/b', 'latest', 'x');
    expect(m.digestHeader).toBe(MANIFEST_DIGEST);
    expect(manifestGets()).toBe(2);
  });

  it('a connection reset then 200', async () => {
    server.handler = scripted([{ status: 0, reset: true }, manifestOk()]);
    await client().getManifest('a/b', 'latest', 'x');
    expect(manifestGets()).toBe(2);
  });

  it('a manifest body cut short is fetched again', async () => {
    server.handler = scripted([{ ...manifestOk(), truncateAt: 10 }, manifestOk()]);
    const m = await client().getManifest('a/b', 'latest', 'x');
    expect(m.bytes).toEqual(MANIFEST);
    expect(manifestGets()).toBe(2);
  });

  it('persistent 502 → REGISTRY after exactly `attempts` tries; 404 is never retried', async () => {
    server.handler = scripted([{ status: 502 }]);
    const e = await failure(client({ retry: { attempts: 3, baseDelayMs: 1 } }).getManifest('a/b', 'latest', 'x'));
    expect(e.code).toBe('REGISTRY');
    expect(manifestGets()).toBe(3);
    server.requests.length = 0;
    server.handler = scripted([{ status: 404 }]);
    expect((await failure(client().getManifest('a/b', 'latest', 'x'))).code).toBe('NOT_FOUND');
    expect(manifestGets()).toBe(1);
  });

  it('HTTPS to a plain-HTTP registry → REGISTRY with a plainHttp hint, not retried', async () => {
    server.handler = () => ({ status: 200 });
    const e = await failure(client({ plainHttp: false }).getManifest('a/b', 'latest', 'x'));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toContain('does not seem to speak TLS');
  });

  it('retry.attempts must be a whole number ≥ 1; timeouts must be positive', () => {
    expect(() => client({ retry: { attempts: 0 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => client({ idleTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('timeouts', () => {
  it('a TLS handshake that never completes trips the connect timeout → REGISTRY naming it', async () => {
    // A TCP listener that accepts and stays silent: the TLS handshake (part of connecting) hangs.
    const sockets: Socket[] = [];
    const silent = createTcpServer((s) => sockets.push(s));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const host = `127.0.0.1:${(silent.address() as { port: number }).port}`;
      const c = new RegistryClient(host, { plainHttp: false, dockerConfig: false, connectTimeoutMs: 200, retry: { attempts: 2, baseDelayMs: 1 } });
      const e = await failure(c.getManifest('a/b', 'latest', 'x'));
      expect(e.code).toBe('REGISTRY');
      expect(e.message).toMatch(/UND_ERR_CONNECT_TIMEOUT|Connect Timeout/i);
      expect(sockets.length).toBe(2);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('a server that never sends headers trips the idle timeout → REGISTRY naming the timeout', async () => {
    server.handler = (r) => (r.url === '/v2/' ? { status: 200 } : new Promise<Reply>(() => undefined));
    const e = await failure(client({ idleTimeoutMs: 150, retry: { attempts: 1 } }).getManifest('a/b', 'latest', 'x'));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toMatch(/UND_ERR_HEADERS_TIMEOUT|Headers Timeout/i);
  });

  it('a body that stalls after the headers trips the idle timeout too', async () => {
    server.handler = scripted([{ ...manifestOk(), stall: true }]);
    const e = await failure(client({ idleTimeoutMs: 150, retry: { attempts: 2, baseDelayMs: 1 } }).getManifest('a/b', 'latest', 'x'));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toMatch(/UND_ERR_BODY_TIMEOUT|Body Timeout/i);
    expect(manifestGets()).toBe(2);
  });
});

describe('non-distributable layers', () => {
  const foreignLayer = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: LAYER_DIGEST, size: LAYER.length };
  let urlsOrigin: string;
  const foreignManifest = () =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: CONFIG_DIGEST, size: CONFIG.length },
        layers: [{ ...foreignLayer, urls: [`${urlsOrigin}/windows/layer.tar.gz`] }],
      }),
    );
  let store: BlobStore;
  let root: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, root, cleanup } = await tempStore());
    urlsOrigin = other.origin;
    const m = foreignManifest();
    const digest = `sha256:${createHash('sha256').update(m).digest('hex')}`;
    server.handler = (r): Reply => {
      if (r.url === '/v2/') return { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } };
      if (r.url.includes('/manifests/')) return { status: 200, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json', 'docker-content-digest': digest }, body: m };
      if (r.url.endsWith(CONFIG_DIGEST)) return { status: 200, body: CONFIG };
      return { status: 404, body: '{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}' };
    };
    other.handler = (r) => (r.url === '/windows/layer.tar.gz' ? { status: 200, body: LAYER } : { status: 404 });
  });
  afterEach(async () => {
    await cleanup();
  });
  const creds = { username: 'u', password: 'p' };

  it('are refused before any blob is downloaded unless allowNonDistributable', async () => {
    const e = await failure(pullImage(`${server.host}/win/app:1`, store, { dockerConfig: false, credentials: creds }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('allowNonDistributable');
    expect(e.message).toContain('127.0.0.2');
    expect(server.requests.filter((r) => r.url.includes('/blobs/'))).toEqual([]);
    expect(other.requests).toEqual([]);
    expect(await filesUnder(root, 'blobs')).toEqual([]);
  });

  it('with the opt-in: registry first, then the urls — which never see the registry credentials', async () => {
    const img = await pullImage(`${server.host}/win/app:1`, store, { dockerConfig: false, credentials: creds, allowNonDistributable: true });
    expect(img.manifest.layers[0]!.urls).toEqual([`${urlsOrigin}/windows/layer.tar.gz`]);
    expect(await store.has(LAYER_DIGEST)).toBe(true);
    expect(server.requests.some((r) => r.url.endsWith(`/blobs/${LAYER_DIGEST}`) && r.headers.authorization?.startsWith('Basic '))).toBe(true);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('where credentials may go', () => {
  it('never to a plain-HTTP token realm off loopback, even with plainHttp', async () => {
    const auth = new RegistryAuth('registry.example', { userAgent: 't', plainHttp: true, credentials: { username: 'u', password: 'p' } });
    auth.learn([{ scheme: 'bearer', params: { realm: 'http://auth.example/token', service: 's' } }]);
    const e = await failure(auth.authorize('repository:x:pull', undefined));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toContain('never sends credentials over plain HTTP');
  });

  it('a 401 from a redirect target is an error, not a reason to send credentials there', async () => {
    server.handler = (r): Reply => {
      if (r.url === '/v2/') return { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } };
      if (r.url.includes('/blobs/')) return { status: 307, headers: { location: `${other.origin}/blob` } };
      return { status: 404 };
    };
    other.handler = () => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="cdn"' } });
    const e = await failure(client({ credentials: { username: 'u', password: 'p' } }).getBlob('a/b', LAYER_DIGEST, 'blob'));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toContain('does not send registry credentials to another host');
    expect(other.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('a redirect to plain HTTP off loopback is refused (the loopback registry’s own plain HTTP does not extend to it)', async () => {
    server.handler = (r) => (r.url === '/v2/' ? { status: 200 } : { status: 302, headers: { location: 'http://cdn.example/blob' } });
    const e = await failure(client().getBlob('a/b', LAYER_DIGEST, 'blob'));
    expect(e.code).toBe('REGISTRY');
    expect(e.message).toContain('not HTTPS');
    expect(e.message).toContain('http://cdn.example');
  });
});

describe('checks before any blob is downloaded', () => {
  let store: BlobStore;
  let root: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, root, cleanup } = await tempStore());
  });
  afterEach(async () => {
    await cleanup();
  });
  const serve = (m: Buffer, digestHeader?: string) => {
    server.handler = (r): Reply => {
      if (r.url === '/v2/') return { status: 200 };
      if (r.url.includes('/manifests/')) return { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...(digestHeader ? { 'docker-content-digest': digestHeader } : {}) }, body: m };
      return { status: 404 };
    };
  };
  const blobGets = () => server.requests.filter((r) => r.url.includes('/blobs/')).length;

  it('a pull by digest verifies the manifest bytes against it → DIGEST_MISMATCH, nothing fetched or stored', async () => {
    serve(MANIFEST);
    const wanted = `sha256:${'e'.repeat(64)}`;
    const e = await failure(pullImage(`${server.host}/a/b@${wanted}`, store, { dockerConfig: false }));
    expect(e.code).toBe('DIGEST_MISMATCH');
    expect(blobGets()).toBe(0);
    expect(await filesUnder(root, 'blobs')).toEqual([]);
  });

  it('a Docker-Content-Digest that does not match the bytes → DIGEST_MISMATCH', async () => {
    serve(MANIFEST, `sha256:${'e'.repeat(64)}`);
    expect((await failure(pullImage(`${server.host}/a/b:latest`, store, { dockerConfig: false }))).code).toBe('DIGEST_MISMATCH');
    expect(blobGets()).toBe(0);
  });

  it('more layers than MAX_LAYERS, or a layer larger than allowed → LIMIT_EXCEEDED before any blob request', async () => {
    const layers = Array.from({ length: 129 }, (_, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 1 }));
    serve(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: CONFIG_DIGEST, size: CONFIG.length }, layers })));
    expect((await failure(pullImage(`${server.host}/a/b:latest`, store, { dockerConfig: false }))).code).toBe('LIMIT_EXCEEDED');
    const big = [{ ...layers[0]!, size: 600 * 1024 * 1024 }];
    serve(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: CONFIG_DIGEST, size: CONFIG.length }, layers: big })));
    expect((await failure(pullImage(`${server.host}/a/b:latest`, store, { dockerConfig: false }))).code).toBe('LIMIT_EXCEEDED');
    expect(blobGets()).toBe(0);
  });
});

describe('challenges that come late, and credential sources', () => {
  it('a registry whose /v2/ answers 200 but whose repository demands a token: learned from the 401, one retry', async () => {
    let tokens = 0;
    server.handler = (r): Reply => {
      if (r.url === '/v2/') return { status: 200 };
      if (r.url.startsWith('/token')) {
        tokens++;
        return { status: 200, body: JSON.stringify({ token: 'late' }) };
      }
      if (r.headers.authorization !== 'Bearer late') return { status: 401, headers: { 'www-authenticate': `Bearer realm="${server.origin}/token",service="late"` } };
      return manifestOk();
    };
    await client().getManifest('a/b', 'latest', 'x');
    expect(tokens).toBe(1);
    expect(manifestGets()).toBe(2);
  });

  it('a credentials function is called once, and only when the registry asks for authentication', async () => {
    let calls = 0;
    const credentials = (registry: string) => {
      calls++;
      expect(registry).toBe(server.host);
      return { username: 'u', password: 'p' };
    };
    server.handler = (r) => (r.url === '/v2/' ? { status: 200 } : manifestOk());
    await client({ credentials }).getManifest('a/b', 'latest', 'x');
    expect(calls).toBe(0);
    server.handler = (r): Reply => {
      if (r.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) return { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } };
      return r.url === '/v2/' ? { status: 200 } : manifestOk();
    };
    const c = client({ credentials });
    await c.getManifest('a/b', 'latest', 'x');
    await c.getManifest('a/b', MANIFEST_DIGEST, 'x');
    expect(calls).toBe(1);
  });
});

describe('nested indexes', () => {
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const indexOf = (child: Buffer, mediaType: string) =>
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType, digest: sha(child), size: child.length, platform: { os: 'linux', architecture: 'amd64' } }] }));
  let store: BlobStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await tempStore());
  });
  afterEach(async () => {
    await cleanup();
  });
  /** Serve `docs` by digest, the first as tag `latest`; blobs (config, layer) from the fixtures. */
  const serveChain = (docs: Buffer[]) => {
    server.handler = (r) => {
      if (r.url === '/v2/') return { status: 200 };
      const ref = r.url.split('/').pop()!;
      const doc = ref === 'latest' ? docs[0] : docs.find((d) => sha(d) === ref);
      if (r.url.includes('/manifests/') && doc) {
        const mt = (JSON.parse(doc.toString()) as { mediaType: string }).mediaType;
        return { status: 200, headers: { 'content-type': mt, 'docker-content-digest': sha(doc) }, body: doc };
      }
      if (ref === CONFIG_DIGEST) return { status: 200, body: CONFIG };
      if (ref === LAYER_DIGEST) return { status: 200, body: LAYER };
      return { status: 404 };
    };
  };
  const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
  const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

  it('index → index → manifest is followed (two levels)', async () => {
    const inner = indexOf(MANIFEST, OCI_MANIFEST);
    const outer = indexOf(inner, OCI_INDEX);
    serveChain([outer, inner, MANIFEST]);
    const img = await pullImage(`${server.host}/n/x:latest`, store, { dockerConfig: false, platform: 'linux/amd64' });
    expect(img.digest).toBe(MANIFEST_DIGEST);
    expect(img.indexDigest).toBe(sha(outer));
  });

  it('three levels of indexes → UNSUPPORTED before the manifest or any blob is fetched', async () => {
    const i3 = indexOf(MANIFEST, OCI_MANIFEST);
    const i2 = indexOf(i3, OCI_INDEX);
    const i1 = indexOf(i2, OCI_INDEX);
    serveChain([i1, i2, i3, MANIFEST]);
    const e = await failure(pullImage(`${server.host}/n/x:latest`, store, { dockerConfig: false, platform: 'linux/amd64' }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('nested');
    expect(server.requests.some((r) => r.url.endsWith(MANIFEST_DIGEST) || r.url.includes('/blobs/'))).toBe(false);
  });
});
