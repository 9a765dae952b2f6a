/**
 * Assembling a config.json document from resolved parts: `runc spec`'s Linux template plus what
 * containerd adds (oci/spec.go `populateDefaultUnixSpec`), and the image's and caller's settings.
 * Pure: every file-system lookup happened before (see `prepareOciSpec`).
 *
 * @module bundle-builder/oci-config/generate-spec
 */
import { capabilitiesFor } from './capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, defaultDeviceRules, defaultMounts, defaultNamespaces, defaultRlimits } from './default-linux.js';
import { OCI_VERSION } from './oci-version.js';
import type { ResolvedUser } from './resolve-user.js';
import type { OciSpec, SpecMount, SpecNamespace, SpecResources, SpecSeccomp } from './spec-types.js';

/** Everything {@link generateOciSpec} needs, already resolved and checked. */
export interface SpecParts {
  /** argv (Entrypoint + Cmd after overrides). */
  args: string[];
  /** `KEY=VALUE`, PATH and HOME included. */
  env: string[];
  /** Absolute working directory. */
  cwd: string;
  user: ResolvedUser;
  hostname: string;
  /** The network namespace entry; undefined shares the host's network. */
  network: SpecNamespace | undefined;
  /** Mounts after the defaults: the /etc files, then the caller's binds. */
  extraMounts: SpecMount[];
  /** memory / cpu / pids. */
  resources: Omit<SpecResources, 'devices'>;
  annotations: Record<string, string>;
  /** The resolved seccomp profile. */
  seccomp: SpecSeccomp;
  /** `root.path`. @default 'rootfs' */
  rootPath?: string;
}

/**
 * The config.json document (not yet validated).
 *
 * - process: `terminal: false` (stdio are pipes or files), the user with its supplementary groups,
 *   Docker's 14 capabilities (bounding only for non-root), RLIMIT_NOFILE 1024:1024, `noNewPrivileges`;
 * - root: `rootfs`, writable (as Docker and containerd; runc spec's default is read-only);
 * - mounts: proc, /dev tmpfs, devpts, /dev/shm, mqueue, read-only sysfs and cgroup, then `extraMounts`;
 * - linux: pid/ipc/uts/mount(/network) namespaces, device rules deny-all plus the standard devices,
 *   masked and read-only paths, the seccomp profile, the resources.
 */
export function generateOciSpec(parts: SpecParts): OciSpec {
  const namespaces = defaultNamespaces().filter((ns) => ns.type !== 'network');
  if (parts.network) namespaces.push({ ...parts.network });
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: parts.user.uid, gid: parts.user.gid, additionalGids: [...parts.user.additionalGids] },
      args: [...parts.args],
      env: [...parts.env],
      cwd: parts.cwd,
      capabilities: capabilitiesFor(parts.user.uid),
      rlimits: defaultRlimits(),
      noNewPrivileges: true,
    },
    root: { path: parts.rootPath ?? 'rootfs', readonly: false },
    hostname: parts.hostname,
    mounts: [...defaultMounts(), ...parts.extraMounts],
    annotations: { ...parts.annotations },
    linux: {
      namespaces,
      resources: { devices: defaultDeviceRules(), ...parts.resources },
      seccomp: parts.seccomp,
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
