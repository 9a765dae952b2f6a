/**
 * distribution/reference's own test cases (reference_test.go TestReferenceParse, normalize_test.go
 * TestValidateReferenceName / TestValidateRemoteName / TestParseRepositoryInfo /
 * TestNormalizedSplitHostname / TestParseReferenceWithTagAndDigest), run through parseReference,
 * which normalises as ParseNormalizedNamed does (docker.io/library/…, `:latest` when untagged).
 *
 * Deliberate differences, each asserted below: digests other than sha256 are `UNSUPPORTED` (the
 * BlobStore verifies sha256 only) where distribution accepts sha512; names are measured after
 * normalisation (as ParseNormalizedNamed does).
 */
import { describe, expect, it } from 'vitest';
import { familiarName, parseReference } from './reference.js';

const F64 = 'f'.repeat(64);
const codeOf = (input: string): string | undefined => {
  try {
    parseReference(input);
    return undefined;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('reference_test.go TestReferenceParse (normalised)', () => {
  // [input, registry, repository (path), tag, digest]
  const valid: [string, string, string, string | undefined, string | undefined][] = [
    ['test_com', 'docker.io', 'library/test_com', 'latest', undefined],
    ['test.com:tag', 'docker.io', 'library/test.com', 'tag', undefined],
    ['test.com:5000', 'docker.io', 'library/test.com', '5000', undefined],
    ['test.com/repo:tag', 'test.com', 'repo', 'tag', undefined],
    ['test:5000/repo', 'test:5000', 'repo', 'latest', undefined],
    ['test:5000/repo:tag', 'test:5000', 'repo', 'tag', undefined],
    [`test:5000/repo@sha256:${F64}`, 'test:5000', 'repo', undefined, `sha256:${F64}`],
    [`test:5000/repo:tag@sha256:${F64}`, 'test:5000', 'repo', 'tag', `sha256:${F64}`],
    ['lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase', undefined],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com', 'bar/baz/quux', 'latest', undefined],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag', undefined],
    ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com', undefined],
    ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com', undefined],
    ['foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080', undefined],
    ['foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080', undefined],
    ['192.168.1.1', 'docker.io', 'library/192.168.1.1', 'latest', undefined],
    ['192.168.1.1:tag', 'docker.io', 'library/192.168.1.1', 'tag', undefined],
    ['192.168.1.1:5000', 'docker.io', 'library/192.168.1.1', '5000', undefined],
    ['192.168.1.1/repo', '192.168.1.1', 'repo', 'latest', undefined],
    ['192.168.1.1:5000/repo', '192.168.1.1:5000', 'repo', 'latest', undefined],
    ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050', undefined],
    ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', 'latest', undefined],
    ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag', undefined],
    ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000', 'repo', 'latest', undefined],
    ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000', 'repo', 'tag', undefined],
    [`[2001:db8::1]:5000/repo@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', undefined, `sha256:${F64}`],
    [`[2001:db8::1]:5000/repo:tag@sha256:${F64}`, '[2001:db8::1]:5000', 'repo', 'tag', `sha256:${F64}`],
    ['[2001:db8::]:5000/repo', '[2001:db8::]:5000', 'repo', 'latest', undefined],
    ['[::1]:5000/repo', '[::1]:5000', 'repo', 'latest', undefined],
    // "Uppercase" is taken as a domain here (distribution's FIXME; Docker behaves the same)
    ['Uppercase/lowercase:tag', 'Uppercase', 'lowercase', 'tag', undefined],
  ];
  it.each(valid)('%s', (input, registry, repository, tag, digest) => {
    const r = parseReference(input);
    expect({ registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest }).toEqual({ registry, repository, tag, digest });
    expect(parseReference(r.canonical).canonical).toBe(r.canonical);
  });

  const invalid: [string, string][] = [
    ['', 'INVALID_ARGUMENT'],
    [':justtag', 'INVALID_ARGUMENT'],
    [`@sha256:${F64}`, 'INVALID_ARGUMENT'],
    [`repo@sha256:${'f'.repeat(34)}`, 'INVALID_ARGUMENT'],
    [`validname@invaliddigest:${F64}`, 'UNSUPPORTED'],
    ['Uppercase:tag', 'INVALID_ARGUMENT'],
    ['test:5000/Uppercase/lowercase:tag', 'INVALID_ARGUMENT'],
    [`${'a/'.repeat(128)}a:tag`, 'INVALID_ARGUMENT'],
    // 255 characters before normalisation; docker.io/ makes it too long, as ParseNormalizedNamed finds
    [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, 'INVALID_ARGUMENT'],
    ['aa/asdf$$^/aa', 'INVALID_ARGUMENT'],
    ['[2001:db8::1]', 'INVALID_ARGUMENT'],
    ['[2001:db8::1]:5000', 'INVALID_ARGUMENT'],
    ['[2001:db8::1]:tag', 'INVALID_ARGUMENT'],
    ['[fe80::1%eth0]:5000/repo', 'INVALID_ARGUMENT'],
    ['[fe80::1%@invalidzone]:5000/repo', 'INVALID_ARGUMENT'],
    // distribution accepts sha512; magikrun verifies sha256 only
    [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${'f'.repeat(128)}`, 'UNSUPPORTED'],
  ];
  it.each(invalid)('%j → %s', (input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it('a 255-character name with an explicit domain is accepted; 256 is not', () => {
    const path = `${'a/'.repeat(120)}abcd`; // 244 characters
    expect(parseReference(`reg.io:123/${path}:t`).name).toHaveLength(255);
    expect(codeOf(`reg.io:1234/${path}:t`)).toBe('INVALID_ARGUMENT');
  });
});

describe('normalize_test.go', () => {
  it.each([
    'docker/docker', 'library/debian', 'debian', 'docker.io/docker/docker', 'docker.io/library/debian', 'docker.io/debian',
    'index.docker.io/docker/docker', 'index.docker.io/library/debian', 'index.docker.io/debian', '127.0.0.1:5000/docker/docker',
    '127.0.0.1:5000/library/debian', '127.0.0.1:5000/debian', '192.168.0.1', '192.168.0.1:80', '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', '[fc00::1]:5000/docker',
    '[fc00::1]:5000/docker/docker', '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'Docker/docker', 'DOCKER/docker',
    'docker-rules/docker', 'docker---rules/docker', 'doc/docker', 'd/docker', 'jess/t', 'dock__er/docker',
  ])('valid: %s', (input) => {
    expect(codeOf(input)).toBeUndefined();
  });

  it.each([
    'https://github.com/docker/docker', 'docker/Docker', '-docker', '-docker/docker', '-docker.io/docker/docker', 'docker///docker',
    'docker.io/docker/Docker', 'docker.io/docker///docker', '[fc00::1]', '[fc00::1]:5000', 'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian', '[2001:db8:3:4::192.0.2.33]:5000/debian',
    '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'docker-/docker', '-docker-/docker', '____/____',
    '_docker/_docker', 'dock..er/docker', 'dock_.er/docker', 'dock-.er/docker', 'docker/',
    'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker',
  ])('invalid: %s', (input) => {
    expect(codeOf(input)).toBe('INVALID_ARGUMENT');
  });

  // TestParseRepositoryInfo: [remote name (path), familiar, full, ambiguous, domain]
  const info: [string, string, string, string, string][] = [
    ['fooo/bar', 'fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar', 'docker.io'],
    ['library/ubuntu', 'ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu', 'docker.io'],
    ['nonlibrary/ubuntu', 'nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', '', 'docker.io'],
    ['other/library', 'other/library', 'docker.io/other/library', '', 'docker.io'],
    ['private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '', '127.0.0.1:8000'],
    ['privatebase', '127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase', '', '127.0.0.1:8000'],
    ['private/moonbase', 'example.com/private/moonbase', 'example.com/private/moonbase', '', 'example.com'],
    ['privatebase', 'example.com/privatebase', 'example.com/privatebase', '', 'example.com'],
    ['private/moonbase', 'example.com:8000/private/moonbase', 'example.com:8000/private/moonbase', '', 'example.com:8000'],
    ['privatebasee', 'example.com:8000/privatebasee', 'example.com:8000/privatebasee', '', 'example.com:8000'],
    ['library/ubuntu-12.04-base', 'ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base', 'docker.io'],
    ['library/foo', 'foo', 'docker.io/library/foo', 'docker.io/foo', 'docker.io'],
    ['library/foo/bar', 'library/foo/bar', 'docker.io/library/foo/bar', '', 'docker.io'],
    ['store/foo/bar', 'store/foo/bar', 'docker.io/store/foo/bar', '', 'docker.io'],
    ['bar', 'Foo/bar', 'Foo/bar', '', 'Foo'],
    ['bar', 'FOO/bar', 'FOO/bar', '', 'FOO'],
  ];
  it.each(info)('repository info of %s (%s)', (remote, familiar, full, ambiguous, domain) => {
    for (const input of [familiar, full, ...(ambiguous ? [ambiguous] : [])]) {
      const r = parseReference(input);
      expect(r.registry).toBe(domain);
      expect(r.repository).toBe(remote);
      expect(r.name).toBe(full);
      expect(familiarName(r)).toBe(`${familiar}:latest`);
    }
  });

  it('tag and digest together keep both (TestParseReferenceWithTagAndDigest)', () => {
    const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
    const r = parseReference(short);
    expect(r.canonical).toBe(`docker.io/library/${short}`);
    expect(familiarName(r)).toBe(short);
  });

  it.each([
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', 'docker.io', 'test_com/foo'],
    ['docker/migrator', 'docker.io', 'docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['foo', 'docker.io', 'library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
    ['docker.io/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo', 'docker.io', 'library/foo'],
    ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
  ])('split %s → %s + %s (TestNormalizedSplitHostname)', (input, registry, repository) => {
    const r = parseReference(input);
    expect([r.registry, r.repository]).toEqual([registry, repository]);
  });
});
