/**
 * zstd decoding by Debian's `zstd` tool, for hosts where the zstd-napi native module is not built (its
 * install script is blocked or could not compile): one process per layer, fed through a pipe with
 * backpressure. The tool verifies content checksums, decodes every frame, refuses a stream that ends
 * inside a frame or carries trailing garbage, and bounds the window through `--memory`.
 *
 * @module rootfs/zstd-cli
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { err, ErrorCode } from '../errors.js';

/**
 * zstd frames → bytes through `zstd -d`.
 *
 * @throws MagikrunError `LIMIT_EXCEEDED` (window above `2^windowLogMax`), `INVALID_ARGUMENT` (corrupt,
 *   truncated, bad checksum), `UNAVAILABLE` (no `zstd` tool).
 */
export async function* zstdCliDecode(source: AsyncIterable<Buffer>, layer: string, windowLogMax: number): AsyncGenerator<Buffer> {
  const memoryMiB = Math.max(1, 2 ** Math.max(0, windowLogMax - 20));
  const child = spawn('zstd', ['-d', '-c', '-q', `--memory=${memoryMiB}MB`], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  const spawned = once(child, 'spawn').then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e,
  );
  const exited = new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  child.stdin.on('error', () => undefined); // EPIPE when zstd stops early: its exit status tells why
  let sourceError: { error: unknown } | undefined;
  const feeding = (async () => {
    try {
      for await (const chunk of source) {
        if (child.stdin.destroyed) return;
        if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain'), once(child.stdin, 'close')]);
      }
      child.stdin.end();
    } catch (e) {
      sourceError = { error: e };
      child.kill('SIGKILL');
    }
  })();
  try {
    const spawnError = await spawned;
    if (spawnError) {
      throw err(
        ErrorCode.Unavailable,
        `layer ${layer} is zstd-compressed, but neither the zstd-napi native module nor the zstd tool is available; install zstd or allow zstd-napi's install script`,
        { layer, reason: 'no zstd decoder' },
        spawnError,
      );
    }
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield chunk;
    await feeding;
    if (sourceError) throw sourceError.error;
    const { code } = await exited;
    if (code !== 0) throw zstdToolError(stderr, layer, windowLogMax);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await feeding.catch(() => undefined);
  }
}

function zstdToolError(stderr: string, layer: string, windowLogMax: number) {
  const msg = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
  if (/too much memory|Window size larger than maximum/i.test(msg)) {
    return err(
      ErrorCode.LimitExceeded,
      `layer ${layer} is a zstd stream whose window needs more than 2^${windowLogMax} bytes of memory (the zstd window limit); recompress it without --long/--ultra`,
      { layer, limit: 'zstdWindowLogMax', max: windowLogMax },
    );
  }
  if (/premature end|truncated|unexpected end/i.test(msg)) {
    return err(ErrorCode.InvalidArgument, `layer ${layer} is truncated: its zstd stream ends inside a frame`, { layer });
  }
  return err(ErrorCode.InvalidArgument, `layer ${layer} is not valid zstd: ${msg}`, { layer });
}
