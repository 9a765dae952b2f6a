/**
 * Where a pull's registry credentials come from, in docker/cli's order: credentials given through
 * the API win; else Docker's `config.json` — the registry's `credHelpers` entry, else `credsStore`,
 * else the `auths` entry (`auth` = base64 `user:pass`, `username`/`password`, or `identitytoken`).
 * A helper that has nothing for the registry falls back to `auths`, as docker/cli's native store does.
 *
 * @module image/credentials/resolve-credentials
 */
import { err, ErrorCode } from '../../errors.js';
import type { RegistryCredentials } from '../registry-auth.js';
import { runCredentialHelper } from './credential-helper.js';
import { findAuthEntry, findHelper, helperServerUrl, readDockerConfig, type DockerAuthEntry } from './docker-config.js';

/** Credentials from an `auths` entry, if it holds any. */
export function credentialsFromAuthEntry(e: DockerAuthEntry, where: string): RegistryCredentials | undefined {
  let username = e.username ?? '';
  let password = e.password ?? '';
  if (e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw err(ErrorCode.InvalidArgument, `the "auth" of ${where} is not base64 of user:password`, { where });
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (e.identitytoken) return { username, password: '', identityToken: e.identitytoken };
  if (username === '' && password === '') return undefined;
  return { username, password };
}

/**
 * Credentials for `registry` from Docker's config in `dir` (`$DOCKER_CONFIG` or `~/.docker` by default).
 *
 * @returns undefined when the config names none (anonymous).
 * @throws MagikrunError `INVALID_ARGUMENT` (malformed config.json), `UNAUTHORIZED` (a helper that fails).
 */
export async function dockerConfigCredentials(registry: string, dir?: string): Promise<RegistryCredentials | undefined> {
  const config = await readDockerConfig(dir);
  if (!config) return undefined;
  const helper = findHelper(config, registry);
  if (helper) {
    const got = await runCredentialHelper(helper, helperServerUrl(registry));
    if (got) return got.identityToken ? { username: '', password: '', identityToken: got.secret } : { username: got.username, password: got.secret };
  }
  const entry = findAuthEntry(config, registry);
  return entry ? credentialsFromAuthEntry(entry, `${config.path} auths entry for ${registry}`) : undefined;
}
