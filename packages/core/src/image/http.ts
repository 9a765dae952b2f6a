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

/**
 * An undici Agent with the system CA bundle (+ custom CA) and the connect / idle timeouts, shared by
 * every client with the same settings (so connections are reused across pulls). Idle sockets do not
 * keep the process alive (undici unrefs them).
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for an unreadable custom CA.
 */
export function registryAgent(o: AgentOptions): Promise<Dispatcher> {
  const tls = tlsConnectOptions(o);
  const key = createHash('sha256')
    .update(JSON.stringify([o.connectTimeoutMs, o.idleTimeoutMs, tls.rejectUnauthorized]))
    .update(tls.ca.join('\n'))
    .digest('hex');
  let agent = agents.get(key);
  if (!agent) {
    agent = load().then(
      (u) =>
        new u.Agent({
          connect: { timeout: o.connectTimeoutMs, ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized },
          headersTimeout: o.idleTimeoutMs,
          bodyTimeout: o.idleTimeoutMs,
        }),
    );
    agents.set(key, agent);
  }
  return agent;
}
