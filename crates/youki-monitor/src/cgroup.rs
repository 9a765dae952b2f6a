//! Refusing a cgroup another container uses; the container's memory cgroup, found from its init's `/proc/<pid>/cgroup`, and its OOM kill count
//! (v1 `memory.oom_control` line `oom_kill N`; v2 `memory.events` line `oom_kill N`).

use std::path::PathBuf;

use libcgroups::common::{create_cgroup_manager, get_cgroup_setup, CgroupConfig, CgroupManager, CgroupSetup};

use magikrun_native_error::{fail, NResult, Code};

/// Refuse to create a container in a cgroup that already holds processes, as runc does ("container's
/// cgroup is not empty"): libcontainer would add the init to it, apply this bundle's limits to the
/// other processes there, and on delete — or on a failed create — SIGKILL them all. Without
/// `linux.cgroupsPath` the cgroup is named after the id alone (`:youki:<id>`), so the same id under
/// another state root is exactly that case. A cgroup that cannot be read is left to libcontainer.
/// @throws ALREADY_EXISTS
pub fn ensure_free(cgroups_path: Option<&std::path::Path>, id: &str, systemd: bool) -> NResult<()> {
    let path = cgroups_path.map(|p| p.to_path_buf()).unwrap_or_else(|| PathBuf::from(format!(":youki:{id}")));
    let Ok(manager) = create_cgroup_manager(CgroupConfig { cgroup_path: path.clone(), systemd_cgroup: systemd, container_name: id.to_owned() }) else { return Ok(()) };
    match manager.get_all_pids() {
        Ok(pids) if !pids.is_empty() => fail(
            Code::AlreadyExists,
            format!(
                "the cgroup {} already holds {} process(es) of another container (the same id under another state root, or a bundle with the same linux.cgroupsPath): choose another id or cgroupsPath",
                path.display(),
                pids.len()
            ),
        ),
        _ => Ok(()),
    }
}

/// The file that counts the OOM kills of `pid`'s memory cgroup, or `None` when there is none.
pub fn oom_events_file(pid: i32) -> Option<PathBuf> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    match get_cgroup_setup().ok()? {
        CgroupSetup::Legacy | CgroupSetup::Hybrid => {
            let rel = text.lines().find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
                controllers.split(',').any(|c| c == "memory").then(|| path.to_owned())
            })?;
            let mount = libcgroups::v1::util::get_subsystem_mount_point(&libcgroups::v1::ControllerType::Memory).ok()?;
            Some(mount.join(rel.trim_start_matches('/')).join("memory.oom_control"))
        }
        CgroupSetup::Unified => {
            // Unverified on these hybrid hosts: the v2 path.
            let rel = text.lines().find_map(|l| l.strip_prefix("0::").map(str::to_owned))?;
            let mount = libcgroups::v2::util::get_unified_mount_point().ok()?;
            Some(mount.join(rel.trim_start_matches('/')).join("memory.events"))
        }
    }
}

/// The `oom_kill` count in that file (0 when it cannot be read).
pub fn oom_kills(file: &str) -> u64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("oom_kill ").and_then(|n| n.trim().parse().ok())))
        .unwrap_or(0)
}
