import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addRegistryFlags, registryAccessFrom, type RegistryFlags } from './registry-flags.js';

const parse = (args: string[]): RegistryFlags => addRegistryFlags(new Command().exitOverride()).parse(args, { from: 'user' }).opts<RegistryFlags>();

describe('registry flags', () => {
  it('map to RegistryAccessOptions', () => {
    expect(
      registryAccessFrom(parse(['--creds', 'alice:pa:ss', '--docker-config', '/d', '--ca', '/ca.pem', '--insecure-skip-tls-verify', '--plain-http', '--connect-timeout', '5', '--idle-timeout', '1m30s', '--allow-nondistributable'])),
    ).toEqual({
      credentials: { username: 'alice', password: 'pa:ss' },
      dockerConfig: '/d',
      ca: '/ca.pem',
      insecureSkipTlsVerify: true,
      plainHttp: true,
      connectTimeoutMs: 5000,
      idleTimeoutMs: 90_000,
      allowNonDistributable: true,
    });
    expect(registryAccessFrom(parse([]))).toEqual({});
    expect(registryAccessFrom(parse(['--no-plain-http']))).toEqual({ plainHttp: false });
  });

  it('refuse --creds without a password separator and bad durations', () => {
    expect(() => registryAccessFrom(parse(['--creds', 'alice']))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => registryAccessFrom(parse(['--idle-timeout', 'soon']))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
