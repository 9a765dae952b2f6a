//! Process identity without pid-reuse races: a pid plus its start time (field 22 of
//! `/proc/<pid>/stat`, clock ticks since boot) names one process for good; pidfds signal and wait
//! for exactly that process.

use std::fs;
use std::os::fd::{FromRawFd, OwnedFd};

/// A process as recorded in the state directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    pub pid: i32,
    /// Start time in clock ticks since boot; 0 when unknown (then only the pid is checked).
    pub start_time: u64,
}

/// What `/proc/<pid>/stat` says: the state letter and the start time.
#[derive(Clone, Copy, Debug)]
pub struct ProcStat {
    pub state: char,
    pub start_time: u64,
}

/// Read `/proc/<pid>/stat`; `None` when there is no such process.
pub fn stat(pid: i32) -> Option<ProcStat> {
    if pid <= 0 {
        return None;
    }
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state (field 3), field 22 is the 19th.
    let start_time = fields.nth(18)?.parse().ok()?;
    Some(ProcStat { state, start_time })
}

/// Start time of a running (or zombie) process, for {@link ProcessId}.
pub fn start_time(pid: i32) -> Option<u64> {
    stat(pid).map(|s| s.start_time)
}

/// True when `id` names a process that exists, is not a zombie, and (when the start time is known)
/// is the very process that was recorded.
pub fn is_alive(id: ProcessId) -> bool {
    match stat(id.pid) {
        Some(s) => s.state != 'Z' && s.state != 'X' && (id.start_time == 0 || s.start_time == id.start_time),
        None => false,
    }
}

/// True when `id.pid` still belongs to the recorded process (alive or zombie).
pub fn is_same_process(id: ProcessId) -> bool {
    match stat(id.pid) {
        Some(s) => id.start_time == 0 || s.start_time == id.start_time,
        None => false,
    }
}

/// True when `pid` is pid 1 of its own pid namespace (the last `NSpid` of `/proc/<pid>/status` is
/// 1): its exit then ends every other process of that namespace. False when unknown.
pub fn owns_pid_namespace(pid: i32) -> bool {
    let Ok(text) = fs::read_to_string(format!("/proc/{pid}/status")) else { return false };
    text.lines().find_map(|l| l.strip_prefix("NSpid:")).and_then(|v| v.split_whitespace().last()).is_some_and(|last| last == "1")
}

/// `pidfd_open(pid, 0)`.
pub fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: a plain syscall with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a new file descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)`.
pub fn pidfd_send_signal(pidfd: &OwnedFd, sig: i32) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain syscall; a NULL siginfo means "as kill(2)".
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), sig, std::ptr::null::<libc::siginfo_t>(), 0) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A pidfd for `id`, checked after opening: `None` when the process is gone or the pid now belongs
/// to another process. (Opening first, then comparing the start time, closes the reuse window: the
/// recorded process held the pid when the pidfd was opened.)
pub fn open_checked(id: ProcessId) -> Option<OwnedFd> {
    let fd = pidfd_open(id.pid).ok()?;
    if is_same_process(id) {
        Some(fd)
    } else {
        None
    }
}

/// Wait up to `timeout_ms` for a pidfd to become readable (the process exited). True when it did.
pub fn poll_exit(fd: &OwnedFd, timeout_ms: i32) -> bool {
    use std::os::fd::AsRawFd;
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    loop {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if rc >= 0 {
            return rc > 0;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return false;
        }
    }
}
