import { describe, expect, it } from 'vitest';
import { findChallenge, parseAuthChallenges } from './auth-challenge.js';

describe('parseAuthChallenges', () => {
  it("parses Docker Hub's Bearer challenge", () => {
    const c = parseAuthChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"');
    expect(c).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    ]);
  });

  it('parses Basic with a realm containing spaces and commas', () => {
    expect(parseAuthChallenges('Basic realm="Registry Realm, with comma"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm, with comma' } }]);
  });

  it('parses several challenges in one header, in order', () => {
    const c = parseAuthChallenges('Basic realm="a", Bearer realm="https://t.example/token", service="svc"');
    expect(c.map((x) => x.scheme)).toEqual(['basic', 'bearer']);
    expect(findChallenge(c, 'Bearer')?.params).toEqual({ realm: 'https://t.example/token', service: 'svc' });
  });

  it('handles spaces around "=", unquoted values, case and escapes', () => {
    const c = parseAuthChallenges('BEARER Realm = https://t.example/token , Service="a\\"b", error=insufficient_scope');
    expect(c).toEqual([{ scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'a"b', error: 'insufficient_scope' } }]);
  });

  it('keeps scopes with spaces (several scopes) intact', () => {
    const c = parseAuthChallenges('Bearer realm="r",scope="repository:a:pull repository:b:pull"');
    expect(c[0]?.params.scope).toBe('repository:a:pull repository:b:pull');
  });

  it('accepts header arrays (several WWW-Authenticate headers)', () => {
    expect(parseAuthChallenges(['Basic realm="x"', 'Bearer realm="y"']).map((x) => x.scheme)).toEqual(['basic', 'bearer']);
  });

  it('reads token68 credentials-style challenges', () => {
    expect(parseAuthChallenges('Negotiate abc123==')).toEqual([{ scheme: 'negotiate', params: { token68: 'abc123==' } }]);
  });

  it('returns nothing for an absent or empty header, and skips garbage', () => {
    expect(parseAuthChallenges(undefined)).toEqual([]);
    expect(parseAuthChallenges('')).toEqual([]);
    expect(parseAuthChallenges('realm="orphan"')).toEqual([]);
    expect(parseAuthChallenges('@@@, Bearer realm="r"')).toEqual([{ scheme: 'bearer', params: { realm: 'r' } }]);
  });
});
