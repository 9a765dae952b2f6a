//! OCI `delete`: for a stopped container (or any, with force: SIGKILL, then wait for the exit
//! record) remove the cgroups (libcontainer's delete), unmount the rootfs mounts and remove the
//! state directory. Nothing of the container is left afterwards.

use std::path::Path;
use std::time::{Duration, Instant};

use libcgroups::common::{create_cgroup_manager, CgroupConfig, CgroupManager};
use libcontainer::config::YoukiConfig;
use libcontainer::container::Container;

use super::inspect::{inspect, Inspection, Status};
use super::kill::kill_inspected;
use super::lock::lock;
use magikrun_native_error::{chain, fail, NResult, NativeError, Code};
use magikrun_youki_shared::fsutil::{exists, remove_tree};
use magikrun_youki_shared::layout::{temp_name, ContainerPaths, DELETING_PREFIX};
use magikrun_youki_shared::mounts;
use magikrun_youki_shared::proc;

/// Wait until `pid` has exited (pidfd poll), at most until `deadline`. True when it has.
fn wait_gone(id: proc::ProcessId, deadline: Instant) -> bool {
    let Some(fd) = proc::open_checked(id) else { return true };
    let left = deadline.saturating_duration_since(Instant::now());
    proc::poll_exit(&fd, left.as_millis().min(i32::MAX as u128) as i32)
}

/// Bring a container that is not stopped to a full stop: SIGKILL, then wait for the monitor to write
/// the exit record and exit. @throws TIMEOUT
fn force_stop(root: &Path, mut ins: Inspection, deadline: Instant) -> NResult<Inspection> {
    while ins.status == Status::Creating {
        if Instant::now() >= deadline {
            return fail(Code::Timeout, format!("container {:?} is still being created; try again", ins.paths.id));
        }
        std::thread::sleep(Duration::from_millis(10));
        ins = inspect(root, &ins.paths.id)?;
    }
    if matches!(ins.status, Status::Created | Status::Running) {
        match kill_inspected(&ins, libc::SIGKILL) {
            Ok(()) => {}
            Err(e) if e.code == Code::InvalidState => {}
            Err(e) => return Err(e),
        }
    }
    // The monitor records the exit and reaps; an orphaned init (its monitor died) is killed directly.
    if !wait_gone(ins.monitor.monitor(), deadline) {
        return fail(Code::Timeout, format!("the monitor of container {:?} (pid {}) did not exit", ins.paths.id, ins.monitor.monitor_pid));
    }
    if let Some(init) = ins.init_process() {
        if proc::is_alive(init) {
            if let Some(fd) = proc::open_checked(init) {
                let _ = proc::pidfd_send_signal(&fd, libc::SIGKILL);
            }
            if !wait_gone(init, deadline) {
                return fail(Code::Timeout, format!("the init of container {:?} (pid {}) did not exit after SIGKILL", ins.paths.id, init.pid));
            }
        }
    }
    inspect(root, &ins.paths.id)
}

/// libcontainer's delete (cgroups, poststop hooks, its directory); when its state is unreadable
/// (creation died half-way), the cgroup named in its config is removed directly.
fn delete_libcontainer(paths: &ContainerPaths) -> NResult<()> {
    let dir = paths.libcontainer_dir();
    if !exists(&dir) {
        return Ok(());
    }
    match Container::load(dir.clone()) {
        Ok(mut c) => c.delete(true).map_err(|e| NativeError::new(Code::Internal, format!("libcontainer could not delete container {:?}: {}", paths.id, chain(&e)))),
        Err(_) => {
            if let Ok(config) = YoukiConfig::load(&dir) {
                let manager = create_cgroup_manager(CgroupConfig { cgroup_path: config.cgroup_path.clone(), systemd_cgroup: false, container_name: paths.id.clone() })
                    .map_err(|e| NativeError::new(Code::Internal, format!("cgroup manager for {:?}: {}", paths.id, chain(&e))))?;
                manager.remove().map_err(|e| NativeError::new(Code::Internal, format!("remove the cgroup of {:?}: {}", paths.id, chain(&e))))?;
            }
            remove_tree(&dir)
        }
    }
}

/// Remove a stopped container's resources and state. Used by delete and by list's stale cleanup.
pub fn remove_stopped(root: &Path, ins: &Inspection) -> NResult<()> {
    delete_libcontainer(&ins.paths)?;
    let cfg = &ins.monitor.config;
    if !cfg.rootfs_mounts.is_empty() {
        if let Ok(rootfs) = std::fs::canonicalize(&cfg.rootfs) {
            mounts::unmount_all(&rootfs, cfg.rootfs_mounts.len())?;
        }
    }
    // Disappear at once (a concurrent state() sees NOT_FOUND, never a half-removed directory).
    let gone = root.join(temp_name(DELETING_PREFIX, ""));
    std::fs::rename(&ins.paths.dir, &gone).map_err(|e| NativeError::io(format!("rename {}", ins.paths.dir.display()), &e))?;
    remove_tree(&gone)
}

/// Delete container `id`. @throws NOT_FOUND, INVALID_STATE (not stopped, without force), TIMEOUT
pub fn delete(root: &Path, id: &str, force: bool, timeout: Duration) -> NResult<()> {
    let paths = ContainerPaths::new(root, id)?;
    let _guard = lock(&paths, true)?;
    let mut ins = inspect(root, id)?;
    if ins.status != Status::Stopped {
        if !force {
            return Err(NativeError::new(
                Code::InvalidState,
                format!("cannot delete container {id:?}: its status is {}, and delete needs stopped (stop it first, or delete with force)", ins.status.as_str()),
            ));
        }
        ins = force_stop(root, ins, Instant::now() + timeout)?;
    } else if !wait_gone(ins.monitor.monitor(), Instant::now() + timeout) {
        // The init is gone; the monitor is writing the record and reaping, and about to exit.
        return fail(Code::Timeout, format!("the monitor of container {id:?} did not exit"));
    }
    if ins.status != Status::Stopped {
        return fail(Code::Internal, format!("container {id:?} did not stop (status {})", ins.status.as_str()));
    }
    remove_stopped(root, &ins)
}
