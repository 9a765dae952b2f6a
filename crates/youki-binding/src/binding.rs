//! The napi surface: `BindingRuntime` (one state root) and `BindingWaiter`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::addon::inspect::{inspect, Inspection, Status};
use crate::addon::wait::Cancel;
use crate::addon::{delete, kill, list, start, wait};
use magikrun_native_error::js::{settle, sync};
use magikrun_native_error::{Code, NResult, NativeError};
use magikrun_youki_shared::records::{ExitReason, ExitRecord};
use napi::bindgen_prelude::PromiseRaw;
use napi::Env;

/// Why a container's init ended (core's `ExitReason` values the monitor knows).
#[napi(string_enum = "lowercase")]
pub enum BindingExitReason {
    Exited,
    Signaled,
    Killed,
    Oom,
}

/// A container's OCI status (runtime-spec `state.status`).
#[napi(string_enum = "lowercase")]
pub enum BindingStatus {
    Creating,
    Created,
    Running,
    Stopped,
}

/// How a container's init ended (the monitor's exit record).
#[napi(object)]
pub struct BindingExit {
    /// Exit code, or 128 + signal number.
    pub code: i32,
    /// Signal number of a signal death.
    pub signal: Option<i32>,
    pub reason: BindingExitReason,
    pub message: Option<String>,
    /// OOM kills counted in the container's memory cgroup.
    pub oom_kills: f64,
    /// Milliseconds since the Unix epoch.
    pub exited_at_ms: f64,
}

impl From<ExitRecord> for BindingExit {
    fn from(r: ExitRecord) -> Self {
        let reason = match r.reason {
            ExitReason::Exited => BindingExitReason::Exited,
            ExitReason::Signaled => BindingExitReason::Signaled,
            ExitReason::Killed => BindingExitReason::Killed,
            ExitReason::Oom => BindingExitReason::Oom,
        };
        Self { code: r.code, signal: r.signal, reason, message: r.message, oom_kills: r.oom_kills as f64, exited_at_ms: r.exited_at_ms as f64 }
    }
}

/// One container as the state directory and the kernel describe it.
#[napi(object)]
pub struct BindingState {
    pub oci_version: String,
    pub id: String,
    pub status: BindingStatus,
    /// The init's host pid while created or running.
    pub pid: Option<i32>,
    /// The bundle path as given at create.
    pub bundle: String,
    /// The container's root filesystem on the host (absolute), as `runc state` prints `rootfs`.
    pub rootfs: String,
    /// The uid owning the container's state directory (`runc list`'s owner); absent if it cannot be read.
    pub owner_uid: Option<u32>,
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
            status: match ins.status {
                Status::Creating => BindingStatus::Creating,
                Status::Created => BindingStatus::Created,
                Status::Running => BindingStatus::Running,
                Status::Stopped => BindingStatus::Stopped,
            },
            pid: if live { ins.init_process().map(|p| p.pid) } else { None },
            bundle: ins.monitor.config.bundle.clone(),
            rootfs: ins.monitor.config.rootfs.clone(),
            owner_uid: std::fs::metadata(&ins.paths.dir).ok().map(|m| std::os::unix::fs::MetadataExt::uid(&m)),
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

/// Run `f` on Tokio's blocking pool (it reads files, takes locks, waits for the monitor).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> NResult<T> + Send + 'static) -> NResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| NativeError::new(Code::Internal, format!("a binding task failed: {e}")))?
}

/// Each failure reaches JavaScript as an `Error` whose `code` is one of core's `ErrorCode` values.
#[napi]
impl BindingRuntime {
    /// `root`: absolute path of the state root.
    #[napi(constructor)]
    pub fn new(env: Env, root: String) -> napi::Result<Self> {
        let root = PathBuf::from(root);
        if !root.is_absolute() {
            return Err(NativeError::new(Code::InvalidArgument, format!("the state root {} must be an absolute path", root.display())).into_js(&env));
        }
        Ok(Self { root })
    }

    /// The state of one container (synchronous: a few small reads, well under a millisecond).
    #[napi]
    pub fn state(&self, env: Env, id: String) -> napi::Result<BindingState> {
        sync(&env, inspect(&self.root, &id).map(BindingState::from))
    }

    /// Every container under the root; stale ones are cleaned up and left out.
    #[napi]
    pub fn list<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Vec<BindingState>>> {
        let root = self.root.clone();
        settle(env, blocking(move || list::list(&root).map(|v| v.into_iter().map(BindingState::from).collect())))
    }

    /// OCI start.
    #[napi]
    pub fn start<'env>(&self, env: &'env Env, id: String) -> napi::Result<PromiseRaw<'env, ()>> {
        let root = self.root.clone();
        settle(env, blocking(move || start::start(&root, &id)))
    }

    /// OCI kill with a signal number.
    #[napi]
    pub fn kill<'env>(&self, env: &'env Env, id: String, signal: i32) -> napi::Result<PromiseRaw<'env, ()>> {
        let root = self.root.clone();
        settle(env, blocking(move || kill::kill(&root, &id, signal)))
    }

    /// OCI delete; `force` kills first. `timeoutMs` bounds the waits for the monitor.
    #[napi]
    pub fn delete<'env>(&self, env: &'env Env, id: String, force: bool, timeout_ms: u32) -> napi::Result<PromiseRaw<'env, ()>> {
        let root = self.root.clone();
        settle(env, blocking(move || delete::delete(&root, &id, force, Duration::from_millis(timeout_ms as u64))))
    }

    /// A waiter for one container's exit record.
    #[napi]
    pub fn waiter(&self, id: String) -> BindingWaiter {
        BindingWaiter { root: self.root.clone(), id, cancel: Arc::new(Cancel::default()) }
    }
}

/// One wait for an exit record; `cancel()` makes `wait()` reject with code `ABORTED`.
#[napi]
pub struct BindingWaiter {
    root: PathBuf,
    id: String,
    cancel: Arc<Cancel>,
}

#[napi]
impl BindingWaiter {
    #[napi]
    pub fn wait<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, BindingExit>> {
        let (root, id, cancel) = (self.root.clone(), self.id.clone(), self.cancel.clone());
        settle(env, async move { wait::wait(root, id, cancel).await.map(BindingExit::from) })
    }

    #[napi]
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}
