/**
 * The one lifecycle table every backend checks transitions against: the OCI runtime spec's rules
 * (runtime.md "Lifecycle" and "Operations") as runc and youki apply them
 * (youki: `can_start`, `can_kill`, `can_delete` in libcontainer's `container.rs`).
 *
 * @module runtime/lifecycle
 */
import { err, ErrorCode } from '../errors.js';
import type { ContainerStatus } from './types.js';

/** Operations whose allowed statuses the table fixes. */
export type LifecycleOperation = 'start' | 'kill' | 'delete' | 'forceDelete' | 'stop' | 'wait' | 'state';

/** Which statuses allow each operation. */
export const LIFECYCLE: Readonly<Record<LifecycleOperation, readonly ContainerStatus[]>> = Object.freeze({
  /** runtime.md: "This operation MUST generate an error if it is not provided the container ID of a container in the created state". */
  start: ['created'],
  /** runtime.md: kill "MUST generate an error if it is not provided the container ID of a container in the created or running state". */
  kill: ['created', 'running'],
  /** runtime.md: delete "MUST generate an error if it is not provided the container ID of a container in the stopped state". */
  delete: ['stopped'],
  /** runc `delete --force`: any status; the runtime kills and waits first. */
  forceDelete: ['creating', 'created', 'running', 'stopped'],
  /** docker/podman stop: a stopped container is a no-op that returns its exit status. */
  stop: ['created', 'running', 'stopped'],
  wait: ['creating', 'created', 'running', 'stopped'],
  state: ['creating', 'created', 'running', 'stopped'],
});

/** True when `op` is allowed in `status`. */
export function canTransition(op: LifecycleOperation, status: ContainerStatus): boolean {
  return LIFECYCLE[op].includes(status);
}

/**
 * Throw unless `op` is allowed in `status`.
 *
 * @throws MagikrunError `INVALID_STATE` with `details: { id, operation, status, allowed }`.
 */
export function assertTransition(op: LifecycleOperation, status: ContainerStatus, id: string): void {
  if (canTransition(op, status)) return;
  const allowed = LIFECYCLE[op];
  const hint = op === 'delete' ? ' (stop it first, or delete with force)' : '';
  throw err(
    ErrorCode.InvalidState,
    `cannot ${op === 'forceDelete' ? 'delete' : op} container "${id}": its status is ${status}, and ${op} needs ${allowed.join(' or ')}${hint}`,
    { id, operation: op, status, allowed: [...allowed] },
  );
}
