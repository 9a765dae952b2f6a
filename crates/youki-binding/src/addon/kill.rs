//! OCI `kill` through a pidfd: open it, then check that no exit record exists (the monitor writes
//! the record before it reaps the init, so the pid is still ours) and that the start time matches,
//! then `pidfd_send_signal`. A reaped-and-reused pid is never signalled.

use std::fs::OpenOptions;
use std::path::Path;

use super::inspect::{inspect, Inspection, Status};
use magikrun_native_error::{NResult, NativeError, Code};
use magikrun_youki_shared::fsutil::exists;
use magikrun_youki_shared::layout::{EXIT_FILE, KILLED_FILE};
use magikrun_youki_shared::proc;

fn stopped(ins: &Inspection) -> NativeError {
    NativeError::new(Code::InvalidState, format!("cannot kill container {:?}: its status is stopped, and kill needs created or running", ins.paths.id))
}

/// Deliver `signal` (a number) to the init of an inspected container.
pub fn kill_inspected(ins: &Inspection, signal: i32) -> NResult<()> {
    if !matches!(ins.status, Status::Created | Status::Running) {
        return Err(ins.invalid("kill", "created or running"));
    }
    let Some(init) = ins.init_process() else { return Err(stopped(ins)) };
    let fd = match proc::pidfd_open(init.pid) {
        Ok(fd) => fd,
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Err(stopped(ins)),
        Err(e) => return Err(NativeError::io("pidfd_open", &e)),
    };
    if exists(&ins.paths.file(EXIT_FILE)) || !proc::is_same_process(init) {
        return Err(stopped(ins));
    }
    let marker = ins.paths.file(KILLED_FILE);
    if signal == libc::SIGKILL {
        // Before the signal, so that the monitor sees it when it records the death: reason 'killed'.
        OpenOptions::new().write(true).create(true).truncate(false).open(&marker).map_err(|e| NativeError::io(format!("create {}", marker.display()), &e))?;
    }
    match proc::pidfd_send_signal(&fd, signal) {
        Ok(()) => Ok(()),
        Err(e) => {
            if signal == libc::SIGKILL && !exists(&ins.paths.file(EXIT_FILE)) {
                let _ = std::fs::remove_file(&marker);
            }
            if e.raw_os_error() == Some(libc::ESRCH) {
                Err(stopped(ins))
            } else {
                Err(NativeError::io(format!("send signal {signal} to container {:?}", ins.paths.id), &e))
            }
        }
    }
}

/// Kill container `id`. @throws NOT_FOUND, INVALID_STATE, INVALID_ARGUMENT (bad signal)
pub fn kill(root: &Path, id: &str, signal: i32) -> NResult<()> {
    if !(1..=64).contains(&signal) {
        return Err(NativeError::new(Code::InvalidArgument, format!("signal {signal} is not a signal number 1-64")));
    }
    let ins = inspect(root, id)?;
    kill_inspected(&ins, signal)
}
