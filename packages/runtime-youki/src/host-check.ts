/**
 * Capability first: a host that cannot run youki containers says why, before anything is spawned.
 *
 * @module host-check
 */
import { err, ErrorCode } from '@magikrun/core/errors';
import { Platform } from '@magikrun/core/platform';

/**
 * What this host lacks for Linux containers through libcontainer: root, namespaces, cgroups.
 * Empty when it has all of them.
 */
export function missingForYouki(platform: Platform): string[] {
  const missing: string[] = [];
  if (platform.os !== 'linux') return [`Linux (this host runs ${platform.os})`];
  if (!platform.root) missing.push(`root (the effective uid is ${platform.uid ?? 'unknown'}; rootless containers are not supported)`);
  const ns = platform.capabilities.namespaces;
  if (!ns.available) missing.push(`namespaces (${ns.reason})`);
  const cg = platform.capabilities.cgroups;
  if (!cg.available) missing.push(`cgroups (${cg.reason})`);
  return missing;
}

/** @throws MagikrunError `UNAVAILABLE` naming everything missing (`details.missing`). */
export function assertYoukiHost(platform: Platform): void {
  const missing = missingForYouki(platform);
  if (missing.length === 0) return;
  throw err(ErrorCode.Unavailable, `Linux containers (youki) cannot run on this host: it lacks ${missing.join('; ')}`, {
    reason: 'host capability missing',
    missing,
  });
}
