/**
 * The monitor's exit record and the binding's state as core's `ExitStatus` and `ContainerState`.
 *
 * @module exit-status
 */
import { userName } from '@magikrun/core/platform';
import { type ContainerState, type ExitStatus, signalName } from '@magikrun/core/runtime';
import type { BindingExit, BindingState } from './binding/types.js';

/** `ExitStatus` from an exit record: code, or 128 + N with the signal name; reason as recorded. */
export function exitStatusOf(e: BindingExit): ExitStatus {
  const status: ExitStatus = { code: e.code, reason: e.reason };
  if (e.signal !== undefined && e.signal !== null) {
    const name = signalName(e.signal);
    if (name) status.signal = name;
  }
  if (e.message) status.message = e.message;
  return status;
}

/**
 * The state document: runtime.md "State" (`pid` only while created or running) plus what `runc state`
 * also prints — `rootfs`, `created` (RFC 3339, from the monitor record) and `owner` (the state
 * directory's owner, `runc list`'s OWNER).
 */
export function containerStateOf(s: BindingState): ContainerState {
  const state: ContainerState = { ociVersion: s.ociVersion, id: s.id, status: s.status, bundle: s.bundle };
  if ((s.status === 'created' || s.status === 'running') && typeof s.pid === 'number') state.pid = s.pid;
  if (s.annotations && Object.keys(s.annotations).length > 0) state.annotations = { ...s.annotations };
  state.rootfs = s.rootfs;
  state.created = new Date(s.createdAtMs).toISOString();
  if (typeof s.ownerUid === 'number') state.owner = userName(s.ownerUid);
  return state;
}
