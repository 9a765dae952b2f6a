/**
 * OCI `create` (runtime.md "create"): read, verify and compile the module, link WASI preview 1, and
 * build the store; the module does not run yet.
 *
 * @module lifecycle/create
 */
import { CONTAINER_START_TIMEOUT } from '@magikrun/core/constants';
import { err, ErrorCode } from '@magikrun/core/errors';
import { assertLimitsSupported, type Bundle, type ContainerState, validateContainerId } from '@magikrun/core/runtime';
import { WASMTIME_CAPABILITIES } from '../capabilities.js';
import { callBinding } from '../binding/errors.js';
import { checkWasmBundle } from '../bundle-check.js';
import { containerLimits, resolveLimits, type WasmtimeCreateOptions } from '../options.js';
import { newRecord, stateOf } from '../record.js';
import { planStdio } from '../stdio/plan.js';
import type { RuntimeContext } from './context.js';
import { checkTimeout, withDeadline } from './deadline.js';

export async function create(ctx: RuntimeContext, id: string, bundle: Bundle, options: WasmtimeCreateOptions = {}): Promise<ContainerState> {
  validateContainerId(id);
  const wasm = checkWasmBundle(bundle);
  if (ctx.records.has(id)) {
    throw err(ErrorCode.AlreadyExists, `container "${id}" exists already; delete it first or use another id`, { id });
  }
  assertLimitsSupported({ name: 'wasmtime', capabilities: WASMTIME_CAPABILITIES }, wasm.resources);
  if (options.detach) {
    throw err(ErrorCode.Unsupported, 'a WebAssembly container of this runtime lives in this process and cannot be detached', { id });
  }
  const limits = resolveLimits(ctx.limits, containerLimits(wasm.resources, options));
  const stdio = planStdio(options.stdio);
  const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? CONTAINER_START_TIMEOUT);

  const r = newRecord(id, wasm, stdio);
  ctx.records.add(r);
  let settle!: () => void;
  r.creating = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const request = ctx.engine.create({
    modulePath: wasm.module,
    moduleDigest: wasm.moduleDigest,
    maxModuleSize: limits.maxModuleSize,
    args: wasm.args,
    env: wasm.env,
    preopens: wasm.preopens.map((p) => ({ hostPath: p.hostPath, guestPath: p.guestPath, readonly: p.readonly === true })),
    ...(wasm.cwd !== undefined ? { cwd: wasm.cwd } : {}),
    stdin: stdio.stdin,
    stdout: stdio.stdout,
    stderr: stdio.stderr,
    ...(limits.fuel !== undefined ? { fuel: limits.fuel } : {}),
    ...(limits.wallClockMs !== undefined ? { wallClockMs: limits.wallClockMs } : {}),
    memorySize: limits.memorySize,
    tableElements: limits.tableElements,
    instances: limits.instances,
    tables: limits.tables,
    memories: limits.memories,
    openFiles: limits.openFiles,
  });
  try {
    const created = await withDeadline(callBinding(() => request, `create "${id}"`, { id }), `create "${id}"`, timeoutMs, options.signal);
    r.handle = created.handle;
    r.streams = stdio.streams(ctx.engine, created.handle, r.active);
    r.status = 'created';
    return stateOf(r);
  } catch (e) {
    ctx.records.remove(r);
    // Timed out or aborted while the binding was still working: free what it makes — the container and
    // its output pipes (which would otherwise outlive it, waiting for a reader that never comes).
    request.then(
      (c) => {
        ctx.engine.delete(c.handle);
        ctx.engine.releasePipe(c.handle, 'stdout');
        ctx.engine.releasePipe(c.handle, 'stderr');
      },
      () => undefined,
    );
    throw e;
  } finally {
    settle();
  }
}
