// Child process of pull-processes.test.ts: pulls one image into a store and reports on stdout.
// Args: <built pull module URL> <store root> <reference> [idleTimeoutMs]
// Lines: "layer <digest> <completed> <done>" (every 256 KiB and at the end of each layer), then one
// JSON line {"ok":true,"digest":…} or {"ok":false,"code":…,"message":…}.
const [moduleUrl, root, reference, idle] = process.argv.slice(2);
const { pullImage, BlobStore } = await import(moduleUrl);

const last = new Map();
const onProgress = (p) => {
  if (p.kind !== 'layer') return;
  const step = Math.floor(p.completed / (256 * 1024));
  if (p.done || last.get(p.digest) !== step) {
    last.set(p.digest, step);
    process.stdout.write(`layer ${p.digest} ${p.completed} ${p.done}\n`);
  }
};
try {
  const img = await pullImage(reference, new BlobStore({ root }), { onProgress, ...(idle ? { idleTimeoutMs: Number(idle) } : {}) });
  process.stdout.write(`${JSON.stringify({ ok: true, digest: img.digest })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: e.code, message: e.message })}\n`);
  process.exitCode = 1;
}
