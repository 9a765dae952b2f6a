/**
 * What every lifecycle verb works with.
 *
 * @module lifecycle/context
 */
import type { BindingEngine } from '../binding/types.js';
import type { WasmSandboxLimits } from '../options.js';
import type { Records } from '../record.js';

export interface RuntimeContext {
  engine: BindingEngine;
  records: Records;
  /** The runtime's default sandbox limits (from its constructor). */
  limits: WasmSandboxLimits;
}
