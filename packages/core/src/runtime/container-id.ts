/**
 * Container id validation, before an id touches a path.
 *
 * @module runtime/container-id
 */
import { err, ErrorCode } from '../errors.js';

/** Longest container id accepted, in characters (runc/youki keep ids short enough for socket paths). */
export const MAX_CONTAINER_ID_LENGTH = 1024;

const ID_PATTERN = /^[A-Za-z0-9_+\-.]+$/;

/**
 * Check a container id as runc does: letters, digits, `_ + - .`, not `.` or `..`, at most
 * {@link MAX_CONTAINER_ID_LENGTH} characters.
 *
 * @throws MagikrunError `INVALID_ARGUMENT`
 */
export function validateContainerId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_CONTAINER_ID_LENGTH || !ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw err(
      ErrorCode.InvalidArgument,
      `invalid container id ${JSON.stringify(id)}: use 1-${MAX_CONTAINER_ID_LENGTH} letters, digits, "_", "+", "-" or ".", and not "." or ".."`,
      { id },
    );
  }
  return id;
}
