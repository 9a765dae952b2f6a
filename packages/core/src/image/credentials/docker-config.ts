/**
 * Docker's client configuration, `config.json` (docker/cli `cli/config/configfile`): where registry
 * credentials live for `docker login`, skopeo, containerd's `ctr --user` and nerdctl.
 *
 * ```json
 * { "auths": { "https://index.docker.io/v1/": { "auth": "base64(user:pass)" },
 *              "ghcr.io": { "identitytoken": "…" } },
 *   "credHelpers": { "123456789012.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" },
 *   "credsStore": "desktop" }
 * ```
 *
 * @module image/credentials/docker-config
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { err, ErrorCode } from '../../errors.js';
import { DOCKER_HUB } from '../reference.js';

/** The key Docker uses for Docker Hub in `auths` and as a helper's server URL. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** Largest config.json read, in bytes: 4 MiB. */
const MAX_CONFIG_SIZE = 4 * 1024 * 1024;

/** One `auths` entry. */
export interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The parts of config.json that concern registry credentials. */
export interface DockerConfigFile {
  /** Where it was read from. */
  path: string;
  auths: Record<string, DockerAuthEntry>;
  credHelpers: Record<string, string>;
  credsStore: string | undefined;
}

/**
 * The directory of Docker's config: `dir` when given, else `$DOCKER_CONFIG`, else `~/.docker`.
 */
export function dockerConfigDir(dir?: string): string {
  return dir ?? process.env.DOCKER_CONFIG ?? path.join(homedir(), '.docker');
}

/**
 * Docker's ConvertToHostname: `https://index.docker.io/v1/` → `index.docker.io`, `ghcr.io` → `ghcr.io`.
 */
export function authKeyHostname(key: string): string {
  let s = key.replace(/^https?:\/\//, '');
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(0, slash);
  return s;
}

/** The server names Docker's config may use for `registry` (Docker Hub has several). */
export function authKeysFor(registry: string): string[] {
  if (registry === DOCKER_HUB) return [DOCKER_HUB_AUTH_KEY, 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry];
}

/** The server URL a credential helper is asked about (Docker's rule: the Hub URL, else the host). */
export function helperServerUrl(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry;
}

/**
 * Read `<dir>/config.json`.
 *
 * @returns the parsed file, or undefined when it does not exist.
 * @throws MagikrunError `INVALID_ARGUMENT` when it exists but is not valid JSON of the expected shape
 *   (as `docker` does, rather than silently pulling anonymously).
 */
export async function readDockerConfig(dir?: string): Promise<DockerConfigFile | undefined> {
  return readAuthFile(path.join(dockerConfigDir(dir), 'config.json'));
}

/**
 * The auth files skopeo and podman read before Docker's (containers-auth.json(5)): `$REGISTRY_AUTH_FILE`,
 * `$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json` (default
 * `~/.config/containers/auth.json`). Same format as config.json.
 */
export function containersAuthFiles(): string[] {
  const out: string[] = [];
  if (process.env.REGISTRY_AUTH_FILE) out.push(process.env.REGISTRY_AUTH_FILE);
  if (process.env.XDG_RUNTIME_DIR) out.push(path.join(process.env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  out.push(path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'containers', 'auth.json'));
  return out;
}

/**
 * Read an auth file in config.json format (`auths`, `credHelpers`, `credsStore`).
 *
 * @returns the parsed file, or undefined when it does not exist or cannot be read.
 * @throws MagikrunError `INVALID_ARGUMENT` when it exists but is not valid JSON of the expected shape.
 */
export async function readAuthFile(file: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_CONFIG_SIZE) throw err(ErrorCode.InvalidArgument, `${file} is larger than ${MAX_CONFIG_SIZE} bytes; it is not a Docker config`, { path: file });
    text = buf.toString('utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EACCES') return undefined;
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `the Docker config ${file} is not valid JSON; fix it or pass dockerConfig: false`, { path: file }, e);
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(doc)) throw err(ErrorCode.InvalidArgument, `the Docker config ${file} is not a JSON object`, { path: file });
  const auths: Record<string, DockerAuthEntry> = {};
  if (isObj(doc.auths)) {
    for (const [k, v] of Object.entries(doc.auths)) {
      if (!isObj(v)) continue;
      const e: DockerAuthEntry = {};
      for (const f of ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const) if (typeof v[f] === 'string' && v[f]) e[f] = v[f];
      auths[k] = e;
    }
  }
  const credHelpers: Record<string, string> = {};
  if (isObj(doc.credHelpers)) for (const [k, v] of Object.entries(doc.credHelpers)) if (typeof v === 'string' && v) credHelpers[k] = v;
  const credsStore = typeof doc.credsStore === 'string' && doc.credsStore ? doc.credsStore : undefined;
  return { path: file, auths, credHelpers, credsStore };
}

/**
 * The `auths` entry for `registry`: an exact key first, then any key whose hostname matches
 * (docker/cli's GetAuthConfig / `ConvertToHostname`).
 */
export function findAuthEntry(config: DockerConfigFile, registry: string): DockerAuthEntry | undefined {
  const keys = authKeysFor(registry);
  for (const k of keys) if (config.auths[k]) return config.auths[k];
  const hosts = new Set(keys.map(authKeyHostname));
  for (const [k, v] of Object.entries(config.auths)) if (hosts.has(authKeyHostname(k))) return v;
  return undefined;
}

/** The helper configured for `registry` in `credHelpers` (by hostname), else `credsStore`. */
export function findHelper(config: DockerConfigFile, registry: string): string | undefined {
  const keys = authKeysFor(registry);
  for (const k of keys) if (config.credHelpers[k]) return config.credHelpers[k];
  const hosts = new Set(keys.map(authKeyHostname));
  for (const [k, v] of Object.entries(config.credHelpers)) if (hosts.has(authKeyHostname(k))) return v;
  return config.credsStore;
}
