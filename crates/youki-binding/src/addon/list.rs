//! `list`: every container under the state root. Cleans up on the way: stale containers (monitor
//! and init both gone without an exit record: cgroup, mounts, state), reservations of monitors that
//! died, and directories left by an interrupted delete.

use std::path::Path;

use super::delete::remove_stopped;
use super::inspect::{inspect, Inspection, Status};
use super::lock::lock;
use magikrun_native_error::{NResult, NativeError};
use magikrun_youki_shared::fsutil::remove_tree;
use magikrun_youki_shared::layout::{temp_name_pid, validate_id, ContainerPaths, CREATING_PREFIX, DELETING_PREFIX};
use magikrun_youki_shared::proc;

fn is_stale(ins: &Inspection) -> bool {
    ins.status == Status::Stopped && ins.exit.is_none() && !ins.monitor_alive && !ins.init_alive
}

/// The containers under `root`, sorted by id. A missing root lists nothing.
pub fn list(root: &Path) -> NResult<Vec<Inspection>> {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(NativeError::io(format!("read {}", root.display()), &e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = temp_name_pid(&name, CREATING_PREFIX) {
            if !proc::is_alive(proc::ProcessId { pid, start_time: 0 }) {
                let _ = remove_tree(&entry.path());
            }
            continue;
        }
        if name.starts_with(DELETING_PREFIX) {
            let _ = remove_tree(&entry.path());
            continue;
        }
        if validate_id(&name).is_err() {
            continue;
        }
        let Ok(ins) = inspect(root, &name) else { continue };
        if is_stale(&ins) {
            // Only when nobody else is deleting or starting it right now.
            if let Ok(paths) = ContainerPaths::new(root, &name) {
                if let Ok(Some(_guard)) = lock(&paths, false) {
                    if let Ok(again) = inspect(root, &name) {
                        if is_stale(&again) && remove_stopped(root, &again).is_ok() {
                            continue;
                        }
                    }
                }
            }
        }
        out.push(ins);
    }
    out.sort_by(|a, b| a.paths.id.cmp(&b.paths.id));
    Ok(out)
}
