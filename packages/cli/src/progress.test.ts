import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PullProgressDisplay } from './progress.js';

function capture(): { out: NodeJS.WriteStream; text(): string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString()));
  return { out: s as unknown as NodeJS.WriteStream, text: () => text };
}

const digest = `sha256:${'ab'.repeat(32)}`;
const image = `sha256:${'cd'.repeat(32)}`;

describe('PullProgressDisplay without a TTY', () => {
  it('prints a line per finished blob and one total line from the overall events', () => {
    const c = capture();
    const d = new PullProgressDisplay(c.out, 'r');
    d.update({ kind: 'overall', digest: image, completed: 0, total: 3 * 1024 * 1024, cached: false, done: false });
    d.update({ kind: 'layer', digest, completed: 1024, total: 3 * 1024 * 1024, cached: false, done: false });
    d.update({ kind: 'layer', digest, completed: 3 * 1024 * 1024, total: 3 * 1024 * 1024, cached: false, done: true });
    d.update({ kind: 'overall', digest: image, completed: 3 * 1024 * 1024, total: 3 * 1024 * 1024, cached: false, done: true });
    d.update({ kind: 'overall', digest: image, completed: 3 * 1024 * 1024, total: 3 * 1024 * 1024, cached: false, done: true });
    d.finish(image);
    expect(c.text()).toBe(`pulling r\n layer ${'ab'.repeat(6)} 3.0 MiB verified\n total 3.0 MiB\npulled ${image}\n`);
  });

  it('says when everything was already present', () => {
    const c = capture();
    const d = new PullProgressDisplay(c.out, 'r');
    d.update({ kind: 'overall', digest: image, completed: 10, total: 10, cached: true, done: true });
    expect(c.text()).toContain(' total 10 B, all already present\n');
  });
});
