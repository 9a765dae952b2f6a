/**
 * Typed errors for every magikrun package.
 *
 * Callers switch on {@link MagikrunError.code}, never on message text. The categories follow
 * containerd's errdefs (not found, already exists, failed precondition, invalid argument, unavailable)
 * plus the ones that content handling and isolation need (digest mismatch, limit exceeded, path escape).
 *
 * @module errors
 */

/** The closed set of error codes. Stable: adding a code is a minor change, renaming one is breaking. */
export const ErrorCode = {
  /** A container, image, blob or file that was named does not exist. */
  NotFound: 'NOT_FOUND',
  /** A container id, blob or image that is being created exists already. */
  AlreadyExists: 'ALREADY_EXISTS',
  /** The operation is not allowed in the container's current status (OCI lifecycle). `details.status` holds it. */
  InvalidState: 'INVALID_STATE',
  /** Bad input from the caller, an image, a registry or a module: malformed reference, digest, JSON, id… */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** A backend or host capability is missing (`details.reason` says why). */
  Unavailable: 'UNAVAILABLE',
  /** Well-formed input this version does not support (Docker schema1, a WASI preview 2 component…). */
  Unsupported: 'UNSUPPORTED',
  /** Content did not hash to the digest it was announced with. Nothing unverified is kept. */
  DigestMismatch: 'DIGEST_MISMATCH',
  /** A size, count or resource limit was exceeded (`details.limit`, `details.value`). */
  LimitExceeded: 'LIMIT_EXCEEDED',
  /** A path would leave the directory it must stay inside (tar entry, symlink, volume, digest). */
  PathEscape: 'PATH_ESCAPE',
  /** A deadline passed (pull timeout, start timeout, stop timeout). */
  Timeout: 'TIMEOUT',
  /** A registry answered with an error or a response that breaks the distribution spec. */
  Registry: 'REGISTRY',
  /** A registry refused the credentials (or the lack of them). */
  Unauthorized: 'UNAUTHORIZED',
  /** The caller aborted the operation through an AbortSignal. */
  Aborted: 'ABORTED',
  /** Another process holds a lock that this operation needs (`details.holder`). */
  Locked: 'LOCKED',
  /** A bug or an unexpected failure of the host or a native engine. */
  Internal: 'INTERNAL',
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Structured, JSON-safe context carried by an error. */
export type ErrorDetails = Record<string, unknown>;

/**
 * The one error class thrown by magikrun packages.
 *
 * @example
 * try { await runtime.start(id) } catch (e) {
 *   if (isMagikrunError(e, ErrorCode.InvalidState)) console.log(e.details.status)
 * }
 */
export class MagikrunError extends Error {
  override readonly name = 'MagikrunError';
  /** Stable category; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** Machine-readable context (the status, the limit, the digest…). */
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { name: string; code: ErrorCode; message: string; details: ErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** True when `e` is a {@link MagikrunError}, and (if given) has the code `code`. Works across package copies. */
export function isMagikrunError(e: unknown, code?: ErrorCode): e is MagikrunError {
  if (!(e instanceof Error) || e.name !== 'MagikrunError') return false;
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' && (code === undefined || c === code);
}

/** Shorthand constructor: `throw err('NOT_FOUND', 'container "x" does not exist', { id })`. */
export function err(code: ErrorCode, message: string, details?: ErrorDetails, cause?: unknown): MagikrunError {
  return new MagikrunError(code, message, { details, cause });
}
