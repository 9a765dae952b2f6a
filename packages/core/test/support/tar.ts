/** Hand-built tar archives for tests of hostile input (tar-stream's packer; real archives come from skopeo). */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface TarMember {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  data?: string | Buffer;
  linkname?: string;
}

/** Write `members` as a tar file at `file`. */
export async function writeTar(file: string, members: TarMember[]): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(file));
  for (const m of members) {
    const type = m.type ?? 'file';
    const data = type === 'file' ? Buffer.from(m.data ?? '') : undefined;
    const header = { name: m.name, type, ...(m.linkname ? { linkname: m.linkname } : {}), ...(data ? { size: data.length } : {}) };
    await new Promise<void>((resolve, reject) => {
      const cb = (e?: Error | null) => (e ? reject(e) : resolve());
      if (data) pack.entry(header, data, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
}
