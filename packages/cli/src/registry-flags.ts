/**
 * The registry access flags of `pull` and `run` (named as skopeo and nerdctl name them) into
 * `RegistryAccessOptions`: credentials, Docker config, TLS trust, plain HTTP, timeouts,
 * non-distributable layers.
 *
 * @module registry-flags
 */
import type { Command } from 'commander';
import { err, ErrorCode, type RegistryAccessOptions } from '@magikrun/core';
import { parseDurationMs } from './units.js';

/** The flags as commander parses them. */
export interface RegistryFlags {
  creds?: string;
  dockerConfig?: string;
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  plainHttp?: boolean;
  connectTimeout?: string;
  idleTimeout?: string;
  allowNondistributable?: boolean;
}

/** Add the registry flags to `cmd`. */
export function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option('--creds <user:password>', 'registry credentials (default: from Docker config.json and credential helpers)')
    .option('--docker-config <dir>', 'read credentials only from DIR/config.json (default: $REGISTRY_AUTH_FILE, podman auth.json, then $DOCKER_CONFIG or ~/.docker)')
    .option('--ca <file>', 'also trust this PEM CA certificate for registry TLS (the system CA bundle is always loaded)')
    .option('--insecure-skip-tls-verify', 'do not verify registry TLS certificates (throw-away registries only)')
    .option('--plain-http', 'talk plain HTTP to a registry that is not on loopback')
    .option('--no-plain-http', 'use HTTPS even for a loopback registry (plain HTTP is its default)')
    .option('--connect-timeout <duration>', 'time to connect to a registry: seconds, or a duration such as 1m30s (default 30s)')
    .option('--idle-timeout <duration>', 'longest stall of a registry transfer: seconds, or a duration such as 1m (default 60s)')
    .option('--allow-nondistributable', 'fetch non-distributable (foreign) layers, from their urls if needed');
}

/**
 * The options for `pullImage`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for `--creds` without a colon or a malformed duration.
 */
export function registryAccessFrom(flags: RegistryFlags): RegistryAccessOptions {
  const o: RegistryAccessOptions = {};
  if (flags.creds !== undefined) {
    const colon = flags.creds.indexOf(':');
    if (colon <= 0) throw err(ErrorCode.InvalidArgument, '--creds: expected USER:PASSWORD', {});
    o.credentials = { username: flags.creds.slice(0, colon), password: flags.creds.slice(colon + 1) };
  }
  if (flags.dockerConfig !== undefined) o.dockerConfig = flags.dockerConfig;
  if (flags.ca !== undefined) o.ca = flags.ca;
  if (flags.insecureSkipTlsVerify) o.insecureSkipTlsVerify = true;
  if (flags.plainHttp !== undefined) o.plainHttp = flags.plainHttp;
  if (flags.connectTimeout !== undefined) o.connectTimeoutMs = parseDurationMs('--connect-timeout', flags.connectTimeout);
  if (flags.idleTimeout !== undefined) o.idleTimeoutMs = parseDurationMs('--idle-timeout', flags.idleTimeout);
  if (flags.allowNondistributable) o.allowNonDistributable = true;
  return o;
}
