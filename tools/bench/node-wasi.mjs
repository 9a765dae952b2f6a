// Reference runner for the benchmark: runs a WASI preview 1 module through Node's own `node:wasi`,
// with the same args, env and preopen magikrun gives it, and exits with the module's exit code.
//   node tools/bench/node-wasi.mjs MODULE.wasm ROOTFS_DIR [ARGS…]
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [modulePath, rootfs, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: ['/hello.wasm', ...args],
  env: { GREETING: 'hello from magikrun', HELLO_FILE: '/share/hello/message.txt' },
  preopens: { '/': rootfs },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(modulePath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
