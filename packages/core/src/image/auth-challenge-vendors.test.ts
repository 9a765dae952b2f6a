/**
 * WWW-Authenticate values in the shapes registries send (hand-written from their documentation and
 * public issue threads; live registries are not reachable from here): parameters in any order,
 * quoted or not, extra parameters, several challenges.
 */
import { describe, expect, it } from 'vitest';
import { findChallenge, parseAuthChallenges } from './auth-challenge.js';

describe('registry challenges', () => {
  it.each([
    ['Docker Hub', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"', { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' }],
    ['Docker Hub, insufficient scope', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x/y:pull",error="insufficient_scope"', { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:x/y:pull', error: 'insufficient_scope' }],
    ['GHCR', 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"', { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:user/image:pull' }],
    ['GCR (unquoted service)', 'Bearer realm="https://gcr.io/v2/token",service=gcr.io', { realm: 'https://gcr.io/v2/token', service: 'gcr.io' }],
    ['Quay', 'Bearer realm="https://quay.io/v2/auth",service="quay.io"', { realm: 'https://quay.io/v2/auth', service: 'quay.io' }],
    ['Harbor', 'Bearer realm="https://harbor.example/service/token",service="harbor-registry",scope="repository:p/r:pull"', { realm: 'https://harbor.example/service/token', service: 'harbor-registry', scope: 'repository:p/r:pull' }],
    ['reordered, spaced, upper-case scheme', 'BEARER service = "s" ,  scope="repository:a/b:pull push" , realm = "https://r.example/t"', { realm: 'https://r.example/t', service: 's', scope: 'repository:a/b:pull push' }],
  ])('%s', (_name, header, params) => {
    const c = findChallenge(parseAuthChallenges(header), 'bearer');
    expect(c?.params).toEqual(params);
  });

  it('ECR Basic with realm and service, and Harbor’s catalog Basic', () => {
    expect(findChallenge(parseAuthChallenges('Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"'), 'basic')?.params).toEqual({
      realm: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/',
      service: 'ecr.amazonaws.com',
    });
    expect(findChallenge(parseAuthChallenges('Basic realm="harbor"'), 'basic')?.params).toEqual({ realm: 'harbor' });
  });

  it('a Basic and a Bearer challenge in one header are both found', () => {
    const cs = parseAuthChallenges('Basic realm="registry", Bearer realm="https://a.example/token",service="a.example"');
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(findChallenge(cs, 'bearer')?.params.service).toBe('a.example');
  });
});
