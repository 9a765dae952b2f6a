/**
 * What every lifecycle verb works with.
 *
 * @module lifecycle/context
 */
import path from 'node:path';
import { type ContainerStreams, validateContainerId } from '@magikrun/core/runtime';
import { fromBindingError } from '../binding/errors.js';
import type { BindingModule, BindingRuntime, BindingState } from '../binding/types.js';

/** What this process knows about a container it created (streams live only here). */
export interface LocalContainer {
  /** The state root it was created under. */
  root: string;
  streams: ContainerStreams;
  /** Resolves when all output reached `Writable` targets. */
  outputDone: Promise<void>;
}

export interface RuntimeContext {
  binding: BindingModule;
  monitorPath: string;
  /** The runtime's state root (absolute). */
  stateRoot: string;
  systemdCgroup: boolean;
  /** ms */
  deleteTimeoutMs: number;
  /** Containers created by this runtime instance. */
  local: Map<string, LocalContainer>;
  /** One binding handle per state root. */
  roots: Map<string, BindingRuntime>;
  /** Resolves once the host was checked (root, namespaces, cgroups). */
  hostReady(): Promise<void>;
}

/** The binding handle of a state root. */
export function rootHandle(ctx: RuntimeContext, root: string): BindingRuntime {
  const abs = path.resolve(root);
  let h = ctx.roots.get(abs);
  if (!h) {
    h = new ctx.binding.BindingRuntime(abs);
    ctx.roots.set(abs, h);
  }
  return h;
}

/** The binding handle for `id`: its own root if this runtime created it elsewhere, else the default. */
export function handleFor(ctx: RuntimeContext, id: string): BindingRuntime {
  return rootHandle(ctx, ctx.local.get(id)?.root ?? ctx.stateRoot);
}

/**
 * Validate `id` and read its state (synchronously: a few small reads).
 * @throws MagikrunError `INVALID_ARGUMENT` (bad id), `NOT_FOUND`
 */
export function stateOf(ctx: RuntimeContext, id: string, op: string): BindingState {
  validateContainerId(id);
  const h = handleFor(ctx, id);
  try {
    return h.state(id);
  } catch (e) {
    throw fromBindingError(e, `${op} "${id}"`, { id });
  }
}
