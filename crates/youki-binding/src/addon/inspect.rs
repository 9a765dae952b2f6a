//! The state of one container from its records and the kernel: cheap (a few small reads), so it
//! runs synchronously.
//!
//! Status: `stopped` once `exit.json` exists or the init is gone; otherwise libcontainer's
//! `creating` / `created` / `running` (running once our start wrote it). A container whose
//! monitor and init are both gone without an exit record is stopped with its status lost (stale).

use std::collections::HashMap;
use std::path::Path;

use libcontainer::container::{ContainerStatus, State};

use magikrun_native_error::{NResult, NativeError, Code};
use magikrun_youki_shared::fsutil::read_json;
use magikrun_youki_shared::layout::{ContainerPaths, EXIT_FILE, INIT_FILE, MONITOR_FILE};
use magikrun_youki_shared::proc::{self, ProcessId};
use magikrun_youki_shared::records::{ExitRecord, InitRecord, MonitorRecord};

/// The OCI statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Creating,
    Created,
    Running,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Stopped => "stopped",
        }
    }
}

/// Everything known about one container.
pub struct Inspection {
    pub paths: ContainerPaths,
    pub monitor: MonitorRecord,
    pub init: Option<InitRecord>,
    /// libcontainer's state.json, when readable.
    pub lc_state: Option<State>,
    pub exit: Option<ExitRecord>,
    pub status: Status,
    pub monitor_alive: bool,
    pub init_alive: bool,
}

impl Inspection {
    /// The init, as a checked identity (start time from init.json when it exists).
    pub fn init_process(&self) -> Option<ProcessId> {
        match (&self.init, &self.lc_state) {
            (Some(i), _) => Some(i.process()),
            (None, Some(s)) => s.pid.map(|pid| ProcessId { pid, start_time: 0 }),
            _ => None,
        }
    }

    pub fn oci_version(&self) -> String {
        self.lc_state.as_ref().map(|s| s.oci_version.clone()).unwrap_or_else(|| "1.2.0".to_owned())
    }

    pub fn annotations(&self) -> Option<HashMap<String, String>> {
        self.lc_state.as_ref().and_then(|s| s.annotations.clone()).filter(|a| !a.is_empty())
    }

    /// An `INVALID_STATE` error for `op` in the current status.
    pub fn invalid(&self, op: &str, allowed: &str) -> NativeError {
        NativeError::new(
            Code::InvalidState,
            format!("cannot {op} container {:?}: its status is {}, and {op} needs {allowed}", self.paths.id, self.status.as_str()),
        )
    }
}

/// libcontainer writes state.json in place (truncate, then write): a reader may catch it empty or
/// half-written while the monitor creates the container. That reads as "no state yet".
pub fn read_lc_state(paths: &ContainerPaths) -> Option<State> {
    let bytes = std::fs::read(paths.libcontainer_dir().join("state.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Inspect container `id` under `root`. @throws NOT_FOUND, INVALID_ARGUMENT (bad id)
pub fn inspect(root: &Path, id: &str) -> NResult<Inspection> {
    let paths = ContainerPaths::new(root, id)?;
    let monitor: MonitorRecord = read_json(&paths.file(MONITOR_FILE))?
        .ok_or_else(|| NativeError::new(Code::NotFound, format!("container {id:?} does not exist (no state in {})", paths.dir.display())))?;
    let init: Option<InitRecord> = read_json(&paths.file(INIT_FILE))?;
    let lc_state = read_lc_state(&paths);
    // Liveness first, the exit record after: the monitor writes the record before it reaps the init
    // and exits, so a process seen dead here has already written any record it ever will, and a
    // missing record read afterwards means there is none ("dead without a record" is then true).
    let monitor_alive = proc::is_alive(monitor.monitor());
    let mut ins = Inspection { paths, monitor, init, lc_state, exit: None, status: Status::Stopped, monitor_alive, init_alive: false };
    ins.init_alive = ins.init_process().is_some_and(proc::is_alive);
    ins.exit = read_json(&ins.paths.file(EXIT_FILE))?;
    if ins.exit.is_some() {
        ins.init_alive = false;
    }
    ins.status = if ins.exit.is_some() {
        Status::Stopped
    } else {
        match ins.lc_state.as_ref().map(|s| s.status) {
            None | Some(ContainerStatus::Creating) if ins.monitor_alive => Status::Creating,
            Some(ContainerStatus::Created) if ins.init_alive => Status::Created,
            Some(ContainerStatus::Running | ContainerStatus::Paused) if ins.init_alive => Status::Running,
            _ => Status::Stopped,
        }
    };
    Ok(ins)
}
