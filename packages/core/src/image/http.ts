/**
 * The one place that loads undici. It is imported on the first request, not when `@magikrun/core`
 * loads: undici takes 100-160 ms to import here, which every command that never reaches a registry
 * (running a pulled image, an OCI layout, `info`) would otherwise pay.
 *
 * @module image/http
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { tlsConnectOptions, type RegistryTlsOptions } from './tls.js';

type Undici = typeof import('undici');
let loaded: Promise<Undici> | undefined;
const load = () => (loaded ??= import('undici'));

/** undici's `request`, loaded once on first use. */
export async function httpRequest(...args: Parameters<Undici['request']>): Promise<Dispatcher.ResponseData> {
  return (await load()).request(...args) as Promise<Dispatcher.ResponseData>;
}

/** Connection settings of a registry agent. */
export interface AgentOptions extends RegistryTlsOptions {
  /** Time to establish TCP + TLS, in ms. */
  connectTimeoutMs: number;
  /** Longest silence while waiting for response headers or between body chunks, in ms. */
  idleTimeoutMs: number;
}

const agents = new Map<string, Promise<Dispatcher>>();

/** The proxy environment as curl and Go read it (upper or lower case). */
function proxyEnv(): { httpProxy?: string; httpsProxy?: string; noProxy?: string } {
  const pick = (...names: string[]) => names.map((n) => process.env[n]).find((v) => v !== undefined && v !== '');
  const httpProxy = pick('HTTP_PROXY', 'http_proxy');
  const httpsProxy = pick('HTTPS_PROXY', 'https_proxy') ?? httpProxy;
  const noProxy = pick('NO_PROXY', 'no_proxy');
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), ...(noProxy ? { noProxy } : {}) };
}

/**
 * An undici Agent with the system CA bundle (+ custom CA) and the connect / idle timeouts, shared by
 * every client with the same settings (so connections are reused across pulls). Idle sockets do not
 * keep the process alive (undici unrefs them).
 *
 * When `HTTPS_PROXY` / `HTTP_PROXY` (or lower-case) are set, requests go through that proxy (a CONNECT
 * tunnel; TLS to the registry end to end, with the same trust), except for hosts in `NO_PROXY` and for
 * loopback registries, which Go's ProxyFromEnvironment (skopeo, containerd) never proxies either —
 * the caller passes `loopback` for those.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for an unreadable custom CA.
 */
export function registryAgent(o: AgentOptions & { loopback?: boolean }): Promise<Dispatcher> {
  const tls = tlsConnectOptions(o);
  const proxy = o.loopback ? {} : proxyEnv();
  const key = createHash('sha256')
    .update(JSON.stringify([o.connectTimeoutMs, o.idleTimeoutMs, tls.rejectUnauthorized, proxy]))
    .update(tls.ca.join('\n'))
    .digest('hex');
  let agent = agents.get(key);
  if (!agent) {
    const connect = { timeout: o.connectTimeoutMs, ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized };
    const common = { connect, headersTimeout: o.idleTimeoutMs, bodyTimeout: o.idleTimeoutMs };
    agent = load().then((u) =>
      proxy.httpProxy || proxy.httpsProxy
        ? new u.EnvHttpProxyAgent({
            ...common,
            ...proxy,
            requestTls: connect,
            proxyTls: { timeout: o.connectTimeoutMs, ca: tls.ca },
          })
        : new u.Agent(common),
    );
    agents.set(key, agent);
  }
  return agent;
}
