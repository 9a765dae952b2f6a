import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userName } from './user-name.js';

const dir = mkdtempSync(path.join(tmpdir(), 'magikrun-passwd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('userName', () => {
  it("names this process's user as the OS does", () => {
    const me = userInfo();
    if (me.uid >= 0) expect(userName(me.uid)).toBe(me.username);
  });

  it('reads the name from a passwd file, and prints #uid as runc does when none names it', () => {
    const passwd = path.join(dir, 'passwd');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\n# comment\nbroken-line\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    expect(userName(1000, passwd)).toBe('alice');
    expect(userName(0, passwd)).toBe('root');
    expect(userName(4242, passwd)).toBe('#4242');
    expect(userName(7, path.join(dir, 'absent'))).toBe('#7');
  });
});
