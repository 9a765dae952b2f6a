//! OCI `start`: tell the waiting init to exec the user process, through libcontainer's notify
//! socket. libcontainer's own `Container::start` chdirs to reach the socket (process-wide, unsafe in
//! Node.js); this connects through `/proc/self/fd/<dir>/notify.sock` instead, which also keeps the
//! path under the 108-byte socket limit for long ids. Returns once the init has exec'd the user
//! program (its executable is no longer the monitor's), as far as that takes at most 5 s.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use libcontainer::config::YoukiConfig;
use libcontainer::container::ContainerStatus;
use libcontainer::notify_socket::NOTIFY_FILE;

use super::inspect::{inspect, Status};
use super::lock::lock;
use magikrun_native_error::{NResult, NativeError, Code};
use magikrun_youki_shared::fsutil::write_json_atomic;
use magikrun_youki_shared::layout::ContainerPaths;

/// The executable behind `/proc/<pid>/exe` as (device, inode); `None` once the process is gone.
fn exe_identity(pid: i32) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}/exe")).ok().map(|m| (m.dev(), m.ino()))
}

/// Wait (briefly) until the init has exec'd the user program, so that when start resolves the user
/// process runs: its executable is no longer the monitor's. Gives up silently after `limit` (the
/// init may be running hooks) or when the init is gone (the state then says stopped).
fn wait_for_exec(pid: i32, before: Option<(u64, u64)>, limit: Duration) {
    let Some(before) = before else { return };
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match exe_identity(pid) {
            Some(now) if now == before => std::thread::sleep(Duration::from_micros(200)),
            _ => return,
        }
    }
}

fn notify(paths: &ContainerPaths) -> std::io::Result<()> {
    let dir = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_PATH).open(paths.libcontainer_dir())?;
    let mut stream = UnixStream::connect(format!("/proc/self/fd/{}/{NOTIFY_FILE}", dir.as_raw_fd()))?;
    stream.write_all(b"start container")
}

/// Start container `id`. @throws NOT_FOUND, INVALID_STATE (not created)
pub fn start(root: &Path, id: &str) -> NResult<()> {
    let paths = ContainerPaths::new(root, id)?;
    let _guard = lock(&paths, true)?;
    let ins = inspect(root, id)?;
    if ins.status != Status::Created {
        return Err(ins.invalid("start", "created"));
    }
    let Some(mut state) = ins.lc_state.clone() else {
        return Err(ins.invalid("start", "created"));
    };
    let pid = ins.init_process().map(|p| p.pid).unwrap_or(0);
    let before = exe_identity(pid);
    if let Err(e) = notify(&paths) {
        // The init died in the meantime (nothing listens any more): report what the state now says.
        let now = inspect(root, id)?;
        if now.status != Status::Created {
            return Err(now.invalid("start", "created"));
        }
        return Err(NativeError::new(Code::Internal, format!("could not reach the init of container {id:?} through its notify socket: {e}")));
    }
    state.status = ContainerStatus::Running;
    write_json_atomic(&paths.libcontainer_dir().join("state.json"), &state)?;
    wait_for_exec(pid, before, Duration::from_secs(5));

    // runtime-spec config.md: a failing poststart hook is logged and the lifecycle continues.
    if let Ok(config) = YoukiConfig::load(paths.libcontainer_dir()) {
        if let Some(hooks) = config.hooks.as_ref() {
            let _ = libcontainer::hooks::run_hooks(hooks.poststart().as_ref(), Some(&state), Some(&paths.libcontainer_dir()), None, None);
        }
    }
    Ok(())
}
