#!/usr/bin/env node
/**
 * Write an OCI image layout whose manifest has a single layer that IS the WebAssembly module (not a
 * tar), the shape wasm-to-oci / oras / runwasi use. Written by hand: Debian has no oras.
 *
 *   node tools/images/build-wasm-layer-layout.mjs OUTDIR [--tag T] [--media-type MT] [--module FILE]
 *
 *   --tag         tag in OUTDIR/index.json                        (default "wasm")
 *   --media-type  application/wasm | application/vnd.wasm.content.layer.v1+wasm  (default application/wasm)
 *   --module      a .wasm file; default: hello.c compiled by build-hello-wasm.sh (clang-16 + wasi-libc)
 *
 * Config: os=wasip1, architecture=wasm, Entrypoint ["/hello.wasm"], Cmd ["world"],
 * Env ["GREETING=hello from a wasm layer"]. Push it with skopeo (see push.sh).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeWasmLayerImage } from './layout.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Compile hello.c (build-hello-wasm.sh) and return the module bytes. */
export function compileHello() {
  const work = mkdtempSync(join(tmpdir(), 'magikrun-wasm-'));
  try {
    execFileSync(join(here, 'build-hello-wasm.sh'), [join(work, 'hello.wasm')], { stdio: ['ignore', 'inherit', 'inherit'] });
    return readFileSync(join(work, 'hello.wasm'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Build the layout; returns the manifest descriptor. */
export function buildWasmLayerLayout(out, { tag = 'wasm', mediaType = 'application/wasm', module } = {}) {
  const bytes = module ?? compileHello();
  return writeWasmLayerImage(out, bytes, {
    tag,
    layerMediaType: mediaType,
    entrypoint: ['/hello.wasm'],
    cmd: ['world'],
    env: ['GREETING=hello from a wasm layer'],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const out = args.shift();
  const opt = {};
  while (args.length) {
    const k = args.shift();
    const v = args.shift();
    if (v === undefined) break;
    if (k === '--tag') opt.tag = v;
    else if (k === '--media-type') opt.mediaType = v;
    else if (k === '--module') opt.module = readFileSync(v);
    else {
      process.stderr.write(`unknown option ${k}\n`);
      process.exit(2);
    }
  }
  if (!out) {
    process.stderr.write('usage: build-wasm-layer-layout.mjs OUTDIR [--tag T] [--media-type MT] [--module FILE]\n');
    process.exit(2);
  }
  const d = buildWasmLayerLayout(out, opt);
  process.stdout.write(`oci:${out}:${opt.tag ?? 'wasm'} ${d.digest}\n`);
}
