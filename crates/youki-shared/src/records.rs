//! The records in a container's state directory (see `layout`). JSON, camelCase, written atomically.

use serde::{Deserialize, Serialize};

use crate::proc::ProcessId;

/// One mount that assembles the rootfs (core's `RootfsMount`: containerd's `mount.Mount`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RootfsMount {
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    #[serde(default)]
    pub options: Vec<String>,
}

/// Where one of the container's stdio streams goes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StdioTarget {
    /// The monitor's own fd (a pipe Node.js made when it spawned the monitor).
    Inherit,
    /// /dev/null.
    Null,
    /// A host file the monitor opens (truncated unless `append`; read for stdin).
    File { path: String, #[serde(default)] append: bool },
    /// `stdout.log` / `stderr.log` in the state directory.
    Log,
}

/// What Node.js asks the monitor to do (its one argument, JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorConfig {
    pub id: String,
    pub state_root: String,
    /// The bundle directory as the caller named it (reported unchanged in the state).
    pub bundle: String,
    /// The rootfs directory (`OciBundle.rootfs`): where `rootfs_mounts` are mounted.
    pub rootfs: String,
    #[serde(default)]
    pub rootfs_mounts: Vec<RootfsMount>,
    /// Signal for `stop` (e.g. "SIGTERM"), kept for other processes.
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// Use the systemd cgroup manager.
    #[serde(default)]
    pub systemd: bool,
    pub stdin: StdioTarget,
    pub stdout: StdioTarget,
    pub stderr: StdioTarget,
}

/// `monitor.json`: the config plus who the monitor is and when it began.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorRecord {
    pub version: u32,
    pub config: MonitorConfig,
    pub monitor_pid: i32,
    pub monitor_start_time: u64,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Paths of the log files when stdout/stderr went to 'log'.
    #[serde(default)]
    pub stdout_log: Option<String>,
    #[serde(default)]
    pub stderr_log: Option<String>,
}

impl MonitorRecord {
    pub fn monitor(&self) -> ProcessId {
        ProcessId { pid: self.monitor_pid, start_time: self.monitor_start_time }
    }
}

/// `init.json`: the container's init process, written once it is created.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitRecord {
    pub pid: i32,
    pub start_time: u64,
    /// The file that counts OOM kills: v1 `<memory cgroup>/memory.oom_control`, v2 `<cgroup>/memory.events`.
    #[serde(default)]
    pub oom_events_file: Option<String>,
    /// How many rootfs mounts the monitor made at `rootfs` (unmounted at delete).
    #[serde(default)]
    pub rootfs_mounted: usize,
}

impl InitRecord {
    pub fn process(&self) -> ProcessId {
        ProcessId { pid: self.pid, start_time: self.start_time }
    }
}

/// Why the init ended, as core's `ExitReason` spells it (a subset: the monitor knows these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExitReason {
    Exited,
    Signaled,
    Killed,
    Oom,
}

/// `exit.json`: how the init ended. Written (atomically) before the init is reaped.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitRecord {
    /// Exit code, or 128 + signal.
    pub code: i32,
    /// The signal number for a signal death.
    #[serde(default)]
    pub signal: Option<i32>,
    pub reason: ExitReason,
    #[serde(default)]
    pub message: Option<String>,
    /// OOM kills counted in the container's memory cgroup when it ended.
    #[serde(default)]
    pub oom_kills: u64,
    /// Milliseconds since the Unix epoch.
    pub exited_at_ms: u64,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
