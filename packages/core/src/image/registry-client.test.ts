import { describe, expect, it } from 'vitest';
import { RegistryAuth } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';

describe('RegistryClient transport choice', () => {
  it('uses HTTPS except for loopback registries or an explicit plainHttp', () => {
    expect(new RegistryClient('ghcr.io').baseUrl.href).toBe('https://ghcr.io/');
    expect(new RegistryClient('docker.io').baseUrl.href).toBe('https://registry-1.docker.io/');
    expect(new RegistryClient('registry.example:5000').baseUrl.href).toBe('https://registry.example:5000/');
    expect(new RegistryClient('127.0.0.1:5000').baseUrl.href).toBe('http://127.0.0.1:5000/');
    expect(new RegistryClient('localhost:5000').baseUrl.href).toBe('http://localhost:5000/');
    expect(new RegistryClient('[::1]:5000').baseUrl.href).toBe('http://[::1]:5000/');
    expect(new RegistryClient('registry.example:5000', { plainHttp: true }).baseUrl.href).toBe('http://registry.example:5000/');
    expect(new RegistryClient('127.0.0.1:5000', { plainHttp: false }).baseUrl.href).toBe('https://127.0.0.1:5000/');
  });
});

describe('RegistryAuth', () => {
  const scope = 'repository:x/y:pull';

  it('refuses a plain-HTTP token realm on a non-loopback host before sending anything', async () => {
    const auth = new RegistryAuth('registry.example', { userAgent: 't', credentials: { username: 'u', password: 'p' } });
    expect(auth.learn([{ scheme: 'bearer', params: { realm: 'http://auth.example/token', service: 's' } }])).toBe(true);
    expect(auth.needsToken(scope)).toBe(true);
    await expect(auth.authorize(scope, undefined)).rejects.toMatchObject({ code: 'REGISTRY', message: expect.stringContaining('not HTTPS') });
  });

  it('refuses a realm that is not a URL', async () => {
    const auth = new RegistryAuth('registry.example', { userAgent: 't' });
    auth.learn([{ scheme: 'bearer', params: { realm: 'not a url' } }]);
    await expect(auth.authorize(scope, undefined)).rejects.toMatchObject({ code: 'REGISTRY' });
  });

  it('Basic auth without credentials is UNAUTHORIZED; with them it sends a Basic header', async () => {
    const anon = new RegistryAuth('r.example', { userAgent: 't' });
    anon.learn([{ scheme: 'basic', params: { realm: 'x' } }]);
    await expect(anon.authorize(scope, undefined)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const withCreds = new RegistryAuth('r.example', { userAgent: 't', credentials: { username: 'u', password: 'p:w' } });
    withCreds.learn([{ scheme: 'basic', params: { realm: 'x' } }]);
    await withCreds.authorize(scope, undefined);
    expect(withCreds.header(scope)).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
  });

  it('prefers Bearer when a registry offers both, and ignores challenges it cannot use', () => {
    const auth = new RegistryAuth('r.example', { userAgent: 't' });
    expect(auth.learn([{ scheme: 'negotiate', params: {} }])).toBe(false);
    expect(auth.learn([{ scheme: 'basic', params: {} }, { scheme: 'bearer', params: { realm: 'https://a/t' } }])).toBe(true);
    expect(auth.needsToken(scope)).toBe(true);
    expect(auth.header(scope)).toBeUndefined();
  });
});
