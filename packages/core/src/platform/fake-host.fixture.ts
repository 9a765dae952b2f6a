/**
 * Test helper: writes a fake `/proc`, `/sys` and `/dev` tree for `Platform.detect({ hostRoot })`.
 * Not exported from the package.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** File path (absolute, as on the host) → contents. A path ending in `/` makes a directory. */
export type FakeHostFiles = Record<string, string>;

/** A root holding CAP_SYS_ADMIN (full CapEff as on these machines) and no seccomp filter. */
export const ROOT_STATUS = 'Name:\tnode\nUid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\nSeccomp:\t0\nSeccomp_filters:\t0\n';
/** An unprivileged process: empty CapEff. */
export const USER_STATUS = 'Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000000\nSeccomp:\t0\n';

/** Namespace files of a full kernel. */
export const ALL_NS: FakeHostFiles = Object.fromEntries(
  ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'].map((k) => [`/proc/self/ns/${k}`, `${k}:[4026531835]`]),
);

/** Make a fake host root; returns its path. */
export async function makeFakeHost(files: FakeHostFiles): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'magikrun-fakehost-'));
  for (const [p, content] of Object.entries(files)) {
    const real = path.join(root, p);
    if (p.endsWith('/')) {
      await mkdir(real, { recursive: true });
    } else {
      await mkdir(path.dirname(real), { recursive: true });
      await writeFile(real, content);
    }
  }
  return root;
}

/** Remove a fake host root. */
export async function removeFakeHost(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}
