// Child process of blob-store.race.test.ts: streams a deterministic blob into the store. After half of
// it, prints "half" and waits for "finish" on stdin, so that the parent can hold both racers in the
// middle of their writes before either commits. Then prints the PutResult as a JSON line.
// Args: <built store module> <root> <digest> <bytes>.
import { createHash } from 'node:crypto';

const [modulePath, root, digest, sizeText] = process.argv.slice(2);
const { BlobStore } = await import(modulePath);
const size = Number(sizeText);

function* pattern() {
  let counter = 0;
  for (let off = 0; off < size; off += 32) {
    const block = createHash('sha256').update(String(counter++)).digest();
    yield block.subarray(0, Math.min(32, size - off));
  }
}

const lines = [];
let wake;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (t) => {
  lines.push(...t.split('\n').filter(Boolean));
  wake?.();
});
async function line(expected) {
  while (!lines.includes(expected)) await new Promise((r) => (wake = r));
}

async function* slowly() {
  let sent = 0;
  let paused = false;
  let buf = [];
  let n = 0;
  for (const b of pattern()) {
    buf.push(b);
    n += b.length;
    if (n >= 64 * 1024) {
      if (!paused && sent >= size / 2) {
        paused = true;
        process.stdout.write('half\n');
        await line('finish');
      }
      sent += n;
      yield Buffer.concat(buf);
      buf = [];
      n = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  if (buf.length) yield Buffer.concat(buf);
}

const store = new BlobStore({ root });
try {
  const r = await store.putStream(digest, slowly(), { size });
  process.stdout.write(`${JSON.stringify({ ok: true, result: r })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: e.code, message: e.message })}\n`);
  process.exitCode = 1;
}
process.stdin.destroy();
