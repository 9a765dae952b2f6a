/**
 * Reading host files under an optional fake root, for detection code that tests can point at a fixture.
 *
 * @module platform/host-fs
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Read-only view of the host's `/proc`, `/sys` and `/dev`, rooted at `hostRoot` (default `/`). */
export class HostFs {
  constructor(readonly hostRoot: string = '/') {}

  /** The real path of an absolute host path such as `/proc/self/status`. */
  resolve(hostPath: string): string {
    return this.hostRoot === '/' ? hostPath : path.join(this.hostRoot, hostPath);
  }

  /** File contents as UTF-8, or undefined when it cannot be read (missing, permission…). */
  async readText(hostPath: string): Promise<string | undefined> {
    try {
      return await readFile(this.resolve(hostPath), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Directory entry names, or undefined when it cannot be listed. */
  async list(hostPath: string): Promise<string[] | undefined> {
    try {
      return await readdir(this.resolve(hostPath));
    } catch {
      return undefined;
    }
  }

  /** True when the path exists (following symlinks). */
  async exists(hostPath: string): Promise<boolean> {
    try {
      await stat(this.resolve(hostPath));
      return true;
    } catch {
      return false;
    }
  }

  /** True when the path is a directory. */
  async isDirectory(hostPath: string): Promise<boolean> {
    try {
      return (await stat(this.resolve(hostPath))).isDirectory();
    } catch {
      return false;
    }
  }
}

/** The value of a `Key:\tvalue` line of a `/proc/<pid>/status` file, or undefined. */
export function statusField(status: string | undefined, key: string): string | undefined {
  if (status === undefined) return undefined;
  for (const line of status.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i) === key) return line.slice(i + 1).trim();
  }
  return undefined;
}
