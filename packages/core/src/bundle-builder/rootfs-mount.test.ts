import { describe, expect, it } from 'vitest';
import { mountArgs } from './rootfs-mount.js';

describe('rootfs mount arguments', () => {
  it('mounts overlay with its options and binds with bind/rbind plus the rest', () => {
    expect(mountArgs({ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w'] }, '/t')).toEqual([
      '-i', '-n', '-t', 'overlay', 'overlay', '-o', 'lowerdir=/a:/b,upperdir=/u,workdir=/w', '/t',
    ]);
    expect(mountArgs({ type: 'bind', source: '/copy', options: ['rbind', 'rw'] }, '/t')).toEqual(['-i', '-n', '-o', 'rbind,rw', '/copy', '/t']);
    expect(mountArgs({ type: 'bind', source: '/copy', options: ['ro'] }, '/t')).toEqual(['-i', '-n', '-o', 'bind,ro', '/copy', '/t']);
  });
});
