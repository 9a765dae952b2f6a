/**
 * Where a pull's registry credentials come from: credentials given through the API win; else the
 * containers auth files (skopeo, podman) and Docker's `config.json`, in skopeo's order. In each file,
 * docker/cli's rule: the registry's `credHelpers` entry, else `credsStore`, else the `auths` entry
 * (`auth` = base64 `user:pass`, `username`/`password`, or `identitytoken`). A helper that has nothing
 * for the registry falls back to `auths`, as docker/cli's native store does.
 *
 * @module image/credentials/resolve-credentials
 */
import { err, ErrorCode } from '../../errors.js';
import type { RegistryCredentials } from './types.js';
import { runCredentialHelper } from './credential-helper.js';
import path from 'node:path';
import {
  containersAuthFiles,
  dockerConfigDir,
  findAuthEntry,
  findHelper,
  helperServerUrl,
  readAuthFile,
  type DockerAuthEntry,
  type DockerConfigFile,
} from './docker-config.js';

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

/** Credentials for `registry` from one parsed auth file: its helper, else its `auths` entry. */
async function fromFile(config: DockerConfigFile, registry: string): Promise<RegistryCredentials | undefined> {
  const helper = findHelper(config, registry);
  if (helper) {
    const got = await runCredentialHelper(helper, helperServerUrl(registry));
    if (got) return got.identityToken ? { username: '', password: '', identityToken: got.secret } : { username: got.username, password: got.secret };
  }
  const entry = findAuthEntry(config, registry);
  return entry ? credentialsFromAuthEntry(entry, `${config.path} auths entry for ${registry}`) : undefined;
}

/**
 * Credentials for `registry` from the auth files users log in with.
 *
 * With `dir`, only `<dir>/config.json`. Without it, skopeo's order: the containers auth files
 * ({@link containersAuthFiles}: `$REGISTRY_AUTH_FILE`, podman's `auth.json`), then Docker's
 * `config.json` (`$DOCKER_CONFIG` or `~/.docker`); the first file that names the registry wins.
 *
 * @returns undefined when no file names it (anonymous).
 * @throws MagikrunError `INVALID_ARGUMENT` (a malformed file), `UNAUTHORIZED` (a helper that fails).
 */
export async function dockerConfigCredentials(registry: string, dir?: string): Promise<RegistryCredentials | undefined> {
  const files = dir !== undefined ? [path.join(dir, 'config.json')] : [...containersAuthFiles(), path.join(dockerConfigDir(), 'config.json')];
  for (const file of files) {
    const config = await readAuthFile(file);
    if (!config) continue;
    const got = await fromFile(config, registry);
    if (got) return got;
  }
  return undefined;
}
