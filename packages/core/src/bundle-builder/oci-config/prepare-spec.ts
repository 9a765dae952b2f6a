/**
 * From an image, its unpacked rootfs and the caller's options to a checked config.json document:
 * resolves argv, env, working directory (created in the rootfs), user (from the rootfs's own
 * /etc/passwd and /etc/group), hostname, network and its /etc files (written into the bundle
 * directory), bind mounts, resources, annotations and the seccomp profile, then validates.
 *
 * @module bundle-builder/oci-config/prepare-spec
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { PulledImage } from '../../image/types.js';
import { DEFAULT_PATH } from '../locate-entrypoint.js';
import { mkdirInRoot } from '../../rootfs/in-root.js';
import { resolveArgv, resolveEnv, resolveWorkdir, type RunOptions } from '../run-config.js';
import { annotationsFor } from './annotations.js';
import { bindMounts } from './bind-mounts.js';
import { capabilitiesFor } from './capabilities.js';
import { generateOciSpec } from './generate-spec.js';
import { checkHostname, hostnameFromId } from './hostname.js';
import { planNetwork, type NetworkMode } from './network.js';
import { resourcesFor } from '../../runtime/oci-resources.js';
import type { ResourceLimits } from '../../runtime/limits.js';
import { resolveUser } from './resolve-user.js';
import { resolveSeccompProfile } from './seccomp.js';
import type { OciSpec, SpecMount } from './spec-types.js';
import { validateOciConfig } from './validate-config.js';

/** The caller's options for an OCI container (Docker's `run` semantics for each). */
export interface OciSpecOptions extends RunOptions {
  /**
   * User as `NAME`, `UID`, `NAME:GROUP` or `UID:GID`, replacing the image's `User`; names are
   * looked up in the image's own /etc/passwd and /etc/group. @default the image's User, else root
   */
  user?: string;
  /** The container's hostname. @default derived from the bundle id (the host's for network `host`) */
  hostname?: string;
  /** Annotations added to (and overriding) the image's. */
  annotations?: Readonly<Record<string, string>>;
  /**
   * Limits: memory, CPUs and pids are written to `linux.resources`; all are kept in `OciBundle.resources`
   * (a runtime refuses wall clock and fuel unless it enforces them). @default none
   */
  resources?: ResourceLimits;
  /** `none` (own namespace, loopback only), `host`, or a network namespace path. @default 'none' */
  network?: NetworkMode;
}

/** Where the document is prepared. */
export interface SpecContext {
  image: Pick<PulledImage, 'reference' | 'digest' | 'platform' | 'config'>;
  /** Host path of the unpacked rootfs (in the staging directory). */
  rootfs: string;
  /** Directory where the bundle is being staged: the /etc files are written here. */
  stagingDir: string;
  /** Where the bundle will be once renamed into place: bind sources point here (absolute). */
  finalDir: string;
  /** Bundle id, for the default hostname. */
  id: string;
  /** Host architecture (GOARCH) for the seccomp profile. @default the host's */
  arch?: string;
}

async function writeFile0644(file: string, content: string): Promise<void> {
  const fh = await open(file, 'wx', 0o644);
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}

/**
 * Prepare and validate the document; writes `hosts`, `hostname` and `resolv.conf` (as the network
 * mode needs) into `ctx.stagingDir` and creates the working directory in the rootfs.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (nothing to run, malformed env/user/hostname/network/
 *   volumes/resources/annotations, a working directory that is a file in the image, an invalid
 *   generated document with its JSON pointer), `NOT_FOUND` (a user or group name the image lacks, a
 *   network namespace path that does not exist), `LIMIT_EXCEEDED` (oversized /etc/passwd),
 *   `UNSUPPORTED` (a host architecture without a seccomp profile).
 */
export async function prepareOciSpec(ctx: SpecContext, options: OciSpecOptions): Promise<OciSpec> {
  const config = ctx.image.config.config;
  const args = resolveArgv(config, options, undefined, ctx.image.reference);
  const cwd = resolveWorkdir(config, options);
  // containerd's WithDefaultPathEnv: PATH first, the image's entries replace it, the caller's win.
  let env = resolveEnv([`PATH=${DEFAULT_PATH}`, ...(config.Env ?? [])], options.env);
  const binds = await bindMounts(options.volumes);
  const resources = resourcesFor(options.resources);
  const network = await planNetwork(options.network);
  const hostname = options.hostname !== undefined ? checkHostname(options.hostname) : (network.defaultHostname ?? hostnameFromId(ctx.id));
  const annotations = annotationsFor(ctx.image, options.annotations);

  const user = await resolveUser(ctx.rootfs, options.user ?? config.User);
  if (!env.some((e) => e.startsWith('HOME='))) env = [...env, `HOME=${user.home}`];
  await mkdirInRoot(ctx.rootfs, cwd); // Docker creates a missing WORKDIR (container.SetupWorkingDirectory)

  const etcMounts: SpecMount[] = [];
  const userDestinations = new Set(binds.map((b) => b.destination));
  for (const f of await network.files(hostname)) {
    if (userDestinations.has(f.guestPath)) continue; // the caller's own file wins, as with docker -v
    let source: string;
    if ('content' in f) {
      await writeFile0644(path.join(ctx.stagingDir, f.bundleName), f.content);
      source = path.join(ctx.finalDir, f.bundleName);
    } else source = f.hostPath;
    etcMounts.push({ destination: f.guestPath, type: 'bind', source, options: ['rbind', 'rprivate', 'ro'] });
  }

  const capabilities = capabilitiesFor(user.uid);
  const seccomp = resolveSeccompProfile({ arch: ctx.arch, capabilities: capabilities.bounding ?? [] });
  const doc = generateOciSpec({ args, env, cwd, user, hostname, network: network.namespace, extraMounts: [...etcMounts, ...binds], resources, annotations, seccomp });
  return validateOciConfig(doc);
}
