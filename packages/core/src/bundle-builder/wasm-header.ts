/**
 * Recognising WebAssembly binaries by their first 8 bytes (WebAssembly core spec §5.5.16 "Modules";
 * component model Binary.md "Component Definitions"), as runwasi does to find a module in an image.
 *
 * @module bundle-builder/wasm-header
 */
import { err, ErrorCode } from '../errors.js';

/** `\0asm` */
export const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);
/** Core module, version 1. */
export const WASM_MODULE_VERSION = Buffer.from([0x01, 0x00, 0x00, 0x00]);
/** Component model: version 0x0d, layer 1 (WASI preview 2 components). */
export const WASM_COMPONENT_VERSION = Buffer.from([0x0d, 0x00, 0x01, 0x00]);

/** What the first bytes say. */
export type WasmBinaryKind = 'module' | 'component' | 'unknown-version' | 'not-wasm';

/** Classify a binary by its first 8 bytes. */
export function wasmBinaryKind(head: Uint8Array): WasmBinaryKind {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 8 || !b.subarray(0, 4).equals(WASM_MAGIC)) return 'not-wasm';
  const version = b.subarray(4, 8);
  if (version.equals(WASM_MODULE_VERSION)) return 'module';
  if (version.equals(WASM_COMPONENT_VERSION)) return 'component';
  return 'unknown-version';
}

function printable(head: Uint8Array): string {
  const b = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 8));
  const text = b.toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : b.toString('hex').replace(/(..)/g, '$1 ').trim();
}

/**
 * Require a WASI preview 1 core module.
 *
 * @param where what the bytes are (an image path or a layer), for messages.
 * @param details merged into the error's details (the bundle builder adds `entrypoint`, which the CLI
 *   maps to exit code 126, "cannot be run").
 * @throws MagikrunError `UNSUPPORTED` for a WASI preview 2 component or an unknown wasm version;
 *   `INVALID_ARGUMENT` "image has no WebAssembly module: …" for anything that is not wasm.
 */
export function requireWasmModule(head: Uint8Array, where: string, details: Record<string, unknown> = {}): void {
  switch (wasmBinaryKind(head)) {
    case 'module':
      return;
    case 'component':
      throw err(
        ErrorCode.Unsupported,
        `${where} is a WebAssembly component (WASI preview 2), which magikrun does not run yet; build it as a WASI preview 1 module (e.g. --target wasm32-wasip1)`,
        { ...details, where, kind: 'component' },
      );
    case 'unknown-version':
      throw err(ErrorCode.Unsupported, `${where} is a WebAssembly binary of an unknown version (${printable(head.subarray(4, 8))})`, { ...details, where });
    default:
      throw err(ErrorCode.InvalidArgument, `image has no WebAssembly module: ${where} is not a wasm module (it starts with ${printable(head)})`, { ...details, where, wasmModule: 'absent' });
  }
}
