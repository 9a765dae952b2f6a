import { describe, expect, it } from 'vitest';
import { isMagikrunError } from '../errors.js';
import { familiarName, isLoopbackRegistry, parseReference, registryApiHost } from './reference.js';
import { parseImageSource, parseLayoutReference } from './source.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference: Docker defaults', () => {
  const table: [string, { registry: string; repository: string; tag?: string; digest?: string; canonical: string }][] = [
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest', canonical: 'docker.io/library/alpine:latest' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20', canonical: 'docker.io/library/alpine:3.20' }],
    ['library/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest', canonical: 'docker.io/library/alpine:latest' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest', canonical: 'docker.io/library/alpine:latest' }],
    ['index.docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest', canonical: 'docker.io/library/alpine:latest' }],
    ['index.docker.io/user/app:1', { registry: 'docker.io', repository: 'user/app', tag: '1', canonical: 'docker.io/user/app:1' }],
    ['user/app', { registry: 'docker.io', repository: 'user/app', tag: 'latest', canonical: 'docker.io/user/app:latest' }],
    ['registry-1.docker.io/library/alpine', { registry: 'registry-1.docker.io', repository: 'library/alpine', tag: 'latest', canonical: 'registry-1.docker.io/library/alpine:latest' }],
    ['localhost/foo', { registry: 'localhost', repository: 'foo', tag: 'latest', canonical: 'localhost/foo:latest' }],
    ['localhost:5000/foo/bar:v1', { registry: 'localhost:5000', repository: 'foo/bar', tag: 'v1', canonical: 'localhost:5000/foo/bar:v1' }],
    ['127.0.0.1:5000/hello', { registry: '127.0.0.1:5000', repository: 'hello', tag: 'latest', canonical: '127.0.0.1:5000/hello:latest' }],
    ['ghcr.io/org/team/sub/app:2.0.1-rc.1', { registry: 'ghcr.io', repository: 'org/team/sub/app', tag: '2.0.1-rc.1', canonical: 'ghcr.io/org/team/sub/app:2.0.1-rc.1' }],
    ['[::1]:5000/foo', { registry: '[::1]:5000', repository: 'foo', tag: 'latest', canonical: '[::1]:5000/foo:latest' }],
    // no slash: the colon starts a tag, not a port (Docker does the same)
    ['foo:5000', { registry: 'docker.io', repository: 'library/foo', tag: '5000', canonical: 'docker.io/library/foo:5000' }],
    // an upper-case first component is a host (Docker's splitDockerDomain)
    ['Example/app', { registry: 'Example', repository: 'app', tag: 'latest', canonical: 'Example/app:latest' }],
    [`alpine@${D}`, { registry: 'docker.io', repository: 'library/alpine', digest: D, canonical: `docker.io/library/alpine@${D}` }],
    [`alpine:3.20@${D}`, { registry: 'docker.io', repository: 'library/alpine', tag: '3.20', digest: D, canonical: `docker.io/library/alpine:3.20@${D}` }],
    [`127.0.0.1:5000/a/b@${D}`, { registry: '127.0.0.1:5000', repository: 'a/b', digest: D, canonical: `127.0.0.1:5000/a/b@${D}` }],
    ['docker://alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest', canonical: 'docker.io/library/alpine:latest' }],
    ['a__b/c-d--e/f.g', { registry: 'docker.io', repository: 'a__b/c-d--e/f.g', tag: 'latest', canonical: 'docker.io/a__b/c-d--e/f.g:latest' }],
    [`x:${'t'.repeat(128)}`, { registry: 'docker.io', repository: 'library/x', tag: 't'.repeat(128), canonical: `docker.io/library/x:${'t'.repeat(128)}` }],
  ];
  it.each(table)('%s', (input, want) => {
    const r = parseReference(input);
    expect(r.registry).toBe(want.registry);
    expect(r.repository).toBe(want.repository);
    expect(r.tag).toBe(want.tag);
    expect(r.digest).toBe(want.digest);
    expect(r.canonical).toBe(want.canonical);
    expect(r.name).toBe(`${want.registry}/${want.repository}`);
  });

  it('a canonical form parses to itself', () => {
    for (const [, want] of table) expect(parseReference(want.canonical).canonical).toBe(want.canonical);
  });
});

describe('parseReference: refusals', () => {
  const bad: [string, string][] = [
    ['', 'INVALID_ARGUMENT'],
    ['ALPINE', 'INVALID_ARGUMENT'],
    ['docker.io/Library/alpine', 'INVALID_ARGUMENT'],
    ['alpine:', 'INVALID_ARGUMENT'],
    [':latest', 'INVALID_ARGUMENT'],
    ['a//b', 'INVALID_ARGUMENT'],
    ['a/b/', 'INVALID_ARGUMENT'],
    ['/a', 'INVALID_ARGUMENT'],
    ['-foo', 'INVALID_ARGUMENT'],
    ['foo-', 'INVALID_ARGUMENT'],
    ['foo___bar', 'INVALID_ARGUMENT'],
    ['foo.-bar', 'INVALID_ARGUMENT'],
    ['foo bar', 'INVALID_ARGUMENT'],
    ['alpine:.tag', 'INVALID_ARGUMENT'],
    [`x:${'t'.repeat(129)}`, 'INVALID_ARGUMENT'],
    ['alpine@sha256:abc', 'INVALID_ARGUMENT'],
    [`alpine@sha256:${'A'.repeat(64)}`, 'INVALID_ARGUMENT'],
    [`alpine@${D}@${D}`, 'INVALID_ARGUMENT'],
    ['a'.repeat(64).replace(/a/g, 'f'), 'INVALID_ARGUMENT'],
    [`example.com/${'a'.repeat(250)}`, 'INVALID_ARGUMENT'],
    ['exa_mple.com/foo', 'INVALID_ARGUMENT'],
    [`alpine@sha512:${'a'.repeat(128)}`, 'UNSUPPORTED'],
  ];
  it.each(bad)('%j → %s', (input, code) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (e) {
      caught = e;
    }
    expect(isMagikrunError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
    if (code === 'INVALID_ARGUMENT') expect((caught as Error).message).toMatch(/invalid image reference|malformed digest/);
  });
});

describe('reference helpers', () => {
  it('maps docker.io to its API host and leaves others alone', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
    expect(registryApiHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });
  it('prints familiar names as docker does', () => {
    expect(familiarName(parseReference('alpine'))).toBe('alpine:latest');
    expect(familiarName(parseReference('user/app:1'))).toBe('user/app:1');
    expect(familiarName(parseReference('127.0.0.1:5000/x:y'))).toBe('127.0.0.1:5000/x:y');
  });
  it('recognises loopback registries only', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) expect(isLoopbackRegistry(h)).toBe(true);
    for (const h of ['docker.io', '10.0.0.1:5000', '127.0.0.1.example.com', 'localhost.example.com:5000', '128.0.0.1', '127.0.0.256']) expect(isLoopbackRegistry(h)).toBe(false);
  });
});

describe('oci: layout references (skopeo syntax)', () => {
  it('parses DIR and DIR:TAG, resolving relative directories', () => {
    expect(parseLayoutReference('oci:/tmp/img:latest')).toMatchObject({ dir: '/tmp/img', tag: 'latest', canonical: 'oci:/tmp/img:latest' });
    expect(parseLayoutReference('oci:/tmp/img')).toMatchObject({ dir: '/tmp/img', tag: undefined, canonical: 'oci:/tmp/img' });
    expect(parseLayoutReference('oci:img:v1', '/work')).toMatchObject({ dir: '/work/img', tag: 'v1' });
  });
  it('routes oci: to the layout and anything else to the registry', () => {
    expect(parseImageSource('oci:/x:y').transport).toBe('oci');
    expect(parseImageSource('docker.io/library/oci:y').transport).toBe('docker');
    expect(parseImageSource('alpine').transport).toBe('docker');
  });
  it('refuses an empty directory or a malformed tag', () => {
    expect(() => parseLayoutReference('oci:')).toThrow(/names no directory/);
    expect(() => parseLayoutReference('oci::tag')).toThrow(/names no directory/);
    expect(() => parseLayoutReference('oci:/x:a:b')).toThrow(/malformed tag/);
  });
});
