//! The napi surface: `BindingRuntime` (one state root) and `BindingWaiter`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::addon::inspect::{inspect, Inspection, Status};
use crate::addon::wait::Cancel;
use crate::addon::{delete, kill, list, start, wait};
use crate::shared::error::{BindingError, Code};
use crate::shared::records::{ExitReason, ExitRecord};

fn napi_err(e: BindingError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, e.to_string())
}

/// How a container's init ended (the monitor's exit record).
#[napi(object)]
pub struct BindingExit {
    /// Exit code, or 128 + signal number.
    pub code: i32,
    /// Signal number of a signal death.
    pub signal: Option<i32>,
    /// `exited`, `signaled`, `killed` or `oom`.
    pub reason: String,
    pub message: Option<String>,
    /// OOM kills counted in the container's memory cgroup.
    pub oom_kills: f64,
    /// Milliseconds since the Unix epoch.
    pub exited_at_ms: f64,
}

impl From<ExitRecord> for BindingExit {
    fn from(r: ExitRecord) -> Self {
        let reason = match r.reason {
            ExitReason::Exited => "exited",
            ExitReason::Signaled => "signaled",
            ExitReason::Killed => "killed",
            ExitReason::Oom => "oom",
        };
        Self { code: r.code, signal: r.signal, reason: reason.to_owned(), message: r.message, oom_kills: r.oom_kills as f64, exited_at_ms: r.exited_at_ms as f64 }
    }
}

/// One container as the state directory and the kernel describe it.
#[napi(object)]
pub struct BindingState {
    pub oci_version: String,
    pub id: String,
    /// `creating`, `created`, `running` or `stopped`.
    pub status: String,
    /// The init's host pid while created or running.
    pub pid: Option<i32>,
    /// The bundle path as given at create.
    pub bundle: String,
    pub annotations: Option<HashMap<String, String>>,
    pub exit: Option<BindingExit>,
    pub monitor_pid: i32,
    pub monitor_alive: bool,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: f64,
    pub stop_signal: Option<String>,
    pub stdout_log: Option<String>,
    pub stderr_log: Option<String>,
    /// The container's state directory.
    pub state_dir: String,
}

impl From<Inspection> for BindingState {
    fn from(ins: Inspection) -> Self {
        let live = matches!(ins.status, Status::Created | Status::Running);
        Self {
            oci_version: ins.oci_version(),
            id: ins.paths.id.clone(),
            status: ins.status.as_str().to_owned(),
            pid: if live { ins.init_process().map(|p| p.pid) } else { None },
            bundle: ins.monitor.config.bundle.clone(),
            annotations: ins.annotations(),
            monitor_pid: ins.monitor.monitor_pid,
            monitor_alive: ins.monitor_alive,
            created_at_ms: ins.monitor.created_at_ms as f64,
            stop_signal: ins.monitor.config.stop_signal.clone(),
            stdout_log: ins.monitor.stdout_log.clone(),
            stderr_log: ins.monitor.stderr_log.clone(),
            state_dir: ins.paths.dir.to_string_lossy().into_owned(),
            exit: ins.exit.map(BindingExit::from),
        }
    }
}

/// The containers of one state root.
#[napi]
pub struct BindingRuntime {
    root: PathBuf,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::result::Result<T, BindingError> + Send + 'static) -> napi::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| napi_err(BindingError::new(Code::Internal, format!("a binding task failed: {e}"))))?
        .map_err(napi_err)
}

#[napi]
impl BindingRuntime {
    /// `root`: absolute path of the state root.
    #[napi(constructor)]
    pub fn new(root: String) -> napi::Result<Self> {
        let root = PathBuf::from(root);
        if !root.is_absolute() {
            return Err(napi_err(BindingError::new(Code::InvalidArgument, format!("the state root {} must be an absolute path", root.display()))));
        }
        Ok(Self { root })
    }

    /// The state of one container (synchronous: a few small reads, well under a millisecond).
    #[napi]
    pub fn state(&self, id: String) -> napi::Result<BindingState> {
        inspect(&self.root, &id).map(BindingState::from).map_err(napi_err)
    }

    /// Every container under the root; stale ones are cleaned up and left out.
    #[napi]
    pub async fn list(&self) -> napi::Result<Vec<BindingState>> {
        let root = self.root.clone();
        blocking(move || list::list(&root).map(|v| v.into_iter().map(BindingState::from).collect())).await
    }

    /// OCI start.
    #[napi]
    pub async fn start(&self, id: String) -> napi::Result<()> {
        let root = self.root.clone();
        blocking(move || start::start(&root, &id)).await
    }

    /// OCI kill with a signal number.
    #[napi]
    pub async fn kill(&self, id: String, signal: i32) -> napi::Result<()> {
        let root = self.root.clone();
        blocking(move || kill::kill(&root, &id, signal)).await
    }

    /// OCI delete; `force` kills first. `timeoutMs` bounds the waits for the monitor.
    #[napi]
    pub async fn delete(&self, id: String, force: bool, timeout_ms: u32) -> napi::Result<()> {
        let root = self.root.clone();
        blocking(move || delete::delete(&root, &id, force, Duration::from_millis(timeout_ms as u64))).await
    }

    /// A waiter for one container's exit record.
    #[napi]
    pub fn waiter(&self, id: String) -> BindingWaiter {
        BindingWaiter { root: self.root.clone(), id, cancel: Arc::new(Cancel::default()) }
    }
}

/// One wait for an exit record; `cancel()` makes `wait()` reject with `[ABORTED]`.
#[napi]
pub struct BindingWaiter {
    root: PathBuf,
    id: String,
    cancel: Arc<Cancel>,
}

#[napi]
impl BindingWaiter {
    #[napi]
    pub async fn wait(&self) -> napi::Result<BindingExit> {
        wait::wait(self.root.clone(), self.id.clone(), self.cancel.clone()).await.map(BindingExit::from).map_err(napi_err)
    }

    #[napi]
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}
