// Child process of snapshotter.race.test.ts: opens the store and the snapshotter, prints "ready", waits
// for "go" on stdin (so that both racers start together), prepares KEY on the image given as JSON, and
// prints one JSON line: the layers it unpacked itself and the mounts it got.
// Args: <built core module URL> <root> <mode> <key> <image JSON>.
const [modulePath, root, mode, key, imageJson] = process.argv.slice(2);
const { BlobStore, Snapshotter } = await import(modulePath);
const store = await BlobStore.open({ root });
const snapshots = await Snapshotter.open({ store, mode });
process.stdout.write('ready\n');
await new Promise((resolve) => {
  process.stdin.setEncoding('utf8');
  let buf = '';
  process.stdin.on('data', (t) => {
    buf += t;
    if (buf.includes('go\n')) resolve();
  });
});
const unpacked = [];
const mounts = await snapshots.prepare(key, JSON.parse(imageJson), { onUnpack: (i) => unpacked.push(i.index) });
process.stdout.write(`${JSON.stringify({ unpacked, mounts })}\n`);
process.stdin.destroy();
