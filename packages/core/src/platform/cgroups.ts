/**
 * cgroup mode detection, following libcgroups' `get_cgroup_setup`: the root `/sys/fs/cgroup` being a
 * cgroup2 hierarchy (it has `cgroup.controllers`) means unified (v2); otherwise a cgroup2 hierarchy at
 * `/sys/fs/cgroup/unified` beside v1 controllers means hybrid; v1 controllers alone mean legacy (v1).
 * libcgroups stat()s the filesystem magic; Node cannot, so the files each filesystem holds decide.
 *
 * @module platform/cgroups
 */
import type { HostFs } from './host-fs.js';
import type { CgroupsStatus } from './types.js';

const ROOT = '/sys/fs/cgroup';
const UNIFIED = '/sys/fs/cgroup/unified';
/** Named (controller-less) v1 hierarchies that are not controllers. */
const NAMED_HIERARCHIES = new Set(['systemd', 'unified', 'elogind']);

/** v1 controllers: directories under `/sys/fs/cgroup` that are cgroup roots (hold `cgroup.procs`). */
async function v1Controllers(fs: HostFs): Promise<string[]> {
  const out = new Set<string>();
  for (const name of (await fs.list(ROOT)) ?? []) {
    if (NAMED_HIERARCHIES.has(name) || name.startsWith('name=')) continue;
    if (!(await fs.exists(`${ROOT}/${name}/cgroup.procs`))) continue;
    for (const c of name.split(',')) if (c) out.add(c);
  }
  return [...out].sort();
}

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean).sort();
}

/** Detect how cgroups are mounted. */
export async function detectCgroups(fs: HostFs, os: NodeJS.Platform): Promise<CgroupsStatus> {
  if (os !== 'linux') {
    return { available: false, mode: 'none', controllers: [], reason: `cgroups are a Linux kernel feature; this host is ${os}` };
  }
  const rootControllers = await fs.readText(`${ROOT}/cgroup.controllers`);
  if (rootControllers !== undefined) {
    const controllers = words(rootControllers);
    return {
      available: true, mode: 'v2', version: 2, controllers, unifiedPath: ROOT,
      reason: `cgroup v2 (unified) is mounted at ${ROOT} with controllers: ${controllers.join(', ') || '(none)'}`,
    };
  }
  const v1 = await v1Controllers(fs);
  const unifiedControllers = await fs.readText(`${UNIFIED}/cgroup.controllers`);
  if (unifiedControllers !== undefined && v1.length > 0) {
    const u = words(unifiedControllers);
    return {
      available: true, mode: 'hybrid', version: 1, controllers: v1, unifiedPath: UNIFIED,
      reason: `cgroups are in hybrid mode: v1 controllers (${v1.join(', ')}) under ${ROOT}, cgroup2 at ${UNIFIED} with ${u.length ? `controllers ${u.join(', ')}` : 'no controllers'}; runtimes use the v1 hierarchy (crun refuses hybrid hosts, runc and youki accept them)`,
    };
  }
  if (unifiedControllers !== undefined) {
    const u = words(unifiedControllers);
    return {
      available: true, mode: 'v2', version: 2, controllers: u, unifiedPath: UNIFIED,
      reason: `only a cgroup2 hierarchy is mounted, at ${UNIFIED} (controllers: ${u.join(', ') || '(none)'})`,
    };
  }
  if (v1.length > 0) {
    return { available: true, mode: 'v1', version: 1, controllers: v1, reason: `cgroup v1 (legacy) controllers are mounted under ${ROOT}: ${v1.join(', ')}` };
  }
  return { available: false, mode: 'none', controllers: [], reason: `no cgroup hierarchy is mounted under ${ROOT}; mount cgroup2 there (mount -t cgroup2 none ${ROOT})` };
}
