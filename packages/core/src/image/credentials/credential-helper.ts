/**
 * Docker credential helpers (docker/docker-credential-helpers protocol): run
 * `docker-credential-<name> get`, write the server URL on stdin, read
 * `{"ServerURL":"…","Username":"…","Secret":"…"}` from stdout. A `Username` of `<token>` means the
 * secret is an identity (OAuth2 refresh) token. "credentials not found" means anonymous.
 *
 * @module image/credentials/credential-helper
 */
import { execFile } from 'node:child_process';
import { err, ErrorCode } from '../../errors.js';

/** How long a helper may take, in ms: 30 000 (a keychain prompt or an AWS call may be slow). */
export const CREDENTIAL_HELPER_TIMEOUT_MS = 30_000;
/** Largest helper output read, in bytes: 1 MiB. */
const MAX_HELPER_OUTPUT = 1024 * 1024;
/** docker-credential-helpers' `ErrCredentialsNotFound` message. */
const NOT_FOUND = /credentials not found/i;

/** What a helper gave. */
export interface HelperCredentials {
  username: string;
  secret: string;
  /** True when the secret is an identity token (`Username` was `<token>`). */
  identityToken: boolean;
}

/**
 * Ask `docker-credential-<helper>` (found on `PATH`) for the credentials of `serverUrl`.
 *
 * @returns the credentials, or undefined when the helper has none for this server.
 * @throws MagikrunError `INVALID_ARGUMENT` for a helper name with a path separator; `UNAUTHORIZED`
 *   when the helper is missing, fails, times out or prints something that is not its JSON.
 */
export async function runCredentialHelper(helper: string, serverUrl: string, timeoutMs = CREDENTIAL_HELPER_TIMEOUT_MS): Promise<HelperCredentials | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    throw err(ErrorCode.InvalidArgument, `credential helper name ${JSON.stringify(helper)} is not allowed (letters, digits, ".", "_", "-")`, { helper });
  }
  const program = `docker-credential-${helper}`;
  const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: (Error & { code?: unknown; killed?: boolean }) | null }>((resolve) => {
    const child = execFile(program, ['get'], { timeout: timeoutMs, maxBuffer: MAX_HELPER_OUTPUT, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) =>
      resolve({ stdout, stderr, error }),
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverUrl);
  });
  if (error) {
    const out = `${stdout}\n${stderr}`;
    if (NOT_FOUND.test(out)) return undefined;
    const why =
      error.code === 'ENOENT'
        ? `${program} is not on PATH; install it or remove it from Docker's config.json`
        : error.killed
          ? `${program} did not answer within ${timeoutMs} ms`
          : `${program} failed: ${(stderr || stdout || error.message).trim().slice(0, 300)}`;
    throw err(ErrorCode.Unauthorized, `cannot get credentials for ${serverUrl}: ${why}`, { helper, serverUrl });
  }
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch (e) {
    throw err(ErrorCode.Unauthorized, `cannot get credentials for ${serverUrl}: ${program} printed something that is not JSON`, { helper, serverUrl }, e);
  }
  if (typeof doc.Secret !== 'string' || doc.Secret === '') return undefined;
  const username = typeof doc.Username === 'string' ? doc.Username : '';
  return { username, secret: doc.Secret, identityToken: username === '<token>' };
}
